/*
 * store_check.c — record counts and the logical integrity check of a hub
 * (taskhubctl stats / check). db_verify reads the files directly, which is
 * unsafe while other processes write them, so the check walks every
 * database through the environment instead.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/status.h"
#include "store/store_int.h"

static enum store_err
count_db(struct store_txn *tx, DB *db, uint64_t *n)
{
	DBC *c;
	DBT k, d;
	int ret;

	*n = 0;
	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	d.flags = DB_DBT_PARTIAL;
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0)
		(*n)++;
	ret = store_cursor_close(c, ret);
	return ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

struct stats_arg {
	struct store_hub *h;
	struct store_stats *s;
};

static enum store_err
stats_txn(struct store_txn *tx, void *arg)
{
	struct stats_arg *a = arg;
	struct store_hub *h = a->h;
	struct store_stats *s = a->s;
	enum store_err e;

	memset(s, 0, sizeof(*s));
	if ((e = count_db(tx, h->instances, &s->instances)) != STORE_OK ||
	    (e = count_db(tx, h->history, &s->history)) != STORE_OK ||
	    (e = count_db(tx, h->inbox, &s->inbox)) != STORE_OK ||
	    (e = count_db(tx, h->ready, &s->ready)) != STORE_OK ||
	    (e = count_db(tx, h->tasks, &s->tasks)) != STORE_OK ||
	    (e = count_db(tx, h->timers, &s->timers)) != STORE_OK ||
	    (e = count_db(tx, h->functions, &s->functions)) != STORE_OK ||
	    (e = count_db(tx, h->entities, &s->entities)) != STORE_OK)
		return e;
	return store_instance_counts(tx, h, s->by_status);
}

enum store_err
store_hub_stats(struct store *st, struct store_hub *h, struct store_stats *out)
{
	struct stats_arg a = {h, out};

	return store_txn_run(st, STORE_TXN_READONLY, stats_txn, &a);
}

/* ---- check ------------------------------------------------------------- */

struct check {
	struct store_hub *h;
	char *report;
	size_t len;
	unsigned problems;
};

static void __attribute__((format(printf, 2, 3))) check_fail(struct check *ck, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	char *nr;
	int n;

	ck->problems++;
	if (ck->problems > 1000)
		return; /* a report, not a dump */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if ((nr = realloc(ck->report, ck->len + (size_t)n + 1)) == NULL)
		return;
	ck->report = nr;
	memcpy(ck->report + ck->len, line, (size_t)n);
	ck->len += (size_t)n;
	ck->report[ck->len] = '\0';
}

static int
key_exists(struct store_txn *tx, DB *db, const void *key, size_t len)
{
	DBT k, d;

	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = (void *)key;
	k.size = (u_int32_t)len;
	d.flags = DB_DBT_PARTIAL;
	return db->get(db, tx->txn, &k, &d, 0) == 0;
}

