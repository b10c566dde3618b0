/* libFuzzer: charset detection and decoding.  The first byte picks the
 * HTTP label; the output must be NUL-free and never hold U+FFFD unless the
 * input was valid UTF-8 holding it. */
#include "fetch/fetch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = {NULL, "gb2312", "utf-8", "gbk", "big5", "latin1"};
	char *out = NULL, used[64], err[256];
	size_t len;

	if (size == 0)
		return 0;
	if (fetch_decode((const char *)data + 1, size - 1, labels[data[0] % 6], NULL, &out, &len,
	                 used, sizeof(used), err, sizeof(err)) == 0) {
		if (strlen(out) != len)
			abort();
		free(out);
	}
	return 0;
}
