/* SQLite store: schema, migrations, the snapshot diff and the queries. */
#include "store/store.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define STMT_CACHE 96     /* distinct SQL texts in this file, with room */

/* Events are kept in memory until the transaction commits. */
struct evlist {
	struct store_event *v;
	size_t n, cap;
};

/* A batched write's events and where they go once the batch commits. */
struct pending {
	struct evlist ev;
	store_event_fn fn;
	void *payload;
};

struct store {
	sqlite3 *db;
	char path[4096];
	/* prepared statements, kept for the store's life, found by their
	 * SQL text */
	struct {
		const char *at;     /* where the text was when first asked for */
		uint64_t hash;
		char *sql;      /* a copy of the text */
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	int ncache;
	struct store_channel *channels;  /* outbox channels (their strings not owned) */
	char *const *only;      /* store_only: the configured sources, or NULL */
	size_t nchannels;
	int broken_after;       /* failed checks in a row that raise 'broken' */
	/* store_stale: a source whose newest dated notice is dated before
	 * stale_before is stale ("": never) */
	char stale_before[11];
	int stale_days;
	/* store_baseline: on a source's first check, only notices dated on or
	 * after since raise events ("": none) */
	int baseline;
	char since[11];
	/* store_batch_begin: writes share one transaction, each in a savepoint,
	 * and their events wait for its commit */
	int batch;
	int in_txn;
	struct pending *pending;
	size_t npending, cappending;
};

static void
evlist_free(struct evlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].title);
		free((char *)l->v[i].old_title);
		free((char *)l->v[i].date);
		free((char *)l->v[i].old_date);
		free((char *)l->v[i].link);
	}
	free(l->v);
}

/* Each entry moves the schema one version up; never edit a released one. */
static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE sources ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '',"
	"  last_check INTEGER NOT NULL DEFAULT 0, last_status INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT, last_change INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0, etag TEXT, last_modified TEXT, body_hash TEXT);"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,"
	"  failed INTEGER);"
	"CREATE TABLE fetches ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  source_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('changed','unchanged','not-modified','error')),"
	"  etag TEXT, last_modified TEXT, body_hash TEXT, charset TEXT, items INTEGER,"
	"  error TEXT);"
	"CREATE INDEX fetches_source ON fetches(source_id, at);"
	"CREATE TABLE notices ("
	"  id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, link TEXT NOT NULL,"
	"  title TEXT NOT NULL, date TEXT NOT NULL DEFAULT '', relevant INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, removed_at INTEGER,"
	"  gone TEXT CHECK (gone IN ('removed','aged')), pos INTEGER NOT NULL DEFAULT 0,"
	"  seen_run INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (source_id, link));"
	"CREATE INDEX notices_present ON notices(source_id, removed_at);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  source_id TEXT NOT NULL, notice_id INTEGER NOT NULL REFERENCES notices(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('new','changed','removed')),"
	"  at INTEGER NOT NULL, title TEXT NOT NULL, old_title TEXT, date TEXT NOT NULL,"
	"  old_date TEXT, link TEXT NOT NULL, relevant INTEGER NOT NULL);"
	"CREATE INDEX events_source ON events(source_id, id);",
	/* 2: alerts and the outbox */
	"ALTER TABLE sources ADD COLUMN broken INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id), source_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('broken','recovered')), at INTEGER NOT NULL,"
	"  detail TEXT);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL,"
	"  event_id INTEGER REFERENCES events(id), alert_id INTEGER REFERENCES alerts(id),"
	"  created INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
	"  delivered_at INTEGER, dead_at INTEGER,"
	"  CHECK ((event_id IS NULL) != (alert_id IS NULL)));"
	"CREATE INDEX outbox_pending ON outbox(channel, delivered_at, dead_at, id);",
	/* 3: detail pages, text diffs, the history's progress */
	"CREATE TABLE details ("
	"  notice_id INTEGER PRIMARY KEY REFERENCES notices(id), text TEXT NOT NULL,"
	"  attachments TEXT NOT NULL DEFAULT '', hash TEXT NOT NULL, etag TEXT,"
	"  last_modified TEXT, fetched_at INTEGER NOT NULL, checked_at INTEGER NOT NULL,"
	"  error TEXT);"
	"ALTER TABLE events ADD COLUMN diff TEXT;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
	/* 4: an unchanged page no longer rewrites each notice's last_seen: the
	 * source's last good check stands for its present notices */
	"ALTER TABLE sources ADD COLUMN last_ok INTEGER NOT NULL DEFAULT 0;",
	/* 5: the page each notice was last seen on: removals are judged only
	 * among the pages read */
	"ALTER TABLE notices ADD COLUMN page INTEGER NOT NULL DEFAULT 1;",
	/* 6: stale and moved sources, and 'stale' alerts (the kind's CHECK
	 * is part of the table: it is rebuilt, foreign keys off meanwhile) */
	"ALTER TABLE sources ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sources ADD COLUMN moved_to TEXT;"
	"CREATE TABLE alerts6 ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id), source_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('broken','recovered','stale')),"
	"  at INTEGER NOT NULL, detail TEXT);"
	"INSERT INTO alerts6(id, run_id, source_id, kind, at, detail)"
	"  SELECT id, run_id, source_id, kind, at, detail FROM alerts;"
	"DROP TABLE alerts;"
	"ALTER TABLE alerts6 RENAME TO alerts;",
	/* 7: each notice's certificate facts (a JSON object), and the facts a
	 * 'changed' event changed */
	"ALTER TABLE notices ADD COLUMN facts TEXT;"
	"ALTER TABLE events ADD COLUMN facts TEXT;",
	/* 8: alerts dropped by hand (outbox drop ID): never sent */
	"ALTER TABLE outbox ADD COLUMN dropped_at INTEGER;",
	/* 9: when a notice last changed (its title, its date or its detail
	 * text: a 'changed' event), for the feed's updated; NULL: never */
	"ALTER TABLE notices ADD COLUMN changed_at INTEGER;"
	"UPDATE notices SET changed_at = (SELECT max(e.at) FROM events e"
	"  WHERE e.notice_id = notices.id AND e.kind = 'changed');",
	/* 10: a source's newest present notice is one index step, not a read
	 * of each of its notices (every check asks it, changed or not) */
	"DROP INDEX IF EXISTS notices_present;"
	"CREATE INDEX notices_present ON notices(source_id, removed_at, date);",
};

static int
fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
	return -1;
}

