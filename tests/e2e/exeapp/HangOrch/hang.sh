#!/bin/sh
# HangOrch: an orchestrator that never answers.
exec sleep 1000
