#!/usr/bin/env python3
"""HelloSequence as an executable (the Durable Functions "visualize
progress" sample): SayHello for Tokyo, Seattle and London in sequence, the
custom status naming the last city done; output the three greetings."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    outputs = []
    for city in ("Tokyo", "Seattle", "London"):
        outputs.append((yield ctx.call_activity("SayHello", city)))
        ctx.set_custom_status(city)
    return outputs


if __name__ == "__main__":
    durable.main(orchestrator)
