/*
 * core_cstatus.c — the custom status size rule of spec §4, exactly as
 * Durable Functions computes it: the JSON text's size in UTF-16 bytes,
 * divided by 1024.0 and truncated to an int, must not exceed 16. Because a
 * UTF-16 size is always even, 17,406 bytes (8,703 BMP characters) is the
 * largest that passes and 17,408 the smallest that fails; 17,407 cannot
 * occur.
 */
#include "config.h"

#include <string.h>

#include "core/core_int.h"

/* UTF-16 code units of UTF-8 text: one per sequence, two for 4-byte
 * sequences (supplementary planes become surrogate pairs). Invalid bytes
 * count as one unit each, as a replacement character would. */
static size_t
cstatus_utf16_bytes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;

	while (*p != '\0') {
		if (*p >= 0xf0 && *p < 0xf8 && p[1] != '\0' && p[2] != '\0' && p[3] != '\0') {
			units += 2;
			p += 4;
		} else if (*p >= 0xe0 && *p < 0xf0 && p[1] != '\0' && p[2] != '\0') {
			units++;
			p += 3;
		} else if (*p >= 0xc0 && *p < 0xe0 && p[1] != '\0') {
			units++;
			p += 2;
		} else {
			units++;
			p++;
		}
	}
	return units * 2;
}

int
core_custom_status_check(const char *json, int *kb)
{
	int k;

	if (json == NULL)
		json = "null";
	k = (int)((double)cstatus_utf16_bytes(json) / 1024.0);
	if (kb != NULL)
		*kb = k;
	return k > 16 ? -1 : 0;
}
