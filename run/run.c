/* One run: the due sources read (run/read.c) and recorded (run/record.c)
 * as they come, their detail pages (run/details.c), the outbox delivered
 * (run/deliver.c), the git history committed (report/tree.c). */
#include "run/run.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/msg.h"
#include "notify/notify.h"
#include "report/report.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Everything that decides what a page yields: when it changes, the page
 * must be parsed again even if its body did not. */
static void
rules_digest(const struct config *cfg, const struct source *s, char out[17])
{
	struct buf b;
	char fmt[16], h[65];
	const char *parts[] = {s->url, s->items, s->title, s->link, s->date, s->encoding,
	                       s->html, s->script, s->method, s->body, fmt};
	char *const *lists[] = {config_include(cfg, s), config_exclude(cfg, s)};

	snprintf(fmt, sizeof(fmt), "%d/%d", s->format, s->pages);
	buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_add(&b, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; lists[i] && lists[i][k]; k++)
			buf_add(&b, lists[i][k], strlen(lists[i][k]) + 1);
		buf_add(&b, "\n", 1);
	}
	/* out of memory: "" (the page is parsed again, as after a change) */
	if (b.failed || hash_sha256_hex(b.p, b.len, h) < 0)
		h[0] = '\0';
	buf_free(&b);
	snprintf(out, 17, "%.16s", h);
}


/* The local day (YYYY-MM-DD) days before now. */
void
run_days_before(int64_t now, long days, char out[11])
{
	time_t day = (time_t)now;
	struct tm tm;

	out[0] = '\0';
	localtime_r(&day, &tm);
	tm.tm_mday -= (int)days;
	tm.tm_isdst = -1;
	day = mktime(&tm);
	if (localtime_r(&day, &tm))
		strftime(out, 11, "%Y-%m-%d", &tm);
}


/* What the store judges by: channels, broken_after, the first check's
 * baseline and when a source is stale. */
static int
configure_store(struct run_ctx *rc, int64_t now)
{
	const struct config *cfg = rc->cfg;
	struct store_channel *ch = calloc(cfg->nwebhooks + 1, sizeof(*ch));
	size_t n = 0;
	int rv;

	if (!ch)
		return -1;
	if (cfg->email.present)
		ch[n++] = (struct store_channel){"email", cfg->email.route.sources,
		                                 cfg->email.route.kinds};
	for (size_t i = 0; i < cfg->nwebhooks; i++)
		ch[n++] = (struct store_channel){cfg->webhooks[i].name,
		                                 cfg->webhooks[i].route.sources,
		                                 cfg->webhooks[i].route.kinds};
	rv = store_configure(rc->store, ch, n, cfg->broken_after);
	free(ch);
	if (rv < 0)
		return -1;
	if (cfg->first_days >= 0) {
		/* a source's first check: notices dated first_days back alert */
		char since[11] = "";
		if (cfg->first_days > 0)
			run_days_before(now, cfg->first_days, since);
		store_baseline(rc->store, since);
	}
	if (cfg->stale_days > 0) {
		char before[11];
		run_days_before(now, cfg->stale_days, before);
		store_stale(rc->store, before, (int)cfg->stale_days);
	}
	return 0;
}

/* Picks the sources to read into rc->jobs and rc->reads (*np of them):
 * the named ones, or the enabled ones whose interval has passed; with the
 * validators of a conditional request where the rules still hold.  -1
 * when the store could not say a source's state (reported). */
