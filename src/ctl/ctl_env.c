/*
 * ctl_env.c — taskhubctl's commands on the environment as a whole and on
 * its task hubs: init, hubs, hub-create, hub-delete, check, stats,
 * maintain, backup and restore.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/status.h"
#include "ctl/ctl.h"

static const struct ctl_opt env_no_opts[] = {{NULL, NULL, NULL}};

/*
 * Makes home a setgid directory of the group before the store creates
 * anything in it, so that every file the environment will hold (regions,
 * logs, databases) inherits the group: the web server's responders and the
 * daemon run as different users and must share them. An existing
 * environment's files keep the group they have.
 */
static int
env_share(struct ctl *c, const char *group)
{
	const char *home = c->conf.home;
	struct group *gr;
	struct stat sb;

	if ((gr = getgrnam(group)) == NULL) {
		log_warnx("unknown group '%s'", group);
		return CTL_EXIT_FAIL;
	}
	if (mkdir(home, 02770) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", home);
		return CTL_EXIT_FAIL;
	}
	if (stat(home, &sb) == -1) {
		log_warn("%s", home);
		return CTL_EXIT_FAIL;
	}
	/* Change only what is missing: running init again as another member
	 * of the group (not the owner) must not fail on a ready directory. */
	if (sb.st_gid != gr->gr_gid) {
		if (chown(home, (uid_t)-1, gr->gr_gid) == -1) {
			log_warn("chgrp %s %s", group, home);
			return CTL_EXIT_FAIL;
		}
		sb.st_mode &= ~(mode_t)S_ISGID; /* chown may have cleared it */
	}
	/* mkdir's mode was cut by the umask. */
	if ((sb.st_mode & 02070) != 02070 && chmod(home, (sb.st_mode & 07777) | 02770) == -1) {
		log_warn("chmod %s", home);
		return CTL_EXIT_FAIL;
	}
	c->opt.group_shared = 1;
	return CTL_EXIT_OK;
}

int
ctl_env_init(struct ctl *c, int argc, char **argv)
{
	const char *group = NULL;
	const struct ctl_opt opts[] = {{"group", &group, NULL}, {NULL, NULL, NULL}};
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, opts, NULL, 0)) != CTL_EXIT_OK)
		return rc;
	if (group != NULL && *group == '\0') {
		log_warnx("init: --group needs a group name");
		return ctl_usage(c);
	}
	if ((rc = ctl_config(c)) != CTL_EXIT_OK)
		return rc;
	/* Checked here too so that a bad name creates no environment. */
	if (!ids_hub_valid(c->conf.hub)) {
		log_warnx("invalid task hub name '%s' (a letter, then letters and digits, %d to %d in all)",
		          c->conf.hub, IDS_HUB_MIN, IDS_HUB_MAX);
		return CTL_EXIT_FAIL;
	}
	if (group == NULL && c->conf.group[0] != '\0')
		group = c->conf.group;
	if (group != NULL && (rc = env_share(c, group)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_open(c, 1)) != CTL_EXIT_OK)
		return rc;
	switch (e = store_hub_create(c->st, c->conf.hub)) {
	case STORE_OK:
		printf("environment %s: created hub %s\n", c->conf.home, c->conf.hub);
		return CTL_EXIT_OK;
	case STORE_EXISTS:
		/* init is safe to run again, e.g. from an install script. */
		printf("environment %s: hub %s already exists\n", c->conf.home, c->conf.hub);
		return CTL_EXIT_OK;
	case STORE_INVALID:
		log_warnx("invalid task hub name '%s' (a letter, then letters and digits, %d to %d in all)",
		          c->conf.hub, IDS_HUB_MIN, IDS_HUB_MAX);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "create hub %s", c->conf.hub);
	}
}

int
ctl_env_hubs(struct ctl *c, int argc, char **argv)
{
	char **names;
	size_t n, i;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, NULL, 0)) != CTL_EXIT_OK || (rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	if ((e = store_hub_list(c->st, &names, &n)) != STORE_OK)
		return ctl_fail(e, "list hubs of %s", c->conf.home);
	for (i = 0; i < n; i++)
		printf("%s\n", names[i]);
	store_strv_free(names, n);
	return CTL_EXIT_OK;
}

int
ctl_env_hub_create(struct ctl *c, int argc, char **argv)
{
	char *name;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, &name, 1)) != CTL_EXIT_OK ||
	    (rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	switch (e = store_hub_create(c->st, name)) {
	case STORE_OK:
		return CTL_EXIT_OK;
	case STORE_EXISTS:
		log_warnx("hub '%s' already exists", name);
		return CTL_EXIT_FAIL;
	case STORE_INVALID:
		log_warnx("invalid task hub name '%s' (a letter, then letters and digits, %d to %d in all)", name,
		          IDS_HUB_MIN, IDS_HUB_MAX);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "create hub %s", name);
	}
}

