#!/bin/sh
# Hang: never exits (the timeout, 3 s in host.json, must kill it).
exec sleep 1000
