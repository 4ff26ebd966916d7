/*
 * client.c — the client API's frame: opening a task hub as the responder
 * does (taskhub.conf, connection, hub, host.json, system keys), errors in
 * the API's words, and the check-status response built by the same code as
 * the responder's (src/common/mgmt.c).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hostjson.h"
#include "common/ids.h"
#include "common/jsonw.h"
#include "common/mgmt.h"
#include "common/syskeys.h"
#include "sdk/client_int.h"

const char *
th_client_strerror(th_client_err e)
{
	switch (e) {
	case TH_OK:
		return "success";
	case TH_ENOTFOUND:
		return "no such instance";
	case TH_EEXISTS:
		return "an instance with this ID already exists";
	case TH_EINVALID:
		return "invalid argument";
	case TH_ENOFUNCTION:
		return "no such orchestrator function";
	case TH_ESTATE:
		return "not allowed in the instance's state";
	case TH_ETOOBIG:
		return "value too large";
	case TH_EBUSY:
		return "store busy, try again";
	case TH_ENOHUB:
		return "no such task hub";
	case TH_ECONFIG:
		return "bad configuration";
	case TH_ENOMEM:
		return "out of memory";
	case TH_EIO:
		return "store or system failure";
	}
	return "unknown error";
}

void
client_reset(struct th_client *c)
{
	c->msg[0] = '\0';
	c->has_detail = 0;
}

th_client_err
client_fail(struct th_client *c, th_client_err e, const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->has_detail = detail != NULL;
	if (detail != NULL)
		snprintf(c->detail, sizeof(c->detail), "%s", detail);
	return e;
}

/* The API's mapping (api_store_error), in client codes. */
th_client_err
client_store_fail(struct th_client *c, enum store_err e, const char *what)
{
	switch (e) {
	case STORE_OK:
		return TH_OK;
	case STORE_NOTFOUND:
		return client_fail(c, TH_ENOTFOUND, NULL, "No instance with that ID exists.");
	case STORE_NOHUB:
		return client_fail(c, TH_ENOHUB, NULL, "Task hub '%s' does not exist.", store_hub_name(c->hub));
	case STORE_INVALID:
		return client_fail(c, TH_EINVALID, what, "One or more of the arguments submitted is incorrect");
	case STORE_TOOBIG:
		return client_fail(c, TH_ETOOBIG, what, "A value is larger than the store accepts.");
	case STORE_EXISTS:
	case STORE_STATE:
		return client_fail(c, e == STORE_EXISTS ? TH_EEXISTS : TH_ESTATE, NULL, "%s",
				   what ? what : "The request conflicts with the instance's state.");
	case STORE_BUSY:
		return client_fail(c, TH_EBUSY, NULL, "The store is busy; try again.");
	case STORE_NOSPACE:
		return client_fail(c, TH_EIO, NULL, "The store is out of disk space.");
	case STORE_NOMEM:
		return client_fail(c, TH_ENOMEM, store_strerror(e),
				   "Something went wrong while processing your request");
	default:
		return client_fail(c, TH_EIO, store_strerror(e), "Something went wrong while processing your request");
	}
}

int
client_id_ok(struct th_client *c, const char *id)
{
	const char *why;

	if ((why = ids_instance_why(id)) == NULL)
		return 1;
	{
		char exc[200];

		snprintf(exc, sizeof(exc), "instanceId (Parameter '%s')", why);
		client_fail(c, TH_EINVALID, exc, "One or more of the arguments submitted is incorrect");
	}
	return 0;
}

/*
 * The home of a connection, as the responder resolves its `connection`
 * parameter: NULL is connection-name (home); otherwise connection-name or
 * a Name of the `connections` list, case-insensitively. The URLs carry
 * the name as given (the API echoes the parameter), or connection-name.
 */
static int
client_connection_home(struct th_client *c, const char *name, char *home, size_t cap)
{
	char list[CONF_PATH_MAX], *item, *save = NULL;

	snprintf(c->connection, sizeof(c->connection), "%s", name != NULL ? name : c->conf.connection_name);
	if (name == NULL || strcasecmp(name, c->conf.connection_name) == 0) {
		snprintf(home, cap, "%s", c->conf.home);
		return 0;
	}
	if (strlen(name) >= sizeof(c->connection))
		return -1;
	snprintf(list, sizeof(list), "%s", c->conf.connections);
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		while (*item == ' ')
			item++;
		if (eq == NULL || eq == item || eq[1] != '/')
			return -1;
		if ((size_t)(eq - item) == strlen(name) && strncasecmp(item, name, strlen(name)) == 0) {
			snprintf(home, cap, "%s", eq + 1);
			return 0;
		}
	}
	return -1;
}

static void client_errmsg(char *errmsg, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
client_errmsg(char *errmsg, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errmsg, errcap, fmt, ap);
	va_end(ap);
}

