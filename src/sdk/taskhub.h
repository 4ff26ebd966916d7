/*
 * taskhub.h — libtaskhub, the C SDK for taskhub functions.
 *
 * A function app is a folder of function.json files (see docs/functions.md).
 * A function whose scriptFile is a shared object names an entryPoint symbol
 * in it; taskhubd loads the object and calls that symbol in-process:
 *
 *   orchestrationTrigger   const char *entry(th_orch *o);      returns JSON output
 *   activityTrigger        int entry(th_activity *a);          0 = success
 *
 * Orchestrators are ordinary sequential C replayed from history (Durable
 * Task semantics): they must be deterministic. th_await() returns a task's
 * outcome when the history has it; when it does not, the SDK unwinds
 * (longjmp) back to the engine and the episode ends with the work gathered
 * so far; the next episode replays the function from the start. Use the
 * context's time and GUIDs, never the system's.
 *
 * Ownership. Every string and task an orchestration function receives from
 * this API lives in the episode's arena and is released by the engine when
 * the episode ends, including when it unwinds, so nothing leaks and nothing
 * must be freed. Do not keep such pointers across episodes (statics) and do
 * not malloc() in an orchestrator: unwinding skips your cleanup code. String
 * arguments are borrowed for the duration of the call (the SDK copies what
 * it keeps). Activities get an arena of their own, released after the
 * activity returns. Every JSON argument must be one complete JSON text; NULL
 * means JSON null.
 *
 * Threads. Orchestrator functions run on the daemon's scheduler thread;
 * activity functions run on worker threads, concurrently with each other,
 * so they must be thread-safe. All th_* calls on one context come from the
 * thread that was handed that context.
 */
#ifndef TASKHUB_H
#define TASKHUB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TH_VERSION_MAJOR 0
#define TH_VERSION_MINOR 4

#if defined(__GNUC__)
#define TH_NORETURN      __attribute__((noreturn))
#define TH_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#else
#define TH_NORETURN
#define TH_PRINTF(f, a)
#endif

typedef struct th_orch th_orch;         /* one orchestration episode */
typedef struct th_task th_task;         /* a durable task inside an episode */
typedef struct th_activity th_activity; /* one activity invocation */
typedef struct th_arena th_arena;       /* memory released with its context */

typedef const char *th_orchestrator_fn(th_orch *o);
typedef int th_activity_fn(th_activity *a);

/* ---- memory ------------------------------------------------------------ */

th_arena *th_orch_arena(th_orch *o);
th_arena *th_activity_arena(th_activity *a);
/* Zeroed memory from the arena; never NULL (allocation failure ends the
 * episode or activity as failed). */
void *th_alloc(th_arena *a, size_t n);
char *th_strdup(th_arena *a, const char *s);
char *th_printf(th_arena *a, const char *fmt, ...) TH_PRINTF(2, 3);
/* s as a JSON string literal, quotes and escapes included ("Tokyo" for
 * Tokyo). NULL gives "null". */
char *th_json_string(th_arena *a, const char *s);

/* ---- orchestrations ----------------------------------------------------- */

enum th_task_state {
	TH_TASK_PENDING = 0,   /* not finished in the history yet */
	TH_TASK_COMPLETED = 1, /* succeeded: th_task_result() */
	TH_TASK_FAILED = 2,    /* failed: th_task_error(), th_task_error_details() */
	TH_TASK_TIMED_OUT = 3, /* th_wait_for_event_timeout() whose timer fired first */
	TH_TASK_CANCELED = 4,  /* a timer cancelled with th_cancel_timer() */
};

/* Retry policy (Durable Functions RetryOptions). Between attempts a durable
 * timer waits first_retry_interval_ms * backoff_coefficient^(attempt-1),
 * capped by max_retry_interval_ms; no attempt starts after retry_timeout_ms
 * from the first one. */
struct th_retry {
	int64_t first_retry_interval_ms; /* > 0 */
	int max_number_of_attempts;      /* >= 1 */
	double backoff_coefficient;      /* 0 means 1.0 */
	int64_t max_retry_interval_ms;   /* 0 means 6 days */
	int64_t retry_timeout_ms;        /* 0 means no limit */
};

