#!/usr/bin/env python3
"""test_samples.py — the seed samples (samples/app) end to end: lighttpd in
front of taskhub.fcgi, taskhubd running the sample app, every request
through the management API.

- the wake: the daemon runs with TASKHUB_RESCAN_SECONDS=3600 (its periodic
  rescan an hour apart), goes idle, and an instance started then completes:
  only the wake datagram the responder sends after its commit can have told
  the daemon. (Should the daemon ignore the variable, the wait is still
  bounded below its default 30 s rescan period, so the check keeps its
  meaning; the bound is not a speed assertion.)
- HelloSequence: output ["Hello Tokyo!","Hello Seattle!","Hello London!"],
  final custom status "London", the custom statuses seen while it runs in
  the order Tokyo, Seattle, London, and its history (three SayHello
  results, in order);
- CityRecommender 1, 2, 3: the seed's custom statuses, output null; any
  other input fails with the sample's message;
- BookingFlow: the discount status, then BookingConfirmed true, false, and
  no event within discountTimeout;
- SetStatusTest: {"nextActions":["A","B","C"],"foo":2} after completion.

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import os  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
import test_api as T  # noqa: E402

HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
CITY = {
    1: {"recommendedCities": ["Tokyo", "Seattle"], "recommendedSeasons": ["Spring", "Summer"]},
    2: {"recommendedCities": ["Seattle", "London"], "recommendedSeasons": ["Summer"]},
    3: {"recommendedCities": ["Tokyo", "London"], "recommendedSeasons": ["Spring", "Summer"]},
}
THANKS = {"message": "Thank you for confirming your booking."}
LATE = {"message": "The booking was not confirmed on time. Please try again."}
WAKE_BOUND = 20.0  # below the daemon's default 30 s rescan period (see above)

tap = T.Tap()


def discount(user):
    """samples/booking.c: 5 + (sum of the user ID's bytes) mod 16."""
    return 5 + sum(user.encode("utf-8")) % 16


def check_hello(api, iid, what):
    st = api.wait(iid, history=True)
    tap.eq(st.get("runtimeStatus"), "Completed", f"{what}: Completed")
    tap.eq(st.get("output"), HELLO, f"{what}: output")
    tap.eq(st.get("customStatus"), "London", f"{what}: final custom status \"London\"")
    tap.eq(e2e.history_types(st), ["ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted",
                                   "ExecutionCompleted"], f"{what}: history events")
    done = e2e.events(st, "TaskCompleted")
    tap.eq([(e.get("FunctionName"), e.get("Result")) for e in done], [("SayHello", h) for h in HELLO],
           f"{what}: SayHello results in order")
    ec = e2e.events(st, "ExecutionCompleted")
    tap.eq([(e.get("OrchestrationStatus"), e.get("Result")) for e in ec], [("Completed", HELLO)],
           f"{what}: ExecutionCompleted carries the output")
    return st


def wake(s):
    """Idle daemon, then a start: it runs without any rescan."""
    for round_no in (1, 2):
        time.sleep(1.5)  # the daemon has nothing to do: it sleeps in poll()
        iid = s.api.start("HelloSequence")
        st = s.api.wait(iid, timeout=WAKE_BOUND)
        tap.eq(st.get("runtimeStatus"), "Completed",
               f"wake {round_no}: an instance started while the daemon sleeps completes (rescan period 3600 s)")


def hello(s):
    api = s.api
    r = api.start_resp("HelloSequence", raw=b"")
    tap.eq(r.status, 202, "HelloSequence: start -> 202")
    iid = r.json()["id"]
    # The custom statuses a client sees while polling: a subsequence of
    # null, Tokyo, Seattle, London, in that order.
    order = [None, "Tokyo", "Seattle", "London"]
    seen = []
    deadline = time.monotonic() + e2e.WAIT_TIMEOUT
    while time.monotonic() < deadline:
        st = api.status(iid)
        cs = st.get("customStatus")
        if not seen or seen[-1] != cs:
            seen.append(cs)
        if st["runtimeStatus"] in e2e.TERMINAL:
            break
        time.sleep(0.01)
    idx = [order.index(c) if c in order else -1 for c in seen]
    tap.ok(-1 not in idx and idx == sorted(idx), "HelloSequence: custom status advances Tokyo, Seattle, London",
           f"seen {seen!r}")
    st = check_hello(api, iid, "HelloSequence")
    tap.eq(st.get("input"), None, "HelloSequence: input null (empty body)")


def city(s):
    api = s.api
    for choice, want in CITY.items():
        iid = api.start("CityRecommender", choice)
        st = api.wait(iid)
        tap.eq((st.get("runtimeStatus"), st.get("customStatus"), st.get("output")), ("Completed", want, None),
               f"CityRecommender {choice}: Completed, custom status {want}, output null")
    for bad, text in ((4, "4"), ("Paris", '"Paris"')):
        iid = api.start("CityRecommender", bad)
        st = api.wait(iid)
        tap.eq((st.get("runtimeStatus"), st.get("output")),
               ("Failed", "Orchestrator function 'CityRecommender' failed: CityRecommender expects the "
                f"user's choice 1, 2 or 3 as input, not {text}"),
               f"CityRecommender {bad!r}: Failed with the sample's message")


def booking_started(api, input_, user, timeout, what):
    iid = api.start("BookingFlow", input_)
    want = {"discount": discount(user), "discountTimeout": timeout, "bookingUrl": ""}
    st = api.wait_custom(iid, want)
    tap.eq(st.get("customStatus"), want, f"{what}: custom status with the discount")
    tap.eq(st.get("runtimeStatus"), "Running", f"{what}: Running while it waits for the confirmation")
    return iid


def booking(s):
    api = s.api
    # The seed's input (a user ID) and its 60 s limit; confirmed well before.
    iid = booking_started(api, "user42", "user42", 60, "BookingFlow confirmed")
    r = api.raise_event(iid, "BookingConfirmed", True)
    tap.eq(r.status, 202, "BookingFlow confirmed: raise BookingConfirmed -> 202")
    st = api.wait(iid, history=True)
    tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")), ("Completed", True, THANKS),
           "BookingFlow confirmed: output true, thank-you message (the wait's own timer does not hold it)")
    tap.eq([e.get("FunctionName") for e in e2e.events(st, "TaskCompleted")], ["CalculateDiscount"],
           "BookingFlow confirmed: CalculateDiscount ran once")
    tap.eq(len(e2e.events(st, "EventRaised")), 1, "BookingFlow confirmed: one EventRaised in the history")

    # Not confirmed (false), the event named as the JavaScript seed does.
    iid = booking_started(api, {"userId": "alice", "discountTimeout": 600}, "alice", 600, "BookingFlow declined")
    tap.eq(api.raise_event(iid, "bookingConfirmed", False).status, 202,
           "BookingFlow declined: raise bookingConfirmed (case-insensitive name) -> 202")
    st = api.wait(iid)
    tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")), ("Completed", False, LATE),
           "BookingFlow declined: output false, not-confirmed message")

    # No event: the time limit ends the wait.
    iid = booking_started(api, {"userId": "bob", "discountTimeout": 2}, "bob", 2, "BookingFlow timeout")
    st = api.wait(iid, history=True)
    tap.eq((st.get("runtimeStatus"), st.get("output"), st.get("customStatus")), ("Completed", False, LATE),
           "BookingFlow timeout: output false, not-confirmed message")
    tap.eq((len(e2e.events(st, "TimerFired")), len(e2e.events(st, "EventRaised"))), (1, 0),
           "BookingFlow timeout: the timeout timer fired, no event was raised")

    # A numeric user ID, as the Python seed passes it.
    iid = booking_started(api, 7, "7", 60, "BookingFlow numeric user")
    api.raise_event(iid, "BookingConfirmed", True)
    st = api.wait(iid)
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", True), "BookingFlow numeric user: output true")


