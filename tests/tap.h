/*
 * tap.h — a small Test Anything Protocol emitter for the C tests, read by
 * Automake's tap-driver.sh.
 */
#ifndef TH_TAP_H
#define TH_TAP_H

#include <stdint.h>

/* Emits "ok N - msg" or "not ok N - msg"; returns cond. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With a reason, the checks that follow are TAP TODOs (a known defect: a
 * failure is expected and not counted; Automake reports an unexpected pass
 * as XPASS, which fails the run); NULL ends them. */
void tap_todo(const char *reason);
/* Comment lines ("# ...") that the harness shows but does not count. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Equality checks that print both sides on failure. */
int is_int(long long got, long long want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int is_str(const char *got, const char *want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the plan ("1..N" after the fact) and returns the exit status:
 * 0 when every test passed, 1 otherwise. */
int tap_done(void);
/* Stops the whole test program (a broken precondition). */
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
