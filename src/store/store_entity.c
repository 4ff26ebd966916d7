/*
 * store_entity.c — durable entity state, keyed by lower-case name and key
 * (entity names are case-insensitive in Durable Functions), with keyset
 * paged listing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/store_int.h"

void
store_entity_clear(struct store_entity *e)
{
	free(e->name);
	free(e->key);
	free(e->state);
	free(e->locked_by);
	memset(e, 0, sizeof(*e));
}

void
store_entity_free_array(struct store_entity *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_entity_clear(&v[i]);
	free(v);
}

static int
entity_id_ok(const char *name, const char *key)
{
	return name != NULL && ids_name_valid(name) && key != NULL && ids_entity_key_valid(key);
}

enum store_err
store_entity_get(struct store_txn *tx, struct store_hub *h, const char *name, const char *key, struct store_entity *out)
{
	struct store_key k0;
	DBT k, d;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!entity_id_ok(name, key))
		return STORE_NOTFOUND;
	key_entity(&k0, name, key);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = k0.b;
	k.size = (u_int32_t)k0.len;
	if ((ret = h->entities->get(h->entities, tx->txn, &k, &d, 0)) != 0)
		return store_dberr(tx->st, ret);
	return codec_entity_decode(d.data, d.size, 1, out);
}

enum store_err
store_entity_put(struct store_txn *tx, struct store_hub *h, const struct store_entity *en)
{
	struct store_key k0;
	DBT k, d;
	enum store_err e;

	if (!entity_id_ok(en->name, en->key) || (en->locked_by != NULL && !ids_instance_valid(en->locked_by, 1)))
		return STORE_INVALID;
	if (en->state != NULL && strlen(en->state) > STORE_MAX_PAYLOAD)
		return STORE_TOOBIG;
	key_entity(&k0, en->name, en->key);
	codec_buf_reset(&tx->buf);
	if ((e = codec_entity_encode(en, &tx->buf)) != STORE_OK)
		return e;
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = k0.b;
	k.size = (u_int32_t)k0.len;
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	return store_dberr(tx->st, STORE_WRITE(h->entities->put(h->entities, tx->txn, &k, &d, 0)));
}

enum store_err
store_entity_delete(struct store_txn *tx, struct store_hub *h, const char *name, const char *key)
{
	struct store_key k0;
	DBT k;

	if (!entity_id_ok(name, key))
		return STORE_NOTFOUND;
	key_entity(&k0, name, key);
	memset(&k, 0, sizeof(k));
	k.data = k0.b;
	k.size = (u_int32_t)k0.len;
	return store_dberr(tx->st, STORE_WRITE(h->entities->del(h->entities, tx->txn, &k, 0)));
}

enum store_err
store_entity_query(struct store_txn *tx, struct store_hub *h, const struct store_entity_query *q,
		   struct store_entity **out, size_t *n, char **next)
{
	struct store_key start, prefix, skip;
	struct store_entity *v;
	size_t cnt = 0;
	int have_skip = 0, ret, more = 0;
	enum store_err e = STORE_OK;
	char low[512];
	DBC *c;
	DBT k, d;

	*out = NULL;
	*n = 0;
	*next = NULL;
	if (q->page == 0 || q->page > STORE_MAX_PAGE || (q->name != NULL && !ids_name_valid(q->name)) ||
	    q->last_op_from < 0 || q->last_op_to < 0)
		return STORE_INVALID;
	prefix.len = 0;
	if (q->name != NULL) {
		ids_lower(low, q->name, sizeof(low));
		prefix.len = strlen(low) + 1;
		memcpy(prefix.b, low, prefix.len); /* name ‖ 0 */
	}
	if (q->token != NULL && *q->token != '\0') {
		if (token_parse(q->token, TOKEN_ENTITY, &skip) != STORE_OK || skip.len < prefix.len ||
		    memcmp(skip.b, prefix.b, prefix.len) != 0)
			return STORE_INVALID;
		have_skip = 1;
	}
	start = have_skip ? skip : prefix;
	if ((v = calloc(q->page, sizeof(*v))) == NULL)
		return STORE_NOMEM;
	if ((ret = h->entities->cursor(h->entities, tx->txn, &c, 0)) != 0) {
		free(v);
		return store_dberr(tx->st, ret);
	}
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = start.b;
	k.size = (u_int32_t)start.len;
	ret = c->get(c, &k, &d, start.len ? DB_SET_RANGE : DB_FIRST);
	for (; ret == 0; ret = c->get(c, &k, &d, DB_NEXT)) {
		struct store_entity en;

		if (k.size < prefix.len || memcmp(k.data, prefix.b, prefix.len) != 0)
			break;
		if (have_skip && k.size == skip.len && memcmp(k.data, skip.b, k.size) == 0)
			continue;
		memset(&en, 0, sizeof(en));
		if ((e = codec_entity_decode(d.data, d.size, q->with_state, &en)) != STORE_OK)
			break;
		if ((q->last_op_from != 0 && en.last_op < q->last_op_from) ||
		    (q->last_op_to != 0 && en.last_op > q->last_op_to)) {
			store_entity_clear(&en);
			continue;
		}
		if (cnt == q->page) {
			store_entity_clear(&en);
			more = 1;
			break;
		}
		v[cnt++] = en;
		memcpy(start.b, k.data, k.size); /* last returned key */
		start.len = k.size;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e == STORE_OK && more && (*next = token_make(TOKEN_ENTITY, start.b, start.len)) == NULL)
		e = STORE_NOMEM;
	if (e != STORE_OK) {
		store_entity_free_array(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return STORE_OK;
}
