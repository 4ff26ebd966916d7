/*
 * test_store.c — every store verb against a real Berkeley DB environment
 * in a temporary directory: hubs, the singleton create, reads and writes,
 * keyset paging under inserts, history, inbox and ready queue, tasks,
 * timers, the registry, entities, counts, purge, check, and refusal of bad
 * input without any change.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/status.h"
#include "tap.h"
#include "testenv.h"

static struct store *st;
static struct store_hub *hub;

/* A transaction body that calls a closure: keeps each case short. */
struct call {
	enum store_err (*fn)(struct store_txn *, struct call *);
	const char *id;
	const void *in;
	void *out;
	size_t n;
	int flag;
};

static enum store_err
call_body(struct store_txn *tx, void *arg)
{
	struct call *c = arg;

	return c->fn(tx, c);
}

static enum store_err
run(struct call *c)
{
	return store_txn_run(st, 0, call_body, c);
}

/* ---- helpers ----------------------------------------------------------- */

static enum store_err
do_create(struct store_txn *tx, struct call *c)
{
	return store_instance_create(tx, hub, c->in, &c->flag);
}

static enum store_err
create(const char *id, const char *name, const char *input, int64_t now, int *replaced)
{
	struct store_create cr = {0};
	struct call c = {do_create, NULL, &cr, NULL, 0, 0};
	enum store_err e;

	cr.id = id;
	cr.name = name;
	cr.execution_id = "exec-1";
	cr.input = input;
	cr.now = now;
	e = run(&c);
	if (replaced != NULL)
		*replaced = c.flag;
	return e;
}

static enum store_err
do_get(struct store_txn *tx, struct call *c)
{
	return store_instance_get(tx, hub, c->id, 1, c->out);
}

static enum store_err
get(const char *id, struct store_instance *r)
{
	struct call c = {do_get, id, NULL, r, 0, 0};

	return run(&c);
}

static enum store_err
do_put(struct store_txn *tx, struct call *c)
{
	return store_instance_put(tx, hub, c->in);
}

static enum store_err
set_status(const char *id, int status)
{
	struct store_instance r;
	struct call c = {do_put, NULL, &r, NULL, 0, 0};
	enum store_err e;

	if ((e = get(id, &r)) != STORE_OK)
		return e;
	r.status = status;
	r.created = 1; /* must be ignored: created never moves */
	e = run(&c);
	store_instance_clear(&r);
	return e;
}

static enum store_err
do_inbox(struct store_txn *tx, struct call *c)
{
	return store_inbox_take(tx, hub, c->id, c->flag, (struct store_event **)c->out, &c->n);
}

static enum store_err
do_inbox_n(struct store_txn *tx, struct call *c)
{
	/* flag: the maximum; consumes */
	return store_inbox_take_n(tx, hub, c->id, (size_t)c->flag, 1, (struct store_event **)c->out, &c->n);
}

static size_t
inbox_count(const char *id)
{
	struct store_event *ev = NULL;
	struct call c = {do_inbox, id, NULL, &ev, 0, 0};

	if (run(&c) != STORE_OK)
		return (size_t)-1;
	store_event_free_array(ev, c.n);
	return c.n;
}

static enum store_err
do_hist_len(struct store_txn *tx, struct call *c)
{
	return store_history_length(tx, hub, c->id, c->out);
}

static uint32_t
history_len(const char *id)
{
	uint32_t n = 999;
	struct call c = {do_hist_len, id, NULL, &n, 0, 0};

	run(&c);
	return n;
}

static enum store_err
do_counts(struct store_txn *tx, struct call *c)
{
	return store_instance_counts(tx, hub, c->out);
}

static uint64_t
total_instances(void)
{
	uint64_t counts[8], t = 0;
	struct call c = {do_counts, NULL, NULL, counts, 0, 0};
	int i;

	if (run(&c) != STORE_OK)
		return (uint64_t)-1;
	for (i = 0; i < 8; i++)
		t += counts[i];
	return t;
}

static unsigned
check_problems(void)
{
	char *report = NULL;
	unsigned problems = 0;

	if (store_hub_check(st, hub, &report, &problems) != STORE_OK)
		return 9999;
	if (problems)
		diag("check: %s", report);
	free(report);
	return problems;
}

/* ---- hubs -------------------------------------------------------------- */

static void
test_hubs(void)
{
	struct store_hub *h;
	char **names;
	size_t n, i;
	int found = 0;

	is_int(store_hub_create(st, "OtherHub"), STORE_OK, "hub created");
	is_int(store_hub_create(st, "otherhub"), STORE_EXISTS, "hub names are case-insensitive: duplicate refused");
	is_int(store_hub_create(st, "x"), STORE_INVALID, "invalid hub name refused");
	is_int(store_hub_create(st, "bad/hub"), STORE_INVALID, "hub name with a slash refused");
	is_int(store_hub_list(st, &names, &n), STORE_OK, "hubs listed");
	for (i = 0; i < n; i++)
		found += strcmp(names[i], "OtherHub") == 0 || strcmp(names[i], "TestHub") == 0;
	is_int(found, 2, "both hubs listed with their names as created");
	store_strv_free(names, n);
	is_int(store_hub_open(st, "NoSuchHub", &h), STORE_NOHUB, "unknown hub: STORE_NOHUB");
	is_int(store_hub_open(st, "../../etc", &h), STORE_NOHUB, "hostile hub name: STORE_NOHUB");
	is_int(store_hub_delete(st, "OtherHub"), STORE_OK, "hub deleted");
	is_int(store_hub_open(st, "OtherHub", &h), STORE_NOHUB, "deleted hub is gone");
	is_int(store_hub_delete(st, "OtherHub"), STORE_NOHUB, "deleting it again: STORE_NOHUB");
	is_int(store_hub_create(st, "OtherHub"), STORE_OK, "a deleted hub's name can be used again");
	ok(store_hub_open(st, "OtherHub", &h) == STORE_OK && strcmp(store_hub_name(h), "OtherHub") == 0,
	   "recreated hub opens");
}