def set_status(s):
    api = s.api
    iid = api.start("SetStatusTest")
    st = api.wait(iid, history=True)
    tap.eq((st.get("runtimeStatus"), st.get("customStatus"), st.get("output")),
           ("Completed", {"nextActions": ["A", "B", "C"], "foo": 2}, None),
           "SetStatusTest: Completed with the custom status of the seed")
    tap.eq([(e.get("FunctionName"), e.get("Result")) for e in e2e.events(st, "TaskCompleted")],
           [("SayHello", "Hello SetStatusTest!")], "SetStatusTest: its \"more work\" activity ran once")
    # The same payload through the instance list, as a client polling the
    # collection sees it.
    r = s.api.call("GET", "instances", "instanceIdPrefix=" + T.q(iid))
    rows = [x for x in (r.json() if r.status == 200 else []) if x.get("instanceId") == iid]
    tap.eq([x.get("customStatus") for x in rows], [{"nextActions": ["A", "B", "C"], "foo": 2}],
           "SetStatusTest: custom status in GET instances")


def main():
    e2e.require(e2e.samples_app())
    with e2e.stack(e2e.samples_app(), daemon_env={"TASKHUB_RESCAN_SECONDS": "3600"}) as s:
        e2e.run_parts(tap, [wake, hello, city, booking, set_status], s)
        rc = s.daemon.stop()
        tap.eq(rc, 0, "taskhubd exits 0 on SIGTERM")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