static int
exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database '%s': %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return fail(s->db, err, errlen, "cannot read schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > latest) {
		snprintf(err, errlen, "database '%s' has schema version %d, newer than this "
		         "noticewatch knows (%d)", s->path, version, latest);
		return -1;
	}
	for (; version < latest; version++) {
		char pragma[64];
		if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -1;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (exec(s, migrations[version], err, errlen) < 0 ||
		    exec(s, pragma, err, errlen) < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (exec(s, "COMMIT", err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->broken_after = 3;
	/* one thread uses a store: no memory statistics (a mutex per malloc)
	 * and no mutex per call; fails harmlessly once SQLite is initialised */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open database '%s': %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* 512 KiB of page cache, not SQLite's 2 MiB: a run appends, and reads
	 * one source's rows at a time; the kernel caches the file anyway
	 * (measured: no slower at 1,000 or 10,000 sources, 1.5 MB less) */
	if (exec(s, "PRAGMA journal_mode = WAL", err, errlen) < 0 ||
	    exec(s, "PRAGMA cache_size = -512", err, errlen) < 0 ||
	    exec(s, "PRAGMA synchronous = NORMAL", err, errlen) < 0 ||
	    migrate(s, err, errlen) < 0 ||
	    exec(s, "PRAGMA foreign_keys = ON", err, errlen) < 0) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

int
store_configure(struct store *s, const struct store_channel *channels, size_t n,
                int broken_after)
{
	struct store_channel *copy = malloc((n ? n : 1) * sizeof(*copy));

	if (!copy)
		return -1;
	if (n)
		memcpy(copy, channels, n * sizeof(*copy));
	free(s->channels);
	s->channels = copy;
	s->nchannels = n;
	s->broken_after = broken_after > 0 ? broken_after : 1;
	return 0;
}

void
store_only(struct store *s, char *const *ids)
{
	s->only = ids;
}

void
store_stale(struct store *s, const char *before, int days)
{
	snprintf(s->stale_before, sizeof(s->stale_before), "%s", before ? before : "");
	s->stale_days = days;
}

void
store_baseline(struct store *s, const char *since)
{
	s->baseline = since != NULL;
	snprintf(s->since, sizeof(s->since), "%s", since ? since : "");
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ncache; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	sqlite3_close(s->db);   /* an uncommitted batch rolls back */
	for (size_t i = 0; i < s->npending; i++)
		evlist_free(&s->pending[i].ev);
	free(s->pending);
	free(s->channels);
	free(s);
}

int
store_lock(const char *dbpath, int *fd, char *err, size_t errlen)
{
	char path[4200];
	int f;

	snprintf(path, sizeof(path), "%s.lock", dbpath);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f < 0) {
		snprintf(err, errlen, "cannot open lock file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(f);
		if (e == EWOULDBLOCK) {
			snprintf(err, errlen, "another run holds the lock '%s'", path);
			return STORE_LOCKED;
		}
		snprintf(err, errlen, "cannot lock '%s': %s", path, strerror(e));
		return -1;
	}
	*fd = f;
	return 0;
}

void
store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Done with a statement from prep: reset, kept for the next use. */
static void
release(sqlite3_stmt *st)
{
	if (st)
		sqlite3_reset(st);
}

/* A value for one '?' of a statement, made by txt(), num() or nil(): the
 * compiler checks each value against its maker's parameter type. */
struct arg {
	enum { ARG_END, ARG_TEXT, ARG_INT, ARG_NULL } type;
	const char *text;
	int64_t num;
};

/* Text; NULL binds NULL. */
static struct arg
txt(const char *v)
{
	return (struct arg){.type = v ? ARG_TEXT : ARG_NULL, .text = v};
}

static struct arg
num(int64_t v)
{
	return (struct arg){.type = ARG_INT, .num = v};
}

static struct arg
nil(void)
{
	return (struct arg){.type = ARG_NULL};
}

/* FNV-1a of the SQL text: the statement cache's key, with the text
 * compared on a match. */
static uint64_t
sql_hash(const char *sql)
{
	uint64_t h = 14695981039346656037u;

	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 1099511628211u;
	return h;
}

/* The prepared statement for sql, from the cache or new; NULL when SQLite
 * refuses it. */
static sqlite3_stmt *
statement(struct store *s, const char *sql)
{
	uint64_t h = 0;
	sqlite3_stmt *st;
	int k;

	/* the texts are literals: the same address is the same text, and
	 * only a text asked for from elsewhere is hashed */
	for (k = 0; k < s->ncache && s->cache[k].at != sql; k++)
		;
	if (k == s->ncache)
		for (h = sql_hash(sql), k = 0; k < s->ncache; k++)
			if (s->cache[k].hash == h && strcmp(s->cache[k].sql, sql) == 0)
				break;
	if (k < s->ncache) {
		st = s->cache[k].st;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (s->ncache == STMT_CACHE ||    /* more texts than this file has */
	    !(s->cache[s->ncache].sql = strdup(sql))) {
		sqlite3_finalize(st);
		return NULL;
	}
	s->cache[s->ncache].at = sql;
	s->cache[s->ncache].hash = h;
	s->cache[s->ncache].st = st;
	s->ncache++;
	return st;
}

/* Prepares sql and binds args[1..] (args[0] is a placeholder) to its
 * parameters 1, 2, ...; NULL when SQLite refuses the text or a value. */
static sqlite3_stmt *
prep_args(struct store *s, const char *sql, const struct arg *args, size_t nargs)
{
	sqlite3_stmt *st = statement(s, sql);
	int rc = SQLITE_OK;

	for (size_t i = 1; st && rc == SQLITE_OK && i < nargs; i++) {
		/* not copied: every statement is stepped and reset while
		 * the caller's values live */
		if (args[i].type == ARG_TEXT)
			rc = sqlite3_bind_text(st, (int)i, args[i].text, -1, SQLITE_STATIC);
		else if (args[i].type == ARG_INT)
			rc = sqlite3_bind_int64(st, (int)i, args[i].num);
		else
			rc = sqlite3_bind_null(st, (int)i);
	}
	return rc == SQLITE_OK ? st : NULL;
}

/* prep(s, sql, txt(a), num(b), ...): the statement with its values bound
 * in order; NULL when it could not be made. */
#define prep(s, sql, ...)                                                          \
	prep_args((s), (sql), (const struct arg[]){{.type = ARG_END}, __VA_ARGS__}, \
	          sizeof((const struct arg[]){{.type = ARG_END}, __VA_ARGS__}) /      \
	              sizeof(struct arg))

/* Runs a statement that returns no rows. */
static int
run(struct store *s, char *err, size_t errlen, const char *what, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return fail(s->db, err, errlen, what);
	rc = sqlite3_step(st);
	release(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(s->db, err, errlen, what);
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The one number a query gives; what names it in the error. */
static int
number(struct store *s, sqlite3_stmt *st, int64_t *out, const char *what, char *err,
       size_t errlen)
{
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		release(st);
		return fail(s->db, err, errlen, what);
	}
	*out = sqlite3_column_int64(st, 0);
	release(st);
	return 0;
}

int
store_source_state(struct store *s, const char *id, struct store_source_state *out,
                   char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT etag, last_modified, body_hash, last_check, failures,"
	    " (SELECT count(*) FROM notices WHERE source_id = ?1 AND removed_at IS NULL)"
	    " FROM sources WHERE id = ?1", txt(id));
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return fail(s->db, err, errlen, "cannot read source state");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->etag = col_dup(st, 0);
		out->last_modified = col_dup(st, 1);
		out->body_hash = col_dup(st, 2);
		out->last_check = sqlite3_column_int64(st, 3);
		out->failures = sqlite3_column_int(st, 4);
		out->notices = sqlite3_column_int64(st, 5);
	}
	release(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, err, errlen, "cannot read source state");
	return 0;
}

void
store_source_state_clear(struct store_source_state *st)
{
	if (!st)
		return;
	free(st->etag);
	free(st->last_modified);
	free(st->body_hash);
	memset(st, 0, sizeof(*st));
}

int
store_run_begin(struct store *s, int64_t now, int64_t *run_id, char *err, size_t errlen)
{
	if (run(s, err, errlen, "cannot start run",
	        prep(s, "INSERT INTO runs(started) VALUES (?)", num(now))) < 0)
		return -1;
	*run_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_run_end(struct store *s, int64_t run_id, int64_t now, int failed, char *err,
              size_t errlen)
{
	return run(s, err, errlen, "cannot finish run",
	           prep(s, "UPDATE runs SET finished = ?, failed = ? WHERE id = ?", num(now),
	           num(failed), num(run_id)));
}

static int
upsert_source(struct store *s, const struct store_fetch *f, char *err, size_t errlen)
{
	return run(s, err, errlen, "cannot store source",
	           prep(s, "INSERT INTO sources(id, name, url, moved_to) VALUES (?1, ?2, ?3, ?4)"
	                   " ON CONFLICT(id) DO UPDATE SET name = ?2, url = ?3, moved_to = ?4",
	                txt(f->source_id), txt(f->name ? f->name : ""), txt(f->url ? f->url : ""),
	                txt(f->moved_to)));
}

static int
insert_fetch(struct store *s, int64_t run_id, const struct store_fetch *f,
             const char *outcome, long items, char *err, size_t errlen)
{
	return run(s, err, errlen, "cannot store fetch",
	           prep(s, "INSERT INTO fetches(run_id, source_id, at, status, outcome, etag,"
	                   " last_modified, body_hash, charset, items, error)"
	                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                num(run_id), txt(f->source_id), num(f->at), num((int)f->status),
	                txt(outcome),
	                txt(f->etag), txt(f->last_modified), txt(f->body_hash), txt(f->charset),
	                num((int64_t)items),
	                txt(f->error)));
}

static int
begin(struct store *s, char *err, size_t errlen)
{
	if (!s->batch)
		return run(s, err, errlen, "cannot begin", prep(s, "BEGIN IMMEDIATE"));
	if (!s->in_txn) {
		if (run(s, err, errlen, "cannot begin", prep(s, "BEGIN IMMEDIATE")) < 0)
			return -1;
		s->in_txn = 1;
	}
	return run(s, err, errlen, "cannot begin", prep(s, "SAVEPOINT one"));
}

/* Ends what begin started: commits it, or in a batch keeps it for the
 * batch's commit; on failure undoes it (in a batch, only it). */
static int
finish(struct store *s, int ok, char *err, size_t errlen)
{
	if (!s->batch) {
		if (ok && run(s, err, errlen, "cannot commit", prep(s, "COMMIT")) == 0)
			return 0;
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (ok && run(s, err, errlen, "cannot commit", prep(s, "RELEASE one")) == 0)
		return 0;
	/* an I/O error may have rolled back the whole transaction already */
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_exec(s->db, "ROLLBACK TO one", NULL, NULL, NULL);
		sqlite3_exec(s->db, "RELEASE one", NULL, NULL, NULL);
	}
	return -1;
}

/* Hands a committed write's events to fn, or in a batch keeps them for its
 * commit; takes the list either way. */
static int
deliver(struct store *s, struct evlist *ev, store_event_fn fn, void *payload)
{
	if (s->batch && ev->n > 0 && fn) {
		if (s->npending == s->cappending) {
			size_t cap = s->cappending ? s->cappending * 2 : 64;
			struct pending *v = realloc(s->pending, cap * sizeof(*v));
			if (!v)
				return -1;
			s->pending = v;
			s->cappending = cap;
		}
		s->pending[s->npending++] = (struct pending){*ev, fn, payload};
		*ev = (struct evlist){0};
		return 0;
	}
	if (fn)
		for (size_t i = 0; i < ev->n; i++)
			fn(&ev->v[i], payload);
	evlist_free(ev);
	*ev = (struct evlist){0};
	return 0;
}

void
store_batch_begin(struct store *s)
{
	s->batch = 1;
}

int
store_batch_commit(struct store *s, char *err, size_t errlen)
{
	int ok = 1;

	if (s->in_txn) {
		s->in_txn = 0;
		if (sqlite3_get_autocommit(s->db)) {
			snprintf(err, errlen, "cannot commit: the transaction was rolled back: %s",
			         sqlite3_errmsg(s->db));
			ok = 0;
		} else if (run(s, err, errlen, "cannot commit", prep(s, "COMMIT")) < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			ok = 0;
		}
	}
	for (size_t i = 0; i < s->npending; i++) {
		struct pending *p = &s->pending[i];
		for (size_t k = 0; ok && k < p->ev.n; k++)
			p->fn(&p->ev.v[k], p->payload);
		evlist_free(&p->ev);
	}
	s->npending = 0;
	return ok ? 0 : -1;
}

int
store_batch_end(struct store *s, char *err, size_t errlen)
{
	int rc = store_batch_commit(s, err, errlen);

	s->batch = 0;
	return rc;
}

static int
listed(char *const *l, const char *word)
{
	for (size_t i = 0; l && l[i]; i++)
		if (!strcmp(l[i], word))
			return 1;
	return !l;
}

/* Queues an event or an alert (of kind, about source_id) for every channel
 * that takes it, in the caller's transaction. */
static int
enqueue(struct store *s, int64_t event_id, int64_t alert_id, int64_t at,
        const char *source_id, const char *kind, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nchannels; i++) {
		const struct store_channel *c = &s->channels[i];
		sqlite3_stmt *st;
		if (!listed(c->sources, source_id) || !listed(c->kinds, kind))
			continue;
		st = prep(s, "INSERT INTO outbox(channel, event_id, alert_id, created)"
		             " VALUES (?, ?, ?, ?)", txt(c->name),
		          event_id ? num(event_id) : nil(), alert_id ? num(alert_id) : nil(),
		          num(at));
		if (run(s, err, errlen, "cannot queue alert", st) < 0)
			return -1;
	}
	return 0;
}

/* route: the kind that picks the channels ('recovered' goes where what it
 * ends went) */
static int
raise_alert(struct store *s, int64_t run_id, const struct store_fetch *f, const char *kind,
            const char *route, const char *detail, char *err, size_t errlen)
{
	if (run(s, err, errlen, "cannot store alert",
	        prep(s, "INSERT INTO alerts(run_id, source_id, kind, at, detail)"
	                " VALUES (?, ?, ?, ?, ?)", num(run_id), txt(f->source_id), txt(kind),
	                num(f->at),
	             txt(detail))) < 0)
		return -1;
	return enqueue(s, 0, sqlite3_last_insert_rowid(s->db), f->at, f->source_id, route, err,
	               errlen);
}

int
store_record_error(struct store *s, int64_t run_id, const struct store_fetch *f,
                   int sudden, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int ok, failures = 0, broken = 0;

	if (begin(s, err, errlen) < 0)
		return -1;
	ok = upsert_source(s, f, err, errlen) == 0 &&
	     insert_fetch(s, run_id, f, "error", -1, err, errlen) == 0 &&
	     run(s, err, errlen, "cannot store source state",
	         prep(s, "UPDATE sources SET last_check = ?, last_status = ?, last_error = ?,"
	                 " failures = failures + 1 WHERE id = ?",
	              num(f->at), num((int)f->status), txt(f->error ? f->error : "error"),
	              txt(f->source_id))) == 0;
	if (ok) {
		st = prep(s, "SELECT failures, broken FROM sources WHERE id = ?",
		txt(f->source_id));
		ok = st && sqlite3_step(st) == SQLITE_ROW;
		if (ok) {
			failures = sqlite3_column_int(st, 0);
			broken = sqlite3_column_int(st, 1);
		}
		release(st);
		if (!ok)
			fail(s->db, err, errlen, "cannot read source state");
	}
	/* one 'broken' alert when the failures reach the threshold, or at once
	 * when a page that had notices suddenly yields none */
	if (ok && !broken && (failures >= s->broken_after || sudden)) {
		char detail[600];
		snprintf(detail, sizeof(detail), "%d failed check%s in a row: %s", failures,
		         failures == 1 ? "" : "s", f->error ? f->error : "error");
		ok = run(s, err, errlen, "cannot store source state",
		         prep(s, "UPDATE sources SET broken = 1 WHERE id = ?",
		         txt(f->source_id))) == 0 &&
		     raise_alert(s, run_id, f, "broken", "broken", detail, err, errlen) == 0;
	}
	return finish(s, ok, err, errlen);
}

/* After a good check: one 'stale' alert when the source's newest dated
 * notice is older than store_stale says, one 'recovered' when a fresher
 * one is listed again.  Undated notices do not count. */
static int
judge_stale(struct store *s, int64_t run_id, const struct store_fetch *f, char *err,
            size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT s.stale, (SELECT max(date) FROM notices WHERE source_id = s.id"
	    "   AND removed_at IS NULL AND date != '') FROM sources s WHERE s.id = ?",
	    txt(f->source_id));
	int was, is;
	int64_t fresh = 0;
	char newest[32] = "", detail[128];

	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		release(st);
		return fail(s->db, err, errlen, "cannot read source state");
	}
	was = sqlite3_column_int(st, 0);
	if (col_text(st, 1))
		snprintf(newest, sizeof(newest), "%s", col_text(st, 1));
	release(st);
	is = s->stale_before[0] && newest[0] && strcmp(newest, s->stale_before) < 0;
	if (is == was || (!is && !newest[0]))
		return 0;
	/* fresh: the newest notice arrived (a 'new' event) in this run; asked
	 * only when the mark goes, as the events of a source are many */
	if (!is) {
		if (number(s, prep(s, "SELECT EXISTS (SELECT 1 FROM events WHERE run_id = ?"
		                      " AND source_id = ? AND kind = 'new' AND date = ?)",
		                   num(run_id), txt(f->source_id), txt(newest)),
		           &fresh, "cannot read source state", err, errlen) < 0)
			return -1;
	}
	if (run(s, err, errlen, "cannot store source state",
	        prep(s, "UPDATE sources SET stale = ? WHERE id = ?", num(is),
	        txt(f->source_id))) < 0)
		return -1;
	/* no longer stale because stale_days changed, not because a notice
	 * came: the mark goes quietly */
	if (!is && !fresh)
		return 0;
	if (is)
		snprintf(detail, sizeof(detail), "newest notice %s, more than %d days ago", newest,
		         s->stale_days);
	else
		snprintf(detail, sizeof(detail), "a notice dated %s", newest);
	return raise_alert(s, run_id, f, is ? "stale" : "recovered", "stale", detail, err, errlen);
}

static int
mark_ok(struct store *s, int64_t run_id, const struct store_fetch *f, int changed,
        char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT broken FROM sources WHERE id = ?", txt(f->source_id));
	int broken = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);

	release(st);
	if (broken &&
	    (run(s, err, errlen, "cannot store source state",
	         prep(s, "UPDATE sources SET broken = 0 WHERE id = ?", txt(f->source_id))) < 0 ||
	     raise_alert(s, run_id, f, "recovered", "broken", NULL, err, errlen) < 0))
		return -1;
	if (judge_stale(s, run_id, f, err, errlen) < 0)
		return -1;
	return run(s, err, errlen, "cannot store source state",
	           prep(s, "UPDATE sources SET last_check = ?1, last_ok = ?1, last_status = ?2,"
	                   " last_error = NULL, failures = 0,"
	                   " etag = coalesce(?3, etag), last_modified = coalesce(?4, last_modified),"
	                   " body_hash = coalesce(?5, body_hash),"
	                   " last_change = CASE WHEN ?6 THEN ?1 ELSE last_change END"
	                   " WHERE id = ?7",
	                num(f->at), num((int)f->status), txt(f->etag), txt(f->last_modified),
	                txt(f->body_hash), num(changed), txt(f->source_id)));
}

int
store_record_unchanged(struct store *s, int64_t run_id, const struct store_fetch *f,
                       char *err, size_t errlen)
{
	int ok;

	if (begin(s, err, errlen) < 0)
		return -1;
	ok = upsert_source(s, f, err, errlen) == 0 &&
	     insert_fetch(s, run_id, f, f->status == 304 ? "not-modified" : "unchanged", -1,
	                  err, errlen) == 0 &&
	     mark_ok(s, run_id, f, 0, err, errlen) == 0;
	return finish(s, ok, err, errlen);
}


static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
add_event(struct store *s, struct evlist *l, int64_t run_id, int64_t notice_id,
          const struct store_fetch *f, const char *kind, const char *title,
          const char *old_title, const char *date, const char *old_date,
          const char *link, int relevant, char *err, size_t errlen)
{
	struct store_event *e;
	int64_t event_id;

	if (run(s, err, errlen, "cannot store event",
	        prep(s, "INSERT INTO events(run_id, source_id, notice_id, kind, at, title,"
	                " old_title, date, old_date, link, relevant)"
	                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             num(run_id), txt(f->source_id), num(notice_id), txt(kind), num(f->at),
	             txt(title),
	             txt(old_title), txt(date), txt(old_date), txt(link), num(relevant))) < 0)
		return -1;
	event_id = sqlite3_last_insert_rowid(s->db);
	if (!strcmp(kind, "changed") &&
	    run(s, err, errlen, "cannot store notice",
	        prep(s, "UPDATE notices SET changed_at = ? WHERE id = ?", num(f->at),
	             num(notice_id))) < 0)
		return -1;
	if (relevant && enqueue(s, event_id, 0, f->at, f->source_id, kind, err, errlen) < 0)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct store_event *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->id = event_id;
	e->run_id = run_id;
	e->at = f->at;
	e->kind = kind;
	e->source_id = f->source_id;
	e->title = dup_or_null(title);
	e->old_title = dup_or_null(old_title);
	e->date = dup_or_null(date);
	e->old_date = dup_or_null(old_date);
	e->link = dup_or_null(link);
	e->relevant = relevant;
	return 0;
}

/* One diff of a source's list against its last snapshot. */
struct diff {
	int window;             /* the last page read: later ones are not judged */
	int quiet;              /* the first check, a baseline (store_baseline) */
	int known;              /* the source has notices stored */
	int kept;               /* a notice of the last snapshot's window is listed */
	int64_t kept_page, kept_pos;    /* the last such, in the snapshot's order */
	size_t arrived;         /* notices new to the list: new, or back */
};

/* Stores one item of the page; adds an event when it is new, back, or its
 * title or date changed. */
static int
apply_item(struct store *s, int64_t run_id, const struct store_fetch *f,
           const struct store_item *it, int pos, struct diff *d, struct evlist *ev,
           char *err, size_t errlen)
{
	/* a source with no notices yet has none to look up */
	sqlite3_stmt *st = d->known ? prep(s,
	    "SELECT id, title, date, relevant, removed_at, page, pos FROM notices"
	    " WHERE source_id = ? AND link = ?", txt(f->source_id), txt(it->link)) : NULL;
	int rc, rv = -1, page = it->page > 0 ? it->page : 1;

	if (d->known && !st)
		return fail(s->db, err, errlen, "cannot read notices");
	rc = d->known ? sqlite3_step(st) : SQLITE_DONE;
	if (rc == SQLITE_DONE) {
		/* a baseline raises events for recent notices only */
		int quiet = d->quiet && !(s->since[0] && it->date[0] &&
		                          strcmp(it->date, s->since) >= 0);
		release(st);
		d->arrived++;
		if (run(s, err, errlen, "cannot store notice",
		        prep(s, "INSERT INTO notices(source_id, link, title, date, relevant,"
		                " first_seen, last_seen, pos, seen_run, page, facts)"
		                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		             txt(f->source_id), txt(it->link), txt(it->title), txt(it->date),
		             num(it->relevant), num(f->at), num(f->at), num(pos), num(run_id),
		             num(page), txt(it->facts))) < 0)
			return -1;
		if (quiet)
			return 0;
		return add_event(s, ev, run_id, sqlite3_last_insert_rowid(s->db), f, "new",
		                 it->title, NULL, it->date, NULL, it->link, it->relevant,
		                 err, errlen);
	}
	if (rc != SQLITE_ROW) {
		release(st);
		return fail(s->db, err, errlen, "cannot read notices");
	}
	{
		int64_t id = sqlite3_column_int64(st, 0);
		char *title = col_dup(st, 1), *date = col_dup(st, 2);
		int was_relevant = sqlite3_column_int(st, 3);
		int gone = sqlite3_column_type(st, 4) != SQLITE_NULL;
		int64_t was_page = sqlite3_column_int64(st, 5), was_pos = sqlite3_column_int64(st, 6);
		/* a date listed without its year reads a year later a year on: the
		 * same notice, which keeps the year it was first given */
		const char *day = it->yearless && date && strlen(date) == 10 &&
		                  strlen(it->date) == 10 && !strcmp(date + 4, it->date + 4)
		                  ? date : it->date;
		int changed = title && date &&
		              (strcmp(title, it->title) != 0 || strcmp(date, day) != 0);

		release(st);
		if (gone)
			d->arrived++;
		else if (was_page <= d->window &&
		         (!d->kept || was_page > d->kept_page ||
		          (was_page == d->kept_page && was_pos > d->kept_pos))) {
			d->kept = 1;
			d->kept_page = was_page;
			d->kept_pos = was_pos;
		}
		if (run(s, err, errlen, "cannot store notice",
		        prep(s, "UPDATE notices SET title = ?, date = ?, relevant = ?, last_seen = ?,"
		                " removed_at = NULL, gone = NULL, pos = ?, seen_run = ?, page = ?"
		                " WHERE id = ?",
		             txt(it->title), txt(day), num(it->relevant), num(f->at), num(pos),
		             num(run_id), num(page), num(id))) < 0)
			goto out;
		if (gone)
			rv = add_event(s, ev, run_id, id, f, "new", it->title, NULL, day,
			               NULL, it->link, it->relevant, err, errlen);
		else if (changed)
			rv = add_event(s, ev, run_id, id, f, "changed", it->title, title, day,
			               date, it->link, it->relevant || was_relevant, err, errlen);
		else
			rv = 0;
out:
		free(title);
		free(date);
	}
	return rv;
}

/* Notices of the last snapshot's window (pages 1..window) missing from
 * this check.  One that sat after every notice still listed, while at
 * least as many notices arrived as went missing, was pushed off by them:
 * it is retired as 'aged', without an event; when pages after the window
 * were not read this time, it is presumed to sit on the next page and is
 * kept there, first.  Any other is 'removed'. */
static int
retire_missing(struct store *s, int64_t run_id, const struct store_fetch *f,
               const struct diff *d, struct evlist *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t missing, beyond, next_pos = 0, moved = 0;
	int rc;

	if (number(s, prep(s,
	        "SELECT count(*) FROM notices WHERE source_id = ? AND removed_at IS NULL"
	        " AND seen_run != ? AND page <= ?", txt(f->source_id), num(run_id), num(d->window)),
	        &missing, "cannot read notices", err, errlen) < 0)
		return -1;
	if (missing == 0)
		return 0;
	/* pages after the window, not read this time; what moves onto the
	 * next one goes before what was seen there */
	if (number(s, prep(s,
	        "SELECT count(*) FROM notices WHERE source_id = ? AND removed_at IS NULL"
	        " AND page > ?", txt(f->source_id), num(d->window)), &beyond, "cannot read notices", err, errlen) < 0 ||
	    (beyond > 0 &&
	     number(s, prep(s,
	         "SELECT coalesce(min(pos), 0) FROM notices WHERE source_id = ?"
	         " AND removed_at IS NULL AND page = ?", txt(f->source_id), num(d->window + 1)),
	         &next_pos, "cannot read notices", err, errlen) < 0))
		return -1;
	next_pos -= missing;

	st = prep(s, "SELECT id, title, date, link, relevant, page, pos FROM notices"
	             " WHERE source_id = ? AND removed_at IS NULL AND seen_run != ? AND page <= ?"
	             " ORDER BY page, pos", txt(f->source_id), num(run_id), num(d->window));
	if (!st)
		return fail(s->db, err, errlen, "cannot read notices");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *date = col_text(st, 2);
		int64_t page = sqlite3_column_int64(st, 5), pos = sqlite3_column_int64(st, 6);
		int tail = !d->kept || page > d->kept_page ||
		           (page == d->kept_page && pos > d->kept_pos);
		int aged = tail && d->arrived >= (size_t)missing;

		if (aged && beyond > 0) {
			if (run(s, err, errlen, "cannot store notice",
			        prep(s, "UPDATE notices SET page = ?, pos = ? WHERE id = ?",
			        num(d->window + 1), num(next_pos + moved++), num(id))) < 0)
				break;
			continue;
		}
		if (run(s, err, errlen, "cannot store notice",
		        prep(s, "UPDATE notices SET removed_at = ?, gone = ? WHERE id = ?",
		        num(f->at), txt(aged ? "aged" : "removed"), num(id))) < 0)
			break;
		if (!aged && add_event(s, ev, run_id, id, f, "removed", col_text(st, 1), NULL,
		                       date ? date : "", NULL, col_text(st, 3),
		                       sqlite3_column_int(st, 4), err, errlen) < 0)
			break;
	}
	release(st);
	if (rc != SQLITE_DONE) {
		if (!*err)
			fail(s->db, err, errlen, "cannot read notices");
		return -1;
	}
	return 0;
}

int
store_apply(struct store *s, int64_t run_id, const struct store_fetch *f,
            const struct store_item *items, size_t n, store_event_fn fn,
            void *payload, char *err, size_t errlen)
{
	struct evlist ev = {0};
	struct diff d = {.window = 1};
	int ok = 0, nev = 0;
	int64_t known = 0;

	*err = '\0';
	if (n == 0) {
		snprintf(err, errlen, "no notices to store");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].page > d.window)
			d.window = items[i].page;
	if (begin(s, err, errlen) < 0)
		return -1;
	if (number(s, prep(s, "SELECT EXISTS (SELECT 1 FROM notices WHERE source_id = ?)",
	                          txt(f->source_id)), &known, "cannot read notices", err, errlen) < 0 ||
	    upsert_source(s, f, err, errlen) < 0)
		goto done;
	d.quiet = s->baseline && known == 0;
	d.known = known != 0;
	for (size_t i = 0; i < n; i++)
		if (apply_item(s, run_id, f, &items[i], (int)i, &d, &ev, err, errlen) < 0)
			goto done;
	if (retire_missing(s, run_id, f, &d, &ev, err, errlen) < 0 ||
	    insert_fetch(s, run_id, f, "changed", (long)n, err, errlen) < 0 ||
	    mark_ok(s, run_id, f, ev.n > 0, err, errlen) < 0)
		goto done;
	ok = 1;
done:
	/* a COMMIT that fails (disk full) is a failure like any other */
	ok = finish(s, ok, err, errlen) == 0;
	nev = (int)ev.n;
	if (ok && deliver(s, &ev, fn, payload) < 0) {
		snprintf(err, errlen, "out of memory");
		ok = 0;
	}
	evlist_free(&ev);
	return ok ? nev : -1;
}

