/*
 * episode.c — orchestration episodes (spec §5.4). For each instance taken
 * from the ready FIFO: read its record and history, take every visible
 * inbox event, let the engine decide, and write the decisions — history,
 * the instance record, activity tasks, timers, sub-orchestrations, events
 * to other instances, the parent's completion message — all in the same
 * transaction. Several instances share one transaction (one log flush for
 * the batch); each episode is still all-or-nothing, and a retried batch
 * re-runs the engine, which is deterministic.
 *
 * Effects that live only in this process (queue the new tasks, mark the
 * instances that got messages as ready, move the next timer) are gathered
 * during the body and applied only after the commit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status.h"
#include "common/timeutil.h"
#include "core/core.h"
#include "core/oop.h"
#include "daemon/daemon.h"

#define EP_HISTORY_PAGE 1000

struct ep_ref {
	int hub;
	char *id;
	struct daemon_prep *prep; /* an executable's second transaction, or NULL */
};

/* What to do in this process once the batch has committed. */
struct ep_fx {
	struct ep_ref *ready;
	size_t nready, capready;
	struct store_task *tasks;
	int *task_hub;
	size_t ntasks, captasks;
	int64_t min_timer;
	int nomem;
	struct daemon_prep **preps; /* executables' episodes to hand to a child */
	char **requests;
	size_t nprep, capprep;
	struct ep_cache_put {
		int hub, drop;
		char *id, *exec;
		struct store_event *base, *add; /* owned until applied */
		size_t nbase, nadd;
	} *cache;
	size_t ncache, capcache;
};

struct ep_batch {
	struct daemon *d;
	struct ep_ref *refs;
	size_t n;
	struct core_arena *arena; /* one per attempt */
	struct ep_fx fx;
	int with_results; /* record d->results first, in the same transaction */
	size_t failing;   /* single-instance fallback: index of the instance to fail, else (size_t)-1 */
	const char *fail_reason;
};

static void
ep_fx_clear(struct ep_fx *fx)
{
	for (size_t i = 0; i < fx->nready; i++)
		free(fx->ready[i].id);
	for (size_t i = 0; i < fx->ntasks; i++)
		store_task_clear(&fx->tasks[i]);
	for (size_t i = 0; i < fx->ncache; i++) {
		free(fx->cache[i].id);
		free(fx->cache[i].exec);
		store_event_free_array(fx->cache[i].base, fx->cache[i].nbase);
		store_event_free_array(fx->cache[i].add, fx->cache[i].nadd);
	}
	for (size_t i = 0; i < fx->nprep; i++) {
		sched_prep_free(fx->preps[i]);
		free(fx->requests[i]);
	}
	free(fx->preps);
	free(fx->requests);
	free(fx->ready);
	free(fx->tasks);
	free(fx->task_hub);
	free(fx->cache);
	memset(fx, 0, sizeof(*fx));
}

static void
ep_fx_ready(struct ep_fx *fx, int hub, const char *id)
{
	if (fx->nready == fx->capready) {
		size_t nc = fx->capready ? fx->capready * 2 : 16;
		struct ep_ref *nv = realloc(fx->ready, nc * sizeof(*nv));
		if (nv == NULL) {
			fx->nomem = 1;
			return;
		}
		fx->ready = nv;
		fx->capready = nc;
	}
	if ((fx->ready[fx->nready].id = strdup(id)) == NULL) {
		fx->nomem = 1;
		return;
	}
	fx->ready[fx->nready++].hub = hub;
}

static char *
ep_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
ep_fx_task(struct ep_fx *fx, int hub, const struct store_task *t)
{
	struct store_task *c;

	if (fx->ntasks == fx->captasks) {
		size_t nc = fx->captasks ? fx->captasks * 2 : 16;
		struct store_task *nv = realloc(fx->tasks, nc * sizeof(*nv));
		int *nh;
		if (nv == NULL) {
			fx->nomem = 1;
			return;
		}
		fx->tasks = nv;
		if ((nh = realloc(fx->task_hub, nc * sizeof(*nh))) == NULL) {
			fx->nomem = 1;
			return;
		}
		fx->task_hub = nh;
		fx->captasks = nc;
	}
	c = &fx->tasks[fx->ntasks];
	*c = *t;
	c->instance_id = ep_dup(t->instance_id);
	c->execution_id = ep_dup(t->execution_id);
	c->name = ep_dup(t->name);
	c->version = ep_dup(t->version);
	c->input = ep_dup(t->input);
	fx->task_hub[fx->ntasks++] = hub;
}

/* The store's struct has non-const strings; it only reads them here. */
static void
ep_to_store(const struct core_event *c, struct store_event *s)
{
	memset(s, 0, sizeof(*s));
	s->type = c->type;
	s->event_id = c->event_id;
	s->task_id = c->task_id;
	s->timestamp = c->timestamp;
	s->fire_at = c->fire_at;
	s->flags = (c->flags & CORE_EVENT_PLAYED) ? STORE_EVENT_PLAYED : 0;
	s->name = (char *)c->name;
	s->version = (char *)c->version;
	s->instance_id = (char *)c->instance_id;
	s->execution_id = (char *)c->execution_id;
	s->data = (char *)c->data;
	s->detail = (char *)c->detail;
}

