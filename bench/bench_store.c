/*
 * bench_store.c — throughput of the store's two hot transactions, and of
 * raw Berkeley DB doing the same work, under each durability setting.
 *
 * Why. Every state change in taskhub is one store transaction; the store
 * adds validation, the codec, the retry wrapper and its own handles on top
 * of Berkeley DB. The goal (issue: store throughput) is that this layer
 * keeps at least 80% of what Berkeley DB itself does on the same work, so
 * the bench reports the ratio store/raw, measured by one harness in one run.
 *
 * The cases, each one transaction per operation:
 *  create  — store_instance_create (unique pseudo-random 32-hex-digit IDs,
 *            a 100-byte JSON input) in store_txn_run: instance get (DB_RMW,
 *            not found), instance put (two secondary indexes), inbox cursor
 *            probe for the last sequence number, inbox put, ready put (one
 *            secondary index).
 *  episode — a daemon episode on an instance created beforehand (untimed):
 *            store_inbox_take(consume) of its ExecutionStarted (cursor read,
 *            delete, ready delete), store_history_append of two events
 *            (ExecutionStarted, TaskScheduled) and store_instance_put
 *            (Pending -> Running: instance get DB_RMW, put, status index
 *            moved). Four writes to primaries: inbox del, 2 history puts,
 *            instance put (plus the ready entry's delete).
 *  raw     — the same Berkeley DB calls in the same order, from an
 *            environment opened with the settings of store_env.c and a hub
 *            file laid out as store_hub.c does (named databases in one file,
 *            the same associate callbacks and key shapes). Values are byte
 *            arrays of exactly the length the store's codec produces (checked
 *            against the store's files after its first run of each case);
 *            deadlocks are retried by a minimal loop.
 *
 * Method. A run gives each side a fresh temporary environment (mkdtemp,
 * removed after), creates the hub (and, for episodes, the instances) without
 * timing, reopens, and performs a fixed number of operations on each side in
 * alternating slices (-s, 100 operations; which side goes first alternates
 * too), so that the background load of a shared machine falls on both sides
 * alike and the ratio stays meaningful when the absolute rate wanders. Each
 * case is run three times (-r) and the median ops/s per side is reported,
 * with each run's own ratio store/raw and the median of those. With -p N, N
 * forked processes share each environment, split the operations and pass
 * every slice boundary together (a process-shared barrier). Output: a
 * Markdown table on stdout. No assertion on timings: the table is for
 * people.
 */
#include "config.h"

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/status.h"
#include "store/store.h"

/* ---- the workload's data -------------------------------------------------- */

#define HUB_NAME      "BenchHub"
#define HUB_FILE      "hub_benchhub.db" /* store_hub.c: hub_<lowercase name>.db */
#define ORCH_NAME     "HelloSequence"
#define ACT_NAME      "SayHello"
#define ACT_INPUT     "\"Tokyo\""
#define PRELOAD_BATCH 100 /* creates per untimed set-up transaction */
#define MAX_ATTEMPTS  20  /* the store's default max_retries */
#define MAX_PROCS     16

/* 100 bytes of orchestration input. */
static const char bench_input[] = "{\"city\":\"Rome\",\"attempt\":1,\"tags\":[\"bench\",\"store\"],"
				  "\"note\":\"a small orchestration input, 100 bytes\"}";

/* Copies of the store's layout constants (store_codec.c). */
#define INST_HDR             34
#define EVENT_HDR            31
#define TIME_LEN             9
#define EV_EXECUTION_STARTED 0
#define EV_TASK_SCHEDULED    4

enum workload { W_CREATE, W_EPISODE, W_COUNT };
enum impl { I_STORE, I_RAW, I_COUNT };

static const char *const workload_name[W_COUNT] = {"create", "episode"};
static const char *const impl_name[I_COUNT] = {"store", "raw"};
static const char *const dur_name[3] = {"full", "write-nosync", "nosync"};

/* Counted by the timed loops. */
struct tally {
	uint64_t attempts; /* transaction bodies run: operations + retries */
	uint64_t errors;   /* operations that failed with an error and were run again by the bench */
};

/* An operation failing this many times in a row ends the bench. */
#define MAX_OP_ERRORS 3

struct conf {
	unsigned long ops_full; /* operations per run with full durability */
	unsigned long ops_fast; /* ... with write-nosync and nosync */
	unsigned long slice;    /* operations per slice: store and raw alternate slices */
	unsigned reps;
	unsigned procs;
	int dur[3], ndur;
	int work[W_COUNT], nwork;
	int impl_on[I_COUNT];
	const char *tmp;
	int verbose, keep;
};

/* Lengths of the encoded values, computed from the codec's rules. */
static size_t len_inst, len_ev_started, len_ev_sched;

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_sec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: a bijection, so distinct indexes give distinct IDs. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Instance i's ID and execution ID: 32 hex digits each, like ids_new_guid. */
static void
bench_ids(uint64_t i, char id[33], char exec[33])
{
	snprintf(id, 33, "%016" PRIx64 "%016" PRIx64, mix64(i), mix64(i ^ 0x5bd1e9955bd1e995ULL));
	snprintf(exec, 33, "%016" PRIx64 "%016" PRIx64, mix64(i + 0x1000000000ULL), mix64(~i));
}

