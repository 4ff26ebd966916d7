/*
 * jsonutil.c — strict validation of user JSON with json-c.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "common/ids.h"
#include "common/jsonutil.h"

/*
 * json-c's strict mode still takes single-quoted object keys and the words
 * NaN and Infinity; JSON has neither. Outside double-quoted strings the
 * only words are true, false and null (an 'e' after a digit is an
 * exponent). Inside strings, raw control characters are refused: json-c
 * takes those too.
 */
static int
jsonutil_lexical_ok(const char *s, size_t len)
{
	size_t i, w;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if ((unsigned char)c < 0x20)
				return 0; /* control characters must be escaped */
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			continue;
		}
		if (c == '\'')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			continue;
		if ((c == 'e' || c == 'E') && i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))
			continue;
		for (w = i; w < len && ((s[w] >= 'a' && s[w] <= 'z') || (s[w] >= 'A' && s[w] <= 'Z')); w++)
			;
		if (!((w - i == 4 && (memcmp(s + i, "true", 4) == 0 || memcmp(s + i, "null", 4) == 0)) ||
		      (w - i == 5 && memcmp(s + i, "false", 5) == 0)))
			return 0;
		i = w - 1;
	}
	return 1;
}

int
jsonutil_valid(const char *s, size_t len, int max_depth)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t i, end;
	int ok = 0;

	/* json-c passes invalid UTF-8 inside strings through; refuse it first. */
	if (len > (size_t)0x7fffffff || !ids_utf8_valid(s, len) || memchr(s, '\0', len) != NULL ||
	    !jsonutil_lexical_ok(s, len))
		return 0;
	if ((tok = json_tokener_new_ex(max_depth)) == NULL)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	end = (size_t)json_tokener_get_parse_end(tok);
	/* A top-level number might go on; a NUL byte tells json-c it ended,
	 * and then the value took all of s. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);
		end = len;
	}
	/* A JSON null is a NULL object: success is what counts. */
	if (json_tokener_get_error(tok) == json_tokener_success) {
		/* Only whitespace may follow the value. */
		ok = 1;
		for (i = end; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
				ok = 0;
	}
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}
