/*
 * ids.h — what a valid instance ID, task hub name, function name and entity
 * key look like, checked in one place so the store and the API agree.
 */
#ifndef TH_IDS_H
#define TH_IDS_H

#include <stddef.h>

/* Durable Functions refuses longer instance IDs (spec §1.3). */
#define IDS_INSTANCE_MAX 256
#define IDS_NAME_MAX     256
#define IDS_HUB_MIN      3
#define IDS_HUB_MAX      45

/* Each returns 1 when valid, 0 otherwise; all borrow their arguments. */
int ids_utf8_valid(const char *s, size_t len);
/* Non-empty, <= 256 bytes, valid UTF-8, no control characters, none of / \ # ?.
 * allow_entity: an ID beginning with '@' (reserved for entities) is accepted. */
int ids_instance_valid(const char *id, int allow_entity);
/* Why id is not a valid instance ID (the API's message), or NULL when it
 * is one. Static text. */
const char *ids_instance_why(const char *id);
/* Task hub names: an ASCII letter then letters and digits, 3 to 45 long. */
int ids_hub_valid(const char *hub);
/* Function and entity names: non-empty, <= 256 bytes, UTF-8, no control
 * characters, no '/', '\\', '@'. */
int ids_name_valid(const char *name);
/* Entity keys may be empty; otherwise as instance IDs without the '@' rule. */
int ids_entity_key_valid(const char *key);

/* Copies src into dst (cap bytes, NUL-terminated, truncating) with ASCII
 * letters lower-cased: entity and function names are case-insensitive. */
void ids_lower(char *dst, const char *src, size_t cap);

/* Writes 32 lowercase hex digits and a NUL (Guid "N" format) from the
 * kernel's random source into out[33]. Returns 0, or -1 with errno. */
int ids_new_guid(char out[33]);

#endif
