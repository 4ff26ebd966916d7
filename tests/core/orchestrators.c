/*
 * orchestrators.c — small orchestrators, one per behaviour the golden cases
 * exercise. Each is written the way a user would write it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrators.h"

#define SEC 1000000LL

/* The seed's E1_HelloSequence. */
static const char *
hello_sequence(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *r1 = th_await_result(o, th_call_activity(o, "SayHello", "\"Tokyo\""));
	const char *r2 = th_await_result(o, th_call_activity(o, "SayHello", "\"Seattle\""));
	const char *r3 = th_await_result(o, th_call_activity(o, "SayHello", "\"London\""));

	return th_printf(a, "[%s,%s,%s]", r1, r2, r3);
}

/* Reports replay state and time after an activity. */
static const char *
clock_orch(th_orch *o)
{
	int r0 = th_is_replaying(o);
	int64_t t0 = th_current_time(o);

	th_await(o, th_call_activity(o, "Work", NULL));
	return th_printf(th_orch_arena(o), "{\"before\":[%d,%lld],\"after\":[%d,%lld]}", r0, (long long)t0,
			 th_is_replaying(o), (long long)th_current_time(o));
}

static const char *
timer_orch(th_orch *o)
{
	th_await(o, th_create_timer(o, th_current_time(o) + 60 * SEC));
	return "\"done\"";
}

static const char *
wait_event(th_orch *o)
{
	return th_await_result(o, th_wait_for_event(o, "Approval"));
}

/* Two waits of one name: events are delivered one per wait, in order. */
static const char *
wait_two(th_orch *o)
{
	th_task *a = th_wait_for_event(o, "Step");
	th_task *b = th_wait_for_event(o, "step");

	return th_printf(th_orch_arena(o), "[%s,%s]", th_await_result(o, a), th_await_result(o, b));
}

static const char *
wait_timeout(th_orch *o)
{
	th_task *t = th_wait_for_event_timeout(o, "Approval", 30 * SEC);

	if (th_await(o, t) == TH_TASK_TIMED_OUT)
		return "\"timeout\"";
	return th_task_result(t);
}

static const char *
fan_out(th_orch *o)
{
	th_task *t[3];

	t[0] = th_call_activity(o, "Work", "1");
	t[1] = th_call_activity(o, "Work", "2");
	t[2] = th_call_activity(o, "Work", "3");
	return th_await_result(o, th_when_all(o, t, 3));
}

/* An activity against a deadline; the timer is cancelled when it loses. */
static const char *
race(th_orch *o)
{
	th_task *t[2], *any;

	t[0] = th_call_activity(o, "Slow", NULL);
	t[1] = th_create_timer(o, th_current_time(o) + 10 * SEC);
	any = th_when_any(o, t, 2);
	th_await(o, any);
	if (th_task_winner(any) == t[0]) {
		th_cancel_timer(o, t[1]);
		return th_printf(th_orch_arena(o), "{\"activity\":%s}", th_task_result(t[0]));
	}
	return "\"timer\"";
}

static const char *
sub_orch(th_orch *o)
{
	const char *a = th_await_result(o, th_call_sub_orchestrator(o, "Child", NULL, "\"x\""));
	const char *b = th_await_result(o, th_call_sub_orchestrator(o, "Child", "fixed-child", NULL));

	return th_printf(th_orch_arena(o), "[%s,%s]", a, b);
}

static const char *
send_event(th_orch *o)
{
	th_send_event(o, "other", "Ping", "{\"n\":1}");
	return NULL;
}

static const struct th_retry retry_policy = {
	.first_retry_interval_ms = 1000,
	.max_number_of_attempts = 3,
	.backoff_coefficient = 2.0,
	.max_retry_interval_ms = 0,
	.retry_timeout_ms = 0,
};

static const char *
retry_orch(th_orch *o)
{
	return th_await_result(o, th_call_activity_with_retry(o, "Flaky", "7", &retry_policy));
}

