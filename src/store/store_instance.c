/*
 * store_instance.c — instance records: the singleton create, reads and
 * writes, keyset-paged queries over the two secondary indexes, counts and
 * purge.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/event.h"
#include "common/ids.h"
#include "common/status.h"
#include "store/store_int.h"

/* Records examined by one query call before it returns a (possibly short)
 * page with a token: bounds the work of a request whose filter matches
 * little of what the chosen index covers. */
#define QUERY_EXAMINE_MAX 20000

void
store_instance_clear(struct store_instance *r)
{
	free(r->id);
	free(r->name);
	free(r->version);
	free(r->execution_id);
	free(r->input);
	free(r->output);
	free(r->custom_status);
	free(r->failure);
	free(r->parent_id);
	free(r->parent_execution);
	memset(r, 0, sizeof(*r));
}

void
store_instance_free_array(struct store_instance *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_instance_clear(&v[i]);
	free(v);
}

static int
inst_payload_ok(const char *s)
{
	return s == NULL || strlen(s) <= STORE_MAX_PAYLOAD;
}

/* Reads and decodes one instance; flags may carry DB_RMW. */
static enum store_err
inst_read(struct store_txn *tx, struct store_hub *h, const char *id, u_int32_t flags, int with_input,
	  struct store_instance *out)
{
	DBT k, d;
	int ret;
	enum store_err e;

	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = (void *)id;
	k.size = (u_int32_t)strlen(id);
	if ((ret = h->instances->get(h->instances, tx->txn, &k, &d, flags)) != 0)
		return store_dberr(tx->st, ret);
	memset(out, 0, sizeof(*out));
	if ((e = codec_instance_decode(d.data, d.size, with_input, out)) != STORE_OK)
		return e;
	if ((out->id = strdup(id)) == NULL) {
		store_instance_clear(out);
		return STORE_NOMEM;
	}
	return STORE_OK;
}

static enum store_err
inst_write(struct store_txn *tx, struct store_hub *h, const struct store_instance *r)
{
	DBT k, d;
	enum store_err e;

	codec_buf_reset(&tx->buf);
	if ((e = codec_instance_encode(r, &tx->buf)) != STORE_OK)
		return e;
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = r->id;
	k.size = (u_int32_t)strlen(r->id);
	d.data = tx->buf.p;
	d.size = (u_int32_t)tx->buf.len;
	return store_dberr(tx->st, STORE_WRITE(h->instances->put(h->instances, tx->txn, &k, &d, 0)));
}

/* Removes everything an instance owns besides its record. */
static enum store_err
inst_drop_dependents(struct store_txn *tx, struct store_hub *h, const char *id)
{
	struct store_event *evs = NULL;
	size_t n = 0;
	enum store_err e;

	if ((e = store_history_delete(tx, h, id)) != STORE_OK)
		return e;
	e = store_inbox_take(tx, h, id, 1, &evs, &n);
	store_event_free_array(evs, n);
	return e;
}

