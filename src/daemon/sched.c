/*
 * sched.c — what the scheduler thread does besides episodes: keep the
 * ready FIFO, find work in the store (at start, on a wake, on the periodic
 * rescan), fire due timers, hand activity tasks to the workers and record
 * their results, and publish the function registry.
 *
 * The store is the truth; the in-memory queues are only a cache of it. A
 * task or ready instance that was lost from memory (a crash) is found
 * again by the next rescan, and the dedupe sets stop a rescan from
 * dispatching anything twice.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/event.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "daemon/daemon.h"

#define SCHED_SCAN_MAX    1024 /* ready entries / tasks looked at per hub per rescan */
#define SCHED_TIMER_BATCH 256
#define SCHED_MAX_JOBS    1024 /* activity jobs handed to the workers at once */
#define SCHED_FUNCTION_TIMEOUT_US (5LL * 60 * 1000000) /* an executable's time without host.json functionTimeout */

/* Appends (hub, id) to a FIFO unless its dedupe set has it already. */
static void
sched_fifo_push(struct daemon_ready **head, struct daemon_ready **tail, struct sset *set, const char *key, int hub,
		const char *id)
{
	struct daemon_ready *r;
	int added;

	if ((added = sset_add(set, key)) != 1) {
		if (added == -1)
			log_warnx("out of memory queueing %s; the next rescan finds it", id);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->id = strdup(id)) == NULL) {
		free(r);
		sset_del(set, key);
		return;
	}
	r->hub = hub;
	if (*tail != NULL)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

char *
sched_fifo_pop(struct daemon_ready **head, struct daemon_ready **tail, struct sset *set, int *hub)
{
	struct daemon_ready *r = *head;
	char key[600], *id;

	if (r == NULL)
		return NULL;
	*head = r->next;
	if (*head == NULL)
		*tail = NULL;
	snprintf(key, sizeof(key), "%d/%s", r->hub, r->id);
	sset_del(set, key);
	*hub = r->hub;
	id = r->id;
	free(r);
	return id;
}

void
sched_ready_push(struct daemon *d, int hub, const char *id)
{
	char key[600];

	snprintf(key, sizeof(key), "%d/%s", hub, id);
	/* An executable's episode or batch is in progress: look again after it. */
	if (sset_has(&d->orch_busy, key)) {
		sset_add(&d->orch_dirty, key);
		return;
	}
	/* Entities go to the entity dispatcher (entity.c), orchestrations to
	 * episodes. */
	if (id[0] == '@')
		sched_fifo_push(&d->ent_head, &d->ent_tail, &d->ent_set, key, hub, id);
	else
		sched_fifo_push(&d->ready_head, &d->ready_tail, &d->ready_set, key, hub, id);
}

