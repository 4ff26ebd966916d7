/*
 * mgmt.h — the HTTP management links of an instance (spec §1.4): the
 * check-status payload a start answers with, its Location and Retry-After
 * headers, and the origin (scheme://host) they are built on. Pure string
 * building into capped buffers, shared by the responder (src/api) and the
 * client API (src/sdk/client*.c) so that both write the same bytes.
 *
 * Ownership: every argument is borrowed for the call; output goes into the
 * caller's buffer.
 */
#ifndef TH_MGMT_H
#define TH_MGMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Retry-After of a start's 202 (the status route's own 202 uses 5). */
#define MGMT_RETRY_AFTER  "10"
#define MGMT_CONTENT_TYPE "application/json; charset=utf-8"
#define MGMT_ORIGIN_MAX   300 /* bytes of scheme://host, NUL included */

/* What every management URL is made of. */
struct mgmt_links {
	const char *base;       /* origin + configured base path, no trailing '/' */
	const char *hub;        /* taskHub= */
	const char *connection; /* connection= */
	const char *code;       /* code= (the system key); NULL or "" leaves it out */
};

/* Flags of mgmt_check_status. */
#define MGMT_WITH_REWIND 0x1 /* CreateHttpManagementPayload: adds rewindPostUri */

/* Appends s percent-encoded (everything but RFC 3986 unreserved characters). */
void mgmt_url_encode(struct buf *b, const char *s);
/* Appends {base}/instances/{id}[/{op}]?{pre}taskHub=..&connection=..[&code=..].
 * op and pre may be NULL; pre is literal (e.g. "reason={text}&"). */
void mgmt_instance_url(struct buf *b, const struct mgmt_links *l, const char *id, const char *op, const char *pre);
/* Appends the check-status JSON object for id: the start/restart 202 body
 * (flags 0), or with MGMT_WITH_REWIND the management payload. */
void mgmt_check_status(struct buf *b, const struct mgmt_links *l, const char *id, unsigned flags);
/* Writes scheme://host into out (MGMT_ORIGIN_MAX bytes) as the responder
 * sees its request: X-Forwarded-Proto, else HTTPS=on, chooses the scheme;
 * X-Forwarded-Host, else Host (else "localhost"), the host, cut at the
 * first character that could break a URL. Any argument may be NULL. */
void mgmt_origin(char out[MGMT_ORIGIN_MAX], const char *host, const char *https, const char *fwd_host,
		 const char *fwd_proto);

/* Appends the status object of spec §2.1 (GET .../instances/{id} without
 * history): input, custom_status and output are stored payloads (NULL is
 * null); times are µs since the epoch. */
void mgmt_status_json(struct buf *b, const char *name, const char *id, int status, const char *input,
		      const char *custom_status, const char *output, int64_t created_us, int64_t updated_us);

/* The responder's messages that a client program repeats word for word. */
/* "An instance with ID '<id>' already exists." into out. */
void mgmt_msg_exists(char *out, size_t cap, const char *id);
/* "The function '<name>' doesn't exist, is disabled, or is not an <kind>
 * function." and, when names is not NULL, the known orchestrators (n of
 * them). Appended to b. */
/* The 409 of a purge of an instance that is not terminal. */
void mgmt_msg_not_purgeable(char *out, size_t cap, const char *id, const char *status);
void mgmt_msg_unknown_function(struct buf *b, const char *name, const char *kind, char *const *names, size_t n);

#endif
