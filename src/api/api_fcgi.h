/*
 * api_fcgi.h — the request adapter's entry point.
 */
#ifndef TH_API_FCGI_H
#define TH_API_FCGI_H

#include "api/api.h"

/* Serves requests until the transport ends or SIGTERM arrives; 0, or -1
 * when libfcgi cannot start. srv is borrowed. */
int api_fcgi_run(struct api_server *srv);

/* For a failure before api_fcgi_run (configuration, store, memory): run
 * as plain CGI, answers the one request with status and the API's JSON
 * error body carrying message, so that the client gets JSON rather than
 * the web server's HTML 500; run as FastCGI, does nothing (no request has
 * been accepted; the web server starts a new process). */
void api_fcgi_refuse(int status, const char *message);

#endif
