/*
 * sset.h — a set of strings (open addressing, grows by doubling). The
 * scheduler's dedupe sets: queued instances, activity tasks in flight.
 * Keys are copied in and freed on removal.
 */
#ifndef TH_SSET_H
#define TH_SSET_H

#include <stddef.h>

struct sset {
	char **slot;
	size_t cap, n, tomb;
};

void sset_init(struct sset *s);
void sset_free(struct sset *s);
/* 1 if added, 0 if already present, -1 when memory runs out. */
int sset_add(struct sset *s, const char *key);
int sset_has(const struct sset *s, const char *key);
/* 1 if removed, 0 if absent. */
int sset_del(struct sset *s, const char *key);

#endif
