/*
 * store.h — the durable store: every record taskhub keeps, behind a domain
 * interface. No Berkeley DB type crosses this header; only src/store/
 * includes <db.h>.
 *
 * Model. One environment (a directory, TASKHUB_HOME) holds any number of
 * task hubs; each hub owns its own databases (instances and two secondary
 * indexes, history, inbox, ready queue, activity tasks, timers, function
 * registry, entities, meta). Every state change is one transaction run by
 * store_txn_run(), which retries on deadlock and lock timeout and reports
 * STORE_BUSY past its bound.
 *
 * Ownership. Records returned through out-parameters are caller-owned and
 * released with the matching *_clear() or store_*_free_array(). Arguments
 * are borrowed for the duration of the call. A struct store_txn is valid
 * only inside the body it was passed to.
 */
#ifndef TH_STORE_H
#define TH_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND, /* no such instance, entity, hub record, event */
	STORE_EXISTS,   /* singleton rule: the ID is held by a non-replaceable instance */
	STORE_STATE,    /* not allowed in the instance's current state (purge of a running one) */
	STORE_INVALID,  /* malformed argument: ID, name, token, filter */
	STORE_TOOBIG,   /* a value over its cap */
	STORE_NOHUB,    /* the task hub does not exist */
	STORE_BUSY,     /* deadlock / lock-timeout retries exhausted */
	STORE_NOSPACE,  /* the file system is full */
	STORE_IO,       /* any other Berkeley DB or system failure */
	STORE_CORRUPT,  /* a stored record does not decode */
	STORE_NOMEM,
	STORE_VERSION, /* the hub's schema is newer than this program */
	STORE_RETRY,   /* internal to transaction bodies: abort and run again */
	STORE_NOFUNCTION, /* a start of an orchestrator the registry does not have */
};
#define STORE_ERR_COUNT (STORE_NOFUNCTION + 1)

/* A short static English description. */
const char *store_strerror(enum store_err e);

/* Caps on what may be stored; larger input is refused with STORE_TOOBIG. */
#define STORE_MAX_PAYLOAD (4u * 1024 * 1024) /* input, output, custom status, event data */
#define STORE_MAX_PAGE    1000               /* records per query page */

enum store_durability {
	STORE_DURABLE_FULL = 0,     /* flush the log on every commit */
	STORE_DURABLE_WRITE_NOSYNC, /* write, do not flush: survives a process crash, not a power cut */
	STORE_DURABLE_NOSYNC,       /* neither: survives only a clean shutdown */
};
/* "full", "write-nosync", "nosync" -> enum; -1 if unknown. */
int store_durability_parse(const char *s);

struct store_options {
	enum store_durability durability;
	unsigned lock_timeout_ms; /* how long a lock waits before the wrapper retries (default 500) */
	unsigned max_retries;     /* transaction attempts before STORE_BUSY (default 20) */
	size_t cache_bytes;       /* Berkeley DB cache; 0 = default (8 MiB) */
	int create;               /* create the environment directory and files if absent */
	int group_shared;         /* files and directory group-writable (0660 / 2770) */
	/* A transaction attempt blocked this long means a dead process holds
	 * a region mutex: the process then calls on_stall (which may re-exec
	 * it) or exits (default 20 s; 0 = never). */
	unsigned stall_ms;
	void (*on_stall)(void);
	/* A writing transaction starts only while this much of the
	 * environment's file system is free, else STORE_NOSPACE: Berkeley DB
	 * itself must never meet a full disk (store_space.c). Default 16 MiB;
	 * 0 = no check. */
	uint64_t min_free_bytes;
};
void store_options_init(struct store_options *o);

struct store;
struct store_hub;
struct store_txn;
struct store_event;

/* Opens (and, after a crash, recovers) the environment at home. Every process
 * registers itself so that the next opener notices a dead one. */
enum store_err store_open(const char *home, const struct store_options *o, struct store **out);
/* Closes every hub handle and the environment. NULL is a no-op. */
void store_close(struct store *st);
/* 1 once this process has reopened the environment after another
 * process's crash panicked it. Berkeley DB cannot release a panicked
 * environment's handles and region mappings (~130 MB of address space
 * each time): a long-lived process should be replaced in time; taskhub.fcgi
 * and taskhubd say so once in their logs. */
