/*
 * store_history.c — the history of an instance's current execution and its
 * inbox of events not yet applied. Both are ranges [id‖0, id‖1) of their
 * databases, so an instance's records are read and deleted with one cursor.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/store_int.h"

void
store_event_clear(struct store_event *e)
{
	free(e->name);
	free(e->version);
	free(e->instance_id);
	free(e->execution_id);
	free(e->data);
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

void
store_event_free_array(struct store_event *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return; /* NULL frees nothing, whatever n says */
	for (i = 0; i < n; i++)
		store_event_clear(&v[i]);
	free(v);
}

static int
event_ok(const struct store_event *ev)
{
	const char *s[] = {ev->name, ev->version, ev->instance_id, ev->execution_id, ev->data, ev->detail};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i] != NULL && strlen(s[i]) > STORE_MAX_PAYLOAD)
			return 0;
	return ev->type >= 0 && ev->type <= 0xffff;
}

static enum store_err
event_put(struct store_txn *tx, DB *db, const struct store_key *key, const struct store_event *ev, u_int32_t flags)
{
	DBT k, d;
	enum store_err e;

	codec_buf_reset(&tx->buf);
	if ((e = codec_event_encode(ev, &tx->buf)) != STORE_OK)
		return e;
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = (void *)key->b;
	k.size = (u_int32_t)key->len;
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	return store_dberr(tx->st, STORE_WRITE(db->put(db, tx->txn, &k, &d, flags)));
}

/*
 * Walks the range [id‖0, id‖1) of db: decodes each record into a growing
 * array when out != NULL, deletes it when del, counts it always.
 */
static enum store_err
range_walk(struct store_txn *tx, DB *db, const char *id, size_t skip_bytes, uint64_t from, size_t max,
	   struct store_event **out, size_t *n, int del, uint64_t *last)
{
	struct store_key start;
	struct store_event *v = NULL;
	size_t cnt = 0, cap = 0, plen = strlen(id) + 1;
	enum store_err e = STORE_OK;
	DBC *c;
	DBT k, d;
	int ret;
	u_int32_t op = DB_SET_RANGE;

	if (skip_bytes == 4)
		key_history(&start, id, (uint32_t)from);
	else
		key_inbox(&start, id, from);
	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = start.b;
	k.size = (u_int32_t)start.len;
	if (out == NULL) {
		d.flags = DB_DBT_PARTIAL; /* only counting or deleting */
		d.dlen = 0;
	}
	while (cnt < max && (ret = c->get(c, &k, &d, op | (del ? DB_RMW : 0))) == 0) {
		op = DB_NEXT;
		if (k.size != plen + skip_bytes || memcmp(k.data, start.b, plen) != 0)
			break;
		if (last != NULL)
			*last = skip_bytes == 4 ? codec_get32((unsigned char *)k.data + plen)
						: codec_get64((unsigned char *)k.data + plen);
		if (out != NULL) {
			if (cnt == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct store_event *nv = realloc(v, ncap * sizeof(*nv));

				if (nv == NULL) {
					e = STORE_NOMEM;
					break;
				}
				v = nv;
				cap = ncap;
			}
			memset(&v[cnt], 0, sizeof(v[cnt]));
			if ((e = codec_event_decode(d.data, d.size, &v[cnt])) != STORE_OK)
				break;
		}
		cnt++;
		if (del && (ret = STORE_WRITE(c->del(c, 0))) != 0)
			break;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e != STORE_OK) {
		store_event_free_array(v, out != NULL ? cnt : 0);
		return e;
	}
	if (out != NULL)
		*out = v;
	else
		free(v);
	if (n != NULL)
		*n = cnt;
	return STORE_OK;
}

enum store_err
store_history_append(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t first_seq,
		     const struct store_event *ev, size_t n)
{
	struct store_key key;
	enum store_err e;
	size_t i;

	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	for (i = 0; i < n; i++)
		if (!event_ok(&ev[i]))
			return STORE_TOOBIG;
	for (i = 0; i < n; i++) {
		key_history(&key, id, first_seq + (uint32_t)i);
		/* DB_NOOVERWRITE: a replayed episode can never duplicate history. */
		if ((e = event_put(tx, h->history, &key, &ev[i], DB_NOOVERWRITE)) != STORE_OK)
			return e;
	}
	return STORE_OK;
}

enum store_err
store_history_read(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t from_seq, size_t max,
		   struct store_event **out, size_t *n, uint32_t *next_seq)
{
	uint64_t last = 0;
	size_t got = 0;
	enum store_err e;

	*out = NULL;
	*n = 0;
	*next_seq = 0;
	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	if (max == 0)
		return STORE_INVALID;
	/* Read one more than asked to learn whether the history goes on. */
	if ((e = range_walk(tx, h->history, id, 4, from_seq, max + 1, out, &got, 0, &last)) != STORE_OK)
		return e;
	if (got > max) {
		store_event_clear(&(*out)[max]);
		got = max;
		*next_seq = (uint32_t)last;
	}
	*n = got;
	return STORE_OK;
}

/*
 * Finds the last record of an instance's range [id‖0, id‖1) in db, whose
 * keys end in a suffix-byte sequence number: *found says whether there is
 * one, *last is its number. With rmw the read takes a write lock, which
 * orders concurrent appenders.
 */
