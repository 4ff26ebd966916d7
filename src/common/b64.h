/*
 * b64.h — base64url without padding (RFC 4648 §5), used for opaque
 * continuation tokens that travel in HTTP headers and query strings.
 */
#ifndef TH_B64_H
#define TH_B64_H

#include <stddef.h>

/* Bytes needed for the encoding of n bytes, with the NUL. */
#define B64_ENCODED_SIZE(n) (((n) + 2) / 3 * 4 + 1)

/* Writes the encoding and a NUL into out (B64_ENCODED_SIZE(len) bytes). */
void b64_encode(const unsigned char *in, size_t len, char *out);
/* Decodes into out (at most outcap bytes); returns the length, or -1 when the
 * input is not canonical base64url or does not fit. */
long b64_decode(const char *in, size_t len, unsigned char *out, size_t outcap);

#endif
