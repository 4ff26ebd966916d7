/*
 * limits.c — the custom status size limit and a changed orchestrator.
 *
 *   BigStatus  input {"size":N,"char":C}: sets as custom status the JSON
 *              string of N copies of the one-character string C (default
 *              "x"), then completes with "ok". The limit (spec §4) is on
 *              the UTF-16 size of the JSON text: 2 * (N + 2) bytes for a
 *              BMP character, 2 * (2N + 2) for one outside it.
 *   Changing   v1 (changing_v1) calls StepA, then waits for Continue; v2
 *              (changing_v2) calls StepB there instead. An instance started
 *              under v1 and replayed under v2 is non-deterministic.
 *              Output "v1" / "v2"; custom status "waiting".
 *   StepA, StepB  return "A" / "B".
 */
#include <string.h>

#include "testapp.h"

const char *
big_status(th_orch *o)
{
	th_arena *a = th_orch_arena(o);
	const char *in = th_get_input(o);
	const char *c = sjson_string(a, sjson_member(a, in, "char"));
	long long n, i;
	size_t clen;
	char *s, *p;

	if (sjson_int(sjson_member(a, in, "size"), &n) == -1 || n < 0 || n > 1000000)
		th_fail(o, "BigStatus expects {\"size\":N} with N from 0 to 1000000", NULL);
	if (c == NULL)
		c = "x";
	clen = strlen(c);
	if (clen == 0 || clen > 4 || strchr(c, '"') || strchr(c, '\\'))
		th_fail(o, "BigStatus: char must be one character needing no escape", NULL);
	p = s = th_alloc(a, (size_t)n * clen + 3);
	*p++ = '"';
	for (i = 0; i < n; i++, p += clen)
		memcpy(p, c, clen);
	*p++ = '"';
	*p = '\0';
	th_set_custom_status(o, s);
	return "\"ok\"";
}

static const char *
changing(th_orch *o, const char *step, const char *output)
{
	th_await_result(o, th_call_activity(o, step, "null"));
	th_set_custom_status(o, "\"waiting\"");
	th_await(o, th_wait_for_event(o, "Continue"));
	return output;
}

const char *
changing_v1(th_orch *o)
{
	return changing(o, "StepA", "\"v1\"");
}

const char *
changing_v2(th_orch *o)
{
	return changing(o, "StepB", "\"v2\"");
}

int
step_a(th_activity *a)
{
	th_activity_set_output(a, "\"A\"");
	return 0;
}

int
step_b(th_activity *a)
{
	th_activity_set_output(a, "\"B\"");
	return 0;
}
