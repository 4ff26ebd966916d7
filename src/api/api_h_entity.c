/*
 * api_h_entity.c — entities over HTTP: signal (an operation request in the
 * entity's inbox, applied later by the daemon), read state, list.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "common/event.h"
#include "common/ids.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"
#include "common/timefmt.h"
#include "common/timeutil.h"

/* Entity names are case-insensitive; keys are not, and "$" is the empty key. */
static int
api_entity_id(struct api_ctx *c, const char **name, const char **key)
{
	*name = c->seg[1];
	*key = strcmp(c->seg[2], "$") == 0 ? "" : c->seg[2];
	if (!ids_name_valid(*name)) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect",
			  "entityName (Parameter 'Entity name is not valid.')");
		return 0;
	}
	if (!ids_entity_key_valid(*key) || strlen(*name) + strlen(*key) + 2 > IDS_INSTANCE_MAX) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect",
			  "entityKey (Parameter 'Entity key is not valid.')");
		return 0;
	}
	return 1;
}

struct signal_arg {
	struct store_hub *h;
	const char *name;
	char id[2 * IDS_INSTANCE_MAX + 4]; /* "@name@key"; its length was checked */
	struct store_event ev;
	int no_function;
};

static enum store_err
signal_txn(struct store_txn *tx, void *arg)
{
	struct signal_arg *a = arg;
	struct store_function f;
	enum store_err e;

	a->no_function = 0;
	if ((e = store_function_get(tx, a->h, STORE_FN_ENTITY, a->name, &f)) != STORE_OK) {
		a->no_function = e == STORE_NOTFOUND;
		return e;
	}
	store_function_clear(&f);
	return store_inbox_append(tx, a->h, a->id, &a->ev, a->ev.timestamp);
}

void
api_h_entity_signal(struct api_ctx *c)
{
	const struct api_req *r = c->req;
	struct signal_arg a;
	const char *name, *key, *op;
	char low[IDS_NAME_MAX + 1];
	struct buf raw;
	enum store_err e;

	if (!api_entity_id(c, &name, &key))
		return;
	if (!api_body_ok(c))
		return;
	op = strcmp(r->method, "DELETE") == 0 ? "delete" : api_query_get(&c->q, "op");
	if (op == NULL)
		op = "";
	if (strlen(op) > IDS_NAME_MAX || !ids_utf8_valid(op, strlen(op))) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect", "op is not valid");
		return;
	}
	memset(&a, 0, sizeof(a));
	buf_init(&raw, r->body_len * 6 + 8);
	if (r->body_len > 0 && strcmp(r->method, "POST") == 0) {
		size_t n = strcspn(r->content_type ? r->content_type : "", "; \t");

		if (r->content_type != NULL && n == 16 && strncasecmp(r->content_type, "application/json", 16) == 0) {
			if (!jsonutil_valid(r->body, r->body_len, JSONUTIL_MAX_DEPTH)) {
				api_error(c, 400, "Could not parse JSON content: the body is not valid JSON.", NULL);
				buf_free(&raw);
				return;
			}
			a.ev.data = (char *)r->body;
		} else {
			/* Any other media type: the body is the input, as a string. */
			if (!ids_utf8_valid(r->body, r->body_len) || memchr(r->body, '\0', r->body_len)) {
				api_error(c, 400, "The request body is not valid UTF-8 text.", NULL);
				buf_free(&raw);
				return;
			}
			jsonw_str(&raw, r->body);
			a.ev.data = raw.p;
		}
	}
	ids_lower(low, name, sizeof(low));
	snprintf(a.id, sizeof(a.id), "@%s@%s", low, key);
	a.h = c->hub;
	a.name = name;
	a.ev.type = EVENT_EVENT_RAISED; /* carrying the operation */
	a.ev.event_id = -1;
	a.ev.task_id = -1;
	a.ev.timestamp = time_now_us();
	a.ev.name = (char *)op;
	e = store_txn_run(c->store, 0, signal_txn, &a);
	buf_free(&raw);
	if (e == STORE_NOTFOUND && a.no_function) {
		char msg[400];

		snprintf(msg, sizeof(msg),
			 "The function '%.256s' doesn't exist, is disabled, or is not an entity function.", name);
		api_error(c, 400, msg, NULL);
		return;
	}
	if (e != STORE_OK) {
		api_store_error(c, e, "signal entity");
		return;
	}
	api_wake(c);
	api_empty(c, 202);
}