int store_worn(const struct store *st);
const char *store_home(const struct store *st);

/* ---- transactions -------------------------------------------------------- */

/* A transaction body: called with a live transaction; returns STORE_OK to
 * commit, anything else to abort. It must do no I/O other than store verbs
 * and must tolerate being run again from the start (STORE_RETRY). */
typedef enum store_err (*store_txn_fn)(struct store_txn *tx, void *arg);

#define STORE_TXN_READONLY 0x1 /* read committed: long scans hold no read locks */
#define STORE_TXN_NOGROW   0x2 /* writes nothing that takes space (opening handles): no space check */

/* Runs fn in a transaction, retrying on deadlock and lock timeout up to the
 * configured bound (then STORE_BUSY). Returns fn's result or the commit's. */
enum store_err store_txn_run(struct store *st, unsigned flags, store_txn_fn fn, void *arg);

/* The stall watch (store_options.stall_ms) measures Berkeley DB's time,
 * not the body's own work: a body that runs user code or a long scan
 * pauses it (on = 0) and resumes it (on = 1, which also restarts the
 * clock). */
void store_txn_watch(struct store_txn *tx, int on);

/* ---- hubs ---------------------------------------------------------------- */

enum store_err store_hub_create(struct store *st, const char *name);
/* Removes a hub and all its data. STORE_BUSY if other processes have it open. */
enum store_err store_hub_delete(struct store *st, const char *name);
/* *names: caller frees with store_strv_free(). */
enum store_err store_hub_list(struct store *st, char ***names, size_t *n);
void store_strv_free(char **v, size_t n);
/* Returns the store's handle for an existing hub (cached; owned by st). */
enum store_err store_hub_open(struct store *st, const char *name, struct store_hub **out);
const char *store_hub_name(const struct store_hub *h);

/* ---- instances ----------------------------------------------------------- */

struct store_instance {
	char *id;
	char *name;
	char *version;
	char *execution_id;
	int status;                          /* enum status */
	int64_t created, updated, completed; /* µs since epoch; completed 0 until terminal */
	char *input;                         /* JSON text; NULL for none */
	char *output;                        /* JSON text, or the failure / termination reason */
	char *custom_status;                 /* JSON text; NULL if never set */
	char *failure;                       /* FailureDetails JSON for Failed instances */
	char *parent_id;                     /* sub-orchestrations: the parent's instance ID */
	char *parent_execution;
	int32_t parent_task_id; /* the parent's SubOrchestrationInstanceCreated event ID, -1 if none */
	uint32_t generation;    /* incremented each time the ID is replaced */
};
void store_instance_clear(struct store_instance *r);
void store_instance_free_array(struct store_instance *v, size_t n);

struct store_create {
	const char *id;
	const char *name;
	const char *version;                      /* NULL allowed */
	const char *execution_id;                 /* caller-generated, non-empty */
	const char *input;                        /* JSON text or NULL */
	const char *parent_id, *parent_execution; /* NULL unless a sub-orchestration */
	int32_t parent_task_id;
	int64_t now;
	int64_t scheduled_start; /* 0 = now */
	int override_any;        /* host.json overridableExistingInstanceStates = AnyState */
};

/* Singleton start (DESIGN §3). Absent ID, or one in a terminal state: the
 * instance is (re)created Pending with its ExecutionStarted event in the
 * inbox; a replaced one loses its history and inbox in the same transaction.
 * Pending/Running/ContinuedAsNew/Suspended: STORE_EXISTS, nothing changes.
 * *replaced (may be NULL) says whether an old instance was overwritten. */
enum store_err store_instance_create(struct store_txn *tx, struct store_hub *h, const struct store_create *c,
				     int *replaced);
/* A start, as the API and the client API make it: the orchestrator must
 * be in the function registry (STORE_NOFUNCTION otherwise), and the
 * instance takes the name as registered (written into name, len bytes;
 * c->name then points there) with store_instance_create()'s singleton
 * rule, all in tx. */
