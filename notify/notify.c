/* Console printer. */
#include "notify/notify.h"

#include <ctype.h>
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
	char kind[16];
	size_t i;

	for (i = 0; ev->kind[i] && i + 1 < sizeof(kind); i++)
		kind[i] = (char)toupper((unsigned char)ev->kind[i]);
	kind[i] = '\0';
	fprintf(out, "%s %s %s ", kind, ev->source_id,
	        ev->date && *ev->date ? ev->date : "-");
	put_clean(out, ev->title);
	fputc(' ', out);
	put_clean(out, ev->link);
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}
