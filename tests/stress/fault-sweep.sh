#!/bin/sh
# fault-sweep.sh — the fault-injection campaign (RELIABILITY.md,
# docs/testing.md): every N of every site over the unit, engine, SDK,
# store and API tests, where the suite runs a sample.
#
#   tests/stress/fault-sweep.sh [builddir]
#
# builddir (default: the current directory) must be configured with
# --enable-fault-inject, and with --enable-asan for the leak checks:
#   ../configure --enable-debug --enable-asan --enable-fault-inject && make check TESTS=
# TASKHUB_SWEEP_HEAVY_BUDGET (default 60) bounds the runs per site of
# tests/store/test_store, which takes seconds per run. The TAP output of
# each sweep and a summary go to builddir/fault-campaign/. Exit status 1
# when any run was judged a defect. Run it under nice on a shared machine.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
out=$build/fault-campaign
mkdir -p "$out"
status=0
start=$(date +%s)
for t in test_fault_unit test_fault_api; do
	t0=$(date +%s)
	TASKHUB_SWEEP_BUDGET=all top_builddir=$build top_srcdir=$here \
		python3 "$here/tests/fault/$t.py" >"$out/$t.tap" 2>&1 || status=1
	printf '%s: %s checks, %s not ok, %s s\n' "$t" "$(grep -c '^ok\|^not ok' "$out/$t.tap")" \
		"$(grep -c '^not ok' "$out/$t.tap")" "$(( $(date +%s) - t0 ))"
done | tee "$out/summary.txt"
grep -h '^ok\|^not ok' "$out"/*.tap >>"$out/summary.txt"
grep -q '^not ok' "$out"/*.tap && status=1
echo "fault campaign: $(( $(date +%s) - start )) s, exit $status" | tee -a "$out/summary.txt"
exit $status
