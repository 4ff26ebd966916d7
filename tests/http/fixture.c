/*
 * fixture.c — a test-only tool that puts a hub into states the HTTP API
 * alone cannot reach while there is no daemon: an instance Completed or
 * Failed with an output, a history to render with showHistory, a published
 * function registry, an entity with a state, an instance created at a
 * chosen time. Every change is one store verb run through store_txn_run(),
 * exactly as the daemon would commit it.
 *
 * Every command takes [-c CONF] [-H HOME] [-h HUB] first: the environment
 * and hub come from taskhub.conf (CONF, else $TASKHUB_CONF) as taskhubctl
 * reads them, -H and -h override; a shared environment's group setting
 * makes the files the fixture creates group-writable, as taskhubctl's.
 *
 *   fixture -H HOME [-h HUB] publish KIND:NAME...
 *   fixture -H HOME [-h HUB] create ID NAME [--created-us T] [--input JSON]
 *   fixture -H HOME [-h HUB] set-status ID STATUS [--output JSON]
 *           [--custom-status JSON] [--failure JSON] [--input JSON]
 *           (any status but Pending also consumes the inbox, as the
 *           daemon's first episode does)
 *   fixture -H HOME [-h HUB] append-history ID --event TYPE [--name N]
 *           [--data D] [--detail D] [--event-id N] [--task-id N]
 *           [--ts-us T] [--fire-at-us T] [--played] [--event TYPE ...]
 *   fixture -H HOME [-h HUB] entity-put NAME KEY [--state JSON] [--last-op-us T]
 *   fixture -H HOME [-h HUB] inbox ID        (type, name, data per line)
 *   fixture -H HOME [-h HUB] history-length ID
 *
 * KIND is orchestrator, activity or entity. STATUS and TYPE are names
 * (Completed, TaskScheduled) or numbers. Exit 0 on success, 1 when the
 * store refuses, 2 on a usage error.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/status.h"
#include "common/timeutil.h"
#include "store/store.h"

#define FIX_MAX_EVENTS 256

static int
fix_usage(void)
{
	fprintf(stderr, "usage: fixture [-c CONF] [-H HOME] [-h HUB] command [arguments]\n"
			"       fixture -H HOME [-h HUB] publish KIND:NAME...\n"
			"       fixture -H HOME [-h HUB] create ID NAME [--created-us T] [--input JSON]\n"
			"       fixture -H HOME [-h HUB] set-status ID STATUS [--output JSON] [--custom-status JSON]\n"
			"               [--failure JSON] [--input JSON]\n"
			"       fixture -H HOME [-h HUB] append-history ID --event TYPE [--name N] [--data D]\n"
			"               [--detail D] [--event-id N] [--task-id N] [--ts-us T] [--fire-at-us T]\n"
			"               [--played] [--event TYPE ...]\n"
			"       fixture -H HOME [-h HUB] entity-put NAME KEY [--state JSON] [--last-op-us T]\n"
			"       fixture -H HOME [-h HUB] inbox ID\n"
			"       fixture -H HOME [-h HUB] history-length ID\n");
	return 2;
}

static int
fix_fail(enum store_err e, const char *what)
{
	log_warnx("%s: %s", what, store_strerror(e));
	return 1;
}

static int
fix_i64(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
fix_event_type(const char *s)
{
	int64_t v;
	int i;

	if ((i = event_type_parse(s)) >= 0)
		return i;
	if (fix_i64(s, &v) == 0 && v >= 0 && v < 64)
		return (int)v;
	return -1;
}

/* ---- publish ---------------------------------------------------------------- */

struct fix_publish {
	struct store_hub *h;
	struct store_function *fns;
	size_t n;
};

static enum store_err
fix_publish_txn(struct store_txn *tx, void *arg)
{
	struct fix_publish *a = arg;

	return store_function_publish(tx, a->h, a->fns, a->n);
}

