/*
 * fuzz_app.c — the function app loader (app_load): host.json and the
 * function.json files of three function folders, written to a temporary
 * function app for each input and loaded as taskhubd loads it. Beside the
 * folders the app holds an executable (run.sh), a plain file (data.txt)
 * and a file named like a shared object that is none (lib.so), so that
 * scriptFile can name each kind of target, inside or (by "..", absolute
 * paths) outside the app.
 *
 * Input: host.json, a line "%%", then the function.json of Alpha, "%%",
 * that of alpha (the same name in another case), "%%", that of Beta. A
 * part that is absent leaves its file out; with no "%%" at all the input is
 * Alpha's function.json and there is no host.json.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/app.h"
#include "fuzz/fuzz.h"
#include "testenv.h"

#define FUZZ_APP_SEP "\n%%\n"

static const char *const fuzz_app_files[] = {"host.json", "Alpha/function.json", "alpha/function.json",
					      "Beta/function.json"};
#define FUZZ_APP_NFILES (sizeof(fuzz_app_files) / sizeof(fuzz_app_files[0]))

static char fuzz_app_dir[600];

static void
fuzz_app_put(const char *name, const void *p, size_t n, mode_t mode)
{
	char path[800];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_app_dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 || write(fd, p, n) != (ssize_t)n ||
	    close(fd) == -1)
		fuzz_fail("cannot write %s", path);
}

static void
fuzz_app_setup(void)
{
	const char *dirs[] = {"Alpha", "alpha", "Beta"};
	const char *sh = "#!/bin/sh\nexit 0\n";
	char path[800];

	snprintf(fuzz_app_dir, sizeof(fuzz_app_dir), "%s/app", testenv_dir());
	if (mkdir(fuzz_app_dir, 0755) == -1)
		fuzz_fail("mkdir %s", fuzz_app_dir);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_app_dir, dirs[i]);
		if (mkdir(path, 0755) == -1)
			fuzz_fail("mkdir %s", path);
	}
	fuzz_app_put("run.sh", sh, strlen(sh), 0755);
	fuzz_app_put("Beta/run.sh", sh, strlen(sh), 0755);
	fuzz_app_put("data.txt", "data\n", 5, 0644);
	fuzz_app_put("lib.so", "not an ELF object\n", 18, 0644);
}

/* What app_load promises about an app it loaded. */
static void
fuzz_app_check(const struct app *a)
{
	size_t dl = strlen(a->dir);

	for (size_t i = 0; i < a->n; i++) {
		const struct app_fn *f = &a->fns[i];

		if (f->kind < APP_ORCHESTRATOR || f->kind > APP_ENTITY || f->name == NULL || f->dir == NULL)
			fuzz_fail("function %zu is incomplete", i);
		if (f->script == NULL || strncmp(f->script, a->dir, dl) != 0 || f->script[dl] != '/')
			fuzz_fail("function '%s': scriptFile %s is outside %s", f->name, f->script ? f->script : "-",
				  a->dir);
		if (f->exe == (f->sym != NULL))
			fuzz_fail("function '%s' is both or neither an executable and a symbol", f->name);
		for (size_t j = 0; j < i; j++)
			if (a->fns[j].kind == f->kind && strcasecmp(a->fns[j].name, f->name) == 0)
				fuzz_fail("function '%s' is loaded twice", f->name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct app a;
	size_t i;

	if (fuzz_app_dir[0] == '\0')
		fuzz_app_setup();
	for (i = 0; i < FUZZ_APP_NFILES; i++) {
		char path[800];

		snprintf(path, sizeof(path), "%s/%s", fuzz_app_dir, fuzz_app_files[i]);
		unlink(path);
	}
	if (memmem(p, size, FUZZ_APP_SEP, 4) == NULL)
		fuzz_app_put(fuzz_app_files[1], p, size, 0644);
	else
		for (i = 0; i < FUZZ_APP_NFILES && p != NULL; i++) {
			const char *sep = memmem(p, (size_t)(end - p), FUZZ_APP_SEP, 4);
			size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);

			fuzz_app_put(fuzz_app_files[i], p, n, 0644);
			p = sep ? sep + 4 : NULL;
		}
	if (app_load(fuzz_app_dir, 2, &a) == 0) {
		fuzz_app_check(&a);
		app_free(&a);
	}
	return 0;
}
