/*
 * conf.h — taskhub.conf: one `key = value` file shared by the responder,
 * the daemon and taskhubctl (DESIGN §7). The path comes from TASKHUB_CONF,
 * else the sysconfdir default; environment variables named TASKHUB_<KEY>
 * (upper case, '-' as '_') override the file.
 */
#ifndef TH_CONF_H
#define TH_CONF_H

#include <stddef.h>

#define CONF_PATH_MAX 4096

struct conf {
	char home[CONF_PATH_MAX];        /* environment directory (key: home) */
	char hub[64];                    /* default task hub (hub) */
	char base_path[256];             /* route base path (base-path) */
	char keys_file[CONF_PATH_MAX];   /* system keys (keys-file) */
	char wake_socket[CONF_PATH_MAX]; /* daemon wake socket (wake-socket) */
	char durability[16];             /* full | write-nosync | nosync (durability) */
	size_t body_max;                 /* request body cap in bytes (body-max) */
	int anonymous;                   /* no key required (anonymous = yes|no) */
	char group[64];                  /* group sharing the environment (group) */
	char connection_name[64];        /* the API's name for home (connection-name) */
	char connections[CONF_PATH_MAX]; /* more environments: "Name=/path,Name2=/path2" (connections) */
	char app[CONF_PATH_MAX];         /* the function app folder, with its host.json (app) */
};

/* Fills c with the built-in defaults. */
void conf_defaults(struct conf *c);
/* Reads path (NULL: $TASKHUB_CONF, else the sysconfdir default; a missing
 * default file is not an error) then applies environment overrides.
 * Returns 0, or -1 after writing a message naming file and line into
 * err (errlen bytes). */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
/* Applies one setting; 0, or -1 for an unknown key or a bad value. */
int conf_set(struct conf *c, const char *key, const char *value);

#endif
