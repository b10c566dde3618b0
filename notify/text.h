/* notify/ internals shared by its files (not part of the public face). */
#ifndef NW_NOTIFY_TEXT_H
#define NW_NOTIFY_TEXT_H

#include "notify/notify.h"

/* A growable string with a cap: an append that would pass it fails and
 * marks the buffer failed; later appends do nothing. */
struct notify_buf {
	char *p;
	size_t n, cap, max;
	int failed;
};

void notify_buf_init(struct notify_buf *b, size_t max);
void notify_buf_free(struct notify_buf *b);
void notify_buf_add(struct notify_buf *b, const char *s, size_t n);
void notify_buf_puts(struct notify_buf *b, const char *s);
void notify_buf_printf(struct notify_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The length of the longest prefix of s within max bytes that ends on a
 * UTF-8 character boundary. */
size_t notify_utf8_cut(const char *s, size_t max);

/* "NEW", "CHANGED", ... */
const char *notify_kind_label(const char *kind);
/* The source as people read it: its name, else its id. */
const char *notify_source_label(const struct notify_event *ev);
/* One event as plain text: "[江苏] NEW 2021-10-09 title\n  link\n". */
void notify_event_text(struct notify_buf *b, const struct notify_event *ev);

#endif
