/*
 * store_env.c — opening, recovering and closing the Berkeley DB
 * environment, and the mapping of Berkeley DB errors to the domain.
 *
 * Several kinds of process share one environment: many short-lived
 * responders (which mod_fcgid may kill at any moment), one daemon, the
 * operator's tool. What keeps a killed process from wedging the rest
 * (DESIGN §2):
 *  - DB_REGISTER|DB_RECOVER: each opener registers its pid; an opener that
 *    finds a dead registrant runs recovery, and the live processes see
 *    DB_RUNRECOVERY and reopen (store->panic, handled in store_txn.c);
 *  - a process blocked on a lock held by a dead one times out (the
 *    watchdog thread below makes timeouts fire), and its retry reopens the
 *    environment, which is exactly the DB_REGISTER check above.
 *
 * Not failchk. Berkeley DB 5.3 as Debian builds it uses process-shared
 * pthread mutexes and condition variables; failchk's clean-up of a process
 * that died waiting for a lock calls pthread_cond_destroy on the dead
 * waiter's condition variable, which glibc (>= 2.25) blocks on forever, and
 * at open it does so under the registry lock, wedging every later opener.
 * The crash tests (a victim killed while waiting for a lock) reproduce it.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fault.h"
#include "common/log.h"
#include "store/store_int.h"

static const char *const store_errstr[STORE_ERR_COUNT] = {
	[STORE_OK] = "success",
	[STORE_NOTFOUND] = "not found",
	[STORE_EXISTS] = "already exists",
	[STORE_STATE] = "not allowed in the current state",
	[STORE_INVALID] = "invalid argument",
	[STORE_TOOBIG] = "value too large",
	[STORE_NOHUB] = "no such task hub",
	[STORE_BUSY] = "store busy, try again",
	[STORE_NOSPACE] = "no space left on the store's file system",
	[STORE_IO] = "store I/O error",
	[STORE_CORRUPT] = "stored record is corrupt",
	[STORE_NOMEM] = "out of memory",
	[STORE_VERSION] = "store schema is newer than this program",
	[STORE_RETRY] = "transaction must be retried",
	[STORE_NOFUNCTION] = "no such orchestrator function",
};

const char *
store_strerror(enum store_err e)
{
	if ((unsigned)e >= STORE_ERR_COUNT)
		return "unknown store error";
	return store_errstr[e];
}

int
store_durability_parse(const char *s)
{
	if (strcmp(s, "full") == 0)
		return STORE_DURABLE_FULL;
	if (strcmp(s, "write-nosync") == 0)
		return STORE_DURABLE_WRITE_NOSYNC;
	if (strcmp(s, "nosync") == 0)
		return STORE_DURABLE_NOSYNC;
	return -1;
}

void
store_options_init(struct store_options *o)
{
	memset(o, 0, sizeof(*o));
	o->durability = STORE_DURABLE_FULL;
	o->lock_timeout_ms = 500;
	o->max_retries = 20;
	o->stall_ms = 20000;
	o->min_free_bytes = 16u << 20;
}

enum store_err
store_dberr(struct store *st, int ret)
{
	switch (ret) {
	case 0:
		return STORE_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return STORE_NOTFOUND;
	case DB_KEYEXIST:
		return STORE_EXISTS;
	case DB_LOCK_NOTGRANTED:
		/* A lock timeout (DB_TIME_NOTGRANTED): the holder may be dead. */
		st->lock_timeout = 1;
		return STORE_RETRY;
	case DB_LOCK_DEADLOCK:
		return STORE_RETRY;
	case ENOSPC:
		return STORE_NOSPACE;
	case ENOMEM:
		return STORE_NOMEM;
	case DB_RUNRECOVERY:
		/* The environment is panicked; every handle must be reopened. */
		st->panic = 1;
		st->panicked = 1;
		return STORE_RETRY;
	default:
		return STORE_IO;
	}
}

#ifdef TH_FAULT_INJECT
int
store_fault_write(void)
{
	switch (fault_dbwrite()) {
	case FAULT_DB_DEADLOCK:
		return DB_LOCK_DEADLOCK;
	case FAULT_DB_NOSPACE:
		return ENOSPC;
	case FAULT_DB_IO:
		return EIO;
	case FAULT_DB_NONE:
		break;
	}
	return 0;
}
#endif

