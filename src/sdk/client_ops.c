/*
 * client_ops.c — the client API's instance operations, each one store
 * transaction with the same checks and answers as the management API's
 * handlers (src/api/api_h_instance.c, api_h_control.c), and the wake after
 * each commit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/ids.h"
#include "common/jsonutil.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timeutil.h"
#include "common/wake.h"
#include "sdk/client_int.h"

#define CLIENT_REASON_MAX 4096 /* as the API's terminate reason */

static char *
client_dup(const char *s, int *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*nomem = 1;
	return d;
}

/* ---- status ------------------------------------------------------------- */

struct get_arg {
	struct store_hub *h;
	const char *id;
	int with_input;
	struct store_instance r;
};

static enum store_err
get_txn(struct store_txn *tx, void *arg)
{
	struct get_arg *a = arg;

	store_instance_clear(&a->r);
	return store_instance_get(tx, a->h, a->id, a->with_input, &a->r);
}

static th_client_err
client_get(struct th_client *c, const char *id, int with_input, struct get_arg *a)
{
	enum store_err e;

	memset(a, 0, sizeof(*a));
	if (!client_id_ok(c, id))
		return TH_EINVALID;
	a->h = c->hub;
	a->id = id;
	a->with_input = with_input;
	e = store_txn_run(c->store, STORE_TXN_READONLY, get_txn, a);
	if (e != STORE_OK) {
		store_instance_clear(&a->r);
		return client_store_fail(c, e, "status");
	}
	return TH_OK;
}

void
th_status_clear(th_status *s)
{
	free(s->name);
	free(s->instance_id);
	free(s->input);
	free(s->output);
	free(s->custom_status);
	memset(s, 0, sizeof(*s));
}

th_client_err
th_client_get_status(th_client *c, const char *id, int with_input, th_status *out)
{
	struct get_arg a;
	th_client_err rc;
	int nomem = 0;

	client_reset(c);
	memset(out, 0, sizeof(*out));
	if ((rc = client_get(c, id, with_input, &a)) != TH_OK)
		return rc;
	out->name = client_dup(a.r.name, &nomem);
	out->instance_id = client_dup(a.r.id, &nomem);
	out->runtime_status = status_name(a.r.status);
	out->input = client_dup(with_input ? a.r.input : NULL, &nomem);
	out->output = client_dup(a.r.output, &nomem);
	out->custom_status = client_dup(a.r.custom_status, &nomem);
	out->created_us = a.r.created;
	out->last_updated_us = a.r.updated;
	store_instance_clear(&a.r);
	if (nomem) {
		th_status_clear(out);
		return client_fail(c, TH_ENOMEM, NULL, "out of memory");
	}
	return TH_OK;
}

th_client_err
th_client_get_status_json(th_client *c, const char *id, int with_input, char **json)
{
	struct get_arg a;
	struct buf b;
	th_client_err rc;

	client_reset(c);
	*json = NULL;
	if ((rc = client_get(c, id, with_input, &a)) != TH_OK)
		return rc;
	/* Payloads are capped at 4 MiB each: three of them and the frame. */
	buf_init(&b, 4 * STORE_MAX_PAYLOAD);
	mgmt_status_json(&b, a.r.name, a.r.id, a.r.status, with_input ? a.r.input : NULL, a.r.custom_status, a.r.output,
			 a.r.created, a.r.updated);
	store_instance_clear(&a.r);
	if (b.overflow || b.p == NULL) {
		buf_free(&b);
		return client_fail(c, TH_ENOMEM, NULL, "out of memory");
	}
	*json = b.p;
	return TH_OK;
}

/* ---- start -------------------------------------------------------------- */

/* TH_ENOFUNCTION with the API's message, known orchestrators listed. */
static th_client_err
client_unknown_function(struct th_client *c, const char *name)
{
	char **names = NULL;
	struct buf m;
	size_t n = 0;

	buf_init(&m, sizeof(c->msg));
	if (store_function_names(c->store, c->hub, STORE_FN_ORCHESTRATOR, &names, &n) != STORE_OK)
		names = NULL;
	mgmt_msg_unknown_function(&m, name, "orchestrator", names, n);
	store_strv_free(names, n);
	client_fail(c, TH_ENOFUNCTION, NULL, "%s", m.p ? m.p : "Unknown function.");
	buf_free(&m);
	return TH_ENOFUNCTION;
}

