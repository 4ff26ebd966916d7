#!/bin/sh
# run-exe.sh — what an executable function costs against the same function
# in C, on the same HelloSequence (3 activities, 4 orchestrator episodes):
# the all-C app, then with SayHello as a shell executable, then with
# HelloSequence as a Python executable, then both. Each line: one client
# starting HelloSequence and waiting for it (BENCH_LATENCY times), and
# BENCH_HELLO started at once. write-nosync, so that flushes do not hide
# the process costs.
#
# Usage: run-exe.sh BUILDDIR SRCDIR   (as `make bench-exe` runs it)
set -eu
b=${1:-.} src=${2:-..}
sh "$src/bench/mkapps-exe.sh" "$b" "$src"
echo "## Executable functions against in-process C"
echo
echo "- machine: $(nproc) CPUs, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| app | scenario | durability | work | rate | latency / time | daemon VmHWM KiB |"
echo "|---|---|---|---|---|---|---|"
for app in app app-exe-act app-exe-orch app-exe; do
	for sc in "latency -n ${BENCH_LATENCY:-50}" "hello -n ${BENCH_HELLO:-300}"; do
		printf '| %s ' "$app"
		# shellcheck disable=SC2086
		"$b/bench/bench_orch" -D "$b/taskhubd" -a "$b/bench/$app" -d write-nosync $sc
	done
done
