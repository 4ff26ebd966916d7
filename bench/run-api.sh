#!/bin/sh
# run-api.sh — runs the HTTP API benchmark (bench/bench_api.py): taskhub.fcgi
# against the trivial and one-put FastCGI responders, behind lighttpd and
# Apache mod_fcgid started with the shipped configurations (apache-conf/),
# on 127.0.0.1 only. Prints the machine and Markdown tables.
#
# Usage: run-api.sh [BUILDDIR] [bench_api.py options...]
#   BUILDDIR defaults to . (the build directory, as `make bench-api` runs
#   it); it must hold taskhub.fcgi, taskhubctl, bench/trivial_fcgi,
#   bench/put_fcgi and tests/http/fixture (make bench-api builds them).
#   python3 bench/bench_api.py -h lists the options (rounds, duration,
#   connections, servers, --json FILE).
# Builds nothing. wrk is installed with apt-get if missing (as root). Takes
# about nine minutes with the defaults (3 rounds of 6 cases x 2 servers x
# 10 s). Run it on a quiet machine: the load average is printed before and
# after, and no test asserts on these timings.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
builddir=.
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	builddir=$1
	shift
fi
if [ ! -x "$builddir/taskhub.fcgi" ]; then
	echo "run-api.sh: $builddir/taskhub.fcgi not found; run 'make bench-api' in the build directory" >&2
	exit 1
fi
exec python3 "$here/bench_api.py" "$builddir" "$@"
