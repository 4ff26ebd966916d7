/*
 * test_crash.c — a process SIGKILLed inside a write transaction, holding
 * write locks on the pages everyone else needs, does not wedge the
 * environment (DESIGN §2: DB_REGISTER|DB_RECOVER, failchk, is_alive).
 *
 * Each round a victim process opens the environment itself, commits a
 * batch, then starts a second transaction whose body creates instances and
 * stays inside the body until it is killed. A survivor then runs its own
 * transaction over the same pages, which must commit after a bounded number
 * of lock-timeout retries:
 *  - "before": the survivor had the environment open before the kill (its
 *    wait ends at the lock timeout, then failchk aborts the dead
 *    transaction);
 *  - "after": the survivor opens the environment after the kill (the
 *    DB_REGISTER check at open finds the dead registrant and cleans up
 *    after it: failchk, or recovery when failchk cannot);
 *  - "both": one of each at once, whichever cleans up first.
 * Then every committed record is intact, none of the killed transaction's
 * writes is visible, and store_hub_check finds nothing.
 *
 * Two rounds kill a survivor while it waits for the victim's lock (rather
 * than holds one): whoever cleans up after it must not hang.
 *
 * As root, three more rounds on a group-shared environment mix users, as
 * when responders run as the web server user beside a root tool:
 *  - an unprivileged survivor must take a live root lock holder for alive
 *    (kill(pid, 0) fails with EPERM) and wait, not abort its transaction:
 *    it gives up with STORE_BUSY and the holder then commits;
 *  - an unprivileged victim is killed under a root survivor;
 *  - a root victim is killed under an unprivileged survivor, which first
 *    waits for it (EPERM) and, once it is dead (ESRCH), frees its locks.
 *
 * Survivors are child processes so that a survivor stuck on a dead
 * process's lock is reported (and killed) instead of hanging the test; the
 * parent only coordinates, and verifies through a store it opens after each
 * round's processes have ended.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/status.h"
#include "store/store.h"
#include "tap.h"
#include "testenv.h"
#include "testproc.h"

#define CRASH_NAME            "CrashOrch"
#define CRASH_EPOCH           INT64_C(1700000000000000)
#define CRASH_BATCH           24    /* instances per transaction */
#define CRASH_WATCHDOG        300   /* seconds for the whole program */
#define CRASH_CHILD_WATCHDOG  90    /* seconds for any child */
#define CRASH_WAIT_MS         30000 /* longest wait for a child that is not blocked on a lock */
#define CRASH_HANG_MS         10000 /* a survivor silent this long is stuck on a lock */
#define CRASH_LOCK_TIMEOUT_MS 200
#define CRASH_MAX_ATTEMPTS    4 /* a survivor's bound: timeout, failchk, (reopen), success */
#define CRASH_NOBODY          65534

/* What a child tells the parent, in one atomic pipe write. */
struct report {
	int what; /* 'C' first batch committed, 'H' holding locks, 'R' a result, 'D' holder done, 'V' verified */
	int err;  /* enum store_err */
	unsigned attempts; /* body invocations of the transaction reported */
	unsigned seen;     /* survivors: records of the killed transaction they could see */
	int eperm;         /* survivors: kill(parent, 0) failed with EPERM */
	int64_t elapsed_us;
	unsigned checked, bad; /* verifier: records compared, and wrong */
	int check_err;         /* verifier: store_hub_check's result */
	unsigned problems;     /* verifier: store_hub_check's count */
	char text[512];        /* verifier: the first wrong record, then the check's report */
};

/* One record as written: everything the checks compare. */
struct rec {
	char id[40];
	char exec[48];
	char input[96];
	int64_t now;
};

/* A batch the verification expects present, or absent. */
struct expect {
	const char *tag;
	unsigned round, n;
	int present;
};

/* The expectations of one environment. */
struct expectations {
	struct expect v[128];
	size_t n;
};

/* A transaction body's argument: writes tag's batch, optionally probes the
 * victim's batch (which must be invisible), optionally holds. */
struct batch {
	struct store_hub *h;
	const char *tag;
	unsigned round, n;
	int probe;   /* read the victim's "vk" records, counting those visible */
	int hold_fd; /* >= 0: report 'H' from inside the body and stay there */
	int go_fd;   /* >= 0 with hold_fd: wait for a byte, then commit */
	unsigned attempts;
	unsigned seen;
};

