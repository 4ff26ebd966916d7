/*
 * fuzz.h — what every fuzz target in tests/fuzz/ defines, and the few
 * helpers they share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput. It is linked either
 * with libFuzzer (./configure --enable-fuzz: tests/fuzz/fuzz_<target>) or
 * with replay.c, a main() that runs every file of the given directories
 * through it (tests/fuzz/replay_<target>, built and run by every
 * `make check`). A target must be deterministic, free everything it
 * allocates, and keep no state that grows from one input to the next.
 * A broken invariant is reported with fuzz_fail(), which aborts: libFuzzer
 * and the replay driver both treat that as a crash.
 */
#ifndef TH_FUZZ_H
#define TH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz invariant broken: ..." to stderr and aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A malloc'd, NUL-terminated copy of p[0..n) (so that the sanitizers see
 * reads past the end). Never NULL: aborts when memory runs out. */
char *fuzz_strndup(const void *p, size_t n);

/* Splits the next line ('\n'-terminated, or the rest) off *p and *n: a
 * malloc'd copy, or NULL when nothing is left. */
char *fuzz_line(const uint8_t **p, size_t *n);

#endif
