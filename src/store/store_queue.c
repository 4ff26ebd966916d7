/*
 * store_queue.c — the daemon's work queues: the ready queue (instances with
 * inbox events, oldest first, through the ready_time secondary index),
 * activity tasks (FIFO by sequence number) and durable timers (ordered by
 * due time, so the first key is the daemon's next wake-up).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/store_int.h"

/* ---- ready queue ------------------------------------------------------- */

enum store_err
store_ready_put(struct store_txn *tx, struct store_hub *h, const char *id, int64_t when)
{
	DBT k, d;
	enum store_err e;
	int ret;

	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	codec_buf_reset(&tx->buf);
	if ((e = codec_time_encode(when, &tx->buf)) != STORE_OK)
		return e;
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = (void *)id;
	k.size = (u_int32_t)strlen(id);
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	/* Already queued keeps its older position. */
	ret = STORE_WRITE(h->ready->put(h->ready, tx->txn, &k, &d, DB_NOOVERWRITE));
	if (ret == DB_KEYEXIST)
		return STORE_OK;
	return store_dberr(tx->st, ret);
}

enum store_err
store_ready_del(struct store_txn *tx, struct store_hub *h, const char *id)
{
	DBT k;

	if (!ids_instance_valid(id, 1))
		return STORE_INVALID;
	memset(&k, 0, sizeof(k));
	k.data = (void *)id;
	k.size = (u_int32_t)strlen(id);
	return store_dberr(tx->st, STORE_WRITE(h->ready->del(h->ready, tx->txn, &k, 0)));
}

