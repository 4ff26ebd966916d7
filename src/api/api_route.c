/*
 * api_route.c — the route table and dispatch: base path, path segments,
 * authentication, task hub, then one handler per (route, method). A path
 * that matches a route with another method gets 405 and Allow (kcgi's
 * habit); anything else under the base path gets 404.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_int.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/mgmt.h"

#define V1_BASE "/admin/extensions/DurableTaskExtension"

typedef void (*api_handler)(struct api_ctx *);

/* A pattern segment is a literal (case-insensitive) or "*" (any value). */
static const struct api_route {
	const char *seg[API_SEGS_MAX];
	api_handler get, post, del;
} api_routes[] = {
	{{"orchestrators", "*"}, NULL, api_h_start, NULL},
	{{"orchestrators", "*", "*"}, NULL, api_h_start, NULL},
	{{"instances"}, api_h_list, NULL, api_h_purge_filter},
	{{"instances", "*"}, api_h_status, NULL, api_h_purge_one},
	{{"instances", "*", "history"}, api_h_history, NULL, NULL},
	{{"instances", "*", "raiseEvent", "*"}, NULL, api_h_raise, NULL},
	{{"instances", "*", "terminate"}, NULL, api_h_control, NULL},
	{{"instances", "*", "suspend"}, NULL, api_h_control, NULL},
	{{"instances", "*", "resume"}, NULL, api_h_control, NULL},
	{{"instances", "*", "rewind"}, NULL, api_h_control, NULL},
	{{"instances", "*", "restart"}, NULL, api_h_restart, NULL},
	{{"entities"}, api_h_entity_list, NULL, NULL},
	{{"entities", "*"}, api_h_entity_list, NULL, NULL},
	{{"entities", "*", "*"}, api_h_entity_get, api_h_entity_signal, api_h_entity_signal},
	{{"counts"}, api_h_counts, NULL, NULL},
};

/* Strips a base path (case-insensitively) from path; the rest, or NULL. */
static const char *
api_strip_base(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0 || strncasecmp(path, base, n) != 0)
		return NULL;
	if (path[n] != '\0' && path[n] != '/')
		return NULL;
	return path + n;
}

/*
 * The raw path: REQUEST_URI without its query (undecoded, so an encoded
 * slash stays inside its segment), else SCRIPT_NAME + PATH_INFO. Then the
 * part after a base path, directly or after the script's own name (CGI
 * hosts reach us as /cgi-bin/taskhub.fcgi/runtime/...).
 */
static const char *
api_route_rest(struct api_ctx *c, char *path, size_t cap)
{
	const struct api_req *r = c->req;
	const char *rest, *bases[2] = {c->srv->conf.base_path, V1_BASE};
	size_t i, sl;

	if (r->request_uri != NULL && r->request_uri[0] == '/') {
		size_t n = strcspn(r->request_uri, "?#");

		if (n >= cap)
			return NULL;
		memcpy(path, r->request_uri, n);
		path[n] = '\0';
	} else
		snprintf(path, cap, "%s%s", r->script_name ? r->script_name : "", r->path_info ? r->path_info : "");
	for (i = 0; i < 2; i++)
		if ((rest = api_strip_base(path, bases[i])) != NULL)
			return rest;
	sl = r->script_name ? strlen(r->script_name) : 0;
	if (sl > 0 && strncmp(path, r->script_name, sl) == 0)
		for (i = 0; i < 2; i++)
			if ((rest = api_strip_base(path + sl, bases[i])) != NULL)
				return rest;
	return NULL;
}

/* Splits on '/', ignoring empty segments, and percent-decodes each. */
static int
api_split(struct api_ctx *c, const char *rest)
{
	size_t used = 0;

	c->nseg = 0;
	while (*rest != '\0') {
		size_t n = strcspn(rest, "/");
		int d;

		if (n > 0) {
			if (c->nseg == API_SEGS_MAX || n > API_SEG_MAX)
				return -1;
			d = api_pct_decode(rest, n, c->segstore + used, sizeof(c->segstore) - used, 0);
			if (d < 0)
				return -1;
			c->seg[c->nseg++] = c->segstore + used;
			used += (size_t)d + 1;
		}
		rest += n;
		if (*rest == '/')
			rest++;
	}
	return 0;
}

