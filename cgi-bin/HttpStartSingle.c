/*
 * HttpStartSingle.c — the seed's singleton HTTP starter (Durable Functions'
 * "Singleton orchestrators" sample) as a C program on libtaskhub's client
 * API, run by a web server as FastCGI or as plain CGI:
 *
 *   POST {prefix}/orchestrators/{functionName}/{instanceId}   body: the input
 *
 * If no instance with that ID exists, or it is Completed, Failed or
 * Terminated, one is started and the answer is the management API's own
 * 202 check-status response (body, Location, Retry-After); otherwise 409
 * {"Message":"An instance with ID '<id>' already exists."}. The seed's C#
 * reads the status and then starts, which races (its docs say so); here the
 * check and the start are one store transaction (th_client_start with the
 * ID), so of many concurrent requests for one ID exactly one gets 202.
 *
 * The route is matched at the end of the path: any prefix works. Azure
 * Functions puts user HTTP functions under /api, and apache-conf deploys
 * it at /api/orchestrators/... (docs/deploy.md). It reads the same
 * taskhub.conf as taskhub.fcgi (TASKHUB_CONF) and, unless the conf says
 * anonymous, requires one of its system keys (`code` parameter or
 * x-functions-key header). Errors are the API's JSON error bodies.
 *
 * This one file is the program's request adapter: the only code here that
 * calls FCGX_*; everything about instances goes through taskhub.h.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taskhub.h"

#define HSS_PATH_MAX   8192 /* bytes of the request path */
#define HSS_QUERY_MAX  8192 /* bytes of the query string */
#define HSS_HEADER_MAX 16384

static volatile sig_atomic_t hss_stop;

static void
hss_on_term(int sig)
{
	(void)sig;
	hss_stop = 1;
	FCGX_ShutdownPending();
}

/* ---- the transport: FastCGI streams or CGI stdin/stdout ------------------ */

struct hss_io {
	FCGX_Request *rq; /* NULL for CGI */
	char **envp;
};

static const char *
hss_param(struct hss_io *io, const char *name)
{
	return FCGX_GetParam(name, io->envp);
}

static int
hss_read(struct hss_io *io, char *p, size_t n)
{
	if (io->rq != NULL)
		return FCGX_GetStr(p, (int)n, io->rq->in);
	return (int)fread(p, 1, n, stdin);
}

static void
hss_write(struct hss_io *io, const char *p, size_t n)
{
	if (io->rq != NULL)
		FCGX_PutStr(p, (int)n, io->rq->out);
	else
		fwrite(p, 1, n, stdout);
}

/* ---- the answer -------------------------------------------------------------- */

struct hss_resp {
	int status;
	char headers[HSS_HEADER_MAX]; /* "Name: value\r\n" lines */
	size_t hlen;
	char *body; /* malloc'd, or NULL */
};

static void
hss_header(struct hss_resp *r, const char *name, const char *value)
{
	size_t room = sizeof(r->headers) - r->hlen;
	int n;

	/* Values come from the store or the request: no CR or LF may pass. */
	if (strpbrk(value, "\r\n") != NULL)
		return;
	n = snprintf(r->headers + r->hlen, room, "%s: %s\r\n", name, value);
	if (n > 0 && (size_t)n < room)
		r->hlen += (size_t)n;
}

/* An error as the management API writes one: JSON {"Message", "ExceptionMessage"}. */
static void
hss_error(struct hss_resp *r, int status, const char *msg, const char *detail)
{
	free(r->body);
	r->hlen = 0;
	r->status = status;
	r->body = th_client_error_json(msg, detail);
	hss_header(r, "Content-Type", "application/json; charset=utf-8");
	if (status == 503)
		hss_header(r, "Retry-After", "1");
}

static const char *
hss_reason(int status)
{
	switch (status) {
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return status < 500 ? "Status" : "Internal Server Error";
	}
}

/* ---- the request ----------------------------------------------------------------- */

static int
hss_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into out (cap bytes); plus_space for query
 * values. -1 on a malformed escape, a NUL, or no room. */
static int
hss_decode(const char *s, size_t len, char *out, size_t cap, int plus_space)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '%') {
			int h, l;

			if (i + 2 >= len || (h = hss_hex(s[i + 1])) < 0 || (l = hss_hex(s[i + 2])) < 0)
				return -1;
			ch = h * 16 + l;
			i += 2;
		} else if (ch == '+' && plus_space)
			ch = ' ';
		if (ch == 0 || o + 1 >= cap)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (int)o;
}

/* The first `code` of the query string (name case-insensitive, as the
 * API), decoded into out; NULL when absent or malformed. */
