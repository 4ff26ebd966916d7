/*
 * store_space.c — a full file system must cost a 503, never a process.
 *
 * Berkeley DB's shared regions (__db.001 ...) are files mapped into every
 * process, created sparse. On a full file system (a small tmpfs, a full
 * disk) the first store into a page that has no block behind it kills the
 * process with SIGBUS, and a process that dies holding the region takes
 * the environment down with it. So:
 *
 * - after every open, the region files get their blocks (fallocate(2));
 *   if that fails for lack of space, the open fails with STORE_NOSPACE
 *   instead of leaving a mapping that may fault later;
 * - a writing transaction starts only while min_free_bytes are free, so
 *   that Berkeley DB's own writes (log records, new pages, the next log
 *   file) do not meet ENOSPC either: a write met with ENOSPC inside
 *   Berkeley DB can panic the environment;
 * - a reopen, which recreates the regions when it runs recovery, waits
 *   until there is room for them.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/log.h"
#include "store/store_int.h"

/* "__db.001" and its siblings; not "__db.register", a plain small file. */
static int
store_space_is_region(const char *name)
{
	size_t i;

	if (strncmp(name, "__db.", 5) != 0 || name[5] == '\0')
		return 0;
	for (i = 5; name[i] != '\0'; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

/* Calls fn(path, st) for each region file of home; stops at the first
 * non-zero return and passes it on. */
static int
store_space_each_region(const char *home, int (*fn)(const char *path, void *arg), void *arg)
{
	char path[4200];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((d = opendir(home)) == NULL)
		return errno;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (!store_space_is_region(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", home, de->d_name);
		ret = fn(path, arg);
	}
	closedir(d);
	return ret;
}

static int
store_space_back_one(const char *path, void *arg)
{
	struct stat sb;
	int fd, ret = 0;

	(void)arg;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : errno;
	/* Already backed (the usual case: another process did it): no work. */
	if (fstat(fd, &sb) == 0 && (off_t)sb.st_blocks * 512 < sb.st_size) {
		/* fallocate, not posix_fallocate: the C library's fallback for
		 * file systems without it writes bytes into the live region. */
		if (fallocate(fd, 0, 0, sb.st_size) == -1 && errno != EOPNOTSUPP && errno != ENOSYS)
			ret = errno;
	}
	close(fd);
	return ret;
}

int
store_space_back_regions(const char *home)
{
	return store_space_each_region(home, store_space_back_one, NULL);
}

static int
store_space_add_size(const char *path, void *arg)
{
	struct stat sb;

	if (stat(path, &sb) == 0)
		*(uint64_t *)arg += (uint64_t)sb.st_size;
	return 0;
}

enum store_err
store_space_check(struct store *st, int for_regions)
{
	struct statvfs vfs;
	uint64_t need = st->opt.min_free_bytes, avail;

	if (need == 0 && !for_regions)
		return STORE_OK;
	if (statvfs(st->home, &vfs) == -1)
		return STORE_OK; /* cannot tell: let Berkeley DB find out */
	if (for_regions)
		store_space_each_region(st->home, store_space_add_size, &need);
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail >= need) {
		if (st->space_low)
			log_info("%s: room again: writes resume", st->home);
		st->space_low = 0;
		return STORE_OK;
	}
	if (!st->space_low)
		log_warnx("%s: %llu KiB free, %llu KiB needed: refusing writes until there is room", st->home,
			  (unsigned long long)(avail >> 10), (unsigned long long)(need >> 10));
	st->space_low = 1;
	return STORE_NOSPACE;
}
