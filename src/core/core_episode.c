/*
 * core_episode.c — core_episode_run(): decides what kind of episode this is
 * (discard, terminate, rewind, or a replay of the orchestrator function),
 * runs it, and writes the decisions into the caller's arena.
 *
 * Semantics fixed here (see also core.h):
 * - Failure output is "Orchestrator function '<name>' failed: <message>" for
 *   every failure, including non-determinism, the action limit and an
 *   unknown orchestrator; failure is FailureDetails JSON whose ErrorMessage
 *   is that same text and whose StackTrace carries the details, if any.
 * - Failures by the function (th_fail, a failed task's error surfaced by
 *   th_await_result, invalid output or custom status) wait for open tasks
 *   like a return does. Fatal failures (non-determinism, the action limit,
 *   memory, unknown orchestrator) end the execution at once and schedule
 *   none of this episode's actions; their ExecutionCompleted has EventId -1,
 *   as has the one of a termination.
 * - TaskScheduled, SubOrchestrationInstanceCreated and EventSent keep their
 *   input in data (the API shows it only with showInput).
 * - in->oop (an executable orchestrator's parsed reply) is replayed by
 *   core_oop_run() in place of fn; in->fatal fails the execution at once,
 *   as an unknown orchestrator does, with ErrorType "Exception".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/event.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"
#include "common/status.h"
#include "core/core_int.h"

#define EPISODE_MAX_ACTIONS 100000

/* The output side: copies into the caller's arena, remembering a failure so
 * that the build code need not check every step. */
struct ep_out {
	struct core_arena *a;
	int nomem;
	struct core_event *ev;
	size_t n, cap;
};

int
core_name_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static const char *
ep_str(struct ep_out *e, const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = core_arena_strdup(e->a, s)) == NULL)
		e->nomem = 1;
	return p;
}

static struct core_event *
ep_add(struct ep_out *e, const struct core_event *src)
{
	struct core_event *d;

	if (e->nomem || e->n == e->cap) {
		e->nomem = 1;
		return NULL;
	}
	d = &e->ev[e->n++];
	*d = *src;
	d->name = ep_str(e, src->name);
	d->version = ep_str(e, src->version);
	d->instance_id = ep_str(e, src->instance_id);
	d->execution_id = ep_str(e, src->execution_id);
	d->data = ep_str(e, src->data);
	d->detail = ep_str(e, src->detail);
	return d;
}

static void
ep_mark(struct ep_out *e, int type, int64_t ts)
{
	struct core_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.event_id = -1;
	ev.task_id = -1;
	ev.timestamp = ts;
	ep_add(e, &ev);
}

static int
ep_init(struct ep_out *e, struct core_arena *a, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->a = a;
	e->cap = cap;
	if ((e->ev = core_arena_alloc(a, (cap ? cap : 1) * sizeof(*e->ev))) == NULL)
		return -1;
	return 0;
}

/* OrchestratorStarted(now) and the new events: every decided episode
 * begins so. */
static void
ep_framing(struct ep_out *e, const struct core_episode_in *in)
{
	size_t i;

	ep_mark(e, EVENT_ORCHESTRATOR_STARTED, in->now);
	for (i = 0; i < in->n_events; i++)
		ep_add(e, &in->events[i]);
}

static void
ep_completed(struct ep_out *e, const struct core_episode_in *in, int type, int32_t id, int status, const char *data,
	     const char *detail)
{
	struct core_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.event_id = id;
	ev.task_id = status;
	ev.timestamp = in->now;
	ev.data = data;
	ev.detail = detail;
	ep_add(e, &ev);
}

/* "Orchestrator function '<name>' failed: <msg>" and its FailureDetails. */
static void
ep_failure(struct ep_out *e, const struct core_episode_in *in, const char *type, const char *msg, const char *details,
	   const char **output, const char **failure)
{
	struct buf b;

	buf_init(&b, CORE_ARENA_CAP);
	buf_printf(&b, "Orchestrator function '%s' failed: %s", in->name ? in->name : "", msg ? msg : "");
	*output = ep_str(e, b.p);
	buf_reset(&b);
	buf_adds(&b, "{\"ErrorType\":");
	jsonw_str(&b, type ? type : "Exception");
	buf_adds(&b, ",\"ErrorMessage\":");
	jsonw_str(&b, *output ? *output : "");
	buf_adds(&b, ",\"StackTrace\":");
	jsonw_str(&b, details);
	buf_adds(&b, ",\"InnerFailure\":null,\"IsNonRetriable\":false,\"Properties\":null}");
	if (b.overflow)
		e->nomem = 1;
	*failure = ep_str(e, b.p);
	buf_free(&b);
}