static int
pick_due(struct run_ctx *rc, char **names, int nnames, int64_t now, size_t *np)
{
	struct config *cfg = rc->cfg;
	char err[512];
	size_t n = 0;

	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source *s = &cfg->sources[i];
		struct job *j = &rc->jobs[n];
		int named = 0, conditional;

		for (int k = 0; k < nnames; k++)
			named |= !strcmp(names[k], s->id);
		if (nnames > 0 && !named)
			continue;
		if (nnames == 0 && !s->enabled)
			continue;
		j->src = s;
		if (store_source_state(rc->store, s->id, &j->st, err, sizeof(err)) < 0) {
			*np = n;
			return error("%s", err);
		}
		if (nnames == 0 && s->interval > 0 && j->st.last_check > 0 &&
		    now - j->st.last_check < s->interval) {
			char ago[32], next[32];
			msg_info("%s: checked %s ago, next in %s", s->id,
			         msg_duration(now - j->st.last_check, ago, sizeof(ago)),
			         msg_duration(s->interval - (now - j->st.last_check), next,
			                      sizeof(next)));
			store_source_state_clear(&j->st);
			continue;
		}
		rules_digest(cfg, s, j->rules);
		/* validators only while the rules that produced the snapshot hold */
		conditional = j->st.body_hash && j->st.notices > 0 &&
		              !strncmp(j->st.body_hash, j->rules, 16) && j->st.body_hash[16] == ':';
		rc->reads[n].src = s;
		rc->reads[n].rules = j->rules;
		rc->reads[n].etag = conditional ? j->st.etag : NULL;
		rc->reads[n].last_modified = conditional ? j->st.last_modified : NULL;
		rc->reads[n].prev_hash = j->st.notices > 0 ? j->st.body_hash : NULL;
		n++;
	}
	*np = n;
	return 0;
}

enum run_status
run_sources(struct config *cfg, char **names, int nnames)
{
	struct run_ctx rc = {.cfg = cfg};
	struct job *jobs = NULL;
	struct read_job *reads = NULL;
	struct fetch_cookies *cookies = NULL;
	size_t n = 0;
	int lock = -1, r, undelivered = 0;
	enum run_status status = RUN_OK;
	char err[512];
	int64_t now = (int64_t)time(NULL);

	r = store_lock(cfg->database, &lock, err, sizeof(err));
	if (r == STORE_LOCKED) {
		error("%s", err);
		return RUN_LOCKED;
	}
	if (r < 0) {
		error("%s", err);
		return RUN_UNSAVED;
	}
	if (store_open(&rc.store, cfg->database, err, sizeof(err)) < 0 ||
	    store_run_begin(rc.store, now, &rc.run_id, err, sizeof(err)) < 0) {
		error("%s", err);
		status = RUN_UNSAVED;
		goto out;
	}
	if (configure_store(&rc, now) < 0) {
		error("out of memory");
		status = RUN_FAILED;
		goto out;
	}
	store_batch_begin(rc.store);
	jobs = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*jobs));
	reads = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*reads));
	cookies = fetch_cookies_new();
	if (!jobs || !reads || !cookies) {
		error("out of memory");
		status = RUN_FAILED;
		goto out;
	}
	rc.jobs = jobs;
	rc.reads = reads;
	if (pick_due(&rc, names, nnames, now, &n) < 0) {
		status = RUN_UNSAVED;
		goto out;
	}
	msg_info("checking %zu of %zu sources", n, cfg->nsources);
	rc.total = n;
	/* each source is stored as soon as it is read, while others transfer */
	if (run_read(cfg, reads, n, cookies, run_record_read, &rc, err, sizeof(err)) < 0) {
		error("%s", err);
		rc.fatal = 1;
	}
	msg_progress_end();
	run_record_commit(&rc);
	if (store_batch_end(rc.store, err, sizeof(err)) < 0) {
		error("%s", err);
		rc.fatal = rc.unsaved = 1;
	}
	/* detail pages of relevant notices: their text, and its changes */
	if (cfg->git.present && !rc.fatal &&
	    run_details(cfg, rc.store, rc.run_id, cookies, names, nnames, run_record_event,
	                    &rc) < 0)
		rc.fatal = rc.unsaved = 1;
	msg_flush();        /* the events before what delivery says */
	if (!rc.fatal && (r = run_deliver_all(cfg, rc.store, (int64_t)time(NULL))) != 0) {
		undelivered = 1;
		rc.unsaved |= r < 0;
	}
	/* the history follows the store: what fails here is committed next run */
	if (cfg->git.present && !rc.fatal) {
		r = report_tree_commit(cfg, rc.store, now, 0);
		if (r < 0)
			rc.fatal = rc.unsaved = 1;
		else if (r > 0)
			undelivered = 1;        /* committed, not pushed */
	}
	if (store_run_end(rc.store, rc.run_id, (int64_t)time(NULL), rc.failed, err,
	                  sizeof(err)) < 0) {
		error("%s", err);
		rc.fatal = rc.unsaved = 1;
	}
	status = rc.unsaved ? RUN_UNSAVED
	       : rc.failed || rc.fatal || undelivered ? RUN_FAILED : RUN_OK;