static int
fix_publish(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct store_function fns[FIX_MAX_EVENTS];
	struct fix_publish a;
	enum store_err e;
	int i;

	if (argc > FIX_MAX_EVENTS)
		return fix_usage();
	memset(fns, 0, sizeof(fns));
	for (i = 0; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		if (colon == NULL)
			return fix_usage();
		*colon = '\0';
		if (strcmp(argv[i], "orchestrator") == 0)
			fns[i].kind = STORE_FN_ORCHESTRATOR;
		else if (strcmp(argv[i], "activity") == 0)
			fns[i].kind = STORE_FN_ACTIVITY;
		else if (strcmp(argv[i], "entity") == 0)
			fns[i].kind = STORE_FN_ENTITY;
		else
			return fix_usage();
		fns[i].name = colon + 1;
		fns[i].script = (char *)"fixture";
	}
	a.h = h;
	a.fns = fns;
	a.n = (size_t)argc;
	if ((e = store_txn_run(st, 0, fix_publish_txn, &a)) != STORE_OK)
		return fix_fail(e, "publish");
	return 0;
}

/* ---- create ----------------------------------------------------------------- */

struct fix_create {
	struct store_hub *h;
	struct store_create cr;
};

static enum store_err
fix_create_txn(struct store_txn *tx, void *arg)
{
	struct fix_create *a = arg;

	return store_instance_create(tx, a->h, &a->cr, NULL);
}

static int
fix_create(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct fix_create a;
	enum store_err e;
	char exec[64];
	int i;

	if (argc < 2)
		return fix_usage();
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.cr.id = argv[0];
	a.cr.name = argv[1];
	a.cr.now = time_now_us();
	a.cr.parent_task_id = -1;
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			return fix_usage();
		if (strcmp(argv[i], "--created-us") == 0) {
			if (fix_i64(argv[++i], &a.cr.now) == -1)
				return fix_usage();
		} else if (strcmp(argv[i], "--input") == 0)
			a.cr.input = argv[++i];
		else
			return fix_usage();
	}
	snprintf(exec, sizeof(exec), "fixture%lld", (long long)time_now_us());
	a.cr.execution_id = exec;
	if ((e = store_txn_run(st, 0, fix_create_txn, &a)) != STORE_OK)
		return fix_fail(e, "create");
	return 0;
}

/* ---- set-status ------------------------------------------------------------- */

struct fix_status {
	struct store_hub *h;
	const char *id;
	int status;
	const char *output, *custom, *failure, *input;
};

static char *
fix_strdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

static enum store_err
fix_status_txn(struct store_txn *tx, void *arg)
{
	struct fix_status *a = arg;
	struct store_instance r;
	enum store_err e;
	int64_t now = time_now_us();

	memset(&r, 0, sizeof(r));
	if ((e = store_instance_get(tx, a->h, a->id, 1, &r)) != STORE_OK)
		goto out;
	r.status = a->status;
	r.updated = now;
	r.completed = status_is_terminal(a->status) ? now : 0;
	if (a->output != NULL) {
		free(r.output);
		r.output = fix_strdup(a->output);
	}
	if (a->custom != NULL) {
		free(r.custom_status);
		r.custom_status = fix_strdup(a->custom);
	}
	if (a->failure != NULL) {
		free(r.failure);
		r.failure = fix_strdup(a->failure);
	}
	if (a->input != NULL) {
		free(r.input);
		r.input = fix_strdup(a->input);
	}
	if ((e = store_instance_put(tx, a->h, &r)) != STORE_OK)
		goto out;
	/* Past Pending, the daemon has consumed the ExecutionStarted event:
	 * do the same so the inbox and the ready queue look as it leaves them. */
	if (a->status != STATUS_PENDING) {
		struct store_event *ev = NULL;
		size_t n = 0;

		e = store_inbox_take(tx, a->h, a->id, 1, &ev, &n);
		store_event_free_array(ev, n);
		if (e == STORE_NOTFOUND)
			e = STORE_OK;
	}
out:
	store_instance_clear(&r);
	return e;
}

static int
fix_set_status(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct fix_status a;
	enum store_err e;
	int i;

	if (argc < 2)
		return fix_usage();
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.id = argv[0];
	if ((a.status = status_parse(argv[1])) == -1)
		return fix_usage();
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			return fix_usage();
		if (strcmp(argv[i], "--output") == 0)
			a.output = argv[++i];
		else if (strcmp(argv[i], "--custom-status") == 0)
			a.custom = argv[++i];
		else if (strcmp(argv[i], "--failure") == 0)
			a.failure = argv[++i];
		else if (strcmp(argv[i], "--input") == 0)
			a.input = argv[++i];
		else
			return fix_usage();
	}
	if ((e = store_txn_run(st, 0, fix_status_txn, &a)) != STORE_OK)
		return fix_fail(e, "set-status");
	return 0;
}