/* Stages a history cache update for after the commit. Takes base and add
 * (either may be NULL) whatever happens. */
static void
ep_fx_cache(struct ep_fx *fx, int hub, const char *id, const char *exec, int drop, struct store_event *base,
	    size_t nbase, struct store_event *add, size_t nadd)
{
	struct ep_cache_put *p;

	if (fx->ncache == fx->capcache) {
		size_t nc = fx->capcache ? fx->capcache * 2 : 16;
		struct ep_cache_put *nv = realloc(fx->cache, nc * sizeof(*nv));
		if (nv == NULL)
			goto fail;
		fx->cache = nv;
		fx->capcache = nc;
	}
	p = &fx->cache[fx->ncache];
	memset(p, 0, sizeof(*p));
	p->hub = hub;
	p->drop = drop;
	if ((p->id = strdup(id)) == NULL || (p->exec = strdup(exec ? exec : "")) == NULL) {
		free(p->id);
		goto fail;
	}
	p->base = base;
	p->nbase = nbase;
	p->add = add;
	p->nadd = nadd;
	fx->ncache++;
	return;
fail:
	/* Not caching is always correct; only the memory must not leak. */
	store_event_free_array(base, nbase);
	store_event_free_array(add, nadd);
}

/* Stages an executable's episode: after the commit its request goes to a
 * worker. Takes nothing; copies what it keeps. */
static void
ep_fx_prep(struct ep_fx *fx, int hub, const char *id, const char *exec, const char *name, uint32_t nhist,
	   size_t ninbox, int64_t now, const char *request)
{
	struct daemon_prep *p;

	if (fx->nprep == fx->capprep) {
		size_t nc = fx->capprep ? fx->capprep * 2 : 8;
		struct daemon_prep **np = realloc(fx->preps, nc * sizeof(*np));
		char **nr;
		if (np == NULL) {
			fx->nomem = 1;
			return;
		}
		fx->preps = np;
		if ((nr = realloc(fx->requests, nc * sizeof(*nr))) == NULL) {
			fx->nomem = 1;
			return;
		}
		fx->requests = nr;
		fx->capprep = nc;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->id = strdup(id)) == NULL ||
	    (p->exec = strdup(exec ? exec : "")) == NULL || (p->name = strdup(name)) == NULL ||
	    (fx->requests[fx->nprep] = strdup(request)) == NULL) {
		sched_prep_free(p);
		fx->nomem = 1;
		return;
	}
	p->hub = hub;
	p->nhist = nhist;
	p->ninbox = ninbox;
	p->now = now;
	fx->preps[fx->nprep++] = p;
}

/* An owned copy of core events, for the cache. NULL when out of memory. */
static struct store_event *
ep_copy_events(const struct core_event *ev, size_t n)
{
	struct store_event *v = calloc(n + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct store_event t;
		ep_to_store(&ev[i], &t);
		v[i] = t;
		v[i].name = ep_dup(t.name);
		v[i].version = ep_dup(t.version);
		v[i].instance_id = ep_dup(t.instance_id);
		v[i].execution_id = ep_dup(t.execution_id);
		v[i].data = ep_dup(t.data);
		v[i].detail = ep_dup(t.detail);
		if ((t.name && !v[i].name) || (t.version && !v[i].version) || (t.instance_id && !v[i].instance_id) ||
		    (t.execution_id && !v[i].execution_id) || (t.data && !v[i].data) || (t.detail && !v[i].detail)) {
			store_event_free_array(v, i + 1);
			return NULL;
		}
	}
	return v;
}

static void
ep_to_core(const struct store_event *s, struct core_event *c)
{
	c->type = s->type;
	c->event_id = s->event_id;
	c->task_id = s->task_id;
	c->timestamp = s->timestamp;
	c->fire_at = s->fire_at;
	c->flags = (s->flags & STORE_EVENT_PLAYED) ? CORE_EVENT_PLAYED : 0;
	c->name = s->name;
	c->version = s->version;
	c->instance_id = s->instance_id;
	c->execution_id = s->execution_id;
	c->data = s->data;
	c->detail = s->detail;
}

static enum store_err
ep_append(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t at, const struct core_event *ev,
	  size_t n, struct core_arena *arena)
{
	struct store_event *sv;

	if (n == 0)
		return STORE_OK;
	if ((sv = core_arena_alloc(arena, n * sizeof(*sv))) == NULL)
		return STORE_NOMEM;
	for (size_t i = 0; i < n; i++)
		ep_to_store(&ev[i], &sv[i]);
	return store_history_append(tx, h, id, at, sv, n);
}

