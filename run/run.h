/* One run, the stage below the command line: reading sources (every page
 * of every source, fetched politely and concurrently, extracted into one
 * list per source), recording them into the store, their detail pages,
 * the outbox's delivery, and check --all.  The public face of run/. */
#ifndef NW_RUN_RUN_H
#define NW_RUN_RUN_H

#include "config/config.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"
#include "store/store.h"

#include <stdint.h>

enum { READ_OK, READ_NOT_MODIFIED, READ_FAILED };

struct read_job {
	/* in */
	const struct source *src;
	const char *etag;           /* validators for a conditional first page, or NULL */
	const char *last_modified;
	const char *rules;          /* digest of the rules, prefixed to the hash */
	const char *prev_hash;      /* the snapshot's hash, when it has notices: a
	                             * one-page source whose body hashes the same
	                             * is not parsed again */
	int describe;               /* the list's xpath and why are wanted */
	char *const *include;       /* the words that make a notice relevant, */
	char *const *exclude;       /* and those that do not: each notice of the
	                             * list is marked, with its facts, as it is
	                             * read (beside the transfers) */
	/* out */
	int state;                  /* READ_OK, READ_NOT_MODIFIED, READ_FAILED */
	long status;                /* of the first page (0: no answer came) */
	char *url;                  /* the first page's final address, after
	                             * redirects (NULL: no answer came) */
	int moved;                  /* a permanent redirect to another host */
	char *new_etag;             /* validators of the first page */
	char *new_last_modified;
	char *charset;              /* what the body was decoded from, and what it cost */
	char *hash;                 /* "<rules>:<sha-256 of every page's body>"
	                             * (NULL: no body came) */
	struct parse_list list;     /* the notices of all pages, first seen first */
	char *error;                /* why it failed (NULL: it did not) */
	int extract_failed;         /* the first page came but yielded no notices */
	int partial;                /* a later page failed (error says why): the
	                             * pages before it stand */
	int pages;                  /* pages read */
	size_t *ends;               /* ends[p]: notices of pages 1..p+1 */
	/* private */
	char *note;                 /* said when complete (by the thread that
	                             * completes it: workers never print) */
	char *next;
	void *md;
	int active;
	struct read_job *queued;    /* the next source waiting to be completed */
};

/* The fetch options the config sets (politeness, limits, user agent). */
void run_read_options(const struct config *cfg, struct fetch_options *opt);

/* What every request for a source's pages carries, list or detail page:
 * its headers, user agent, encoding and TLS setting (rq's other fields are
 * left as they are). */
void run_read_request(const struct source *s, struct fetch_request *rq);

/* The parse rules of a source. */
struct parse_rules run_read_rules(const struct source *s);

/* Called when a source has been read to its end (or failed); with a done
 * function, the job's list is freed after it returns.  With two cores or
 * more it is called on one recorder thread, never on two sources at once,
 * while the caller's thread transfers (and prints nothing); done must not
 * share unlocked state with anything else running meanwhile. */
typedef void (*read_done_fn)(struct read_job *j, void *payload);

/* Reads jobs[0..n): page 1 of each, then further pages (the page's 'next'
 * link for HTML, {page} in url or body otherwise) up to the source's
 * pages, calling done as each source completes (NULL: keep every list).
 * Returns 0, or -1 with err set when the transfers could not run. */
int run_read(const struct config *cfg, struct read_job *jobs, size_t n,
             struct fetch_cookies *cookies, read_done_fn done, void *payload, char *err,
             size_t errlen);

/* The page (1..) notice k of the job's list was read from. */
int run_read_page_of(const struct read_job *j, size_t k);

void run_read_clear(struct read_job *j);

/* ---- one run (run/run.c) ---- */

/* What a run ends with; cli/ turns it into an exit status. */
enum run_status {
	RUN_OK,         /* every source checked, every alert delivered */
	RUN_FAILED,     /* a source, a delivery or an output failed */
	RUN_UNSAVED,    /* the store or the history could not be saved */
	RUN_LOCKED      /* another run holds the lock */
};

