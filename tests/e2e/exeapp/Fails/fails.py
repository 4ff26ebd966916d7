#!/usr/bin/env python3
"""Fails: raises after one activity (the $OutOfProcData$ failure form)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    yield ctx.call_activity("Echo", 1)
    raise ValueError("the order cannot be shipped")


if __name__ == "__main__":
    durable.main(orchestrator)
