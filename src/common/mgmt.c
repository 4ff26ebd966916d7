/*
 * mgmt.c — the check-status payload and management URLs (spec §1.4),
 * written once for the responder and the client API.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/jsonw.h"
#include "common/mgmt.h"
#include "common/status.h"
#include "common/timefmt.h"

void
mgmt_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_addc(b, (char)*p);
		else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			buf_add(b, e, 3);
		}
	}
}

void
mgmt_instance_url(struct buf *b, const struct mgmt_links *l, const char *id, const char *op, const char *pre)
{
	buf_adds(b, l->base);
	buf_adds(b, "/instances/");
	mgmt_url_encode(b, id);
	if (op != NULL) {
		buf_addc(b, '/');
		buf_adds(b, op);
	}
	buf_addc(b, '?');
	if (pre != NULL)
		buf_adds(b, pre);
	buf_adds(b, "taskHub=");
	mgmt_url_encode(b, l->hub);
	buf_adds(b, "&connection=");
	mgmt_url_encode(b, l->connection);
	if (l->code != NULL && *l->code != '\0') {
		buf_adds(b, "&code=");
		mgmt_url_encode(b, l->code);
	}
}

static void
mgmt_url_field(struct buf *b, const struct mgmt_links *l, const char *field, const char *id, const char *op,
	       const char *pre)
{
	struct buf u;

	buf_init(&u, 8192);
	mgmt_instance_url(&u, l, id, op, pre);
	buf_addc(b, ',');
	jsonw_key(b, field);
	jsonw_str(b, u.p ? u.p : "");
	buf_free(&u);
}

/* Key order as Durable Functions writes it: the 202 body is an anonymous
 * object without rewindPostUri; HttpManagementPayload has it after
 * terminatePostUri. */
void
mgmt_check_status(struct buf *b, const struct mgmt_links *l, const char *id, unsigned flags)
{
	buf_adds(b, "{\"id\":");
	jsonw_str(b, id);
	mgmt_url_field(b, l, "statusQueryGetUri", id, NULL, NULL);
	mgmt_url_field(b, l, "sendEventPostUri", id, "raiseEvent/{eventName}", NULL);
	mgmt_url_field(b, l, "terminatePostUri", id, "terminate", "reason={text}&");
	if (flags & MGMT_WITH_REWIND)
		mgmt_url_field(b, l, "rewindPostUri", id, "rewind", "reason={text}&");
	mgmt_url_field(b, l, "purgeHistoryDeleteUri", id, NULL, NULL);
	mgmt_url_field(b, l, "restartPostUri", id, "restart", NULL);
	mgmt_url_field(b, l, "suspendPostUri", id, "suspend", "reason={text}&");
	mgmt_url_field(b, l, "resumePostUri", id, "resume", "reason={text}&");
	buf_addc(b, '}');
}

void
mgmt_origin(char out[MGMT_ORIGIN_MAX], const char *host, const char *https, const char *fwd_host, const char *fwd_proto)
{
	const char *scheme = "http";
	char h[256];
	size_t n;

	if (host == NULL)
		host = "localhost";
	if (fwd_proto != NULL && *fwd_proto != '\0')
		scheme = strncasecmp(fwd_proto, "https", 5) == 0 ? "https" : "http";
	else if (https != NULL && strcasecmp(https, "on") == 0)
		scheme = "https";
	if (fwd_host != NULL && *fwd_host != '\0')
		host = fwd_host;
	/* The first of a comma list; nothing that could break the URL. */
	n = strcspn(host, ", \t/\\?#@\"<>");
	if (n >= sizeof(h))
		n = sizeof(h) - 1;
	memcpy(h, host, n);
	h[n] = '\0';
	snprintf(out, MGMT_ORIGIN_MAX, "%s://%s", scheme, h);
}

void
mgmt_msg_exists(char *out, size_t cap, const char *id)
{
	snprintf(out, cap, "An instance with ID '%s' already exists.", id);
}

void
mgmt_msg_not_purgeable(char *out, size_t cap, const char *id, const char *status)
{
	snprintf(out, cap,
		 "Instance '%s' is %s; only Completed, Failed, Canceled or Terminated instances can be purged.", id,
		 status);
}

void
mgmt_msg_unknown_function(struct buf *b, const char *name, const char *kind, char *const *names, size_t n)
{
	size_t i;

	buf_printf(b, "The function '%.256s' doesn't exist, is disabled, or is not an %s function.", name, kind);
	if (names == NULL)
		return;
	buf_adds(b, " Additional info: The following are the known orchestrator functions: ");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s'%s'", i ? ", " : "", names[i]);
	buf_addc(b, '.');
}

void
mgmt_status_json(struct buf *b, const char *name, const char *id, int status, const char *input,
		 const char *custom_status, const char *output, int64_t created_us, int64_t updated_us)
{
	char t[TIMEFMT_MAX];

	buf_adds(b, "{\"name\":");
	jsonw_str(b, name);
	buf_adds(b, ",\"instanceId\":");
	jsonw_str(b, id);
	buf_adds(b, ",\"runtimeStatus\":");
	jsonw_str(b, status_name(status));
	buf_adds(b, ",\"input\":");
	jsonw_payload(b, input);
	buf_adds(b, ",\"customStatus\":");
	jsonw_payload(b, custom_status);
	buf_adds(b, ",\"output\":");
	jsonw_payload(b, output);
	timefmt_seconds(created_us, t);
	buf_adds(b, ",\"createdTime\":");
	jsonw_str(b, t);
	timefmt_seconds(updated_us, t);
	buf_adds(b, ",\"lastUpdatedTime\":");
	jsonw_str(b, t);
	buf_addc(b, '}');
}
