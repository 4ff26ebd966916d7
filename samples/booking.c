/*
 * booking.c — BookingFlow and CalculateDiscount (seed: custom orchestration
 * status, "instructions to the client"): the orchestration computes a
 * discount, publishes it with a time limit as its custom status, then waits
 * for the client's BookingConfirmed event for at most that long.
 *
 * Input: the user ID as a JSON string (or number, as in the Python seed),
 * or {"userId":"...","discountTimeout":N} to choose the time limit in
 * seconds (the seed's is 60; tests use a short one).
 *
 *   customStatus  {"discount":D,"discountTimeout":60,"bookingUrl":""}
 *   event         BookingConfirmed (name case-insensitive), value true to confirm
 *   customStatus  {"message":"Thank you for confirming your booking."}, or when the
 *                 value is anything but true or the time runs out
 *                 {"message":"The booking was not confirmed on time. Please try again."}
 *   output        true or false
 */
#include <string.h>

#include "samples.h"

#define BOOKING_TIMEOUT_DEFAULT 60
#define BOOKING_TIMEOUT_MAX     (7 * 24 * 3600)

/*
 * The discount in percent for a user ID: 5 + (the sum of the ID's bytes,
 * as unsigned, modulo 16), so 5 to 20, the same for the same ID. ("user42":
 * bytes sum to 549, 549 mod 16 = 5, discount 10.)
 */
int
booking_discount(const char *user_id)
{
	const unsigned char *p;
	unsigned long sum = 0;

	for (p = (const unsigned char *)user_id; *p; p++)
		sum += *p;
	return 5 + (int)(sum % 16);
}

int
calculate_discount(th_activity *a)
{
	th_arena *ar = th_activity_arena(a);
	const char *user = sjson_string(ar, th_activity_input(a));

	if (user == NULL || *user == '\0')
		return th_activity_fail(a, "CalculateDiscount: the input must be a user ID (a non-empty JSON string)",
					NULL);
	th_activity_set_output(a, th_printf(ar, "%d", booking_discount(user)));
	return 0;
}

/* The user ID of a string or integer input, as text; NULL otherwise. */
static const char *
booking_user(th_arena *a, const char *json)
{
	long long n;
	const char *s;

	if ((s = sjson_string(a, json)) != NULL)
		return *s ? s : NULL;
	if (sjson_int(json, &n) == 0)
		return th_printf(a, "%lld", n);
	return NULL;
}

const char *
booking_flow(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *input = th_get_input(o), *user, *discount, *v;
	long long timeout = BOOKING_TIMEOUT_DEFAULT, d;
	th_task *confirmation;
	int confirmed;

	if ((v = sjson_member(a, input, "userId")) != NULL) {
		user = booking_user(a, v);
		if ((v = sjson_member(a, input, "discountTimeout")) != NULL &&
		    (sjson_int(v, &timeout) == -1 || timeout < 1 || timeout > BOOKING_TIMEOUT_MAX))
			th_fail(o, "BookingFlow: discountTimeout must be a whole number of seconds from 1 to 604800",
				NULL);
	} else {
		user = booking_user(a, input);
	}
	if (user == NULL)
		th_fail(o,
			"BookingFlow expects a user ID (a string) or {\"userId\":\"...\",\"discountTimeout\":N} as "
			"input",
			NULL);

	discount = th_await_result(o, th_call_activity(o, "CalculateDiscount", th_json_string(a, user)));
	if (sjson_int(discount, &d) == -1)
		th_fail(o, "BookingFlow: CalculateDiscount did not return a number", NULL);
	th_set_custom_status(
		o, th_printf(a, "{\"discount\":%lld,\"discountTimeout\":%lld,\"bookingUrl\":\"\"}", d, timeout));

	/* The wait's own durable timer ends it after timeout seconds. */
	confirmation = th_wait_for_event_timeout(o, "BookingConfirmed", (int64_t)timeout * 1000000);
	confirmed = th_await(o, confirmation) == TH_TASK_COMPLETED && sjson_is_true(th_task_result(confirmation));
	if (confirmed)
		th_set_custom_status(o, "{\"message\":\"Thank you for confirming your booking.\"}");
	else
		th_set_custom_status(o, "{\"message\":\"The booking was not confirmed on time. Please try again.\"}");
	return confirmed ? "true" : "false";
}
