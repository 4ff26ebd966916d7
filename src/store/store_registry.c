/*
 * store_registry.c — the function registry the daemon publishes, so that
 * the responder can refuse a start of an unknown orchestrator with 400.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/store_int.h"

void
store_function_clear(struct store_function *f)
{
	free(f->name);
	free(f->script);
	free(f->entry);
	memset(f, 0, sizeof(*f));
}

void
store_function_free_array(struct store_function *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_function_clear(&v[i]);
	free(v);
}

static int
fn_kind_ok(int kind)
{
	return kind >= STORE_FN_ORCHESTRATOR && kind <= STORE_FN_ENTITY;
}

enum store_err
store_function_publish(struct store_txn *tx, struct store_hub *h, const struct store_function *fns, size_t n)
{
	struct store_key key;
	DBT k, d;
	u_int32_t count;
	size_t i;
	int ret;
	enum store_err e;

	for (i = 0; i < n; i++)
		if (!fn_kind_ok(fns[i].kind) || !ids_name_valid(fns[i].name) ||
		    (fns[i].script != NULL && strlen(fns[i].script) > 4096) ||
		    (fns[i].entry != NULL && strlen(fns[i].entry) > IDS_NAME_MAX))
			return STORE_INVALID;
	/* Publication replaces the registry as a whole, in one transaction. */
	if ((ret = h->functions->truncate(h->functions, tx->txn, &count, 0)) != 0)
		return store_dberr(tx->st, ret);
	for (i = 0; i < n; i++) {
		key_function(&key, fns[i].kind, fns[i].name);
		codec_buf_reset(&tx->buf);
		if ((e = codec_function_encode(&fns[i], &tx->buf)) != STORE_OK)
			return e;
		memset(&k, 0, sizeof(k));
		memset(&d, 0, sizeof(d));
		k.data = key.b;
		k.size = (u_int32_t)key.len;
		d.data = tx->buf.p;
		d.size = (u_int32_t)tx->buf.len;
		if ((ret = STORE_WRITE(h->functions->put(h->functions, tx->txn, &k, &d, DB_NOOVERWRITE))) != 0)
			return ret == DB_KEYEXIST ? STORE_INVALID : store_dberr(tx->st, ret);
	}
	return STORE_OK;
}

enum store_err
store_function_get(struct store_txn *tx, struct store_hub *h, int kind, const char *name, struct store_function *out)
{
	struct store_key key;
	DBT k, d;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!fn_kind_ok(kind) || name == NULL || !ids_name_valid(name))
		return STORE_NOTFOUND;
	key_function(&key, kind, name);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	if ((ret = h->functions->get(h->functions, tx->txn, &k, &d, 0)) != 0)
		return store_dberr(tx->st, ret);
	return codec_function_decode(d.data, d.size, out);
}

enum store_err
store_function_list(struct store_txn *tx, struct store_hub *h, int kind, struct store_function **out, size_t *n)
{
	struct store_function *v = NULL;
	size_t cnt = 0, cap = 0;
	DBC *c;
	DBT k, d;
	int ret;
	enum store_err e = STORE_OK;

	*out = NULL;
	*n = 0;
	if (kind != 0 && !fn_kind_ok(kind))
		return STORE_INVALID;
	if ((ret = h->functions->cursor(h->functions, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		if (kind != 0 && (k.size < 1 || ((unsigned char *)k.data)[0] != kind))
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct store_function *nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL) {
				e = STORE_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		if ((e = codec_function_decode(d.data, d.size, &v[cnt])) != STORE_OK)
			break;
		cnt++;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e != STORE_OK) {
		store_function_free_array(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return STORE_OK;
}

struct names_arg {
	struct store_hub *h;
	int kind;
	struct store_function *v;
	size_t n;
};

static enum store_err
names_txn(struct store_txn *tx, void *arg)
{
	struct names_arg *a = arg;

	store_function_free_array(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	return store_function_list(tx, a->h, a->kind, &a->v, &a->n);
}

enum store_err
store_function_names(struct store *st, struct store_hub *h, int kind, char ***names, size_t *n)
{
	struct names_arg a = {h, kind, NULL, 0};
	enum store_err e = store_txn_run(st, STORE_TXN_READONLY, names_txn, &a);
	char **v;

	*names = NULL;
	*n = 0;
	if (e != STORE_OK) {
		store_function_free_array(a.v, a.n);
		return e;
	}
	if ((v = calloc(a.n + 1, sizeof(*v))) == NULL) {
		store_function_free_array(a.v, a.n);
		return STORE_NOMEM;
	}
	for (size_t i = 0; i < a.n; i++) {
		v[i] = a.v[i].name; /* taken */
		a.v[i].name = NULL;
	}
	store_function_free_array(a.v, a.n);
	*names = v;
	*n = a.n;
	return STORE_OK;
}