int
store_sources(struct store *s, store_source_fn fn, void *payload, char *err,
              size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT s.id, s.name, s.last_check, s.last_status, s.last_error, s.last_change,"
	    " s.failures,"
	    " (SELECT count(*) FROM notices n WHERE n.source_id = s.id AND n.removed_at IS NULL),"
	    " (SELECT count(*) FROM notices n WHERE n.source_id = s.id AND n.removed_at IS NULL"
	    "   AND n.relevant),"
	    " s.stale, (SELECT max(n.date) FROM notices n WHERE n.source_id = s.id"
	    "   AND n.removed_at IS NULL AND n.date != ''), s.moved_to, s.last_ok,"
	    " f.at, f.error"
	    " FROM sources s LEFT JOIN fetches f ON f.id = (SELECT max(id) FROM fetches"
	    "   WHERE source_id = s.id AND outcome = 'error')"
	    " ORDER BY s.id");
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot list sources");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_source_row r = {
			.id = col_text(st, 0), .name = col_text(st, 1),
			.last_check = sqlite3_column_int64(st, 2),
			.last_status = sqlite3_column_int(st, 3), .last_error = col_text(st, 4),
			.last_change = sqlite3_column_int64(st, 5),
			.failures = sqlite3_column_int(st, 6),
			.notices = sqlite3_column_int64(st, 7), .relevant = sqlite3_column_int64(st, 8),
			.stale = sqlite3_column_int(st, 9), .newest = col_text(st, 10),
			.moved_to = col_text(st, 11), .last_ok = sqlite3_column_int64(st, 12),
			.last_failure = sqlite3_column_int64(st, 13),
			.last_failure_error = col_text(st, 14),
		};
		fn(&r, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot list sources");
}