/* Instances: decode, and both index entries present. */
static enum store_err
check_instances(struct store_txn *tx, struct check *ck, uint64_t *ninst)
{
	struct store_hub *h = ck->h;
	unsigned char sk[9 + KEY_MAX];
	DBC *c;
	DBT k, d;
	int ret;

	*ninst = 0;
	if ((ret = h->instances->cursor(h->instances, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		struct store_instance r;
		int status;
		int64_t created;

		(*ninst)++;
		memset(&r, 0, sizeof(r));
		if (k.size > KEY_MAX || codec_instance_decode(d.data, d.size, 1, &r) != STORE_OK ||
		    codec_instance_peek(d.data, d.size, &status, &created) == -1) {
			check_fail(ck, "instance '%.*s': record does not decode", (int)k.size, (char *)k.data);
			continue;
		}
		store_instance_clear(&r);
		codec_be64(sk, (uint64_t)created);
		memcpy(sk + 8, k.data, k.size);
		if (!key_exists(tx, h->idx_created, sk, 8 + k.size))
			check_fail(ck, "instance '%.*s': missing from the created-time index", (int)k.size,
				   (char *)k.data);
		sk[0] = (unsigned char)status;
		codec_be64(sk + 1, (uint64_t)created);
		memcpy(sk + 9, k.data, k.size);
		if (!key_exists(tx, h->idx_status, sk, 9 + k.size))
			check_fail(ck, "instance '%.*s': missing from the status index", (int)k.size, (char *)k.data);
	}
	ret = store_cursor_close(c, ret);
	return ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

/* History and inbox: decode, and the owner exists (inbox also: is ready). */
static enum store_err
check_events(struct store_txn *tx, struct check *ck, DB *db, const char *what, int inbox)
{
	struct store_hub *h = ck->h;
	char last[KEY_MAX + 1] = "";
	DBC *c;
	DBT k, d;
	int ret;

	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		struct store_event ev;
		const char *p = k.data;
		size_t idlen = strnlen(p, k.size);

		memset(&ev, 0, sizeof(ev));
		if (idlen == k.size || k.size - idlen - 1 != (inbox ? 8u : 4u) ||
		    codec_event_decode(d.data, d.size, &ev) != STORE_OK) {
			check_fail(ck, "%s record of '%.*s' does not decode", what, (int)idlen, p);
			continue;
		}
		store_event_clear(&ev);
		if (idlen == strlen(last) && memcmp(p, last, idlen) == 0)
			continue; /* owner already checked */
		memcpy(last, p, idlen);
		last[idlen] = '\0';
		/* "/@name@key" is an entity's held queue (store_held_append):
		 * never on the ready queue. */
		if (inbox && last[0] == '/' && last[1] == '@')
			continue;
		if (!(inbox && last[0] == '@') && !key_exists(tx, h->instances, last, idlen))
			check_fail(ck, "%s of '%s' belongs to no instance", what, last);
		if (inbox && !key_exists(tx, h->ready, last, idlen))
			check_fail(ck, "inbox of '%s' has events but the instance is not on the ready queue", last);
	}
	ret = store_cursor_close(c, ret);
	return ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

static enum store_err
check_ready(struct store_txn *tx, struct check *ck)
{
	struct store_hub *h = ck->h;
	struct store_key pk;
	char id[KEY_MAX + 1];
	DBC *c, *ic;
	DBT k, d, ik, id_;
	int ret;

	if ((ret = h->ready->cursor(h->ready, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	if ((ret = h->inbox->cursor(h->inbox, tx->txn, &ic, 0)) != 0) {
		c->close(c);
		return store_dberr(tx->st, ret);
	}
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		int64_t when;

		if (k.size > KEY_MAX - 1 || codec_time_decode(d.data, d.size, &when) != STORE_OK) {
			check_fail(ck, "ready record does not decode");
			continue;
		}
		memcpy(id, k.data, k.size);
		id[k.size] = '\0';
		key_prefix0(&pk, id);
		memset(&ik, 0, sizeof(ik));
		memset(&id_, 0, sizeof(id_));
		ik.data = pk.b;
		ik.size = (u_int32_t)pk.len;
		id_.flags = DB_DBT_PARTIAL;
		if (ic->get(ic, &ik, &id_, DB_SET_RANGE) != 0 || ik.size < pk.len || memcmp(ik.data, pk.b, pk.len) != 0)
			check_fail(ck, "'%s' is on the ready queue with an empty inbox", id);
	}
	ret = store_cursor_close(ic, ret);
	ret = store_cursor_close(c, ret);
	return ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

/* Tasks, timers, functions, entities: every record decodes. */
static enum store_err
check_decodes(struct store_txn *tx, struct check *ck, DB *db, const char *what, int kind)
{
	DBC *c;
	DBT k, d;
	int ret;

	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		enum store_err e;

		if (kind == 0) {
			struct store_task t = {0};

			e = codec_task_decode(d.data, d.size, &t);
			store_task_clear(&t);
		} else if (kind == 1) {
			struct store_event ev = {0};

			e = codec_event_decode(d.data, d.size, &ev);
			store_event_clear(&ev);
		} else if (kind == 2) {
			struct store_function f = {0};

			e = codec_function_decode(d.data, d.size, &f);
			store_function_clear(&f);
		} else {
			struct store_entity en = {0};

			e = codec_entity_decode(d.data, d.size, 1, &en);
			store_entity_clear(&en);
		}
		if (e != STORE_OK)
			check_fail(ck, "a %s record does not decode", what);
	}
	ret = store_cursor_close(c, ret);
	return ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

static enum store_err
check_txn(struct store_txn *tx, void *arg)
{
	struct check *ck = arg;
	uint64_t ninst, ncreated, nstatus;
	enum store_err e;

	free(ck->report);
	ck->report = NULL;
	ck->len = 0;
	ck->problems = 0;
	if ((e = check_instances(tx, ck, &ninst)) != STORE_OK)
		return e;
	/* Every instance has its two index entries (above); equal counts then
	 * mean the indexes hold nothing else. */
	if ((e = count_db(tx, ck->h->idx_created, &ncreated)) != STORE_OK ||
	    (e = count_db(tx, ck->h->idx_status, &nstatus)) != STORE_OK)
		return e;
	if (ncreated != ninst)
		check_fail(ck, "created-time index has %llu entries for %llu instances", (unsigned long long)ncreated,
			   (unsigned long long)ninst);
	if (nstatus != ninst)
		check_fail(ck, "status index has %llu entries for %llu instances", (unsigned long long)nstatus,
			   (unsigned long long)ninst);
	if ((e = check_events(tx, ck, ck->h->history, "history", 0)) != STORE_OK ||
	    (e = check_events(tx, ck, ck->h->inbox, "inbox", 1)) != STORE_OK || (e = check_ready(tx, ck)) != STORE_OK ||
	    (e = check_decodes(tx, ck, ck->h->tasks, "task", 0)) != STORE_OK ||
	    (e = check_decodes(tx, ck, ck->h->timers, "timer", 1)) != STORE_OK ||
	    (e = check_decodes(tx, ck, ck->h->functions, "function", 2)) != STORE_OK ||
	    (e = check_decodes(tx, ck, ck->h->entities, "entity", 3)) != STORE_OK)
		return e;
	return STORE_OK;
}

enum store_err
store_hub_check(struct store *st, struct store_hub *h, char **report, unsigned *problems)
{
	struct check ck;
	enum store_err e;

	memset(&ck, 0, sizeof(ck));
	ck.h = h;
	/* Full isolation: a consistent picture of primary and indexes. */
	e = store_txn_run(st, 0, check_txn, &ck);
	*report = ck.report;
	*problems = ck.problems;
	return e;
}