/* Checks the due sources (names[0..nnames): those, now, enabled or not),
 * stores what they gave, fetches detail pages, delivers the outbox and
 * commits the history. */
enum run_status run_sources(struct config *cfg, char **names, int nnames);

/* history --rebuild: the git history written afresh from the store. */
enum run_status run_rebuild(const struct config *cfg);

/* forget ID: everything stored of a source deleted (it says what), and
 * with [git] its folder removed in a commit whose subject says so. */
enum run_status run_forget(const struct config *cfg, const char *id);

/* The local day (YYYY-MM-DD) days before now. */
void run_days_before(int64_t now, long days, char out[11]);

/* ---- recording (run/record.c) ---- */

/* A source a run reads, with what the store knew of it. */
struct job {
	struct source *src;
	struct store_source_state st;
	char rules[17];
};

/* The run's shared context. */
struct run_ctx {
	struct config *cfg;
	struct job *jobs;
	struct read_job *reads;
	struct store *store;
	int64_t run_id;
	int failed;
	int fatal;          /* stop storing */
	int unsaved;        /* the store or the history failed: exit 3 */
	int batched;        /* checks stored since the batch's last commit */
	size_t done, total; /* sources read, of all to read */
};

/* Stores what reading one source gave (a read_done_fn; payload: the
 * run_ctx), committing every RUN_BATCH checks. */
void run_record_read(struct read_job *r, void *payload);
/* Commits the checks stored so far; their events are printed now. */
void run_record_commit(struct run_ctx *rc);
/* The certificate facts of a notice's text (its title when the text gives
 * none; text NULL: the title alone) into *f, as a JSON object's text
 * (malloc'd, "{}" when none; NULL when out of memory).  A date without a
 * year takes the notice's (date, YYYY-MM-DD; else this year's). */
char *run_record_facts(const char *text, const char *title, const char *date,
                       struct parse_facts *f);
/* Prints a relevant event's line, unless -q (a store_event_fn). */
void run_record_event(const struct store_event *ev, void *payload);

/* ---- detail pages (run/details.c) ---- */

/* Fetches the detail pages of relevant notices first seen within
 * detail_days (conditionally, politely, with each source's headers, user
 * agent, TLS setting and the run's cookies), stores their text, and makes a
 * 'changed' event (fn is called for it) when a text changed.  A document
 * (pdf, xls, zip...) is fetched once: its hash is kept.  only[0..nonly):
 * the sources the run names; none: every enabled source.  Returns the
 * number of pages that failed, or -1 when the store failed. */
int run_details(const struct config *cfg, struct store *st, int64_t run_id,
                struct fetch_cookies *cookies, char **only, int nonly, store_event_fn fn,
                void *payload);

/* ---- delivery (run/deliver.c) ---- */

/* Sends events to one channel, in order; on_sent hears of each message
 * the channel accepted.  Returns 0, or -1 with err set. */
int run_deliver_send(const struct config *cfg, const char *channel,
                     const struct notify_event *ev, size_t n, notify_sent_fn on_sent,
                     void *payload, char *err, size_t errlen);

/* Delivers every channel's due queue: expired alerts are given up as dead,
 * failed ones retried with a doubling wait.  Returns 0; 1 when some
 * delivery failed; -1 when the store could not record a delivery (an
 * alert may repeat). */
int run_deliver_all(const struct config *cfg, struct store *st, int64_t now);
/* outbox retry [ID]: the row id (0: every failed or dead row) is due now;
 * says how many ("3 alerts are due now").  outbox drop ID: the row is
 * never sent.  Return 0, 1 when no such row waits, -1 when the store
 * failed (reported). */
int run_deliver_retry(struct store *st, int64_t id);
int run_deliver_drop(struct store *st, int64_t id);

/* ---- check --all (run/check.c) ---- */

/* Every enabled source read once, as run reads it (politely,
 * concurrently), without conditions, and a row printed for each (text, or
 * JSON with json); nothing stored.  RUN_FAILED unless every verdict is
 * 'ok'. */
enum run_status run_check_all(const struct config *cfg, int json);

#endif
