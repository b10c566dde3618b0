/* base/hash: digests as text, for every stage (one helper instead of a
 * hex loop in each caller). */
#ifndef NW_BASE_HASH_H
#define NW_BASE_HASH_H

#include <stddef.h>

/* Lowercase hex of d[0..n) into out, which holds 2n + 1 bytes. */
void hash_hex(const unsigned char *d, size_t n, char *out);

/* SHA-256 of data[0..len) as 64 hex digits and a NUL; -1 when libcrypto
 * fails (out is then ""). */
int hash_sha256_hex(const void *data, size_t len, char out[65]);

/* Bytes to digest, one piece of several. */
struct hash_piece {
	const void *data;
	size_t len;
};

/* SHA-256 of the n pieces one after the other, as hash_sha256_hex. */
int hash_sha256_hexv(const struct hash_piece *v, size_t n, char out[65]);

#endif
