#!/usr/bin/env python3
"""The booking flow of the custom status seed as an executable: the
discount from CalculateDiscount (PHP), a custom status offering it, a wait
for BookingConfirmed with a timeout of discountTimeout seconds, and a final
custom status message. Input: a user ID, or {"userId":..., "discountTimeout":N}."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import durable  # noqa: E402


def orchestrator(ctx):
    data = ctx.get_input()
    user, timeout = data, 60
    if isinstance(data, dict):
        user, timeout = data.get("userId"), int(data.get("discountTimeout", 60))
    discount = yield ctx.call_activity("CalculateDiscount", user)
    ctx.set_custom_status({"discount": discount, "discountTimeout": timeout, "bookingUrl": ""})
    deadline = ctx.current_utc_datetime + datetime.timedelta(seconds=timeout)
    timer = ctx.create_timer(deadline)
    confirmed = ctx.wait_for_external_event("BookingConfirmed")
    winner = yield ctx.task_any([confirmed, timer])
    is_confirmed = False
    if winner is confirmed:
        timer.cancel()
        is_confirmed = confirmed.result is True
    if is_confirmed:
        ctx.set_custom_status({"message": "Thank you for confirming your booking."})
    else:
        ctx.set_custom_status({"message": "The booking was not confirmed on time. Please try again."})
    return is_confirmed


if __name__ == "__main__":
    durable.main(orchestrator)