int
sched_hub_index(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->nhubs; i++)
		if (strcasecmp(d->hubs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Opens every hub of the environment not yet known. Hubs are never
 * forgotten while the daemon runs (deleting a hub needs it stopped). */
void
sched_refresh_hubs(struct daemon *d)
{
	char **names = NULL;
	size_t n = 0;

	if (store_hub_list(d->st, &names, &n) != STORE_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		struct store_hub *h;
		if (sched_hub_index(d, names[i]) >= 0)
			continue;
		if (d->nhubs == DAEMON_MAX_HUBS) {
			log_warnx("more than %d task hubs; hub %s is not served", DAEMON_MAX_HUBS, names[i]);
			continue;
		}
		if (store_hub_open(d->st, names[i], &h) != STORE_OK) {
			log_warnx("task hub %s cannot be opened", names[i]);
			continue;
		}
		snprintf(d->hubs[d->nhubs].name, sizeof(d->hubs[d->nhubs].name), "%s", names[i]);
		d->hubs[d->nhubs].h = h;
		d->nhubs++;
		log_info("serving task hub %s", names[i]);
	}
	store_strv_free(names, n);
}

/* ---- the function registry -------------------------------------------------- */

struct sched_pub {
	struct store_hub *h;
	struct store_function *fns;
	size_t n;
};

static enum store_err
sched_publish_body(struct store_txn *tx, void *arg)
{
	struct sched_pub *p = arg;

	return store_function_publish(tx, p->h, p->fns, p->n);
}

/* Publishes the loaded app to every hub, so that the responder answers 400
 * for names the daemon cannot run. */
int
sched_publish(struct daemon *d)
{
	struct sched_pub p;
	int rc = 0;

	p.n = d->app.n;
	if ((p.fns = calloc(p.n + 1, sizeof(*p.fns))) == NULL)
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		p.fns[i].kind = d->app.fns[i].kind;
		p.fns[i].name = d->app.fns[i].name;
		p.fns[i].script = d->app.fns[i].script;
		p.fns[i].entry = d->app.fns[i].entry;
	}
	for (size_t i = 0; i < d->nhubs; i++) {
		enum store_err e;
		p.h = d->hubs[i].h;
		if ((e = store_txn_run(d->st, 0, sched_publish_body, &p)) != STORE_OK) {
			log_warnx("publishing the functions to hub %s: %s", d->hubs[i].name, store_strerror(e));
			rc = -1;
		}
	}
	free(p.fns); /* the strings belong to the app */
	return rc;
}

/* ---- activity tasks ------------------------------------------------------------- */

/* The executable's side of a job: file, folder, hub, timeout. */
int
sched_exe_job(struct daemon *d, int hub, const struct app_fn *fn, struct worker_job *j)
{
	j->timeout_us = d->app.host.function_timeout_us > 0 ? d->app.host.function_timeout_us : SCHED_FUNCTION_TIMEOUT_US;
	if ((j->exe = strdup(fn->script)) == NULL || (j->cwd = strdup(fn->dir)) == NULL ||
	    (j->hub_name = strdup(d->hubs[hub].name)) == NULL)
		return -1;
	return 0;
}

void
sched_dispatch_task(struct daemon *d, int hub, const struct store_task *t)
{
	struct worker_job *j;
	const struct app_fn *fn;
	char key[96];

	snprintf(key, sizeof(key), "%d/%llu", hub, (unsigned long long)t->seq);
	if (sset_has(&d->tasks_inflight, key))
		return; /* already running */
	/* Bounded memory: past this many jobs (each holds its input) the
	 * task stays in the store only; a rescan fetches it when the
	 * workers have caught up. */
	if (worker_busy(d->pool) >= SCHED_MAX_JOBS) {
		d->tasks_deferred = 1;
		return;
	}
	if (sset_add(&d->tasks_inflight, key) != 1)
		return; /* no memory: the rescan retries */
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	j->hub = hub;
	j->seq = t->seq;
	j->task_id = t->task_id;
	if ((j->instance_id = strdup(t->instance_id ? t->instance_id : "")) == NULL ||
	    (j->execution_id = strdup(t->execution_id ? t->execution_id : "")) == NULL ||
	    (j->name = strdup(t->name ? t->name : "")) == NULL ||
	    (t->input != NULL && (j->input = strdup(t->input)) == NULL))
		goto fail;
	fn = app_find(&d->app, APP_ACTIVITY, j->name);
	j->fn = fn != NULL ? (th_activity_fn *)fn->sym : NULL;
	if (fn != NULL && fn->exe && sched_exe_job(d, hub, fn, j) == -1)
		goto fail;
	worker_submit(d->pool, j);
	return;
fail:
	worker_job_free(j);
	sset_del(&d->tasks_inflight, key);
}

/*
 * Finished activities. The worker results wait on d->results until a
 * transaction records them: normally the next episode batch's own (so a
 * sequence of activities costs one log flush per step, not two), else one
 * of their own (sched_results_commit). Recording a result deletes its task
 * and appends TaskCompleted / TaskFailed to the instance's inbox in one
 * transaction, so a crash keeps both (the activity runs again: at least
 * once) or neither.
 */

static int
sched_too_big(const char *s)
{
	return s != NULL && strlen(s) > STORE_MAX_PAYLOAD;
}

/* Takes the workers' finished jobs and queues their instances for an
 * episode (harmless before the commit: an episode that finds no new
 * event changes nothing). */
void
sched_collect(struct daemon *d)
{
	struct worker_job *list = worker_take_done(d->pool), *j;

	while ((j = list) != NULL) {
		list = j->next;
		j->next = NULL;
		if (j->kind == WORKER_ENTITY) {
			/* The entity's batch child answered (or failed). */
			struct daemon_entprep *p = j->episode;
			p->reply = j->reply;
			p->reply_len = j->reply_len;
			p->fatal = j->fatal;
			j->reply = j->fatal = NULL;
			j->episode = NULL;
			p->next = d->entprep;
			d->entprep = p;
			worker_job_free(j);
			continue;
		}
		if (j->kind == WORKER_ORCHESTRATOR) {
			/* The child answered (or failed): its episode's second
			 * transaction comes with the next batch. */
			struct daemon_prep *p = j->episode;
			p->reply = j->reply;
			p->reply_len = j->reply_len;
			p->fatal = j->fatal;
			j->reply = j->fatal = NULL;
			j->episode = NULL;
			if (d->prep_tail != NULL)
				d->prep_tail->next = p;
			else
				d->prep_head = p;
			d->prep_tail = p;
			worker_job_free(j);
			continue;
		}
		if (d->results_tail != NULL)
			d->results_tail->next = j;
		else
			d->results = j;
		d->results_tail = j;
		if (j->res.ok != -1)
			sched_ready_push(d, j->hub, j->instance_id);
	}
}

void
sched_prep_free(struct daemon_prep *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->exec);
	free(p->name);
	free(p->reply);
	free(p->fatal);
	free(p);
}

