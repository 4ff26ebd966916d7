/*
 * oop_request.c — the trigger input of an out-of-process orchestrator (spec
 * §6.1): the execution's history as DTFx serializes it (PascalCase fields,
 * numeric EventType), the parsed input, and the fields the JS and Python
 * SDKs read to choose a replay schema.
 *
 * Choices:
 * - "history" is in->history (IsPlayed true), then this episode's
 *   OrchestratorStarted(now) and in->events (IsPlayed false): what DTFx's
 *   runtime state holds when the shim runs.
 * - "isReplaying" is true when in->history is non-empty: DTFx replays past
 *   events first, so that is its IsReplaying when the shim is invoked.
 * - Payload fields (Input, Result, Reason, Details, Data) are JSON strings
 *   holding the stored text: JSON text for inputs and results
 *   ("Result":"\"Hello Tokyo!\""), plain text for reasons — the SDKs
 *   JSON.parse() the former.
 * - ParentInstance carries what the history event knows: the parent's
 *   instance ID and the parent's task id; Name and ExecutionId are null.
 */
#include "config.h"

#include <string.h>

#include "common/buf.h"
#include "common/event.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"
#include "common/timefmt.h"
#include "core/core_int.h"
#include "core/oop.h"

static void
req_str(struct buf *b, const char *key, const char *v)
{
	buf_addc(b, ',');
	jsonw_key(b, key);
	jsonw_str(b, v);
}

static void
req_int(struct buf *b, const char *key, long long v)
{
	buf_printf(b, ",\"%s\":%lld", key, v);
}

static void
req_time(struct buf *b, const char *key, int64_t us)
{
	char t[TIMEFMT_MAX];

	timefmt_precise(us, t);
	req_str(b, key, t);
}

static void
req_event(struct buf *b, const struct core_episode_in *in, const struct core_event *ev, int played)
{
	buf_printf(b, "{\"EventType\":%d,\"EventId\":%d,\"IsPlayed\":%s", ev->type, (int)ev->event_id,
		   played ? "true" : "false");
	req_time(b, "Timestamp", ev->timestamp);
	switch (ev->type) {
	case EVENT_EXECUTION_STARTED:
		buf_adds(b, ",\"OrchestrationInstance\":{\"InstanceId\":");
		jsonw_str(b, in->instance_id);
		buf_adds(b, ",\"ExecutionId\":");
		jsonw_str(b, ev->execution_id ? ev->execution_id : in->execution_id);
		buf_adds(b, "},\"ParentInstance\":");
		if (ev->instance_id != NULL && ev->instance_id[0] != '\0') {
			/* The event stores the parent's ID and task id only. */
			buf_adds(b, "{\"Name\":null,\"Version\":null,\"OrchestrationInstance\":{\"InstanceId\":");
			jsonw_str(b, ev->instance_id);
			buf_printf(b, ",\"ExecutionId\":null},\"TaskScheduleId\":%d}", (int)ev->task_id);
		} else {
			buf_adds(b, "null");
		}
		req_str(b, "Name", ev->name);
		req_str(b, "Version", ev->version);
		req_str(b, "Input", ev->data);
		break;
	case EVENT_EXECUTION_COMPLETED: /* task_id is the final status */
		req_int(b, "OrchestrationStatus", ev->task_id);
		req_str(b, "Result", ev->data);
		if (ev->detail != NULL && jsonutil_valid(ev->detail, strlen(ev->detail), JSONUTIL_MAX_DEPTH)) {
			buf_adds(b, ",\"FailureDetails\":");
			jsonw_raw(b, ev->detail);
		}
		break;
	case EVENT_EXECUTION_TERMINATED:
		req_str(b, "Input", ev->data);
		break;
	case EVENT_TASK_SCHEDULED:
		req_str(b, "Name", ev->name);
		req_str(b, "Version", ev->version);
		req_str(b, "Input", ev->data);
		break;
	case EVENT_TASK_COMPLETED:
	case EVENT_SUBORCH_COMPLETED:
		req_int(b, "TaskScheduledId", ev->task_id);
		req_str(b, "Result", ev->data);
		break;
	case EVENT_TASK_FAILED:
	case EVENT_SUBORCH_FAILED:
		req_int(b, "TaskScheduledId", ev->task_id);
		req_str(b, "Reason", ev->data);
		req_str(b, "Details", ev->detail);
		break;
	case EVENT_SUBORCH_CREATED:
		req_str(b, "Name", ev->name);
		req_str(b, "Version", ev->version);
		req_str(b, "InstanceId", ev->instance_id);
		req_str(b, "Input", ev->data);
		break;
	case EVENT_TIMER_CREATED:
		req_time(b, "FireAt", ev->fire_at);
		break;
	case EVENT_TIMER_FIRED:
		req_int(b, "TimerId", ev->task_id);
		req_time(b, "FireAt", ev->fire_at);
		break;
	case EVENT_EVENT_SENT:
		req_str(b, "InstanceId", ev->instance_id);
		req_str(b, "Name", ev->name);
		req_str(b, "Input", ev->data);
		break;
	case EVENT_EVENT_RAISED:
		req_str(b, "Name", ev->name);
		req_str(b, "Input", ev->data);
		break;
	case EVENT_CONTINUE_AS_NEW:
		req_str(b, "Result", ev->data);
		break;
	case EVENT_GENERIC:
		req_str(b, "Data", ev->data);
		break;
	case EVENT_EXECUTION_SUSPENDED:
	case EVENT_EXECUTION_RESUMED:
	case EVENT_EXECUTION_REWOUND:
		req_str(b, "Reason", ev->data);
		break;
	default: /* OrchestratorStarted/Completed, ExecutionFailed, HistoryState */
		break;
	}
	buf_addc(b, '}');
}

