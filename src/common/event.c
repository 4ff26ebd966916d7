/*
 * event.c — history event type names.
 */
#include "config.h"

#include <strings.h>

#include "common/event.h"

static const char *const event_names[EVENT_TYPE_COUNT] = {
	"ExecutionStarted",
	"ExecutionCompleted",
	"ExecutionFailed",
	"ExecutionTerminated",
	"TaskScheduled",
	"TaskCompleted",
	"TaskFailed",
	"SubOrchestrationInstanceCreated",
	"SubOrchestrationInstanceCompleted",
	"SubOrchestrationInstanceFailed",
	"TimerCreated",
	"TimerFired",
	"OrchestratorStarted",
	"OrchestratorCompleted",
	"EventSent",
	"EventRaised",
	"ContinueAsNew",
	"GenericEvent",
	"HistoryState",
	"ExecutionSuspended",
	"ExecutionResumed",
	"ExecutionRewound",
};

const char *
event_type_name(int type)
{
	return type >= 0 && type < EVENT_TYPE_COUNT ? event_names[type] : "Unknown";
}

int
event_type_parse(const char *name)
{
	int i;

	for (i = 0; i < EVENT_TYPE_COUNT; i++)
		if (strcasecmp(name, event_names[i]) == 0)
			return i;
	return -1;
}
