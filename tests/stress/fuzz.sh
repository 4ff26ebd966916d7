#!/bin/sh
# fuzz.sh — the fuzzing campaign (RELIABILITY.md, docs/testing.md).
#
#   tests/stress/fuzz.sh [builddir] [target...]
#
# builddir is a build configured with CC=clang --enable-fuzz (default: the
# current directory). Each target (default: all six) runs FUZZ_MINUTES
# (default 10) in turn, one at a time, from its grown corpus in
# builddir/fuzz-campaign/<target>/corpus (seeded from tests/fuzz/corpus and
# kept between campaigns; the tree's corpus is never written), with the
# regression inputs of tests/fuzz/regress. Crash, leak and timeout inputs
# go to builddir/fuzz-campaign/<target>/artifacts; libFuzzer's log is
# beside them. A summary (duration, runs, coverage, features, corpus,
# crashes) is printed per target and kept in fuzz-campaign/summary.txt.
# Exit status 1 when any target found something. Run it under nice on a
# shared machine: nice -n 10 tests/stress/fuzz.sh _build_fuzz
#
# Reproduce a finding with the replay program of any build:
#   builddir/tests/fuzz/replay_<target> builddir/fuzz-campaign/<target>/artifacts/crash-...

set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-.}
[ $# -gt 0 ] && shift
targets=${*:-route body codec oop hostjson app}
minutes=${FUZZ_MINUTES:-10}
fz=$here/tests/fuzz
out=$build/fuzz-campaign
summary=$out/summary.txt
status=0

mkdir -p "$out" || exit 1
for t in $targets; do
	[ -x "$build/tests/fuzz/fuzz_$t" ] || {
		echo "fuzz.sh: $build/tests/fuzz/fuzz_$t is missing (configure with CC=clang --enable-fuzz, then make)" >&2
		exit 2
	}
done
printf '%s  %s minute(s) per target, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$minutes" \
	"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')" >>"$summary"
for t in $targets; do
	d=$out/$t
	mkdir -p "$d/corpus" "$d/artifacts"
	cp -n "$fz/corpus/$t"/* "$d/corpus/" 2>/dev/null
	set -- -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-artifact_prefix="$d/artifacts/" -print_final_stats=1
	[ -f "$fz/dict/$t.dict" ] && set -- "$@" -dict="$fz/dict/$t.dict"
	set -- "$@" "$d/corpus"
	[ -d "$fz/regress/$t" ] && set -- "$@" "$fz/regress/$t"
	before=$(ls "$d/artifacts" | wc -l)
	start=$(date +%s)
	"$build/tests/fuzz/fuzz_$t" "$@" >"$d/log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	found=$(($(ls "$d/artifacts" | wc -l) - before))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log")
	last=$(grep -E '^#[0-9]+' "$d/log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(ls "$d/corpus" | wc -l)
	line=$(printf '%-9s %5ss  runs %-10s cov %-6s ft %-6s corpus %-6s exit %s  new findings %s' \
		"$t" "$secs" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$corp" "$rc" "$found")
	echo "$line"
	echo "$line" >>"$summary"
	[ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
done
exit $status
