/*
 * api_render.c — the JSON the API answers with: the status object (spec
 * §2.1), the check-status payload (§1.4) and history as the HTTP API
 * renders it (§2.4).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "common/event.h"
#include "common/jsonw.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timefmt.h"

void
api_render_status(struct buf *b, const struct store_instance *r, int show_input)
{
	mgmt_status_json(b, r->name, r->id, r->status, show_input ? r->input : NULL, r->custom_status, r->output,
			 r->created, r->updated);
}

/* The parts of every management URL of this request. */
static void
api_render_links(struct api_ctx *c, struct mgmt_links *l)
{
	l->base = c->base;
	l->hub = store_hub_name(c->hub);
	l->connection = c->connection;
	l->code = c->key;
}

void
api_render_instance_url(struct api_ctx *c, struct buf *b, const char *id, const char *op, const char *pre)
{
	struct mgmt_links l;

	api_render_links(c, &l);
	mgmt_instance_url(b, &l, id, op, pre);
}

void
api_render_check_status(struct api_ctx *c, struct buf *b, const char *id)
{
	struct mgmt_links l;

	api_render_links(c, &l);
	mgmt_check_status(b, &l, id, 0);
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
	int done1 = s->type == EVENT_TASK_SCHEDULED ? EVENT_TASK_COMPLETED : EVENT_SUBORCH_COMPLETED;
	int done2 = s->type == EVENT_TASK_SCHEDULED ? EVENT_TASK_FAILED : EVENT_SUBORCH_FAILED;
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
		if (e->type == EVENT_ORCHESTRATOR_STARTED || e->type == EVENT_ORCHESTRATOR_COMPLETED)
			continue;
		if (merge && (e->type == EVENT_TASK_SCHEDULED || e->type == EVENT_SUBORCH_CREATED) &&
		    api_completed(ev, n, e))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		buf_adds(b, "{\"EventType\":");
		jsonw_str(b, event_type_name(e->type));
		api_field_time(b, "Timestamp", e->timestamp);
		switch (e->type) {
		case EVENT_EXECUTION_STARTED:
			api_field_str(b, "FunctionName", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case EVENT_EXECUTION_COMPLETED: /* task_id carries the final status */
			api_field_str(b, "OrchestrationStatus", status_name(e->task_id));
			if (show_output)
				api_field_raw(b, "Result", e->data);
			if (e->detail != NULL)
				api_field_raw(b, "FailureDetails", e->detail);
			break;
		case EVENT_EXECUTION_TERMINATED:
			api_field_str(b, "Input", e->data);
			break;
		case EVENT_TASK_SCHEDULED:
		case EVENT_SUBORCH_CREATED:
			api_field_str(b, "Name", e->name);
			if (e->type == EVENT_SUBORCH_CREATED)
				api_field_str(b, "InstanceId", e->instance_id);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case EVENT_TASK_COMPLETED:
		case EVENT_TASK_FAILED:
		case EVENT_SUBORCH_COMPLETED:
		case EVENT_SUBORCH_FAILED:
			s = merge ? api_scheduled(ev, n,
						  e->type <= EVENT_TASK_FAILED ? EVENT_TASK_SCHEDULED
									       : EVENT_SUBORCH_CREATED,
						  e->task_id)
				  : NULL;
			if (!merge)
				buf_printf(b, ",\"TaskScheduledId\":%d", (int)e->task_id);
			if (s != NULL) {
				api_field_str(b, "FunctionName", s->name);
				api_field_time(b, "ScheduledTime", s->timestamp);
				if (show_input)
					api_field_str(b, "Input", s->data);
			}
			if (e->type == EVENT_TASK_COMPLETED || e->type == EVENT_SUBORCH_COMPLETED) {
				if (show_output)
					api_field_raw(b, "Result", e->data);
			} else {
				api_field_str(b, "Reason", e->data);
				api_field_str(b, "Details", e->detail);
			}
			break;
		case EVENT_TIMER_CREATED:
		case EVENT_TIMER_FIRED:
			api_field_time(b, "FireAt", e->fire_at);
			break;
		case EVENT_EVENT_SENT:
			api_field_str(b, "InstanceId", e->instance_id);
			api_field_str(b, "Name", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case EVENT_EVENT_RAISED:
			api_field_str(b, "Name", e->name);
			if (show_input)
				api_field_str(b, "Input", e->data);
			break;
		case EVENT_GENERIC:
			api_field_str(b, "Data", e->data);
			break;
		case EVENT_EXECUTION_SUSPENDED:
		case EVENT_EXECUTION_RESUMED:
		case EVENT_EXECUTION_REWOUND:
			api_field_str(b, "Reason", e->data);
			break;
		default:
			break;
		}
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}
