/*
 * fuzz_route.c — the route and query parser: a whole request (method,
 * REQUEST_URI, SCRIPT_NAME, PATH_INFO, QUERY_STRING and the headers the
 * responder reads) through api_dispatch(), after the query string alone
 * through api_query_parse().
 *
 * Input: one field per line, in this order (an empty line is an absent
 * variable; the method defaults to GET as in api_fcgi.c):
 *   method, REQUEST_URI, SCRIPT_NAME, PATH_INFO, QUERY_STRING, Host,
 *   HTTPS, X-Forwarded-Host, X-Forwarded-Proto, Content-Type,
 *   x-functions-key, x-ms-continuation-token
 * and the rest of the input is the body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_api.h"

enum { F_METHOD, F_URI, F_SCRIPT, F_PATH, F_QUERY, F_HOST, F_HTTPS, F_FHOST, F_FPROTO, F_CTYPE, F_KEY, F_CONT, F_N };

/* The parser's own promises, checked on the raw query string. */
static void
fuzz_route_query(const char *qs)
{
	static struct api_query q; /* large: API_QUERY_MAX * 2 of decoded text */
	size_t i;

	if (api_query_parse(qs, &q) == -1)
		return;
	if (q.n > API_PARAMS_MAX)
		fuzz_fail("%zu parameters", q.n);
	for (i = 0; i < q.n; i++) {
		const char *v;

		if (q.v[i].name < q.store || q.v[i].name >= q.store + sizeof(q.store) || q.v[i].value < q.store ||
		    q.v[i].value >= q.store + sizeof(q.store))
			fuzz_fail("parameter %zu points outside the decoded text", i);
		/* The first non-empty value of a name is the one returned. */
		v = api_query_get(&q, q.v[i].name);
		if (q.v[i].value[0] != '\0' && v == NULL)
			fuzz_fail("parameter '%s' has a value but is not found", q.v[i].name);
		if (v != NULL && v[0] == '\0')
			fuzz_fail("an empty value was returned for '%s'", q.v[i].name);
		(void)api_query_bool(&q, q.v[i].name, 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[F_N] = {NULL};
	struct api_req req;
	size_t i;

	for (i = 0; i < F_N; i++) {
		f[i] = fuzz_line(&data, &size);
		if (f[i] != NULL && f[i][0] == '\0') {
			free(f[i]);
			f[i] = NULL;
		}
	}
	memset(&req, 0, sizeof(req));
	req.method = f[F_METHOD] ? f[F_METHOD] : "GET";
	req.request_uri = f[F_URI];
	req.script_name = f[F_SCRIPT];
	req.path_info = f[F_PATH];
	req.query_string = f[F_QUERY];
	req.host = f[F_HOST];
	req.https = f[F_HTTPS];
	req.fwd_host = f[F_FHOST];
	req.fwd_proto = f[F_FPROTO];
	req.content_type = f[F_CTYPE];
	req.functions_key = f[F_KEY];
	req.continuation = f[F_CONT];
	req.body = fuzz_strndup(data, size);
	req.body_len = size;
	req.body_state = API_BODY_OK;

	if (req.query_string != NULL)
		fuzz_route_query(req.query_string);
	fuzz_api_dispatch(&req);

	free((char *)req.body);
	for (i = 0; i < F_N; i++)
		free(f[i]);
	return 0;
}
