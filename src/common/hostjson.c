/*
 * hostjson.c — host.json settings (spec §7). Unknown settings are ignored,
 * as the Functions host does; a known one with a wrong type or range is an
 * error, so a typo in a limit never silently becomes the default.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Digits only (no sign, no blanks), at most max; advances *s. */
static int
hostjson_num(const char **s, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (unsigned long)(*p - '0')) > max)
			return -1;
	*s = p;
	*out = (unsigned)v;
	return 0;
}

/*
 * functionTimeout is a .NET TimeSpan: [d.]hh:mm:ss[.fffffff]. Parsed by
 * hand: sscanf's %u takes a sign and wraps large numbers, and a day count
 * beyond TimeSpan's own limit overflowed the microseconds.
 */
#define HOSTJSON_MAX_DAYS 10675199u /* TimeSpan.MaxValue.Days */
static int
hostjson_timespan(const char *s, int64_t *us)
{
	unsigned d = 0, hh, mm, ss, frac = 0;
	const char *p = s;

	if (hostjson_num(&p, HOSTJSON_MAX_DAYS, &hh) == -1)
		return -1;
	if (*p == '.') {
		p++;
		d = hh;
		if (hostjson_num(&p, 23, &hh) == -1)
			return -1;
	} else if (hh > 23)
		return -1;
	if (*p++ != ':' || hostjson_num(&p, 59, &mm) == -1 || *p++ != ':' || hostjson_num(&p, 59, &ss) == -1)
		return -1;
	if (*p == '.') {
		/* One to seven digits (100 ns ticks); microseconds are kept. */
		int nd = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
			if (nd == 7)
				return -1;
			if (nd < 6)
				frac = frac * 10 + (unsigned)(*p - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	if (*p != '\0')
		return -1;
	*us = (((int64_t)d * 86400 + hh * 3600 + mm * 60 + ss) * 1000000) + frac;
	return 0;
}

int
hostjson_parse(const char *text, size_t len, const char *path, struct hostjson *h, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root = NULL, *ext, *dt, *v;
	const char *s;
	int rc = -1;

	if (len > HOSTJSON_MAX || (tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "%s: larger than %d bytes, or out of memory", path, HOSTJSON_MAX);
		return -1;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	/* Whitespace may follow the object; anything else is a broken file. */
	for (size_t i = root != NULL ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (strchr(" \t\r\n", text[i]) == NULL || text[i] == '\0') {
			json_object_put(root);
			root = NULL;
			break;
		}
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
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

int
hostjson_load(const char *app_dir, struct hostjson *h, char *err, size_t errlen)
{
	char path[4200], *text;
	size_t len;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/host.json", app_dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0; /* a function app without host.json takes every default */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte more than the cap tells a file that is too large. */
	if ((text = malloc(HOSTJSON_MAX + 1)) == NULL) {
		fclose(f);
		errno = ENOMEM; /* the caller tells a shortage from a bad file by it */
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	len = fread(text, 1, HOSTJSON_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	} else
		rc = hostjson_parse(text, len, path, h, err, errlen);
	fclose(f);
	free(text);
	return rc;
}
