/*
 * bench_orch.c — the daemon's throughput and latency (BENCHMARKS.md,
 * "Orchestrations"). Each scenario gets a fresh environment in a temporary
 * directory and its own taskhubd (the real daemon, started with -F on a
 * bench function app); this program plays the responder's part: it creates
 * instances and raises events straight through the store, as taskhub.fcgi
 * does, and sends the same wake datagram. Creation is batched (many starts
 * per transaction) so that the client is not what is measured.
 *
 * Scenarios:
 *   hello    N HelloSequence instances at once: completed per second, and
 *            start-to-completed latency p50/p99 from the instance records
 *            (created and completed times, written by the store and the
 *            daemon)
 *   latency  one client: start one HelloSequence, wait for it, repeat
 *   seq      one instance calling Noop N times in sequence: activities/s
 *   fanout   one instance fanning out to N Noop activities and in again
 *   events   one instance waiting for N events, all raised at once
 *   idle     N instances waiting for an event: the daemon's resident memory
 *   entity   N add signals to one Counter entity: operations/s
 *   entities N add signals spread over 1,000 Counter entities
 *
 * Usage: bench_orch -D taskhubd -a app-folder [-d durability] [-n N] scenario...
 * Prints one Markdown table row per scenario. No assertion: the figures
 * are for people.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/event.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/timeutil.h"
#include "common/wake.h"
#include "store/store.h"

#define BENCH_HUB "BenchHub"
#define BENCH_CREATE_BATCH 100
#define BENCH_WAIT_LIMIT_US (600LL * 1000000) /* give up on a scenario after 10 minutes */

struct bench {
	const char *daemon, *app, *durability;
	char dir[256], conf[300], sock[300], log[300];
	pid_t pid;
	struct store *st;
	struct store_hub *h;
};

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench_orch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void
rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[1024];
	struct stat sb;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rmtree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

