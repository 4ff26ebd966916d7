/*
 * ctl.h — taskhubctl, the operator's tool: the state shared by its command
 * handlers, the helpers ctl.c gives them, and the handlers that ctl.c's one
 * command table registers (environment and hub commands in ctl_env.c,
 * instance commands in ctl_instance.c).
 *
 * Exit status contract: 0 success, 1 a failure reported on stderr as
 * "taskhubctl: ...", 2 a usage error.
 */
#ifndef TH_CTL_H
#define TH_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "store/store.h"

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2,
};

struct ctl;

/* One entry of the command table: it drives dispatch and `taskhubctl help`.
 * A handler gets argv[0] = the command name and returns an enum ctl_exit. */
struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *usage; /* arguments after the command name */
	const char *help;  /* one line */
};

/* What a handler works with. The global options are kept as given and the
 * configuration is read only when a command needs it (ctl_config), so that
 * `help` and `restore` work without a readable taskhub.conf. */
struct ctl {
	const struct ctl_cmd *cmd; /* the command being run */
	const char *conf_path;     /* -c, or NULL: $TASKHUB_CONF, else the default */
	const char *home_arg;      /* -H, or NULL */
	const char *hub_arg;       /* -h, or NULL */
	int durability;            /* -d parsed, or -1 to use the configuration's */
	int conf_loaded;           /* ctl_config() has run */
	struct conf conf;          /* after ctl_config(): the file with -H/-h applied */
	struct store_options opt;  /* after ctl_config() */
	struct store *st;          /* after ctl_open(); closed by main */
};

/* A per-command option, "--name VALUE" or "--name=VALUE" (arg set), or a
 * flag "--name" (flag set). Tables end with a NULL name. */
struct ctl_opt {
	const char *name;
	const char **arg; /* receives a pointer into argv */
	int *flag;        /* set to 1 when present */
};

/* Parses argv[1..argc) against opts; the remaining arguments, exactly npos
 * of them, go to pos[] (pointers into argv). "--" ends the options. Returns
 * CTL_EXIT_OK, or CTL_EXIT_USAGE after printing the command's usage. */
int ctl_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, char **pos, int npos);
/* Prints the running command's usage line to stderr; returns CTL_EXIT_USAGE. */
int ctl_usage(struct ctl *c);
/* Prints "taskhubctl: <message>: <store error>" to stderr; returns CTL_EXIT_FAIL. */
int ctl_fail(enum store_err e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads taskhub.conf once and applies -H, -h and -d. Returns CTL_EXIT_OK or
 * CTL_EXIT_FAIL after a message. */
int ctl_config(struct ctl *c);
/* ctl_config(), then opens the environment into c->st (create: make it when
 * absent). Returns CTL_EXIT_OK or CTL_EXIT_FAIL after a message. */
int ctl_open(struct ctl *c, int create);
/* Opens hub name of c->st into *h (owned by the store). Returns CTL_EXIT_OK
 * or CTL_EXIT_FAIL after a message naming the hub. */
int ctl_hub(struct ctl *c, const char *name, struct store_hub **h);

/* A decimal number in [min, max]; 0, or -1 when s is not one. */
int ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "Completed,Failed" (names or numbers, see status_parse) into a mask of
 * STATUS_BIT()s; 0, or -1 naming the bad status on stderr. */
int ctl_parse_statuses(const char *s, unsigned *mask);
/* µs since the epoch as ISO 8601 UTC ("2024-05-01T12:00:00.000000Z") into
 * buf; returns buf. */
char *ctl_time_format(int64_t us, char *buf, size_t len);

/* ctl_env.c: the environment and its hubs. */
int ctl_env_init(struct ctl *c, int argc, char **argv);
int ctl_env_hubs(struct ctl *c, int argc, char **argv);
int ctl_env_hub_create(struct ctl *c, int argc, char **argv);
int ctl_env_hub_delete(struct ctl *c, int argc, char **argv);
int ctl_env_check(struct ctl *c, int argc, char **argv);
int ctl_env_backup(struct ctl *c, int argc, char **argv);
int ctl_env_restore(struct ctl *c, int argc, char **argv);
int ctl_env_stats(struct ctl *c, int argc, char **argv);
int ctl_env_maintain(struct ctl *c, int argc, char **argv);

/* ctl_instance.c: orchestration instances of one hub. */
int ctl_instance_start(struct ctl *c, int argc, char **argv);
int ctl_instance_status(struct ctl *c, int argc, char **argv);
int ctl_instance_list(struct ctl *c, int argc, char **argv);
int ctl_instance_purge(struct ctl *c, int argc, char **argv);
int ctl_instance_purge_all(struct ctl *c, int argc, char **argv);
/* ctl_function.c */
int ctl_function_list(struct ctl *c, int argc, char **argv);
int ctl_function_publish(struct ctl *c, int argc, char **argv);

#endif
