/*
 * api_h_instance.c — start, status, list, history, counts and restart.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "common/ids.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timeutil.h"

#define API_HISTORY_MAX 100000 /* events rendered by showHistory */

/* The input of a start: none, or one JSON value. The Node.js client sends
 * the JSON string "" when it has no input: that is no input too. */
static int
api_body_input(struct api_ctx *c, const char **input)
{
	const struct api_req *r = c->req;
	size_t i = 0, n = r->body_len;

	*input = NULL;
	if (!api_body_ok(c))
		return 0;
	while (i < n && (r->body[i] == ' ' || r->body[i] == '\t' || r->body[i] == '\r' || r->body[i] == '\n'))
		i++;
	if (i == n)
		return 1;
	if (!jsonutil_valid(r->body, n, JSONUTIL_MAX_DEPTH)) {
		api_error(c, 400, "Invalid JSON content", NULL);
		return 0;
	}
	if (n - i == 2 && r->body[i] == '"' && r->body[i + 1] == '"')
		return 1;
	*input = r->body;
	return 1;
}

static void
api_unknown_function(struct api_ctx *c, const char *name, const char *kind)
{
	struct buf m;
	char **names = NULL;
	size_t n = 0;

	buf_init(&m, 16384);
	/* The known orchestrators are listed only for an orchestrator. */
	if (strcmp(kind, "orchestrator") == 0 &&
	    store_function_names(c->store, c->hub, STORE_FN_ORCHESTRATOR, &names, &n) != STORE_OK)
		names = NULL;
	mgmt_msg_unknown_function(&m, name, kind, names, n);
	store_strv_free(names, n);
	api_error(c, 400, m.p ? m.p : "Unknown function.", NULL);
	buf_free(&m);
}

/* Creates the instance and answers (202 payload, or the wait result). */
static void
api_start_instance(struct api_ctx *c, const char *fn, const char *id, const char *input, const char *version)
{
	struct store_create cr;
	char exec[33];
	double timeout, poll;
	enum store_err e;

	if (api_wait_params(c, &timeout, &poll) == -1)
		return; /* refused before anything is started */
	if (ids_new_guid(exec) == -1) {
		api_error(c, 500, "Something went wrong while processing your request", "no random source");
		return;
	}
	memset(&cr, 0, sizeof(cr));
	cr.id = id;
	cr.name = fn;
	cr.version = version;
	cr.execution_id = exec;
	cr.input = input;
	cr.parent_task_id = -1;
	cr.now = time_now_us();
	cr.override_any = c->srv->override_any;
	/* The registry lookup and the singleton create in one transaction:
	 * of N concurrent starts with one ID exactly one commits. */
	e = store_start(c->store, c->hub, &cr);
	if (e == STORE_NOFUNCTION) {
		api_unknown_function(c, fn, "orchestrator");
		return;
	}
	if (e == STORE_EXISTS) {
		char msg[400];

		mgmt_msg_exists(msg, sizeof(msg), id);
		api_error(c, 409, msg, NULL);
		return;
	}
	if (e != STORE_OK) {
		api_store_error(c, e, "start");
		return;
	}
	api_wake(c);
	api_answer_started(c, id, timeout, poll);
}

void
api_h_start(struct api_ctx *c)
{
	const char *fn = c->seg[1], *input, *version = api_query_get(&c->q, "version");
	char idbuf[33];
	const char *id;

	if (!ids_name_valid(fn)) {
		api_unknown_function(c, fn, "orchestrator");
		return;
	}
	if (c->nseg == 3) {
		id = c->seg[2];
		if (!api_id_ok(c, id))
			return;
	} else {
		if (ids_new_guid(idbuf) == -1) {
			api_error(c, 500, "Something went wrong while processing your request", "no random source");
			return;
		}
		id = idbuf;
	}
	if (version != NULL && strlen(version) > IDS_NAME_MAX) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect", "version is too long");
		return;
	}
	if (!api_body_input(c, &input))
		return;
	api_start_instance(c, fn, id, input, version);
}

/* ---- status -------------------------------------------------------------- */

struct get_arg {
	struct store_hub *h;
	const char *id;
	int with_input, with_history;
	struct store_instance r;
	struct store_event *ev;
	size_t n;
};

static void
get_arg_clear(struct get_arg *a)
{
	store_instance_clear(&a->r);
	store_event_free_array(a->ev, a->n);
	a->ev = NULL;
	a->n = 0;
}

