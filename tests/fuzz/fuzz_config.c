/* libFuzzer: the config reader (libinih and our checks) on any text. */
#include "config/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[600];
	struct config cfg;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/nw-fuzz-config-%d.ini", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	config_load(&cfg, path, err, sizeof(err));
	config_free(&cfg);
	unlink(path);
	return 0;
}
