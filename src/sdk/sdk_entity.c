/*
 * sdk_entity.c — one entity operation: the th_entity context over the
 * state the previous operation left, its arena, and the outcome the
 * daemon writes back (state, result, signals) or drops (a failure rolls
 * the operation back, as Durable Functions' rollbackEntityOperationsOnExceptions).
 */
#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/jsonutil.h"
#include "core/core_int.h"
#include "sdk/sdk.h"

#define SDK_ENTITY_MAX_SIGNALS 10000

struct ent_signal {
	struct ent_signal *next;
	const char *name, *key, *op, *input;
};

struct th_entity {
	struct core_arena *arena;
	const char *name, *key, *op, *input;
	const char *state; /* current view: NULL = none */
	const char *result;
	const char *reason;
	int failed;
	struct ent_signal *signals, **tail;
	size_t nsignals;
	jmp_buf oom;
};

th_arena *
th_entity_arena(th_entity *e)
{
	return CORE_TH_ARENA(e->arena);
}

const char *
th_entity_name(th_entity *e)
{
	return e->name;
}

const char *
th_entity_key(th_entity *e)
{
	return e->key;
}

const char *
th_entity_operation(th_entity *e)
{
	return e->op;
}

const char *
th_entity_input(th_entity *e)
{
	return e->input ? e->input : "null";
}

const char *
th_entity_get_state(th_entity *e)
{
	return e->state;
}

void
th_entity_set_state(th_entity *e, const char *json)
{
	e->state = th_strdup(th_entity_arena(e), json ? json : "null");
}

void
th_entity_delete_state(th_entity *e)
{
	e->state = NULL;
}

void
th_entity_return(th_entity *e, const char *json)
{
	e->result = th_strdup(th_entity_arena(e), json);
}

int
th_entity_fail(th_entity *e, const char *reason)
{
	e->failed = 1;
	e->reason = th_strdup(th_entity_arena(e), reason);
	return -1;
}

void
th_entity_signal(th_entity *e, const char *name, const char *key, const char *operation, const char *input)
{
	struct ent_signal *s;

	if (e->nsignals >= SDK_ENTITY_MAX_SIGNALS) {
		th_entity_fail(e, "an entity operation may send at most 10000 signals");
		return;
	}
	s = th_alloc(th_entity_arena(e), sizeof(*s));
	s->name = th_strdup(th_entity_arena(e), name ? name : "");
	s->key = th_strdup(th_entity_arena(e), key ? key : "");
	s->op = th_strdup(th_entity_arena(e), operation ? operation : "");
	s->input = th_strdup(th_entity_arena(e), input);
	*e->tail = s;
	e->tail = &s->next;
	e->nsignals++;
}

static void
entity_oom(void *ctx)
{
	th_entity *e = ctx;

	longjmp(e->oom, 1);
}

static void
entity_failed(struct sdk_entity_result *out, const char *msg)
{
	sdk_entity_result_clear(out);
	out->ok = 0;
	out->error = strdup(msg);
}

/* The signals as "@name@key" targets; 0, or -1 with *why set. */
static int
entity_signals(th_entity *e, struct sdk_entity_result *out, const char **why)
{
	size_t i = 0;

	if (e->nsignals == 0)
		return 0;
	if ((out->signals = calloc(e->nsignals, sizeof(*out->signals))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (struct ent_signal *s = e->signals; s != NULL; s = s->next, i++) {
		char low[IDS_NAME_MAX + 1];
		size_t n;
		if (!ids_name_valid(s->name) || !ids_entity_key_valid(s->key) || !ids_name_valid(s->op)) {
			*why = "a signal names an invalid entity or operation";
			return -1;
		}
		if (s->input != NULL && !jsonutil_valid(s->input, strlen(s->input), JSONUTIL_MAX_DEPTH)) {
			*why = "a signal's input is not valid JSON";
			return -1;
		}
		ids_lower(low, s->name, sizeof(low));
		n = strlen(low) + strlen(s->key) + 3;
		if ((out->signals[i].id = malloc(n)) == NULL || (out->signals[i].op = strdup(s->op)) == NULL ||
		    (s->input != NULL && (out->signals[i].input = strdup(s->input)) == NULL)) {
			out->nsignals = i + 1;
			*why = "out of memory";
			return -1;
		}
		snprintf(out->signals[i].id, n, "@%s@%s", low, s->key);
		out->nsignals = i + 1;
	}
	return 0;
}

void
sdk_entity_run(th_entity_fn *fn, const char *name, const char *key, const char *op, const char *input,
	       const char *state, struct sdk_entity_result *out)
{
	th_entity ent, *volatile e = &ent;
	char msg[512];
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ent, 0, sizeof(ent));
	ent.name = name;
	ent.key = key;
	ent.op = op;
	ent.input = input;
	ent.state = state;
	ent.tail = &ent.signals;
	if ((ent.arena = core_arena_new()) == NULL) {
		entity_failed(out, "out of memory");
		return;
	}
	ent.arena->oom = entity_oom;
	ent.arena->oom_ctx = &ent;
	if (setjmp(ent.oom) != 0) {
		snprintf(msg, sizeof(msg), "Entity '%s' operation '%s' failed: out of memory", name, op);
		entity_failed(out, msg);
		goto done;
	}
	rc = fn(e);
	if (rc == TH_ENTITY_NOT_HANDLED && !e->failed) {
		if (strcmp(op, "delete") == 0) {
			/* The built-in delete, when the entity has no own. */
			out->ok = 1;
			out->result = strdup("null");
			goto done;
		}
		snprintf(msg, sizeof(msg), "Entity '%s' has no operation '%s'.", name, op);
		entity_failed(out, msg);
		goto done;
	}
	if (e->failed || rc != 0) {
		if (e->reason != NULL)
			snprintf(msg, sizeof(msg), "%s", e->reason);
		else
			snprintf(msg, sizeof(msg), "Entity '%s' operation '%s' failed.", name, op);
		entity_failed(out, msg);
		goto done;
	}
	if (e->state != NULL && !jsonutil_valid(e->state, strlen(e->state), JSONUTIL_MAX_DEPTH)) {
		snprintf(msg, sizeof(msg), "Entity '%s' operation '%s' set a state that is not valid JSON.", name, op);
		entity_failed(out, msg);
		goto done;
	}
	if (e->result != NULL && !jsonutil_valid(e->result, strlen(e->result), JSONUTIL_MAX_DEPTH)) {
		snprintf(msg, sizeof(msg), "Entity '%s' operation '%s' returned invalid JSON.", name, op);
		entity_failed(out, msg);
		goto done;
	}
	if (entity_signals(e, out, &why) == -1) {
		snprintf(msg, sizeof(msg), "Entity '%s' operation '%s' failed: %s.", name, op, why);
		entity_failed(out, msg);
		goto done;
	}
	out->ok = 1;
	out->state = e->state != NULL ? strdup(e->state) : NULL;
	out->result = strdup(e->result ? e->result : "null");
	if ((e->state != NULL && out->state == NULL) || out->result == NULL)
		entity_failed(out, "out of memory");
done:
	core_arena_free(e->arena);
}

void
sdk_entity_result_clear(struct sdk_entity_result *r)
{
	for (size_t i = 0; i < r->nsignals; i++) {
		free(r->signals[i].id);
		free(r->signals[i].op);
		free(r->signals[i].input);
	}
	free(r->signals);
	free(r->state);
	free(r->result);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