/* ---- append-history ----------------------------------------------------------- */

struct fix_history {
	struct store_hub *h;
	const char *id;
	struct store_event *ev;
	size_t n;
};

static enum store_err
fix_history_txn(struct store_txn *tx, void *arg)
{
	struct fix_history *a = arg;
	uint32_t len;
	enum store_err e;

	if ((e = store_history_length(tx, a->h, a->id, &len)) != STORE_OK)
		return e;
	return store_history_append(tx, a->h, a->id, len, a->ev, a->n);
}

static int
fix_append_history(struct store *st, struct store_hub *h, int argc, char **argv)
{
	static struct store_event ev[FIX_MAX_EVENTS];
	struct store_event *cur = NULL;
	struct fix_history a;
	int64_t base = time_now_us(), v;
	enum store_err e;
	size_t n = 0;
	int i;

	if (argc < 3)
		return fix_usage();
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--played") == 0) {
			if (cur == NULL)
				return fix_usage();
			cur->flags |= STORE_EVENT_PLAYED;
			continue;
		}
		if (i + 1 >= argc)
			return fix_usage();
		if (strcmp(opt, "--event") == 0) {
			if (n == FIX_MAX_EVENTS)
				return fix_usage();
			cur = &ev[n];
			memset(cur, 0, sizeof(*cur));
			if ((cur->type = fix_event_type(argv[++i])) == -1)
				return fix_usage();
			cur->event_id = -1;
			cur->task_id = -1;
			/* Distinct, increasing timestamps keep rendering order checkable. */
			cur->timestamp = base + (int64_t)n * 1000;
			n++;
			continue;
		}
		if (cur == NULL)
			return fix_usage();
		if (strcmp(opt, "--name") == 0)
			cur->name = argv[++i];
		else if (strcmp(opt, "--data") == 0)
			cur->data = argv[++i];
		else if (strcmp(opt, "--detail") == 0)
			cur->detail = argv[++i];
		else if (strcmp(opt, "--instance-id") == 0)
			cur->instance_id = argv[++i];
		else if (strcmp(opt, "--execution-id") == 0)
			cur->execution_id = argv[++i];
		else if (strcmp(opt, "--event-id") == 0 || strcmp(opt, "--task-id") == 0) {
			if (fix_i64(argv[i + 1], &v) == -1)
				return fix_usage();
			if (opt[2] == 'e')
				cur->event_id = (int32_t)v;
			else
				cur->task_id = (int32_t)v;
			i++;
		} else if (strcmp(opt, "--ts-us") == 0) {
			if (fix_i64(argv[++i], &cur->timestamp) == -1)
				return fix_usage();
		} else if (strcmp(opt, "--fire-at-us") == 0) {
			if (fix_i64(argv[++i], &cur->fire_at) == -1)
				return fix_usage();
		} else
			return fix_usage();
	}
	if (n == 0)
		return fix_usage();
	a.h = h;
	a.id = argv[0];
	a.ev = ev;
	a.n = n;
	/* The events point into argv: nothing to clear. */
	if ((e = store_txn_run(st, 0, fix_history_txn, &a)) != STORE_OK)
		return fix_fail(e, "append-history");
	return 0;
}

/* ---- entity-put ----------------------------------------------------------------- */

struct fix_entity {
	struct store_hub *h;
	struct store_entity ent;
};

static enum store_err
fix_entity_txn(struct store_txn *tx, void *arg)
{
	struct fix_entity *a = arg;

	return store_entity_put(tx, a->h, &a->ent);
}

static int
fix_entity_put(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct fix_entity a;
	enum store_err e;
	int i;

	if (argc < 2)
		return fix_usage();
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.ent.name = argv[0];
	a.ent.key = argv[1];
	a.ent.last_op = time_now_us();
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			return fix_usage();
		if (strcmp(argv[i], "--state") == 0)
			a.ent.state = argv[++i];
		else if (strcmp(argv[i], "--last-op-us") == 0) {
			if (fix_i64(argv[++i], &a.ent.last_op) == -1)
				return fix_usage();
		} else
			return fix_usage();
	}
	if ((e = store_txn_run(st, 0, fix_entity_txn, &a)) != STORE_OK)
		return fix_fail(e, "entity-put");
	return 0;
}

