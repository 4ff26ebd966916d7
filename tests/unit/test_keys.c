/*
 * test_keys.c — key encodings sort as the store relies on, and
 * continuation tokens round-trip and refuse tampering.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "store/store_int.h"
#include "tap.h"

static int
keycmp(const struct store_key *a, const struct store_key *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->b, b->b, n);

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static void
test_order(void)
{
	struct store_key a, b, lo, hi;

	key_history(&a, "abc", 1);
	key_history(&b, "abc", 256);
	ok(keycmp(&a, &b) < 0, "history seq 1 sorts before 256 (big-endian)");
	key_history(&b, "abc!", 0);
	key_prefix0(&lo, "abc");
	key_prefix1(&hi, "abc");
	ok(keycmp(&lo, &a) <= 0 && keycmp(&a, &hi) < 0, "history key within [id|0, id|1)");
	ok(!(keycmp(&lo, &b) <= 0 && keycmp(&b, &hi) < 0), "a longer ID sharing the prefix is outside the range");
	key_history(&b, "abc", 0xffffffffu);
	ok(keycmp(&b, &hi) < 0, "the largest seq stays in range");

	key_inbox(&a, "x", 2);
	key_inbox(&b, "x", 10);
	ok(keycmp(&a, &b) < 0 && a.len == 1 + 1 + 8, "inbox keys: id, 0, be64");

	key_timer(&a, 1000, "zzz", 1);
	key_timer(&b, 2000, "aaa", 1);
	ok(keycmp(&a, &b) < 0, "timers order by due time first");
	key_timer(&a, -1, "a", 1);
	ok(a.len == 8 + 1 + 1 + 4, "timer key layout");

	key_function(&a, 1, "HelloSequence");
	key_function(&b, 1, "hellosequence");
	ok(keycmp(&a, &b) == 0, "function names are case-insensitive");
	key_function(&b, 2, "HelloSequence");
	ok(keycmp(&a, &b) < 0, "functions group by kind");

	key_entity(&a, "Counter", "");
	key_entity(&b, "counter", "k");
	ok(keycmp(&a, &b) < 0 && a.len == 8, "entity: lowercase name, 0, key; empty key sorts first");

	key_u64(&a, 255);
	key_u64(&b, 256);
	ok(keycmp(&a, &b) < 0, "u64 keys are numeric order");
}

static void
test_tokens(void)
{
	struct store_key k, out;
	char *tok;
	size_t i;

	key_history(&k, "instance-1", 99);
	tok = token_make(TOKEN_CREATED, k.b, k.len);
	ok(tok != NULL, "token made");
	ok(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(tok),
	   "token is URL- and header-safe");
	is_int(token_parse(tok, TOKEN_CREATED, &out), STORE_OK, "token parses");
	ok(out.len == k.len && memcmp(out.b, k.b, k.len) == 0, "token carries the key");
	is_int(token_parse(tok, TOKEN_STATUS, &out), STORE_INVALID, "a token of another kind is refused");

	/* Flipping any single character must be caught. */
	{
		int caught = 0;

		for (i = 0; i < strlen(tok); i++) {
			char *t = strdup(tok);

			t[i] = t[i] == 'A' ? 'B' : 'A';
			if (token_parse(t, TOKEN_CREATED, &out) == STORE_INVALID)
				caught++;
			free(t);
		}
		is_int(caught, (long long)strlen(tok), "every one-character change is refused");
	}
	free(tok);

	is_int(token_parse("", TOKEN_CREATED, &out), STORE_INVALID, "empty token refused");
	is_int(token_parse("bnVsbA", TOKEN_CREATED, &out), STORE_INVALID, "base64 of 'null' refused");
	is_int(token_parse("!!!!", TOKEN_CREATED, &out), STORE_INVALID, "non-base64 refused");
	{
		char huge[5000];

		memset(huge, 'A', sizeof(huge) - 1);
		huge[sizeof(huge) - 1] = '\0';
		is_int(token_parse(huge, TOKEN_CREATED, &out), STORE_INVALID, "oversized token refused");
	}
}

static void
test_b64(void)
{
	unsigned char in[3] = {0xfb, 0xff, 0x00}, out[8];
	char enc[B64_ENCODED_SIZE(3)];

	b64_encode(in, 3, enc);
	is_str(enc, "-_8A", "base64url alphabet");
	is_int(b64_decode(enc, 4, out, sizeof(out)), 3, "decodes");
	ok(memcmp(in, out, 3) == 0, "round-trip");
	b64_encode(in, 1, enc);
	is_str(enc, "-w", "no padding");
	is_int(b64_decode("-x", 2, out, sizeof(out)), -1, "non-canonical trailing bits refused");
	is_int(b64_decode("A", 1, out, sizeof(out)), -1, "impossible length refused");
	is_int(b64_decode("AAAA", 4, out, 2), -1, "output cap respected");
}

int
main(void)
{
	test_order();
	test_tokens();
	test_b64();
	return tap_done();
}
