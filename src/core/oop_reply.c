/*
 * oop_reply.c — parsing an out-of-process orchestrator's reply (spec §6.2,
 * §6.3): the OrchestratorState JSON, or the failure form
 * "<message>\n\n$OutOfProcData$:<state>" a JS SDK produces when user code
 * throws. The reply comes from a child process that may be hostile, so
 * everything is checked and capped (oop.h), and every refusal says where.
 *
 * Lenient where the extension's deserializer is (Newtonsoft gives missing
 * fields their defaults): a missing isDone is false, missing or null
 * actions are none, a missing schemaVersion is V1, unknown fields are
 * ignored. An empty outer actions array is accepted for every schema (it
 * carries no step structure to get wrong); V2 and V3 otherwise need exactly
 * one inner array, with the extension's ArgumentException message.
 */
#include "config.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/jsonutil.h"
#include "common/timefmt.h"
#include "core/core_int.h"
#include "core/oop.h"

#define OOP_LABEL "$OutOfProcData$:"

static const char *const oop_type_names[OOP_ACTION_TYPE_COUNT] = {
	"CallActivity",  "CallActivityWithRetry", "CallSubOrchestrator",   "CallSubOrchestratorWithRetry",
	"ContinueAsNew", "CreateTimer",           "WaitForExternalEvent",  "CallEntity",
	"CallHttp",      "SignalEntity",          "ScheduledSignalEntity", "WhenAny",
	"WhenAll",
};

const char *
oop_action_type_name(int type)
{
	return type >= 0 && type < OOP_ACTION_TYPE_COUNT ? oop_type_names[type] : "Unknown";
}

/* The parse in progress: the arena, the flattened actions, the first
 * refusal (later ones are not recorded). */
struct rp {
	struct core_arena *a;
	struct oop_action *acts;
	size_t n, cap;
	const char *why;
};

