/* store: every fetch, notice and change in SQLite; the diff against the
 * last snapshot yields new, changed and removed events.  The whole public
 * face of the store module. */
#ifndef NW_STORE_H
#define NW_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_LOCKED -2     /* another process holds the lock */

struct store;

/* Opens (creating and migrating) the database at path.  Returns 0, or -1
 * with err set. */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *s);

/* A channel to queue relevant events and alerts for, and the ones it takes:
 * an event or alert is queued only for the channels that take its source
 * and kind ('recovered' goes to those that take what it ends). */
struct store_channel {
	const char *name;
	char *const *sources;   /* NULL: every source */
	char *const *kinds;     /* NULL: every kind */
};

/* The channels (n of them, copied; their names and lists are kept by the
 * caller while the store is open), and how many failed checks in a row make
 * a source 'broken'.  Returns 0, or -1 when out of memory. */
int store_configure(struct store *s, const struct store_channel *channels, size_t n,
                     int broken_after);

/* The ids of the sources the config names (NULL-terminated, kept by the
 * caller): store_notices and store_details then leave out the notices of
 * any other source (one that left the config, until store_forget). */
void store_only(struct store *s, char *const *ids);

/* Deletes everything stored of a source: its notices, their detail pages,
 * its events and alerts and their outbox rows, its checks and its state.
 * counts[]: notices, events, alerts, outbox rows, checks deleted (all 0:
 * nothing was stored). */
int store_forget(struct store *s, const char *id, int64_t counts[5], char *err,
                 size_t errlen);

/* Takes the run lock beside the database (path.lock) with flock: the
 * kernel drops it when the process dies, so it is never stale.  Returns 0
 * with *fd set, STORE_LOCKED, or -1 with err set. */
int store_lock(const char *dbpath, int *fd, char *err, size_t errlen);
void store_unlock(int fd);

struct store_source_state {
	char *etag;
	char *last_modified;
	char *body_hash;
	int64_t last_check;     /* unix seconds, 0: never */
	int failures;           /* failed checks in a row */
	int64_t notices;        /* present notices */
};

/* Loads what the store knows of a source (all zero when nothing). */
int store_source_state(struct store *s, const char *id,
                       struct store_source_state *out, char *err, size_t errlen);
void store_source_state_clear(struct store_source_state *st);

int store_run_begin(struct store *s, int64_t now, int64_t *run_id,
                    char *err, size_t errlen);
int store_run_end(struct store *s, int64_t run_id, int64_t now, int failed,
                  char *err, size_t errlen);

/* One check of one source. */
struct store_fetch {
	const char *source_id;
	const char *name;
	const char *url;
	int64_t at;             /* unix seconds */
	long status;            /* HTTP status, 0 if none */
	const char *etag;
	const char *last_modified;
	const char *body_hash;
	const char *charset;
	const char *error;      /* store_record_error only */
	const char *moved_to;   /* where a permanent redirect to another host
	                         * led, or NULL */
};

struct store_item {
	const char *title;
	const char *link;
	const char *date;       /* YYYY-MM-DD or "" */
	int relevant;
	int page;               /* the page it was read from, 1.. (0 counts as 1) */
	int yearless;           /* the page gave the date without its year */
	const char *facts;      /* the facts its title gives, as a JSON object,
	                         * or NULL; stored when the notice is new */
};

struct store_event {
	int64_t id;
	int64_t run_id;
	int64_t at;
	const char *kind;       /* "new", "changed", "removed" */
	const char *source_id;
	const char *title;
	const char *old_title;  /* changed: the title before, else NULL */
	const char *date;
	const char *old_date;
	const char *link;
	int relevant;
	const char *diff;       /* a detail page's text change (unified diff), or NULL */
	const char *facts;      /* the certificate facts that changed with it
	                         * ("to: 2021-11-30 → 2021-12-15"), or NULL */
};

typedef void (*store_event_fn)(const struct store_event *ev, void *payload);

/* A failed check: stored with its error, failures in a row counted, no
 * notice touched.  When the failures reach the threshold, or at once when
 * sudden (a page that had notices yields none), one 'broken' alert is
 * queued; the next good check queues one 'recovered'. */
int store_record_error(struct store *s, int64_t run_id, const struct store_fetch *f,
                       int sudden, char *err, size_t errlen);

/* A check whose page is unchanged (304, or the same body): the present
 * notices were seen again.  Their last_seen is not rewritten one by one:
 * the source's last good check stands for them (store_notices reports the
 * later of the two). */
int store_record_unchanged(struct store *s, int64_t run_id,
                           const struct store_fetch *f, char *err, size_t errlen);

