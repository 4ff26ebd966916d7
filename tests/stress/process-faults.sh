#!/bin/sh
# process-faults.sh — the process-fault campaign: tests/e2e/test_faults.py
# run for PF_SECONDS (default 300) instead of the test suite's 15 s.
# lighttpd and Apache mod_fcgid (each with its pool of taskhub.fcgi) and
# taskhubd on one environment, durability full; client threads start
# instances and raise events while responder processes are killed with
# SIGKILL every 0.5 to 3 s and taskhubd every 2 to 6 s (and started again);
# afterwards every acknowledged start must have completed with the right
# output and history, and `taskhubctl check` must find the environment
# clean. Everything listens on 127.0.0.1 only.
#
# Run it from a build directory (configured, `make` and `make check`'s
# programs built: `make check TESTS=` builds them without running any):
#
#	nice -n 10 ../tests/stress/process-faults.sh
#
# Environment: PF_SECONDS (300), PF_CLIENTS (4), PF_MAX_STARTS (50000),
# TASKHUB_E2E_SEED (the random choices), TASKHUB_KEEP_TEST_DIRS=1 (keep
# the workdir: logs of the servers and of every daemon start). The TAP
# output goes to stdout and to process-faults.log in the build directory;
# the exit status is 0 only when every check passed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$(pwd)
if [ ! -x "$top_builddir/taskhubd" ] || [ ! -d "$top_builddir/samples/app" ]; then
	echo "process-faults.sh: run it from a build directory after make (no taskhubd or samples/app in $top_builddir)" >&2
	exit 2
fi
PF_SECONDS=${PF_SECONDS:-300}
export top_srcdir top_builddir PF_SECONDS

status=0
python3 "$top_srcdir/tests/e2e/test_faults.py" | tee "$top_builddir/process-faults.log" || status=$?
# The pipeline's status is tee's: the test's own verdict is in its TAP.
if grep -q '^not ok' "$top_builddir/process-faults.log" || ! grep -q '^1\.\.[1-9]' "$top_builddir/process-faults.log"; then
	status=1
fi
exit "$status"