static int rp_fail(struct rp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
rp_fail(struct rp *p, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	if (p->why == NULL) {
		va_start(ap, fmt);
		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		va_end(ap);
		p->why = core_arena_strdup(p->a, tmp);
		if (p->why == NULL)
			p->why = "out of memory";
	}
	return -1;
}

/* A JSON value as text in the arena ("null" for null). */
static int
rp_json(struct rp *p, struct json_object *v, const char **out)
{
	const char *s =
		v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null";

	if (s == NULL || (*out = core_arena_strdup(p->a, s)) == NULL)
		return rp_fail(p, "out of memory");
	return 0;
}

/* Member key of o: 1 when present (*v may be NULL for JSON null), 0 when not. */
static int
rp_get(struct json_object *o, const char *key, struct json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(o, key, v);
}

/* A string member: 0 with *out set (NULL when absent or null and not
 * required), -1 when refused. */
static int
rp_str(struct rp *p, const char *where, struct json_object *o, const char *key, int required, const char **out)
{
	struct json_object *v;
	const char *s;
	int n;

	*out = NULL;
	if (!rp_get(o, key, &v) || v == NULL) {
		if (required)
			return rp_fail(p, "%s: %s is missing", where, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return rp_fail(p, "%s: %s is not a string", where, key);
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if ((size_t)n > OOP_MAX_STR)
		return rp_fail(p, "%s: %s is longer than %zu bytes", where, key, OOP_MAX_STR);
	if (strlen(s) != (size_t)n)
		return rp_fail(p, "%s: %s contains a NUL character", where, key);
	if (required && n == 0)
		return rp_fail(p, "%s: %s is empty", where, key);
	if ((*out = core_arena_strndup(p->a, s, (size_t)n)) == NULL)
		return rp_fail(p, "out of memory");
	return 0;
}

/* A number member as int64 (milliseconds, attempts): 1 when absent, 0 with
 * *out, -1 when refused. Doubles are truncated and saturated. */
static int
rp_num(struct rp *p, const char *where, struct json_object *o, const char *key, double *out)
{
	struct json_object *v;

	if (!rp_get(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return rp_fail(p, "%s: retryOptions.%s is not a number", where, key);
	*out = json_object_get_double(v);
	if (!isfinite(*out))
		return rp_fail(p, "%s: retryOptions.%s is not a finite number", where, key);
	return 0;
}

static int64_t
rp_ms(double d)
{
	if (d <= 0)
		return 0;
	if (d >= (double)(CORE_TIME_MAX / 1000))
		return CORE_TIME_MAX / 1000;
	return (int64_t)d;
}

/* retryOptions (spec §6.3): the two required fields with the extension's
 * message, the rest defaulted as th_retry documents. */
static int
rp_retry(struct rp *p, const char *where, struct json_object *o, struct th_retry *r)
{
	struct json_object *ro;
	double d;
	int e;

	if (!rp_get(o, "retryOptions", &ro) || ro == NULL)
		return rp_fail(p, "%s: retryOptions is missing", where);
	if (!json_object_is_type(ro, json_type_object))
		return rp_fail(p, "%s: retryOptions is not an object", where);
	memset(r, 0, sizeof(*r));
	if ((e = rp_num(p, where, ro, "firstRetryIntervalInMilliseconds", &d)) != 0)
		return e < 0 ? -1
			     : rp_fail(p,
				       "%s: retryOptions: Invalid JSON. Must contain field "
				       "firstRetryIntervalInMilliseconds",
				       where);
	if (d <= 0)
		return rp_fail(p, "%s: retryOptions.firstRetryIntervalInMilliseconds must be greater than 0", where);
	r->first_retry_interval_ms = rp_ms(d) > 0 ? rp_ms(d) : 1;
	if ((e = rp_num(p, where, ro, "maxNumberOfAttempts", &d)) != 0)
		return e < 0 ? -1
			     : rp_fail(p, "%s: retryOptions: Invalid JSON. Must contain field maxNumberOfAttempts",
				       where);
	if (d < 1)
		return rp_fail(p, "%s: retryOptions.maxNumberOfAttempts must be at least 1", where);
	r->max_number_of_attempts = d > 1000000 ? 1000000 : (int)d;
	if ((e = rp_num(p, where, ro, "backoffCoefficient", &d)) < 0)
		return -1;
	if (e == 0) {
		if (d <= 0)
			return rp_fail(p, "%s: retryOptions.backoffCoefficient must be greater than 0", where);
		r->backoff_coefficient = d;
	}
	if ((e = rp_num(p, where, ro, "maxRetryIntervalInMilliseconds", &d)) < 0)
		return -1;
	if (e == 0)
		r->max_retry_interval_ms = rp_ms(d);
	if ((e = rp_num(p, where, ro, "retryTimeoutInMilliseconds", &d)) < 0)
		return -1;
	if (e == 0)
		r->retry_timeout_ms = rp_ms(d);
	return 0;
}

/* actionType as a number or a name (case-insensitive), as the extension's
 * StringEnumConverter reads it. */
static int
rp_type(struct rp *p, const char *where, struct json_object *o, int *type)
{
	struct json_object *v;
	int i;

	if (!rp_get(o, "actionType", &v) || v == NULL)
		return rp_fail(p, "%s: actionType is missing", where);
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < 0 || n >= OOP_ACTION_TYPE_COUNT)
			return rp_fail(p, "%s: actionType %lld is unknown", where, (long long)n);
		*type = (int)n;
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		for (i = 0; i < OOP_ACTION_TYPE_COUNT; i++)
			if (strcasecmp(s, oop_type_names[i]) == 0) {
				*type = i;
				return 0;
			}
		return rp_fail(p, "%s: actionType \"%.64s\" is unknown", where, s);
	}
	return rp_fail(p, "%s: actionType is neither a number nor a name", where);
}

static struct oop_action *
rp_push(struct rp *p)
{
	struct oop_action *na;

	if (p->n == OOP_MAX_ACTIONS) {
		rp_fail(p, "the reply has more than %d actions", OOP_MAX_ACTIONS);
		return NULL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		if ((na = core_arena_alloc(p->a, cap * sizeof(*na))) == NULL) {
			rp_fail(p, "out of memory");
			return NULL;
		}
		if (p->n)
			memcpy(na, p->acts, p->n * sizeof(*na));
		p->acts = na;
		p->cap = cap;
	}
	na = &p->acts[p->n++];
	memset(na, 0, sizeof(*na));
	return na;
}

/* A path for messages ("actions[0][1].compoundActions[2]"), in the arena. */
static const char *rp_path(struct rp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
rp_path(struct rp *p, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = core_arena_alloc(p->a, (size_t)n + 1)) == NULL) {
		rp_fail(p, "out of memory");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static int rp_actions(struct rp *p, struct json_object *arr, const char *where, int depth);

/* One action at path where; compound actions are flattened in place. */
static int
rp_action(struct rp *p, struct json_object *o, const char *where, int depth)
{
	struct json_object *v;
	struct oop_action *x;
	int type = -1;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return rp_fail(p, "%s is not an object", where);
	if (rp_type(p, where, o, &type) < 0)
		return -1;
	if (type == OOP_WHEN_ANY || type == OOP_WHEN_ALL) {
		const char *sub;

		if (!rp_get(o, "compoundActions", &v) || v == NULL)
			return rp_fail(p, "%s: compoundActions is missing", where);
		if ((sub = rp_path(p, "%s.compoundActions", where)) == NULL)
			return -1;
		return rp_actions(p, v, sub, depth + 1);
	}
	if ((x = rp_push(p)) == NULL)
		return -1;
	x->type = type;
	x->where = where;
	if (rp_get(o, "input", &v) && rp_json(p, v, &x->input) < 0)
		return -1;
	switch (type) {
	case OOP_CALL_ACTIVITY_WITH_RETRY:
	case OOP_CALL_SUB_ORCHESTRATOR_WITH_RETRY:
		if (rp_retry(p, where, o, &x->retry) < 0)
			return -1;
		x->has_retry = 1;
		/* FALLTHROUGH */
	case OOP_CALL_ACTIVITY:
	case OOP_CALL_SUB_ORCHESTRATOR:
		if (rp_str(p, where, o, "functionName", 1, &x->name) < 0)
			return -1;
		if (type != OOP_CALL_ACTIVITY && type != OOP_CALL_ACTIVITY_WITH_RETRY &&
		    rp_str(p, where, o, "instanceId", 0, &x->instance_id) < 0)
			return -1;
		/* An empty instance ID means "generate one", as in the SDKs. */
		if (x->instance_id != NULL && x->instance_id[0] == '\0')
			x->instance_id = NULL;
		break;
	case OOP_CONTINUE_AS_NEW:
		break;
	case OOP_CREATE_TIMER: {
		const char *fire;

		if (rp_str(p, where, o, "fireAt", 1, &fire) < 0)
			return -1;
		if (timefmt_parse(fire, &x->fire_at) < 0)
			return rp_fail(p, "%s: fireAt \"%.64s\" is not an ISO 8601 date", where, fire);
		if (rp_get(o, "isCanceled", &v) && v != NULL) {
			if (!json_object_is_type(v, json_type_boolean))
				return rp_fail(p, "%s: isCanceled is not a boolean", where);
			x->canceled = json_object_get_boolean(v);
		}
		break;
	}
	case OOP_WAIT_FOR_EXTERNAL_EVENT:
		if (rp_str(p, where, o, "externalEventName", 1, &x->name) < 0 ||
		    rp_str(p, where, o, "reason", 0, &x->reason) < 0)
			return -1;
		break;
	case OOP_SCHEDULED_SIGNAL_ENTITY: {
		const char *fire;

		if (rp_str(p, where, o, "fireAt", 1, &fire) < 0)
			return -1;
		if (timefmt_parse(fire, &x->fire_at) < 0)
			return rp_fail(p, "%s: fireAt \"%.64s\" is not an ISO 8601 date", where, fire);
	}
		/* FALLTHROUGH */
	case OOP_CALL_ENTITY:
	case OOP_SIGNAL_ENTITY:
		if (rp_str(p, where, o, "instanceId", 1, &x->instance_id) < 0 ||
		    rp_str(p, where, o, "operation", 1, &x->name) < 0)
			return -1;
		break;
	case OOP_CALL_HTTP:
		if (!rp_get(o, "httpRequest", &v) || v == NULL)
			return rp_fail(p, "%s: httpRequest is missing", where);
		if (!json_object_is_type(v, json_type_object))
			return rp_fail(p, "%s: httpRequest is not an object", where);
		if (rp_json(p, v, &x->input) < 0)
			return -1;
		break;
	default:
		break;
	}
	return 0;
}

/* An array of actions (an inner array of "actions", or compoundActions). */
static int
rp_actions(struct rp *p, struct json_object *arr, const char *where, int depth)
{
	const char *sub;
	size_t i, n;

	if (depth > OOP_MAX_DEPTH)
		return rp_fail(p, "%s: compound actions nested deeper than %d", where, OOP_MAX_DEPTH);
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return rp_fail(p, "%s is not an array", where);
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if ((sub = rp_path(p, "%s[%zu]", where, i)) == NULL)
			return -1;
		if (rp_action(p, json_object_array_get_idx(arr, i), sub, depth) < 0)
			return -1;
	}
	return 0;
}

static int
rp_schema(struct rp *p, struct json_object *o, int *schema)
{
	struct json_object *v;

	*schema = OOP_SCHEMA_V1;
	if (!rp_get(o, "schemaVersion", &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < OOP_SCHEMA_V1 || n > OOP_SCHEMA_V3)
			return rp_fail(p, "schemaVersion %lld is unknown", (long long)n);
		*schema = (int)n;
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		if (strcasecmp(s, "Original") == 0 || strcasecmp(s, "V1") == 0)
			*schema = OOP_SCHEMA_V1;
		else if (strcasecmp(s, "V2") == 0)
			*schema = OOP_SCHEMA_V2;
		else if (strcasecmp(s, "V3") == 0)
			*schema = OOP_SCHEMA_V3;
		else
			return rp_fail(p, "schemaVersion \"%.64s\" is unknown", s);
		return 0;
	}
	return rp_fail(p, "schemaVersion is neither a number nor a name");
}

static int
rp_state(struct rp *p, struct json_object *o, struct oop_reply *r)
{
	static const char *const schema_names[] = {"Original", "V2", "V3"};
	struct json_object *v;
	const char *where;
	size_t i, n;

	if (!json_object_is_type(o, json_type_object))
		return rp_fail(p, "the reply is not a JSON object");
	if (rp_get(o, "isDone", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			return rp_fail(p, "isDone is not a boolean");
		r->is_done = json_object_get_boolean(v);
	}
	if (rp_schema(p, o, &r->schema) < 0)
		return -1;
	if (rp_get(o, "actions", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_array))
			return rp_fail(p, "actions is not an array");
		n = json_object_array_length(v);
		if (r->schema != OOP_SCHEMA_V1 && n > 1)
			return rp_fail(p,
				       "With OOProc schema %s, expected actions array to be of length 1 in outer layer "
				       "but got size: %zu",
				       schema_names[r->schema], n);
		r->n_steps = n;
		for (i = 0; i < n; i++) {
			if ((where = rp_path(p, "actions[%zu]", i)) == NULL)
				return -1;
			if (rp_actions(p, json_object_array_get_idx(v, i), where, 0) < 0)
				return -1;
		}
	}
	if (rp_get(o, "output", &v) && rp_json(p, v, &r->output) < 0)
		return -1;
	if (rp_str(p, "the reply", o, "error", 0, &r->error) < 0)
		return -1;
	if (rp_get(o, "customStatus", &v)) {
		r->custom_status_set = 1;
		if (v != NULL && rp_json(p, v, &r->custom_status) < 0)
			return -1;
	}
	r->actions = p->acts;
	r->n_actions = p->n;
	return 0;
}

/* The failure form's message: what precedes the label, without the
 * "\n\n" the SDK puts before it, capped at a UTF-8 boundary. */
static const char *
rp_message(struct rp *p, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t'))
		s++, n--;
	if (n > OOP_MAX_STR) {
		n = OOP_MAX_STR;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n == 0)
		return NULL;
	return core_arena_strndup(p->a, s, n);
}

static const char *
rp_memmem(const char *h, size_t hn, const char *n, size_t nn)
{
	size_t i;

	for (i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

int
oop_reply_parse(const char *text, size_t len, struct core_arena *a, const struct oop_reply **out, const char **why)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	struct oop_reply *r;
	struct rp p;
	const char *json = text, *label, *msg = NULL;
	size_t jlen = len;
	int failure = 0;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.a = a;
	if (text == NULL || len == 0) {
		rp_fail(&p, "the reply is empty");
		goto done;
	}
	if (len > OOP_REPLY_MAX) {
		rp_fail(&p, "the reply is longer than %zu bytes", OOP_REPLY_MAX);
		goto done;
	}
	if (memchr(text, '\0', len) != NULL) {
		rp_fail(&p, "the reply contains a NUL byte");
		goto done;
	}
	if ((label = rp_memmem(text, len, OOP_LABEL, sizeof(OOP_LABEL) - 1)) != NULL) {
		failure = 1;
		msg = rp_message(&p, text, (size_t)(label - text));
		json = label + sizeof(OOP_LABEL) - 1;
		jlen = len - (size_t)(json - text);
	}
	if (!jsonutil_valid(json, jlen, OOP_MAX_DEPTH)) {
		rp_fail(&p,
			failure ? "the state after " OOP_LABEL " is not JSON (or nested deeper than %d)"
				: "the reply is not JSON (or nested deeper than %d)",
			OOP_MAX_DEPTH);
		goto done;
	}
	if ((tok = json_tokener_new_ex(OOP_MAX_DEPTH + 1)) == NULL ||
	    (o = json_tokener_parse_ex(tok, json, (int)jlen)) == NULL) {
		rp_fail(&p, "the reply is not JSON");
		goto done;
	}
	if ((r = core_arena_alloc(a, sizeof(*r))) == NULL) {
		rp_fail(&p, "out of memory");
		goto done;
	}
	if (rp_state(&p, o, r) < 0)
		goto done;
	if (failure) {
		/* The message before the label is the error; the state's own
		 * error field only when there is none. */
		r->failure_form = 1;
		if (msg != NULL)
			r->error = msg;
		if (r->error == NULL || r->error[0] == '\0')
			r->error = "The orchestrator function failed without a message.";
	}
	*out = r;
done:
	if (o != NULL)
		json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	*why = *out ? NULL : (p.why ? p.why : "the reply was refused");
	return *out ? 0 : -1;
}