static enum store_err
range_last(struct store_txn *tx, DB *db, const char *id, size_t suffix, u_int32_t rmw, int *found, uint64_t *last)
{
	struct store_key key;
	size_t plen = strlen(id) + 1;
	DBC *c;
	DBT k, d;
	int ret;

	*found = 0;
	*last = 0;
	key_prefix1(&key, id);
	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	d.flags = DB_DBT_PARTIAL;
	/* The record just before id‖1, or the last one of the database. */
	ret = c->get(c, &k, &d, DB_SET_RANGE | rmw);
	if (ret == 0)
		ret = c->get(c, &k, &d, DB_PREV | rmw);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, &k, &d, DB_LAST | rmw);
	if (ret == 0 && k.size == plen + suffix && memcmp(k.data, id, plen - 1) == 0 &&
	    ((unsigned char *)k.data)[plen - 1] == 0) {
		*found = 1;
		*last = suffix == 4 ? codec_get32((unsigned char *)k.data + plen)
				    : codec_get64((unsigned char *)k.data + plen);
	}
	ret = store_cursor_close(c, ret);
	return ret == 0 || ret == DB_NOTFOUND ? STORE_OK : store_dberr(tx->st, ret);
}

enum store_err
store_history_length(struct store_txn *tx, struct store_hub *h, const char *id, uint32_t *len)
{
	uint64_t last;
	int found;
	enum store_err e;

	*len = 0;
	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	if ((e = range_last(tx, h->history, id, 4, 0, &found, &last)) == STORE_OK && found)
		*len = (uint32_t)last + 1;
	return e;
}

enum store_err
store_history_delete(struct store_txn *tx, struct store_hub *h, const char *id)
{
	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	return range_walk(tx, h->history, id, 4, 0, SIZE_MAX, NULL, NULL, 1, NULL);
}

/* ---- inbox ------------------------------------------------------------- */

enum store_err
store_inbox_append(struct store_txn *tx, struct store_hub *h, const char *id, const struct store_event *ev, int64_t now)
{
	struct store_key key;
	uint64_t last;
	int found;
	enum store_err e;

	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	if (!event_ok(ev))
		return STORE_TOOBIG;
	/* The new event follows the instance's last inbox record. */
	if ((e = range_last(tx, h->inbox, id, 8, DB_RMW, &found, &last)) != STORE_OK)
		return e;
	key_inbox(&key, id, found ? last + 1 : 1);
	if ((e = event_put(tx, h->inbox, &key, ev, DB_NOOVERWRITE)) != STORE_OK)
		return e;
	/* An empty inbox means the instance was not on the ready queue. */
	if (!found)
		return store_ready_put(tx, h, id, now);
	return STORE_OK;
}

enum store_err
store_inbox_take(struct store_txn *tx, struct store_hub *h, const char *id, int consume, struct store_event **out,
		 size_t *n)
{
	return store_inbox_take_n(tx, h, id, SIZE_MAX, consume, out, n);
}

enum store_err
store_inbox_take_n(struct store_txn *tx, struct store_hub *h, const char *id, size_t max, int consume,
		   struct store_event **out, size_t *n)
{
	size_t rest = 0;
	enum store_err e;

	*out = NULL;
	*n = 0;
	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	if ((e = range_walk(tx, h->inbox, id, 8, 0, max, out, n, consume, NULL)) != STORE_OK)
		return e;
	/* Events that arrived after the first max keep the instance ready
	 * (with no max, none is left). */
	if (consume && max != SIZE_MAX)
		e = range_walk(tx, h->inbox, id, 8, 0, 1, NULL, &rest, 0, NULL);
	if (consume && e == STORE_OK && rest == 0) {
		e = store_ready_del(tx, h, id);
		if (e == STORE_NOTFOUND)
			e = STORE_OK;
	}
	if (e != STORE_OK) {
		store_event_free_array(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return e;
}

/* An entity's held queue lives in the inbox database under "/@name@key":
 * '/' starts no instance ID, so it never meets one, and it is never on the
 * ready queue. */
static int
held_id(char *out, size_t len, const char *entity_id)
{
	if (entity_id == NULL || entity_id[0] != '@' || !ids_instance_valid(entity_id, 1) ||
	    strlen(entity_id) + 2 > len)
		return -1;
	out[0] = '/';
	strcpy(out + 1, entity_id);
	return 0;
}

enum store_err
store_held_append(struct store_txn *tx, struct store_hub *h, const char *entity_id, const struct store_event *ev)
{
	char hid[2 * IDS_INSTANCE_MAX + 8];
	struct store_key key;
	uint64_t last;
	int found;
	enum store_err e;

	if (held_id(hid, sizeof(hid), entity_id) == -1)
		return STORE_INVALID;
	if (!event_ok(ev))
		return STORE_TOOBIG;
	if ((e = range_last(tx, h->inbox, hid, 8, DB_RMW, &found, &last)) != STORE_OK)
		return e;
	key_inbox(&key, hid, found ? last + 1 : 1);
	return event_put(tx, h->inbox, &key, ev, DB_NOOVERWRITE);
}

enum store_err
store_held_take(struct store_txn *tx, struct store_hub *h, const char *entity_id, struct store_event **out, size_t *n)
{
	char hid[2 * IDS_INSTANCE_MAX + 8];

	*out = NULL;
	*n = 0;
	if (held_id(hid, sizeof(hid), entity_id) == -1)
		return STORE_INVALID;
	return range_walk(tx, h->inbox, hid, 8, 0, SIZE_MAX, out, n, 1, NULL);
}
