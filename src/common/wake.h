/*
 * wake.h — the "look again" hint to taskhubd (DESIGN §5): one datagram on
 * an AF_UNIX SOCK_DGRAM socket, sent without blocking after a commit.
 * Losing one costs latency, never correctness.
 */
#ifndef TH_WAKE_H
#define TH_WAKE_H

/* Sends "hub" to the daemon's socket at path. Never blocks; every error
 * (daemon down, queue full, no such socket) is ignored. The socket is
 * created once per process and kept. */
void wake_send(const char *path, const char *hub);

#endif
