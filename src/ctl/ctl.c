/*
 * ctl.c — taskhubctl's entry point: the global options, the one command
 * table that drives both dispatch and `taskhubctl help`, and the helpers
 * every command shares (argument parsing, opening the environment and a
 * hub, error messages, number and time formats).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/status.h"
#include "ctl/ctl.h"

#define CTL_GLOBAL_USAGE "[-c conf] [-H home] [-h hub] [-d full|write-nosync|nosync]"

static int ctl_help(struct ctl *c, int argc, char **argv);

/* Every command, in the order `help` lists them. (Excluded from
 * clang-format, which would indent the entries with spaces.) */
/* clang-format off */
static const struct ctl_cmd ctl_cmds[] = {
	{"init", ctl_env_init, "[--group NAME]",
	 "Create the environment (if absent) and the hub; an existing hub is not an error."},
	{"hubs", ctl_env_hubs, "", "List the task hubs of the environment, one per line."},
	{"hub-create", ctl_env_hub_create, "NAME", "Create a task hub."},
	{"hub-delete", ctl_env_hub_delete, "NAME", "Delete a task hub and every record it holds."},
	{"check", ctl_env_check, "",
	 "Check every hub (only -h HUB when given) for records that do not decode or disagree; exit 1 on any problem."},
	{"stats", ctl_env_stats, "[--json]", "Record counts of every database and instances per status, per hub."},
	{"maintain", ctl_env_maintain, "", "Checkpoint and remove log files no longer needed for recovery."},
	{"backup", ctl_env_backup, "DIR", "Hot backup of the whole environment into DIR (absent or empty)."},
	{"restore", ctl_env_restore, "BACKUPDIR HOME",
	 "Make a working environment at HOME (absent or empty) from a backup; runs catastrophic recovery."},
	{"start", ctl_instance_start, "NAME [--id ID] [--input JSON]",
	 "Start an orchestration instance of NAME (Pending until the daemon runs it); prints its ID."},
	{"status", ctl_instance_status, "ID", "Print an instance's record as key: value lines."},
	{"list", ctl_instance_list,
	 "[--status S[,S...]] [--prefix P] [--name N] [--top N] [--from-us T] [--to-us T]",
	 "List instances, one per line: ID, status and name separated by tabs."},
	{"purge", ctl_instance_purge, "ID", "Delete a terminal instance with its history."},
	{"purge-all", ctl_instance_purge_all, "[--status S[,S...]] [--from-us T] [--to-us T]",
	 "Delete every terminal instance that matches; prints how many."},
	{"functions", ctl_function_list, "", "List the function registry: kind, name, script, entry point."},
	{"functions-publish", ctl_function_publish, "KIND:NAME ...",
	 "Replace the function registry (the daemon's job; by hand until it runs). KIND: orchestrator, activity, entity."},
	{"help", ctl_help, "[COMMAND]", "Show this list, or one command's usage."},
};
/* clang-format on */
#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const struct ctl_cmd *
ctl_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

static void
ctl_cmd_print(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "  %s%s%s\n      %s\n", cmd->name, *cmd->usage != '\0' ? " " : "", cmd->usage, cmd->help);
}

