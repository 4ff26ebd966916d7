/*
 * conf.c — the taskhub.conf parser. One table drives parsing (tmux's
 * option-table habit), so every key is checked the same way.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

#ifndef TH_SYSCONFDIR
#define TH_SYSCONFDIR "/etc"
#endif
#ifndef TH_LOCALSTATEDIR
#define TH_LOCALSTATEDIR "/var"
#endif

enum conf_type { CONF_STR, CONF_SIZE, CONF_BOOL, CONF_DURABILITY };

static const struct conf_opt {
	const char *key;
	enum conf_type type;
	size_t off, len;
} conf_opts[] = {
	{"home", CONF_STR, offsetof(struct conf, home), sizeof(((struct conf *)0)->home)},
	{"hub", CONF_STR, offsetof(struct conf, hub), sizeof(((struct conf *)0)->hub)},
	{"base-path", CONF_STR, offsetof(struct conf, base_path), sizeof(((struct conf *)0)->base_path)},
	{"keys-file", CONF_STR, offsetof(struct conf, keys_file), sizeof(((struct conf *)0)->keys_file)},
	{"wake-socket", CONF_STR, offsetof(struct conf, wake_socket), sizeof(((struct conf *)0)->wake_socket)},
	{"durability", CONF_DURABILITY, offsetof(struct conf, durability), sizeof(((struct conf *)0)->durability)},
	{"body-max", CONF_SIZE, offsetof(struct conf, body_max), 0},
	{"anonymous", CONF_BOOL, offsetof(struct conf, anonymous), 0},
	{"group", CONF_STR, offsetof(struct conf, group), sizeof(((struct conf *)0)->group)},
	{"connection-name", CONF_STR, offsetof(struct conf, connection_name),
	 sizeof(((struct conf *)0)->connection_name)},
	{"connections", CONF_STR, offsetof(struct conf, connections), sizeof(((struct conf *)0)->connections)},
	{"app", CONF_STR, offsetof(struct conf, app), sizeof(((struct conf *)0)->app)},
};

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->home, sizeof(c->home), "%s/lib/taskhub", TH_LOCALSTATEDIR);
	snprintf(c->hub, sizeof(c->hub), "TestHubName");
	snprintf(c->base_path, sizeof(c->base_path), "/runtime/webhooks/durabletask");
	snprintf(c->keys_file, sizeof(c->keys_file), "%s/taskhub/keys", TH_SYSCONFDIR);
	snprintf(c->wake_socket, sizeof(c->wake_socket), "%s/run/taskhub/wake.sock", TH_LOCALSTATEDIR);
	snprintf(c->durability, sizeof(c->durability), "full");
	c->body_max = 1024 * 1024;
	snprintf(c->connection_name, sizeof(c->connection_name), "Storage");
}

int
conf_set(struct conf *c, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(conf_opts) / sizeof(conf_opts[0]); i++) {
		const struct conf_opt *o = &conf_opts[i];
		char *dst = (char *)c + o->off;

		if (strcmp(o->key, key) != 0)
			continue;
		switch (o->type) {
		case CONF_DURABILITY:
			if (strcmp(value, "full") != 0 && strcmp(value, "write-nosync") != 0 &&
			    strcmp(value, "nosync") != 0)
				return -1;
			/* FALLTHROUGH */
		case CONF_STR:
			if (strlen(value) >= o->len)
				return -1;
			memcpy(dst, value, strlen(value) + 1);
			return 0;
		case CONF_SIZE: {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0' || v == 0 || v > (1ull << 32))
				return -1;
			*(size_t *)(void *)dst = (size_t)v;
			return 0;
		}
		case CONF_BOOL:
			if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
				*(int *)(void *)dst = 1;
			else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
				*(int *)(void *)dst = 0;
			else
				return -1;
			return 0;
		}
	}
	return -1;
}

static char *
conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
conf_env_overrides(struct conf *c)
{
	size_t i, j;

	for (i = 0; i < sizeof(conf_opts) / sizeof(conf_opts[0]); i++) {
		char name[64] = "TASKHUB_";
		const char *v;

		for (j = 0; conf_opts[i].key[j] != '\0' && j + 9 < sizeof(name); j++)
			name[8 + j] =
				conf_opts[i].key[j] == '-' ? '_' : (char)toupper((unsigned char)conf_opts[i].key[j]);
		name[8 + j] = '\0';
		if ((v = getenv(name)) != NULL && *v != '\0')
			(void)conf_set(c, conf_opts[i].key, v); /* a bad override keeps the file's value */
	}
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char def[CONF_PATH_MAX], line[8192];
	FILE *f;
	int lineno = 0, rc = 0;

	if (path == NULL)
		path = getenv("TASKHUB_CONF");
	if (path == NULL || *path == '\0') {
		snprintf(def, sizeof(def), "%s/taskhub.conf", TH_SYSCONFDIR);
		if ((f = fopen(def, "r")) == NULL) {
			conf_env_overrides(c);
			return 0; /* the default file is optional */
		}
		path = def;
	} else if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		s = conf_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		if (conf_set(c, conf_trim(s), conf_trim(eq + 1)) == -1) {
			snprintf(err, errlen, "%s:%d: unknown key or bad value for '%s'", path, lineno, conf_trim(s));
			rc = -1;
			break;
		}
	}
	fclose(f);
	if (rc == 0)
		conf_env_overrides(c);
	return rc;
}
