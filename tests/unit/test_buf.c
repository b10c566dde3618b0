/* base/buf: the capped growable buffer every stage shares. */
#include "base/buf.h"
#include "tests/unit/t.h"

/* An append that would reach the cap fails, frees, and keeps failing. */
static void
cap_reached(void)
{
	struct buf b;

	buf_init(&b, 8);            /* 7 bytes and the NUL */
	CHECK_INT(buf_room(&b), 7);
	CHECK_INT(buf_addstr(&b, "abc"), 0);
	CHECK_INT(buf_room(&b), 4);
	CHECK_INT(buf_addstr(&b, "defg"), 0);
	CHECK_STR(buf_str(&b), "abcdefg");
	CHECK_INT(b.len, 7);
	CHECK_INT(buf_room(&b), 0);
	CHECK_INT(buf_add(&b, "h", 1), BUF_TOO_LARGE);
	CHECK(b.p == NULL);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_str(&b), "");
	CHECK_INT(buf_addstr(&b, ""), BUF_TOO_LARGE);
	CHECK(buf_take(&b, NULL) == NULL);
	/* a reset buffer takes appends again */
	buf_reset(&b);
	CHECK_INT(buf_addstr(&b, "ok"), 0);
	CHECK_STR(buf_str(&b), "ok");
	buf_free(&b);
	CHECK_INT(b.cap, 8);
	CHECK_INT(buf_add(&b, "12345678", 8), BUF_TOO_LARGE);
	buf_free(&b);
}

/* Large appends grow the buffer past its first block; bytes stay intact. */
static void
grows(void)
{
	struct buf b;
	char chunk[1000];

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		CHECK_INT(buf_add(&b, chunk, sizeof(chunk)), 0);
	}
	CHECK_INT(b.len, 100000);
	CHECK_INT(strlen(buf_str(&b)), 100000);
	CHECK(b.p[0] == 'a' && b.p[99999] == 'a' + 99 % 26);
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_str(&b), "");
	buf_free(&b);
}

static void
printf_appends(void)
{
	struct buf b;
	char big[2000];

	buf_init(&b, 4096);
	CHECK_INT(buf_printf(&b, "%s=%d;", "n", 42), 0);
	CHECK_INT(buf_printf(&b, "%05.1f|%-3s|%zu", 2.5, "x", (size_t)7), 0);
	CHECK_STR(buf_str(&b), "n=42;002.5|x  |7");
	/* longer than printf's first try */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&b);
	CHECK_INT(buf_printf(&b, "<%s>", big), 0);
	CHECK_INT(b.len, sizeof(big) + 1);
	CHECK(b.p[0] == '<' && b.p[b.len - 1] == '>');
	/* past the cap: fails like any append */
	CHECK_INT(buf_printf(&b, "%s%s", big, big), BUF_TOO_LARGE);
	CHECK(b.p == NULL);
	buf_free(&b);
}

static void
take(void)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b, 100);
	CHECK(buf_take(&b, &len) == NULL);
	CHECK_INT(len, 0);
	buf_addstr(&b, "hello ");
	buf_printf(&b, "%s", "world");
	s = buf_take(&b, &len);
	CHECK_STR(s, "hello world");
	CHECK_INT(len, 11);
	CHECK(b.p == NULL);
	CHECK_INT(b.len, 0);
	/* the buffer is usable again, with its cap */
	CHECK_INT(buf_addstr(&b, "again"), 0);
	CHECK_STR(buf_str(&b), "again");
	free(s);
	buf_free(&b);
}

/* An array kept in a buffer owns what its elements point to: when it
 * cannot grow, the elements stay for the caller to free. */
static void
grow_keeps_the_elements(void)
{
	struct buf b;
	char **v;

	buf_init(&b, 2 * sizeof(char *) + 1);      /* room for two */
	CHECK((v = buf_grow(&b, sizeof(char *))) != NULL);
	*v = strdup("one");
	CHECK((v = buf_grow(&b, sizeof(char *))) != NULL);
	*v = strdup("two");
	CHECK(buf_grow(&b, sizeof(char *)) == NULL);
	CHECK_INT(b.failed, BUF_TOO_LARGE);
	CHECK_INT((int)(b.len / sizeof(char *)), 2);
	if (b.p && b.len == 2 * sizeof(char *)) {
		CHECK_STR(((char **)b.p)[1], "two");
		free(((char **)b.p)[0]);
		free(((char **)b.p)[1]);
	}
	CHECK(buf_grow(&b, sizeof(char *)) == NULL);    /* failed stays failed */
	buf_free(&b);
	CHECK_INT(b.failed, 0);
}

int
main(void)
{
	RUN(cap_reached);
	RUN(grows);
	RUN(printf_appends);
	RUN(take);
	RUN(grow_keeps_the_elements);
	T_DONE();
}