/* A fetched and extracted page: diffs items (n > 0, page order) against the
 * source's last snapshot and stores notices, events and the fetch in one
 * transaction.  After it commits, fn is called for each event; returns
 * how many there were.
 *
 * Only the pages read (1 to the highest page of the items) are judged: a
 * notice last seen on a later page is left as it is.  A missing notice is
 * retired silently as 'aged' only when it sat after every notice still
 * listed and at least as many notices arrived (new, or back) as went
 * missing; dates do not decide.  When later pages exist that were not read
 * this time, such a notice is presumed to sit on the next page and kept.
 * Every other missing notice is 'removed'.  A removed or aged notice that
 * comes back is 'new' again.  On a source's first check (no notice stored
 * yet), store_baseline decides which new notices raise events. */
int store_apply(struct store *s, int64_t run_id, const struct store_fetch *f,
                const struct store_item *items, size_t n,
                store_event_fn fn, void *payload, char *err, size_t errlen);

/* A source whose newest dated notice is dated before 'before'
 * (YYYY-MM-DD; NULL or "": never), that is more than days ago, is stale:
 * a good check that finds it so marks it and queues one 'stale' alert;
 * one that lists a fresher notice again queues one 'recovered'. */
void store_stale(struct store *s, const char *before, int days);

/* The first check of a source is a baseline: only notices dated on or
 * after since (YYYY-MM-DD) raise 'new' events, the others (undated ones
 * too) are stored silently.  since NULL: every notice raises its event (the
 * default); "": none does. */
void store_baseline(struct store *s, const char *since);

/* Batching: after store_batch_begin, store_record_error,
 * store_record_unchanged and store_apply share one transaction, each in
 * its own savepoint (a failed one undoes only itself), and their events
 * are handed over when store_batch_commit commits them all; writing one
 * page's notices costs a fraction of a commit.  A failed commit loses
 * the batch (every write since the last commit) and returns -1.
 * store_batch_end commits and leaves batching. */
void store_batch_begin(struct store *s);
int store_batch_commit(struct store *s, char *err, size_t errlen);
int store_batch_end(struct store *s, char *err, size_t errlen);

struct store_source_row {
	const char *id;
	const char *name;
	int64_t last_check;
	long last_status;
	const char *last_error;     /* NULL when the last check was fine */
	int64_t last_change;
	int failures;
	int64_t notices;
	int64_t relevant;
	int stale;                  /* store_stale judged it stale */
	const char *newest;         /* the newest date of its notices, or NULL */
	const char *moved_to;       /* moved: the new address, else NULL */
	int64_t last_ok;            /* the last good check, 0: none */
	int64_t last_failure;       /* the last failed check, 0: none */
	const char *last_failure_error; /* its error, or NULL */
};
typedef void (*store_source_fn)(const struct store_source_row *row, void *payload);
int store_sources(struct store *s, store_source_fn fn, void *payload,
                  char *err, size_t errlen);

struct store_notice_row {
	const char *source_id;
	const char *title;
	const char *link;
	const char *date;
	int relevant;
	int64_t first_seen;
	int64_t last_seen;
	int64_t removed_at;         /* 0 while present */
	const char *gone;           /* NULL while present; "removed" or "aged" */
	const char *facts;          /* its certificate facts, a JSON object, or NULL */
	int64_t changed_at;         /* its last 'changed' event (title, date or
	                             * detail text), 0: never */
	const char *text;           /* its detail page's stored text, or NULL */
};
typedef void (*store_notice_fn)(const struct store_notice_row *row, void *payload);

/* Notices, newest first; source NULL: all; since "" or NULL: any date;
 * all: irrelevant ones too. */
int store_notices(struct store *s, const char *source, const char *since, int all,
                  store_notice_fn fn, void *payload, char *err, size_t errlen);

/* Events, oldest first; source NULL: all. */
int store_events(struct store *s, const char *source, store_event_fn fn,
                 void *payload, char *err, size_t errlen);

/* The outbox: one row per relevant event (or alert) and channel, queued in
 * the transaction that stored the event. */
struct store_outbox_row {
	int64_t id;
	const char *channel;
	int64_t created;
	int attempts;
	int64_t next_attempt;
	const char *last_error;     /* NULL until a delivery failed */
	int64_t delivered_at;       /* 0: not delivered */
	int64_t dead_at;            /* 0: still tried */
	int64_t dropped_at;         /* 0: not dropped (outbox drop ID) */
	const char *kind;           /* new, changed, removed, broken, recovered, stale */
	const char *source_id;
	const char *source_name;
	const char *title;          /* events: the notice; NULL for alerts */
	const char *old_title;
	const char *date;
	const char *old_date;       /* changed: the date before, else NULL */
	const char *link;
	const char *detail;         /* alerts: what happened */
	const char *diff;           /* changed: the detail text's diff, or NULL */
	const char *facts;          /* changed: the facts that changed, or NULL */
};
typedef void (*store_outbox_fn)(const struct store_outbox_row *row, void *payload);