int
store_notices(struct store *s, const char *source, const char *since, int all,
              store_notice_fn fn, void *payload, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT n.source_id, n.title, n.link, n.date, n.relevant, n.first_seen,"
	    " CASE WHEN n.removed_at IS NULL THEN max(n.last_seen, coalesce(s.last_ok, 0))"
	    "   ELSE n.last_seen END,"
	    " coalesce(n.removed_at, 0), n.gone, n.facts, coalesce(n.changed_at, 0), d.text"
	    " FROM notices n LEFT JOIN sources s ON s.id = n.source_id"
	    " LEFT JOIN details d ON d.notice_id = n.id"
	    " WHERE (?1 IS NULL OR n.source_id = ?1) AND (?2 IS NULL OR n.date >= ?2"
	    "   OR (n.date = '' AND date(n.first_seen, 'unixepoch') >= ?2))"
	    " AND (?3 OR n.relevant)"
	    " ORDER BY CASE WHEN n.date = '' THEN date(n.first_seen, 'unixepoch') ELSE n.date END"
	    " DESC, n.first_seen DESC, n.id DESC",
	    txt(source), txt(since && *since ? since : NULL), num(all));
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot list notices");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_notice_row r = {
			.source_id = col_text(st, 0), .title = col_text(st, 1),
			.link = col_text(st, 2), .date = col_text(st, 3),
			.relevant = sqlite3_column_int(st, 4),
			.first_seen = sqlite3_column_int64(st, 5),
			.last_seen = sqlite3_column_int64(st, 6),
			.removed_at = sqlite3_column_int64(st, 7),
			.gone = col_text(st, 8), .facts = col_text(st, 9),
			.changed_at = sqlite3_column_int64(st, 10), .text = col_text(st, 11),
		};
		if (listed(s->only, r.source_id))
			fn(&r, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot list notices");
}