static enum core_err
ep_finish(struct ep_out *e, struct core_episode_out *out)
{
	if (e->nomem)
		return CORE_NOMEM;
	out->append = e->ev;
	out->n_append = e->n;
	return CORE_OK;
}

/* A terminate request: the code is not run (spec §5.6 and DTFx). */
static enum core_err
episode_terminate(const struct core_episode_in *in, const struct core_event *term, struct core_arena *a,
		  struct core_episode_out *out)
{
	struct ep_out e;

	if (ep_init(&e, a, in->n_events + 3) < 0)
		return CORE_NOMEM;
	ep_framing(&e, in);
	ep_completed(&e, in, EVENT_EXECUTION_COMPLETED, -1, STATUS_TERMINATED, term->data, NULL);
	ep_mark(&e, EVENT_ORCHESTRATOR_COMPLETED, in->now);
	out->status = STATUS_TERMINATED;
	out->output = ep_str(&e, term->data);
	out->message = "terminated";
	return ep_finish(&e, out);
}

static void
episode_oom(void *ctx)
{
	th_orch *o = ctx;

	o->work->oom = NULL; /* the failure path allocates a little */
	o->done = CORE_DONE_FATAL;
	o->fail_type = "OutOfMemoryException";
	o->fail_msg = "The orchestration ran out of memory (episode arena cap reached).";
	o->fail_details = NULL;
	core_unwind(o, CORE_UNWIND_DONE);
}

/* Runs the function over the events. Everything that must survive a
 * longjmp lives in *o, never in locals. */
static void
episode_play(th_orch *o)
{
	const struct core_episode_in *in = o->in;
	const char *r;

	if (setjmp(o->jb) == 0) {
		if (in->fatal != NULL) {
			/* An executable orchestrator that could not answer: the
			 * daemon's reason, untruncated. */
			o->fail_msg = core_xstrdup(o, in->fatal);
			o->fail_type = "Exception";
			o->done = CORE_DONE_FATAL;
			core_unwind(o, CORE_UNWIND_DONE);
		}
		if (in->fn == NULL && in->oop == NULL)
			core_fatal(o, "ArgumentException",
				   "The function '%s' doesn't exist, is disabled, or is not an orchestrator function.",
				   in->name ? in->name : "");
		while (!o->started && core_replay_next(o))
			;
		if (!o->started)
			core_unwind(o, CORE_UNWIND_BLOCKED);
		r = in->oop != NULL ? core_oop_run(o) : in->fn(o);
		if (r != NULL && !jsonutil_valid(r, strlen(r), JSONUTIL_MAX_DEPTH))
			core_fail(o, "ArgumentException", "The orchestrator function's output is not valid JSON.",
				  NULL);
		o->output = r ? core_xstrdup(o, r) : "null";
		o->done = CORE_DONE_RETURNED;
	}
	if (o->done == CORE_DONE_NONE || o->done == CORE_DONE_FATAL)
		return;
	/* The function has ended: the remaining events must still be
	 * consistent with it, and may finish open tasks. */
	if (setjmp(o->jb) == 0)
		while (core_replay_next(o))
			;
}

