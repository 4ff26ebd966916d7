/*
 * core_int.h — the replay engine's private structures, shared by src/core
 * and the SDK functions in src/sdk that run on top of them. Nothing here is
 * visible to the daemon or to user code.
 *
 * Memory. Everything an episode builds while it runs (tasks, the action
 * table, queues, user strings) comes from the episode's work arena, which
 * core_episode_run() releases before it returns; only what goes into
 * core_episode_out is copied into the caller's arena. longjmp() out of user
 * code therefore never leaks.
 */
#ifndef TH_CORE_INT_H
#define TH_CORE_INT_H

#include <setjmp.h>
#include <stdint.h>

#include "core/core.h"

/* ---- arena (core_arena.c) ---- */

#define CORE_ARENA_CAP   ((size_t)256 << 20) /* a runaway orchestrator fails instead of eating the machine */
#define CORE_ARENA_CHUNK ((size_t)64 << 10)

struct core_chunk;
struct core_arena {
	struct core_chunk *head;
	size_t total; /* bytes taken from malloc */
	size_t cap;
	/* Called by th_alloc() and friends when the arena is exhausted; must
	 * not return (it longjmps to the episode or activity). */
	void (*oom)(void *ctx);
	void *oom_ctx;
};
/* The SDK's th_arena is the engine's arena under its public name. */
struct th_arena {
	struct core_arena a;
};
#define CORE_TH_ARENA(ca) ((th_arena *)(void *)(ca))

struct core_arena *core_arena_new_cap(size_t cap);
char *core_arena_strndup(struct core_arena *a, const char *s, size_t n);

/* ---- GUIDs (core_uuid.c, core_sha1.c) ---- */

struct core_sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
};
void core_sha1_init(struct core_sha1 *c);
void core_sha1_update(struct core_sha1 *c, const void *p, size_t n);
void core_sha1_final(struct core_sha1 *c, unsigned char out[20]);

/* RFC 4122 URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
extern const unsigned char core_uuid_ns_url[16];
/* The same as core_uuid5() in Guid "N" form: 32 lowercase hex digits. */
void core_uuid5_hex(const unsigned char ns[16], const char *name, char out[33]);

/* ---- tasks ---- */

enum core_task_kind {
	CORE_TASK_ACTIVITY = 1,
	CORE_TASK_TIMER,
	CORE_TASK_SUBORCH,
	CORE_TASK_EVENT, /* a wait for an external event */
	CORE_TASK_ALL,
	CORE_TASK_ANY,
	CORE_TASK_RETRY, /* an activity or sub-orchestration with a retry policy */
};

struct core_link {
	struct th_task *t;
	struct core_link *next;
};

struct core_retry {
	struct th_retry policy;
	int act; /* CORE_ACT_ACTIVITY or CORE_ACT_SUBORCH */
	const char *name, *instance_id, *input;
	int attempt;                 /* attempts started */
	int64_t first_at;            /* current time when the first attempt was scheduled */
	int32_t chain;               /* the first attempt's sequence id: marks the chain in the history */
	int last;                    /* the timer in flight is the back-compat one after the last attempt */
	const char *error, *details; /* the last attempt's failure */
};

struct th_task {
	int kind;
	int state;         /* enum th_task_state */
	int open;          /* counts in th_orch.open (durable work not finished) */
	int32_t id;        /* sequence id of activities, timers, sub-orchestrations; else -1 */
	uint64_t finished; /* finishing order (1, 2, ...), 0 while pending */
	const char *name;
	const char *result, *error, *details;
	struct core_link *parents; /* composites, retry chains and waiters told when this finishes */
	/* CORE_TASK_EVENT */
	struct th_task *timer; /* the timeout timer, or NULL */
	struct th_task *next_waiter;
	/* CORE_TASK_TIMER of a wait with timeout */
	struct th_task *waiter;
	/* CORE_TASK_ALL, CORE_TASK_ANY */
	struct th_task **children;
	size_t n_children, n_done;
	struct th_task *winner;
	/* CORE_TASK_RETRY */
	struct core_retry *retry;
};

/* One scheduling action of this execution, indexed by its sequence id. */
struct core_pend {
	struct core_action act;
	int32_t chain;        /* retry chain's first id, or -1 */
	int recorded;         /* matched by a history event: not new work */
	struct th_task *task; /* NULL for send-event */
};

/* An event held in a queue (external event buffer, suspension buffer). */
struct core_evq {
	const struct core_event *ev;
	struct core_evq *next;
};

