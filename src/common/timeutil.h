/*
 * timeutil.h — wall-clock and monotonic time in microseconds. Stored times
 * are microseconds since the Unix epoch, UTC.
 */
#ifndef TH_TIMEUTIL_H
#define TH_TIMEUTIL_H

#include <stdint.h>

int64_t time_now_us(void);
int64_t time_mono_us(void);

#endif
