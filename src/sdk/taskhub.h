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
/* Entities from orchestrations. A signal is fire and forget; a call
 * completes with the operation's result, or fails with its reason. Both
 * are recorded in the history (EventSent), so replay is deterministic. */
void th_signal_entity(th_orch *o, const char *name, const char *key, const char *operation, const char *input);
th_task *th_call_entity(th_orch *o, const char *name, const char *key, const char *operation, const char *input);
/* Critical sections: locks the n entities (name/key pairs, copied) for
 * this orchestration. While locked, an entity applies operations from
 * this orchestration only; everything else waits for the release, in
 * order. The locks are taken one at a time in a fixed order (sorted by
 * entity ID), so orchestrations locking overlapping sets cannot deadlock.
 * Does not return until all are held (the episode ends while waiting). */
typedef struct th_critical th_critical;
th_critical *th_lock_entities(th_orch *o, const char *const *names, const char *const *keys, size_t n);
/* Releases them (fire and forget, recorded like signals). */
void th_unlock_entities(th_orch *o, th_critical *c);
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

/* ---- entities ----------------------------------------------------------------
 *
 * An entityTrigger function is called once per operation, in arrival
 * order, with the entity's state as the previous operation left it:
 *
 *   entityTrigger   int entry(th_entity *e);   0 = done, -1 = failed,
 *                                              TH_ENTITY_NOT_HANDLED
 *
 * A failed operation changes nothing (its state changes and signals are
 * dropped). An operation the function does not handle is a failure,
 * except "delete", which then deletes the state. Memory as for
 * activities: an arena per operation. */
typedef struct th_entity th_entity;
typedef int th_entity_fn(th_entity *e);
#define TH_ENTITY_NOT_HANDLED 1

th_arena *th_entity_arena(th_entity *e);
const char *th_entity_name(th_entity *e);      /* as registered */
const char *th_entity_key(th_entity *e);       /* "" for the empty key */
const char *th_entity_operation(th_entity *e);
const char *th_entity_input(th_entity *e);     /* JSON text, "null" when none */
const char *th_entity_get_state(th_entity *e); /* JSON text, NULL when the entity has none */
void th_entity_set_state(th_entity *e, const char *json); /* copied */
void th_entity_delete_state(th_entity *e);
void th_entity_return(th_entity *e, const char *json); /* the operation's result (calls) */
/* Records a failure reason (copied); returns -1 for `return th_entity_fail(...)`. */
int th_entity_fail(th_entity *e, const char *reason);
/* Signals operation on entity name/key once this operation succeeds. */
void th_entity_signal(th_entity *e, const char *name, const char *key, const char *operation, const char *input);

/* ---- client ------------------------------------------------------------------
 *
 * The client API: for user programs (CGI programs such as the sample
 * cgi-bin/HttpStartSingle, scripts' helpers, services) that start and
 * manage orchestrations in a taskhub store, as IDurableOrchestrationClient
 * does in Durable Functions. It is not for use inside orchestrator or
 * activity functions. Link with -ltaskhub (pkg-config taskhub).
 *
 * A th_client is one open task hub: it reads taskhub.conf, opens the
 * connection's Berkeley DB environment and the hub, and keeps them until
 * th_client_close(). Every operation is one store transaction (the same
 * rules as the management API: the singleton start is atomic), followed,
 * after the commit, by the wake datagram to taskhubd. A th_client is used
 * by one thread at a time. A process opens at most one th_client per
 * environment at a time (Berkeley DB's DB_REGISTER allows one handle per
 * process); clients of different connections may be open together. Do not
 * fork() with a client open and use it in both processes.
 *
 * Ownership. String arguments are borrowed for the duration of the call.
 * Everything returned through an out-parameter is owned by the caller and
 * released as each function says (free() or a *_clear()). Strings that
 * return const char * are owned by the client and stay valid until the
 * next call on it (th_client_errmsg) or until th_client_close (names).
 * Every JSON argument must be one complete JSON text, or NULL for none.
 */

typedef struct th_client th_client;

typedef enum th_client_err {
	TH_OK = 0,
	TH_ENOTFOUND,   /* no such instance */
	TH_EEXISTS,     /* start: the ID is held by a Pending, Running, ContinuedAsNew or Suspended
			* instance (the API's 409 "An instance with ID '<id>' already exists.") */
	TH_EINVALID,    /* a malformed argument: instance ID, name, JSON text, reason */
	TH_ENOFUNCTION, /* start: no orchestrator of that name is published by taskhubd */
	TH_ESTATE,      /* not allowed in the instance's state (an event or a terminate for a
			* finished instance; purge of one that is not finished) */
	TH_ETOOBIG,     /* a value over the store's cap (4 MiB) */
	TH_EBUSY,       /* the store stayed busy (deadlock retries exhausted): try again */
	TH_ENOHUB,      /* open: the task hub does not exist */
	TH_ECONFIG,     /* open: taskhub.conf unreadable or bad, or the connection not configured */
	TH_ENOMEM,
	TH_EIO, /* any other store or system failure */
} th_client_err;

/* A short static English description of e. */
const char *th_client_strerror(th_client_err e);

/* Opens a task hub. conf_path: a taskhub.conf, or NULL for the default
 * lookup ($TASKHUB_CONF, else the sysconfdir file; TASKHUB_* variables
 * override its settings). connection: as the API's `connection`
 * parameter, the conf's connection-name (its home) or a name of its
 * `connections` list (case-insensitive); NULL for connection-name. hub:
 * NULL for the conf's default hub. On TH_OK *out is the caller's, closed
 * with th_client_close(); on failure *out is NULL and, if errmsg is not
 * NULL, a message (errcap bytes) says why. */
