/* base/buf: a growable byte string with a cap, after curl's dynbuf.  The
 * public face of the buffer every stage shares.
 *
 *	struct buf b;
 *	buf_init(&b, 1 << 20);
 *	buf_addstr(&b, "x = ");
 *	buf_printf(&b, "%d\n", 42);
 *	if (b.failed) ... ;     (one check after a run of appends will do)
 *	s = buf_take(&b, &len); (the caller frees s)
 *
 * The contents are always NUL-terminated.  An append that would make the
 * buffer hold cap bytes or more, counting the NUL (as dynbuf counts it),
 * fails: the buffer is freed, marked failed, and every later append fails
 * too until buf_reset or buf_free. */
#ifndef NW_BASE_BUF_H
#define NW_BASE_BUF_H

#include <stddef.h>

struct buf {
	char *p;        /* the bytes, NUL-terminated; NULL while empty */
	size_t len;     /* bytes held, not counting the NUL */
	size_t alloc;   /* bytes allocated */
	size_t cap;     /* len + 1 may never pass it */
	int failed;     /* 0, BUF_TOO_LARGE or BUF_NO_MEMORY */
};

/* What an append returns when it fails (0 when it worked). */
#define BUF_TOO_LARGE -2
#define BUF_NO_MEMORY -1

void buf_init(struct buf *b, size_t cap);
/* Frees the bytes; the buffer is empty, with its cap, and not failed. */
void buf_free(struct buf *b);
/* Empties the buffer, keeping its memory; clears the failure. */
void buf_reset(struct buf *b);

int buf_add(struct buf *b, const void *mem, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends size zeroed bytes and returns them: one more element of an
 * array kept in the buffer (its elements are (T *)b->p, b->len /
 * sizeof(T) of them).  NULL when the append failed: the buffer is then
 * failed, but the elements already there stay until buf_free, so that
 * the caller can free what they point to. */
void *buf_grow(struct buf *b, size_t size);

/* How many bytes an append may still add (0 once failed). */
size_t buf_room(const struct buf *b);
/* The contents ("" while empty; never NULL). */
const char *buf_str(const struct buf *b);
/* Hands the bytes over (malloc'd, NUL-terminated, len set when not NULL)
 * and leaves the buffer empty; NULL when nothing was added or it failed. */
char *buf_take(struct buf *b, size_t *len);

#endif