static int
ctl_help(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	size_t i;

	if (argc > 2)
		return ctl_usage(c);
	if (argc == 2) {
		if ((cmd = ctl_cmd_find(argv[1])) == NULL) {
			log_warnx("unknown command '%s'", argv[1]);
			return CTL_EXIT_USAGE;
		}
		printf("usage: taskhubctl %s %s%s%s\n", CTL_GLOBAL_USAGE, cmd->name, *cmd->usage != '\0' ? " " : "",
		       cmd->usage);
		printf("%s\n", cmd->help);
		return CTL_EXIT_OK;
	}
	printf("usage: taskhubctl %s command [arguments]\n\n", CTL_GLOBAL_USAGE);
	printf("  -c conf   taskhub.conf to read (default: $TASKHUB_CONF, else the installed one)\n"
	       "  -H home   environment directory (overrides the configuration's home)\n"
	       "  -h hub    task hub (overrides the configuration's hub)\n"
	       "  -d mode   durability of commits: full, write-nosync or nosync\n\n"
	       "commands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		ctl_cmd_print(stdout, &ctl_cmds[i]);
	return CTL_EXIT_OK;
}

int
ctl_usage(struct ctl *c)
{
	fprintf(stderr, "usage: taskhubctl %s %s%s%s\n", CTL_GLOBAL_USAGE, c->cmd->name,
	        *c->cmd->usage != '\0' ? " " : "", c->cmd->usage);
	return CTL_EXIT_USAGE;
}

int
ctl_fail(enum store_err e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", msg, store_strerror(e));
	return CTL_EXIT_FAIL;
}

static const struct ctl_opt *
ctl_opt_find(const struct ctl_opt *opts, const char *name, size_t len)
{
	for (; opts != NULL && opts->name != NULL; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

/*
 * Commands take GNU-style long options anywhere among their arguments,
 * which getopt_long would also do, but only on some systems and with
 * global state that the global options already used.
 */
int
ctl_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, char **pos, int npos)
{
	const struct ctl_opt *o;
	size_t len;
	int i, n = 0, options = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;

		if (options && strcmp(a, "--") == 0) {
			options = 0;
			continue;
		}
		if (!options || a[0] != '-' || a[1] == '\0') {
			if (n == npos) {
				log_warnx("%s: unexpected argument '%s'", c->cmd->name, a);
				return ctl_usage(c);
			}
			pos[n++] = argv[i];
			continue;
		}
		if (a[1] != '-') {
			log_warnx("%s: unknown option '%s'", c->cmd->name, a);
			return ctl_usage(c);
		}
		eq = strchr(a + 2, '=');
		len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		if ((o = ctl_opt_find(opts, a + 2, len)) == NULL) {
			log_warnx("%s: unknown option '%s'", c->cmd->name, a);
			return ctl_usage(c);
		}
		if (o->flag != NULL) {
			if (eq != NULL) {
				log_warnx("%s: option '--%s' takes no value", c->cmd->name, o->name);
				return ctl_usage(c);
			}
			*o->flag = 1;
		} else if (eq != NULL)
			*o->arg = eq + 1;
		else if (i + 1 < argc)
			*o->arg = argv[++i];
		else {
			log_warnx("%s: option '--%s' needs a value", c->cmd->name, o->name);
			return ctl_usage(c);
		}
	}
	if (n != npos) {
		log_warnx("%s: expected %d argument%s, got %d", c->cmd->name, npos, npos == 1 ? "" : "s", n);
		return ctl_usage(c);
	}
	return CTL_EXIT_OK;
}

int
ctl_config(struct ctl *c)
{
	char err[CONF_PATH_MAX + 128];
	int d;

	if (c->conf_loaded)
		return CTL_EXIT_OK;
	conf_defaults(&c->conf);
	if (conf_load(&c->conf, c->conf_path, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return CTL_EXIT_FAIL;
	}
	if (c->home_arg != NULL && conf_set(&c->conf, "home", c->home_arg) == -1) {
		log_warnx("-H: path too long");
		return CTL_EXIT_FAIL;
	}
	/* A name that does not fit cannot be a hub; the store says the same of
	 * any other malformed name when the hub is opened. */
	if (c->hub_arg != NULL && conf_set(&c->conf, "hub", c->hub_arg) == -1) {
		log_warnx("hub '%.64s...': %s", c->hub_arg, store_strerror(STORE_NOHUB));
		return CTL_EXIT_FAIL;
	}
	store_options_init(&c->opt);
	d = c->durability != -1 ? c->durability : store_durability_parse(c->conf.durability);
	c->opt.durability = d == -1 ? STORE_DURABLE_FULL : (enum store_durability)d; /* conf_set checked it */
	c->opt.group_shared = c->conf.group[0] != '\0';
	c->conf_loaded = 1;
	return CTL_EXIT_OK;
}

int
ctl_open(struct ctl *c, int create)
{
	struct stat sb;
	enum store_err e;
	int rc;

	if ((rc = ctl_config(c)) != CTL_EXIT_OK)
		return rc;
	/* Opening creates region files even in a directory that holds no
	 * environment, so say "run init" before touching anything. */
	if (!create && stat(c->conf.home, &sb) == -1) {
		log_warnx("no environment at %s: %s (run 'taskhubctl init')", c->conf.home, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* A shared environment's files are created 0660 by the store; a umask
	 * that masks the group would silently make them 0640. */
	if (c->opt.group_shared)
		umask(umask(0) & 007);
	c->opt.create = create;
	if ((e = store_open(c->conf.home, &c->opt, &c->st)) != STORE_OK)
		return ctl_fail(e, "cannot open environment %s", c->conf.home);
	return CTL_EXIT_OK;
}

int
ctl_hub(struct ctl *c, const char *name, struct store_hub **h)
{
	enum store_err e;

	if ((e = store_hub_open(c->st, name, h)) == STORE_OK)
		return CTL_EXIT_OK;
	if (e == STORE_NOHUB)
		log_warnx("hub '%s': no such task hub in %s (see 'taskhubctl hubs')", name, c->conf.home);
	else
		ctl_fail(e, "hub '%s'", name);
	return CTL_EXIT_FAIL;
}

int
ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull takes a sign and leading blanks; a count or a time does not. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
ctl_parse_statuses(const char *s, unsigned *mask)
{
	char tok[32];
	size_t len;
	int st;

	*mask = 0;
	for (;;) {
		len = strcspn(s, ",");
		if (len == 0 || len >= sizeof(tok)) {
			log_warnx("bad status list '%s'", s);
			return -1;
		}
		memcpy(tok, s, len);
		tok[len] = '\0';
		if ((st = status_parse(tok)) == -1) {
			log_warnx("unknown status '%s' (Running, Completed, ContinuedAsNew, Failed, Canceled, "
			          "Terminated, Pending, Suspended)",
			          tok);
			return -1;
		}
		*mask |= STATUS_BIT(st);
		if (s[len] == '\0')
			return 0;
		s += len + 1;
	}
}

char *
ctl_time_format(int64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL || (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "%lld", (long long)us);
		return buf;
	}
	snprintf(buf + n, len - n, ".%06ldZ", frac);
	return buf;
}

static int
ctl_main_usage(void)
{
	fprintf(stderr, "usage: taskhubctl %s command [arguments]\n", CTL_GLOBAL_USAGE);
	fprintf(stderr, "       taskhubctl help     (lists the commands)\n");
	return CTL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	int ch, rc;

	log_init("taskhubctl", 0);
	memset(&c, 0, sizeof(c));
	c.durability = -1;
	/* '+': stop at the command name, so its own options stay its own (glibc
	 * would otherwise permute; BSD getopt stops there anyway). */
	while ((ch = getopt(argc, argv, "+c:d:H:h:")) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			break;
		case 'd':
			if ((c.durability = store_durability_parse(optarg)) == -1) {
				log_warnx("-d: unknown durability '%s' (full, write-nosync or nosync)", optarg);
				return ctl_main_usage();
			}
			break;
		case 'H':
			c.home_arg = optarg;
			break;
		case 'h':
			c.hub_arg = optarg;
			break;
		default:
			return ctl_main_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return ctl_main_usage();
	if ((c.cmd = ctl_cmd_find(argv[0])) == NULL) {
		log_warnx("unknown command '%s' (see 'taskhubctl help')", argv[0]);
		return CTL_EXIT_USAGE;
	}
	rc = c.cmd->fn(&c, argc, argv);
	store_close(c.st);
	/* A full disk or closed pipe on stdout is a failure, not a success. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("stdout");
		if (rc == CTL_EXIT_OK)
			rc = CTL_EXIT_FAIL;
	}
	return rc;
}
