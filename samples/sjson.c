/*
 * sjson.c — a small JSON reader for the samples and the test functions.
 *
 * taskhub hands functions their inputs and results as JSON text; a real
 * application would use a JSON library, the samples keep to taskhub.h and
 * the C library so that a reader can copy one file. Strict RFC 8259 syntax;
 * nesting deeper than SJSON_DEPTH is refused rather than recursed into.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

#define SJSON_DEPTH 64

static int
sjson_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *
sjson_skip_ws(const char *p)
{
	while (sjson_is_ws(*p))
		p++;
	return p;
}

static int
sjson_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Scans the string literal at p (p points at the opening quote). Returns
 * the position after the closing quote, or NULL when malformed. With dst,
 * writes the decoded UTF-8 there (at most as long as the literal) and its
 * length to *len.
 */
static const char *
sjson_scan_string(const char *p, char *dst, size_t *len)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;
		unsigned cp, lo;

		if (c == '"')
			break;
		if (c < 0x20) /* also the terminating NUL: unterminated */
			return NULL;
		if (c != '\\') {
			if (dst)
				dst[n] = (char)c;
			n++;
			continue;
		}
		switch (*p++) {
		case '"':
			cp = '"';
			break;
		case '\\':
			cp = '\\';
			break;
		case '/':
			cp = '/';
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (sjson_hex4(p, &cp) == -1)
				return NULL;
			p += 4;
			/* A high surrogate followed by a low one is one code
			 * point; a lone surrogate becomes U+FFFD. */
			if (cp >= 0xD800 && cp <= 0xDBFF && p[0] == '\\' && p[1] == 'u' &&
			    sjson_hex4(p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			break;
		default:
			return NULL;
		}
		if (cp == 0)
			return NULL;
		/* UTF-8 of cp: never longer than the escape it came from. */
		if (cp < 0x80) {
			if (dst)
				dst[n] = (char)cp;
			n += 1;
		} else if (cp < 0x800) {
			if (dst) {
				dst[n] = (char)(0xC0 | (cp >> 6));
				dst[n + 1] = (char)(0x80 | (cp & 0x3F));
			}
			n += 2;
		} else if (cp < 0x10000) {
			if (dst) {
				dst[n] = (char)(0xE0 | (cp >> 12));
				dst[n + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				dst[n + 2] = (char)(0x80 | (cp & 0x3F));
			}
			n += 3;
		} else {
			if (dst) {
				dst[n] = (char)(0xF0 | (cp >> 18));
				dst[n + 1] = (char)(0x80 | ((cp >> 12) & 0x3F));
				dst[n + 2] = (char)(0x80 | ((cp >> 6) & 0x3F));
				dst[n + 3] = (char)(0x80 | (cp & 0x3F));
			}
			n += 4;
		}
	}
	if (len)
		*len = n;
	return p;
}

static const char *
sjson_scan_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *
sjson_value(const char *p, int depth)
{
	p = sjson_skip_ws(p);
	switch (*p) {
	case '"':
		return sjson_scan_string(p, NULL, NULL);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	case '[':
	case '{': {
		char close = *p == '[' ? ']' : '}';
		int object = *p == '{';

		if (depth >= SJSON_DEPTH)
			return NULL;
		p = sjson_skip_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (object) {
				p = sjson_skip_ws(p);
				if ((p = sjson_scan_string(p, NULL, NULL)) == NULL)
					return NULL;
				p = sjson_skip_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = sjson_value(p, depth + 1)) == NULL)
				return NULL;
			p = sjson_skip_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	default:
		return sjson_scan_number(p);
	}
}

const char *
sjson_skip_value(const char *p)
{
	return p ? sjson_value(p, 0) : NULL;
}

/* Non-zero when json is exactly one value from start to q (white space
 * aside). */
static int
sjson_ends_at(const char *q)
{
	return q && *sjson_skip_ws(q) == '\0';
}

char *
sjson_string(th_arena *a, const char *json)
{
	const char *p, *end;
	size_t n;
	char *s;

	if (json == NULL)
		return NULL;
	p = sjson_skip_ws(json);
	end = sjson_scan_string(p, NULL, &n);
	if (!sjson_ends_at(end))
		return NULL;
	s = th_alloc(a, n + 1);
	sjson_scan_string(p, s, NULL);
	s[n] = '\0';
	return s;
}

int
sjson_int(const char *json, long long *out)
{
	const char *p, *end;
	char *stop;
	long long v;

	if (json == NULL)
		return -1;
	p = sjson_skip_ws(json);
	end = sjson_scan_number(p);
	if (!sjson_ends_at(end))
		return -1;
	errno = 0;
	v = strtoll(p, &stop, 10);
	if (errno != 0 || stop != end) /* a fraction or an exponent: not an integer */
		return -1;
	*out = v;
	return 0;
}

int
sjson_is_true(const char *json)
{
	const char *p;

	if (json == NULL)
		return 0;
	p = sjson_skip_ws(json);
	return strncmp(p, "true", 4) == 0 && *sjson_skip_ws(p + 4) == '\0';
}

char *
sjson_member(th_arena *a, const char *json, const char *key)
{
	const char *p;
	size_t klen = strlen(key);

	if (json == NULL || !sjson_ends_at(sjson_skip_value(json)))
		return NULL;
	p = sjson_skip_ws(json);
	if (*p != '{')
		return NULL;
	p = sjson_skip_ws(p + 1);
	while (*p == '"') {
		const char *name = p, *v, *vend;
		char *dec;
		size_t n;

		p = sjson_scan_string(p, NULL, &n);
		dec = th_alloc(a, n + 1);
		sjson_scan_string(name, dec, NULL);
		p = sjson_skip_ws(p) + 1; /* the ':' (the text was validated above) */
		v = sjson_skip_ws(p);
		vend = sjson_skip_value(v);
		if (n == klen && memcmp(dec, key, n) == 0) {
			char *copy = th_alloc(a, (size_t)(vend - v) + 1);
			memcpy(copy, v, (size_t)(vend - v));
			return copy;
		}
		p = sjson_skip_ws(vend);
		if (*p == ',')
			p = sjson_skip_ws(p + 1);
	}
	return NULL;
}
