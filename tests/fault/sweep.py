"""sweep.py — fault-injection sweeps (configure --enable-fault-inject;
src/common/fault.h, RELIABILITY.md).

A sweep runs one program again and again with TASKHUB_FAULT failing the
Nth occurrence of one site (an allocation, a Berkeley DB write as a
deadlock, as ENOSPC or as EIO, a wake datagram) and judges every run:

- no sanitizer report (AddressSanitizer, LeakSanitizer, UBSan: the build
  should be --enable-asan for the leak part) and no death by a signal;
- a clean error: the program exits 0 or 1 (a TAP test whose checks fail
  because an operation now returns an error is a clean error; a crash is
  not);
- a deadlock is retried, so a run with an injected deadlock must pass
  every check (exit 0);
- no half-written record: every Berkeley DB environment the run left
  behind (the runs' TMPDIR is kept) passes `taskhubctl check`, after the
  recovery its open runs.

The first run has N past any occurrence and tells how many occurrences
the program has (fault.c logs the count at exit); the N values are then
all of 1..total, or `budget` of them spread over the range (dense at the
start, where set-up code runs, and including the last one).
Python 3 standard library only.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile

SAN_EXIT = 86          # exit status the sanitizers are told to use
HUGE = 10 ** 12        # an N no run reaches
SITES = ("alloc", "dbwrite:deadlock", "dbwrite:nospace", "dbwrite:io", "wake")


def spec(site, n):
    """TASKHUB_FAULT for the Nth occurrence of site ("dbwrite:nospace")."""
    kind, _, how = site.partition(":")
    return "%s:%d%s" % (kind, n, ":" + how if how else "")


def sanitizer_env(logdir, leaks=True):
    """Sanitizer options: reports to files under logdir, a fixed status."""
    base = os.path.join(logdir, "san")
    return {
        "ASAN_OPTIONS": "detect_leaks=%d:exitcode=%d:log_path=%s:abort_on_error=0" % (leaks, SAN_EXIT, base),
        "LSAN_OPTIONS": "exitcode=%d" % SAN_EXIT,
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=%d:log_path=%s" % (SAN_EXIT, base),
    }


def read_log(path):
    """(fired, totals): the occurrences that failed and each process's
    count of occurrences, from TASKHUB_FAULT_LOG."""
    fired, totals = [], []
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 4 and w[0] == "total":
                    totals.append(int(w[2]))
                elif len(w) == 3:
                    fired.append(int(w[1]))
    except FileNotFoundError:
        pass
    return fired, totals


def sanitizer_reports(logdir):
    """The text of every sanitizer report written under logdir."""
    out = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("san"):
            with open(os.path.join(logdir, name), errors="replace") as f:
                out.append(f.read())
    return out


def environments(root):
    """Every Berkeley DB environment of taskhub's under root."""
    found = []
    for d, _dirs, files in os.walk(root):
        if "taskhub.db" in files:
            found.append(d)
    return sorted(found)


def _ctl(taskhubctl, home, *args):
    return subprocess.run([taskhubctl, "-H", home] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=120)


def check_env(taskhubctl, home):
    """'' if `taskhubctl check` finds the environment consistent, else
    its report. An environment whose creation failed part-way is not a
    taskhub environment yet: creating it again must then finish the job
    and leave it consistent."""
    r = _ctl(taskhubctl, home, "check")
    if r.returncode != 0 and "is not a taskhub environment" in r.stdout:
        init = _ctl(taskhubctl, home, "init")
        if init.returncode != 0:
            return "taskhubctl init of a half-created %s (exit %d):\n%s" % (home, init.returncode, init.stdout[-2000:])
        r = _ctl(taskhubctl, home, "check")
    return "" if r.returncode == 0 else "taskhubctl check %s (exit %d):\n%s" % (home, r.returncode, r.stdout[-2000:])


