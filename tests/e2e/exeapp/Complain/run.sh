#!/bin/sh
# Complain: fails with a reason on stderr.
echo "the warehouse is closed" >&2; exit 3
