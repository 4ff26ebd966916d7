/*
 * timefmt.h — the timestamp formats of the Durable Functions API (spec
 * §2.3): second precision for status times, up to seven fractional digits
 * for history and entity times; and a strict RFC 3339 / ISO 8601 parser for
 * query parameters.
 */
#ifndef TH_TIMEFMT_H
#define TH_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_MAX 40

/* "2026-11-22T10:00:03Z" */
void timefmt_seconds(int64_t us, char out[TIMEFMT_MAX]);
/* "2026-11-22T10:00:03.1234567Z", trailing zeros trimmed, no dot when whole */
void timefmt_precise(int64_t us, char out[TIMEFMT_MAX]);
/* YYYY-MM-DD, optionally followed by T or space, HH:MM[:SS[.fraction]],
 * and Z or ±HH:MM (none: UTC). Returns 0 with *us set, or -1. */
int timefmt_parse(const char *s, int64_t *us);

#endif
