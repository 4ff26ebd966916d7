/*
 * sdk_orch.c — the orchestration half of taskhub.h over the replay engine
 * (src/core): scheduling calls record actions, th_await() pulls history
 * events until the task has finished or unwinds to the engine.
 *
 * Choices the header leaves open: th_await() on a th_when_any() returns
 * the winner's state, and its result is the winner's result;
 * th_await_result() returns NULL for a timed-out wait or a cancelled timer
 * and fails the orchestration with the task's error text (an activity's
 * TaskFailed reason, as the activity gave it) for a failed one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/jsonutil.h"
#include "common/timefmt.h"
#include "core/core_int.h"

th_arena *
th_orch_arena(th_orch *o)
{
	return CORE_TH_ARENA(o->work);
}

const char *
th_get_input(th_orch *o)
{
	return o->input ? o->input : "null";
}

const char *
th_instance_id(th_orch *o)
{
	return o->in->instance_id;
}

const char *
th_orchestrator_name(th_orch *o)
{
	return o->in->name;
}

int64_t
th_current_time(th_orch *o)
{
	return o->now;
}

int
th_is_replaying(th_orch *o)
{
	return o->replaying;
}

/* "<instanceId>_<current time, 7 fraction digits>Z_<counter>", as Durable
 * Functions names its GUIDs, in the RFC 4122 URL namespace. */
const char *
th_new_guid(th_orch *o)
{
	char t[TIMEFMT_MAX], name[1024], out[37];
	int64_t us = o->now, frac = ((us % 1000000) + 1000000) % 1000000;
	size_t n;

	timefmt_seconds(us - frac, t);
	n = strlen(t);
	if (n > 0)
		t[n - 1] = '\0'; /* drop the Z */
	snprintf(name, sizeof(name), "%s_%s.%07lldZ_%llu", o->in->instance_id ? o->in->instance_id : "", t,
		 (long long)frac * 10, (unsigned long long)o->guid_counter++);
	core_uuid5(core_uuid_ns_url, name, out);
	return core_xstrdup(o, out);
}

static void
orch_check_json(th_orch *o, const char *json, const char *what, const char *name)
{
	char msg[512];

	if (json == NULL || jsonutil_valid(json, strlen(json), JSONUTIL_MAX_DEPTH))
		return;
	snprintf(msg, sizeof(msg), "The input of %s '%s' is not valid JSON.", what, name ? name : "");
	core_fail(o, "ArgumentException", msg, NULL);
}

th_task *
th_call_activity(th_orch *o, const char *name, const char *input)
{
	orch_check_json(o, input, "activity", name);
	return core_sched_activity(o, name, input, -1);
}

th_task *
th_call_activity_with_retry(th_orch *o, const char *name, const char *input, const struct th_retry *r)
{
	if (r == NULL)
		return th_call_activity(o, name, input);
	orch_check_json(o, input, "activity", name);
	return core_retry_new(o, CORE_ACT_ACTIVITY, name, NULL, input, r);
}

th_task *
th_call_sub_orchestrator(th_orch *o, const char *name, const char *instance_id, const char *input)
{
	orch_check_json(o, input, "sub-orchestration", name);
	return core_sched_suborch(o, name, instance_id, input, -1);
}

th_task *
th_call_sub_orchestrator_with_retry(th_orch *o, const char *name, const char *instance_id, const char *input,
				    const struct th_retry *r)
{
	if (r == NULL)
		return th_call_sub_orchestrator(o, name, instance_id, input);
	orch_check_json(o, input, "sub-orchestration", name);
	return core_retry_new(o, CORE_ACT_SUBORCH, name, instance_id, input, r);
}

th_task *
th_create_timer(th_orch *o, int64_t fire_at)
{
	return core_sched_timer(o, fire_at, -1);
}

void
th_cancel_timer(th_orch *o, th_task *t)
{
	if (t != NULL && t->kind == CORE_TASK_TIMER && t->state == TH_TASK_PENDING)
		core_task_finish(o, t, TH_TASK_CANCELED, NULL, NULL, NULL);
}

