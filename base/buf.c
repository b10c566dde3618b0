/* A growable byte string with a cap (see buf.h). */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b, b->cap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int
fail(struct buf *b, int why)
{
	size_t cap = b->cap;

	free(b->p);
	memset(b, 0, sizeof(*b));
	b->cap = cap;
	b->failed = why;
	return why;
}

/* Makes room for n more bytes and their NUL; 0 or why it failed.  A
 * string is freed when it fails (curl's dynbuf); an array (keep) keeps its
 * elements, which own memory the caller frees, until buf_free. */
static int
make_room(struct buf *b, size_t n, int keep)
{
	size_t need;

	if (b->failed)
		return b->failed;
	if (n >= b->cap || b->len + 1 > b->cap - n)
		return keep ? (b->failed = BUF_TOO_LARGE) : fail(b, BUF_TOO_LARGE);
	need = b->len + n + 1;
	if (need > b->alloc) {
		size_t alloc = b->alloc ? b->alloc : 64;
		char *p;

		while (alloc < need)
			alloc = alloc > b->cap / 2 ? b->cap : alloc * 2;
		if (!(p = realloc(b->p, alloc)))
			return keep ? (b->failed = BUF_NO_MEMORY) : fail(b, BUF_NO_MEMORY);
		b->p = p;
		b->alloc = alloc;
	}
	return 0;
}

int
buf_add(struct buf *b, const void *mem, size_t n)
{
	int r = make_room(b, n, 0);

	if (r)
		return r;
	if (n)
		memcpy(b->p + b->len, mem, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void *
buf_grow(struct buf *b, size_t size)
{
	char *at;

	if (make_room(b, size, 1))
		return NULL;
	at = b->p + b->len;
	memset(at, 0, size + 1);
	b->len += size;
	return at;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big;
	int n, r;

	if (b->failed)
		return b->failed;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, BUF_NO_MEMORY);
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if (!(big = malloc((size_t)n + 1)))
		return fail(b, BUF_NO_MEMORY);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = buf_add(b, big, (size_t)n);
	free(big);
	return r;
}

size_t
buf_room(const struct buf *b)
{
	return b->failed || b->len + 1 >= b->cap ? 0 : b->cap - b->len - 1;
}

const char *
buf_str(const struct buf *b)
{
	return b->p ? b->p : "";
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p = b->failed ? NULL : b->p;

	if (len)
		*len = p ? b->len : 0;
	if (p)
		b->p = NULL;
	buf_free(b);
	return p;
}
