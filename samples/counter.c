/*
 * counter.c — the Counter entity of the Durable Functions samples: a
 * number that operations change one at a time, in arrival order.
 *
 *   add(n)   the state becomes state + n (the state starts at 0)
 *   reset    the state becomes 0
 *   get      returns the state
 *   delete   not handled here: taskhub's built-in delete removes the state
 */
#include <stdlib.h>
#include <string.h>

#include "samples.h"

int counter(th_entity *e);

int
counter(th_entity *e)
{
	const char *op = th_entity_operation(e);
	const char *st = th_entity_get_state(e);
	long long value = st != NULL ? atoll(st) : 0, n;
	char *end;

	if (strcmp(op, "add") == 0) {
		const char *in = th_entity_input(e);
		n = strtoll(in, &end, 10);
		if (end == in || *end != '\0')
			return th_entity_fail(e, "add expects an integer");
		th_entity_set_state(e, th_printf(th_entity_arena(e), "%lld", value + n));
		return 0;
	}
	if (strcmp(op, "reset") == 0) {
		th_entity_set_state(e, "0");
		return 0;
	}
	if (strcmp(op, "get") == 0) {
		th_entity_return(e, th_printf(th_entity_arena(e), "%lld", value));
		return 0;
	}
	return TH_ENTITY_NOT_HANDLED;
}

/*
 * CounterUser — an orchestration using the Counter entity: input a key
 * (a JSON string). Signals add(5), then calls get (the signal arrives
 * first: operations from one sender keep their order), then calls add with
 * a non-integer, which fails; output {"value":N,"error":"<its reason>"}.
 */
const char *counter_user(th_orch *o);

const char *
counter_user(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *key = sjson_string(a, th_get_input(o));
	const char *value;
	th_task *bad;

	if (key == NULL)
		th_fail(o, "CounterUser expects a key (a JSON string)", NULL);
	th_signal_entity(o, "Counter", key, "add", "5");
	value = th_await_result(o, th_call_entity(o, "Counter", key, "get", NULL));
	bad = th_call_entity(o, "Counter", key, "add", "\"x\"");
	th_await(o, bad);
	return th_printf(a, "{\"value\":%s,\"error\":%s}", value ? value : "null",
			 th_json_string(a, th_task_error(bad)));
}