th_task *
th_wait_for_event(th_orch *o, const char *name)
{
	struct th_task *t = core_task_new(o, CORE_TASK_EVENT);
	const struct core_event *ev;

	t->name = core_xstrdup(o, name ? name : "");
	if ((ev = core_event_take(o, t->name)) != NULL)
		core_event_complete(o, t, ev);
	else
		core_waiter_add(o, t);
	return t;
}

/* As .NET does, the timer is created even when the event is already
 * buffered (then cancelled at once), so the sequence ids do not depend on
 * when the event arrived. */
th_task *
th_wait_for_event_timeout(th_orch *o, const char *name, int64_t timeout_us)
{
	struct th_task *timer = core_sched_timer(o, core_time_add(o->now, timeout_us), -1);
	struct th_task *t = core_task_new(o, CORE_TASK_EVENT);
	const struct core_event *ev;

	t->name = core_xstrdup(o, name ? name : "");
	t->timer = timer;
	timer->waiter = t;
	if ((ev = core_event_take(o, t->name)) != NULL) {
		core_task_finish(o, timer, TH_TASK_CANCELED, NULL, NULL, NULL);
		core_task_finish(o, t, TH_TASK_COMPLETED, core_xstrdup(o, ev->data ? ev->data : "null"), NULL, NULL);
	} else {
		core_waiter_add(o, t);
	}
	return t;
}

void
th_send_event(th_orch *o, const char *instance_id, const char *name, const char *input)
{
	struct core_pend *p;

	orch_check_json(o, input, "event", name);
	p = core_action_new(o, CORE_ACT_SEND_EVENT, name, -1);
	p->act.instance_id = core_xstrdup(o, instance_id ? instance_id : "");
	p->act.input = core_xstrdup(o, input);
}

/* "@name@key" with the name lower-cased, as the API and the daemon key
 * entities; NULL (the orchestration failed) for an invalid name or key. */
static const char *
orch_entity_id(th_orch *o, const char *name, const char *key)
{
	char low[IDS_NAME_MAX + 1];

	if (name == NULL || !ids_name_valid(name) || key == NULL || !ids_entity_key_valid(key))
		core_fail(o, "ArgumentException", "An entity name or key is not valid.", NULL);
	ids_lower(low, name, sizeof(low));
	return th_printf(th_orch_arena(o), "@%s@%s", low, key);
}

void
th_signal_entity(th_orch *o, const char *name, const char *key, const char *operation, const char *input)
{
	th_send_event(o, orch_entity_id(o, name, key), operation, input);
}

th_task *
th_call_entity(th_orch *o, const char *name, const char *key, const char *operation, const char *input)
{
	const char *id = orch_entity_id(o, name, key);
	/* The request ID is a deterministic GUID: the same on every replay,
	 * and the name of the event that carries the answer. */
	const char *request = th_new_guid(o);
	struct core_pend *p;

	orch_check_json(o, input, "entity call", operation);
	p = core_action_new(o, CORE_ACT_SEND_EVENT, operation, -1);
	p->act.instance_id = core_xstrdup(o, id);
	p->act.input = core_xstrdup(o, input);
	p->act.version = core_xstrdup(o, request);
	return th_wait_for_event(o, request);
}

struct th_critical {
	const char **ids;
	size_t n;
};

static int
orch_idcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A call of op on an entity ID already built (the lock protocol). */
static th_task *
orch_entity_request(th_orch *o, const char *id, const char *op)
{
	const char *request = th_new_guid(o);
	struct core_pend *p = core_action_new(o, CORE_ACT_SEND_EVENT, op, -1);

	p->act.instance_id = core_xstrdup(o, id);
	p->act.version = core_xstrdup(o, request);
	return th_wait_for_event(o, request);
}

