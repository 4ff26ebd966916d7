/*
 * sset.c — string set with linear probing and tombstones. Small and
 * single-threaded: only the scheduler thread uses it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/sset.h"

static char sset_tomb_mark;
#define SSET_TOMB (&sset_tomb_mark)

static uint64_t
sset_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*k != '\0') {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ULL;
	}
	return h;
}

void
sset_init(struct sset *s)
{
	memset(s, 0, sizeof(*s));
}

void
sset_free(struct sset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL && s->slot[i] != SSET_TOMB)
			free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Index of key, or of the slot where it would go (first tombstone seen or
 * the empty slot ending the probe); *found says which. */
static size_t
sset_find(const struct sset *s, const char *key, int *found)
{
	size_t mask = s->cap - 1, i = (size_t)sset_hash(key) & mask, tomb = (size_t)-1;

	for (;;) {
		char *k = s->slot[i];
		if (k == NULL) {
			*found = 0;
			return tomb != (size_t)-1 ? tomb : i;
		}
		if (k == SSET_TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
		} else if (strcmp(k, key) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int
sset_grow(struct sset *s)
{
	struct sset n;
	int found;

	n.cap = s->cap ? s->cap * 2 : 64;
	/* Many tombstones and few live keys: rehash at the same size. */
	if (s->cap && s->n < s->cap / 4)
		n.cap = s->cap;
	n.n = n.tomb = 0;
	if ((n.slot = calloc(n.cap, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		char *k = s->slot[i];
		if (k != NULL && k != SSET_TOMB) {
			n.slot[sset_find(&n, k, &found)] = k;
			n.n++;
		}
	}
	free(s->slot);
	*s = n;
	return 0;
}

int
sset_add(struct sset *s, const char *key)
{
	char *k;
	size_t i;
	int found;

	if ((s->n + s->tomb + 1) * 4 > s->cap * 3 && sset_grow(s) == -1)
		return -1;
	i = sset_find(s, key, &found);
	if (found)
		return 0;
	/* Copy first: a failed copy must leave the probe chain intact. */
	if ((k = strdup(key)) == NULL)
		return -1;
	if (s->slot[i] == SSET_TOMB)
		s->tomb--;
	s->slot[i] = k;
	s->n++;
	return 1;
}

int
sset_has(const struct sset *s, const char *key)
{
	int found;

	if (s->cap == 0)
		return 0;
	sset_find(s, key, &found);
	return found;
}

int
sset_del(struct sset *s, const char *key)
{
	size_t i;
	int found;

	if (s->cap == 0)
		return 0;
	i = sset_find(s, key, &found);
	if (!found)
		return 0;
	free(s->slot[i]);
	s->slot[i] = SSET_TOMB;
	s->n--;
	s->tomb++;
	return 1;
}
