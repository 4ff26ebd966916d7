/*
 * entity.c — the entity dispatcher (spec §1.3 "Entities", DESIGN §4): an
 * entity "@name@key" with operations in its inbox gets a batch — up to
 * maxEntityOperationBatchSize operations, in arrival order — applied to
 * its state one after the other by its C entity function, and the new
 * state, lastOperationTime and the signals the operations sent are
 * written in the same transaction as the inbox events are consumed. So an
 * operation is applied exactly once: a crash before the commit leaves the
 * whole batch in the inbox, after it none of it.
 *
 * Several entities share one transaction, as episodes do. Executable
 * entities (the batch protocol of spec §6.4) are not run yet.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "daemon/daemon.h"

struct ent_ref {
	int hub;
	char *id;
};

struct ent_batch {
	struct daemon *d;
	struct ent_ref *refs;
	size_t n;
	/* after the commit: entities that got signals */
	struct ent_ref *ready;
	size_t nready, capready;
	uint64_t applied;
};

static void
ent_ready(struct ent_batch *b, int hub, const char *id)
{
	if (b->nready == b->capready) {
		size_t nc = b->capready ? b->capready * 2 : 16;
		struct ent_ref *nv = realloc(b->ready, nc * sizeof(*nv));
		if (nv == NULL)
			return; /* the signal is in the store: the next rescan finds it */
		b->ready = nv;
		b->capready = nc;
	}
	if ((b->ready[b->nready].id = strdup(id)) != NULL)
		b->ready[b->nready++].hub = hub;
}

static void
ent_ready_clear(struct ent_batch *b)
{
	for (size_t i = 0; i < b->nready; i++)
		free(b->ready[i].id);
	b->nready = 0;
}

/* "@name@key" -> name (lower case, as in the ID) and key; 0 or -1. */
static int
ent_split(const char *id, char *name, size_t len, const char **key)
{
	const char *at;

	if (id[0] != '@' || (at = strchr(id + 1, '@')) == NULL || (size_t)(at - id - 1) >= len)
		return -1;
	memcpy(name, id + 1, (size_t)(at - id - 1));
	name[at - id - 1] = '\0';
	*key = at + 1;
	return 0;
}

/* The answer to a call goes to the calling instance, if it still exists. */
static enum store_err
ent_answer(struct store_txn *tx, struct ent_batch *b, int hub, const char *caller, const struct store_event *ans,
	   int64_t now)
{
	struct store_hub *h = b->d->hubs[hub].h;
	struct store_instance inst;
	enum store_err e = store_instance_get(tx, h, caller, 0, &inst);

	if (e == STORE_NOTFOUND)
		return STORE_OK;
	if (e != STORE_OK)
		return e;
	store_instance_clear(&inst);
	if ((e = store_inbox_append(tx, h, caller, ans, now)) == STORE_OK)
		ent_ready(b, hub, caller);
	return e;
}

/* The events to apply, in order: pointers into arrays owned by owned[]. */
struct ent_queue {
	const struct store_event **v;
	size_t n, cap;
	struct store_event *owned[8];
	size_t nowned[8], k;
};