int
ctl_env_hub_delete(struct ctl *c, int argc, char **argv)
{
	char *name;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, &name, 1)) != CTL_EXIT_OK ||
	    (rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	switch (e = store_hub_delete(c->st, name)) {
	case STORE_OK:
		return CTL_EXIT_OK;
	case STORE_NOHUB:
		log_warnx("hub '%s': no such task hub in %s", name, c->conf.home);
		return CTL_EXIT_FAIL;
	case STORE_BUSY:
		log_warnx("hub '%s' is open in another process (stop the daemon and the responders first)", name);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "delete hub %s", name);
	}
}

/* The hubs a whole-environment command covers: the one named with -h, or
 * every hub. *names is caller-owned (store_strv_free). */
static int
env_hub_names(struct ctl *c, char ***names, size_t *n)
{
	enum store_err e;

	if (c->hub_arg != NULL) {
		if ((*names = calloc(1, sizeof(**names))) == NULL || ((*names)[0] = strdup(c->conf.hub)) == NULL) {
			free(*names);
			return ctl_fail(STORE_NOMEM, "hub list");
		}
		*n = 1;
		return CTL_EXIT_OK;
	}
	if ((e = store_hub_list(c->st, names, n)) != STORE_OK)
		return ctl_fail(e, "list hubs of %s", c->conf.home);
	return CTL_EXIT_OK;
}

int
ctl_env_check(struct ctl *c, int argc, char **argv)
{
	struct store_hub *h;
	char **names = NULL, *report;
	size_t n = 0, i;
	unsigned problems, total = 0;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, NULL, 0)) != CTL_EXIT_OK ||
	    (rc = ctl_open(c, 0)) != CTL_EXIT_OK || (rc = env_hub_names(c, &names, &n)) != CTL_EXIT_OK)
		return rc;
	for (i = 0; i < n && rc == CTL_EXIT_OK; i++) {
		if ((rc = ctl_hub(c, names[i], &h)) != CTL_EXIT_OK)
			break;
		report = NULL;
		problems = 0;
		if ((e = store_hub_check(c->st, h, &report, &problems)) != STORE_OK) {
			free(report);
			rc = ctl_fail(e, "check hub %s", names[i]);
			break;
		}
		if (problems == 0)
			printf("hub %s: ok\n", names[i]);
		else
			printf("hub %s: %u problem%s\n%s", names[i], problems, problems == 1 ? "" : "s",
			       report != NULL ? report : "");
		free(report);
		total += problems;
	}
	store_strv_free(names, n);
	if (rc == CTL_EXIT_OK && total > 0) {
		log_warnx("check of %s found %u problem%s", c->conf.home, total, total == 1 ? "" : "s");
		rc = CTL_EXIT_FAIL;
	}
	return rc;
}

/* Writes s as a JSON string: quotes, backslashes and control characters
 * escaped; other bytes (UTF-8) as they are. */
static void
env_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* The counts of struct store_stats with the names stats prints; one table
 * so that the text and the JSON forms cannot drift apart. */
/* clang-format off */
static const struct env_count {
	const char *key;   /* JSON member */
	const char *label; /* text form */
	size_t off;
} env_counts[] = {
	{"instances", "instances", offsetof(struct store_stats, instances)},
	{"history", "history events", offsetof(struct store_stats, history)},
	{"inbox", "inbox events", offsetof(struct store_stats, inbox)},
	{"ready", "ready queue", offsetof(struct store_stats, ready)},
	{"tasks", "activity tasks", offsetof(struct store_stats, tasks)},
	{"timers", "timers", offsetof(struct store_stats, timers)},
	{"functions", "functions", offsetof(struct store_stats, functions)},
	{"entities", "entities", offsetof(struct store_stats, entities)},
};
/* clang-format on */
#define ENV_NCOUNTS (sizeof(env_counts) / sizeof(env_counts[0]))

static unsigned long long
env_count(const struct store_stats *s, size_t i)
{
	return *(const uint64_t *)(const void *)((const char *)s + env_counts[i].off);
}

static void
env_stats_text(const char *hub, const struct store_stats *s)
{
	size_t i;
	int st;

	printf("hub %s\n", hub);
	for (i = 0; i < ENV_NCOUNTS; i++)
		printf("  %-16s %12llu\n", env_counts[i].label, env_count(s, i));
	printf("  instances by status\n");
	for (st = 0; st < STATUS_COUNT; st++)
		printf("    %-14s %12llu\n", status_name(st), (unsigned long long)s->by_status[st]);
}

static void
env_stats_json(const char *hub, const struct store_stats *s)
{
	size_t i;
	int st;

	printf("{\"name\":");
	env_json_str(hub);
	for (i = 0; i < ENV_NCOUNTS; i++)
		printf(",\"%s\":%llu", env_counts[i].key, env_count(s, i));
	printf(",\"byStatus\":{");
	for (st = 0; st < STATUS_COUNT; st++)
		printf("%s\"%s\":%llu", st > 0 ? "," : "", status_name(st), (unsigned long long)s->by_status[st]);
	printf("}}");
}