struct eget_arg {
	struct store_hub *h;
	const char *name, *key;
	struct store_entity en;
};

static enum store_err
eget_txn(struct store_txn *tx, void *arg)
{
	struct eget_arg *a = arg;

	store_entity_clear(&a->en);
	return store_entity_get(tx, a->h, a->name, a->key, &a->en);
}

void
api_h_entity_get(struct api_ctx *c)
{
	struct eget_arg a;
	enum store_err e;

	memset(&a, 0, sizeof(a));
	if (!api_entity_id(c, &a.name, &a.key))
		return;
	a.h = c->hub;
	e = store_txn_run(c->store, STORE_TXN_READONLY, eget_txn, &a);
	if (e == STORE_OK && a.en.state == NULL)
		e = STORE_NOTFOUND; /* an entity without state does not exist */
	if (e != STORE_OK) {
		store_entity_clear(&a.en);
		api_store_error(c, e, "get entity");
		return;
	}
	api_json(c, 200);
	jsonw_payload(&c->resp->body, a.en.state);
	store_entity_clear(&a.en);
}

struct elist_arg {
	struct store_hub *h;
	struct store_entity_query q;
	struct store_entity *v;
	size_t n;
	char *next;
};

static enum store_err
elist_txn(struct store_txn *tx, void *arg)
{
	struct elist_arg *a = arg;

	store_entity_free_array(a->v, a->n);
	free(a->next);
	a->v = NULL;
	a->n = 0;
	a->next = NULL;
	return store_entity_query(tx, a->h, &a->q, &a->v, &a->n, &a->next);
}

void
api_h_entity_list(struct api_ctx *c)
{
	struct elist_arg a;
	struct buf *b = &c->resp->body;
	const char *top = api_query_get(&c->q, "top");
	enum store_err e;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.h = c->hub;
	if (c->nseg == 2) {
		a.q.name = c->seg[1];
		if (!ids_name_valid(a.q.name)) {
			api_error(c, 400, "One or more of the arguments submitted is incorrect",
				  "entityName (Parameter 'Entity name is not valid.')");
			return;
		}
	}
	if (api_param_time(c, "lastOperationTimeFrom", &a.q.last_op_from) < 0 ||
	    api_param_time(c, "lastOperationTimeTo", &a.q.last_op_to) < 0)
		return;
	a.q.with_state = api_query_bool(&c->q, "fetchState", 0);
	a.q.page = 100;
	if (top != NULL) {
		long t = strtol(top, NULL, 10);

		if (t > 0)
			a.q.page = t > STORE_MAX_PAGE ? STORE_MAX_PAGE : (size_t)t;
	}
	a.q.token = c->req->continuation;
	e = store_txn_run(c->store, STORE_TXN_READONLY, elist_txn, &a);
	if (e == STORE_INVALID) {
		api_error(c, 400, "The continuation token or a filter is not valid for this query.", NULL);
		goto done;
	}
	if (e != STORE_OK) {
		api_store_error(c, e, "list entities");
		goto done;
	}
	api_json(c, 200);
	api_header(c->resp, "x-ms-continuation-token", a.next ? a.next : "");
	buf_addc(b, '[');
	for (i = 0; i < a.n; i++) {
		char t[TIMEFMT_MAX], low[IDS_NAME_MAX + 1];

		ids_lower(low, a.v[i].name, sizeof(low));
		timefmt_precise(a.v[i].last_op, t);
		buf_adds(b, i ? ",{\"entityId\":{\"name\":" : "{\"entityId\":{\"name\":");
		jsonw_str(b, low);
		buf_adds(b, ",\"key\":");
		jsonw_str(b, a.v[i].key);
		buf_adds(b, "},\"lastOperationTime\":");
		jsonw_str(b, t);
		buf_adds(b, ",\"state\":");
		jsonw_payload(b, a.q.with_state ? a.v[i].state : NULL);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
done:
	store_entity_free_array(a.v, a.n);
	free(a.next);
}
