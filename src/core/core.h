/*
 * core.h — the pure replay engine: one orchestration episode is history +
 * new events in, decisions out (spec §5). No I/O, no clock, no randomness:
 * everything the engine needs comes in core_episode_in, and the same input
 * always gives the same output, which is what makes replay and the golden
 * tests possible.
 *
 * The daemon reads an instance's history and inbox, calls
 * core_episode_run(), then commits what comes out in one transaction:
 * appends out.append to the history (or replaces the history with
 * out.history when out.rewrite is set), updates the instance record from
 * out.status/output/custom status, schedules out.actions, and hands
 * out.carry back to the inbox after a continue-as-new.
 *
 * Ownership. Input arrays and strings are borrowed for the call. Everything
 * in core_episode_out lives in the arena given to core_episode_run() and
 * stays valid until core_arena_free().
 */
#ifndef TH_CORE_H
#define TH_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "sdk/taskhub.h"

/* One Durable Task history event (spec §5.2); field use as struct
 * store_event in store.h, which the daemon converts to and from. */
struct oop_reply;

struct core_event {
	int type;          /* enum event_type */
	int32_t event_id;  /* EventId (sequence number of scheduling events), -1 when none */
	int32_t task_id;   /* TaskScheduledId / TimerId; ExecutionCompleted: final status; retry chains: see core_rewind.c */
	int64_t timestamp; /* µs */
	int64_t fire_at;   /* timers, µs */
	uint32_t flags;    /* CORE_EVENT_PLAYED */
	const char *name;
	const char *version;
	const char *instance_id;
	const char *execution_id;
	const char *data;   /* input / result / reason */
	const char *detail; /* failure details */
};
#define CORE_EVENT_PLAYED 0x1

/* A memory arena: many allocations, one release. Used for episode output
 * and for the SDK's per-episode and per-activity memory. */
struct core_arena;
struct core_arena *core_arena_new(void);
/* Zeroed; NULL when memory runs out. */
void *core_arena_alloc(struct core_arena *a, size_t n);
char *core_arena_strdup(struct core_arena *a, const char *s); /* NULL stays NULL */
void core_arena_free(struct core_arena *a);

/* What a new piece of work is. */
enum core_action_kind {
	CORE_ACT_ACTIVITY = 1, /* run activity name(input) and reply TaskCompleted/TaskFailed with task_id = id */
	CORE_ACT_TIMER,        /* deliver TimerFired(TimerId = id, FireAt = fire_at) at fire_at */
	CORE_ACT_SUBORCH,      /* create instance_id running name(input), execution execution_id, parent task id */
	CORE_ACT_SEND_EVENT,   /* EventRaised(name, input) into instance_id */
};

struct core_action {
	int kind;
	int32_t id; /* the scheduling event's EventId */
	const char *name;
	const char *version;
	const char *instance_id;
	const char *execution_id; /* sub-orchestrations: the child's new execution ID */
	const char *input;        /* JSON text or NULL */
	int64_t fire_at;
};

/* How the episode runs user code: a C orchestrator function (NULL when the
 * daemon does not know the orchestrator: the instance then fails with
 * "The function '<name>' doesn't exist, is disabled, or is not an
 * orchestrator function."). */
struct core_episode_in {
	const char *instance_id;
	const char *name;         /* orchestrator function name */
	const char *execution_id; /* current execution */
	const struct core_event *history;
	size_t n_history; /* past events of the current execution, in order */
	const struct core_event *events;
	size_t n_events;      /* new events from the inbox, in arrival order */
	int64_t now;          /* the episode's OrchestratorStarted timestamp (µs) */
	uint32_t max_actions; /* host.json maxOrchestrationActions; 0 = 100000 */
	th_orchestrator_fn *fn;
	/* An out-of-process orchestrator (oop.h): its parsed reply to this
	 * episode's request. When set it is replayed instead of fn. */
	const struct oop_reply *oop;
	/* When set, the execution fails at once with this message (prefixed
	 * "Orchestrator function '<name>' failed: "), scheduling nothing —
	 * an executable orchestrator that timed out, crashed or answered
	 * garbage. The new events are still appended. */
	const char *fatal;
};

struct core_episode_out {
	/* Events to append to the history, in order: OrchestratorStarted, the
	 * new events, the events of new actions, ExecutionCompleted when the
	 * execution ended, OrchestratorCompleted. n_append 0 with discard set:
	 * nothing to write (the events are dropped). */
	struct core_event *append;
	size_t n_append;
	/* rewind: the whole history is replaced by history[0..n_history) and
	 * append is empty. */
	int rewrite;
	struct core_event *history;
	size_t n_history;

	struct core_action *actions;
	size_t n_actions;

	int discard;          /* the instance cannot take these events (terminal, never started): drop them */
	int status;           /* enum status after the episode */
	const char *output;   /* Completed: JSON; Failed: message; Terminated: reason; ContinuedAsNew: new input */
	const char *failure;  /* Failed: FailureDetails JSON {"ErrorType":...,"ErrorMessage":...} */
	int custom_status_set; /* custom_status is to be stored (NULL = clear) */
	const char *custom_status;

	/* Continue-as-new: the new execution's ID and the events to put back
	 * in the inbox after its ExecutionStarted (preserved EventRaised). */
	const char *new_execution_id;
	struct core_event *carry;
	size_t n_carry;
	const char *message; /* one line for the daemon's log, or NULL */
};

enum core_err {
	CORE_OK = 0,
	CORE_NOMEM,   /* the arena ran out: nothing usable in out */
	CORE_INVALID, /* the input is inconsistent (history without ExecutionStarted, ...) */
};

/* Runs one episode. out is filled from the arena. A non-deterministic or
 * failing orchestrator is CORE_OK with status Failed: failing an instance is
 * a decision, not an error. */
enum core_err core_episode_run(const struct core_episode_in *in, struct core_arena *arena,
			       struct core_episode_out *out);

/* Name-based (version 5, SHA-1) UUID of name in namespace ns (16 bytes),
 * written as 36 characters + NUL into out. */
void core_uuid5(const unsigned char ns[16], const char *name, char out[37]);

/* The custom status rule of spec §4: 0 when json fits, else -1 with *kb set
 * to the truncated UTF-16 size in KB for the message. */
int core_custom_status_check(const char *json, int *kb);

#endif