static void
store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_warnx("berkeley db: %s", msg);
}

/* Informational messages (recovery's progress, for one) would go to
 * stdout, which in the responder is the HTTP response: log them instead. */
static void
store_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	log_info("berkeley db: %s", msg);
}

static void
store_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct store *st = env->app_private;

	(void)info;
	if (event == DB_EVENT_PANIC && st != NULL)
		st->panic = 1;
}

/* Creates and configures an environment handle; each setting says why. */
static int
store_env_configure(struct store *st, DB_ENV **out)
{
	DB_ENV *env;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0)
		return ret;
	env->app_private = st;
	env->set_errcall(env, store_errcall);
	env->set_msgcall(env, store_msgcall);
	env->set_event_notify(env, store_event);
	/* Detect deadlock cycles whenever a lock request blocks; the youngest
	 * transaction loses and the retry wrapper runs it again. */
	if ((ret = env->set_lk_detect(env, DB_LOCK_YOUNGEST)) != 0)
		goto fail;
	/* A waiter gives up after this long, so a lock left by a dead process
	 * costs at most one timeout before the retry's reopen recovers. */
	if ((ret = env->set_timeout(env, (db_timeout_t)st->opt.lock_timeout_ms * 1000, DB_SET_LOCK_TIMEOUT)) != 0)
		goto fail;
	/* A timed-out wait says so (DB_LOCK_NOTGRANTED) instead of posing as a
	 * deadlock: the retry wrapper then checks for a dead holder. */
	if ((ret = env->set_flags(env, DB_TIME_NOTGRANTED, 1)) != 0)
		goto fail;
	/* Purges and scans lock many pages in one transaction. */
	if ((ret = env->set_lk_max_locks(env, 200000)) != 0 || (ret = env->set_lk_max_objects(env, 200000)) != 0 ||
	    (ret = env->set_lk_max_lockers(env, 20000)) != 0)
		goto fail;
	if ((ret = env->set_cachesize(env, 0, st->opt.cache_bytes ? (u_int32_t)st->opt.cache_bytes : 8u << 20, 1)) != 0)
		goto fail;
	/* An in-memory log buffer large enough for a fan-out episode; files of
	 * 10 MiB so that maintenance can remove them in useful steps. */
	if ((ret = env->set_lg_bsize(env, 1u << 20)) != 0 || (ret = env->set_lg_max(env, 10u << 20)) != 0)
		goto fail;
	switch (st->opt.durability) {
	case STORE_DURABLE_WRITE_NOSYNC:
		ret = env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
		break;
	case STORE_DURABLE_NOSYNC:
		ret = env->set_flags(env, DB_TXN_NOSYNC, 1);
		break;
	default:
		ret = 0;
	}
	if (ret != 0)
		goto fail;
	*out = env;
	return 0;
fail:
	env->close(env, 0);
	return ret;
}

/*
 * A transaction attempt that has not ended after stall_ms is wedged: with
 * no failchk (see docs/store.md), a process that died holding one of
 * Berkeley DB's region mutexes (the log's, during a flush; a buffer's)
 * leaves every waiter blocked in the mutex for ever, and no timeout
 * applies to mutexes. Nothing inside this process can undo that, so the
 * process gives up: the on_stall callback (a daemon re-executes itself),
 * else exit. Its successor's open finds the dead process through
 * DB_REGISTER and recovers the environment.
 */
static void
store_stall_check(struct store *st)
{
	int64_t since = __atomic_load_n(&st->attempt_since, __ATOMIC_RELAXED);
	struct timespec ts;
	int64_t now;

	if (since == 0 || st->opt.stall_ms == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (now - since < (int64_t)st->opt.stall_ms * 1000)
		return;
	log_warnx("a transaction on %s has been blocked for %u ms: a process probably died holding a Berkeley DB "
		  "mutex; this process restarts so that the environment is recovered",
		  st->home, st->opt.stall_ms);
	if (st->opt.on_stall != NULL)
		st->opt.on_stall();
	_exit(75); /* EX_TEMPFAIL: the web server or supervisor starts a fresh one */
}

static void *
store_stall_main(void *arg)
{
	struct store *st = arg;
	struct timespec ts;
	long step_ms = st->opt.stall_ms / 4;

	if (step_ms < 50)
		step_ms = 50;
	pthread_mutex_lock(&st->stall_mu);
	while (!st->stall_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (step_ms % 1000) * 1000000L;
		ts.tv_sec += step_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&st->stall_cv, &st->stall_mu, &ts);
		if (st->stall_stop)
			break;
		pthread_mutex_unlock(&st->stall_mu);
		store_stall_check(st);
		pthread_mutex_lock(&st->stall_mu);
	}
	pthread_mutex_unlock(&st->stall_mu);
	return NULL;
}

