/*
 * failing.c — activities that fail on purpose, for rewind and retries.
 *
 *   RewindMe   calls FlakyOnce; output its result ("recovered")
 *   FlakyOnce  fails the first time it runs for an instance, succeeds
 *              after: reason "FlakyOnce: first attempt fails"
 *   Retry      input {"failures":K,"attempts":M}: calls FailTimes(K) with
 *              a retry policy of M attempts 200 ms apart; output the
 *              attempt that succeeded
 *   FailTimes  input K: attempts 1..K fail ("FailTimes: attempt N fails"),
 *              then it returns the attempt number
 */
#include "testapp.h"

const char *
rewind_me(th_orch *o)
{
	return th_await_result(o, th_call_activity(o, "FlakyOnce", "null"));
}

int
flaky_once(th_activity *a)
{
	if (testapp_attempt(th_printf(th_activity_arena(a), "flaky:%s", th_activity_instance_id(a))) == 1)
		return th_activity_fail(a, "FlakyOnce: first attempt fails", NULL);
	th_activity_set_output(a, "\"recovered\"");
	return 0;
}

const char *
retry_orch(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	long long failures, attempts;
	struct th_retry r = {0};

	if (sjson_int(sjson_member(a, in, "failures"), &failures) == -1 ||
	    sjson_int(sjson_member(a, in, "attempts"), &attempts) == -1 || attempts < 1 || attempts > 100)
		th_fail(o, "Retry expects {\"failures\":K,\"attempts\":M}", NULL);
	r.first_retry_interval_ms = 200;
	r.max_number_of_attempts = (int)attempts;
	r.backoff_coefficient = 1.0;
	return th_await_result(o, th_call_activity_with_retry(o, "FailTimes", th_printf(a, "%lld", failures), &r));
}

int
fail_times(th_activity *a)
{
	th_arena *ar = th_activity_arena(a);
	long long failures;
	int n;

	if (sjson_int(th_activity_input(a), &failures) == -1)
		return th_activity_fail(a, "FailTimes expects a number", NULL);
	n = testapp_attempt(th_printf(ar, "failtimes:%s", th_activity_instance_id(a)));
	if (n <= failures)
		return th_activity_fail(a, th_printf(ar, "FailTimes: attempt %d fails", n), NULL);
	th_activity_set_output(a, th_printf(ar, "%d", n));
	return 0;
}
