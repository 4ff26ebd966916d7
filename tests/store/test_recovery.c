/*
 * test_recovery.c — committed means durable across a crash of every
 * process at once (DESIGN §2): with "write-nosync" (survives a process
 * crash) and with "full" durability.
 *
 * Each round, writer processes commit transactions as fast as they can:
 * three instances, two history events each, and the writer's counter
 * instance set to the transaction's sequence number, all in one
 * transaction; only after store_txn_run returned STORE_OK does a writer
 * report the sequence number to the parent. A staller process sits inside
 * a transaction it never finishes (in a hub of its own, so that its locks
 * do not stop the writers). Then every process using the
 * environment is SIGKILLed at once, whatever it is doing.
 *
 * A fresh store_open must then succeed (DB_REGISTER finds the dead
 * processes; failchk or recovery cleans up), and for every writer:
 * its counter equals the last reported number or the one after (committed,
 * killed before it could report); every transaction up to the counter is
 * there whole, the next one not at all; nothing of the staller's is
 * visible; the records of earlier rounds are intact; store_hub_check is
 * clean.
 *
 * The parent never opens the environment itself: a verifier process does,
 * with a bounded wait, so a store_open stuck after the crash is reported
 * instead of hanging the test.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/status.h"
#include "store/store.h"
#include "tap.h"
#include "testenv.h"
#include "testproc.h"

#define REC_WRITERS        4
#define REC_PER_TXN        3  /* instances per transaction */
#define REC_HISTORY        2  /* history events per instance */
#define REC_STALLED        10 /* instances in the staller's open transaction */
#define REC_MAX_SEQ        100000
#define REC_NAME           "RecOrch"
#define REC_STALL_HUB      "StallHub" /* the staller's: it must not block the writers */
#define REC_EPOCH          INT64_C(1700000000000000)
#define REC_WATCHDOG       240   /* seconds for the whole program */
#define REC_CHILD_WATCHDOG 120   /* seconds for any child */
#define REC_WAIT_MS        20000 /* longest wait for the writers' first reports */
#define REC_HANG_MS        20000 /* a verifier silent this long is stuck */

/* The rounds: the durability every process of the round opens with. */
static const enum store_durability rec_rounds[] = {
	STORE_DURABLE_WRITE_NOSYNC, STORE_DURABLE_WRITE_NOSYNC, STORE_DURABLE_FULL,
	STORE_DURABLE_WRITE_NOSYNC, STORE_DURABLE_WRITE_NOSYNC,
};
#define REC_ROUNDS (sizeof(rec_rounds) / sizeof(rec_rounds[0]))

/* A writer's report: transaction seq of writer committed. One atomic write. */
struct rec_report {
	unsigned round, writer;
	int seq; /* -1: the writer could not open the store; -2: a transaction failed */
	int err;
};

/* What the parent learned of each writer of each round. */
struct rec_state {
	int last[REC_ROUNDS][REC_WRITERS]; /* last reported seq, -1 if none */
	unsigned reports[REC_ROUNDS];
	unsigned rounds_done;
};

/* The verifier's answer. */
struct rec_verdict {
	int open_err; /* store_open's result */
	int64_t open_us;
	int err; /* the first unexpected store error */
	unsigned checked, bad, unreported, check_problems;
	int check_err;
	char first[600];
};

static const char *
rec_durability_name(enum store_durability d)
{
	return d == STORE_DURABLE_FULL ? "full" : d == STORE_DURABLE_WRITE_NOSYNC ? "write-nosync" : "nosync";
}

/* ---- what a transaction writes -------------------------------------------- */

static void
rec_id(char *buf, size_t cap, unsigned round, unsigned writer, int seq, unsigned k)
{
	snprintf(buf, cap, "w%02u-%02u-%06d-%u", round, writer, seq, k);
}

static void
rec_counter_id(char *buf, size_t cap, unsigned round, unsigned writer)
{
	snprintf(buf, cap, "ctr-%02u-%02u", round, writer);
}

static void
rec_input(char *buf, size_t cap, const char *id)
{
	snprintf(buf, cap, "{\"id\":\"%s\",\"pad\":\"%s\"}", id, "recovery-test-payload-recovery-test-payload");
}

