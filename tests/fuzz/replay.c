/* Replays a fuzz target's corpus (seeds and every crash found, kept as
 * regression inputs) as an ordinary test: built with the normal compiler,
 * run by make check. */
#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replays every file of dir (not those whose names start with a dot);
 * returns how many, or -1. */
static int
replay(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[1024];
		FILE *f;
		long len;
		uint8_t *buf;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
			fclose(f);      /* a folder such as tests/fixtures/facts */
			continue;
		}
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			n++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	return n;
}

int
main(void)
{
	int n = replay(CORPUS), seeds = SEEDS[0] ? replay(SEEDS) : 0;

	if (n < 0 || seeds < 0) {
		printf("FAIL replay %s: cannot read the corpus\n", CORPUS);
		return 1;
	}
	if (n == 0) {   /* a replay of nothing tests nothing */
		printf("FAIL replay %s: the corpus is empty\n", CORPUS);
		return 1;
	}
	printf("PASS replay %s (%d inputs)\n", CORPUS, n + seeds);
	return 0;
}
