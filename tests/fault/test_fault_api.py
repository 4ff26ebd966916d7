#!/usr/bin/env python3
"""test_fault_api.py — fault-injection sweeps over the management API,
through the real responder run as CGI by a real lighttpd on 127.0.0.1
(one process per request, so every request starts with its own count).

For each kind of request (start, status with history, list, raise event,
terminate, purge, entity signal) and each site (allocation, Berkeley DB
write as deadlock / ENOSPC / EIO, wake datagram), the request is made
with the Nth occurrence failing, for N over the request's occurrences
(tests/fault/sweep.py chooses them). Every answer must be:

- the normal one when nothing failed, when the failure was a deadlock
  (retried) or a lost wake datagram (the daemon's rescan covers it);
- otherwise the normal one or a 500/503 with the API's JSON error body;

and after it: no sanitizer report from the responder, the store
consistent (`taskhubctl check`), the request's effect all there or not
there at all (an instance exists with its input or not at all, an event
is in the inbox once or not at all, a purged instance is gone or whole),
and the next request without a fault answered normally.

The web server runs the responder through TH_WRAP (tests/http/harness.py)
as `env TASKHUB_FAULT=@FILE ...`: the test rewrites FILE between requests.
TASKHUB_SWEEP_BUDGET as in test_fault_unit.py. Skipped (1..0) in a build
without --enable-fault-inject.
"""

import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))

import harness as h  # noqa: E402
import sweep  # noqa: E402
import test_api as T  # noqa: E402

SITES = ("alloc", "dbwrite:deadlock", "dbwrite:nospace", "dbwrite:io", "wake")
BUDGET = {"alloc": 30, "dbwrite:deadlock": 4, "dbwrite:nospace": 4, "dbwrite:io": 4, "wake": 2}
INPUT = b'{"city":"Tokyo","n":[1,2,3]}'


class Faults:
    """The spec file the wrapped responder reads, its log and the
    sanitizers' report directory, all writable by the server's user."""

    def __init__(self, root):
        self.dir = os.path.join(root, "fault")
        self.san = os.path.join(self.dir, "san")
        os.makedirs(self.san)
        os.chmod(self.dir, 0o777)
        os.chmod(self.san, 0o777)
        self.spec = os.path.join(self.dir, "spec")
        self.log = os.path.join(self.dir, "log")
        self.set("")

    def wrap(self):
        opts = sweep.sanitizer_env(self.san)
        words = ["env", "TASKHUB_FAULT=@" + self.spec, "TASKHUB_FAULT_LOG=" + self.log]
        words += ["%s=%s" % kv for kv in sorted(opts.items())]
        return " ".join(words)

    def set(self, spec):
        with open(self.spec, "w") as f:
            f.write(spec + "\n")
        os.chmod(self.spec, 0o644)

    def reset(self):
        for name in os.listdir(self.san):
            os.unlink(os.path.join(self.san, name))
        if os.path.exists(self.log):
            os.unlink(self.log)


# ---- the requests -----------------------------------------------------------
# Each scenario: prepare(ctx) makes what the request needs without faults,
# request(ctx) makes it, expect is its normal status, effect(ctx, r) says
# what is wrong with the store afterwards (None when all or nothing).


class Scenario:
    def __init__(self, name, expect, prepare, request, effect):
        self.name, self.expect = name, expect
        self.prepare, self.request, self.effect = prepare, request, effect


def _new_pending(ctx):
    T.make_instance(ctx.t, ctx.env, ctx.iid, input_=INPUT)


def _new_completed(ctx):
    T.make_instance(ctx.t, ctx.env, ctx.iid, status="Completed", input_=INPUT, output='"done"')


def _effect_start(ctx, r):
    st = ctx.env.status(ctx.iid)
    if r.status == 202 and st is None:
        return "start answered 202 but the instance does not exist"
    if st is not None and st.get("status") != "Pending":
        return "the started instance is %r" % st
    if st is not None:
        g = T.call(ctx.t, "GET", "instances/" + ctx.iid, "showInput=true")
        if (g.json_or_none() or {}).get("input") != {"city": "Tokyo", "n": [1, 2, 3]}:
            return "the started instance's input is not whole: %s" % T.short(g.body)
    return None


def _inbox_count(ctx, kind):
    return sum(1 for row in ctx.env.inbox(ctx.iid) if row and row[0] == kind)


def _effect_raise(ctx, r):
    n = _inbox_count(ctx, "EventRaised")
    if n > 1 or (r.status == 202 and n != 1):
        return "answer %d, %d EventRaised in the inbox" % (r.status, n)
    return None


def _effect_terminate(ctx, r):
    n = _inbox_count(ctx, "ExecutionTerminated")
    if n > 1 or (r.status == 202 and n != 1):
        return "answer %d, %d ExecutionTerminated in the inbox" % (r.status, n)
    return None


def _effect_purge(ctx, r):
    st = ctx.env.status(ctx.iid)
    if r.status == 200 and st is not None:
        return "purge answered 200 but the instance is still there"
    if st is not None and st.get("status") != "Completed":
        return "the instance that was not purged is now %r" % st
    return None


def _effect_signal(ctx, r):
    s = T.call(ctx.t, "GET", "entities/Counter/" + ctx.iid)
    if s.status not in (200, 404):
        return "entity read after the signal: %r" % s
    return None


def _effect_none(ctx, r):
    return None


