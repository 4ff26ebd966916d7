/*
 * app.c — loading a function app: host.json, then every <name>/function.json.
 *
 * A function.json names its trigger in "bindings" (orchestrationTrigger,
 * activityTrigger or entityTrigger), its code in "scriptFile" (relative to
 * the function's folder) and, for shared objects, the symbol in
 * "entryPoint". The function's folder and its scriptFile must resolve
 * (symlinks followed) inside the app folder, and an entryPoint must be a
 * C identifier: a function app cannot make the daemon load or run
 * anything outside it. runexe.c checks an executable's path again before
 * each run, since the app's files may change after loading.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "daemon/app.h"

#define APP_MAX_FUNCTIONS 4096
#define APP_MAX_FUNCTION_JSON (64 * 1024)

const char *
app_kind_name(int kind)
{
	switch (kind) {
	case APP_ORCHESTRATOR:
		return "orchestrator";
	case APP_ACTIVITY:
		return "activity";
	case APP_ENTITY:
		return "entity";
	}
	return "unknown";
}

static void
app_fn_clear(struct app_fn *f)
{
	free(f->name);
	free(f->script);
	free(f->entry);
	free(f->dir);
	memset(f, 0, sizeof(*f));
}

void
app_free(struct app *a)
{
	for (size_t i = 0; i < a->n; i++)
		app_fn_clear(&a->fns[i]);
	free(a->fns);
	free(a->dir);
	memset(a, 0, sizeof(*a));
}

const struct app_fn *
app_find(const struct app *a, int kind, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->fns[i].kind == kind && strcasecmp(a->fns[i].name, name) == 0)
			return &a->fns[i];
	return NULL;
}

/* The trigger kind named by bindings[], or 0 with *why set. */
static int
app_trigger(struct json_object *root, const char **why)
{
	struct json_object *b, *e, *t;
	int kind = 0;

	if (!json_object_object_get_ex(root, "bindings", &b) || !json_object_is_type(b, json_type_array)) {
		*why = "no \"bindings\" array";
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		const char *s;
		int k = 0;
		e = json_object_array_get_idx(b, i);
		if (!json_object_object_get_ex(e, "type", &t) || (s = json_object_get_string(t)) == NULL)
			continue;
		if (strcasecmp(s, "orchestrationTrigger") == 0)
			k = APP_ORCHESTRATOR;
		else if (strcasecmp(s, "activityTrigger") == 0)
			k = APP_ACTIVITY;
		else if (strcasecmp(s, "entityTrigger") == 0)
			k = APP_ENTITY;
		if (k != 0) {
			if (kind != 0) {
				*why = "more than one trigger binding";
				return 0;
			}
			kind = k;
		}
	}
	if (kind == 0)
		*why = "no orchestrationTrigger, activityTrigger or entityTrigger binding";
	return kind;
}

/* A string member, or NULL. *nul is set when the string holds a NUL
 * byte: read as a C string it would silently name a shorter path or
 * symbol than the one written, so the caller refuses it. */
static const char *
app_str(struct json_object *root, const char *key, int *nul)
{
	struct json_object *v;
	const char *s;

	*nul = 0;
	if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	*nul = strlen(s) != (size_t)json_object_get_string_len(v);
	return s;
}

/* A C identifier: what dlsym() is asked for, and nothing that reads as
 * a path ("../x", "/bin/sh") or a versioned symbol ("f@V1"). */
