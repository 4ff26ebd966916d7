/*
 * runexe.c — one invocation of an executable function (runexe.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "daemon/child.h"
#include "daemon/runexe.h"
#include "daemon/worker.h"

/* The documented environment and nothing else. */
static void
runexe_env(const struct worker_job *j, const char *kind, char *store, size_t len, char *env[9])
{
	const char *vals[8][2] = {
		{"PATH", "/usr/local/bin:/usr/bin:/bin"},
		{"LANG", "C.UTF-8"},
		{"HOME", j->cwd},
		{"TMPDIR", "/tmp"},
		{"TASKHUB_FUNCTION", j->name},
		{"TASKHUB_KIND", kind},
		{"TASKHUB_INSTANCE_ID", j->instance_id},
		{"TASKHUB_HUB", j->hub_name ? j->hub_name : ""},
	};
	size_t off = 0;

	for (int i = 0; i < 8; i++) {
		int n = snprintf(store + off, len - off, "%s=%s", vals[i][0], vals[i][1] ? vals[i][1] : "");
		env[i] = store + off;
		off += (size_t)n + 1;
		if (off >= len) {
			store[len - 1] = '\0';
			off = len - 1;
		}
	}
	env[8] = NULL;
}

/* Trims trailing white space in place. */
static char *
runexe_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/*
 * Is the executable still where the app loader found it? j->exe and j->cwd
 * were resolved inside the function app at load time (app.c); if either
 * now resolves elsewhere (the file or a folder on the way replaced by a
 * symlink, or removed), the function is not run until a reload (SIGHUP)
 * judges it again. Not a barrier against whoever can write the app folder
 * (they can change the code itself): it keeps a later symlink from taking
 * the daemon outside the app. Returns 0, or -1 with why filled.
 */
static int
runexe_still_inside(const struct worker_job *j, char *why, size_t len)
{
	char real[PATH_MAX];

	if (realpath(j->exe, real) == NULL || strcmp(real, j->exe) != 0) {
		snprintf(why, len,
			 "its scriptFile %s no longer resolves to the file loaded from the function app; "
			 "not run until the app is reloaded (SIGHUP)",
			 j->exe);
		return -1;
	}
	if (realpath(j->cwd, real) == NULL || strcmp(real, j->cwd) != 0) {
		snprintf(why, len,
			 "its folder %s no longer resolves to the one loaded from the function app; "
			 "not run until the app is reloaded (SIGHUP)",
			 j->cwd);
		return -1;
	}
	return 0;
}

static int
runexe_run(struct worker_job *j, const char *kind, const char *input, struct child_result *r)
{
	struct child_spec spec;
	char envbuf[8192];
	char *env[9];

	runexe_env(j, kind, envbuf, sizeof(envbuf), env);
	memset(&spec, 0, sizeof(spec));
	spec.path = j->exe;
	spec.cwd = j->cwd;
	spec.input = input;
	spec.input_len = strlen(input);
	spec.env = env;
	spec.timeout_us = j->timeout_us;
	spec.out_max = RUNEXE_OUT_MAX;
	spec.err_max = RUNEXE_ERR_MAX;
	return child_run(&spec, r);
}

static char *
runexe_printf(const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, fmt, a, b ? b : "");
	return s;
}

void
runexe_activity(struct worker_job *j)
{
	struct child_result r;
	char why[PATH_MAX + 160], *out;

	memset(&j->res, 0, sizeof(j->res));
	if (runexe_still_inside(j, why, sizeof(why)) == -1) {
		log_warnx("function '%s': %s", j->name, why);
		j->res.error = runexe_printf("Activity function '%s': %s", j->name, why);
		return;
	}
	if (runexe_run(j, "activity", j->input ? j->input : "null", &r) == -1) {
		/* fork or pipe failed (EAGAIN, EMFILE): not the function's
		 * fault. Not run: the task stays for the next rescan. */
		j->res.ok = -1;
		child_result_clear(&r);
		return;
	}
	if (r.reason[0] != '\0') {
		/* The reason is what the program said on stderr when it said
		 * something; what happened to it goes into the details. */
		char *err = runexe_trim(r.err);
		if (err[0] != '\0' && !r.timed_out && !r.overflow && !r.leftover)
			j->res.error = strdup(err);
		else
			j->res.error = runexe_printf("Activity function '%s' %s", j->name, r.reason);
		if (err[0] != '\0')
			j->res.details = runexe_printf("%s; stderr: %s", r.reason, err);
		else
			j->res.details = strdup(r.reason);
		child_result_clear(&r);
		return;
	}
	out = runexe_trim(r.out);
	if (out[0] == '\0')
		out = "null"; /* printing nothing is returning nothing */
	if (!jsonutil_valid(out, strlen(out), JSONUTIL_MAX_DEPTH)) {
		char head[121];
		snprintf(head, sizeof(head), "%s", out);
		j->res.error = runexe_printf("Activity function '%s' printed output that is not JSON: %s", j->name, head);
	} else {
		j->res.ok = 1;
		j->res.output = strdup(out);
	}
	child_result_clear(&r);
}

void
runexe_orchestrator(struct worker_job *j)
{
	struct child_result r;
	char why[PATH_MAX + 160], *err;

	if (runexe_still_inside(j, why, sizeof(why)) == -1) {
		log_warnx("function '%s': %s", j->name, why);
		j->fatal = runexe_printf("the executable of '%s': %s", j->name, why);
		return;
	}
	if (runexe_run(j, j->kind == WORKER_ENTITY ? "entity" : "orchestrator", j->request ? j->request : "{}", &r) ==
	    -1) {
		/* Neither reply nor fatal: the episode starts over later. */
		child_result_clear(&r);
		return;
	}
	err = runexe_trim(r.err);
	/* A failing SDK exits non-zero with the "$OutOfProcData$:" form on
	 * stdout (or stderr): that is a reply, not a crash. */
	if (r.reason[0] != '\0' && !r.timed_out && !r.overflow && !r.leftover &&
	    (strstr(r.out, "$OutOfProcData$:") != NULL || strstr(r.err, "$OutOfProcData$:") != NULL)) {
		const char *src = strstr(r.out, "$OutOfProcData$:") != NULL ? r.out : r.err;
		j->reply = strdup(src);
		j->reply_len = j->reply ? strlen(j->reply) : 0;
	} else if (r.reason[0] != '\0') {
		if (err[0] != '\0')
			j->fatal = runexe_printf("the executable %s: %s", r.reason, err);
		else
			j->fatal = runexe_printf("the executable %s%s", r.reason, NULL);
	} else {
		j->reply = r.out; /* taken */
		j->reply_len = r.out_len;
		r.out = NULL;
	}
	child_result_clear(&r);
}
