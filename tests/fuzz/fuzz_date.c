/* libFuzzer: the date parsers. */
#include "parse/parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[11], *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (parse_date(s, size, out) == 0 && (strlen(out) != 10 || out[4] != '-'))
		abort();
	if (parse_date_from_link(s, out) == 0 && strlen(out) != 10)
		abort();
	free(s);
	return 0;
}