/* Reads the whole history of the current execution (owned by the caller). */
static enum store_err
ep_history(struct store_txn *tx, struct store_hub *h, const char *id, struct store_event **out, size_t *n)
{
	struct store_event *all = NULL, *page;
	size_t len = 0, pn;
	uint32_t from = 0, next;
	enum store_err e;

	*out = NULL;
	*n = 0;
	do {
		struct store_event *nv;
		if ((e = store_history_read(tx, h, id, from, EP_HISTORY_PAGE, &page, &pn, &next)) != STORE_OK) {
			store_event_free_array(all, len);
			return e;
		}
		if (pn > 0) {
			if ((nv = realloc(all, (len + pn) * sizeof(*nv))) == NULL) {
				store_event_free_array(page, pn);
				store_event_free_array(all, len);
				return STORE_NOMEM;
			}
			all = nv;
			memcpy(all + len, page, pn * sizeof(*page));
			len += pn;
			free(page); /* the strings moved into all */
		} else
			free(page);
		from = next;
	} while (next != 0);
	*out = all;
	*n = len;
	return STORE_OK;
}

/* Sends message ev into instance target (an event between instances, a
 * child's completion). A missing target drops it, as Durable Task does. */
static enum store_err
ep_message(struct store_txn *tx, struct ep_batch *b, int hub, const char *target, const char *execution,
	   const struct store_event *ev, int64_t now)
{
	struct store_hub *h = b->d->hubs[hub].h;
	struct store_instance t;
	enum store_err e;

	if (target[0] != '@') {
		e = store_instance_get(tx, h, target, 0, &t);
		if (e == STORE_NOTFOUND) {
			log_debug("message %s to %s dropped: no such instance", event_type_name(ev->type), target);
			return STORE_OK;
		}
		if (e != STORE_OK)
			return e;
		/* A completion for an older execution of the parent (it was
		 * restarted or continued as new) is stale. */
		if (execution != NULL && t.execution_id != NULL && strcmp(execution, t.execution_id) != 0) {
			store_instance_clear(&t);
			return STORE_OK;
		}
		store_instance_clear(&t);
	}
	if ((e = store_inbox_append(tx, h, target, ev, now)) != STORE_OK)
		return e;
	ep_fx_ready(&b->fx, hub, target);
	return STORE_OK;
}

/* The reason a task naming no possible function fails with, as for an
 * unknown activity (sched.c); the name is cut, it may be any length. In
 * the batch's arena, or NULL. */
static char *
ep_no_function(struct ep_batch *b, const char *name, const char *kind)
{
	static const char fmt[] = "The function '%.256s' doesn't exist, is disabled, or is not %s function.";
	size_t n = sizeof(fmt) + 256 + strlen(kind);
	char *s = core_arena_alloc(b->arena, n);

	if (s != NULL)
		snprintf(s, n, fmt, name, kind);
	return s;
}

static enum store_err
ep_actions(struct store_txn *tx, struct ep_batch *b, int hub, const struct store_instance *inst,
	   const struct core_episode_out *out, int64_t now)
{
	struct store_hub *h = b->d->hubs[hub].h;
	enum store_err e = STORE_OK;

	for (size_t i = 0; i < out->n_actions && e == STORE_OK; i++) {
		const struct core_action *a = &out->actions[i];
		struct store_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.event_id = -1;
		ev.timestamp = now;
		switch (a->kind) {
		case CORE_ACT_ACTIVITY: {
			struct store_task t;
			if (!ids_name_valid(a->name)) {
				/* No function has that name ("../x", "a/b"): it fails
				 * as an unknown one does, instead of the store refusing
				 * the task and with it the whole episode. */
				ev.type = EVENT_TASK_FAILED;
				ev.task_id = a->id;
				if ((ev.data = ep_no_function(b, a->name, "an activity")) == NULL)
					return STORE_NOMEM;
				if ((e = store_inbox_append(tx, h, inst->id, &ev, now)) == STORE_OK)
					ep_fx_ready(&b->fx, hub, inst->id);
				break;
			}
			memset(&t, 0, sizeof(t));
			t.instance_id = inst->id;
			t.execution_id = inst->execution_id;
			t.name = (char *)a->name;
			t.version = (char *)a->version;
			t.input = (char *)a->input;
			t.task_id = a->id;
			t.created = now;
			if ((e = store_task_add(tx, h, &t, &t.seq)) == STORE_OK)
				ep_fx_task(&b->fx, hub, &t);
			break;
		}
		case CORE_ACT_TIMER:
			ev.type = EVENT_TIMER_FIRED;
			ev.task_id = a->id;
			ev.fire_at = a->fire_at;
			ev.timestamp = a->fire_at;
			ev.execution_id = inst->execution_id;
			if ((e = store_timer_add(tx, h, inst->id, &ev)) == STORE_OK &&
			    (b->fx.min_timer == 0 || a->fire_at < b->fx.min_timer))
				b->fx.min_timer = a->fire_at;
			break;
		case CORE_ACT_SUBORCH: {
			struct store_create c;
			memset(&c, 0, sizeof(c));
			c.id = a->instance_id;
			c.name = a->name;
			c.version = a->version;
			c.execution_id = a->execution_id;
			c.input = a->input;
			c.parent_id = inst->id;
			c.parent_execution = inst->execution_id;
			c.parent_task_id = a->id;
			c.now = now;
			if (!ids_name_valid(a->name)) {
				ev.type = EVENT_SUBORCH_FAILED;
				ev.task_id = a->id;
				if ((ev.data = ep_no_function(b, a->name, "an orchestrator")) == NULL)
					return STORE_NOMEM;
				if ((e = store_inbox_append(tx, h, inst->id, &ev, now)) == STORE_OK)
					ep_fx_ready(&b->fx, hub, inst->id);
				break;
			}
			e = store_instance_create(tx, h, &c, NULL);
			if (e == STORE_OK) {
				ep_fx_ready(&b->fx, hub, a->instance_id);
				break;
			}
			if (e != STORE_EXISTS && e != STORE_INVALID)
				break;
			/* The child cannot start: the parent's task fails. */
			ev.type = EVENT_SUBORCH_FAILED;
			ev.task_id = a->id;
			ev.data = core_arena_alloc(b->arena, strlen(a->instance_id) + 64);
			if (ev.data == NULL)
				return STORE_NOMEM;
			if (e == STORE_EXISTS)
				sprintf(ev.data, "An instance with ID '%s' already exists.", a->instance_id);
			else
				sprintf(ev.data, "'%s' is not a valid instance ID.", a->instance_id);
			if ((e = store_inbox_append(tx, h, inst->id, &ev, now)) == STORE_OK)
				ep_fx_ready(&b->fx, hub, inst->id);
			break;
		}
		case CORE_ACT_SEND_EVENT:
			ev.type = EVENT_EVENT_RAISED;
			ev.name = (char *)a->name;
			ev.data = (char *)a->input;
			ev.instance_id = inst->id;
			ev.version = (char *)a->version; /* an entity call's request ID */
			e = ep_message(tx, b, hub, a->instance_id, NULL, &ev, now);
			break;
		default:
			log_warnx("instance %s: unknown action kind %d ignored", inst->id, a->kind);
		}
	}
	return e;
}

