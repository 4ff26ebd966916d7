/*
 * core_replay.c — the cursor over one execution's events: the past history,
 * then this episode's OrchestratorStarted(now), then the new events. The
 * orchestrator function pulls events through it from th_await(): each event
 * is applied (a completion finishes its task, an external event reaches a
 * waiter, a scheduling record is checked against the action the code
 * produced) until the awaited task has finished or the events run out, in
 * which case the function is unwound with longjmp and the episode ends.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/event.h"
#include "core/core_int.h"

void
core_unwind(th_orch *o, int why)
{
	longjmp(o->jb, why);
}

void *
core_xalloc(th_orch *o, size_t n)
{
	void *p = core_arena_alloc(o->work, n);

	if (p == NULL) {
		/* Reset the arena's hook first: the failure itself must not
		 * recurse into allocation. */
		o->done = CORE_DONE_FATAL;
		o->fail_type = "OutOfMemoryException";
		o->fail_msg = "The orchestration ran out of memory (episode arena cap reached).";
		o->fail_details = NULL;
		core_unwind(o, CORE_UNWIND_DONE);
	}
	return p;
}

char *
core_xstrdup(th_orch *o, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	p = core_xalloc(o, n + 1);
	memcpy(p, s, n + 1);
	return p;
}

void
core_fatal(th_orch *o, const char *type, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	o->fail_msg = core_xstrdup(o, tmp);
	o->fail_type = type;
	o->fail_details = NULL;
	o->done = CORE_DONE_FATAL;
	core_unwind(o, CORE_UNWIND_DONE);
}

void
core_fail(th_orch *o, const char *type, const char *msg, const char *details)
{
	o->fail_msg = core_xstrdup(o, msg ? msg : "");
	o->fail_details = core_xstrdup(o, details);
	o->fail_type = type;
	o->done = CORE_DONE_FAILED;
	core_unwind(o, CORE_UNWIND_DONE);
}

/* Events that suspension holds back: the ones that would move the code
 * forward. Records of the code's own actions (scheduling events written
 * after the new events of an episode that ended suspended) and episode
 * framing are not inputs and are applied as usual. */
static int
replay_is_input(int type)
{
	switch (type) {
	case EVENT_TASK_COMPLETED:
	case EVENT_TASK_FAILED:
	case EVENT_SUBORCH_COMPLETED:
	case EVENT_SUBORCH_FAILED:
	case EVENT_TIMER_FIRED:
	case EVENT_EVENT_RAISED:
		return 1;
	default:
		return 0;
	}
}

static void
replay_queue(th_orch *o, struct core_evq ***tail, const struct core_event *ev)
{
	struct core_evq *q = core_xalloc(o, sizeof(*q));

	q->ev = ev;
	**tail = q;
	*tail = &q->next;
}

/* A completion finishes its task only if the task is still pending and of
 * the right kind: at-least-once delivery may bring a completion twice. */
static void
replay_complete(th_orch *o, const struct core_event *ev, int task_kind, int state)
{
	struct core_pend *p = core_action_get(o, ev->task_id);
	struct th_task *t = p ? p->task : NULL;

	if (t == NULL || t->kind != task_kind || t->state != TH_TASK_PENDING)
		return;
	if (state == TH_TASK_COMPLETED)
		core_task_finish(o, t, state, core_xstrdup(o, ev->data ? ev->data : "null"), NULL, NULL);
	else
		core_task_finish(o, t, state, NULL, core_xstrdup(o, ev->data ? ev->data : ""),
				 core_xstrdup(o, ev->detail));
}

static void
replay_apply(th_orch *o, const struct core_event *ev, int past)
{
	if (o->suspended && replay_is_input(ev->type)) {
		replay_queue(o, &o->held_tail, ev);
		return;
	}
	switch (ev->type) {
	case EVENT_ORCHESTRATOR_STARTED:
		o->now = ev->timestamp;
		o->replaying = past;
		break;
	case EVENT_EXECUTION_STARTED:
		if (!o->started) {
			o->started = 1;
			o->input = core_xstrdup(o, ev->data ? ev->data : "null");
		}
		break;
	case EVENT_TASK_SCHEDULED:
	case EVENT_TIMER_CREATED:
	case EVENT_SUBORCH_CREATED:
	case EVENT_EVENT_SENT:
		/* Only the past records the code's actions; such an event in the
		 * inbox is not ours and is ignored. */
		if (past)
			core_action_match(o, ev);
		break;
	case EVENT_TASK_COMPLETED:
		replay_complete(o, ev, CORE_TASK_ACTIVITY, TH_TASK_COMPLETED);
		break;
	case EVENT_TASK_FAILED:
		replay_complete(o, ev, CORE_TASK_ACTIVITY, TH_TASK_FAILED);
		break;
	case EVENT_SUBORCH_COMPLETED:
		replay_complete(o, ev, CORE_TASK_SUBORCH, TH_TASK_COMPLETED);
		break;
	case EVENT_SUBORCH_FAILED:
		replay_complete(o, ev, CORE_TASK_SUBORCH, TH_TASK_FAILED);
		break;
	case EVENT_TIMER_FIRED:
		replay_complete(o, ev, CORE_TASK_TIMER, TH_TASK_COMPLETED);
		break;
	case EVENT_EVENT_RAISED:
		core_event_raised(o, ev);
		break;
	case EVENT_EXECUTION_SUSPENDED:
		o->suspended = 1;
		break;
	case EVENT_EXECUTION_RESUMED:
		if (!o->suspended)
			break;
		/* What arrived meanwhile is applied next, in its order. A
		 * resume comes from the cursor, never from the again queue,
		 * so that queue is empty here. */
		o->suspended = 0;
		if (o->held != NULL) {
			o->again = o->held;
			o->again_tail = o->held_tail;
			o->held = NULL;
			o->held_tail = &o->held;
		}
		break;
	default:
		/* OrchestratorCompleted, GenericEvent, ExecutionRewound,
		 * HistoryState, ...: nothing to apply. */
		break;
	}
}

int
core_replay_next(th_orch *o)
{
	const struct core_episode_in *in = o->in;
	struct core_evq *q;
	const struct core_event *ev;
	size_t pos;

	if ((q = o->again) != NULL) {
		o->again = q->next;
		if (o->again == NULL)
			o->again_tail = &o->again;
		replay_apply(o, q->ev, 0);
		return 1;
	}
	if (o->pos >= o->n_total)
		return 0;
	pos = o->pos++;
	if (pos < in->n_history)
		ev = &in->history[pos];
	else if (pos == in->n_history)
		ev = &o->framing;
	else
		ev = &in->events[pos - in->n_history - 1];
	replay_apply(o, ev, pos < in->n_history);
	return 1;
}
