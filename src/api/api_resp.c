/*
 * api_resp.c — building answers, and the one place where store errors
 * become HTTP status codes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "common/jsonw.h"
#include "common/log.h"

void
api_resp_init(struct api_resp *r)
{
	r->status = 200;
	buf_init(&r->headers, 8192);
	buf_init(&r->body, API_BODY_RESP_MAX);
}

void
api_resp_reset(struct api_resp *r)
{
	r->status = 200;
	buf_reset(&r->headers);
	buf_reset(&r->body);
}

void
api_resp_free(struct api_resp *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

void
api_header(struct api_resp *r, const char *name, const char *value)
{
	/* Header values come from the store or the request: no CR or LF may
	 * pass, or a client could inject headers. */
	buf_adds(&r->headers, name);
	buf_add(&r->headers, ": ", 2);
	for (; *value != '\0'; value++)
		if (*value != '\r' && *value != '\n')
			buf_addc(&r->headers, *value);
	buf_add(&r->headers, "\r\n", 2);
}

void
api_json(struct api_ctx *c, int status)
{
	c->resp->status = status;
	api_header(c->resp, "Content-Type", "application/json; charset=utf-8");
}

void
api_empty(struct api_ctx *c, int status)
{
	c->resp->status = status;
	buf_reset(&c->resp->body);
}

void
api_error(struct api_ctx *c, int status, const char *msg, const char *exc)
{
	struct buf *b = &c->resp->body;

	buf_reset(&c->resp->headers);
	buf_reset(b);
	api_json(c, status);
	buf_addc(b, '{');
	jsonw_key(b, "Message");
	jsonw_str(b, msg);
	if (exc != NULL) {
		buf_addc(b, ',');
		jsonw_key(b, "ExceptionMessage");
		jsonw_str(b, exc);
	}
	buf_addc(b, '}');
	if (status == 503)
		api_header(c->resp, "Retry-After", "1");
}

void
api_store_error(struct api_ctx *c, enum store_err e, const char *what)
{
	char msg[512];

	switch (e) {
	case STORE_NOTFOUND:
		api_empty(c, 404);
		return;
	case STORE_NOHUB:
		snprintf(msg, sizeof(msg), "Task hub '%s' does not exist.", c->hub_name ? c->hub_name : "");
		api_error(c, 404, msg, NULL);
		return;
	case STORE_INVALID:
		api_error(c, 400, "One or more of the arguments submitted is incorrect", what);
		return;
	case STORE_TOOBIG:
		api_error(c, 413, "A value is larger than the store accepts.", what);
		return;
	case STORE_EXISTS:
	case STORE_STATE:
		api_error(c, 409, what ? what : "The request conflicts with the instance's state.", NULL);
		return;
	case STORE_BUSY:
		api_error(c, 503, "The store is busy; try again.", NULL);
		return;
	case STORE_NOSPACE:
		api_error(c, 503, "The store is out of disk space.", NULL);
		return;
	default:
		/* A broken invariant: log it, answer generically. */
		log_warnx("store error on %s: %s", what ? what : "request", store_strerror(e));
		api_error(c, 500, "Something went wrong while processing your request", store_strerror(e));
		return;
	}
}
