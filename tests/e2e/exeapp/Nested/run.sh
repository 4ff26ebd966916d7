#!/bin/sh
# Nested: a shell that starts two sleeps and waits (no exec): what it
# started must die with the daemon too, not only the shell.
sleep 1000 &
sleep 1001