static void
store_stall_start(struct store *st)
{
	pthread_condattr_t ca;
	sigset_t all, old;

	if (st->opt.stall_ms == 0)
		return;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&st->stall_mu, NULL);
	pthread_cond_init(&st->stall_cv, &ca);
	pthread_condattr_destroy(&ca);
	st->stall_stop = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	st->stall_running = pthread_create(&st->stall_thread, NULL, store_stall_main, st) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!st->stall_running) {
		pthread_cond_destroy(&st->stall_cv);
		pthread_mutex_destroy(&st->stall_mu);
		log_warnx("no stall watch: cannot start its thread");
	}
}

static void
store_stall_stop(struct store *st)
{
	if (!st->stall_running)
		return;
	pthread_mutex_lock(&st->stall_mu);
	st->stall_stop = 1;
	pthread_cond_signal(&st->stall_cv);
	pthread_mutex_unlock(&st->stall_mu);
	pthread_join(st->stall_thread, NULL);
	pthread_cond_destroy(&st->stall_cv);
	pthread_mutex_destroy(&st->stall_mu);
	st->stall_running = 0;
}

/*
 * The watchdog thread: expire lock waits that passed the lock timeout.
 * Any live process's watchdog wakes every waiter of the environment, and
 * the waiter's retry then reopens, recovering if the holder died.
 */
static void *
store_detector_main(void *arg)
{
	struct store *st = arg;
	struct timespec ts;
	long step_ms = st->opt.lock_timeout_ms / 4;

	if (step_ms < 10)
		step_ms = 10;
	pthread_mutex_lock(&st->detector_mu);
	while (!st->detector_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (step_ms % 1000) * 1000000L;
		ts.tv_sec += step_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&st->detector_cv, &st->detector_mu, &ts);
		if (st->detector_stop)
			break;
		pthread_mutex_unlock(&st->detector_mu);
		(void)st->detector_env->lock_detect(st->detector_env, 0, DB_LOCK_EXPIRE, NULL);
		pthread_mutex_lock(&st->detector_mu);
	}
	pthread_mutex_unlock(&st->detector_mu);
	return NULL;
}

static int
store_detector_start(struct store *st)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	DB_ENV *denv;
	int rc;

	/* A handle of its own, so the main handles need not be free-threaded
	 * (DB_THREAD would force allocation flags on every DBT). It joins the
	 * environment without DB_REGISTER: one registration per process. */
	if (db_env_create(&denv, 0) != 0)
		return -1;
	denv->set_errcall(denv, store_errcall);
	denv->set_msgcall(denv, store_msgcall);
	/* When another process recovers the environment it panics this one; a
	 * thread of ours blocked in a lock wait must still be woken at its
	 * timeout (it then sees the panic and reopens), so the watchdog alone
	 * ignores the panic. It only expires lock requests. */
	denv->set_flags(denv, DB_NOPANIC, 1);
	if (denv->open(denv, st->home, DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN, 0) != 0) {
		denv->close(denv, 0);
		return -1;
	}
	st->detector_env = denv;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&st->detector_mu, NULL);
	pthread_cond_init(&st->detector_cv, &ca);
	pthread_condattr_destroy(&ca);
	st->detector_stop = 0;
	/* Signals stay with the main thread (the daemon's self-pipe, SIGTERM
	 * handling in the responder). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->detector, NULL, store_detector_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&st->detector_cv);
		pthread_mutex_destroy(&st->detector_mu);
		denv->close(denv, 0);
		st->detector_env = NULL;
		return -1;
	}
	st->detector_running = 1;
	return 0;
}

/*
 * The handles of a panicked environment. Berkeley DB refuses every call on
 * them, closes included, so they can be neither used nor freed; closing
 * them with DB_NOPANIC does free them, but tears down the old shared
 * region under the other processes still attached to it (the CI's
 * sanitizer run caught one crashing in a later close). So they are kept
 * here, reachable, for the life of the process (store_worn() tells the
 * process to hand over to a fresh one). Append-only; one store handle per
 * process, so no lock.
 */