static enum store_err
get_txn(struct store_txn *tx, void *arg)
{
	struct get_arg *a = arg;
	uint32_t next;
	enum store_err e;

	get_arg_clear(a);
	if ((e = store_instance_get(tx, a->h, a->id, a->with_input, &a->r)) != STORE_OK)
		return e;
	if (a->with_history && a->r.status != STATUS_PENDING)
		return store_history_read(tx, a->h, a->id, 0, API_HISTORY_MAX, &a->ev, &a->n, &next);
	return STORE_OK;
}

void
api_h_status(struct api_ctx *c)
{
	struct get_arg a;
	struct buf *b = &c->resp->body;
	enum store_err e;
	int s;

	if (!api_id_ok(c, c->seg[1]))
		return;
	memset(&a, 0, sizeof(a));
	a.h = c->hub;
	a.id = c->seg[1];
	a.with_input = api_query_bool(&c->q, "showInput", 1);
	a.with_history = api_query_bool(&c->q, "showHistory", 0);
	e = store_txn_run(c->store, STORE_TXN_READONLY, get_txn, &a);
	if (e != STORE_OK) {
		get_arg_clear(&a);
		api_store_error(c, e, "get status");
		return;
	}
	s = a.r.status;
	if (s == STATUS_RUNNING || s == STATUS_PENDING || s == STATUS_CONTINUED_AS_NEW || s == STATUS_SUSPENDED) {
		struct buf loc;
		const char *uri = c->req->request_uri;

		/* Location: the request's own URL. */
		api_json(c, 202);
		buf_init(&loc, 16384);
		buf_adds(&loc, c->origin);
		if (uri != NULL && *uri == '/')
			buf_adds(&loc, uri);
		else {
			buf_adds(&loc, c->req->script_name ? c->req->script_name : "");
			buf_adds(&loc, c->req->path_info ? c->req->path_info : "");
			if (c->req->query_string != NULL && *c->req->query_string != '\0')
				buf_printf(&loc, "?%s", c->req->query_string);
		}
		if (loc.p != NULL)
			api_header(c->resp, "Location", loc.p);
		buf_free(&loc);
		api_header(c->resp, "Retry-After", "5");
	} else if (s == STATUS_FAILED && api_query_bool(&c->q, "returnInternalServerErrorOnFailure", 0))
		api_json(c, 500);
	else
		api_json(c, 200);
	api_render_status(b, &a.r, a.with_input);
	if (a.with_history && s != STATUS_PENDING) {
		b->len--; /* reopen the object */
		buf_adds(b, ",\"historyEvents\":");
		api_render_history(b, a.ev, a.n, a.with_input, api_query_bool(&c->q, "showHistoryOutput", 0), 1);
		buf_addc(b, '}');
	}
	get_arg_clear(&a);
}

/* ---- list ------------------------------------------------------------------ */

static size_t
api_top(struct api_ctx *c)
{
	const char *v = api_query_get(&c->q, "top");
	char *end;
	long n;

	if (v == NULL)
		return 100;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n <= 0)
		return 100;
	return n > STORE_MAX_PAGE ? STORE_MAX_PAGE : (size_t)n;
}

struct list_arg {
	struct store_hub *h;
	struct store_query q;
	struct store_instance *v;
	size_t n;
	char *next;
};

static enum store_err
list_txn(struct store_txn *tx, void *arg)
{
	struct list_arg *a = arg;

	store_instance_free_array(a->v, a->n);
	free(a->next);
	a->v = NULL;
	a->n = 0;
	a->next = NULL;
	return store_instance_query(tx, a->h, &a->q, &a->v, &a->n, &a->next);
}

void
api_h_list(struct api_ctx *c)
{
	struct list_arg a;
	struct buf *b = &c->resp->body;
	enum store_err e;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.h = c->hub;
	if (api_param_time(c, "createdTimeFrom", &a.q.created_from) < 0 ||
	    api_param_time(c, "createdTimeTo", &a.q.created_to) < 0)
		return;
	if (a.q.created_to != 0 && a.q.created_to < a.q.created_from) {
		api_error(c, 400, "createdTimeTo is earlier than createdTimeFrom.", NULL);
		return;
	}
	a.q.status_mask = api_param_statuses(c);
	a.q.prefix = api_query_get(&c->q, "instanceIdPrefix");
	a.q.name = api_query_get(&c->q, "name");
	a.q.page = api_top(c);
	a.q.token = c->req->continuation;
	a.q.with_input = api_query_bool(&c->q, "showInput", 1);
	e = store_txn_run(c->store, STORE_TXN_READONLY, list_txn, &a);
	if (e == STORE_INVALID) {
		api_error(c, 400, "The continuation token or a filter is not valid for this query.", NULL);
		goto done;
	}
	if (e != STORE_OK) {
		api_store_error(c, e, "list");
		goto done;
	}
	api_json(c, 200);
	api_header(c->resp, "x-ms-continuation-token", a.next ? a.next : "");
	buf_addc(b, '[');
	for (i = 0; i < a.n; i++) {
		if (i)
			buf_addc(b, ',');
		api_render_status(b, &a.v[i], a.q.with_input);
	}
	buf_addc(b, ']');
done:
	store_instance_free_array(a.v, a.n);
	free(a.next);
}