/* ---- create / get / put -------------------------------------------------- */

static void
test_create(void)
{
	struct store_instance r;
	struct store_event *ev = NULL;
	struct call c = {do_inbox, "single", NULL, &ev, 0, 0};
	int replaced = -1;
	uint64_t before;

	is_int(create("single", "HelloSequence", "{\"city\":\"Tokyo\"}", 1000, &replaced), STORE_OK,
	       "instance created");
	is_int(replaced, 0, "nothing replaced");
	is_int(get("single", &r), STORE_OK, "instance read back");
	ok(strcmp(r.id, "single") == 0 && strcmp(r.name, "HelloSequence") == 0 && r.status == STATUS_PENDING &&
		   r.created == 1000 && r.updated == 1000 && r.completed == 0 && r.generation == 0 &&
		   strcmp(r.input, "{\"city\":\"Tokyo\"}") == 0 && r.output == NULL && r.custom_status == NULL &&
		   r.parent_task_id == -1,
	   "record holds what was written, Pending");
	store_instance_clear(&r);
	is_int(run(&c), STORE_OK, "inbox read");
	ok(c.n == 1 && ev[0].type == 0 && strcmp(ev[0].name, "HelloSequence") == 0 &&
		   strcmp(ev[0].execution_id, "exec-1") == 0 && strcmp(ev[0].data, "{\"city\":\"Tokyo\"}") == 0,
	   "ExecutionStarted waits in the inbox");
	store_event_free_array(ev, c.n);

	/* Singleton rule: Pending, Running, ContinuedAsNew, Suspended refuse. */
	{
		int states[] = {STATUS_PENDING, STATUS_RUNNING, STATUS_CONTINUED_AS_NEW, STATUS_SUSPENDED};
		size_t i;

		for (i = 0; i < 4; i++) {
			set_status("single", states[i]);
			is_int(create("single", "Other", "1", 2000, NULL), STORE_EXISTS, "start over %s: conflict",
			       status_name(states[i]));
		}
	}
	is_int(get("single", &r), STORE_OK, "read after conflicts");
	ok(strcmp(r.name, "HelloSequence") == 0 && r.created == 1000 && strcmp(r.input, "{\"city\":\"Tokyo\"}") == 0,
	   "a refused start changed nothing");
	store_instance_clear(&r);
	is_int(inbox_count("single"), 1, "a refused start added no inbox event");

	/* Terminal: replaced atomically, history and inbox gone. */
	{
		struct store_event h = {0};
		int states[] = {STATUS_COMPLETED, STATUS_FAILED, STATUS_TERMINATED, STATUS_CANCELED};
		size_t i;

		h.type = 12;
		h.event_id = -1;
		for (i = 0; i < 4; i++) {
			struct call a = {NULL, "single", &h, NULL, 0, 0};

			(void)a;
			set_status("single", states[i]);
			replaced = 0;
			is_int(create("single", "Replacement", "2", 3000 + (int64_t)i, &replaced), STORE_OK,
			       "start over %s: replaced", status_name(states[i]));
			is_int(replaced, 1, "reported as a replacement");
		}
	}
	is_int(get("single", &r), STORE_OK, "read after replacement");
	ok(strcmp(r.name, "Replacement") == 0 && r.status == STATUS_PENDING && r.generation == 4 &&
		   strcmp(r.input, "2") == 0,
	   "replacement is a fresh Pending instance, generation 4");
	store_instance_clear(&r);
	is_int(inbox_count("single"), 1, "old inbox gone: only the new ExecutionStarted");

	/* Bad input: refused, nothing written. */
	before = total_instances();
	is_int(create("a/b", "X", NULL, 1, NULL), STORE_INVALID, "ID with a slash refused");
	is_int(create("@entity@k", "X", NULL, 1, NULL), STORE_INVALID, "entity-reserved ID refused");
	is_int(create("", "X", NULL, 1, NULL), STORE_INVALID, "empty ID refused");
	is_int(create("bad\x01id", "X", NULL, 1, NULL), STORE_INVALID, "control character refused");
	is_int(create("ok-id", "", NULL, 1, NULL), STORE_INVALID, "empty name refused");
	{
		char *big = malloc(STORE_MAX_PAYLOAD + 2);

		memset(big, '1', STORE_MAX_PAYLOAD + 1);
		big[STORE_MAX_PAYLOAD + 1] = '\0';
		is_int(create("big-id", "X", big, 1, NULL), STORE_TOOBIG, "oversized input refused");
		free(big);
	}
	is_int(total_instances(), before, "refused creates wrote nothing");
	ok(get("big-id", &r) == STORE_NOTFOUND, "no record for the refused instance");
	ok(get("no-such", &r) == STORE_NOTFOUND, "missing instance: STORE_NOTFOUND");
	ok(get("a/b", &r) == STORE_NOTFOUND, "invalid ID read: STORE_NOTFOUND");

	/* put keeps created, refuses unknown IDs. */
	set_status("single", STATUS_RUNNING);
	is_int(get("single", &r), STORE_OK, "read after put");
	ok(r.status == STATUS_RUNNING && r.created == 3003, "put changed status and kept created time");
	free(r.id);
	r.id = strdup("never-created");
	{
		struct call p = {do_put, NULL, &r, NULL, 0, 0};

		is_int(run(&p), STORE_NOTFOUND, "put of an unknown instance: STORE_NOTFOUND");
	}
	store_instance_clear(&r);

	/* AnyState overrides a running instance. */
	{
		struct store_create cr = {0};
		struct call c2 = {do_create, NULL, &cr, NULL, 0, 0};

		cr.id = "single";
		cr.name = "Forced";
		cr.execution_id = "exec-2";
		cr.now = 5000;
		cr.override_any = 1;
		is_int(run(&c2), STORE_OK, "overridableExistingInstanceStates=AnyState replaces a running one");
		ok(get("single", &r) == STORE_OK && strcmp(r.name, "Forced") == 0, "overridden");
		store_instance_clear(&r);
	}
}

