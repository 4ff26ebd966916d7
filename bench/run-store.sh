#!/bin/sh
# run-store.sh — runs the store throughput benchmark (bench/bench_store.c)
# and prints what the figures depend on: CPUs, kernel, the file system the
# temporary environments live on, the Berkeley DB version, the load.
#
# Usage: run-store.sh [bench_store binary] [bench_store options...]
#   The binary defaults to ./bench/bench_store (the build directory, as
#   `make bench` runs it). Options go to both tables: one process, then two
#   processes sharing each environment with smaller operation counts.
#   BENCH_PROCS2=0 skips the two-process table.
# Builds nothing. Takes about a minute and a quarter on a quiet 2-core machine.

set -eu

bin=./bench/bench_store
if [ $# -gt 0 ]; then
	bin=$1
	shift
fi
if [ ! -x "$bin" ]; then
	echo "run-store.sh: $bin not found; run 'make bench' in the build directory" >&2
	exit 1
fi

tmp=${TMPDIR:-/tmp}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
fs=$(df -PT "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 " (" $1 ", mounted on " $7 ")" }')

echo "## Store throughput benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- CPUs (nproc): $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
echo "- CPU model: ${cpu:-unknown}"
echo "- kernel: $(uname -srm)"
echo "- temporary environments: $tmp on ${fs:-unknown file system}"
echo "- Berkeley DB: $("$bin" -V)"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo

"$bin" "$@"

if [ "${BENCH_PROCS2:-1}" != 0 ]; then
	echo
	"$bin" -p 2 -n 1500 -N 8000 "$@"
fi
