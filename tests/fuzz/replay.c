/*
 * replay.c — runs fuzz inputs through a target without libFuzzer, so that
 * every build (gcc, the ASan build, CI) replays the seed corpus and the
 * regression inputs. Usage: replay_<target> DIR|FILE... ; a directory is
 * read one level deep, in name order, so that the output is stable.
 * Without arguments it replays tests/fuzz/corpus/<target> (which must
 * not be empty) and tests/fuzz/regress/<target> under $top_srcdir.
 * Output is TAP: one line per input. A crash or a broken invariant aborts
 * the program, which the TAP driver reports as a failure.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"

#define REPLAY_MAX_INPUT (4u << 20) /* larger than libFuzzer's -max_len ever is here */

static unsigned replay_n;
static const char *replay_top; /* left out of the names printed */

/* Reads path whole; -1 when it cannot (reported as "not ok"). */
static int
replay_file(const char *path)
{
	struct stat sb;
	uint8_t *p;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if (fstat(fileno(f), &sb) == -1 || sb.st_size < 0 || (size_t)sb.st_size > REPLAY_MAX_INPUT)
		goto out_close;
	/* An exact-size copy: ASan sees a read one past the end. */
	if ((p = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1)) == NULL)
		goto out_close;
	if (fread(p, 1, (size_t)sb.st_size, f) == (size_t)sb.st_size) {
		fflush(stdout);
		LLVMFuzzerTestOneInput(p, (size_t)sb.st_size);
		rc = 0;
	}
	free(p);
out_close:
	fclose(f);
out:
	if (replay_top != NULL && strncmp(path, replay_top, strlen(replay_top)) == 0 && path[strlen(replay_top)] == '/')
		path += strlen(replay_top) + 1;
	printf("%s %u - %s\n", rc == 0 ? "ok" : "not ok", ++replay_n, path);
	return rc;
}

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly in dir, sorted. A missing directory is
 * fine (a target without regression inputs yet). */
static int
replay_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		if ((nv = realloc(names, (n + 1) * sizeof(*names))) == NULL || (nv[n] = strdup(de->d_name)) == NULL) {
			free(nv ? nv : names);
			closedir(d);
			return -1;
		}
		names = nv;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), replay_cmp);
	for (i = 0; i < n; i++) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && replay_file(path) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2) {
		/* Under `make check`: the target's seeds and regression inputs. */
		const char *top = getenv("top_srcdir");
		char seeds[2048], regress[2048];

		replay_top = top;

		snprintf(seeds, sizeof(seeds), "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET);
		snprintf(regress, sizeof(regress), "%s/tests/fuzz/regress/%s", top ? top : ".", FUZZ_TARGET);
		rc |= replay_dir(seeds) == -1 || replay_n == 0;
		rc |= replay_dir(regress) == -1;
		printf("1..%u\n", replay_n);
		return rc;
	}
	for (i = 1; i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (replay_dir(argv[i]) == -1) {
				printf("not ok %u - %s: cannot read the directory\n", ++replay_n, argv[i]);
				rc = 1;
			}
		} else if (replay_file(argv[i]) == -1)
			rc = 1;
	}
	if (replay_n == 0)
		printf("ok %u # SKIP no inputs\n", ++replay_n);
	printf("1..%u\n", replay_n);
	return rc;
}
