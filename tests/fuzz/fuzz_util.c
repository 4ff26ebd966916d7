/*
 * fuzz_util.c — the helpers of fuzz.h, shared by every fuzz target.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *
fuzz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		fuzz_fail("out of memory copying %zu bytes", n);
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *
fuzz_line(const uint8_t **p, size_t *n)
{
	const uint8_t *nl;
	size_t len;
	char *s;

	if (*n == 0)
		return NULL;
	nl = memchr(*p, '\n', *n);
	len = nl ? (size_t)(nl - *p) : *n;
	s = fuzz_strndup(*p, len);
	*p += nl ? len + 1 : len;
	*n -= nl ? len + 1 : len;
	return s;
}
