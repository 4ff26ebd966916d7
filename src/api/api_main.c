/*
 * api_main.c — taskhub.fcgi: read the configuration, open the store, serve.
 * Errors go to stderr, which lighttpd and Apache put in their error logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "api/api_fcgi.h"
#include "api/api_int.h"
#include "common/log.h"

int
main(int argc, char **argv)
{
	static struct api_server srv;
	struct store_options o;
	char err[512];
	enum store_err e;
	int rc;

	(void)argc;
	(void)argv;
	log_init("taskhub.fcgi", 0);
	conf_defaults(&srv.conf);
	if (conf_load(&srv.conf, NULL, err, sizeof(err)) == -1)
		fatalx("%s", err);
	store_options_init(&o);
	o.durability = (enum store_durability)store_durability_parse(srv.conf.durability);
	o.group_shared = srv.conf.group[0] != '\0';
	if (o.group_shared)
		umask(007); /* files the web server and the daemon both write */
	if ((e = store_open(srv.conf.home, &o, &srv.store)) != STORE_OK)
		fatalx("cannot open the environment %s: %s", srv.conf.home, store_strerror(e));
	if (api_auth_load(&srv) == -1)
		fatalx("out of memory");
	rc = api_fcgi_run(&srv);
	store_close(srv.store);
	return rc == 0 ? 0 : 1;
}
