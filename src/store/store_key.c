/*
 * store_key.c — key layouts and continuation tokens.
 *
 * Instance IDs never contain bytes below 0x20, so a 0 byte after the ID
 * sorts before every longer ID that shares the prefix: an instance's
 * history and inbox records are one contiguous range [id‖0, id‖1).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/ids.h"
#include "store/store_int.h"

static void
key_put(struct store_key *k, const void *p, size_t n)
{
	/* Callers validate lengths first (IDs <= 256, names <= 256). */
	if (n > KEY_MAX - k->len)
		n = KEY_MAX - k->len;
	memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void
key_byte(struct store_key *k, unsigned char c)
{
	key_put(k, &c, 1);
}

void
key_prefix0(struct store_key *k, const char *id)
{
	k->len = 0;
	key_put(k, id, strlen(id));
	key_byte(k, 0);
}

void
key_prefix1(struct store_key *k, const char *id)
{
	k->len = 0;
	key_put(k, id, strlen(id));
	key_byte(k, 1);
}

void
key_history(struct store_key *k, const char *id, uint32_t seq)
{
	key_prefix0(k, id);
	codec_be32(k->b + k->len, seq);
	k->len += 4;
}

void
key_inbox(struct store_key *k, const char *id, uint64_t seq)
{
	key_prefix0(k, id);
	codec_be64(k->b + k->len, seq);
	k->len += 8;
}

void
key_timer(struct store_key *k, int64_t fire_at, const char *id, int32_t timer_id)
{
	k->len = 0;
	codec_be64(k->b, (uint64_t)fire_at);
	k->len = 8;
	key_put(k, id, strlen(id));
	key_byte(k, 0);
	codec_be32(k->b + k->len, (uint32_t)timer_id);
	k->len += 4;
}

void
key_function(struct store_key *k, int kind, const char *name)
{
	char low[512];

	ids_lower(low, name, sizeof(low));
	k->len = 0;
	key_byte(k, (unsigned char)kind);
	key_put(k, low, strlen(low));
}

void
key_entity(struct store_key *k, const char *name, const char *ekey)
{
	char low[512];

	ids_lower(low, name, sizeof(low));
	k->len = 0;
	key_put(k, low, strlen(low));
	key_byte(k, 0);
	key_put(k, ekey, strlen(ekey));
}

void
key_u64(struct store_key *k, uint64_t v)
{
	codec_be64(k->b, v);
	k->len = 8;
}

/* ---- continuation tokens ------------------------------------------------- */

/* FNV-1a: not a secret, only a guard so that a mangled or hand-made token is
 * refused as invalid instead of silently starting somewhere odd. */
static uint32_t
token_check(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h ^ 0x7461736bu;
}

char *
token_make(int kind, const void *key, size_t len)
{
	unsigned char raw[KEY_MAX + 8];
	char *out;

	if (len > KEY_MAX)
		return NULL;
	raw[0] = 1; /* token format version */
	raw[1] = (unsigned char)kind;
	memcpy(raw + 2, key, len);
	codec_be32(raw + 2 + len, token_check(raw, 2 + len));
	if ((out = malloc(B64_ENCODED_SIZE(len + 6))) == NULL)
		return NULL;
	b64_encode(raw, len + 6, out);
	return out;
}

enum store_err
token_parse(const char *tok, int kind, struct store_key *key)
{
	unsigned char raw[KEY_MAX + 8];
	size_t tlen = strlen(tok);
	long n;

	if (tlen > B64_ENCODED_SIZE(KEY_MAX + 6))
		return STORE_INVALID;
	n = b64_decode(tok, tlen, raw, sizeof(raw));
	if (n < 7 || raw[0] != 1 || raw[1] != kind)
		return STORE_INVALID;
	if (codec_get32(raw + n - 4) != token_check(raw, (size_t)n - 4))
		return STORE_INVALID;
	key->len = (size_t)n - 6;
	memcpy(key->b, raw + 2, key->len);
	return STORE_OK;
}

char *
store_history_token(uint32_t seq)
{
	unsigned char k[4];

	codec_be32(k, seq);
	return token_make(TOKEN_HISTORY, k, sizeof(k));
}

enum store_err
store_history_token_parse(const char *tok, uint32_t *seq)
{
	struct store_key k;

	if (token_parse(tok, TOKEN_HISTORY, &k) != STORE_OK || k.len != 4)
		return STORE_INVALID;
	*seq = codec_get32(k.b);
	return STORE_OK;
}
