/*
 * api_h_control.c — raise event, terminate, suspend, resume, rewind and
 * purge. Control operations only record a request in the instance's inbox
 * (the daemon applies it); each checks the instance's state in the same
 * transaction, so the answer matches what was recorded.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "common/event.h"
#include "common/ids.h"
#include "common/mgmt.h"
#include "common/jsonutil.h"
#include "common/status.h"
#include "common/timeutil.h"

#define API_REASON_MAX      4096
#define API_PURGE_BATCH     500
#define API_PURGE_BUDGET_US (10 * 1000000LL)

struct ctl_arg {
	struct store_hub *h;
	const char *id;
	unsigned allowed, gone; /* STATUS_BIT masks: accepted, and 410 */
	struct store_event ev;
	int64_t now;
	int status; /* the instance's status as read */
};

static enum store_err
ctl_txn(struct store_txn *tx, void *arg)
{
	struct ctl_arg *a = arg;

	return store_instance_request(tx, a->h, a->id, a->allowed, &a->ev, a->now, &a->status);
}

/* Runs ctl_txn and answers 202, 404, 410 or 409 (msg409 has one %s for the id, one for the state). */
static void
api_record(struct api_ctx *c, struct ctl_arg *a, const char *msg409)
{
	enum store_err e;
	char msg[600];

	a->h = c->hub;
	a->now = time_now_us();
	a->ev.timestamp = a->now;
	a->ev.event_id = -1;
	a->ev.task_id = -1;
	e = store_txn_run(c->store, 0, ctl_txn, a);
	if (e == STORE_OK) {
		api_wake(c);
		api_empty(c, 202);
		return;
	}
	if (e == STORE_STATE && (a->gone & STATUS_BIT(a->status))) {
		api_empty(c, 410);
		return;
	}
	if (e == STORE_STATE) {
		snprintf(msg, sizeof(msg), msg409, a->id, status_name(a->status));
		api_error(c, 409, msg, NULL);
		return;
	}
	api_store_error(c, e, "control operation");
}

/* The media type of Content-Type, compared without parameters. */
static int
api_is_json_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

void
api_h_raise(struct api_ctx *c)
{
	const struct api_req *r = c->req;
	struct ctl_arg a;
	const char *name = c->seg[3];
	size_t i = 0;

	if (!api_id_ok(c, c->seg[1]))
		return;
	if (!ids_name_valid(name)) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect",
			  "eventName (Parameter 'Event name is not valid.')");
		return;
	}
	if (!api_body_ok(c))
		return;
	if (!api_is_json_type(r->content_type)) {
		api_error(c, 415, "Only application/json request content is supported", NULL);
		return;
	}
	memset(&a, 0, sizeof(a));
	while (i < r->body_len && (r->body[i] == ' ' || r->body[i] == '\n' || r->body[i] == '\r' || r->body[i] == '\t'))
		i++;
	if (i < r->body_len) {
		if (!jsonutil_valid(r->body, r->body_len, JSONUTIL_MAX_DEPTH)) {
			api_error(c, 400, "Invalid JSON content", NULL);
			return;
		}
		a.ev.data = (char *)r->body;
	}
	a.id = c->seg[1];
	a.allowed = STATUS_BIT(STATUS_PENDING) | STATUS_BIT(STATUS_RUNNING) | STATUS_BIT(STATUS_CONTINUED_AS_NEW) |
		    STATUS_BIT(STATUS_SUSPENDED);
	a.gone = STATUS_TERMINAL_MASK;
	a.ev.type = EVENT_EVENT_RAISED;
	a.ev.name = (char *)name;
	api_record(c, &a, "Instance '%s' is %s.");
}