enum store_err
store_ready_scan(struct store_txn *tx, struct store_hub *h, unsigned which, size_t max, char ***ids, size_t *n)
{
	char **v;
	size_t cnt = 0;
	DBC *c;
	DBT k, d;
	int ret;
	enum store_err e = STORE_OK;

	*ids = NULL;
	*n = 0;
	if (max == 0)
		return STORE_INVALID;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return STORE_NOMEM;
	if ((ret = h->ready_time->cursor(h->ready_time, tx->txn, &c, 0)) != 0) {
		free(v);
		return store_dberr(tx->st, ret);
	}
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	/* Secondary keys are be64(time) ‖ id: the ID is the key's tail. */
	d.flags = DB_DBT_PARTIAL;
	while (cnt < max && (ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		int entity;
		if (k.size <= 8)
			continue;
		/* Entities ("@name@key") and orchestrations share the queue;
		 * a caller that serves one kind must not see a page full of
		 * the other. */
		entity = ((char *)k.data)[8] == '@';
		if (!(which & (entity ? STORE_READY_ENTITIES : STORE_READY_ORCHESTRATIONS)))
			continue;
		if ((v[cnt] = strndup((char *)k.data + 8, k.size - 8)) == NULL) {
			e = STORE_NOMEM;
			break;
		}
		cnt++;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e != STORE_OK) {
		store_strv_free(v, cnt);
		return e;
	}
	*ids = v;
	*n = cnt;
	return STORE_OK;
}

/* ---- activity tasks ---------------------------------------------------- */

void
store_task_clear(struct store_task *t)
{
	free(t->instance_id);
	free(t->execution_id);
	free(t->name);
	free(t->version);
	free(t->input);
	memset(t, 0, sizeof(*t));
}

void
store_task_free_array(struct store_task *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_task_clear(&v[i]);
	free(v);
}

enum store_err
store_task_add(struct store_txn *tx, struct store_hub *h, const struct store_task *t, uint64_t *seq)
{
	struct store_key key;
	DBC *c;
	DBT k, d;
	uint64_t next = 1;
	int ret;
	enum store_err e;

	if (t->instance_id == NULL || !ids_instance_valid(t->instance_id, 1) || t->name == NULL ||
	    !ids_name_valid(t->name))
		return STORE_INVALID;
	if (t->input != NULL && strlen(t->input) > STORE_MAX_PAYLOAD)
		return STORE_TOOBIG;
	/* The next sequence number follows the last key; the write lock on the
	 * last page serialises concurrent adders. */
	if ((ret = h->tasks->cursor(h->tasks, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	d.flags = DB_DBT_PARTIAL;
	ret = c->get(c, &k, &d, DB_LAST | DB_RMW);
	if (ret == 0 && k.size == 8)
		next = codec_get64(k.data) + 1;
	ret = store_cursor_close(c, ret);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_dberr(tx->st, ret);
	codec_buf_reset(&tx->buf);
	if ((e = codec_task_encode(t, &tx->buf)) != STORE_OK)
		return e;
	key_u64(&key, next);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	if ((ret = STORE_WRITE(h->tasks->put(h->tasks, tx->txn, &k, &d, DB_NOOVERWRITE))) != 0)
		return store_dberr(tx->st, ret);
	if (seq != NULL)
		*seq = next;
	return STORE_OK;
}

enum store_err
store_task_scan(struct store_txn *tx, struct store_hub *h, uint64_t after, size_t max, struct store_task **out,
		size_t *n)
{
	struct store_key key;
	struct store_task *v;
	size_t cnt = 0;
	DBC *c;
	DBT k, d;
	int ret;
	enum store_err e = STORE_OK;

	*out = NULL;
	*n = 0;
	if (max == 0 || max > 100000)
		return STORE_INVALID;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return STORE_NOMEM;
	if ((ret = h->tasks->cursor(h->tasks, tx->txn, &c, 0)) != 0) {
		free(v);
		return store_dberr(tx->st, ret);
	}
	key_u64(&key, after + 1);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	ret = c->get(c, &k, &d, DB_SET_RANGE);
	while (ret == 0 && cnt < max) {
		if (k.size == 8) {
			if ((e = codec_task_decode(d.data, d.size, &v[cnt])) != STORE_OK)
				break;
			v[cnt].seq = codec_get64(k.data);
			cnt++;
		}
		ret = c->get(c, &k, &d, DB_NEXT);
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e != STORE_OK) {
		store_task_free_array(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return STORE_OK;
}

enum store_err
store_task_del(struct store_txn *tx, struct store_hub *h, uint64_t seq)
{
	struct store_key key;
	DBT k;

	key_u64(&key, seq);
	memset(&k, 0, sizeof(k));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	return store_dberr(tx->st, STORE_WRITE(h->tasks->del(h->tasks, tx->txn, &k, 0)));
}

/* ---- timers ------------------------------------------------------------ */

enum store_err
store_timer_add(struct store_txn *tx, struct store_hub *h, const char *id, const struct store_event *ev)
{
	struct store_key key;
	DBT k, d;
	enum store_err e;

	if (!ids_instance_valid(id, 1) || ev->fire_at < 0)
		return STORE_INVALID;
	if (ev->data != NULL && strlen(ev->data) > STORE_MAX_PAYLOAD)
		return STORE_TOOBIG;
	key_timer(&key, ev->fire_at, id, ev->task_id);
	codec_buf_reset(&tx->buf);
	if ((e = codec_event_encode(ev, &tx->buf)) != STORE_OK)
		return e;
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = key.b;
	k.size = (u_int32_t)key.len;
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	return store_dberr(tx->st, STORE_WRITE(h->timers->put(h->timers, tx->txn, &k, &d, 0)));
}

enum store_err
store_timer_next(struct store_txn *tx, struct store_hub *h, int64_t *fire_at)
{
	DBC *c;
	DBT k, d;
	int ret;

	if ((ret = h->timers->cursor(h->timers, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	d.flags = DB_DBT_PARTIAL;
	ret = c->get(c, &k, &d, DB_FIRST);
	if (ret == 0 && k.size >= 8)
		*fire_at = (int64_t)codec_get64(k.data);
	ret = store_cursor_close(c, ret);
	return store_dberr(tx->st, ret);
}

enum store_err
store_timer_take_due(struct store_txn *tx, struct store_hub *h, int64_t now, size_t max, char ***ids,
		     struct store_event **evs, size_t *n)
{
	char **iv;
	struct store_event *ev;
	size_t cnt = 0;
	DBC *c;
	DBT k, d;
	int ret;
	enum store_err e = STORE_OK;

	*ids = NULL;
	*evs = NULL;
	*n = 0;
	if (max == 0 || max > 100000)
		return STORE_INVALID;
	iv = calloc(max, sizeof(*iv));
	ev = calloc(max, sizeof(*ev));
	if (iv == NULL || ev == NULL) {
		free(iv);
		free(ev);
		return STORE_NOMEM;
	}
	if ((ret = h->timers->cursor(h->timers, tx->txn, &c, 0)) != 0) {
		free(iv);
		free(ev);
		return store_dberr(tx->st, ret);
	}
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	while (cnt < max && (ret = c->get(c, &k, &d, DB_NEXT | DB_RMW)) == 0) {
		const unsigned char *p = k.data;

		/* be64(fireAt) ‖ id ‖ 0 ‖ be32(timerId) */
		if (k.size < 8 + 1 + 1 + 4)
			continue;
		if ((int64_t)codec_get64(p) > now)
			break;
		if ((iv[cnt] = strndup((const char *)p + 8, k.size - 8 - 5)) == NULL) {
			e = STORE_NOMEM;
			break;
		}
		if ((e = codec_event_decode(d.data, d.size, &ev[cnt])) != STORE_OK) {
			free(iv[cnt]);
			iv[cnt] = NULL;
			break;
		}
		cnt++;
		if ((ret = STORE_WRITE(c->del(c, 0))) != 0)
			break;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	if (e != STORE_OK) {
		store_strv_free(iv, cnt);
		store_event_free_array(ev, cnt);
		return e;
	}
	*ids = iv;
	*evs = ev;
	*n = cnt;
	return STORE_OK;
}