enum store_err
store_instance_create(struct store_txn *tx, struct store_hub *h, const struct store_create *c, int *replaced)
{
	struct store_instance old, r;
	struct store_event ev;
	enum store_err e;
	uint32_t generation = 0;

	if (replaced != NULL)
		*replaced = 0;
	if (!ids_instance_valid(c->id, 0) || !ids_name_valid(c->name) || c->execution_id == NULL ||
	    *c->execution_id == '\0' || strlen(c->execution_id) > IDS_INSTANCE_MAX ||
	    (c->version != NULL && strlen(c->version) > IDS_NAME_MAX) ||
	    (c->parent_id != NULL && !ids_instance_valid(c->parent_id, 1)))
		return STORE_INVALID;
	if (!inst_payload_ok(c->input))
		return STORE_TOOBIG;

	/* DB_RMW: take the write lock with the read, so of N concurrent
	 * creators exactly one proceeds and the rest see its record. */
	e = inst_read(tx, h, c->id, DB_RMW, 0, &old);
	if (e == STORE_OK) {
		int keep = !c->override_any && !status_is_terminal(old.status);

		generation = old.generation + 1;
		store_instance_clear(&old);
		if (keep)
			return STORE_EXISTS;
		if ((e = inst_drop_dependents(tx, h, c->id)) != STORE_OK)
			return e;
		if (replaced != NULL)
			*replaced = 1;
	} else if (e != STORE_NOTFOUND)
		return e;

	memset(&r, 0, sizeof(r));
	r.id = (char *)c->id;
	r.name = (char *)c->name;
	r.version = (char *)c->version;
	r.execution_id = (char *)c->execution_id;
	r.status = STATUS_PENDING;
	r.created = r.updated = c->now;
	r.input = (char *)c->input;
	r.parent_id = (char *)c->parent_id;
	r.parent_execution = (char *)c->parent_execution;
	r.parent_task_id = c->parent_id != NULL ? c->parent_task_id : -1;
	r.generation = generation;
	if ((e = inst_write(tx, h, &r)) != STORE_OK)
		return e;

	/* ExecutionStarted goes to the inbox in the same transaction,
	 * which puts the instance on the ready queue for the daemon. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_EXECUTION_STARTED;
	ev.event_id = -1;
	ev.task_id = r.parent_task_id;
	ev.timestamp = c->now;
	ev.fire_at = c->scheduled_start;
	ev.name = (char *)c->name;
	ev.version = (char *)c->version;
	ev.instance_id = (char *)c->parent_id;
	ev.execution_id = (char *)c->execution_id;
	ev.data = (char *)c->input;
	return store_inbox_append(tx, h, c->id, &ev, c->now);
}

enum store_err
store_instance_get(struct store_txn *tx, struct store_hub *h, const char *id, int with_input,
		   struct store_instance *out)
{
	memset(out, 0, sizeof(*out));
	if (!ids_instance_valid(id, 1))
		return STORE_NOTFOUND; /* nothing invalid was ever stored */
	return inst_read(tx, h, id, 0, with_input, out);
}

enum store_err
store_instance_put(struct store_txn *tx, struct store_hub *h, const struct store_instance *r)
{
	struct store_instance w;
	DBT k, d;
	int ret, status;
	int64_t created;

	if (r->id == NULL || !ids_instance_valid(r->id, 1) || r->status < 0 || r->status >= STATUS_COUNT ||
	    r->name == NULL || !ids_name_valid(r->name))
		return STORE_INVALID;
	if (!inst_payload_ok(r->input) || !inst_payload_ok(r->output) || !inst_payload_ok(r->custom_status) ||
	    !inst_payload_ok(r->failure))
		return STORE_TOOBIG;
	/* Only the created time of the old record is needed: peek, do not
	 * decode. DB_RMW takes the write lock with the read. */
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.data = r->id;
	k.size = (u_int32_t)strlen(r->id);
	if ((ret = h->instances->get(h->instances, tx->txn, &k, &d, DB_RMW)) != 0)
		return store_dberr(tx->st, ret);
	if (codec_instance_peek(d.data, d.size, &status, &created) == -1)
		return STORE_CORRUPT;
	w = *r;
	w.created = created; /* the index position of an instance never moves */
	return inst_write(tx, h, &w);
}

/* ---- queries ----------------------------------------------------------- */

struct query_state {
	const struct store_query *q;
	struct store_instance *out;
	size_t n;
	struct store_key skip; /* the token's key: already returned */
	int have_skip;
	struct store_key pos; /* last key consumed (returned or filtered out) */
	int have_pos;
	int more;       /* a further match exists, or the scan bound was hit */
	int cur_status; /* the status bucket being scanned (status mode) */
};

static int
query_match(const struct store_query *q, const struct store_instance *r)
{
	if (q->status_mask != 0 && (q->status_mask & STATUS_BIT(r->status)) == 0)
		return 0;
	if (q->created_from != 0 && r->created < q->created_from)
		return 0;
	if (q->created_to != 0 && r->created > q->created_to)
		return 0;
	if (q->name != NULL && (r->name == NULL || strcasecmp(q->name, r->name) != 0))
		return 0;
	if (q->prefix != NULL && strncmp(r->id, q->prefix, strlen(q->prefix)) != 0)
		return 0;
	return 1;
}

