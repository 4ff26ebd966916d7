/*
 * ids.c — identifier validation and random GUIDs.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "common/ids.h"

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int
ids_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		unsigned cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i <= n) /* truncated sequence */
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
			return 0;
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * One pass over the bytes: ASCII is checked against a bit mask of control
 * characters and the forbidden set; only text with bytes above 0x7f pays
 * for the UTF-8 and C1-control checks. (This runs on every ID the store
 * sees, several times per transaction.)
 */
static int
ids_text_ok(const char *s, size_t max, const char *forbidden)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t bad[2] = {0xffffffffu, 1ull << 63}; /* 0x00-0x1f and 0x7f */
	size_t i;
	int high = 0;

	for (i = 0; forbidden[i] != '\0'; i++)
		bad[(unsigned char)forbidden[i] >> 6] |= 1ull << (forbidden[i] & 63);
	for (i = 0; p[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (p[i] >= 0x80)
			high = 1;
		else if (bad[p[i] >> 6] & (1ull << (p[i] & 63)))
			return 0;
	}
	if (i == 0)
		return 0;
	if (!high)
		return 1;
	if (!ids_utf8_valid(s, i))
		return 0;
	/* C1 control characters U+0080..U+009F arrive as C2 80..C2 9F. */
	for (size_t j = 0; j + 1 < i; j++)
		if (p[j] == 0xc2 && p[j + 1] >= 0x80 && p[j + 1] <= 0x9f)
			return 0;
	return 1;
}

int
ids_instance_valid(const char *id, int allow_entity)
{
	if (id == NULL || !ids_text_ok(id, IDS_INSTANCE_MAX, "/\\#?"))
		return 0;
	if (id[0] == '@' && !allow_entity)
		return 0;
	return 1;
}

int
ids_hub_valid(const char *hub)
{
	size_t len, i;

	if (hub == NULL)
		return 0;
	len = strlen(hub);
	if (len < IDS_HUB_MIN || len > IDS_HUB_MAX)
		return 0;
	if (!((hub[0] >= 'a' && hub[0] <= 'z') || (hub[0] >= 'A' && hub[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++) {
		char c = hub[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int
ids_name_valid(const char *name)
{
	return name != NULL && ids_text_ok(name, IDS_NAME_MAX, "/\\@");
}

int
ids_entity_key_valid(const char *key)
{
	if (key == NULL)
		return 0;
	if (*key == '\0')
		return 1;
	return ids_text_ok(key, IDS_INSTANCE_MAX, "/\\#?");
}

void
ids_lower(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] + 32) : src[i];
	dst[i] = '\0';
}

int
ids_new_guid(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t got = 0;
	int i;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	/* Version 4, variant 1, as Guid.NewGuid() produces. */
	raw[6] = (raw[6] & 0x0f) | 0x40;
	raw[8] = (raw[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0x0f];
	}
	out[32] = '\0';
	return 0;
}

const char *
ids_instance_why(const char *id)
{
	if (id != NULL && ids_instance_valid(id, 0))
		return NULL;
	if (id == NULL || *id == '\0')
		return "Instance ID must not be empty.";
	if (strlen(id) > IDS_INSTANCE_MAX)
		return "Instance ID must not be longer than 256 characters.";
	if (*id == '@')
		return "Instance ID must not start with @.";
	return "Instance ID must be valid UTF-8 without control characters or any of / \\ # ?.";
}
