/*
 * test_json.c — the strict JSON check applied to user input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "tap.h"

static int
valid(const char *s)
{
	return jsonutil_valid(s, strlen(s), JSONUTIL_MAX_DEPTH);
}

int
main(void)
{
	char deep[200];
	int i;

	ok(valid("\"Tokyo\""), "a string");
	ok(valid(" {\"a\":[1,2.5e3,true,false,null]} \n"), "an object with surrounding whitespace");
	ok(valid("0"), "a bare number");
	ok(valid("\"\\u00e9t\\u00e9\""), "escapes");
	ok(valid("\"été\""), "UTF-8 in a string");
	ok(!valid(""), "empty text refused");
	ok(!valid("{"), "truncated object refused");
	ok(!valid("{\"a\":1,}"), "trailing comma refused");
	ok(!valid("[1] [2]"), "two values refused");
	ok(!valid("{'a':1}"), "single quotes refused");
	ok(!valid("tru"), "truncated literal refused");
	ok(!valid("\"\xff\""), "invalid UTF-8 refused");
	ok(!valid("NaN"), "NaN refused");
	ok(!valid("\"a\tb\""), "a raw tab inside a string refused");
	ok(valid("\"a\\tb\""), "an escaped tab accepted");
	ok(!valid("[Infinity]"), "Infinity refused");
	ok(!valid("[1, nul]"), "a misspelt literal refused");
	ok(valid("[-1.5E+3, 2e-2, \"it's\"]"), "exponents and a quote inside a string accepted");
	ok(!jsonutil_valid("1\0 2", 4, JSONUTIL_MAX_DEPTH), "embedded NUL refused");
	ok(!valid("01"), "a leading zero refused");
	ok(!valid("-"), "a lone minus refused");
	ok(!valid("1."), "a fraction without digits refused");
	ok(!valid(".5"), "a number without an integer part refused");
	ok(!valid("+1"), "a plus sign refused");
	ok(!valid("1e"), "an exponent without digits refused");
	ok(valid("-0.0e-0"), "the smallest forms of every number part accepted");
	ok(!valid("\"\\x\""), "an unknown escape refused");
	ok(!valid("\"\\u12\""), "a short unicode escape refused");
	ok(!valid("\"abc"), "an unterminated string refused");
	ok(!valid("{\"a\" 1}"), "a missing colon refused");
	ok(!valid("{1:2}"), "a non-string key refused");
	ok(!valid("[1 2]"), "a missing comma refused");
	ok(!valid("[,1]"), "a leading comma refused");
	ok(valid("{ \"a\" : { \"b\" : [ ] , \"c\" : { } } }"), "whitespace everywhere it may be accepted");
	ok(!valid("truex"), "a literal running on refused");
	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (i = 0; i < 65; i++)
		deep[65 + i] = ']';
	deep[130] = '\0';
	ok(!valid(deep), "nesting past the limit refused");
	deep[64] = '\0';
	memset(deep + 64, ']', 64);
	deep[128] = '\0';
	ok(valid(deep), "nesting at the limit accepted");
	return tap_done();
}
