/*
 * syskeys.h — the system keys file (DESIGN §7): one key per line, '#'
 * comments, read once; presented keys compared in constant time. Shared by
 * the responder and the client API (programs like HttpStartSingle that
 * guard their own routes with the same keys). Keys never reach a log line.
 */
#ifndef TH_SYSKEYS_H
#define TH_SYSKEYS_H

#include <stddef.h>

#define SYSKEYS_KEY_MAX 256 /* bytes of one key */
#define SYSKEYS_MAX     64  /* keys read from the file */

/* Reads path into *keys (malloc'd, NULL-terminated; free with
 * syskeys_free) and *n. Returns 0; or -1 with errno when the file cannot
 * be read (then *keys is an empty array) or memory runs out (*keys NULL). */
int syskeys_load(const char *path, char ***keys, size_t *n);
void syskeys_free(char **keys, size_t n);
/* 1 when given equals one of the keys, else 0. Every byte of every stored
 * key is compared whatever given holds, so the time taken does not tell
 * how much of a guess was right. given NULL or longer than
 * SYSKEYS_KEY_MAX never matches. */
int syskeys_match(char *const *keys, size_t n, const char *given);

#endif
