/*
 * testenv.c — temporary environments for the store tests.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "tap.h"
#include "testenv.h"

static char testenv_path[512];
static pid_t testenv_owner;

int
testenv_rmtree(const char *path)
{
	DIR *d;
	struct dirent *de;
	char sub[1024];
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		testenv_rmtree(sub);
	}
	closedir(d);
	return rmdir(path);
}

static void
testenv_cleanup(void)
{
	if (testenv_path[0] != '\0' && getpid() == testenv_owner && getenv("TASKHUB_KEEP_TEST_DIRS") == NULL)
		testenv_rmtree(testenv_path);
}

const char *
testenv_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (testenv_path[0] != '\0')
		return testenv_path;
	snprintf(testenv_path, sizeof(testenv_path), "%s/taskhub-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(testenv_path) == NULL)
		tap_bail("mkdtemp %s", testenv_path);
	/* World-searchable so a test may run a victim under another user. */
	chmod(testenv_path, 0755);
	testenv_owner = getpid();
	atexit(testenv_cleanup);
	return testenv_path;
}

struct store *
testenv_open(const char *sub, enum store_durability dur)
{
	struct store_options o;
	struct store *st;
	char path[1024];
	enum store_err e;

	log_init("test", 0);
	snprintf(path, sizeof(path), "%s/%s", testenv_dir(), sub);
	store_options_init(&o);
	o.durability = dur;
	o.create = 1;
	o.lock_timeout_ms = 200;
	if ((e = store_open(path, &o, &st)) != STORE_OK)
		tap_bail("store_open %s: %s", path, store_strerror(e));
	return st;
}

struct store_hub *
testenv_hub(struct store *st)
{
	struct store_hub *h;
	enum store_err e;

	e = store_hub_open(st, "TestHub", &h);
	if (e == STORE_NOHUB) {
		if ((e = store_hub_create(st, "TestHub")) != STORE_OK)
			tap_bail("store_hub_create: %s", store_strerror(e));
		e = store_hub_open(st, "TestHub", &h);
	}
	if (e != STORE_OK)
		tap_bail("store_hub_open: %s", store_strerror(e));
	return h;
}
