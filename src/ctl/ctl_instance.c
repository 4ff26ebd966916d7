/*
 * ctl_instance.c — taskhubctl's commands on the orchestration instances of
 * one hub (-h, else the configuration's): start, status, list, purge and
 * purge-all. Each store verb runs in a transaction body of its own through
 * store_txn_run(), so a deadlock with a running daemon is retried, never
 * reported.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timeutil.h"
#include "common/jsonutil.h"
#include "ctl/ctl.h"

#define INST_PURGE_BATCH 1000 /* instances deleted per purge-all transaction */

/* ---- shared ---------------------------------------------------------------- */

/* Opens the environment and the command's hub. */
static int
inst_open(struct ctl *c, struct store_hub **h)
{
	int rc;

	if ((rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	return ctl_hub(c, c->conf.hub, h);
}

static int
inst_id_ok(const char *id)
{
	if (ids_instance_valid(id, 1))
		return 1;
	log_warnx("invalid instance ID '%.300s' (1 to %d bytes of UTF-8; no control characters, '/', '\\', '#' or '?')",
		  id, IDS_INSTANCE_MAX);
	return 0;
}

/* Parses --from-us / --to-us into an inclusive creation-time range. */
static int
inst_range(struct ctl *c, const char *from, const char *to, int64_t *lo, int64_t *hi)
{
	uint64_t v;

	*lo = *hi = 0;
	if (from != NULL) {
		if (ctl_parse_u64(from, 0, INT64_MAX, &v) == -1) {
			log_warnx("%s: --from-us wants microseconds since the epoch, not '%s'", c->cmd->name, from);
			return ctl_usage(c);
		}
		*lo = (int64_t)v;
	}
	if (to != NULL) {
		if (ctl_parse_u64(to, 1, INT64_MAX, &v) == -1) {
			log_warnx("%s: --to-us wants microseconds since the epoch, not '%s'", c->cmd->name, to);
			return ctl_usage(c);
		}
		*hi = (int64_t)v;
	}
	if (*hi != 0 && *hi < *lo) {
		log_warnx("%s: --to-us is before --from-us", c->cmd->name);
		return ctl_usage(c);
	}
	return CTL_EXIT_OK;
}

/* ---- start ------------------------------------------------------------------ */

struct inst_start {
	struct store_hub *h;
	struct store_create cr;
	int replaced;
};

static enum store_err
inst_start_txn(struct store_txn *tx, void *arg)
{
	struct inst_start *a = arg;

	return store_instance_create(tx, a->h, &a->cr, &a->replaced);
}

int
ctl_instance_start(struct ctl *c, int argc, char **argv)
{
	const char *id = NULL, *input = NULL;
	const struct ctl_opt opts[] = {{"id", &id, NULL}, {"input", &input, NULL}, {NULL, NULL, NULL}};
	char *name, guid[33], exec[33];
	struct inst_start a;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, opts, &name, 1)) != CTL_EXIT_OK)
		return rc;
	/* Refuse bad input before the store is opened: nothing changes. */
	if (!ids_name_valid(name)) {
		log_warnx("invalid orchestrator name '%.300s'", name);
		return CTL_EXIT_FAIL;
	}
	if (id != NULL && !inst_id_ok(id))
		return CTL_EXIT_FAIL;
	if (id != NULL && id[0] == '@') {
		log_warnx("instance IDs beginning with '@' are reserved for entities");
		return CTL_EXIT_FAIL;
	}
	if (input != NULL && strlen(input) > STORE_MAX_PAYLOAD)
		return ctl_fail(STORE_TOOBIG, "--input");
	if (input != NULL && !jsonutil_valid(input, strlen(input), JSONUTIL_MAX_DEPTH)) {
		log_warnx("--input is not valid JSON");
		return CTL_EXIT_FAIL;
	}
	if ((id == NULL && ids_new_guid(guid) == -1) || ids_new_guid(exec) == -1) {
		log_warn("random source");
		return CTL_EXIT_FAIL;
	}
	if (id == NULL)
		id = guid;
	if ((rc = inst_open(c, &a.h)) != CTL_EXIT_OK)
		return rc;
	memset(&a.cr, 0, sizeof(a.cr));
	a.cr.id = id;
	a.cr.name = name;
	a.cr.execution_id = exec;
	a.cr.input = input;
	a.cr.parent_task_id = -1;
	a.cr.now = time_now_us();
	a.replaced = 0;
	switch (e = store_txn_run(c->st, 0, inst_start_txn, &a)) {
	case STORE_OK:
		printf("%s\n", id);
		return CTL_EXIT_OK;
	case STORE_EXISTS:
		/* The API's 409 message, word for word (DESIGN §3). */
		log_warnx("An instance with ID '%s' already exists.", id);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "start %s", name);
	}
}

