/*
 * test_oop.c — the out-of-process orchestrator protocol (spec §6.1–§6.3)
 * in both directions: the trigger input the engine builds (field by field,
 * against the spec's examples), the replies it accepts and refuses, and
 * the replay of replies against histories — a session feeds each
 * episode's appended events back as the next episode's history, as the
 * daemon does, so the ids the driver gives out are checked across
 * episodes. Also core_episode_in.fatal.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/status.h"
#include "common/timefmt.h"
#include "core/core.h"
#include "core/oop.h"
#include "tap.h"

#define T0  1714557600123000LL /* 2024-05-01T10:00:00.123Z */
#define SEC 1000000LL

/* ---- events ---- */


/* An arena, or the end of the test: nothing below can run without one
 * (the fault-injection sweeps fail this allocation on purpose). */
static struct core_arena *
test_arena_new(void)
{
	struct core_arena *a = core_arena_new();

	if (a == NULL)
		tap_bail("out of memory for an arena");
	return a;
}
static struct core_event
ev(int type, int32_t id, int32_t task, int64_t ts, const char *name, const char *data)
{
	struct core_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.event_id = id;
	e.task_id = task;
	e.timestamp = ts;
	e.name = name;
	e.data = data;
	return e;
}

static struct core_event
started(int64_t ts, const char *name, const char *input)
{
	struct core_event e = ev(EVENT_EXECUTION_STARTED, -1, -1, ts, name, input);

	e.execution_id = "exec1";
	return e;
}

/* ---- sessions: episodes over an accumulating history ---- */

struct sess {
	const char *name;
	struct core_event hist[512];
	size_t n_hist;
	struct core_arena *arenas[64];
	size_t n_arenas;
	struct core_episode_out out;
	const char *why; /* the reply's refusal, if any */
};

static void
sess_init(struct sess *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
}

static void
sess_free(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->n_arenas; i++)
		core_arena_free(s->arenas[i]);
}

static struct core_episode_in
sess_in(struct sess *s, int64_t now, const struct core_event *events, size_t n)
{
	struct core_episode_in in;

	memset(&in, 0, sizeof(in));
	in.instance_id = "inst";
	in.execution_id = "exec1";
	in.name = s->name;
	in.history = s->hist;
	in.n_history = s->n_hist;
	in.events = events;
	in.n_events = n;
	in.now = now;
	return in;
}

/* One episode with reply (NULL: fatal given instead). Returns the output
 * status, or -1 when the reply was refused (s->why). */
static int
sess_step(struct sess *s, int64_t now, const struct core_event *events, size_t n, const char *reply, const char *fatal)
{
	struct core_episode_in in = sess_in(s, now, events, n);
	struct core_arena *a = test_arena_new();
	const struct oop_reply *r = NULL;
	size_t i;

	if (s->n_arenas == 64)
		tap_bail("too many episodes");
	s->arenas[s->n_arenas++] = a;
	s->why = NULL;
	if (reply != NULL && oop_reply_parse(reply, strlen(reply), a, &r, &s->why) < 0)
		return -1;
	in.oop = r;
	in.fatal = fatal;
	if (core_episode_run(&in, a, &s->out) != CORE_OK)
		tap_bail("episode did not run");
	if (!s->out.discard) {
		if (s->n_hist + s->out.n_append > 512)
			tap_bail("history too long");
		for (i = 0; i < s->out.n_append; i++)
			s->hist[s->n_hist++] = s->out.append[i];
	}
	return s->out.status;
}

/* "Activity:0:SayHello:\"Tokyo\" Timer:3 ..." — the actions, for is_str. */
static const char *
acts(const struct core_episode_out *o)
{
	static char buf[4096];
	static const char *const k[] = {"?", "Activity", "Timer", "SubOrchestration", "SendEvent"};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < o->n_actions && n < sizeof(buf) - 256; i++) {
		const struct core_action *a = &o->actions[i];

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%d", i ? " " : "", k[a->kind & 7 ? a->kind : 0],
				      (int)a->id);
		if (a->name)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":%s", a->name);
		if (a->instance_id)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "@%s", a->instance_id);
		if (a->input)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":%s", a->input);
		if (a->kind == CORE_ACT_TIMER) {
			char t[TIMEFMT_MAX];

			timefmt_precise(a->fire_at, t);
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "@%s", t);
		}
	}
	return buf;
}

/* The types of the appended events, "12 5 4 13". */
static const char *
appended(const struct core_episode_out *o)
{
	static char buf[1024];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < o->n_append && n < sizeof(buf) - 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", i ? " " : "", o->append[i].type);
	return buf;
}

/* ---- the request (§6.1) ---- */

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long
jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -999;
}

static int
jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : -1;
}