static enum core_err
episode_replay(const struct core_episode_in *in, struct core_arena *a, struct core_episode_out *out)
{
	struct core_arena *work;
	struct ep_out e;
	enum core_err err = CORE_OK;
	th_orch *o;
	size_t i, n_new = 0;
	int status, completed;

	if ((work = core_arena_new()) == NULL)
		return CORE_NOMEM;
	if ((o = core_arena_alloc(work, sizeof(*o))) == NULL) {
		core_arena_free(work);
		return CORE_NOMEM;
	}
	o->in = in;
	o->work = work;
	o->framing.type = EVENT_ORCHESTRATOR_STARTED;
	o->framing.event_id = -1;
	o->framing.task_id = -1;
	o->framing.timestamp = in->now;
	o->n_total = in->n_history + 1 + in->n_events;
	o->again_tail = &o->again;
	o->held_tail = &o->held;
	o->buffered_tail = &o->buffered;
	o->max_actions = in->max_actions ? in->max_actions : EPISODE_MAX_ACTIONS;
	o->now = in->now;
	o->replaying = in->n_history > 0;
	work->oom = episode_oom;
	work->oom_ctx = o;

	episode_play(o);

	completed = o->done == CORE_DONE_FATAL || (o->done != CORE_DONE_NONE && o->open == 0);
	if (o->done != CORE_DONE_FATAL)
		for (i = 0; i < o->n_pend; i++)
			n_new += !o->pend[i].recorded;
	if (ep_init(&e, a, in->n_events + n_new + 3) < 0) {
		err = CORE_NOMEM;
		goto done;
	}
	ep_framing(&e, in);
	if (o->done != CORE_DONE_FATAL && n_new > 0) {
		if ((out->actions = core_arena_alloc(a, n_new * sizeof(*out->actions))) == NULL) {
			err = CORE_NOMEM;
			goto done;
		}
		for (i = 0; i < o->n_pend; i++) {
			const struct core_pend *p = &o->pend[i];
			struct core_action *act;
			struct core_event ev;

			if (p->recorded)
				continue;
			act = &out->actions[out->n_actions++];
			*act = p->act;
			act->name = ep_str(&e, p->act.name);
			act->instance_id = ep_str(&e, p->act.instance_id);
			act->execution_id = ep_str(&e, p->act.execution_id);
			act->input = ep_str(&e, p->act.input);
			act->version = ep_str(&e, p->act.version);
			memset(&ev, 0, sizeof(ev));
			ev.event_id = p->act.id;
			ev.task_id = p->chain;
			ev.timestamp = in->now;
			ev.name = p->act.name;
			ev.data = p->act.input;
			switch (p->act.kind) {
			case CORE_ACT_ACTIVITY:
				ev.type = EVENT_TASK_SCHEDULED;
				break;
			case CORE_ACT_TIMER:
				ev.type = EVENT_TIMER_CREATED;
				ev.fire_at = p->act.fire_at;
				break;
			case CORE_ACT_SUBORCH:
				ev.type = EVENT_SUBORCH_CREATED;
				ev.instance_id = p->act.instance_id;
				ev.execution_id = p->act.execution_id;
				break;
			default:
				ev.type = EVENT_EVENT_SENT;
				ev.instance_id = p->act.instance_id;
				ev.version = p->act.version; /* an entity call's request ID */
				break;
			}
			ep_add(&e, &ev);
		}
	}
	status = o->suspended ? STATUS_SUSPENDED : STATUS_RUNNING;
	if (completed) {
		const char *output = NULL, *failure = NULL;

		switch (o->done) {
		case CORE_DONE_RETURNED:
			status = STATUS_COMPLETED;
			output = ep_str(&e, o->output);
			ep_completed(&e, in, EVENT_EXECUTION_COMPLETED, (int32_t)o->n_pend, status, output, NULL);
			out->message = "completed";
			break;
		case CORE_DONE_CONTINUED: {
			char seed[1024], hex[33];
			struct core_evq *q;
			size_t n = 0;

			status = STATUS_CONTINUED_AS_NEW;
			output = ep_str(&e, o->output);
			ep_completed(&e, in, EVENT_CONTINUE_AS_NEW, (int32_t)o->n_pend, status, output, NULL);
			snprintf(seed, sizeof(seed), "%s:%s:ContinueAsNew", in->instance_id ? in->instance_id : "",
				 in->execution_id ? in->execution_id : "");
			core_uuid5_hex(core_uuid_ns_url, seed, hex);
			out->new_execution_id = ep_str(&e, hex);
			out->message = "continued as new";
			if (!o->preserve)
				break;
			/* External events nobody received, in arrival order. */
			for (q = o->buffered; q != NULL; q = q->next)
				n++;
			if (n == 0)
				break;
			if ((out->carry = core_arena_alloc(a, n * sizeof(*out->carry))) == NULL) {
				e.nomem = 1;
				break;
			}
			for (q = o->buffered; q != NULL; q = q->next) {
				struct core_event *c = &out->carry[out->n_carry++];

				*c = *q->ev;
				c->name = ep_str(&e, c->name);
				c->version = ep_str(&e, c->version);
				c->instance_id = ep_str(&e, c->instance_id);
				c->execution_id = ep_str(&e, c->execution_id);
				c->data = ep_str(&e, c->data);
				c->detail = ep_str(&e, c->detail);
			}
			break;
		}
		default:
			status = STATUS_FAILED;
			ep_failure(&e, in, o->fail_type, o->fail_msg, o->fail_details, &output, &failure);
			ep_completed(&e, in, EVENT_EXECUTION_COMPLETED,
				     o->done == CORE_DONE_FATAL ? -1 : (int32_t)o->n_pend, status, output, failure);
			out->message = o->done == CORE_DONE_FATAL ? output : "failed";
			break;
		}
		out->output = output;
		out->failure = failure;
	}
	ep_mark(&e, EVENT_ORCHESTRATOR_COMPLETED, in->now);
	out->status = status;
	if (o->cs_set && o->done != CORE_DONE_FATAL) {
		out->custom_status_set = 1;
		out->custom_status = ep_str(&e, o->cs);
	}
	err = ep_finish(&e, out);
done:
	core_arena_free(work);
	return err;
}

