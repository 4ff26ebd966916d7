/*
 * testproc.c — pipe helpers for the multi-process tests.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "testproc.h"

int64_t
testproc_now_us(void)
{
	return time_mono_us();
}

int
testproc_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
testproc_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = time_mono_us() + (int64_t)timeout_ms * 1000;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t r;
	int left;

	while (got < len) {
		if ((left = (int)((deadline - time_mono_us()) / 1000)) <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, left)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		if ((r = read(fd, (char *)buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return got == 0 ? 1 : -1;
		got += (size_t)r;
	}
	return 0;
}