/* The execution's ExecutionStarted: past history first, then the inbox. */
static const struct core_event *
req_started(const struct core_episode_in *in)
{
	size_t i;

	for (i = 0; i < in->n_history; i++)
		if (in->history[i].type == EVENT_EXECUTION_STARTED)
			return &in->history[i];
	for (i = 0; i < in->n_events; i++)
		if (in->events[i].type == EVENT_EXECUTION_STARTED)
			return &in->events[i];
	return NULL;
}

char *
oop_request(const struct core_episode_in *in, struct core_arena *a)
{
	const struct core_event *start = req_started(in);
	struct core_event framing;
	struct buf b;
	char *r = NULL;
	size_t i;

	memset(&framing, 0, sizeof(framing));
	framing.type = EVENT_ORCHESTRATOR_STARTED;
	framing.event_id = -1;
	framing.task_id = -1;
	framing.timestamp = in->now;

	buf_init(&b, OOP_REQUEST_MAX);
	buf_adds(&b, "{\"history\":[");
	for (i = 0; i < in->n_history; i++) {
		if (i > 0)
			buf_addc(&b, ',');
		req_event(&b, in, &in->history[i], 1);
	}
	if (in->n_history > 0)
		buf_addc(&b, ',');
	req_event(&b, in, &framing, 0);
	for (i = 0; i < in->n_events; i++) {
		buf_addc(&b, ',');
		req_event(&b, in, &in->events[i], 0);
	}
	/* The input as a JSON value; a stored input that is not JSON (never
	 * written by taskhub) goes as a string rather than break the reply. */
	buf_adds(&b, "],\"input\":");
	jsonw_payload(&b, start ? start->data : NULL);
	req_str(&b, "instanceId", in->instance_id);
	buf_printf(&b, ",\"isReplaying\":%s", in->n_history > 0 ? "true" : "false");
	buf_adds(&b, ",\"parentInstanceId\":");
	jsonw_str(&b, start != NULL && start->instance_id != NULL && start->instance_id[0] != '\0' ? start->instance_id
												   : NULL);
	/* V2 for Python SDK 1.1.0–1.1.3, V3 for the others (spec §6.1). */
	buf_adds(&b, ",\"upperSchemaVersion\":1,\"upperSchemaVersionNew\":2"
		     ",\"longRunningTimerIntervalDuration\":\"3.00:00:00\""
		     ",\"maximumShortTimerDuration\":\"6.00:00:00\""
		     ",\"defaultHttpAsyncRequestSleepTimeMillseconds\":30000}"); /* sic */
	if (!b.overflow && b.p != NULL)
		r = core_arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return r;
}
