#!/usr/bin/env python3
"""test_engine.py — the engine's behaviour end to end, on the test app
(tests/e2e/testapp, assembled as tests/e2e/app and app-v2): lighttpd in
front of taskhub.fcgi, taskhubd running the app, every request through the
management API.

- a 2 s durable timer: the instance completes, FireAt is the orchestrator's
  time + 2 s in TimerCreated and TimerFired, and the timer did not fire
  before FireAt (the measured delay is a TAP diagnostic, never a check);
- external events raised after the orchestrator waits, and before (kept
  until it waits, delivered in order); a wait with a timeout that times out
  and one that gets its event;
- terminate, suspend (events are kept, not processed, until resume),
  resume, rewind and restart (same and new ID), with the API's status codes;
- sub-orchestrations, a failing child failing its parent;
- continue-as-new, with and without keeping unprocessed events;
- retries: an activity failing twice then succeeding, and one always
  failing;
- fan-out/fan-in of 1,000 activities (exact sum);
- the custom status limit: 16 KB of UTF-16 with Durable Functions' exact
  message, at the boundary, with 1-, 3- and 4-byte UTF-8 characters;
- events sent from one instance to another;
- non-determinism: an instance started under app v1 is replayed under v2
  after a daemon restart and fails with Durable Task's message.

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import datetime  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import e2e  # noqa: E402
import test_api as T  # noqa: E402

FANOUT = 1000
tap = T.Tap()


def iso_to_us(s):
    """A history timestamp (up to 7 fractional digits, Z) in µs since the
    epoch; None when it does not parse."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$", s or "")
    if not m:
        return None
    d = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    frac = (m.group(2) or "").ljust(7, "0")
    return int(d.timestamp()) * 1000000 + int(frac) // 10


def completed(st, output, what):
    return tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", output), f"{what}: Completed, output {output!r}")


def failed_with(st, prefix, contains, what):
    out = st.get("output")
    return tap.ok(st.get("runtimeStatus") == "Failed" and isinstance(out, str) and out.startswith(prefix) and
                  contains in out, f"{what}: Failed, output starts {prefix!r} and names {contains!r}",
                  f"status {st.get('runtimeStatus')!r} output {out!r}")


# ---- timers and events ------------------------------------------------------------


def timer(s):
    api = s.api
    iid = api.start("Timer2s")
    st = api.wait(iid, history=True)
    out = st.get("output") or {}
    tap.eq(st.get("runtimeStatus"), "Completed", "timer: Completed")
    tap.eq(out.get("fireAt", 0) - out.get("start", 0), 2000000, "timer: the orchestrator asked for start + 2 s")
    created = e2e.events(st, "TimerCreated")
    fired = e2e.events(st, "TimerFired")
    tap.eq([iso_to_us(e.get("FireAt")) for e in created], [out.get("fireAt")],
           "timer: TimerCreated.FireAt = the orchestrator's time + 2 s (replay gives the same time)")
    tap.eq([iso_to_us(e.get("FireAt")) for e in fired], [out.get("fireAt")], "timer: TimerFired.FireAt the same")
    if fired and out.get("fireAt"):
        at = iso_to_us(fired[0].get("Timestamp"))
        tap.ok(at is not None and at >= out["fireAt"], "timer: TimerFired is not before FireAt",
               f"TimerFired {fired[0].get('Timestamp')} FireAt {fired[0].get('FireAt')}")
        ended = iso_to_us((e2e.events(st, "ExecutionCompleted") or [{}])[0].get("Timestamp"))
        if ended is not None:
            tap.diag(f"timer: fired {(at - out['fireAt']) / 1000.0:.1f} ms after FireAt; completed "
                     f"{(ended - out['start']) / 1e6:.3f} s after the orchestrator started (not asserted)")


def events_after(s):
    api = s.api
    iid = api.start("TwoEvents")
    st = api.wait_custom(iid, "waiting First")
    tap.eq(st.get("customStatus"), "waiting First", "events after: the orchestrator waits for First")
    tap.eq(api.raise_event(iid, "First", 1).status, 202, "events after: raise First -> 202")
    st = api.wait_custom(iid, "waiting Second")
    tap.eq(st.get("customStatus"), "waiting Second", "events after: First received, waits for Second")
    tap.eq(api.raise_event(iid, "Second", {"n": 2}).status, 202, "events after: raise Second -> 202")
    completed(api.wait(iid), [1, {"n": 2}], "events after")


