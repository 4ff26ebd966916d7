/*
 * hcache.c — a small LRU of histories keyed by hub and instance ID. Linear
 * probing over a table twice the entry limit; eviction scans for the least
 * recently used entry, which is cheap next to the episode that needed it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hcache.h"

struct hc_entry {
	char *key; /* "hub/id"; NULL = free slot */
	char *exec;
	struct store_event *ev;
	size_t n, cap;
	size_t bytes;
	uint64_t used;
};

struct hcache {
	struct hc_entry *slot;
	size_t cap, n, max_entries, max_bytes, bytes;
	uint64_t clock;
};

static uint64_t
hc_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	while (*k != '\0') {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
hc_event_bytes(const struct store_event *e)
{
	size_t b = sizeof(*e);
	const char *s[] = {e->name, e->version, e->instance_id, e->execution_id, e->data, e->detail};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i] != NULL)
			b += strlen(s[i]) + 1;
	return b;
}

struct hcache *
hcache_new(size_t max_entries, size_t max_bytes)
{
	struct hcache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->max_entries = max_entries ? max_entries : 1;
	c->max_bytes = max_bytes;
	c->cap = 2 * c->max_entries + 1;
	if ((c->slot = calloc(c->cap, sizeof(*c->slot))) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void
hc_entry_clear(struct hcache *c, struct hc_entry *e)
{
	store_event_free_array(e->ev, e->n);
	c->bytes -= e->bytes;
	free(e->key);
	free(e->exec);
	memset(e, 0, sizeof(*e));
	c->n--;
}

void
hcache_free(struct hcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slot[i].key != NULL)
			hc_entry_clear(c, &c->slot[i]);
	free(c->slot);
	free(c);
}

/* The slot holding key, or NULL. */
static struct hc_entry *
hc_find(struct hcache *c, const char *key)
{
	size_t i = (size_t)(hc_hash(key) % c->cap);

	for (size_t k = 0; k < c->cap; k++, i = (i + 1) % c->cap) {
		if (c->slot[i].key == NULL)
			return NULL;
		if (strcmp(c->slot[i].key, key) == 0)
			return &c->slot[i];
	}
	return NULL;
}

/* Removes the entry at e, then re-seats the entries after it in its
 * probe run (deletion without tombstones). */
static void
hc_remove(struct hcache *c, struct hc_entry *e)
{
	size_t i = (size_t)(e - c->slot);

	hc_entry_clear(c, e);
	for (size_t j = (i + 1) % c->cap; c->slot[j].key != NULL; j = (j + 1) % c->cap) {
		struct hc_entry moved = c->slot[j];
		size_t k = (size_t)(hc_hash(moved.key) % c->cap);
		memset(&c->slot[j], 0, sizeof(c->slot[j]));
		while (c->slot[k].key != NULL)
			k = (k + 1) % c->cap;
		c->slot[k] = moved;
	}
}

static void
hc_key(char *out, size_t len, int hub, const char *id)
{
	snprintf(out, len, "%d/%s", hub, id);
}

const struct store_event *
hcache_get(struct hcache *c, int hub, const char *id, const char *exec, size_t *n)
{
	struct hc_entry *e;
	char key[600];

	hc_key(key, sizeof(key), hub, id);
	if ((e = hc_find(c, key)) == NULL)
		return NULL;
	if (exec == NULL || strcmp(e->exec, exec) != 0) {
		hc_remove(c, e);
		return NULL;
	}
	e->used = ++c->clock;
	*n = e->n;
	return e->ev;
}

void
hcache_drop(struct hcache *c, int hub, const char *id)
{
	struct hc_entry *e;
	char key[600];

	hc_key(key, sizeof(key), hub, id);
	if ((e = hc_find(c, key)) != NULL)
		hc_remove(c, e);
}

static void
hc_evict(struct hcache *c, size_t need_bytes)
{
	while (c->n > 0 && (c->n >= c->max_entries || c->bytes + need_bytes > c->max_bytes)) {
		struct hc_entry *lru = NULL;
		for (size_t i = 0; i < c->cap; i++)
			if (c->slot[i].key != NULL && (lru == NULL || c->slot[i].used < lru->used))
				lru = &c->slot[i];
		hc_remove(c, lru);
	}
}

void
hcache_put(struct hcache *c, int hub, const char *id, const char *exec, struct store_event *base, size_t nbase,
	   struct store_event *add, size_t nadd)
{
	struct hc_entry *e, ne;
	size_t addb = 0;
	char key[600];

	for (size_t i = 0; i < nadd; i++)
		addb += hc_event_bytes(&add[i]);
	hc_key(key, sizeof(key), hub, id);
	e = hc_find(c, key);
	if (base == NULL && (e == NULL || e->n != nbase || strcmp(e->exec, exec) != 0))
		goto drop; /* what the additions extend is not here */
	if (base == NULL) {
		/* Extend the entry in place, within the same per-entry bound
		 * as a new one, and evict others to stay within the total. */
		if (e->bytes + addb > c->max_bytes / 4)
			goto drop_entry;
		e->used = ++c->clock; /* the eviction below must not pick e */
		while (c->bytes + addb > c->max_bytes && c->n > 1) {
			struct hc_entry *lru = NULL;
			for (size_t i = 0; i < c->cap; i++)
				if (c->slot[i].key != NULL && &c->slot[i] != e && (lru == NULL || c->slot[i].used < lru->used))
					lru = &c->slot[i];
			if (lru == NULL)
				break;
			hc_remove(c, lru);
			/* Removal re-seats entries: find e again. */
			if ((e = hc_find(c, key)) == NULL) {
				store_event_free_array(add, nadd);
				return;
			}
		}
		if (e->n + nadd > e->cap) {
			size_t nc = (e->n + nadd) * 2;
			struct store_event *nv = realloc(e->ev, nc * sizeof(*nv));
			if (nv == NULL)
				goto drop_entry;
			e->ev = nv;
			e->cap = nc;
		}
		memcpy(e->ev + e->n, add, nadd * sizeof(*add));
		free(add);
		e->n += nadd;
		e->bytes += addb;
		c->bytes += addb;
		e->used = ++c->clock;
		return;
	}
	/* A new entry from a history read from the store. */
	if (e != NULL)
		hc_remove(c, e);
	memset(&ne, 0, sizeof(ne));
	for (size_t i = 0; i < nbase; i++)
		ne.bytes += hc_event_bytes(&base[i]);
	ne.bytes += addb;
	if (ne.bytes > c->max_bytes / 4)
		goto drop_new; /* one huge history would flush everything else */
	hc_evict(c, ne.bytes);
	if ((ne.ev = realloc(base, (nbase + nadd + 1) * sizeof(*base))) == NULL)
		goto drop_new;
	base = NULL;
	if (nadd > 0) /* add may be NULL then: memcpy's arguments must not be */
		memcpy(ne.ev + nbase, add, nadd * sizeof(*add));
	free(add);
	add = NULL;
	ne.n = ne.cap = nbase + nadd;
	if ((ne.key = strdup(key)) == NULL || (ne.exec = strdup(exec)) == NULL) {
		free(ne.key);
		store_event_free_array(ne.ev, ne.n);
		return;
	}
	ne.used = ++c->clock;
	{
		size_t i = (size_t)(hc_hash(key) % c->cap);
		while (c->slot[i].key != NULL)
			i = (i + 1) % c->cap;
		c->slot[i] = ne;
		c->n++;
		c->bytes += ne.bytes;
	}
	return;
drop_entry:
	hc_remove(c, e);
	store_event_free_array(add, nadd);
	return;
drop_new:
	store_event_free_array(base, nbase);
	store_event_free_array(add, nadd);
	return;
drop:
	/* A stale entry (another length or execution) must not survive. */
	if (e != NULL)
		hc_remove(c, e);
	store_event_free_array(add, nadd);
}