/* ---- status ----------------------------------------------------------------- */

struct inst_get {
	struct store_hub *h;
	const char *id;
	struct store_instance r;
};

static enum store_err
inst_get_txn(struct store_txn *tx, void *arg)
{
	struct inst_get *a = arg;

	store_instance_clear(&a->r); /* a retried attempt starts afresh */
	return store_instance_get(tx, a->h, a->id, 1, &a->r);
}

/* One "key: value" line; absent values are left out, and control
 * characters (which JSON text never holds raw, but a reason may) are
 * escaped so that each field stays on its line. */
static void
inst_kv(const char *key, const char *v)
{
	if (v == NULL)
		return;
	printf("%s: ", key);
	for (; *v != '\0'; v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('\n');
}

static void
inst_kv_time(const char *key, int64_t us)
{
	char buf[64];

	if (us != 0)
		inst_kv(key, ctl_time_format(us, buf, sizeof(buf)));
}

int
ctl_instance_status(struct ctl *c, int argc, char **argv)
{
	struct inst_get a;
	char *id, num[32];
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, NULL, &id, 1)) != CTL_EXIT_OK)
		return rc;
	if (!inst_id_ok(id))
		return CTL_EXIT_FAIL;
	memset(&a, 0, sizeof(a));
	a.id = id;
	if ((rc = inst_open(c, &a.h)) != CTL_EXIT_OK)
		return rc;
	if ((e = store_txn_run(c->st, STORE_TXN_READONLY, inst_get_txn, &a)) != STORE_OK) {
		store_instance_clear(&a.r);
		if (e == STORE_NOTFOUND) {
			log_warnx("instance '%s' not found in hub %s", id, c->conf.hub);
			return CTL_EXIT_FAIL;
		}
		return ctl_fail(e, "status of '%s'", id);
	}
	inst_kv("id", a.r.id);
	inst_kv("name", a.r.name);
	inst_kv("version", a.r.version);
	inst_kv("execution-id", a.r.execution_id);
	inst_kv("status", status_name(a.r.status));
	inst_kv_time("created", a.r.created);
	inst_kv_time("updated", a.r.updated);
	inst_kv_time("completed", a.r.completed);
	inst_kv("input", a.r.input);
	inst_kv("output", a.r.output);
	inst_kv("custom-status", a.r.custom_status);
	inst_kv("failure", a.r.failure);
	inst_kv("parent-id", a.r.parent_id);
	inst_kv("parent-execution", a.r.parent_execution);
	if (a.r.parent_id != NULL) {
		snprintf(num, sizeof(num), "%d", (int)a.r.parent_task_id);
		inst_kv("parent-task-id", num);
	}
	snprintf(num, sizeof(num), "%u", (unsigned)a.r.generation);
	inst_kv("generation", num);
	store_instance_clear(&a.r);
	return CTL_EXIT_OK;
}

/* ---- list ------------------------------------------------------------------- */

struct inst_page {
	struct store_hub *h;
	struct store_query q;
	struct store_instance *v;
	size_t n;
	char *next;
};

static void
inst_page_clear(struct inst_page *p)
{
	store_instance_free_array(p->v, p->n);
	free(p->next);
	p->v = NULL;
	p->n = 0;
	p->next = NULL;
}

static enum store_err
inst_page_txn(struct store_txn *tx, void *arg)
{
	struct inst_page *p = arg;

	inst_page_clear(p); /* a retried attempt starts afresh */
	return store_instance_query(tx, p->h, &p->q, &p->v, &p->n, &p->next);
}

/*
 * Each page is a read transaction of its own, so a long listing holds no
 * locks between pages; the continuation token keeps the walk exact while
 * instances are added and removed meanwhile.
 */
