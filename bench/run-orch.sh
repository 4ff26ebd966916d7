#!/bin/sh
# run-orch.sh — the orchestration benchmark (bench/bench_orch.c): the real
# taskhubd on the bench app, every scenario under full and write-nosync
# durability, and what the figures depend on (CPUs, kernel, file system).
#
# Usage: run-orch.sh BUILDDIR   (as `make bench-orch` runs it)
# Sizes: BENCH_HELLO (2000), BENCH_LATENCY (200), BENCH_SEQ (2000),
# BENCH_FANOUT (10000), BENCH_EVENTS (5000), BENCH_ENTITY (20000),
# BENCH_IDLE (100000).
set -eu
b=${1:-.}
bin="$b/bench/bench_orch"
run() { "$bin" -D "$b/taskhubd" -a "$b/bench/app" "$@"; }
tmp=${TMPDIR:-/tmp}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
fs=$(df -PT "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 " (" $1 ", mounted on " $7 ")" }')
echo "## Orchestration benchmark"
echo
echo "- machine: $(nproc) CPUs ($cpu), $(uname -sr), environments on $fs"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | durability | work | rate | latency / time | daemon VmHWM KiB |"
echo "|---|---|---|---|---|---|"
for d in full write-nosync; do
	run -d $d -n "${BENCH_HELLO:-2000}" hello
	run -d $d -n "${BENCH_LATENCY:-200}" latency
	run -d $d -n "${BENCH_SEQ:-2000}" seq
	run -d $d -n "${BENCH_FANOUT:-10000}" fanout
	run -d $d -n "${BENCH_EVENTS:-5000}" events
	run -d $d -n "${BENCH_ENTITY:-20000}" entity
	run -d $d -n "${BENCH_ENTITY:-20000}" entities
done
run -d write-nosync -n "${BENCH_IDLE:-100000}" idle
