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

int
wakesock_open(const char *path, const char *group)
{
	struct sockaddr_un sa;
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
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}