enum store_err store_instance_start(struct store_txn *tx, struct store_hub *h, struct store_create *c, char *name,
				    size_t len);
/* Records a request for the daemon (raise event, terminate, suspend,
 * resume, rewind): ev goes to the inbox of id when its status is in
 * allowed (STATUS_BIT mask), else STORE_STATE; *status gets the status
 * read (-1 when there is no instance). */
enum store_err store_instance_request(struct store_txn *tx, struct store_hub *h, const char *id, unsigned allowed,
				      const struct store_event *ev, int64_t now, int *status);
/* store_instance_start() and store_instance_purge() each in a transaction
 * of their own (run by store_txn_run), as the API and the client API use
 * them. c is copied; *status (may be NULL) as for store_instance_purge. */
enum store_err store_start(struct store *st, struct store_hub *h, const struct store_create *c);
enum store_err store_purge_one(struct store *st, struct store_hub *h, const char *id, int *status);
/* Reads one instance (with_input 0 leaves input NULL to save a copy). */
enum store_err store_instance_get(struct store_txn *tx, struct store_hub *h, const char *id, int with_input,
				  struct store_instance *out);
/* Writes an instance record as given (the daemon's episode commit). The
 * record must already exist; its created time is kept. */
enum store_err store_instance_put(struct store_txn *tx, struct store_hub *h, const struct store_instance *r);

struct store_query {
	int64_t created_from, created_to; /* inclusive; 0 = unbounded */
	unsigned status_mask;             /* STATUS_BIT()s; 0 = any */
	const char *prefix;               /* instance ID prefix or NULL */
	const char *name;                 /* orchestrator name (case-insensitive) or NULL */
	size_t page;                      /* 1..STORE_MAX_PAGE */
	const char *token;                /* continuation from a previous page, or NULL/"" */
	int with_input;
};
/* One page of matching instances. Keyset paging: the token names the last
 * key returned, so pages stay correct while other instances come and go.
 * *next is NULL on the last page, else a malloc'd token. A page may be
 * short (a scan examines a bounded number of records) and still carry a
 * token. STORE_INVALID for a forged token or one from another kind of
 * query. */
enum store_err store_instance_query(struct store_txn *tx, struct store_hub *h, const struct store_query *q,
				    struct store_instance **out, size_t *n, char **next);
/* counts[s] = number of instances in status s. */
enum store_err store_instance_counts(struct store_txn *tx, struct store_hub *h, uint64_t counts[8]);

/* Deletes one terminal instance with its history, inbox and ready entry.
 * STORE_NOTFOUND, or STORE_STATE when it is not terminal; *status (may be
 * NULL) gets the status it had. */
enum store_err store_instance_purge(struct store_txn *tx, struct store_hub *h, const char *id, int *status);

struct store_purge_filter {
	int64_t created_from, created_to; /* inclusive; 0 = unbounded */
	unsigned status_mask;             /* restricted to terminal states; 0 = all terminal */
};
/* Deletes up to batch matching terminal instances in one transaction of its
 * own; *deleted gets the count, *more whether matching instances remain. */
enum store_err store_purge_batch(struct store *st, struct store_hub *h, const struct store_purge_filter *f,
				 size_t batch, uint64_t *deleted, int *more);

/* ---- history and inbox events --------------------------------------------- */

#define STORE_EVENT_PLAYED 0x1

/* One Durable Task history event (spec §5.2) or inbox message. Only the
 * fields its type uses are set; strings may be NULL. */
struct store_event {
	int type;          /* Durable Task EventType number */
	int32_t event_id;  /* EventId; -1 when none */
	int32_t task_id;   /* TaskScheduledId / TimerId; ExecutionCompleted: the final status; -1 when none */
	int64_t timestamp; /* µs */
	int64_t fire_at;   /* timers, µs */
	uint32_t flags;    /* STORE_EVENT_* */
	char *name;
	char *version;
	char *instance_id;  /* sub-orchestration / event target or source */
	char *execution_id; /* the execution it belongs to */
	char *data;         /* input / result / reason */
	char *detail;       /* failure details JSON */
};
void store_event_clear(struct store_event *e);
void store_event_free_array(struct store_event *v, size_t n);

