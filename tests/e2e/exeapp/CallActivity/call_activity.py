#!/usr/bin/env python3
"""CallActivity: input {"name": A, "input": X}; calls activity A with X
and returns {"ok": result} or {"error": reason}."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    req = ctx.get_input()
    try:
        result = yield ctx.call_activity(req["name"], req.get("input"))
    except durable.TaskFailed as e:
        return {"error": str(e)}
    return {"ok": result}


if __name__ == "__main__":
    durable.main(orchestrator)
