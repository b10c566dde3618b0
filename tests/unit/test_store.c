/* The snapshot diff: new, changed, removed, aged out, failures. */
#include "store/store.h"
#include "tests/unit/t.h"

#include <sqlite3.h>
#include <unistd.h>

static char dbpath[64];
static struct store *st;
static char log_[8192];
static const char *source = "js";       /* of apply */

static void
record(const struct store_event *e, void *payload)
{
	size_t n = strlen(log_);

	(void)payload;
	snprintf(log_ + n, sizeof(log_) - n, "%s %s %s%s%s|", e->kind, e->title,
	         e->date[0] ? e->date : "-", e->old_title ? " was " : "",
	         e->old_title ? e->old_title : "");
}

static void
open_fresh(void)
{
	char err[256];

	store_close(st);
	snprintf(dbpath, sizeof(dbpath), "/tmp/nw-store-%d.db", (int)getpid());
	unlink(dbpath);
	CHECK(store_open(&st, dbpath, err, sizeof(err)) == 0);
}

/* Applies a list of "title|date|link[|page]" lines checked at at. */
static int
apply(int64_t at, const char *const *lines, size_t n)
{
	struct store_item items[32];
	char buf[32][3][128], err[256];
	int64_t run;
	struct store_fetch f = {.source_id = source, .name = "江苏", .url = "http://x/", .at = at,
	                        .status = 200, .body_hash = "h"};

	for (size_t i = 0; i < n; i++) {
		items[i].page = 1;
		sscanf(lines[i], "%127[^|]|%127[^|]|%127[^|]|%d", buf[i][0], buf[i][1], buf[i][2],
		       &items[i].page);
		items[i].title = buf[i][0];
		items[i].yearless = 0;
		if (buf[i][1][0] && buf[i][1][strlen(buf[i][1]) - 1] == '*') {
			buf[i][1][strlen(buf[i][1]) - 1] = '\0';   /* listed without its year */
			items[i].yearless = 1;
		}
		items[i].date = strcmp(buf[i][1], "-") ? buf[i][1] : "";
		items[i].link = buf[i][2];
		items[i].relevant = strstr(buf[i][0], "证书") != NULL;
	}
	log_[0] = '\0';
	CHECK(store_run_begin(st, at, &run, err, sizeof(err)) == 0);
	return store_apply(st, run, &f, items, n, record, NULL, err, sizeof(err)) < 0 ? -1 : 0;
}

static void
new_changed_removed(void)
{
	const char *p1[] = {"证书A|2021-10-09|/a", "通知B|2021-10-08|/b", "通知C|2021-10-07|/c",
	                    "通知D|2021-10-01|/d"};
	const char *p2[] = {"证书E|2021-10-10|/e", "证书A(更正)|2021-10-09|/a",
	                    "通知C|2021-10-07|/c", "通知D|2021-10-01|/d"};

	open_fresh();
	CHECK(apply(100, p1, 4) == 0);
	CHECK_STR(log_, "new 证书A 2021-10-09|new 通知B 2021-10-08|new 通知C 2021-10-07|"
	                "new 通知D 2021-10-01|");
	CHECK(apply(200, p1, 4) == 0);
	CHECK_STR(log_, "");
	CHECK(apply(300, p2, 4) == 0);
	CHECK_STR(log_, "new 证书E 2021-10-10|changed 证书A(更正) 2021-10-09 was 证书A|"
	                "removed 通知B 2021-10-08|");
}

/* A notice pushed off the end of the list by newer ones is not a
 * removal; it is retired quietly, and is new when it comes back. */
static void
aged_out_is_not_removed(void)
{
	const char *p1[] = {"通知A|2021-10-03|/a", "通知B|2021-10-02|/b", "通知C|2021-10-01|/c"};
	const char *p2[] = {"证书N|2021-10-04|/n", "通知A|2021-10-03|/a", "通知B|2021-10-02|/b"};

	open_fresh();
	CHECK(apply(100, p1, 3) == 0);
	CHECK(apply(200, p2, 3) == 0);
	CHECK_STR(log_, "new 证书N 2021-10-04|");
	CHECK(apply(300, p1, 3) == 0);
	CHECK_STR(log_, "new 通知C 2021-10-01|removed 证书N 2021-10-04|");
}

