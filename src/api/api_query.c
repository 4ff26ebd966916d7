/*
 * api_query.c — query strings as Durable Functions parses them: '&'
 * separated, names case-insensitive, values percent-decoded and trimmed,
 * repeats allowed; bounded in size and count.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "api/api.h"

static int
api_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
api_pct_decode(const char *s, size_t len, char *out, size_t cap, int plus_space)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3 || (hi = api_hexval(s[i + 1])) < 0 || (lo = api_hexval(s[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space)
			c = ' ';
		if (c == '\0' || o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

static char *
api_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int
api_query_parse(const char *qs, struct api_query *q)
{
	const char *p = qs, *amp, *eq;
	size_t used = 0, qlen;

	q->n = 0;
	if (qs == NULL)
		return 0;
	qlen = strlen(qs);
	if (qlen > API_QUERY_MAX)
		return -1;
	while (*p != '\0') {
		size_t seglen, nlen, vlen;
		int dn, dv;

		amp = strchr(p, '&');
		seglen = amp ? (size_t)(amp - p) : strlen(p);
		if (seglen > 0) {
			if (q->n == API_PARAMS_MAX)
				return -1;
			eq = memchr(p, '=', seglen);
			nlen = eq ? (size_t)(eq - p) : seglen;
			vlen = eq ? seglen - nlen - 1 : 0;
			dn = api_pct_decode(p, nlen, q->store + used, sizeof(q->store) - used, 1);
			if (dn < 0)
				return -1;
			q->v[q->n].name = api_trim(q->store + used);
			used += (size_t)dn + 1;
			dv = api_pct_decode(eq ? eq + 1 : "", vlen, q->store + used, sizeof(q->store) - used, 1);
			if (dv < 0)
				return -1;
			q->v[q->n].value = api_trim(q->store + used);
			used += (size_t)dv + 1;
			q->n++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return 0;
}

const char *
api_query_get(const struct api_query *q, const char *name)
{
	size_t i;

	/* Durable Functions ignores empty values for these parameters. */
	for (i = 0; i < q->n; i++)
		if (strcasecmp(q->v[i].name, name) == 0 && q->v[i].value[0] != '\0')
			return q->v[i].value;
	return NULL;
}

int
api_query_bool(const struct api_query *q, const char *name, int def)
{
	const char *v = api_query_get(q, name);

	if (v == NULL)
		return def;
	if (strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0)
		return 0;
	return def;
}
