#!/usr/bin/env python3
"""Tour: every protocol feature in one orchestration. Round 0: a fan-out of
three Echo activities (WhenAll), a durable timer of one second, a wait for
the external event Go, a sub-orchestration (TourChild), then
continue-as-new into round 1 carrying what it gathered; round 1 returns
it. Custom status: the step it is at."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    state = ctx.get_input() or {}
    if state.get("round") == 1:
        ctx.set_custom_status("done")
        return state["gathered"]
    ctx.set_custom_status("fan-out")
    echoes = yield ctx.task_all([ctx.call_activity("Echo", {"n": n}) for n in range(3)])
    ctx.set_custom_status("timer")
    yield ctx.create_timer(ctx.current_utc_datetime + datetime.timedelta(seconds=1))
    ctx.set_custom_status("waiting Go")
    go = yield ctx.wait_for_external_event("Go")
    ctx.set_custom_status("child")
    child = yield ctx.call_sub_orchestrator("TourChild", {"from": ctx.instance_id})
    ctx.continue_as_new({"round": 1, "gathered": {"echoes": echoes, "go": go, "child": child}})


if __name__ == "__main__":
    durable.main(orchestrator)
