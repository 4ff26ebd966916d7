/*
 * api_hostjson.c — the one host.json setting the responder needs:
 * extensions.durableTask.overridableExistingInstanceStates ("AnyState"
 * lets a start replace an instance in any state; the default,
 * "NonRunningStates", only a finished one). Read once at start-up from the
 * function app named by `app` in taskhub.conf.
 */
#include "config.h"

#include <errno.h>

#include "api/api_int.h"
#include "common/hostjson.h"
#include "common/log.h"

int
api_hostjson_load(struct api_server *srv)
{
	struct hostjson h;
	char err[512];

	srv->override_any = 0;
	if (srv->conf.app[0] == '\0')
		return 0;
	hostjson_defaults(&h, 1);
	if (hostjson_load(srv->conf.app, &h, err, sizeof(err)) == -1) {
		int saved = errno; /* ENOMEM: main() answers 503, not 500 */

		log_warnx("%s", err);
		errno = saved;
		return -1;
	}
	srv->override_any = h.override_any;
	return 0;
}
