/*
 * core_tasks.c — durable tasks and how they finish. Completions are pushed:
 * when a task finishes, every composite, retry chain or timed wait that
 * depends on it is told at once, so fan-in over many tasks costs one step
 * per event, and retry chains schedule their next timer or attempt at the
 * point of the history where DTFx does.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "core/core_int.h"

static void task_child_finished(th_orch *o, struct th_task *parent, struct th_task *child);

struct th_task *
core_task_new(th_orch *o, int kind)
{
	struct th_task *t = core_xalloc(o, sizeof(*t));

	t->kind = kind;
	t->id = -1;
	return t;
}

static void
task_link(th_orch *o, struct th_task *child, struct th_task *parent)
{
	struct core_link *l = core_xalloc(o, sizeof(*l));

	l->t = parent;
	l->next = child->parents;
	child->parents = l;
}

void
core_task_finish(th_orch *o, struct th_task *t, int state, const char *result, const char *error, const char *details)
{
	struct core_link *l;

	if (t->state != TH_TASK_PENDING)
		return;
	t->state = state;
	t->result = result;
	t->error = error;
	t->details = details;
	t->finished = ++o->finish_seq;
	if (t->open) {
		t->open = 0;
		o->open--;
	}
	for (l = t->parents; l != NULL; l = l->next)
		task_child_finished(o, l->t, t);
}

static struct th_task *
task_sched(th_orch *o, int act, int kind, const char *name, int32_t chain, struct core_pend **pp)
{
	struct core_pend *p = core_action_new(o, act, name, chain);
	struct th_task *t = core_task_new(o, kind);

	t->id = p->act.id;
	t->name = p->act.name;
	t->open = 1;
	o->open++;
	p->task = t;
	*pp = p;
	return t;
}

struct th_task *
core_sched_activity(th_orch *o, const char *name, const char *input, int32_t chain)
{
	struct core_pend *p;
	struct th_task *t = task_sched(o, CORE_ACT_ACTIVITY, CORE_TASK_ACTIVITY, name, chain, &p);

	p->act.input = core_xstrdup(o, input);
	return t;
}

/* A child's execution ID is derived from this execution and the sequence id,
 * so a replay computes the same one. */
struct th_task *
core_sched_suborch(th_orch *o, const char *name, const char *instance_id, const char *input, int32_t chain)
{
	struct core_pend *p;
	struct th_task *t = task_sched(o, CORE_ACT_SUBORCH, CORE_TASK_SUBORCH, name, chain, &p);
	char seed[1024], hex[33];

	p->act.input = core_xstrdup(o, input);
	if (instance_id != NULL) {
		p->act.instance_id = core_xstrdup(o, instance_id);
	} else {
		snprintf(seed, sizeof(seed), "%s:%d", o->in->instance_id, (int)p->act.id);
		p->act.instance_id = core_xstrdup(o, seed);
	}
	snprintf(seed, sizeof(seed), "%s:%s:SubOrchestration:%d", o->in->instance_id,
		 o->in->execution_id ? o->in->execution_id : "", (int)p->act.id);
	core_uuid5_hex(core_uuid_ns_url, seed, hex);
	p->act.execution_id = core_xstrdup(o, hex);
	return t;
}

struct th_task *
core_sched_timer(th_orch *o, int64_t fire_at, int32_t chain)
{
	struct core_pend *p;
	struct th_task *t = task_sched(o, CORE_ACT_TIMER, CORE_TASK_TIMER, NULL, chain, &p);

	p->act.fire_at = fire_at < 0 ? 0 : fire_at > CORE_TIME_MAX ? CORE_TIME_MAX : fire_at;
	return t;
}

/* ---- retry chains (spec §5.6, DTFx RetryInterceptor) ---- */

static void
retry_attempt(th_orch *o, struct th_task *r)
{
	struct core_retry *rs = r->retry;
	int32_t chain = rs->attempt == 0 ? (int32_t)o->n_pend : rs->chain;
	struct th_task *a;

	if (rs->act == CORE_ACT_ACTIVITY)
		a = core_sched_activity(o, rs->name, rs->input, chain);
	else
		a = core_sched_suborch(o, rs->name, rs->instance_id, rs->input, chain);
	if (rs->attempt == 0) {
		rs->chain = a->id;
		rs->first_at = o->now;
	}
	rs->attempt++;
	task_link(o, a, r);
}

