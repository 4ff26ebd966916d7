/*
 * ctl_function.c — the function registry from the shell: list what the
 * daemon published, or publish a registry by hand (until a daemon runs, so
 * that the API accepts starts and entity signals of these names).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "ctl/ctl.h"

static const char *const fn_kinds[] = {NULL, "orchestrator", "activity", "entity"};

struct fn_list {
	struct store_hub *h;
	struct store_function *v;
	size_t n;
};

static enum store_err
fn_list_txn(struct store_txn *tx, void *arg)
{
	struct fn_list *a = arg;

	store_function_free_array(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	return store_function_list(tx, a->h, 0, &a->v, &a->n);
}

int
ctl_function_list(struct ctl *c, int argc, char **argv)
{
	struct fn_list a = {NULL, NULL, 0};
	enum store_err e;
	size_t i;
	int rc;

	if ((rc = ctl_args(c, argc, argv, NULL, NULL, 0)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_open(c, 0)) != CTL_EXIT_OK || (rc = ctl_hub(c, c->conf.hub, &a.h)) != CTL_EXIT_OK)
		return rc;
	if ((e = store_txn_run(c->st, STORE_TXN_READONLY, fn_list_txn, &a)) != STORE_OK) {
		store_function_free_array(a.v, a.n);
		return ctl_fail(e, "list functions");
	}
	for (i = 0; i < a.n; i++)
		printf("%s\t%s\t%s%s%s\n", fn_kinds[a.v[i].kind], a.v[i].name, a.v[i].script ? a.v[i].script : "-",
		       a.v[i].entry ? "\t" : "", a.v[i].entry ? a.v[i].entry : "");
	store_function_free_array(a.v, a.n);
	return CTL_EXIT_OK;
}

struct fn_publish {
	struct store_hub *h;
	struct store_function *v;
	size_t n;
};

static enum store_err
fn_publish_txn(struct store_txn *tx, void *arg)
{
	struct fn_publish *a = arg;

	return store_function_publish(tx, a->h, a->v, a->n);
}

int
ctl_function_publish(struct ctl *c, int argc, char **argv)
{
	struct fn_publish a = {NULL, NULL, 0};
	enum store_err e;
	int i, k, rc;

	if (argc < 2) {
		log_warnx("usage: functions-publish KIND:NAME ... (KIND: orchestrator, activity, entity)");
		return CTL_EXIT_USAGE;
	}
	if ((a.v = calloc((size_t)argc, sizeof(*a.v))) == NULL)
		return CTL_EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		for (k = 1; k <= 3 && colon != NULL; k++)
			if ((size_t)(colon - argv[i]) == strlen(fn_kinds[k]) &&
			    strncmp(argv[i], fn_kinds[k], strlen(fn_kinds[k])) == 0)
				break;
		if (colon == NULL || k > 3 || !ids_name_valid(colon + 1)) {
			log_warnx("'%s' is not KIND:NAME with KIND orchestrator, activity or entity", argv[i]);
			free(a.v);
			return CTL_EXIT_USAGE;
		}
		a.v[a.n].kind = k;
		a.v[a.n].name = colon + 1;
		a.n++;
	}
	if ((rc = ctl_open(c, 0)) != CTL_EXIT_OK || (rc = ctl_hub(c, c->conf.hub, &a.h)) != CTL_EXIT_OK) {
		free(a.v);
		return rc;
	}
	e = store_txn_run(c->st, 0, fn_publish_txn, &a);
	free(a.v);
	if (e != STORE_OK)
		return ctl_fail(e, "publish functions (a name given twice?)");
	return CTL_EXIT_OK;
}
