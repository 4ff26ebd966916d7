/*
 * testproc.h — what the multi-process store tests share: whole-buffer
 * pipe reads and writes with a deadline, so a child that hangs or dies
 * fails its test instead of hanging the suite.
 */
#ifndef TH_TESTPROC_H
#define TH_TESTPROC_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic microseconds. */
int64_t testproc_now_us(void);
/* Writes all of buf; 0 or -1. */
int testproc_write_full(int fd, const void *buf, size_t len);
/* Reads exactly len bytes within timeout_ms: 0; 1 at end of file before
 * any byte (the writer exited or died); -1 on error, timeout or a short
 * record. */
int testproc_read_full(int fd, void *buf, size_t len, int timeout_ms);

#endif
