#!/usr/bin/env python3
"""test_fault_unit.py — fault-injection sweeps over the unit, engine, SDK
and store tests (tests/fault/sweep.py says how each run is judged).

Every program is swept for failed allocations; the programs that write to
Berkeley DB are also swept for a write failing as a deadlock (retried: the
program must pass), as ENOSPC and as EIO (a clean error and a consistent
environment afterwards).

In the suite each (program, site) pair gets a bounded number of runs
(TASKHUB_SWEEP_BUDGET, default below); tests/stress/fault-sweep.sh sets
TASKHUB_SWEEP_BUDGET=all for every N (test_store, seconds per run, then
gets TASKHUB_SWEEP_HEAVY_BUDGET runs per site, default 60). Skipped (1..0) in a build without
--enable-fault-inject.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))

import harness  # noqa: E402
import sweep  # noqa: E402

# (program, sites, suite budget per site). The store programs are slower
# per run (they create environments), so they get fewer runs in the suite.
UNIT = ("alloc",)
STORE = ("alloc", "dbwrite:deadlock", "dbwrite:nospace", "dbwrite:io")
PROGRAMS = [
    ("tests/unit/test_codec", UNIT, 60),
    ("tests/unit/test_keys", UNIT, 40),
    ("tests/unit/test_query", UNIT, 40),
    ("tests/unit/test_syskeys", UNIT, 40),
    ("tests/core/test_units", UNIT, 40),
    ("tests/core/test_golden", UNIT, 40),
    ("tests/core/test_oop", UNIT, 30),
    ("tests/sdk/test_client", STORE, 12),
    ("tests/store/test_store", STORE, 2),
]


HEAVY = ("tests/store/test_store",)  # seconds per run: a bounded sample even in the campaign


def budget_for(prog, default):
    v = os.environ.get("TASKHUB_SWEEP_BUDGET", "")
    if v == "all" and prog in HEAVY:
        v = os.environ.get("TASKHUB_SWEEP_HEAVY_BUDGET", "60")
    if v == "all":
        return None
    return int(v) if v.isdigit() else default


def main():
    harness.exit_on_signals()
    builddir, _srcdir = harness.dirs_from_environment()
    tap = harness.Tap()
    ctl = os.path.join(builddir, "taskhubctl")
    if not sweep.enabled(os.path.join(builddir, "tests/unit/test_codec"), ()):
        print("1..0 # SKIP not built with --enable-fault-inject")
        return 0
    only = os.environ.get("TASKHUB_SWEEP_ONLY", "")
    for prog, sites, default in PROGRAMS:
        if only and only not in prog:
            continue
        path = os.path.join(builddir, prog)
        for site in sites:
            # test_store's transaction bodies (closures filling the test's
            # own structs) are not written to be run twice: a failed commit
            # makes the store run a body again and the first run's results
            # leak in the test. Its write sweeps run without LeakSanitizer;
            # the client API and API sweeps check leaks on failed writes.
            leaks = not (prog in HEAVY and site.startswith("dbwrite"))
            sw = sweep.Sweep(site, [path], ctl, leaks=leaks)
            total, bad = sw.sweep(budget_for(prog, default))
            stopped = sum(1 for r in sw.runs if r.test_side)
            desc = "%s, %s: %d occurrences, %d runs (%d stopped in the test's own code), no defect" % (
                prog, site, total, len(sw.runs), stopped)
            tap.ok(total > 0 and not bad, desc,
                   "no occurrence at all" if total == 0 else "\n\n".join(sweep.describe(r) for r in bad[:3]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
