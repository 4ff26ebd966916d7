/*
 * fuzz_oop.c — the out-of-process orchestrator protocol: a child's reply
 * (spec §6.2–§6.3, or the "$OutOfProcData$:" failure form) through
 * oop_reply_parse(), and a reply that parses through the engine as the
 * first episode of an instance, as the daemon runs it.
 *
 * Input: the reply text, as the child wrote it to stdout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/jsonutil.h"
#include "common/status.h"
#include "core/oop.h"
#include "fuzz/fuzz.h"

/* What the parser promises about a reply it accepts. */
static void
fuzz_oop_check_reply(const struct oop_reply *r)
{
	size_t i;

	if (r->n_actions > OOP_MAX_ACTIONS)
		fuzz_fail("%zu actions", r->n_actions);
	if (r->schema < OOP_SCHEMA_V1 || r->schema > OOP_SCHEMA_V3)
		fuzz_fail("schema %d", r->schema);
	if (r->output != NULL && !jsonutil_valid(r->output, strlen(r->output), OOP_MAX_DEPTH + 1))
		fuzz_fail("output is not JSON: %.200s", r->output);
	if (r->custom_status_set && r->custom_status != NULL &&
	    !jsonutil_valid(r->custom_status, strlen(r->custom_status), OOP_MAX_DEPTH + 1))
		fuzz_fail("customStatus is not JSON: %.200s", r->custom_status);
	if (r->failure_form && (r->error == NULL || r->error[0] == '\0'))
		fuzz_fail("a failure without a message");
	for (i = 0; i < r->n_actions; i++) {
		const struct oop_action *x = &r->actions[i];

		if (x->type < 0 || x->type >= OOP_ACTION_TYPE_COUNT || x->type == OOP_WHEN_ANY ||
		    x->type == OOP_WHEN_ALL)
			fuzz_fail("action %zu has type %d after flattening", i, x->type);
		if (x->where == NULL)
			fuzz_fail("action %zu has no position", i);
		if (x->input != NULL && !jsonutil_valid(x->input, strlen(x->input), OOP_MAX_DEPTH + 1))
			fuzz_fail("%s: input is not JSON: %.200s", x->where, x->input);
	}
}

/* The first episode: ExecutionStarted, then the reply replayed. */
static void
fuzz_oop_episode(const struct oop_reply *r, struct core_arena *a)
{
	struct core_event start;
	struct core_episode_in in;
	struct core_episode_out out;
	size_t i;

	memset(&start, 0, sizeof(start));
	start.type = EVENT_EXECUTION_STARTED;
	start.event_id = -1;
	start.task_id = -1;
	start.timestamp = 1700000000000000;
	start.name = "Orch";
	start.data = "{\"city\":\"Tokyo\"}";
	memset(&in, 0, sizeof(in));
	in.instance_id = "inst";
	in.execution_id = "exec1";
	in.name = "Orch";
	in.events = &start;
	in.n_events = 1;
	in.now = start.timestamp + 1000;
	in.oop = r;
	memset(&out, 0, sizeof(out));
	if (core_episode_run(&in, a, &out) != CORE_OK)
		return; /* the arena ran out: the daemon retries the episode later */
	if (out.status < 0 || out.status >= STATUS_COUNT)
		fuzz_fail("episode status %d", out.status);
	if (out.status == STATUS_COMPLETED && out.output != NULL &&
	    !jsonutil_valid(out.output, strlen(out.output), OOP_MAX_DEPTH + 1))
		fuzz_fail("the completed output is not JSON: %.200s", out.output);
	for (i = 0; i < out.n_actions; i++)
		if (out.actions[i].kind < CORE_ACT_ACTIVITY || out.actions[i].kind > CORE_ACT_SEND_EVENT)
			fuzz_fail("new action %zu has kind %d", i, out.actions[i].kind);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_arena *a = core_arena_new();
	const struct oop_reply *r = NULL;
	const char *why = NULL;
	char *text;

	if (a == NULL)
		fuzz_fail("out of memory");
	/* An exact-size copy without a NUL: the parser takes a length, and a
	 * read past it is an overflow for ASan. */
	if ((text = malloc(size ? size : 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(text, data, size);
	if (oop_reply_parse(text, size, a, &r, &why) == 0) {
		if (r == NULL || why != NULL)
			fuzz_fail("accepted without a reply");
		fuzz_oop_check_reply(r);
		fuzz_oop_episode(r, a);
	} else if (r != NULL || why == NULL || why[0] == '\0')
		fuzz_fail("refused without a reason, or with a reply");
	free(text);
	core_arena_free(a);
	return 0;
}
