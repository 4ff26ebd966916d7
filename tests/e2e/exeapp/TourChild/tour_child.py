#!/usr/bin/env python3
"""TourChild: the sub-orchestration of Tour: one Echo, and its parent's ID."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    echoed = yield ctx.call_activity("Echo", "child")
    return {"echoed": echoed, "parent": ctx.parent_instance_id}


if __name__ == "__main__":
    durable.main(orchestrator)
