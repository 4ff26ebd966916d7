/*
 * test_query.c — query-string parsing and JSON writing of the responder.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "common/jsonw.h"
#include "tap.h"

static struct api_query q;

int
main(void)
{
	char big[API_QUERY_MAX + 10], out[64];
	struct buf b;
	int i;

	ok(api_query_parse("taskHub=Hub1&runtimeStatus=Running,Pending&runtimeStatus=Failed&x", &q) == 0,
	   "a query parses");
	is_int((long long)q.n, 4, "four parameters, repeats kept");
	is_str(api_query_get(&q, "TASKHUB"), "Hub1", "names are case-insensitive");
	is_str(api_query_get(&q, "x"), NULL, "an empty value counts as absent");
	ok(api_query_parse("reason=stopped%20by+test&prefix=a%2Fb", &q) == 0, "escapes");
	is_str(api_query_get(&q, "reason"), "stopped by test", "percent-20 and + decode to spaces");
	is_str(api_query_get(&q, "prefix"), "a/b", "percent-2F decodes to a slash in a value");
	ok(api_query_parse("a=%zz", &q) == -1, "a bad escape is refused");
	ok(api_query_parse("a=%4", &q) == -1, "a truncated escape is refused");
	ok(api_query_parse("a=%00", &q) == -1, "an encoded NUL is refused");
	ok(api_query_parse("showInput=FALSE&showHistory=yes", &q) == 0, "booleans");
	is_int(api_query_bool(&q, "showInput", 1), 0, "FALSE in any case");
	is_int(api_query_bool(&q, "showHistory", 0), 0, "anything else is the default");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(api_query_parse(big, &q) == -1, "an oversized query is refused");
	{
		char many[1024] = "";

		for (i = 0; i < API_PARAMS_MAX + 1; i++)
			strcat(many, "a=1&");
		ok(api_query_parse(many, &q) == -1, "too many parameters are refused");
	}
	is_int(api_pct_decode("a%2Fb", 5, out, sizeof(out), 0), 3, "path segment decode");
	is_str(out, "a/b", "an encoded slash stays inside the segment");
	is_int(api_pct_decode("a+b", 3, out, sizeof(out), 0), 3, "plus is literal in paths");
	is_str(out, "a+b", "plus kept");

	buf_init(&b, 1024);
	jsonw_str(&b, "a\"b\\c\n\x01é");
	is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001é\"", "string escapes");
	buf_reset(&b);
	jsonw_str(&b, "a\xff\xc3\xa9\xe2\x82");
	is_str(b.p, "\"a\\ufffd\xc3\xa9\\ufffd\\ufffd\"", "invalid UTF-8 becomes U+FFFD, valid kept");
	buf_reset(&b);
	jsonw_str(&b, NULL);
	is_str(b.p, "null", "NULL is null");
	buf_free(&b);
	buf_init(&b, 8);
	ok(jsonw_str(&b, "0123456789") == -1 && b.overflow, "the cap holds");
	buf_free(&b);
	return tap_done();
}