/* Events of one source (or all) with an id above after, oldest first. */
static int
list_events(struct store *s, const char *source, int64_t after, store_event_fn fn,
            void *payload, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT id, run_id, at, kind, source_id, title, old_title, date, old_date, link,"
	    " relevant, diff, facts FROM events WHERE (?1 IS NULL OR source_id = ?1) AND id > ?2"
	    " ORDER BY id", txt(source), num(after));
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot list events");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e = {
			.id = sqlite3_column_int64(st, 0), .run_id = sqlite3_column_int64(st, 1),
			.at = sqlite3_column_int64(st, 2), .kind = col_text(st, 3),
			.source_id = col_text(st, 4), .title = col_text(st, 5),
			.old_title = col_text(st, 6), .date = col_text(st, 7),
			.old_date = col_text(st, 8), .link = col_text(st, 9),
			.relevant = sqlite3_column_int(st, 10), .diff = col_text(st, 11),
			.facts = col_text(st, 12),
		};
		fn(&e, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot list events");
}

int
store_events(struct store *s, const char *source, store_event_fn fn, void *payload,
             char *err, size_t errlen)
{
	return list_events(s, source, 0, fn, payload, err, errlen);
}

/* ---- outbox ---- */

#define OUTBOX_SELECT \
	"SELECT o.id, o.channel, o.created, o.attempts, o.next_attempt, o.last_error," \
	" o.delivered_at, o.dead_at, coalesce(e.kind, a.kind), coalesce(e.source_id, a.source_id)," \
	" coalesce(src.name, ''), e.title, e.old_title, e.date, e.link, a.detail, e.old_date," \
	" e.diff, e.facts, o.dropped_at" \
	" FROM outbox o LEFT JOIN events e ON e.id = o.event_id" \
	" LEFT JOIN alerts a ON a.id = o.alert_id" \
	" LEFT JOIN sources src ON src.id = coalesce(e.source_id, a.source_id) "

