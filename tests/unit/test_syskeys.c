/*
 * test_syskeys.c — the system keys file: one key per line, '#' comments,
 * and a line longer than any key skipped whole (its tail must never read
 * as a key of its own).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/syskeys.h"
#include "tap.h"

int
main(void)
{
	char path[] = "/tmp/taskhub-keys-XXXXXX";
	char **keys = NULL;
	size_t n = 0;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		tap_bail("mkstemp");
	fprintf(f, "# system keys\nfirstkey\n\n# %0300dtailsecret\n", 0);
	fprintf(f, "%0400dlongkeytail\nsecondkey\n", 0);
	fclose(f);
	ok(syskeys_load(path, &keys, &n) == 0, "the keys file loads");
	is_int((int)n, 2, "two keys: the long lines are skipped whole");
	ok(n == 2 && strcmp(keys[0], "firstkey") == 0 && strcmp(keys[1], "secondkey") == 0, "firstkey and secondkey");
	ok(!syskeys_match(keys, n, "tailsecret"), "the tail of a long comment is not a key");
	ok(!syskeys_match(keys, n, "longkeytail"), "nor the tail of an over-long key");
	ok(syskeys_match(keys, n, "secondkey"), "a real key matches");
	syskeys_free(keys, n);
	unlink(path);
	return tap_done();
}