/* A fresh environment with the bench hub, and a daemon serving it. */
static void
bench_up(struct bench *b)
{
	struct store_options o;
	FILE *f;
	int i;

	snprintf(b->dir, sizeof(b->dir), "%s/taskhub-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(b->dir) == NULL)
		die("mkdtemp %s", b->dir);
	snprintf(b->conf, sizeof(b->conf), "%s/taskhub.conf", b->dir);
	snprintf(b->sock, sizeof(b->sock), "%s/wake.sock", b->dir);
	snprintf(b->log, sizeof(b->log), "%s/taskhubd.log", b->dir);
	if ((f = fopen(b->conf, "w")) == NULL)
		die("%s", b->conf);
	fprintf(f, "home = %s/env\nhub = %s\ndurability = %s\nwake-socket = %s\n", b->dir, BENCH_HUB,
		b->durability, b->sock);
	fclose(f);

	store_options_init(&o);
	o.create = 1;
	o.durability = (enum store_durability)store_durability_parse(b->durability);
	{
		char home[300];
		snprintf(home, sizeof(home), "%s/env", b->dir);
		if (store_open(home, &o, &b->st) != STORE_OK || store_hub_create(b->st, BENCH_HUB) != STORE_OK ||
		    store_hub_open(b->st, BENCH_HUB, &b->h) != STORE_OK)
			die("cannot create the environment in %s", b->dir);
	}
	if ((b->pid = fork()) == -1)
		die("fork%s", "");
	if (b->pid == 0) {
		FILE *lf = freopen(b->log, "w", stderr);
		(void)lf;
		execl(b->daemon, "taskhubd", "-F", "-c", b->conf, "-a", b->app, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && access(b->sock, F_OK) == -1; i++)
		usleep(50000);
	if (i == 200)
		die("taskhubd did not start; see %s", b->log);
}

static void
bench_down(struct bench *b)
{
	int status;

	kill(b->pid, SIGTERM);
	waitpid(b->pid, &status, 0);
	store_close(b->st);
	if (getenv("BENCH_KEEP") == NULL)
		rmtree(b->dir);
}

/* Resident memory of the daemon, KiB, from /proc (VmRSS or VmHWM). */
static long
bench_mem(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = atol(line + strlen(field) + 1);
	fclose(f);
	return kb;
}

/* ---- creating instances and events through the store ------------------------ */

struct bench_create {
	struct store_hub *h;
	const char *name, *input, *prefix;
	size_t from, n;
};

static enum store_err
bench_create_body(struct store_txn *tx, void *arg)
{
	struct bench_create *c = arg;
	enum store_err e;

	for (size_t i = c->from; i < c->from + c->n; i++) {
		struct store_create sc;
		char id[64], exec[33];
		snprintf(id, sizeof(id), "%s%zu", c->prefix, i);
		ids_new_guid(exec);
		memset(&sc, 0, sizeof(sc));
		sc.id = id;
		sc.name = c->name;
		sc.execution_id = exec;
		sc.input = c->input;
		sc.parent_task_id = -1;
		sc.now = time_now_us();
		if ((e = store_instance_create(tx, c->h, &sc, NULL)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

static void
bench_create(struct bench *b, const char *name, const char *input, const char *prefix, size_t from, size_t n)
{
	struct bench_create c = {b->h, name, input, prefix, 0, 0};

	for (size_t i = 0; i < n; i += BENCH_CREATE_BATCH) {
		c.from = from + i;
		c.n = n - i < BENCH_CREATE_BATCH ? n - i : BENCH_CREATE_BATCH;
		if (store_txn_run(b->st, 0, bench_create_body, &c) != STORE_OK)
			die("creating instances failed%s", "");
		wake_send(b->sock, BENCH_HUB);
	}
}

struct bench_raise {
	struct store_hub *h;
	const char *id;
	size_t n;
};

static enum store_err
bench_raise_body(struct store_txn *tx, void *arg)
{
	struct bench_raise *r = arg;
	struct store_event ev;
	enum store_err e;

	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_EVENT_RAISED;
	ev.event_id = -1;
	ev.task_id = -1;
	ev.name = "e";
	ev.data = "1";
	for (size_t i = 0; i < r->n; i++) {
		ev.timestamp = time_now_us();
		if ((e = store_inbox_append(tx, r->h, r->id, &ev, ev.timestamp)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

/* ---- waiting ------------------------------------------------------------------- */

struct bench_counts {
	struct store_hub *h;
	uint64_t c[8];
};

static enum store_err
bench_counts_body(struct store_txn *tx, void *arg)
{
	struct bench_counts *c = arg;

	return store_instance_counts(tx, c->h, c->c);
}

/* Waits until `want` instances are in one of the statuses of mask; the
 * number of failed ones is reported. */
static void
bench_wait(struct bench *b, unsigned mask, uint64_t want, unsigned poll_us)
{
	struct bench_counts c = {b->h, {0}};
	int64_t t0 = time_mono_us();

	for (;;) {
		uint64_t got = 0;
		if (store_txn_run(b->st, STORE_TXN_READONLY, bench_counts_body, &c) == STORE_OK) {
			for (int s = 0; s < 8; s++)
				if (mask & STATUS_BIT(s))
					got += c.c[s];
			if (got >= want)
				break;
			if (c.c[STATUS_FAILED] > 0 && !(mask & STATUS_BIT(STATUS_FAILED)))
				die("an instance failed; see %s", b->log);
		}
		if (time_mono_us() - t0 > BENCH_WAIT_LIMIT_US)
			die("gave up waiting; see %s", b->log);
		usleep(poll_us);
	}
}

struct bench_get {
	struct store_hub *h;
	const char *id;
	struct store_instance r;
};

static enum store_err
bench_get_body(struct store_txn *tx, void *arg)
{
	struct bench_get *g = arg;

	store_instance_clear(&g->r);
	return store_instance_get(tx, g->h, g->id, 0, &g->r);
}

static int
bench_cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Start-to-completed latencies (µs) of instances prefix0..prefix(n-1). */
static void
bench_latencies(struct bench *b, const char *prefix, size_t n, double *p50, double *p99)
{
	int64_t *lat = calloc(n, sizeof(*lat));
	struct bench_get g;
	char id[64];

	memset(&g, 0, sizeof(g));
	g.h = b->h;
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s%zu", prefix, i);
		g.id = id;
		if (store_txn_run(b->st, STORE_TXN_READONLY, bench_get_body, &g) != STORE_OK)
			die("reading %s failed", id);
		lat[i] = g.r.completed - g.r.created;
	}
	store_instance_clear(&g.r);
	qsort(lat, n, sizeof(*lat), bench_cmp64);
	*p50 = lat[n / 2] / 1000.0;
	*p99 = lat[n * 99 / 100 < n ? n * 99 / 100 : n - 1] / 1000.0;
	free(lat);
}

/* Wall time of one instance, created to completed, µs. */
static int64_t
bench_span(struct bench *b, const char *id)
{
	struct bench_get g;
	int64_t span;

	memset(&g, 0, sizeof(g));
	g.h = b->h;
	g.id = id;
	if (store_txn_run(b->st, STORE_TXN_READONLY, bench_get_body, &g) != STORE_OK)
		die("reading %s failed", id);
	span = g.r.completed - g.r.created;
	store_instance_clear(&g.r);
	return span;
}

/* ---- scenarios ------------------------------------------------------------------ */

static void
sc_hello(struct bench *b, size_t n)
{
	int64_t t0, t1;
	double p50, p99;

	bench_up(b);
	t0 = time_mono_us();
	bench_create(b, "HelloSequence", "null", "h", 0, n);
	bench_wait(b, STATUS_BIT(STATUS_COMPLETED), n, 2000);
	t1 = time_mono_us();
	bench_latencies(b, "h", n, &p50, &p99);
	printf("| hello | %s | %zu HelloSequence | %.0f completed/s | p50 %.1f ms, p99 %.1f ms | %ld |\n",
	       b->durability, n, n * 1e6 / (double)(t1 - t0), p50, p99, bench_mem(b->pid, "VmHWM:"));
	bench_down(b);
}

static void
sc_latency(struct bench *b, size_t n)
{
	double p50, p99;

	bench_up(b);
	for (size_t i = 0; i < n; i++) {
		bench_create(b, "HelloSequence", "null", "l", i, 1);
		bench_wait(b, STATUS_BIT(STATUS_COMPLETED), i + 1, 100);
	}
	bench_latencies(b, "l", n, &p50, &p99);
	printf("| latency | %s | %zu HelloSequence one at a time | — | p50 %.2f ms, p99 %.2f ms | %ld |\n",
	       b->durability, n, p50, p99, bench_mem(b->pid, "VmHWM:"));
	bench_down(b);
}

static void
sc_one(struct bench *b, const char *what, const char *fn, size_t n)
{
	char input[32];
	int64_t span;

	bench_up(b);
	snprintf(input, sizeof(input), "%zu", n);
	bench_create(b, fn, input, "x", 0, 1);
	bench_wait(b, STATUS_BIT(STATUS_COMPLETED), 1, 2000);
	span = bench_span(b, "x0");
	printf("| %s | %s | %s(%zu) | %.0f activities/s | %.3f s | %ld |\n", what, b->durability, fn, n,
	       n * 1e6 / (double)span, span / 1e6, bench_mem(b->pid, "VmHWM:"));
	bench_down(b);
}

static void
sc_events(struct bench *b, size_t n)
{
	struct bench_raise r;
	char input[32];
	int64_t t0, t1;

	bench_up(b);
	snprintf(input, sizeof(input), "%zu", n);
	bench_create(b, "BenchEvents", input, "x", 0, 1);
	bench_wait(b, STATUS_BIT(STATUS_RUNNING), 1, 1000);
	r.h = b->h;
	r.id = "x0";
	t0 = time_mono_us();
	/* One event per transaction, as raiseEvent requests arrive. */
	r.n = 1;
	for (size_t i = 0; i < n; i++) {
		if (store_txn_run(b->st, 0, bench_raise_body, &r) != STORE_OK)
			die("raising events failed%s", "");
		if (i % 16 == 0)
			wake_send(b->sock, BENCH_HUB);
	}
	wake_send(b->sock, BENCH_HUB);
	bench_wait(b, STATUS_BIT(STATUS_COMPLETED), 1, 1000);
	t1 = time_mono_us();
	printf("| events | %s | %zu events into one instance | %.0f events/s | %.3f s | %ld |\n", b->durability, n,
	       n * 1e6 / (double)(t1 - t0), (t1 - t0) / 1e6, bench_mem(b->pid, "VmHWM:"));
	bench_down(b);
}

struct bench_signals {
	struct store_hub *h;
	size_t from, n, entities;
};

static enum store_err
bench_signals_body(struct store_txn *tx, void *arg)
{
	struct bench_signals *g = arg;
	struct store_event ev;
	enum store_err e;
	char id[64];

	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_EVENT_RAISED;
	ev.event_id = -1;
	ev.task_id = -1;
	ev.name = "add";
	ev.data = "1";
	for (size_t i = g->from; i < g->from + g->n; i++) {
		snprintf(id, sizeof(id), "@counter@k%zu", i % g->entities);
		ev.timestamp = time_now_us();
		if ((e = store_inbox_append(tx, g->h, id, &ev, ev.timestamp)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

/* Entity operations: n add(1) signals over `entities` Counters, written
 * 100 per transaction as the responder would one per request; the time
 * from the first signal until every inbox is empty. */
static void
sc_entities(struct bench *b, size_t n, size_t entities)
{
	struct bench_signals g = {0, 0, 0, entities};
	struct store_stats stats;
	int64_t t0, t1;

	bench_up(b);
	g.h = b->h;
	t0 = time_mono_us();
	for (size_t i = 0; i < n; i += BENCH_CREATE_BATCH) {
		g.from = i;
		g.n = n - i < BENCH_CREATE_BATCH ? n - i : BENCH_CREATE_BATCH;
		if (store_txn_run(b->st, 0, bench_signals_body, &g) != STORE_OK)
			die("signalling failed%s", "");
		wake_send(b->sock, BENCH_HUB);
	}
	for (;;) {
		if (store_hub_stats(b->st, b->h, &stats) == STORE_OK && stats.inbox == 0)
			break;
		if (time_mono_us() - t0 > BENCH_WAIT_LIMIT_US)
			die("gave up waiting; see %s", b->log);
		usleep(5000);
	}
	t1 = time_mono_us();
	printf("| %s | %s | %zu add signals over %zu Counter entit%s | %.0f operations/s | %.3f s | %ld |\n",
	       entities == 1 ? "entity" : "entities", b->durability, n, entities, entities == 1 ? "y" : "ies",
	       n * 1e6 / (double)(t1 - t0), (t1 - t0) / 1e6, bench_mem(b->pid, "VmHWM:"));
	bench_down(b);
}

static void
sc_idle(struct bench *b, size_t n)
{
	long rss0, rss, hwm;

	bench_up(b);
	rss0 = bench_mem(b->pid, "VmRSS:");
	bench_create(b, "BenchEvents", "1", "w", 0, n);
	bench_wait(b, STATUS_BIT(STATUS_RUNNING), n, 20000);
	rss = bench_mem(b->pid, "VmRSS:");
	hwm = bench_mem(b->pid, "VmHWM:");
	printf("| idle | %s | %zu instances waiting for an event | VmRSS %.1f MiB (%.1f MiB at start) | VmHWM %.1f MiB | "
	       "%ld |\n",
	       b->durability, n, rss / 1024.0, rss0 / 1024.0, hwm / 1024.0, hwm);
	bench_down(b);
}

int
main(int argc, char **argv)
{
	struct bench b;
	long n = 0;
	int ch;

	memset(&b, 0, sizeof(b));
	b.durability = "full";
	while ((ch = getopt(argc, argv, "D:a:d:n:")) != -1) {
		switch (ch) {
		case 'D':
			b.daemon = optarg;
			break;
		case 'a':
			b.app = optarg;
			break;
		case 'd':
			b.durability = optarg;
			break;
		case 'n':
			n = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_orch -D taskhubd -a app [-d durability] [-n N] scenario...\n");
			return 2;
		}
	}
	if (b.daemon == NULL || b.app == NULL || optind == argc)
		die("usage: bench_orch -D taskhubd -a app [-d durability] [-n N] scenario...%s", "");
	signal(SIGPIPE, SIG_IGN);
	/* taskhubd refuses root; as root the whole bench runs as nobody (the
	 * build tree must then be readable by it). */
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		if (pw == NULL || setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
			die("cannot switch from root to nobody%s", "");
	}
	for (int i = optind; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "hello") == 0)
			sc_hello(&b, n > 0 ? (size_t)n : 2000);
		else if (strcmp(s, "latency") == 0)
			sc_latency(&b, n > 0 ? (size_t)n : 200);
		else if (strcmp(s, "seq") == 0)
			sc_one(&b, "seq", "BenchSeq", n > 0 ? (size_t)n : 2000);
		else if (strcmp(s, "fanout") == 0)
			sc_one(&b, "fanout", "BenchFanOut", n > 0 ? (size_t)n : 10000);
		else if (strcmp(s, "events") == 0)
			sc_events(&b, n > 0 ? (size_t)n : 5000);
		else if (strcmp(s, "idle") == 0)
			sc_idle(&b, n > 0 ? (size_t)n : 100000);
		else if (strcmp(s, "entity") == 0)
			sc_entities(&b, n > 0 ? (size_t)n : 20000, 1);
		else if (strcmp(s, "entities") == 0)
			sc_entities(&b, n > 0 ? (size_t)n : 20000, 1000);
		else
			die("unknown scenario %s", s);
		fflush(stdout);
	}
	return 0;
}
