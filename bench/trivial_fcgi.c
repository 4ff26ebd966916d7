/*
 * trivial_fcgi.c — the smallest responder the web servers can run: the
 * baseline for the API benchmark (what lighttpd or Apache plus libfcgi cost
 * before taskhub does any work) and the stand-in responder of
 * tests/http/test_servers.py, which checks the shipped server
 * configurations (apache-conf/) without needing taskhub.fcgi.
 *
 * Like taskhub.fcgi it runs as FastCGI when started with a listening socket
 * on fd 0, and as CGI otherwise. Answers, by the end of the request path:
 *   .../echo        200, a JSON object describing the request as the
 *                   responder saw it (method, SCRIPT_NAME, PATH_INFO,
 *                   QUERY_STRING, REQUEST_URI, the headers the API needs,
 *                   body length, process identity, TASKHUB_CONF); the
 *                   response carries x-ms-continuation-token set to the
 *                   request's, or empty when the request had none (the API
 *                   sends an empty one on the last page);
 *   .../status/NNN  status NNN with a small JSON body (NNN 100..599);
 *   .../sleep/MS    200 {"ok":true} after MS milliseconds (at most 10000):
 *                   holds a process, e.g. to make mod_fcgid grow its pool
 *                   before a benchmark;
 *   anything else   200 {"ok":true}.
 * The request body is read and counted (up to BODY_CAP bytes), never kept.
 *
 * Started by hand outside any server (no GATEWAY_INTERFACE), as Automake's
 * harness does to everything in check_PROGRAMS, it prints a TAP plan that
 * skips, since it is a helper and not a test.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_CAP (64L << 20) /* bytes read from a request body at most */
#define OUT_MAX  8192        /* an echo reply's size at most */

/* One request, whichever transport carries it. */
struct trivial_req {
	FCGX_Request *fcgi; /* NULL in CGI mode */
};

static const char *
trivial_param(struct trivial_req *r, const char *name)
{
	return r->fcgi != NULL ? FCGX_GetParam(name, r->fcgi->envp) : getenv(name);
}

static int
trivial_read(struct trivial_req *r, char *buf, int n)
{
	if (r->fcgi != NULL)
		return FCGX_GetStr(buf, n, r->fcgi->in);
	return (int)fread(buf, 1, (size_t)n, stdin);
}

static void
trivial_write(struct trivial_req *r, const char *buf, size_t n)
{
	if (r->fcgi != NULL)
		FCGX_PutStr(buf, (int)n, r->fcgi->out);
	else
		fwrite(buf, 1, n, stdout);
}

/* A fixed-size output buffer; appends past the end are dropped and noted. */
struct trivial_buf {
	char b[OUT_MAX];
	size_t len;
	int truncated;
};

static void
trivial_buf_printf(struct trivial_buf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= sizeof(o->b) - 1) {
		o->truncated = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->len, sizeof(o->b) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->b) - o->len) {
		o->len = sizeof(o->b) - 1;
		o->truncated = 1;
	} else
		o->len += (size_t)n;
}

/* Appends "name":"value" (or null), escaped as JSON requires. */
static void
trivial_buf_field(struct trivial_buf *o, const char *name, const char *value)
{
	const unsigned char *p;

	trivial_buf_printf(o, "%s\"%s\":", o->len > 1 ? "," : "", name);
	if (value == NULL) {
		trivial_buf_printf(o, "null");
		return;
	}
	trivial_buf_printf(o, "\"");
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			trivial_buf_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			trivial_buf_printf(o, "\\u%04x", *p);
		else
			trivial_buf_printf(o, "%c", *p);
	}
	trivial_buf_printf(o, "\"");
}

