/* Digests as text (see hash.h). */
#include "base/hash.h"

#include <openssl/evp.h>

void
hash_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hash_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!EVP_Digest(data, len, d, &n, EVP_sha256(), NULL) || n != 32)
		return -1;
	hash_hex(d, n, out);
	return 0;
}
