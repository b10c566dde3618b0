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
	struct hash_piece one = {data, len};

	return hash_sha256_hexv(&one, 1, out);
}

int
hash_sha256_hexv(const struct hash_piece *v, size_t n, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(md, v[i].data, v[i].len);
	ok = ok && EVP_DigestFinal_ex(md, d, &dl) && dl == 32;
	EVP_MD_CTX_free(md);
	out[0] = '\0';
	if (!ok)
		return -1;
	hash_hex(d, dl, out);
	return 0;
}
