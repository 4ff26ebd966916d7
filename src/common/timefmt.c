/*
 * timefmt.c — timestamp formatting and parsing without the C library's
 * locale and time-zone state (timegm-free arithmetic, so a responder never
 * depends on TZ).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's method. */
static int64_t
timefmt_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
timefmt_civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static void
timefmt_base(int64_t us, char out[TIMEFMT_MAX], int64_t *frac)
{
	int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	unsigned m, d;
	int y;

	*frac = us - secs * 1000000;
	timefmt_civil(days, &y, &m, &d);
	snprintf(out, TIMEFMT_MAX, "%04d-%02u-%02uT%02u:%02u:%02u", y, m, d, (unsigned)(rem / 3600),
		 (unsigned)(rem % 3600 / 60), (unsigned)(rem % 60));
}

void
timefmt_seconds(int64_t us, char out[TIMEFMT_MAX])
{
	int64_t frac;

	timefmt_base(us, out, &frac);
	strcat(out, "Z");
}

void
timefmt_precise(int64_t us, char out[TIMEFMT_MAX])
{
	char f[16];
	int64_t frac;
	int n;

	timefmt_base(us, out, &frac);
	if (frac != 0) {
		/* Seven digits as .NET's round-trip format, zeros trimmed. */
		n = snprintf(f, sizeof(f), ".%07lld", (long long)frac * 10);
		while (n > 1 && f[n - 1] == '0')
			f[--n] = '\0';
		strcat(out, f);
	}
	strcat(out, "Z");
}

static int
timefmt_num(const char **p, int digits, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < digits; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	return 0;
}

int
timefmt_parse(const char *s, int64_t *us)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om;
	int64_t frac = 0, off = 0;

	if (timefmt_num(&p, 4, &y) == -1 || *p++ != '-' || timefmt_num(&p, 2, &mo) == -1 || *p++ != '-' ||
	    timefmt_num(&p, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays[mo - 1] || y < 1)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (timefmt_num(&p, 2, &h) == -1 || *p++ != ':' || timefmt_num(&p, 2, &mi) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (timefmt_num(&p, 2, &se) == -1)
				return -1;
			if (*p == '.' || *p == ',') {
				int digits = 0;
				int64_t scale = 100000;

				p++;
				while (*p >= '0' && *p <= '9') {
					if (digits < 6) {
						frac += (*p - '0') * scale;
						scale /= 10;
					}
					digits++;
					p++;
				}
				if (digits == 0 || digits > 9)
					return -1;
			}
		}
		if (h > 23 || mi > 59 || se > 59)
			return -1;
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;

			if (timefmt_num(&p, 2, &oh) == -1)
				return -1;
			if (*p == ':')
				p++;
			if (timefmt_num(&p, 2, &om) == -1 || oh > 23 || om > 59)
				return -1;
			off = sign * ((int64_t)oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return -1;
	*us = ((timefmt_days(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se) - off) * 1000000 + frac;
	return 0;
}