th_critical *
th_lock_entities(th_orch *o, const char *const *names, const char *const *keys, size_t n)
{
	th_critical *c = th_alloc(th_orch_arena(o), sizeof(*c));
	size_t k = 0;

	c->ids = th_alloc(th_orch_arena(o), (n ? n : 1) * sizeof(*c->ids));
	for (size_t i = 0; i < n; i++)
		c->ids[i] = orch_entity_id(o, names[i], keys[i]);
	/* One order for every orchestration: no two can wait on each other. */
	qsort(c->ids, n, sizeof(*c->ids), orch_idcmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(c->ids[k - 1], c->ids[i]) != 0)
			c->ids[k++] = c->ids[i];
	c->n = k;
	for (size_t i = 0; i < c->n; i++)
		th_await_result(o, orch_entity_request(o, c->ids[i], "@lock"));
	return c;
}

void
th_unlock_entities(th_orch *o, th_critical *c)
{
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		struct core_pend *p = core_action_new(o, CORE_ACT_SEND_EVENT, "@unlock", -1);
		p->act.instance_id = core_xstrdup(o, c->ids[i]);
	}
}

th_task *
th_when_all(th_orch *o, th_task *const *tasks, size_t n)
{
	return core_composite_new(o, CORE_TASK_ALL, tasks, n);
}

th_task *
th_when_any(th_orch *o, th_task *const *tasks, size_t n)
{
	return core_composite_new(o, CORE_TASK_ANY, tasks, n);
}

int
th_await(th_orch *o, th_task *t)
{
	if (t == NULL)
		core_fail(o, "ArgumentException", "th_await() was given no task.", NULL);
	while (t->state == TH_TASK_PENDING)
		if (!core_replay_next(o))
			core_unwind(o, CORE_UNWIND_BLOCKED);
	if (t->kind == CORE_TASK_ANY && t->winner != NULL)
		return t->winner->state;
	return t->state;
}

const char *
th_await_result(th_orch *o, th_task *t)
{
	int st = th_await(o, t);

	if (st == TH_TASK_FAILED && t->kind != CORE_TASK_ANY) {
		int sub = t->kind == CORE_TASK_SUBORCH ||
			  (t->kind == CORE_TASK_RETRY && t->retry->act == CORE_ACT_SUBORCH);

		core_fail(o, sub ? "SubOrchestrationFailedException" : "TaskFailedException", t->error, t->details);
	}
	return t->result;
}

int
th_task_state(const th_task *t)
{
	return t->state;
}

const char *
th_task_result(const th_task *t)
{
	return t->state == TH_TASK_COMPLETED ? t->result : NULL;
}

const char *
th_task_error(const th_task *t)
{
	return t->state == TH_TASK_FAILED ? t->error : NULL;
}

const char *
th_task_error_details(const th_task *t)
{
	return t->state == TH_TASK_FAILED ? t->details : NULL;
}

th_task *
th_task_winner(const th_task *t)
{
	return t->kind == CORE_TASK_ANY ? t->winner : NULL;
}

void
th_set_custom_status(th_orch *o, const char *json)
{
	char msg[256];
	int kb;

	if (json != NULL && !jsonutil_valid(json, strlen(json), JSONUTIL_MAX_DEPTH))
		core_fail(o, "ArgumentException", "The custom status is not valid JSON.", NULL);
	if (core_custom_status_check(json, &kb) < 0) {
		snprintf(msg, sizeof(msg),
			 "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload "
			 "size is %d KB.",
			 kb);
		core_fail(o, "ArgumentException", msg, NULL);
	}
	o->cs = core_xstrdup(o, json);
	o->cs_set = 1;
}

void
th_continue_as_new(th_orch *o, const char *input, int preserve_events)
{
	if (input != NULL && !jsonutil_valid(input, strlen(input), JSONUTIL_MAX_DEPTH))
		core_fail(o, "ArgumentException", "The input of continue-as-new is not valid JSON.", NULL);
	o->output = core_xstrdup(o, input ? input : "null");
	o->preserve = preserve_events != 0;
	o->done = CORE_DONE_CONTINUED;
	core_unwind(o, CORE_UNWIND_DONE);
}

void
th_fail(th_orch *o, const char *message, const char *details)
{
	core_fail(o, "OrchestrationFailureException", message, details);
}