/* a row still tried: neither delivered, dead nor dropped */
#define WAITING "o.delivered_at IS NULL AND o.dead_at IS NULL AND o.dropped_at IS NULL"

static int
outbox_rows(struct store *s, sqlite3_stmt *st, store_outbox_fn fn, void *payload,
            char *err, size_t errlen)
{
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot read the outbox");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox_row r = {
			.id = sqlite3_column_int64(st, 0), .channel = col_text(st, 1),
			.created = sqlite3_column_int64(st, 2), .attempts = sqlite3_column_int(st, 3),
			.next_attempt = sqlite3_column_int64(st, 4), .last_error = col_text(st, 5),
			.delivered_at = sqlite3_column_int64(st, 6),
			.dead_at = sqlite3_column_int64(st, 7), .kind = col_text(st, 8),
			.source_id = col_text(st, 9), .source_name = col_text(st, 10),
			.title = col_text(st, 11), .old_title = col_text(st, 12),
			.date = col_text(st, 13), .link = col_text(st, 14), .detail = col_text(st, 15),
			.old_date = col_text(st, 16), .diff = col_text(st, 17),
			.facts = col_text(st, 18), .dropped_at = sqlite3_column_int64(st, 19),
		};
		fn(&r, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot read the outbox");
}

int
store_outbox_due(struct store *s, const char *channel, int64_t now, store_outbox_fn fn,
                 void *payload, char *err, size_t errlen)
{
	return outbox_rows(s, prep(s, OUTBOX_SELECT
	    "WHERE o.channel = ? AND " WAITING " AND o.next_attempt <= ? ORDER BY o.id", txt(channel), num(now)), fn, payload,
	    err, errlen);
}

