/*
 * status.c — runtime status names.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/status.h"

static const char *const status_names[STATUS_COUNT] = {
	"Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated", "Pending", "Suspended",
};

const char *
status_name(int s)
{
	if (s < 0 || s >= STATUS_COUNT)
		return "Unknown";
	return status_names[s];
}

int
status_parse(const char *s)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < STATUS_COUNT; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v >= STATUS_COUNT)
		return -1;
	return (int)v;
}

int
status_is_terminal(int s)
{
	return s >= 0 && s < STATUS_COUNT && (STATUS_TERMINAL_MASK & STATUS_BIT(s)) != 0;
}
