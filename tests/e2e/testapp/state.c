/*
 * state.c — attempt counters by key for the activities that fail on
 * purpose (FlakyOnce, FailTimes). The key is the calling instance's ID, so
 * each test instance counts from zero. The table lives as long as the
 * daemon process and is shared by the worker threads, hence the mutex; a
 * full table reuses its oldest slot (the tests use far fewer keys).
 */
#include <pthread.h>
#include <string.h>

#include "testapp.h"

#define STATE_SLOTS  1024
#define STATE_KEYMAX 256

struct state_slot {
	char key[STATE_KEYMAX];
	int count;
};

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct state_slot state_slots[STATE_SLOTS];
static size_t state_used;
static size_t state_next; /* the slot to reuse when the table is full */

/* Counts one more attempt for key and returns the count (1 the first
 * time). A key longer than STATE_KEYMAX-1 bytes is cut to that length. */
int
testapp_attempt(const char *key)
{
	struct state_slot *s = NULL;
	size_t i;
	int n;

	pthread_mutex_lock(&state_lock);
	for (i = 0; i < state_used; i++)
		if (strncmp(state_slots[i].key, key, STATE_KEYMAX - 1) == 0) {
			s = &state_slots[i];
			break;
		}
	if (s == NULL) {
		if (state_used < STATE_SLOTS) {
			s = &state_slots[state_used++];
		} else {
			s = &state_slots[state_next];
			state_next = (state_next + 1) % STATE_SLOTS;
		}
		memset(s, 0, sizeof(*s));
		strncpy(s->key, key, STATE_KEYMAX - 1);
	}
	n = ++s->count;
	pthread_mutex_unlock(&state_lock);
	return n;
}
