/*
 * fault.c — the fault injector of fault.h, and the allocation wrappers the
 * linker substitutes for malloc and friends in --enable-fault-inject builds.
 *
 * It must not allocate (it sits under malloc) and must work before main()
 * and from any thread: the spec is parsed once, under pthread_once, with
 * read(2) and fixed buffers; the counter is atomic.
 */
#include "config.h"

#ifdef TH_FAULT_INJECT

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fault.h"

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static int fault_site_set = -1;   /* enum fault_site, -1: no fault */
static unsigned long fault_nth;   /* 1-based occurrence to fail */
static int fault_onward;          /* "N+": every occurrence from N on */
static enum fault_db fault_how;   /* for FAULT_DBWRITE */
static unsigned long fault_count; /* occurrences of the chosen site so far */

static const char *const fault_site_names[] = {"alloc", "dbwrite", "wake"};

/* Reads the spec named by "@path" into buf; "" when unreadable. */
static void
fault_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd != -1) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
}

static void fault_total(void);

/* "site:N[+][:how]". A malformed spec is reported once on stderr and
 * injects nothing: a typo must not pass for a sweep that found no fault. */
static void
fault_parse(void)
{
	const char *env = getenv("TASKHUB_FAULT");
	char spec[256], *p, *end;
	size_t i, len;

	if (env == NULL || *env == '\0')
		return;
	if (*env == '@')
		fault_read_file(env + 1, spec, sizeof(spec));
	else
		snprintf(spec, sizeof(spec), "%s", env);
	if (spec[0] == '\0')
		return;
	for (i = 0; i < sizeof(fault_site_names) / sizeof(fault_site_names[0]); i++) {
		len = strlen(fault_site_names[i]);
		if (strncmp(spec, fault_site_names[i], len) == 0 && spec[len] == ':')
			break;
	}
	if (i == sizeof(fault_site_names) / sizeof(fault_site_names[0]))
		goto bad;
	p = spec + len + 1;
	errno = 0;
	fault_nth = strtoul(p, &end, 10);
	if (end == p || errno != 0 || fault_nth == 0)
		goto bad;
	if (*end == '+') {
		fault_onward = 1;
		end++;
	}
	if (i == FAULT_DBWRITE) {
		if (strcmp(end, ":deadlock") == 0)
			fault_how = FAULT_DB_DEADLOCK;
		else if (strcmp(end, ":nospace") == 0)
			fault_how = FAULT_DB_NOSPACE;
		else if (strcmp(end, ":io") == 0)
			fault_how = FAULT_DB_IO;
		else
			goto bad;
	} else if (*end != '\0') {
		goto bad;
	}
	fault_site_set = (int)i;
	atexit(fault_total);
	return;
bad:
	fprintf(stderr, "taskhub: TASKHUB_FAULT '%s' not understood; no fault injected\n", spec);
}

/* Appends one line to TASKHUB_FAULT_LOG with open/write/close, so that
 * nothing is buffered when the process dies of the failure. A line that
 * cannot be written is lost: the sweep then reads the run as fault-free. */
static void
fault_log(const char *fmt, const char *site, unsigned long n)
{
	const char *path = getenv("TASKHUB_FAULT_LOG");
	char line[96];
	int fd, len;

	if (path == NULL || *path == '\0')
		return;
	len = snprintf(line, sizeof(line), fmt, site, n, (long)getpid());
	if (len <= 0 || (size_t)len >= sizeof(line))
		return;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) == -1)
		return;
	if (write(fd, line, (size_t)len) < 0) {
		/* see above */
	}
	close(fd);
}

/* At exit: how many occurrences the run had, so that a sweep can choose
 * its N values from a first run with N past the end. */
static void
fault_total(void)
{
	fault_log("total %s %lu %ld\n", fault_site_names[fault_site_set], __atomic_load_n(&fault_count, __ATOMIC_RELAXED));
}

/* Parsed at load, so that a run that never reaches a site still logs its
 * count (0) at exit. */
__attribute__((constructor)) static void
fault_init(void)
{
	pthread_once(&fault_once, fault_parse);
}

int
fault_hit(enum fault_site site)
{
	unsigned long n;

	pthread_once(&fault_once, fault_parse);
	if (fault_site_set != (int)site)
		return 0;
	n = __atomic_add_fetch(&fault_count, 1, __ATOMIC_RELAXED);
	if (n != fault_nth && !(fault_onward && n > fault_nth))
		return 0;
	fault_log("%s %lu %ld\n", fault_site_names[site], n);
	return 1;
}

enum fault_db
fault_dbwrite(void)
{
	return fault_hit(FAULT_DBWRITE) ? fault_how : FAULT_DB_NONE;
}

/*
 * The allocation wrappers: the link of every program and library holding
 * this file passes -Wl,--wrap=malloc (and the others), which sends the
 * calls of taskhub's objects here and leaves __real_* as the C library's.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* errno as the C library sets it for a real shortage. */
static int
fault_alloc_fails(void)
{
	if (!fault_hit(FAULT_ALLOC))
		return 0;
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t size)
{
	return fault_alloc_fails() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t nmemb, size_t size)
{
	return fault_alloc_fails() ? NULL : __real_calloc(nmemb, size);
}

/* A failed realloc leaves ptr allocated and unchanged, as the real one. */
void *
__wrap_realloc(void *ptr, size_t size)
{
	return fault_alloc_fails() ? NULL : __real_realloc(ptr, size);
}

char *
__wrap_strdup(const char *s)
{
	return fault_alloc_fails() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fault_alloc_fails() ? NULL : __real_strndup(s, n);
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int fault_unused;
#endif
