/*
 * wakesock.h — the daemon's end of the wake socket (DESIGN §5): an
 * AF_UNIX datagram socket, mode 0660, group shared with the web server.
 * Every datagram is only a hint to look at the store again.
 */
#ifndef TH_WAKESOCK_H
#define TH_WAKESOCK_H

/* Binds path (replacing a stale socket: the caller holds the daemon lock,
 * so nobody else can be serving it; anything at path that is not a socket
 * is left alone and -1 returned). group "" keeps the daemon's group.
 * Returns a non-blocking fd, or -1 (logged). */
int wakesock_open(const char *path, const char *group);
/* Reads every pending datagram; returns how many (0 when none). */
int wakesock_drain(int fd);
/* Closes fd and removes path if it is still the socket wakesock_open()
 * bound. */
void wakesock_close(int fd, const char *path);

#endif