static void
rec_event(struct store_event *ev, const char *id, unsigned j, char *name, size_t ncap)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(name, ncap, "Step%u-%s", j, id);
	ev->type = j == 0 ? 0 : 4; /* ExecutionStarted, then TaskScheduled */
	ev->event_id = j == 0 ? -1 : (int32_t)j - 1;
	ev->task_id = -1;
	ev->timestamp = REC_EPOCH + j;
	ev->name = name;
}

struct writer_arg {
	struct store_hub *h;
	unsigned round, writer;
	int seq;
};

/* One writer transaction: REC_PER_TXN instances with their history, and
 * the writer's counter set to seq (created by the first transaction). */
static enum store_err
writer_txn(struct store_txn *tx, void *arg)
{
	struct writer_arg *a = arg;
	struct store_event evs[REC_HISTORY];
	struct store_instance ctr;
	struct store_create c;
	char id[64], input[160], exec[80], names[REC_HISTORY][96], num[24];
	enum store_err e;
	unsigned k, j;

	for (k = 0; k < REC_PER_TXN; k++) {
		rec_id(id, sizeof(id), a->round, a->writer, a->seq, k);
		rec_input(input, sizeof(input), id);
		snprintf(exec, sizeof(exec), "x-%s", id);
		memset(&c, 0, sizeof(c));
		c.id = id;
		c.name = REC_NAME;
		c.execution_id = exec;
		c.input = input;
		c.parent_task_id = -1;
		c.now = REC_EPOCH + a->seq;
		if ((e = store_instance_create(tx, a->h, &c, NULL)) != STORE_OK)
			return e;
		for (j = 0; j < REC_HISTORY; j++)
			rec_event(&evs[j], id, j, names[j], sizeof(names[j]));
		if ((e = store_history_append(tx, a->h, id, 0, evs, REC_HISTORY)) != STORE_OK)
			return e;
	}
	rec_counter_id(id, sizeof(id), a->round, a->writer);
	if ((e = store_instance_get(tx, a->h, id, 0, &ctr)) == STORE_NOTFOUND) {
		memset(&c, 0, sizeof(c));
		c.id = id;
		c.name = REC_NAME;
		c.execution_id = "counter";
		c.parent_task_id = -1;
		c.now = REC_EPOCH;
		if ((e = store_instance_create(tx, a->h, &c, NULL)) != STORE_OK ||
		    (e = store_instance_get(tx, a->h, id, 0, &ctr)) != STORE_OK)
			return e;
	} else if (e != STORE_OK)
		return e;
	snprintf(num, sizeof(num), "%d", a->seq);
	free(ctr.custom_status);
	ctr.custom_status = strdup(num);
	e = ctr.custom_status == NULL ? STORE_NOMEM : store_instance_put(tx, a->h, &ctr);
	store_instance_clear(&ctr);
	return e;
}

/* The staller's body: writes, then never finishes (killed in here). */
static enum store_err
staller_txn(struct store_txn *tx, void *arg)
{
	struct writer_arg *a = arg;
	struct store_create c;
	char id[64], input[160];
	enum store_err e;
	unsigned k;
	int fd = a->seq;

	for (k = 0; k < REC_STALLED; k++) {
		snprintf(id, sizeof(id), "st-%02u-%03u", a->round, k);
		rec_input(input, sizeof(input), id);
		memset(&c, 0, sizeof(c));
		c.id = id;
		c.name = REC_NAME;
		c.execution_id = "stalled";
		c.input = input;
		c.parent_task_id = -1;
		c.now = REC_EPOCH;
		if ((e = store_instance_create(tx, a->h, &c, NULL)) != STORE_OK)
			return e;
	}
	/* Deliberately against the rule for bodies: say so, and stay. */
	if (testproc_write_full(fd, "H", 1) == -1)
		_exit(4);
	for (;;)
		pause();
}

static enum store_err
rec_open(const char *home, enum store_durability d, const char *hub, struct store **st, struct store_hub **h)
{
	struct store_options o;
	enum store_err e;

	store_options_init(&o);
	o.durability = d;
	o.lock_timeout_ms = 200;
	if ((e = store_open(home, &o, st)) != STORE_OK)
		return e;
	if ((e = store_hub_open(*st, hub, h)) != STORE_OK) {
		store_close(*st);
		*st = NULL;
	}
	return e;
}

