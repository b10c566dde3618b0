/* base/hash: digests as text. */
#include "base/hash.h"
#include "tests/unit/t.h"

static void
sha256_hex(void)
{
	char out[65];

	CHECK_INT(hash_sha256_hex("abc", 3, out), 0);
	CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_INT(hash_sha256_hex("", 0, out), 0);
	CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
hex(void)
{
	const unsigned char d[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[9];

	hash_hex(d, sizeof(d), out);
	CHECK_STR(out, "000fa5ff");
	hash_hex(d, 0, out);
	CHECK_STR(out, "");
}

int
main(void)
{
	RUN(sha256_hex);
	RUN(hex);
	T_DONE();
}