/* A finished sub-orchestration tells its parent (spec §5.3): Completed
 * becomes SubOrchestrationInstanceCompleted, Failed and Terminated become
 * SubOrchestrationInstanceFailed with the output as the reason. */
static enum store_err
ep_notify_parent(struct store_txn *tx, struct ep_batch *b, int hub, const struct store_instance *inst, int status,
		 const char *output, const char *failure, int64_t now)
{
	struct store_event ev;

	if (inst->parent_id == NULL || inst->parent_id[0] == '\0' || !status_is_terminal(status))
		return STORE_OK;
	memset(&ev, 0, sizeof(ev));
	ev.type = status == STATUS_COMPLETED ? EVENT_SUBORCH_COMPLETED : EVENT_SUBORCH_FAILED;
	ev.event_id = -1;
	ev.task_id = inst->parent_task_id;
	ev.timestamp = now;
	ev.instance_id = inst->id;
	ev.data = (char *)output;
	ev.detail = (char *)failure;
	return ep_message(tx, b, hub, inst->parent_id, inst->parent_execution, &ev, now);
}

/* Continue-as-new: the old execution's history goes, and the new
 * execution starts from a fresh ExecutionStarted followed by the carried
 * events, through the inbox like any start. */
static enum store_err
ep_continue(struct store_txn *tx, struct ep_batch *b, int hub, const struct store_instance *inst,
	    const struct core_episode_out *out, int64_t now)
{
	struct store_hub *h = b->d->hubs[hub].h;
	struct store_event ev;
	enum store_err e;

	if ((e = store_history_delete(tx, h, inst->id)) != STORE_OK)
		return e;
	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_EXECUTION_STARTED;
	ev.event_id = -1;
	ev.task_id = inst->parent_task_id;
	ev.timestamp = now;
	ev.name = inst->name;
	ev.version = inst->version;
	ev.instance_id = inst->parent_id;
	ev.execution_id = (char *)out->new_execution_id;
	ev.data = (char *)out->output;
	if ((e = store_inbox_append(tx, h, inst->id, &ev, now)) != STORE_OK)
		return e;
	for (size_t i = 0; i < out->n_carry && e == STORE_OK; i++) {
		ep_to_store(&out->carry[i], &ev);
		e = store_inbox_append(tx, h, inst->id, &ev, now);
	}
	if (e == STORE_OK)
		ep_fx_ready(&b->fx, hub, inst->id);
	return e;
}

/* Writes the instance record after the episode. */
static enum store_err
ep_record(struct store_txn *tx, struct store_hub *h, const struct store_instance *inst,
	  const struct core_episode_out *out, int64_t now)
{
	struct store_instance r = *inst;

	r.status = out->status;
	r.updated = now;
	r.completed = status_is_terminal(out->status) ? now : 0;
	r.output = NULL;
	r.failure = NULL;
	if (status_is_terminal(out->status)) {
		r.output = (char *)out->output;
		r.failure = (char *)out->failure;
	}
	if (out->custom_status_set)
		r.custom_status = (char *)out->custom_status;
	if (out->status == STATUS_CONTINUED_AS_NEW) {
		r.execution_id = (char *)out->new_execution_id;
		r.input = (char *)out->output;
		r.custom_status = NULL;
	}
	return store_instance_put(tx, h, &r);
}

