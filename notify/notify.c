/* Console printer and the text helpers the channels share. */
#include "notify/notify.h"
#include "notify/text.h"
#include "base/msg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
put_clean(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s, out);
}

/* The lines a unified diff adds and removes: those of its hunks. */
static void
diff_stat(const char *diff, size_t *added, size_t *removed)
{
	int in_hunk = 0;

	*added = *removed = 0;
	for (const char *l = diff; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, "@@", 2))
			in_hunk = 1;
		else if (in_hunk && *l == '+')
			(*added)++;
		else if (in_hunk && *l == '-')
			(*removed)++;
	}
}

/* Starts the next part of a note: "; " between parts. */
static void
next_part(struct buf *b, int *n)
{
	if ((*n)++)
		buf_addstr(b, "; ");
}

int
notify_change_note(struct buf *b, const struct notify_event *ev)
{
	int n = 0;

	if (ev->old_title && ev->title && strcmp(ev->old_title, ev->title)) {
		next_part(b, &n);
		buf_printf(b, "was: %s", ev->old_title);
	}
	if (ev->old_date && ev->date && strcmp(ev->old_date, ev->date)) {
		next_part(b, &n);
		buf_printf(b, "was dated: %s", *ev->old_date ? ev->old_date : "-");
	}
	if (ev->diff && *ev->diff) {
		size_t added, removed;

		diff_stat(ev->diff, &added, &removed);
		next_part(b, &n);
		buf_printf(b, "text: +%zu -%zu lines", added, removed);
	}
	if (ev->facts && *ev->facts) {
		next_part(b, &n);
		buf_addstr(b, ev->facts);
	}
	return n;
}

int
notify_print(FILE *out, const struct notify_event *ev)
{
	struct buf note;

	fprintf(out, "%s %s %s ", notify_kind_label(ev->kind), ev->source_id,
	        ev->date && *ev->date ? ev->date : "-");
	put_clean(out, ev->title);
	fputc(' ', out);
	put_clean(out, ev->link);
	buf_init(&note, SIZE_MAX);
	if (notify_change_note(&note, ev)) {
		fputs(" (", out);
		put_clean(out, buf_str(&note));
		fputc(')', out);
	}
	buf_free(&note);
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
		struct buf note;

		buf_printf(b, " %s %s", ev->date && *ev->date ? ev->date : "-", ev->title);
		buf_init(&note, SIZE_MAX);
		if (notify_change_note(&note, ev))
			buf_printf(b, " (%s)", buf_str(&note));
		buf_free(&note);
	}
	if (ev->detail)
		buf_printf(b, ": %s", ev->detail);
	buf_addstr(b, "\n");
	if (ev->link && *ev->link)
		buf_printf(b, "  %s\n", ev->link);
	if (ev->diff && *ev->diff)
		buf_addstr(b, ev->diff);
}
