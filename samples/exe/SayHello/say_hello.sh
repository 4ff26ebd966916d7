#!/bin/sh
# SayHello as an executable activity: the input (a JSON string such as
# "Tokyo") on standard input, the greeting as a JSON string on standard
# output. Names with quotes or backslashes are refused (exit 1, the reason
# on stderr), as this sample does no JSON escaping.
set -eu
input=$(cat)
case $input in
\"*\") name=${input#\"}; name=${name%\"} ;;
*) echo "SayHello expects a JSON string, got: $input" >&2; exit 1 ;;
esac
case $name in
*\"* | *\\*) echo "SayHello does not handle quotes or backslashes" >&2; exit 1 ;;
esac
printf '"Hello %s!"\n' "$name"
