/*
 * hostjson.h — the function app's host.json (spec §7): the
 * extensions.durableTask settings taskhub honours, read by the responder
 * (the singleton rule) and by the daemon (concurrency, limits, timeouts).
 */
#ifndef TH_HOSTJSON_H
#define TH_HOSTJSON_H

#include <stddef.h>
#include <stdint.h>

struct hostjson {
	int override_any;           /* overridableExistingInstanceStates = AnyState */
	unsigned max_activities;    /* maxConcurrentActivityFunctions */
	unsigned max_orchestrators; /* maxConcurrentOrchestratorFunctions */
	unsigned max_entities;      /* maxConcurrentEntityFunctions */
	unsigned max_actions;       /* maxOrchestrationActions */
	unsigned max_entity_batch;  /* maxEntityOperationBatchSize */
	int64_t function_timeout_us; /* functionTimeout (top level), 0 = none */
};

/* The defaults of a dedicated host with ncpu processors (spec §7). */
void hostjson_defaults(struct hostjson *h, unsigned ncpu);
#define HOSTJSON_MAX (1024 * 1024) /* bytes of host.json read */

/* Reads app_dir/host.json over the defaults already in h. A missing file
 * keeps them. Returns 0, or -1 with a message naming the file and the
 * setting in err for unreadable JSON or a bad value. */
int hostjson_load(const char *app_dir, struct hostjson *h, char *err, size_t errlen);
/* The same for host.json text already read (text[0..len), borrowed);
 * path only names it in messages. h may be partly updated on -1. */
int hostjson_parse(const char *text, size_t len, const char *path, struct hostjson *h, char *err, size_t errlen);

#endif
