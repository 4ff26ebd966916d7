/*
 * core_rewind.c — the history rewrite behind rewind: every failed piece of
 * work of a Failed execution is turned into a GenericEvent so that replay
 * no longer finds it, and the ExecutionCompleted(Failed) is removed. The
 * episode that follows replays the function, which re-issues the rewound
 * work as new actions under the same sequence ids.
 *
 * What is rewound: a TaskScheduled and its TaskFailed; a
 * SubOrchestrationInstanceCreated and its SubOrchestrationInstanceFailed
 * (the child is started again from scratch, not rewound in place); and a
 * whole retry chain — every attempt, every retry timer and their
 * completions — when it failed and never completed. Retry chains are
 * recognised by task_id on their TaskScheduled/SubOrchestrationInstanceCreated
 * and TimerCreated events: the EventId of the chain's first attempt (plain
 * scheduling events carry -1).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/event.h"
#include "core/core_int.h"

struct rw_slot {
	int type;      /* the scheduling event's type, 0 when none */
	int32_t chain; /* retry chain or -1 */
	const char *name;
	int failed, rewind;
};

static int
rw_is_sched(int type)
{
	return type == EVENT_TASK_SCHEDULED || type == EVENT_SUBORCH_CREATED || type == EVENT_TIMER_CREATED;
}

static int
rw_is_done(int type)
{
	return type == EVENT_TASK_COMPLETED || type == EVENT_TASK_FAILED || type == EVENT_SUBORCH_COMPLETED ||
	       type == EVENT_SUBORCH_FAILED || type == EVENT_TIMER_FIRED;
}

static const char *
rw_note(struct core_arena *a, const struct core_event *ev, int32_t id, const char *name)
{
	char tmp[1024];

	if (name != NULL)
		snprintf(tmp, sizeof(tmp), "Rewound: %s %d '%s'", event_type_name(ev->type), (int)id, name);
	else
		snprintf(tmp, sizeof(tmp), "Rewound: %s %d", event_type_name(ev->type), (int)id);
	return core_arena_strdup(a, tmp);
}

/* Writes the rewritten history into out (room for n events) and returns
 * its length, or -1 when the arena runs out. Strings stay borrowed from h
 * except the notes, which come from a. */
long
core_rewind(struct core_arena *a, const struct core_event *h, size_t n, struct core_event *out)
{
	struct rw_slot *s;
	int32_t max = -1, id;
	size_t i, k = 0;
	char *chain_done;

	for (i = 0; i < n; i++)
		if (rw_is_sched(h[i].type) && h[i].event_id > max)
			max = h[i].event_id;
	if ((s = core_arena_alloc(a, (size_t)(max + 2) * sizeof(*s))) == NULL ||
	    (chain_done = core_arena_alloc(a, (size_t)(max + 2))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		id = h[i].event_id;
		if (!rw_is_sched(h[i].type) || id < 0)
			continue;
		s[id].type = h[i].type;
		s[id].chain = h[i].task_id >= 0 && h[i].task_id <= max ? h[i].task_id : -1;
		s[id].name = h[i].name;
	}
	for (i = 0; i < n; i++) {
		id = h[i].task_id;
		if (!rw_is_done(h[i].type) || id < 0 || id > max || s[id].type == 0)
			continue;
		if (h[i].type == EVENT_TASK_FAILED || h[i].type == EVENT_SUBORCH_FAILED)
			s[id].failed = 1;
		if ((h[i].type == EVENT_TASK_COMPLETED || h[i].type == EVENT_SUBORCH_COMPLETED) && s[id].chain >= 0)
			chain_done[s[id].chain] = 1;
	}
	/* A chain is rewound whole when one of its attempts failed and none
	 * completed; a plain task when it failed. */
	for (id = 0; id <= max; id++)
		if (s[id].type != 0 && s[id].chain >= 0 && s[id].failed && !chain_done[s[id].chain])
			chain_done[s[id].chain] = 2;
	for (id = 0; id <= max; id++) {
		if (s[id].type == 0)
			continue;
		if (s[id].chain >= 0)
			s[id].rewind = chain_done[s[id].chain] == 2;
		else
			s[id].rewind = s[id].failed;
	}
	for (i = 0; i < n; i++) {
		const struct core_event *ev = &h[i];

		if (ev->type == EVENT_EXECUTION_COMPLETED)
			continue;
		out[k] = *ev;
		id = rw_is_sched(ev->type) ? ev->event_id : rw_is_done(ev->type) ? ev->task_id : -1;
		if (id >= 0 && id <= max && s[id].type != 0 && s[id].rewind) {
			memset(&out[k], 0, sizeof(out[k]));
			out[k].type = EVENT_GENERIC;
			out[k].event_id = -1;
			out[k].task_id = -1;
			out[k].timestamp = ev->timestamp;
			if ((out[k].data = rw_note(a, ev, id, s[id].name)) == NULL)
				return -1;
		}
		k++;
	}
	return (long)k;
}
