/*
 * store_codec.h — the one place where records become bytes and back.
 *
 * Every stored value begins with a format version byte, then a fixed
 * header of big-endian integers (so secondary-index callbacks can read
 * status and created time without decoding), then tagged strings:
 * tag byte, varint length, bytes. A decoder skips tags it does not know,
 * so later versions can add fields that older readers ignore; it refuses a
 * version byte newer than it understands.
 *
 * Integers in keys are big-endian so that byte order is numeric order.
 */
#ifndef TH_STORE_CODEC_H
#define TH_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CODEC_VERSION 1

/* A growable byte buffer with a hard cap (curl's dynbuf habit). */
struct codec_buf {
	unsigned char *p;
	size_t len, cap, max;
};
void codec_buf_init(struct codec_buf *b, size_t max);
void codec_buf_reset(struct codec_buf *b);
void codec_buf_free(struct codec_buf *b);
/* 0, or -1 when the cap would be passed or memory runs out (b->len kept). */
int codec_buf_put(struct codec_buf *b, const void *p, size_t n);

void codec_be16(unsigned char *p, uint16_t v);
void codec_be32(unsigned char *p, uint32_t v);
void codec_be64(unsigned char *p, uint64_t v);
uint16_t codec_get16(const unsigned char *p);
uint32_t codec_get32(const unsigned char *p);
uint64_t codec_get64(const unsigned char *p);

/* Encoders append to b (after codec_buf_reset by the caller); they return
 * STORE_OK, STORE_TOOBIG (cap) or STORE_NOMEM. Keys are not part of values:
 * the instance ID, the task seq, the entity name/key are in the key. */
enum store_err codec_instance_encode(const struct store_instance *r, struct codec_buf *b);
enum store_err codec_event_encode(const struct store_event *e, struct codec_buf *b);
enum store_err codec_task_encode(const struct store_task *t, struct codec_buf *b);
enum store_err codec_function_encode(const struct store_function *f, struct codec_buf *b);
enum store_err codec_entity_encode(const struct store_entity *e, struct codec_buf *b);
enum store_err codec_time_encode(int64_t when, struct codec_buf *b);

/* Decoders fill a zeroed caller struct with malloc'd strings; on error the
 * struct is cleared. STORE_CORRUPT for a truncated or unknown-version value.
 * codec_instance_decode leaves out->id alone and skips the input unless
 * with_input. */
enum store_err codec_instance_decode(const void *data, size_t len, int with_input, struct store_instance *out);
enum store_err codec_event_decode(const void *data, size_t len, struct store_event *out);
enum store_err codec_task_decode(const void *data, size_t len, struct store_task *out);
enum store_err codec_function_decode(const void *data, size_t len, struct store_function *out);
enum store_err codec_entity_decode(const void *data, size_t len, int with_state, struct store_entity *out);
enum store_err codec_time_decode(const void *data, size_t len, int64_t *when);
/* Reads status and created time from an encoded instance: 0, or -1 if malformed. */
int codec_instance_peek(const void *data, size_t len, int *status, int64_t *created);

#endif
