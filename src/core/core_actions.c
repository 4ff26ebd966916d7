/*
 * core_actions.c — the table of scheduling actions of one execution,
 * indexed by sequence id, and the determinism check of spec §5.5: every
 * scheduling event in the past history must meet an action with the same
 * id, of the same kind and (case-insensitively) the same name. Actions no
 * history event matches are this episode's new work.
 */
#include "config.h"

#include <string.h>

#include "common/event.h"
#include "core/core_int.h"

#define ACT_TAIL "Was a change made to the orchestrator code after this instance had already started running?"

/* DTFx's action class names, which its messages quote. */
static const char *
act_class(int kind)
{
	switch (kind) {
	case CORE_ACT_ACTIVITY:
		return "ScheduleTaskOrchestratorAction";
	case CORE_ACT_TIMER:
		return "CreateTimerOrchestratorAction";
	case CORE_ACT_SUBORCH:
		return "CreateSubOrchestrationAction";
	default:
		return "SendEventOrchestratorAction";
	}
}

/* What the history recorded, in the words of the messages. */
static const char *
act_what(int kind)
{
	switch (kind) {
	case CORE_ACT_ACTIVITY:
		return "an activity task";
	case CORE_ACT_TIMER:
		return "a timer task";
	case CORE_ACT_SUBORCH:
		return "a sub-orchestration task";
	default:
		return "a send event task";
	}
}

static int
act_kind_of_event(int type)
{
	switch (type) {
	case EVENT_TASK_SCHEDULED:
		return CORE_ACT_ACTIVITY;
	case EVENT_TIMER_CREATED:
		return CORE_ACT_TIMER;
	case EVENT_SUBORCH_CREATED:
		return CORE_ACT_SUBORCH;
	default:
		return CORE_ACT_SEND_EVENT;
	}
}

struct core_pend *
core_action_new(th_orch *o, int kind, const char *name, int32_t chain)
{
	struct core_pend *p, *np;
	size_t cap;

	/* maxOrchestrationActions counts scheduling actions, not the completion. */
	if (o->n_sched >= o->max_actions)
		core_fatal(
			o, "InvalidOperationException",
			"Maximum amount of orchestration actions (%u) has been reached. This value can be configured "
			"in host.json file as MaxOrchestrationActions.",
			(unsigned)o->max_actions);
	if (o->n_pend == o->cap_pend) {
		cap = o->cap_pend ? o->cap_pend * 2 : 16;
		np = core_xalloc(o, cap * sizeof(*np));
		if (o->n_pend)
			memcpy(np, o->pend, o->n_pend * sizeof(*np));
		o->pend = np;
		o->cap_pend = cap;
	}
	p = &o->pend[o->n_pend];
	memset(p, 0, sizeof(*p));
	p->act.kind = kind;
	p->act.id = (int32_t)o->n_pend;
	p->act.name = core_xstrdup(o, name);
	p->chain = chain;
	o->n_pend++;
	o->n_sched++;
	return p;
}

struct core_pend *
core_action_get(th_orch *o, int32_t id)
{
	if (id < 0 || (size_t)id >= o->n_pend)
		return NULL;
	return &o->pend[id];
}

void
core_action_match(th_orch *o, const struct core_event *ev)
{
	struct core_pend *p = core_action_get(o, ev->event_id);
	int kind = act_kind_of_event(ev->type);
	const char *name = ev->name ? ev->name : "";
	const char *ver = ev->version ? ev->version : "";
	const char *iid = ev->instance_id ? ev->instance_id : "";

	if (p == NULL) {
		switch (kind) {
		case CORE_ACT_ACTIVITY:
			core_fatal(
				o, "NonDeterministicOrchestrationException",
				"Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled an activity task with sequence ID %d and name '%s' (version '%s'), but the "
				"current replay execution hasn't (yet?) scheduled this task. " ACT_TAIL,
				(int)ev->event_id, name, ver);
		case CORE_ACT_TIMER:
			core_fatal(
				o, "NonDeterministicOrchestrationException",
				"Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled a timer task with sequence ID %d, but the current replay execution hasn't "
				"(yet?) scheduled this task. " ACT_TAIL,
				(int)ev->event_id);
		case CORE_ACT_SUBORCH:
			core_fatal(
				o, "NonDeterministicOrchestrationException",
				"Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled a sub-orchestration task with sequence ID %d and name '%s' (version '%s', "
				"instance ID '%s'), but the current replay execution hasn't (yet?) scheduled this "
				"task. " ACT_TAIL,
				(int)ev->event_id, name, ver, iid);
		default:
			core_fatal(
				o, "NonDeterministicOrchestrationException",
				"Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled a send event task with sequence ID %d, name '%s' and instance ID '%s', but "
				"the current replay execution hasn't (yet?) scheduled this task. " ACT_TAIL,
				(int)ev->event_id, name, iid);
		}
	}
	if (p->act.kind != kind) {
		if (kind == CORE_ACT_TIMER)
			core_fatal(
				o, "NonDeterministicOrchestrationException",
				"Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled a timer task with sequence number %d, but the current orchestration replay "
				"instead produced a %s action with this sequence number. " ACT_TAIL,
				(int)ev->event_id, act_class(p->act.kind));
		core_fatal(
			o, "NonDeterministicOrchestrationException",
			"Non-Deterministic workflow detected: A previous execution of this orchestration scheduled "
			"%s with sequence number %d named '%s', but the current orchestration replay instead produced "
			"a %s action with this sequence number. " ACT_TAIL,
			act_what(kind), (int)ev->event_id, name, act_class(p->act.kind));
	}
	if (kind != CORE_ACT_TIMER && !core_name_eq(name, p->act.name ? p->act.name : ""))
		core_fatal(o, "NonDeterministicOrchestrationException",
			   "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled "
			   "%s with sequence number %d named '%s', but the current orchestration replay instead "
			   "scheduled %s named '%s' with this sequence number. " ACT_TAIL,
			   act_what(kind), (int)ev->event_id, name, act_what(kind), p->act.name ? p->act.name : "");
	p->recorded = 1;
}