struct th_task *
core_retry_new(th_orch *o, int act, const char *name, const char *instance_id, const char *input,
	       const struct th_retry *policy)
{
	struct th_task *r = core_task_new(o, CORE_TASK_RETRY);
	struct core_retry *rs = core_xalloc(o, sizeof(*rs));

	rs->policy = *policy;
	if (rs->policy.max_number_of_attempts < 1)
		rs->policy.max_number_of_attempts = 1;
	if (rs->policy.backoff_coefficient <= 0)
		rs->policy.backoff_coefficient = 1.0;
	if (rs->policy.max_retry_interval_ms <= 0)
		rs->policy.max_retry_interval_ms = (int64_t)6 * 24 * 3600 * 1000;
	if (rs->policy.first_retry_interval_ms < 0)
		rs->policy.first_retry_interval_ms = 0;
	rs->act = act;
	rs->name = core_xstrdup(o, name);
	rs->instance_id = core_xstrdup(o, instance_id);
	rs->input = core_xstrdup(o, input);
	r->name = rs->name;
	r->retry = rs;
	retry_attempt(o, r);
	return r;
}

/* The delay before the next attempt, in µs: first * coef^(n-1) after the
 * n-th failure, capped by the maximum interval; -1 when the retry timeout
 * has passed (then no timer at all). Multiplied step by step rather than
 * with pow() so the result does not depend on the math library. */
static int64_t
retry_delay(const th_orch *o, const struct core_retry *rs)
{
	double ms = (double)rs->policy.first_retry_interval_ms;
	double max = (double)rs->policy.max_retry_interval_ms;
	int i;

	if (rs->policy.retry_timeout_ms > 0 && rs->policy.retry_timeout_ms < CORE_TIME_MAX / 1000 &&
	    o->now >= core_time_add(rs->first_at, rs->policy.retry_timeout_ms * 1000))
		return -1;
	for (i = 1; i < rs->attempt && ms < max; i++)
		ms *= rs->policy.backoff_coefficient;
	if (ms > max)
		ms = max;
	/* Saturate before converting: a double past INT64_MAX is undefined. */
	if (!(ms < (double)(CORE_TIME_MAX / 1000)))
		ms = (double)(CORE_TIME_MAX / 1000);
	return (int64_t)(ms * 1000.0);
}

static void
retry_child_finished(th_orch *o, struct th_task *r, struct th_task *c)
{
	struct core_retry *rs = r->retry;
	struct th_task *timer;
	int64_t delay;

	if (r->state != TH_TASK_PENDING)
		return;
	if (c->kind == CORE_TASK_TIMER) {
		if (rs->last)
			core_task_finish(o, r, TH_TASK_FAILED, NULL, rs->error, rs->details);
		else
			retry_attempt(o, r);
		return;
	}
	if (c->state == TH_TASK_COMPLETED) {
		core_task_finish(o, r, TH_TASK_COMPLETED, c->result, NULL, NULL);
		return;
	}
	rs->error = c->error;
	rs->details = c->details;
	delay = retry_delay(o, rs);
	if (delay < 0) {
		core_task_finish(o, r, TH_TASK_FAILED, NULL, rs->error, rs->details);
		return;
	}
	/* After the last attempt DTFx still creates a timer that fires at
	 * once ("dummy timer for back-compat"); histories depend on it. */
	rs->last = rs->attempt >= rs->policy.max_number_of_attempts;
	timer = core_sched_timer(o, rs->last ? o->now : core_time_add(o->now, delay), rs->chain);
	task_link(o, timer, r);
}

/* ---- composites ---- */

static const char *
composite_results(th_orch *o, struct th_task *t)
{
	struct buf b;
	const char *r;
	size_t i;

	buf_init(&b, CORE_ARENA_CAP);
	buf_addc(&b, '[');
	for (i = 0; i < t->n_children; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, t->children[i]->result ? t->children[i]->result : "null");
	}
	buf_addc(&b, ']');
	if (b.overflow) {
		buf_free(&b);
		core_fatal(o, "OutOfMemoryException", "Out of memory.");
	}
	r = core_xstrdup(o, b.p);
	buf_free(&b);
	return r;
}