static void **store_graveyard;
static size_t store_graveyard_n, store_graveyard_cap;

static void
store_retire(void *handle)
{
	void **nv;

	if (handle == NULL)
		return;
	if (store_graveyard_n == store_graveyard_cap) {
		size_t ncap = store_graveyard_cap ? store_graveyard_cap * 2 : 32;

		if ((nv = realloc(store_graveyard, ncap * sizeof(*nv))) == NULL)
			return; /* then it is only unreachable: no worse */
		store_graveyard = nv;
		store_graveyard_cap = ncap;
	}
	store_graveyard[store_graveyard_n++] = handle;
}

static void
store_detector_stop(struct store *st)
{
	if (!st->detector_running)
		return;
	pthread_mutex_lock(&st->detector_mu);
	st->detector_stop = 1;
	pthread_cond_signal(&st->detector_cv);
	pthread_mutex_unlock(&st->detector_mu);
	pthread_join(st->detector, NULL);
	pthread_cond_destroy(&st->detector_cv);
	pthread_mutex_destroy(&st->detector_mu);
	if (st->panicked)
		store_retire(st->detector_env);
	else
		st->detector_env->close(st->detector_env, 0);
	st->detector_env = NULL;
	st->detector_running = 0;
}

static enum store_err
store_env_open(struct store *st)
{
	u_int32_t flags;
	int ret, mode = st->opt.group_shared ? 0660 : 0600;
	DB *cat = NULL;

	if ((ret = store_env_configure(st, &st->env)) != 0)
		return store_dberr(st, ret);
	/* DB_REGISTER + DB_RECOVER: run recovery when a registered process died
	 * (or at creation); not DB_FAILCHK (see the top of this file).
	 * DB_CREATE is needed for the regions even when the files exist. */
	flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN | DB_REGISTER | DB_RECOVER;
	if ((ret = st->env->open(st->env, st->home, flags, mode)) != 0)
		goto fail;
	if ((ret = store_space_back_regions(st->home)) != 0) {
		log_warnx("cannot give the regions of %s their disk space: %s", st->home, strerror(ret));
		goto fail;
	}
	if ((ret = db_create(&cat, st->env, 0)) != 0)
		goto fail;
	ret = cat->open(cat, NULL, "taskhub.db", "catalog", DB_BTREE, DB_AUTO_COMMIT | (st->opt.create ? DB_CREATE : 0),
			mode);
	if (ret != 0) {
		cat->close(cat, 0);
		if (ret == ENOENT) {
			log_warnx("%s is not a taskhub environment (run taskhubctl init)", st->home);
			st->env->close(st->env, 0);
			st->env = NULL;
			return STORE_NOTFOUND;
		}
		goto fail;
	}
	st->catalog = cat;
	st->panic = 0;
	if (store_detector_start(st) == -1) {
		log_warnx("cannot start the lock watchdog thread");
		st->catalog->close(st->catalog, 0);
		st->catalog = NULL;
		ret = ENOMEM;
		goto fail;
	}
	return STORE_OK;
fail:
	/* Say which step failed and how: "store I/O error" alone left a
	 * failed open under load unexplained. */
	log_warnx("cannot open environment %s: %s", st->home, db_strerror(ret));
	st->env->close(st->env, 0);
	st->env = NULL;
	return ret == ENOSPC ? STORE_NOSPACE : STORE_IO;
}

static void
store_env_close(struct store *st, int nosync)
{
	struct store_hub *h;

	store_detector_stop(st);
	if (st->panicked) {
		for (h = st->hubs; h != NULL; h = h->next)
			store_hub_release_dbs(h, 0, store_retire);
		store_retire(st->catalog);
		store_retire(st->env);
		st->catalog = NULL;
		st->env = NULL;
		return;
	}
	for (h = st->hubs; h != NULL; h = h->next)
		store_hub_close_dbs(h, nosync);
	if (st->catalog != NULL)
		st->catalog->close(st->catalog, nosync ? DB_NOSYNC : 0);
	st->catalog = NULL;
	if (st->env != NULL)
		st->env->close(st->env, 0);
	st->env = NULL;
}