def choose(total, budget):
    """The N values to run: all of 1..total when budget allows, else a
    third of the budget on the first occurrences and the rest spread
    evenly up to total (which is always included)."""
    if total <= 0:
        return []
    if budget is None or total <= budget:
        return list(range(1, total + 1))
    head = max(1, budget // 3)
    ns = set(range(1, head + 1))
    rest = budget - head
    for i in range(1, rest + 1):
        ns.add(head + (total - head) * i // rest)
    return sorted(ns)


REPORT_START = re.compile(r"runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)")
PROJECT_PATH = re.compile(r"(?:^|[\s(])(?:\S*/)?(src|tests|samples)/[\w./-]+\.c:\d+")


def reports_in(output):
    """Sanitizer reports printed in a run's output (UBSan writes there
    whatever log_path says): each from its first line, 60 lines at most."""
    lines = output.splitlines()
    out = []
    for i, line in enumerate(lines):
        if REPORT_START.search(line):
            out.append("\n".join(lines[i:i + 60]))
    return out


def location(report):
    """(tree, line): where in taskhub's tree a report points first, the
    fault injector's own wrappers skipped — "src" (or "samples") for a
    defect of the product, "tests" for one in a test's own code; ("", "")
    when no frame is in the tree."""
    for line in report.splitlines():
        if "fault.c" in line:
            continue
        m = PROJECT_PATH.search(line)
        if m:
            return m.group(1), line.strip()
    return "", ""


class Run:
    """One run with one N: rc, whether the fault fired, and the defects."""

    def __init__(self, n, rc, fired, totals, output, defects, test_side):
        self.n, self.rc, self.fired, self.totals = n, rc, fired, totals
        self.output, self.defects, self.test_side = output, defects, test_side


class Sweep:
    """Sweeps site over argv. taskhubctl: for the environment checks.
    expect_pass: every run must exit 0 (deadlocks always must).
    env: extra environment; timeout: seconds per run (a hang is a defect).
    leaks: False turns LeakSanitizer off (see test_fault_unit.py)."""

    def __init__(self, site, argv, taskhubctl, env=None, cwd=None, timeout=300, expect_pass=False, leaks=True):
        self.leaks = leaks
        self.site, self.argv, self.taskhubctl = site, list(argv), taskhubctl
        self.env, self.cwd, self.timeout = dict(env or {}), cwd, timeout
        self.expect_pass = expect_pass or site == "dbwrite:deadlock"
        self.runs = []

    def run_one(self, n):
        work = tempfile.mkdtemp(prefix="taskhub-fault-")
        try:
            tmp = os.path.join(work, "tmp")
            san = os.path.join(work, "san")
            os.makedirs(tmp)
            os.makedirs(san)
            log = os.path.join(work, "fault.log")
            env = dict(os.environ)
            env.update(self.env)
            env.update(sanitizer_env(san, self.leaks))
            env.update({"TASKHUB_FAULT": spec(self.site, n), "TASKHUB_FAULT_LOG": log, "TMPDIR": tmp,
                        "TASKHUB_KEEP_TEST_DIRS": "1"})
            defects = []
            try:
                p = subprocess.run(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                   cwd=self.cwd, timeout=self.timeout, start_new_session=True)
                rc, output = p.returncode, p.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as exc:
                rc, output = None, (exc.stdout or b"").decode("utf-8", "replace")
                defects.append("hung: no exit within %d s" % self.timeout)
            fired, totals = read_log(log)
            # A report that points first into tests/ is a test using what
            # an operation that failed (as it should) did not produce: the
            # test stops there, which says nothing about the product.
            test_side = 0
            for rep in sanitizer_reports(san) + reports_in(output):
                tree, where = location(rep)
                if tree == "tests":
                    test_side += 1
                    continue
                defects.append("sanitizer report%s:\n%s" % (" at " + where if where else "",
                                                            "\n".join(rep.splitlines()[:40])))
            if rc is not None:
                if rc < 0:
                    defects.append("killed by signal %s" % signal.Signals(-rc).name)
                elif rc == SAN_EXIT:
                    if not test_side and not any(d.startswith("sanitizer") for d in defects):
                        defects.append("exit %d (sanitizer) without a report" % rc)
                    elif test_side and self.expect_pass:
                        defects.append("a test's own code stopped although the fault was retried")
                elif rc not in (0, 1):
                    defects.append("exit status %d (not a clean error)" % rc)
                elif rc != 0 and (self.expect_pass or not fired):
                    defects.append("failed (exit %d) although %s" %
                                   (rc, "the fault was retried" if fired else "no fault fired"))
            for home in environments(tmp):
                problem = check_env(self.taskhubctl, home)
                if problem:
                    defects.append(problem)
            run = Run(n, rc, bool(fired), totals, output, defects, test_side)
            self.runs.append(run)
            return run
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def total(self):
        """Runs once with no reachable N: the occurrence count of the
        program's first process (its own count, not its children's)."""
        run = self.run_one(HUGE)
        return (run.totals[0] if run.totals else 0), run

    def sweep(self, budget):
        """(total, runs with defects) over the N values choose() picks."""
        total, base = self.total()
        bad = [base] if base.defects else []
        for n in choose(total, budget):
            run = self.run_one(n)
            if run.defects:
                bad.append(run)
        return total, bad


def describe(run, limit=3000):
    """A defect report for TAP diagnostics."""
    text = "N=%s exit=%s fired=%s\n" % (run.n, run.rc, run.fired) + "\n".join(run.defects)
    tail = run.output[-1500:]
    return (text + "\n--- output tail ---\n" + tail)[:limit]


def enabled(program, args=("help",)):
    """True if program was built with the fault injector: a run with an
    unreachable N still logs its count at exit."""
    work = tempfile.mkdtemp(prefix="taskhub-fault-")
    try:
        log = os.path.join(work, "fault.log")
        env = dict(os.environ, TASKHUB_FAULT=spec("alloc", HUGE), TASKHUB_FAULT_LOG=log)
        subprocess.run([program] + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       timeout=60)
        return bool(read_log(log)[1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
