/*
 * test_golden.c — the engine's golden tests: histories in, decisions out.
 * Each file in tests/core/golden is one case: an orchestrator (from
 * orchestrators.c), an optional starting history, and steps, each with the
 * episode's time, its new events and the expected decisions. A step's
 * history is the case's history followed by what the earlier steps
 * appended (or the rewritten history after a rewind), as the daemon would
 * keep it. Every step is run twice to check that the output is identical.
 *
 * TH_GOLDEN_UPDATE=1 rewrites the "expect" objects from the engine's
 * output; the committed files were checked by hand against the spec.
 */
#include "config.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/status.h"
#include "common/timefmt.h"
#include "core/core.h"
#include "orchestrators.h"
#include "tap.h"

/* ---- reading cases ---- */

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static long long
jint(struct json_object *o, const char *key, long long def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return def;
	return json_object_get_int64(v);
}

static int64_t
jtime(struct json_object *o, const char *key)
{
	const char *s = jstr(o, key);
	int64_t us = 0;

	if (s != NULL && timefmt_parse(s, &us) < 0)
		tap_bail("bad time %s", s);
	return us;
}

static void
read_event(struct json_object *j, struct core_event *ev)
{
	const char *type = jstr(j, "type");

	memset(ev, 0, sizeof(*ev));
	if (type == NULL || (ev->type = event_type_parse(type)) < 0)
		tap_bail("bad event type %s", type ? type : "(none)");
	ev->event_id = (int32_t)jint(j, "id", -1);
	ev->task_id = (int32_t)jint(j, "task", -1);
	if (ev->type == EVENT_EXECUTION_COMPLETED && jstr(j, "status") != NULL)
		ev->task_id = status_parse(jstr(j, "status"));
	ev->timestamp = jtime(j, "ts");
	ev->fire_at = jtime(j, "fire_at");
	ev->name = jstr(j, "name");
	ev->version = jstr(j, "version");
	ev->instance_id = jstr(j, "instance");
	ev->execution_id = jstr(j, "execution");
	ev->data = jstr(j, "data");
	ev->detail = jstr(j, "detail");
}

static struct core_event *
read_events(struct json_object *parent, const char *key, size_t *n)
{
	struct json_object *arr;
	struct core_event *ev;
	size_t i;

	*n = 0;
	if (!json_object_object_get_ex(parent, key, &arr))
		return NULL;
	*n = json_object_array_length(arr);
	ev = calloc(*n ? *n : 1, sizeof(*ev));
	for (i = 0; i < *n; i++)
		read_event(json_object_array_get_idx(arr, i), &ev[i]);
	return ev;
}

/* ---- rendering decisions ---- */

static void
put_str(struct json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void
put_time(struct json_object *o, const char *k, int64_t us)
{
	char t[TIMEFMT_MAX];

	timefmt_precise(us, t);
	json_object_object_add(o, k, json_object_new_string(t));
}

static struct json_object *
render_event(const struct core_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(event_type_name(ev->type)));
	if (ev->event_id != -1)
		json_object_object_add(o, "id", json_object_new_int(ev->event_id));
	if (ev->type == EVENT_EXECUTION_COMPLETED || ev->type == EVENT_CONTINUE_AS_NEW)
		json_object_object_add(o, "status", json_object_new_string(status_name(ev->task_id)));
	else if (ev->task_id != -1)
		json_object_object_add(o, "task", json_object_new_int(ev->task_id));
	put_time(o, "ts", ev->timestamp);
	if (ev->fire_at != 0)
		put_time(o, "fire_at", ev->fire_at);
	put_str(o, "name", ev->name);
	put_str(o, "version", ev->version);
	put_str(o, "instance", ev->instance_id);
	put_str(o, "execution", ev->execution_id);
	put_str(o, "data", ev->data);
	put_str(o, "detail", ev->detail);
	return o;
}

static struct json_object *
render_events(const struct core_event *ev, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, render_event(&ev[i]));
	return a;
}

static const char *const act_names[] = {"?", "Activity", "Timer", "SubOrchestration", "SendEvent"};

static struct json_object *
render_out(const struct core_episode_out *out)
{
	struct json_object *o = json_object_new_object(), *acts;
	size_t i;

	if (out->discard) {
		json_object_object_add(o, "discard", json_object_new_boolean(1));
		return o;
	}
	json_object_object_add(o, "status", json_object_new_string(status_name(out->status)));
	put_str(o, "output", out->output);
	put_str(o, "failure", out->failure);
	if (out->custom_status_set)
		json_object_object_add(o, "custom_status",
				       out->custom_status ? json_object_new_string(out->custom_status) : NULL);
	if (out->rewrite)
		json_object_object_add(o, "history", render_events(out->history, out->n_history));
	else
		json_object_object_add(o, "append", render_events(out->append, out->n_append));
	acts = json_object_new_array();
	for (i = 0; i < out->n_actions; i++) {
		const struct core_action *a = &out->actions[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "kind", json_object_new_string(act_names[a->kind & 7 ? a->kind : 0]));
		json_object_object_add(j, "id", json_object_new_int(a->id));
		put_str(j, "name", a->name);
		put_str(j, "instance", a->instance_id);
		put_str(j, "execution", a->execution_id);
		put_str(j, "input", a->input);
		if (a->kind == CORE_ACT_TIMER)
			put_time(j, "fire_at", a->fire_at);
		json_object_array_add(acts, j);
	}
	json_object_object_add(o, "actions", acts);
	put_str(o, "new_execution_id", out->new_execution_id);
	if (out->status == STATUS_CONTINUED_AS_NEW)
		json_object_object_add(o, "carry", render_events(out->carry, out->n_carry));
	return o;
}

