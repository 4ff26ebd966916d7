/*
 * oop_replay.c — the built-in orchestrator that replays an out-of-process
 * orchestrator's reply (oop.h) in place of C code: each flattened action is
 * issued through the same calls a C orchestrator makes, so sequence ids,
 * retry chains, timers, event waits and the non-determinism checks of spec
 * §5.5 are shared with C orchestrators.
 *
 * Sequence ids. The SDK numbers its tasks as its code runs, interleaved
 * with the history: a retry chain takes the id of its next timer or
 * attempt when the failure or the timer's firing is processed, which may
 * fall between two of the code's own actions. The reply only lists the
 * code's actions, so before issuing each one the driver applies history
 * events up to the first recorded scheduling event whose id has not been
 * given out yet (that record must be this action's), or to the end of
 * the events. The same rule on the history this episode appends gives the
 * same ids on every replay. (Where two new events of one batch are a retry
 * chain's failure or timer and a completion that let the code go on, the
 * SDK may have numbered in the other order; only retries are exposed.)
 *
 * WaitForExternalEvent and ContinueAsNew consume no id. A not-done reply
 * ends the episode once every event has been applied, as C code blocked in
 * th_await() does: the instance stays Running (or Suspended).
 */
#include "config.h"

#include "common/event.h"
#include "core/core_int.h"
#include "core/oop.h"

/* The next event core_replay_next() would apply is the record of an action
 * not issued yet, or there is none left: the next action comes first. */
static int
oop_action_due(const th_orch *o)
{
	const struct core_event *ev;

	if (o->again != NULL)
		return 0; /* events released by a resume are never records */
	if (o->pos >= o->n_total)
		return 1;
	if (o->pos >= o->in->n_history)
		return 0; /* this episode's events hold no records of ours */
	ev = &o->in->history[o->pos];
	switch (ev->type) {
	case EVENT_TASK_SCHEDULED:
	case EVENT_TIMER_CREATED:
	case EVENT_SUBORCH_CREATED:
	case EVENT_EVENT_SENT:
		return ev->event_id >= 0 && (size_t)ev->event_id >= o->n_pend;
	default:
		return 0;
	}
}

static TH_NORETURN void
oop_unsupported(th_orch *o, const struct oop_action *x)
{
	core_fatal(o, "NotSupportedException", "%s: %s (actionType %d) is not supported yet.", x->where,
		   oop_action_type_name(x->type), x->type);
}

static void
oop_issue(th_orch *o, const struct oop_action *x)
{
	th_task *t;

	switch (x->type) {
	case OOP_CALL_ACTIVITY:
		th_call_activity(o, x->name, x->input);
		break;
	case OOP_CALL_ACTIVITY_WITH_RETRY:
		th_call_activity_with_retry(o, x->name, x->input, &x->retry);
		break;
	case OOP_CALL_SUB_ORCHESTRATOR:
		th_call_sub_orchestrator(o, x->name, x->instance_id, x->input);
		break;
	case OOP_CALL_SUB_ORCHESTRATOR_WITH_RETRY:
		th_call_sub_orchestrator_with_retry(o, x->name, x->instance_id, x->input, &x->retry);
		break;
	case OOP_CREATE_TIMER:
		/* A cancelled timer is re-issued (its id is taken) and cancelled
		 * at once: its TimerFired, if any, is then ignored. */
		t = th_create_timer(o, x->fire_at);
		if (x->canceled)
			th_cancel_timer(o, t);
		break;
	case OOP_WAIT_FOR_EXTERNAL_EVENT:
		/* The JS SDK also waits so for entity responses and locks. */
		if (x->reason != NULL && !core_name_eq(x->reason, "ExternalEvent"))
			core_fatal(o, "NotSupportedException",
				   "%s: WaitForExternalEvent with reason '%s' (entities) is not supported yet.",
				   x->where, x->reason);
		th_wait_for_event(o, x->name);
		break;
	case OOP_CONTINUE_AS_NEW:
		break;
	default: /* CallEntity, CallHttp, SignalEntity, ScheduledSignalEntity */
		oop_unsupported(o, x);
	}
}

const char *
core_oop_run(th_orch *o)
{
	const struct oop_reply *r = o->in->oop;
	const struct oop_action *can = NULL;
	size_t i;

	for (i = 0; i < r->n_actions; i++) {
		const struct oop_action *x = &r->actions[i];

		while (!oop_action_due(o))
			core_replay_next(o);
		/* Suspended: the child saw every event, including those the
		 * suspension holds back, so what it schedules past the history
		 * must wait for the resume (a C orchestrator, seeing only what
		 * was applied, could not have asked for it yet). */
		if (o->suspended && o->pos >= o->n_total && o->again == NULL)
			core_unwind(o, CORE_UNWIND_BLOCKED);
		oop_issue(o, x);
		if (x->type == OOP_CONTINUE_AS_NEW)
			can = x; /* the last one wins, as in the extension */
	}
	while (core_replay_next(o))
		;
	if (o->suspended)
		core_unwind(o, CORE_UNWIND_BLOCKED); /* completes only after the resume */
	if (r->custom_status_set)
		th_set_custom_status(o, r->custom_status);
	if (r->error != NULL)
		core_fail(o, "OrchestrationFailureException", r->error, NULL);
	if (!r->is_done)
		core_unwind(o, CORE_UNWIND_BLOCKED);
	if (can != NULL)
		th_continue_as_new(o, can->input, 0);
	return r->output != NULL ? r->output : "null";
}
