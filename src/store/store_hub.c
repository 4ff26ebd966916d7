/*
 * store_hub.c — task hubs: the environment's catalog of hubs, and the
 * databases each hub owns (all as named databases in one file,
 * hub_<name>.db, so that deleting a hub is one file removal).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/ids.h"
#include "common/log.h"
#include "store/store_int.h"

#define HUB_SCHEMA 1

/* Secondary key of idx_created: be64(created) ‖ instanceId. */
static int
hub_idx_created(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	unsigned char *k;
	int64_t created;
	int status;

	(void)sec;
	if (codec_instance_peek(pdata->data, pdata->size, &status, &created) == -1)
		return DB_DONOTINDEX; /* check reports the undecodable record */
	if ((k = malloc(8 + pkey->size)) == NULL)
		return ENOMEM;
	codec_be64(k, (uint64_t)created);
	memcpy(k + 8, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 8 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC; /* Berkeley DB frees it */
	return 0;
}

/* Secondary key of idx_status: status ‖ be64(created) ‖ instanceId. */
static int
hub_idx_status(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	unsigned char *k;
	int64_t created;
	int status;

	(void)sec;
	if (codec_instance_peek(pdata->data, pdata->size, &status, &created) == -1)
		return DB_DONOTINDEX;
	if ((k = malloc(9 + pkey->size)) == NULL)
		return ENOMEM;
	k[0] = (unsigned char)status;
	codec_be64(k + 1, (uint64_t)created);
	memcpy(k + 9, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 9 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

/* Secondary key of ready_time: be64(ready time) ‖ instanceId. */
static int
hub_idx_ready(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	unsigned char *k;
	int64_t when;

	(void)sec;
	if (codec_time_decode(pdata->data, pdata->size, &when) != STORE_OK)
		return DB_DONOTINDEX;
	if ((k = malloc(8 + pkey->size)) == NULL)
		return ENOMEM;
	codec_be64(k, (uint64_t)when);
	memcpy(k + 8, pkey->data, pkey->size);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 8 + pkey->size;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
hub_db_open(struct store *st, DB_TXN *txn, const char *file, const char *name, DB **out, int create)
{
	DB *db;
	int ret;

	if ((ret = db_create(&db, st->env, 0)) != 0)
		return ret;
	ret = db->open(db, txn, file, name, DB_BTREE, create ? DB_CREATE : 0, st->opt.group_shared ? 0660 : 0600);
	if (ret != 0) {
		db->close(db, 0);
		return ret;
	}
	*out = db;
	return 0;
}

void
store_hub_release_dbs(struct store_hub *h, int nosync, void (*retire)(void *handle))
{
	/* Secondaries before their primaries. */
	DB **all[] = {&h->idx_created, &h->idx_status, &h->ready_time, &h->instances, &h->history,  &h->inbox,
		      &h->ready,       &h->tasks,      &h->timers,     &h->functions, &h->entities, &h->meta};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i] != NULL && retire != NULL)
			retire(*all[i]);
		else if (*all[i] != NULL)
			(*all[i])->close(*all[i], nosync ? DB_NOSYNC : 0);
		*all[i] = NULL;
	}
}

void
store_hub_close_dbs(struct store_hub *h, int nosync)
{
	store_hub_release_dbs(h, nosync, NULL);
}

enum store_err
store_hub_open_dbs(struct store *st, struct store_hub *h, DB_TXN *txn, int create)
{
	struct {
		const char *name;
		DB **db;
	} dbs[] = {
		{"instances", &h->instances},   {"idx_created", &h->idx_created},
		{"idx_status", &h->idx_status}, {"history", &h->history},
		{"inbox", &h->inbox},           {"ready", &h->ready},
		{"ready_time", &h->ready_time}, {"tasks", &h->tasks},
		{"timers", &h->timers},         {"functions", &h->functions},
		{"entities", &h->entities},     {"meta", &h->meta},
	};
	unsigned char ver[4];
	DBT k, d;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if ((ret = hub_db_open(st, txn, h->file, dbs[i].name, dbs[i].db, create)) != 0)
			goto fail;
	if ((ret = h->instances->associate(h->instances, txn, h->idx_created, hub_idx_created, 0)) != 0 ||
	    (ret = h->instances->associate(h->instances, txn, h->idx_status, hub_idx_status, 0)) != 0 ||
	    (ret = h->ready->associate(h->ready, txn, h->ready_time, hub_idx_ready, 0)) != 0)
		goto fail;

	/* The schema version: written at creation, checked at every open. */
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = "schema";
	k.size = 6;
	if (create) {
		codec_be32(ver, HUB_SCHEMA);
		d.data = ver;
		d.size = 4;
		if ((ret = STORE_WRITE(h->meta->put(h->meta, txn, &k, &d, 0))) != 0)
			goto fail;
	} else {
		if ((ret = h->meta->get(h->meta, txn, &k, &d, 0)) != 0)
			goto fail;
		if (d.size != 4 || codec_get32(d.data) > HUB_SCHEMA) {
			store_hub_close_dbs(h, 0);
			return STORE_VERSION;
		}
	}
	return STORE_OK;
fail:
	store_hub_close_dbs(h, 0);
	if (ret == ENOENT)
		return STORE_NOHUB;
	return store_dberr(st, ret);
}

static void
hub_names(struct store_hub *h, const char *name)
{
	char low[64];

	snprintf(h->name, sizeof(h->name), "%s", name);
	ids_lower(low, name, sizeof(low));
	snprintf(h->file, sizeof(h->file), "hub_%s.db", low);
}

struct hub_create_arg {
	struct store_hub *h;
	int64_t now;
};

static enum store_err
hub_create_txn(struct store_txn *tx, void *arg)
{
	struct hub_create_arg *a = arg;
	struct store *st = tx->st;
	char low[64];
	DBT k, d;
	enum store_err e;
	int ret;

	store_hub_close_dbs(a->h, 0); /* handles from an aborted attempt */
	ids_lower(low, a->h->name, sizeof(low));
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = low;
	k.size = (u_int32_t)strlen(low);
	/* The value: creation time, then the name as the user spelled it. */
	codec_buf_reset(&tx->buf);
	if ((e = codec_time_encode(a->now, &tx->buf)) != STORE_OK)
		return e;
	if (codec_buf_put(&tx->buf, a->h->name, strlen(a->h->name)) == -1)
		return STORE_NOMEM;
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	ret = STORE_WRITE(st->catalog->put(st->catalog, tx->txn, &k, &d, DB_NOOVERWRITE));
	if (ret != 0)
		return store_dberr(st, ret);
	return store_hub_open_dbs(st, a->h, tx->txn, 1);
}

enum store_err
store_hub_create(struct store *st, const char *name)
{
	struct store_hub *h;
	struct hub_create_arg a;
	enum store_err e;

	if (!ids_hub_valid(name))
		return STORE_INVALID;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return STORE_NOMEM;
	h->st = st;
	hub_names(h, name);
	a.h = h;
	a.now = (int64_t)time(NULL) * 1000000;
	e = store_txn_run(st, 0, hub_create_txn, &a);
	if (e != STORE_OK) {
		store_hub_close_dbs(h, 0);
		free(h);
		return e;
	}
	h->next = st->hubs;
	st->hubs = h;
	return STORE_OK;
}

static enum store_err
hub_exists_txn(struct store_txn *tx, void *arg)
{
	struct store_hub *h = arg;
	char low[64];
	DBT k, d;
	int ret;

	store_hub_close_dbs(h, 0); /* handles from an aborted attempt */
	ids_lower(low, h->name, sizeof(low));
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = low;
	k.size = (u_int32_t)strlen(low);
	ret = tx->st->catalog->get(tx->st->catalog, tx->txn, &k, &d, 0);
	if (ret == DB_NOTFOUND)
		return STORE_NOHUB;
	if (ret != 0)
		return store_dberr(tx->st, ret);
	return store_hub_open_dbs(tx->st, h, tx->txn, 0);
}

enum store_err
store_hub_open(struct store *st, const char *name, struct store_hub **out)
{
	struct store_hub *h;
	enum store_err e;

	*out = NULL;
	if (!ids_hub_valid(name))
		return STORE_NOHUB;
	for (h = st->hubs; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0 && h->instances != NULL) {
			*out = h;
			return STORE_OK;
		}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return STORE_NOMEM;
	h->st = st;
	hub_names(h, name);
	if ((e = store_txn_run(st, STORE_TXN_NOGROW, hub_exists_txn, h)) != STORE_OK) {
		/* The body may have opened every handle before the commit
		 * failed. */
		store_hub_close_dbs(h, 0);
		free(h);
		return e;
	}
	h->next = st->hubs;
	st->hubs = h;
	*out = h;
	return STORE_OK;
}

const char *
store_hub_name(const struct store_hub *h)
{
	return h->name;
}

struct hub_delete_arg {
	const char *name;
	char file[80];
};

static enum store_err
hub_delete_txn(struct store_txn *tx, void *arg)
{
	struct hub_delete_arg *a = arg;
	char low[64];
	DBT k;
	int ret;

	ids_lower(low, a->name, sizeof(low));
	memset(&k, 0, sizeof(k));
	k.data = low;
	k.size = (u_int32_t)strlen(low);
	ret = STORE_WRITE(tx->st->catalog->del(tx->st->catalog, tx->txn, &k, 0));
	if (ret == DB_NOTFOUND)
		return STORE_NOHUB;
	if (ret != 0)
		return store_dberr(tx->st, ret);
	/* Removing the file inside the transaction waits for other processes'
	 * handles; past the lock timeout that is STORE_BUSY. */
	ret = tx->st->env->dbremove(tx->st->env, tx->txn, a->file, NULL, 0);
	if (ret == ENOENT)
		return STORE_OK;
	return store_dberr(tx->st, ret);
}

enum store_err
store_hub_delete(struct store *st, const char *name)
{
	struct store_hub **pp, *h;
	struct hub_delete_arg a;
	char low[64];

	if (!ids_hub_valid(name))
		return STORE_NOHUB;
	for (pp = &st->hubs; (h = *pp) != NULL; pp = &h->next)
		if (strcasecmp(h->name, name) == 0) {
			store_hub_close_dbs(h, 0);
			*pp = h->next;
			free(h);
			break;
		}
	a.name = name;
	ids_lower(low, name, sizeof(low));
	snprintf(a.file, sizeof(a.file), "hub_%s.db", low);
	return store_txn_run(st, 0, hub_delete_txn, &a);
}

struct hub_list_arg {
	char **v;
	size_t n;
};

static enum store_err
hub_list_txn(struct store_txn *tx, void *arg)
{
	struct hub_list_arg *a = arg;
	DBC *c;
	DBT k, d;
	int ret;
	enum store_err e = STORE_OK;

	store_strv_free(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	if ((ret = tx->st->catalog->cursor(tx->st->catalog, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		char **nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
		char *s;

		/* The name as created follows the 9-byte time; else the key. */
		if (nv == NULL ||
		    (s = d.size > 9 ? strndup((char *)d.data + 9, d.size - 9) : strndup(k.data, k.size)) == NULL) {
			if (nv != NULL)
				a->v = nv;
			e = STORE_NOMEM;
			break;
		}
		a->v = nv;
		a->v[a->n++] = s;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	return e;
}

enum store_err
store_hub_list(struct store *st, char ***names, size_t *n)
{
	struct hub_list_arg a = {NULL, 0};
	enum store_err e;

	e = store_txn_run(st, STORE_TXN_READONLY, hub_list_txn, &a);
	if (e != STORE_OK) {
		store_strv_free(a.v, a.n);
		a.v = NULL;
		a.n = 0;
	}
	*names = a.v;
	*n = a.n;
	return e;
}

void
store_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
