#!/bin/sh
# valgrind.sh — the memcheck campaign: the responder and daemon tests
# (tests/http, tests/e2e) with every taskhub.fcgi the web servers start and
# every taskhubd under valgrind memcheck, one XML report per process;
# fails on any error in any report (invalid access, use of uninitialised
# memory in a syscall or a branch, bad free, a definite or possible leak at
# a clean exit) but those whose uninitialised bytes were created by
# Berkeley DB (see below), on any failed test, and on a process that does
# not end; prints a summary.
#
# Run it from a build directory, after make and `make check TESTS=` (which
# builds the check programs without running any) and `make
# bench/trivial_fcgi` (test_servers.py compares against it):
#
#	nice -n 10 ../tests/stress/valgrind.sh
#
# How: the test harness honours TH_WRAP (a command prefix for the
# responder and the daemon, see tests/http/harness.py) and
# TH_TIMEOUT_SCALE (a factor on the tests' timeouts). valgrind's options
# are below; tests/stress/valgrind.supp holds the suppressions (third-party
# code only). Child processes (an executable function the daemon runs) are
# not traced: they are not taskhub's code.
#
# Environment:
#   VG_TESTS  the test programs, relative to the source tree. Default: the
#             list below, the API and end-to-end tests that start the
#             responder or the daemon, but for five: test_daemon.py (it
#             runs, but its maintenance check expects 120 starts to
#             outpace a 1 s log-removal tick, which under valgrind they do
#             not; its detached daemon is skipped under TH_WRAP),
#             test_crash.py and test_faults.py
#             (SIGKILL of processes under valgrind checks nothing the
#             others do not, and their load takes long), test_stall.py (a
#             process blocked on a dead process's mutex leaves through the
#             stall watch; under valgrind its exit takes minutes and its
#             exit status is valgrind's) and test_exec.py (the supervisor
#             taskhubd forks for an executable function runs under
#             valgrind until it execs, too slowly for the functions' time
#             limits)
#   VG_SERVERS  the web servers of the tests/http tests
#             (TASKHUB_HTTP_SERVERS; default lighttpd,apache-fcgid: the CGI
#             kind starts a process per request, which under valgrind costs
#             a second or more each)
#   VG_SCALE  the timeout factor (default 10)
#   VG_OPTS   more valgrind options (e.g. --show-leak-kinds=all)
# Output: valgrind/ in the build directory: logs/*.xml (one per process,
# named after the program, the test's PID and a timestamp), tap/*.tap (each
# test's output), summary.txt (what is printed at the end).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$(pwd)
for p in taskhub.fcgi taskhubd taskhubctl tests/http/fixture tests/unit/test_codec bench/trivial_fcgi; do
	if [ ! -x "$top_builddir/$p" ]; then
		echo "valgrind.sh: run it from a build directory after make and make check TESTS= (no $p)" >&2
		exit 2
	fi
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }

