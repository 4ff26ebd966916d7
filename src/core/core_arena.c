/*
 * core_arena.c — a chunked bump allocator with a cap. One episode (or one
 * activity) allocates freely and releases everything at once, which is what
 * lets the SDK longjmp out of user code without leaking; the cap turns a
 * runaway orchestrator into a failed instance instead of an exhausted
 * machine.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

struct core_chunk {
	struct core_chunk *next;
	size_t size, used;
	/* Data follows, aligned like max_align_t. */
	_Alignas(16) unsigned char data[];
};

struct core_arena *
core_arena_new_cap(size_t cap)
{
	struct core_arena *a;

	/* Allocated with th_arena's size: the SDK hands the same object out
	 * under that name. */
	if ((a = calloc(1, sizeof(struct th_arena))) == NULL)
		return NULL;
	a->cap = cap;
	return a;
}

struct core_arena *
core_arena_new(void)
{
	return core_arena_new_cap(CORE_ARENA_CAP);
}

void *
core_arena_alloc(struct core_arena *a, size_t n)
{
	struct core_chunk *c = a->head;
	size_t size;
	void *p;

	if (n > a->cap)
		return NULL; /* also keeps the rounding below from wrapping */
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (c == NULL || c->size - c->used < n) {
		size = n > CORE_ARENA_CHUNK / 2 ? n : CORE_ARENA_CHUNK;
		if (size > a->cap || a->total > a->cap - size)
			return NULL;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		a->total += size;
		/* A big allocation gets a chunk of its own behind the current
		 * one, so the current chunk's free space is not wasted. */
		if (a->head != NULL && size == n && a->head->size - a->head->used > 0) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *
core_arena_strndup(struct core_arena *a, const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = core_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
core_arena_strdup(struct core_arena *a, const char *s)
{
	return s == NULL ? NULL : core_arena_strndup(a, s, strlen(s));
}

void
core_arena_free(struct core_arena *a)
{
	struct core_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