static void
query_consumed(struct query_state *s, const DBT *k)
{
	memcpy(s->pos.b, k->data, k->size);
	s->pos.len = k->size;
	s->have_pos = 1;
}

/*
 * Offers one record found by a scan. Returns 1 to go on, 0 to stop (page
 * full and one more match seen), or -1 with *err set.
 */
static int
query_offer(struct query_state *s, const DBT *skey, const DBT *pkey, const DBT *pdata, enum store_err *err)
{
	struct store_instance r;

	memset(&r, 0, sizeof(r));
	if ((*err = codec_instance_decode(pdata->data, pdata->size, s->q->with_input, &r)) != STORE_OK)
		return -1;
	if ((r.id = strndup(pkey->data, pkey->size)) == NULL) {
		store_instance_clear(&r);
		*err = STORE_NOMEM;
		return -1;
	}
	if (!query_match(s->q, &r)) {
		store_instance_clear(&r);
		query_consumed(s, skey);
		return 1;
	}
	if (s->n == s->q->page) {
		/* A match beyond the page: the page gets a token. */
		store_instance_clear(&r);
		s->more = 1;
		return 0;
	}
	s->out[s->n++] = r;
	query_consumed(s, skey);
	return 1;
}

typedef int (*query_range_fn)(const struct query_state *, const DBT *);

/* Scans db (primary or secondary) from start while in_range holds. */
static enum store_err
query_scan(struct store_txn *tx, DB *db, int secondary, const struct store_key *start, query_range_fn in_range,
	   struct query_state *s, unsigned *examined)
{
	DBC *c;
	DBT k, pk, d;
	int ret, go = 1;
	enum store_err e = STORE_OK;
	u_int32_t op = DB_SET_RANGE;

