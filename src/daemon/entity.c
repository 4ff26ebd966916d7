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

#include <json-c/json.h>

#include "common/buf.h"
#include "common/event.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "daemon/daemon.h"

struct ent_ref {
	int hub;
	char *id;
	struct daemon_entprep *prep; /* an executable's second transaction, or NULL */
};

struct ent_batch {
	struct daemon *d;
	struct ent_ref *refs;
	size_t n;
	/* after the commit: entities that got signals */
	struct ent_ref *ready;
	size_t nready, capready;
	uint64_t applied;
	/* executable entities' batches to hand to a child after the commit */
	struct daemon_entprep **preps;
	char **requests;
	size_t nprep;
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
	struct store_event **owned; /* the arrays v points into */
	size_t *nowned, k, capk;
};

/* Inserts n events at position at; takes ev (freed on failure too). */
static int
ent_queue_insert(struct ent_queue *q, size_t at, struct store_event *ev, size_t n)
{
	if (n == 0) {
		free(ev);
		return 0;
	}
	if (q->k == q->capk) {
		size_t nc = q->capk ? q->capk * 2 : 4;
		struct store_event **no = realloc(q->owned, nc * sizeof(*no));
		size_t *nn;
		if (no == NULL)
			goto fail;
		q->owned = no;
		if ((nn = realloc(q->nowned, nc * sizeof(*nn))) == NULL)
			goto fail;
		q->nowned = nn;
		q->capk = nc;
	}
	q->owned[q->k] = ev;
	q->nowned[q->k++] = n;
	if (q->n + n > q->cap) {
		size_t nc = (q->n + n) * 2;
		const struct store_event **nv = realloc(q->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1; /* ev is owned by q already */
		q->v = nv;
		q->cap = nc;
	}
	memmove(q->v + at + n, q->v + at, (q->n - at) * sizeof(*q->v));
	for (size_t i = 0; i < n; i++)
		q->v[at + i] = &ev[i];
	q->n += n;
	return 0;
fail:
	store_event_free_array(ev, n);
	return -1;
}

static void
ent_queue_free(struct ent_queue *q)
{
	for (size_t i = 0; i < q->k; i++)
		store_event_free_array(q->owned[i], q->nowned[i]);
	free(q->owned);
	free(q->nowned);
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

static void
ent_prep_free(struct daemon_entprep *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->reply);
	free(p->fatal);
	free(p);
}

static void
ent_preps_clear(struct ent_batch *b)
{
	for (size_t i = 0; i < b->nprep; i++) {
		ent_prep_free(b->preps[i]);
		free(b->requests[i]);
	}
	free(b->preps);
	free(b->requests);
	b->preps = NULL;
	b->requests = NULL;
	b->nprep = 0;
}

static int
ent_is_lock_op(const struct store_event *op)
{
	return op->name != NULL && (strcmp(op->name, "@lock") == 0 || strcmp(op->name, "@unlock") == 0);
}

/* First transaction of an executable entity's batch: the batch request of
 * spec §6.4 from the first operations in its inbox, nothing written. */
static enum store_err
ent_exe_prepare(struct store_txn *tx, struct ent_batch *b, const struct ent_ref *r, const struct app_fn *fn,
		const char *key)
{
	struct daemon *d = b->d;
	struct store_hub *h = d->hubs[r->hub].h;
	struct store_entity ent;
	struct store_event *ev = NULL;
	size_t nev = 0;
	struct buf req;
	struct daemon_entprep *p = NULL;
	enum store_err e;
	int existed, first = 1;

	memset(&ent, 0, sizeof(ent));
	e = store_entity_get(tx, h, fn->name, key, &ent);
	if (e != STORE_OK && e != STORE_NOTFOUND)
		return e;
	existed = e == STORE_OK && ent.state != NULL;
	if ((e = store_inbox_take_n(tx, h, r->id, d->app.host.max_entity_batch, 0, &ev, &nev)) != STORE_OK ||
	    nev == 0)
		goto out;
	buf_init(&req, 64u << 20);
	buf_adds(&req, "{\"self\":{\"name\":");
	jsonw_str(&req, fn->name);
	buf_adds(&req, ",\"key\":");
	jsonw_str(&req, key);
	buf_printf(&req, "},\"exists\":%s,\"state\":", existed ? "true" : "false");
	if (existed)
		jsonw_str(&req, ent.state); /* a JSON-encoded string, as the protocol has it */
	else
		buf_adds(&req, "null");
	buf_adds(&req, ",\"batch\":[");
	for (size_t i = 0; i < nev; i++) {
		if (ev[i].type != EVENT_EVENT_RAISED || ev[i].name == NULL || ent_is_lock_op(&ev[i]))
			continue;
		buf_adds(&req, first ? "{\"name\":" : ",{\"name\":");
		first = 0;
		jsonw_str(&req, ev[i].name);
		buf_adds(&req, ",\"input\":");
		jsonw_str(&req, ev[i].data ? ev[i].data : "null");
		buf_printf(&req, ",\"isSignal\":%s}", ev[i].version == NULL ? "true" : "false");
	}
	buf_adds(&req, "]}");
	if (req.overflow || (p = calloc(1, sizeof(*p))) == NULL || (p->id = strdup(r->id)) == NULL) {
		buf_free(&req);
		ent_prep_free(p);
		e = STORE_NOMEM;
		goto out;
	}
	{
		struct daemon_entprep **np = realloc(b->preps, (b->nprep + 1) * sizeof(*np));
		char **nr = np ? realloc(b->requests, (b->nprep + 1) * sizeof(*nr)) : NULL;
		if (np != NULL)
			b->preps = np;
		if (nr == NULL) {
			buf_free(&req);
			ent_prep_free(p);
			e = STORE_NOMEM;
			goto out;
		}
		b->requests = nr;
	}
	p->hub = r->hub;
	p->last_op = existed ? ent.last_op : 0;
	p->n = nev;
	b->preps[b->nprep] = p;
	b->requests[b->nprep++] = req.p; /* taken */
out:
	store_entity_clear(&ent);
	store_event_free_array(ev, nev);
	return e;
}

/* A JSON-encoded string member (the protocol's payload form), as JSON
 * text; NULL when absent, null, or not a string holding JSON. */
static const char *
ent_payload(struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return jsonutil_valid(s, strlen(s), JSONUTIL_MAX_DEPTH) ? s : NULL;
}

/* Second transaction: the child's reply applied to the operations it saw. */
static enum store_err
ent_exe_apply(struct store_txn *tx, struct ent_batch *b, const struct ent_ref *r, const struct app_fn *fn,
	      const char *key)
{
	struct daemon *d = b->d;
	struct daemon_entprep *p = r->prep;
	struct store_hub *h = d->hubs[r->hub].h;
	struct store_entity ent;
	struct store_event *ev = NULL;
	struct json_object *root = NULL, *results = NULL, *signals = NULL, *v;
	size_t nev = 0, nops = 0, k = 0;
	const char *why = NULL, *state = NULL;
	char reason[512];
	int64_t now = time_now_us(), cur;
	int exists = 0;
	enum store_err e;

	memset(&ent, 0, sizeof(ent));
	e = store_entity_get(tx, h, fn->name, key, &ent);
	if (e != STORE_OK && e != STORE_NOTFOUND)
		return e;
	cur = e == STORE_OK && ent.state != NULL ? ent.last_op : 0;
	e = STORE_OK;
	if (cur != p->last_op || (p->reply == NULL && p->fatal == NULL)) {
		ent_ready(b, r->hub, r->id); /* changed meanwhile, or the child did not start: again */
		goto out;
	}
	if ((e = store_inbox_take_n(tx, h, r->id, p->n, 1, &ev, &nev)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < nev; i++)
		if (ev[i].type == EVENT_EVENT_RAISED && ev[i].name != NULL && !ent_is_lock_op(&ev[i]))
			nops++;
	if (p->fatal != NULL)
		why = p->fatal;
	else if ((root = json_tokener_parse(p->reply)) == NULL || !json_object_is_type(root, json_type_object))
		why = "the reply is not a JSON object";
	else if (!json_object_object_get_ex(root, "results", &results) ||
		 !json_object_is_type(results, json_type_array) || json_object_array_length(results) != nops)
		why = "the reply's results do not match the batch (one per operation)";
	else if (json_object_object_get_ex(root, "signals", &signals) && !json_object_is_type(signals, json_type_array))
		why = "the reply's signals are not an array";
	else {
		exists = json_object_object_get_ex(root, "entityExists", &v) && json_object_get_boolean(v);
		state = ent_payload(root, "entityState");
		if (exists && state == NULL)
			why = "entityState is not a JSON-encoded string";
	}
	if (why != NULL)
		snprintf(reason, sizeof(reason), "Entity function '%s' failed: %s", fn->name, why);
	for (size_t i = 0; i < nev && e == STORE_OK; i++) {
		const struct store_event *op = &ev[i];
		if (op->type != EVENT_EVENT_RAISED || op->name == NULL)
			continue;
		b->applied++;
		if (ent_is_lock_op(op)) {
			e = ent_reply(tx, b, r->hub, r->id, op, NULL,
				      "critical sections are not supported by executable entities", now);
			continue;
		}
		if (why != NULL) {
			e = ent_reply(tx, b, r->hub, r->id, op, NULL, reason, now);
			k++;
			continue;
		}
		{
			struct json_object *res = json_object_array_get_idx(results, k++), *iserr;
			int is_error = json_object_object_get_ex(res, "isError", &iserr) && json_object_get_boolean(iserr);
			const char *out = ent_payload(res, "result");
			if (is_error) {
				struct json_object *m;
				const char *msg = json_object_object_get_ex(res, "result", &m) ? json_object_get_string(m) : NULL;
				e = ent_reply(tx, b, r->hub, r->id, op, NULL, msg ? msg : "the operation failed", now);
			} else
				e = ent_reply(tx, b, r->hub, r->id, op, out ? out : "null", NULL, now);
		}
	}
	if (e != STORE_OK || why != NULL)
		goto out;
	for (size_t i = 0; signals != NULL && i < json_object_array_length(signals) && e == STORE_OK; i++) {
		struct json_object *sg = json_object_array_get_idx(signals, i), *t, *tn, *tk, *nm;
		char low[IDS_NAME_MAX + 1], target[2 * IDS_INSTANCE_MAX + 4];
		struct store_event sig;
		const char *tname, *tkey, *op;
		if (!json_object_object_get_ex(sg, "target", &t) || !json_object_object_get_ex(t, "name", &tn) ||
		    !json_object_object_get_ex(t, "key", &tk) || !json_object_object_get_ex(sg, "name", &nm))
			continue;
		tname = json_object_get_string(tn);
		tkey = json_object_get_string(tk);
		op = json_object_get_string(nm);
		if (!ids_name_valid(tname) || !ids_entity_key_valid(tkey) || !ids_name_valid(op) ||
		    strlen(tname) + strlen(tkey) + 3 > sizeof(target))
			continue;
		ids_lower(low, tname, sizeof(low));
		snprintf(target, sizeof(target), "@%s@%s", low, tkey);
		memset(&sig, 0, sizeof(sig));
		sig.type = EVENT_EVENT_RAISED;
		sig.event_id = -1;
		sig.task_id = -1;
		sig.timestamp = now;
		sig.name = (char *)op;
		sig.data = (char *)ent_payload(sg, "input");
		sig.instance_id = (char *)r->id;
		if ((e = store_inbox_append(tx, h, target, &sig, now)) == STORE_OK)
			ent_ready(b, r->hub, target);
	}
	if (e != STORE_OK)
		goto out;
	if (exists) {
		struct store_entity w;
		memset(&w, 0, sizeof(w));
		w.name = fn->name;
		w.key = (char *)key;
		w.state = (char *)state;
		w.last_op = now;
		e = store_entity_put(tx, h, &w);
	} else if (ent.state != NULL)
		e = store_entity_delete(tx, h, fn->name, key);
out:
	json_object_put(root);
	store_entity_clear(&ent);
	store_event_free_array(ev, nev);
	return e;
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
	if (fn != NULL && fn->exe)
		return r->prep != NULL ? ent_exe_apply(tx, b, r, fn, key) : ent_exe_prepare(tx, b, r, fn, key);
	if (fn == NULL || fn->sym == NULL) {
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
			    ent_queue_insert(&q, i + 1, held, nheld) == -1)
				e = STORE_NOMEM;
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
	ent_preps_clear(b);
	b->applied = 0;
	for (size_t i = 0; i < b->n; i++)
		if ((e = ent_one(tx, b, &b->refs[i])) != STORE_OK)
			return e;
	return STORE_OK;
}

/* Hands an executable entity's batch to a worker (takes p and request). */
static void
ent_submit(struct daemon *d, struct daemon_entprep *p, char *request)
{
	char lname[IDS_NAME_MAX + 1], key[600];
	const char *k;
	const struct app_fn *fn = NULL;
	struct worker_job *j = calloc(1, sizeof(*j));

	snprintf(key, sizeof(key), "%d/%s", p->hub, p->id);
	if (ent_split(p->id, lname, sizeof(lname), &k) == 0)
		fn = app_find(&d->app, APP_ENTITY, lname);
	if (j == NULL || fn == NULL || !fn->exe || (j->instance_id = strdup(p->id)) == NULL ||
	    (j->name = strdup(fn->name)) == NULL || sched_exe_job(d, p->hub, fn, j) == -1) {
		free(request);
		worker_job_free(j);
		ent_prep_free(p); /* the operations stay in the store */
		return;
	}
	j->kind = WORKER_ENTITY;
	j->hub = p->hub;
	j->request = request;
	j->episode = p;
	sset_add(&d->orch_busy, key);
	worker_submit(d->pool, j);
}

size_t
entity_run_batch(struct daemon *d, size_t max)
{
	struct ent_batch b;
	enum store_err e;

	memset(&b, 0, sizeof(b));
	b.d = d;
	if (max == 0 || (d->ent_head == NULL && d->entprep == NULL) || (b.refs = calloc(max, sizeof(*b.refs))) == NULL)
		return 0;
	while (b.n < max && d->entprep != NULL) {
		struct daemon_entprep *p = d->entprep;
		d->entprep = p->next;
		p->next = NULL;
		if ((b.refs[b.n].id = strdup(p->id)) == NULL) {
			sched_orch_done(d, p->hub, p->id);
			ent_prep_free(p);
			continue;
		}
		b.refs[b.n].hub = p->hub;
		b.refs[b.n].prep = p;
		b.n++;
	}
	while (b.n < max &&
	       (b.refs[b.n].id = sched_fifo_pop(&d->ent_head, &d->ent_tail, &d->ent_set, &b.refs[b.n].hub)) != NULL)
		b.n++;
	e = store_txn_run(d->st, 0, ent_body, &b);
	if (e == STORE_OK) {
		for (size_t i = 0; i < b.nprep; i++) {
			ent_submit(d, b.preps[i], b.requests[i]);
			b.preps[i] = NULL;
			b.requests[i] = NULL;
		}
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
	ent_preps_clear(&b);
	free(b.ready);
	for (size_t i = 0; i < b.n; i++) {
		if (b.refs[i].prep != NULL) {
			if (e == STORE_BUSY) {
				b.refs[i].prep->next = d->entprep; /* the reply waits for the next turn */
				d->entprep = b.refs[i].prep;
			} else {
				sched_orch_done(d, b.refs[i].hub, b.refs[i].id);
				ent_prep_free(b.refs[i].prep);
			}
		}
		free(b.refs[i].id);
	}
	free(b.refs);
	return b.n;
}