/* Rows of channel due for delivery at now, oldest first. */
int store_outbox_due(struct store *s, const char *channel, int64_t now,
                     store_outbox_fn fn, void *payload, char *err, size_t errlen);
/* Rows not delivered (queued, failing, dead); all: delivered and dropped
 * ones too. */
int store_outbox_list(struct store *s, int all, store_outbox_fn fn, void *payload,
                      char *err, size_t errlen);
/* Records ids[0..n) (the events of one message) as delivered, in one
 * transaction. */
int store_outbox_delivered(struct store *s, const int64_t *ids, size_t n, int64_t now,
                           char *err, size_t errlen);
int store_outbox_failed(struct store *s, int64_t id, int64_t now, const char *error,
                        int64_t next_attempt, char *err, size_t errlen);
/* Marks dead what channel still holds from before created_before. */
int store_outbox_expire(struct store *s, const char *channel, int64_t created_before,
                        int64_t now, int64_t *count, char *err, size_t errlen);
/* Makes the row id (0: every failed or dead row) due now; a dead row is
 * tried again, its age counted from now.  *count: the rows made due. */
int store_outbox_retry(struct store *s, int64_t id, int64_t now, int64_t *count, char *err,
                       size_t errlen);
/* Marks the row id dropped: never sent.  *count: 1, or 0 when no such row
 * waits. */
int store_outbox_drop(struct store *s, int64_t id, int64_t now, int64_t *count, char *err,
                      size_t errlen);
/* How many rows of channel wait (neither delivered, dead nor dropped). */
int store_outbox_waiting(struct store *s, const char *channel, int64_t *count,
                         char *err, size_t errlen);

/* Detail pages of relevant, present notices first seen since then, with
 * what is stored of them (etag, last_modified and hash NULL when none). */
struct store_detail_row {
	int64_t notice_id;
	const char *source_id;
	const char *link;
	const char *title;
	const char *etag;
	const char *last_modified;
	const char *hash;
	const char *date;
};
typedef void (*store_detail_fn)(const struct store_detail_row *row, void *payload);
int store_details_due(struct store *s, int64_t first_seen_since, store_detail_fn fn,
                      void *payload, char *err, size_t errlen);

struct store_detail {
	int64_t notice_id;
	int64_t at;
	const char *text;
	const char *attachments;
	const char *hash;
	const char *etag;
	const char *last_modified;
	const char *diff;       /* non-NULL: the text changed; a 'changed' event is made */
	const char *facts;      /* the notice's facts read from text (a JSON object),
	                         * or NULL: left as they are */
	const char *facts_diff; /* with diff: the facts that changed, or NULL */
};
/* Stores a detail page's text; with a diff, adds a 'changed' event (queued
 * for the channels) in the same transaction, and calls fn for it after the
 * commit. */
int store_detail_save(struct store *s, int64_t run_id, const struct store_detail *d,
                      store_event_fn fn, void *payload, char *err, size_t errlen);
/* The stored text of a notice's detail page (both NULL when none). */
int store_detail_get(struct store *s, int64_t notice_id, char **text, char **attachments,
                     char *err, size_t errlen);
/* A re-check that found the page unchanged (error NULL) or failing. */
int store_detail_checked(struct store *s, int64_t notice_id, int64_t at, const char *error,
                         char *err, size_t errlen);

struct store_detail_text {
	const char *source_id;
	const char *link;
	const char *title;
	const char *date;
	const char *text;
	const char *attachments;
	int64_t first_seen;
	const char *facts;      /* a JSON object, or NULL */
};
typedef void (*store_detail_text_fn)(const struct store_detail_text *row, void *payload);
/* Stored texts of relevant, present notices. */
int store_details(struct store *s, store_detail_text_fn fn, void *payload, char *err,
                  size_t errlen);

/* Small persistent values (the history's last committed event...). */
int store_meta_get(struct store *s, const char *key, char **value, char *err,
                   size_t errlen);
int store_meta_set(struct store *s, const char *key, const char *value, char *err,
                   size_t errlen);

/* Events with an id above after_id, oldest first. */
int store_events_after(struct store *s, int64_t after_id, store_event_fn fn,
                       void *payload, char *err, size_t errlen);

#endif