/* A tagged string of the codec: tag byte, varint length, bytes. */
static size_t
tagged_len(const char *s)
{
	size_t n = strlen(s), v = n, len = 1;

	do {
		len++;
		v >>= 7;
	} while (v != 0);
	return len + n;
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
be64(unsigned char *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
rmtree(const char *path)
{
	DIR *d;
	struct dirent *de;
	char sub[1024];
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rmtree(sub);
	}
	closedir(d);
	return rmdir(path);
}

/* ---- the store side ------------------------------------------------------------ */

struct st_side {
	struct store *st;
	struct store_hub *h;
};

struct st_create_arg {
	struct store_hub *h;
	uint64_t from, to; /* instances [from, to) */
	int64_t now;
	uint64_t attempts;
};

static enum store_err
st_create_body(struct store_txn *tx, void *arg)
{
	struct st_create_arg *a = arg;
	struct store_create c;
	char id[33], exec[33];
	enum store_err e;
	uint64_t i;

	a->attempts++;
	for (i = a->from; i < a->to; i++) {
		bench_ids(i, id, exec);
		memset(&c, 0, sizeof(c));
		c.id = id;
		c.name = ORCH_NAME;
		c.execution_id = exec;
		c.input = bench_input;
		c.now = a->now;
		if ((e = store_instance_create(tx, a->h, &c, NULL)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

struct st_episode_arg {
	struct store_hub *h;
	const char *id;
	struct store_event hist[2];
	struct store_instance inst;
	uint64_t attempts;
};

static enum store_err
st_episode_body(struct store_txn *tx, void *arg)
{
	struct st_episode_arg *a = arg;
	struct store_event *in = NULL;
	size_t n = 0;
	enum store_err e;

	a->attempts++;
	if ((e = store_inbox_take(tx, a->h, a->id, 1, &in, &n)) != STORE_OK)
		return e;
	store_event_free_array(in, n);
	if (n != 1)
		return STORE_CORRUPT;
	if ((e = store_history_append(tx, a->h, a->id, 0, a->hist, 2)) != STORE_OK)
		return e;
	return store_instance_put(tx, a->h, &a->inst);
}

static void
st_open(const char *dir, int dur, int create, struct st_side *s)
{
	struct store_options o;
	enum store_err e;

	store_options_init(&o);
	o.durability = (enum store_durability)dur;
	o.create = create;
	if ((e = store_open(dir, &o, &s->st)) != STORE_OK)
		fatalx("store_open %s: %s", dir, store_strerror(e));
	if (create && (e = store_hub_create(s->st, HUB_NAME)) != STORE_OK)
		fatalx("store_hub_create: %s", store_strerror(e));
	if ((e = store_hub_open(s->st, HUB_NAME, &s->h)) != STORE_OK)
		fatalx("store_hub_open: %s", store_strerror(e));
}

/* Creates instances [0, n) in batches: the episodes' starting state. */
static void
st_preload(struct st_side *s, uint64_t n)
{
	struct st_create_arg a;
	enum store_err e;
	uint64_t i;

	for (i = 0; i < n; i += PRELOAD_BATCH) {
		memset(&a, 0, sizeof(a));
		a.h = s->h;
		a.from = i;
		a.to = i + PRELOAD_BATCH < n ? i + PRELOAD_BATCH : n;
		a.now = now_us();
		if ((e = store_txn_run(s->st, 0, st_create_body, &a)) != STORE_OK)
			fatalx("store preload: %s", store_strerror(e));
	}
}

/* The timed loop: operations [from, to), one transaction each. */
static int
st_run(struct st_side *s, int work, uint64_t from, uint64_t to, struct tally *t)
{
	char id[33], exec[33];
	enum store_err e;
	uint64_t i;
	unsigned fails = 0;

	for (i = from; i < to; i++) {
		if (work == W_CREATE) {
			struct st_create_arg a = {s->h, i, i + 1, now_us(), 0};

			e = store_txn_run(s->st, 0, st_create_body, &a);
			t->attempts += a.attempts;
		} else {
			struct st_episode_arg a;
			int64_t now = now_us();

			memset(&a, 0, sizeof(a));
			bench_ids(i, id, exec);
			a.h = s->h;
			a.id = id;
			a.hist[0].type = EV_EXECUTION_STARTED;
			a.hist[0].event_id = -1;
			a.hist[0].task_id = -1;
			a.hist[0].timestamp = now;
			a.hist[0].name = ORCH_NAME;
			a.hist[0].execution_id = exec;
			a.hist[0].data = (char *)bench_input;
			a.hist[1].type = EV_TASK_SCHEDULED;
			a.hist[1].event_id = 0;
			a.hist[1].task_id = -1;
			a.hist[1].timestamp = now;
			a.hist[1].name = ACT_NAME;
			a.hist[1].data = ACT_INPUT;
			a.inst.id = id;
			a.inst.name = ORCH_NAME;
			a.inst.execution_id = exec;
			a.inst.status = STATUS_RUNNING;
			a.inst.updated = now;
			a.inst.input = (char *)bench_input;
			a.inst.parent_task_id = -1;
			e = store_txn_run(s->st, 0, st_episode_body, &a);
			t->attempts += a.attempts;
		}
		if (e != STORE_OK) {
			/* The transaction was aborted: what a caller would do is run
			 * it again. Counted and reported; persistent failure ends it. */
			log_warnx("store %s #%" PRIu64 ": %s", workload_name[work], i, store_strerror(e));
			t->errors++;
			if (++fails == MAX_OP_ERRORS)
				return -1;
			i--;
			continue;
		}
		fails = 0;
	}
	return 0;
}

/* ---- the raw Berkeley DB side ----------------------------------------------------- */

struct raw_side {
	DB_ENV *env;
	DB *catalog;
	DB *instances, *idx_created, *idx_status, *history, *inbox, *ready, *ready_time;
	DB *tasks, *timers, *functions, *entities, *meta;
};

static void
raw_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_warnx("berkeley db: %s", msg);
}

static void
raw_event(DB_ENV *env, u_int32_t event, void *info)
{
	(void)info;
	if (event == DB_EVENT_PANIC)
		env->app_private = (void *)1;
}

static void
raw_check(int ret, const char *what)
{
	if (ret != 0)
		fatalx("raw %s: %s", what, db_strerror(ret));
}

/* The same settings as store_env_configure() and store_env_open(). */
static void
raw_env_open(const char *dir, int dur, int create, struct raw_side *r)
{
	DB_ENV *env;

	memset(r, 0, sizeof(*r));
	raw_check(db_env_create(&env, 0), "db_env_create");
	env->set_errcall(env, raw_errcall);
	env->set_event_notify(env, raw_event);
	raw_check(env->set_lk_detect(env, DB_LOCK_YOUNGEST), "set_lk_detect");
	raw_check(env->set_timeout(env, 500 * 1000, DB_SET_LOCK_TIMEOUT), "set_timeout");
	raw_check(env->set_flags(env, DB_TIME_NOTGRANTED, 1), "set_flags");
	raw_check(env->set_lk_max_locks(env, 200000), "set_lk_max_locks");
	raw_check(env->set_lk_max_objects(env, 200000), "set_lk_max_objects");
	raw_check(env->set_lk_max_lockers(env, 20000), "set_lk_max_lockers");
	raw_check(env->set_cachesize(env, 0, 8u << 20, 1), "set_cachesize");
	raw_check(env->set_lg_bsize(env, 1u << 20), "set_lg_bsize");
	raw_check(env->set_lg_max(env, 10u << 20), "set_lg_max");
	if (dur == STORE_DURABLE_WRITE_NOSYNC)
		raw_check(env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1), "set_flags");
	else if (dur == STORE_DURABLE_NOSYNC)
		raw_check(env->set_flags(env, DB_TXN_NOSYNC, 1), "set_flags");
	raw_check(env->open(env, dir,
			    DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN | DB_REGISTER |
				    DB_RECOVER,
			    0600),
		  "env open");
	r->env = env;
	raw_check(db_create(&r->catalog, env, 0), "db_create");
	raw_check(r->catalog->open(r->catalog, NULL, "taskhub.db", "catalog", DB_BTREE,
				   DB_AUTO_COMMIT | (create ? DB_CREATE : 0), 0600),
		  "catalog open");
}

/* store_hub.c's secondary keys: be64(created) ‖ id, status ‖ be64(created) ‖ id, be64(when) ‖ id. */
static int
raw_idx_created(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const unsigned char *p = pdata->data;
	unsigned char *k;

	(void)sec;
	if (pdata->size < INST_HDR || p[0] == 0 || p[0] > 1 || p[1] >= 8)
		return DB_DONOTINDEX;
	if ((k = malloc(8 + pkey->size)) == NULL)
		return ENOMEM;
	be64(k, get64(p + 2));
	memcpy(k + 8, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 8 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
raw_idx_status(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const unsigned char *p = pdata->data;
	unsigned char *k;

	(void)sec;
	if (pdata->size < INST_HDR || p[0] == 0 || p[0] > 1 || p[1] >= 8)
		return DB_DONOTINDEX;
	if ((k = malloc(9 + pkey->size)) == NULL)
		return ENOMEM;
	k[0] = p[1];
	be64(k + 1, get64(p + 2));
	memcpy(k + 9, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 9 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
raw_idx_ready(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const unsigned char *p = pdata->data;
	unsigned char *k;

	(void)sec;
	if (pdata->size < TIME_LEN || p[0] == 0 || p[0] > 1)
		return DB_DONOTINDEX;
	if ((k = malloc(8 + pkey->size)) == NULL)
		return ENOMEM;
	be64(k, get64(p + 1));
	memcpy(k + 8, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 8 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static void
raw_dbt(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)p;
	d->size = (u_int32_t)n;
}

/* Opens (creating) the hub's twelve databases in one transaction, as store_hub_open_dbs. */
static void
raw_hub_open(struct raw_side *r, int create)
{
	struct {
		const char *name;
		DB **db;
	} dbs[] = {
		{"instances", &r->instances},   {"idx_created", &r->idx_created},
		{"idx_status", &r->idx_status}, {"history", &r->history},
		{"inbox", &r->inbox},           {"ready", &r->ready},
		{"ready_time", &r->ready_time}, {"tasks", &r->tasks},
		{"timers", &r->timers},         {"functions", &r->functions},
		{"entities", &r->entities},     {"meta", &r->meta},
	};
	unsigned char ver[4], when[TIME_LEN];
	DB_TXN *txn;
	DBT k, d;
	size_t i;

	raw_check(r->env->txn_begin(r->env, NULL, &txn, 0), "txn_begin");
	raw_dbt(&k, "benchhub", 8);
	if (create) {
		when[0] = 1;
		be64(when + 1, (uint64_t)now_us());
		raw_dbt(&d, when, sizeof(when));
		raw_check(r->catalog->put(r->catalog, txn, &k, &d, DB_NOOVERWRITE), "catalog put");
	} else {
		raw_dbt(&d, NULL, 0);
		raw_check(r->catalog->get(r->catalog, txn, &k, &d, 0), "catalog get");
	}
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		DB *db;

		raw_check(db_create(&db, r->env, 0), "db_create");
		raw_check(db->open(db, txn, HUB_FILE, dbs[i].name, DB_BTREE, create ? DB_CREATE : 0, 0600),
			  dbs[i].name);
		*dbs[i].db = db;
	}
	raw_check(r->instances->associate(r->instances, txn, r->idx_created, raw_idx_created, 0), "associate");
	raw_check(r->instances->associate(r->instances, txn, r->idx_status, raw_idx_status, 0), "associate");
	raw_check(r->ready->associate(r->ready, txn, r->ready_time, raw_idx_ready, 0), "associate");
	raw_dbt(&k, "schema", 6);
	if (create) {
		be32(ver, 1);
		raw_dbt(&d, ver, 4);
		raw_check(r->meta->put(r->meta, txn, &k, &d, 0), "meta put");
	} else {
		raw_dbt(&d, NULL, 0);
		raw_check(r->meta->get(r->meta, txn, &k, &d, 0), "meta get");
	}
	raw_check(txn->commit(txn, 0), "commit");
}

static void
raw_close(struct raw_side *r)
{
	DB **all[] = {&r->idx_created, &r->idx_status, &r->ready_time, &r->instances, &r->history,
		      &r->inbox,       &r->ready,      &r->tasks,      &r->timers,    &r->functions,
		      &r->entities,    &r->meta,       &r->catalog};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i] != NULL)
			(*all[i])->close(*all[i], 0);
	r->env->close(r->env, 0);
	memset(r, 0, sizeof(*r));
}

/* An instance value: the codec's header fields, the rest filler to the codec's length. */
static void
raw_inst_value(unsigned char *v, int status, const unsigned char *created_be, int64_t updated)
{
	memset(v, 'x', len_inst);
	v[0] = 1;
	v[1] = (unsigned char)status;
	memcpy(v + 2, created_be, 8);
	be64(v + 10, (uint64_t)updated);
	memset(v + 18, 0, 8);
	be32(v + 26, 0);
	be32(v + 30, 0xffffffffu);
}

static void
raw_event_value(unsigned char *v, size_t len, int type, int64_t ts)
{
	memset(v, 'e', len);
	v[0] = 1;
	v[1] = (unsigned char)(type >> 8);
	v[2] = (unsigned char)type;
	be64(v + 11, (uint64_t)ts);
}

/* store_instance_create's Berkeley DB calls for one instance. */
static int
raw_create_one(struct raw_side *r, DB_TXN *txn, uint64_t i, int64_t now)
{
	char id[33], exec[33];
	unsigned char inst[512], ev[512], when[TIME_LEN], created[8], key[64];
	size_t idlen;
	uint64_t seq = 1;
	int ret, t_ret, was_empty = 1;
	DBC *c;
	DBT k, d;

	bench_ids(i, id, exec);
	idlen = strlen(id);
	/* The singleton check: read with a write lock. */
	raw_dbt(&k, id, idlen);
	raw_dbt(&d, NULL, 0);
	if ((ret = r->instances->get(r->instances, txn, &k, &d, DB_RMW)) != DB_NOTFOUND)
		return ret == 0 ? DB_KEYEXIST : ret;
	be64(created, (uint64_t)now);
	raw_inst_value(inst, STATUS_PENDING, created, now);
	raw_dbt(&d, inst, len_inst);
	if ((ret = r->instances->put(r->instances, txn, &k, &d, 0)) != 0)
		return ret;
	/* Inbox append: find the last record before id‖1. */
	memcpy(key, id, idlen);
	key[idlen] = 1;
	if ((ret = r->inbox->cursor(r->inbox, txn, &c, 0)) != 0)
		return ret;
	raw_dbt(&k, key, idlen + 1);
	raw_dbt(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;
	ret = c->get(c, &k, &d, DB_SET_RANGE | DB_RMW);
	if (ret == 0)
		ret = c->get(c, &k, &d, DB_PREV | DB_RMW);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, &k, &d, DB_LAST | DB_RMW);
	if (ret == 0 && k.size == idlen + 9 && memcmp(k.data, id, idlen) == 0 &&
	    ((unsigned char *)k.data)[idlen] == 0) {
		seq = get64((unsigned char *)k.data + idlen + 1) + 1;
		was_empty = 0;
	}
	if ((t_ret = c->close(c)) != 0 && (ret == 0 || ret == DB_NOTFOUND))
		ret = t_ret;
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	key[idlen] = 0;
	be64(key + idlen + 1, seq);
	raw_event_value(ev, len_ev_started, EV_EXECUTION_STARTED, now);
	raw_dbt(&k, key, idlen + 9);
	raw_dbt(&d, ev, len_ev_started);
	if ((ret = r->inbox->put(r->inbox, txn, &k, &d, DB_NOOVERWRITE)) != 0)
		return ret;
	if (!was_empty)
		return 0;
	when[0] = 1;
	be64(when + 1, (uint64_t)now);
	raw_dbt(&k, id, idlen);
	raw_dbt(&d, when, TIME_LEN);
	ret = r->ready->put(r->ready, txn, &k, &d, DB_NOOVERWRITE);
	return ret == DB_KEYEXIST ? 0 : ret;
}

/* The episode's Berkeley DB calls: inbox take, two history puts, instance put. */
static int
raw_episode_one(struct raw_side *r, DB_TXN *txn, uint64_t i, int64_t now)
{
	char id[33], exec[33];
	unsigned char inst[512], ev[512], created[8], key[64];
	size_t idlen, n = 0;
	uint32_t s;
	u_int32_t op = DB_SET_RANGE;
	int ret, t_ret;
	DBC *c;
	DBT k, d;

	bench_ids(i, id, exec);
	idlen = strlen(id);
	/* Inbox take with consume: walk [id‖0, id‖1), deleting. */
	memcpy(key, id, idlen);
	key[idlen] = 0;
	be64(key + idlen + 1, 0);
	if ((ret = r->inbox->cursor(r->inbox, txn, &c, 0)) != 0)
		return ret;
	raw_dbt(&k, key, idlen + 9);
	raw_dbt(&d, NULL, 0);
	while ((ret = c->get(c, &k, &d, op | DB_RMW)) == 0) {
		op = DB_NEXT;
		if (k.size != idlen + 9 || memcmp(k.data, key, idlen + 1) != 0)
			break;
		n++;
		if ((ret = c->del(c, 0)) != 0)
			break;
	}
	/* Closing a cursor that deleted may remove the item from its page and
	 * so take locks: it can deadlock, and that must be retried too. */
	if ((t_ret = c->close(c)) != 0 && (ret == 0 || ret == DB_NOTFOUND))
		ret = t_ret;
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if (n != 1)
		fatalx("raw episode #%" PRIu64 ": %zu inbox events", i, n);
	raw_dbt(&k, id, idlen);
	if ((ret = r->ready->del(r->ready, txn, &k, 0)) != 0 && ret != DB_NOTFOUND)
		return ret;
	/* History: two events at positions 0 and 1, never overwritten. */
	for (s = 0; s < 2; s++) {
		be32(key + idlen + 1, s);
		if (s == 0)
			raw_event_value(ev, len_ev_started, EV_EXECUTION_STARTED, now);
		else
			raw_event_value(ev, len_ev_sched, EV_TASK_SCHEDULED, now);
		raw_dbt(&k, key, idlen + 5);
		raw_dbt(&d, ev, s == 0 ? len_ev_started : len_ev_sched);
		if ((ret = r->history->put(r->history, txn, &k, &d, DB_NOOVERWRITE)) != 0)
			return ret;
	}
	/* Instance put: read with a write lock, keep the created time. */
	raw_dbt(&k, id, idlen);
	raw_dbt(&d, NULL, 0);
	if ((ret = r->instances->get(r->instances, txn, &k, &d, DB_RMW)) != 0)
		return ret;
	if (d.size < INST_HDR)
		return DB_NOTFOUND;
	memcpy(created, (unsigned char *)d.data + 2, 8);
	raw_inst_value(inst, STATUS_RUNNING, created, now);
	raw_dbt(&d, inst, len_inst);
	return r->instances->put(r->instances, txn, &k, &d, 0);
}

/* A minimal txn_guide retry loop: abort and run again on deadlock or lock timeout. */
static int
raw_txn(struct raw_side *r, int work, uint64_t from, uint64_t to, struct tally *t)
{
	DB_TXN *txn;
	uint64_t i;
	unsigned attempt;
	int ret = DB_LOCK_DEADLOCK;
	int64_t now = now_us();

	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		t->attempts++;
		if ((ret = r->env->txn_begin(r->env, NULL, &txn, 0)) != 0)
			return ret;
		for (i = from, ret = 0; i < to && ret == 0; i++)
			ret = work == W_CREATE ? raw_create_one(r, txn, i, now) : raw_episode_one(r, txn, i, now);
		if (ret == 0)
			ret = txn->commit(txn, 0);
		else
			txn->abort(txn);
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
			return ret;
	}
	return ret;
}

static void
raw_preload(struct raw_side *r, uint64_t n)
{
	struct tally t = {0, 0};
	uint64_t i;

	for (i = 0; i < n; i += PRELOAD_BATCH)
		raw_check(raw_txn(r, W_CREATE, i, i + PRELOAD_BATCH < n ? i + PRELOAD_BATCH : n, &t), "preload");
}

static int
raw_run(struct raw_side *r, int work, uint64_t from, uint64_t to, struct tally *t)
{
	uint64_t i;
	unsigned fails = 0;
	int ret;

	for (i = from; i < to; i++) {
		if ((ret = raw_txn(r, work, i, i + 1, t)) != 0) {
			log_warnx("raw %s #%" PRIu64 ": %s", workload_name[work], i, db_strerror(ret));
			t->errors++;
			if (++fails == MAX_OP_ERRORS)
				return -1;
			i--;
			continue;
		}
		fails = 0;
	}
	return 0;
}

/*
 * Opens a store environment after its run (closed) with raw handles and
 * checks that every value has the length the raw side writes: keeps the
 * comparison honest if the codec changes.
 */
static void
verify_lengths(const char *dir, int work)
{
	struct raw_side r;
	struct {
		DB **db;
		const char *name;
		size_t a, b;
		int need[W_COUNT]; /* records expected after create, after episode */
	} chk[] = {
		{&r.instances, "instances", 0, 0, {1, 1}},
		{&r.inbox, "inbox", 0, 0, {1, 0}},
		{&r.history, "history", 0, 0, {0, 1}},
		{&r.ready, "ready", TIME_LEN, TIME_LEN, {1, 0}},
	};
	size_t i;
	uint64_t seen;
	DBC *c;
	DBT k, d;
	int ret;

	chk[0].a = chk[0].b = len_inst;
	chk[1].a = chk[1].b = len_ev_started;
	chk[2].a = len_ev_started;
	chk[2].b = len_ev_sched;
	raw_env_open(dir, STORE_DURABLE_NOSYNC, 0, &r);
	raw_hub_open(&r, 0);
	for (i = 0; i < sizeof(chk) / sizeof(chk[0]); i++) {
		raw_check((*chk[i].db)->cursor(*chk[i].db, NULL, &c, 0), "cursor");
		raw_dbt(&k, NULL, 0);
		raw_dbt(&d, NULL, 0);
		seen = 0;
		while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
			if (d.size != chk[i].a && d.size != chk[i].b)
				fatalx("%s: store value of %u bytes, raw writes %zu/%zu: update the bench", chk[i].name,
				       d.size, chk[i].a, chk[i].b);
			seen++;
		}
		c->close(c);
		if (ret != DB_NOTFOUND)
			raw_check(ret, "verify");
		if ((seen != 0) != chk[i].need[work])
			fatalx("%s: %" PRIu64 " records after %s, not what the bench expects", chk[i].name, seen,
			       workload_name[work]);
	}
	raw_close(&r);
}

/* ---- the harness -------------------------------------------------------------- */

struct runspec {
	int work, dur;
	int on[I_COUNT]; /* sides that run */
	uint64_t ops;    /* per side */
	uint64_t slice;  /* operations per slice */
	unsigned procs;
	char dir[I_COUNT][1024];
};

/* What one worker (or the combined workers) report per side. */
struct side_result {
	double wall; /* seconds spent in this side's slices (barrier to barrier) */
	double cpu;  /* user + system CPU seconds in them, summed over processes */
	struct tally tally;
};

struct result {
	struct side_result side[I_COUNT];
	int err;
};

/* A forked worker's message to the parent. */
struct report {
	unsigned who;
	struct result res;
};

/* Shared by the workers of one run (MAP_SHARED, so across fork). */
struct shared {
	pthread_barrier_t bar;
	volatile int failed;
};

static int
run_slice(int impl, struct st_side *s, struct raw_side *r, int work, uint64_t from, uint64_t to, struct tally *t)
{
	if (from >= to)
		return 0;
	if (impl == I_STORE)
		return st_run(s, work, from, to, t);
	return raw_run(r, work, from, to, t);
}

/*
 * One process's share of a run: opens the environment of each side, then
 * alternates slices of operations between the sides (which side goes first
 * alternates too), all processes entering and leaving each slice together.
 * Background load thus falls on both sides alike. A slice's wall time runs
 * from the barrier that starts it to the barrier that ends it.
 */
static struct result
worker(const struct runspec *rs, unsigned k, struct shared *sh)
{
	struct result res;
	uint64_t per = (rs->ops + rs->procs - 1) / rs->procs, nslices = (per + rs->slice - 1) / rs->slice;
	uint64_t from = rs->ops * k / rs->procs, to = rs->ops * (k + 1) / rs->procs, j;
	struct st_side s;
	struct raw_side r;
	double t0, c0;
	int o;

	memset(&res, 0, sizeof(res));
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	if (rs->on[I_STORE])
		st_open(rs->dir[I_STORE], rs->dur, 0, &s);
	if (rs->on[I_RAW]) {
		raw_env_open(rs->dir[I_RAW], rs->dur, 0, &r);
		raw_hub_open(&r, 0);
	}
	for (j = 0; j < nslices; j++)
		for (o = 0; o < I_COUNT; o++) {
			int impl = j % 2 == 0 ? o : I_COUNT - 1 - o;
			uint64_t lo = from + j * rs->slice, hi = lo + rs->slice < to ? lo + rs->slice : to;

			if (!rs->on[impl])
				continue;
			pthread_barrier_wait(&sh->bar);
			t0 = now_sec();
			c0 = cpu_sec();
			if (!sh->failed && run_slice(impl, &s, &r, rs->work, lo, hi, &res.side[impl].tally) != 0)
				sh->failed = res.err = 1;
			res.side[impl].cpu += cpu_sec() - c0;
			pthread_barrier_wait(&sh->bar);
			res.side[impl].wall += now_sec() - t0;
		}
	if (rs->on[I_STORE])
		store_close(s.st);
	if (rs->on[I_RAW])
		raw_close(&r);
	return res;
}

/* Creates each side's environment and hub, and for episodes its instances. */
static void
setup(const struct runspec *rs)
{
	struct st_side s;
	struct raw_side r;

	if (rs->on[I_STORE]) {
		st_open(rs->dir[I_STORE], rs->dur, 1, &s);
		if (rs->work == W_EPISODE)
			st_preload(&s, rs->ops);
		store_close(s.st);
	}
	if (rs->on[I_RAW]) {
		raw_env_open(rs->dir[I_RAW], rs->dur, 1, &r);
		raw_hub_open(&r, 1);
		if (rs->work == W_EPISODE)
			raw_preload(&r, rs->ops);
		raw_close(&r);
	}
}

/* One run: set-up, then the workers (forked when more than one); their results combined. */
static struct result
run_once(const struct runspec *rs)
{
	struct result res[MAX_PROCS], all;
	pthread_barrierattr_t ba;
	struct shared *sh;
	int out[2], status, i;
	pid_t pid[MAX_PROCS];
	unsigned k;

	setup(rs);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		fatal("mmap");
	sh->failed = 0;
	if (pthread_barrierattr_init(&ba) != 0 || pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_barrier_init(&sh->bar, &ba, rs->procs) != 0)
		fatalx("cannot make a process-shared barrier");
	pthread_barrierattr_destroy(&ba);
	if (rs->procs == 1) {
		all = worker(rs, 0, sh);
		pthread_barrier_destroy(&sh->bar);
		munmap(sh, sizeof(*sh));
		return all;
	}
	if (pipe(out) == -1)
		fatal("pipe");
	fflush(NULL);
	for (k = 0; k < rs->procs; k++) {
		if ((pid[k] = fork()) == -1)
			fatal("fork");
		if (pid[k] == 0) {
			struct report me;

			close(out[0]);
			me.who = k;
			me.res = worker(rs, k, sh);
			/* One write of less than PIPE_BUF: reports never interleave. */
			if (write(out[1], &me, sizeof(me)) != (ssize_t)sizeof(me))
				_exit(2);
			_exit(me.res.err ? 1 : 0);
		}
	}
	close(out[1]);
	memset(&all, 0, sizeof(all));
	for (k = 0; k < rs->procs; k++) {
		struct report rep;

		if (read(out[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep) || rep.who >= rs->procs) {
			all.err = 1;
			break;
		}
		res[rep.who] = rep.res;
	}
	close(out[0]);
	for (k = 0; k < rs->procs; k++)
		if (waitpid(pid[k], &status, 0) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			all.err = 1;
	pthread_barrier_destroy(&sh->bar);
	munmap(sh, sizeof(*sh));
	if (all.err)
		return all;
	/* Every process passes the same barriers: any one's wall time is the run's. */
	for (i = 0; i < I_COUNT; i++) {
		all.side[i].wall = res[0].side[i].wall;
		for (k = 0; k < rs->procs; k++) {
			all.side[i].cpu += res[k].side[i].cpu;
			all.side[i].tally.attempts += res[k].side[i].tally.attempts;
			all.side[i].tally.errors += res[k].side[i].tally.errors;
		}
	}
	return all;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* 12345.6 -> "12,346" */
static const char *
thousands(double v, char *buf, size_t cap)
{
	char raw[32];
	size_t n, i, o = 0;

	snprintf(raw, sizeof(raw), "%.0f", v);
	n = strlen(raw);
	for (i = 0; i < n && o + 2 < cap; i++) {
		buf[o++] = raw[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

static int
parse_list(const char *arg, const char *const *names, int nnames, int *out, int max)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int n = 0, i;

	if (copy == NULL)
		fatal("strdup");
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames && strcmp(tok, names[i]) != 0; i++)
			;
		if (i == nnames || n == max) {
			free(copy);
			return -1;
		}
		out[n++] = i;
	}
	free(copy);
	return n;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_store [-n ops] [-N ops] [-s ops] [-r reps] [-p procs] [-d durabilities] [-c cases]\n"
		"                   [-i store|raw] [-t tmpdir] [-k] [-v] | -V\n"
		"  -n  operations per run with full durability (default 4000)\n"
		"  -N  operations per run with write-nosync and nosync (default 20000)\n"
		"  -s  operations per slice; store and raw alternate slices (default 100)\n"
		"  -r  runs per case; the median is reported (default 3)\n"
		"  -p  processes sharing the environment (default 1, at most %d)\n"
		"  -d  comma list of full, write-nosync, nosync (default all)\n"
		"  -c  comma list of create, episode (default both)\n"
		"  -i  only this side (for profiling); no ratio\n"
		"  -t  where the temporary environments go (default $TMPDIR or /tmp)\n"
		"  -k  keep the environments (paths on stderr)\n"
		"  -v  each run on stderr\n"
		"  -V  print the Berkeley DB version and exit\n",
		MAX_PROCS);
	exit(2);
}

static unsigned long
parse_num(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void
parse_args(int argc, char **argv, struct conf *cf)
{
	const char *t = getenv("TMPDIR");
	int c, i, which[I_COUNT];

	memset(cf, 0, sizeof(*cf));
	cf->ops_full = 4000;
	cf->ops_fast = 20000;
	cf->slice = 100;
	cf->reps = 3;
	cf->procs = 1;
	cf->ndur = 3;
	for (i = 0; i < 3; i++)
		cf->dur[i] = i;
	cf->nwork = W_COUNT;
	for (i = 0; i < W_COUNT; i++)
		cf->work[i] = i;
	cf->impl_on[I_STORE] = cf->impl_on[I_RAW] = 1;
	cf->tmp = t != NULL && *t != '\0' ? t : "/tmp";
	while ((c = getopt(argc, argv, "n:N:s:r:p:d:c:i:t:kvVh")) != -1) {
		switch (c) {
		case 'n':
			cf->ops_full = parse_num(optarg, 1, 100000000);
			break;
		case 'N':
			cf->ops_fast = parse_num(optarg, 1, 100000000);
			break;
		case 's':
			cf->slice = parse_num(optarg, 1, 100000000);
			break;
		case 'r':
			cf->reps = (unsigned)parse_num(optarg, 1, 99);
			break;
		case 'p':
			cf->procs = (unsigned)parse_num(optarg, 1, MAX_PROCS);
			break;
		case 'd':
			if ((cf->ndur = parse_list(optarg, dur_name, 3, cf->dur, 3)) <= 0)
				usage();
			break;
		case 'c':
			if ((cf->nwork = parse_list(optarg, workload_name, W_COUNT, cf->work, W_COUNT)) <= 0)
				usage();
			break;
		case 'i':
			if (parse_list(optarg, impl_name, I_COUNT, which, 1) != 1)
				usage();
			cf->impl_on[I_STORE] = which[0] == I_STORE;
			cf->impl_on[I_RAW] = which[0] == I_RAW;
			break;
		case 't':
			cf->tmp = optarg;
			break;
		case 'k':
			cf->keep = 1;
			break;
		case 'v':
			cf->verbose = 1;
			break;
		case 'V':
			printf("%s\n", db_version(NULL, NULL, NULL));
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/* A table row: medians over the runs of one case. */
struct row {
	double ops[I_COUNT];    /* ops/s */
	double cpu_us[I_COUNT]; /* CPU µs per operation */
	double ratio;           /* median of the runs' own store/raw, 0 if one side is off */
	char per_run[64];       /* store/raw of each run, in percent */
	uint64_t retries[I_COUNT];
	uint64_t errors[I_COUNT];
	double load; /* 1-minute load average when the case began */
};

/* One case: reps runs, each in fresh environments; medians per side. */
static void
run_case(const struct conf *cf, int work, int dur, struct row *row)
{
	double ops[I_COUNT][99], cpu[I_COUNT][99];
	static int verified[W_COUNT];
	struct runspec rs;
	struct result res;
	unsigned rep;
	double la[1] = {0};
	int j;

	memset(row, 0, sizeof(*row));
	if (getloadavg(la, 1) == 1)
		row->load = la[0];
	for (rep = 0; rep < cf->reps; rep++) {
		memset(&rs, 0, sizeof(rs));
		rs.work = work;
		rs.dur = dur;
		rs.ops = dur == STORE_DURABLE_FULL ? cf->ops_full : cf->ops_fast;
		rs.slice = cf->slice;
		rs.procs = cf->procs;
		for (j = 0; j < I_COUNT; j++) {
			if (!(rs.on[j] = cf->impl_on[j]))
				continue;
			snprintf(rs.dir[j], sizeof(rs.dir[j]), "%s/bench_store.XXXXXX", cf->tmp);
			if (mkdtemp(rs.dir[j]) == NULL)
				fatal("mkdtemp %s", rs.dir[j]);
		}
		res = run_once(&rs);
		if (res.err)
			fatalx("%s %s failed (environments kept in %s %s)", workload_name[work], dur_name[dur],
			       rs.dir[I_STORE], rs.dir[I_RAW]);
		if (rs.on[I_STORE] && !verified[work]) {
			verify_lengths(rs.dir[I_STORE], work);
			verified[work] = 1;
		}
		for (j = 0; j < I_COUNT; j++) {
			if (!rs.on[j])
				continue;
			ops[j][rep] = (double)rs.ops / res.side[j].wall;
			cpu[j][rep] = res.side[j].cpu * 1e6 / (double)rs.ops;
			row->retries[j] += res.side[j].tally.attempts - rs.ops;
			row->errors[j] += res.side[j].tally.errors;
			if (cf->verbose)
				fprintf(stderr,
					"  %-7s %-12s %-5s run %u: %8.0f ops/s %6.1f CPU us/op %5" PRIu64 " retries\n",
					workload_name[work], dur_name[dur], impl_name[j], rep + 1, ops[j][rep],
					cpu[j][rep], res.side[j].tally.attempts - rs.ops);
			if (cf->keep)
				fprintf(stderr, "  kept %s\n", rs.dir[j]);
			else
				rmtree(rs.dir[j]);
		}
	}
	if (cf->impl_on[I_STORE] && cf->impl_on[I_RAW]) {
		double ratio[99];

		/* Both sides of a run shared its slices of time: the run's own
		 * ratio is the robust figure, its median the one reported. */
		for (rep = 0; rep < cf->reps; rep++) {
			size_t n = strlen(row->per_run);

			ratio[rep] = ops[I_STORE][rep] / ops[I_RAW][rep];
			snprintf(row->per_run + n, sizeof(row->per_run) - n, "%s%.0f", rep ? " " : "",
				 100 * ratio[rep]);
		}
		row->ratio = median(ratio, cf->reps);
	}
	for (j = 0; j < I_COUNT; j++)
		if (cf->impl_on[j]) {
			row->ops[j] = median(ops[j], cf->reps);
			row->cpu_us[j] = median(cpu[j], cf->reps);
		}
}

int
main(int argc, char **argv)
{
	struct conf cf;
	struct row row;
	double la[3];
	char b1[32], b2[32];
	uint64_t errors[I_COUNT] = {0, 0};
	int d, w, below = 0;

	log_init("bench_store", 0);
	parse_args(argc, argv, &cf);
	len_inst = INST_HDR + tagged_len(ORCH_NAME) + tagged_len("0123456789abcdef0123456789abcdef") +
		   tagged_len(bench_input);
	len_ev_started = EVENT_HDR + tagged_len(ORCH_NAME) + tagged_len("0123456789abcdef0123456789abcdef") +
			 tagged_len(bench_input);
	len_ev_sched = EVENT_HDR + tagged_len(ACT_NAME) + tagged_len(ACT_INPUT);

	printf("### Store throughput: %u process%s, median of %u run%s\n\n", cf.procs, cf.procs == 1 ? "" : "es",
	       cf.reps, cf.reps == 1 ? "" : "s");
	printf("%s; input %zu bytes; values: instance %zu, ExecutionStarted %zu, TaskScheduled %zu bytes\n\n",
	       db_version(NULL, NULL, NULL), strlen(bench_input), len_inst, len_ev_started, len_ev_sched);
	printf("| case | durability | ops/run | store ops/s | raw ops/s | store/raw | per run %% "
	       "| CPU µs/op store / raw | retries store / raw | load |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	for (d = 0; d < cf.ndur; d++)
		for (w = 0; w < cf.nwork; w++) {
			int dur = cf.dur[d], work = cf.work[w];
			unsigned long ops = dur == STORE_DURABLE_FULL ? cf.ops_full : cf.ops_fast;
			char ratio[48];

			run_case(&cf, work, dur, &row);
			if (row.ratio > 0) {
				double r = row.ratio;

				snprintf(ratio, sizeof(ratio), "%.0f%%%s", r * 100, r < 0.8 ? " **below 80%**" : "");
				below |= r < 0.8;
			} else
				snprintf(ratio, sizeof(ratio), "n/a");
			printf("| %s | %s | %lu | %s | %s | %s | %s | %.1f / %.1f | %" PRIu64 " / %" PRIu64
			       " | %.2f |\n",
			       workload_name[work], dur_name[dur], ops,
			       row.ops[I_STORE] > 0 ? thousands(row.ops[I_STORE], b1, sizeof(b1)) : "-",
			       row.ops[I_RAW] > 0 ? thousands(row.ops[I_RAW], b2, sizeof(b2)) : "-", ratio,
			       row.per_run[0] ? row.per_run : "-", row.cpu_us[I_STORE], row.cpu_us[I_RAW],
			       row.retries[I_STORE], row.retries[I_RAW], row.load);
			fflush(stdout);
			errors[I_STORE] += row.errors[I_STORE];
			errors[I_RAW] += row.errors[I_RAW];
		}
	printf("\nops/s: median per side; store/raw: median of the runs' own ratios (both sides of a run share its "
	       "time slices); CPU: user + system per operation; retries: deadlocks and lock timeouts retried.\n");
	if (getloadavg(la, 3) == 3)
		printf("Load average at the end: %.2f %.2f %.2f.\n", la[0], la[1], la[2]);
	if (errors[I_STORE] + errors[I_RAW] > 0)
		printf("Operations that failed with an error and were run again: store %" PRIu64 ", raw %" PRIu64
		       " (messages on stderr).\n",
		       errors[I_STORE], errors[I_RAW]);
	if (cf.impl_on[I_STORE] && cf.impl_on[I_RAW])
		printf("Goal store/raw >= 80%%: %s.\n", below ? "missed in at least one case" : "met in every case");
	return 0;
}
