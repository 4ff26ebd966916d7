/*
 * api_auth.c — system keys: loaded once from keys-file, compared in
 * constant time. Keys never reach a log line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "common/log.h"

#define AUTH_KEY_MAX  256
#define AUTH_KEYS_MAX 64

int
api_auth_load(struct api_server *srv)
{
	char line[AUTH_KEY_MAX + 4];
	FILE *f;

	srv->keys = calloc(AUTH_KEYS_MAX + 1, sizeof(*srv->keys));
	srv->nkeys = 0;
	if (srv->keys == NULL)
		return -1;
	if (srv->conf.anonymous)
		return 0;
	if ((f = fopen(srv->conf.keys_file, "r")) == NULL) {
		log_warn("keys file %s (every request will get 401)", srv->conf.keys_file);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL && srv->nkeys < AUTH_KEYS_MAX) {
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((srv->keys[srv->nkeys] = strdup(line)) == NULL)
			break;
		srv->nkeys++;
	}
	fclose(f);
	return 0;
}

/* Compares every byte of the stored key whatever the presented one holds,
 * so the time taken does not tell how much of a guess was right. */
static int
api_key_equal(const char *stored, const char *given)
{
	size_t sl = strlen(stored), gl = strlen(given), i;
	unsigned char diff = (unsigned char)(sl != gl);

	for (i = 0; i < sl; i++)
		diff |= (unsigned char)(stored[i] ^ (i < gl ? given[i] : 0));
	return diff == 0;
}

const char *
api_auth_check(struct api_ctx *c)
{
	const char *given = api_query_get(&c->q, "code");
	size_t i;
	int match = 0;

	if (given == NULL)
		given = c->req->functions_key;
	if (c->srv->conf.anonymous)
		return given != NULL ? given : "";
	if (given == NULL || strlen(given) > AUTH_KEY_MAX)
		return NULL;
	for (i = 0; i < c->srv->nkeys; i++)
		match |= api_key_equal(c->srv->keys[i], given);
	return match ? given : NULL;
}