SCENARIOS = [
    Scenario("start", 202, lambda c: None,
             lambda c: T.start(c.t, "HelloSequence", c.iid, body=INPUT), _effect_start),
    Scenario("status", 200, lambda c: (_new_completed(c), T.sample_history(c.env, c.iid)),
             lambda c: T.call(c.t, "GET", "instances/" + c.iid,
                              "showHistory=true&showHistoryOutput=true&showInput=true"), _effect_none),
    Scenario("list", 200, lambda c: None,
             lambda c: T.call(c.t, "GET", "instances", "top=5&showInput=true"), _effect_none),
    Scenario("raise", 202, _new_pending,
             lambda c: T.call(c.t, "POST", "instances/%s/raiseEvent/Ev" % c.iid, headers=[T.CT_JSON],
                              body=b'{"v":1}'), _effect_raise),
    Scenario("terminate", 202, _new_pending,
             lambda c: T.call(c.t, "POST", "instances/%s/terminate" % c.iid, "reason=fault"), _effect_terminate),
    Scenario("purge", 200, _new_completed,
             lambda c: T.call(c.t, "DELETE", "instances/" + c.iid), _effect_purge),
    Scenario("signal", 202, lambda c: None,
             lambda c: T.call(c.t, "POST", "entities/Counter/" + c.iid, "op=add", headers=[T.CT_JSON], body=b"1"),
             _effect_signal),
]


def error_log(t):
    """The web server's error log, where the CGI responder's stderr goes."""
    try:
        with open(os.path.join(t.extra.dir, "error.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Ctx:
    def __init__(self, t, env, iid):
        self.t, self.env, self.iid = t, env, iid


def judge(tap_ctx, sc, site, r, faults, fired, log_before):
    """What is wrong with one faulty request (a list of strings)."""
    t, env = tap_ctx.t, tap_ctx.env
    bad = []
    for rep in sweep.sanitizer_reports(faults.san):
        bad.append("sanitizer report:\n" + "\n".join(rep.splitlines()[:30]))
    for rep in sweep.reports_in(error_log(t)[log_before:]):
        bad.append("sanitizer report in the error log:\n" + rep[:2000])
    must_be_normal = not fired or site in ("dbwrite:deadlock", "wake")
    if r.status == sc.expect:
        pass
    elif must_be_normal or r.status not in (500, 503):
        bad.append("answer %d, expected %d%s: %s" % (r.status, sc.expect, "" if must_be_normal else " or 500/503",
                                                     T.short(r.body)))
    else:
        err = T.is_error(r, r.status)
        if err:
            bad.append("not the API's JSON error: " + err)
    problem = sc.effect(tap_ctx, r)
    if problem:
        bad.append(problem)
    chk = env.ctl("check", check=False)
    if chk.returncode != 0:
        bad.append("taskhubctl check: %s%s" % (chk.stdout[-1500:], chk.stderr[-500:]))
    after = T.call(t, "GET", "instances", "top=1")
    if after.status != 200:
        bad.append("the next request without a fault: %r" % after)
    return bad


def sweep_one(tap, t, env, faults, sc, site, budget, serial):
    """Sweeps one (scenario, site); one TAP line."""
    def run(n):
        serial[0] += 1
        ctx = Ctx(t, env, "f%d-%s" % (serial[0], sc.name))
        faults.set("")
        sc.prepare(ctx)
        faults.reset()
        log_before = len(error_log(t))
        faults.set(sweep.spec(site, n))
        try:
            r = sc.request(ctx)
        finally:
            faults.set("")
        # The responder answers before it exits and logs its count: wait
        # for the count (a process that died of a signal never writes it).
        deadline = time.monotonic() + 10 * h.timeout_scale()
        fired, totals = sweep.read_log(faults.log)
        while not totals and time.monotonic() < deadline:
            time.sleep(0.01)
            fired, totals = sweep.read_log(faults.log)
        return ctx, r, fired, totals, log_before

    ctx, r, fired, totals, log_before = run(sweep.HUGE)
    total = totals[0] if totals else 0
    bad = []
    problems = judge(ctx, sc, site, r, faults, bool(fired), log_before)
    if problems:
        bad.append("N past the end: " + "\n".join(problems))
    runs = 1
    for n in sweep.choose(total, budget):
        ctx, r, fired, _totals, log_before = run(n)
        runs += 1
        problems = judge(ctx, sc, site, r, faults, bool(fired), log_before)
        if problems:
            bad.append("N=%d (fired: %s, answer %d):\n%s" % (n, bool(fired), r.status, "\n".join(problems)))
    # Every request allocates; a start reaches every site (so a responder
    # built without the injector cannot pass); reads write nothing.
    reached = total > 0 or (site != "alloc" and sc.name != "start")
    tap.ok(not bad and reached,
           "%s, %s: %d occurrences, %d requests, no defect" % (sc.name, site, total, runs),
           ("no occurrence of the site at all" if not bad else "\n\n".join(b[:2500] for b in bad[:3])))


def main():
    T.require_programs()
    builddir = T.builddir()
    if not sweep.enabled(os.path.join(builddir, "tests/unit/test_codec"), ()):
        print("1..0 # SKIP not built with --enable-fault-inject")
        return 0
    if h.Cgi.missing():
        print("1..0 # SKIP lighttpd is not installed")
        return 0
    tap = h.Tap()
    only = os.environ.get("TASKHUB_SWEEP_ONLY", "")
    with T.environment() as env:
        faults = Faults(env.root)
        os.environ["TH_WRAP"] = faults.wrap()
        try:
            with T.targets(env, ["cgi"]) as targets:
                t = targets[0]
                serial = [0]
                for sc in SCENARIOS:
                    if only and only != sc.name:
                        continue
                    for site in SITES:
                        v = os.environ.get("TASKHUB_SWEEP_BUDGET", "")
                        budget = None if v == "all" else int(v) if v.isdigit() else BUDGET[site]
                        sweep_one(tap, t, env, faults, sc, site, budget, serial)
        finally:
            del os.environ["TH_WRAP"]
            shutil.rmtree(faults.dir, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