void
api_h_control(struct api_ctx *c)
{
	const char *op = c->seg[2], *reason = api_query_get(&c->q, "reason");
	const unsigned active =
		STATUS_BIT(STATUS_PENDING) | STATUS_BIT(STATUS_RUNNING) | STATUS_BIT(STATUS_CONTINUED_AS_NEW);
	struct ctl_arg a;
	const char *msg409 = "Instance '%s' is %s.";

	if (!api_id_ok(c, c->seg[1]))
		return;
	if (reason != NULL && (strlen(reason) > API_REASON_MAX || !ids_utf8_valid(reason, strlen(reason)))) {
		api_error(c, 400, "The reason is longer than 4096 bytes or not valid UTF-8.", NULL);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.id = c->seg[1];
	a.gone = STATUS_TERMINAL_MASK;
	if (strcasecmp(op, "terminate") == 0) {
		a.ev.type = EVENT_EXECUTION_TERMINATED;
		a.allowed = active | STATUS_BIT(STATUS_SUSPENDED);
	} else if (strcasecmp(op, "suspend") == 0) {
		a.ev.type = EVENT_EXECUTION_SUSPENDED;
		a.allowed = active;
		msg409 = "Cannot suspend the orchestration instance %s because instance is in the %s state.";
	} else if (strcasecmp(op, "resume") == 0) {
		a.ev.type = EVENT_EXECUTION_RESUMED;
		a.allowed = STATUS_BIT(STATUS_SUSPENDED);
		msg409 = "Cannot resume the orchestration instance %s because instance is in the %s state.";
	} else {
		a.ev.type = EVENT_EXECUTION_REWOUND;
		a.allowed = STATUS_BIT(STATUS_FAILED);
		a.gone = STATUS_BIT(STATUS_COMPLETED) | STATUS_BIT(STATUS_CANCELED) | STATUS_BIT(STATUS_TERMINATED);
		msg409 = "The rewind operation is only supported on failed orchestration instances ('%s' is %s).";
	}
	/* The reason is stored as the text it is (Durable Functions' Input of
	 * ExecutionTerminated); the status API renders non-JSON as a string. */
	a.ev.data = (char *)reason;
	api_record(c, &a, msg409);
}

/* ---- purge ------------------------------------------------------------------ */

void
api_h_purge_one(struct api_ctx *c)
{
	const char *id = c->seg[1];
	enum store_err e;
	char msg[600];
	int status;

	if (!api_id_ok(c, id))
		return;
	e = store_purge_one(c->store, c->hub, id, &status);
	if (e == STORE_STATE) {
		mgmt_msg_not_purgeable(msg, sizeof(msg), id, status_name(status));
		api_error(c, 409, msg, NULL);
		return;
	}
	if (e != STORE_OK) {
		api_store_error(c, e, "purge");
		return;
	}
	api_json(c, 200);
	buf_adds(&c->resp->body, "{\"instancesDeleted\":1}");
}

void
api_h_purge_filter(struct api_ctx *c)
{
	struct store_purge_filter f;
	uint64_t total = 0, n;
	int64_t start = time_mono_us();
	int more = 1, r;
	enum store_err e = STORE_OK;

	memset(&f, 0, sizeof(f));
	if ((r = api_param_time(c, "createdTimeFrom", &f.created_from)) < 0)
		return;
	if (r == 0) {
		/* Durable Functions answers a JSON string here, not an object. */
		api_json(c, 400);
		buf_adds(&c->resp->body, "\"Please provide value for 'createdTimeFrom' parameter.\"");
		return;
	}
	if ((r = api_param_time(c, "createdTimeTo", &f.created_to)) < 0)
		return;
	if (r == 0)
		f.created_to = time_now_us();
	if (f.created_to < f.created_from) {
		api_error(c, 400, "createdTimeTo is earlier than createdTimeFrom.", NULL);
		return;
	}
	f.status_mask = api_param_statuses(c) & STATUS_TERMINAL_MASK;
	/* Bounded in time: batches until done or the budget is spent. */
	while (more && time_mono_us() - start < API_PURGE_BUDGET_US) {
		if ((e = store_purge_batch(c->store, c->hub, &f, API_PURGE_BATCH, &n, &more)) != STORE_OK)
			break;
		total += n;
	}
	if (e != STORE_OK && total == 0) {
		api_store_error(c, e, "purge");
		return;
	}
	if (total == 0) {
		api_empty(c, 404);
		return;
	}
	api_json(c, 200);
	buf_printf(&c->resp->body, "{\"instancesDeleted\":%llu,\"isComplete\":%s}", (unsigned long long)total,
		   more || e != STORE_OK ? "false" : "true");
}