def events_before(s):
    api = s.api
    iid = api.start("TwoEvents")
    api.wait_custom(iid, "waiting First")
    # Second arrives while nobody waits for it: kept until the wait.
    tap.eq(api.raise_event(iid, "Second", "b").status, 202, "events before: raise Second first -> 202")
    tap.eq(api.raise_event(iid, "FIRST", "a").status, 202, "events before: raise FIRST (name case-insensitive) -> 202")
    st = api.wait(iid, history=True)
    completed(st, ["a", "b"], "events before")
    tap.eq(len(e2e.events(st, "EventRaised")), 2, "events before: two EventRaised in the history")
    # Both raised before the first episode runs.
    iid = api.start("TwoEvents")
    api.raise_event(iid, "Second", 2)
    api.raise_event(iid, "First", 1)
    completed(api.wait(iid), [1, 2], "events raised at once after the start")


def wait_timeout(s):
    api = s.api
    iid = api.start("WaitTimeout", {"seconds": 1})
    st = api.wait(iid, history=True)
    completed(st, {"timedOut": True}, "wait with timeout, no event")
    tap.eq(len(e2e.events(st, "TimerFired")), 1, "wait with timeout, no event: its timer fired")
    iid = api.start("WaitTimeout", {"seconds": 600})
    api.wait_custom(iid, "waiting")
    tap.eq(api.raise_event(iid, "Answer", 7).status, 202, "wait with timeout, event: raise Answer -> 202")
    completed(api.wait(iid), {"value": 7}, "wait with timeout, event (its 600 s timer does not hold it)")


def send_event(s):
    api = s.api
    receiver = api.start("LongWait")
    api.wait_custom(receiver, "waiting")
    snd = api.start("Sender", {"target": receiver, "event": "Finish", "value": {"from": "sender"}})
    st = api.wait(snd, history=True)
    completed(st, "sent", "send event: the sender")
    tap.eq([(e.get("Name"), e.get("InstanceId")) for e in e2e.events(st, "EventSent")], [("Finish", receiver)],
           "send event: EventSent in the sender's history")
    completed(api.wait(receiver), {"from": "sender"}, "send event: the receiver got the value")


# ---- control operations -------------------------------------------------------------


def terminate(s):
    api = s.api
    iid = api.start("LongWait")
    api.wait_custom(iid, "waiting")
    r = api.control(iid, "terminate", "reason=" + T.q("stop it"))
    tap.eq((r.status, r.body), (202, b""), "terminate: 202, no body")
    st = api.wait(iid)
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Terminated", "stop it"),
           "terminate: Terminated, the reason is the output")
    tap.eq(api.control(iid, "terminate").status, 410, "terminate: again -> 410")
    tap.eq(api.raise_event(iid, "Finish", 1).status, 410, "terminate: raise event afterwards -> 410")


def suspend_resume(s):
    api = s.api
    iid = api.start("LongWait")
    api.wait_custom(iid, "waiting")
    r = api.control(iid, "suspend", "reason=pause")
    tap.eq((r.status, r.body), (202, b""), "suspend: 202, no body")
    st = api.wait(iid, lambda x: x["runtimeStatus"] != "Running")
    tap.eq(st.get("runtimeStatus"), "Suspended", "suspend: Suspended")
    tap.eq(api.control(iid, "suspend").status, 409, "suspend: again -> 409")
    tap.eq(api.raise_event(iid, "Finish", 42).status, 202, "suspend: raise event while suspended -> 202")
    time.sleep(1.5)  # time for the daemon to (wrongly) process it
    st = api.status(iid)
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Suspended", None),
           "suspend: the event is not processed while suspended")
    r = api.control(iid, "resume", "reason=go")
    tap.eq((r.status, r.body), (202, b""), "resume: 202, no body")
    completed(api.wait(iid), 42, "resume: the kept event is processed")
    tap.eq(api.control(iid, "resume").status, 410, "resume: of a completed instance -> 410")
    # resume of a running instance
    iid = api.start("LongWait")
    api.wait_custom(iid, "waiting")
    tap.eq(api.control(iid, "resume").status, 409, "resume: of a running instance -> 409")
    api.control(iid, "terminate")


def rewind(s):
    api = s.api
    iid = api.start("RewindMe")
    st = api.wait(iid)
    failed_with(st, "Orchestrator function 'RewindMe' failed: ", "FlakyOnce: first attempt fails", "rewind: first run")
    r = api.control(iid, "rewind", "reason=" + T.q("try again"))
    tap.eq((r.status, r.body), (202, b""), "rewind: 202, no body")
    st = api.wait(iid, lambda x: x["runtimeStatus"] not in ("Failed", "Running", "Pending"), history=True)
    completed(st, "recovered", "rewind: the failed activity ran again")
    tap.eq([e.get("FunctionName") for e in e2e.events(st, "TaskCompleted")], ["FlakyOnce"],
           "rewind: TaskCompleted FlakyOnce in the history")
    tap.eq(api.control(iid, "rewind").status, 410, "rewind: of a completed instance -> 410")
    running = api.start("LongWait")
    api.wait_custom(running, "waiting")
    tap.eq(api.control(running, "rewind").status, 409, "rewind: of a running instance -> 409")
    api.control(running, "terminate")


