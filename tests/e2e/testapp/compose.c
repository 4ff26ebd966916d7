/*
 * compose.c — orchestrations made of other work.
 *
 *   Parent     input {"value":N,"fail":B}: runs Child with the same input
 *              (instance ID "<parent>:0"); output {"child":<its output>}
 *   Child      fails with "child failed on purpose" when fail is true, else
 *              returns Double(N)
 *   Double     N -> 2N
 *   FanOut     input N (1..100000): Double(1) ... Double(N) at once, then
 *              waits for all; output {"count":N,"sum":N*(N+1)}
 *   CanCounter input N: continues as new with N+1 until N = 10; output 10
 *   CanEvents  generation 0 (input {"preserve":P}) waits for Start, then
 *              continues as new as generation 1 ({"gen":1}), keeping the
 *              events not yet received when P is true; generation 1 waits
 *              for two Item events; output [item1, item2]. Custom status
 *              "gen0 waiting Start" / "gen1 waiting Item".
 */
#include "testapp.h"

const char *
parent_orch(th_orch *o)
{
	const char *r = th_await_result(o, th_call_sub_orchestrator(o, "Child", NULL, th_get_input(o)));

	return th_printf(th_orch_arena(o), "{\"child\":%s}", r ? r : "null");
}

const char *
child_orch(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *value = sjson_member(a, in, "value");

	if (sjson_is_true(sjson_member(a, in, "fail")))
		th_fail(o, "child failed on purpose", NULL);
	return th_await_result(o, th_call_activity(o, "Double", value ? value : "0"));
}

int
double_it(th_activity *a)
{
	long long n;

	if (sjson_int(th_activity_input(a), &n) == -1 || n > 1000000000LL || n < -1000000000LL)
		return th_activity_fail(a, "Double expects a number", NULL);
	th_activity_set_output(a, th_printf(th_activity_arena(a), "%lld", 2 * n));
	return 0;
}

const char *
fan_out(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	long long n, i, sum = 0, v;
	th_task **tasks;

	if (sjson_int(th_get_input(o), &n) == -1 || n < 1 || n > 100000)
		th_fail(o, "FanOut expects a number from 1 to 100000", NULL);
	tasks = th_alloc(a, (size_t)n * sizeof(*tasks));
	for (i = 0; i < n; i++)
		tasks[i] = th_call_activity(o, "Double", th_printf(a, "%lld", i + 1));
	th_await_result(o, th_when_all(o, tasks, (size_t)n));
	for (i = 0; i < n; i++) {
		if (sjson_int(th_task_result(tasks[i]), &v) == -1)
			th_fail(o, th_printf(a, "FanOut: task %lld returned %.40s", i, th_task_result(tasks[i])), NULL);
		sum += v;
	}
	return th_printf(a, "{\"count\":%lld,\"sum\":%lld}", n, sum);
}

const char *
can_counter(th_orch *o)
{
	long long n;

	if (sjson_int(th_get_input(o), &n) == -1)
		n = 0;
	if (n < 10)
		th_continue_as_new(o, th_printf(th_orch_arena(o), "%lld", n + 1), 0);
	return th_printf(th_orch_arena(o), "%lld", n);
}

const char *
can_events(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o), *first, *second;
	long long gen = 0;

	if (sjson_int(sjson_member(a, in, "gen"), &gen) == -1)
		gen = 0;
	if (gen == 0) {
		th_set_custom_status(o, "\"gen0 waiting Start\"");
		th_await(o, th_wait_for_event(o, "Start"));
		th_continue_as_new(o, "{\"gen\":1}", sjson_is_true(sjson_member(a, in, "preserve")));
	}
	th_set_custom_status(o, "\"gen1 waiting Item\"");
	first = th_await_result(o, th_wait_for_event(o, "Item"));
	second = th_await_result(o, th_wait_for_event(o, "Item"));
	return th_printf(a, "[%s,%s]", first ? first : "null", second ? second : "null");
}
