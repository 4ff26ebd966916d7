/*
 * timing.c — timers and external events for the end-to-end tests.
 *
 *   Timer2s      a durable timer 2 s after the episode's time; output
 *                {"start":T,"fireAt":T+2000000} (µs since the epoch)
 *   TwoEvents    waits for First, then Second; output [first, second];
 *                custom status "waiting First", then "waiting Second"
 *   WaitTimeout  input {"seconds":N}: waits for Answer at most N s; output
 *                {"value":V} or {"timedOut":true}; custom status "waiting"
 *   LongWait     waits for Finish (no timeout); output its value; custom
 *                status "waiting"
 *   Sender       input {"target":ID,"event":NAME,"value":V}: raises the
 *                event on instance ID; output "sent"
 */
#include "testapp.h"

const char *
timer_2s(th_orch *o)
{
	int64_t start = th_current_time(o);
	int64_t fire_at = start + 2000000;

	th_await(o, th_create_timer(o, fire_at));
	return th_printf(th_orch_arena(o), "{\"start\":%lld,\"fireAt\":%lld}", (long long)start, (long long)fire_at);
}

const char *
two_events(th_orch *o)
{
	const char *first, *second;

	th_set_custom_status(o, "\"waiting First\"");
	first = th_await_result(o, th_wait_for_event(o, "First"));
	th_set_custom_status(o, "\"waiting Second\"");
	second = th_await_result(o, th_wait_for_event(o, "Second"));
	return th_printf(th_orch_arena(o), "[%s,%s]", first ? first : "null", second ? second : "null");
}

const char *
wait_timeout(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *v = sjson_member(a, th_get_input(o), "seconds");
	long long seconds;
	th_task *t;

	if (sjson_int(v, &seconds) == -1 || seconds < 1)
		th_fail(o, "WaitTimeout expects {\"seconds\":N} with N >= 1", NULL);
	th_set_custom_status(o, "\"waiting\"");
	t = th_wait_for_event_timeout(o, "Answer", (int64_t)seconds * 1000000);
	if (th_await(o, t) == TH_TASK_TIMED_OUT)
		return "{\"timedOut\":true}";
	return th_printf(a, "{\"value\":%s}", th_task_result(t) ? th_task_result(t) : "null");
}

const char *
long_wait(th_orch *o)
{
	const char *v;

	th_set_custom_status(o, "\"waiting\"");
	v = th_await_result(o, th_wait_for_event(o, "Finish"));
	return v ? v : "null";
}

const char *
sender(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *target = sjson_string(a, sjson_member(a, in, "target"));
	const char *event = sjson_string(a, sjson_member(a, in, "event"));
	const char *value = sjson_member(a, in, "value");

	if (target == NULL || event == NULL)
		th_fail(o, "Sender expects {\"target\":ID,\"event\":NAME,\"value\":V}", NULL);
	th_send_event(o, target, event, value);
	return "\"sent\"";
}
