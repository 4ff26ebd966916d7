/*
 * fuzz_hostjson.c — host.json (spec §7) as the daemon and the responder
 * read it: hostjson_parse() over the defaults, then the settings checked
 * against the ranges hostjson.h promises.
 *
 * Input: the text of host.json.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/hostjson.h"
#include "fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostjson h;
	char err[512], *text;
	int rc;

	/* Exact size, no NUL: the parser takes a length. */
	if ((text = malloc(size ? size : 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(text, data, size);
	hostjson_defaults(&h, 4);
	err[0] = '\0';
	rc = hostjson_parse(text, size, "host.json", &h, err, sizeof(err));
	free(text);
	if (rc == -1) {
		if (err[0] == '\0')
			fuzz_fail("refused without a message");
		return 0;
	}
	if (rc != 0)
		fuzz_fail("returned %d", rc);
	if (h.override_any != 0 && h.override_any != 1)
		fuzz_fail("override_any %d", h.override_any);
	if (h.max_activities < 1 || h.max_orchestrators < 1 || h.max_entities < 1 || h.max_actions < 1 ||
	    h.max_entity_batch < 1 || h.max_activities > 1000000000 || h.max_orchestrators > 1000000000 ||
	    h.max_entities > 1000000000 || h.max_actions > 1000000000 || h.max_entity_batch > 1000000000)
		fuzz_fail("a limit out of range");
	if (h.function_timeout_us < 0)
		fuzz_fail("functionTimeout %lld us", (long long)h.function_timeout_us);
	return 0;
}