	if ((ret = db->cursor(db, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&pk, 0, sizeof(pk));
	memset(&d, 0, sizeof(d));
	k.data = (void *)start->b;
	k.size = (u_int32_t)start->len;
	/* DB_SET_RANGE writes the found key back into k: let Berkeley DB
	 * allocate it rather than write over the caller's start key. */
	k.flags = DB_DBT_MALLOC;
	for (;;) {
		if (secondary)
			ret = c->pget(c, &k, &pk, &d, op);
		else
			ret = c->get(c, &k, &d, op);
		op = DB_NEXT;
		if (ret != 0)
			break;
		if (!in_range(s, &k)) {
			free(k.data);
			break;
		}
		if (s->have_skip && k.size == s->skip.len && memcmp(k.data, s->skip.b, k.size) == 0) {
			free(k.data);
			k.data = NULL;
			continue;
		}
		if (++*examined > QUERY_EXAMINE_MAX) {
			s->more = 1;
			go = 0;
		} else
			go = query_offer(s, &k, secondary ? &pk : &k, &d, &e);
		free(k.data);
		k.data = NULL;
		if (go <= 0)
			break;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	return e;
}

static int
range_prefix(const struct query_state *s, const DBT *k)
{
	size_t pl = strlen(s->q->prefix);

	return k->size >= pl && memcmp(k->data, s->q->prefix, pl) == 0;
}

static int
range_created(const struct query_state *s, const DBT *k)
{
	return s->q->created_to == 0 || (k->size >= 8 && (int64_t)codec_get64(k->data) <= s->q->created_to);
}

static int
range_status(const struct query_state *s, const DBT *k)
{
	const unsigned char *p = k->data;

	if (k->size < 9 || p[0] != s->cur_status)
		return 0;
	return s->q->created_to == 0 || (int64_t)codec_get64(p + 1) <= s->q->created_to;
}

/* Where a scan starts: the token's key, or the beginning of the range. */
static enum store_err
query_start(const struct query_state *s, int kind, int status, struct store_key *start)
{
	const struct store_query *q = s->q;

	if (s->have_skip && (kind != TOKEN_STATUS || s->skip.b[0] == status)) {
		*start = s->skip;
		return STORE_OK;
	}
	switch (kind) {
	case TOKEN_PREFIX:
		start->len = strlen(q->prefix);
		memcpy(start->b, q->prefix, start->len);
		break;
	case TOKEN_CREATED:
		codec_be64(start->b, (uint64_t)q->created_from);
		start->len = 8;
		break;
	default:
		start->b[0] = (unsigned char)status;
		codec_be64(start->b + 1, (uint64_t)q->created_from);
		start->len = 9;
	}
	return STORE_OK;
}

/* A token is only valid for the kind of scan that made it. */
static int
query_token_fits(const struct query_state *s, int kind)
{
	const struct store_key *t = &s->skip;

	switch (kind) {
	case TOKEN_PREFIX:
		return t->len >= strlen(s->q->prefix) && memcmp(t->b, s->q->prefix, strlen(s->q->prefix)) == 0;
	case TOKEN_CREATED:
		return t->len > 8;
	default:
		return t->len > 9 && t->b[0] < STATUS_COUNT && (s->q->status_mask & STATUS_BIT(t->b[0])) != 0;
	}
}

enum store_err
store_instance_query(struct store_txn *tx, struct store_hub *h, const struct store_query *q,
		     struct store_instance **out, size_t *n, char **next)
{
	struct query_state s;
	struct store_query qq = *q;
	struct store_key start;
	unsigned examined = 0;
	enum store_err e = STORE_OK;
	int kind;

	*out = NULL;
	*n = 0;
	*next = NULL;
	if (qq.prefix != NULL && *qq.prefix == '\0')
		qq.prefix = NULL;
	if (qq.name != NULL && *qq.name == '\0')
		qq.name = NULL;
	if (qq.page == 0 || qq.page > STORE_MAX_PAGE || (qq.prefix != NULL && strlen(qq.prefix) > IDS_INSTANCE_MAX) ||
	    (qq.status_mask & ~STATUS_ALL_MASK) != 0 || qq.created_from < 0 || qq.created_to < 0 ||
	    (qq.created_to != 0 && qq.created_to < qq.created_from))
		return STORE_INVALID;
	/* The index: IDs for a prefix, the status index for a status filter,
	 * else creation time. Ties never happen: every key ends in the ID. */
	kind = qq.prefix != NULL ? TOKEN_PREFIX : qq.status_mask != 0 ? TOKEN_STATUS : TOKEN_CREATED;

	memset(&s, 0, sizeof(s));
	s.q = &qq;
	if (qq.token != NULL && *qq.token != '\0') {
		if (token_parse(qq.token, kind, &s.skip) != STORE_OK)
			return STORE_INVALID;
		s.have_skip = 1;
		if (!query_token_fits(&s, kind))
			return STORE_INVALID;
	}
	if ((s.out = calloc(qq.page, sizeof(*s.out))) == NULL)
		return STORE_NOMEM;

	if (kind == TOKEN_PREFIX) {
		query_start(&s, kind, 0, &start);
		e = query_scan(tx, h->instances, 0, &start, range_prefix, &s, &examined);
	} else if (kind == TOKEN_CREATED) {
		query_start(&s, kind, 0, &start);
		e = query_scan(tx, h->idx_created, 1, &start, range_created, &s, &examined);
	} else {
		int first = s.have_skip ? s.skip.b[0] : 0;

		for (s.cur_status = first; s.cur_status < STATUS_COUNT; s.cur_status++) {
			if ((qq.status_mask & STATUS_BIT(s.cur_status)) == 0)
				continue;
			query_start(&s, kind, s.cur_status, &start);
			e = query_scan(tx, h->idx_status, 1, &start, range_status, &s, &examined);
			if (e != STORE_OK || s.more)
				break;
		}
	}
	if (e == STORE_OK && s.more) {
		/* The token is the last key consumed; with nothing consumed (the
		 * bound hit at once, impossible in practice) the old position. */
		const struct store_key *p = s.have_pos ? &s.pos : &s.skip;

		if ((*next = token_make(kind, p->b, p->len)) == NULL)
			e = STORE_NOMEM;
	}
	if (e != STORE_OK) {
		store_instance_free_array(s.out, s.n);
		free(*next);
		*next = NULL;
		return e;
	}
	*out = s.out;
	*n = s.n;
	return STORE_OK;
}

enum store_err
store_instance_counts(struct store_txn *tx, struct store_hub *h, uint64_t counts[8])
{
	DBC *c;
	DBT k, d;
	unsigned char start[1];
	int ret, s;

	memset(counts, 0, 8 * sizeof(counts[0]));
	if ((ret = h->idx_status->cursor(h->idx_status, tx->txn, &c, 0)) != 0)
		return store_dberr(tx->st, ret);
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	/* Only the keys are needed: ask for zero bytes of each record. */
	d.flags = DB_DBT_PARTIAL;
	d.dlen = 0;
	for (s = 0; s < STATUS_COUNT; s++) {
		start[0] = (unsigned char)s;
		k.data = start;
		k.size = 1;
		ret = c->get(c, &k, &d, DB_SET_RANGE);
		while (ret == 0 && ((unsigned char *)k.data)[0] == s) {
			counts[s]++;
			ret = c->get(c, &k, &d, DB_NEXT);
		}
		if (ret != 0 && ret != DB_NOTFOUND)
			break;
		ret = 0;
	}
	ret = store_cursor_close(c, ret);
	return store_dberr(tx->st, ret);
}

/* ---- purge ------------------------------------------------------------- */

static enum store_err
inst_delete(struct store_txn *tx, struct store_hub *h, const char *id)
{
	DBT k;
	int ret;

	memset(&k, 0, sizeof(k));
	k.data = (void *)id;
	k.size = (u_int32_t)strlen(id);
	if ((ret = STORE_WRITE(h->instances->del(h->instances, tx->txn, &k, 0))) != 0)
		return store_dberr(tx->st, ret);
	return inst_drop_dependents(tx, h, id);
}

enum store_err
store_instance_purge(struct store_txn *tx, struct store_hub *h, const char *id, int *status)
{
	struct store_instance r;
	enum store_err e;
	int terminal;

	if (!ids_instance_valid(id, 1))
		return STORE_NOTFOUND;
	if ((e = inst_read(tx, h, id, DB_RMW, 0, &r)) != STORE_OK)
		return e;
	if (status != NULL)
		*status = r.status;
	terminal = status_is_terminal(r.status);
	store_instance_clear(&r);
	if (!terminal)
		return STORE_STATE;
	return inst_delete(tx, h, id);
}

struct purge_arg {
	struct store_hub *h;
	const struct store_purge_filter *f;
	size_t batch;
	uint64_t deleted;
	int more;
};

static enum store_err
purge_txn(struct store_txn *tx, void *arg)
{
	struct purge_arg *a = arg;
	struct store_hub *h = a->h;
	unsigned mask = a->f->status_mask ? a->f->status_mask & STATUS_TERMINAL_MASK : STATUS_TERMINAL_MASK;
	char **ids = NULL;
	size_t nids = 0, i;
	enum store_err e = STORE_OK;
	DBC *c;
	DBT k, d;
	int ret = 0, s;

	a->deleted = 0;
	a->more = 0;
	if ((ids = calloc(a->batch + 1, sizeof(*ids))) == NULL)
		return STORE_NOMEM;
	if ((ret = h->idx_status->cursor(h->idx_status, tx->txn, &c, 0)) != 0) {
		free(ids);
		return store_dberr(tx->st, ret);
	}
	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	d.flags = DB_DBT_PARTIAL;
	/* Collect batch + 1 matching IDs: the extra one only says "more". */
	for (s = 0; s < STATUS_COUNT && nids <= a->batch; s++) {
		unsigned char start[9];

		if ((mask & STATUS_BIT(s)) == 0)
			continue;
		start[0] = (unsigned char)s;
		codec_be64(start + 1, (uint64_t)a->f->created_from);
		k.data = start;
		k.size = 9;
		ret = c->get(c, &k, &d, DB_SET_RANGE);
		while (ret == 0 && nids <= a->batch) {
			const unsigned char *p = k.data;

			if (k.size < 9 || p[0] != s ||
			    (a->f->created_to != 0 && (int64_t)codec_get64(p + 1) > a->f->created_to))
				break;
			if ((ids[nids] = strndup((const char *)p + 9, k.size - 9)) == NULL) {
				e = STORE_NOMEM;
				break;
			}
			nids++;
			ret = c->get(c, &k, &d, DB_NEXT);
		}
		if (e != STORE_OK || (ret != 0 && ret != DB_NOTFOUND))
			break;
		ret = 0;
	}
	ret = store_cursor_close(c, ret);
	if (e == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		e = store_dberr(tx->st, ret);
	for (i = 0; e == STORE_OK && i < nids && i < a->batch; i++)
		if ((e = inst_delete(tx, h, ids[i])) == STORE_OK)
			a->deleted++;
	a->more = nids > a->batch;
	store_strv_free(ids, nids);
	return e;
}

enum store_err
store_purge_batch(struct store *st, struct store_hub *h, const struct store_purge_filter *f, size_t batch,
		  uint64_t *deleted, int *more)
{
	struct purge_arg a;
	enum store_err e;

	*deleted = 0;
	*more = 0;
	if (batch == 0 || batch > 10000 || f->created_from < 0 || f->created_to < 0 ||
	    (f->status_mask & ~STATUS_ALL_MASK) != 0)
		return STORE_INVALID;
	a.h = h;
	a.f = f;
	a.batch = batch;
	if ((e = store_txn_run(st, 0, purge_txn, &a)) == STORE_OK) {
		*deleted = a.deleted;
		*more = a.more;
	}
	return e;
}

enum store_err
store_instance_start(struct store_txn *tx, struct store_hub *h, struct store_create *c, char *name, size_t len)
{
	struct store_function f;
	enum store_err e;

	if ((e = store_function_get(tx, h, STORE_FN_ORCHESTRATOR, c->name, &f)) != STORE_OK)
		return e == STORE_NOTFOUND ? STORE_NOFUNCTION : e;
	/* The instance carries the name as the function registered it. */
	snprintf(name, len, "%s", f.name);
	store_function_clear(&f);
	c->name = name;
	return store_instance_create(tx, h, c, NULL);
}

enum store_err
store_instance_request(struct store_txn *tx, struct store_hub *h, const char *id, unsigned allowed,
		       const struct store_event *ev, int64_t now, int *status)
{
	struct store_instance r;
	struct store_event e2 = *ev;
	enum store_err e;

	*status = -1;
	if ((e = store_instance_get(tx, h, id, 0, &r)) != STORE_OK)
		return e;
	*status = r.status;
	store_instance_clear(&r);
	if ((allowed & STATUS_BIT(*status)) == 0)
		return STORE_STATE;
	e2.execution_id = NULL; /* targets the latest execution */
	return store_inbox_append(tx, h, id, &e2, now);
}

/* ---- whole-transaction forms, for the API and the client API ---- */

struct start_one {
	struct store_hub *h;
	struct store_create c; /* a copy: c.name is pointed at name below */
	char name[IDS_NAME_MAX + 1];
};

static enum store_err
start_one_txn(struct store_txn *tx, void *arg)
{
	struct start_one *a = arg;

	return store_instance_start(tx, a->h, &a->c, a->name, sizeof(a->name));
}

enum store_err
store_start(struct store *st, struct store_hub *h, const struct store_create *c)
{
	struct start_one a;

	memset(&a, 0, sizeof(a));
	a.h = h;
	a.c = *c;
	return store_txn_run(st, 0, start_one_txn, &a);
}

struct purge_one {
	struct store_hub *h;
	const char *id;
	int *status;
};

static enum store_err
purge_one_txn(struct store_txn *tx, void *arg)
{
	struct purge_one *a = arg;

	return store_instance_purge(tx, a->h, a->id, a->status);
}

enum store_err
store_purge_one(struct store *st, struct store_hub *h, const char *id, int *status)
{
	struct purge_one a = {h, id, status};

	if (status != NULL)
		*status = -1;
	return store_txn_run(st, 0, purge_one_txn, &a);
}