/* ---- history --------------------------------------------------------------- */

static enum store_err
do_hist_append(struct store_txn *tx, struct call *c)
{
	return store_history_append(tx, hub, c->id, (uint32_t)c->flag, c->in, c->n);
}

static enum store_err
do_hist_read(struct store_txn *tx, struct call *c)
{
	uint32_t *io = c->out; /* io[0] from, io[1] next */
	struct store_event *ev = NULL;
	size_t n = 0;
	enum store_err e = store_history_read(tx, hub, c->id, io[0], (size_t)c->flag, &ev, &n, &io[1]);

	if (e == STORE_OK) {
		/* Record the event IDs seen, then free. */
		size_t i;

		for (i = 0; i < n; i++)
			((int32_t *)c->in)[i] = ev[i].event_id;
		c->n = n;
		store_event_free_array(ev, n);
	}
	return e;
}

static enum store_err
do_hist_delete(struct store_txn *tx, struct call *c)
{
	return store_history_delete(tx, hub, c->id);
}

static void
test_history(void)
{
	struct store_event ev[25];
	struct call a = {do_hist_append, "hist", ev, NULL, 25, 0};
	int32_t seen[25];
	uint32_t io[2] = {0, 0};
	struct call rd = {do_hist_read, "hist", seen, io, 0, 10};
	struct call del = {do_hist_delete, "hist", NULL, NULL, 0, 0};
	size_t i, total = 0;
	int in_order = 1;

	create("hist", "H", NULL, 10, NULL);
	create("hist2", "H", NULL, 10, NULL);
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 25; i++) {
		ev[i].type = 4;
		ev[i].event_id = (int32_t)i;
		ev[i].task_id = -1;
		ev[i].name = "SayHello";
	}
	is_int(run(&a), STORE_OK, "25 history events appended");
	a.id = "hist2";
	a.n = 3;
	is_int(run(&a), STORE_OK, "another instance's history appended");
	a.id = "hist";
	is_int(history_len("hist"), 25, "history length 25");
	is_int(history_len("hist2"), 3, "neighbour's history length 3");
	is_int(history_len("nohist"), 0, "no history: length 0");
	a.n = 1;
	a.flag = 24;
	is_int(run(&a), STORE_EXISTS, "appending over an existing position is refused");
	is_int(history_len("hist"), 25, "history unchanged by the refused append");

	/* Paged read, 10 at a time. */
	do {
		rd.n = 0;
		if (run(&rd) != STORE_OK)
			break;
		for (i = 0; i < rd.n; i++)
			if (seen[i] != (int32_t)(total + i))
				in_order = 0;
		total += rd.n;
		io[0] = io[1];
	} while (io[1] != 0);
	is_int(total, 25, "paging read every event once");
	ok(in_order, "in order, without crossing into the neighbour");

	is_int(run(&del), STORE_OK, "history deleted");
	is_int(history_len("hist"), 0, "history gone");
	is_int(history_len("hist2"), 3, "neighbour's history untouched");
	a.n = 1;
	a.flag = 0;
	ev[0].data = malloc(STORE_MAX_PAYLOAD + 2);
	memset(ev[0].data, 'x', STORE_MAX_PAYLOAD + 1);
	ev[0].data[STORE_MAX_PAYLOAD + 1] = '\0';
	is_int(run(&a), STORE_TOOBIG, "oversized history event refused");
	free(ev[0].data);
	is_int(history_len("hist"), 0, "nothing appended");
}

/* ---- inbox and ready queue ------------------------------------------------- */

static enum store_err
do_inbox_append(struct store_txn *tx, struct call *c)
{
	return store_inbox_append(tx, hub, c->id, c->in, (int64_t)c->flag);
}