/* Reads and counts the body; returns the byte count (capped at BODY_CAP). */
static long
trivial_drain(struct trivial_req *r)
{
	char buf[16384];
	long total = 0;
	int n;

	while (total < BODY_CAP && (n = trivial_read(r, buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

/* The path the responder routes on: PATH_INFO, else REQUEST_URI's path. */
static int
trivial_path_ends(struct trivial_req *r, const char *suffix)
{
	const char *p = trivial_param(r, "PATH_INFO");
	size_t n, s = strlen(suffix);

	if (p == NULL || *p == '\0')
		p = trivial_param(r, "REQUEST_URI");
	if (p == NULL)
		return 0;
	n = strcspn(p, "?");
	return n >= s && strncmp(p + n - s, suffix, s) == 0;
}

/* The number after "/name/" in PATH_INFO, or -1. */
static long
trivial_path_number(struct trivial_req *r, const char *name)
{
	const char *p = trivial_param(r, "PATH_INFO"), *s;

	if (p == NULL || (s = strstr(p, name)) == NULL)
		return -1;
	return strtol(s + strlen(name), NULL, 10);
}

static void
trivial_echo(struct trivial_req *r, int fastcgi)
{
	static const char *const params[][2] = {
		{"method", "REQUEST_METHOD"},
		{"script_name", "SCRIPT_NAME"},
		{"path_info", "PATH_INFO"},
		{"query_string", "QUERY_STRING"},
		{"request_uri", "REQUEST_URI"},
		{"content_type", "CONTENT_TYPE"},
		{"content_length", "CONTENT_LENGTH"},
		{"host", "HTTP_HOST"},
		{"https", "HTTPS"},
		{"x_functions_key", "HTTP_X_FUNCTIONS_KEY"},
		{"x_ms_continuation_token", "HTTP_X_MS_CONTINUATION_TOKEN"},
		{"x_forwarded_proto", "HTTP_X_FORWARDED_PROTO"},
		{"taskhub_conf_param", "TASKHUB_CONF"},
	};
	struct trivial_buf *o;
	const char *auth, *token;
	char head[512];
	size_t i;
	long body;
	int hn;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return;
	body = trivial_drain(r);
	trivial_buf_printf(o, "{");
	trivial_buf_field(o, "mode", fastcgi ? "fastcgi" : "cgi");
	trivial_buf_printf(o, ",\"pid\":%ld,\"uid\":%ld,\"body_length\":%ld", (long)getpid(), (long)getuid(), body);
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		trivial_buf_field(o, params[i][0], trivial_param(r, params[i][1]));
	/* Apache hands Authorization on only when told to (FcgidPassHeader,
	 * CGIPassAuth); mod_fcgid's FcgidPassHeader uses the header's own name. */
	if ((auth = trivial_param(r, "HTTP_AUTHORIZATION")) == NULL)
		auth = trivial_param(r, "Authorization");
	trivial_buf_field(o, "authorization", auth);
	/* The process environment, which is where FcgidInitialEnv and
	 * lighttpd's bin-environment put TASKHUB_CONF. */
	trivial_buf_field(o, "taskhub_conf_env", getenv("TASKHUB_CONF"));
	trivial_buf_printf(o, "}\n");

	token = trivial_param(r, "HTTP_X_MS_CONTINUATION_TOKEN");
	/* Header values come from the client: keep CR and LF out. */
	hn = snprintf(head, sizeof(head),
		      "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
		      "x-ms-continuation-token: %.*s\r\nContent-Length: %zu\r\n\r\n",
		      token != NULL ? (int)strcspn(token, "\r\n") : 0, token != NULL ? token : "", o->len);
	if (hn > 0 && (size_t)hn < sizeof(head)) {
		trivial_write(r, head, (size_t)hn);
		trivial_write(r, o->b, o->len);
	}
	free(o);
}

static void
trivial_answer(struct trivial_req *r, int fastcgi)
{
	static const char ok_reply[] = "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
				       "Content-Length: 12\r\n\r\n{\"ok\":true}\n";
	char buf[256];
	long ms;
	int code, n;

	if (trivial_path_ends(r, "/echo")) {
		trivial_echo(r, fastcgi);
		return;
	}
	(void)trivial_drain(r);
	if ((ms = trivial_path_number(r, "/sleep/")) > 0) {
		struct timespec ts;

		if (ms > 10000)
			ms = 10000;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	code = (int)trivial_path_number(r, "/status/");
	if (code >= 100 && code <= 599) {
		/* A fixed-width body: {"status":NNN} and a newline, 15 bytes. */
		n = snprintf(buf, sizeof(buf),
			     "Status: %d Status\r\nContent-Type: application/json; charset=utf-8\r\n"
			     "Retry-After: 1\r\nContent-Length: 15\r\n\r\n{\"status\":%d}\n",
			     code, code);
		trivial_write(r, buf, (size_t)n);
		return;
	}
	trivial_write(r, ok_reply, sizeof(ok_reply) - 1);
}

int
main(void)
{
	FCGX_Request req;
	struct trivial_req r;

	if (FCGX_IsCGI()) {
		if (getenv("GATEWAY_INTERFACE") == NULL) {
			/* Run by hand or by `make check`: not a test. */
			printf("1..0 # SKIP a responder for tests/http, not a test\n");
			return 0;
		}
		r.fcgi = NULL;
		trivial_answer(&r, 0);
		fflush(stdout);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "trivial_fcgi: cannot initialise libfcgi\n");
		return 1;
	}
	r.fcgi = &req;
	while (FCGX_Accept_r(&req) >= 0) {
		trivial_answer(&r, 1);
		FCGX_Finish_r(&req);
	}
	return 0;
}
