#!/bin/sh
# Garbage: prints something that is not JSON.
echo "this is { not json"
