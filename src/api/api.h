/*
 * api.h — the responder's shared types: a request as the handlers see it
 * (transport-independent: the FastCGI/CGI adapter fills it), the response
 * they build, and the per-request context.
 *
 * Ownership: every string in struct api_req is borrowed from the adapter
 * and valid until the request is finished; the handlers own nothing in it.
 * struct api_resp owns its buffers; the adapter writes and resets them.
 */
#ifndef TH_API_H
#define TH_API_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/conf.h"
#include "store/store.h"

#define API_QUERY_MAX     8192 /* bytes of query string */
#define API_PARAMS_MAX    64   /* query parameters */
#define API_SEGS_MAX      8    /* path segments after the base path */
#define API_SEG_MAX       1024 /* bytes of one decoded segment (IDs are checked later) */
#define API_BODY_RESP_MAX (64u * 1024 * 1024)

enum api_body_state {
	API_BODY_OK = 0,
	API_BODY_TOO_BIG, /* Content-Length over body-max: not read */
	API_BODY_BAD,     /* unreadable or shorter than Content-Length */
	API_BODY_NOMEM,   /* no memory to hold it */
};

struct api_req {
	const char *method;
	const char *request_uri; /* raw, with the query string */
	const char *script_name;
	const char *path_info;
	const char *query_string;
	const char *host;
	const char *https;
	const char *fwd_host;
	const char *fwd_proto;
	const char *content_type;
	const char *functions_key; /* x-functions-key */
	const char *continuation;  /* x-ms-continuation-token */
	const char *body;          /* NUL-terminated copy, body_len bytes */
	size_t body_len;
	enum api_body_state body_state;
};

struct api_resp {
	int status;
	struct buf headers; /* "Name: value\r\n" lines */
	struct buf body;
};

struct api_param {
	char *name; /* decoded */
	char *value;
};

struct api_query {
	struct api_param v[API_PARAMS_MAX];
	size_t n;
	char store[API_QUERY_MAX * 2 + API_PARAMS_MAX * 2]; /* decoded text */
};

#define API_CONNS_MAX 8

/* An environment the API can reach: the `connection` parameter names it. */
struct api_conn {
	char name[64];
	char home[CONF_PATH_MAX];
	struct store *store; /* opened on first use (the default one at start) */
};

/* What the responder knows for its whole life. */
struct api_server {
	struct conf conf;
	struct store_options opt;
	struct api_conn conns[API_CONNS_MAX]; /* [0] is home, the default */
	size_t nconns;
	char **keys; /* system keys; NULL-terminated */
	size_t nkeys;
	int override_any; /* host.json overridableExistingInstanceStates = AnyState */
};

/* One request in progress. */
struct api_ctx {
	struct api_server *srv;
	const struct api_req *req;
	struct api_resp *resp;
	struct store *store; /* the connection's environment */
	struct store_hub *hub;
	const char *hub_name;
	const char *connection;
	const char *key; /* the key the request presented, if valid (for URLs) */
	size_t nseg;
	/* Everything above is reset per request; the buffers below are
	 * written before they are read. */
	char origin[300];        /* scheme://host */
	char base[600];          /* origin + base path, for URLs */
	char *seg[API_SEGS_MAX]; /* decoded path segments after the base path */
	char segstore[API_QUERY_MAX + 2048];
	struct api_query q;
};

/* ---- api_query.c ---------------------------------------------------------- */

/* Parses and percent-decodes a query string into q. -1 when it is longer
 * than API_QUERY_MAX, has more than API_PARAMS_MAX parameters, or holds a
 * malformed escape or a NUL. */
int api_query_parse(const char *qs, struct api_query *q);
/* The first value of name (case-insensitive), or NULL. Borrowed from q. */
const char *api_query_get(const struct api_query *q, const char *name);
/* true/false in any case; anything else (or absent) gives def. */
int api_query_bool(const struct api_query *q, const char *name, int def);
/* Percent-decodes s[0..len) into out (cap bytes); plus_space turns '+' into
 * ' ' (query strings only). -1 on a malformed escape, a NUL, or no room. */