enum core_done {
	CORE_DONE_NONE = 0,
	CORE_DONE_RETURNED, /* the function returned: output = its JSON */
	CORE_DONE_FAILED,   /* th_fail or an unhandled task failure */
	CORE_DONE_CONTINUED,
	CORE_DONE_FATAL, /* non-determinism, action limit, memory: ends the instance at once */
};

enum core_unwind {
	CORE_UNWIND_BLOCKED = 1, /* th_await ran out of events */
	CORE_UNWIND_DONE,        /* the execution finished (see done) */
};

struct th_orch {
	const struct core_episode_in *in;
	struct core_arena *work;
	jmp_buf jb;

	/* The cursor over history, then OrchestratorStarted(now), then the new events. */
	struct core_event framing;
	size_t pos, n_total;
	struct core_evq *again, **again_tail; /* released by a resume: applied before the cursor */
	struct core_evq *held, **held_tail;   /* arrived while suspended */
	int suspended;
	int started; /* ExecutionStarted applied */
	int64_t now;
	int replaying;
	const char *input;

	struct core_pend *pend;
	size_t n_pend, cap_pend;
	uint32_t n_sched, max_actions;

	struct th_task *waiters, *waiters_tail;
	struct core_evq *buffered, **buffered_tail; /* EventRaised nobody waited for, in arrival order */
	int open;
	uint64_t finish_seq, guid_counter;

	int done;
	const char *output; /* RETURNED: JSON; CONTINUED: new input */
	const char *fail_msg, *fail_type, *fail_details;
	int preserve;
	int cs_set;
	const char *cs;
};

/* core_replay.c */
/* Applies the next event; 0 when there is none left. */
int core_replay_next(th_orch *o);
TH_NORETURN void core_unwind(th_orch *o, int why);
/* Ends the execution now (non-determinism, limits, memory). */
TH_NORETURN void core_fatal(th_orch *o, const char *type, const char *fmt, ...) TH_PRINTF(3, 4);
/* Ends the execution as failed by the function (waits for open tasks). */
TH_NORETURN void core_fail(th_orch *o, const char *type, const char *msg, const char *details);
void *core_xalloc(th_orch *o, size_t n);
char *core_xstrdup(th_orch *o, const char *s);

/* core_actions.c */
struct core_pend *core_action_new(th_orch *o, int kind, const char *name, int32_t chain);
/* A history scheduling event: checks it against the action with its id. */
void core_action_match(th_orch *o, const struct core_event *ev);
struct core_pend *core_action_get(th_orch *o, int32_t id);

/* core_tasks.c */
struct th_task *core_task_new(th_orch *o, int kind);
void core_task_finish(th_orch *o, struct th_task *t, int state, const char *result, const char *error,
		      const char *details);
struct th_task *core_sched_activity(th_orch *o, const char *name, const char *input, int32_t chain);
struct th_task *core_sched_suborch(th_orch *o, const char *name, const char *instance_id, const char *input,
				   int32_t chain);
/* fire_at is clamped to [0, CORE_TIME_MAX]. */
struct th_task *core_sched_timer(th_orch *o, int64_t fire_at, int32_t chain);
void core_event_complete(th_orch *o, struct th_task *w, const struct core_event *ev);

/* The latest time a timer may name: 9999-12-31T23:59:59Z in µs. Time sums
 * saturate there instead of overflowing (a "forever" timeout from user
 * code must not wrap into the past). */
#define CORE_TIME_MAX 253402300799000000LL
static inline int64_t
core_time_add(int64_t t, int64_t d)
{
	if (d <= 0)
		return t;
	return t > CORE_TIME_MAX - d ? CORE_TIME_MAX : t + d;
}
struct th_task *core_retry_new(th_orch *o, int act, const char *name, const char *instance_id, const char *input,
			       const struct th_retry *r);
struct th_task *core_composite_new(th_orch *o, int kind, th_task *const *tasks, size_t n);
void core_waiter_add(th_orch *o, struct th_task *w);
/* An EventRaised: delivered to the oldest waiter of its name, else buffered. */
void core_event_raised(th_orch *o, const struct core_event *ev);
/* A buffered event of that name, removed from the buffer, or NULL. */
const struct core_event *core_event_take(th_orch *o, const char *name);

/* core_rewind.c: the rewritten history of a Failed execution into out (room
 * for n events); its length, or -1 when a runs out. */
long core_rewind(struct core_arena *a, const struct core_event *h, size_t n, struct core_event *out);

/* core_episode.c */
int core_name_eq(const char *a, const char *b);

/* oop_replay.c: the orchestrator function that replays in->oop (oop.h). */
const char *core_oop_run(th_orch *o);

#endif