/* What a child process does. */
struct plan {
	const char *home;
	int shared; /* the group-shared environment of the mixed-user rounds */
	unsigned round;
	int nobody;       /* drop to NOBODY before opening the environment */
	int until_go;     /* victims: commit when told instead of waiting to be killed */
	int commit_first; /* survivors: commit batch first_tag right after opening */
	unsigned phases;  /* survivors: transactions to run, each after a go byte */
	int probe;        /* survivors: the victim's held batch must be invisible */
	unsigned max_retries;
	const char *tag;       /* survivors: the batch they write */
	const char *first_tag; /* survivors: the batch committed at once */

	const struct expectations *x; /* the verifier: what to check */
};

/* One round: who is killed, who survives, under which users. */
struct round_def {
	const char *name;
	int victim_nobody;
	int victim_lives;     /* the victim is not killed: it commits when told */
	int before, after;    /* survivors opened before / after the kill */
	int before_nobody;    /* the early survivor runs unprivileged */
	int wait_while_alive; /* the early survivor first tries while the victim lives */
	int kill_waiter;      /* the early survivor is killed while it waits for the victim's lock */
	int late_opens_early; /* the late survivor opens before the kills, and only runs after them */
};

/* clang-format off */
static const struct round_def crash_rounds[] = {
	{.name = "before", .before = 1},
	{.name = "after", .after = 1},
	{.name = "both", .before = 1, .after = 1},
	{.name = "before", .before = 1},
	{.name = "after", .after = 1},
	{.name = "both", .before = 1, .after = 1},
};

static const struct round_def crash_perm_rounds[] = {
	{.name = "EPERM: live root holder, unprivileged waiter",
	 .victim_lives = 1,
	 .before = 1,
	 .before_nobody = 1,
	 .wait_while_alive = 1},
	{.name = "unprivileged victim, root survivor", .victim_nobody = 1, .before = 1},
	{.name = "root victim, unprivileged survivor", .before = 1, .before_nobody = 1, .wait_while_alive = 1},
};

/* Rounds where a process dies while waiting for a lock, not holding one. */
static const struct round_def crash_waiter_rounds[] = {
	{.name = "waiter killed, then the holder", .before = 1, .after = 1, .kill_waiter = 1},
	{.name = "waiter killed, the holder commits", .victim_lives = 1, .before = 1, .after = 1, .kill_waiter = 1},
	{.name = "waiter and holder killed under an open survivor",
	 .before = 1,
	 .after = 1,
	 .kill_waiter = 1,
	 .late_opens_early = 1},
};
/* clang-format on */

static void
rec_make(struct rec *r, const char *tag, unsigned round, unsigned i)
{
	snprintf(r->id, sizeof(r->id), "r%02u-%s-%03u", round, tag, i);
	snprintf(r->exec, sizeof(r->exec), "exec-%s", r->id);
	snprintf(r->input, sizeof(r->input), "{\"id\":\"%s\",\"writer\":\"%s\"}", r->id, tag);
	r->now = CRASH_EPOCH + (int64_t)round * 1000000 + i;
}

static void
expect_add(struct expectations *x, const char *tag, unsigned round, int present)
{
	if (x->n == sizeof(x->v) / sizeof(x->v[0]))
		tap_bail("too many expected batches");
	x->v[x->n].tag = tag;
	x->v[x->n].round = round;
	x->v[x->n].n = CRASH_BATCH;
	x->v[x->n].present = present;
	x->n++;
}

/* ---- pipes ------------------------------------------------------------- */

static void
report_send(int fd, const struct report *r)
{
	if (testproc_write_full(fd, r, sizeof(*r)) == -1)
		_exit(5);
}

static void
report_err(int fd, int what, enum store_err e)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	r.what = what;
	r.err = e;
	report_send(fd, &r);
}

/* Waits up to timeout_ms for a report of kind what; 0, or -1 (with a
 * diagnostic) when the child said something else, died or stayed silent. */
static int
report_wait(int fd, int what, struct report *r, const char *who, int timeout_ms)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = testproc_read_full(fd, r, sizeof(*r), timeout_ms)) != 0) {
		if (rc == 1)
			diag("%s: ended (exited or crashed) without report '%c'", who, what);
		else
			diag("%s: no report '%c' within %d ms: blocked", who, what, timeout_ms);
		return -1;
	}
	if (r->what != what) {
		diag("%s: report '%c' (%s) where '%c' was expected", who, r->what, store_strerror(r->err), what);
		return -1;
	}
	return 0;
}