int api_pct_decode(const char *s, size_t len, char *out, size_t cap, int plus_space);

/* ---- api_resp.c ------------------------------------------------------------ */

void api_resp_init(struct api_resp *r);
void api_resp_reset(struct api_resp *r);
void api_resp_free(struct api_resp *r);
void api_header(struct api_resp *r, const char *name, const char *value);
/* An error answer: status, and a JSON body {"Message":msg[,"ExceptionMessage":exc]}. */
void api_error(struct api_ctx *c, int status, const char *msg, const char *exc);
/* An answer without a body (404 for an unknown instance, 202 for signals). */
void api_empty(struct api_ctx *c, int status);
/* Starts a JSON answer: status and Content-Type; the caller writes the body. */
void api_json(struct api_ctx *c, int status);
/* The one mapping of store errors to HTTP (400/404/409/413/503/500). */
void api_store_error(struct api_ctx *c, enum store_err e, const char *what);

/* ---- api_route.c ---------------------------------------------------------- */

/* Routes one request: base path, authentication, hub, handler. */
void api_dispatch(struct api_server *srv, const struct api_req *req, struct api_resp *resp);

/* ---- handlers (api_h_*.c) -------------------------------------------------- */

void api_h_start(struct api_ctx *c);
void api_h_status(struct api_ctx *c);
void api_h_list(struct api_ctx *c);
void api_h_history(struct api_ctx *c);
void api_h_counts(struct api_ctx *c);
void api_h_purge_one(struct api_ctx *c);
void api_h_purge_filter(struct api_ctx *c);
void api_h_raise(struct api_ctx *c);
void api_h_control(struct api_ctx *c);
void api_h_restart(struct api_ctx *c);
void api_h_entity_signal(struct api_ctx *c);
void api_h_entity_get(struct api_ctx *c);
void api_h_entity_list(struct api_ctx *c);

/* ---- api_render.c ------------------------------------------------------------ */

/* The status object of spec §2.1 (history appended by the caller when asked). */
void api_render_status(struct buf *b, const struct store_instance *r, int show_input);
/* The check-status payload of spec §1.4 for instance id. */
void api_render_check_status(struct api_ctx *c, struct buf *b, const char *id);
/* The URL of an instance (+ optional "/op"), with the query suffix. */
void api_render_instance_url(struct api_ctx *c, struct buf *b, const char *id, const char *op, const char *pre);
/* History events rendered as spec §2.4, appended as a JSON array. merge:
 * scheduling rows fold into their completions (the whole history is in
 * ev); otherwise every event is its own row, completions naming their
 * TaskScheduledId (a page of the history extension). */
void api_render_history(struct buf *b, const struct store_event *ev, size_t n, int show_input, int show_output,
			int merge);

/* ---- api_util.c ---------------------------------------------------------------- */

/* Parses a timestamp parameter: 0 absent (*us untouched), 1 parsed, -1 bad
 * (and a 400 has been written). */
int api_param_time(struct api_ctx *c, const char *name, int64_t *us);
/* Parses a runtimeStatus parameter (comma lists and repeats) into a mask. */
unsigned api_param_statuses(struct api_ctx *c);
/* 1 when id is a valid instance ID; else answers 400 with Durable
 * Functions' wording and returns 0. */
int api_id_ok(struct api_ctx *c, const char *id);
/* 1 if the request body was read whole; else answers 413 (over body-max),
 * 400 (unreadable) or 503 (no memory for it) and returns 0. */
int api_body_ok(struct api_ctx *c);
/* One wake datagram to the daemon for the request's hub, after a commit. */
void api_wake(struct api_ctx *c);
/* Reads timeout and pollingInterval (seconds): 0 with *timeout < 0 when
 * not both given, 0 with both set, -1 after answering 400. */
int api_wait_params(struct api_ctx *c, double *timeout, double *poll);
/* After a start: waits (timeout >= 0) for the instance to finish, then
 * answers as Durable Functions does; or answers the 202 payload. */
void api_answer_started(struct api_ctx *c, const char *id, double timeout, double poll);

#endif
