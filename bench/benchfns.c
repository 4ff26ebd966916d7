/*
 * benchfns.c — the functions the orchestration benchmark runs besides the
 * HelloSequence sample (bench/bench_orch.c):
 *
 *   BenchSeq(n)     n sequential calls of Noop: one instance's activity rate
 *   BenchFanOut(n)  n parallel calls of Noop, then their sum: fan-out/fan-in
 *   BenchEvents(n)  waits for n events named "e": events into one instance
 *   Noop(x)         returns x
 */
#include <stdlib.h>

#include "taskhub.h"

const char *bench_seq(th_orch *o);
const char *bench_fanout(th_orch *o);
const char *bench_events(th_orch *o);
int bench_noop(th_activity *a);

const char *
bench_seq(th_orch *o)
{
	long n = atol(th_get_input(o));

	for (long i = 0; i < n; i++)
		th_await_result(o, th_call_activity(o, "Noop", th_printf(th_orch_arena(o), "%ld", i)));
	return th_printf(th_orch_arena(o), "%ld", n);
}

const char *
bench_fanout(th_orch *o)
{
	long n = atol(th_get_input(o)), sum = 0;
	th_task **t = th_alloc(th_orch_arena(o), (size_t)(n > 0 ? n : 1) * sizeof(*t));

	for (long i = 0; i < n; i++)
		t[i] = th_call_activity(o, "Noop", th_printf(th_orch_arena(o), "%ld", i));
	th_await_result(o, th_when_all(o, t, (size_t)n));
	for (long i = 0; i < n; i++)
		sum += atol(th_task_result(t[i]));
	return th_printf(th_orch_arena(o), "%ld", sum);
}

const char *
bench_events(th_orch *o)
{
	long n = atol(th_get_input(o));

	for (long i = 0; i < n; i++)
		th_await_result(o, th_wait_for_event(o, "e"));
	return th_printf(th_orch_arena(o), "%ld", n);
}

int
bench_noop(th_activity *a)
{
	th_activity_set_output(a, th_activity_input(a));
	return 0;
}
