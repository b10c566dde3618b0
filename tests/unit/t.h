/* A small test harness: each test binary runs its TESTs and prints
 * "PASS name" or "FAIL name" lines, with what was expected and what came. */
#ifndef NW_T_H
#define NW_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_fail_here;
static int t_passed, t_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("  %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		t_fail_here = 1; \
	} } while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || !w_ || strcmp(g_, w_) != 0) { \
		printf("  %s:%d: %s\n    expected: %s\n    got:      %s\n", __FILE__, __LINE__, \
		       #got, w_ ? w_ : "(null)", g_ ? g_ : "(null)"); \
		t_fail_here = 1; \
	} } while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		printf("  %s:%d: %s\n    expected: %lld\n    got:      %lld\n", __FILE__, \
		       __LINE__, #got, w_, g_); \
		t_fail_here = 1; \
	} } while (0)

#define RUN(fn) do { \
	t_fail_here = 0; \
	fn(); \
	if (t_fail_here) { t_failed++; printf("FAIL %s\n", #fn); } \
	else { t_passed++; printf("PASS %s\n", #fn); } \
	fflush(stdout); \
} while (0)

#define T_DONE() return t_failed ? 1 : 0

/* Reads a whole file; NULL when it cannot. */
static inline char *
t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif
