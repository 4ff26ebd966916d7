/*
 * jsonutil.h — JSON checks shared by everything that accepts JSON text
 * from a user (the API's bodies, taskhubctl --input), built on json-c.
 */
#ifndef TH_JSONUTIL_H
#define TH_JSONUTIL_H

#include <stddef.h>

/* Deepest nesting accepted anywhere (arrays and objects). */
#define JSONUTIL_MAX_DEPTH 64

/* 1 when s[0..len) is exactly one JSON value (any type, surrounding
 * whitespace allowed) in valid UTF-8, nested at most max_depth deep;
 * 0 otherwise. Borrows s. */
int jsonutil_valid(const char *s, size_t len, int max_depth);

#endif
