/*
 * oop.h — the Durable Functions out-of-process orchestrator protocol (spec
 * §6.1–§6.3), for orchestrators that are executables: the engine builds
 * the trigger input (history with numeric EventType and IsPlayed, input,
 * instanceId, isReplaying, parentInstanceId, the schema versions...), the
 * daemon hands it to the child on stdin, and the child's reply — an
 * OrchestratorState with isDone, cumulative actions (schema V1, V2, V3),
 * output, customStatus, error, or the "$OutOfProcData$:" failure form — is
 * parsed here and then replayed by the engine like a C orchestrator: the
 * reply's actions are issued in order against the history, so a mismatch
 * is a non-determinism failure exactly as for C code.
 *
 * Pure: no I/O. Ownership: everything returned lives in the given arena.
 */
#ifndef TH_OOP_H
#define TH_OOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Caps against a hostile child. The daemon caps what it reads; these bound
 * what the parser accepts and builds. */
#define OOP_REPLY_MAX   ((size_t)64 << 20)  /* bytes of reply text */
#define OOP_MAX_DEPTH   64                  /* JSON nesting, compound actions included */
#define OOP_MAX_ACTIONS 100000              /* flattened actions, = the default maxOrchestrationActions */
#define OOP_MAX_STR     ((size_t)1 << 20)   /* bytes of a name, instance ID or error message */
#define OOP_REQUEST_MAX ((size_t)256 << 20) /* bytes of a trigger input */

/* AsyncActionType (spec §6.3); the numbers cross the wire. */
enum oop_action_type {
	OOP_CALL_ACTIVITY = 0,
	OOP_CALL_ACTIVITY_WITH_RETRY = 1,
	OOP_CALL_SUB_ORCHESTRATOR = 2,
	OOP_CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3,
	OOP_CONTINUE_AS_NEW = 4,
	OOP_CREATE_TIMER = 5,
	OOP_WAIT_FOR_EXTERNAL_EVENT = 6,
	OOP_CALL_ENTITY = 7,
	OOP_CALL_HTTP = 8,
	OOP_SIGNAL_ENTITY = 9,
	OOP_SCHEDULED_SIGNAL_ENTITY = 10,
	OOP_WHEN_ANY = 11,
	OOP_WHEN_ALL = 12,
};
#define OOP_ACTION_TYPE_COUNT 13

/* The reply's schemaVersion (the extension's SchemaVersion enum). */
enum oop_schema {
	OOP_SCHEMA_V1 = 0, /* "Original": one inner actions array per await step */
	OOP_SCHEMA_V2 = 1,
	OOP_SCHEMA_V3 = 2,
};

/* One action of the reply. WhenAny and WhenAll are not kept: their
 * compound actions are flattened in their place (depth first, in order),
 * which is the order the SDK scheduled them in. */
struct oop_action {
	int type;                /* enum oop_action_type */
	const char *where;       /* "actions[0][2].compoundActions[1]", for messages */
	const char *name;        /* functionName, externalEventName, entity operation */
	const char *instance_id; /* sub-orchestrations (NULL: generated), entities */
	const char *input;       /* JSON text of "input"; NULL when absent; CallHttp: httpRequest */
	const char *reason;      /* WaitForExternalEvent's reason, or NULL */
	int64_t fire_at;         /* CreateTimer, ScheduledSignalEntity (µs) */
	int canceled;            /* CreateTimer's isCanceled */
	int has_retry;
	struct th_retry retry; /* *WithRetry: retryOptions */
};

struct oop_reply {
	int is_done;
	int schema;     /* enum oop_schema; absent = V1 */
	size_t n_steps; /* inner arrays of "actions" */
	const struct oop_action *actions;
	size_t n_actions;   /* flattened */
	const char *output; /* JSON text; NULL when absent */
	const char *error;  /* NULL unless the orchestrator failed */
	int custom_status_set;
	const char *custom_status; /* JSON text, NULL = clear */
	int failure_form;          /* the reply was "<error>\n\n$OutOfProcData$:<state>" */
};

/* The trigger input for the episode described by in (in->history are the
 * past events, played; then this episode's OrchestratorStarted at in->now;
 * then in->events, not played). NULL when the arena runs out. */
char *oop_request(const struct core_episode_in *in, struct core_arena *a);

/* Parses a child's stdout (text[0..len), borrowed). Returns 0 with *out
 * set; otherwise -1 with *out NULL and *why set to a one-line reason ("the
 * reply is not JSON", "actions[0][2]: functionName is missing", ...),
 * static or in a. */
int oop_reply_parse(const char *text, size_t len, struct core_arena *a, const struct oop_reply **out, const char **why);

/* The action type's name ("CallHttp"), or "Unknown". Static. */
const char *oop_action_type_name(int type);

#endif
