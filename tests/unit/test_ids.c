/*
 * test_ids.c — identifier rules shared by the store and the API.
 */
#include "config.h"

#include <string.h>

#include "common/ids.h"
#include "common/status.h"
#include "tap.h"

int
main(void)
{
	char longid[IDS_INSTANCE_MAX + 2], guid[33], guid2[33];

	ok(ids_instance_valid("abc-123", 0), "plain ID");
	ok(ids_instance_valid("Ünïcødé-ID", 0), "UTF-8 ID");
	ok(!ids_instance_valid("", 0), "empty refused");
	ok(!ids_instance_valid("a/b", 0), "slash refused");
	ok(!ids_instance_valid("a\\b", 0), "backslash refused");
	ok(!ids_instance_valid("a#b", 0), "hash refused");
	ok(!ids_instance_valid("a?b", 0), "question mark refused");
	ok(!ids_instance_valid("a\nb", 0), "newline refused");
	ok(!ids_instance_valid("a\x7f", 0), "DEL refused");
	ok(!ids_instance_valid("a\xc2\x85", 0), "C1 control (NEL) refused");
	ok(!ids_instance_valid("\xff\xfe", 0), "invalid UTF-8 refused");
	ok(!ids_instance_valid("\xc0\xaf", 0), "overlong UTF-8 refused");
	ok(!ids_instance_valid("\xed\xa0\x80", 0), "UTF-16 surrogate refused");
	ok(!ids_instance_valid("abc\xe2\x82", 0), "truncated UTF-8 refused");
	ok(!ids_instance_valid("@counter@k", 0), "'@' reserved for entities");
	ok(ids_instance_valid("@counter@k", 1), "'@' allowed where entities are");
	memset(longid, 'a', IDS_INSTANCE_MAX);
	longid[IDS_INSTANCE_MAX] = '\0';
	ok(ids_instance_valid(longid, 0), "256 bytes accepted");
	longid[IDS_INSTANCE_MAX] = 'a';
	longid[IDS_INSTANCE_MAX + 1] = '\0';
	ok(!ids_instance_valid(longid, 0), "257 bytes refused");

	ok(ids_hub_valid("TestHubName"), "hub name");
	ok(!ids_hub_valid("ab"), "hub too short");
	ok(!ids_hub_valid("1abc"), "hub must start with a letter");
	ok(!ids_hub_valid("my-hub"), "hub: letters and digits only");
	ok(!ids_hub_valid("a234567890123456789012345678901234567890123456"), "hub over 45 refused");

	ok(ids_name_valid("HelloSequence"), "function name");
	ok(!ids_name_valid("a/b"), "function name with slash refused");
	ok(!ids_name_valid("a@b"), "function name with @ refused");
	ok(ids_entity_key_valid(""), "empty entity key allowed");
	ok(!ids_entity_key_valid("a\tb"), "control character in entity key refused");

	ok(ids_new_guid(guid) == 0 && strlen(guid) == 32 && strspn(guid, "0123456789abcdef") == 32,
	   "GUID: 32 lowercase hex digits");
	ok(ids_new_guid(guid2) == 0 && strcmp(guid, guid2) != 0, "GUIDs differ");
	ok(guid[12] == '4', "version 4 GUID");

	is_str(status_name(5), "Terminated", "status name");
	is_int(status_parse("Suspended"), 7, "status by name");
	is_int(status_parse("3"), 3, "status by number");
	is_int(status_parse("running"), -1, "status names are case-sensitive");
	is_int(status_parse("8"), -1, "status out of range");
	is_int(status_parse(""), -1, "empty status");
	ok(status_is_terminal(1) && status_is_terminal(3) && status_is_terminal(4) && status_is_terminal(5),
	   "terminal states");
	ok(!status_is_terminal(0) && !status_is_terminal(2) && !status_is_terminal(6) && !status_is_terminal(7),
	   "non-terminal states");
	return tap_done();
}