/* An executable's episode is over (recorded, or given up): events that
 * arrived meanwhile get their own episode. */
void
sched_orch_done(struct daemon *d, int hub, const char *id)
{
	char key[600];

	snprintf(key, sizeof(key), "%d/%s", hub, id);
	sset_del(&d->orch_busy, key);
	if (sset_del(&d->orch_dirty, key))
		sched_ready_push(d, hub, id);
}

enum store_err
sched_results_record(struct store_txn *tx, struct daemon *d)
{
	int64_t now = time_now_us();
	enum store_err e;

	for (struct worker_job *j = d->results; j != NULL; j = j->next) {
		struct store_hub *h = d->hubs[j->hub].h;
		struct store_instance inst;
		struct store_event ev;
		char reason[512];

		if (j->res.ok == -1)
			continue; /* not run (shutting down): the task stays */
		if ((e = store_task_del(tx, h, j->seq)) == STORE_NOTFOUND)
			continue; /* already recorded */
		if (e != STORE_OK)
			return e;
		e = store_instance_get(tx, h, j->instance_id, 0, &inst);
		if (e == STORE_NOTFOUND)
			continue; /* purged meanwhile: the result has nowhere to go */
		if (e != STORE_OK)
			return e;
		/* An older execution's activity (restart, continue-as-new)
		 * must not complete a task of the new one. */
		if (inst.execution_id != NULL && strcmp(inst.execution_id, j->execution_id) != 0) {
			store_instance_clear(&inst);
			continue;
		}
		store_instance_clear(&inst);
		memset(&ev, 0, sizeof(ev));
		ev.event_id = -1;
		ev.task_id = j->task_id;
		ev.timestamp = now;
		if (j->fn == NULL && j->exe == NULL) {
			snprintf(reason, sizeof(reason),
				 "The function '%s' doesn't exist, is disabled, or is not an activity function.", j->name);
			ev.type = EVENT_TASK_FAILED;
			ev.data = reason;
		} else if (sched_too_big(j->res.output) || sched_too_big(j->res.error) || sched_too_big(j->res.details)) {
			/* A value the store refuses must fail this task, not the
			 * transaction: every result recorded with it would be lost
			 * and the activity would run again and again. */
			snprintf(reason, sizeof(reason), "Activity function '%s' %s more than the %u-byte limit.", j->name,
				 j->res.ok ? "returned an output of" : "failed with a reason of", STORE_MAX_PAYLOAD);
			ev.type = EVENT_TASK_FAILED;
			ev.data = reason;
		} else if (j->res.ok) {
			ev.type = EVENT_TASK_COMPLETED;
			ev.data = j->res.output;
		} else {
			ev.type = EVENT_TASK_FAILED;
			ev.data = j->res.error;
			ev.detail = j->res.details;
		}
		if ((e = store_inbox_append(tx, h, j->instance_id, &ev, now)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

/* After the transaction that recorded (or failed to record) d->results:
 * the jobs go. On failure their tasks stay in the store and are no longer
 * in flight, so the next full rescan hands them out again. */
void
sched_results_done(struct daemon *d, int recorded)
{
	struct worker_job *j;
	size_t n = 0;

	while ((j = d->results) != NULL) {
		char key[96];
		d->results = j->next;
		if (j->res.ok != -1) {
			d->activities += recorded;
			n++;
		}
		snprintf(key, sizeof(key), "%d/%llu", j->hub, (unsigned long long)j->seq);
		sset_del(&d->tasks_inflight, key);
		worker_job_free(j);
	}
	d->results_tail = NULL;
	if (!recorded && n > 0)
		log_warnx("%zu activity results not recorded; they run again after the next full rescan", n);
}

static enum store_err
sched_results_body(struct store_txn *tx, void *arg)
{
	return sched_results_record(tx, arg);
}

/* Records d->results in a transaction of their own. When the store is
 * only busy they stay for the next turn; on any other failure they go,
 * and their tasks run again after the next full rescan. */
void
sched_results_commit(struct daemon *d)
{
	enum store_err e;

	if (d->results == NULL)
		return;
	if ((e = store_txn_run(d->st, 0, sched_results_body, d)) == STORE_BUSY) {
		log_info("recording activity results: %s; trying again", store_strerror(e));
		return;
	}
	if (e != STORE_OK)
		log_warnx("recording activity results: %s", store_strerror(e));
	sched_results_done(d, e == STORE_OK);
}

/* ---- timers ---------------------------------------------------------------------- */

struct sched_timers {
	struct daemon *d;
	int hub;
	int64_t now;
	char **ids;
	struct store_event *evs;
	size_t n;
	size_t delivered;
};

static void
sched_timers_free(struct sched_timers *t)
{
	store_strv_free(t->ids, t->n);
	store_event_free_array(t->evs, t->n);
	t->ids = NULL;
	t->evs = NULL;
	t->n = 0;
}

/* Moves due timers into their instances' inboxes: TimerFired becomes a
 * visible event. A timer of an instance that was purged, or of an older
 * execution, is dropped. */
static enum store_err
sched_timers_body(struct store_txn *tx, void *arg)
{
	struct sched_timers *t = arg;
	struct store_hub *h = t->d->hubs[t->hub].h;
	enum store_err e;

	sched_timers_free(t);
	t->delivered = 0;
	if ((e = store_timer_take_due(tx, h, t->now, SCHED_TIMER_BATCH, &t->ids, &t->evs, &t->n)) != STORE_OK)
		return e;
	for (size_t i = 0; i < t->n; i++) {
		struct store_instance inst;
		e = store_instance_get(tx, h, t->ids[i], 0, &inst);
		if (e == STORE_NOTFOUND) {
			t->ids[i][0] = '\0';
			continue;
		}
		if (e != STORE_OK)
			return e;
		if (t->evs[i].execution_id != NULL && inst.execution_id != NULL &&
		    strcmp(t->evs[i].execution_id, inst.execution_id) != 0) {
			store_instance_clear(&inst);
			t->ids[i][0] = '\0';
			continue;
		}
		store_instance_clear(&inst);
		t->evs[i].timestamp = t->now;
		if ((e = store_inbox_append(tx, h, t->ids[i], &t->evs[i], t->now)) != STORE_OK)
			return e;
		t->delivered++;
	}
	return STORE_OK;
}

static enum store_err
sched_timer_next_body(struct store_txn *tx, void *arg)
{
	struct sched_timers *t = arg;
	int64_t at;
	enum store_err e = store_timer_next(tx, t->d->hubs[t->hub].h, &at);

	if (e == STORE_OK && (t->now == 0 || at < t->now))
		t->now = at;
	return e == STORE_NOTFOUND ? STORE_OK : e;
}

/* Fires every due timer, then looks up the next one. */
void
sched_timers(struct daemon *d)
{
	struct sched_timers t;
	int64_t now = time_now_us(), next = 0;
	int failed = 0;

	if (d->next_timer == 0 || d->next_timer > now)
		return;
	memset(&t, 0, sizeof(t));
	t.d = d;
	for (size_t hub = 0; hub < d->nhubs; hub++) {
		t.hub = (int)hub;
		do {
			t.now = now;
			if (store_txn_run(d->st, 0, sched_timers_body, &t) != STORE_OK) {
				log_warnx("hub %s: firing timers failed; retrying in a second", d->hubs[hub].name);
				sched_timers_free(&t);
				failed = 1;
				break;
			}
			for (size_t i = 0; i < t.n; i++)
				if (t.ids[i][0] != '\0')
					sched_ready_push(d, (int)hub, t.ids[i]);
			d->timers_fired += t.delivered;
		} while (t.n == SCHED_TIMER_BATCH && (sched_timers_free(&t), 1));
		sched_timers_free(&t);
		t.now = 0;
		if (store_txn_run(d->st, STORE_TXN_READONLY, sched_timer_next_body, &t) == STORE_OK && t.now != 0 &&
		    (next == 0 || t.now < next))
			next = t.now;
	}
	/* After a failure the due timer is still the earliest: without this
	 * the loop would try again at once, for ever. */
	if (failed && (next == 0 || next < now + 1000000))
		next = now + 1000000;
	d->next_timer = next;
}

/* ---- rescans --------------------------------------------------------------------- */

struct sched_scan {
	struct store_hub *h;
	char **eids; /* entities with operations */
	size_t ne;
	int full;
	size_t inflight;
	char **ids;
	size_t n;
	struct store_task *tasks;
	size_t ntasks;
	int64_t next_timer;
};

static enum store_err
sched_scan_body(struct store_txn *tx, void *arg)
{
	struct sched_scan *s = arg;
	enum store_err e;

	store_strv_free(s->ids, s->n);
	store_strv_free(s->eids, s->ne);
	store_task_free_array(s->tasks, s->ntasks);
	s->ids = s->eids = NULL;
	s->tasks = NULL;
	s->n = s->ne = s->ntasks = 0;
	s->next_timer = 0;
	if ((e = store_ready_scan(tx, s->h, STORE_READY_ORCHESTRATIONS, SCHED_SCAN_MAX, &s->ids, &s->n)) != STORE_OK)
		return e;
	if ((e = store_ready_scan(tx, s->h, STORE_READY_ENTITIES, SCHED_SCAN_MAX, &s->eids, &s->ne)) != STORE_OK)
		return e;
	if (!s->full)
		return STORE_OK;
	/* Every task not running yet, page by page: after a crash in the
	 * middle of a large fan-out they all must run again. At most
	 * SCHED_MAX_JOBS beyond those in flight are read (dispatch takes no
	 * more); the rest waits for the next rescan. */
	for (uint64_t after = 0; s->ntasks < s->inflight + SCHED_MAX_JOBS;) {
		struct store_task *page, *nv;
		size_t pn;
		if ((e = store_task_scan(tx, s->h, after, SCHED_SCAN_MAX, &page, &pn)) != STORE_OK)
			return e;
		if (pn == 0) {
			free(page);
			break;
		}
		if ((nv = realloc(s->tasks, (s->ntasks + pn) * sizeof(*nv))) == NULL) {
			store_task_free_array(page, pn);
			return STORE_NOMEM;
		}
		s->tasks = nv;
		memcpy(s->tasks + s->ntasks, page, pn * sizeof(*page));
		s->ntasks += pn;
		after = page[pn - 1].seq;
		store_txn_watch(tx, 1); /* progress: a long table is not a stall */
		free(page); /* the strings moved into s->tasks */
		if (pn < SCHED_SCAN_MAX)
			break;
	}
	e = store_timer_next(tx, s->h, &s->next_timer);
	return e == STORE_NOTFOUND ? STORE_OK : e;
}

/* Finds the work in the store: instances on the ready queue and, with
 * full, activity tasks not running and the next timer. A wake only needs
 * the ready queue (the responder writes nothing else); the full rescan at
 * start is the recovery of everything a crash interrupted. */
void
sched_rescan(struct daemon *d, int full)
{
	struct sched_scan s;

	if (full) {
		sched_refresh_hubs(d);
		d->next_timer = 0;
	}
	for (size_t hub = 0; hub < d->nhubs; hub++) {
		memset(&s, 0, sizeof(s));
		s.h = d->hubs[hub].h;
		s.full = full;
		s.inflight = d->tasks_inflight.n;
		if (store_txn_run(d->st, STORE_TXN_READONLY, sched_scan_body, &s) != STORE_OK) {
			log_warnx("hub %s: rescan failed; trying again on the next tick", d->hubs[hub].name);
			d->next_timer = time_now_us() + 1000000;
		} else {
			for (size_t i = 0; i < s.n; i++)
				sched_ready_push(d, (int)hub, s.ids[i]);
			for (size_t i = 0; i < s.ne; i++)
				sched_ready_push(d, (int)hub, s.eids[i]);
			/* A full page: more is waiting behind it; look again once
			 * this much is done. */
			if (s.n == SCHED_SCAN_MAX)
				d->rescan_more = 1;
			if (full && s.ntasks >= s.inflight + SCHED_MAX_JOBS)
				d->tasks_deferred = 1; /* more than one scan's worth */
			for (size_t i = 0; i < s.ntasks; i++)
				sched_dispatch_task(d, (int)hub, &s.tasks[i]);
			if (full && s.next_timer != 0 && (d->next_timer == 0 || s.next_timer < d->next_timer))
				d->next_timer = s.next_timer;
		}
		store_strv_free(s.ids, s.n);
		store_strv_free(s.eids, s.ne);
		store_task_free_array(s.tasks, s.ntasks);
	}
}
