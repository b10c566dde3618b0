/* Views of the store, what people read: the status board (board.c), Atom
 * feeds (feed.c), the sources, notices, events and outbox tables
 * (views.c), and the git history's files (tree.c).  The public face of
 * report/. */
#ifndef NW_REPORT_REPORT_H
#define NW_REPORT_REPORT_H

#include "config/config.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

/* REPORT_ARTICLE: the summary article (Markdown), a heading per source in
 * catalog order with its certificate facts in words and the notice they
 * came from; last year's facts, marked so, where this year has none. */
enum report_format { REPORT_TEXT, REPORT_MD, REPORT_HTML, REPORT_ARTICLE };

/* The status board: one row per catalog source, in catalog order: the
 * latest relevant notice (one that aged off its list still counts; a
 * removed one does not), days since it, what the catalog says of the
 * certificates, the last check and its result, and a mark for failing
 * sources.  now: the time the days are counted to.  Returns 0, or -1
 * (reported). */
int report_write(FILE *out, enum report_format fmt, const struct config *cfg,
                 struct store *st, int64_t now);

/* An Atom 1.0 feed (RFC 4287) of the newest relevant notices (at most
 * limit), of one source or all (source NULL); removed notices are left
 * out.  self: the feed's own address (its rel="self" link), or NULL.  An
 * entry's summary is the start of its detail text where one is stored;
 * its updated, the last change of its title, date or text, else when it
 * was first seen.  Returns 0, or -1 (reported). */
int report_feed(FILE *out, const struct config *cfg, struct store *st, const char *source,
                const char *self, int limit, int64_t now);

/* One row per catalog source: last check, result, last change, failures
 * in a row, notices (and stale, moved, the last error where so).  Returns
 * 0, or -1 (reported); the views print on standard output. */
/* Whether a link leads to the web: a page's javascript: or data: link
 * does not. */
int report_web_link(const char *link);

/* A time as the tables show it: local "YYYY-MM-DD HH:MM", or "-" for none
 * (t <= 0). */
void report_local_time(int64_t t, char *buf, size_t len);
/* A time in UTC, as RFC 3339 and ISO 8601 write it: YYYY-MM-DDTHH:MM:SSZ. */
void report_utc_time(int64_t t, char *buf, size_t len);

int report_sources(const struct config *cfg, struct store *st);

enum report_list { REPORT_LIST_TEXT, REPORT_LIST_JSON, REPORT_LIST_CSV };

/* The stored notices, newest first, of one source or all, first seen on
 * or after since (YYYY-MM-DD, or NULL); relevant ones only unless all.
 * bom (csv): for spreadsheets: a UTF-8 byte order mark first, and a cell
 * that starts with =, +, - or @ gets a ' before it (no formula runs). */
int report_notices(struct store *st, enum report_list format, const char *source,
                   const char *since, int all, int bom);

/* The event log, oldest first, of one source or all (NULL). */
int report_events(struct store *st, const char *source);

/* The outbox: queued, failing and dead alerts (all: delivered too). */
int report_outbox(struct store *st, int all);

/* ---- the git history's files (tree.c) ---- */

/* Writes the store's current state as the history's tree and commits it
 * when it changed, with the events since the last commit as the message;
 * then pushes when a remote is set.  rebuild: commit even without new
 * events (after the repository was lost).  Returns 0; 1 when the commit
 * is made and the push failed; -1 when the history or the store could not
 * be written (each reported). */
int report_tree_commit(const struct config *cfg, struct store *st, int64_t when, int rebuild);

/* The history's file for a notice's text: SOURCE/DATE-HASH8.md */
void report_tree_path(const char *source_id, const char *date, const char *link, char *out,
                      size_t len);

/* A detail page as the history shows it (and as its diffs read); NULL when
 * out of memory. */
char *report_tree_detail(const struct config *cfg, const char *source_id, const char *title,
                         const char *date, const char *link, const char *text,
                         const char *attachments);

#endif
