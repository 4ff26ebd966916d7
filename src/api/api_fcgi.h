/*
 * api_fcgi.h — the request adapter's entry point.
 */
#ifndef TH_API_FCGI_H
#define TH_API_FCGI_H

#include "api/api.h"

/* Serves requests until the transport ends or SIGTERM arrives; 0, or -1
 * when libfcgi cannot start. srv is borrowed. */
int api_fcgi_run(struct api_server *srv);

#endif
