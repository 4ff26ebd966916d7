/*
 * api_fcgi.c — the request adapter: the only code that speaks libfcgi.
 * One loop serves FastCGI (a listening socket on fd 0, as lighttpd and
 * mod_fcgid start us) and plain CGI (libfcgi's first accept returns the
 * CGI request, the second ends the loop).
 *
 * SIGTERM (mod_fcgid reaping an idle process, a server shutdown) finishes
 * the request in flight and leaves the loop, so the store is closed
 * cleanly: a responder that vanished without closing would make the next
 * opener run recovery for everyone.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_fcgi.h"
#include "common/log.h"

static volatile sig_atomic_t api_fcgi_stop;

static void
api_fcgi_on_term(int sig)
{
	(void)sig;
	api_fcgi_stop = 1;
	FCGX_ShutdownPending();
}

static const char *
api_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* The transport of one request: FastCGI streams, or CGI stdin/stdout. */
struct api_io {
	FCGX_Request *rq; /* NULL for CGI */
	char **envp;
};

static int
api_io_read(struct api_io *io, char *p, size_t n)
{
	if (io->rq != NULL)
		return FCGX_GetStr(p, (int)n, io->rq->in);
	return (int)fread(p, 1, n, stdin);
}

static void
api_io_write(struct api_io *io, const char *p, size_t n)
{
	if (io->rq != NULL)
		FCGX_PutStr(p, (int)n, io->rq->out);
	else
		fwrite(p, 1, n, stdout);
}

/*
 * Reads the body into *body (grown as needed, kept across requests).
 * Over body_max it is not read at all: the answer is 413 either way.
 */
static enum api_body_state
api_read_body(struct api_io *io, size_t body_max, char **body, size_t *cap, size_t *len)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", io->envp);
	unsigned long long want;
	char *end;
	size_t got = 0;

	*len = 0;
	if (cl == NULL || *cl == '\0') {
		/* No length (a chunked upload passed on by mod_proxy_fcgi or
		 * mod_cgi): read to the end, refusing past body-max. */
		for (;;) {
			int n;

			if (got + 4096 + 1 > *cap) {
				size_t ncap = *cap ? *cap * 2 : 8192;
				char *nb;

				if (ncap > body_max + 4096 + 1)
					ncap = body_max + 4096 + 1;
				if (ncap <= got + 1)
					return API_BODY_BAD;
				if ((nb = realloc(*body, ncap)) == NULL)
					return API_BODY_NOMEM;
				*body = nb;
				*cap = ncap;
			}
			if ((n = api_io_read(io, *body + got, *cap - got - 1)) <= 0)
				break;
			got += (size_t)n;
			if (got > body_max)
				return API_BODY_TOO_BIG;
		}
		if (*body != NULL)
			(*body)[got] = '\0';
		*len = got;
		return API_BODY_OK;
	}
	errno = 0;
	want = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || *cl == '-')
		return API_BODY_BAD;
	if (want > body_max)
		return API_BODY_TOO_BIG;
	if (want + 1 > *cap) {
		char *nb = realloc(*body, (size_t)want + 1);

		if (nb == NULL)
			return API_BODY_NOMEM;
		*body = nb;
		*cap = (size_t)want + 1;
	}
	while (got < want) {
		int n = api_io_read(io, *body + got, (size_t)(want - got));

		if (n <= 0)
			return API_BODY_BAD;
		got += (size_t)n;
	}
	(*body)[got] = '\0';
	*len = got;
	return API_BODY_OK;
}