static const char *
hss_query_code(const char *qs, char *out, size_t cap)
{
	while (qs != NULL && *qs != '\0') {
		size_t n = strcspn(qs, "&"), k = strcspn(qs, "=&");

		if (k == 4 && k < n && strncasecmp(qs, "code", 4) == 0)
			return hss_decode(qs + 5, n - 5, out, cap, 1) >= 0 ? out : NULL;
		if (k == 4 && k == n && strncasecmp(qs, "code", 4) == 0) {
			*out = '\0';
			return out;
		}
		qs += n;
		if (*qs == '&')
			qs++;
	}
	return NULL;
}

/*
 * The route's two values from the raw path (REQUEST_URI without its query,
 * so that an encoded '/' stays inside its segment; else SCRIPT_NAME +
 * PATH_INFO): the last three non-empty segments must be "orchestrators"
 * (any case), the function name and the instance ID, each percent-decoded.
 * 0, or -1 when the path is not that.
 */
static int
hss_route(struct hss_io *io, char *fn, char *id, size_t cap)
{
	const char *uri = hss_param(io, "REQUEST_URI");
	char path[HSS_PATH_MAX], lit[32];
	const char *seg[3] = {NULL, NULL, NULL};
	size_t len[3] = {0, 0, 0}, n;
	char *p;

	if (uri != NULL && uri[0] == '/') {
		n = strcspn(uri, "?#");
		if (n >= sizeof(path))
			return -1;
		memcpy(path, uri, n);
		path[n] = '\0';
	} else {
		const char *sn = hss_param(io, "SCRIPT_NAME"), *pi = hss_param(io, "PATH_INFO");

		if ((size_t)snprintf(path, sizeof(path), "%s%s", sn ? sn : "", pi ? pi : "") >= sizeof(path))
			return -1;
	}
	/* Walk back over the last three segments, ignoring empty ones. */
	p = path + strlen(path);
	for (int i = 2; i >= 0; i--) {
		while (p > path && p[-1] == '/')
			p--;
		n = 0;
		while (p > path && p[-1] != '/') {
			p--;
			n++;
		}
		if (n == 0)
			return -1;
		seg[i] = p;
		len[i] = n;
	}
	if (hss_decode(seg[0], len[0], lit, sizeof(lit), 0) < 0 || strcasecmp(lit, "orchestrators") != 0)
		return -1;
	if (hss_decode(seg[1], len[1], fn, cap, 0) < 0 || hss_decode(seg[2], len[2], id, cap, 0) < 0)
		return -1;
	return 0;
}

enum hss_body { HSS_BODY_OK, HSS_BODY_TOO_BIG, HSS_BODY_BAD };