static enum core_err
episode_rewind(const struct core_episode_in *in, struct core_arena *a, struct core_episode_out *out)
{
	struct core_episode_in rin = *in;
	struct core_event *h, *all;
	enum core_err err;
	long n;

	if ((h = core_arena_alloc(a, (in->n_history ? in->n_history : 1) * sizeof(*h))) == NULL)
		return CORE_NOMEM;
	if ((n = core_rewind(a, in->history, in->n_history, h)) < 0)
		return CORE_NOMEM;
	rin.history = h;
	rin.n_history = (size_t)n;
	if ((err = episode_replay(&rin, a, out)) != CORE_OK)
		return err;
	if ((all = core_arena_alloc(a, ((size_t)n + out->n_append) * sizeof(*all))) == NULL)
		return CORE_NOMEM;
	/* The kept events still borrow the caller's strings: copy them. */
	{
		struct ep_out e;

		e.a = a;
		e.nomem = 0;
		e.ev = all;
		e.n = 0;
		e.cap = (size_t)n;
		for (size_t i = 0; i < (size_t)n; i++)
			ep_add(&e, &h[i]);
		if (e.nomem)
			return CORE_NOMEM;
	}
	memcpy(all + n, out->append, out->n_append * sizeof(*all));
	out->rewrite = 1;
	out->history = all;
	out->n_history = (size_t)n + out->n_append;
	out->append = NULL;
	out->n_append = 0;
	if (out->message == NULL)
		out->message = "rewound";
	return CORE_OK;
}

enum core_err
core_episode_run(const struct core_episode_in *in, struct core_arena *arena, struct core_episode_out *out)
{
	const struct core_event *term = NULL;
	int started = 0, terminal = 0, term_status = -1, rewind = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n_history; i++) {
		switch (in->history[i].type) {
		case EVENT_EXECUTION_STARTED:
			started = 1;
			break;
		case EVENT_EXECUTION_COMPLETED:
			terminal = 1;
			term_status = in->history[i].task_id;
			break;
		case EVENT_CONTINUE_AS_NEW:
			terminal = 1;
			term_status = STATUS_CONTINUED_AS_NEW;
			break;
		}
	}
	for (i = 0; i < in->n_events; i++) {
		switch (in->events[i].type) {
		case EVENT_EXECUTION_STARTED:
			started = 1;
			break;
		case EVENT_EXECUTION_TERMINATED:
			if (term == NULL)
				term = &in->events[i];
			break;
		case EVENT_EXECUTION_REWOUND:
			rewind = 1;
			break;
		}
	}
	if (terminal) {
		if (rewind && term_status == STATUS_FAILED && term == NULL)
			return episode_rewind(in, arena, out);
		out->discard = 1;
		out->status = term_status;
		out->message = "instance is terminal: events dropped";
		return CORE_OK;
	}
	if (!started) {
		out->discard = 1;
		out->status = STATUS_PENDING;
		out->message = "no such instance (never started): events dropped";
		return CORE_OK;
	}
	if (term != NULL)
		return episode_terminate(in, term, arena, out);
	return episode_replay(in, arena, out);
}
