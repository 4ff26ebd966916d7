/*
 * test_timefmt.c — the API's timestamp formats and parser.
 */
#include "config.h"

#include "common/timefmt.h"
#include "tap.h"

static long long
parse(const char *s)
{
	int64_t us = -12345;

	if (timefmt_parse(s, &us) == -1)
		return -1;
	return us;
}

int
main(void)
{
	char t[TIMEFMT_MAX];

	timefmt_seconds(0, t);
	is_str(t, "1970-01-01T00:00:00Z", "epoch, second precision");
	timefmt_seconds(1519795129345237LL, t);
	is_str(t, "2018-02-28T05:18:49Z", "a Durable Functions docs timestamp");
	timefmt_precise(1519795129345237LL, t);
	is_str(t, "2018-02-28T05:18:49.345237Z", "seven digits, trailing zero trimmed");
	timefmt_precise(1519795129000000LL, t);
	is_str(t, "2018-02-28T05:18:49Z", "whole seconds: no fraction");
	timefmt_precise(1519795129100000LL, t);
	is_str(t, "2018-02-28T05:18:49.1Z", "one digit");
	timefmt_seconds(951782400LL * 1000000, t);
	is_str(t, "2000-02-29T00:00:00Z", "leap day 2000");

	is_int(parse("1970-01-01T00:00:00Z"), 0, "epoch parses");
	is_int(parse("2018-02-28T05:18:49.345237Z"), 1519795129345237LL, "fraction parses");
	is_int(parse("2018-02-28T05:18:49.3452372Z"), 1519795129345237LL, "seven digits: the seventh dropped");
	is_int(parse("2018-02-28T07:18:49+02:00"), 1519795129000000LL, "offset");
	is_int(parse("2018-02-28T00:18:49-0500"), 1519795129000000LL, "offset without colon");
	is_int(parse("2018-02-28T05:18:49"), 1519795129000000LL, "no zone means UTC");
	is_int(parse("2018-02-28 05:18"), 1519795080000000LL, "space and no seconds");
	is_int(parse("2018-02-28"), 1519776000000000LL, "date alone is midnight UTC");
	is_int(parse("2024-05-01T00:00:00.000Z"), 1714521600000000LL, "the Node.js client's format");
	is_int(parse("2019-02-29"), -1, "no 29 February in 2019");
	is_int(parse("2018-13-01"), -1, "month 13");
	is_int(parse("2018-02-28T24:00:00Z"), -1, "hour 24");
	is_int(parse("2018-02-28T05:18:49Zjunk"), -1, "trailing junk");
	is_int(parse("yesterday"), -1, "words");
	is_int(parse(""), -1, "empty");
	is_int(parse("2018-02-28T05:18:49."), -1, "a dot without digits");
	is_int(parse("2018-2-28"), -1, "one-digit month");
	return tap_done();
}