/* ---- inbox, history-length ---------------------------------------------------------- */

struct fix_read {
	struct store_hub *h;
	const char *id;
	struct store_event *ev;
	size_t n;
	uint32_t len;
};

static enum store_err
fix_inbox_txn(struct store_txn *tx, void *arg)
{
	struct fix_read *a = arg;

	/* A retried body must not leak the previous attempt's copy. */
	store_event_free_array(a->ev, a->n);
	a->ev = NULL;
	a->n = 0;
	return store_inbox_take(tx, a->h, a->id, 0, &a->ev, &a->n);
}

static int
fix_inbox(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct fix_read a;
	enum store_err e;
	size_t i;

	if (argc != 1)
		return fix_usage();
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.id = argv[0];
	if ((e = store_txn_run(st, STORE_TXN_READONLY, fix_inbox_txn, &a)) != STORE_OK && e != STORE_NOTFOUND)
		return fix_fail(e, "inbox");
	for (i = 0; i < a.n; i++) {
		int t = a.ev[i].type;

		printf("%s\t%s\t%s\n", event_type_name(t), a.ev[i].name != NULL ? a.ev[i].name : "",
		       a.ev[i].data != NULL ? a.ev[i].data : "");
	}
	store_event_free_array(a.ev, a.n);
	return 0;
}

static enum store_err
fix_length_txn(struct store_txn *tx, void *arg)
{
	struct fix_read *a = arg;

	return store_history_length(tx, a->h, a->id, &a->len);
}

static int
fix_history_length(struct store *st, struct store_hub *h, int argc, char **argv)
{
	struct fix_read a;
	enum store_err e;

	if (argc != 1)
		return fix_usage();
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.id = argv[0];
	if ((e = store_txn_run(st, STORE_TXN_READONLY, fix_length_txn, &a)) != STORE_OK)
		return fix_fail(e, "history-length");
	printf("%u\n", a.len);
	return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(struct store *, struct store_hub *, int, char **);
} fix_cmds[] = {
	{"publish", fix_publish},
	{"create", fix_create},
	{"set-status", fix_set_status},
	{"append-history", fix_append_history},
	{"entity-put", fix_entity_put},
	{"inbox", fix_inbox},
	{"history-length", fix_history_length},
};

int
main(int argc, char **argv)
{
	const char *home = NULL, *hub = NULL, *conf_path = NULL;
	char err[CONF_PATH_MAX + 128];
	struct store_options o;
	struct store *st = NULL;
	struct store_hub *h;
	struct conf conf;
	enum store_err e;
	size_t i;
	int ch, rc, d;

	log_init("fixture", 0);
	while ((ch = getopt(argc, argv, "+c:H:h:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'H':
			home = optarg;
			break;
		case 'h':
			hub = optarg;
			break;
		default:
			return fix_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return fix_usage();
	conf_defaults(&conf);
	/* Without -c and $TASKHUB_CONF, the installed default may be absent. */
	if ((conf_path != NULL || getenv("TASKHUB_CONF") != NULL || home == NULL) &&
	    conf_load(&conf, conf_path, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (home == NULL)
		home = conf.home;
	if (hub == NULL)
		hub = conf.hub;
	for (i = 0; i < sizeof(fix_cmds) / sizeof(fix_cmds[0]); i++)
		if (strcmp(fix_cmds[i].name, argv[0]) == 0)
			break;
	if (i == sizeof(fix_cmds) / sizeof(fix_cmds[0]))
		return fix_usage();
	store_options_init(&o);
	if ((d = store_durability_parse(conf.durability)) != -1)
		o.durability = (enum store_durability)d;
	/* As taskhubctl: a shared environment's new files are 0660 whatever
	 * the umask says about the group. */
	o.group_shared = conf.group[0] != '\0';
	if (o.group_shared)
		umask(umask(0) & 007);
	if ((e = store_open(home, &o, &st)) != STORE_OK)
		return fix_fail(e, home);
	if ((e = store_hub_open(st, hub, &h)) != STORE_OK) {
		store_close(st);
		return fix_fail(e, hub);
	}
	rc = fix_cmds[i].fn(st, h, argc - 1, argv + 1);
	store_close(st);
	return rc;
}