/* ---- running cases ---- */

static int update;

static void
run_case(const char *path, const char *file)
{
	struct json_object *c = json_object_from_file(path), *steps;
	struct core_event *hist, *events;
	size_t n_hist, n_events, s, i;
	const char *orch;
	int changed = 0;
	/* Arenas and histories of earlier steps stay alive: later steps borrow. */
	void *keep[256];
	struct core_arena *arenas[64];
	size_t n_keep = 0, n_arenas = 0;

	if (c == NULL)
		tap_bail("cannot read %s", path);
	orch = jstr(c, "orchestrator");
	hist = read_events(c, "history", &n_hist);
	keep[n_keep++] = hist;
	if (!json_object_object_get_ex(c, "steps", &steps))
		tap_bail("%s: no steps", file);
	for (s = 0; s < json_object_array_length(steps); s++) {
		struct json_object *step = json_object_array_get_idx(steps, s), *want = NULL, *got;
		struct core_episode_in in;
		struct core_episode_out out, out2;
		struct core_arena *a = core_arena_new(), *a2 = core_arena_new();
		const char *gs, *gs2;
		enum core_err err;

		if (n_keep + 3 > sizeof(keep) / sizeof(keep[0]) || n_arenas == sizeof(arenas) / sizeof(arenas[0]))
			tap_bail("%s: too many steps", file);
		if (a == NULL || a2 == NULL) {
			core_arena_free(a);
			core_arena_free(a2);
			tap_bail("%s: out of memory for an arena", file);
		}
		events = read_events(step, "events", &n_events);
		keep[n_keep++] = events;
		memset(&in, 0, sizeof(in));
		in.instance_id = jstr(c, "instance_id") ? jstr(c, "instance_id") : "inst";
		in.execution_id = jstr(c, "execution_id") ? jstr(c, "execution_id") : "exec1";
		in.name = orch;
		in.fn = orch_lookup(orch);
		in.max_actions = (uint32_t)jint(c, "max_actions", 0);
		in.history = hist;
		in.n_history = n_hist;
		in.events = events;
		in.n_events = n_events;
		in.now = jtime(step, "now");

		err = core_episode_run(&in, a, &out);
		is_int(err, CORE_OK, "%s step %zu: runs", file, s + 1);
		got = render_out(&out);
		gs = json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		core_episode_run(&in, a2, &out2);
		{
			struct json_object *got2 = render_out(&out2);

			gs2 = json_object_to_json_string_ext(got2,
							     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			is_str(gs2, gs, "%s step %zu: deterministic", file, s + 1);
			json_object_put(got2);
		}
		if (update) {
			json_object_object_add(step, "expect", json_object_get(got));
			changed = 1;
		} else if (!json_object_object_get_ex(step, "expect", &want)) {
			ok(0, "%s step %zu: has an expectation", file, s + 1);
		} else if (!ok(json_object_equal(want, got), "%s step %zu: decisions as expected", file, s + 1)) {
			diag("want %s", json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN |
										     JSON_C_TO_STRING_NOSLASHESCAPE));
			diag("got  %s", gs);
		}

		/* The next step sees the history as the daemon keeps it. */
		if (!out.discard) {
			struct core_event *nh;
			size_t nn;

			if (out.rewrite) {
				nn = out.n_history;
				nh = calloc(nn ? nn : 1, sizeof(*nh));
				memcpy(nh, out.history, nn * sizeof(*nh));
			} else {
				nn = n_hist + out.n_append;
				nh = calloc(nn ? nn : 1, sizeof(*nh));
				if (n_hist > 0)
					memcpy(nh, hist, n_hist * sizeof(*nh));
				memcpy(nh + n_hist, out.append, out.n_append * sizeof(*nh));
			}
			/* Strings of the new history live in arena a: keep it. */
			for (i = 0; i < nn; i++)
				nh[i].flags = 0;
			hist = nh;
			n_hist = nn;
			keep[n_keep++] = nh;
		}
		json_object_put(got);
		core_arena_free(a2);
		arenas[n_arenas++] = a;
	}
	if (changed &&
	    json_object_to_file_ext(
		    path, c, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
		tap_bail("cannot write %s", path);
	json_object_put(c);
	for (i = 0; i < n_keep; i++)
		free(keep[i]);
	for (i = 0; i < n_arenas; i++)
		core_arena_free(arenas[i]);
}

static int
golden_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("top_srcdir");
	struct dirent **list;
	char dir[4096], path[8192];
	int n, i;

	update = getenv("TH_GOLDEN_UPDATE") != NULL && strcmp(getenv("TH_GOLDEN_UPDATE"), "1") == 0;
	snprintf(dir, sizeof(dir), "%s/tests/core/golden", src ? src : ".");
	if ((n = scandir(dir, &list, golden_filter, alphasort)) < 0)
		tap_bail("cannot list %s", dir);
	for (i = 0; i < n; i++) {
		if (argc < 2 || strstr(list[i]->d_name, argv[1]) != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			run_case(path, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return tap_done();
}
