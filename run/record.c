/* Recording what a run read into the store: a source's error, its
 * unchanged page, or its notices diffed against the last snapshot. */
#include "run/run.h"
#include "base/msg.h"
#include "notify/notify.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Checks stored per commit: one commit per page cost more than the rest of
 * storing it; a crash loses at most these (fetched again next run). */
#define RUN_BATCH 64

void
run_record_commit(struct run_ctx *rc)
{
	char err[512];

	if (rc->batched == 0)
		return;
	if (store_batch_commit(rc->store, err, sizeof(err)) < 0) {
		error("%s (the last %d checks are lost; they are read again next run)", err,
		      rc->batched);
		rc->failed += rc->batched;
		rc->fatal = rc->unsaved = 1;
	}
	rc->batched = 0;
}

char *
run_record_facts(const char *text, const char *title, const char *date, struct parse_facts *f)
{
	time_t now = time(NULL);
	struct tm tm;
	char err[256], *out;
	int year, n = 0;
	json_t *o;

	localtime_r(&now, &tm);
	year = date && strlen(date) == 10 ? atoi(date) : tm.tm_year + 1900;
	if (text)
		n = parse_facts(text, strlen(text), year, f, err, sizeof(err));
	if (n <= 0)     /* none in the text (or it could not be read): the title's */
		n = parse_facts(title, strlen(title), year, f, err, sizeof(err));
	if (n < 0)
		memset(f, 0, sizeof(*f));
	if (!(o = parse_facts_json(f)))
		return NULL;
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

void
run_record_event(const struct store_event *ev, void *payload)
{
	struct notify_event ne = {.kind = ev->kind, .source_id = ev->source_id,
	                          .date = ev->date, .title = ev->title, .link = ev->link,
	                          .old_title = ev->old_title, .old_date = ev->old_date,
	                          .diff = ev->diff, .facts = ev->facts};

	(void)payload;
	if (!ev->relevant || msg_verbose < 0)
		return;
	/* an output that fails is reported at the end (msg_finish); the run
	 * goes on: every event is stored, alerted and committed all the same */
	notify_print(stdout, &ne);
}

static void
fail_source(struct run_ctx *rc, struct store_fetch *f, const char *msg, int sudden)
{
	char err[512];

	f->error = msg;
	error("%s: %s", f->source_id, msg);
	rc->failed++;
	rc->batched++;
	if (store_record_error(rc->store, rc->run_id, f, sudden, err, sizeof(err)) < 0) {
		error("%s: %s", f->source_id, err);
		rc->fatal = rc->unsaved = 1;
	}
}

/* Stores what reading one source gave: an error, an unchanged page, or
 * its notices diffed against the last snapshot. */
static void
record(struct run_ctx *rc, struct job *j, struct read_job *r)
{
	struct source *s = j->src;
	struct store_fetch f = {
		.source_id = s->id, .name = s->name ? s->name : s->id, .url = s->url,
		.at = (int64_t)time(NULL), .status = r->status, .etag = r->new_etag,
		.last_modified = r->new_last_modified, .charset = r->charset ? r->charset : "",
		.body_hash = r->hash, .moved_to = r->moved ? r->url : NULL,
	};
	struct store_item *items;
	char err[512];
	int nev;

	if (rc->fatal)
		return;
	if (r->state == READ_FAILED) {
		char msg[700];
		if (r->extract_failed && j->st.notices > 0)
			snprintf(msg, sizeof(msg), "%s (%lld notices before; none removed)", r->error,
			         (long long)j->st.notices);
		else
			snprintf(msg, sizeof(msg), "%s", r->error);
		fail_source(rc, &f, msg, r->extract_failed && j->st.notices > 0);
		return;
	}
	if (r->partial) {
		/* a later page failed: the pages before are judged, not it */
		error("%s: %s (notices of page %d on kept as they were)", s->id, r->error,
		      r->pages + 1);
		rc->failed++;
	}
	if (r->state == READ_NOT_MODIFIED ||
	    (j->st.body_hash && r->hash && !strcmp(j->st.body_hash, r->hash) && j->st.notices > 0)) {
		msg_info("%s: %s", s->id, r->state == READ_NOT_MODIFIED ? "304 not modified"
		                                                   : "body unchanged");
		if (r->state == READ_NOT_MODIFIED)
			f.body_hash = j->st.body_hash;
		rc->batched++;
		if (store_record_unchanged(rc->store, rc->run_id, &f, err, sizeof(err)) < 0) {
			error("%s: %s", s->id, err);
			rc->fatal = rc->unsaved = 1;
		}
		return;
	}
	rc->batched++;
	items = calloc(r->list.n ? r->list.n : 1, sizeof(*items));
	if (!items) {
		fail_source(rc, &f, "out of memory", 0);
		return;
	}
	for (size_t k = 0; k < r->list.n; k++) {
		items[k].title = r->list.items[k].title;
		items[k].link = r->list.items[k].link;
		items[k].date = r->list.items[k].date;
		items[k].yearless = r->list.items[k].yearless;
		items[k].relevant = r->list.items[k].relevant;
		items[k].facts = r->list.items[k].facts;
		items[k].page = run_read_page_of(r, k);
	}
	nev = store_apply(rc->store, rc->run_id, &f, items, r->list.n, run_record_event, rc,
	                  err, sizeof(err));
	if (nev < 0) {
		error("%s: %s", s->id, err);
		rc->failed++;
		rc->fatal = rc->unsaved = 1;
	} else {
		msg_info("%s: %ld, %zu notices on %d page%s (%s), %d events", s->id, r->status,
		     r->list.n, r->pages, r->pages == 1 ? "" : "s", r->charset ? r->charset : "?", nev);
	}
	free(items);
}

void
run_record_read(struct read_job *r, void *payload)
{
	struct run_ctx *rc = payload;
	struct job *j = &rc->jobs[r - rc->reads];

	record(rc, j, r);
	/* stored: what it read and what was known of it go, so that memory
	 * follows the sources in flight, not all (r's validators pointed
	 * into the state) */
	store_source_state_clear(&j->st);
	r->etag = r->last_modified = r->prev_hash = NULL;
	run_read_clear(r);
	if (rc->batched >= RUN_BATCH)
		run_record_commit(rc);
	msg_progress("%zu/%zu sources done (%s)", ++rc->done, rc->total, r->src->id);
}