/* Appends events at positions first_seq.. of an instance's history. A
 * position already taken is STORE_EXISTS: history is never overwritten. */
enum store_err store_history_append(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t first_seq,
				    const struct store_event *ev, size_t n);
/* Reads up to max events from position from_seq. *next_seq is the position
 * after the last returned, or 0 when the history ends there. */
enum store_err store_history_read(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t from_seq,
				  size_t max, struct store_event **out, size_t *n, uint32_t *next_seq);
/* Opaque continuation tokens for history pages (the same scheme as
 * instance listings): a malloc'd token naming position seq, and its parser
 * (STORE_INVALID for anything it did not make). */
char *store_history_token(uint32_t seq);
enum store_err store_history_token_parse(const char *tok, uint32_t *seq);
/* Number of history events of the instance (the next append position). */
enum store_err store_history_length(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t *len);
/* Deletes all history of an instance (continue-as-new, replace, purge). */
enum store_err store_history_delete(struct store_txn *tx, struct store_hub *h, const char *id);

/* Adds an event to an instance's inbox (in arrival order) and puts the
 * instance on the ready queue if it was not there. id may be an entity's
 * "@name@key". */
enum store_err store_inbox_append(struct store_txn *tx, struct store_hub *h, const char *id,
				  const struct store_event *ev, int64_t now);
/* Returns all inbox events of an instance in arrival order; with consume,
 * deletes them and takes the instance off the ready queue. */
enum store_err store_inbox_take(struct store_txn *tx, struct store_hub *h, const char *id, int consume,
				struct store_event **out, size_t *n);

/* The same for the first max events only (an episode that was prepared
 * from them while more arrived); the instance stays ready while events
 * remain. */
enum store_err store_inbox_take_n(struct store_txn *tx, struct store_hub *h, const char *id, size_t max, int consume,
				  struct store_event **out, size_t *n);

/* An entity's held queue (critical sections): operations from others
 * than the orchestration holding the entity's lock wait here, in arrival
 * order, until it is released. Append one; take (and delete) all. */
enum store_err store_held_append(struct store_txn *tx, struct store_hub *h, const char *entity_id,
				 const struct store_event *ev);
enum store_err store_held_take(struct store_txn *tx, struct store_hub *h, const char *entity_id,
			       struct store_event **out, size_t *n);

/* The ready queue: instances with inbox events, oldest first. */
enum store_err store_ready_put(struct store_txn *tx, struct store_hub *h, const char *id, int64_t when);
enum store_err store_ready_del(struct store_txn *tx, struct store_hub *h, const char *id);
/* Up to max IDs of the kinds in which, oldest first; caller frees with
 * store_strv_free(). */
#define STORE_READY_ORCHESTRATIONS 0x1
#define STORE_READY_ENTITIES       0x2
enum store_err store_ready_scan(struct store_txn *tx, struct store_hub *h, unsigned which, size_t max, char ***ids,
				size_t *n);

/* ---- activity tasks -------------------------------------------------------- */

struct store_task {
	uint64_t seq; /* assigned by store_task_add */
	char *instance_id;
	char *execution_id;
	char *name;
	char *version;
	char *input;
	int32_t task_id; /* the TaskScheduled EventId */
	int64_t created;
	uint32_t attempts;
};
void store_task_clear(struct store_task *t);
void store_task_free_array(struct store_task *v, size_t n);

enum store_err store_task_add(struct store_txn *tx, struct store_hub *h, const struct store_task *t, uint64_t *seq);
/* Up to max tasks with seq > after, in order. */
enum store_err store_task_scan(struct store_txn *tx, struct store_hub *h, uint64_t after, size_t max,
			       struct store_task **out, size_t *n);
enum store_err store_task_del(struct store_txn *tx, struct store_hub *h, uint64_t seq);

/* ---- durable timers --------------------------------------------------------- */

/* Schedules ev (a TimerFired, ev->fire_at set, ev->task_id the timer ID) for
 * delivery to instance id. */
