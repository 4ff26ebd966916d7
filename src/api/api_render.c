/*
 * api_render.c — the JSON the API answers with: the status object (spec
 * §2.1), the check-status payload (§1.4) and history as the HTTP API
 * renders it (§2.4).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "common/jsonw.h"
#include "common/status.h"
#include "common/timefmt.h"

static const char *const api_event_names[] = {
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
#define API_EVENT_NAMES (int)(sizeof(api_event_names) / sizeof(api_event_names[0]))

void
api_render_status(struct buf *b, const struct store_instance *r, int show_input)
{
	char t[TIMEFMT_MAX];

	buf_adds(b, "{\"name\":");
	jsonw_str(b, r->name);
	buf_adds(b, ",\"instanceId\":");
	jsonw_str(b, r->id);
	buf_adds(b, ",\"runtimeStatus\":");
	jsonw_str(b, status_name(r->status));
	buf_adds(b, ",\"input\":");
	jsonw_payload(b, show_input ? r->input : NULL);
	buf_adds(b, ",\"customStatus\":");
	jsonw_payload(b, r->custom_status);
	buf_adds(b, ",\"output\":");
	jsonw_payload(b, r->output);
	timefmt_seconds(r->created, t);
	buf_adds(b, ",\"createdTime\":");
	jsonw_str(b, t);
	timefmt_seconds(r->updated, t);
	buf_adds(b, ",\"lastUpdatedTime\":");
	jsonw_str(b, t);
	buf_addc(b, '}');
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void
api_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_addc(b, (char)*p);
		else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			buf_add(b, e, 3);
		}
	}
}

void
api_render_instance_url(struct api_ctx *c, struct buf *b, const char *id, const char *op, const char *pre)
{
	buf_adds(b, c->base);
	buf_adds(b, "/instances/");
	api_url_encode(b, id);
	if (op != NULL) {
		buf_addc(b, '/');
		buf_adds(b, op);
	}
	buf_addc(b, '?');
	if (pre != NULL)
		buf_adds(b, pre);
	buf_adds(b, "taskHub=");
	api_url_encode(b, store_hub_name(c->hub));
	buf_adds(b, "&connection=");
	api_url_encode(b, c->connection);
	if (c->key != NULL && *c->key != '\0') {
		buf_adds(b, "&code=");
		api_url_encode(b, c->key);
	}
}

static void
api_render_url_field(struct api_ctx *c, struct buf *b, const char *field, const char *id, const char *op,
		     const char *pre)
{
	struct buf u;

	buf_init(&u, 8192);
	api_render_instance_url(c, &u, id, op, pre);
	buf_addc(b, ',');
	jsonw_key(b, field);
	jsonw_str(b, u.p ? u.p : "");
	buf_free(&u);
}

void
api_render_check_status(struct api_ctx *c, struct buf *b, const char *id)
{
	buf_adds(b, "{\"id\":");
	jsonw_str(b, id);
	api_render_url_field(c, b, "statusQueryGetUri", id, NULL, NULL);
	api_render_url_field(c, b, "sendEventPostUri", id, "raiseEvent/{eventName}", NULL);
	api_render_url_field(c, b, "terminatePostUri", id, "terminate", "reason={text}&");
	api_render_url_field(c, b, "purgeHistoryDeleteUri", id, NULL, NULL);
	api_render_url_field(c, b, "restartPostUri", id, "restart", NULL);
	api_render_url_field(c, b, "suspendPostUri", id, "suspend", "reason={text}&");
	api_render_url_field(c, b, "resumePostUri", id, "resume", "reason={text}&");
	buf_addc(b, '}');
}

/* ---- history ---------------------------------------------------------- */

static void
api_field_time(struct buf *b, const char *name, int64_t us)
{
	char t[TIMEFMT_MAX];

	timefmt_precise(us, t);
	buf_addc(b, ',');
	jsonw_key(b, name);
	jsonw_str(b, t);
}

static void
api_field_str(struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	buf_addc(b, ',');
	jsonw_key(b, name);
	jsonw_str(b, v);
}

static void
api_field_raw(struct buf *b, const char *name, const char *v)
{
	buf_addc(b, ',');
	jsonw_key(b, name);
	jsonw_payload(b, v);
}

/* The scheduling event (TaskScheduled or SubOrchestrationInstanceCreated)
 * whose EventId a completion names, or NULL. */
static const struct store_event *
api_scheduled(const struct store_event *ev, size_t n, int type, int32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].type == type && ev[i].event_id == id)
			return &ev[i];
	return NULL;
}

static int
api_completed(const struct store_event *ev, size_t n, const struct store_event *s)
{
	int done1 = s->type == 4 ? 5 : 8, done2 = s->type == 4 ? 6 : 9;
	size_t i;

	for (i = 0; i < n; i++)
		if ((ev[i].type == done1 || ev[i].type == done2) && ev[i].task_id == s->event_id)
			return 1;
	return 0;
}

void
api_render_history(struct buf *b, const struct store_event *ev, size_t n, int show_input, int show_output, int merge)
{
	size_t i;
	int first = 1;

	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		const struct store_event *e = &ev[i];
		const struct store_event *s;

		/* Episode framing is not shown; scheduling rows that have their
		 * completion are merged into it. */
		if (e->type == 12 || e->type == 13)
			continue;
		if (merge && (e->type == 4 || e->type == 7) && api_completed(ev, n, e))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		buf_adds(b, "{\"EventType\":");
		jsonw_str(b, e->type >= 0 && e->type < API_EVENT_NAMES ? api_event_names[e->type] : "Unknown");
		api_field_time(b, "Timestamp", e->timestamp);
		switch (e->type) {
		case 0: /* ExecutionStarted */
			api_field_str(b, "FunctionName", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case 1: /* ExecutionCompleted: task_id carries the final status */
			api_field_str(b, "OrchestrationStatus", status_name(e->task_id));
			if (show_output)
				api_field_raw(b, "Result", e->data);
			if (e->detail != NULL)
				api_field_raw(b, "FailureDetails", e->detail);
			break;
		case 3:
			api_field_str(b, "Input", e->data);
			break;
		case 4:
		case 7:
			api_field_str(b, "Name", e->name);
			if (e->type == 7)
				api_field_str(b, "InstanceId", e->instance_id);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case 5:
		case 6:
		case 8:
		case 9:
			s = merge ? api_scheduled(ev, n, e->type <= 6 ? 4 : 7, e->task_id) : NULL;
			if (!merge)
				buf_printf(b, ",\"TaskScheduledId\":%d", (int)e->task_id);
			if (s != NULL) {
				api_field_str(b, "FunctionName", s->name);
				api_field_time(b, "ScheduledTime", s->timestamp);
				if (show_input)
					api_field_str(b, "Input", s->data);
			}
			if (e->type == 5 || e->type == 8) {
				if (show_output)
					api_field_raw(b, "Result", e->data);
			} else {
				api_field_str(b, "Reason", e->data);
				api_field_str(b, "Details", e->detail);
			}
			break;
		case 10:
		case 11:
			api_field_time(b, "FireAt", e->fire_at);
			break;
		case 14:
			api_field_str(b, "InstanceId", e->instance_id);
			api_field_str(b, "Name", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case 15:
			api_field_str(b, "Name", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case 17:
			api_field_str(b, "Data", e->data);
			break;
		case 19:
		case 20:
		case 21:
			api_field_str(b, "Reason", e->data);
			break;
		default:
			break;
		}
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}
