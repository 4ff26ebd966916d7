/*
 * child.h — running a function that is an executable (DESIGN §4): one
 * JSON request on its standard input, one JSON reply on its standard
 * output, under a timeout, with capped output, a clean environment, its
 * function's folder as working directory, in a process group of its own
 * that is killed whole, and a parent-death signal so that it never
 * outlives the daemon. Whatever the child does — hang, crash, print too
 * much or garbage, leave a grandchild behind — ends in a result with a
 * reason; never in harm to the daemon.
 *
 * Thread-safe: called from the activity worker threads.
 * Ownership: spec is borrowed; the result's buffers are malloc'd, freed
 * by child_result_clear().
 */
#ifndef TH_CHILD_H
#define TH_CHILD_H

#include <stddef.h>
#include <stdint.h>

struct child_spec {
	const char *path;         /* the executable (absolute) */
	const char *cwd;          /* its function's folder */
	const char *input;        /* written to stdin, then closed */
	size_t input_len;
	char *const *env;         /* the whole environment (NULL-terminated) */
	int64_t timeout_us;       /* 0 = none */
	size_t out_max, err_max;  /* caps on what is kept of stdout / stderr */
};

struct child_result {
	int exited;     /* exited normally: exit_code is valid */
	int exit_code;
	int signal;     /* killed by this signal (when !exited) */
	int timed_out;  /* killed at the timeout */
	int overflow;   /* printed more than out_max: killed */
	int leftover;   /* left processes running in its group: killed */
	char *out, *err;/* NUL-terminated; err may be cut at err_max */
	size_t out_len, err_len;
	char reason[256]; /* "" when the child exited 0 and nothing else went wrong */
};

/* Runs the child to the end. Returns 0 with *r filled (see r->reason), or
 * -1 when it could not be started at all (r->reason says why). */
int child_run(const struct child_spec *s, struct child_result *r);
void child_result_clear(struct child_result *r);

#endif