static enum store_err
do_ready_scan(struct store_txn *tx, struct call *c)
{
	return store_ready_scan(tx, hub, c->flag ? (unsigned)c->flag : STORE_READY_ORCHESTRATIONS | STORE_READY_ENTITIES,
				100, c->out, &c->n);
}

static int
ready_has_kind(const char *id, size_t *pos, int which)
{
	char **ids = NULL;
	struct call c = {do_ready_scan, NULL, NULL, &ids, 0, which};
	size_t i;
	int found = 0;

	run(&c);
	for (i = 0; i < c.n; i++)
		if (strcmp(ids[i], id) == 0) {
			found = 1;
			if (pos)
				*pos = i;
		}
	store_strv_free(ids, c.n);
	return found;
}

static int
ready_has(const char *id, size_t *pos)
{
	return ready_has_kind(id, pos, 0);
}

static void
test_inbox(void)
{
	struct store_event e = {0}, *got = NULL;
	struct call ap = {do_inbox_append, "ibx", &e, NULL, 0, 50};
	struct call tk = {do_inbox, "ibx", NULL, &got, 0, 0};
	char name[16];
	int i, ordered = 1;
	size_t p1 = 0, p2 = 0;

	/* An instance whose ExecutionStarted was already consumed. */
	create("ibx", "I", NULL, 40, NULL);
	tk.flag = 1;
	run(&tk);
	store_event_free_array(got, tk.n);
	e.type = 15;
	e.event_id = -1;
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "ev%d", i);
		e.name = name;
		ap.flag = 50 + i;
		run(&ap);
	}
	ok(ready_has("ibx", &p1), "an inbox event puts the instance on the ready queue");
	e.name = "other";
	ap.id = "@counter@k1";
	ap.flag = 10;
	is_int(run(&ap), STORE_OK, "entity IDs have inboxes too");
	ok(ready_has("@counter@k1", &p2) && p2 < p1, "ready queue is ordered by ready time");
	ok(ready_has_kind("ibx", NULL, STORE_READY_ORCHESTRATIONS) &&
	       !ready_has_kind("@counter@k1", NULL, STORE_READY_ORCHESTRATIONS),
	   "a scan for orchestrations skips entities");
	ok(ready_has_kind("@counter@k1", NULL, STORE_READY_ENTITIES) && !ready_has_kind("ibx", NULL, STORE_READY_ENTITIES),
	   "a scan for entities skips orchestrations");

	tk.flag = 0;
	is_int(run(&tk), STORE_OK, "peek inbox");
	is_int(tk.n, 5, "five events");
	for (i = 0; i < 5 && (size_t)i < tk.n; i++) {
		snprintf(name, sizeof(name), "ev%d", i);
		if (strcmp(got[i].name, name) != 0)
			ordered = 0;
	}
	ok(ordered, "events in arrival order");
	store_event_free_array(got, tk.n);
	ok(ready_has("ibx", NULL), "peeking leaves it ready");
	tk.flag = 1;
	is_int(run(&tk), STORE_OK, "take and consume");
	store_event_free_array(got, tk.n);
	is_int(inbox_count("ibx"), 0, "inbox empty after consume");
	ok(!ready_has("ibx", NULL), "consumed instance leaves the ready queue");
	ap.id = "ibx";
	run(&ap);
	ok(ready_has("ibx", NULL), "a new event makes it ready again");
	run(&ap);
	run(&ap);
	{
		struct call tn = {do_inbox_n, "ibx", NULL, &got, 0, 2};
		is_int(run(&tn), STORE_OK, "take the first 2 of 3");
		is_int(tn.n, 2, "two taken");
		store_event_free_array(got, tn.n);
		is_int(inbox_count("ibx"), 1, "one left");
		ok(ready_has("ibx", NULL), "still ready while one is left");
		is_int(run(&tn), STORE_OK, "take the rest");
		is_int(tn.n, 1, "the last one");
		store_event_free_array(got, tn.n);
		ok(!ready_has("ibx", NULL), "and then it leaves the ready queue");
	}
	ap.id = "bad/id";
	is_int(run(&ap), STORE_INVALID, "inbox of an invalid ID refused");
}

/* ---- tasks and timers ------------------------------------------------------ */

static enum store_err
do_task_add(struct store_txn *tx, struct call *c)
{
	return store_task_add(tx, hub, c->in, c->out);
}

static enum store_err
do_task_scan(struct store_txn *tx, struct call *c)
{
	return store_task_scan(tx, hub, (uint64_t)c->flag, 10, c->out, &c->n);
}

static enum store_err
do_task_del(struct store_txn *tx, struct call *c)
{
	return store_task_del(tx, hub, (uint64_t)c->flag);
}