out:
	for (size_t i = 0; i < n; i++) {
		store_source_state_clear(&jobs[i].st);
		run_read_clear(&reads[i]);
	}
	free(jobs);
	free(reads);
	fetch_cookies_free(cookies);
	store_close(rc.store);
	store_unlock(lock);
	return status;
}


/* Runs step on the store under the run lock. */
static enum run_status
with_store(const struct config *cfg,
           enum run_status (*step)(const struct config *, struct store *, const char *),
           const char *arg)
{
	struct store *st;
	char err[512];
	int lock = -1, r;
	enum run_status status;

	r = store_lock(cfg->database, &lock, err, sizeof(err));
	if (r < 0) {
		error("%s", err);
		return r == STORE_LOCKED ? RUN_LOCKED : RUN_UNSAVED;
	}
	if (store_open(&st, cfg->database, err, sizeof(err)) < 0) {
		error("%s", err);
		store_unlock(lock);
		return RUN_UNSAVED;
	}
	status = step(cfg, st, arg);
	store_close(st);
	store_unlock(lock);
	return status;
}

static enum run_status
rebuild(const struct config *cfg, struct store *st, const char *arg)
{
	int r = report_tree_commit(cfg, st, (int64_t)time(NULL), 1);

	(void)arg;
	return r == 0 ? RUN_OK : r < 0 ? RUN_UNSAVED : RUN_FAILED;
}

enum run_status
run_rebuild(const struct config *cfg)
{
	return with_store(cfg, rebuild, NULL);
}

/* "1 notice", "2 events" */
static void
count(struct buf *b, int64_t n, const char *one, const char *many)
{
	buf_printf(b, "%s%lld %s", b->len ? ", " : "", (long long)n, n == 1 ? one : many);
}

static enum run_status
forget(const struct config *cfg, struct store *st, const char *id)
{
	int64_t n[5];
	char err[512], *was = NULL;
	struct buf msg, ids;
	int r = 0;

	if (store_forget(st, id, n, err, sizeof(err)) < 0) {
		error("%s", err);
		return RUN_UNSAVED;
	}
	if (!n[0] && !n[1] && !n[2] && !n[3] && !n[4]) {
		error("nothing stored for source '%s'", id);
		return RUN_FAILED;
	}
	buf_init(&msg, SIZE_MAX);
	count(&msg, n[0], "notice", "notices");
	count(&msg, n[1], "event", "events");
	count(&msg, n[2], "alert", "alerts");
	count(&msg, n[3], "outbox row", "outbox rows");
	count(&msg, n[4], "check", "checks");
	printf("forgot %s: %s\n", id, msg.failed ? "" : buf_str(&msg));
	buf_free(&msg);
	if (!cfg->git.present)
		return RUN_OK;
	/* the next commit's subject says so: now, or the next run's */
	buf_init(&ids, SIZE_MAX);
	r = store_meta_get(st, "git_forgotten", &was, err, sizeof(err));
	if (r == 0) {
		if (was && *was)
			buf_printf(&ids, "%s, ", was);
		buf_addstr(&ids, id);
		if (ids.failed)
			snprintf(err, sizeof(err), "out of memory");
		r = ids.failed ? -1 : store_meta_set(st, "git_forgotten", buf_str(&ids), err,
		                                     sizeof(err));
	}
	free(was);
	buf_free(&ids);
	if (r < 0) {
		error("%s", err);
		return RUN_UNSAVED;
	}
	r = report_tree_commit(cfg, st, (int64_t)time(NULL), 0);
	return r == 0 ? RUN_OK : r < 0 ? RUN_UNSAVED : RUN_FAILED;
}

enum run_status
run_forget(const struct config *cfg, const char *id)
{
	return with_store(cfg, forget, id);
}