/* Reads the body (at most max bytes) into a malloc'd, NUL-terminated *out. */
static enum hss_body
hss_read_body(struct hss_io *io, size_t max, char **out, size_t *len)
{
	const char *cl = hss_param(io, "CONTENT_LENGTH");
	unsigned long long want = 0;
	size_t cap, got = 0;
	char *b, *end;

	*out = NULL;
	*len = 0;
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		want = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || *cl == '-')
			return HSS_BODY_BAD;
		if (want > max)
			return HSS_BODY_TOO_BIG;
		cap = (size_t)want + 1;
	} else
		cap = max + 2; /* no length: read to the end, refusing past max */
	if ((b = malloc(cap)) == NULL)
		return HSS_BODY_BAD;
	for (;;) {
		int n;

		if (cl != NULL && *cl != '\0' && got == (size_t)want)
			break;
		if ((n = hss_read(io, b + got, cap - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		if (got > max) {
			free(b);
			return HSS_BODY_TOO_BIG;
		}
	}
	if (cl != NULL && *cl != '\0' && got != (size_t)want) {
		free(b);
		return HSS_BODY_BAD;
	}
	b[got] = '\0';
	*out = b;
	*len = got;
	return HSS_BODY_OK;
}

/* The input of a start as the API takes it: no body, whitespace or the
 * JSON string "" (the Node.js client's "no input") is none; anything else
 * is passed on to be checked as JSON. */
static const char *
hss_input(const char *body)
{
	const char *p = body + strspn(body, " \t\r\n");

	if (*p == '\0' || strcmp(p, "\"\"") == 0)
		return NULL;
	return body;
}

static th_client *hss_client; /* opened on the first request, kept */

static void
hss_handle(struct hss_io *io, struct hss_resp *r)
{
	const char *method = hss_param(io, "REQUEST_METHOD"), *qs = hss_param(io, "QUERY_STRING"), *key;
	char fn[1024], id[1024], code[512], err[512];
	char origin[300];
	th_check_status cs;
	th_client_err e;
	char *body = NULL;
	size_t blen;

	if (hss_route(io, fn, id, sizeof(fn)) == -1) {
		hss_error(r, 400, "The request path must be {prefix}/orchestrators/{functionName}/{instanceId}.", NULL);
		return;
	}
	if (qs != NULL && strlen(qs) > HSS_QUERY_MAX) {
		hss_error(r, 400, "The query string is too long.", NULL);
		return;
	}
	if (hss_client == NULL && th_client_open(NULL, NULL, NULL, &hss_client, err, sizeof(err)) != TH_OK) {
		fprintf(stderr, "HttpStartSingle: %s\n", err); /* the server's error log */
		hss_error(r, 500, "Something went wrong while processing your request",
			  "The task hub cannot be opened (see the server's error log).");
		return;
	}
	if ((key = hss_query_code(qs, code, sizeof(code))) == NULL)
		key = hss_param(io, "HTTP_X_FUNCTIONS_KEY");
	if (!th_client_authorize(hss_client, key)) {
		hss_error(r, 401,
			  "Unauthorized: a valid system key is required (code parameter or x-functions-key header).",
			  NULL);
		return;
	}
	if (method == NULL || strcmp(method, "POST") != 0) {
		hss_error(r, 405, "The method is not allowed on this route.", NULL);
		hss_header(r, "Allow", "POST");
		return;
	}
	switch (hss_read_body(io, th_client_body_max(hss_client), &body, &blen)) {
	case HSS_BODY_OK:
		break;
	case HSS_BODY_TOO_BIG:
		hss_error(r, 413, "The request body is larger than the configured limit.", NULL);
		return;
	default:
		hss_error(r, 400, "The request body could not be read.", NULL);
		return;
	}
	if (strlen(body) != blen) { /* a NUL inside: not JSON */
		free(body);
		hss_error(r, 400, "Invalid JSON content", NULL);
		return;
	}
	/* The one atomic step: the singleton check and the start. */
	e = th_client_start(hss_client, fn, id, hss_input(body), NULL);
	free(body);
	switch (e) {
	case TH_OK:
		break;
	case TH_EEXISTS:
		hss_error(r, 409, th_client_errmsg(hss_client), NULL);
		return;
	case TH_EINVALID:
	case TH_ENOFUNCTION:
		hss_error(r, 400, th_client_errmsg(hss_client), th_client_errdetail(hss_client));
		return;
	case TH_ETOOBIG:
		hss_error(r, 413, th_client_errmsg(hss_client), th_client_errdetail(hss_client));
		return;
	case TH_EBUSY:
		hss_error(r, 503, th_client_errmsg(hss_client), NULL);
		return;
	default:
		fprintf(stderr, "HttpStartSingle: start %s: %s\n", id, th_client_strerror(e));
		hss_error(r, 500, "Something went wrong while processing your request", th_client_strerror(e));
		return;
	}
	/* The URLs carry the presented key, as the API's do. */
	th_client_origin(origin, sizeof(origin), hss_param(io, "HTTP_HOST"), hss_param(io, "HTTPS"),
			 hss_param(io, "HTTP_X_FORWARDED_HOST"), hss_param(io, "HTTP_X_FORWARDED_PROTO"));
	if (th_client_check_status(hss_client, origin, id, key, 0, &cs) != TH_OK) {
		hss_error(r, 500, "Something went wrong while processing your request", "out of memory");
		return;
	}
	r->status = cs.status;
	hss_header(r, "Content-Type", cs.content_type);
	hss_header(r, "Location", cs.location);
	hss_header(r, "Retry-After", cs.retry_after);
	r->body = cs.body;
	cs.body = NULL;
	th_check_status_clear(&cs);
}

static void
hss_serve(struct hss_io *io)
{
	static struct hss_resp r;
	const char *method = hss_param(io, "REQUEST_METHOD");
	char line[128];
	size_t blen;
	int n;

	r.status = 200;
	r.hlen = 0;
	r.body = NULL;
	hss_handle(io, &r);
	blen = r.body != NULL ? strlen(r.body) : 0;
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", r.status, hss_reason(r.status));
	hss_write(io, line, (size_t)n);
	hss_write(io, r.headers, r.hlen);
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", blen);
	hss_write(io, line, (size_t)n);
	if (blen > 0 && (method == NULL || strcmp(method, "HEAD") != 0))
		hss_write(io, r.body, blen);
	free(r.body);
	r.body = NULL;
}

int
main(void)
{
	extern char **environ;
	struct sigaction sa;
	FCGX_Request rq;
	struct hss_io io;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hss_on_term; /* no SA_RESTART: accept() must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL); /* mod_fcgid's graceful stop */
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_IsCGI()) {
		/* Plain CGI: one request from the environment and stdin. */
		io.rq = NULL;
		io.envp = environ;
		hss_serve(&io);
		fflush(stdout);
	} else {
		if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
			fprintf(stderr, "HttpStartSingle: cannot initialise libfcgi\n");
			return 1;
		}
		while (!hss_stop && FCGX_Accept_r(&rq) >= 0) {
			io.rq = &rq;
			io.envp = rq.envp;
			hss_serve(&io);
			FCGX_Finish_r(&rq);
		}
	}
	/* Closing the store cleanly spares the next opener a recovery. */
	th_client_close(hss_client);
	return 0;
}