/* Capped interval and a retry timeout of 5 s. */
static const char *
retry_timeout(th_orch *o)
{
	struct th_retry r = {
		.first_retry_interval_ms = 2000,
		.max_number_of_attempts = 10,
		.backoff_coefficient = 3.0,
		.max_retry_interval_ms = 3000,
		.retry_timeout_ms = 5000,
	};

	return th_await_result(o, th_call_activity_with_retry(o, "Flaky", NULL, &r));
}

static const char *
retry_sub(th_orch *o)
{
	struct th_retry r = {.first_retry_interval_ms = 500, .max_number_of_attempts = 2};

	return th_await_result(o, th_call_sub_orchestrator_with_retry(o, "Child", NULL, NULL, &r));
}

/* Waits for "Go", then continues as new; preserve from the input. */
static const char *
carry_orch(th_orch *o)
{
	const char *in = th_get_input(o);

	th_await(o, th_wait_for_event(o, "Go"));
	th_continue_as_new(o, "{\"round\":2}", strcmp(in, "true") == 0);
}

/* Custom status of exactly n characters of JSON text (n = input). */
static const char *
status_size(th_orch *o)
{
	long n = strtol(th_get_input(o), NULL, 10);
	char *s = th_alloc(th_orch_arena(o), (size_t)n + 1);

	memset(s, 'x', (size_t)n);
	s[0] = '"';
	s[n - 1] = '"';
	th_set_custom_status(o, s);
	return "\"ok\"";
}

static const char *
status_bad(th_orch *o)
{
	th_set_custom_status(o, "{\"stage\":1}");
	th_set_custom_status(o, "{oops");
	return "\"unreachable\"";
}

static const char *
status_steps(th_orch *o)
{
	th_set_custom_status(o, "{\"stage\":1}");
	th_await(o, th_call_activity(o, "Work", NULL));
	th_set_custom_status(o, "{\"stage\":2}");
	th_await(o, th_wait_for_event(o, "Never"));
	return NULL;
}

static const char *
guids(th_orch *o)
{
	const char *a = th_new_guid(o);
	const char *b = th_new_guid(o);

	return th_printf(th_orch_arena(o), "[\"%s\",\"%s\"]", a, b);
}

static const char *
fail_orch(th_orch *o)
{
	th_fail(o, "boom", "at step 1");
}

/* Fails while an activity is still running: completion waits for it. */
static const char *
fail_open(th_orch *o)
{
	th_call_activity(o, "Work", NULL);
	th_fail(o, "early", NULL);
}

/* Returns while a timer is pending: completion waits for it. */
static const char *
return_open(th_orch *o)
{
	th_create_timer(o, th_current_time(o) + 5 * SEC);
	return "1";
}

static const char *
many_actions(th_orch *o)
{
	int i;

	for (i = 0; i < 5; i++)
		th_call_activity(o, "Work", NULL);
	return NULL;
}

static const char *
bad_output(th_orch *o)
{
	(void)o;
	return "{not json";
}

static const struct {
	const char *name;
	th_orchestrator_fn *fn;
} orchs[] = {
	{"HelloSequence", hello_sequence},
	{"Clock", clock_orch},
	{"Timer", timer_orch},
	{"WaitEvent", wait_event},
	{"WaitTwo", wait_two},
	{"WaitTimeout", wait_timeout},
	{"FanOut", fan_out},
	{"Race", race},
	{"SubOrch", sub_orch},
	{"SendEvent", send_event},
	{"Retry", retry_orch},
	{"RetryTimeout", retry_timeout},
	{"RetrySub", retry_sub},
	{"Carry", carry_orch},
	{"StatusSize", status_size},
	{"StatusBad", status_bad},
	{"StatusSteps", status_steps},
	{"Guids", guids},
	{"Fail", fail_orch},
	{"FailOpen", fail_open},
	{"ReturnOpen", return_open},
	{"ManyActions", many_actions},
	{"BadOutput", bad_output},
};

th_orchestrator_fn *
orch_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(orchs) / sizeof(orchs[0]); i++)
		if (strcasecmp(orchs[i].name, name) == 0)
			return orchs[i].fn;
	return NULL;
}
