/*
 * hcache.h — the daemon's cache of recent histories, so that an episode
 * does not read and decode an instance's whole history from the store
 * every time (a sequence of N activities would read O(N²) events). It
 * plays the part of Durable Functions' extended sessions, but is always
 * safe: an entry is used only when the instance's execution ID and the
 * stored history length still match it, and only the daemon writes
 * history. The store stays the truth; losing the cache costs only time.
 *
 * Ownership: the cache owns its entries and their events; hcache_get()
 * lends them until the next call that changes the cache.
 */
#ifndef TH_HCACHE_H
#define TH_HCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct hcache;

/* At most max_entries histories and about max_bytes of them. */
struct hcache *hcache_new(size_t max_entries, size_t max_bytes);
void hcache_free(struct hcache *c);
/* The cached history of (hub, id) for execution exec, or NULL. */
const struct store_event *hcache_get(struct hcache *c, int hub, const char *id, const char *exec, size_t *n);
/* After a commit: the history of (hub, id, exec) is now base[0..nbase)
 * followed by add[0..nadd). base NULL means "the cached entry of length
 * nbase"; when that entry is gone or has another length, nothing is
 * cached. Takes ownership of base (when given) and of add and their
 * strings. */
void hcache_put(struct hcache *c, int hub, const char *id, const char *exec, struct store_event *base, size_t nbase,
		struct store_event *add, size_t nadd);
/* Forgets (hub, id). */
void hcache_drop(struct hcache *c, int hub, const char *id);

#endif