static void
undated_tail(void)
{
	const char *p1[] = {"通知A|-|/a", "通知B|-|/b", "通知C|-|/c"};
	const char *p2[] = {"证书N|-|/n", "通知A|-|/a", "通知B|-|/b"};
	const char *p3[] = {"证书N|-|/n", "通知B|-|/b"};

	open_fresh();
	CHECK(apply(100, p1, 3) == 0);
	CHECK(apply(200, p2, 3) == 0);
	CHECK_STR(log_, "new 证书N -|");
	CHECK(apply(300, p3, 2) == 0);
	CHECK_STR(log_, "removed 通知A -|");
}

static void
removed_then_back(void)
{
	const char *p1[] = {"证书A|2021-10-09|/a", "证书B|2021-10-08|/b", "证书C|2021-10-07|/c"};
	const char *p2[] = {"证书A|2021-10-09|/a", "证书C|2021-10-07|/c"};

	open_fresh();
	CHECK(apply(100, p1, 3) == 0);
	CHECK(apply(200, p2, 2) == 0);
	CHECK_STR(log_, "removed 证书B 2021-10-08|");
	CHECK(apply(300, p1, 3) == 0);
	CHECK_STR(log_, "new 证书B 2021-10-08|");
}

static void
errors_touch_nothing(void)
{
	const char *p1[] = {"证书A|2021-10-09|/a", "证书B|2021-10-08|/b"};
	struct store_fetch f = {.source_id = "js", .url = "http://x/", .at = 200, .status = 500,
	                        .error = "HTTP 500"};
	struct store_source_state s;
	char err[256];
	int64_t run;
	int present = 0;

	open_fresh();
	CHECK(apply(100, p1, 2) == 0);
	CHECK(store_run_begin(st, 200, &run, err, sizeof(err)) == 0);
	CHECK(store_record_error(st, run, &f, 0, err, sizeof(err)) == 0);
	CHECK(store_record_error(st, run, &f, 0, err, sizeof(err)) == 0);
	CHECK(store_source_state(st, "js", &s, err, sizeof(err)) == 0);
	CHECK_INT(s.failures, 2);
	CHECK_INT(s.notices, 2);
	CHECK_STR(s.body_hash, "h");
	store_source_state_clear(&s);
	CHECK(store_apply(st, run, &f, NULL, 0, record, NULL, err, sizeof(err)) < 0);
	CHECK(store_source_state(st, "js", &s, err, sizeof(err)) == 0);
	present = (int)s.notices;
	CHECK_INT(present, 2);
	store_source_state_clear(&s);
	CHECK(apply(300, p1, 2) == 0);
	CHECK(store_source_state(st, "js", &s, err, sizeof(err)) == 0);
	CHECK_INT(s.failures, 0);
	store_source_state_clear(&s);
}

/* The first column of the first row of sql, as another reader of the
 * database sees it (committed rows only), as text ("" when none). */
static const char *
one(const char *sql)
{
	static char v[256];
	sqlite3 *db;
	sqlite3_stmt *q;

	v[0] = '\0';
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(v, sizeof(v), "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static int64_t
committed_notices(void)
{
	return atoll(one("SELECT count(*) FROM notices"));
}

/* In a batch, writes are seen by others and their events handed over only
 * at the commit; a failed write undoes itself and nothing else. */
static void
batch_commits_together(void)
{
	const char *p1[] = {"证书A|2021-10-09|/a", "证书B|2021-10-08|/b"};
	struct store_fetch bad = {.source_id = NULL, .url = "http://x/", .at = 200,
	                          .status = 500, .error = "HTTP 500"};
	char err[256];
	int64_t run;

	open_fresh();
	store_batch_begin(st);
	CHECK(apply(100, p1, 2) == 0);
	CHECK_STR(log_, "");
	CHECK(committed_notices() == 0);
	CHECK(store_run_begin(st, 200, &run, err, sizeof(err)) == 0);
	CHECK(store_record_error(st, run, &bad, 0, err, sizeof(err)) < 0);
	CHECK(store_batch_commit(st, err, sizeof(err)) == 0);
	CHECK_STR(log_, "new 证书A 2021-10-09|new 证书B 2021-10-08|");
	CHECK(committed_notices() == 2);
	log_[0] = '\0';
	CHECK(apply(300, p1 + 1, 1) == 0);      /* A removed, in the next batch */
	CHECK_STR(log_, "");
	CHECK(store_batch_end(st, err, sizeof(err)) == 0);
	CHECK_STR(log_, "removed 证书A 2021-10-09|");
	log_[0] = '\0';
	CHECK(apply(400, p1, 2) == 0);          /* out of the batch: at once */
	CHECK_STR(log_, "new 证书A 2021-10-09|");
	{
		sqlite3 *db;
		sqlite3_stmt *q;
		CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
		CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM sources WHERE id IS NULL"
		                             " UNION ALL SELECT count(*) FROM fetches", -1, &q,
		                         NULL) == SQLITE_OK);
		CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
		CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 3);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
}