th_client_err
th_client_start(th_client *c, const char *name, const char *id, const char *input, char **id_out)
{
	struct store_create cr;
	char idbuf[33], exec[33];
	enum store_err e;

	client_reset(c);
	if (id_out != NULL)
		*id_out = NULL;
	if (name == NULL || !ids_name_valid(name))
		return client_unknown_function(c, name != NULL ? name : "");
	if (id != NULL && !client_id_ok(c, id))
		return TH_EINVALID;
	if (input != NULL && !jsonutil_valid(input, strlen(input), JSONUTIL_MAX_DEPTH))
		return client_fail(c, TH_EINVALID, NULL, "Invalid JSON content");
	if ((id == NULL && ids_new_guid(idbuf) == -1) || ids_new_guid(exec) == -1)
		return client_fail(c, TH_EIO, "no random source", "Something went wrong while processing your request");
	if (id == NULL)
		id = idbuf;
	/* Copied first: once the start commits, nothing may fail. */
	if (id_out != NULL && (*id_out = strdup(id)) == NULL)
		return client_fail(c, TH_ENOMEM, NULL, "out of memory");
	memset(&cr, 0, sizeof(cr));
	cr.id = id;
	cr.name = name;
	cr.execution_id = exec;
	cr.input = input;
	cr.parent_task_id = -1;
	cr.now = time_now_us();
	cr.override_any = c->override_any;
	/* The registry lookup and the singleton create in one transaction,
	 * as the API's start. */
	e = store_start(c->store, c->hub, &cr);
	if (e != STORE_OK && id_out != NULL) {
		free(*id_out);
		*id_out = NULL;
	}
	if (e == STORE_NOFUNCTION)
		return client_unknown_function(c, name);
	if (e == STORE_EXISTS) {
		char msg[400];

		mgmt_msg_exists(msg, sizeof(msg), id);
		return client_fail(c, TH_EEXISTS, NULL, "%s", msg);
	}
	if (e != STORE_OK)
		return client_store_fail(c, e, "start");
	wake_send(c->conf.wake_socket, store_hub_name(c->hub));
	return TH_OK;
}

/* ---- raise, terminate ------------------------------------------------------ */

struct ctl_arg {
	struct store_hub *h;
	const char *id;
	unsigned allowed; /* STATUS_BIT mask */
	struct store_event ev;
	int64_t now;
	int status; /* as read */
};

/* The state check and the inbox append in one transaction (api_h_control). */
static enum store_err
ctl_txn(struct store_txn *tx, void *arg)
{
	struct ctl_arg *a = arg;

	return store_instance_request(tx, a->h, a->id, a->allowed, &a->ev, a->now, &a->status);
}

static th_client_err
client_record(struct th_client *c, struct ctl_arg *a)
{
	enum store_err e;

	a->h = c->hub;
	a->now = time_now_us();
	a->ev.timestamp = a->now;
	a->ev.event_id = -1;
	a->ev.task_id = -1;
	e = store_txn_run(c->store, 0, ctl_txn, a);
	if (e == STORE_OK) {
		wake_send(c->conf.wake_socket, store_hub_name(c->hub));
		return TH_OK;
	}
	if (e == STORE_STATE)
		return client_fail(c, TH_ESTATE, NULL, "Instance '%s' is %s.", a->id, status_name(a->status));
	return client_store_fail(c, e, "control operation");
}

th_client_err
th_client_raise_event(th_client *c, const char *id, const char *name, const char *data)
{
	struct ctl_arg a;

	client_reset(c);
	if (!client_id_ok(c, id))
		return TH_EINVALID;
	if (name == NULL || !ids_name_valid(name))
		return client_fail(c, TH_EINVALID, "eventName (Parameter 'Event name is not valid.')",
				   "One or more of the arguments submitted is incorrect");
	if (data != NULL && !jsonutil_valid(data, strlen(data), JSONUTIL_MAX_DEPTH))
		return client_fail(c, TH_EINVALID, NULL, "Invalid JSON content");
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.allowed = STATUS_BIT(STATUS_PENDING) | STATUS_BIT(STATUS_RUNNING) | STATUS_BIT(STATUS_CONTINUED_AS_NEW) |
		    STATUS_BIT(STATUS_SUSPENDED);
	a.ev.type = EVENT_EVENT_RAISED;
	a.ev.name = (char *)name;
	a.ev.data = (char *)data;
	return client_record(c, &a);
}

th_client_err
th_client_terminate(th_client *c, const char *id, const char *reason)
{
	struct ctl_arg a;

	client_reset(c);
	if (!client_id_ok(c, id))
		return TH_EINVALID;
	if (reason != NULL && (strlen(reason) > CLIENT_REASON_MAX || !ids_utf8_valid(reason, strlen(reason))))
		return client_fail(c, TH_EINVALID, NULL, "The reason is longer than 4096 bytes or not valid UTF-8.");
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.allowed = STATUS_BIT(STATUS_PENDING) | STATUS_BIT(STATUS_RUNNING) | STATUS_BIT(STATUS_CONTINUED_AS_NEW) |
		    STATUS_BIT(STATUS_SUSPENDED);
	a.ev.type = EVENT_EXECUTION_TERMINATED;
	a.ev.data = (char *)reason; /* stored as the text it is, as the API */
	return client_record(c, &a);
}

/* ---- purge ------------------------------------------------------------------ */

th_client_err
th_client_purge(th_client *c, const char *id)
{
	enum store_err e;
	char msg[600];
	int status;

	client_reset(c);
	if (!client_id_ok(c, id))
		return TH_EINVALID;
	e = store_purge_one(c->store, c->hub, id, &status);
	if (e == STORE_STATE) {
		mgmt_msg_not_purgeable(msg, sizeof(msg), id, status_name(status));
		return client_fail(c, TH_ESTATE, NULL, "%s", msg);
	}
	return client_store_fail(c, e, "purge");
}
