/*
 * buf.h — a growable byte buffer created with its maximum size (curl's
 * dynbuf habit): every append either fits under the cap or fails.
 */
#ifndef TH_BUF_H
#define TH_BUF_H

#include <stddef.h>

struct buf {
	char *p; /* NUL-terminated when non-NULL */
	size_t len, cap, max;
	int overflow; /* an append was refused (cap or memory) */
};

void buf_init(struct buf *b, size_t max);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Each returns 0, or -1 and sets b->overflow when the cap is reached or
 * memory runs out; b keeps what it had. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
