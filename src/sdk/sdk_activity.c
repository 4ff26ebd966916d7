/*
 * sdk_activity.c — one activity invocation: the th_activity context, its
 * arena, and the conversion of what the function did into a result the
 * daemon turns into TaskCompleted or TaskFailed.
 */
#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "core/core_int.h"
#include "sdk/sdk.h"

struct th_activity {
	struct core_arena *arena;
	const char *name, *instance_id, *input;
	const char *output;
	const char *reason, *details;
	int failed;
	jmp_buf oom;
};

th_arena *
th_activity_arena(th_activity *a)
{
	return CORE_TH_ARENA(a->arena);
}

const char *
th_activity_input(th_activity *a)
{
	return a->input ? a->input : "null";
}

const char *
th_activity_name(th_activity *a)
{
	return a->name;
}

const char *
th_activity_instance_id(th_activity *a)
{
	return a->instance_id;
}

void
th_activity_set_output(th_activity *a, const char *json)
{
	a->output = th_strdup(th_activity_arena(a), json);
}

int
th_activity_fail(th_activity *a, const char *reason, const char *details)
{
	a->failed = 1;
	a->reason = th_strdup(th_activity_arena(a), reason);
	a->details = th_strdup(th_activity_arena(a), details);
	return -1;
}

static void
activity_oom(void *ctx)
{
	th_activity *a = ctx;

	longjmp(a->oom, 1);
}

static char *
activity_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
activity_failed(struct sdk_activity_result *out, const char *name, const char *reason, const char *details,
		const char *fallback)
{
	char msg[512];

	if (reason == NULL) {
		snprintf(msg, sizeof(msg), fallback, name ? name : "");
		reason = msg;
	}
	out->ok = 0;
	out->error = activity_dup(reason);
	out->details = activity_dup(details);
}

void
sdk_activity_run(th_activity_fn *fn, const char *name, const char *instance_id, const char *input,
		 struct sdk_activity_result *out)
{
	th_activity act, *volatile a = &act;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&act, 0, sizeof(act));
	act.name = name;
	act.instance_id = instance_id;
	act.input = input;
	if ((act.arena = core_arena_new()) == NULL) {
		activity_failed(out, name, NULL, NULL, "Activity function '%s' failed: out of memory");
		return;
	}
	act.arena->oom = activity_oom;
	act.arena->oom_ctx = &act;
	if (setjmp(act.oom) != 0) {
		activity_failed(out, name, NULL, NULL, "Activity function '%s' failed: out of memory");
		goto done;
	}
	rc = fn(a);
	if (a->failed || rc != 0)
		activity_failed(out, name, a->reason, a->details, "Activity function '%s' failed");
	else if (a->output != NULL && !jsonutil_valid(a->output, strlen(a->output), JSONUTIL_MAX_DEPTH))
		activity_failed(out, name, NULL, NULL, "Activity function '%s' returned invalid JSON");
	else {
		out->ok = 1;
		out->output = strdup(a->output ? a->output : "null");
	}
	/* malloc itself failing leaves a string NULL: report it as failure. */
	if ((out->ok && out->output == NULL) || (!out->ok && out->error == NULL)) {
		sdk_activity_result_clear(out);
		out->ok = 0;
	}
done:
	core_arena_free(a->arena);
}

void
sdk_activity_result_clear(struct sdk_activity_result *r)
{
	free(r->output);
	free(r->error);
	free(r->details);
	memset(r, 0, sizeof(*r));
}