/* The episode could not be recorded (the store refused a value): fail the
 * instance in a way that can be written — a short message, no new work —
 * and end its history with ExecutionCompleted, so that whatever still
 * arrives for this execution (activity results, timers) is discarded
 * instead of replaying it back to life. */
static enum store_err
ep_fail_record(struct store_txn *tx, struct ep_batch *b, int hub, const struct store_instance *inst, int64_t now)
{
	struct store_hub *h = b->d->hubs[hub].h;
	struct store_instance r = *inst;
	struct store_event ev[3];
	uint32_t len;
	enum store_err e;

	if ((e = store_history_length(tx, h, inst->id, &len)) != STORE_OK)
		return e;
	memset(ev, 0, sizeof(ev));
	for (int i = 0; i < 3; i++) {
		ev[i].event_id = -1;
		ev[i].task_id = -1;
		ev[i].timestamp = now;
	}
	ev[0].type = EVENT_ORCHESTRATOR_STARTED;
	ev[1].type = EVENT_EXECUTION_COMPLETED;
	ev[1].task_id = STATUS_FAILED;
	ev[1].data = (char *)b->fail_reason;
	ev[2].type = EVENT_ORCHESTRATOR_COMPLETED;
	if ((e = store_history_append(tx, h, inst->id, len, ev, 3)) != STORE_OK)
		return e;
	r.status = STATUS_FAILED;
	r.updated = r.completed = now;
	r.output = (char *)b->fail_reason;
	r.failure = NULL;
	if ((e = store_instance_put(tx, h, &r)) != STORE_OK)
		return e;
	ep_fx_cache(&b->fx, hub, inst->id, inst->execution_id, 1, NULL, 0, NULL, 0);
	return ep_notify_parent(tx, b, hub, inst, STATUS_FAILED, b->fail_reason, NULL, now);
}

/* Whether an executable orchestrator's episode needs no child: the engine
 * drops the events of a terminal instance (unless they rewind it) or of
 * one never started, and applies a terminate without running code. */
static int
ep_no_child(const struct store_instance *inst, size_t nhist, const struct store_event *ev, size_t n)
{
	int started = nhist > 0, rewind = 0;

	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == EVENT_EXECUTION_TERMINATED)
			return 1;
		if (ev[i].type == EVENT_EXECUTION_STARTED)
			started = 1;
		if (ev[i].type == EVENT_EXECUTION_REWOUND)
			rewind = 1;
	}
	if (status_is_terminal(inst->status))
		return !rewind;
	return !started;
}