th_client_err th_client_open(const char *conf_path, const char *connection, const char *hub, th_client **out,
			     char *errmsg, size_t errcap);
/* Closes the store handles and frees c. NULL is a no-op. */
void th_client_close(th_client *c);

/* The hub's name as stored, and the connection's name as the management
 * URLs carry it (the given one, else connection-name). Owned by c. */
const char *th_client_hub(const th_client *c);
const char *th_client_connection(const th_client *c);
/* The conf's body-max (the request body cap a web program should apply). */
size_t th_client_body_max(const th_client *c);

/* The message of the last failed call on c, in the management API's words
 * (what its JSON error's "Message" would say), and the detail it puts in
 * "ExceptionMessage", or NULL. Owned by c until its next call. */
const char *th_client_errmsg(const th_client *c);
const char *th_client_errdetail(const th_client *c);

/* The management API's JSON error body for message and detail (NULL for
 * none): {"Message":message[,"ExceptionMessage":detail]}, malloc'd (caller
 * frees), NULL when memory runs out. Needs no client. */
char *th_client_error_json(const char *message, const char *detail);

/* 1 when a request presenting key (the `code` parameter or the
 * x-functions-key header; NULL when none) may pass, as the API decides:
 * any key when the conf says anonymous = yes, else one of keys-file,
 * compared in constant time. */
int th_client_authorize(const th_client *c, const char *key);

/* An instance's status record (spec §2.1). Strings are malloc'd and owned
 * by the struct; release with th_status_clear(). JSON members are JSON
 * text or NULL (JSON null); output of a Failed or Terminated instance may
 * be plain text (the reason), as the API renders it as a string. */
typedef struct th_status {
	char *name;
	char *instance_id;
	const char *runtime_status; /* static: "Pending", "Running", "Completed", ... */
	char *input;                /* NULL unless asked for (with_input) */
	char *output;
	char *custom_status;
	int64_t created_us, last_updated_us; /* µs since the epoch */
} th_status;
void th_status_clear(th_status *s);

/* Reads instance id: TH_OK with *out filled, TH_ENOTFOUND. */
th_client_err th_client_get_status(th_client *c, const char *id, int with_input, th_status *out);
/* The same record as the JSON object GET .../instances/{id} answers
 * (showInput as with_input, no history): *json malloc'd, caller frees. */
th_client_err th_client_get_status_json(th_client *c, const char *id, int with_input, char **json);

/* Starts orchestrator name with input (JSON text, or NULL for none). id:
 * the instance ID, or NULL to generate one (32 hex digits). With an ID,
 * the singleton rule holds atomically: TH_EEXISTS when an instance with
 * that ID is Pending, Running, ContinuedAsNew or Suspended (host.json
 * overridableExistingInstanceStates = AnyState lifts that), otherwise a
 * finished one is replaced. TH_ENOFUNCTION when no such orchestrator is
 * published. On TH_OK, if id_out is not NULL, *id_out is the instance ID
 * (malloc'd, caller frees). Wakes taskhubd after the commit. */
th_client_err th_client_start(th_client *c, const char *name, const char *id, const char *input, char **id_out);
/* Raises event name with data (JSON or NULL) to instance id: TH_OK,
 * TH_ENOTFOUND, TH_ESTATE when the instance has finished. */
th_client_err th_client_raise_event(th_client *c, const char *id, const char *name, const char *data);
/* Terminates instance id with reason (text or NULL): TH_OK, TH_ENOTFOUND,
 * TH_ESTATE when the instance has finished. */
th_client_err th_client_terminate(th_client *c, const char *id, const char *reason);
/* Deletes a finished instance and its history: TH_OK, TH_ENOTFOUND,
 * TH_ESTATE when it is not Completed, Failed, Canceled or Terminated. */
th_client_err th_client_purge(th_client *c, const char *id);

/* The check-status response of a start, byte for byte as the management
 * API answers one (spec §1.4): status 202, body, Location and Retry-After.
 * Members are owned by the struct; release with th_check_status_clear(). */
typedef struct th_check_status {
	int status;               /* 202 */
	char *body;               /* the JSON payload */
	char *location;           /* Location: statusQueryGetUri */
	const char *retry_after;  /* Retry-After: "10" (static) */
	const char *content_type; /* "application/json; charset=utf-8" (static) */
} th_check_status;
void th_check_status_clear(th_check_status *cs);

/* Flags of th_client_check_status. */
#define TH_CHECK_WITH_REWIND 0x1 /* the management payload (CreateHttpManagementPayload): adds rewindPostUri */

/* Builds the check-status response for instance id. origin: scheme://host
 * of the incoming request (th_client_origin); the URLs are origin + the
 * conf's base-path + /instances/..., with taskHub, connection and, when
 * code is neither NULL nor "", code=<code>. flags 0 gives the start's 202
 * body exactly; TH_CHECK_WITH_REWIND the payload with rewindPostUri. */
th_client_err th_client_check_status(th_client *c, const char *origin, const char *id, const char *code, unsigned flags,
				     th_check_status *out);
/* scheme://host as the management API derives it from a request: pass
 * the CGI variables HTTP_HOST, HTTPS, HTTP_X_FORWARDED_HOST and
 * HTTP_X_FORWARDED_PROTO (each may be NULL). Writes at most cap bytes. */
void th_client_origin(char *out, size_t cap, const char *host, const char *https, const char *fwd_host,
		      const char *fwd_proto);

#ifdef __cplusplus
}
#endif
#endif
