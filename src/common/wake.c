/*
 * wake.c — the sending side of the wake socket.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fault.h"
#include "common/wake.h"

static int wake_fd = -1;

void
wake_send(const char *path, const char *hub)
{
	struct sockaddr_un sa;
	size_t plen = strlen(path);

	if (plen == 0 || plen >= sizeof(sa.sun_path) || fault_hit(FAULT_WAKE))
		return;
	if (wake_fd == -1 && (wake_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	/* MSG_DONTWAIT: a full queue means the daemon is already awake. */
	(void)sendto(wake_fd, hub, strlen(hub), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
}