static void
lock_is_exclusive(void)
{
	int a = -1, b = -1;
	char err[256];

	CHECK(store_lock(dbpath, &a, err, sizeof(err)) == 0);
	CHECK(store_lock(dbpath, &b, err, sizeof(err)) == STORE_LOCKED);
	store_unlock(a);
	CHECK(store_lock(dbpath, &b, err, sizeof(err)) == 0);
	store_unlock(b);
}

/* Issue 12 item 1: dates do not decide; the tail of the list and how many
 * arrived do. */
static void
pinned_old_notice_does_not_make_push_off_a_removal(void)
{
	const char *p1[] = {"证书P|2019-01-01|/p", "证书A|2021-10-03|/a", "证书B|2021-10-02|/b",
	                    "证书C|2021-10-01|/c"};
	const char *p2[] = {"证书P|2019-01-01|/p", "证书N|2021-10-04|/n", "证书A|2021-10-03|/a",
	                    "证书B|2021-10-02|/b"};

	open_fresh();
	CHECK(apply(100, p1, 4) == 0);
	CHECK(apply(200, p2, 4) == 0);
	CHECK_STR(log_, "new 证书N 2021-10-04|");
}

static void
shared_oldest_date_push_off_is_not_a_removal(void)
{
	const char *p1[] = {"证书A|2021-10-03|/a", "证书B|2021-10-01|/b", "证书C|2021-10-01|/c"};
	const char *p2[] = {"证书N|2021-10-04|/n", "证书A|2021-10-03|/a", "证书B|2021-10-01|/b"};

	open_fresh();
	CHECK(apply(100, p1, 3) == 0);
	CHECK(apply(200, p2, 3) == 0);
	CHECK_STR(log_, "new 证书N 2021-10-04|");
}

static void
oldest_deleted_and_shrinking_lists_are_removals(void)
{
	const char *p1[] = {"证书A|2021-10-04|/a", "证书B|2021-10-03|/b", "证书C|2021-10-02|/c",
	                    "证书D|2021-10-01|/d"};

	open_fresh();
	CHECK(apply(100, p1, 4) == 0);
	CHECK(apply(200, p1, 3) == 0);
	CHECK_STR(log_, "removed 证书D 2021-10-01|");
	CHECK(apply(300, p1, 1) == 0);
	CHECK_STR(log_, "removed 证书B 2021-10-03|removed 证书C 2021-10-02|");
	CHECK(apply(400, p1, 4) == 0);
	CHECK_STR(log_, "new 证书B 2021-10-03|new 证书C 2021-10-02|new 证书D 2021-10-01|");
}

/* A notice deleted from inside the list is removed even when as many
 * arrived, if a notice after it is still listed. */
static void
gone_before_a_kept_notice_is_a_removal(void)
{
	const char *p1[] = {"证书A|2021-10-04|/a", "证书B|2021-10-03|/b", "证书C|2021-10-02|/c",
	                    "证书D|2021-10-01|/d"};
	const char *p2[] = {"证书M|2021-10-06|/m", "证书N|2021-10-05|/n", "证书A|2021-10-04|/a",
	                    "证书D|2021-10-01|/d"};

	open_fresh();
	CHECK(apply(100, p1, 4) == 0);
	CHECK(apply(200, p2, 4) == 0);
	CHECK_STR(log_, "new 证书M 2021-10-06|new 证书N 2021-10-05|removed 证书B 2021-10-03|"
	                "removed 证书C 2021-10-02|");
}

/* Item 2: only the pages read are judged; a notice pushed off the last
 * page read, while later pages exist, is presumed on the next one. */
