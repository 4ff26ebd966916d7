/*
 * api_int.h — functions shared inside the responder that handlers do not
 * call.
 */
#ifndef TH_API_INT_H
#define TH_API_INT_H

#include "api/api.h"

/* Reads keys-file into srv->keys (nothing when anonymous). 0 or -1. */
int api_auth_load(struct api_server *srv);
/* The presented key when it is valid (or anything when anonymous), else NULL. */
const char *api_auth_check(struct api_ctx *c);

/* Reads the settings of the function app's host.json that the API uses;
 * 0 (absent file or setting: defaults), -1 for a bad value (logged). */
int api_hostjson_load(struct api_server *srv);

#endif
