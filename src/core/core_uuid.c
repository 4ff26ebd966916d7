/*
 * core_uuid.c — name-based (version 5) UUIDs, RFC 4122 §4.3: the engine's
 * deterministic GUIDs (th_new_guid, child and continue-as-new execution IDs)
 * are the same on every replay because they are derived from names, never
 * from a random source.
 */
#include "config.h"

#include <string.h>

#include "core/core_int.h"

/* RFC 4122 Appendix C, NameSpace_URL. Durable Functions uses a namespace of
 * its own and .NET's byte order; we keep to the RFC (see core.h). */
const unsigned char core_uuid_ns_url[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					    0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

static void
uuid_bytes(const unsigned char ns[16], const char *name, unsigned char u[16])
{
	struct core_sha1 c;
	unsigned char h[20];

	core_sha1_init(&c);
	core_sha1_update(&c, ns, 16);
	core_sha1_update(&c, name, strlen(name));
	core_sha1_final(&c, h);
	memcpy(u, h, 16);
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x50); /* version 5 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

void
core_uuid5(const unsigned char ns[16], const char *name, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char u[16];
	int i, j = 0;

	uuid_bytes(ns, name, u);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[u[i] >> 4];
		out[j++] = hex[u[i] & 15];
	}
	out[j] = '\0';
}

void
core_uuid5_hex(const unsigned char ns[16], const char *name, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char u[16];
	int i;

	uuid_bytes(ns, name, u);
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[u[i] >> 4];
		out[2 * i + 1] = hex[u[i] & 15];
	}
	out[32] = '\0';
}