th_client_err
th_client_open(const char *conf_path, const char *connection, const char *hub, th_client **out, char *errmsg,
	       size_t errcap)
{
	struct th_client *c;
	char home[CONF_PATH_MAX], err[512];
	struct hostjson hj;
	enum store_err e;
	th_client_err rc = TH_ECONFIG;

	*out = NULL;
	client_errmsg(errmsg, errcap, "%s", "");
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		client_errmsg(errmsg, errcap, "out of memory");
		return TH_ENOMEM;
	}
	conf_defaults(&c->conf);
	if (conf_load(&c->conf, conf_path, err, sizeof(err)) == -1) {
		client_errmsg(errmsg, errcap, "%s", err);
		goto fail;
	}
	if (client_connection_home(c, connection, home, sizeof(home)) == -1) {
		client_errmsg(errmsg, errcap, "Connection '%.200s' is not configured.", connection);
		goto fail;
	}
	if (c->conf.app[0] != '\0') {
		hostjson_defaults(&hj, 1);
		if (hostjson_load(c->conf.app, &hj, err, sizeof(err)) == -1) {
			client_errmsg(errmsg, errcap, "%s", err);
			goto fail;
		}
		c->override_any = hj.override_any;
	}
	if (!c->conf.anonymous && syskeys_load(c->conf.keys_file, &c->keys, &c->nkeys) == -1 && c->keys == NULL) {
		rc = TH_ENOMEM;
		client_errmsg(errmsg, errcap, "out of memory");
		goto fail;
	}
	/* A missing keys file is not an error here: every key is refused, as
	 * the responder refuses every request. */
	store_options_init(&c->opt);
	c->opt.durability = (enum store_durability)store_durability_parse(c->conf.durability);
	c->opt.group_shared = c->conf.group[0] != '\0';
	/* As the responder: a transaction blocked for 5 s waits on a mutex of
	 * a dead process; the store then ends this process (store.h), and the
	 * web server starts a fresh one. */
	c->opt.stall_ms = 5000;
	if ((e = store_open(home, &c->opt, &c->store)) != STORE_OK) {
		rc = e == STORE_NOMEM ? TH_ENOMEM : TH_EIO;
		client_errmsg(errmsg, errcap, "cannot open the environment %s: %s", home, store_strerror(e));
		goto fail;
	}
	if (hub == NULL)
		hub = c->conf.hub;
	if ((e = store_hub_open(c->store, hub, &c->hub)) != STORE_OK) {
		rc = e == STORE_NOTFOUND || e == STORE_NOHUB ? TH_ENOHUB : e == STORE_INVALID ? TH_EINVALID : TH_EIO;
		if (rc == TH_ENOHUB)
			client_errmsg(errmsg, errcap, "Task hub '%s' does not exist.", hub);
		else
			client_errmsg(errmsg, errcap, "task hub %s: %s", hub, store_strerror(e));
		goto fail;
	}
	*out = c;
	return TH_OK;
fail:
	th_client_close(c);
	return rc;
}

void
th_client_close(th_client *c)
{
	if (c == NULL)
		return;
	store_close(c->store);
	syskeys_free(c->keys, c->nkeys);
	free(c);
}

const char *
th_client_hub(const th_client *c)
{
	return store_hub_name(c->hub);
}

const char *
th_client_connection(const th_client *c)
{
	return c->connection;
}

size_t
th_client_body_max(const th_client *c)
{
	return c->conf.body_max;
}

const char *
th_client_errmsg(const th_client *c)
{
	return c->msg;
}

const char *
th_client_errdetail(const th_client *c)
{
	return c->has_detail ? c->detail : NULL;
}

char *
th_client_error_json(const char *message, const char *detail)
{
	struct buf b;

	/* The shape of the responder's api_error(). */
	buf_init(&b, 65536);
	buf_addc(&b, '{');
	jsonw_key(&b, "Message");
	jsonw_str(&b, message != NULL ? message : "");
	if (detail != NULL) {
		buf_addc(&b, ',');
		jsonw_key(&b, "ExceptionMessage");
		jsonw_str(&b, detail);
	}
	buf_addc(&b, '}');
	if (b.overflow) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

int
th_client_authorize(const th_client *c, const char *key)
{
	if (c->conf.anonymous)
		return 1;
	return syskeys_match(c->keys, c->nkeys, key);
}

void
th_check_status_clear(th_check_status *cs)
{
	free(cs->body);
	free(cs->location);
	memset(cs, 0, sizeof(*cs));
}

th_client_err
th_client_check_status(th_client *c, const char *origin, const char *id, const char *code, unsigned flags,
		       th_check_status *out)
{
	struct mgmt_links l;
	struct buf base, body, loc;
	th_client_err rc = TH_OK;

	client_reset(c);
	memset(out, 0, sizeof(*out));
	if (!client_id_ok(c, id))
		return TH_EINVALID;
	if (origin == NULL || (flags & ~(unsigned)TH_CHECK_WITH_REWIND) != 0)
		return client_fail(c, TH_EINVALID, NULL, "One or more of the arguments submitted is incorrect");
	buf_init(&base, 4096);
	buf_init(&body, 65536);
	buf_init(&loc, 8192);
	buf_adds(&base, origin);
	buf_adds(&base, c->conf.base_path);
	l.base = base.p ? base.p : "";
	l.hub = store_hub_name(c->hub);
	l.connection = c->connection;
	l.code = code;
	mgmt_check_status(&body, &l, id, flags & TH_CHECK_WITH_REWIND ? MGMT_WITH_REWIND : 0);
	mgmt_instance_url(&loc, &l, id, NULL, NULL);
	if (base.overflow || body.overflow || loc.overflow || body.p == NULL || loc.p == NULL) {
		rc = client_fail(c, TH_ENOMEM, NULL, "out of memory");
		buf_free(&body);
		buf_free(&loc);
	} else {
		out->status = 202;
		out->body = body.p;
		out->location = loc.p;
		out->retry_after = MGMT_RETRY_AFTER;
		out->content_type = MGMT_CONTENT_TYPE;
	}
	buf_free(&base);
	return rc;
}

void
th_client_origin(char *out, size_t cap, const char *host, const char *https, const char *fwd_host,
		 const char *fwd_proto)
{
	char o[MGMT_ORIGIN_MAX];

	mgmt_origin(o, host, https, fwd_host, fwd_proto);
	if (cap > 0)
		snprintf(out, cap, "%s", o);
}
