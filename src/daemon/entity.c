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

/* One entity's batch inside the transaction. */
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
	size_t nev = 0;
	char *state = NULL;
	int existed, changed = 0;
	int64_t now = time_now_us();
	enum store_err e;

	memset(&ent, 0, sizeof(ent));
	if (ent_split(r->id, lname, sizeof(lname), &key) == -1)
		return STORE_OK;
	fn = app_find(&d->app, APP_ENTITY, lname);
	if (fn == NULL || fn->exe || fn->sym == NULL) {
		/* Left in the store: signals must not be lost because the
		 * daemon runs an app without this entity. */
		log_warnx("entity %s: no in-process entity function '%s' in the app; its operations wait", r->id, lname);
		return STORE_OK;
	}
	if ((e = store_inbox_take_n(tx, h, r->id, d->app.host.max_entity_batch, 1, &ev, &nev)) != STORE_OK)
		return e;
	if (nev == d->app.host.max_entity_batch)
		ent_ready(b, r->hub, r->id); /* a full batch: more may wait */
	e = store_entity_get(tx, h, fn->name, key, &ent);
	if (e != STORE_OK && e != STORE_NOTFOUND)
		goto out;
	existed = e == STORE_OK;
	if (existed && ent.state != NULL && (state = strdup(ent.state)) == NULL) {
		e = STORE_NOMEM;
		goto out;
	}
	e = STORE_OK;
	for (size_t i = 0; i < nev && e == STORE_OK; i++) {
		struct sdk_entity_result res;
		if (ev[i].type != EVENT_EVENT_RAISED || ev[i].name == NULL)
			continue;
		/* The entity's code is not a stalled store (store.h). */
		store_txn_watch(tx, 0);
		sdk_entity_run((th_entity_fn *)fn->sym, fn->name, key, ev[i].name, ev[i].data, state, &res);
		store_txn_watch(tx, 1);
		b->applied++;
		/* A call (its request ID in version) gets its answer: an event
		 * named by the request ID, the result as its data or the reason
		 * of a failure as its detail. */
		if (ev[i].version != NULL && ev[i].instance_id != NULL && ev[i].instance_id[0] != '@') {
			struct store_event ans;
			memset(&ans, 0, sizeof(ans));
			ans.type = EVENT_EVENT_RAISED;
			ans.event_id = -1;
			ans.task_id = -1;
			ans.timestamp = now;
			ans.name = ev[i].version;
			ans.instance_id = (char *)r->id;
			if (res.ok)
				ans.data = res.result;
			else
				ans.detail = res.error ? res.error : "the operation failed";
			if ((e = ent_answer(tx, b, r->hub, ev[i].instance_id, &ans, now)) != STORE_OK) {
				sdk_entity_result_clear(&res);
				break;
			}
		}
		if (!res.ok) {
			/* A failed operation changes nothing. */
			log_info("entity %s: operation '%s' failed: %s", r->id, ev[i].name, res.error ? res.error : "?");
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
	if (state != NULL) {
		struct store_entity w;
		memset(&w, 0, sizeof(w));
		w.name = fn->name;
		w.key = (char *)key;
		w.state = state;
		w.last_op = now;
		w.locked_by = ent.locked_by;
		e = store_entity_put(tx, h, &w);
	} else if (existed)
		e = store_entity_delete(tx, h, fn->name, key);
out:
	free(state);
	store_entity_clear(&ent);
	store_event_free_array(ev, nev);
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
