/* Console printer and the text helpers the channels share. */
#include "notify/notify.h"
#include "notify/text.h"
#include "base/msg.h"

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
	if (ev->facts && *ev->facts) {
		fputs(" (", out);
		put_clean(out, ev->facts);
		fputc(')', out);
	}
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

const char *
notify_kind_label(const char *kind)
{
	static const char *const kinds[][2] = {
		{"new", N_("NEW")}, {"changed", N_("CHANGED")}, {"removed", N_("REMOVED")},
		{"broken", N_("BROKEN")}, {"recovered", N_("RECOVERED")}, {"stale", N_("STALE")},
		{"test", N_("TEST")}};

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
notify_event_text(struct buf *b, const struct notify_event *ev)
{
	buf_printf(b, _("[%s] %s"), notify_source_label(ev), _(notify_kind_label(ev->kind)));
	if (ev->title) {
		buf_printf(b, " %s %s", ev->date && *ev->date ? ev->date : "-", ev->title);
		if (ev->old_title && strcmp(ev->old_title, ev->title))
			buf_printf(b, _(" (was: %s)"), ev->old_title);
	}
	if (ev->detail)
		buf_printf(b, ": %s", ev->detail);
	buf_addstr(b, "\n");
	if (ev->link && *ev->link)
		buf_printf(b, "  %s\n", ev->link);
}