static void
test_tasks(void)
{
	struct store_task t = {0}, *v = NULL;
	uint64_t seq[3];
	struct call add = {do_task_add, NULL, &t, NULL, 0, 0};
	struct call scan = {do_task_scan, NULL, NULL, &v, 0, 0};
	struct call del = {do_task_del, NULL, NULL, NULL, 0, 0};
	int i;

	t.instance_id = "inst";
	t.execution_id = "e";
	t.name = "SayHello";
	t.input = "\"Seattle\"";
	for (i = 0; i < 3; i++) {
		t.task_id = i;
		add.out = &seq[i];
		run(&add);
	}
	ok(seq[0] < seq[1] && seq[1] < seq[2], "task sequence numbers increase");
	is_int(run(&scan), STORE_OK, "tasks scanned");
	ok(scan.n == 3 && v[0].seq == seq[0] && v[2].task_id == 2 && strcmp(v[1].input, "\"Seattle\"") == 0,
	   "FIFO with their fields");
	store_task_free_array(v, scan.n);
	del.flag = (int)seq[0];
	is_int(run(&del), STORE_OK, "task deleted");
	is_int(run(&del), STORE_NOTFOUND, "deleting it again: STORE_NOTFOUND");
	scan.flag = (int)seq[1];
	run(&scan);
	ok(scan.n == 1 && v[0].seq == seq[2], "scan after a sequence number");
	store_task_free_array(v, scan.n);
	t.name = "bad/name";
	add.out = &seq[0];
	is_int(run(&add), STORE_INVALID, "task with an invalid function name refused");
}

static enum store_err
do_timer_add(struct store_txn *tx, struct call *c)
{
	return store_timer_add(tx, hub, c->id, c->in);
}

static enum store_err
do_timer_next(struct store_txn *tx, struct call *c)
{
	return store_timer_next(tx, hub, c->out);
}

static enum store_err
do_timer_take(struct store_txn *tx, struct call *c)
{
	char **ids = NULL;
	struct store_event *evs = NULL;
	enum store_err e = store_timer_take_due(tx, hub, (int64_t)c->flag, 10, &ids, &evs, &c->n);
	size_t i;

	if (e == STORE_OK) {
		for (i = 0; i < c->n; i++)
			((int32_t *)c->out)[i] = evs[i].task_id;
		store_strv_free(ids, c->n);
		store_event_free_array(evs, c->n);
	}
	return e;
}

static void
test_timers(void)
{
	struct store_event e = {0};
	struct call add = {do_timer_add, "tim", &e, NULL, 0, 0};
	int64_t next = 0;
	struct call nx = {do_timer_next, NULL, NULL, &next, 0, 0};
	int32_t fired[10];
	struct call take = {do_timer_take, NULL, NULL, fired, 0, 0};

	is_int(run(&nx), STORE_NOTFOUND, "no timers: STORE_NOTFOUND");
	e.type = 11;
	e.event_id = -1;
	e.task_id = 1;
	e.fire_at = 3000;
	run(&add);
	e.task_id = 2;
	e.fire_at = 1000;
	run(&add);
	e.task_id = 3;
	e.fire_at = 2000;
	add.id = "tim2";
	run(&add);
	is_int(run(&nx), STORE_OK, "next timer");
	is_int(next, 1000, "the earliest due time");
	take.flag = 2500;
	is_int(run(&take), STORE_OK, "due timers taken");
	ok(take.n == 2 && fired[0] == 2 && fired[1] == 3, "only the due ones, earliest first");
	run(&nx);
	is_int(next, 3000, "the remaining timer is next");
	take.flag = 2500;
	run(&take);
	is_int(take.n, 0, "nothing more due");
	e.fire_at = -5;
	is_int(run(&add), STORE_INVALID, "negative due time refused");
}

/* ---- registry ---------------------------------------------------------------- */

static enum store_err
do_publish(struct store_txn *tx, struct call *c)
{
	return store_function_publish(tx, hub, c->in, c->n);
}

static enum store_err
do_fn_get(struct store_txn *tx, struct call *c)
{
	return store_function_get(tx, hub, c->flag, c->id, c->out);
}

static enum store_err
do_fn_list(struct store_txn *tx, struct call *c)
{
	return store_function_list(tx, hub, c->flag, c->out, &c->n);
}

static void
test_registry(void)
{
	struct store_function fns[3] = {
		{STORE_FN_ORCHESTRATOR, "HelloSequence", "/app/hello.so", "hello_sequence"},
		{STORE_FN_ACTIVITY, "SayHello", "/app/hello.so", "say_hello"},
		{STORE_FN_ENTITY, "Counter", "/app/counter.sh", NULL},
	};
	struct store_function f, *v = NULL;
	struct call pub = {do_publish, NULL, fns, NULL, 3, 0};
	struct call g = {do_fn_get, "hellosequence", NULL, &f, 0, STORE_FN_ORCHESTRATOR};
	struct call l = {do_fn_list, NULL, NULL, &v, 0, STORE_FN_ACTIVITY};

	is_int(run(&pub), STORE_OK, "registry published");
	is_int(run(&g), STORE_OK, "orchestrator found case-insensitively");
	ok(strcmp(f.name, "HelloSequence") == 0 && strcmp(f.entry, "hello_sequence") == 0, "with its details");
	store_function_clear(&f);
	g.flag = STORE_FN_ACTIVITY;
	is_int(run(&g), STORE_NOTFOUND, "an orchestrator is not an activity");
	is_int(run(&l), STORE_OK, "activities listed");
	ok(l.n == 1 && strcmp(v[0].name, "SayHello") == 0, "one activity");
	store_function_free_array(v, l.n);
	pub.n = 1;
	pub.in = &fns[1];
	run(&pub);
	g.flag = STORE_FN_ORCHESTRATOR;
	is_int(run(&g), STORE_NOTFOUND, "publication replaces the whole registry");
	fns[0].name = "bad/name";
	pub.in = fns;
	is_int(run(&pub), STORE_INVALID, "invalid function name refused");
	g.flag = STORE_FN_ACTIVITY;
	g.id = "SayHello";
	is_int(run(&g), STORE_OK, "refused publication changed nothing");
	store_function_clear(&f);
}

