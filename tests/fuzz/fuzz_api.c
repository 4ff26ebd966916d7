/*
 * fuzz_api.c — the fixture of fuzz_api.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_api.h"
#include "testenv.h"

static struct api_server fuzz_srv;
static struct api_resp fuzz_resp;
static char *fuzz_keys[] = {FUZZ_API_KEY, NULL};

static void
fuzz_api_close(void)
{
	/* Runs before testenv's own atexit handler removes the directory:
	 * handlers registered later run first. */
	for (size_t i = 0; i < fuzz_srv.nconns; i++)
		store_close(fuzz_srv.conns[i].store);
	api_resp_free(&fuzz_resp);
}

static void
fuzz_api_setup(void)
{
	struct api_server *s = &fuzz_srv;
	struct store *st;
	enum store_err e;

	st = testenv_open("env", STORE_DURABLE_NOSYNC);
	log_init("fuzz", 0);
	conf_defaults(&s->conf);
	if ((e = store_hub_create(st, s->conf.hub)) != STORE_OK)
		fuzz_fail("store_hub_create: %s", store_strerror(e));
	store_options_init(&s->opt);
	s->opt.durability = STORE_DURABLE_NOSYNC;
	/* The default connection, and one whose environment does not exist
	 * (the 404 of an unopenable connection). */
	snprintf(s->conns[0].name, sizeof(s->conns[0].name), "%.*s", (int)sizeof(s->conns[0].name) - 1,
		 s->conf.connection_name);
	snprintf(s->conns[0].home, sizeof(s->conns[0].home), "%s", store_home(st));
	s->conns[0].store = st;
	snprintf(s->conns[1].name, sizeof(s->conns[1].name), "Other");
	snprintf(s->conns[1].home, sizeof(s->conns[1].home), "%s/absent", testenv_dir());
	s->nconns = 2;
	snprintf(s->conf.wake_socket, sizeof(s->conf.wake_socket), "%s/wake.sock", testenv_dir());
	s->conf.anonymous = 0;
	s->keys = fuzz_keys;
	s->nkeys = 1;
	api_resp_init(&fuzz_resp);
	atexit(fuzz_api_close);
}

/* Header lines are "Name: value\r\n"; a CR or LF anywhere else would let a
 * request inject headers. */
static void
fuzz_api_check_headers(const struct buf *h)
{
	const char *p = h->p, *end = h->p + h->len;

	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
			fuzz_fail("header text does not end in CRLF");
		if (memchr(p, '\n', (size_t)(eol - p)) != NULL)
			fuzz_fail("a header line holds a bare LF");
		if (colon == NULL || colon > eol)
			fuzz_fail("a header line has no name");
		p = eol + 2;
	}
}

void
fuzz_api_dispatch(const struct api_req *req)
{
	struct api_resp *r = &fuzz_resp;

	if (fuzz_srv.nconns == 0)
		fuzz_api_setup();
	api_resp_reset(r);
	api_dispatch(&fuzz_srv, req, r);
	if (r->status < 200 || r->status >= 500)
		fuzz_fail("status %d (%.*s)", r->status, (int)(r->body.len > 300 ? 300 : r->body.len),
			  r->body.p ? r->body.p : "");
	if (r->body.len > 0 && !jsonutil_valid(r->body.p, r->body.len, JSONUTIL_MAX_DEPTH))
		fuzz_fail("status %d with a body that is not JSON: %.*s", r->status,
			  (int)(r->body.len > 300 ? 300 : r->body.len), r->body.p);
	if (r->headers.len > 0)
		fuzz_api_check_headers(&r->headers);
}
