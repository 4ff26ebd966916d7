/*
 * wakesock.h — the daemon's end of the wake socket (DESIGN §5): an
 * AF_UNIX datagram socket, mode 0660, group shared with the web server.
 * Every datagram is only a hint to look at the store again.
 */
#ifndef TH_WAKESOCK_H
#define TH_WAKESOCK_H

/* Binds path (replacing a stale socket: the caller holds the daemon lock,
 * so nobody else can be serving it). group "" keeps the daemon's group.
 * Returns a non-blocking fd, or -1 (logged). */
int wakesock_open(const char *path, const char *group);
/* Reads every pending datagram; returns how many (0 when none). */
int wakesock_drain(int fd);
void wakesock_close(int fd, const char *path);

#endif
