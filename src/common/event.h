/*
 * event.h — Durable Task history event types (spec §5.2). The numbers are
 * part of the out-of-process protocol and of every stored history, so they
 * are fixed here once: append new types at the end, never reorder.
 */
#ifndef TH_EVENT_H
#define TH_EVENT_H

enum event_type {
	EVENT_EXECUTION_STARTED = 0,
	EVENT_EXECUTION_COMPLETED = 1,
	EVENT_EXECUTION_FAILED = 2,
	EVENT_EXECUTION_TERMINATED = 3,
	EVENT_TASK_SCHEDULED = 4,
	EVENT_TASK_COMPLETED = 5,
	EVENT_TASK_FAILED = 6,
	EVENT_SUBORCH_CREATED = 7,
	EVENT_SUBORCH_COMPLETED = 8,
	EVENT_SUBORCH_FAILED = 9,
	EVENT_TIMER_CREATED = 10,
	EVENT_TIMER_FIRED = 11,
	EVENT_ORCHESTRATOR_STARTED = 12,
	EVENT_ORCHESTRATOR_COMPLETED = 13,
	EVENT_EVENT_SENT = 14,
	EVENT_EVENT_RAISED = 15,
	EVENT_CONTINUE_AS_NEW = 16,
	EVENT_GENERIC = 17,
	EVENT_HISTORY_STATE = 18,
	EVENT_EXECUTION_SUSPENDED = 19,
	EVENT_EXECUTION_RESUMED = 20,
	EVENT_EXECUTION_REWOUND = 21,
};
#define EVENT_TYPE_COUNT 22

/* The type's name ("TaskCompleted"), or "Unknown" out of range. Static. */
const char *event_type_name(int type);
/* The type of a name (case-insensitive), or -1. */
int event_type_parse(const char *name);

#endif