static void
task_child_finished(th_orch *o, struct th_task *p, struct th_task *c)
{
	switch (p->kind) {
	case CORE_TASK_RETRY:
		retry_child_finished(o, p, c);
		break;
	case CORE_TASK_EVENT:
		/* The timeout timer of a wait: the wait ends timed out and
		 * leaves the queue, so a later event goes to the next one. */
		if (c == p->timer && c->state == TH_TASK_COMPLETED && p->state == TH_TASK_PENDING)
			core_task_finish(o, p, TH_TASK_TIMED_OUT, NULL, NULL, NULL);
		break;
	case CORE_TASK_ALL:
		if (p->state != TH_TASK_PENDING)
			break;
		if (c->state == TH_TASK_FAILED) {
			core_task_finish(o, p, TH_TASK_FAILED, NULL, c->error, c->details);
			break;
		}
		if (++p->n_done == p->n_children)
			core_task_finish(o, p, TH_TASK_COMPLETED, composite_results(o, p), NULL, NULL);
		break;
	case CORE_TASK_ANY:
		if (p->state != TH_TASK_PENDING)
			break;
		p->winner = c;
		core_task_finish(o, p, TH_TASK_COMPLETED, c->result, NULL, NULL);
		break;
	default:
		break;
	}
}

struct th_task *
core_composite_new(th_orch *o, int kind, th_task *const *tasks, size_t n)
{
	struct th_task *t = core_task_new(o, kind), *first = NULL, *failed = NULL;
	size_t i;

	t->children = core_xalloc(o, (n ? n : 1) * sizeof(*t->children));
	t->n_children = n;
	for (i = 0; i < n; i++) {
		struct th_task *c = tasks[i];

		t->children[i] = c;
		if (c->state == TH_TASK_PENDING) {
			task_link(o, c, t);
			continue;
		}
		t->n_done++;
		if (first == NULL || c->finished < first->finished)
			first = c;
		if (c->state == TH_TASK_FAILED && (failed == NULL || c->finished < failed->finished))
			failed = c;
	}
	/* Children that had finished already count in the order they did. */
	if (kind == CORE_TASK_ANY && (first != NULL || n == 0)) {
		t->winner = first;
		core_task_finish(o, t, TH_TASK_COMPLETED, first ? first->result : NULL, NULL, NULL);
	} else if (kind == CORE_TASK_ALL && failed != NULL) {
		core_task_finish(o, t, TH_TASK_FAILED, NULL, failed->error, failed->details);
	} else if (kind == CORE_TASK_ALL && t->n_done == n) {
		core_task_finish(o, t, TH_TASK_COMPLETED, composite_results(o, t), NULL, NULL);
	}
	return t;
}

/* ---- external events ---- */

void
core_waiter_add(th_orch *o, struct th_task *w)
{
	if (o->waiters_tail)
		o->waiters_tail->next_waiter = w;
	else
		o->waiters = w;
	o->waiters_tail = w;
	if (w->timer)
		task_link(o, w->timer, w);
}

/* An event completes its waiter with its data; an entity's answer to a
 * failed call carries the reason in detail and fails it. */
void
core_event_complete(th_orch *o, struct th_task *w, const struct core_event *ev)
{
	if (ev->detail != NULL)
		core_task_finish(o, w, TH_TASK_FAILED, NULL, core_xstrdup(o, ev->detail), NULL);
	else
		core_task_finish(o, w, TH_TASK_COMPLETED, core_xstrdup(o, ev->data ? ev->data : "null"), NULL, NULL);
}

void
core_event_raised(th_orch *o, const struct core_event *ev)
{
	struct th_task *w, *prev = NULL;
	struct core_evq *q;
	const char *name = ev->name ? ev->name : "";

	for (w = o->waiters; w != NULL; prev = w, w = w->next_waiter) {
		if (w->state != TH_TASK_PENDING || !core_name_eq(w->name, name))
			continue;
		if (prev)
			prev->next_waiter = w->next_waiter;
		else
			o->waiters = w->next_waiter;
		if (o->waiters_tail == w)
			o->waiters_tail = prev;
		/* The event won the race: its timeout timer is cancelled. */
		if (w->timer)
			core_task_finish(o, w->timer, TH_TASK_CANCELED, NULL, NULL, NULL);
		core_event_complete(o, w, ev);
		return;
	}
	q = core_xalloc(o, sizeof(*q));
	q->ev = ev;
	*o->buffered_tail = q;
	o->buffered_tail = &q->next;
}

const struct core_event *
core_event_take(th_orch *o, const char *name)
{
	struct core_evq **pp, *q;

	for (pp = &o->buffered; (q = *pp) != NULL; pp = &q->next) {
		if (!core_name_eq(q->ev->name ? q->ev->name : "", name))
			continue;
		*pp = q->next;
		if (o->buffered_tail == &q->next)
			o->buffered_tail = pp;
		return q->ev;
	}
	return NULL;
}
