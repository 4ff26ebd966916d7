#!/bin/sh
# mkapps-exe.sh — the function apps of the executable benchmark, from the
# all-C bench app (bench/app) and the executable samples (samples/exe):
#
#   bench/app-exe-act   HelloSequence in C, SayHello the shell executable
#   bench/app-exe-orch  HelloSequence the Python executable, SayHello in C
#   bench/app-exe       both executables
#
# Usage: mkapps-exe.sh BUILDDIR SRCDIR
set -eu
b=$1 src=$2
for v in app-exe-act app-exe-orch app-exe; do
	rm -rf "$b/bench/$v"
	cp -R "$b/bench/app" "$b/bench/$v"
	cp "$src/samples/exe/durable.py" "$b/bench/$v/"
done
for v in app-exe-act app-exe; do
	rm -rf "$b/bench/$v/SayHello"
	cp -R "$src/samples/exe/SayHello" "$b/bench/$v/SayHello"
done
for v in app-exe-orch app-exe; do
	rm -rf "$b/bench/$v/HelloSequence"
	cp -R "$src/samples/exe/HelloSequence" "$b/bench/$v/HelloSequence"
done
chmod -R a+rX "$b/bench/app-exe-act" "$b/bench/app-exe-orch" "$b/bench/app-exe"
