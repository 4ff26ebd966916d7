/*
 * app.h — the function app (DESIGN §4): a folder holding host.json and one
 * sub-folder per function with its function.json. Functions whose
 * scriptFile is a shared object are loaded with dlopen() and called
 * in-process through their entryPoint symbol.
 *
 * Ownership: struct app owns its functions and strings. Shared objects are
 * never closed: function pointers into them stay valid for the life of
 * the process, even after a reload.
 */
#ifndef TH_APP_H
#define TH_APP_H

#include <stddef.h>

#include "common/hostjson.h"

enum app_kind {
	APP_ORCHESTRATOR = 1, /* the same numbers as enum store_fn_kind */
	APP_ACTIVITY = 2,
	APP_ENTITY = 3,
};

struct app_fn {
	int kind;
	char *name;   /* the function's folder name */
	char *script; /* scriptFile, resolved to an absolute path inside the app */
	char *entry;  /* entryPoint (shared objects only) */
	void *sym;    /* the loaded entry point; NULL for executables */
	int exe;      /* an executable: run as a child (child.h) */
	char *dir;    /* the function's folder, resolved inside the app: a child's working directory */
};

struct app {
	char *dir; /* absolute */
	struct hostjson host;
	struct app_fn *fns;
	size_t n;
	unsigned skipped; /* function.json files reported and skipped */
};

/* Loads dir. Every malformed function.json, missing file or missing
 * symbol is logged with the function's name and skipped; the rest loads.
 * Returns 0, or -1 (logged) when the folder or its host.json is unusable. */
int app_load(const char *dir, unsigned ncpu, struct app *out);
void app_free(struct app *a);
/* The function of that kind and name (case-insensitive), or NULL. */
const struct app_fn *app_find(const struct app *a, int kind, const char *name);
const char *app_kind_name(int kind);

#endif