static void
writer_main(const char *home, unsigned round, unsigned writer, int rep)
{
	struct rec_report r;
	struct writer_arg a;
	struct store *st;
	struct store_hub *h;
	enum store_err e;

	memset(&r, 0, sizeof(r));
	r.round = round;
	r.writer = writer;
	if ((e = rec_open(home, rec_rounds[round], "TestHub", &st, &h)) != STORE_OK) {
		r.seq = -1;
		r.err = e;
		(void)testproc_write_full(rep, &r, sizeof(r));
		_exit(2);
	}
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.round = round;
	a.writer = writer;
	for (a.seq = 0; a.seq < REC_MAX_SEQ; a.seq++) {
		if ((e = store_txn_run(st, 0, writer_txn, &a)) != STORE_OK) {
			r.seq = -2;
			r.err = e;
			(void)testproc_write_full(rep, &r, sizeof(r));
			_exit(1);
		}
		/* Reported only now: the transaction is committed. */
		r.seq = a.seq;
		if (testproc_write_full(rep, &r, sizeof(r)) == -1)
			_exit(3);
	}
	store_close(st);
	_exit(0);
}

static void
staller_main(const char *home, unsigned round, int fd)
{
	struct writer_arg a;
	struct store *st;
	struct store_hub *h;

	if (rec_open(home, rec_rounds[round], REC_STALL_HUB, &st, &h) != STORE_OK)
		_exit(2);
	memset(&a, 0, sizeof(a));
	a.h = h;
	a.round = round;
	a.seq = fd;
	(void)store_txn_run(st, 0, staller_txn, &a);
	_exit(1);
}

/* ---- verification ---------------------------------------------------------- */

struct verify_arg {
	struct store_hub *h;
	unsigned round, writer;
	int reported; /* last reported seq */
	int counter;  /* out: the stored counter, -1 when absent */
	unsigned checked, bad;
	char first[300];
};

