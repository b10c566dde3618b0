/* Detail pages and the git history, driven from the command line.  Part
 * of cli/. */
#ifndef NW_CLI_HISTORY_H
#define NW_CLI_HISTORY_H

#include "config/config.h"
#include "fetch/fetch.h"
#include "store/store.h"

#include <stdint.h>

/* Fetches the detail pages of relevant notices first seen within
 * detail_days (conditionally, politely, with each source's headers, user
 * agent, TLS setting and the run's cookies), stores their text, and makes a
 * 'changed' event (fn is called for it) when a text changed.  A document
 * (pdf, xls, zip...) is fetched once: its hash is kept.  only[0..nonly):
 * the sources the run names; none: every enabled source.  Returns the
 * number of pages that failed, or -1 when the store failed. */
int history_details(const struct config *cfg, struct store *st, int64_t run_id,
                    struct fetch_cookies *cookies, char **only, int nonly,
                    store_event_fn fn, void *payload);

/* Writes the store's current state as the history's tree and commits it
 * when it changed, with the events since the last commit as the message;
 * then pushes when a remote is set.  rebuild: commit even without new
 * events (after the repository was lost).  Returns 0; 1 when the commit
 * is made and the push failed; -1 when the history or the store could not
 * be written (each reported). */
int history_commit(const struct config *cfg, struct store *st, int64_t when, int rebuild);

#endif
