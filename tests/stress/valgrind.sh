#!/bin/sh
# valgrind.sh — the memcheck campaign: the responder and daemon tests
# (tests/http, tests/e2e) with every taskhub.fcgi the web servers start and
# every taskhubd under valgrind memcheck, one XML report per process;
# fails on any error in any report (invalid access, use of uninitialised
# memory in a syscall or a branch, bad free, a definite or possible leak at
# a clean exit) and on any failed test, and prints a summary.
#
# Run it from a build directory (make and the check programs built: `make
# check TESTS=` builds them without running any):
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
#   VG_TESTS  the test programs, relative to the source tree (default: the
#             list below; tests/e2e/test_crash.py and test_faults.py are
#             left out: kill -9 of processes under valgrind checks nothing
#             the others do not, and their load takes long under valgrind)
#   VG_SERVERS  the web servers of the tests/http tests
#             (TASKHUB_HTTP_SERVERS; default lighttpd,apache-fcgid: the CGI
#             kind starts a process per request, which under valgrind costs
#             a second or more each)
#   VG_SCALE  the timeout factor (default 10)
#   VG_OPTS   more valgrind options (e.g. --track-origins=yes)
# Output: valgrind/ in the build directory: logs/*.xml (one per process,
# named after the program, the test's PID and a timestamp), tap/*.tap (each
# test's output), summary.txt (what is printed at the end).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$(pwd)
for p in taskhub.fcgi taskhubd taskhubctl tests/http/fixture; do
	if [ ! -x "$top_builddir/$p" ]; then
		echo "valgrind.sh: run it from a build directory after make and make check TESTS= (no $p)" >&2
		exit 2
	fi
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }

VG_TESTS=${VG_TESTS:-"tests/http/test_api.py tests/http/test_bad_requests.py tests/http/test_concurrency.py
	tests/http/test_paging.py tests/http/test_servers.py tests/http/test_httpstart.py
	tests/e2e/test_samples.py tests/e2e/test_engine.py tests/e2e/test_daemon.py tests/e2e/test_stall.py
	tests/e2e/test_exec.py tests/e2e/test_entities.py"}
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
#   killed (SIGKILL) or stopped by its web server with SIGKILL has no leak
#   report, only its errors up to then;
# --child-silent-after-fork: a forked child that execs another program
#   writes nothing.
TH_WRAP="valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --num-callers=30
	--child-silent-after-fork=yes --suppressions=$here/valgrind.supp --gen-suppressions=all
	--xml=yes --xml-file=$out/logs/%q{TH_WRAP_TAG}.%p.xml ${VG_OPTS:-}"
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
	nnot=$(grep -c '^not ok' "$out/tap/$name.tap")
	plan=$(grep -m1 '^1\.\.' "$out/tap/$name.tap" || echo "no plan")
	if [ "$rc" -ne 0 ] || [ "$nnot" -ne 0 ] || [ "$plan" = "no plan" ]; then
		failed_tests=$((failed_tests + 1))
	fi
	echo "$t: exit $rc, $nok ok, $nnot not ok, plan $plan, $(($(date +%s) - s)) s" | tee -a "$out/tests.txt"
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
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if logs.encode() in f.read():
                        n += 1
            except OSError:
                pass
    return n


deadline = time.monotonic() + 300
while writers() and time.monotonic() < deadline:
    time.sleep(1)
left = writers()


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
        frames = []
        for fr in e.iterfind("stack/frame"):
            fn = fr.findtext("fn") or fr.findtext("obj") or "?"
            where = ("%s:%s" % (fr.findtext("file"), fr.findtext("line"))) if fr.findtext("file") else ""
            frames.append("%s %s" % (fn, where))
        supp = e.findtext("suppression/rawtext") or ""
        errs.append((kind, what, frames, supp))
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
    lines.append("%d processes under valgrind still running after 300 s" % left)
lines.append("errors: %d" % len(errors))
seen = set()
for path, (kind, what, frames, supp) in errors:
    key = (kind, tuple(frames[:6]))
    if key in seen:
        continue
    seen.add(key)
    lines.append("--- %s: %s (%s)" % (kind, what, os.path.basename(path)))
    lines.extend("    " + f for f in frames[:12])
    if supp:
        lines.append("    suppression:\n" + "\n".join("      " + s for s in supp.splitlines()))
lines.append("tests failed: %d" % failed_tests)
text = "\n".join(lines)
print(text)
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text + "\n")
sys.exit(1 if errors or failed_tests or left else 0)
EOF