/* One episode inside the batch's transaction. */
static enum store_err
ep_one(struct store_txn *tx, struct ep_batch *b, size_t idx)
{
	struct daemon *d = b->d;
	int hub = b->refs[idx].hub;
	const char *id = b->refs[idx].id;
	struct store_hub *h = d->hubs[hub].h;
	struct store_instance inst;
	struct store_event *hist = NULL, *inbox = NULL;
	const struct store_event *histv = NULL;
	size_t nhist = 0, ninbox = 0;
	struct core_event *ch = NULL, *cn = NULL;
	struct core_episode_in in;
	struct core_episode_out out;
	const struct app_fn *fn;
	struct daemon_prep *prep = b->refs[idx].prep;
	int64_t now = time_now_us();
	int exe_read;
	enum core_err ce;
	enum store_err e;

	e = store_instance_get(tx, h, id, 1, &inst);
	if (e == STORE_NOTFOUND) {
		/* Purged (or never created): its messages have nowhere to go. */
		e = store_inbox_take(tx, h, id, 1, &inbox, &ninbox);
		store_event_free_array(inbox, ninbox);
		return e;
	}
	if (e != STORE_OK)
		return e;
	fn = app_find(&d->app, APP_ORCHESTRATOR, inst.name);
	/* An executable's first transaction only reads (exe_read); its
	 * second (prep) must find the instance as the child saw it. */
	exe_read = fn != NULL && fn->exe && prep == NULL && b->failing != idx;
	if (prep != NULL && prep->reply == NULL && prep->fatal == NULL) {
		ep_fx_ready(&b->fx, hub, id); /* the child could not be started: again later */
		goto out;
	}
	if (prep != NULL && (inst.execution_id == NULL || strcmp(inst.execution_id, prep->exec) != 0)) {
		ep_fx_ready(&b->fx, hub, id); /* restarted meanwhile: start over */
		goto out;
	}
	if (b->failing == idx) {
		if ((e = store_inbox_take(tx, h, id, 1, &inbox, &ninbox)) == STORE_OK && ninbox > 0)
			e = ep_fail_record(tx, b, hub, &inst, now);
		goto out;
	}
	histv = hcache_get(d->hc, hub, id, inst.execution_id, &nhist);
	if (histv != NULL) {
		uint32_t len;
		if ((e = store_history_length(tx, h, id, &len)) != STORE_OK)
			goto out;
		if (len != nhist)
			histv = NULL; /* defensive: the cache is behind the store */
	}
	if (histv == NULL) {
		if ((e = ep_history(tx, h, id, &hist, &nhist)) != STORE_OK)
			goto out;
		histv = hist;
	}
	if (prep != NULL && nhist != prep->nhist) {
		ep_fx_ready(&b->fx, hub, id); /* its history moved on: start over */
		goto out;
	}
	if (prep != NULL)
		e = store_inbox_take_n(tx, h, id, prep->ninbox, 1, &inbox, &ninbox);
	else
		e = store_inbox_take(tx, h, id, !exe_read, &inbox, &ninbox);
	if (e != STORE_OK || ninbox == 0)
		goto out;
	if (exe_read && ep_no_child(&inst, nhist, inbox, ninbox)) {
		/* Nothing the child would say can matter (a terminal instance,
		 * one never started, a terminate): the engine decides alone,
		 * in this transaction, taking the events now. */
		store_event_free_array(inbox, ninbox);
		inbox = NULL;
		ninbox = 0;
		exe_read = 0;
		if ((e = store_inbox_take(tx, h, id, 1, &inbox, &ninbox)) != STORE_OK || ninbox == 0)
			goto out;
	}
	ch = core_arena_alloc(b->arena, (nhist + 1) * sizeof(*ch));
	cn = core_arena_alloc(b->arena, (ninbox + 1) * sizeof(*cn));
	if (ch == NULL || cn == NULL) {
		e = STORE_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nhist; i++)
		ep_to_core(&histv[i], &ch[i]);
	for (size_t i = 0; i < ninbox; i++)
		ep_to_core(&inbox[i], &cn[i]);
	/* The episode's clock never runs backwards, whatever the wall clock
	 * does: replayed code compares times across episodes. */
	for (size_t i = nhist; i > 0; i--)
		if (histv[i - 1].type == EVENT_ORCHESTRATOR_STARTED) {
			if (now <= histv[i - 1].timestamp)
				now = histv[i - 1].timestamp + 1;
			break;
		}
	memset(&in, 0, sizeof(in));
	in.instance_id = id;
	in.name = inst.name;
	in.execution_id = inst.execution_id;
	in.history = ch;
	in.n_history = nhist;
	in.events = cn;
	in.n_events = ninbox;
	in.now = prep != NULL ? prep->now : now;
	in.max_actions = d->app.host.max_actions;
	in.fn = fn != NULL ? (th_orchestrator_fn *)fn->sym : NULL;
	if (exe_read) {
		/* First transaction: the request for the child, nothing written. */
		char *req = oop_request(&in, b->arena);
		if (req == NULL) {
			e = STORE_NOMEM;
			goto out;
		}
		ep_fx_prep(&b->fx, hub, id, inst.execution_id, inst.name, (uint32_t)nhist, ninbox, now, req);
		if (hist != NULL) {
			ep_fx_cache(&b->fx, hub, id, inst.execution_id, 0, hist, nhist, NULL, 0);
			hist = NULL;
		}
		goto out;
	}
	if (prep != NULL) {
		const char *why = NULL;
		if (prep->fatal != NULL)
			in.fatal = prep->fatal;
		else if (oop_reply_parse(prep->reply, prep->reply_len, b->arena, &in.oop, &why) != 0) {
			char *m = core_arena_alloc(b->arena, strlen(why ? why : "") + 64);
			if (m == NULL) {
				e = STORE_NOMEM;
				goto out;
			}
			sprintf(m, "the executable's reply is not valid: %s", why ? why : "?");
			in.fatal = m;
			in.oop = NULL;
		}
		in.fn = NULL;
	}
	memset(&out, 0, sizeof(out));
	/* User code is not a stalled store: the watch pauses around it. */
	store_txn_watch(tx, 0);
	ce = core_episode_run(&in, b->arena, &out);
	store_txn_watch(tx, 1);
	if (ce != CORE_OK) {
		/* An inconsistent history cannot be replayed: fail the
		 * instance (ep_single) rather than retry it for ever. */
		e = ce == CORE_NOMEM ? STORE_NOMEM : STORE_INVALID;
		goto out;
	}
	if (out.message != NULL)
		log_info("instance %s: %s", id, out.message);
	if (out.discard) {
		/* The inbox events were taken: they are dropped. A history just
		 * read is still worth keeping. */
		if (hist != NULL) {
			ep_fx_cache(&b->fx, hub, id, inst.execution_id, 0, hist, nhist, NULL, 0);
			hist = NULL;
		}
		goto out;
	}
	if (out.rewrite) {
		if ((e = store_history_delete(tx, h, id)) == STORE_OK)
			e = ep_append(tx, h, id, 0, out.history, out.n_history, b->arena);
	} else
		e = ep_append(tx, h, id, (uint32_t)nhist, out.append, out.n_append, b->arena);
	if (e != STORE_OK)
		goto out;
	/* The last episode of an execution that continues as new can still
	 * send events (nothing else is open then): they go out first. */
	if ((e = ep_actions(tx, b, hub, &inst, &out, now)) != STORE_OK)
		goto out;
	if (out.status == STATUS_CONTINUED_AS_NEW && (e = ep_continue(tx, b, hub, &inst, &out, now)) != STORE_OK)
		goto out;
	if ((e = ep_record(tx, h, &inst, &out, now)) != STORE_OK)
		goto out;
	if ((e = ep_notify_parent(tx, b, hub, &inst, out.status, out.output, out.failure, now)) != STORE_OK)
		goto out;
	if (out.rewrite || out.status == STATUS_CONTINUED_AS_NEW)
		ep_fx_cache(&b->fx, hub, id, inst.execution_id, 1, NULL, 0, NULL, 0);
	else {
		struct store_event *add = ep_copy_events(out.append, out.n_append);
		if (add != NULL) {
			ep_fx_cache(&b->fx, hub, id, inst.execution_id, 0, hist, nhist, add, out.n_append);
			hist = NULL; /* the cache update owns it now */
		} else
			ep_fx_cache(&b->fx, hub, id, inst.execution_id, 1, NULL, 0, NULL, 0);
	}
out:
	store_event_free_array(hist, nhist);
	store_event_free_array(inbox, ninbox);
	store_instance_clear(&inst);
	return e;
}