def restart(s):
    api = s.api
    # Same ID: RewindMe fails the first time for an instance ID and
    # succeeds the second, so success proves the same ID ran again.
    iid = api.start("RewindMe")
    failed_with(api.wait(iid), "Orchestrator function 'RewindMe' failed: ", "first attempt", "restart: first run")
    r = api.control(iid, "restart", "restartWithNewInstanceId=false")
    tap.eq((r.status, (r.json_or_none() or {}).get("id")), (202, iid), "restart (same ID): 202 with the same ID")
    st = api.wait(iid, lambda x: x["runtimeStatus"] == "Completed")
    completed(st, "recovered", "restart (same ID): ran again")
    # New ID (the default): same name and input.
    iid = api.start("FanOut", 3)
    completed(api.wait(iid), {"count": 3, "sum": 12}, "restart (new ID): first run")
    r = api.control(iid, "restart")
    new = (r.json_or_none() or {}).get("id")
    tap.ok(r.status == 202 and new and new != iid, "restart (new ID): 202 with a new ID", repr(r))
    if new:
        st = api.wait(new)
        tap.eq((st.get("name"), st.get("input"), st.get("runtimeStatus"), st.get("output")),
               ("FanOut", 3, "Completed", {"count": 3, "sum": 12}), "restart (new ID): same name and input, completed")
    running = api.start("LongWait")
    api.wait_custom(running, "waiting")
    tap.eq(api.control(running, "restart", "restartWithNewInstanceId=false").status, 409,
           "restart (same ID) of a running instance -> 409")
    api.control(running, "terminate")


# ---- composition ---------------------------------------------------------------------


def sub_orchestrations(s):
    api = s.api
    iid = api.start("Parent", {"value": 21})
    st = api.wait(iid, history=True)
    completed(st, {"child": 42}, "sub-orchestration")
    tap.eq([e.get("FunctionName") for e in e2e.events(st, "SubOrchestrationInstanceCompleted")], ["Child"],
           "sub-orchestration: SubOrchestrationInstanceCompleted in the parent's history")
    child = api.status(iid + ":0")
    tap.eq(child and (child.get("name"), child.get("runtimeStatus"), child.get("output")), ("Child", "Completed", 42),
           "sub-orchestration: the child <parent>:0 Completed with 42")

    iid = api.start("Parent", {"value": 1, "fail": True})
    st = api.wait(iid, history=True)
    failed_with(st, "Orchestrator function 'Parent' failed: ", "child failed on purpose", "failing child")
    tap.eq(len(e2e.events(st, "SubOrchestrationInstanceFailed")), 1,
           "failing child: SubOrchestrationInstanceFailed in the parent's history")
    child = api.status(iid + ":0") or {}
    tap.eq((child.get("runtimeStatus"), child.get("output")),
           ("Failed", "Orchestrator function 'Child' failed: child failed on purpose"), "failing child: the child Failed")


def continue_as_new(s):
    api = s.api
    iid = api.start("CanCounter", 0)
    st = api.wait(iid, history=True)
    completed(st, 10, "continue-as-new: counted to 10")
    tap.eq(st.get("input"), 10, "continue-as-new: the input is the last execution's")
    tap.eq((len(e2e.events(st, "ExecutionStarted")), len(e2e.events(st, "ExecutionCompleted"))), (1, 1),
           "continue-as-new: the history holds only the last execution")

    for preserve, want in ((True, [1, 2]), (False, [3, 4])):
        what = "continue-as-new %s unprocessed events" % ("keeping" if preserve else "dropping")
        iid = api.start("CanEvents", {"preserve": preserve})
        api.wait_custom(iid, "gen0 waiting Start")
        for n in (1, 2):  # nobody waits for Item yet
            api.raise_event(iid, "Item", n)
        api.raise_event(iid, "Start", None)
        if not preserve:
            st = api.wait_custom(iid, "gen1 waiting Item")
            tap.eq((st.get("runtimeStatus"), st.get("output")), ("Running", None),
                   f"{what}: the new execution still waits for Item")
            for n in (3, 4):
                api.raise_event(iid, "Item", n)
        completed(api.wait(iid), want, what)


