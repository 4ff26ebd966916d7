/*
 * hello.c — HelloSequence and SayHello, the Durable Functions "visualize
 * progress" sample (seed: custom orchestration status): three activity
 * calls in sequence, the custom status naming the city just greeted, so a
 * client polling GET status sees the orchestration advance.
 *
 *   output        ["Hello Tokyo!","Hello Seattle!","Hello London!"]
 *   customStatus  "Tokyo", then "Seattle", then "London" (final)
 */
#include "samples.h"

const char *
hello_sequence(th_orch *o)
{
	static const char *const cities[] = {"Tokyo", "Seattle", "London"};
	th_arena *a = th_orch_arena(o);
	const char *out[3];
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *city = th_json_string(a, cities[i]);

		/* Returns once the history holds SayHello's result; until
		 * then the episode ends here and is replayed later. */
		out[i] = th_await_result(o, th_call_activity(o, "SayHello", city));
		th_set_custom_status(o, city);
	}
	return th_printf(a, "[%s,%s,%s]", out[0], out[1], out[2]);
}

/* SayHello(name) = "Hello <name>!". Runs on a worker thread: it touches
 * nothing but its own arguments. */
int
say_hello(th_activity *a)
{
	th_arena *ar = th_activity_arena(a);
	const char *name = sjson_string(ar, th_activity_input(a));

	if (name == NULL)
		return th_activity_fail(a, "SayHello: the input must be a JSON string (a name)", NULL);
	th_activity_set_output(a, th_json_string(ar, th_printf(ar, "Hello %s!", name)));
	return 0;
}
