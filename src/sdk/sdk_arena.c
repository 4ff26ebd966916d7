/*
 * sdk_arena.c — th_alloc() and the string helpers of taskhub.h on the
 * engine's arena. They never return NULL: when the arena's cap is reached
 * the arena's out-of-memory hook ends the episode or the activity as
 * failed (it longjmps), which is why user code needs no checks.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

void *
th_alloc(th_arena *ta, size_t n)
{
	struct core_arena *a = &ta->a;
	void *p = core_arena_alloc(a, n);

	if (p == NULL) {
		if (a->oom != NULL)
			a->oom(a->oom_ctx);
		abort(); /* defensive: every arena handed to user code has a hook */
	}
	return p;
}

char *
th_strdup(th_arena *a, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	p = th_alloc(a, n + 1);
	memcpy(p, s, n + 1);
	return p;
}

char *
th_printf(th_arena *a, const char *fmt, ...)
{
	char tmp[256], *p;
	va_list ap;
	int n;

	/* Measured into a small buffer: most results fit and are copied. */
	if (fmt == NULL)
		return th_strdup(a, ""); /* defensive; also tells GCC's sanitizer build fmt is set */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = th_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof(tmp)) {
		memcpy(p, tmp, (size_t)n + 1);
		return p;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
th_json_string(th_arena *a, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *q;
	size_t n = 3;
	char *p, *w;

	if (s == NULL)
		return th_strdup(a, "null");
	for (q = (const unsigned char *)s; *q; q++)
		n += *q < 0x20 ? 6 : (*q == '"' || *q == '\\') ? 2 : 1;
	w = p = th_alloc(a, n);
	*w++ = '"';
	for (q = (const unsigned char *)s; *q; q++) {
		switch (*q) {
		case '"':
		case '\\':
			*w++ = '\\';
			*w++ = (char)*q;
			break;
		case '\n':
			*w++ = '\\';
			*w++ = 'n';
			break;
		case '\r':
			*w++ = '\\';
			*w++ = 'r';
			break;
		case '\t':
			*w++ = '\\';
			*w++ = 't';
			break;
		default:
			if (*q < 0x20) {
				memcpy(w, "\\u00", 4);
				w[4] = hex[*q >> 4];
				w[5] = hex[*q & 15];
				w += 6;
			} else {
				*w++ = (char)*q;
			}
		}
	}
	*w++ = '"';
	*w = '\0';
	return p;
}
