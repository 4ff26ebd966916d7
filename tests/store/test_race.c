/*
 * test_race.c — the singleton rule under a real race (DESIGN §3): sixteen
 * processes, each with its own store, start the same instance ID at the
 * same moment, round after round. Exactly one wins (STORE_OK), the others
 * see STORE_EXISTS (never STORE_BUSY or another error), and the stored
 * record is the winner's: its name, input and execution ID, with the
 * input naming the winning process.
 *
 * Then the instance is made terminal (Completed, Failed, Canceled,
 * Terminated in turn, through store_instance_put) and sixteen racers
 * start it again: exactly one replaces it (generation + 1, its own
 * ExecutionStarted the only inbox event), the rest see STORE_EXISTS.
 *
 * A process-shared barrier releases the racers of a round together; the
 * parent passes the barrier too, so it prepares each round before anyone
 * starts and checks it after every racer has reported.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/status.h"
#include "store/store.h"
#include "tap.h"
#include "testenv.h"
#include "testproc.h"

#define RACE_PROCS          16
#define RACE_ROUNDS         200 /* fresh IDs */
#define RACE_REPLACE_ROUNDS 8   /* terminal IDs replaced */
#define RACE_NAME           "RaceOrch"
#define RACE_EPOCH          INT64_C(1700000000000000)
#define RACE_WATCHDOG       120   /* seconds, parent and racers */
#define RACE_WAIT_MS        30000 /* longest wait for one round's reports */

/* One racer's result for one round, in one atomic pipe write. */
struct race_report {
	unsigned round, racer;
	int err;                  /* enum store_err */
	int replaced;             /* store_instance_create's *replaced */
	unsigned attempts;        /* body invocations (deadlock or timeout retries + 1) */
	int64_t start_us, end_us; /* CLOCK_MONOTONIC, comparable across processes */
};

/* What the racers share with the parent. */
struct race_shared {
	pthread_barrier_t start; /* RACE_PROCS racers + the parent */
};

struct race_arg {
	struct store_hub *h;
	struct store_create c;
	int replaced;
	unsigned attempts;
};

static const int race_terminal[] = {STATUS_COMPLETED, STATUS_FAILED, STATUS_CANCELED, STATUS_TERMINATED};

/* The instance ID of a round; replace rounds reuse the racing rounds' IDs. */
static void
race_id(char *buf, size_t cap, unsigned round)
{
	snprintf(buf, cap, "race-%04u", round < RACE_ROUNDS ? round : round - RACE_ROUNDS);
}

/* What racer i writes in round r: an execution ID and an input naming it. */
static void
race_payload(unsigned round, unsigned racer, char *exec, size_t ecap, char *input, size_t icap)
{
	snprintf(exec, ecap, "exec-r%04u-p%02u", round, racer);
	snprintf(input, icap, "{\"racer\":%u,\"round\":%u,\"pid_slot\":\"p%02u\"}", racer, round, racer);
}

static enum store_err
race_txn(struct store_txn *tx, void *arg)
{
	struct race_arg *a = arg;

	a->attempts++;
	return store_instance_create(tx, a->h, &a->c, &a->replaced);
}

/* A racer: one store for all rounds; each round waits at the barrier, then
 * starts the round's ID at once and reports. */
static void
racer_main(unsigned racer, struct race_shared *sh, int rep)
{
	struct store_options o;
	struct race_report r;
	struct race_arg a;
	struct store *st;
	struct store_hub *h;
	char path[1024], id[32], exec[48], input[96];
	enum store_err e;
	unsigned round;

	snprintf(path, sizeof(path), "%s/race", testenv_dir());
	store_options_init(&o);
	o.durability = STORE_DURABLE_WRITE_NOSYNC;
	memset(&r, 0, sizeof(r));
	r.racer = racer;
	if ((e = store_open(path, &o, &st)) != STORE_OK || (e = store_hub_open(st, "TestHub", &h)) != STORE_OK) {
		/* Still pass every barrier, so the parent sees the failure
		 * rather than a hang. */
		for (round = 0; round < RACE_ROUNDS + RACE_REPLACE_ROUNDS; round++) {
			pthread_barrier_wait(&sh->start);
			r.round = round;
			r.err = e;
			if (testproc_write_full(rep, &r, sizeof(r)) == -1)
				_exit(3);
		}
		_exit(2);
	}
	for (round = 0; round < RACE_ROUNDS + RACE_REPLACE_ROUNDS; round++) {
		race_id(id, sizeof(id), round);
		race_payload(round, racer, exec, sizeof(exec), input, sizeof(input));
		memset(&a, 0, sizeof(a));
		a.h = h;
		a.c.id = id;
		a.c.name = RACE_NAME;
		a.c.execution_id = exec;
		a.c.input = input;
		a.c.parent_task_id = -1;
		a.c.now = RACE_EPOCH + (int64_t)round * 1000;
		pthread_barrier_wait(&sh->start);
		r.start_us = testproc_now_us();
		e = store_txn_run(st, 0, race_txn, &a);
		r.end_us = testproc_now_us();
		r.round = round;
		r.err = e;
		r.replaced = a.replaced;
		r.attempts = a.attempts;
		if (testproc_write_full(rep, &r, sizeof(r)) == -1)
			_exit(3);
	}
	store_close(st);
	_exit(0);
}