static void
pages_not_read_are_not_judged(void)
{
	const char *full[] = {"证书A|2021-10-04|/a|1", "证书B|2021-10-03|/b|1",
	                      "证书C|2021-10-02|/c|2", "证书D|2021-10-01|/d|2"};
	const char *one[] = {"证书N|2021-10-05|/n|1", "证书A|2021-10-04|/a|1"};
	const char *back[] = {"证书N|2021-10-05|/n|1", "证书A|2021-10-04|/a|1",
	                      "证书B|2021-10-03|/b|2", "证书C|2021-10-02|/c|2",
	                      "证书D|2021-10-01|/d|2"};

	open_fresh();
	CHECK(apply(100, full, 4) == 0);
	CHECK(apply(200, full, 2) == 0);        /* page 2 not read */
	CHECK_STR(log_, "");
	CHECK(apply(300, full, 4) == 0);
	CHECK_STR(log_, "");
	CHECK(apply(400, one, 2) == 0);         /* B pushed onto page 2, not read */
	CHECK_STR(log_, "new 证书N 2021-10-05|");
	CHECK(apply(500, back, 5) == 0);
	CHECK_STR(log_, "");
	CHECK(apply(600, back, 4) == 0);        /* D deleted from page 2, which was read */
	CHECK_STR(log_, "removed 证书D 2021-10-01|");
}

/* Item 14: a source's first check is a baseline. */
static void
first_check_is_a_baseline(void)
{
	const char *p1[] = {"证书A|2021-10-09|/a", "证书B|2021-10-01|/b", "证书C|-|/c",
	                    "证书D|2021-10-05|/d"};
	const char *p2[] = {"证书O|2020-01-01|/o", "证书A|2021-10-09|/a", "证书B|2021-10-01|/b",
	                    "证书C|-|/c", "证书D|2021-10-05|/d"};

	open_fresh();
	store_baseline(st, "2021-10-05");
	CHECK(apply(100, p1, 4) == 0);
	CHECK_STR(log_, "new 证书A 2021-10-09|new 证书D 2021-10-05|");
	CHECK(apply(200, p2, 5) == 0);
	CHECK_STR(log_, "new 证书O 2020-01-01|");
	store_baseline(st, "");
	source = "gd";                          /* added later: a baseline too */
	CHECK(apply(300, p2, 5) == 0);
	CHECK_STR(log_, "");
	source = "js";
	store_baseline(st, NULL);
}

/* A date listed without its year ([11-26]) is given the latest year not
 * after the day it is read: a year on, the same row reads as a year later.
 * That is the same notice, not a changed one; it keeps its first year.  A
 * date the page gives whole still changes. */
static void
yearless_date_keeps_its_year(void)
{
	const char *y1[] = {"证书A|2024-11-26*|/a", "证书B|2024-11-20|/b"};
	const char *y2[] = {"证书N|2025-11-27*|/n", "证书A|2025-11-26*|/a", "证书B|2025-11-20|/b"};

	open_fresh();
	CHECK(apply(100, y1, 2) == 0);
	CHECK(apply(200, y2, 3) == 0);
	CHECK_STR(log_, "new 证书N 2025-11-27|changed 证书B 2025-11-20 was 证书B|");
	CHECK_STR(one("SELECT date FROM notices WHERE link = '/a'"), "2024-11-26");
}

int
main(void)
{
	char p[80];

	RUN(new_changed_removed);
	RUN(aged_out_is_not_removed);
	RUN(undated_tail);
	RUN(removed_then_back);
	RUN(errors_touch_nothing);
	RUN(batch_commits_together);
	RUN(lock_is_exclusive);
	RUN(pinned_old_notice_does_not_make_push_off_a_removal);
	RUN(shared_oldest_date_push_off_is_not_a_removal);
	RUN(oldest_deleted_and_shrinking_lists_are_removals);
	RUN(gone_before_a_kept_notice_is_a_removal);
	RUN(pages_not_read_are_not_judged);
	RUN(first_check_is_a_baseline);
	RUN(yearless_date_keeps_its_year);
	store_close(st);
	for (const char *sfx = "\0-wal\0-shm\0.lock\0"; ; sfx += strlen(sfx) + 1) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx);
		unlink(p);
		if (!strcmp(sfx, ".lock"))
			break;
	}
	T_DONE();
}