enum store_err
store_open(const char *home, const struct store_options *o, struct store **out)
{
	struct store *st;
	enum store_err e;
	struct stat sb;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->home = strdup(home)) == NULL) {
		free(st);
		return STORE_NOMEM;
	}
	if (o != NULL)
		st->opt = *o;
	else
		store_options_init(&st->opt);
	if (st->opt.max_retries == 0)
		st->opt.max_retries = 1;
	if (stat(home, &sb) == -1) {
		if (errno != ENOENT || !st->opt.create) {
			log_warn("%s", home);
			e = STORE_NOTFOUND;
			goto fail;
		}
		/* setgid directory: files inherit the shared group (DESIGN: 2770). */
		if (mkdir(home, st->opt.group_shared ? 02770 : 0700) == -1) {
			log_warn("mkdir %s", home);
			e = STORE_IO;
			goto fail;
		}
		if (st->opt.group_shared)
			chmod(home, 02770);
	}
	if (!st->opt.create) {
		/* Joining would leave region files in a directory that is not an
		 * environment: look for the catalog file first. */
		char cat[4096];

		snprintf(cat, sizeof(cat), "%s/taskhub.db", home);
		if (stat(cat, &sb) == -1) {
			log_warnx("%s is not a taskhub environment (run taskhubctl init)", home);
			e = STORE_NOTFOUND;
			goto fail;
		}
	}
	if ((e = store_env_open(st)) != STORE_OK)
		goto fail;
	store_stall_start(st);
	*out = st;
	return STORE_OK;
fail:
	free(st->home);
	free(st);
	return e;
}

void
store_close(struct store *st)
{
	struct store_hub *h, *next;

	if (st == NULL)
		return;
	store_stall_stop(st);
	store_env_close(st, 0);
	for (h = st->hubs; h != NULL; h = next) {
		next = h->next;
		free(h);
	}
	free(st->home);
	free(st);
}

const char *
store_home(const struct store *st)
{
	return st->home;
}

/*
 * Called before a transaction when the environment panicked (another process
 * ran recovery) or a lock wait timed out (the holder may be dead): close
 * every handle and open again, which runs recovery if still needed. Hub
 * structs stay where they are, so callers' pointers remain valid.
 */
enum store_err
store_reopen(struct store *st)
{
	struct store_hub *h;
	enum store_err e;
	DB_TXN *txn;
	int ret;

	/* A recovery recreates the regions: not without room for them (their
	 * old blocks stay taken while other processes map them). */
	if ((e = store_space_check(st, 1)) != STORE_OK)
		return e;
	log_info("reopening environment %s", st->home);
	/* A panicked environment's handles are retired, not closed (see
	 * store_retire): the process is worn from here on. */
	if (st->panicked)
		st->worn = 1;
	store_env_close(st, 1);
	st->panicked = 0;
	if ((e = store_env_open(st)) != STORE_OK)
		goto fail;
	for (h = st->hubs; h != NULL; h = h->next) {
		if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0) {
			e = store_dberr(st, ret);
			goto fail;
		}
		e = store_hub_open_dbs(st, h, txn, 0);
		if (e == STORE_OK)
			ret = txn->commit(txn, 0);
		else
			txn->abort(txn);
		if (e == STORE_OK && ret != 0)
			e = store_dberr(st, ret);
		if (e != STORE_OK)
			goto fail;
	}
	return STORE_OK;
fail:
	/* Half reopened (a hub's open timed out behind a live holder's lock):
	 * reopen again before the next transaction rather than run one on
	 * closed handles. */
	st->panic = 1;
	return e;
}

int
store_worn(const struct store *st)
{
	return st->worn;
}

enum store_err
store_maintain(struct store *st)
{
	int ret;

	if (st->panic && store_reopen(st) != STORE_OK)
		return STORE_IO;
	/* Checkpoint when a megabyte of log has accumulated or a minute passed. */
	if ((ret = st->env->txn_checkpoint(st->env, 1024, 1, 0)) != 0)
		return store_dberr(st, ret);
	/* Remove log files no longer needed for normal recovery. */
	if ((ret = st->env->log_archive(st->env, NULL, DB_ARCH_REMOVE)) != 0)
		return store_dberr(st, ret);
	return STORE_OK;
}
