#!/usr/bin/env python3
"""test_exec.py — functions that are executables, end to end over HTTP
(lighttpd, taskhub.fcgi, taskhubd started by the test).

- The executable sample app (samples/exe): HelloSequence in Python driving
  SayHello in shell gives the C sample's exact output and custom status;
  BookingFlow in Python with CalculateDiscount in PHP, confirmed and timed
  out.
- An entity as an executable (samples/exe/Tally, the batch protocol).
- A protocol orchestrator (tests/e2e/exeapp/Tour) with a fan-out (WhenAll),
  a durable timer, an external event, a sub-orchestration and
  continue-as-new.
- An orchestrator failing with the $OutOfProcData$ form.
- Hostile children, each failing only its own invocation with the reason
  in the instance's status: one that never exits (functionTimeout 3 s),
  one printing 100 MB, one printing garbage, one exiting 137, one leaving
  a grandchild running (which must be gone afterwards), one failing with
  a message on stderr; orchestrators that hang or answer garbage.
- A child's environment is only the documented variables.
- A child never outlives the daemon (kill -9 of taskhubd kills it).

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
import test_api as T  # noqa: E402

tap = T.Tap()
HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
SRC = os.path.dirname(os.path.abspath(__file__))
EXE_SAMPLES = os.path.join(SRC, "..", "..", "samples", "exe")
EXE_TESTAPP = os.path.join(SRC, "exeapp")


def hello(s):
    s.api.start("HelloSequence", None, "py-hello")
    st = s.api.wait("py-hello", history=True)
    tap.eq(st.get("runtimeStatus"), "Completed", "Python HelloSequence with a shell SayHello completes")
    tap.eq(st.get("output"), HELLO, "with the C sample's exact output")
    tap.eq(st.get("customStatus"), "London", "and its final custom status")
    tap.eq(e2e.history_types(st), ["ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted",
                                   "ExecutionCompleted"], "its history")


def booking(s):
    s.api.start("BookingFlow", {"userId": "user1", "discountTimeout": 30}, "py-book")
    st = s.api.wait_custom("py-book", {"discount": 5, "discountTimeout": 30, "bookingUrl": ""})
    tap.eq(st.get("customStatus"), {"discount": 5, "discountTimeout": 30, "bookingUrl": ""},
           "BookingFlow (Python) offers the PHP CalculateDiscount's discount")
    s.api.raise_event("py-book", "BookingConfirmed", True)
    st = s.api.wait("py-book")
    tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")),
           ("Completed", True, {"message": "Thank you for confirming your booking."}), "confirmed booking")
    s.api.start("BookingFlow", {"userId": "user1", "discountTimeout": 1}, "py-book-late")
    st = s.api.wait("py-book-late")
    tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")),
           ("Completed", False, {"message": "The booking was not confirmed on time. Please try again."}),
           "a booking not confirmed in time")


def exe_entity(s):
    """An entity as an executable (samples/exe/Tally, Python, the batch
    protocol): signals from concurrent clients applied exactly, a failing
    operation changing nothing, the delete."""
    import concurrent.futures

    def add(_):
        return s.api.call("POST", "entities/Tally/t1", "op=add", body=b"5", headers=[T.CT_JSON]).status
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(add, range(40)))
    tap.eq(codes.count(202), 40, "40 add signals to the executable entity: 202 each")

    def state():
        r = s.api.call("GET", "entities/Tally/t1")
        return r.status, r.json_or_none() if r.status == 200 else None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and state() != (200, 200):
        time.sleep(0.1)
    tap.eq(state(), (200, 200), "the executable entity's state is the exact sum")
    s.api.call("POST", "entities/Tally/t1", "op=add", body=b"\"x\"", headers=[T.CT_JSON])
    s.api.call("POST", "entities/Tally/t1", "op=add", body=b"1", headers=[T.CT_JSON])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and state() != (200, 201):
        time.sleep(0.1)
    tap.eq(state(), (200, 201), "a failing operation changes nothing; the next one applies")
    s.api.call("DELETE", "entities/Tally/t1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and state()[0] != 404:
        time.sleep(0.1)
    tap.eq(state()[0], 404, "delete removes it")


def tour(s):
    s.api.start("Tour", None, "tour")
    s.api.wait_custom("tour", "waiting Go")
    s.api.raise_event("tour", "Go", {"go": True})
    st = s.api.wait("tour")
    want = {"echoes": [{"n": 0}, {"n": 1}, {"n": 2}], "go": {"go": True},
            "child": {"echoed": "child", "parent": "tour"}}
    tap.eq(st.get("runtimeStatus"), "Completed", "Tour (fan-out, timer, event, sub-orchestration, continue-as-new)")
    tap.eq(st.get("output"), want, "Tour's output carried through continue-as-new")
    tap.eq(st.get("customStatus"), "done", "Tour's custom status")


def suspended(s):
    """A suspended executable orchestrator schedules nothing new: the child
    sees the events the suspension holds back, the engine does not let its
    new actions through until the resume."""
    s.api.start("Tour", None, "tour-suspended")
    s.api.wait_custom("tour-suspended", "waiting Go")
    tap.eq(s.api.control("tour-suspended", "suspend").status, 202, "suspend the waiting Tour")
    s.api.wait("tour-suspended", lambda st: st["runtimeStatus"] == "Suspended")
    s.api.raise_event("tour-suspended", "Go", {"go": 1})
    time.sleep(1.5)  # time for a (wrong) episode to schedule the child
    st = s.api.status("tour-suspended", history=True)
    made = [e for e in st.get("historyEvents", []) if e.get("EventType") == "SubOrchestrationInstanceCreated"]
    tap.ok(st.get("runtimeStatus") == "Suspended" and not made,
           "while suspended, the event it got starts nothing", json.dumps(st)[:800])
    tap.eq(s.api.control("tour-suspended", "resume").status, 202, "resume")
    st = s.api.wait("tour-suspended")
    tap.eq(st.get("runtimeStatus"), "Completed", "after the resume it runs to the end")


def terminate(s):
    """Terminating an executable orchestrator needs no run of its child."""
    s.api.start("Tour", None, "tour-term")
    s.api.wait_custom("tour-term", "waiting Go")
    tap.eq(s.api.control("tour-term", "terminate", "reason=enough").status, 202, "terminate the waiting Tour")
    st = s.api.wait("tour-term")
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Terminated", "enough"), "it ends Terminated with the reason")


def fails(s):
    s.api.start("Fails", None, "py-fails")
    st = s.api.wait("py-fails")
    tap.eq((st.get("runtimeStatus"), st.get("output")),
           ("Failed", "Orchestrator function 'Fails' failed: the order cannot be shipped"),
           "the $OutOfProcData$ failure form fails the orchestration with its message")


HOSTILE = [
    ("Hang", "Activity function 'Hang' did not finish within 3000 ms (killed)"),
    ("Flood", "Activity function 'Flood' printed more than 8388608 bytes (killed)"),
    ("Garbage", "Activity function 'Garbage' printed output that is not JSON: this is { not json"),
    ("Exit137", "out of memory, giving up"),
    ("Orphan", "Activity function 'Orphan' left a process running after it exited (killed)"),
    ("Complain", "the warehouse is closed"),
]


def hostile_activities(s):
    for name, _ in HOSTILE:
        s.api.start("CallActivity", {"name": name}, "hostile-" + name)
    s.api.start("CallActivity", {"name": "Echo", "input": "fine"}, "hostile-neighbour")
    for name, reason in HOSTILE:
        st = s.api.wait("hostile-" + name)
        tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", {"error": reason}),
               f"hostile activity {name}: only its invocation fails, with the reason")
    st = s.api.wait("hostile-neighbour")
    tap.eq(st.get("output"), {"ok": "fine"}, "an activity running beside them is unharmed")
    left = subprocess.run(["pgrep", "-f", "sleep 1000"], stdout=subprocess.PIPE, universal_newlines=True).stdout
    tap.ok(left.strip() == "", "no child or grandchild is left running", left)
    tap.ok(s.daemon.alive(), "the daemon survived them all")


def hostile_orchestrators(s):
    s.api.start("HangOrch", None, "orch-hang")
    s.api.start("GarbageOrch", None, "orch-garbage")
    st = s.api.wait("orch-hang")
    tap.eq((st.get("runtimeStatus"), st.get("output")),
           ("Failed", "Orchestrator function 'HangOrch' failed: the executable did not finish within 3000 ms "
                      "(killed)"), "an orchestrator that never answers fails with the timeout")
    st = s.api.wait("orch-garbage")
    tap.ok(st.get("runtimeStatus") == "Failed" and str(st.get("output", "")).startswith(
        "Orchestrator function 'GarbageOrch' failed: the executable's reply is not valid: "),
        "an orchestrator answering garbage fails, saying so", json.dumps(st))


def children_die_with_daemon(s):
    """A child never outlives the daemon: kill -9 taskhubd while an
    activity child runs (Hang: `exec sleep 1000`), and the child is gone
    (parent-death signal); the restarted daemon runs the activity again
    (at least once) and its timeout ends it as before."""
    def sleepers():
        r = subprocess.run(["pgrep", "-f", "sleep 100[01]"], stdout=subprocess.PIPE, universal_newlines=True)
        return [p for p in r.stdout.split() if p]
    s.api.start("CallActivity", {"name": "Hang"}, "orphaned-by-crash")
    s.api.start("CallActivity", {"name": "Nested"}, "orphaned-nested")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(sleepers()) < 3:
        time.sleep(0.05)
    tap.ok(len(sleepers()) >= 3, "the Hang child and Nested's two grandchildren are running")
    s.daemon.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sleepers():
        time.sleep(0.05)
    tap.ok(not sleepers(), "kill -9 of taskhubd takes its children and their children with it",
           " ".join(sleepers()))
    s.daemon.start()
    st = s.api.wait("orphaned-by-crash")
    tap.eq(st.get("output"), {"error": "Activity function 'Hang' did not finish within 3000 ms (killed)"},
           "after the restart the activity ran again and timed out as before")


def environment(s):
    s.api.start("CallActivity", {"name": "Env"}, "env")
    st = s.api.wait("env")
    names = set((st.get("output") or {}).get("ok") or [])
    documented = {"PATH", "LANG", "HOME", "TMPDIR", "TASKHUB_FUNCTION", "TASKHUB_KIND", "TASKHUB_INSTANCE_ID",
                  "TASKHUB_HUB"}
    shell = {"PWD", "SHLVL", "_", "OLDPWD"}  # what /bin/sh itself adds
    tap.ok(documented <= names and names <= documented | shell,
           "a child's environment is only the documented variables", json.dumps(sorted(names)))


def main():
    e2e.require()
    if shutil.which("php") is None:
        print("1..0 # SKIP php is not installed (scripts/common.sh installs php-cli)")
        return 0
    t0 = time.monotonic()
    with e2e.stack(EXE_SAMPLES) as s:
        e2e.run_parts(tap, [hello, booking, exe_entity], s)
    with e2e.stack(EXE_TESTAPP) as s:
        e2e.run_parts(tap, [tour, suspended, terminate, fails, hostile_activities, hostile_orchestrators, environment,
                            children_die_with_daemon], s)
    tap.diag(f"{time.monotonic() - t0:.1f} s in all (not asserted)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
