/*
 * jsonw.h — writing JSON into a capped buffer. Stored payloads are JSON
 * text already validated on the way in, so they are embedded as they are
 * rather than parsed and printed again.
 */
#ifndef TH_JSONW_H
#define TH_JSONW_H

#include "common/buf.h"

/* Each returns 0, or -1 once the buffer has refused an append (b->overflow).
 * Appends s as a JSON string literal (quotes, escapes); NULL writes null. */
int jsonw_str(struct buf *b, const char *s);
/* Appends "name": (a key and colon; name is trusted ASCII). */
int jsonw_key(struct buf *b, const char *name);
/* Appends stored JSON text as a value; NULL writes null. */
int jsonw_raw(struct buf *b, const char *json);
/* Appends a stored payload as Durable Functions renders it: JSON text as
 * it is, anything else (a terminate reason, a failure message) as a JSON
 * string, whitespace alone as "", NULL as null. */
int jsonw_payload(struct buf *b, const char *s);

#endif
