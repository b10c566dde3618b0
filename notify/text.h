/* notify/ internals shared by its files (not part of the public face). */
#ifndef NW_NOTIFY_TEXT_H
#define NW_NOTIFY_TEXT_H

#include "base/buf.h"
#include "notify/notify.h"

/* The source as people read it: its name, else its id. */
const char *notify_source_label(const struct notify_event *ev);
/* One event as plain text, in the messages' language: "[江苏] NEW
 * 2021-10-09 title\n  link\n". */
void notify_event_text(struct buf *b, const struct notify_event *ev);

#endif