/* ---- entities -------------------------------------------------------------- */

static enum store_err
do_ent_put(struct store_txn *tx, struct call *c)
{
	return store_entity_put(tx, hub, c->in);
}

static enum store_err
do_ent_get(struct store_txn *tx, struct call *c)
{
	const struct store_entity *k = c->in;

	return store_entity_get(tx, hub, k->name, k->key, c->out);
}

static enum store_err
do_ent_del(struct store_txn *tx, struct call *c)
{
	const struct store_entity *k = c->in;

	return store_entity_delete(tx, hub, k->name, k->key);
}

static enum store_err
do_ent_query(struct store_txn *tx, struct call *c)
{
	struct store_entity *v = NULL;
	char *next = NULL;
	struct store_entity_query *q = (void *)c->in;
	enum store_err e = store_entity_query(tx, hub, q, &v, &c->n, &next);

	if (e == STORE_OK) {
		store_entity_free_array(v, c->n);
		*(char **)c->out = next;
	}
	return e;
}

static void
test_entities(void)
{
	struct store_entity en = {0}, got;
	struct call put = {do_ent_put, NULL, &en, NULL, 0, 0};
	struct call g = {do_ent_get, NULL, &en, &got, 0, 0};
	struct call del = {do_ent_del, NULL, &en, NULL, 0, 0};
	struct store_entity_query q = {0};
	char *next = NULL, key[16];
	struct call qc = {do_ent_query, NULL, &q, &next, 0, 0};
	size_t total = 0;
	int i, pages = 0;

	en.name = "Counter";
	for (i = 0; i < 23; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		en.key = key;
		en.state = "5";
		en.last_op = 100 + i;
		run(&put);
	}
	en.name = "Other";
	en.key = "";
	en.state = NULL;
	en.last_op = 1;
	is_int(run(&put), STORE_OK, "entity with an empty key and no state stored");
	en.name = "counter";
	en.key = "k03";
	is_int(run(&g), STORE_OK, "entity read case-insensitively");
	ok(strcmp(got.state, "5") == 0 && got.last_op == 103 && strcmp(got.name, "Counter") == 0,
	   "state and last operation time");
	store_entity_clear(&got);

	q.name = "COUNTER";
	q.page = 5;
	do {
		q.token = next;
		if (run(&qc) != STORE_OK) {
			free(next); /* this page's token: the query failed */
			next = NULL;
			break;
		}
		free((char *)q.token);
		total += qc.n;
		pages++;
	} while (next != NULL && pages < 20);
	is_int(total, 23, "paging by name returns all 23 counters");
	is_int(pages, 5, "in 5 pages of 5, the last without a token");
	q.name = NULL;
	q.page = 100;
	q.token = NULL;
	run(&qc);
	is_int(qc.n, 24, "listing every entity");
	free(next);
	q.last_op_from = 110;
	q.last_op_to = 112;
	run(&qc);
	is_int(qc.n, 3, "lastOperationTime filter");
	free(next);
	q.token = "AAAAAAAAAAAA";
	is_int(run(&qc), STORE_INVALID, "forged entity token refused");
	q.token = NULL;

	en.name = "Counter";
	en.key = "k00";
	is_int(run(&del), STORE_OK, "entity deleted");
	is_int(run(&g), STORE_NOTFOUND, "deleted entity not found");
	is_int(run(&del), STORE_NOTFOUND, "deleting it again: STORE_NOTFOUND");
	en.name = "bad/name";
	is_int(run(&put), STORE_INVALID, "invalid entity name refused");
}

/* ---- queries ------------------------------------------------------------------ */

struct page_acc {
	struct store_query q;
	char seen[2000];
	int dups, pages, count;
	char *next;
};

static enum store_err
do_query(struct store_txn *tx, struct call *c)
{
	struct page_acc *pa = c->out;
	struct store_instance *v = NULL;
	size_t n = 0, i;
	enum store_err e;

	free(pa->next);
	pa->next = NULL;
	e = store_instance_query(tx, hub, &pa->q, &v, &n, &pa->next);
	if (e != STORE_OK)
		return e;
	for (i = 0; i < n; i++) {
		int k;

		if (sscanf(v[i].id, "q-%d", &k) == 1 && k >= 0 && k < 2000) {
			if (pa->seen[k])
				pa->dups++;
			pa->seen[k] = 1;
		}
		pa->count++;
	}
	c->n = n;
	store_instance_free_array(v, n);
	return STORE_OK;
}