/* ---- history (extension) ------------------------------------------------- */

struct hist_arg {
	struct store_hub *h;
	const char *id;
	uint32_t from, next;
	size_t max;
	struct store_event *ev;
	size_t n;
};

static enum store_err
hist_txn(struct store_txn *tx, void *arg)
{
	struct hist_arg *a = arg;
	struct store_instance r;
	enum store_err e;

	store_event_free_array(a->ev, a->n);
	a->ev = NULL;
	a->n = 0;
	if ((e = store_instance_get(tx, a->h, a->id, 0, &r)) != STORE_OK)
		return e;
	store_instance_clear(&r);
	return store_history_read(tx, a->h, a->id, a->from, a->max, &a->ev, &a->n, &a->next);
}

void
api_h_history(struct api_ctx *c)
{
	struct hist_arg a;
	enum store_err e;
	char *tok = NULL;

	if (!api_id_ok(c, c->seg[1]))
		return;
	memset(&a, 0, sizeof(a));
	a.h = c->hub;
	a.id = c->seg[1];
	a.max = api_top(c);
	if (c->req->continuation != NULL && *c->req->continuation != '\0' &&
	    store_history_token_parse(c->req->continuation, &a.from) != STORE_OK) {
		api_error(c, 400, "The continuation token is not valid for this query.", NULL);
		return;
	}
	e = store_txn_run(c->store, STORE_TXN_READONLY, hist_txn, &a);
	if (e != STORE_OK) {
		store_event_free_array(a.ev, a.n);
		api_store_error(c, e, "history");
		return;
	}
	if (a.next != 0)
		tok = store_history_token(a.next);
	api_json(c, 200);
	api_header(c->resp, "x-ms-continuation-token", tok ? tok : "");
	api_render_history(&c->resp->body, a.ev, a.n, api_query_bool(&c->q, "showInput", 1),
			   api_query_bool(&c->q, "showHistoryOutput", 0), 0);
	free(tok);
	store_event_free_array(a.ev, a.n);
}

/* ---- counts (extension) ---------------------------------------------------- */

struct counts_arg {
	struct store_hub *h;
	uint64_t counts[8];
};

static enum store_err
counts_txn(struct store_txn *tx, void *arg)
{
	struct counts_arg *a = arg;

	return store_instance_counts(tx, a->h, a->counts);
}

void
api_h_counts(struct api_ctx *c)
{
	struct counts_arg a;
	enum store_err e;
	int s;

	a.h = c->hub;
	if ((e = store_txn_run(c->store, STORE_TXN_READONLY, counts_txn, &a)) != STORE_OK) {
		api_store_error(c, e, "counts");
		return;
	}
	api_json(c, 200);
	buf_addc(&c->resp->body, '{');
	for (s = 0; s < STATUS_COUNT; s++)
		buf_printf(&c->resp->body, "%s\"%s\":%llu", s ? "," : "", status_name(s),
			   (unsigned long long)a.counts[s]);
	buf_addc(&c->resp->body, '}');
}

/* ---- restart ------------------------------------------------------------------ */

void
api_h_restart(struct api_ctx *c)
{
	struct get_arg a;
	char newid[33];
	const char *id;
	enum store_err e;

	if (!api_id_ok(c, c->seg[1]))
		return;
	memset(&a, 0, sizeof(a));
	a.h = c->hub;
	a.id = c->seg[1];
	a.with_input = 1;
	if ((e = store_txn_run(c->store, STORE_TXN_READONLY, get_txn, &a)) != STORE_OK) {
		get_arg_clear(&a);
		if (e == STORE_NOTFOUND)
			api_error(c, 400, "InstanceId does not match a valid orchestration instance.", NULL);
		else
			api_store_error(c, e, "restart");
		return;
	}
	if (api_query_bool(&c->q, "restartWithNewInstanceId", 1)) {
		if (ids_new_guid(newid) == -1) {
			get_arg_clear(&a);
			api_error(c, 500, "Something went wrong while processing your request", "no random source");
			return;
		}
		id = newid;
	} else
		id = a.r.id;
	api_start_instance(c, a.r.name, id, a.r.input, a.r.version);
	get_arg_clear(&a);
}
