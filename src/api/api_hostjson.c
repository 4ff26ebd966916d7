/*
 * api_hostjson.c — the one host.json setting the responder needs:
 * extensions.durableTask.overridableExistingInstanceStates ("AnyState"
 * lets a start replace an instance in any state; the default,
 * "NonRunningStates", only a finished one). Read once at start-up from the
 * function app named by `app` in taskhub.conf.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "common/log.h"

int
api_hostjson_load(struct api_server *srv)
{
	char path[CONF_PATH_MAX + 16];
	struct json_object *root, *ext, *dt, *v;
	const char *s;

	srv->override_any = 0;
	if (srv->conf.app[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "%s/host.json", srv->conf.app);
	if ((root = json_object_from_file(path)) == NULL) {
		/* A function app without host.json takes every default. */
		return 0;
	}
	if (json_object_object_get_ex(root, "extensions", &ext) && json_object_object_get_ex(ext, "durableTask", &dt) &&
	    json_object_object_get_ex(dt, "overridableExistingInstanceStates", &v)) {
		s = json_object_get_string(v);
		if (s != NULL && strcasecmp(s, "AnyState") == 0)
			srv->override_any = 1;
		else if (s == NULL || strcasecmp(s, "NonRunningStates") != 0) {
			log_warnx("%s: overridableExistingInstanceStates must be AnyState or NonRunningStates", path);
			json_object_put(root);
			return -1;
		}
	}
	json_object_put(root);
	return 0;
}