static int
jnull(struct json_object *o, const char *key)
{
	struct json_object *v = (struct json_object *)1;

	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

static void
test_request_hello(void)
{
	struct core_event hist[] = {
		ev(EVENT_ORCHESTRATOR_STARTED, -1, -1, T0, NULL, NULL),
		started(T0, "HelloSequence", "{\"city\":\"Tokyo\"}"),
		ev(EVENT_TASK_SCHEDULED, 0, -1, T0, "SayHello", "\"Tokyo\""),
		ev(EVENT_ORCHESTRATOR_COMPLETED, -1, -1, T0, NULL, NULL),
	};
	struct core_event news[] = {ev(EVENT_TASK_COMPLETED, -1, 0, T0 + SEC, NULL, "\"Hello Tokyo!\"")};
	struct sess s;
	struct core_episode_in in;
	struct core_arena *a = test_arena_new();
	struct json_object *j, *h, *e;
	static const int types[] = {12, 0, 4, 13, 12, 5};
	static const int played[] = {1, 1, 1, 1, 0, 0};
	char *req;
	size_t i;

	sess_init(&s, "HelloSequence");
	memcpy(s.hist, hist, sizeof(hist));
	s.n_hist = 4;
	in = sess_in(&s, T0 + 2 * SEC, news, 1);
	req = oop_request(&in, a);
	ok(req != NULL, "request: built");
	ok(strstr(req,
		  "{\"EventType\":12,\"EventId\":-1,\"IsPlayed\":true,\"Timestamp\":\"2024-05-01T10:00:00.123Z\"}") !=
		   NULL,
	   "request: OrchestratorStarted exactly as the spec's example");
	ok(strstr(req, "{\"EventType\":5,\"EventId\":-1,\"IsPlayed\":false,\"Timestamp\":\"2024-05-01T10:00:01.123Z\","
		       "\"TaskScheduledId\":0,\"Result\":\"\\\"Hello Tokyo!\\\"\"}") != NULL,
	   "request: TaskCompleted exactly as the spec's example (Result a JSON-encoded string)");
	j = json_tokener_parse(req);
	ok(j != NULL, "request: is JSON");
	h = jget(j, "history");
	is_int((long long)json_object_array_length(h), 6, "history: past, OrchestratorStarted(now), new");
	for (i = 0; i < 6; i++) {
		e = json_object_array_get_idx(h, i);
		is_int(jint(e, "EventType"), types[i], "history[%zu]: EventType numeric", i);
		is_int(jbool(e, "IsPlayed"), played[i], "history[%zu]: IsPlayed", i);
		is_int(jint(e, "EventId"), i == 2 ? 0 : -1, "history[%zu]: EventId", i);
	}
	is_str(jstr(json_object_array_get_idx(h, 4), "Timestamp"), "2024-05-01T10:00:02.123Z",
	       "this episode's OrchestratorStarted at now");
	e = json_object_array_get_idx(h, 1);
	is_str(jstr(e, "Name"), "HelloSequence", "ExecutionStarted: Name");
	is_str(jstr(e, "Input"), "{\"city\":\"Tokyo\"}", "ExecutionStarted: Input a JSON-encoded string");
	ok(jnull(e, "Version"), "ExecutionStarted: Version null");
	is_str(jstr(jget(e, "OrchestrationInstance"), "InstanceId"), "inst", "ExecutionStarted: InstanceId");
	is_str(jstr(jget(e, "OrchestrationInstance"), "ExecutionId"), "exec1", "ExecutionStarted: ExecutionId");
	ok(jnull(e, "ParentInstance"), "ExecutionStarted: ParentInstance null");
	e = json_object_array_get_idx(h, 2);
	is_str(jstr(e, "Name"), "SayHello", "TaskScheduled: Name");
	is_str(jstr(e, "Input"), "\"Tokyo\"", "TaskScheduled: Input");
	e = jget(j, "input");
	ok(e != NULL && json_object_is_type(e, json_type_object), "input: parsed, not a string");
	is_str(jstr(e, "city"), "Tokyo", "input: value");
	is_str(jstr(j, "instanceId"), "inst", "instanceId");
	is_int(jbool(j, "isReplaying"), 1, "isReplaying with past history");
	ok(jnull(j, "parentInstanceId"), "parentInstanceId null");
	is_int(jint(j, "upperSchemaVersion"), 1, "upperSchemaVersion 1 (V2)");
	is_int(jint(j, "upperSchemaVersionNew"), 2, "upperSchemaVersionNew 2 (V3)");
	is_str(jstr(j, "longRunningTimerIntervalDuration"), "3.00:00:00", "longRunningTimerIntervalDuration");
	is_str(jstr(j, "maximumShortTimerDuration"), "6.00:00:00", "maximumShortTimerDuration");
	is_int(jint(j, "defaultHttpAsyncRequestSleepTimeMillseconds"), 30000,
	       "defaultHttpAsyncRequestSleepTimeMillseconds (sic)");
	json_object_put(j);

	/* The first episode: nothing played, not replaying, input null. */
	s.n_hist = 0;
	hist[1].data = NULL;
	in = sess_in(&s, T0, &hist[1], 1);
	req = oop_request(&in, a);
	j = json_tokener_parse(req);
	h = jget(j, "history");
	is_int((long long)json_object_array_length(h), 2, "first episode: OrchestratorStarted, ExecutionStarted");
	is_int(jint(json_object_array_get_idx(h, 0), "EventType"), 12, "first episode: OrchestratorStarted first");
	is_int(jbool(json_object_array_get_idx(h, 1), "IsPlayed"), 0, "first episode: nothing played");
	is_int(jbool(j, "isReplaying"), 0, "first episode: isReplaying false");
	ok(jnull(j, "input"), "no input: null");
	ok(jnull(json_object_array_get_idx(h, 1), "Input"), "no input: ExecutionStarted Input null");
	json_object_put(j);
	core_arena_free(a);
}

/* Every event type's fields (spec §5.2), and a sub-orchestration's parent. */
static void
test_request_fields(void)
{
	struct core_event hist[24];
	struct sess s;
	struct core_episode_in in;
	struct core_arena *a = test_arena_new();
	struct json_object *j, *h, *e;
	char *req;
	size_t n = 0;

	sess_init(&s, "Child");
	hist[n] = started(T0, "Child", "7");
	hist[n].instance_id = "parent";
	hist[n++].task_id = 4;
	hist[n++] = ev(EVENT_TASK_FAILED, -1, 1, T0, NULL, "boom");
	hist[n - 1].detail = "at line 3";
	hist[n] = ev(EVENT_SUBORCH_CREATED, 2, -1, T0, "Sub", "[1]");
	hist[n++].instance_id = "inst:2";
	hist[n++] = ev(EVENT_SUBORCH_COMPLETED, -1, 2, T0, NULL, "{\"a\":1}");
	hist[n++] = ev(EVENT_SUBORCH_FAILED, -1, 2, T0, NULL, "child failed");
	hist[n] = ev(EVENT_TIMER_CREATED, 3, -1, T0, NULL, NULL);
	hist[n++].fire_at = T0 + 30 * SEC;
	hist[n] = ev(EVENT_TIMER_FIRED, -1, 3, T0 + 30 * SEC, NULL, NULL);
	hist[n++].fire_at = T0 + 30 * SEC;
	hist[n] = ev(EVENT_EVENT_SENT, 4, -1, T0, "Ping", "\"x\"");
	hist[n++].instance_id = "other";
	hist[n++] = ev(EVENT_EVENT_RAISED, -1, -1, T0, "Approval", "true");
	hist[n++] = ev(EVENT_EXECUTION_TERMINATED, -1, -1, T0, NULL, "stop it");
	hist[n++] = ev(EVENT_EXECUTION_COMPLETED, 5, STATUS_FAILED, T0, NULL, "it failed");
	hist[n - 1].detail = "{\"ErrorType\":\"X\"}";
	hist[n++] = ev(EVENT_CONTINUE_AS_NEW, 6, STATUS_CONTINUED_AS_NEW, T0, NULL, "{\"n\":2}");
	hist[n++] = ev(EVENT_GENERIC, -1, -1, T0, NULL, "generic");
	hist[n++] = ev(EVENT_EXECUTION_SUSPENDED, -1, -1, T0, NULL, "pause");
	hist[n++] = ev(EVENT_EXECUTION_RESUMED, -1, -1, T0, NULL, "go");
	hist[n++] = ev(EVENT_EXECUTION_REWOUND, -1, -1, T0, NULL, "again");
	memcpy(s.hist, hist, n * sizeof(hist[0]));
	s.n_hist = n;
	in = sess_in(&s, T0, NULL, 0);
	req = oop_request(&in, a);
	j = json_tokener_parse(req);
	ok(j != NULL, "all types: JSON");
	h = jget(j, "history");
	is_str(jstr(j, "parentInstanceId"), "parent", "sub-orchestration: parentInstanceId");
	ok(json_object_is_type(jget(j, "input"), json_type_int) && json_object_get_int(jget(j, "input")) == 7,
	   "input 7 parsed");
	e = jget(json_object_array_get_idx(h, 0), "ParentInstance");
	is_str(jstr(jget(e, "OrchestrationInstance"), "InstanceId"), "parent", "ParentInstance: InstanceId");
	is_int(jint(e, "TaskScheduleId"), 4, "ParentInstance: TaskScheduleId");
	e = json_object_array_get_idx(h, 1);
	is_int(jint(e, "TaskScheduledId"), 1, "TaskFailed: TaskScheduledId");
	is_str(jstr(e, "Reason"), "boom", "TaskFailed: Reason plain text");
	is_str(jstr(e, "Details"), "at line 3", "TaskFailed: Details");
	e = json_object_array_get_idx(h, 2);
	is_int(jint(e, "EventType"), 7, "SubOrchestrationInstanceCreated: 7");
	is_str(jstr(e, "Name"), "Sub", "SubOrchestrationInstanceCreated: Name");
	is_str(jstr(e, "InstanceId"), "inst:2", "SubOrchestrationInstanceCreated: InstanceId");
	is_str(jstr(e, "Input"), "[1]", "SubOrchestrationInstanceCreated: Input");
	e = json_object_array_get_idx(h, 3);
	is_int(jint(e, "TaskScheduledId"), 2, "SubOrchestrationInstanceCompleted: TaskScheduledId");
	is_str(jstr(e, "Result"), "{\"a\":1}", "SubOrchestrationInstanceCompleted: Result");
	e = json_object_array_get_idx(h, 4);
	is_str(jstr(e, "Reason"), "child failed", "SubOrchestrationInstanceFailed: Reason");
	e = json_object_array_get_idx(h, 5);
	is_int(jint(e, "EventId"), 3, "TimerCreated: EventId");
	is_str(jstr(e, "FireAt"), "2024-05-01T10:00:30.123Z", "TimerCreated: FireAt");
	e = json_object_array_get_idx(h, 6);
	is_int(jint(e, "TimerId"), 3, "TimerFired: TimerId");
	is_str(jstr(e, "FireAt"), "2024-05-01T10:00:30.123Z", "TimerFired: FireAt");
	e = json_object_array_get_idx(h, 7);
	is_str(jstr(e, "InstanceId"), "other", "EventSent: InstanceId");
	is_str(jstr(e, "Name"), "Ping", "EventSent: Name");
	is_str(jstr(e, "Input"), "\"x\"", "EventSent: Input");
	e = json_object_array_get_idx(h, 8);
	is_str(jstr(e, "Name"), "Approval", "EventRaised: Name");
	is_str(jstr(e, "Input"), "true", "EventRaised: Input");
	is_str(jstr(json_object_array_get_idx(h, 9), "Input"), "stop it", "ExecutionTerminated: Input (reason)");
	e = json_object_array_get_idx(h, 10);
	is_int(jint(e, "OrchestrationStatus"), 3, "ExecutionCompleted: OrchestrationStatus numeric");
	is_str(jstr(e, "Result"), "it failed", "ExecutionCompleted: Result");
	is_str(jstr(jget(e, "FailureDetails"), "ErrorType"), "X", "ExecutionCompleted: FailureDetails object");
	e = json_object_array_get_idx(h, 11);
	is_int(jint(e, "EventType"), 16, "ContinueAsNew: 16");
	is_str(jstr(e, "Result"), "{\"n\":2}", "ContinueAsNew: Result");
	is_str(jstr(json_object_array_get_idx(h, 12), "Data"), "generic", "GenericEvent: Data");
	is_str(jstr(json_object_array_get_idx(h, 13), "Reason"), "pause", "ExecutionSuspended: Reason");
	is_str(jstr(json_object_array_get_idx(h, 14), "Reason"), "go", "ExecutionResumed: Reason");
	e = json_object_array_get_idx(h, 15);
	is_int(jint(e, "EventType"), 21, "ExecutionRewound: 21");
	is_str(jstr(e, "Reason"), "again", "ExecutionRewound: Reason");
	json_object_put(j);
	core_arena_free(a);
}

/* ---- replies (§6.2) ---- */

#define V3_FIRST                                                                                                       \
	"{\"isDone\":false,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Tokyo\"},"        \
	"{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Seattle\"}]],"                                    \
	"\"schemaVersion\":2,\"customStatus\":\"Tokyo\"}"
#define V3_FINAL                                                                                                       \
	"{\"isDone\":true,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Tokyo\"},"         \
	"{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Seattle\"},"                                      \
	"{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"London\"}]],"                                     \
	"\"output\":[\"Hello Tokyo!\",\"Hello Seattle!\",\"Hello London!\"],\"schemaVersion\":2}"

static void
test_reply_fields(void)
{
	struct core_arena *a = test_arena_new();
	const struct oop_reply *r;
	const char *why;
	const char *v1 = "{\"isDone\":false,\"actions\":[[{\"actionType\":\"CallActivity\",\"functionName\":\"A\"}],"
			 "[{\"actionType\":\"callsuborchestrator\",\"functionName\":\"S\",\"instanceId\":\"k\","
			 "\"input\":{\"z\":[1,2.50,\"a/b\"]}}]]}";

	ok(oop_reply_parse(V3_FIRST, strlen(V3_FIRST), a, &r, &why) == 0, "V3 example parses");
	is_int(r->is_done, 0, "V3: isDone");
	is_int(r->schema, OOP_SCHEMA_V3, "V3: schemaVersion 2");
	is_int((long long)r->n_steps, 1, "V3: one inner array");
	is_int((long long)r->n_actions, 2, "V3: two actions");
	is_str(r->actions[1].name, "SayHello", "V3: functionName");
	is_str(r->actions[1].input, "\"Seattle\"", "V3: input as JSON text");
	is_int(r->custom_status_set, 1, "V3: customStatus present");
	is_str(r->custom_status, "\"Tokyo\"", "V3: customStatus JSON");
	ok(r->output == NULL && r->error == NULL, "V3: no output, no error");
	ok(oop_reply_parse(V3_FINAL, strlen(V3_FINAL), a, &r, &why) == 0, "V3 final example parses");
	is_str(r->output, "[\"Hello Tokyo!\",\"Hello Seattle!\",\"Hello London!\"]", "final: output JSON");
	is_int(r->custom_status_set, 0, "final: no customStatus");

	ok(oop_reply_parse(v1, strlen(v1), a, &r, &why) == 0, "V1 parses");
	is_int(r->schema, OOP_SCHEMA_V1, "V1: schemaVersion absent = Original");
	is_int((long long)r->n_steps, 2, "V1: one inner array per step");
	is_int((long long)r->n_actions, 2, "V1: flattened");
	is_int(r->actions[1].type, OOP_CALL_SUB_ORCHESTRATOR, "actionType by name, any case");
	is_str(r->actions[1].instance_id, "k", "instanceId");
	is_str(r->actions[1].input, "{\"z\":[1,2.50,\"a/b\"]}", "input JSON kept as written");
	is_str(r->actions[1].where, "actions[1][0]", "where");

	{
		const char *t = "{\"actions\":[[{\"actionType\":11,\"compoundActions\":[{\"actionType\":12,"
				"\"compoundActions\":[{\"actionType\":0,\"functionName\":\"F\",\"input\":1},"
				"{\"actionType\":0,\"functionName\":\"F\",\"input\":2}]},"
				"{\"actionType\":5,\"fireAt\":\"2024-01-01T00:00:30.000Z\",\"isCanceled\":true}]},"
				"{\"actionType\":\"WaitForExternalEvent\",\"externalEventName\":\"E\",\"reason\":"
				"\"ExternalEvent\"},"
				"{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
				"\"firstRetryIntervalInMilliseconds\":"
				"1000,\"maxNumberOfAttempts\":3,\"backoffCoefficient\":2,"
				"\"maxRetryIntervalInMilliseconds\":5000,"
				"\"retryTimeoutInMilliseconds\":60000}},"
				"{\"actionType\":4,\"input\":{\"n\":1}}]],\"schemaVersion\":\"V3\"}";

		ok(oop_reply_parse(t, strlen(t), a, &r, &why) == 0, "compound actions parse");
		is_int(r->schema, OOP_SCHEMA_V3, "schemaVersion by name");
		is_int((long long)r->n_actions, 6, "WhenAny(WhenAll(F,F),timer),wait,retry,continue: 6 flattened");
		is_str(r->actions[1].where, "actions[0][0].compoundActions[0].compoundActions[1]", "nested where");
		is_str(r->actions[1].input, "2", "depth-first order");
		is_int(r->actions[2].type, OOP_CREATE_TIMER, "timer after the WhenAll's children");
		is_int(r->actions[2].canceled, 1, "isCanceled");
		ok(r->actions[2].fire_at == 1704067230000000LL, "fireAt parsed");
		is_str(r->actions[3].name, "E", "externalEventName");
		is_int(r->actions[4].has_retry, 1, "retryOptions");
		ok(r->actions[4].retry.first_retry_interval_ms == 1000 &&
			   r->actions[4].retry.max_number_of_attempts == 3 &&
			   r->actions[4].retry.backoff_coefficient == 2.0 &&
			   r->actions[4].retry.max_retry_interval_ms == 5000 &&
			   r->actions[4].retry.retry_timeout_ms == 60000,
		   "retryOptions fields");
		is_str(r->actions[5].input, "{\"n\":1}", "ContinueAsNew input");
	}
	{
		const char *t = "Error: the code threw\n\n$OutOfProcData$:{\"isDone\":false,\"actions\":[[]],"
				"\"error\":\"ignored\",\"schemaVersion\":2}";

		ok(oop_reply_parse(t, strlen(t), a, &r, &why) == 0, "failure form parses");
		is_int(r->failure_form, 1, "failure form noted");
		is_str(r->error, "Error: the code threw", "failure form: the message before the label is the error");
		t = "$OutOfProcData$:{\"actions\":[],\"error\":\"from state\"}";
		ok(oop_reply_parse(t, strlen(t), a, &r, &why) == 0 && strcmp(r->error, "from state") == 0,
		   "failure form without a message: the state's error");
		t = "\n$OutOfProcData$:{}";
		ok(oop_reply_parse(t, strlen(t), a, &r, &why) == 0 && r->error != NULL && r->error[0] != '\0',
		   "failure form without any message still fails");
	}
	core_arena_free(a);
}

/* Every refusal, with its reason. */
static void
test_reply_refusals(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{"", "the reply is empty"},
		{"not json", "the reply is not JSON"},
		{"{\"isDone\":true} trailing", "the reply is not JSON"},
		{"[1]", "the reply is not a JSON object"},
		{"{\"isDone\":\"yes\"}", "isDone is not a boolean"},
		{"{\"actions\":{}}", "actions is not an array"},
		{"{\"actions\":[1]}", "actions[0] is not an array"},
		{"{\"actions\":[[],[]],\"schemaVersion\":1}",
		 "With OOProc schema V2, expected actions array to be of length 1 in outer layer but got size: 2"},
		{"{\"actions\":[[],[],[]],\"schemaVersion\":\"V3\"}",
		 "With OOProc schema V3, expected actions array to be of length 1 in outer layer but got size: 3"},
		{"{\"schemaVersion\":3}", "schemaVersion 3 is unknown"},
		{"{\"schemaVersion\":\"V9\"}", "schemaVersion \"V9\" is unknown"},
		{"{\"schemaVersion\":true}", "schemaVersion is neither a number nor a name"},
		{"{\"actions\":[[7]]}", "actions[0][0] is not an object"},
		{"{\"actions\":[[{}]]}", "actions[0][0]: actionType is missing"},
		{"{\"actions\":[[{\"actionType\":13}]]}", "actions[0][0]: actionType 13 is unknown"},
		{"{\"actions\":[[{\"actionType\":-1}]]}", "actions[0][0]: actionType -1 is unknown"},
		{"{\"actions\":[[{\"actionType\":\"Sleep\"}]]}", "actions[0][0]: actionType \"Sleep\" is unknown"},
		{"{\"actions\":[[{\"actionType\":1.5}]]}", "actions[0][0]: actionType is neither a number nor a name"},
		{"{\"actions\":[[{\"actionType\":0}]]}", "actions[0][0]: functionName is missing"},
		{"{\"actions\":[[{\"actionType\":0,\"functionName\":\"\"}]]}", "actions[0][0]: functionName is empty"},
		{"{\"actions\":[[{\"actionType\":0,\"functionName\":3}]]}",
		 "actions[0][0]: functionName is not a string"},
		{"{\"actions\":[[{\"actionType\":0,\"functionName\":\"a\\u0000b\"}]]}",
		 "actions[0][0]: functionName contains a NUL character"},
		{"{\"actions\":[[{\"actionType\":2,\"functionName\":\"S\",\"instanceId\":5}]]}",
		 "actions[0][0]: instanceId is not a string"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\"}]]}",
		 "actions[0][0]: retryOptions is missing"},
		{"{\"actions\":[[{\"actionType\":3,\"functionName\":\"R\",\"retryOptions\":7}]]}",
		 "actions[0][0]: retryOptions is not an object"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{\"maxNumberOfAttempts\":2}}"
		 "]]}",
		 "actions[0][0]: retryOptions: Invalid JSON. Must contain field firstRetryIntervalInMilliseconds"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
		 "\"firstRetryIntervalInMilliseconds\":5}}]]}",
		 "actions[0][0]: retryOptions: Invalid JSON. Must contain field maxNumberOfAttempts"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
		 "\"firstRetryIntervalInMilliseconds\":0,\"maxNumberOfAttempts\":2}}]]}",
		 "actions[0][0]: retryOptions.firstRetryIntervalInMilliseconds must be greater than 0"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
		 "\"firstRetryIntervalInMilliseconds\":5,\"maxNumberOfAttempts\":0}}]]}",
		 "actions[0][0]: retryOptions.maxNumberOfAttempts must be at least 1"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
		 "\"firstRetryIntervalInMilliseconds\":\"5\",\"maxNumberOfAttempts\":1}}]]}",
		 "actions[0][0]: retryOptions.firstRetryIntervalInMilliseconds is not a number"},
		{"{\"actions\":[[{\"actionType\":1,\"functionName\":\"R\",\"retryOptions\":{"
		 "\"firstRetryIntervalInMilliseconds\":5,\"maxNumberOfAttempts\":1,\"backoffCoefficient\":-1}}]]}",
		 "actions[0][0]: retryOptions.backoffCoefficient must be greater than 0"},
		{"{\"actions\":[[{\"actionType\":5}]]}", "actions[0][0]: fireAt is missing"},
		{"{\"actions\":[[{\"actionType\":5,\"fireAt\":\"tomorrow\"}]]}",
		 "actions[0][0]: fireAt \"tomorrow\" is not an ISO 8601 date"},
		{"{\"actions\":[[{\"actionType\":5,\"fireAt\":\"2024-01-01T00:00:00Z\",\"isCanceled\":1}]]}",
		 "actions[0][0]: isCanceled is not a boolean"},
		{"{\"actions\":[[{\"actionType\":6}]]}", "actions[0][0]: externalEventName is missing"},
		{"{\"actions\":[[{\"actionType\":7,\"operation\":\"add\"}]]}", "actions[0][0]: instanceId is missing"},
		{"{\"actions\":[[{\"actionType\":9,\"instanceId\":\"@c@k\"}]]}", "actions[0][0]: operation is missing"},
		{"{\"actions\":[[{\"actionType\":10,\"instanceId\":\"@c@k\",\"operation\":\"x\"}]]}",
		 "actions[0][0]: fireAt is missing"},
		{"{\"actions\":[[{\"actionType\":8}]]}", "actions[0][0]: httpRequest is missing"},
		{"{\"actions\":[[{\"actionType\":8,\"httpRequest\":\"GET /\"}]]}",
		 "actions[0][0]: httpRequest is not an object"},
		{"{\"actions\":[[{\"actionType\":11}]]}", "actions[0][0]: compoundActions is missing"},
		{"{\"actions\":[[{\"actionType\":12,\"compoundActions\":{}}]]}",
		 "actions[0][0].compoundActions is not an array"},
		{"{\"actions\":[[{\"actionType\":12,\"compoundActions\":[{\"actionType\":0}]}]]}",
		 "actions[0][0].compoundActions[0]: functionName is missing"},
		{"{\"error\":5}", "the reply: error is not a string"},
		{"oops\n\n$OutOfProcData$:{bad", "the state after $OutOfProcData$: is not JSON"},
	};
	struct core_arena *a = test_arena_new();
	const struct oop_reply *r;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = oop_reply_parse(cases[i].text, strlen(cases[i].text), a, &r, &why);

		ok(rc == -1 && r == NULL && why != NULL && strncmp(why, cases[i].why, strlen(cases[i].why)) == 0,
		   "refused: %s", cases[i].why);
		if (rc != -1 || why == NULL || strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			diag("got %s", rc == -1 ? why : "(accepted)");
	}
	/* A NUL byte inside the length; depth; size. */
	ok(oop_reply_parse("{}\0{}", 5, a, &r, &why) == -1 && strcmp(why, "the reply contains a NUL byte") == 0,
	   "refused: a NUL byte");
	{
		char deep[300];
		size_t n = 0;

		for (i = 0; i < 100; i++)
			deep[n++] = '[';
		for (i = 0; i < 100; i++)
			deep[n++] = ']';
		deep[n] = '\0';
		ok(oop_reply_parse(deep, n, a, &r, &why) == -1 && strstr(why, "nested deeper") != NULL,
		   "refused: nesting deeper than %d", OOP_MAX_DEPTH);
	}
	ok(oop_reply_parse("{}", OOP_REPLY_MAX + 1, a, &r, &why) == -1 && strstr(why, "longer than") != NULL,
	   "refused: longer than OOP_REPLY_MAX (checked before reading)");
	{
		/* More actions than the cap. */
		static const char one[] = "{\"actionType\":6,\"externalEventName\":\"e\"}";
		size_t n = OOP_MAX_ACTIONS + 1, len = 64 + n * sizeof(one);
		char *t = malloc(len), *p = t;

		p += sprintf(p, "{\"actions\":[[");
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s%s", i ? "," : "", one);
		p += sprintf(p, "]]}");
		ok(oop_reply_parse(t, (size_t)(p - t), a, &r, &why) == -1 && strstr(why, "more than 100000 actions"),
		   "refused: more than %d actions", OOP_MAX_ACTIONS);
		free(t);
	}
	ok(oop_reply_parse("{}", 2, a, &r, &why) == 0 && r->n_actions == 0 && !r->is_done, "accepted: {} (defaults)");
	ok(oop_reply_parse("{\"actions\":[],\"schemaVersion\":2}", 32, a, &r, &why) == 0,
	   "accepted: V3 with an empty outer array");
	core_arena_free(a);
}

/* ---- replay ---- */

/* The spec's HelloSequence examples against the history they answer. */
static void
test_replay_hello(void)
{
	struct core_event e0[] = {started(T0, "HelloSequence", NULL)};
	struct core_event e1[] = {ev(EVENT_TASK_COMPLETED, -1, 0, T0 + SEC, NULL, "\"Hello Tokyo!\"")};
	struct core_event e2[] = {ev(EVENT_TASK_COMPLETED, -1, 1, T0 + 2 * SEC, NULL, "\"Hello Seattle!\"")};
	struct core_event e3[] = {ev(EVENT_TASK_COMPLETED, -1, 2, T0 + 3 * SEC, NULL, "\"Hello London!\"")};
	const char *first = "{\"isDone\":false,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\","
			    "\"input\":\"Tokyo\"}]],\"schemaVersion\":2,\"customStatus\":null}";
	const char *third =
		"{\"isDone\":false,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\","
		"\"input\":\"Tokyo\"},{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Seattle\"},"
		"{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"London\"}]],\"schemaVersion\":2}";
	struct sess s;

	sess_init(&s, "HelloSequence");
	is_int(sess_step(&s, T0, e0, 1, first, NULL), STATUS_RUNNING, "hello 1: Running");
	is_str(acts(&s.out), "Activity:0:SayHello:\"Tokyo\"", "hello 1: SayHello(Tokyo) id 0");
	is_str(appended(&s.out), "12 0 4 13",
	       "hello 1: OrchestratorStarted, ExecutionStarted, TaskScheduled, "
	       "OrchestratorCompleted");
	ok(s.out.custom_status_set && s.out.custom_status == NULL, "hello 1: customStatus null clears");
	is_int(sess_step(&s, T0 + SEC, e1, 1, V3_FIRST, NULL), STATUS_RUNNING, "hello 2 (spec example): Running");
	is_str(acts(&s.out), "Activity:1:SayHello:\"Seattle\"", "hello 2: only the new action is scheduled");
	ok(s.out.custom_status_set && strcmp(s.out.custom_status, "\"Tokyo\"") == 0, "hello 2: customStatus \"Tokyo\"");
	is_int(sess_step(&s, T0 + 2 * SEC, e2, 1, third, NULL), STATUS_RUNNING, "hello 3: Running");
	is_str(acts(&s.out), "Activity:2:SayHello:\"London\"", "hello 3: London id 2");
	is_int(sess_step(&s, T0 + 3 * SEC, e3, 1, V3_FINAL, NULL), STATUS_COMPLETED,
	       "hello 4 (spec final example): Completed");
	is_str(s.out.output, "[\"Hello Tokyo!\",\"Hello Seattle!\",\"Hello London!\"]", "hello 4: output");
	is_str(appended(&s.out), "12 5 1 13", "hello 4: ExecutionCompleted appended");
	is_int(s.out.append[2].event_id, 3, "hello 4: ExecutionCompleted id 3");
	is_int((long long)s.out.n_actions, 0, "hello 4: nothing scheduled");
	sess_free(&s);

	/* The same orchestration in V1: one inner array per step. */
	sess_init(&s, "HelloSequence");
	sess_step(&s, T0, e0, 1, first, NULL);
	sess_step(&s, T0 + SEC, e1, 1,
		  "{\"isDone\":false,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":"
		  "\"Tokyo\"}],[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Seattle\"}]]}",
		  NULL);
	is_str(acts(&s.out), "Activity:1:SayHello:\"Seattle\"", "V1 steps: the second step's action id 1");
	sess_step(&s, T0 + 2 * SEC, e2, 1,
		  "{\"isDone\":true,\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":"
		  "\"Tokyo\"}],[{\"actionType\":0,\"functionName\":\"SayHello\",\"input\":\"Seattle\"}]],"
		  "\"output\":\"done\"}",
		  NULL);
	is_int(s.out.status, STATUS_COMPLETED, "V1: Completed");
	is_str(s.out.output, "\"done\"", "V1: output");
	sess_free(&s);

	/* isDone without output: null. */
	sess_init(&s, "X");
	is_int(sess_step(&s, T0, e0, 1, "{\"isDone\":true,\"actions\":[[]],\"schemaVersion\":2}", NULL),
	       STATUS_COMPLETED, "done without actions: Completed");
	is_str(s.out.output, "null", "done without output: null");
	sess_free(&s);
}

/* Fan-out under a timeout race (spec §6.2's compound example). */
static void
test_replay_fanout(void)
{
	struct core_event e0[] = {started(T0, "Fan", "3")};
	struct core_event e1[] = {
		ev(EVENT_TASK_COMPLETED, -1, 1, T0 + SEC, NULL, "1"),
		ev(EVENT_TASK_COMPLETED, -1, 0, T0 + SEC, NULL, "0"),
		ev(EVENT_TASK_COMPLETED, -1, 2, T0 + SEC, NULL, "2"),
	};
	struct core_event e2[] = {ev(EVENT_TIMER_FIRED, -1, 3, T0 + 30 * SEC, NULL, NULL)};
#define FAN(canceled, done)                                                                                            \
	"{\"isDone\":" done ",\"actions\":[[{\"actionType\":11,\"compoundActions\":[{\"actionType\":12,"               \
	"\"compoundActions\":[{\"actionType\":0,\"functionName\":\"W\",\"input\":0},"                                  \
	"{\"actionType\":0,\"functionName\":\"W\",\"input\":1},{\"actionType\":0,\"functionName\":\"W\",\"input\":2}]" \
	"},"                                                                                                           \
	"{\"actionType\":5,\"fireAt\":\"2024-05-01T10:00:30.123Z\",\"isCanceled\":" canceled "}]}]],"                  \
	"\"output\":[0,1,2],\"schemaVersion\":2}"
	struct sess s;

	sess_init(&s, "Fan");
	is_int(sess_step(&s, T0, e0, 1, FAN("false", "false"), NULL), STATUS_RUNNING, "fan-out 1: Running");
	is_str(acts(&s.out), "Activity:0:W:0 Activity:1:W:1 Activity:2:W:2 Timer:3@2024-05-01T10:00:30.123Z",
	       "fan-out 1: three activities then the timer, ids in depth-first order");
	is_int(sess_step(&s, T0 + SEC, e1, 3, FAN("true", "true"), NULL), STATUS_COMPLETED,
	       "fan-out 2: all done, timer cancelled: Completed");
	is_str(s.out.output, "[0,1,2]", "fan-out 2: output");
	is_int((long long)s.out.n_actions, 0, "fan-out 2: nothing new");
	sess_free(&s);

	/* The timer not cancelled keeps the instance running until it fires. */
	sess_init(&s, "Fan");
	sess_step(&s, T0, e0, 1, FAN("false", "false"), NULL);
	is_int(sess_step(&s, T0 + SEC, e1, 3, FAN("false", "true"), NULL), STATUS_RUNNING,
	       "fan-out: done with an open timer stays Running (spec §5.6)");
	is_int(sess_step(&s, T0 + 30 * SEC, e2, 1, FAN("false", "true"), NULL), STATUS_COMPLETED,
	       "fan-out: the timer fires: Completed");
	sess_free(&s);
#undef FAN
}

/* Timers, external events, sub-orchestrations. */
static void
test_replay_timer_event_suborch(void)
{
	struct core_event e0[] = {started(T0, "Mix", NULL)};
	struct core_event e1[] = {ev(EVENT_TIMER_FIRED, -1, 0, T0 + 60 * SEC, NULL, NULL)};
	struct core_event e2[] = {ev(EVENT_EVENT_RAISED, -1, -1, T0 + 61 * SEC, "Approval", "true")};
	struct core_event e3[] = {ev(EVENT_SUBORCH_COMPLETED, -1, 1, T0 + 62 * SEC, NULL, "\"child\"")};
	struct core_event e4[] = {ev(EVENT_SUBORCH_COMPLETED, -1, 2, T0 + 63 * SEC, NULL, "\"child2\"")};
#define TIMER "{\"actionType\":5,\"fireAt\":\"2024-05-01T10:01:00.123Z\",\"isCanceled\":false}"
#define WAIT  "{\"actionType\":6,\"externalEventName\":\"Approval\",\"reason\":\"ExternalEvent\"}"
#define SUB1  "{\"actionType\":2,\"functionName\":\"Child\",\"instanceId\":\"kid\",\"input\":{\"a\":1}}"
#define SUB2  "{\"actionType\":2,\"functionName\":\"Child\",\"input\":null}"
	struct sess s;

	sess_init(&s, "Mix");
	sess_step(&s, T0, e0, 1, "{\"isDone\":false,\"actions\":[[" TIMER "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "Timer:0@2024-05-01T10:01:00.123Z", "timer: CreateTimer with fireAt");
	is_int(sess_step(&s, T0 + 60 * SEC, e1, 1,
			 "{\"isDone\":false,\"actions\":[[" TIMER "," WAIT "]],\"schemaVersion\":2}", NULL),
	       STATUS_RUNNING, "wait: Running");
	is_int((long long)s.out.n_actions, 0, "wait: no action, no history record");
	is_str(appended(&s.out), "12 11 13", "wait: only the framing and TimerFired");
	sess_step(&s, T0 + 61 * SEC, e2, 1,
		  "{\"isDone\":false,\"actions\":[[" TIMER "," WAIT "," SUB1 "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "SubOrchestration:1:Child@kid:{\"a\":1}",
	       "event received: the sub-orchestration takes id 1 (the wait took none)");
	sess_step(&s, T0 + 62 * SEC, e3, 1,
		  "{\"isDone\":false,\"actions\":[[" TIMER "," WAIT "," SUB1 "," SUB2 "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "SubOrchestration:2:Child@inst:2:null",
	       "sub-orchestration without instanceId: \"<instance>:<id>\"");
	is_int(sess_step(&s, T0 + 63 * SEC, e4, 1,
			 "{\"isDone\":true,\"actions\":[[" TIMER "," WAIT "," SUB1 "," SUB2 "]],\"output\":\"ok\","
			 "\"schemaVersion\":2}",
			 NULL),
	       STATUS_COMPLETED, "timer, event, sub-orchestrations: Completed");
	sess_free(&s);

	/* An event raised before anyone waits is kept for the wait. */
	sess_init(&s, "Mix");
	sess_step(&s, T0, e0, 1, "{\"isDone\":false,\"actions\":[[" TIMER "]],\"schemaVersion\":2}", NULL);
	sess_step(&s, T0 + 61 * SEC, e2, 1, "{\"isDone\":false,\"actions\":[[" TIMER "]],\"schemaVersion\":2}", NULL);
	is_int(sess_step(&s, T0 + 62 * SEC, e1, 1,
			 "{\"isDone\":false,\"actions\":[[" TIMER "," WAIT "," SUB1 "]],\"schemaVersion\":2}", NULL),
	       STATUS_RUNNING, "early event: Running");
	is_str(acts(&s.out), "SubOrchestration:1:Child@kid:{\"a\":1}", "early event: the next action is id 1");
	sess_free(&s);
#undef TIMER
#undef WAIT
#undef SUB1
#undef SUB2
}

/* A retry chain takes ids as its failures and timers arrive; the next
 * action comes after it, on every replay. */
static void
test_replay_retry(void)
{
	struct core_event e0[] = {started(T0, "Retry", NULL)};
	struct core_event f0[] = {ev(EVENT_TASK_FAILED, -1, 0, T0 + SEC, NULL, "flaky")};
	struct core_event t1[] = {ev(EVENT_TIMER_FIRED, -1, 1, T0 + 3 * SEC, NULL, NULL)};
	struct core_event c2[] = {ev(EVENT_TASK_COMPLETED, -1, 2, T0 + 4 * SEC, NULL, "\"ok\"")};
	struct core_event c3[] = {ev(EVENT_TASK_COMPLETED, -1, 3, T0 + 5 * SEC, NULL, "\"b\"")};
#define RA                                                                                                             \
	"{\"actionType\":1,\"functionName\":\"Flaky\",\"input\":1,\"retryOptions\":"                                   \
	"{\"firstRetryIntervalInMilliseconds\":2000,\"maxNumberOfAttempts\":3}}"
#define B "{\"actionType\":0,\"functionName\":\"B\"}"
	struct sess s;

	sess_init(&s, "Retry");
	sess_step(&s, T0, e0, 1, "{\"isDone\":false,\"actions\":[[" RA "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "Activity:0:Flaky:1", "retry 1: first attempt id 0");
	sess_step(&s, T0 + SEC, f0, 1, "{\"isDone\":false,\"actions\":[[" RA "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "Timer:1@2024-05-01T10:00:03.123Z", "retry 2: failed: the retry timer id 1 after 2 s");
	sess_step(&s, T0 + 3 * SEC, t1, 1, "{\"isDone\":false,\"actions\":[[" RA "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "Activity:2:Flaky:1", "retry 3: second attempt id 2");
	sess_step(&s, T0 + 4 * SEC, c2, 1, "{\"isDone\":false,\"actions\":[[" RA "," B "]],\"schemaVersion\":2}", NULL);
	is_str(acts(&s.out), "Activity:3:B", "retry 4: the next action after the chain, id 3");
	is_int(sess_step(&s, T0 + 5 * SEC, c3, 1,
			 "{\"isDone\":true,\"actions\":[[" RA "," B "]],\"output\":\"b\",\"schemaVersion\":2}", NULL),
	       STATUS_COMPLETED, "retry 5: replays the chain and B: Completed");
	sess_free(&s);

	/* A sub-orchestration with retry: the first attempt. */
	sess_init(&s, "Retry");
	sess_step(&s, T0, e0, 1,
		  "{\"actions\":[[{\"actionType\":3,\"functionName\":\"Kid\",\"instanceId\":\"k1\",\"retryOptions\":"
		  "{\"firstRetryIntervalInMilliseconds\":1000,\"maxNumberOfAttempts\":2}}]]}",
		  NULL);
	is_str(acts(&s.out), "SubOrchestration:0:Kid@k1", "sub-orchestration with retry: first attempt");
	sess_free(&s);
#undef RA
#undef B
}

static void
test_replay_endings(void)
{
	struct core_event e0[] = {started(T0, "End", "1")};
	struct core_event c0[] = {ev(EVENT_TASK_COMPLETED, -1, 0, T0 + SEC, NULL, "5")};
	struct sess s;
	char big[40000];

	sess_init(&s, "End");
	is_int(sess_step(&s, T0, e0, 1,
			 "{\"isDone\":true,\"actions\":[[{\"actionType\":4,\"input\":{\"n\":2}}]],\"schemaVersion\":2}",
			 NULL),
	       STATUS_CONTINUED_AS_NEW, "ContinueAsNew: ContinuedAsNew");
	is_str(s.out.output, "{\"n\":2}", "ContinueAsNew: the new input");
	is_str(appended(&s.out), "12 0 16 13", "ContinueAsNew: the ContinueAsNew event");
	ok(s.out.new_execution_id != NULL, "ContinueAsNew: a new execution ID");
	sess_free(&s);

	sess_init(&s, "End");
	is_int(sess_step(&s, T0, e0, 1,
			 "{\"isDone\":false,\"actions\":[[{\"actionType\":4,\"input\":2}]],\"schemaVersion\":2}", NULL),
	       STATUS_RUNNING, "ContinueAsNew without isDone: still Running");
	sess_free(&s);

	/* The failure form: the actions are replayed (new ones scheduled),
	 * then the instance fails once no task is open. */
	sess_init(&s, "End");
	sess_step(&s, T0, e0, 1, "{\"actions\":[[{\"actionType\":0,\"functionName\":\"A\"}]],\"schemaVersion\":2}",
		  NULL);
	is_int(sess_step(&s, T0 + SEC, c0, 1,
			 "Error: boom\n\n$OutOfProcData$:{\"isDone\":false,\"actions\":[[{\"actionType\":0,"
			 "\"functionName\":\"A\"}]],\"error\":\"boom\",\"schemaVersion\":2}",
			 NULL),
	       STATUS_FAILED, "$OutOfProcData$: Failed");
	is_str(s.out.output, "Orchestrator function 'End' failed: Error: boom", "$OutOfProcData$: the message");
	ok(s.out.failure != NULL && strstr(s.out.failure, "\"ErrorMessage\":\"Orchestrator function 'End' failed: "
							  "Error: boom\"") != NULL,
	   "$OutOfProcData$: FailureDetails");
	sess_free(&s);

	sess_init(&s, "End");
	is_int(sess_step(&s, T0, e0, 1, "{\"isDone\":false,\"actions\":[[]],\"error\":\"plain\",\"schemaVersion\":2}",
			 NULL),
	       STATUS_FAILED, "error field: Failed");
	is_str(s.out.output, "Orchestrator function 'End' failed: plain", "error field: the message");
	sess_free(&s);

	/* customStatus over 16 KB fails as th_set_custom_status does. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"isDone\":false,\"customStatus\":\"", 32);
	strcpy(big + sizeof(big) - 4, "\"}");
	sess_init(&s, "End");
	if (!is_int(sess_step(&s, T0, e0, 1, big, NULL), STATUS_FAILED, "customStatus over 16 KB: Failed"))
		diag("why: %s", s.why ? s.why : "");
	ok(strstr(s.out.output, "must not exceed 16 KB") != NULL, "customStatus over 16 KB: the message");
	sess_free(&s);

	/* Not done, nothing to do: Running, only the framing appended. */
	sess_init(&s, "End");
	is_int(sess_step(&s, T0, e0, 1, "{\"isDone\":false,\"actions\":[[]],\"schemaVersion\":2}", NULL),
	       STATUS_RUNNING, "not done: Running");
	is_str(appended(&s.out), "12 0 13", "not done: framing and the new event only");
	ok(!s.out.custom_status_set, "not done: custom status untouched");
	sess_free(&s);
}

static void
test_replay_nondeterminism(void)
{
	struct core_event e0[] = {started(T0, "Nd", NULL)};
	struct core_event c0[] = {ev(EVENT_TASK_COMPLETED, -1, 0, T0 + SEC, NULL, "5")};
	struct sess s;

	sess_init(&s, "Nd");
	sess_step(&s, T0, e0, 1, "{\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\"}]]}", NULL);
	is_int(sess_step(&s, T0 + SEC, c0, 1,
			 "{\"actions\":[[{\"actionType\":0,\"functionName\":\"Other\"},"
			 "{\"actionType\":0,\"functionName\":\"Next\"}]]}",
			 NULL),
	       STATUS_FAILED, "other name: Failed");
	ok(strstr(s.out.output, "Non-Deterministic workflow detected: A previous execution of this orchestration "
				"scheduled an activity task with sequence number 0 named 'SayHello', but the current "
				"orchestration replay instead scheduled an activity task named 'Other'") != NULL,
	   "other name: DTFx's message");
	is_int((long long)s.out.n_actions, 0, "non-determinism schedules nothing");
	sess_free(&s);

	sess_init(&s, "Nd");
	sess_step(&s, T0, e0, 1, "{\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\"}]]}", NULL);
	is_int(sess_step(&s, T0 + SEC, c0, 1,
			 "{\"actions\":[[{\"actionType\":5,\"fireAt\":\"2024-05-01T10:00:00Z\"}]]}", NULL),
	       STATUS_FAILED, "timer for an activity: Failed");
	ok(strstr(s.out.output, "instead produced a CreateTimerOrchestratorAction") != NULL,
	   "timer for an activity: the kind message");
	sess_free(&s);

	sess_init(&s, "Nd");
	sess_step(&s, T0, e0, 1, "{\"actions\":[[{\"actionType\":0,\"functionName\":\"SayHello\"}]]}", NULL);
	is_int(sess_step(&s, T0 + SEC, c0, 1, "{\"actions\":[[]]}", NULL), STATUS_FAILED,
	       "actions missing from the reply: Failed");
	ok(strstr(s.out.output, "hasn't (yet?) scheduled this task") != NULL, "missing action: DTFx's message");
	sess_free(&s);
}

static void
test_unsupported_and_fatal(void)
{
	static const struct {
		const char *action, *msg;
	} cases[] = {
		{"{\"actionType\":7,\"instanceId\":\"@counter@k\",\"operation\":\"add\",\"input\":1}",
		 "actions[0][1]: CallEntity (actionType 7) is not supported yet."},
		{"{\"actionType\":8,\"httpRequest\":{\"method\":\"GET\",\"uri\":\"https://example.com/\"}}",
		 "actions[0][1]: CallHttp (actionType 8) is not supported yet."},
		{"{\"actionType\":9,\"instanceId\":\"@counter@k\",\"operation\":\"add\"}",
		 "actions[0][1]: SignalEntity (actionType 9) is not supported yet."},
		{"{\"actionType\":10,\"instanceId\":\"@counter@k\",\"operation\":\"add\",\"fireAt\":"
		 "\"2024-01-01T00:00:00Z\"}",
		 "actions[0][1]: ScheduledSignalEntity (actionType 10) is not supported yet."},
		{"{\"actionType\":6,\"externalEventName\":\"x\",\"reason\":\"EntityResponse\"}",
		 "actions[0][1]: WaitForExternalEvent with reason 'EntityResponse' (entities) is not supported yet."},
	};
	struct core_event e0[] = {started(T0, "Un", NULL)};
	struct core_event r0[] = {ev(EVENT_EVENT_RAISED, -1, -1, T0, "E", "1")};
	char reply[1024], want[512];
	struct sess s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(reply, sizeof(reply),
			 "{\"actions\":[[{\"actionType\":0,\"functionName\":\"A\"},%s]],\"schemaVersion\":2}",
			 cases[i].action);
		snprintf(want, sizeof(want), "Orchestrator function 'Un' failed: %s", cases[i].msg);
		sess_init(&s, "Un");
		is_int(sess_step(&s, T0, e0, 1, reply, NULL), STATUS_FAILED, "unsupported %zu: Failed", i);
		is_str(s.out.output, want, "unsupported %zu: the message", i);
		is_int((long long)s.out.n_actions, 0, "unsupported %zu: nothing scheduled", i);
		sess_free(&s);
	}

	sess_init(&s, "Un");
	sess_step(&s, T0, e0, 1, "{\"actions\":[[{\"actionType\":0,\"functionName\":\"A\"}]]}", NULL);
	is_int(sess_step(&s, T0 + SEC, r0, 1, NULL, "the executable exited with status 137"), STATUS_FAILED,
	       "fatal: Failed");
	is_str(s.out.output, "Orchestrator function 'Un' failed: the executable exited with status 137",
	       "fatal: the message");
	is_str(appended(&s.out), "12 15 1 13", "fatal: the new events still appended");
	is_int(s.out.append[2].event_id, -1, "fatal: ExecutionCompleted id -1 (as other fatal failures)");
	is_int((long long)s.out.n_actions, 0, "fatal: nothing scheduled");
	sess_free(&s);
}

int
main(void)
{
	test_request_hello();
	test_request_fields();
	test_reply_fields();
	test_reply_refusals();
	test_replay_hello();
	test_replay_fanout();
	test_replay_timer_event_suborch();
	test_replay_retry();
	test_replay_endings();
	test_replay_nondeterminism();
	test_unsupported_and_fatal();
	return tap_done();
}
