/*
 * test_hostjson.c — host.json (spec §7) from memory: the settings taskhub
 * honours, their ranges, and functionTimeout's TimeSpan syntax, including
 * the day counts the fuzzer found overflowing or wrapping.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/hostjson.h"
#include "tap.h"

/* 0 or -1 for text, with h over the defaults of one CPU. */
static int
parse(const char *text, struct hostjson *h)
{
	char err[512];

	hostjson_defaults(h, 1);
	return hostjson_parse(text, strlen(text), "host.json", h, err, sizeof(err));
}

/* functionTimeout's microseconds, or -2 when refused. */
static long long
timeout_us(const char *span)
{
	char text[256];
	struct hostjson h;

	snprintf(text, sizeof(text), "{\"functionTimeout\":\"%s\"}", span);
	return parse(text, &h) == 0 ? (long long)h.function_timeout_us : -2;
}

int
main(void)
{
	struct hostjson h;

	ok(parse("{}", &h) == 0 && h.max_activities == 10 && h.max_actions == 100000 && !h.override_any,
	   "{} keeps every default");
	ok(parse("{\"extensions\":{\"durableTask\":{\"maxConcurrentActivityFunctions\":3,"
		 "\"overridableExistingInstanceStates\":\"anystate\"}}}  \n",
		 &h) == 0 &&
		   h.max_activities == 3 && h.override_any == 1,
	   "durableTask settings are read (trailing whitespace allowed)");
	ok(parse("{\"extensions\":{\"durableTask\":{\"maxConcurrentActivityFunctions\":0}}}", &h) == -1,
	   "a limit of 0 is refused");
	ok(parse("{\"extensions\":{\"durableTask\":{\"maxOrchestrationActions\":\"8\"}}}", &h) == -1,
	   "a limit given as a string is refused");
	ok(parse("{} x", &h) == -1, "text after the object is refused");
	ok(parse("[]", &h) == -1, "an array is refused");

	is_int(timeout_us("00:05:00"), 300000000LL, "00:05:00");
	is_int(timeout_us("1.02:03:04.5"), ((86400LL + 2 * 3600 + 3 * 60 + 4) * 1000000) + 500000, "1.02:03:04.5");
	is_int(timeout_us("00:00:01.1234567"), 1123456, "seven fraction digits (ticks) keep microseconds");
	is_int(timeout_us("10675199.23:59:59"), (10675199LL * 86400 + 86399) * 1000000, "TimeSpan's largest day count");
	is_int(timeout_us("10675200.00:00:00"), -2, "more days than TimeSpan holds are refused (no overflow)");
	is_int(timeout_us("16666666666666666666.02:03:04.5"), -2, "a 20-digit day count is refused (no overflow)");
	is_int(timeout_us("4294967301.00:00:00"), -2, "a day count past 2^32 does not wrap to 5 days");
	is_int(timeout_us("-1.00:00:00"), -2, "a negative day count is refused");
	is_int(timeout_us("+00:05:00"), -2, "a sign is refused");
	is_int(timeout_us("24:00:00"), -2, "hours past 23 are refused");
	is_int(timeout_us("00:60:00"), -2, "minutes past 59 are refused");
	is_int(timeout_us("00:05:00."), -2, "a dot without digits is refused");
	is_int(timeout_us("00:00:00.12345678"), -2, "eight fraction digits are refused");
	is_int(timeout_us("00:05"), -2, "hh:mm alone is refused");
	return tap_done();
}