/* ---- processes --------------------------------------------------------- */

struct child {
	pid_t pid;
	int rep; /* reports from the child */
	int go;  /* go bytes to the child */
};

/* Irrevocably becomes NOBODY:NOBODY (supplementary groups dropped); 0 or -1. */
static int
drop_to_nobody(void)
{
	if (setgroups(0, NULL) == -1 || setgid(CRASH_NOBODY) == -1 || setuid(CRASH_NOBODY) == -1)
		return -1;
	if (getuid() != CRASH_NOBODY || geteuid() != CRASH_NOBODY || setuid(0) != -1)
		return -1;
	return 0;
}

/* Reaps pid within CRASH_WAIT_MS (killing it past that); its wait status,
 * or -1 if it had to be killed. */
static int
child_reap(pid_t pid)
{
	int64_t deadline = testproc_now_us() + (int64_t)CRASH_WAIT_MS * 1000;
	struct timespec ts = {0, 10 * 1000 * 1000};
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

/* SIGKILLs a child and reaps it at once: a zombie still answers
 * kill(pid, 0), so failchk rightly takes it for alive until reaped. */
static int
child_kill(struct child *c)
{
	int status;

	if (c->pid == -1)
		return 0;
	if (kill(c->pid, SIGKILL) == -1)
		return 0;
	status = child_reap(c->pid);
	c->pid = -1;
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static int
child_exited_ok(struct child *c)
{
	int status;

	if (c->pid == -1)
		return 0;
	status = child_reap(c->pid);
	c->pid = -1;
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
child_release(struct child *c)
{
	if (c->pid != -1) {
		kill(c->pid, SIGKILL);
		child_reap(c->pid);
	}
	close(c->rep);
	close(c->go);
	c->pid = -1;
}

static int
child_go(struct child *c)
{
	return testproc_write_full(c->go, "g", 1);
}

/* Forks a child running fn(plan, report fd, go fd), which never returns. */
static void
child_start(struct child *c, void (*fn)(const struct plan *, int, int), const struct plan *p)
{
	int rep[2], go[2];

	if (pipe(rep) == -1 || pipe(go) == -1)
		tap_bail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((c->pid = fork()) == -1)
		tap_bail("fork: %s", strerror(errno));
	if (c->pid == 0) {
		alarm(CRASH_CHILD_WATCHDOG); /* a hung child dies instead of hanging CI */
		close(rep[0]);
		close(go[1]);
		fn(p, rep[1], go[0]);
		_exit(9);
	}
	close(rep[1]);
	close(go[0]);
	c->rep = rep[0];
	c->go = go[1];
}

/* ---- store access -------------------------------------------------------- */

static enum store_err
crash_open(const char *home, int shared, unsigned max_retries, struct store **st, struct store_hub **h)
{
	struct store_options o;
	enum store_err e;

	store_options_init(&o);
	o.durability = STORE_DURABLE_WRITE_NOSYNC;
	o.lock_timeout_ms = CRASH_LOCK_TIMEOUT_MS;
	o.group_shared = shared;
	o.create = 1;
	if (max_retries != 0)
		o.max_retries = max_retries;
	if ((e = store_open(home, &o, st)) != STORE_OK)
		return e;
	if ((e = store_hub_open(*st, "TestHub", h)) == STORE_NOHUB &&
	    (e = store_hub_create(*st, "TestHub")) == STORE_OK)
		e = store_hub_open(*st, "TestHub", h);
	if (e != STORE_OK) {
		store_close(*st);
		*st = NULL;
	}
	return e;
}

/*
 * Probes the victim's held batch, then creates this batch. A victim's body
 * then breaks the rule that bodies do no other I/O, on purpose: it reports
 * that it holds its write locks and stays inside the transaction until it
 * is killed (or told to commit).
 */
static enum store_err
batch_txn(struct store_txn *tx, void *arg)
{
	struct batch *b = arg;
	struct store_instance in;
	struct store_create c;
	struct report r;
	struct rec rec;
	enum store_err e;
	unsigned i;
	char byte;

	b->attempts++;
	b->seen = 0;
	for (i = 0; b->probe && i < b->n; i++) {
		rec_make(&rec, "vk", b->round, i);
		if ((e = store_instance_get(tx, b->h, rec.id, 0, &in)) == STORE_OK) {
			b->seen++;
			store_instance_clear(&in);
		} else if (e != STORE_NOTFOUND)
			return e;
	}
	for (i = 0; i < b->n; i++) {
		rec_make(&rec, b->tag, b->round, i);
		memset(&c, 0, sizeof(c));
		c.id = rec.id;
		c.name = CRASH_NAME;
		c.execution_id = rec.exec;
		c.input = rec.input;
		c.parent_task_id = -1;
		c.now = rec.now;
		if ((e = store_instance_create(tx, b->h, &c, NULL)) != STORE_OK)
			return e;
	}
	if (b->hold_fd < 0)
		return STORE_OK;
	memset(&r, 0, sizeof(r));
	r.what = 'H';
	r.attempts = b->attempts;
	report_send(b->hold_fd, &r);
	if (b->go_fd < 0)
		for (;;)
			pause();
	if (testproc_read_full(b->go_fd, &byte, 1, CRASH_WAIT_MS) != 0)
		return STORE_IO;
	return STORE_OK;
}

static void
batch_init(struct batch *b, struct store_hub *h, const char *tag, unsigned round)
{
	memset(b, 0, sizeof(*b));
	b->h = h;
	b->tag = tag;
	b->round = round;
	b->n = CRASH_BATCH;
	b->hold_fd = -1;
	b->go_fd = -1;
}

static enum store_err
batch_run(struct store *st, struct batch *b, int64_t *elapsed_us)
{
	int64_t t0 = testproc_now_us();
	enum store_err e;

	b->attempts = 0;
	e = store_txn_run(st, 0, batch_txn, b);
	if (elapsed_us != NULL)
		*elapsed_us = testproc_now_us() - t0;
	return e;
}

/* Compares one stored record (the instance and its ExecutionStarted inbox
 * event) with what was written; *why is set on a mismatch. */
static enum store_err
rec_check(struct store_txn *tx, struct store_hub *h, const struct rec *r, int present, char *why, size_t cap)
{
	struct store_instance in;
	struct store_event *evs = NULL;
	size_t n = 0;
	enum store_err e;

	e = store_instance_get(tx, h, r->id, 1, &in);
	if (!present) {
		if (e == STORE_OK) {
			snprintf(why, cap, "%s: visible, but its transaction never committed", r->id);
			store_instance_clear(&in);
			return STORE_OK;
		}
		return e == STORE_NOTFOUND ? STORE_OK : e;
	}
	if (e == STORE_NOTFOUND) {
		snprintf(why, cap, "%s: missing", r->id);
		return STORE_OK;
	}
	if (e != STORE_OK)
		return e;
	if (in.name == NULL || strcmp(in.name, CRASH_NAME) != 0 || in.execution_id == NULL ||
	    strcmp(in.execution_id, r->exec) != 0 || in.input == NULL || strcmp(in.input, r->input) != 0 ||
	    in.status != STATUS_PENDING || in.created != r->now || in.generation != 0)
		snprintf(why, cap, "%s: record differs (name '%s', execution '%s', input '%s', status %d)", r->id,
			 in.name ? in.name : "", in.execution_id ? in.execution_id : "", in.input ? in.input : "",
			 in.status);
	store_instance_clear(&in);
	if (*why != '\0')
		return STORE_OK;
	if ((e = store_inbox_take(tx, h, r->id, 0, &evs, &n)) != STORE_OK)
		return e;
	if (n != 1 || evs[0].type != 0 || evs[0].data == NULL || strcmp(evs[0].data, r->input) != 0 ||
	    evs[0].execution_id == NULL || strcmp(evs[0].execution_id, r->exec) != 0)
		snprintf(why, cap, "%s: inbox holds %zu events, not its one ExecutionStarted", r->id, n);
	store_event_free_array(evs, n);
	return STORE_OK;
}

struct verify {
	struct store_hub *h;
	const struct expectations *x;
	unsigned checked, bad;
	char first[300];
};

static enum store_err
verify_txn(struct store_txn *tx, void *arg)
{
	struct verify *v = arg;
	const struct expect *x;
	char why[300];
	struct rec r;
	enum store_err e;
	size_t k;
	unsigned i;

	v->checked = v->bad = 0;
	v->first[0] = '\0';
	for (k = 0; k < v->x->n; k++) {
		x = &v->x->v[k];
		for (i = 0; i < x->n; i++) {
			rec_make(&r, x->tag, x->round, i);
			why[0] = '\0';
			if ((e = rec_check(tx, v->h, &r, x->present, why, sizeof(why))) != STORE_OK)
				return e;
			v->checked++;
			if (why[0] != '\0' && v->bad++ == 0)
				snprintf(v->first, sizeof(v->first), "%s", why);
		}
	}
	return STORE_OK;
}

/* ---- children ------------------------------------------------------------ */

/* The victim: commits batch "vc", then holds batch "vk" open until killed
 * (or, with until_go, until told to commit it). */
static void
victim_main(const struct plan *p, int rep, int go)
{
	struct store *st;
	struct store_hub *h;
	struct batch b;
	struct report r;
	enum store_err e;

	if (p->nobody && drop_to_nobody() == -1) {
		report_err(rep, 'C', STORE_IO);
		_exit(2);
	}
	if ((e = crash_open(p->home, p->shared, 0, &st, &h)) != STORE_OK) {
		report_err(rep, 'C', e);
		_exit(2);
	}
	batch_init(&b, h, "vc", p->round);
	e = batch_run(st, &b, NULL);
	report_err(rep, 'C', e);
	if (e != STORE_OK)
		_exit(1);
	batch_init(&b, h, "vk", p->round);
	b.hold_fd = rep;
	b.go_fd = p->until_go ? go : -1;
	e = batch_run(st, &b, NULL);
	memset(&r, 0, sizeof(r));
	r.what = 'D';
	r.err = e;
	r.attempts = b.attempts;
	report_send(rep, &r);
	store_close(st);
	_exit(e == STORE_OK ? 0 : 1);
}

/*
 * A survivor: opens the environment (as NOBODY if asked), optionally
 * commits batch first_tag at once, then for each phase waits for a go byte and
 * runs its batch, reporting each result. A phase's time is its
 * transaction's; when the survivor opened without committing first, the
 * first phase's time includes the open (and any recovery it ran).
 */
static void
survivor_main(const struct plan *p, int rep, int go)
{
	struct store *st;
	struct store_hub *h;
	struct batch b;
	struct report r;
	enum store_err e;
	int64_t t0 = testproc_now_us(), us;
	unsigned i;
	char byte;
	int eperm;

	if (p->nobody && drop_to_nobody() == -1) {
		report_err(rep, p->commit_first ? 'C' : 'R', STORE_IO);
		_exit(2);
	}
	eperm = kill(getppid(), 0) == -1 && errno == EPERM;
	if ((e = crash_open(p->home, p->shared, p->max_retries, &st, &h)) != STORE_OK) {
		report_err(rep, p->commit_first ? 'C' : 'R', e);
		_exit(2);
	}
	if (p->commit_first) {
		batch_init(&b, h, p->first_tag, p->round);
		report_err(rep, 'C', batch_run(st, &b, NULL));
	}
	for (i = 0; i < p->phases; i++) {
		if (testproc_read_full(go, &byte, 1, CRASH_WAIT_MS) != 0)
			_exit(3);
		if (i > 0 || p->commit_first)
			t0 = testproc_now_us();
		batch_init(&b, h, p->tag, p->round);
		b.probe = p->probe;
		e = batch_run(st, &b, &us);
		memset(&r, 0, sizeof(r));
		r.what = 'R';
		r.err = e;
		r.attempts = b.attempts;
		r.seen = b.seen;
		r.eperm = eperm;
		r.elapsed_us = testproc_now_us() - t0;
		report_send(rep, &r);
	}
	store_close(st);
	_exit(0);
}

/* The verifier: opens the environment after a round (cleaning up after
 * any dead process), checks every expected record and the hub. */
static void
verifier_main(const struct plan *p, int rep, int go)
{
	struct store *st;
	struct store_hub *h;
	struct verify v;
	struct report r;
	char *report = NULL;
	int64_t t0 = testproc_now_us();

	(void)go;
	memset(&r, 0, sizeof(r));
	r.what = 'V';
	if ((r.err = crash_open(p->home, p->shared, 0, &st, &h)) != STORE_OK) {
		report_send(rep, &r);
		_exit(2);
	}
	r.elapsed_us = testproc_now_us() - t0;
	memset(&v, 0, sizeof(v));
	v.h = h;
	v.x = p->x;
	r.err = store_txn_run(st, STORE_TXN_READONLY, verify_txn, &v);
	r.checked = v.checked;
	r.bad = v.bad;
	r.check_err = store_hub_check(st, h, &report, &r.problems);
	snprintf(r.text, sizeof(r.text), "%s%s%s", v.first, v.first[0] && report ? "\n" : "", report ? report : "");
	free(report);
	report_send(rep, &r);
	store_close(st);
	_exit(0);
}

/* ---- rounds ---------------------------------------------------------------- */

/* Waits for a survivor's result; 0, or -1 when it stayed silent (stuck on
 * a lock) or died, after which it has been killed. */
static int
survivor_result(struct child *c, struct report *r, const char *who)
{
	if (report_wait(c->rep, 'R', r, who, CRASH_HANG_MS) == 0)
		return 0;
	child_kill(c);
	return -1;
}

/* Checks a survivor's transaction that should have committed. */
static int
survivor_committed(struct child *c, const char *label, const char *who)
{
	struct report r;

	if (survivor_result(c, &r, who) == -1) {
		ok(0, "%s: the %s's transaction commits (it died, or was silent for %d s: see above)", label, who,
		   CRASH_HANG_MS / 1000);
		return 0;
	}
	if (!ok(r.err == STORE_OK, "%s: the %s's transaction commits", label, who))
		diag("  got %s", store_strerror(r.err));
	ok(r.attempts <= CRASH_MAX_ATTEMPTS, "%s: ... within %u attempts", label, CRASH_MAX_ATTEMPTS);
	ok(r.seen == 0, "%s: ... and sees none of the killed transaction's writes", label);
	diag("%s: the %s committed after %u attempt(s), %.3f s", label, who, r.attempts, (double)r.elapsed_us / 1e6);
	return r.err == STORE_OK;
}

/* Verifies an environment after a round, from a process of its own so
 * that a store_open or transaction stuck behind a dead process is reported
 * rather than hanging the test. */
static void
verify_all(const char *home, int shared, const struct expectations *x, const char *label)
{
	struct child c;
	struct plan p;
	struct report r;

	memset(&p, 0, sizeof(p));
	p.home = home;
	p.shared = shared;
	p.x = x;
	child_start(&c, verifier_main, &p);
	if (report_wait(c.rep, 'V', &r, "verifier", CRASH_HANG_MS) == -1) {
		ok(0, "%s: the verifier opens the environment and reads it (silent for %d s: stuck?)", label,
		   CRASH_HANG_MS / 1000);
		child_release(&c);
		return;
	}
	diag("%s: the verifier's store_open took %.3f s", label, (double)r.elapsed_us / 1e6);
	if (!ok(r.err == STORE_OK && r.bad == 0, "%s: %u records committed or killed as expected", label, r.checked))
		diag("  %s; %u bad: %s", store_strerror(r.err), r.bad, r.text);
	if (!ok(r.check_err == STORE_OK && r.problems == 0, "%s: store_hub_check reports no problem", label))
		diag("  %s; %u problems:\n%s", store_strerror(r.check_err), r.problems, r.text);
	ok(child_exited_ok(&c), "%s: the verifier exits cleanly", label);
	child_release(&c);
}

static void
run_round(const char *home, int shared, unsigned round, const struct round_def *d, struct expectations *x)
{
	struct child victim, early = {-1, -1, -1}, late = {-1, -1, -1};
	struct plan vp, sp;
	struct report r;
	char label[128];
	int early_ok = 0;

	snprintf(label, sizeof(label), "round %u (%s)", round, d->name);
	memset(&vp, 0, sizeof(vp));
	vp.home = home;
	vp.shared = shared;
	vp.round = round;
	sp = vp;
	sp.probe = !d->victim_lives;

	if (d->before) {
		sp.nobody = d->before_nobody;
		sp.commit_first = 1;
		sp.phases = d->wait_while_alive ? 2 : 1;
		sp.max_retries = d->wait_while_alive ? CRASH_MAX_ATTEMPTS : 0;
		sp.tag = "sb";
		sp.first_tag = "sc";
		child_start(&early, survivor_main, &sp);
		if (report_wait(early.rep, 'C', &r, "early survivor", CRASH_WAIT_MS) == -1 ||
		    !ok(r.err == STORE_OK, "%s: a survivor opened before the kill commits a batch", label)) {
			child_release(&early);
			tap_bail("%s: the early survivor did not start", label);
		}
		expect_add(x, "sc", round, 1);
	}

	if (d->late_opens_early) {
		sp.nobody = 0;
		sp.commit_first = 1;
		sp.phases = 1;
		sp.max_retries = 0;
		sp.tag = "sa";
		sp.first_tag = "sd";
		child_start(&late, survivor_main, &sp);
		if (report_wait(late.rep, 'C', &r, "second survivor", CRASH_WAIT_MS) == -1 ||
		    !ok(r.err == STORE_OK, "%s: a second survivor opened before the kills commits a batch", label)) {
			child_release(&late);
			child_release(&early);
			tap_bail("%s: the second survivor did not start", label);
		}
		expect_add(x, "sd", round, 1);
	}

	vp.nobody = d->victim_nobody;
	vp.until_go = d->victim_lives;
	child_start(&victim, victim_main, &vp);
	if (report_wait(victim.rep, 'C', &r, "victim", CRASH_WAIT_MS) == -1 ||
	    !ok(r.err == STORE_OK, "%s: the victim commits its first batch", label) ||
	    report_wait(victim.rep, 'H', &r, "victim", CRASH_WAIT_MS) == -1) {
		child_release(&victim);
		child_release(&early);
		child_release(&late);
		tap_bail("%s: the victim did not reach its open transaction", label);
	}
	expect_add(x, "vc", round, 1);

	if (d->wait_while_alive) {
		/* The holder lives: the survivor must wait it out, lock timeout
		 * after lock timeout, and give up; never abort the holder. */
		if (child_go(&early) == -1 || survivor_result(&early, &r, "early survivor") == -1)
			ok(0, "%s: the survivor gives up with STORE_BUSY (it died, or was silent for %d s)", label,
			   CRASH_HANG_MS / 1000);
		else {
			if (!ok(r.err == STORE_BUSY,
				"%s: the survivor waits for the live holder, then gives up with STORE_BUSY", label))
				diag("  got %s, %u record(s) of the holder visible", store_strerror(r.err), r.seen);
			diag("%s: the survivor gave up after %u attempt(s), %.3f s", label, r.attempts,
			     (double)r.elapsed_us / 1e6);
			if (d->before_nobody)
				ok(r.eperm, "%s: kill(pid, 0) on a root process fails with EPERM for the survivor",
				   label);
		}
	}

	if (d->kill_waiter) {
		/* Let the survivor block on the victim's lock (its first wait lasts
		 * one lock timeout), then kill it in the middle of that wait. */
		struct timespec ts = {0, (long)CRASH_LOCK_TIMEOUT_MS / 2 * 1000000L};

		if (child_go(&early) == 0)
			nanosleep(&ts, NULL);
		ok(child_kill(&early), "%s: the early survivor is killed while it waits for the victim's lock", label);
		expect_add(x, "sb", round, 0);
	}

	if (d->victim_lives) {
		if (child_go(&victim) == -1 || report_wait(victim.rep, 'D', &r, "victim", CRASH_WAIT_MS) == -1)
			ok(0, "%s: the holder reports its commit", label);
		else if (!ok(r.err == STORE_OK, "%s: the holder's transaction was not stolen: it commits", label))
			diag("  got %s", store_strerror(r.err));
		ok(child_exited_ok(&victim), "%s: the holder exits cleanly", label);
		expect_add(x, "vk", round, r.what == 'D' && r.err == STORE_OK);
	} else {
		ok(child_kill(&victim), "%s: the victim is killed inside its transaction", label);
		expect_add(x, "vk", round, 0);
	}

	if (d->before && !d->kill_waiter && early.pid != -1 && child_go(&early) == 0)
		early_ok = 1;
	if (d->after) {
		if (!d->late_opens_early) {
			sp.nobody = 0;
			sp.commit_first = 0;
			sp.phases = 1;
			sp.max_retries = 0;
			sp.tag = "sa";
			child_start(&late, survivor_main, &sp);
		}
		child_go(&late);
	}
	if (d->before && !d->kill_waiter) {
		if (early_ok && survivor_committed(&early, label, "early survivor"))
			expect_add(x, "sb", round, 1);
		else if (!early_ok)
			ok(0, "%s: the early survivor is still there for its transaction", label);
		if (early.pid != -1)
			ok(child_exited_ok(&early), "%s: the early survivor exits cleanly", label);
		child_release(&early);
	}
	if (d->after) {
		if (survivor_committed(&late, label, "late survivor"))
			expect_add(x, "sa", round, 1);
		if (late.pid != -1)
			ok(child_exited_ok(&late), "%s: the late survivor exits cleanly", label);
		child_release(&late);
	}
	child_release(&victim);
	verify_all(home, shared, x, label);
}

/* Makes dir group-shared with NOBODY's group, as an installation would for
 * the web server user; 0, or -1. */
static int
perm_prepare(const char *dir)
{
	if (mkdir(dir, 02770) == -1 && errno != EEXIST)
		return -1;
	if (chown(dir, 0, CRASH_NOBODY) == -1 || chmod(dir, 02770) == -1)
		return -1;
	return 0;
}

/* Whether NOBODY can reach and write dir (the parents of the temporary
 * directory may be closed to it). */
static int
perm_probe(const char *dir)
{
	struct child c;
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		tap_bail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(drop_to_nobody() == 0 && access(dir, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
	c.pid = pid;
	status = child_exited_ok(&c);
	return status;
}

static void
perm_rounds(unsigned first_round)
{
	const size_t n = sizeof(crash_perm_rounds) / sizeof(crash_perm_rounds[0]);
	struct expectations x;
	struct store *st;
	struct store_hub *h;
	char home[1024];
	enum store_err e;
	size_t i;

	if (geteuid() != 0) {
		for (i = 0; i < n; i++)
			ok(1, "# SKIP mixed-user round '%s' needs root", crash_perm_rounds[i].name);
		return;
	}
	snprintf(home, sizeof(home), "%s/shared", testenv_dir());
	/* Group-writable files for the shared group, whatever the caller's umask. */
	umask(007);
	if (perm_prepare(home) == -1)
		tap_bail("prepare %s: %s", home, strerror(errno));
	if (!perm_probe(home)) {
		for (i = 0; i < n; i++)
			ok(1, "# SKIP uid %d cannot reach %s", CRASH_NOBODY, home);
		return;
	}
	if ((e = crash_open(home, 1, 0, &st, &h)) != STORE_OK)
		tap_bail("create %s: %s", home, store_strerror(e));
	store_close(st);
	memset(&x, 0, sizeof(x));
	for (i = 0; i < n; i++)
		run_round(home, 1, first_round + (unsigned)i, &crash_perm_rounds[i], &x);
}

int
main(void)
{
	const size_t n = sizeof(crash_rounds) / sizeof(crash_rounds[0]);
	const size_t nw = sizeof(crash_waiter_rounds) / sizeof(crash_waiter_rounds[0]);
	struct expectations x;
	struct store *st;
	char home[1024];
	size_t i;

	alarm(CRASH_WATCHDOG);
	st = testenv_open("env", STORE_DURABLE_WRITE_NOSYNC);
	testenv_hub(st);
	store_close(st);
	snprintf(home, sizeof(home), "%s/env", testenv_dir());
	memset(&x, 0, sizeof(x));
	for (i = 0; i < n; i++)
		run_round(home, 0, 1 + (unsigned)i, &crash_rounds[i], &x);
	verify_all(home, 0, &x, "after every round, a clean reopen");

	/*
	 * A process killed while it waits for a lock, not holding one. Berkeley
	 * DB 5.3's failchk then destroys the condition variable the dead process
	 * was waiting on, and glibc (2.25 on) blocks in pthread_cond_destroy
	 * until that waiter wakes, which it never will; at open this happens
	 * under the registry's lock, so every store_open of the environment
	 * hangs behind it. In an environment of its own, so that a wedge there
	 * leaves the other rounds alone.
	 */
	st = testenv_open("waiters", STORE_DURABLE_WRITE_NOSYNC);
	testenv_hub(st);
	store_close(st);
	snprintf(home, sizeof(home), "%s/waiters", testenv_dir());
	memset(&x, 0, sizeof(x));
	for (i = 0; i < nw; i++)
		run_round(home, 0, 1 + (unsigned)(n + i), &crash_waiter_rounds[i], &x);

	perm_rounds(1 + (unsigned)(n + nw));
	return tap_done();
}
