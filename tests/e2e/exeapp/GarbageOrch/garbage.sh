#!/bin/sh
# GarbageOrch: an orchestrator that answers garbage.
echo "{\"isDone\": maybe"