/* Pages through a query; inserts `insert` new instances between pages. */
static enum store_err
page_all(struct page_acc *pa, int insert)
{
	struct call c = {do_query, NULL, NULL, pa, 0, 0};
	enum store_err e;
	static int extra;
	char id[32];
	int i;

	pa->pages = 0;
	do {
		char *tok = pa->next ? strdup(pa->next) : NULL;

		pa->q.token = tok;
		/* Read-only, as the API's listings: do_query counts what it
		 * sees, so it must not run again after a failed commit. */
		e = store_txn_run(st, STORE_TXN_READONLY, call_body, &c);
		free(tok);
		pa->q.token = NULL;
		if (e != STORE_OK)
			return e;
		pa->pages++;
		for (i = 0; i < insert; i++) {
			snprintf(id, sizeof(id), "extra-%d", extra++);
			create(id, "Extra", NULL, 100000 + extra, NULL);
		}
	} while (pa->next != NULL && pa->pages < 1000);
	return STORE_OK;
}

static void
test_query(void)
{
	struct page_acc pa;
	char id[32];
	int i, missing;
	const char *names[] = {"Alpha", "Beta", "Gamma"};

	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "q-%d", i);
		create(id, names[i % 3], "1", 20000 + i * 10, NULL);
		if (i % 4 == 1)
			set_status(id, STATUS_COMPLETED);
		else if (i % 4 == 2)
			set_status(id, STATUS_FAILED);
		else if (i % 4 == 3)
			set_status(id, STATUS_RUNNING);
	}

	/* By created time, 37 a page, while others are being inserted. */
	memset(&pa, 0, sizeof(pa));
	pa.q.created_from = 20000;
	pa.q.created_to = 20000 + 299 * 10;
	pa.q.page = 37;
	is_int(page_all(&pa, 3), STORE_OK, "created-time paging");
	for (i = 0, missing = 0; i < 300; i++)
		missing += !pa.seen[i];
	ok(missing == 0 && pa.dups == 0, "every instance once under concurrent inserts (missing %d, dups %d)", missing,
	   pa.dups);
	is_int(pa.pages, 9, "ceil(300/37) pages, the last one without a token");

	/* By status set. */
	memset(&pa, 0, sizeof(pa));
	pa.q.status_mask = STATUS_BIT(STATUS_COMPLETED) | STATUS_BIT(STATUS_FAILED);
	pa.q.page = 20;
	is_int(page_all(&pa, 2), STORE_OK, "status paging");
	for (i = 0, missing = 0; i < 300; i++)
		missing += (i % 4 == 1 || i % 4 == 2) != pa.seen[i];
	ok(missing == 0 && pa.dups == 0 && pa.count == 150, "exactly the Completed and Failed ones (%d)", pa.count);

	/* By prefix. */
	memset(&pa, 0, sizeof(pa));
	pa.q.prefix = "q-1";
	pa.q.page = 7;
	is_int(page_all(&pa, 1), STORE_OK, "prefix paging");
	is_int(pa.count, 111, "q-1, q-10..19, q-100..199: 111 instances");
	is_int(pa.dups, 0, "no duplicates");

	/* Name filter with status and time. */
	memset(&pa, 0, sizeof(pa));
	pa.q.name = "beta";
	pa.q.status_mask = STATUS_BIT(STATUS_RUNNING);
	pa.q.created_from = 20000;
	pa.q.created_to = 20000 + 149 * 10;
	pa.q.page = 100;
	is_int(page_all(&pa, 0), STORE_OK, "name + status + time query");
	for (i = 0, missing = 0; i < 300; i++)
		missing += (i % 3 == 1 && i % 4 == 3 && i < 150) != pa.seen[i];
	is_int(missing, 0, "exactly Beta, Running, created in range");

	/* An exact page count leaves no token for an empty last page. */
	memset(&pa, 0, sizeof(pa));
	pa.q.prefix = "q-29";
	pa.q.page = 11; /* q-29, q-290..299 */
	is_int(page_all(&pa, 0), STORE_OK, "exact-size query");
	ok(pa.pages == 1 && pa.count == 11, "one page, no trailing empty page");

	/* Bad tokens and filters. */
	memset(&pa, 0, sizeof(pa));
	pa.q.page = 10;
	{
		struct call c = {do_query, NULL, NULL, &pa, 0, 0};
		char *tok;

		pa.q.token = "bm90LWEtdG9rZW4";
		is_int(run(&c), STORE_INVALID, "forged token refused");
		pa.q.token = NULL;
		pa.q.prefix = "q-";
		run(&c);
		tok = strdup(pa.next);
		pa.q.prefix = NULL;
		pa.q.token = tok;
		is_int(run(&c), STORE_INVALID, "a prefix token used for a time query is refused");
		pa.q.prefix = "zz";
		is_int(run(&c), STORE_INVALID, "a token from another prefix is refused");
		free(tok);
		pa.q.token = NULL;
		pa.q.prefix = NULL;
		pa.q.page = 0;
		is_int(run(&c), STORE_INVALID, "page size 0 refused");
		pa.q.page = STORE_MAX_PAGE + 1;
		is_int(run(&c), STORE_INVALID, "page size over the maximum refused");
		pa.q.page = 10;
		pa.q.created_from = 50;
		pa.q.created_to = 40;
		is_int(run(&c), STORE_INVALID, "an inverted time range is refused");
		free(pa.next);
	}
}

/* ---- purge --------------------------------------------------------------------- */

static enum store_err
do_purge(struct store_txn *tx, struct call *c)
{
	return store_instance_purge(tx, hub, c->id, NULL);
}

