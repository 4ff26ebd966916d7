/*
 * test_space.c — the store's defences against a full file system
 * (store_space.c): region files backed by blocks after every open, and
 * writing transactions refused with STORE_NOSPACE while less than
 * min_free_bytes is free, while reads and hub opens go on. (The whole
 * story, with a real full tmpfs behind a web server and the daemon, is
 * tests/e2e/test_diskfull.py.)
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "store/store.h"
#include "tap.h"
#include "testenv.h"

static struct store *
open_with(const char *home, uint64_t min_free)
{
	struct store_options o;
	struct store *st;
	enum store_err e;

	store_options_init(&o);
	o.durability = STORE_DURABLE_WRITE_NOSYNC;
	o.create = 1;
	o.min_free_bytes = min_free;
	if ((e = store_open(home, &o, &st)) != STORE_OK)
		tap_bail("store_open %s: %s", home, store_strerror(e));
	return st;
}

/* Region files (__db.001 ...) of home, and how many are sparse. */
static void
regions(const char *home, int *n, int *sparse)
{
	char path[1400];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	*n = *sparse = 0;
	if ((d = opendir(home)) == NULL)
		tap_bail("opendir %s", home);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "__db.0", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", home, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		(*n)++;
		if ((off_t)sb.st_blocks * 512 < sb.st_size)
			(*sparse)++;
	}
	closedir(d);
}

static enum store_err
read_body(struct store_txn *tx, void *arg)
{
	struct store_instance r;
	enum store_err e;

	e = store_instance_get(tx, arg, "before", 0, &r);
	if (e == STORE_OK)
		store_instance_clear(&r);
	return e;
}

static enum store_err
publish_body(struct store_txn *tx, void *arg)
{
	struct store_function f = {STORE_FN_ORCHESTRATOR, "Orch", "orch.so", "orch"};

	return store_function_publish(tx, arg, &f, 1);
}

static enum store_err
start(struct store *st, struct store_hub *h, const char *id)
{
	struct store_create c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.name = "Orch";
	c.execution_id = "exec-1";
	c.input = "1";
	c.now = 1700000000000000;
	c.parent_task_id = -1;
	return store_start(st, h, &c);
}

int
main(void)
{
	char home[1024];
	struct store *st;
	struct store_hub *h;
	int n, sparse;

	log_init("test_space", 0);
	snprintf(home, sizeof(home), "%s/env", testenv_dir());

	st = open_with(home, 0);
	regions(home, &n, &sparse);
	ok(n >= 1 && sparse == 0, "after an open, every region file has its blocks (%d files, %d sparse)", n, sparse);
	is_int(store_hub_create(st, "TestHub"), STORE_OK, "hub created");
	if (store_hub_open(st, "TestHub", &h) != STORE_OK)
		tap_bail("hub open");
	is_int(store_txn_run(st, 0, publish_body, h), STORE_OK, "function registry published");
	is_int(start(st, h, "before"), STORE_OK, "min_free_bytes 0: a start is written");
	store_close(st);

	/* More than any file system has free: every write must be refused
	 * before it reaches Berkeley DB. */
	st = open_with(home, UINT64_C(1) << 62);
	is_int(store_hub_open(st, "TestHub", &h), STORE_OK, "no room: an existing hub still opens");
	is_int(start(st, h, "refused"), STORE_NOSPACE, "no room: a start is refused with STORE_NOSPACE");
	is_int(store_hub_create(st, "OtherHub"), STORE_NOSPACE, "no room: a hub creation is refused");
	is_int(store_txn_run(st, STORE_TXN_READONLY, read_body, h), STORE_OK, "no room: reads go on");
	store_close(st);

	st = open_with(home, 1);
	if (store_hub_open(st, "TestHub", &h) != STORE_OK)
		tap_bail("hub open");
	is_int(store_txn_run(st, STORE_TXN_READONLY, read_body, h), STORE_OK, "room again: the first start is there");
	is_int(start(st, h, "after"), STORE_OK, "room again: starts are written");
	is_int(start(st, h, "refused"), STORE_OK, "the refused start was never half written: it starts afresh");
	{
		char *report = NULL;
		unsigned problems = 0;

		ok(store_hub_check(st, h, &report, &problems) == STORE_OK && problems == 0, "the hub checks clean%s%s",
		   report ? ": " : "", report ? report : "");
		free(report);
	}
	store_close(st);
	return tap_done();
}
