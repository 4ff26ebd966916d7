/*
 * jsonw.c — JSON output helpers.
 */
#include "config.h"

#include <string.h>

#include "common/ids.h"
#include "common/jsonutil.h"
#include "common/jsonw.h"

/* Length of the valid UTF-8 sequence at p (a byte >= 0x80), or 0. */
static size_t
jsonw_utf8_len(const unsigned char *p)
{
	size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	size_t i;

	for (i = 1; i < n; i++)
		if (p[i] == '\0')
			return 0;
	return n != 0 && ids_utf8_valid((const char *)p, n) ? n : 0;
}

int
jsonw_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return buf_add(b, "null", 4);
	buf_addc(b, '"');
	for (;;) {
		/* Copy the longest run that needs no escaping in one append. */
		size_t i = 0;

		while (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
			i++;
		buf_add(b, p, i);
		p += i;
		if (*p == '\0')
			break;
		if (*p >= 0x80) {
			/* Valid UTF-8 as it is; anything else (names echoed from a
			 * hostile request) as U+FFFD, so the output stays JSON. */
			size_t n = jsonw_utf8_len(p);

			if (n > 0) {
				buf_add(b, p, n);
				p += n;
			} else {
				buf_adds(b, "\\ufffd");
				p++;
			}
			continue;
		}
		switch (*p) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};

			buf_add(b, u, 6);
		}
		}
		p++;
	}
	buf_addc(b, '"');
	return b->overflow ? -1 : 0;
}

int
jsonw_key(struct buf *b, const char *name)
{
	buf_addc(b, '"');
	buf_adds(b, name);
	return buf_add(b, "\":", 2);
}

int
jsonw_raw(struct buf *b, const char *json)
{
	if (json == NULL)
		return buf_add(b, "null", 4);
	return buf_adds(b, json);
}

int
jsonw_payload(struct buf *b, const char *s)
{
	size_t n;

	if (s == NULL)
		return jsonw_raw(b, NULL);
	n = strlen(s);
	if (strspn(s, " \t\r\n") == n)
		return jsonw_str(b, "");
	if (jsonutil_valid(s, n, JSONUTIL_MAX_DEPTH))
		return jsonw_raw(b, s);
	return jsonw_str(b, s);
}