int
store_outbox_list(struct store *s, int all, store_outbox_fn fn, void *payload, char *err,
                  size_t errlen)
{
	return outbox_rows(s, prep(s, OUTBOX_SELECT
	    "WHERE ? OR (o.delivered_at IS NULL AND o.dropped_at IS NULL) ORDER BY o.id", num(all)), fn, payload,
	    err, errlen);
}

int
store_outbox_delivered(struct store *s, const int64_t *ids, size_t n, int64_t now, char *err,
                       size_t errlen)
{
	int ok = 1;

	if (begin(s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; ok && i < n; i++)
		ok = run(s, err, errlen, "cannot record a delivery",
		         prep(s, "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1"
		                 " WHERE id = ?", num(now), num(ids[i]))) == 0;
	return finish(s, ok, err, errlen);
}

int
store_outbox_failed(struct store *s, int64_t id, int64_t now, const char *error,
                    int64_t next_attempt, char *err, size_t errlen)
{
	(void)now;
	return run(s, err, errlen, "cannot record a failed delivery",
	           prep(s, "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
	                   " next_attempt = ? WHERE id = ?", txt(error), num(next_attempt),
	                   num(id)));
}

int
store_outbox_expire(struct store *s, const char *channel, int64_t created_before,
                    int64_t now, int64_t *count, char *err, size_t errlen)
{
	if (run(s, err, errlen, "cannot expire the outbox",
	        prep(s, "UPDATE outbox AS o SET dead_at = ? WHERE channel = ? AND " WAITING
	                " AND created < ?", num(now), txt(channel),
	             num(created_before))) < 0)
		return -1;
	*count = sqlite3_changes(s->db);
	return 0;
}

int
store_outbox_waiting(struct store *s, const char *channel, int64_t *count, char *err,
                     size_t errlen)
{
	return number(s, prep(s, "SELECT count(*) FROM outbox AS o WHERE channel = ? AND "
	                         WAITING, txt(channel)),
	              count, "cannot read the outbox", err, errlen);
}

/* outbox retry [ID]: rows not delivered nor dropped become due now; dead
 * ones are tried again, their age counted afresh */
int
store_outbox_retry(struct store *s, int64_t id, int64_t now, int64_t *count, char *err,
                   size_t errlen)
{
	if (run(s, err, errlen, "cannot update the outbox",
	        prep(s, "UPDATE outbox SET next_attempt = 0, dead_at = NULL,"
	                " created = CASE WHEN dead_at IS NULL THEN created ELSE ?1 END"
	                " WHERE delivered_at IS NULL AND dropped_at IS NULL"
	                " AND (?2 = 0 OR id = ?2) AND (?2 != 0 OR attempts > 0)",
	             num(now), num(id))) < 0)
		return -1;
	*count = sqlite3_changes(s->db);
	return 0;
}

int
store_outbox_drop(struct store *s, int64_t id, int64_t now, int64_t *count, char *err,
                  size_t errlen)
{
	if (run(s, err, errlen, "cannot update the outbox",
	        prep(s, "UPDATE outbox SET dropped_at = ? WHERE id = ? AND delivered_at IS NULL"
	                " AND dropped_at IS NULL", num(now), num(id))) < 0)
		return -1;
	*count = sqlite3_changes(s->db);
	return 0;
}

/* ---- detail pages ---- */

int
store_details_due(struct store *s, int64_t first_seen_since, store_detail_fn fn,
                  void *payload, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT n.id, n.source_id, n.link, n.title, d.etag, d.last_modified, d.hash, n.date"
	    " FROM notices n LEFT JOIN details d ON d.notice_id = n.id"
	    " WHERE n.relevant AND n.removed_at IS NULL AND n.first_seen >= ? ORDER BY n.id",
	    num(first_seen_since));
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot read detail pages");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_detail_row r = {
			.notice_id = sqlite3_column_int64(st, 0), .source_id = col_text(st, 1),
			.link = col_text(st, 2), .title = col_text(st, 3), .etag = col_text(st, 4),
			.last_modified = col_text(st, 5), .hash = col_text(st, 6),
			.date = col_text(st, 7),
		};
		fn(&r, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot read detail pages");
}

