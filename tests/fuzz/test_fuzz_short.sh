#!/bin/sh
# test_fuzz_short.sh — the short fuzz run of `make check` in a build
# configured with --enable-fuzz: each libFuzzer target runs FUZZ_SECONDS
# (default 15) from a copy of its seed corpus and its regression inputs.
# Any crash, leak, timeout or out-of-memory report fails the target; the
# input is left in tests/fuzz/short/<target>/ of the build directory.
# TAP output, one line per target.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
secs=${FUZZ_SECONDS:-15}
targets="route body codec oop hostjson app"
fz=$top_srcdir/tests/fuzz

echo "1..6"
n=0
for t in $targets; do
	n=$((n + 1))
	work=$top_builddir/tests/fuzz/short/$t
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts" || exit 1
	cp "$fz/corpus/$t"/* "$work/corpus/"
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-artifact_prefix="$work/artifacts/" -print_final_stats=1
	[ -f "$fz/dict/$t.dict" ] && set -- "$@" -dict="$fz/dict/$t.dict"
	set -- "$@" "$work/corpus"
	[ -d "$fz/regress/$t" ] && set -- "$@" "$fz/regress/$t"
	"$top_builddir/tests/fuzz/fuzz_$t" "$@" >"$work/log" 2>&1
	rc=$?
	found=$(ls "$work/artifacts" | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
		echo "ok $n - $t: ${runs:-?} runs in ${secs} s, no crash"
		rm -rf "$work"
	else
		echo "not ok $n - $t: exit $rc, $found report(s) in $work/artifacts"
		tail -n 40 "$work/log" | sed 's/^/# /'
	fi
done