int
ctl_instance_list(struct ctl *c, int argc, char **argv)
{
	const char *status = NULL, *prefix = NULL, *name = NULL, *top = NULL, *from = NULL, *to = NULL;
	/* clang-format off */
	const struct ctl_opt opts[] = {
		{"status", &status, NULL}, {"prefix", &prefix, NULL}, {"name", &name, NULL},
		{"top", &top, NULL},       {"from-us", &from, NULL},  {"to-us", &to, NULL},
		{NULL, NULL, NULL},
	};
	/* clang-format on */
	struct inst_page p;
	uint64_t limit = 0, listed = 0;
	char *token = NULL;
	enum store_err e;
	size_t i;
	int rc;

	if ((rc = ctl_args(c, argc, argv, opts, NULL, 0)) != CTL_EXIT_OK)
		return rc;
	memset(&p, 0, sizeof(p));
	if (status != NULL && ctl_parse_statuses(status, &p.q.status_mask) == -1)
		return ctl_usage(c);
	if (top != NULL && ctl_parse_u64(top, 1, UINT32_MAX, &limit) == -1) {
		log_warnx("list: --top wants a positive number, not '%s'", top);
		return ctl_usage(c);
	}
	if ((rc = inst_range(c, from, to, &p.q.created_from, &p.q.created_to)) != CTL_EXIT_OK)
		return rc;
	if (prefix != NULL && strlen(prefix) > IDS_INSTANCE_MAX) {
		log_warnx("list: --prefix longer than an instance ID");
		return CTL_EXIT_FAIL;
	}
	p.q.prefix = prefix;
	p.q.name = name;
	if ((rc = inst_open(c, &p.h)) != CTL_EXIT_OK)
		return rc;
	for (;;) {
		p.q.token = token;
		p.q.page = limit != 0 && limit - listed < STORE_MAX_PAGE ? (size_t)(limit - listed) : STORE_MAX_PAGE;
		if ((e = store_txn_run(c->st, STORE_TXN_READONLY, inst_page_txn, &p)) != STORE_OK) {
			rc = ctl_fail(e, "list instances of hub %s", c->conf.hub);
			break;
		}
		for (i = 0; i < p.n; i++)
			printf("%s\t%s\t%s\n", p.v[i].id, status_name(p.v[i].status), p.v[i].name);
		listed += p.n;
		free(token);
		token = p.next; /* taken over from the page */
		p.next = NULL;
		if (token == NULL || (limit != 0 && listed >= limit))
			break;
	}
	inst_page_clear(&p);
	free(token);
	return rc;
}

/* ---- purge ------------------------------------------------------------------ */

int
ctl_instance_purge(struct ctl *c, int argc, char **argv)
{
	struct store_hub *h;
	char *id, msg[600];
	enum store_err e;
	int rc, status;

	if ((rc = ctl_args(c, argc, argv, NULL, &id, 1)) != CTL_EXIT_OK)
		return rc;
	if (!inst_id_ok(id))
		return CTL_EXIT_FAIL;
	if ((rc = inst_open(c, &h)) != CTL_EXIT_OK)
		return rc;
	switch (e = store_purge_one(c->st, h, id, &status)) {
	case STORE_OK:
		return CTL_EXIT_OK;
	case STORE_NOTFOUND:
		log_warnx("instance '%s' not found in hub %s", id, c->conf.hub);
		return CTL_EXIT_FAIL;
	case STORE_STATE:
		/* The status the purge saw, in the API's words. */
		mgmt_msg_not_purgeable(msg, sizeof(msg), id, status_name(status));
		log_warnx("%s", msg);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "purge '%s'", id);
	}
}

/*
 * One transaction per batch keeps each one short (the daemon and the
 * responders keep running); the loop ends when the store says nothing
 * matching is left.
 */
int
ctl_instance_purge_all(struct ctl *c, int argc, char **argv)
{
	const char *status = NULL, *from = NULL, *to = NULL;
	/* clang-format off */
	const struct ctl_opt opts[] = {
		{"status", &status, NULL}, {"from-us", &from, NULL}, {"to-us", &to, NULL}, {NULL, NULL, NULL},
	};
	/* clang-format on */
	struct store_purge_filter f;
	struct store_hub *h;
	uint64_t deleted, total = 0;
	enum store_err e;
	int rc, more;

	if ((rc = ctl_args(c, argc, argv, opts, NULL, 0)) != CTL_EXIT_OK)
		return rc;
	memset(&f, 0, sizeof(f));
	if (status != NULL) {
		if (ctl_parse_statuses(status, &f.status_mask) == -1)
			return ctl_usage(c);
		if ((f.status_mask & ~STATUS_TERMINAL_MASK) != 0) {
			log_warnx("purge-all: only Completed, Failed, Canceled and Terminated instances can be purged");
			return ctl_usage(c);
		}
	}
	if ((rc = inst_range(c, from, to, &f.created_from, &f.created_to)) != CTL_EXIT_OK)
		return rc;
	if ((rc = inst_open(c, &h)) != CTL_EXIT_OK)
		return rc;
	do {
		if ((e = store_purge_batch(c->st, h, &f, INST_PURGE_BATCH, &deleted, &more)) != STORE_OK) {
			rc = ctl_fail(e, "purge-all in hub %s (after %llu purged)", c->conf.hub,
				      (unsigned long long)total);
			break;
		}
		total += deleted;
	} while (more);
	printf("purged %llu instance%s\n", (unsigned long long)total, total == 1 ? "" : "s");
	return rc;
}