int
store_detail_save(struct store *s, int64_t run_id, const struct store_detail *d,
                  store_event_fn fn, void *payload, char *err, size_t errlen)
{
	struct evlist ev = {0};
	sqlite3_stmt *st;
	int ok = 0;

	*err = '\0';
	if (begin(s, err, errlen) < 0)
		return -1;
	if (run(s, err, errlen, "cannot store detail page",
	        prep(s, "INSERT INTO details(notice_id, text, attachments, hash, etag, last_modified,"
	                " fetched_at, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	                " ON CONFLICT(notice_id) DO UPDATE SET text = ?2, attachments = ?3,"
	                " hash = ?4, etag = ?5, last_modified = ?6, fetched_at = ?7,"
	                " checked_at = ?7, error = NULL",
	             num(d->notice_id), txt(d->text), txt(d->attachments), txt(d->hash),
	             txt(d->etag),
	             txt(d->last_modified), num(d->at))) < 0 ||
	    (d->facts && run(s, err, errlen, "cannot store facts",
	                     prep(s, "UPDATE notices SET facts = ? WHERE id = ?", txt(d->facts),
	                          num(d->notice_id))) < 0))
		goto done;
	if (d->diff) {
		struct store_fetch f = {.at = d->at};
		st = prep(s, "SELECT source_id, title, date, link, relevant FROM notices WHERE id = ?",
		          num(d->notice_id));
		if (!st || sqlite3_step(st) != SQLITE_ROW) {
			release(st);
			fail(s->db, err, errlen, "cannot read notice");
			goto done;
		}
		f.source_id = col_text(st, 0);
		if (add_event(s, &ev, run_id, d->notice_id, &f, "changed", col_text(st, 1),
		              col_text(st, 1), col_text(st, 2), col_text(st, 2), col_text(st, 3),
		              sqlite3_column_int(st, 4), err, errlen) < 0) {
			release(st);
			goto done;
		}
		ev.v[ev.n - 1].source_id = strdup(f.source_id);
		release(st);
		if (!ev.v[ev.n - 1].source_id ||
		    run(s, err, errlen, "cannot store event",
		        prep(s, "UPDATE events SET diff = ?, facts = ? WHERE id = ?", txt(d->diff),
		             txt(d->facts_diff), num(ev.v[ev.n - 1].id))) < 0)
			goto done;
		ev.v[ev.n - 1].diff = strdup(d->diff);
		ev.v[ev.n - 1].facts = dup_or_null(d->facts_diff);
	}
	ok = 1;
done:
	ok = finish(s, ok, err, errlen) == 0;
	if (ok && fn)
		for (size_t i = 0; i < ev.n; i++)
			fn(&ev.v[i], payload);
	for (size_t i = 0; i < ev.n; i++) {
		free((char *)ev.v[i].source_id);
		free((char *)ev.v[i].diff);
		free((char *)ev.v[i].facts);
	}
	evlist_free(&ev);
	return ok ? 0 : -1;
}

int
store_detail_get(struct store *s, int64_t notice_id, char **text, char **attachments,
                 char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT text, attachments FROM details WHERE notice_id = ?",
	                        num(notice_id));
	int rc;

	*text = *attachments = NULL;
	if (!st)
		return fail(s->db, err, errlen, "cannot read detail page");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*text = col_dup(st, 0);
		*attachments = col_dup(st, 1);
	}
	release(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
	                                             : fail(s->db, err, errlen, "cannot read detail page");
}

int
store_detail_checked(struct store *s, int64_t notice_id, int64_t at, const char *error,
                     char *err, size_t errlen)
{
	return run(s, err, errlen, "cannot store detail page",
	           prep(s, "UPDATE details SET checked_at = ?, error = ? WHERE notice_id = ?",
	                num(at), txt(error), num(notice_id)));
}

/* ---- the history's view of the store ---- */

int
store_meta_get(struct store *s, const char *key, char **value, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT value FROM meta WHERE key = ?", txt(key));
	int rc;

	*value = NULL;
	if (!st)
		return fail(s->db, err, errlen, "cannot read meta");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = col_dup(st, 0);
	release(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot read meta");
}

int
store_meta_set(struct store *s, const char *key, const char *value, char *err, size_t errlen)
{
	return run(s, err, errlen, "cannot store meta",
	           prep(s, "INSERT INTO meta(key, value) VALUES (?1, ?2)"
	                   " ON CONFLICT(key) DO UPDATE SET value = ?2", txt(key), txt(value)));
}

int
store_events_after(struct store *s, int64_t after_id, store_event_fn fn, void *payload,
                   char *err, size_t errlen)
{
	return list_events(s, NULL, after_id, fn, payload, err, errlen);
}

int
store_details(struct store *s, store_detail_text_fn fn, void *payload, char *err,
              size_t errlen)
{
	sqlite3_stmt *st = prep(s,
	    "SELECT n.source_id, n.link, n.title, n.date, d.text, d.attachments, n.first_seen,"
	    " n.facts FROM details d JOIN notices n ON n.id = d.notice_id"
	    " WHERE n.relevant AND n.removed_at IS NULL ORDER BY n.id");
	int rc;

	if (!st)
		return fail(s->db, err, errlen, "cannot read detail pages");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_detail_text r = {
			.source_id = col_text(st, 0), .link = col_text(st, 1), .title = col_text(st, 2),
			.date = col_text(st, 3), .text = col_text(st, 4), .attachments = col_text(st, 5),
			.first_seen = sqlite3_column_int64(st, 6), .facts = col_text(st, 7),
		};
		if (listed(s->only, r.source_id))
			fn(&r, payload);
	}
	release(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, err, errlen, "cannot read detail pages");
}

/* ---- forget ---- */

int
store_forget(struct store *s, const char *id, int64_t counts[5], char *err, size_t errlen)
{
	/* in foreign-key order; the counted ones at their index in counts */
	static const struct { int count; const char *sql; } steps[] = {
		{3, "DELETE FROM outbox WHERE event_id IN (SELECT id FROM events WHERE source_id = ?1)"
		    " OR alert_id IN (SELECT id FROM alerts WHERE source_id = ?1)"},
		{-1, "DELETE FROM details WHERE notice_id IN"
		     " (SELECT id FROM notices WHERE source_id = ?1)"},
		{1, "DELETE FROM events WHERE source_id = ?1"},
		/* new events may take the freed ids (no AUTOINCREMENT): the
		 * history's watermark goes back to the last one left */
		{-1, "UPDATE meta SET value = CAST(min(CAST(value AS INTEGER),"
		     " (SELECT coalesce(max(id), 0) FROM events)) AS TEXT)"
		     " WHERE key = 'git_event' AND ?1 IS NOT NULL"},
		{2, "DELETE FROM alerts WHERE source_id = ?1"},
		{0, "DELETE FROM notices WHERE source_id = ?1"},
		{4, "DELETE FROM fetches WHERE source_id = ?1"},
		{-1, "DELETE FROM sources WHERE id = ?1"},
	};
	int ok = 1;

	memset(counts, 0, 5 * sizeof(counts[0]));
	if (begin(s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; ok && i < sizeof(steps) / sizeof(steps[0]); i++) {
		ok = run(s, err, errlen, "cannot forget the source",
		         prep(s, steps[i].sql, txt(id))) == 0;
		if (ok && steps[i].count >= 0)
			counts[steps[i].count] = sqlite3_changes(s->db);
	}
	return finish(s, ok, err, errlen);
}