/* ---- the parent's checks ---------------------------------------------------- */

struct get_arg {
	struct store_hub *h;
	const char *id;
	struct store_instance in;
	struct store_event *evs;
	size_t nevs;
};

static enum store_err
get_txn(struct store_txn *tx, void *arg)
{
	struct get_arg *g = arg;
	enum store_err e;

	store_instance_clear(&g->in);
	store_event_free_array(g->evs, g->nevs);
	g->evs = NULL;
	g->nevs = 0;
	if ((e = store_instance_get(tx, g->h, g->id, 1, &g->in)) != STORE_OK)
		return e;
	return store_inbox_take(tx, g->h, g->id, 0, &g->evs, &g->nevs);
}

/* Makes the instance terminal, as the daemon's episode commit would. */
struct finish_arg {
	struct store_hub *h;
	const char *id;
	int status;
	int64_t now;
	uint32_t generation;
};

static enum store_err
finish_txn(struct store_txn *tx, void *arg)
{
	struct finish_arg *f = arg;
	struct store_instance in;
	enum store_err e;

	if ((e = store_instance_get(tx, f->h, f->id, 1, &in)) != STORE_OK)
		return e;
	in.status = f->status;
	in.updated = in.completed = f->now;
	free(in.output);
	in.output = strdup("\"finished by the test\"");
	f->generation = in.generation;
	e = in.output == NULL ? STORE_NOMEM : store_instance_put(tx, f->h, &in);
	store_instance_clear(&in);
	return e;
}

/* Checks one round's stored record against its winner; returns 1 if right,
 * else 0 with *why set. */
static int
race_record_ok(struct store *st, struct store_hub *h, unsigned round, unsigned winner, uint32_t generation, char *why,
	       size_t cap)
{
	struct get_arg g;
	char id[32], exec[48], input[96];
	enum store_err e;
	int good = 0;

	race_id(id, sizeof(id), round);
	race_payload(round, winner, exec, sizeof(exec), input, sizeof(input));
	memset(&g, 0, sizeof(g));
	g.h = h;
	g.id = id;
	if ((e = store_txn_run(st, STORE_TXN_READONLY, get_txn, &g)) != STORE_OK)
		snprintf(why, cap, "%s: read back: %s", id, store_strerror(e));
	else if (g.in.name == NULL || strcmp(g.in.name, RACE_NAME) != 0)
		snprintf(why, cap, "%s: name '%s'", id, g.in.name ? g.in.name : "(null)");
	else if (g.in.input == NULL || strcmp(g.in.input, input) != 0)
		snprintf(why, cap, "%s: input %s, but racer %u won", id, g.in.input ? g.in.input : "(null)", winner);
	else if (g.in.execution_id == NULL || strcmp(g.in.execution_id, exec) != 0)
		snprintf(why, cap, "%s: execution '%s', but racer %u won", id,
			 g.in.execution_id ? g.in.execution_id : "", winner);
	else if (g.in.status != STATUS_PENDING || g.in.generation != generation)
		snprintf(why, cap, "%s: status %d generation %u, want Pending generation %u", id, g.in.status,
			 g.in.generation, generation);
	else if (g.nevs != 1 || g.evs[0].type != 0 || g.evs[0].data == NULL || strcmp(g.evs[0].data, input) != 0 ||
		 g.evs[0].execution_id == NULL || strcmp(g.evs[0].execution_id, exec) != 0)
		snprintf(why, cap, "%s: inbox holds %zu events, not the winner's one ExecutionStarted", id, g.nevs);
	else
		good = 1;
	store_instance_clear(&g.in);
	store_event_free_array(g.evs, g.nevs);
	return good;
}

