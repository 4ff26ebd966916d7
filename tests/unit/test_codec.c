/*
 * test_codec.c — the record codec: every record type round-trips, the
 * version byte is checked, unknown tags are skipped (forward
 * compatibility), truncation and garbage are refused, caps are enforced.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/status.h"
#include "store/store_codec.h"
#include "tap.h"

static void
test_instance(void)
{
	struct store_instance r = {0}, d = {0};
	struct codec_buf b;
	int status;
	int64_t created;

	codec_buf_init(&b, 1 << 20);
	r.name = "HelloSequence";
	r.version = "1.0";
	r.execution_id = "e0";
	r.status = STATUS_SUSPENDED;
	r.created = 1700000000123456;
	r.updated = 1700000000999999;
	r.completed = -5; /* signed values survive */
	r.input = "{\"a\":[1,2,3]}";
	r.output = "";
	r.custom_status = "\"custom\"";
	r.failure = NULL;
	r.parent_id = "parent";
	r.parent_execution = "pe";
	r.parent_task_id = -1;
	r.generation = 7;
	is_int(codec_instance_encode(&r, &b), STORE_OK, "instance encodes");
	is_int(b.p[0], CODEC_VERSION, "instance starts with the version byte");
	is_int(codec_instance_decode(b.p, b.len, 1, &d), STORE_OK, "instance decodes");
	is_str(d.name, r.name, "name round-trips");
	is_str(d.version, r.version, "version round-trips");
	is_str(d.execution_id, r.execution_id, "execution id round-trips");
	is_int(d.status, r.status, "status round-trips");
	is_int(d.created, r.created, "created round-trips");
	is_int(d.updated, r.updated, "updated round-trips");
	is_int(d.completed, r.completed, "negative completed round-trips");
	is_str(d.input, r.input, "input round-trips");
	is_str(d.output, "", "empty output stays empty, not NULL");
	is_str(d.custom_status, r.custom_status, "custom status round-trips");
	ok(d.failure == NULL, "absent failure stays NULL");
	is_str(d.parent_id, "parent", "parent round-trips");
	is_str(d.parent_execution, "pe", "parent execution round-trips");
	is_int(d.parent_task_id, -1, "parent task id -1 round-trips");
	is_int(d.generation, 7, "generation round-trips");
	store_instance_clear(&d);

	is_int(codec_instance_decode(b.p, b.len, 0, &d), STORE_OK, "decode without input");
	ok(d.input == NULL && d.name != NULL, "input skipped, the rest read");
	store_instance_clear(&d);

	ok(codec_instance_peek(b.p, b.len, &status, &created) == 0 && status == STATUS_SUSPENDED &&
		   created == r.created,
	   "peek reads status and created time without decoding");

	/* Every truncation of the record is refused or decodes to a prefix of
	 * the fields; none may crash or read past the end. */
	{
		size_t cut;
		int refused = 0;

		for (cut = 0; cut < b.len; cut++) {
			unsigned char *copy = malloc(cut ? cut : 1);

			memcpy(copy, b.p, cut);
			memset(&d, 0, sizeof(d));
			if (codec_instance_decode(copy, cut, 1, &d) != STORE_OK)
				refused++;
			store_instance_clear(&d);
			free(copy);
		}
		ok(refused > 0, "truncated instances are refused (%d of %zu cuts)", refused, b.len);
	}

	/* A newer version byte is refused, not misread. */
	b.p[0] = CODEC_VERSION + 1;
	memset(&d, 0, sizeof(d));
	is_int(codec_instance_decode(b.p, b.len, 1, &d), STORE_CORRUPT, "newer version byte refused");
	ok(codec_instance_peek(b.p, b.len, &status, &created) == -1, "peek refuses a newer version");
	b.p[0] = 0;
	is_int(codec_instance_decode(b.p, b.len, 1, &d), STORE_CORRUPT, "version 0 refused");
	codec_buf_free(&b);
}

static void
test_unknown_tags(void)
{
	struct store_event e = {0}, d = {0};
	struct codec_buf b;
	unsigned char extra[] = {0x63, 0x03, 'x', 'y', 'z'}; /* tag 99, length 3 */

	codec_buf_init(&b, 1 << 20);
	e.type = 4;
	e.event_id = 3;
	e.task_id = -1;
	e.name = "SayHello";
	e.data = "\"Tokyo\"";
	is_int(codec_event_encode(&e, &b), STORE_OK, "event encodes");
	codec_buf_put(&b, extra, sizeof(extra));
	is_int(codec_event_decode(b.p, b.len, &d), STORE_OK, "an unknown tag from a newer writer is skipped");
	is_str(d.name, "SayHello", "known fields still read");
	is_str(d.data, "\"Tokyo\"", "data read");
	store_event_clear(&d);

	/* A length running past the end is corrupt. */
	b.p[b.len - 4] = 0x7f;
	is_int(codec_event_decode(b.p, b.len, &d), STORE_CORRUPT, "a tag length past the end is refused");
	codec_buf_free(&b);
}

