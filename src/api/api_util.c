/*
 * api_util.c — parameter parsing shared by handlers, the wake after a
 * commit, and the answer to a start (with optional waiting).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "common/ids.h"
#include "common/jsonw.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timefmt.h"
#include "common/timeutil.h"
#include "common/wake.h"

int
api_param_time(struct api_ctx *c, const char *name, int64_t *us)
{
	const char *v = api_query_get(&c->q, name);
	char msg[200];

	if (v == NULL)
		return 0;
	if (timefmt_parse(v, us) == -1 || *us < 0) {
		snprintf(msg, sizeof(msg), "The '%s' parameter is not a valid ISO 8601 timestamp.", name);
		api_error(c, 400, msg, NULL);
		return -1;
	}
	return 1;
}

unsigned
api_param_statuses(struct api_ctx *c)
{
	unsigned mask = 0;
	size_t i;

	/* Comma lists and repeats; unknown names are dropped, as Durable
	 * Functions does. */
	for (i = 0; i < c->q.n; i++) {
		char tmp[256], *tok, *save = NULL;

		if (strcasecmp(c->q.v[i].name, "runtimeStatus") != 0)
			continue;
		snprintf(tmp, sizeof(tmp), "%s", c->q.v[i].value);
		for (tok = strtok_r(tmp, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			int s;

			while (*tok == ' ')
				tok++;
			if ((s = status_parse(tok)) >= 0)
				mask |= STATUS_BIT(s);
		}
	}
	return mask;
}

void
api_wake(struct api_ctx *c)
{
	wake_send(c->srv->conf.wake_socket, store_hub_name(c->hub));
}

struct wait_arg {
	struct store_hub *h;
	const char *id;
	struct store_instance r;
};

static enum store_err
wait_get_txn(struct store_txn *tx, void *arg)
{
	struct wait_arg *a = arg;

	store_instance_clear(&a->r);
	return store_instance_get(tx, a->h, a->id, 1, &a->r);
}

/* Seconds as Durable Functions takes them (double.TryParse); -1 if bad. */
static double
api_seconds(const char *v)
{
	char *end;
	double d;

	if (v == NULL)
		return -1;
	d = strtod(v, &end);
	if (*end != '\0' || !isfinite(d) || d < 0)
		return -2;
	return d;
}

int
api_wait_params(struct api_ctx *c, double *timeout, double *poll)
{
	*timeout = api_seconds(api_query_get(&c->q, "timeout"));
	*poll = api_seconds(api_query_get(&c->q, "pollingInterval"));
	if (*timeout < 0 || *poll < 0) {
		*timeout = *poll = -1; /* waiting needs both, as Durable Functions */
		return 0;
	}
	if (*poll > *timeout) {
		api_error(c, 400, "One or more of the arguments submitted is incorrect",
			  "Total timeout should be bigger than retry timeout");
		return -1;
	}
	if (*timeout > 300)
		*timeout = 300;
	if (*poll < 0.05)
		*poll = 0.05;
	return 0;
}

void
api_answer_started(struct api_ctx *c, const char *id, double timeout, double poll)
{
	struct wait_arg a;
	struct buf *b = &c->resp->body;
	int64_t deadline;

	if (timeout >= 0) {
		memset(&a, 0, sizeof(a));
		a.h = c->hub;
		a.id = id;
		deadline = time_mono_us() + (int64_t)(timeout * 1e6);
		for (;;) {
			if (store_txn_run(c->store, STORE_TXN_READONLY, wait_get_txn, &a) == STORE_OK &&
			    status_is_terminal(a.r.status)) {
				if (a.r.status == STATUS_COMPLETED) {
					api_json(c, 200);
					jsonw_payload(b, a.r.output);
				} else {
					api_json(c,
						 a.r.status == STATUS_FAILED &&
								 api_query_bool(&c->q,
										"returnInternalServerErrorOnFailure", 0)
							 ? 500
							 : 200);
					api_render_status(b, &a.r, 1);
				}
				store_instance_clear(&a.r);
				return;
			}
			if (time_mono_us() + (int64_t)(poll * 1e6) > deadline)
				break;
			{
				struct timespec ts = {(time_t)poll, (long)((poll - (double)(time_t)poll) * 1e9)};

				nanosleep(&ts, NULL);
			}
		}
		store_instance_clear(&a.r);
	}
	api_json(c, 202);
	api_render_check_status(c, b, id);
	{
		struct buf loc;

		buf_init(&loc, 4096);
		api_render_instance_url(c, &loc, id, NULL, NULL);
		if (loc.p != NULL)
			api_header(c->resp, "Location", loc.p);
		buf_free(&loc);
	}
	api_header(c->resp, "Retry-After", MGMT_RETRY_AFTER);
}

int
api_body_ok(struct api_ctx *c)
{
	switch (c->req->body_state) {
	case API_BODY_OK:
		return 1;
	case API_BODY_TOO_BIG:
		api_error(c, 413, "The request body is larger than the configured limit.", NULL);
		return 0;
	case API_BODY_NOMEM:
		api_error(c, 503, "The server is out of memory; try again.", NULL);
		return 0;
	case API_BODY_BAD:
		break;
	}
	api_error(c, 400, "The request body could not be read.", NULL);
	return 0;
}

/* 400 for an instance ID Durable Functions would refuse, with its wording. */
int
api_id_ok(struct api_ctx *c, const char *id)
{
	const char *why = ids_instance_why(id);

	if (why == NULL)
		return 1;
	{
		char exc[200];

		snprintf(exc, sizeof(exc), "instanceId (Parameter '%s')", why);
		api_error(c, 400, "One or more of the arguments submitted is incorrect", exc);
	}
	return 0;
}
