/*
 * client_int.h — the client API's private state, shared by its files
 * (client.c: opening, configuration, keys, check-status; client_ops.c: the
 * instance operations) and by its store-tier test.
 */
#ifndef TH_CLIENT_INT_H
#define TH_CLIENT_INT_H

#include <stddef.h>

#include "common/conf.h"
#include "sdk/taskhub.h"
#include "store/store.h"

#define CLIENT_MSG_MAX 2048

struct th_client {
	struct conf conf;
	struct store_options opt;
	struct store *store;
	struct store_hub *hub;
	char connection[64]; /* as the URLs carry it */
	char **keys;         /* system keys (none when anonymous) */
	size_t nkeys;
	int override_any; /* host.json overridableExistingInstanceStates = AnyState */
	char msg[CLIENT_MSG_MAX];
	char detail[512];
	int has_detail;
};

/* Records the message (and detail, or NULL) of a failing call; returns e. */
th_client_err client_fail(struct th_client *c, th_client_err e, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Maps a store error to the client's, with the API's message. */
th_client_err client_store_fail(struct th_client *c, enum store_err e, const char *what);
/* Clears the last message (each public call starts with it). */
void client_reset(struct th_client *c);
/* 1 when id is a valid instance ID; else records the API's 400 wording. */
int client_id_ok(struct th_client *c, const char *id);

#endif