static void
test_event(void)
{
	struct store_event e = {0}, d = {0};
	struct codec_buf b;

	codec_buf_init(&b, 1 << 20);
	e.type = 11;
	e.event_id = -1;
	e.task_id = 42;
	e.timestamp = 123;
	e.fire_at = 1700000000000000;
	e.flags = STORE_EVENT_PLAYED;
	e.name = "n";
	e.version = "v";
	e.instance_id = "i";
	e.execution_id = "x";
	e.data = "d";
	e.detail = "{\"ErrorType\":\"E\"}";
	is_int(codec_event_encode(&e, &b), STORE_OK, "timer event encodes");
	is_int(codec_event_decode(b.p, b.len, &d), STORE_OK, "timer event decodes");
	ok(d.type == 11 && d.event_id == -1 && d.task_id == 42 && d.timestamp == 123 && d.fire_at == e.fire_at &&
		   d.flags == STORE_EVENT_PLAYED,
	   "event integers round-trip");
	ok(strcmp(d.name, "n") == 0 && strcmp(d.version, "v") == 0 && strcmp(d.instance_id, "i") == 0 &&
		   strcmp(d.execution_id, "x") == 0 && strcmp(d.data, "d") == 0 && strcmp(d.detail, e.detail) == 0,
	   "event strings round-trip");
	store_event_clear(&d);
	codec_buf_free(&b);
}

static void
test_task_function_entity(void)
{
	struct store_task t = {0}, td = {0};
	struct store_function f = {0}, fd = {0};
	struct store_entity en = {0}, ed = {0};
	struct codec_buf b;
	int64_t when;

	codec_buf_init(&b, 1 << 20);
	t.instance_id = "inst";
	t.execution_id = "exec";
	t.name = "SayHello";
	t.input = "\"London\"";
	t.task_id = 5;
	t.created = 99;
	t.attempts = 3;
	is_int(codec_task_encode(&t, &b), STORE_OK, "task encodes");
	is_int(codec_task_decode(b.p, b.len, &td), STORE_OK, "task decodes");
	ok(strcmp(td.instance_id, "inst") == 0 && strcmp(td.name, "SayHello") == 0 && td.task_id == 5 &&
		   td.created == 99 && td.attempts == 3 && td.version == NULL,
	   "task round-trips");
	store_task_clear(&td);

	codec_buf_reset(&b);
	f.kind = STORE_FN_ACTIVITY;
	f.name = "SayHello";
	f.script = "/srv/app/SayHello/hello.so";
	f.entry = "say_hello";
	is_int(codec_function_encode(&f, &b), STORE_OK, "function encodes");
	is_int(codec_function_decode(b.p, b.len, &fd), STORE_OK, "function decodes");
	ok(fd.kind == STORE_FN_ACTIVITY && strcmp(fd.name, "SayHello") == 0 && strcmp(fd.entry, "say_hello") == 0,
	   "function round-trips");
	store_function_clear(&fd);

	/* A record without a name is corrupt, and the strings it did hold
	 * are freed (found by tests/fuzz/fuzz_codec: they leaked). */
	codec_buf_reset(&b);
	f.name = NULL;
	is_int(codec_function_encode(&f, &b), STORE_OK, "function without a name encodes");
	is_int(codec_function_decode(b.p, b.len, &fd), STORE_CORRUPT, "function without a name is corrupt");
	ok(fd.name == NULL && fd.script == NULL && fd.entry == NULL, "a corrupt function record leaves nothing to free");

	codec_buf_reset(&b);
	en.name = "Counter";
	en.key = "";
	en.state = "17";
	en.last_op = 555;
	is_int(codec_entity_encode(&en, &b), STORE_OK, "entity encodes");
	is_int(codec_entity_decode(b.p, b.len, 1, &ed), STORE_OK, "entity decodes");
	ok(strcmp(ed.name, "Counter") == 0 && strcmp(ed.key, "") == 0 && strcmp(ed.state, "17") == 0 &&
		   ed.last_op == 555 && ed.locked_by == NULL,
	   "entity with an empty key round-trips");
	store_entity_clear(&ed);
	is_int(codec_entity_decode(b.p, b.len, 0, &ed), STORE_OK, "entity decodes without state");
	ok(ed.state == NULL, "state skipped on request");
	store_entity_clear(&ed);

	codec_buf_reset(&b);
	is_int(codec_time_encode(-1, &b), STORE_OK, "time encodes");
	ok(codec_time_decode(b.p, b.len, &when) == STORE_OK && when == -1, "time round-trips");
	is_int(codec_time_decode(b.p, 3, &when), STORE_CORRUPT, "short time refused");
	codec_buf_free(&b);
}

static void
test_caps(void)
{
	struct store_instance r = {0};
	struct codec_buf b;
	char *big = malloc(STORE_MAX_PAYLOAD + 2);

	memset(big, 'a', STORE_MAX_PAYLOAD + 1);
	big[STORE_MAX_PAYLOAD + 1] = '\0';
	codec_buf_init(&b, 64 * 1024 * 1024);
	r.name = "n";
	r.input = big;
	is_int(codec_instance_encode(&r, &b), STORE_TOOBIG, "a payload over STORE_MAX_PAYLOAD is refused");
	big[STORE_MAX_PAYLOAD] = '\0';
	codec_buf_reset(&b);
	is_int(codec_instance_encode(&r, &b), STORE_OK, "a payload of exactly STORE_MAX_PAYLOAD is accepted");
	codec_buf_free(&b);

	codec_buf_init(&b, 100);
	r.input = "0123456789012345678901234567890123456789012345678901234567890123456789";
	is_int(codec_instance_encode(&r, &b), STORE_TOOBIG, "the buffer cap is enforced");
	ok(b.len <= 100, "the buffer never grows past its cap");
	codec_buf_free(&b);
	free(big);
}

int
main(void)
{
	test_instance();
	test_unknown_tags();
	test_event();
	test_task_function_entity();
	test_caps();
	return tap_done();
}
