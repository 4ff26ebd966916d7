/*
 * hostjson.c — host.json settings (spec §7). Unknown settings are ignored,
 * as the Functions host does; a known one with a wrong type or range is an
 * error, so a typo in a limit never silently becomes the default.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hostjson.h"

void
hostjson_defaults(struct hostjson *h, unsigned ncpu)
{
	if (ncpu == 0)
		ncpu = 1;
	memset(h, 0, sizeof(*h));
	h->max_activities = 10 * ncpu;
	h->max_orchestrators = 10 * ncpu;
	h->max_entities = 10 * ncpu;
	h->max_actions = 100000;
	h->max_entity_batch = 5000;
	h->function_timeout_us = 0;
}

/* A positive integer setting of extensions.durableTask. */
static int
hostjson_uint(struct json_object *dt, const char *key, unsigned *out, const char *path, char *err, size_t errlen)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(dt, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || (n = json_object_get_int64(v)) < 1 || n > 1000000000) {
		snprintf(err, errlen, "%s: extensions.durableTask.%s must be a positive integer", path, key);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* functionTimeout is a .NET TimeSpan: [d.]hh:mm:ss[.fff]. */
static int
hostjson_timespan(const char *s, int64_t *us)
{
	unsigned d = 0, hh, mm;
	double ss;
	int n = 0;

	if (sscanf(s, "%u.%u:%u:%lf%n", &d, &hh, &mm, &ss, &n) == 4 && s[n] == '\0')
		;
	else if (d = 0, n = 0, sscanf(s, "%u:%u:%lf%n", &hh, &mm, &ss, &n) == 3 && s[n] == '\0')
		;
	else
		return -1;
	if (hh > 23 || mm > 59 || ss < 0 || ss >= 60)
		return -1;
	*us = ((int64_t)d * 86400 + hh * 3600 + mm * 60) * 1000000 + (int64_t)(ss * 1e6);
	return 0;
}

int
hostjson_load(const char *app_dir, struct hostjson *h, char *err, size_t errlen)
{
	char path[4200];
	struct json_object *root, *ext, *dt, *v;
	const char *s;
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/host.json", app_dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0; /* a function app without host.json takes every default */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fclose(f);
	if ((root = json_object_from_file(path)) == NULL || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_object_put(root);
		return -1;
	}
	if (json_object_object_get_ex(root, "functionTimeout", &v) && !json_object_is_type(v, json_type_null)) {
		s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || hostjson_timespan(s, &h->function_timeout_us) == -1) {
			snprintf(err, errlen, "%s: functionTimeout must be a time span like \"00:05:00\"", path);
			goto out;
		}
	}
	if (!json_object_object_get_ex(root, "extensions", &ext) || !json_object_object_get_ex(ext, "durableTask", &dt)) {
		rc = 0;
		goto out;
	}
	if (json_object_object_get_ex(dt, "overridableExistingInstanceStates", &v)) {
		s = json_object_get_string(v);
		if (s != NULL && strcasecmp(s, "AnyState") == 0)
			h->override_any = 1;
		else if (s == NULL || strcasecmp(s, "NonRunningStates") != 0) {
			snprintf(err, errlen, "%s: overridableExistingInstanceStates must be AnyState or NonRunningStates",
				 path);
			goto out;
		}
	}
	if (hostjson_uint(dt, "maxConcurrentActivityFunctions", &h->max_activities, path, err, errlen) == -1 ||
	    hostjson_uint(dt, "maxConcurrentOrchestratorFunctions", &h->max_orchestrators, path, err, errlen) == -1 ||
	    hostjson_uint(dt, "maxConcurrentEntityFunctions", &h->max_entities, path, err, errlen) == -1 ||
	    hostjson_uint(dt, "maxOrchestrationActions", &h->max_actions, path, err, errlen) == -1 ||
	    hostjson_uint(dt, "maxEntityOperationBatchSize", &h->max_entity_batch, path, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	json_object_put(root);
	return rc;
}