def retries(s):
    api = s.api
    iid = api.start("Retry", {"failures": 2, "attempts": 3})
    st = api.wait(iid, history=True)
    completed(st, 3, "retry: succeeds at the third attempt")
    tap.eq([e.get("Reason") for e in e2e.events(st, "TaskFailed")],
           ["FailTimes: attempt 1 fails", "FailTimes: attempt 2 fails"], "retry: two TaskFailed with their reasons")
    tap.eq([e.get("Result") for e in e2e.events(st, "TaskCompleted")], [3], "retry: one TaskCompleted")

    iid = api.start("Retry", {"failures": 100, "attempts": 3})
    st = api.wait(iid, history=True)
    failed_with(st, "Orchestrator function 'Retry' failed: ", "FailTimes: attempt 3 fails", "retry: always failing")
    tap.eq((len(e2e.events(st, "TaskFailed")), len(e2e.events(st, "TaskCompleted"))), (3, 0),
           "retry: always failing: three attempts, then no more")


def fan_out(s):
    api = s.api
    iid = api.start("FanOut", FANOUT)
    st = api.wait(iid, timeout=300, history=True)
    completed(st, {"count": FANOUT, "sum": FANOUT * (FANOUT + 1)}, f"fan-out/fan-in of {FANOUT}")
    tap.eq(len(e2e.events(st, "TaskCompleted")), FANOUT, f"fan-out/fan-in: {FANOUT} TaskCompleted in the history")


# ---- limits and versions -----------------------------------------------------------


def big_status(s):
    api = s.api
    for size, ch in ((8701, "x"), (8702, "x"), (20000, "x"), (8701, "\u20ac"), (8702, "\u20ac"),
                     (4350, "\U0001F600"), (4351, "\U0001F600")):
        text = '"' + ch * size + '"'
        kb = int(len(text.encode("utf-16-le")) / 1024.0)  # spec §4: (int)(bytes / 1024.0)
        what = f"custom status of {size} x U+{ord(ch):04X} ({kb} KB)"
        iid = api.start("BigStatus", {"size": size, "char": ch})
        st = api.wait(iid)
        if kb <= 16:
            tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")),
                   ("Completed", "ok", ch * size), f"{what}: accepted")
        else:
            tap.eq((st.get("runtimeStatus"), st.get("output")),
                   ("Failed", "Orchestrator function 'BigStatus' failed: The UTF-16 size of the JSON-serialized "
                    f"payload must not exceed 16 KB. The current payload size is {kb} KB."),
                   f"{what}: Failed with the exact message")
            tap.ok(st.get("customStatus") != ch * size, f"{what}: the oversized status is not stored")


def non_determinism(s):
    api = s.api
    iid = api.start("Changing")
    st = api.wait_custom(iid, "waiting")
    tap.eq(st.get("customStatus"), "waiting", "non-determinism: v1 called StepA and waits")
    rc = s.daemon.stop()
    tap.eq(rc, 0, "taskhubd exits 0 on SIGTERM")
    s.daemon.start(app=daemon.install_app(e2e.test_app(2), s.root, "app-v2"))
    tap.eq(api.raise_event(iid, "Continue", None).status, 202, "non-determinism: raise Continue under v2 -> 202")
    st = api.wait(iid)
    failed_with(st, "Orchestrator function 'Changing' failed: Non-Deterministic workflow detected:", "StepA",
                "non-determinism: replay under v2")
    fresh = api.start("Changing")
    api.wait_custom(fresh, "waiting")
    api.raise_event(fresh, "Continue", None)
    completed(api.wait(fresh), "v2", "non-determinism: a new instance runs v2")


def huge_activity_output(s):
    """An activity result over the store's 4 MiB cap fails that task with
    a clear reason (it used to abort every result recorded with it and
    run the activity again and again)."""
    s.api.start("HugeResult", None, "huge-result")
    st = s.api.wait("huge-result")
    tap.eq(st.get("runtimeStatus"), "Completed", "huge activity output: the orchestration goes on")
    tap.eq(st.get("output"), "Activity function 'HugeOutput' returned an output of more than the 4194304-byte limit.",
           "huge activity output: the task failed with the reason")


def send_then_continue(s):
    """Events sent in the last episode of an execution that continues as
    new reach their target (they used to be dropped)."""
    s.api.start("LongWait", None, "stc-target")
    s.api.wait_custom("stc-target", "waiting")
    s.api.start("SendThenContinue", {"target": "stc-target", "round": 0}, "stc-sender")
    st = s.api.wait("stc-sender")
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", "done"),
           "send then continue-as-new: the sender completes its second execution")
    st = s.api.wait("stc-target")
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", "from the first execution"),
           "send then continue-as-new: the event reached its target")


def main():
    e2e.require(e2e.test_app(1), e2e.test_app(2))
    with e2e.stack(e2e.test_app(1)) as s:
        e2e.run_parts(tap, [timer, events_after, events_before, wait_timeout, send_event, terminate,
                            suspend_resume, rewind, restart, sub_orchestrations, continue_as_new, retries,
                            fan_out, big_status, huge_activity_output, send_then_continue, non_determinism], s)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