static void
test_purge(void)
{
	struct call p = {do_purge, "pg-run", NULL, NULL, 0, 0};
	struct store_purge_filter f = {0};
	struct store_instance r;
	uint64_t deleted = 0, total = 0;
	int more = 1, rounds = 0, i;
	char id[32];

	create("pg-run", "P", NULL, 900000, NULL);
	set_status("pg-run", STATUS_RUNNING);
	is_int(run(&p), STORE_STATE, "a running instance is not purged");
	ok(get("pg-run", &r) == STORE_OK, "and is still there");
	store_instance_clear(&r);
	set_status("pg-run", STATUS_COMPLETED);
	{
		struct store_event ev = {0};
		struct call a = {do_hist_append, "pg-run", &ev, NULL, 1, 0};

		ev.type = 12;
		run(&a);
	}
	is_int(run(&p), STORE_OK, "a completed instance is purged");
	ok(get("pg-run", &r) == STORE_NOTFOUND, "gone");
	is_int(history_len("pg-run"), 0, "with its history");
	is_int(inbox_count("pg-run"), 0, "and its inbox");
	ok(!ready_has("pg-run", NULL), "and its ready entry");
	is_int(run(&p), STORE_NOTFOUND, "purging it again: STORE_NOTFOUND");

	for (i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "pb-%d", i);
		create(id, "P", NULL, 1000000 + i, NULL);
		set_status(id, i < 20 ? STATUS_TERMINATED : STATUS_RUNNING);
	}
	f.created_from = 1000000;
	f.created_to = 1000000 + 24;
	while (more && rounds < 10) {
		is_int(store_purge_batch(st, hub, &f, 8, &deleted, &more), STORE_OK, "purge batch %d", rounds);
		total += deleted;
		rounds++;
	}
	is_int(total, 20, "every terminated instance in range purged");
	is_int(rounds, 3, "in bounded batches of 8 (8, 8, 4) with 'more' until done");
	ok(get("pb-21", &r) == STORE_OK, "running instances survive a filtered purge");
	store_instance_clear(&r);
	f.status_mask = STATUS_BIT(STATUS_RUNNING);
	store_purge_batch(st, hub, &f, 8, &deleted, &more);
	ok(deleted == 0 && !more, "a purge filter naming only non-terminal states deletes nothing");
	is_int(store_purge_batch(st, hub, &f, 0, &deleted, &more), STORE_INVALID, "batch size 0 refused");
}

/* ---- busy ------------------------------------------------------------------------- */

/* In a child with its own environment handle (DB_REGISTER allows one per
 * process): write-lock busy-1, tell the parent, wait to be killed. */
static enum store_err
hold_body(struct store_txn *tx, void *arg)
{
	int *fd = arg;
	struct store_hub *h;
	struct store_instance r;
	enum store_err e;

	if ((e = store_hub_open(st, "TestHub", &h)) != STORE_OK)
		return e;
	if ((e = store_instance_get(tx, h, "busy-1", 0, &r)) != STORE_OK)
		return e;
	r.status = STATUS_SUSPENDED;
	e = store_instance_put(tx, h, &r);
	store_instance_clear(&r);
	if (e != STORE_OK)
		return e;
	if (write(*fd, "x", 1) != 1)
		_exit(3);
	pause();
	return STORE_OK;
}

static void
test_busy(void)
{
	struct store_options o;
	struct store_instance r;
	int fds[2];
	pid_t pid;
	char c, path[1024];

	create("busy-1", "B", NULL, 1, NULL);
	snprintf(path, sizeof(path), "%s", store_home(st));
	if (pipe(fds) == -1)
		tap_bail("pipe");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		alarm(60);
		store_options_init(&o);
		if (store_open(path, &o, &st) != STORE_OK)
			_exit(2);
		store_txn_run(st, 0, hold_body, &fds[1]);
		_exit(0);
	}
	if (read(fds[0], &c, 1) != 1)
		tap_bail("holder did not start");
	/* The parent's handle retries max_retries times, then gives up. */
	is_int(set_status("busy-1", STATUS_RUNNING), STORE_BUSY,
	       "a lock held by a live transaction past the retry bound: STORE_BUSY");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(get("busy-1", &r) == STORE_OK && r.status == STATUS_PENDING,
	   "neither the refused write nor the dead holder's uncommitted one is visible");
	store_instance_clear(&r);
	/* failchk in the retry path releases the dead holder's locks. */
	is_int(set_status("busy-1", STATUS_COMPLETED), STORE_OK, "after the holder dies the record is writable");
	ok(get("busy-1", &r) == STORE_OK && r.status == STATUS_COMPLETED, "the write is there");
	store_instance_clear(&r);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	struct store_stats s;

	st = testenv_open("env", STORE_DURABLE_WRITE_NOSYNC);
	hub = testenv_hub(st);
	test_hubs();
	test_create();
	test_history();
	test_inbox();
	test_tasks();
	test_timers();
	test_registry();
	test_entities();
	test_query();
	test_purge();
	test_busy();
	is_int(store_hub_stats(st, hub, &s), STORE_OK, "stats");
	ok(s.instances > 300 && s.entities == 23 && s.functions == 1 && s.timers == 1, "stats count the records");
	is_int(check_problems(), 0, "check finds no problem after all of the above");
	is_int(store_maintain(st), STORE_OK, "maintenance: checkpoint and log removal");
	store_close(st);
	return tap_done();
}
