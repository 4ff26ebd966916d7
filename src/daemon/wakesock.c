/*
 * wakesock.c — bind, drain and remove the wake socket. A flood of
 * datagrams costs one rescan per poll() turn, whatever their number or
 * content: they are read and thrown away.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/wakesock.h"

/* The node bind() created, so that only it is ever removed (one wake
 * socket per daemon). */
static dev_t wakesock_dev;
static ino_t wakesock_ino;

int
wakesock_open(const char *path, const char *group)
{
	struct sockaddr_un sa;
	struct stat sb;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("wake socket path %s is too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("wake socket");
		return -1;
	}
	/* Only a socket is stale: anything else at the path (a typo naming
	 * a database, a file or folder someone put there) is left alone, and
	 * the daemon runs without a wake socket, finding work by its rescan. */
	if (lstat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode)) {
		log_warnx("wake socket %s: something else exists there (not a socket); not removing it", path);
		close(fd);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("removing the stale wake socket %s", path);
	/* Created 0660 from the start: no window in which it is wider. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		log_warn("wake socket %s", path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (lstat(path, &sb) == 0) {
		wakesock_dev = sb.st_dev;
		wakesock_ino = sb.st_ino;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) == -1)
			log_warn("wake socket %s: cannot give it to group %s", path, group);
	}
	if (chmod(path, 0660) == -1)
		log_warn("wake socket %s", path);
	return fd;
}

int
wakesock_drain(int fd)
{
	char buf[256];
	int n = 0;

	/* Bounded, so that a client sending without pause cannot hold the
	 * scheduler here; what is left wakes the next poll(). */
	while (n < 4096 && recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

void
wakesock_close(int fd, const char *path)
{
	struct stat sb;

	if (fd < 0)
		return;
	close(fd);
	/* Not if the path now names something else (moved away and
	 * replaced, or a successor's socket). */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) && sb.st_dev == wakesock_dev && sb.st_ino == wakesock_ino)
		unlink(path);
}
