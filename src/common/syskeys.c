/*
 * syskeys.c — reading the system keys file and checking a presented key.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/syskeys.h"

int
syskeys_load(const char *path, char ***keys, size_t *n)
{
	char line[SYSKEYS_KEY_MAX + 4];
	FILE *f;
	int saved;

	*n = 0;
	if ((*keys = calloc(SYSKEYS_MAX + 1, sizeof(**keys))) == NULL)
		return -1;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && *n < SYSKEYS_MAX) {
		size_t len = strcspn(line, "\r\n");

		if (line[len] == '\0' && !feof(f)) {
			/* A line longer than any key (a long comment, a key past
			 * the cap): skip all of it, so that its tail never reads
			 * as a key of its own. */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (((*keys)[*n] = strdup(line)) == NULL) {
			/* All or nothing: a list cut short would refuse the
			 * keys after this one with 401 and say nothing. */
			fclose(f);
			syskeys_free(*keys, *n);
			*keys = NULL;
			*n = 0;
			errno = ENOMEM;
			return -1;
		}
		(*n)++;
	}
	saved = errno;
	fclose(f);
	errno = saved;
	return 0;
}

void
syskeys_free(char **keys, size_t n)
{
	size_t i;

	if (keys == NULL)
		return;
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

static int
syskeys_equal(const char *stored, const char *given)
{
	size_t sl = strlen(stored), gl = strlen(given), i;
	unsigned char diff = (unsigned char)(sl != gl);

	for (i = 0; i < sl; i++)
		diff |= (unsigned char)(stored[i] ^ (i < gl ? given[i] : 0));
	return diff == 0;
}

int
syskeys_match(char *const *keys, size_t n, const char *given)
{
	size_t i;
	int match = 0;

	if (given == NULL || strlen(given) > SYSKEYS_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		match |= syskeys_equal(keys[i], given);
	return match;
}