static int
app_symbol_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* Is path (resolved) inside dir (resolved)? */
static int
app_inside(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int
app_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Reads one function folder into f. 0 when loaded, -1 when skipped (the
 * reason is logged). */
static int
app_load_function(struct app *a, const char *name, struct app_fn *f)
{
	char path[PATH_MAX + 64], script[PATH_MAX * 2], real[PATH_MAX], folder[PATH_MAX];
	struct json_object *root = NULL;
	const char *why = NULL, *sf, *ep;
	struct stat sb;
	void *so;
	int rc = -1, nul;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s/function.json", a->dir, name);
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1; /* not a function folder (host.json, the .so): nothing to report */
		log_warn("function '%s': %s", name, path);
		return -1;
	}
	if (!ids_name_valid(name)) {
		log_warnx("function '%s': the folder name is not a valid function name; skipped", name);
		return -1;
	}
	/* The folder itself must be in the app: a symlink to a folder
	 * elsewhere would bring in a function.json (and a working directory
	 * for its children) from outside, even with a scriptFile inside. */
	snprintf(path, sizeof(path), "%s/%s", a->dir, name);
	if (realpath(path, folder) == NULL) {
		log_warnx("function '%s': %s: %s; skipped", name, path, strerror(errno));
		return -1;
	}
	if (!app_inside(a->dir, folder)) {
		log_warnx("function '%s': its folder resolves to %s, outside the function app %s; skipped", name,
			  folder, a->dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/function.json", folder);
	if (sb.st_size > APP_MAX_FUNCTION_JSON) {
		log_warnx("function '%s': %s is larger than %d bytes; skipped", name, path, APP_MAX_FUNCTION_JSON);
		return -1;
	}
	if ((root = json_object_from_file(path)) == NULL || !json_object_is_type(root, json_type_object)) {
		log_warnx("function '%s': %s is not a JSON object; skipped", name, path);
		goto out;
	}
	if ((f->kind = app_trigger(root, &why)) == 0) {
		log_warnx("function '%s': %s: %s; skipped", name, path, why);
		goto out;
	}
	if ((sf = app_str(root, "scriptFile", &nul)) == NULL || sf[0] == '\0') {
		log_warnx("function '%s': %s has no \"scriptFile\"; skipped", name, path);
		goto out;
	}
	if (nul) {
		log_warnx("function '%s': %s: \"scriptFile\" contains a NUL byte; skipped", name, path);
		goto out;
	}
	if (sf[0] == '/')
		snprintf(script, sizeof(script), "%s", sf);
	else
		snprintf(script, sizeof(script), "%s/%s", folder, sf);
	if (realpath(script, real) == NULL) {
		log_warnx("function '%s': scriptFile %s: %s; skipped", name, script, strerror(errno));
		goto out;
	}
	if (!app_inside(a->dir, real)) {
		log_warnx("function '%s': scriptFile %s is outside the function app %s; skipped", name, real, a->dir);
		goto out;
	}
	if ((ep = app_str(root, "entryPoint", &nul)) != NULL && nul) {
		log_warnx("function '%s': %s: \"entryPoint\" contains a NUL byte; skipped", name, path);
		goto out;
	}
	if ((f->dir = strdup(folder)) == NULL || (f->name = strdup(name)) == NULL ||
	    (f->script = strdup(real)) == NULL) {
		log_warnx("function '%s': out of memory; skipped", name);
		goto out;
	}
	if (!app_ends_with(real, ".so")) {
		/* Any other file is an executable speaking JSON on stdin and
		 * stdout (child.h); it must be one. */
		if (stat(real, &sb) == -1 || !S_ISREG(sb.st_mode) || access(real, X_OK) == -1) {
			log_warnx("function '%s': scriptFile %s is neither a shared object (.so) nor an executable file; "
				  "skipped",
				  name, real);
			goto out;
		}
		f->exe = 1;
		log_info("function '%s': %s, executable %s", name, app_kind_name(f->kind), real);
		rc = 0;
		goto out;
	}
	if (ep == NULL || ep[0] == '\0') {
		log_warnx("function '%s': a shared-object function needs an \"entryPoint\"; skipped", name);
		goto out;
	}
	if (!app_symbol_name(ep)) {
		/* Not echoed: it may hold anything, line breaks included. */
		log_warnx("function '%s': \"entryPoint\" is not a C symbol name (letters, digits and _); skipped",
			  name);
		goto out;
	}
	/* RTLD_LOCAL: two apps' objects never see each other's symbols; the
	 * th_* symbols come from the daemon itself. The handle is kept open
	 * for good (see app.h). */
	if ((so = dlopen(real, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("function '%s': cannot load %s: %s; skipped", name, real, dlerror());
		goto out;
	}
	dlerror();
	f->sym = dlsym(so, ep);
	if (f->sym == NULL) {
		log_warnx("function '%s': %s has no symbol '%s'; skipped", name, real, ep);
		goto out;
	}
	if ((f->entry = strdup(ep)) == NULL) {
		log_warnx("function '%s': out of memory; skipped", name);
		goto out;
	}
	log_info("function '%s': %s %s:%s", name, app_kind_name(f->kind), real, ep);
	rc = 0;
out:
	json_object_put(root);
	if (rc != 0)
		app_fn_clear(f);
	return rc;
}

static int
app_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int
app_load(const char *dir, unsigned ncpu, struct app *out)
{
	char real[PATH_MAX], err[512];
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	DIR *dh;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	hostjson_defaults(&out->host, ncpu);
	if (realpath(dir, real) == NULL || (dh = opendir(real)) == NULL) {
		log_warn("function app %s", dir);
		return -1;
	}
	if ((out->dir = strdup(real)) == NULL)
		goto out_dir;
	if (hostjson_load(real, &out->host, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out_dir;
	}
	/* Sorted, so that loading (and the log) does not depend on the
	 * directory's order. */
	while ((de = readdir(dh)) != NULL) {
		char **nv;
		if (de->d_name[0] == '.')
			continue;
		if (nn == APP_MAX_FUNCTIONS) {
			log_warnx("function app %s: more than %d entries; the rest is ignored", real,
				  APP_MAX_FUNCTIONS);
			break;
		}
		if ((nv = realloc(names, (nn + 1) * sizeof(*names))) == NULL)
			goto out_dir;
		names = nv;
		if ((names[nn] = strdup(de->d_name)) == NULL)
			goto out_dir;
		nn++;
	}
	qsort(names, nn, sizeof(*names), app_cmp);
	if (nn > 0 && (out->fns = calloc(nn, sizeof(*out->fns))) == NULL)
		goto out_dir;
	for (size_t i = 0; i < nn; i++) {
		int r = app_load_function(out, names[i], &out->fns[out->n]);
		if (r == 0) {
			if (app_find(out, out->fns[out->n].kind, out->fns[out->n].name) != NULL) {
				log_warnx("function '%s': another %s has the same name (names are case-insensitive); "
					  "skipped",
					  names[i], app_kind_name(out->fns[out->n].kind));
				app_fn_clear(&out->fns[out->n]);
				out->skipped++;
				continue;
			}
			out->n++;
		} else if (r < 0)
			out->skipped++;
	}
	rc = 0;
out_dir:
	closedir(dh);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (rc != 0)
		app_free(out);
	return rc;
}