VG_TESTS=${VG_TESTS:-"tests/http/test_api.py tests/http/test_bad_requests.py tests/http/test_concurrency.py
	tests/http/test_paging.py tests/http/test_servers.py tests/http/test_httpstart.py
	tests/e2e/test_samples.py tests/e2e/test_engine.py tests/e2e/test_entities.py"}
out=$top_builddir/valgrind
rm -rf "$out"
mkdir -p "$out/logs" "$out/tap"
# The responders run as the web servers' user (www-data when root): they
# must reach the log directory and create files in it.
chmod 755 "$out" "$out/tap"
chmod 1777 "$out/logs"
if [ "$(id -u)" -eq 0 ]; then
	d=$out
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
fi

# --error-exitcode: a process that exits by itself with an error in its
#   report exits 99 (taskhubd's "exits 0 on SIGTERM" checks then fail too);
# --leak-check=full: definite and possible leaks count as errors (the
#   default --errors-for-leak-kinds) in a process that exits cleanly; one
#   killed (SIGKILL) has no leak report, only its errors up to then;
# --track-origins=yes: where an uninitialised value came from. Needed to
#   tell Berkeley DB's unset padding apart from a defect of ours where the
#   error shows in our code: memcheck's shadow memory is per process, so a
#   byte of the shared cache region that this process's Berkeley DB once
#   filled from its own stack stays "uninitialised" here even after
#   another process has written real data there; a record read from that
#   page then looks uninitialised to us (strlen in the codec or the
#   engine). Such an error has its origin in libdb-5.3.so and is reported
#   but not counted; no suppression can match on an origin, and one
#   anchored on our functions would hide our own defects;
# --child-silent-after-fork: the supervisor taskhubd forks to run an
#   executable function stays under valgrind until it exits (its child
#   execs and leaves valgrind), and a leak check of that copy of the daemon
#   at its exit takes longer than the function's time limit.
vg="valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --num-callers=30 --track-origins=yes
	--child-silent-after-fork=yes --suppressions=$here/valgrind.supp --gen-suppressions=all ${VG_OPTS:-}"
TH_WRAP="$vg --xml=yes --xml-file=$out/logs/%q{TH_WRAP_TAG}.%p.xml"
TH_TIMEOUT_SCALE=${VG_SCALE:-10}
TASKHUB_HTTP_SERVERS=${VG_SERVERS:-lighttpd,apache-fcgid}
export top_srcdir top_builddir TH_WRAP TH_TIMEOUT_SCALE TASKHUB_HTTP_SERVERS

failed_tests=0
t0=$(date +%s)
for t in $VG_TESTS; do
	name=$(basename "$t" .py)
	s=$(date +%s)
	python3 "$top_srcdir/$t" >"$out/tap/$name.tap" 2>&1
	rc=$?
	nok=$(grep -c '^ok' "$out/tap/$name.tap")
	# A failure marked TODO (a known limitation of a web server) is expected.
	nnot=$(grep '^not ok' "$out/tap/$name.tap" | grep -vc '# TODO')
	plan=$(grep -m1 '^1\.\.' "$out/tap/$name.tap" || echo "no plan")
	if [ "$rc" -ne 0 ] || [ "$nnot" -ne 0 ] || [ "$plan" = "no plan" ]; then
		failed_tests=$((failed_tests + 1))
	fi
	echo "$t: exit $rc, $nok ok, $nnot not ok, plan $plan, $(($(date +%s) - s)) s" | tee -a "$out/tests.txt"
done
# The records the store hands Berkeley DB are our codec's output: Berkeley
# DB's own unset padding is suppressed where it is logged and written
# (valgrind.supp), which would hide unset bytes of ours on the same path.
# The codec's round-trip tests under memcheck cover that: any unset byte
# of an encoded record is used in a comparison there.
for t in tests/unit/test_codec; do
	s=$(date +%s)
	TH_WRAP_TAG=$(basename "$t")-$$
	export TH_WRAP_TAG
	$vg --xml=yes --xml-file="$out/logs/%q{TH_WRAP_TAG}.%p.xml" "$top_builddir/$t" >"$out/tap/$(basename "$t").tap" 2>&1
	rc=$?
	nnot=$(grep '^not ok' "$out/tap/$(basename "$t").tap" | grep -vc '# TODO')
	[ "$rc" -eq 0 ] && [ "$nnot" -eq 0 ] || failed_tests=$((failed_tests + 1))
	echo "$t: exit $rc, $nnot not ok, $(($(date +%s) - s)) s" | tee -a "$out/tests.txt"
done
echo "tests: $(($(date +%s) - t0)) s in all" | tee -a "$out/tests.txt"

# Responders stopped by their web server may still be writing their leak
# report: wait (bounded) until no process under valgrind writes into
# $out/logs, then read every report.
python3 - "$out" "$failed_tests" <<'EOF'
import glob, os, sys, time
import xml.etree.ElementTree as ET

out, failed_tests = sys.argv[1], int(sys.argv[2])
logs = os.path.join(out, "logs")


def writers():
    """PIDs of the processes still running under valgrind for us."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if logs.encode() in f.read():
                        out.append(int(d))
            except OSError:
                pass
    return out


# A responder's leak check scans the shared cache region it has mapped,
# which under valgrind takes a while: wait for it, bounded.
deadline = time.monotonic() + 300
while writers() and time.monotonic() < deadline:
    time.sleep(1)
left = writers()
for pid in left:  # started by these tests; nothing else writes there
    try:
        os.kill(pid, 9)
    except OSError:
        pass


def parse(path):
    """(finished, [errors]) of one report; a report cut short (the process
    was killed) still lists every error found before."""
    with open(path, "rb") as f:
        text = f.read()
    finished = b"</valgrindoutput>" in text
    if not finished:
        # Close what a killed process left open, so that the errors it had
        # written can be read.
        cut = text.rfind(b"</error>")
        text = (text[:cut + len(b"</error>")] if cut >= 0 else text[:text.find(b"<error>")]
                if b"<error>" in text else text) + b"</valgrindoutput>"
        if b"<valgrindoutput>" not in text:
            return False, []
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        return finished, [("unreadable report", str(e), [], "")]
    errs = []
    for e in root.iter("error"):
        kind = e.findtext("kind", "")
        what = e.findtext("what") or e.findtext("xwhat/text") or ""
        stacks = e.findall("stack")
        frames = []
        for fr in stacks[0].iterfind("frame") if stacks else ():
            fn = fr.findtext("fn") or fr.findtext("obj") or "?"
            where = ("%s:%s" % (fr.findtext("file"), fr.findtext("line"))) if fr.findtext("file") else ""
            frames.append("%s %s" % (fn, where))
        # The origin of an uninitialised value: the stack after "created
        # by a stack allocation" (--track-origins). In libdb: Berkeley
        # DB's own padding, seen through the shared region (see above).
        origin = stacks[1].find("frame") if len(stacks) > 1 else None
        bdb = (kind in ("UninitCondition", "UninitValue", "SyscallParam") and origin is not None and
               (origin.findtext("obj") or "").endswith("/libdb-5.3.so"))
        if bdb:
            frames.append("(origin: a stack allocation in %s)" % (origin.findtext("fn") or "libdb-5.3.so"))
        supp = e.findtext("suppression/rawtext") or ""
        errs.append((kind, what, frames, supp, bdb))
    return finished, errs


reports = sorted(glob.glob(os.path.join(logs, "*.xml")))
by_prog = {}
errors = []
cut = 0
for r in reports:
    prog = os.path.basename(r).split("-")[0]
    finished, errs = parse(r)
    cut += not finished
    by_prog[prog] = by_prog.get(prog, 0) + 1
    for e in errs:
        errors.append((r, e))
lines = ["valgrind reports: %d (%s); %d cut short (process killed)" %
         (len(reports), ", ".join("%s %d" % kv for kv in sorted(by_prog.items())), cut)]
if left:
    lines.append("%d processes under valgrind still running after 300 s (killed): %s" % (len(left), left))
ours = [(p, e) for p, e in errors if not e[4]]
bdb = [(p, e) for p, e in errors if e[4]]
lines.append("errors: %d (in %d reports); not counted, origin in Berkeley DB: %d (in %d reports)" %
             (len(ours), len({p for p, _ in ours}), len(bdb), len({p for p, _ in bdb})))
seen = set()
for path, (kind, what, frames, supp, third) in ours + bdb:
    key = (kind, tuple(frames[:8]))
    if key in seen:
        continue
    seen.add(key)
    lines.append("--- %s%s: %s (%s)" % ("not counted: " if third else "", kind, what, os.path.basename(path)))
    lines.extend("    " + f for f in frames[:14])
    if supp and not third:
        lines.append("    suppression:\n" + "\n".join("      " + s for s in supp.splitlines()))
lines.append("tests failed: %d" % failed_tests)
text = "\n".join(lines)
print(text)
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text + "\n")
sys.exit(1 if ours or failed_tests or left else 0)
EOF
