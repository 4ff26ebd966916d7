#!/bin/sh
# mkapp.sh — assembles a function app folder for the end-to-end tests:
#
#	mkapp.sh OUTDIR MODULE.so HOST.json TRIGGER:NAME:ENTRY...
#
# writes OUTDIR/host.json, OUTDIR/<module>.so and, for each function,
# OUTDIR/NAME/function.json binding TRIGGER (orchestrationTrigger or
# activityTrigger) to the symbol ENTRY of ../<module>.so, the layout of an
# Azure Functions app (docs/functions.md). Built beside OUTDIR and renamed
# into place, so a half-written app is never seen.
set -e
out=$1 so=$2 host=$3
shift 3
base=$(basename "$so")
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$host" "$out.tmp/host.json"
cp "$so" "$out.tmp/$base"
for f in "$@"; do
	trigger=${f%%:*}
	rest=${f#*:}
	name=${rest%%:*}
	entry=${rest#*:}
	mkdir -p "$out.tmp/$name"
	cat >"$out.tmp/$name/function.json" <<JSON
{
  "bindings": [
    {
      "name": "context",
      "type": "$trigger",
      "direction": "in"
    }
  ],
  "scriptFile": "../$base",
  "entryPoint": "$entry"
}
JSON
done
rm -rf "$out"
mv "$out.tmp" "$out"
