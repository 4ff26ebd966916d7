#!/bin/sh
# Orphan: starts a grandchild that keeps running, then answers.
sleep 1000 >/dev/null 2>&1 &
echo "\"ok\""
