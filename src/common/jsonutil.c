/*
 * jsonutil.c — strict validation of user JSON with json-c.
 */
#include "config.h"

#include <string.h>

#include "common/ids.h"
#include "common/jsonutil.h"

/*
 * A validator of our own rather than json-c's tokener: it allocates
 * nothing and runs on every payload the responder renders and every
 * input the engine checks during replay, where a tokener per call (with
 * its locale switch) cost more than the rest of the work. Grammar: RFC
 * 8259 exactly — no single quotes, NaN, Infinity, leading zeros, trailing
 * commas or raw control characters in strings; UTF-8 is checked first.
 */
struct jv {
	const char *p, *end;
	int depth, max_depth;
};

static void
jv_ws(struct jv *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
		v->p++;
}

static int
jv_digits(struct jv *v)
{
	const char *s = v->p;

	while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
		v->p++;
	return v->p > s;
}

static int
jv_number(struct jv *v)
{
	if (v->p < v->end && *v->p == '-')
		v->p++;
	if (v->p < v->end && *v->p == '0')
		v->p++; /* a leading zero stands alone */
	else if (!jv_digits(v))
		return 0;
	if (v->p < v->end && *v->p == '.') {
		v->p++;
		if (!jv_digits(v))
			return 0;
	}
	if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
		v->p++;
		if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
			v->p++;
		if (!jv_digits(v))
			return 0;
	}
	return 1;
}

static int
jv_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At the opening quote. */
static int
jv_string(struct jv *v)
{
	v->p++;
	while (v->p < v->end) {
		unsigned char c = (unsigned char)*v->p++;
		if (c == '"')
			return 1;
		if (c < 0x20)
			return 0; /* control characters must be escaped */
		if (c != '\\')
			continue;
		if (v->p >= v->end)
			return 0;
		c = (unsigned char)*v->p++;
		if (c == 'u') {
			if (v->end - v->p < 4 || !jv_hex(v->p[0]) || !jv_hex(v->p[1]) || !jv_hex(v->p[2]) ||
			    !jv_hex(v->p[3]))
				return 0;
			v->p += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return 0;
	}
	return 0;
}

static int
jv_word(struct jv *v, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, w, n) != 0)
		return 0;
	v->p += n;
	return 1;
}

static int jv_value(struct jv *v);

/* At '[' or '{'. */
static int
jv_container(struct jv *v, char close)
{
	int first = 1;

	if (++v->depth > v->max_depth)
		return 0;
	v->p++;
	jv_ws(v);
	if (v->p < v->end && *v->p == close) {
		v->p++;
		v->depth--;
		return 1;
	}
	for (;;) {
		if (!first) {
			jv_ws(v);
			if (v->p < v->end && *v->p == close) {
				v->p++;
				v->depth--;
				return 1;
			}
			if (v->p >= v->end || *v->p != ',')
				return 0;
			v->p++;
		}
		first = 0;
		jv_ws(v);
		if (close == '}') {
			if (v->p >= v->end || *v->p != '"' || !jv_string(v))
				return 0;
			jv_ws(v);
			if (v->p >= v->end || *v->p != ':')
				return 0;
			v->p++;
			jv_ws(v);
		}
		if (!jv_value(v))
			return 0;
	}
}

static int
jv_value(struct jv *v)
{
	if (v->p >= v->end)
		return 0;
	switch (*v->p) {
	case '{':
		return jv_container(v, '}');
	case '[':
		return jv_container(v, ']');
	case '"':
		return jv_string(v);
	case 't':
		return jv_word(v, "true");
	case 'f':
		return jv_word(v, "false");
	case 'n':
		return jv_word(v, "null");
	default:
		return jv_number(v);
	}
}

int
jsonutil_valid(const char *s, size_t len, int max_depth)
{
	struct jv v;

	if (len > (size_t)0x7fffffff || !ids_utf8_valid(s, len) || memchr(s, '\0', len) != NULL)
		return 0;
	v.p = s;
	v.end = s + len;
	v.depth = 0;
	v.max_depth = max_depth;
	jv_ws(&v);
	if (!jv_value(&v))
		return 0;
	jv_ws(&v);
	return v.p == v.end;
}