int
ctl_env_stats(struct ctl *c, int argc, char **argv)
{
	int json = 0;
	const struct ctl_opt opts[] = {{"json", NULL, &json}, {NULL, NULL, NULL}};
	struct store_stats *stats = NULL;
	struct store_hub *h;
	char **names = NULL;
	size_t n = 0, i;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, opts, NULL, 0)) != CTL_EXIT_OK || (rc = ctl_open(c, 0)) != CTL_EXIT_OK ||
	    (rc = env_hub_names(c, &names, &n)) != CTL_EXIT_OK)
		return rc;
	/* Gather everything first: a failure half-way must not leave half a
	 * JSON document on stdout. */
	if (n > 0 && (stats = calloc(n, sizeof(*stats))) == NULL) {
		store_strv_free(names, n);
		return ctl_fail(STORE_NOMEM, "stats");
	}
	for (i = 0; i < n && rc == CTL_EXIT_OK; i++) {
		if ((rc = ctl_hub(c, names[i], &h)) != CTL_EXIT_OK)
			break;
		if ((e = store_hub_stats(c->st, h, &stats[i])) != STORE_OK)
			rc = ctl_fail(e, "stats of hub %s", names[i]);
	}
	if (rc == CTL_EXIT_OK && json) {
		printf("{\"home\":");
		env_json_str(c->conf.home);
		printf(",\"hubs\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				putchar(',');
			env_stats_json(names[i], &stats[i]);
		}
		printf("]}\n");
	} else if (rc == CTL_EXIT_OK) {
		for (i = 0; i < n; i++)
			env_stats_text(names[i], &stats[i]);
	}
	free(stats);
	store_strv_free(names, n);
	return rc;
}

int
ctl_env_maintain(struct ctl *c, int argc, char **argv)
{
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, NULL, 0)) != CTL_EXIT_OK || (rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	if ((e = store_maintain(c->st)) != STORE_OK)
		return ctl_fail(e, "maintain %s", c->conf.home);
	return CTL_EXIT_OK;
}

/* 1 if dir is absent or holds nothing, else 0 (also when unreadable: the
 * store will say why). The store checks again; checking here first gives
 * one clear message and leaves the environment unopened. */
static int
env_dir_unused(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int unused = 1;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT;
	while (unused && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unused = 0;
	closedir(d);
	return unused;
}

int
ctl_env_backup(struct ctl *c, int argc, char **argv)
{
	char *dir;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, &dir, 1)) != CTL_EXIT_OK)
		return rc;
	if (!env_dir_unused(dir)) {
		log_warnx("backup: %s must be absent or empty", dir);
		return CTL_EXIT_FAIL;
	}
	if ((rc = ctl_open(c, 0)) != CTL_EXIT_OK)
		return rc;
	switch (e = store_backup(c->st, dir)) {
	case STORE_OK:
		printf("backup of %s written to %s\n", c->conf.home, dir);
		return CTL_EXIT_OK;
	case STORE_INVALID:
		log_warnx("backup: %s must be absent or empty", dir);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "backup of %s to %s", c->conf.home, dir);
	}
}

/*
 * Restore works on files, not on an open environment: the target is not
 * one yet. Once it is, it is opened once and its hubs listed, so that a
 * directory that was not a taskhub backup is reported here and not by the
 * daemon later.
 */
int
ctl_env_restore(struct ctl *c, int argc, char **argv)
{
	struct store_options o;
	struct store *st;
	struct stat sb;
	char *pos[2], **names;
	size_t n, i;
	enum store_err e;
	int rc;

	if ((rc = ctl_args(c, argc, argv, env_no_opts, pos, 2)) != CTL_EXIT_OK)
		return rc;
	/* The store makes HOME before it reads the backup; a mistyped backup
	 * path must not leave an empty HOME behind. */
	if (stat(pos[0], &sb) == -1) {
		log_warn("restore: %s", pos[0]);
		return CTL_EXIT_FAIL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_warnx("restore: %s is not a backup directory", pos[0]);
		return CTL_EXIT_FAIL;
	}
	if (!env_dir_unused(pos[1])) {
		log_warnx("restore: %s must be absent or empty", pos[1]);
		return CTL_EXIT_FAIL;
	}
	switch (e = store_restore(pos[0], pos[1])) {
	case STORE_OK:
		break;
	case STORE_INVALID:
		log_warnx("restore: %s must be absent or empty", pos[1]);
		return CTL_EXIT_FAIL;
	case STORE_NOTFOUND:
		log_warnx("restore: %s is not a backup", pos[0]);
		return CTL_EXIT_FAIL;
	default:
		return ctl_fail(e, "restore of %s into %s", pos[0], pos[1]);
	}
	store_options_init(&o);
	if ((e = store_open(pos[1], &o, &st)) != STORE_OK)
		return ctl_fail(e, "restored %s, but it does not open as an environment", pos[1]);
	if ((e = store_hub_list(st, &names, &n)) != STORE_OK) {
		store_close(st);
		return ctl_fail(e, "restored %s, but its hubs cannot be listed", pos[1]);
	}
	printf("restored %s into %s; hubs:", pos[0], pos[1]);
	for (i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	store_strv_free(names, n);
	store_close(st);
	return CTL_EXIT_OK;
}
