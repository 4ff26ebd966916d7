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

/*
 * Transfer — moves an amount between two Counters inside a critical
 * section, round after round: input {"from":K1,"to":K2,"amount":N,
 * "rounds":R}; output R. No other orchestration can touch either counter
 * between the read and the two adds, so the sum of the two never changes.
 */
const char *transfer(th_orch *o);
const char *audit(th_orch *o);

static void
counters_lock_pair(th_orch *o, const char *a, const char *b, th_critical **c)
{
	const char *names[2] = {"Counter", "Counter"};
	const char *keys[2] = {a, b};

	*c = th_lock_entities(o, names, keys, 2);
}

const char *
transfer(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *from = sjson_string(a, sjson_member(a, in, "from"));
	const char *to = sjson_string(a, sjson_member(a, in, "to"));
	long long amount = 0, rounds = 0;
	th_critical *c;

	if (from == NULL || to == NULL || sjson_int(sjson_member(a, in, "amount"), &amount) == -1 ||
	    sjson_int(sjson_member(a, in, "rounds"), &rounds) == -1)
		th_fail(o, "Transfer expects {\"from\":K1,\"to\":K2,\"amount\":N,\"rounds\":R}", NULL);
	for (long long r = 0; r < rounds; r++) {
		counters_lock_pair(o, from, to, &c);
		th_await_result(o, th_call_entity(o, "Counter", from, "add", th_printf(a, "%lld", -amount)));
		th_await_result(o, th_call_entity(o, "Counter", to, "add", th_printf(a, "%lld", amount)));
		th_unlock_entities(o, c);
	}
	return th_printf(a, "%lld", rounds);
}

/*
 * Audit — reads two Counters inside a critical section, round after
 * round: input {"a":K1,"b":K2,"rounds":R}; output the sums seen.
 */
const char *
audit(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *ka = sjson_string(a, sjson_member(a, in, "a"));
	const char *kb = sjson_string(a, sjson_member(a, in, "b"));
	long long rounds = 0;
	char *sums = "[";
	th_critical *c;

	if (ka == NULL || kb == NULL || sjson_int(sjson_member(a, in, "rounds"), &rounds) == -1)
		th_fail(o, "Audit expects {\"a\":K1,\"b\":K2,\"rounds\":R}", NULL);
	for (long long r = 0; r < rounds; r++) {
		long long va = 0, vb = 0;
		counters_lock_pair(o, ka, kb, &c);
		sjson_int(th_await_result(o, th_call_entity(o, "Counter", ka, "get", NULL)), &va);
		sjson_int(th_await_result(o, th_call_entity(o, "Counter", kb, "get", NULL)), &vb);
		th_unlock_entities(o, c);
		sums = th_printf(a, "%s%s%lld", sums, r ? "," : "", va + vb);
	}
	return th_printf(a, "%s]", sums);
}
