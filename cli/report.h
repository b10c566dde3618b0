/* What people read: the status board (report) and Atom feeds.  Part of
 * cli/. */
#ifndef NW_CLI_REPORT_H
#define NW_CLI_REPORT_H

#include "config/config.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

enum report_format { REPORT_TEXT, REPORT_MD, REPORT_HTML };

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
 * out.  Returns 0, or -1 (reported). */
int report_feed(FILE *out, const struct config *cfg, struct store *st, const char *source,
                int limit, int64_t now);

#endif
