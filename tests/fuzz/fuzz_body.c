/*
 * fuzz_body.c — request bodies and the texts that handlers store: the
 * input of a start, the data of a raised event, an entity signal's body
 * (JSON or any other media type), and the reason of terminate, suspend,
 * resume and rewind. Each goes through the real handler by api_dispatch(),
 * and the JSON validator the handlers use (jsonutil_valid) is checked
 * against json-c, the parser that later reads what it let through.
 *
 * Input: byte 0 picks the request, byte 1 the Content-Type, byte 2 the
 * body state (255: unreadable, 254: over body-max, else read); the rest
 * is the body (for the control operations: the reason, percent-encoded
 * into the query string).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonutil.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_api.h"

#define BASE "/runtime/webhooks/durabletask"

static const struct fuzz_body_route {
	const char *method, *path, *query; /* query: before code=; reason appended when reason */
	int reason;
} fuzz_body_routes[] = {
	{"POST", BASE "/orchestrators/HelloSequence", "", 0},
	{"POST", BASE "/orchestrators/HelloSequence/fuzz-id", "", 0},
	{"POST", BASE "/instances/fuzz-id/raiseEvent/Approval", "", 0},
	{"POST", BASE "/entities/Counter/k1", "op=add&", 0},
	{"DELETE", BASE "/entities/Counter/k1", "", 0},
	{"POST", BASE "/instances/fuzz-id/terminate", "", 1},
	{"POST", BASE "/instances/fuzz-id/suspend", "", 1},
	{"POST", BASE "/instances/fuzz-id/resume", "", 1},
	{"POST", BASE "/instances/fuzz-id/rewind", "", 1},
	{"POST", BASE "/instances/fuzz-id/restart", "", 0},
	{"DELETE", BASE "/instances/fuzz-id", "", 0},
};
#define FUZZ_BODY_NROUTES (sizeof(fuzz_body_routes) / sizeof(fuzz_body_routes[0]))

static const char *const fuzz_body_ctypes[] = {
	NULL, "application/json", "application/json; charset=utf-8", "text/plain", " Application/JSON", "application/jsonx",
};
#define FUZZ_BODY_NCTYPES (sizeof(fuzz_body_ctypes) / sizeof(fuzz_body_ctypes[0]))

/* What jsonutil_valid accepts, json-c (strict) must parse: the engine and
 * the SDK read stored inputs and event data with it. */
static void
fuzz_body_json(const char *s, size_t n)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (!jsonutil_valid(s, n, JSONUTIL_MAX_DEPTH))
		return;
	if ((tok = json_tokener_new_ex(JSONUTIL_MAX_DEPTH + 1)) == NULL)
		fuzz_fail("out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)n);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1); /* a bare number ends at the end of input */
	if (o == NULL && json_tokener_get_error(tok) != json_tokener_success)
		fuzz_fail("jsonutil_valid accepts what json-c refuses (%s): %.*s",
			  json_tokener_error_desc(json_tokener_get_error(tok)), (int)(n > 200 ? 200 : n), s);
	json_object_put(o);
	json_tokener_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_body_route *rt;
	struct api_req req;
	struct buf qs;
	char *body;

	if (size < 3)
		return 0;
	rt = &fuzz_body_routes[data[0] % FUZZ_BODY_NROUTES];
	memset(&req, 0, sizeof(req));
	req.method = rt->method;
	req.request_uri = rt->path;
	req.content_type = fuzz_body_ctypes[data[1] % FUZZ_BODY_NCTYPES];
	req.body_state = data[2] == 255 ? API_BODY_BAD : data[2] == 254 ? API_BODY_TOO_BIG : API_BODY_OK;
	data += 3;
	size -= 3;
	body = fuzz_strndup(data, size);

	buf_init(&qs, API_QUERY_MAX * 4);
	buf_printf(&qs, "%scode=%s", rt->query, FUZZ_API_KEY);
	if (rt->reason) {
		buf_adds(&qs, "&reason=");
		for (size_t i = 0; i < size; i++)
			buf_printf(&qs, "%%%02X", data[i]);
		req.body = "";
	} else {
		req.body = body;
		req.body_len = size;
	}
	if (req.body_state != API_BODY_OK) {
		req.body = ""; /* as api_fcgi.c passes it */
		req.body_len = 0;
	}
	req.query_string = qs.p;
	if (!qs.overflow) /* a reason of more than 8 KiB: larger than any input libFuzzer makes here */
		fuzz_api_dispatch(&req);
	buf_free(&qs);

	fuzz_body_json(body, size);
	free(body);
	return 0;
}
