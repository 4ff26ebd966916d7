/*
 * api_main.c — taskhub.fcgi: read the configuration, open the store, serve.
 * Errors go to stderr, which lighttpd and Apache put in their error logs.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "api/api_fcgi.h"
#include "api/api_int.h"
#include "common/log.h"

/* conns[0] is home under connection-name; then the `connections` list. */
static int
api_connections_parse(struct api_server *srv)
{
	char list[CONF_PATH_MAX], *item, *save = NULL;

	snprintf(srv->conns[0].name, sizeof(srv->conns[0].name), "%s", srv->conf.connection_name);
	snprintf(srv->conns[0].home, sizeof(srv->conns[0].home), "%s", srv->conf.home);
	srv->nconns = 1;
	snprintf(list, sizeof(list), "%s", srv->conf.connections);
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		struct api_conn *cn;

		while (*item == ' ')
			item++;
		if (eq == NULL || eq == item || eq[1] != '/' || srv->nconns == API_CONNS_MAX ||
		    (size_t)(eq - item) >= sizeof(cn->name))
			return -1;
		cn = &srv->conns[srv->nconns++];
		snprintf(cn->name, sizeof(cn->name), "%.*s", (int)(eq - item), item);
		snprintf(cn->home, sizeof(cn->home), "%s", eq + 1);
	}
	return 0;
}

/* A start-up failure: the reason goes to the error log, the client (when
 * run as CGI) gets a JSON 500, or a 503 for what may pass (memory, disk
 * space, a busy store), without the details. */
static void __attribute__((noreturn, format(printf, 2, 3)))
api_startup_fail(int transient, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	if (transient)
		api_fcgi_refuse(503, "The service is temporarily unavailable; try again.");
	else
		api_fcgi_refuse(500, "The service is not configured correctly; see the server's error log.");
	exit(1);
}

int
main(int argc, char **argv)
{
	static struct api_server srv;
	char err[512];
	enum store_err e;
	int rc;

	(void)argc;
	(void)argv;
	log_init("taskhub.fcgi", 0);
	conf_defaults(&srv.conf);
	if (conf_load(&srv.conf, NULL, err, sizeof(err)) == -1)
		api_startup_fail(errno == ENOMEM, "%s", err);
	store_options_init(&srv.opt);
	srv.opt.durability = (enum store_durability)store_durability_parse(srv.conf.durability);
	srv.opt.group_shared = srv.conf.group[0] != '\0';
	/* A responder's transactions are short: one blocked for 15 s waits on
	 * a mutex of a process that died (store.h), and the responder leaves
	 * so that the web server starts a fresh one. (5 s was seen to fire
	 * under a heavily loaded machine running 32 CGI responders at once.) */
	srv.opt.stall_ms = 15000;
	if (srv.opt.group_shared)
		umask(007); /* files the web server and the daemon both write */
	if (api_connections_parse(&srv) == -1)
		api_startup_fail(0, "connections: expected Name=/path[,Name=/path...] with at most %d entries", API_CONNS_MAX - 1);
	if ((e = store_open(srv.conns[0].home, &srv.opt, &srv.conns[0].store)) != STORE_OK)
		api_startup_fail(e == STORE_NOMEM || e == STORE_NOSPACE || e == STORE_BUSY,
				 "cannot open the environment %s: %s", srv.conns[0].home, store_strerror(e));
	if (api_hostjson_load(&srv) == -1)
		api_startup_fail(errno == ENOMEM, "host.json of %s has a bad setting", srv.conf.app);
	if (api_auth_load(&srv) == -1)
		api_startup_fail(1, "out of memory");
	rc = api_fcgi_run(&srv);
	for (size_t i = 0; i < srv.nconns; i++)
		store_close(srv.conns[i].store);
	return rc == 0 ? 0 : 1;
}
