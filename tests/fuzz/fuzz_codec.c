/*
 * fuzz_codec.c — the store codec: bytes as they could come back from a
 * damaged or older database, decoded as each record type. What decodes
 * must encode, and the codec's promise is checked on the result:
 * decode(encode(r)) gives r again, so encoding it a second time yields the
 * same bytes. (The first decode may drop unknown tags, repeated tags and
 * anything after a NUL in a string, so the input itself need not come
 * back.) An instance's header must read the same through
 * codec_instance_peek as through the decoder.
 *
 * Input: byte 0 picks the record type (and the with_input/with_state
 * variants); the rest is the stored value.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "store/store_codec.h"

enum {
	FC_INSTANCE,
	FC_INSTANCE_NOINPUT,
	FC_EVENT,
	FC_TASK,
	FC_FUNCTION,
	FC_ENTITY,
	FC_ENTITY_NOSTATE,
	FC_TIME,
	FC_N,
};

union fuzz_rec {
	struct store_instance in;
	struct store_event ev;
	struct store_task t;
	struct store_function fn;
	struct store_entity en;
	int64_t when;
};

static enum store_err
fuzz_codec_decode(int type, const void *p, size_t n, union fuzz_rec *r)
{
	memset(r, 0, sizeof(*r));
	switch (type) {
	case FC_INSTANCE:
	case FC_INSTANCE_NOINPUT:
		return codec_instance_decode(p, n, type == FC_INSTANCE, &r->in);
	case FC_EVENT:
		return codec_event_decode(p, n, &r->ev);
	case FC_TASK:
		return codec_task_decode(p, n, &r->t);
	case FC_FUNCTION:
		return codec_function_decode(p, n, &r->fn);
	case FC_ENTITY:
	case FC_ENTITY_NOSTATE:
		return codec_entity_decode(p, n, type == FC_ENTITY, &r->en);
	default:
		return codec_time_decode(p, n, &r->when);
	}
}

static enum store_err
fuzz_codec_encode(int type, const union fuzz_rec *r, struct codec_buf *b)
{
	codec_buf_reset(b);
	switch (type) {
	case FC_INSTANCE:
	case FC_INSTANCE_NOINPUT:
		return codec_instance_encode(&r->in, b);
	case FC_EVENT:
		return codec_event_encode(&r->ev, b);
	case FC_TASK:
		return codec_task_encode(&r->t, b);
	case FC_FUNCTION:
		return codec_function_encode(&r->fn, b);
	case FC_ENTITY:
	case FC_ENTITY_NOSTATE:
		return codec_entity_encode(&r->en, b);
	default:
		return codec_time_encode(r->when, b);
	}
}

static void
fuzz_codec_clear(int type, union fuzz_rec *r)
{
	switch (type) {
	case FC_INSTANCE:
	case FC_INSTANCE_NOINPUT:
		store_instance_clear(&r->in);
		break;
	case FC_EVENT:
		store_event_clear(&r->ev);
		break;
	case FC_TASK:
		store_task_clear(&r->t);
		break;
	case FC_FUNCTION:
		store_function_clear(&r->fn);
		break;
	case FC_ENTITY:
	case FC_ENTITY_NOSTATE:
		store_entity_clear(&r->en);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union fuzz_rec r1, r2;
	struct codec_buf b1, b2;
	enum store_err e;
	int type, status;
	int64_t created;

	if (size < 1)
		return 0;
	type = data[0] % FC_N;
	data++;
	size--;
	/* Exact-size copy: the sanitizers see a read past the value. */
	{
		uint8_t *p = malloc(size ? size : 1);

		if (p == NULL)
			fuzz_fail("out of memory");
		memcpy(p, data, size);
		e = fuzz_codec_decode(type, p, size, &r1);
		if (e == STORE_OK && (type == FC_INSTANCE || type == FC_INSTANCE_NOINPUT) &&
		    (codec_instance_peek(p, size, &status, &created) != 0 || status != r1.in.status ||
		     created != r1.in.created))
			fuzz_fail("codec_instance_peek disagrees with the decoder");
		free(p);
	}
	if (e != STORE_OK) {
		if (e != STORE_CORRUPT)
			fuzz_fail("decode: %s", store_strerror(e));
		/* On error the struct is cleared: nothing to free, nothing leaks. */
		return 0;
	}
	codec_buf_init(&b1, (size_t)64 << 20);
	codec_buf_init(&b2, (size_t)64 << 20);
	if ((e = fuzz_codec_encode(type, &r1, &b1)) != STORE_OK)
		fuzz_fail("a decoded record does not encode: %s", store_strerror(e));
	if ((e = fuzz_codec_decode(type, b1.p, b1.len, &r2)) != STORE_OK)
		fuzz_fail("an encoded record does not decode: %s", store_strerror(e));
	if ((e = fuzz_codec_encode(type, &r2, &b2)) != STORE_OK)
		fuzz_fail("a re-decoded record does not encode: %s", store_strerror(e));
	if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
		fuzz_fail("record type %d does not round-trip (%zu then %zu bytes)", type, b1.len, b2.len);
	fuzz_codec_clear(type, &r1);
	fuzz_codec_clear(type, &r2);
	codec_buf_free(&b1);
	codec_buf_free(&b2);
	return 0;
}