/* The instance's input as JSON text ("null" when none). */
const char *th_get_input(th_orch *o);
const char *th_instance_id(th_orch *o);
const char *th_orchestrator_name(th_orch *o);
/* Deterministic time: the current episode's start, µs since the epoch. */
int64_t th_current_time(th_orch *o);
/* Non-zero while the code is re-executing events already in the history
 * (use it to avoid logging twice). */
int th_is_replaying(th_orch *o);
/* A name-based (version 5) UUID, the same on every replay. */
const char *th_new_guid(th_orch *o);

/* Scheduling. Each returns a task at once; none of them waits. */
th_task *th_call_activity(th_orch *o, const char *name, const char *input);
th_task *th_call_activity_with_retry(th_orch *o, const char *name, const char *input, const struct th_retry *r);
/* instance_id NULL: "<parent id>:<sequence number>", as Durable Functions. */
th_task *th_call_sub_orchestrator(th_orch *o, const char *name, const char *instance_id, const char *input);
th_task *th_call_sub_orchestrator_with_retry(th_orch *o, const char *name, const char *instance_id, const char *input,
					     const struct th_retry *r);
/* A durable timer firing at fire_at (µs since the epoch). */
th_task *th_create_timer(th_orch *o, int64_t fire_at);
/* Cancelling a pending timer lets the orchestration complete without
 * waiting for it (its TimerFired is then ignored). */
void th_cancel_timer(th_orch *o, th_task *timer);
/* Waits for an external event by name (case-insensitive). Events raised
 * before anyone waits are kept and delivered in order, one per wait. */
th_task *th_wait_for_event(th_orch *o, const char *name);
/* The same with a durable timeout: the task ends TH_TASK_TIMED_OUT when
 * the timeout passes first. */
th_task *th_wait_for_event_timeout(th_orch *o, const char *name, int64_t timeout_us);
/* Raises event name on another instance (fire and forget). */
void th_send_event(th_orch *o, const char *instance_id, const char *name, const char *input);
/* th_when_all completes when all tasks have (result: a JSON array of
 * their results in order; it fails as soon as one fails, with that
 * error). th_when_any completes when the first one has: th_await()
 * returns the winner's state, th_task_result() is the winner's result and
 * th_task_winner() the winner itself. The array is copied. */
th_task *th_when_all(th_orch *o, th_task *const *tasks, size_t n);
th_task *th_when_any(th_orch *o, th_task *const *tasks, size_t n);

/* Returns the task's final state. When the history does not yet hold it,
 * does not return: the episode ends here and is replayed later. */
int th_await(th_orch *o, th_task *t);
/* Awaits and returns the result JSON. A failed task fails the whole
 * orchestration with its error as the message (as an unhandled exception
 * would); a timed-out wait or a cancelled timer returns NULL. */
const char *th_await_result(th_orch *o, th_task *t);
int th_task_state(const th_task *t);
const char *th_task_result(const th_task *t);        /* JSON text; NULL unless completed */
const char *th_task_error(const th_task *t);         /* reason text; NULL unless failed */
const char *th_task_error_details(const th_task *t); /* details text or NULL */
th_task *th_task_winner(const th_task *when_any);    /* NULL while pending */

/* Custom status: JSON text stored with the episode's commit and returned
 * by GET status. Over 16 KB of UTF-16 (spec §4) fails the orchestration
 * with Durable Functions' message; does not return then. */
void th_set_custom_status(th_orch *o, const char *json);

/* Ends this execution and starts a new one of the same instance with input
 * (history reset). preserve_events keeps external events not yet received. */
TH_NORETURN void th_continue_as_new(th_orch *o, const char *input, int preserve_events);
/* Fails the orchestration: its output becomes
 * "Orchestrator function '<name>' failed: <message>". */
TH_NORETURN void th_fail(th_orch *o, const char *message, const char *details);

/* ---- activities ----------------------------------------------------------- */

const char *th_activity_input(th_activity *a); /* JSON text, "null" when none */
const char *th_activity_name(th_activity *a);
const char *th_activity_instance_id(th_activity *a); /* the calling orchestration */
/* The activity's result (JSON text, copied; NULL = null). */
void th_activity_set_output(th_activity *a, const char *json);
/* Records a failure reason (copied); returns -1 so that an activity can
 * `return th_activity_fail(a, "...", NULL);`. */
int th_activity_fail(th_activity *a, const char *reason, const char *details);

#ifdef __cplusplus
}
#endif
#endif