static int
ent_queue_insert(struct ent_queue *q, size_t at, struct store_event *ev, size_t n)
{
	if (n == 0) {
		free(ev);
		return 0;
	}
	if (q->k == 8)
		return -1;
	q->owned[q->k] = ev;
	q->nowned[q->k++] = n;
	if (q->n + n > q->cap) {
		size_t nc = (q->n + n) * 2;
		const struct store_event **nv = realloc(q->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		q->v = nv;
		q->cap = nc;
	}
	memmove(q->v + at + n, q->v + at, (q->n - at) * sizeof(*q->v));
	for (size_t i = 0; i < n; i++)
		q->v[at + i] = &ev[i];
	q->n += n;
	return 0;
}

static void
ent_queue_free(struct ent_queue *q)
{
	for (size_t i = 0; i < q->k; i++)
		store_event_free_array(q->owned[i], q->nowned[i]);
	free(q->v);
}

/* Answers a call (its request ID in version): an event named by the
 * request ID, the result as its data or a failure's reason as its detail. */
static enum store_err
ent_reply(struct store_txn *tx, struct ent_batch *b, int hub, const char *self, const struct store_event *req,
	  const char *result, const char *error, int64_t now)
{
	struct store_event ans;

	if (req->version == NULL || req->instance_id == NULL || req->instance_id[0] == '@')
		return STORE_OK;
	memset(&ans, 0, sizeof(ans));
	ans.type = EVENT_EVENT_RAISED;
	ans.event_id = -1;
	ans.task_id = -1;
	ans.timestamp = now;
	ans.name = req->version;
	ans.instance_id = (char *)self;
	ans.data = (char *)result;
	ans.detail = (char *)error;
	return ent_answer(tx, b, hub, req->instance_id, &ans, now);
}

/*
 * One entity's batch inside the transaction.
 *
 * Critical sections: "@lock" from an orchestration takes the entity's lock
 * when it is free (the caller is answered), else waits; while the entity
 * is locked, everything from others than the holder goes to its held queue
 * in arrival order; "@unlock" from the holder frees it, and the held
 * operations then come before the rest of the inbox (they arrived first).
 * '@' cannot begin an operation name sent over HTTP or by an entity, so
 * only the SDK's th_lock_entities() sends these.
 */
static enum store_err
ent_one(struct store_txn *tx, struct ent_batch *b, const struct ent_ref *r)
{
	struct daemon *d = b->d;
	struct store_hub *h = d->hubs[r->hub].h;
	char lname[IDS_NAME_MAX + 1];
	const char *key;
	const struct app_fn *fn;
	struct store_event *ev = NULL;
	struct store_entity ent;
	struct ent_queue q;
	size_t nev = 0;
	char *state = NULL, *locked_by = NULL;
	int existed, changed = 0;
	int64_t now = time_now_us();
	enum store_err e;

	memset(&ent, 0, sizeof(ent));
	memset(&q, 0, sizeof(q));
	if (ent_split(r->id, lname, sizeof(lname), &key) == -1)
		return STORE_OK;
	fn = app_find(&d->app, APP_ENTITY, lname);
	if (fn == NULL || fn->exe || fn->sym == NULL) {
		/* Left in the store: signals must not be lost because the
		 * daemon runs an app without this entity. */
		log_warnx("entity %s: no in-process entity function '%s' in the app; its operations wait", r->id, lname);
		return STORE_OK;
	}
	e = store_entity_get(tx, h, fn->name, key, &ent);
	if (e != STORE_OK && e != STORE_NOTFOUND)
		goto out;
	existed = e == STORE_OK;
	if ((existed && ent.state != NULL && (state = strdup(ent.state)) == NULL) ||
	    (existed && ent.locked_by != NULL && (locked_by = strdup(ent.locked_by)) == NULL)) {
		e = STORE_NOMEM;
		goto out;
	}
	if (locked_by == NULL) {
		if ((e = store_held_take(tx, h, r->id, &ev, &nev)) != STORE_OK)
			goto out;
		if (ent_queue_insert(&q, 0, ev, nev) == -1) {
			store_event_free_array(ev, nev);
			e = STORE_NOMEM;
			goto out;
		}
		if (nev > 0)
			changed = 1;
	}
	if ((e = store_inbox_take_n(tx, h, r->id, d->app.host.max_entity_batch, 1, &ev, &nev)) != STORE_OK)
		goto out;
	if (nev == d->app.host.max_entity_batch)
		ent_ready(b, r->hub, r->id); /* a full batch: more may wait */
	if (ent_queue_insert(&q, q.n, ev, nev) == -1) {
		store_event_free_array(ev, nev);
		e = STORE_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < q.n && e == STORE_OK; i++) {
		const struct store_event *op = q.v[i];
		struct sdk_entity_result res;
		const char *from = op->instance_id;
		if (op->type != EVENT_EVENT_RAISED || op->name == NULL)
			continue;
		if (locked_by != NULL && (from == NULL || strcmp(from, locked_by) != 0)) {
			e = store_held_append(tx, h, r->id, op); /* waits for the release */
			changed = 1;
			continue;
		}
		if (strcmp(op->name, "@lock") == 0) {
			if (from != NULL && locked_by == NULL && (locked_by = strdup(from)) == NULL) {
				e = STORE_NOMEM;
				break;
			}
			changed = 1;
			e = ent_reply(tx, b, r->hub, r->id, op, "true", NULL, now);
			continue;
		}
		if (strcmp(op->name, "@unlock") == 0) {
			struct store_event *held = NULL;
			size_t nheld = 0;
			free(locked_by);
			locked_by = NULL;
			changed = 1;
			/* What waited comes next, before the newer inbox events. */
			if ((e = store_held_take(tx, h, r->id, &held, &nheld)) == STORE_OK &&
			    ent_queue_insert(&q, i + 1, held, nheld) == -1) {
				store_event_free_array(held, nheld);
				e = STORE_NOMEM;
			}
			continue;
		}
		/* The entity's code is not a stalled store (store.h). */
		store_txn_watch(tx, 0);
		sdk_entity_run((th_entity_fn *)fn->sym, fn->name, key, op->name, op->data, state, &res);
		store_txn_watch(tx, 1);
		b->applied++;
		if ((e = ent_reply(tx, b, r->hub, r->id, op, res.ok ? res.result : NULL,
				   res.ok ? NULL : (res.error ? res.error : "the operation failed"), now)) != STORE_OK) {
			sdk_entity_result_clear(&res);
			break;
		}
		if (!res.ok) {
			/* A failed operation changes nothing. */
			log_info("entity %s: operation '%s' failed: %s", r->id, op->name, res.error ? res.error : "?");
			sdk_entity_result_clear(&res);
			continue;
		}
		changed = 1;
		free(state);
		state = res.state;
		res.state = NULL;
		for (size_t k = 0; k < res.nsignals && e == STORE_OK; k++) {
			struct store_event sig;
			memset(&sig, 0, sizeof(sig));
			sig.type = EVENT_EVENT_RAISED;
			sig.event_id = -1;
			sig.task_id = -1;
			sig.timestamp = now;
			sig.name = res.signals[k].op;
			sig.data = res.signals[k].input;
			sig.instance_id = (char *)r->id;
			if ((e = store_inbox_append(tx, h, res.signals[k].id, &sig, now)) == STORE_OK)
				ent_ready(b, r->hub, res.signals[k].id);
		}
		sdk_entity_result_clear(&res);
	}
	if (e != STORE_OK || !changed)
		goto out;
	if (state != NULL || locked_by != NULL) {
		struct store_entity w;
		memset(&w, 0, sizeof(w));
		w.name = fn->name;
		w.key = (char *)key;
		w.state = state;
		w.last_op = now;
		w.locked_by = locked_by;
		e = store_entity_put(tx, h, &w);
	} else if (existed)
		e = store_entity_delete(tx, h, fn->name, key);
out:
	free(state);
	free(locked_by);
	store_entity_clear(&ent);
	ent_queue_free(&q);
	return e;
}

static enum store_err
ent_body(struct store_txn *tx, void *arg)
{
	struct ent_batch *b = arg;
	enum store_err e;

	ent_ready_clear(b);
	b->applied = 0;
	for (size_t i = 0; i < b->n; i++)
		if ((e = ent_one(tx, b, &b->refs[i])) != STORE_OK)
			return e;
	return STORE_OK;
}

size_t
entity_run_batch(struct daemon *d, size_t max)
{
	struct ent_batch b;
	struct daemon_ready *r;
	enum store_err e;

	memset(&b, 0, sizeof(b));
	b.d = d;
	if (max == 0 || d->ent_head == NULL || (b.refs = calloc(max, sizeof(*b.refs))) == NULL)
		return 0;
	while (b.n < max && (r = d->ent_head) != NULL) {
		char k[600];
		d->ent_head = r->next;
		if (d->ent_head == NULL)
			d->ent_tail = NULL;
		snprintf(k, sizeof(k), "%d/%s", r->hub, r->id);
		sset_del(&d->ent_set, k);
		b.refs[b.n].hub = r->hub;
		b.refs[b.n].id = r->id;
		b.n++;
		free(r);
	}
	e = store_txn_run(d->st, 0, ent_body, &b);
	if (e == STORE_OK) {
		for (size_t i = 0; i < b.nready; i++)
			sched_ready_push(d, b.ready[i].hub, b.ready[i].id);
		d->entity_ops += b.applied;
	} else {
		/* Nothing was applied: the operations are still in the store. */
		log_warnx("entity batch of %zu: %s; the next rescan tries again", b.n, store_strerror(e));
		if (e == STORE_BUSY)
			for (size_t i = 0; i < b.n; i++)
				sched_ready_push(d, b.refs[i].hub, b.refs[i].id);
	}
	ent_ready_clear(&b);
	free(b.ready);
	for (size_t i = 0; i < b.n; i++)
		free(b.refs[i].id);
	free(b.refs);
	return b.n;
}
