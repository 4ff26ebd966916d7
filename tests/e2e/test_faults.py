#!/usr/bin/env python3
"""test_faults.py — process faults under load: for PF_SECONDS, responder
processes and taskhubd are killed with SIGKILL again and again while
clients start instances and raise events; afterwards every acknowledged
start has completed with exactly the right output and history, and the
environment is clean, without anyone running recovery by hand.

test_crash.py kills only the daemon, at chosen moments of a burst; this
test adds the web servers' side and runs the faults for a stretch of time:

- the stack: lighttpd (mod_fastcgi, its pool of taskhub.fcgi) and Apache
  with mod_fcgid (its own pool), both in front of one environment, and
  taskhubd running samples/app, durability full (fsync on commit);
- the load: PF_CLIENTS client threads, each starting instances with IDs of
  its own (pf-C-N) on either server, one at a time with a short pause,
  until PF_SECONDS are over (and at most PF_MAX_STARTS starts in all):
  HelloSequence (three activities), BookingFlow confirmed by a
  BookingConfirmed event the client raises right after the start (an
  external event and a timer that is cancelled), BookingFlow left to its
  2 s timer (a timer that fires), CounterUser on a key of its own (an
  entity signalled and called);
- the faults: one thread SIGKILLs a random taskhub.fcgi process of each
  server in turn every 0.5 to 3 s (the web server starts a new one); another
  SIGKILLs taskhubd (its process group) every 2 to 6 s and starts it again
  after 0 to 1 s, as an init system's Restart=always would.

A client behaves as a careful real one (docs/http-api.md): a start with an
instance ID is acknowledged by a 202, or by a 409 "already exists" when an
earlier attempt committed but its answer was lost; no answer or a 5xx
(the responder died under the request, or left after a stall, see
docs/store.md) is retried. Such an attempt may or may not have committed,
and the test keeps count ("unknown outcomes"): a start that committed,
lost its answer and is retried after the instance finished replaces it
(documented), and a raised event retried that way may be recorded twice.
The checks allow exactly that much and no more.

After the faults stop (taskhubd running, nothing killed any more), with a
bound on the wait but no assertion on speed:
- every acknowledged start exists and is Completed with its exact output
  and custom status, and its history (GET showHistory=true) is exactly the
  expected list of events: a duplicated episode, activity result, timer or
  entity response shows as an extra event, a lost one as a missing one;
- the Counter entity of each CounterUser holds the value it returned;
- the store holds no instance nobody asked for (`taskhubctl stats`);
- `taskhubctl check` reports every hub ok; no recovery was run by hand.
The counts (starts acknowledged, attempts retried, kills of each kind) are
printed as TAP diagnostics.

Environment: PF_SECONDS (default 15: the test suite's short run;
tests/stress/process-faults.sh runs 300), PF_CLIENTS (4), PF_MAX_STARTS
(50000), TASKHUB_E2E_SEED (the random choices; the seed used is printed).
TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import e2e  # noqa: E402
import harness  # noqa: E402
import test_api as T  # noqa: E402

SECONDS = float(os.environ.get("PF_SECONDS") or 15)
CLIENTS = int(os.environ.get("PF_CLIENTS") or 4)
MAX_STARTS = int(os.environ.get("PF_MAX_STARTS") or 50000)
SERVERS = ("lighttpd", "apache-fcgid")
RESPONDER_KILL_EVERY = (0.5, 3.0)  # seconds between two responder kills
DAEMON_KILL_EVERY = (2.0, 6.0)  # seconds between a daemon restart and its next kill
RESTART_DELAY = (0.0, 1.0)  # seconds the "init system" waits before restarting it
CLIENT_PAUSE = (0.0, 0.05)  # seconds a client waits between two instances
REQUEST_TIMEOUT = 30.0  # seconds one request may take before it counts as unanswered
# Seconds a client keeps retrying one request: longer than the stall watch
# (docs/store.md: a responder blocked on a dead process's mutex leaves
# after 15 s, the daemon re-executes itself after 20 s) several times over.
ACK_TIMEOUT = 120.0
FINISH_TIMEOUT = 300.0  # seconds for every instance to finish once the faults stop

HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
THANKS = {"message": "Thank you for confirming your booking."}
LATE = {"message": "The booking was not confirmed on time. Please try again."}
KINDS = ("hello", "hello", "hello", "hello", "confirmed", "timeout", "counter")

tap = T.Tap()


def discount(user):
    """samples/booking.c: 5 + (sum of the user ID's bytes) mod 16."""
    return 5 + sum(user.encode("utf-8")) % 16


class Start:
    """One instance a client asked for: its kind, orchestrator and input,
    whether the start (and the event, for "confirmed") was acknowledged,
    and how many attempts had an unknown outcome."""

    def __init__(self, iid, kind):
        self.iid = iid
        self.kind = kind
        self.acked = False
        self.unknown = 0  # start attempts that may have committed unseen
        self.event_acked = kind != "confirmed"
        self.event_unknown = 0
        self.key = "key-" + iid
        self.user = "user-" + iid
        if kind == "hello":
            self.name, self.input = "HelloSequence", None
        elif kind == "counter":
            self.name, self.input = "CounterUser", self.key
        else:
            self.name = "BookingFlow"
            self.input = {"userId": self.user, "discountTimeout": 600 if kind == "confirmed" else 2}


class Load:
    """What the clients did, shared between their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.starts = []
        self.outcomes = collections.Counter()  # "start 202", "event 5xx", ...
        self.notes = []  # a few unacknowledged attempts, for the diagnostics

    def count(self, what, note=None):
        with self.lock:
            self.outcomes[what] += 1
            if note and len(self.notes) < 20:
                self.notes.append(note)


def attempt(load, what, call, accept):
    """Sends call() until accept(resp) says it is acknowledged (True), or
    ACK_TIMEOUT passes; counts every outcome as `what STATUS`. Returns
    (acknowledged, attempts with an unknown outcome: no answer or 5xx)."""
    unknown = 0
    deadline = time.monotonic() + ACK_TIMEOUT
    while time.monotonic() < deadline:
        try:
            r = call()
        except OSError as e:  # refused, reset, socket.timeout
            load.count(what + " no answer", f"{what}: {e!r}")
            unknown += 1
            time.sleep(0.1)
            continue
        verdict = accept(r)
        note = None if verdict else f"{what}: {r.status} {T.short(r.body, 160)}"
        load.count(f"{what} {r.status}", note)
        if verdict:
            return True, unknown
        if r.status >= 500:
            unknown += 1
        elif verdict is None:
            # A refusal that says the request did not happen and never
            # will (4xx): no retry helps.
            return False, unknown
        time.sleep(0.1)
    return False, unknown


def start_one(load, api, st):
    def accept(r):
        if r.status == 202:
            return True
        if r.status == 409 and T.is_error(r, 409, f"An instance with ID '{st.iid}' already exists.") is None:
            return True
        return False if r.status >= 500 else None
    st.acked, st.unknown = attempt(load, "start", lambda: api().start_resp(st.name, st.input, st.iid,
                                                                            timeout=REQUEST_TIMEOUT), accept)


def confirm(load, api, st):
    """Raises BookingConfirmed true: 202 recorded; 410 means the instance
    already finished, which without this event it cannot have done (its
    timer is 600 s), so an earlier attempt was recorded."""
    def accept(r):
        if r.status in (202, 410):
            return True
        return False if r.status >= 500 else None
    st.event_acked, st.event_unknown = attempt(
        load, "event", lambda: api().call("POST", "instances/%s/raiseEvent/BookingConfirmed" % T.q(st.iid),
                                          body=b"true", headers=[T.CT_JSON], timeout=REQUEST_TIMEOUT), accept)


def client(load, apis, cid, stop_at, rng, budget):
    def api():
        return rng.choice(apis)
    n = 0
    while time.monotonic() < stop_at and budget.acquire(blocking=False):
        st = Start("pf-%d-%05d" % (cid, n), rng.choice(KINDS))
        n += 1
        with load.lock:
            load.starts.append(st)
        start_one(load, api, st)
        if st.acked and st.kind == "confirmed":
            confirm(load, api, st)
        time.sleep(rng.uniform(*CLIENT_PAUSE))


# ---- the faults ---------------------------------------------------------------


def responders(server):
    """PIDs of the taskhub.fcgi processes a server runs right now."""
    out = []
    for pid in server.pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(os.path.basename(a) == b"taskhub.fcgi" for a in argv[:4]):
            out.append(pid)
    return out


def kill_responders(servers, stop, rng, kills):
    """Every 0.5 to 3 s a random responder, of each server in turn (so
    that even a short run hits both)."""
    turn = 0
    while not stop.wait(rng.uniform(*RESPONDER_KILL_EVERY)):
        srv = servers[turn % len(servers)]
        turn += 1
        pids = responders(srv)
        if not pids:
            kills[srv.kind + " none running"] += 1
            continue
        try:
            os.kill(rng.choice(pids), signal.SIGKILL)
            kills[srv.kind] += 1
        except ProcessLookupError:
            kills[srv.kind + " already gone"] += 1


def kill_daemon(d, stop, rng, kills, errors):
    while not stop.wait(rng.uniform(*DAEMON_KILL_EVERY)):
        if d.alive():
            d.kill()
            kills["taskhubd"] += 1
        else:
            kills["taskhubd found dead"] += 1
        time.sleep(rng.uniform(*RESTART_DELAY))
        restart(d, errors)
    if not d.alive():
        restart(d, errors)


def restart(d, errors):
    """Starts the daemon as an init system would: again until it runs
    (bounded); every failed start is recorded."""
    for _ in range(10):
        try:
            d.start()
            return
        except daemon.DaemonError as e:
            errors.append(str(e)[-2000:])
            time.sleep(1.0)


# ---- the checks -----------------------------------------------------------------


def expected(st, status):
    """What is wrong with an instance's final status (with history), as a
    list of problems; empty when it is exactly right."""
    problems = []
    got = (status.get("runtimeStatus"), status.get("output"), status.get("customStatus"))
    types = e2e.history_types(status)
    hist_ok = True
    if st.kind == "hello":
        want = ("Completed", HELLO, "London")
        hist_ok = types == ["ExecutionStarted"] + ["TaskCompleted"] * 3 + ["ExecutionCompleted"]
        results = [(e.get("FunctionName"), e.get("Result")) for e in e2e.events(status, "TaskCompleted")]
        if results != [("SayHello", h) for h in HELLO]:
            problems.append(f"activity results {results!r}")
    elif st.kind == "counter":
        # Each run signals add(5): a start that committed unseen and was
        # retried after the instance finished replaced it and ran again.
        out = status.get("output") if isinstance(status.get("output"), dict) else {}
        runs = out.get("value", 0) // 5 if isinstance(out.get("value"), int) else 0
        if out.get("value") != 5 * runs or not 1 <= runs <= 1 + st.unknown:
            problems.append(f"counter value {out.get('value')!r} after at most {1 + st.unknown} runs")
        want = ("Completed", {"value": out.get("value"), "error": "add expects an integer"}, None)
        hist_ok = types == ["ExecutionStarted", "EventSent", "EventSent", "EventRaised", "EventSent",
                            "EventRaised", "ExecutionCompleted"]
    elif st.kind == "confirmed":
        want = ("Completed", True, THANKS)
        # The event may arrive before or after the activity's result; a
        # retried raise whose first attempt committed unseen may be there
        # twice, never more often than attempts were sent.
        raised = types.count("EventRaised")
        middle = [t for t in types[1:-1] if t != "EventRaised"]
        hist_ok = (types[:1] == ["ExecutionStarted"] and types[-1:] == ["ExecutionCompleted"] and
                   middle == ["TaskCompleted", "TimerCreated"] and 1 <= raised <= 1 + st.event_unknown)
    else:
        want = ("Completed", False, LATE)
        hist_ok = types == ["ExecutionStarted", "TaskCompleted", "TimerCreated", "TimerFired", "ExecutionCompleted"]
    if st.kind in ("confirmed", "timeout"):
        results = [(e.get("FunctionName"), e.get("Result")) for e in e2e.events(status, "TaskCompleted")]
        if results != [("CalculateDiscount", discount(st.user))]:
            problems.append(f"activity results {results!r}")
    if got != want:
        problems.append(f"status {got!r}, want {want!r}")
    if not hist_ok:
        problems.append(f"history {types!r}")
    return problems


def finish(api, starts):
    """Waits (bounded) until every acknowledged instance is terminal; the
    ones that are not."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    pending = [st.iid for st in starts]
    while pending and time.monotonic() < deadline:
        pending = [i for i in pending if (api.status(i) or {}).get("runtimeStatus") not in e2e.TERMINAL]
        if pending:
            time.sleep(0.2)
    return pending


def verify(s, starts):
    api = s.api
    bad = []
    for st in starts:
        status = api.status(st.iid, history=True)
        problems = ["unknown (404)"] if status is None else expected(st, status)
        if status is not None and st.kind == "counter" and not problems:
            r = api.call("GET", "entities/Counter/%s" % T.q(st.key))
            if r.status != 200 or r.json_or_none() != status["output"]["value"]:
                problems.append(f"entity state {r.status} {T.short(r.body, 80)}")
        if problems:
            bad.append(f"{st.iid} ({st.kind}): " + "; ".join(problems))
    tap.ok(not bad, f"all {len(starts)} acknowledged instances Completed with the right output, custom status "
           "and history (nothing duplicated or lost)",
           "\n".join(bad[:20]) + (f"\n... {len(bad)} in all" if len(bad) > 20 else ""))


def ctl(s, *args):
    r = subprocess.run([T.program("taskhubctl"), "-c", s.env.conf] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    return r.returncode, r.stdout


def check_store(s, load):
    rc, out = ctl(s, "check")
    tap.ok(rc == 0 and out.strip() == "hub %s: ok" % T.HUB, "taskhubctl check: every hub ok",
           f"exit {rc}\n{out[-3000:]}")
    rc, out = ctl(s, "stats", "--json")
    hubs = (json.loads(out).get("hubs") if rc == 0 else None) or [{}]
    hub = hubs[0]
    tap.diag("stats: " + json.dumps(hub, sort_keys=True))
    # Every instance in the store is one a client asked for; the ones
    # whose start was never acknowledged may or may not be there.
    asked = len(load.starts)
    acked = sum(st.acked for st in load.starts)
    tap.ok(acked <= hub.get("instances", -1) <= asked,
           "the store holds the acknowledged instances and no instance nobody asked for",
           f"instances {hub.get('instances')!r}, acknowledged {acked}, asked for {asked}")


# ---- the run ------------------------------------------------------------------------


def campaign(s, rng):
    load = Load()
    servers = [t.extra for t in s.targets]
    apis = [e2e.Api(t) for t in s.targets]
    tap.eq(sorted(t.kind for t in servers), sorted(SERVERS), "lighttpd and Apache mod_fcgid in front of the hub")
    kills = collections.Counter()
    daemon_errors = []
    stop = threading.Event()
    stop_at = time.monotonic() + SECONDS
    budget = threading.BoundedSemaphore(MAX_STARTS)
    seeds = [rng.randrange(1 << 30) for _ in range(CLIENTS + 2)]
    t0 = time.monotonic()
    faults = [threading.Thread(target=kill_responders, args=(servers, stop, random.Random(seeds[0]), kills)),
              threading.Thread(target=kill_daemon, args=(s.daemon, stop, random.Random(seeds[1]), kills,
                                                         daemon_errors))]
    clients = [threading.Thread(target=client, args=(load, apis, c, stop_at, random.Random(seeds[2 + c]), budget))
               for c in range(CLIENTS)]
    for t in faults + clients:
        t.start()
    # The faults go on for the whole duration, and for as long as a client
    # still retries its last request (that is, past stop_at at most by the
    # retry bound).
    for t in clients:
        t.join()
    load_s = time.monotonic() - t0
    stop.set()
    for t in faults:
        t.join()
    tap.diag(f"load and faults for {load_s:.1f} s ({SECONDS:.0f} s asked), {CLIENTS} clients")
    tap.diag("kills: " + ", ".join(f"{k} {v}" for k, v in sorted(kills.items())))
    tap.diag("request outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(load.outcomes.items())))
    for n in load.notes[:5]:
        tap.diag("  e.g. " + n)
    by_kind = collections.Counter(st.kind for st in load.starts if st.acked)
    acked = [st for st in load.starts if st.acked]
    tap.diag(f"starts: {len(load.starts)} asked, {len(acked)} acknowledged (" +
             ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) + f"), "
             f"{sum(st.unknown > 0 for st in acked)} after an attempt with an unknown outcome")
    tap.ok(kills["taskhubd"] >= 1 and sum(kills[k] for k in SERVERS) >= 1 and all(kills[k] for k in SERVERS),
           "taskhubd and responders of both servers were killed", dict(kills))
    tap.ok(not daemon_errors, "taskhubd started again after every kill",
           "\n".join(daemon_errors[:3]))
    lost = [st.iid for st in load.starts if not st.acked]
    tap.ok(not lost, "every start acknowledged (202, or 409 after an attempt whose answer was lost)",
           f"{len(lost)}: {lost[:10]}\n" + "\n".join(load.notes))
    unconfirmed = [st.iid for st in acked if not st.event_acked]
    tap.ok(not unconfirmed, "every BookingConfirmed event acknowledged (202, or 410 once it had finished)",
           f"{unconfirmed[:10]}\n" + "\n".join(load.notes))
    for api, srv in zip(apis, servers):
        # mod_fcgid starts a responder when a request needs one: ask first.
        r = api.call("GET", "instances", "top=1", timeout=REQUEST_TIMEOUT)
        tap.ok(srv.proc.poll() is None and r.status == 200 and responders(srv),
               f"{srv.kind} still runs and answers, through a responder it started again",
               f"{r!r}\n{srv.error_log(20)}")
    # Responders and daemons that found a dead process's mutex and left
    # (docs/store.md, the stall watch): counted from their logs, not asserted.
    stalls = sum(srv.error_log().count("has been blocked for") for srv in servers)
    with open(s.daemon.log_path, errors="replace") as f:
        dstalls = f.read().count("has been blocked for")
    tap.diag(f"stall watch: {stalls} responder exits, {dstalls} taskhubd re-executions")
    tap.ok(s.daemon.alive(), "taskhubd runs after the faults stop", s.daemon.log_tail())
    t1 = time.monotonic()
    pending = finish(s.api, acked)
    tap.ok(not pending, "every acknowledged instance finished once the faults stopped",
           f"{len(pending)} unfinished, e.g. {pending[:5]}\n{s.daemon.log_tail()}")
    tap.diag(f"finished {time.monotonic() - t1:.1f} s after the faults stopped (not asserted)")
    verify(s, acked)
    check_store(s, load)
    abandoned_regions(s, servers)
    servers_stop(servers)
    return load, kills


def abandoned_regions(s, servers):
    """Reported, not asserted (an open defect): a process that reopened
    the environment after another one's recovery still maps the regions of
    the environment it left (Berkeley DB's close of a panicked environment
    returns early), so their deleted files keep their disk blocks."""
    counts = []
    for pid in [s.daemon.proc.pid] + sorted({p for srv in servers for p in responders(srv)}):
        try:
            with open("/proc/%d/maps" % pid) as f:
                counts.append(sum("/__db." in ln and ln.rstrip().endswith("(deleted)") for ln in f))
        except OSError:
            pass
    tap.diag(f"mappings of deleted region files per process (taskhubd first): {counts}")


def servers_stop(servers):
    """Stops the web servers (SIGTERM, as at a reload): every responder
    they ran, including those started after a kill or a recovery, must
    exit by itself (bounded; nothing about speed is asserted)."""
    pids = sorted({p for srv in servers for p in responders(srv)})
    for srv in servers:
        srv.stop()
    deadline = time.monotonic() + 30 * harness.timeout_scale()
    left = pids
    while left and time.monotonic() < deadline:
        left = [p for p in left if os.path.exists("/proc/%d" % p) and proc_state(p) != "Z"]
        time.sleep(0.1)
    tap.ok(not left, f"all {len(pids)} responders exit once their web servers stop",
           "still running: " + ", ".join(f"{p} ({proc_state(p)})" for p in left))


def proc_state(pid):
    """The process's state letter (R, S, D, Z...), or "gone"."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def main():
    e2e.require(e2e.samples_app())
    for k in SERVERS:
        m = harness.KINDS[k].missing()
        if m:
            T.skip_all(f"{k}: {m} is not installed")
    seed = int(os.environ.get("TASKHUB_E2E_SEED") or time.time_ns() % 1000000)
    tap.diag(f"seed {seed} (TASKHUB_E2E_SEED={seed} repeats the random choices, not the timing)")
    t0 = time.monotonic()
    with e2e.stack(e2e.samples_app(), durability="full", kinds=SERVERS) as s:
        try:
            campaign(s, random.Random(seed))
            tap.eq(s.daemon.stop(), 0, "taskhubd exits 0 on SIGTERM after the faults")
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            import traceback
            tap.ok(False, "the process-fault test ran to the end",
                   "".join(traceback.format_exception(type(e), e, e.__traceback__))[-3000:] + "\n" +
                   s.daemon.log_tail())
    tap.diag(f"{time.monotonic() - t0:.1f} s in all (not asserted)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
