/*
 * log.h — the one logging API of every taskhub program.
 *
 * Messages go to stderr until log_init() is told to use syslog (daemons).
 * fatal()/fatalx() are for start-up failures and broken invariants only;
 * request paths report errors and carry on.
 */
#ifndef TH_LOG_H
#define TH_LOG_H

#include <stdarg.h>

/* Borrows progname for the life of the process. */
void log_init(const char *progname, int use_syslog);
/* Raise or lower verbosity: 0 warnings, 1 info, 2 debug. */
void log_verbose(int level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