/* Counts of what the racers saw, over all rounds of one kind. */
struct race_tally {
	unsigned rounds, one_winner, bad_record, not_replaced;
	unsigned by_err[STORE_ERR_COUNT + 1];
	unsigned retried, max_attempts;
	int64_t max_us;
	unsigned overlapped;       /* rounds where a loser ran while the winner did */
	unsigned wins[RACE_PROCS]; /* rounds won by each racer */
	char first[400];
};

static void tally_note(struct race_tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tally_note(struct race_tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->first[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->first, sizeof(t->first), fmt, ap);
	va_end(ap);
}

/* The winner's transaction interval, from its report among all. */
static int64_t
all_start(const struct race_report *all, unsigned racer)
{
	unsigned i;

	for (i = 0; i < RACE_PROCS; i++)
		if (all[i].racer == racer)
			return all[i].start_us;
	return 0;
}

static int64_t
all_end(const struct race_report *all, unsigned racer)
{
	unsigned i;

	for (i = 0; i < RACE_PROCS; i++)
		if (all[i].racer == racer)
			return all[i].end_us;
	return 0;
}

/* Collects and checks one round's reports. -1 if the racers stopped
 * answering (the test cannot go on). */
static int
race_collect(struct store *st, struct store_hub *h, int rep, unsigned round, uint32_t generation, int replace,
	     struct race_tally *t)
{
	struct race_report all[RACE_PROCS], r;
	unsigned i, winners = 0, winner = 0;
	char why[300];

	t->rounds++;
	for (i = 0; i < RACE_PROCS; i++) {
		if (testproc_read_full(rep, &all[i], sizeof(r), RACE_WAIT_MS) != 0) {
			diag("round %u: only %u of %u racers reported", round, i, RACE_PROCS);
			return -1;
		}
		r = all[i];
		if (r.round != round || r.racer >= RACE_PROCS) {
			diag("round %u: a report for round %u", round, r.round);
			return -1;
		}
		t->by_err[r.err >= 0 && r.err < STORE_ERR_COUNT ? r.err : STORE_ERR_COUNT]++;
		if (r.attempts > 1)
			t->retried++;
		if (r.attempts > t->max_attempts)
			t->max_attempts = r.attempts;
		if (r.end_us - r.start_us > t->max_us)
			t->max_us = r.end_us - r.start_us;
		if (r.err == STORE_OK) {
			winners++;
			winner = r.racer;
			if (replace && !r.replaced)
				t->not_replaced++;
		} else if (r.err != STORE_EXISTS)
			tally_note(t, "round %u: racer %u got %s after %u attempt(s)", round, r.racer,
				   store_strerror(r.err), r.attempts);
	}
	if (winners == 1) {
		t->one_winner++;
		t->wins[winner]++;
		for (i = 0; i < RACE_PROCS; i++) {
			r = all[i];
			if (r.racer != winner && r.start_us < all_end(all, winner) &&
			    r.end_us > all_start(all, winner)) {
				t->overlapped++;
				break;
			}
		}
	} else
		tally_note(t, "round %u: %u winners", round, winners);
	if (winners >= 1 && !race_record_ok(st, h, round, winner, generation, why, sizeof(why))) {
		t->bad_record++;
		tally_note(t, "round %u: %s", round, why);
	}
	return 0;
}

static void
tally_report(const struct race_tally *t, const char *what)
{
	unsigned e, i, distinct = 0;

	ok(t->one_winner == t->rounds, "%s: exactly one winner in each of %u rounds", what, t->rounds);
	is_int(t->by_err[STORE_OK], t->rounds, "%s: as many wins as rounds", what);
	is_int(t->by_err[STORE_EXISTS], (long long)t->rounds * (RACE_PROCS - 1), "%s: every loser saw STORE_EXISTS",
	       what);
	if (!is_int(t->by_err[STORE_BUSY], 0, "%s: no racer got STORE_BUSY", what))
		diag("  STORE_BUSY %u times: the retry bound was exhausted under contention", t->by_err[STORE_BUSY]);
	for (e = 0; e <= STORE_ERR_COUNT; e++)
		if (e != STORE_OK && e != STORE_EXISTS && e != STORE_BUSY && t->by_err[e] != 0)
			diag("  %s: %u times", e < STORE_ERR_COUNT ? store_strerror((enum store_err)e) : "?",
			     t->by_err[e]);
	is_int(t->bad_record, 0, "%s: each round's record is its winner's (name, input, execution ID)", what);
	if (t->first[0] != '\0')
		diag("  first problem: %s", t->first);
	for (i = 0; i < RACE_PROCS; i++)
		distinct += t->wins[i] != 0;
	diag("%s: %u of %u transactions retried (deadlock or lock timeout), at most %u attempts, slowest %.3f s", what,
	     t->retried, t->rounds * RACE_PROCS, t->max_attempts, (double)t->max_us / 1e6);
	diag("%s: in %u of %u rounds a loser's transaction ran while the winner's did; %u different racers won", what,
	     t->overlapped, t->rounds, distinct);
}

static void
race_kill_all(pid_t *pids)
{
	unsigned i;
	int status;

	for (i = 0; i < RACE_PROCS; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
			pids[i] = -1;
		}
}

int
main(void)
{
	struct race_shared *sh;
	struct race_tally fresh, repl;
	pthread_barrierattr_t ba;
	struct finish_arg f;
	struct store *st;
	struct store_hub *h;
	pid_t pids[RACE_PROCS];
	char id[32], *report = NULL;
	unsigned i, round, problems = 0;
	int rep[2], status, clean = 1, broken = 0;
	int64_t t0;
	enum store_err e;

	alarm(RACE_WATCHDOG);
	st = testenv_open("race", STORE_DURABLE_WRITE_NOSYNC);
	h = testenv_hub(st);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_bail("mmap: %s", strerror(errno));
	pthread_barrierattr_init(&ba);
	if (pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_barrier_init(&sh->start, &ba, RACE_PROCS + 1) != 0)
		tap_bail("process-shared barrier unavailable");
	pthread_barrierattr_destroy(&ba);
	if (pipe(rep) == -1)
		tap_bail("pipe: %s", strerror(errno));

	for (i = 0; i < RACE_PROCS; i++) {
		fflush(stdout);
		fflush(stderr);
		if ((pids[i] = fork()) == -1)
			tap_bail("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			alarm(RACE_WATCHDOG);
			close(rep[0]);
			racer_main(i, sh, rep[1]);
		}
	}
	close(rep[1]);

	t0 = testproc_now_us();
	memset(&fresh, 0, sizeof(fresh));
	for (round = 0; round < RACE_ROUNDS && !broken; round++) {
		pthread_barrier_wait(&sh->start);
		if (race_collect(st, h, rep[0], round, 0, 0, &fresh) == -1)
			broken = 1;
	}
	diag("%u racing rounds of %u processes in %.3f s", RACE_ROUNDS, RACE_PROCS,
	     (double)(testproc_now_us() - t0) / 1e6);
	if (!broken)
		tally_report(&fresh, "fresh IDs");

	t0 = testproc_now_us();
	memset(&repl, 0, sizeof(repl));
	for (round = RACE_ROUNDS; round < RACE_ROUNDS + RACE_REPLACE_ROUNDS && !broken; round++) {
		/* Make the instance terminal before anyone starts. */
		race_id(id, sizeof(id), round);
		memset(&f, 0, sizeof(f));
		f.h = h;
		f.id = id;
		f.status = race_terminal[(round - RACE_ROUNDS) % (sizeof(race_terminal) / sizeof(race_terminal[0]))];
		f.now = RACE_EPOCH + 999999999;
		if ((e = store_txn_run(st, 0, finish_txn, &f)) != STORE_OK) {
			ok(0, "%s made %s: %s", id, status_name(f.status), store_strerror(e));
			broken = 1;
			break;
		}
		pthread_barrier_wait(&sh->start);
		if (race_collect(st, h, rep[0], round, f.generation + 1, 1, &repl) == -1)
			broken = 1;
	}
	diag("%u replace rounds in %.3f s", RACE_REPLACE_ROUNDS, (double)(testproc_now_us() - t0) / 1e6);
	if (!broken) {
		tally_report(&repl, "terminal IDs replaced");
		is_int(repl.not_replaced, 0, "terminal IDs replaced: each winner reports it replaced the old instance");
	} else {
		ok(0, "the racers stopped answering; killing them");
		race_kill_all(pids);
	}

	for (i = 0; i < RACE_PROCS; i++)
		if (pids[i] > 0 &&
		    (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
			clean = 0;
	ok(clean, "every racer exits cleanly");
	close(rep[0]);
	pthread_barrier_destroy(&sh->start);
	munmap(sh, sizeof(*sh));

	e = store_hub_check(st, h, &report, &problems);
	if (!ok(e == STORE_OK && problems == 0, "store_hub_check reports no problem"))
		diag("  %s; %u problems:\n%s", store_strerror(e), problems, report ? report : "");
	free(report);
	store_close(st);
	return tap_done();
}
