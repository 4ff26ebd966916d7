/*
 * regress.c — functions for regression tests of defects found in review.
 *
 *   HugeResult       calls HugeOutput and returns the task's error text
 *                    (a JSON string), or "completed" if it did not fail
 *   HugeOutput       an activity returning a 5 MB JSON string: over the
 *                    store's 4 MiB value cap
 *   SendThenContinue input {"target":ID,"round":R}: in round 0 raises Go on
 *                    the target and continues as new with round 1; in
 *                    round 1 completes with "done". The event must not be
 *                    lost with the execution that sent it.
 */
#include <stdlib.h>
#include <string.h>

#include "testapp.h"

const char *
huge_result(th_orch *o)
{
	th_task *t = th_call_activity(o, "HugeOutput", NULL);

	if (th_await(o, t) == TH_TASK_COMPLETED)
		return "\"completed\"";
	return th_json_string(th_orch_arena(o), th_task_error(t));
}

int
huge_output(th_activity *a)
{
	size_t n = 5u * 1024 * 1024;
	char *s = th_alloc(th_activity_arena(a), n + 3);

	s[0] = '"';
	memset(s + 1, 'x', n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	th_activity_set_output(a, s);
	return 0;
}

const char *
send_then_continue(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *target = sjson_string(a, sjson_member(a, in, "target"));
	long long round = 0;

	if (target == NULL)
		th_fail(o, "SendThenContinue expects {\"target\":ID,\"round\":R}", NULL);
	sjson_int(sjson_member(a, in, "round"), &round);
	if (round > 0)
		return "\"done\"";
	th_send_event(o, target, "Finish", "\"from the first execution\"");
	th_continue_as_new(o, th_printf(a, "{\"target\":%s,\"round\":1}", th_json_string(a, target)), 0);
}