static enum store_err
ep_body(struct store_txn *tx, void *arg)
{
	struct ep_batch *b = arg;
	enum store_err e;

	/* A retried attempt starts from nothing. */
	ep_fx_clear(&b->fx);
	core_arena_free(b->arena);
	if ((b->arena = core_arena_new()) == NULL)
		return STORE_NOMEM;
	if (b->with_results && (e = sched_results_record(tx, b->d)) != STORE_OK)
		return e;
	for (size_t i = 0; i < b->n; i++)
		if ((e = ep_one(tx, b, i)) != STORE_OK)
			return e;
	return b->fx.nomem ? STORE_NOMEM : STORE_OK;
}

static const struct app_fn *
ep_submit_fn(struct daemon *d, const struct daemon_prep *p)
{
	const struct app_fn *fn = app_find(&d->app, APP_ORCHESTRATOR, p->name);

	return fn != NULL && fn->exe ? fn : NULL;
}

/* Hands an executable's episode to a worker (takes p and request). */
static void
ep_submit(struct daemon *d, struct daemon_prep *p, char *request)
{
	const struct app_fn *fn = NULL;
	struct worker_job *j = calloc(1, sizeof(*j));
	char key[600];

	snprintf(key, sizeof(key), "%d/%s", p->hub, p->id);
	if (j != NULL) {
		j->kind = WORKER_ORCHESTRATOR;
		j->hub = p->hub;
		j->request = request;
		request = NULL;
		j->episode = p;
		j->instance_id = strdup(p->id);
		/* The name is looked up again: the app may have been reloaded. */
		j->name = NULL;
	}
	if (j == NULL || j->instance_id == NULL) {
		free(request);
		worker_job_free(j);
		sched_prep_free(p); /* the instance stays ready in the store */
		return;
	}
	sset_add(&d->orch_busy, key);
	fn = ep_submit_fn(d, p);
	if (fn == NULL || (j->name = strdup(fn->name)) == NULL || sched_exe_job(d, p->hub, fn, j) == -1) {
		j->episode = NULL;
		worker_job_free(j);
		sched_prep_free(p);
		sset_del(&d->orch_busy, key);
		return;
	}
	worker_submit(d->pool, j);
}

static void
ep_apply(struct ep_batch *b)
{
	struct daemon *d = b->d;

	/* Executables' episodes first: they mark their instances busy, so a
	 * ready push below cannot start a second child for one of them. */
	for (size_t i = 0; i < b->fx.nprep; i++) {
		ep_submit(d, b->fx.preps[i], b->fx.requests[i]);
		b->fx.preps[i] = NULL;
		b->fx.requests[i] = NULL;
	}
	b->fx.nprep = 0;
	for (size_t i = 0; i < b->fx.nready; i++)
		sched_ready_push(d, b->fx.ready[i].hub, b->fx.ready[i].id);
	for (size_t i = 0; i < b->fx.ntasks; i++)
		sched_dispatch_task(d, b->fx.task_hub[i], &b->fx.tasks[i]);
	if (b->fx.min_timer != 0 && (d->next_timer == 0 || b->fx.min_timer < d->next_timer))
		d->next_timer = b->fx.min_timer;
	for (size_t i = 0; i < b->fx.ncache; i++) {
		struct ep_cache_put *p = &b->fx.cache[i];
		if (p->drop)
			hcache_drop(d->hc, p->hub, p->id);
		else
			hcache_put(d->hc, p->hub, p->id, p->exec, p->base, p->nbase, p->add, p->nadd);
		p->base = p->add = NULL; /* taken by the cache */
		p->nbase = p->nadd = 0;
	}
}

