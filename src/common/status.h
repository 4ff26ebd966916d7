/*
 * status.h — orchestration runtime status, numbered as Durable Task's
 * OrchestrationStatus (spec §2.2) because the numbers cross the wire in the
 * out-of-process protocol and are stored in the status index.
 */
#ifndef TH_STATUS_H
#define TH_STATUS_H

enum status {
	STATUS_RUNNING = 0,
	STATUS_COMPLETED = 1,
	STATUS_CONTINUED_AS_NEW = 2,
	STATUS_FAILED = 3,
	STATUS_CANCELED = 4,
	STATUS_TERMINATED = 5,
	STATUS_PENDING = 6,
	STATUS_SUSPENDED = 7,
};
#define STATUS_COUNT  8
#define STATUS_BIT(s) (1u << (s))
/* Completed, Failed, Canceled, Terminated: the states a start may replace and a purge may delete. */
#define STATUS_TERMINAL_MASK                                                                                           \
	(STATUS_BIT(STATUS_COMPLETED) | STATUS_BIT(STATUS_FAILED) | STATUS_BIT(STATUS_CANCELED) |                      \
	 STATUS_BIT(STATUS_TERMINATED))
#define STATUS_ALL_MASK ((1u << STATUS_COUNT) - 1)

/* Returns a static name ("Running"), or "Unknown" out of range. */
const char *status_name(int s);
/* Case-sensitive name or decimal number, as Durable Functions parses it; -1 if neither. */
int status_parse(const char *s);
int status_is_terminal(int s);

#endif
