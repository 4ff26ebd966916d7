/*
 * test_units.c — unit tests below the golden cases: SHA-1 and UUID v5
 * against known values (computed independently with Python's hashlib and
 * uuid.uuid5), the custom status size rule at its edge, the arena cap, and
 * the activity runner the daemon calls.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "sdk/sdk.h"
#include "tap.h"

static void
hex20(const unsigned char *h, char out[41])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 20; i++) {
		out[2 * i] = x[h[i] >> 4];
		out[2 * i + 1] = x[h[i] & 15];
	}
	out[40] = '\0';
}

static const char *
sha1_of(const char *s, size_t n, size_t repeat)
{
	static char out[41];
	struct core_sha1 c;
	unsigned char h[20];
	size_t i;

	core_sha1_init(&c);
	for (i = 0; i < repeat; i++)
		core_sha1_update(&c, s, n);
	core_sha1_final(&c, h);
	hex20(h, out);
	return out;
}

static void
test_sha1_uuid(void)
{
	char u[37], x[33];

	is_str(sha1_of("", 0, 1), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 empty");
	is_str(sha1_of("abc", 3, 1), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1 abc");
	is_str(sha1_of("a", 1, 1000000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "sha1 million a");
	core_uuid5(core_uuid_ns_url, "python.org", u);
	is_str(u, "7af94e2b-4dd9-50f0-9c9a-8a48519bdef0", "uuid5(URL, python.org) as RFC 4122 / Python");
	core_uuid5_hex(core_uuid_ns_url, "inst:exec1:ContinueAsNew", x);
	is_str(x, "e283aaa794b75c30ba04eda3344cbeff", "uuid5 N form");
}

static char *
json_of_len(size_t n, const char *fill)
{
	size_t f = strlen(fill), i;
	char *s = malloc(n * f + 3);

	s[0] = '"';
	for (i = 0; i < n; i++)
		memcpy(s + 1 + i * f, fill, f);
	s[1 + n * f] = '"';
	s[2 + n * f] = '\0';
	return s;
}

static void
test_custom_status(void)
{
	char *s;
	int kb;

	/* 8703 UTF-16 units = 17406 bytes = 16.998 KB -> 16: passes. */
	s = json_of_len(8701, "x");
	is_int(core_custom_status_check(s, &kb), 0, "8703 chars (17406 bytes) pass");
	is_int(kb, 16, "reported as 16 KB");
	free(s);
	/* 8704 units = 17408 bytes = exactly 17 KB: fails. */
	s = json_of_len(8702, "x");
	is_int(core_custom_status_check(s, &kb), -1, "8704 chars (17408 bytes) fail");
	is_int(kb, 17, "reported as 17 KB");
	free(s);
	/* Non-ASCII: é is 2 UTF-8 bytes but 1 UTF-16 unit; 😀 is 4 bytes, 2 units. */
	s = json_of_len(8701, "\xc3\xa9");
	is_int(core_custom_status_check(s, &kb), 0, "8701 x U+00E9 counts as 8703 units: pass");
	free(s);
	/* 4350 emoji are 8700 units, with the quotes 8702: pass; one more: 8704, fail. */
	s = json_of_len(4350, "\xf0\x9f\x98\x80");
	is_int(core_custom_status_check(s, &kb), 0, "4350 U+1F600 (surrogate pairs) + quotes = 8702 units: pass");
	free(s);
	s = json_of_len(4351, "\xf0\x9f\x98\x80");
	is_int(core_custom_status_check(s, &kb), -1, "4351 U+1F600 + quotes = 8704 units: fail");
	free(s);
	is_int(core_custom_status_check(NULL, &kb), 0, "NULL is null");
}

static void
test_arena(void)
{
	struct core_arena *a = core_arena_new_cap(1 << 20);
	void *p;
	int i, n = 0;

	if (!ok(a != NULL, "arena"))
		return;
	for (i = 0; i < 100; i++)
		if ((p = core_arena_alloc(a, 100 << 10)) != NULL)
			n++;
	ok(n > 0 && n < 11, "the cap stops allocation (%d of 100 x 100 KiB)", n);
	is_str(core_arena_strdup(a, NULL), NULL, "strdup NULL stays NULL");
	core_arena_free(a);
}

static int
act_ok(th_activity *a)
{
	th_activity_set_output(a, th_printf(th_activity_arena(a), "\"Hello %s from %s!\"", th_activity_input(a),
					    th_activity_instance_id(a)));
	return 0;
}

static int
act_fail(th_activity *a)
{
	return th_activity_fail(a, "boom", "trace");
}

static int
act_rc(th_activity *a)
{
	(void)a;
	return 3;
}

static int
act_badjson(th_activity *a)
{
	th_activity_set_output(a, "{nope");
	return 0;
}

static int
act_none(th_activity *a)
{
	(void)a;
	return 0;
}

static int
act_hog(th_activity *a)
{
	for (;;)
		th_alloc(th_activity_arena(a), 1 << 20);
	return 0;
}

static void
test_activity(void)
{
	struct sdk_activity_result r;

	sdk_activity_run(act_ok, "SayHello", "i1", "Tokyo", &r);
	ok(r.ok, "activity ok");
	is_str(r.output, "\"Hello Tokyo from i1!\"", "output");
	sdk_activity_result_clear(&r);
	sdk_activity_run(act_fail, "X", "i1", NULL, &r);
	ok(!r.ok, "th_activity_fail fails");
	is_str(r.error, "boom", "reason");
	is_str(r.details, "trace", "details");
	sdk_activity_result_clear(&r);
	sdk_activity_run(act_rc, "Y", "i1", NULL, &r);
	is_str(r.error, "Activity function 'Y' failed", "non-zero return");
	sdk_activity_result_clear(&r);
	sdk_activity_run(act_badjson, "Z", "i1", NULL, &r);
	is_str(r.error, "Activity function 'Z' returned invalid JSON", "invalid JSON output");
	sdk_activity_result_clear(&r);
	sdk_activity_run(act_none, "N", "i1", NULL, &r);
	is_str(r.output, "null", "no output is null");
	sdk_activity_result_clear(&r);
	sdk_activity_run(act_hog, "Hog", "i1", NULL, &r);
	ok(!r.ok && r.error && strstr(r.error, "out of memory"), "an activity over the arena cap fails");
	sdk_activity_result_clear(&r);
}

int
main(void)
{
	test_sha1_uuid();
	test_custom_status();
	test_arena();
	test_activity();
	return tap_done();
}