enum store_err store_timer_add(struct store_txn *tx, struct store_hub *h, const char *id, const struct store_event *ev);
/* *fire_at = the earliest timer's due time, or STORE_NOTFOUND when none. */
enum store_err store_timer_next(struct store_txn *tx, struct store_hub *h, int64_t *fire_at);
/* Removes and returns up to max timers due at or before now, earliest
 * first; ids[i] names the instance of evs[i]. */
enum store_err store_timer_take_due(struct store_txn *tx, struct store_hub *h, int64_t now, size_t max, char ***ids,
				    struct store_event **evs, size_t *n);

/* ---- function registry ------------------------------------------------------ */

enum store_fn_kind {
	STORE_FN_ORCHESTRATOR = 1,
	STORE_FN_ACTIVITY = 2,
	STORE_FN_ENTITY = 3,
};

struct store_function {
	int kind; /* enum store_fn_kind */
	char *name;
	char *script; /* scriptFile as resolved by the daemon */
	char *entry;  /* entryPoint, NULL for executables */
};
void store_function_clear(struct store_function *f);
void store_function_free_array(struct store_function *v, size_t n);

/* Replaces the whole registry with fns (the daemon's publication). */
enum store_err store_function_publish(struct store_txn *tx, struct store_hub *h, const struct store_function *fns,
				      size_t n);
/* Looks a function up by kind and name, case-insensitively. */
enum store_err store_function_get(struct store_txn *tx, struct store_hub *h, int kind, const char *name,
				  struct store_function *out);
/* The names of the functions of a kind, in their own read transaction;
 * caller frees with store_strv_free(). */
enum store_err store_function_names(struct store *st, struct store_hub *h, int kind, char ***names, size_t *n);
/* All functions of a kind (0 = every kind), ordered by kind and name. */
enum store_err store_function_list(struct store_txn *tx, struct store_hub *h, int kind, struct store_function **out,
				   size_t *n);

/* ---- entities --------------------------------------------------------------- */

struct store_entity {
	char *name;      /* as first written; matched case-insensitively */
	char *key;       /* may be "" */
	char *state;     /* JSON text; NULL when the entity has no state */
	int64_t last_op; /* µs of the last applied operation */
	char *locked_by; /* orchestration holding it in a critical section, or NULL */
};
void store_entity_clear(struct store_entity *e);
void store_entity_free_array(struct store_entity *v, size_t n);

enum store_err store_entity_get(struct store_txn *tx, struct store_hub *h, const char *name, const char *key,
				struct store_entity *out);
enum store_err store_entity_put(struct store_txn *tx, struct store_hub *h, const struct store_entity *e);
enum store_err store_entity_delete(struct store_txn *tx, struct store_hub *h, const char *name, const char *key);

struct store_entity_query {
	const char *name;                 /* NULL = every entity name */
	int64_t last_op_from, last_op_to; /* inclusive; 0 = unbounded */
	int with_state;
	size_t page;
	const char *token;
};
enum store_err store_entity_query(struct store_txn *tx, struct store_hub *h, const struct store_entity_query *q,
				  struct store_entity **out, size_t *n, char **next);

/* ---- operations --------------------------------------------------------------- */

struct store_stats {
	uint64_t instances, history, inbox, ready, tasks, timers, functions, entities;
	uint64_t by_status[8];
};
enum store_err store_hub_stats(struct store *st, struct store_hub *h, struct store_stats *out);

/* Walks every database of the hub in one read transaction: every record
 * decodes, both secondary indexes match the instances exactly, history and
 * inbox belong to existing instances, every ready entry has inbox events.
 * Problems are appended, one line each, to *report (malloc'd, may be NULL
 * when none); *problems counts them. */
enum store_err store_hub_check(struct store *st, struct store_hub *h, char **report, unsigned *problems);

/* Checkpoint and remove log files no longer needed for recovery. */
enum store_err store_maintain(struct store *st);
/* Hot backup of the whole environment into dir (created if absent): data
 * files and logs, consistent once restored with store_restore(). */
enum store_err store_backup(struct store *st, const char *dir);
/* Turns a backup directory into a working environment at home (which must
 * not exist or be empty): copies it and runs catastrophic recovery. */
enum store_err store_restore(const char *backup_dir, const char *home);

#endif