static const struct api_route *
api_match(struct api_ctx *c)
{
	size_t i, j;

	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		const struct api_route *rt = &api_routes[i];

		for (j = 0; j < API_SEGS_MAX && rt->seg[j] != NULL; j++)
			if (j >= c->nseg || (strcmp(rt->seg[j], "*") != 0 && strcasecmp(rt->seg[j], c->seg[j]) != 0))
				break;
		if ((j == API_SEGS_MAX || rt->seg[j] == NULL) && j == c->nseg)
			return rt;
	}
	return NULL;
}

/* scheme://host + base path, for the URLs of the check-status payload. */
static void
api_route_base_url(struct api_ctx *c)
{
	const struct api_req *r = c->req;

	mgmt_origin(c->origin, r->host, r->https, r->fwd_host, r->fwd_proto);
	snprintf(c->base, sizeof(c->base), "%s%s", c->origin, c->srv->conf.base_path);
}

/* The store of a connection, opened on first use; NULL when the name is
 * not configured or its environment cannot be opened (logged). */
static struct store *
api_connection(struct api_server *srv, const char *name)
{
	struct api_conn *cn = NULL;
	size_t i;
	enum store_err e;

	if (name == NULL)
		cn = &srv->conns[0];
	for (i = 0; cn == NULL && i < srv->nconns; i++)
		if (strcasecmp(srv->conns[i].name, name) == 0)
			cn = &srv->conns[i];
	if (cn == NULL)
		return NULL;
	if (cn->store == NULL && (e = store_open(cn->home, &srv->opt, &cn->store)) != STORE_OK) {
		log_warnx("connection %s: cannot open %s: %s", cn->name, cn->home, store_strerror(e));
		cn->store = NULL;
	}
	return cn->store;
}

void
api_dispatch(struct api_server *srv, const struct api_req *req, struct api_resp *resp)
{
	static struct api_ctx ctx; /* large (decoded query); one request at a time */
	struct api_ctx *c = &ctx;
	char path[API_QUERY_MAX];
	const struct api_route *rt;
	api_handler h;
	const char *rest;
	enum store_err e;

	memset(c, 0, offsetof(struct api_ctx, origin));
	c->srv = srv;
	c->req = req;
	c->resp = resp;
	c->q.n = 0;
	c->origin[0] = c->base[0] = '\0';

	if ((rest = api_route_rest(c, path, sizeof(path))) == NULL) {
		api_error(c, 404, "No such route.", NULL);
		return;
	}
	if (req->query_string != NULL && strlen(req->query_string) > API_QUERY_MAX) {
		api_error(c, 414, "The query string is too long.", NULL);
		return;
	}
	if (api_query_parse(req->query_string, &c->q) == -1) {
		api_error(c, 400, "The query string is malformed or has too many parameters.", NULL);
		return;
	}
	if (api_split(c, rest) == -1) {
		api_error(c, 400, "The request path is malformed.", NULL);
		return;
	}
	if ((c->key = api_auth_check(c)) == NULL) {
		api_error(c, 401,
			  "Unauthorized: a valid system key is required (code parameter or x-functions-key header).",
			  NULL);
		return;
	}
	if ((rt = api_match(c)) == NULL) {
		api_error(c, 404, "No such route.", NULL);
		return;
	}
	h = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ? rt->get
	    : strcmp(req->method, "POST") == 0                                  ? rt->post
	    : strcmp(req->method, "DELETE") == 0                                ? rt->del
										: NULL;
	if (h == NULL) {
		char allow[32] = "";

		if (rt->get)
			strcat(allow, "GET, HEAD");
		if (rt->post)
			strcat(allow, *allow ? ", POST" : "POST");
		if (rt->del)
			strcat(allow, *allow ? ", DELETE" : "DELETE");
		api_error(c, 405, "The method is not allowed on this route.", NULL);
		api_header(resp, "Allow", allow);
		return;
	}

	/* The connection names the environment (default: home). */
	c->connection = api_query_get(&c->q, "connection");
	if ((c->store = api_connection(srv, c->connection)) == NULL) {
		char msg[400];

		snprintf(msg, sizeof(msg), "Connection '%.200s' is not configured.", c->connection);
		api_error(c, 404, msg, NULL);
		return;
	}
	if (c->connection == NULL)
		c->connection = srv->conns[0].name;
	c->hub_name = api_query_get(&c->q, "taskHub");
	if (c->hub_name == NULL)
		c->hub_name = srv->conf.hub;
	if ((e = store_hub_open(c->store, c->hub_name, &c->hub)) != STORE_OK) {
		api_store_error(c, e == STORE_NOTFOUND ? STORE_NOHUB : e, "taskHub");
		return;
	}
	api_route_base_url(c);
	h(c);
}
