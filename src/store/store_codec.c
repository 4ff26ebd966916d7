/*
 * store_codec.c — versioned record encoding (see store_codec.h for the
 * layout).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

void
codec_buf_init(struct codec_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
codec_buf_reset(struct codec_buf *b)
{
	b->len = 0;
}

void
codec_buf_free(struct codec_buf *b)
{
	free(b->p);
	codec_buf_init(b, b->max);
}

int
codec_buf_put(struct codec_buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -1;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (ncap < b->len + n)
			ncap *= 2;
		if (ncap > b->max)
			ncap = b->max;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void
codec_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

void
codec_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void
codec_be64(unsigned char *p, uint64_t v)
{
	codec_be32(p, (uint32_t)(v >> 32));
	codec_be32(p + 4, (uint32_t)v);
}

uint16_t
codec_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
codec_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t
codec_get64(const unsigned char *p)
{
	return (uint64_t)codec_get32(p) << 32 | codec_get32(p + 4);
}

/* ---- the tagged-string section ------------------------------------------ */

static enum store_err
codec_put_str(struct codec_buf *b, unsigned tag, const char *s)
{
	unsigned char hdr[6];
	size_t len, n = 0;
	uint32_t v;

	if (s == NULL)
		return STORE_OK;
	len = strlen(s);
	if (len > STORE_MAX_PAYLOAD)
		return STORE_TOOBIG;
	hdr[n++] = (unsigned char)tag;
	v = (uint32_t)len;
	do {
		hdr[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	if (n + len > b->max - b->len)
		return STORE_TOOBIG;
	if (codec_buf_put(b, hdr, n) == -1 || codec_buf_put(b, s, len) == -1)
		return STORE_NOMEM;
	return STORE_OK;
}

/*
 * Reads the tagged strings that follow a fixed header. dst[tag] receives a
 * malloc'd copy for tags below ntags that are not in skip (a bit mask);
 * anything else is skipped. A repeated tag keeps the last copy.
 */
static enum store_err
codec_get_strs(const unsigned char *p, size_t len, char **dst[], unsigned ntags, unsigned skip)
{
	size_t i = 0;

	while (i < len) {
		unsigned tag = p[i++];
		uint32_t v = 0;
		int shift = 0;

		for (;;) {
			if (i >= len || shift > 28)
				return STORE_CORRUPT;
			v |= (uint32_t)(p[i] & 0x7f) << shift;
			shift += 7;
			if ((p[i++] & 0x80) == 0)
				break;
		}
		if (v > len - i)
			return STORE_CORRUPT;
		if (tag < ntags && dst[tag] != NULL && (skip & (1u << tag)) == 0) {
			char *s = malloc((size_t)v + 1);

			if (s == NULL)
				return STORE_NOMEM;
			memcpy(s, p + i, v);
			s[v] = '\0';
			free(*dst[tag]);
			*dst[tag] = s;
		}
		i += v;
	}
	return STORE_OK;
}

static enum store_err
codec_put_strs(struct codec_buf *b, const char *const src[], unsigned ntags)
{
	enum store_err e;
	unsigned t;

	for (t = 1; t < ntags; t++)
		if ((e = codec_put_str(b, t, src[t])) != STORE_OK)
			return e;
	return STORE_OK;
}

static enum store_err
codec_put_hdr(struct codec_buf *b, const unsigned char *hdr, size_t n)
{
	return codec_buf_put(b, hdr, n) == -1 ? STORE_NOMEM : STORE_OK;
}

/* ---- instances ----------------------------------------------------------- */

#define INST_HDR 34

enum store_err
codec_instance_encode(const struct store_instance *r, struct codec_buf *b)
{
	unsigned char h[INST_HDR];
	const char *s[] = {NULL,      r->name,          r->version, r->execution_id, r->input,
			   r->output, r->custom_status, r->failure, r->parent_id,    r->parent_execution};
	enum store_err e;

	h[0] = CODEC_VERSION;
	h[1] = (unsigned char)r->status;
	codec_be64(h + 2, (uint64_t)r->created);
	codec_be64(h + 10, (uint64_t)r->updated);
	codec_be64(h + 18, (uint64_t)r->completed);
	codec_be32(h + 26, r->generation);
	codec_be32(h + 30, (uint32_t)r->parent_task_id);
	if ((e = codec_put_hdr(b, h, sizeof(h))) != STORE_OK)
		return e;
	return codec_put_strs(b, s, 10);
}

int
codec_instance_peek(const void *data, size_t len, int *status, int64_t *created)
{
	const unsigned char *p = data;

	if (len < INST_HDR || p[0] == 0 || p[0] > CODEC_VERSION || p[1] >= 8)
		return -1;
	*status = p[1];
	*created = (int64_t)codec_get64(p + 2);
	return 0;
}

enum store_err
codec_instance_decode(const void *data, size_t len, int with_input, struct store_instance *out)
{
	const unsigned char *p = data;
	char **dst[] = {NULL,         &out->name,          &out->version, &out->execution_id, &out->input,
			&out->output, &out->custom_status, &out->failure, &out->parent_id,    &out->parent_execution};
	char *keep_id = out->id;
	enum store_err e;

	if (len < INST_HDR || p[0] == 0 || p[0] > CODEC_VERSION || p[1] >= 8)
		return STORE_CORRUPT;
	out->status = p[1];
	out->created = (int64_t)codec_get64(p + 2);
	out->updated = (int64_t)codec_get64(p + 10);
	out->completed = (int64_t)codec_get64(p + 18);
	out->generation = codec_get32(p + 26);
	out->parent_task_id = (int32_t)codec_get32(p + 30);
	e = codec_get_strs(p + INST_HDR, len - INST_HDR, dst, 10, with_input ? 0 : 1u << 4);
	if (e != STORE_OK) {
		out->id = NULL;
		store_instance_clear(out);
		out->id = keep_id;
	}
	return e;
}

/* ---- events -------------------------------------------------------------- */

#define EVENT_HDR 31

enum store_err
codec_event_encode(const struct store_event *ev, struct codec_buf *b)
{
	unsigned char h[EVENT_HDR];
	const char *s[] = {NULL, ev->name, ev->version, ev->instance_id, ev->execution_id, ev->data, ev->detail};
	enum store_err e;

	h[0] = CODEC_VERSION;
	codec_be16(h + 1, (uint16_t)ev->type);
	codec_be32(h + 3, (uint32_t)ev->event_id);
	codec_be32(h + 7, (uint32_t)ev->task_id);
	codec_be64(h + 11, (uint64_t)ev->timestamp);
	codec_be64(h + 19, (uint64_t)ev->fire_at);
	codec_be32(h + 27, ev->flags);
	if ((e = codec_put_hdr(b, h, sizeof(h))) != STORE_OK)
		return e;
	return codec_put_strs(b, s, 7);
}

enum store_err
codec_event_decode(const void *data, size_t len, struct store_event *out)
{
	const unsigned char *p = data;
	char **dst[] = {NULL,       &out->name,  &out->version, &out->instance_id, &out->execution_id,
			&out->data, &out->detail};
	enum store_err e;

	if (len < EVENT_HDR || p[0] == 0 || p[0] > CODEC_VERSION)
		return STORE_CORRUPT;
	out->type = codec_get16(p + 1);
	out->event_id = (int32_t)codec_get32(p + 3);
	out->task_id = (int32_t)codec_get32(p + 7);
	out->timestamp = (int64_t)codec_get64(p + 11);
	out->fire_at = (int64_t)codec_get64(p + 19);
	out->flags = codec_get32(p + 27);
	if ((e = codec_get_strs(p + EVENT_HDR, len - EVENT_HDR, dst, 7, 0)) != STORE_OK)
		store_event_clear(out);
	return e;
}

/* ---- activity tasks ------------------------------------------------------ */

#define TASK_HDR 17

enum store_err
codec_task_encode(const struct store_task *t, struct codec_buf *b)
{
	unsigned char h[TASK_HDR];
	const char *s[] = {NULL, t->instance_id, t->execution_id, t->name, t->version, t->input};
	enum store_err e;

	h[0] = CODEC_VERSION;
	codec_be32(h + 1, (uint32_t)t->task_id);
	codec_be64(h + 5, (uint64_t)t->created);
	codec_be32(h + 13, t->attempts);
	if ((e = codec_put_hdr(b, h, sizeof(h))) != STORE_OK)
		return e;
	return codec_put_strs(b, s, 6);
}

enum store_err
codec_task_decode(const void *data, size_t len, struct store_task *out)
{
	const unsigned char *p = data;
	char **dst[] = {NULL, &out->instance_id, &out->execution_id, &out->name, &out->version, &out->input};
	enum store_err e;

	if (len < TASK_HDR || p[0] == 0 || p[0] > CODEC_VERSION)
		return STORE_CORRUPT;
	out->task_id = (int32_t)codec_get32(p + 1);
	out->created = (int64_t)codec_get64(p + 5);
	out->attempts = codec_get32(p + 13);
	if ((e = codec_get_strs(p + TASK_HDR, len - TASK_HDR, dst, 6, 0)) != STORE_OK)
		store_task_clear(out);
	return e;
}

/* ---- function registry --------------------------------------------------- */

enum store_err
codec_function_encode(const struct store_function *f, struct codec_buf *b)
{
	unsigned char h[2] = {CODEC_VERSION, (unsigned char)f->kind};
	const char *s[] = {NULL, f->name, f->script, f->entry};
	enum store_err e;

	if ((e = codec_put_hdr(b, h, sizeof(h))) != STORE_OK)
		return e;
	return codec_put_strs(b, s, 4);
}

enum store_err
codec_function_decode(const void *data, size_t len, struct store_function *out)
{
	const unsigned char *p = data;
	char **dst[] = {NULL, &out->name, &out->script, &out->entry};
	enum store_err e;

	if (len < 2 || p[0] == 0 || p[0] > CODEC_VERSION)
		return STORE_CORRUPT;
	out->kind = p[1];
	e = codec_get_strs(p + 2, len - 2, dst, 4, 0);
	if (e == STORE_OK && out->name == NULL)
		e = STORE_CORRUPT;
	if (e != STORE_OK)
		store_function_clear(out); /* also the script and entry of a record without a name */
	return e;
}

/* ---- entities ------------------------------------------------------------ */

#define ENTITY_HDR 9

enum store_err
codec_entity_encode(const struct store_entity *en, struct codec_buf *b)
{
	unsigned char h[ENTITY_HDR];
	const char *s[] = {NULL, en->name, en->key, en->state, en->locked_by};
	enum store_err e;

	h[0] = CODEC_VERSION;
	codec_be64(h + 1, (uint64_t)en->last_op);
	if ((e = codec_put_hdr(b, h, sizeof(h))) != STORE_OK)
		return e;
	return codec_put_strs(b, s, 5);
}

enum store_err
codec_entity_decode(const void *data, size_t len, int with_state, struct store_entity *out)
{
	const unsigned char *p = data;
	char **dst[] = {NULL, &out->name, &out->key, &out->state, &out->locked_by};
	enum store_err e;

	if (len < ENTITY_HDR || p[0] == 0 || p[0] > CODEC_VERSION)
		return STORE_CORRUPT;
	out->last_op = (int64_t)codec_get64(p + 1);
	e = codec_get_strs(p + ENTITY_HDR, len - ENTITY_HDR, dst, 5, with_state ? 0 : 1u << 3);
	if (e == STORE_OK && (out->name == NULL || out->key == NULL))
		e = STORE_CORRUPT;
	if (e != STORE_OK)
		store_entity_clear(out);
	return e;
}

/* ---- bare timestamps (ready queue, hub catalog) --------------------------- */

enum store_err
codec_time_encode(int64_t when, struct codec_buf *b)
{
	unsigned char h[9];

	h[0] = CODEC_VERSION;
	codec_be64(h + 1, (uint64_t)when);
	return codec_put_hdr(b, h, sizeof(h));
}

enum store_err
codec_time_decode(const void *data, size_t len, int64_t *when)
{
	const unsigned char *p = data;

	if (len < 9 || p[0] == 0 || p[0] > CODEC_VERSION)
		return STORE_CORRUPT;
	*when = (int64_t)codec_get64(p + 1);
	return STORE_OK;
}
