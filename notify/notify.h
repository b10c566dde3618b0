/* notify: tell people about events.  The whole public face of the notify
 * module (for now the console printer). */
#ifndef NW_NOTIFY_H
#define NW_NOTIFY_H

#include <stdio.h>

struct notify_event {
	const char *kind;       /* "new", "changed", "removed" */
	const char *source_id;
	const char *date;       /* YYYY-MM-DD or "" */
	const char *title;
	const char *link;
};

/* Prints "NEW|CHANGED|REMOVED <id> <date> <title> <link>" on one line; a
 * missing date prints as '-', and control characters in the title as
 * spaces, so one event is always one line.  Returns 0, or -1 when the
 * stream failed. */
int notify_print(FILE *out, const struct notify_event *ev);

#endif
