/* Console printer and the text helpers the channels share. */
#include "notify/notify.h"
#include "notify/text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void
put_clean(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s, out);
}

int
notify_print(FILE *out, const struct notify_event *ev)
{
	fprintf(out, "%s %s %s ", notify_kind_label(ev->kind), ev->source_id,
	        ev->date && *ev->date ? ev->date : "-");
	put_clean(out, ev->title);
	fputc(' ', out);
	put_clean(out, ev->link);
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

void
notify_buf_init(struct notify_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
notify_buf_free(struct notify_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
notify_buf_add(struct notify_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->max) {
		b->failed = 1;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;
		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
notify_buf_puts(struct notify_buf *b, const char *s)
{
	notify_buf_add(b, s, strlen(s));
}

void
notify_buf_printf(struct notify_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		notify_buf_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	notify_buf_add(b, big, (size_t)n);
	free(big);
}

size_t
notify_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

const char *
notify_kind_label(const char *kind)
{
	static const char *const kinds[][2] = {
		{"new", "NEW"}, {"changed", "CHANGED"}, {"removed", "REMOVED"},
		{"broken", "BROKEN"}, {"recovered", "RECOVERED"}, {"stale", "STALE"},
		{"test", "TEST"}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i][0]))
			return kinds[i][1];
	return kind;
}

const char *
notify_source_label(const struct notify_event *ev)
{
	return ev->source_name && *ev->source_name ? ev->source_name : ev->source_id;
}

void
notify_event_text(struct notify_buf *b, const struct notify_event *ev)
{
	notify_buf_printf(b, "[%s] %s", notify_source_label(ev), notify_kind_label(ev->kind));
	if (ev->title) {
		notify_buf_printf(b, " %s %s", ev->date && *ev->date ? ev->date : "-", ev->title);
		if (ev->old_title && strcmp(ev->old_title, ev->title))
			notify_buf_printf(b, " (was: %s)", ev->old_title);
	}
	if (ev->detail)
		notify_buf_printf(b, ": %s", ev->detail);
	notify_buf_puts(b, "\n");
	if (ev->link && *ev->link)
		notify_buf_printf(b, "  %s\n", ev->link);
}
