/*
 * sdk.h — what the daemon needs from the SDK beyond taskhub.h: running one
 * activity invocation. Called from worker threads; it keeps no shared
 * state, so any number may run at once.
 */
#ifndef TH_SDK_H
#define TH_SDK_H

#include "sdk/taskhub.h"

/* An activity's outcome. ok: output is its JSON result ("null" when it set
 * none). !ok: error is the TaskFailed reason, details the details or NULL.
 * All strings are malloc'd and owned by the struct: release them with
 * sdk_activity_result_clear(). */
struct sdk_activity_result {
	int ok;
	char *output;
	char *error;
	char *details;
};

/* Runs fn once over (name, instance_id, input JSON text or NULL = null); all
 * three are borrowed for the call. The activity's memory comes from an
 * arena of its own, released before this returns. Output that is not valid
 * JSON fails with "Activity function '<name>' returned invalid JSON"; a
 * non-zero return without th_activity_fail() fails with "Activity function
 * '<name>' failed"; th_activity_fail() fails with its reason even when fn
 * then returns 0. Running out of memory (arena cap or malloc) fails too. */
void sdk_activity_run(th_activity_fn *fn, const char *name, const char *instance_id, const char *input,
		      struct sdk_activity_result *out);
/* Frees the strings and zeroes r; safe on a zeroed struct. */
void sdk_activity_result_clear(struct sdk_activity_result *r);

/* One entity operation's outcome. ok: state is the new state (NULL when
 * deleted or never set), result the operation's result JSON ("null" when
 * none), signals the operations to send. !ok: error is the reason and
 * the state is untouched. All malloc'd; sdk_entity_result_clear(). */
struct sdk_entity_signal {
	char *id; /* "@name@key", name lower-cased */
	char *op, *input;
};
struct sdk_entity_result {
	int ok;
	char *state;
	char *result;
	char *error;
	struct sdk_entity_signal *signals;
	size_t nsignals;
};

/* Runs fn for one operation over the given state (borrowed; NULL = none). */
void sdk_entity_run(th_entity_fn *fn, const char *name, const char *key, const char *op, const char *input,
		    const char *state, struct sdk_entity_result *out);
void sdk_entity_result_clear(struct sdk_entity_result *r);

#endif
