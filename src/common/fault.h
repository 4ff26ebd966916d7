/*
 * fault.h — deterministic fault injection for the reliability tests
 * (configure --enable-fault-inject; RELIABILITY.md, docs/testing.md).
 *
 * One fault per process, chosen by the environment variable TASKHUB_FAULT:
 *
 *   alloc:N                  the Nth allocation made by taskhub's own code
 *                            (malloc, calloc, realloc, strdup, strndup)
 *                            returns NULL with errno ENOMEM
 *   dbwrite:N:deadlock       the Nth Berkeley DB write (put, delete, cursor
 *   dbwrite:N:nospace        write, commit of a writing transaction) fails
 *   dbwrite:N:io             with DB_LOCK_DEADLOCK, ENOSPC or EIO instead of
 *                            reaching the database
 *   wake:N                   the Nth wake datagram is not sent
 *
 * "N+" instead of N fails that occurrence and every later one. A value
 * "@path" names a file holding the spec, read once at the first check: a web
 * server hands CGI programs a fixed environment, so the tests rewrite the
 * file between requests instead. An empty or missing spec injects nothing.
 *
 * TASKHUB_FAULT_LOG, if set, names a file to which every injected failure
 * appends one line ("alloc 17 1234": site, occurrence, pid), so that a sweep
 * over N knows when N has passed the last occurrence of a run.
 *
 * Counting is per process and thread-safe. Allocations are counted through
 * the linker's --wrap of the allocation functions (TH_FAULT_LDFLAGS), so
 * allocations inside Berkeley DB, json-c and libfcgi are not counted: the
 * sweep is of taskhub's own handling of a failure.
 *
 * Without --enable-fault-inject every check is a constant 0 and costs
 * nothing. No allocation happens in this module.
 */
#ifndef TH_FAULT_H
#define TH_FAULT_H

enum fault_site {
	FAULT_ALLOC,
	FAULT_DBWRITE,
	FAULT_WAKE,
};

/* How an injected Berkeley DB write fails (mapped to DB's codes by the
 * store, which alone includes <db.h>). */
enum fault_db {
	FAULT_DB_NONE = 0,
	FAULT_DB_DEADLOCK,
	FAULT_DB_NOSPACE,
	FAULT_DB_IO,
};

#ifdef TH_FAULT_INJECT
/* Counts one occurrence of site; 1 if this one is to fail. */
int fault_hit(enum fault_site site);
/* fault_hit(FAULT_DBWRITE) with the configured way of failing. */
enum fault_db fault_dbwrite(void);
#else
#define fault_hit(site) 0
#define fault_dbwrite() FAULT_DB_NONE
#endif

#endif