static enum store_err
ep_run(struct ep_batch *b)
{
	enum store_err e = store_txn_run(b->d->st, 0, ep_body, b);

	if (e == STORE_OK) {
		/* The recorded results leave the in-flight set before the new
		 * tasks are dispatched: a new task may reuse a finished one's
		 * sequence number. */
		if (b->with_results) {
			sched_results_done(b->d, 1);
			b->with_results = 0;
		}
		ep_apply(b);
	}
	ep_fx_clear(&b->fx);
	core_arena_free(b->arena);
	b->arena = NULL;
	return e;
}

#define EP_FAIL_REASON                                                                                         \
	"taskhub could not record the orchestration's progress: the store refused a value (too large, or not "        \
	"valid)"

/* One instance on its own, after its batch failed: either it goes through
 * alone, or it is the instance that spoils the batch and gets failed with a
 * short record that can be written, so it never blocks the queue. */
static enum store_err
ep_single(struct daemon *d, struct ep_batch *b)
{
	enum store_err e = ep_run(b);

	if (e == STORE_OK)
		return e;
	if (e == STORE_BUSY) {
		if (b->refs[0].prep == NULL)
			sched_ready_push(d, b->refs[0].hub, b->refs[0].id);
		return e;
	}
	if (e != STORE_TOOBIG && e != STORE_INVALID) {
		/* Out of memory or space, an I/O error: nothing about this
		 * instance is wrong. It stays ready in the store, and the next
		 * full rescan tries again (a natural back-off). */
		log_warnx("instance %s: episode not recorded: %s; trying again later", b->refs[0].id,
			  store_strerror(e));
		return e;
	}
	log_warnx("instance %s: episode not recorded: %s; failing the instance", b->refs[0].id, store_strerror(e));
	b->failing = 0;
	b->fail_reason = EP_FAIL_REASON;
	if ((e = ep_run(b)) != STORE_OK)
		log_warnx("instance %s: could not fail it either: %s", b->refs[0].id, store_strerror(e));
	b->failing = (size_t)-1;
	return e;
}

/* A second transaction that met a busy store waits for the next batch. */
static void
ep_prep_requeue(struct daemon *d, struct daemon_prep *p)
{
	p->next = d->prep_head;
	d->prep_head = p;
	if (d->prep_tail == NULL)
		d->prep_tail = p;
}

size_t
episode_run_batch(struct daemon *d, size_t max)
{
	struct ep_batch b;
	struct ep_ref *all;
	size_t n = 0;
	enum store_err e;

	memset(&b, 0, sizeof(b));
	b.d = d;
	b.failing = (size_t)-1;
	if (max == 0 || (d->ready_head == NULL && d->results == NULL && d->prep_head == NULL))
		return 0;
	if ((all = calloc(max, sizeof(*all))) == NULL)
		return 0;
	/* Executables' second transactions first: their children are done. */
	while (n < max && d->prep_head != NULL) {
		struct daemon_prep *p = d->prep_head;
		d->prep_head = p->next;
		if (d->prep_head == NULL)
			d->prep_tail = NULL;
		p->next = NULL;
		if ((all[n].id = strdup(p->id)) == NULL) {
			sched_orch_done(d, p->hub, p->id);
			sched_prep_free(p);
			continue;
		}
		all[n].hub = p->hub;
		all[n].prep = p;
		n++;
	}
	while (n < max && (all[n].id = sched_fifo_pop(&d->ready_head, &d->ready_tail, &d->ready_set, &all[n].hub)) !=
				  NULL)
		n++;
	b.refs = all;
	b.n = n;
	b.with_results = d->results != NULL;
	e = ep_run(&b);
	if (b.with_results) {
		/* Not recorded with the batch: on their own, then the episodes. */
		b.with_results = 0;
		sched_results_commit(d);
	}
	if (e == STORE_BUSY) {
		/* The work stays in the store; try again on the next turn. */
		log_info("episode batch of %zu: %s; retrying later", n, store_strerror(e));
		for (size_t i = 0; i < n; i++) {
			if (all[i].prep != NULL) {
				ep_prep_requeue(d, all[i].prep);
				all[i].prep = NULL;
			} else
				sched_ready_push(d, all[i].hub, all[i].id);
		}
	} else if (e != STORE_OK) {
		for (size_t i = 0; i < n; i++) {
			b.refs = &all[i];
			b.n = 1;
			if (ep_single(d, &b) == STORE_BUSY && all[i].prep != NULL) {
				ep_prep_requeue(d, all[i].prep);
				all[i].prep = NULL;
			}
		}
	}
	d->episodes += n;
	for (size_t i = 0; i < n; i++) {
		if (all[i].prep != NULL) {
			/* Recorded, or given up (the instance stays ready in the
			 * store and starts over): either way this child is done. */
			sched_orch_done(d, all[i].hub, all[i].id);
			sched_prep_free(all[i].prep);
		}
		free(all[i].id);
	}
	free(all);
	return n;
}