/* Serves one request over io. */
static void
api_serve(struct api_server *srv, struct api_io *io, struct api_resp *resp, char **body, size_t *cap)
{
	struct api_req req;
	char **e = io->envp;
	char line[128];
	int n;

	memset(&req, 0, sizeof(req));
	req.method = FCGX_GetParam("REQUEST_METHOD", e);
	req.request_uri = FCGX_GetParam("REQUEST_URI", e);
	req.script_name = FCGX_GetParam("SCRIPT_NAME", e);
	req.path_info = FCGX_GetParam("PATH_INFO", e);
	req.query_string = FCGX_GetParam("QUERY_STRING", e);
	req.host = FCGX_GetParam("HTTP_HOST", e);
	req.https = FCGX_GetParam("HTTPS", e);
	req.fwd_host = FCGX_GetParam("HTTP_X_FORWARDED_HOST", e);
	req.fwd_proto = FCGX_GetParam("HTTP_X_FORWARDED_PROTO", e);
	req.content_type = FCGX_GetParam("CONTENT_TYPE", e);
	req.functions_key = FCGX_GetParam("HTTP_X_FUNCTIONS_KEY", e);
	req.continuation = FCGX_GetParam("HTTP_X_MS_CONTINUATION_TOKEN", e);
	if (req.method == NULL)
		req.method = "GET";
	req.body_state = api_read_body(io, srv->conf.body_max, body, cap, &req.body_len);
	req.body = req.body_state == API_BODY_OK && *body != NULL ? *body : "";
	if (req.body_state != API_BODY_OK)
		req.body_len = 0;

	api_dispatch(srv, &req, resp);

	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", resp->status, api_reason(resp->status));
	api_io_write(io, line, (size_t)n);
	if (resp->headers.len > 0)
		api_io_write(io, resp->headers.p, resp->headers.len);
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", resp->body.len);
	api_io_write(io, line, (size_t)n);
	if (resp->body.len > 0 && strcmp(req.method, "HEAD") != 0)
		api_io_write(io, resp->body.p, resp->body.len);
	api_resp_reset(resp);
}

/* Says once that an environment was recovered under this responder
 * (store_worn): it keeps the old regions mapped until the web server
 * replaces it. (Leaving at once was tried: lighttpd answers 500 to the
 * requests it hands the exiting process meanwhile.) */
static void
api_worn_note(const struct api_server *srv)
{
	static int said;

	for (size_t i = 0; i < srv->nconns && !said; i++)
		if (srv->conns[i].store != NULL && store_worn(srv->conns[i].store)) {
			log_warnx("the environment %s was recovered under this responder: it keeps the old regions "
				  "mapped until it is restarted (a graceful restart of the web server at a quiet moment)",
				  srv->conns[i].home);
			said = 1;
		}
}

void
api_fcgi_refuse(int status, const char *message)
{
	if (!FCGX_IsCGI())
		return;
	/* message is one of main()'s fixed strings: no JSON escaping needed. */
	printf("Status: %d %s\r\nContent-Type: application/json; charset=utf-8\r\n%s\r\n{\"Message\":\"%s\"}", status,
	       api_reason(status), status == 503 ? "Retry-After: 1\r\n" : "", message);
	fflush(stdout);
}

int
api_fcgi_run(struct api_server *srv)
{
	extern char **environ;
	FCGX_Request rq;
	struct api_resp resp;
	struct api_io io;
	struct sigaction sa;
	char *body = NULL;
	size_t cap = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = api_fcgi_on_term; /* no SA_RESTART: accept() must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL); /* mod_fcgid's graceful stop */
	signal(SIGPIPE, SIG_IGN);

	api_resp_init(&resp);
	if (FCGX_IsCGI()) {
		/* Plain CGI: one request from the environment and stdin. */
		io.rq = NULL;
		io.envp = environ;
		api_serve(srv, &io, &resp, &body, &cap);
		fflush(stdout);
	} else {
		if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
			log_warnx("cannot initialise libfcgi");
			api_resp_free(&resp);
			return -1;
		}
		while (!api_fcgi_stop && FCGX_Accept_r(&rq) >= 0) {
			io.rq = &rq;
			io.envp = rq.envp;
			api_serve(srv, &io, &resp, &body, &cap);
			FCGX_Finish_r(&rq);
			api_worn_note(srv);
		}
	}
	api_resp_free(&resp);
	free(body);
	return 0;
}
