/*
 * api_auth.c — system keys: loaded once from keys-file, compared in
 * constant time. Keys never reach a log line.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "api/api_int.h"
#include "common/log.h"
#include "common/syskeys.h"

int
api_auth_load(struct api_server *srv)
{
	srv->keys = NULL;
	srv->nkeys = 0;
	if (srv->conf.anonymous) {
		srv->keys = calloc(1, sizeof(*srv->keys));
		return srv->keys != NULL ? 0 : -1;
	}
	if (syskeys_load(srv->conf.keys_file, &srv->keys, &srv->nkeys) == -1) {
		if (srv->keys == NULL)
			return -1;
		log_warn("keys file %s (every request will get 401)", srv->conf.keys_file);
	}
	return 0;
}

const char *
api_auth_check(struct api_ctx *c)
{
	const char *given = api_query_get(&c->q, "code");

	if (given == NULL)
		given = c->req->functions_key;
	if (c->srv->conf.anonymous)
		return given != NULL ? given : "";
	return syskeys_match(c->srv->keys, c->srv->nkeys, given) ? given : NULL;
}