static void verify_bad(struct verify_arg *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
verify_bad(struct verify_arg *v, const char *fmt, ...)
{
	va_list ap;

	if (v->bad++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(v->first, sizeof(v->first), fmt, ap);
	va_end(ap);
}

/* Checks one instance of transaction seq: present and whole, or absent. */
static enum store_err
verify_one(struct store_txn *tx, struct verify_arg *v, int seq, unsigned k, int present)
{
	struct store_instance in;
	struct store_event *evs = NULL;
	char id[64], input[160], exec[80], name[96];
	struct store_event want;
	size_t n = 0;
	uint32_t next;
	enum store_err e;
	unsigned j;

	rec_id(id, sizeof(id), v->round, v->writer, seq, k);
	v->checked++;
	e = store_instance_get(tx, v->h, id, 1, &in);
	if (!present) {
		if (e == STORE_OK) {
			verify_bad(v, "%s: present, but the transaction after the counter never committed", id);
			store_instance_clear(&in);
		} else if (e != STORE_NOTFOUND)
			return e;
		if ((e = store_history_read(tx, v->h, id, 0, 10, &evs, &n, &next)) != STORE_OK)
			return e;
		if (n != 0)
			verify_bad(v, "%s: absent, yet %zu history events of it are", id, n);
		store_event_free_array(evs, n);
		return STORE_OK;
	}
	if (e == STORE_NOTFOUND) {
		verify_bad(v, "%s: missing (counter %d, reported %d)", id, v->counter, v->reported);
		return STORE_OK;
	}
	if (e != STORE_OK)
		return e;
	rec_input(input, sizeof(input), id);
	snprintf(exec, sizeof(exec), "x-%s", id);
	if (in.name == NULL || strcmp(in.name, REC_NAME) != 0 || in.input == NULL || strcmp(in.input, input) != 0 ||
	    in.execution_id == NULL || strcmp(in.execution_id, exec) != 0 || in.status != STATUS_PENDING ||
	    in.created != REC_EPOCH + seq)
		verify_bad(v, "%s: record differs (input '%s', execution '%s')", id, in.input ? in.input : "",
			   in.execution_id ? in.execution_id : "");
	store_instance_clear(&in);
	if ((e = store_history_read(tx, v->h, id, 0, 10, &evs, &n, &next)) != STORE_OK)
		return e;
	if (n != REC_HISTORY)
		verify_bad(v, "%s: %zu history events, want %d", id, n, REC_HISTORY);
	for (j = 0; j < n && j < REC_HISTORY; j++) {
		rec_event(&want, id, j, name, sizeof(name));
		if (evs[j].type != want.type || evs[j].event_id != want.event_id || evs[j].name == NULL ||
		    strcmp(evs[j].name, want.name) != 0 || evs[j].timestamp != want.timestamp)
			verify_bad(v, "%s: history event %u differs", id, j);
	}
	store_event_free_array(evs, n);
	return STORE_OK;
}

/* One writer of one round: the counter, then every transaction up to it
 * whole and the next one absent. */
static enum store_err
verify_writer_txn(struct store_txn *tx, void *arg)
{
	struct verify_arg *v = arg;
	struct store_instance ctr;
	char id[64];
	enum store_err e;
	unsigned k;
	int seq;

	v->checked = v->bad = 0;
	v->first[0] = '\0';
	v->counter = -1;
	rec_counter_id(id, sizeof(id), v->round, v->writer);
	e = store_instance_get(tx, v->h, id, 0, &ctr);
	if (e == STORE_OK) {
		v->counter = ctr.custom_status != NULL ? atoi(ctr.custom_status) : -1;
		store_instance_clear(&ctr);
	} else if (e != STORE_NOTFOUND)
		return e;
	if (v->counter != v->reported && v->counter != v->reported + 1)
		verify_bad(v, "%s: counter %d, but %d was the last transaction reported", id, v->counter, v->reported);
	for (seq = 0; seq <= v->counter; seq++)
		for (k = 0; k < REC_PER_TXN; k++)
			if ((e = verify_one(tx, v, seq, k, 1)) != STORE_OK)
				return e;
	for (k = 0; k < REC_PER_TXN; k++)
		if ((e = verify_one(tx, v, v->counter + 1, k, 0)) != STORE_OK)
			return e;
	return STORE_OK;
}

struct stalled_arg {
	struct store_hub *h;
	unsigned rounds, seen;
};

static enum store_err
verify_stalled_txn(struct store_txn *tx, void *arg)
{
	struct stalled_arg *s = arg;
	struct store_instance in;
	char id[64];
	enum store_err e;
	unsigned r, k;

	s->seen = 0;
	for (r = 0; r < s->rounds; r++)
		for (k = 0; k < REC_STALLED; k++) {
			snprintf(id, sizeof(id), "st-%02u-%03u", r, k);
			if ((e = store_instance_get(tx, s->h, id, 0, &in)) == STORE_OK) {
				s->seen++;
				store_instance_clear(&in);
			} else if (e != STORE_NOTFOUND)
				return e;
		}
	return STORE_OK;
}

/* The verifier process: opens the environment (the first open after the
 * crash), checks every round so far, and reports one verdict. */
static void
verifier_main(const char *home, const struct rec_state *s, int rep)
{
	struct rec_verdict vd;
	struct verify_arg v;
	struct stalled_arg sa;
	struct store *st;
	struct store_hub *h;
	char *report = NULL;
	enum store_err e;
	int64_t t0 = testproc_now_us();
	unsigned r, w;

	memset(&vd, 0, sizeof(vd));
	vd.open_err = rec_open(home, STORE_DURABLE_WRITE_NOSYNC, "TestHub", &st, &h);
	vd.open_us = testproc_now_us() - t0;
	if (vd.open_err != STORE_OK) {
		(void)testproc_write_full(rep, &vd, sizeof(vd));
		_exit(2);
	}
	for (r = 0; r < s->rounds_done; r++)
		for (w = 0; w < REC_WRITERS; w++) {
			memset(&v, 0, sizeof(v));
			v.h = h;
			v.round = r;
			v.writer = w;
			v.reported = s->last[r][w];
			e = store_txn_run(st, STORE_TXN_READONLY, verify_writer_txn, &v);
			if (e != STORE_OK && vd.err == STORE_OK)
				vd.err = e;
			vd.checked += v.checked;
			vd.bad += v.bad;
			vd.unreported += v.counter == v.reported + 1;
			if (v.bad != 0 && vd.first[0] == '\0')
				snprintf(vd.first, sizeof(vd.first), "round %u writer %u: %s", r, w, v.first);
		}
	memset(&sa, 0, sizeof(sa));
	sa.rounds = s->rounds_done;
	if ((e = store_hub_open(st, REC_STALL_HUB, &sa.h)) != STORE_OK) {
		vd.err = e;
		snprintf(vd.first, sizeof(vd.first), "hub %s: %s", REC_STALL_HUB, store_strerror(e));
		store_close(st);
		(void)testproc_write_full(rep, &vd, sizeof(vd));
		_exit(1);
	}
	if ((e = store_txn_run(st, STORE_TXN_READONLY, verify_stalled_txn, &sa)) != STORE_OK && vd.err == STORE_OK)
		vd.err = e;
	if (sa.seen != 0) {
		vd.bad += sa.seen;
		if (vd.first[0] == '\0')
			snprintf(vd.first, sizeof(vd.first), "%u instances of the stalled transactions are visible",
				 sa.seen);
	}
	vd.check_err = store_hub_check(st, h, &report, &vd.check_problems);
	if (report != NULL && vd.first[0] == '\0')
		snprintf(vd.first, sizeof(vd.first), "%s", report);
	free(report);
	store_close(st);
	(void)testproc_write_full(rep, &vd, sizeof(vd));
	_exit(0);
}

/* ---- the parent ------------------------------------------------------------ */

static pid_t
rec_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		tap_bail("fork: %s", strerror(errno));
	if (pid == 0)
		alarm(REC_CHILD_WATCHDOG);
	return pid;
}

static int
rec_reap(pid_t pid, int timeout_ms)
{
	int64_t deadline = testproc_now_us() + (int64_t)timeout_ms * 1000;
	struct timespec ts = {0, 5 * 1000 * 1000};
	int status;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && testproc_now_us() < deadline)
		nanosleep(&ts, NULL);
	if (r == pid)
		return status;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Runs a verifier; 0 with *vd filled, or -1 when it stayed silent (then
 * it has been killed). */
static int
rec_verify(const char *home, const struct rec_state *s, struct rec_verdict *vd)
{
	int fd[2], rc;
	pid_t pid;

	if (pipe(fd) == -1)
		tap_bail("pipe: %s", strerror(errno));
	if ((pid = rec_fork()) == 0) {
		close(fd[0]);
		verifier_main(home, s, fd[1]);
	}
	close(fd[1]);
	memset(vd, 0, sizeof(*vd));
	rc = testproc_read_full(fd[0], vd, sizeof(*vd), REC_HANG_MS);
	close(fd[0]);
	if (rc != 0) {
		kill(pid, SIGKILL);
		rec_reap(pid, REC_HANG_MS);
		return -1;
	}
	rec_reap(pid, REC_HANG_MS);
	return 0;
}

/* Reads the writers' reports until the deadline (or EOF when dead). */
static int
rec_drain(int fd, struct rec_state *s, unsigned round, int timeout_ms, int until_eof)
{
	struct rec_report r;
	int64_t deadline = testproc_now_us() + (int64_t)timeout_ms * 1000;
	int rc, left;

	while ((left = (int)((deadline - testproc_now_us()) / 1000)) > 0 || until_eof) {
		rc = testproc_read_full(fd, &r, sizeof(r), left > 0 ? left : 1000);
		if (rc == 1)
			return 0; /* every writer is gone */
		if (rc == -1)
			return until_eof ? -1 : 0;
		if (r.round != round || r.writer >= REC_WRITERS || r.seq < 0) {
			diag("round %u: writer %u reports %s", round, r.writer, store_strerror(r.err));
			return -1;
		}
		if (r.seq != s->last[round][r.writer] + 1) {
			diag("round %u: writer %u reported %d after %d", round, r.writer, r.seq,
			     s->last[round][r.writer]);
			return -1;
		}
		s->last[round][r.writer] = r.seq;
		s->reports[round]++;
	}
	return 0;
}

static unsigned
rec_min_reports(const struct rec_state *s, unsigned round)
{
	unsigned w;
	int m = REC_MAX_SEQ;

	for (w = 0; w < REC_WRITERS; w++)
		if (s->last[round][w] < m)
			m = s->last[round][w];
	return (unsigned)(m + 1);
}

/* Runs one round; -1 when the environment is left unusable (the rounds
 * after it could only time out). */
static int
rec_round(const char *home, struct rec_state *s, unsigned round)
{
	pid_t pids[REC_WRITERS + 1];
	struct rec_verdict vd;
	char label[64], byte;
	int rep[2], hold[2], status, all_killed = 1;
	int64_t t0, run_ms;
	unsigned w, n;

	snprintf(label, sizeof(label), "round %u (%s)", round + 1, rec_durability_name(rec_rounds[round]));
	for (w = 0; w < REC_WRITERS; w++)
		s->last[round][w] = -1;
	if (pipe(rep) == -1 || pipe(hold) == -1)
		tap_bail("pipe: %s", strerror(errno));
	for (w = 0; w < REC_WRITERS; w++)
		if ((pids[w] = rec_fork()) == 0) {
			close(rep[0]);
			close(hold[0]);
			close(hold[1]);
			writer_main(home, round, w, rep[1]);
		}
	if ((pids[REC_WRITERS] = rec_fork()) == 0) {
		close(rep[0]);
		close(rep[1]);
		close(hold[0]);
		staller_main(home, round, hold[1]);
	}
	close(rep[1]);
	close(hold[1]);

	/* Let every writer commit a few transactions, then some more for a
	 * varying while, so the kill lands anywhere in their work. */
	t0 = testproc_now_us();
	while (rec_min_reports(s, round) < 3 && testproc_now_us() - t0 < (int64_t)REC_WAIT_MS * 1000)
		if (rec_drain(rep[0], s, round, 50, 0) == -1)
			break;
	run_ms = 100 + (int64_t)(testproc_now_us() % 300);
	rec_drain(rep[0], s, round, (int)run_ms, 0);
	ok(testproc_read_full(hold[0], &byte, 1, REC_WAIT_MS) == 0, "%s: the staller is inside its transaction", label);
	ok(rec_min_reports(s, round) >= 3, "%s: every writer committed and reported transactions", label);

	/* Every process using the environment, at once. */
	for (w = 0; w <= REC_WRITERS; w++)
		kill(pids[w], SIGKILL);
	for (w = 0; w <= REC_WRITERS; w++) {
		status = rec_reap(pids[w], 10000);
		if (status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			all_killed = 0;
	}
	ok(all_killed, "%s: every process is SIGKILLed", label);
	ok(rec_drain(rep[0], s, round, 5000, 1) == 0, "%s: the writers' reports read to the end", label);
	close(rep[0]);
	close(hold[0]);
	s->rounds_done = round + 1;
	n = s->reports[round];
	diag("%s: killed after %.3f s; %u transactions reported committed (%u instances)", label,
	     (double)(testproc_now_us() - t0) / 1e6, n, n * REC_PER_TXN);

	if (rec_verify(home, s, &vd) == -1) {
		ok(0, "%s: store_open after the crash completes (the verifier was silent for %d s: stuck)", label,
		   REC_HANG_MS / 1000);
		/* Killing the stuck opener inside Berkeley DB forces the next
		 * opener into full recovery; check the data that way. */
		if (rec_verify(home, s, &vd) == -1) {
			ok(0, "%s: a second verifier is stuck too: the environment is wedged; stopping", label);
			return -1;
		}
		diag("%s: a second verifier got through", label);
	} else
		ok(vd.open_err == STORE_OK, "%s: store_open after the crash succeeds", label);
	if (vd.open_err != STORE_OK) {
		diag("  store_open: %s", store_strerror(vd.open_err));
		return -1;
	}
	diag("%s: store_open after the crash took %.3f s", label, (double)vd.open_us / 1e6);
	if (!ok(vd.err == STORE_OK && vd.bad == 0,
		"%s: all %u instances of reported transactions (every round so far) intact, nothing more", label,
		vd.checked))
		diag("  %s; %u bad; first: %s", store_strerror(vd.err), vd.bad, vd.first);
	diag("%s: %u writer(s) had committed a transaction they were killed before reporting", label, vd.unreported);
	if (!ok(vd.check_err == STORE_OK && vd.check_problems == 0, "%s: store_hub_check reports no problem", label))
		diag("  %s; %u problems: %s", store_strerror(vd.check_err), vd.check_problems, vd.first);
	return 0;
}

int
main(void)
{
	struct rec_state s;
	struct store *st;
	char home[1024];
	unsigned round;

	alarm(REC_WATCHDOG);
	st = testenv_open("recovery", STORE_DURABLE_WRITE_NOSYNC);
	testenv_hub(st);
	if (store_hub_create(st, REC_STALL_HUB) != STORE_OK)
		tap_bail("cannot create hub %s", REC_STALL_HUB);
	store_close(st);
	snprintf(home, sizeof(home), "%s/recovery", testenv_dir());
	memset(&s, 0, sizeof(s));
	for (round = 0; round < REC_ROUNDS; round++)
		if (rec_round(home, &s, round) == -1)
			break;
	return tap_done();
}
