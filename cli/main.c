/* noticewatch: watch notice pages for new and changed notices.
 * The command line; drives fetch -> parse -> store -> notify. */
#include "config/config.h"
#include "cli/history.h"
#include "base/msg.h"
#include "cli/read.h"
#include "cli/report.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERSION NW_VERSION

/* 1: a source, a delivery or an output failed; 3: noticewatch could not
 * save its own state (the database, the history's commit) */
enum { EXIT_OKAY = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2, EXIT_UNSAVED = 3,
       EXIT_LOCKED = 75 };


static void
usage(FILE *out)
{
	fputs("usage: noticewatch [-c FILE] [-q|-v] COMMAND [ARGS]\n"
	      "\n"
	      "  init [DIR]       write a starter config and catalog, create the database\n"
	      "  run [ID...]      check the due sources (or the named ones, now)\n"
	      "  check ID|URL [--items XPATH] [--title P] [--link P] [--date P] [--format F]\n"
	      "                   fetch and extract once, print every item found; store nothing\n"
	      "  check --all [--format text|json]  verify every enabled source; store nothing\n"
	      "  sources          one row per source: last check, result, failures, notices\n"
	      "  notices [--source ID] [--since YYYY-MM-DD] [--all] [--format text|json|csv]\n"
	      "  events [ID]      events over time\n"
	      "  history [ID]     the same (an alias of events)\n"
	      "  history --rebuild  write the git history afresh from the database\n"
	      "  notify-test [CHANNEL]  send a test message to each channel (or one)\n"
	      "  outbox [--all]   alerts queued, failing and dead (--all: delivered too)\n"
	      "  report [--format text|md|html] [-o FILE]  the status board, a row per source\n"
	      "  feed [--source ID] [--limit N] [-o FILE]  Atom feed of the relevant notices\n"
	      "\n"
	      "  -c FILE          config (default: $NOTICEWATCH_CONFIG, then ./noticewatch.ini)\n"
	      "  -q               print no events, only errors\n"
	      "  -v               say what is done, on stderr\n"
	      "  --help, --version\n"
	      "\n"
	      "exit status: 0 all checked, 1 some sources, alerts or outputs failed,\n"
	      "2 usage or config error, 3 the database or the history could not be saved,\n"
	      "75 another run holds the lock\n", out);
}

static const char *
config_path(const char *opt)
{
	const char *env = getenv("NOTICEWATCH_CONFIG");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return "noticewatch.ini";
}

static char *const *
src_include(const struct config *cfg, const struct source *s)
{
	return s && s->include ? s->include : cfg->include;
}

static char *const *
src_exclude(const struct config *cfg, const struct source *s)
{
	return s && s->exclude ? s->exclude : cfg->exclude;
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* Everything that decides what a page yields: when it changes, the page
 * must be parsed again even if its body did not. */
static void
rules_digest(const struct config *cfg, const struct source *s, char out[17])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char fmt[16];
	const char *parts[] = {s->url, s->items, s->title, s->link, s->date, s->encoding,
	                       s->html, s->script, s->method, s->body, fmt};
	char *const *lists[] = {src_include(cfg, s), src_exclude(cfg, s)};

	snprintf(fmt, sizeof(fmt), "%d/%d", s->format, s->pages);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		EVP_DigestUpdate(md, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; lists[i] && lists[i][k]; k++)
			EVP_DigestUpdate(md, lists[i][k], strlen(lists[i][k]) + 1);
		EVP_DigestUpdate(md, "\n", 1);
	}
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	hex(d, 8, out);
}

/* ---- run ---- */

/* The local day (YYYY-MM-DD) days before now. */
static void
days_before(int64_t now, long days, char out[11])
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

struct job {
	struct source *src;
	struct store_source_state st;
	char rules[17];
};

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

/* Checks stored per commit: one commit per page cost more than the rest of
 * storing it; a crash loses at most these (fetched again next run). */
#define RUN_BATCH 64

/* Commits the checks stored so far; their events are printed now. */
static void
commit_batch(struct run_ctx *rc)
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

static void
print_event(const struct store_event *ev, void *payload)
{
	struct notify_event ne = {.kind = ev->kind, .source_id = ev->source_id,
	                          .date = ev->date, .title = ev->title, .link = ev->link};

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
		.last_modified = r->new_last_modified, .charset = r->charset,
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
	    (j->st.body_hash && !strcmp(j->st.body_hash, r->hash) && j->st.notices > 0)) {
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
		items[k].relevant = parse_relevant(r->list.items[k].title, src_include(rc->cfg, s),
		                                   src_exclude(rc->cfg, s));
		items[k].page = read_page_of(r, k);
	}
	nev = store_apply(rc->store, rc->run_id, &f, items, r->list.n, print_event, rc, err,
	                  sizeof(err));
	if (nev < 0) {
		error("%s: %s", s->id, err);
		rc->failed++;
		rc->fatal = rc->unsaved = 1;
	} else {
		msg_info("%s: %ld, %zu notices on %d page%s (%s), %d events", s->id, r->status,
		     r->list.n, r->pages, r->pages == 1 ? "" : "s", r->charset, nev);
	}
	free(items);
}

static void
on_read(struct read_job *r, void *payload)
{
	struct run_ctx *rc = payload;

	record(rc, &rc->jobs[r - rc->reads], r);
	if (rc->batched >= RUN_BATCH)
		commit_batch(rc);
	msg_progress("%zu/%zu sources done (%s)", ++rc->done, rc->total, r->src->id);
}

/* ---- delivery ---- */

/* Sends events to one channel, in order; on_sent hears of each message
 * the channel accepted.  Secrets come from the environment here, and
 * never reach a message. */
static int
send_to(const struct config *cfg, const char *channel, const struct notify_event *ev,
        size_t n, notify_sent_fn on_sent, void *payload, char *err, size_t errlen)
{
	if (!strcmp(channel, "email")) {
		const struct email_cfg *e = &cfg->email;
		struct notify_email m = {
			.url = e->url, .from = e->from, .to = e->to, .username = e->username,
			.password = e->password, .tls = (enum notify_tls)e->tls, .digest = e->digest,
			.subject = e->subject, .timeout = cfg->timeout,
		};
		if (e->password_env) {
			m.password = getenv(e->password_env);
			if (!m.password) {
				snprintf(err, errlen, "environment variable %s (password_env) is not set",
				         e->password_env);
				return -1;
			}
		}
		return notify_email_send(&m, ev, n, on_sent, payload, err, errlen);
	}
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		const struct webhook_cfg *w = &cfg->webhooks[i];
		struct notify_webhook h = {
			.name = w->name, .url = w->url, .format = (enum notify_format)w->format,
			.chat_id = w->chat_id, .max_bytes = w->max_bytes, .timeout = cfg->timeout,
		};
		if (strcmp(w->name, channel))
			continue;
		if (w->secret_env) {
			h.secret = getenv(w->secret_env);
			if (!h.secret) {
				snprintf(err, errlen, "environment variable %s (secret_env) is not set",
				         w->secret_env);
				return -1;
			}
		}
		return notify_webhook_send(&h, ev, n, on_sent, payload, err, errlen);
	}
	snprintf(err, errlen, "no channel '%s'", channel);
	return -1;
}

struct due {
	struct notify_event *ev;
	int64_t *id;
	int *attempts;
	size_t n, cap;
	int oom;
};

static void
event_free(struct notify_event *e)
{
	free((char *)e->kind);
	free((char *)e->source_id);
	free((char *)e->source_name);
	free((char *)e->title);
	free((char *)e->old_title);
	free((char *)e->date);
	free((char *)e->link);
	free((char *)e->detail);
}

/* A row that cannot be copied whole stops the collection (d->oom): none
 * is sent half-built, and none is left out of due_free. */
static void
collect_due(const struct store_outbox_row *r, void *payload)
{
	struct due *d = payload;
	struct notify_event *e;

	if (d->oom)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct notify_event *ev = realloc(d->ev, cap * sizeof(*ev));
		int64_t *id = ev ? realloc(d->id, cap * sizeof(*id)) : NULL;
		int *att = id ? realloc(d->attempts, cap * sizeof(*att)) : NULL;
		if (ev)
			d->ev = ev;
		if (id)
			d->id = id;
		if (!att) {
			d->oom = 1;
			return;
		}
		d->attempts = att;
		d->cap = cap;
	}
	e = &d->ev[d->n];
	memset(e, 0, sizeof(*e));
	e->kind = msg_strdup(r->kind);
	e->source_id = msg_strdup(r->source_id);
	e->source_name = msg_strdup(r->source_name);
	e->title = msg_strdup(r->title);
	e->old_title = msg_strdup(r->old_title);
	e->date = msg_strdup(r->date);
	e->link = msg_strdup(r->link);
	e->detail = msg_strdup(r->detail);
	if (!e->kind || !e->source_id || (r->source_name && !e->source_name) ||
	    (r->title && !e->title) || (r->old_title && !e->old_title) ||
	    (r->date && !e->date) || (r->link && !e->link) || (r->detail && !e->detail)) {
		event_free(e);
		d->oom = 1;
		return;
	}
	d->id[d->n] = r->id;
	d->attempts[d->n] = r->attempts;
	d->n++;
}

static void
due_free(struct due *d)
{
	for (size_t i = 0; i < d->n; i++)
		event_free(&d->ev[i]);
	free(d->ev);
	free(d->id);
	free(d->attempts);
}

/* Sources in catalog order (then the order events came in), so a digest
 * reads the same whatever order the pages arrived in. */
static void
due_sort(struct due *d, const struct config *cfg)
{
	for (size_t i = 1; i < d->n; i++) {
		for (size_t k = i; k > 0; k--) {
			size_t a = config_source_rank(cfg, d->ev[k - 1].source_id);
			size_t b = config_source_rank(cfg, d->ev[k].source_id);
			struct notify_event e;
			int64_t id;
			int att;

			if (a < b || (a == b && d->id[k - 1] < d->id[k]))
				break;
			e = d->ev[k];
			d->ev[k] = d->ev[k - 1];
			d->ev[k - 1] = e;
			id = d->id[k];
			d->id[k] = d->id[k - 1];
			d->id[k - 1] = id;
			att = d->attempts[k];
			d->attempts[k] = d->attempts[k - 1];
			d->attempts[k - 1] = att;
		}
	}
}

/* After a failed delivery: the next run tries again, whenever it comes;
 * after that the waits double from outbox_retry, up to a day. */
static int64_t
next_attempt(const struct config *cfg, int attempts_before, int64_t now)
{
	int64_t wait = cfg->outbox_retry;

	if (attempts_before == 0)
		return 0;
	for (int i = 1; i < attempts_before && wait < 86400; i++)
		wait *= 2;
	return now + (wait < 86400 ? wait : 86400);
}

/* Records a message's events as delivered the moment its server accepted
 * it, so a crash repeats at most the message in flight. */
struct delivery {
	struct store *st;
	const struct due *d;
	int64_t now;
	size_t sent;            /* events[0..sent) accepted and recorded */
	int store_failed;
	char err[512];
};

static int
record_sent(size_t first, size_t last, void *payload)
{
	struct delivery *dv = payload;

	if (store_outbox_delivered(dv->st, &dv->d->id[first], last - first, dv->now, dv->err,
	                           sizeof(dv->err)) < 0) {
		dv->store_failed = 1;
		return -1;
	}
	dv->sent = last;
	return 0;
}

/* Delivers what channel has due.  Returns how many rows failed now, or -1
 * when the store failed. */
static int
deliver(const struct config *cfg, struct store *st, const char *channel, int64_t now)
{
	struct due d = {0};
	struct delivery dv = {.st = st, .d = &d, .now = now};
	char err[512], serr[512];
	int64_t dead = 0;
	int failed = 0;

	if (store_outbox_expire(st, channel, now - cfg->outbox_max_age, now, &dead, serr,
	                        sizeof(serr)) < 0) {
		error("%s", serr);
		return -1;
	}
	if (dead > 0)
		error("%s: %lld alert%s undelivered for %lds given up as dead "
		      "(see noticewatch outbox)", channel, (long long)dead, dead == 1 ? "" : "s",
		      cfg->outbox_max_age);
	if (store_outbox_due(st, channel, now, collect_due, &d, serr, sizeof(serr)) < 0 ||
	    d.oom) {
		error("%s", d.oom ? "out of memory" : serr);
		due_free(&d);
		return -1;
	}
	if (d.n == 0) {
		due_free(&d);
		return 0;
	}
	due_sort(&d, cfg);
	err[0] = '\0';
	send_to(cfg, channel, d.ev, d.n, record_sent, &dv, err, sizeof(err));
	msg_info("%s: %zu of %zu delivered%s%s", channel, dv.sent, d.n, err[0] ? ": " : "", err);
	if (dv.store_failed) {
		error("%s", dv.err);
		due_free(&d);
		return -1;
	}
	for (size_t i = dv.sent; i < d.n; i++) {
		if (store_outbox_failed(st, d.id[i], now, err, next_attempt(cfg, d.attempts[i], now),
		                        serr, sizeof(serr)) < 0) {
			error("%s", serr);
			due_free(&d);
			return -1;
		}
		failed++;
	}
	if (failed)
		error("%s: delivery failed: %s", channel, err);
	due_free(&d);
	return failed;
}

/* Delivers every channel's queue; 1 when some delivery failed, -1 when
 * the store could not record a delivery (exit 3: an alert may repeat). */
static int
deliver_all(const struct config *cfg, struct store *st, int64_t now)
{
	int status = 0;

	for (size_t i = 0; cfg->channels[i]; i++) {
		int64_t waiting = 0;
		char err[512];
		int failed = deliver(cfg, st, cfg->channels[i], now);

		if (failed == 0)
			continue;
		if (failed < 0)
			status = -1;
		else if (status == 0)
			status = 1;
		if (failed > 0 && store_outbox_waiting(st, cfg->channels[i], &waiting, err,
		                                       sizeof(err)) == 0)
			error("%s: %lld alert%s wait for delivery", cfg->channels[i],
			      (long long)waiting, waiting == 1 ? "" : "s");
	}
	return status;
}

static int
cmd_run(struct config *cfg, int argc, char **argv)
{
	struct run_ctx rc = {.cfg = cfg};
	struct job *jobs = NULL;
	struct read_job *reads = NULL;
	struct fetch_cookies *cookies = NULL;
	size_t n = 0;
	int lock = -1, r, status = EXIT_OKAY, undelivered = 0;
	char err[512];
	int64_t now = (int64_t)time(NULL);

	for (int i = 0; i < argc; i++) {
		if (!config_source(cfg, argv[i])) {
			error("unknown source '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	r = store_lock(cfg->database, &lock, err, sizeof(err));
	if (r == STORE_LOCKED) {
		error("%s", err);
		return EXIT_LOCKED;
	}
	if (r < 0) {
		error("%s", err);
		return EXIT_UNSAVED;
	}
	if (store_open(&rc.store, cfg->database, err, sizeof(err)) < 0 ||
	    store_run_begin(rc.store, now, &rc.run_id, err, sizeof(err)) < 0) {
		error("%s", err);
		status = EXIT_UNSAVED;
		goto out;
	}
	store_configure(rc.store, cfg->channels, cfg->broken_after);
	if (cfg->first_days >= 0) {
		/* a source's first check: notices dated first_days back alert */
		char since[11] = "";
		if (cfg->first_days > 0)
			days_before(now, cfg->first_days, since);
		store_baseline(rc.store, since);
	}
	if (cfg->stale_days > 0) {
		char before[11];
		days_before(now, cfg->stale_days, before);
		store_stale(rc.store, before, (int)cfg->stale_days);
	}
	store_batch_begin(rc.store);
	jobs = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*jobs));
	reads = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*reads));
	cookies = fetch_cookies_new();
	if (!jobs || !reads || !cookies) {
		error("out of memory");
		status = EXIT_SOME_FAILED;
		goto out;
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source *s = &cfg->sources[i];
		struct job *j = &jobs[n];
		int named = 0, conditional;

		for (int k = 0; k < argc; k++)
			named |= !strcmp(argv[k], s->id);
		if (argc > 0 && !named)
			continue;
		if (argc == 0 && !s->enabled)
			continue;
		j->src = s;
		if (store_source_state(rc.store, s->id, &j->st, err, sizeof(err)) < 0) {
			error("%s", err);
			status = EXIT_UNSAVED;
			goto out;
		}
		if (argc == 0 && s->interval > 0 && j->st.last_check > 0 &&
		    now - j->st.last_check < s->interval) {
			msg_info("%s: checked %llds ago, next in %llds", s->id,
			     (long long)(now - j->st.last_check),
			     (long long)(s->interval - (now - j->st.last_check)));
			store_source_state_clear(&j->st);
			continue;
		}
		rules_digest(cfg, s, j->rules);
		/* validators only while the rules that produced the snapshot hold */
		conditional = j->st.body_hash && j->st.notices > 0 &&
		              !strncmp(j->st.body_hash, j->rules, 16) && j->st.body_hash[16] == ':';
		reads[n].src = s;
		reads[n].rules = j->rules;
		reads[n].etag = conditional ? j->st.etag : NULL;
		reads[n].last_modified = conditional ? j->st.last_modified : NULL;
		reads[n].prev_hash = j->st.notices > 0 ? j->st.body_hash : NULL;
		n++;
	}
	msg_info("checking %zu of %zu sources", n, cfg->nsources);
	rc.jobs = jobs;
	rc.reads = reads;
	rc.total = n;
	/* each source is stored as soon as it is read, while others transfer */
	if (read_sources(cfg, reads, n, cookies, on_read, &rc, err, sizeof(err)) < 0) {
		error("%s", err);
		rc.fatal = 1;
	}
	msg_progress_end();
	commit_batch(&rc);
	if (store_batch_end(rc.store, err, sizeof(err)) < 0) {
		error("%s", err);
		rc.fatal = rc.unsaved = 1;
	}
	/* detail pages of relevant notices: their text, and its changes */
	if (cfg->git.present && !rc.fatal &&
	    history_details(cfg, rc.store, rc.run_id, cookies, argv, argc, print_event,
	                    &rc) < 0)
		rc.fatal = rc.unsaved = 1;
	msg_flush();        /* the events before what delivery says */
	if (!rc.fatal && (r = deliver_all(cfg, rc.store, (int64_t)time(NULL))) != 0) {
		undelivered = 1;
		rc.unsaved |= r < 0;
	}
	/* the history follows the store: what fails here is committed next run */
	if (cfg->git.present && !rc.fatal) {
		r = history_commit(cfg, rc.store, now, 0);
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
	status = rc.unsaved ? EXIT_UNSAVED
	       : rc.failed || rc.fatal || undelivered ? EXIT_SOME_FAILED : EXIT_OKAY;
out:
	for (size_t i = 0; i < n; i++) {
		store_source_state_clear(&jobs[i].st);
		read_job_clear(&reads[i]);
	}
	free(jobs);
	free(reads);
	fetch_cookies_free(cookies);
	store_close(rc.store);
	store_unlock(lock);
	return status;
}

/* ---- check ---- */

static void print_padded(const char *s, int cols);

/* check --all: what one read of each enabled source gave, and its verdict. */
struct check_row {
	size_t items, dated, relevant;
	char newest[16];            /* the newest date listed, or "" */
	const char *verdict;
	char *list;                 /* the source's items, or the list the generic
	                             * extractor chose, as an XPath; or NULL */
};

struct check_all {
	const struct config *cfg;
	struct read_job *reads;
	struct check_row *rows;
	char stale_before[11];      /* "": never stale */
	size_t done, total;
};

/* What stands between a source and 'ok': the site turned the client away
 * (403, 412, 418), it failed, its page lists nothing, a permanent redirect
 * took it to another host, or its newest notice is older than stale_days. */
static const char *
check_verdict(const struct check_all *c, const struct read_job *r, const struct check_row *w)
{
	if (r->state == READ_FAILED && (r->status == 403 || r->status == 412 || r->status == 418))
		return "refused";
	if (r->state == READ_FAILED && r->extract_failed)
		return "empty";
	if (r->state != READ_OK || r->partial)
		return "failing";
	if (r->moved)
		return "moved";
	if (w->items == 0)
		return "empty";
	if (c->stale_before[0] && w->newest[0] && strcmp(w->newest, c->stale_before) < 0)
		return "stale";
	return "ok";
}

static void
on_checked(struct read_job *r, void *payload)
{
	struct check_all *c = payload;
	struct check_row *w = &c->rows[r - c->reads];

	w->items = r->list.n;
	for (size_t k = 0; k < r->list.n; k++) {
		const struct parse_item *it = &r->list.items[k];
		if (it->date[0]) {
			w->dated++;
			if (strcmp(it->date, w->newest) > 0)
				snprintf(w->newest, sizeof(w->newest), "%s", it->date);
		}
		w->relevant += parse_relevant(it->title, src_include(c->cfg, r->src),
		                              src_exclude(c->cfg, r->src)) != 0;
	}
	w->verdict = check_verdict(c, r, w);
	if (r->list.n > 0)
		w->list = msg_strdup(r->src->items ? r->src->items : r->list.xpath);
	msg_progress("%zu/%zu sources done (%s)", ++c->done, c->total, r->src->id);
}

static void
check_all_text(const struct check_all *c)
{
	int idw = 2;

	for (size_t i = 0; i < c->total; i++)
		if (msg_width(c->reads[i].src->id) > idw)
			idw = msg_width(c->reads[i].src->id);
	print_padded("ID", idw + 2);
	printf("%-5s%6s%6s  %-11s%8s  %-8s %s\n", "HTTP", "ITEMS", "DATED", "NEWEST",
	       "RELEVANT", "VERDICT", "ADDRESS");
	for (size_t i = 0; i < c->total; i++) {
		const struct read_job *r = &c->reads[i];
		const struct check_row *w = &c->rows[i];
		char http[16] = "-";

		if (r->status > 0)
			snprintf(http, sizeof(http), "%ld", r->status);
		print_padded(r->src->id, idw + 2);
		printf("%-5s%6zu%6zu  %-11s%8zu  %-8s %s", http, w->items, w->dated,
		       w->newest[0] ? w->newest : "-", w->relevant, w->verdict,
		       r->url ? r->url : r->src->url);
		if (r->state == READ_FAILED || r->partial)
			printf("  %s", r->error);
		if (w->list)
			printf("  list %s", w->list);
		putchar('\n');
	}
}

static int
check_all_json(const struct check_all *c)
{
	json_t *a = json_array();
	int rv = 0;

	for (size_t i = 0; a && i < c->total; i++) {
		const struct read_job *r = &c->reads[i];
		const struct check_row *w = &c->rows[i];
		int failed = r->state == READ_FAILED || r->partial;
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:b, s:I, s:I, s:o, s:I, s:s, s:o, s:o}",
		    "source", r->src->id, "url", r->src->url,
		    "status", r->status > 0 ? json_integer(r->status) : json_null(),
		    "final_url", r->url ? json_string(r->url) : json_null(), "moved", r->moved,
		    "items", (json_int_t)w->items, "dated", (json_int_t)w->dated,
		    "newest", w->newest[0] ? json_string(w->newest) : json_null(),
		    "relevant", (json_int_t)w->relevant, "verdict", w->verdict,
		    "error", failed ? json_string(r->error) : json_null(),
		    "list", w->list ? json_string(w->list) : json_null());
		if (!o || json_array_append_new(a, o) < 0) {
			rv = -1;
			break;
		}
	}
	/* a write that fails is msg_finish's to report */
	if (!a || rv < 0 || (json_dumpf(a, stdout, JSON_INDENT(2)) < 0 && !ferror(stdout)))
		rv = -1;
	else
		putchar('\n');
	json_decref(a);
	return rv;
}

/* check --all [--format text|json]: every enabled source read once, as run
 * reads it (politely, concurrently), without conditions; nothing stored. */
static int
cmd_check_all(struct config *cfg, int argc, char **argv)
{
	struct check_all c = {.cfg = cfg};
	struct fetch_cookies *cookies = NULL;
	int json = 0, status = EXIT_OKAY;
	char err[512];

	for (int i = 0; i < argc; i++) {
		const char *f = NULL;
		if (!strcmp(argv[i], "--all"))
			continue;
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			f = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			f = argv[i] + 9;
		if (f && (!strcmp(f, "text") || !strcmp(f, "json"))) {
			json = !strcmp(f, "json");
			continue;
		}
		if (f)
			error("unknown format '%s' (text or json)", f);
		else
			error("usage: noticewatch check --all [--format text|json]");
		return EXIT_USAGE;
	}
	if (cfg->stale_days > 0)
		days_before((int64_t)time(NULL), cfg->stale_days, c.stale_before);
	c.reads = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*c.reads));
	c.rows = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*c.rows));
	cookies = fetch_cookies_new();
	if (!c.reads || !c.rows || !cookies) {
		error("out of memory");
		status = EXIT_SOME_FAILED;
		goto out;
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		if (!cfg->sources[i].enabled)
			continue;
		c.rows[c.total].verdict = "failing";    /* until read */
		c.reads[c.total++].src = &cfg->sources[i];
	}
	if (read_sources(cfg, c.reads, c.total, cookies, on_checked, &c, err, sizeof(err)) < 0) {
		msg_progress_end();
		error("%s", err);
		status = EXIT_SOME_FAILED;
		goto out;
	}
	msg_progress_end();
	if (json ? check_all_json(&c) < 0 : (check_all_text(&c), 0)) {
		error("out of memory");
		status = EXIT_SOME_FAILED;
	}
	for (size_t i = 0; i < c.total; i++)
		if (strcmp(c.rows[i].verdict, "ok"))
			status = EXIT_SOME_FAILED;
out:
	for (size_t i = 0; c.reads && i < c.total; i++) {
		read_job_clear(&c.reads[i]);
		free(c.rows[i].list);
	}
	free(c.reads);
	free(c.rows);
	fetch_cookies_free(cookies);
	return status;
}

static int
cmd_check(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"items", required_argument, NULL, 'i'}, {"title", required_argument, NULL, 't'},
		{"link", required_argument, NULL, 'l'}, {"date", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	struct source adhoc = {.pages = 1, .enabled = 1}, own;
	const struct source *s;
	const char *rule[4] = {NULL, NULL, NULL, NULL}, *fmt = NULL;
	struct read_job r = {0};
	struct fetch_cookies *cookies;
	char err[512];
	int status = EXIT_OKAY, c, given = 0;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--all"))
			return cmd_check_all(cfg, argc, argv);
	/* argv - 1 is the command name: getopt skips element 0 */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': rule[0] = optarg; break;
		case 't': rule[1] = optarg; break;
		case 'l': rule[2] = optarg; break;
		case 'd': rule[3] = optarg; break;
		case 'f': fmt = optarg; break;
		default:
			error("usage: noticewatch check ID|URL [--items XPATH] [--title P] [--link P] "
			      "[--date P] [--format F]");
			return EXIT_USAGE;
		}
		given = 1;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 1) {
		error("usage: noticewatch check ID|URL [--items XPATH] [--title P] [--link P] "
		      "[--date P] [--format F]");
		return EXIT_USAGE;
	}
	s = config_source(cfg, argv[0]);
	if (!s && strncmp(argv[0], "http://", 7) && strncmp(argv[0], "https://", 8)) {
		error("'%s' is neither a source id nor an http(s) URL", argv[0]);
		return EXIT_USAGE;
	}
	if (!s) {
		adhoc.id = argv[0];
		adhoc.url = argv[0];
		s = &adhoc;
	}
	if (given) {
		/* what a [source] with these keys would store */
		static const char *const names[] = {"items", "title", "link", "date"};
		int format = fmt ? parse_format_parse(fmt) : s->format;
		own = *s;
		if (format < 0) {
			error("unknown format '%s' (html, json, xml or script)", fmt);
			return EXIT_USAGE;
		}
		own.format = format;
		for (int k = 0; k < 4; k++) {
			char **field = k == 0 ? &own.items : k == 1 ? &own.title : k == 2 ? &own.link
			                                                                 : &own.date;
			if (!rule[k])
				continue;
			if ((format == PARSE_JSON || format == PARSE_SCRIPT)
			        ? parse_path_check(rule[k], err, sizeof(err)) < 0 &&
			              !(k == 2 && strchr(rule[k], '{'))
			        : parse_xpath_check(rule[k], err, sizeof(err)) < 0) {
				error("%s in '--%s'", err, names[k]);
				return EXIT_USAGE;
			}
			*field = (char *)rule[k];
		}
		s = &own;
	}
	r.src = s;
	cookies = fetch_cookies_new();
	if (!cookies || read_sources(cfg, &r, 1, cookies, NULL, NULL, err, sizeof(err)) < 0) {
		error("%s", cookies ? err : "out of memory");
		status = EXIT_SOME_FAILED;
	} else if (r.state != READ_OK) {
		error("%s: %s", s->id, r.state == READ_FAILED ? r.error : "not modified");
		status = EXIT_SOME_FAILED;
	} else {
		int generic = s->items == NULL;
		msg_info("%s: HTTP %ld, decoded from %s, %zu items on %d page%s", s->id, r.status,
		     r.charset, r.list.n, r.pages, r.pages == 1 ? "" : "s");
		if (generic && (r.list.xpath || r.list.why))
			msg_info("%s: list %s: %s", s->id, r.list.xpath ? r.list.xpath : "(none)",
			     r.list.why ? r.list.why : "");
		for (size_t k = 0; k < r.list.n; k++) {
			const struct parse_item *it = &r.list.items[k];
			int rel = parse_relevant(it->title, src_include(cfg, s == &adhoc ? NULL : s),
			                         src_exclude(cfg, s == &adhoc ? NULL : s));
			printf("%c %s %s %s\n", rel ? '*' : ' ', it->date[0] ? it->date : "-",
			       it->title, it->link);
		}
		if (r.partial) {
			error("%s: %s", s->id, r.error);
			status = EXIT_SOME_FAILED;
		}
	}
	read_job_clear(&r);
	fetch_cookies_free(cookies);
	return status;
}

/* ---- sources, notices, history ---- */

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

struct rows {
	struct store_source_row *v;
	size_t n;
	int oom;        /* a row could not be kept: the table would lie */
};

static void
row_free(struct store_source_row *r)
{
	free((char *)r->id);
	free((char *)r->name);
	free((char *)r->last_error);
	free((char *)r->newest);
	free((char *)r->moved_to);
}

static void
collect_source(const struct store_source_row *r, void *payload)
{
	struct rows *rows = payload;
	struct store_source_row *v;

	if (rows->oom)
		return;
	if (!(v = realloc(rows->v, (rows->n + 1) * sizeof(*v)))) {
		rows->oom = 1;
		return;
	}
	rows->v = v;
	v += rows->n;
	*v = *r;
	v->id = msg_strdup(r->id);
	v->name = msg_strdup(r->name);
	v->last_error = msg_strdup(r->last_error);
	v->newest = msg_strdup(r->newest);
	v->moved_to = msg_strdup(r->moved_to);
	if (!v->id || (r->name && !v->name) || (r->last_error && !v->last_error) ||
	    (r->newest && !v->newest) || (r->moved_to && !v->moved_to)) {
		row_free(v);
		rows->oom = 1;
		return;
	}
	rows->n++;
}

static struct store *
open_store(struct config *cfg)
{
	struct store *st;
	char err[512];

	if (store_open(&st, cfg->database, err, sizeof(err)) < 0) {
		error("%s", err);
		return NULL;
	}
	return st;
}

static void
print_padded(const char *s, int cols)
{
	fputs(s, stdout);
	for (int w = msg_width(s); w < cols; w++)
		putchar(' ');
}

static int
cmd_sources(struct config *cfg)
{
	struct store *st = open_store(cfg);
	struct rows rows = {0};
	char err[512];
	int rv = EXIT_OKAY;

	if (!st)
		return EXIT_SOME_FAILED;
	if (store_sources(st, collect_source, &rows, err, sizeof(err)) < 0 || rows.oom) {
		error("%s", rows.oom ? "out of memory" : err);
		rv = EXIT_SOME_FAILED;
	} else {
		int idw = 2, namew = 4;
		for (size_t i = 0; i < cfg->nsources; i++) {
			int w = msg_width(cfg->sources[i].id) + (cfg->sources[i].enabled ? 0 : 6);
			idw = w > idw ? w : idw;
			if (cfg->sources[i].name && msg_width(cfg->sources[i].name) > namew)
				namew = msg_width(cfg->sources[i].name);
		}
		print_padded("ID", idw + 2);
		print_padded("NAME", namew + 2);
		printf("%-17s%-7s%-17s%5s %7s\n", "LAST CHECK", "RESULT", "LAST CHANGE", "FAILS",
		       "NOTICES");
		for (size_t i = 0; i < cfg->nsources; i++) {
			struct source *s = &cfg->sources[i];
			const struct store_source_row *r = NULL;
			char check[32], change[32], result[32], id[80];

			for (size_t k = 0; k < rows.n; k++)
				if (!strcmp(rows.v[k].id, s->id))
					r = &rows.v[k];
			fmt_time(r ? r->last_check : 0, check, sizeof(check));
			fmt_time(r ? r->last_change : 0, change, sizeof(change));
			if (!r || r->last_check == 0)
				snprintf(result, sizeof(result), "-");
			else if (r->last_error)
				snprintf(result, sizeof(result), "error");
			else
				snprintf(result, sizeof(result), "%ld", r->last_status);
			snprintf(id, sizeof(id), "%s%s", s->id, s->enabled ? "" : " (off)");
			print_padded(id, idw + 2);
			print_padded(s->name ? s->name : "", namew + 2);
			printf("%-17s%-7s%-17s%5d %7lld", check, result, change, r ? r->failures : 0,
			       r ? (long long)r->notices : 0LL);
			if (r && r->last_error)
				printf("  %s", r->last_error);
			if (r && r->stale)
				printf("  stale: newest notice %s", r->newest ? r->newest : "-");
			if (r && r->moved_to)
				printf("  moved to %s", r->moved_to);
			putchar('\n');
		}
	}
	for (size_t k = 0; k < rows.n; k++)
		row_free(&rows.v[k]);
	free(rows.v);
	store_close(st);
	return rv;
}

enum { FMT_TEXT, FMT_JSON, FMT_CSV };

struct notices_ctx {
	int format;
	json_t *array;
	int oom;
};

static void
csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void
iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
print_notice(const struct store_notice_row *r, void *payload)
{
	struct notices_ctx *nc = payload;
	char first[32], last[32], removed[32] = "";

	iso_time(r->first_seen, first, sizeof(first));
	iso_time(r->last_seen, last, sizeof(last));
	if (r->removed_at)
		iso_time(r->removed_at, removed, sizeof(removed));
	if (nc->format == FMT_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o}",
		                      "source", r->source_id, "title", r->title, "link", r->link,
		                      "date", r->date, "relevant", r->relevant, "first_seen", first,
		                      "last_seen", last, "removed_at",
		                      r->removed_at ? json_string(removed) : json_null());
		if (!o || json_array_append_new(nc->array, o) < 0)
			nc->oom = 1;
	} else if (nc->format == FMT_CSV) {
		csv_field(r->source_id, 0);
		csv_field(r->date, 0);
		csv_field(r->title, 0);
		csv_field(r->link, 0);
		csv_field(r->relevant ? "1" : "0", 0);
		csv_field(first, 0);
		csv_field(last, 0);
		csv_field(removed, 1);
	} else {
		printf("%s %-10s %s%s %s\n", r->date[0] ? r->date : "-         ", r->source_id,
		       r->removed_at ? "(removed) " : "", r->title, r->link);
	}
}

static int
valid_day(const char *s)
{
	char out[11];

	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && parse_date(s, 10, out) == 0 &&
	       !strcmp(out, s);
}

static int
cmd_notices(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"source", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
		{"all", no_argument, NULL, 'a'}, {"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	const char *source = NULL, *since = NULL;
	struct notices_ctx nc = {0};
	struct store *st;
	char err[512];
	int all = 0, c, rv = EXIT_OKAY;

	/* argv - 1 is the command name: getopt skips element 0 */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': source = optarg; break;
		case 'S': since = optarg; break;
		case 'a': all = 1; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				nc.format = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				nc.format = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				nc.format = FMT_CSV;
			else {
				error("unknown format '%s': use text, json or csv", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind <= argc) {
		error("notices takes no arguments, got '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (since && !valid_day(since)) {
		error("--since wants a date YYYY-MM-DD, not '%s'", since);
		return EXIT_USAGE;
	}
	if (source && !config_source(cfg, source)) {
		error("unknown source '%s'", source);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (nc.format == FMT_JSON && !(nc.array = json_array())) {
		store_close(st);
		return EXIT_SOME_FAILED;
	}
	if (nc.format == FMT_CSV)
		fputs("source,date,title,link,relevant,first_seen,last_seen,removed_at\r\n", stdout);
	if (store_notices(st, source, since, all, print_notice, &nc, err, sizeof(err)) < 0) {
		error("%s", err);
		rv = EXIT_SOME_FAILED;
	} else if (nc.oom) {
		error("out of memory");
		rv = EXIT_SOME_FAILED;
	} else if (nc.format == FMT_JSON) {
		/* a write that fails is msg_finish's to report */
		if (json_dumpf(nc.array, stdout, JSON_INDENT(2)) < 0 && !ferror(stdout)) {
			error("out of memory");
			rv = EXIT_SOME_FAILED;
		}
		putchar('\n');
	}
	json_decref(nc.array);
	store_close(st);
	return rv;
}

/* "new" -> "NEW" (in a static buffer) */
static const char *
kind_upper(const char *kind)
{
	static char buf[16];
	size_t i;

	for (i = 0; kind[i] && i + 1 < sizeof(buf); i++)
		buf[i] = (char)toupper((unsigned char)kind[i]);
	buf[i] = '\0';
	return buf;
}

static void
print_history(const struct store_event *e, void *payload)
{
	char when[32];

	(void)payload;
	fmt_time(e->at, when, sizeof(when));
	printf("%s %-7s %s %s%s %s", when, kind_upper(e->kind), e->source_id,
	       e->date[0] ? e->date : "-",
	       e->relevant ? " *" : "", e->title);
	if (e->old_title && strcmp(e->old_title, e->title))
		printf(" (was: %s)", e->old_title);
	if (e->old_date && strcmp(e->old_date, e->date))
		printf(" (date was: %s)", e->old_date[0] ? e->old_date : "-");
	printf(" %s\n", e->link);
}

/* events [ID], and its alias history [ID]; history --rebuild rewrites the
 * git history (the name 'history' means that repository). */
static int
cmd_events(struct config *cfg, const char *cmd, int argc, char **argv)
{
	struct store *st;
	char err[512];
	int rv = EXIT_OKAY;

	if (!strcmp(cmd, "history") && argc == 1 && !strcmp(argv[0], "--rebuild")) {
		int lock = -1, r;
		if (!cfg->git.present) {
			error("history --rebuild needs a [git] section in %s", cfg->path);
			return EXIT_USAGE;
		}
		r = store_lock(cfg->database, &lock, err, sizeof(err));
		if (r < 0) {
			error("%s", err);
			return r == STORE_LOCKED ? EXIT_LOCKED : EXIT_UNSAVED;
		}
		if (!(st = open_store(cfg))) {
			store_unlock(lock);
			return EXIT_UNSAVED;
		}
		r = history_commit(cfg, st, (int64_t)time(NULL), 1);
		if (r != 0)
			rv = r < 0 ? EXIT_UNSAVED : EXIT_SOME_FAILED;
		store_close(st);
		store_unlock(lock);
		return rv;
	}
	if (argc > 1 || (argc == 1 && !strcmp(argv[0], "--rebuild"))) {
		if (!strcmp(cmd, "history"))
			error("usage: noticewatch history [ID | --rebuild]");
		else
			error("usage: noticewatch events [ID]");
		return EXIT_USAGE;
	}
	if (argc == 1 && !config_source(cfg, argv[0])) {
		error("unknown source '%s'", argv[0]);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (store_events(st, argc ? argv[0] : NULL, print_history, NULL, err, sizeof(err)) < 0) {
		error("%s", err);
		rv = EXIT_SOME_FAILED;
	}
	store_close(st);
	return rv;
}

/* ---- notify-test, outbox ---- */

static int
cmd_notify_test(struct config *cfg, int argc, char **argv)
{
	char today[11], err[512];
	time_t now = time(NULL);
	struct tm tm;
	struct notify_event ev = {
		.kind = "test", .source_id = "noticewatch", .source_name = "noticewatch",
		.date = today, .title = "noticewatch test message: this channel works",
		.link = "", .detail = NULL,
	};
	int status = EXIT_OKAY, found = 0;

	if (argc > 1) {
		error("usage: noticewatch notify-test [CHANNEL]");
		return EXIT_USAGE;
	}
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	for (size_t i = 0; cfg->channels[i]; i++) {
		if (argc == 1 && strcmp(argv[0], cfg->channels[i]))
			continue;
		found = 1;
		if (send_to(cfg, cfg->channels[i], &ev, 1, NULL, NULL, err, sizeof(err)) < 0) {
			printf("%s: failed: %s\n", cfg->channels[i], err);
			status = EXIT_SOME_FAILED;
		} else {
			printf("%s: delivered\n", cfg->channels[i]);
		}
	}
	if (!found) {
		if (argc == 1)
			error("no channel '%s' (channels are 'email' and the [webhook NAME]s)",
			      argv[0]);
		else
			error("no channel configured: add [email] or [webhook NAME] to %s", cfg->path);
		return EXIT_USAGE;
	}
	return status;
}

static void
print_outbox(const struct store_outbox_row *r, void *payload)
{
	char when[32], state[48];

	(void)payload;
	if (r->delivered_at) {
		fmt_time(r->delivered_at, when, sizeof(when));
		snprintf(state, sizeof(state), "delivered %s", when);
	} else if (r->dead_at) {
		fmt_time(r->dead_at, when, sizeof(when));
		snprintf(state, sizeof(state), "dead since %s", when);
	} else if (r->attempts == 0) {
		snprintf(state, sizeof(state), "queued");
	} else if (r->next_attempt > 0) {
		fmt_time(r->next_attempt, when, sizeof(when));
		snprintf(state, sizeof(state), "failed, next %s", when);
	} else {
		snprintf(state, sizeof(state), "failed, next run");
	}
	printf("%-6lld %-10s %-28s %3d  %s %s", (long long)r->id, r->channel, state, r->attempts,
	       r->source_id, kind_upper(r->kind));
	if (r->title)
		printf(" %s", r->title);
	if (r->detail)
		printf(": %s", r->detail);
	if (r->last_error && !r->delivered_at)
		printf("  [%s]", r->last_error);
	putchar('\n');
}

static int
cmd_outbox(struct config *cfg, int argc, char **argv)
{
	struct store *st;
	char err[512];
	int all = argc == 1 && !strcmp(argv[0], "--all"), rv = EXIT_OKAY;

	if (argc > 1 || (argc == 1 && !all)) {
		error("usage: noticewatch outbox [--all]");
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	printf("%-6s %-10s %-28s %3s  %s\n", "ID", "CHANNEL", "STATE", "TRY", "EVENT");
	if (store_outbox_list(st, all, print_outbox, NULL, err, sizeof(err)) < 0) {
		error("%s", err);
		rv = EXIT_SOME_FAILED;
	}
	store_close(st);
	return rv;
}

/* ---- init ---- */

static int
write_new(const char *path, const char *data, size_t len)
{
	FILE *f;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		unlink(path);
		return -1;
	}
	if (fclose(f) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* ---- report, feed ---- */

/* Where a command's output goes: stdout, or FILE written whole and then
 * renamed into place, so a reader (a web server) never sees half of it. */
struct output {
	FILE *f;
	const char *path;
	char tmp[4200];
};

static int
output_open(struct output *o, const char *path)
{
	int fd;

	o->path = path;
	if (!path) {
		o->f = stdout;
		return 0;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		error("cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return -1;
	}
	fchmod(fd, 0644);
	return 0;
}

/* Finishes the output; ok: the command succeeded, so keep it. */
static int
output_close(struct output *o, int ok)
{
	int bad;

	if (!o->path)
		return ok ? 0 : -1;     /* standard output: msg_finish checks it */
	bad = ferror(o->f);
	if (fclose(o->f) != 0 || bad) {
		error("cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	} else if (ok && rename(o->tmp, o->path) < 0) {
		error("cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok)
		unlink(o->tmp);
	return ok ? 0 : -1;
}

static int
cmd_report(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}};
	enum report_format fmt = REPORT_TEXT;
	const char *path = NULL;
	struct output o;
	struct store *st;
	int c, ok;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "text"))
				fmt = REPORT_TEXT;
			else if (!strcmp(optarg, "md"))
				fmt = REPORT_MD;
			else if (!strcmp(optarg, "html"))
				fmt = REPORT_HTML;
			else {
				error("unknown format '%s': use text, md or html", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': path = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind <= argc) {
		error("report takes no arguments, got '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (output_open(&o, path) < 0) {
		store_close(st);
		return EXIT_SOME_FAILED;
	}
	ok = report_write(o.f, fmt, cfg, st, (int64_t)time(NULL)) == 0;
	store_close(st);
	return output_close(&o, ok) == 0 ? EXIT_OKAY : EXIT_SOME_FAILED;
}

static int
cmd_feed(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"source", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
	const char *path = NULL, *source = NULL;
	struct output o;
	struct store *st;
	int c, ok, limit = 50;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 's': source = optarg; break;
		case 'l':
			limit = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || limit < 1 || limit > 10000) {
				error("--limit wants a number from 1 to 10000, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': path = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind <= argc) {
		error("feed takes no arguments, got '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (source && !config_source(cfg, source)) {
		error("unknown source '%s'", source);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (output_open(&o, path) < 0) {
		store_close(st);
		return EXIT_SOME_FAILED;
	}
	ok = report_feed(o.f, cfg, st, source, limit, (int64_t)time(NULL)) == 0;
	store_close(st);
	return output_close(&o, ok) == 0 ? EXIT_OKAY : EXIT_SOME_FAILED;
}

static int
cmd_init(int argc, char **argv)
{
	const char *dir = argc > 0 ? argv[0] : ".";
	char cfgpath[4096], catpath[4096], dbpath[4096], err[512];
	size_t catlen;
	const char *cat = config_builtin_catalog(&catlen);
	size_t examplelen;
	const char *example = config_builtin_example(&examplelen);
	struct config cfg;
	struct store *st;

	if (argc > 1) {
		error("usage: noticewatch init [DIR]");
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		error("cannot create directory '%s': %s", dir, strerror(errno));
		return EXIT_SOME_FAILED;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/noticewatch.ini", dir);
	snprintf(catpath, sizeof(catpath), "%s/provinces.ini", dir);
	if (write_new(cfgpath, example, examplelen) < 0) {
		int e = errno;
		error("cannot create '%s': %s", cfgpath, e == EEXIST ? "it already exists"
		                                                     : strerror(e));
		return e == EEXIST ? EXIT_USAGE : EXIT_SOME_FAILED;
	}
	if (write_new(catpath, cat, catlen) < 0) {
		int e = errno;
		if (e != EEXIST) {
			error("cannot create '%s': %s", catpath, strerror(e));
			return EXIT_SOME_FAILED;
		}
		error("kept the existing '%s'", catpath);
	}
	if (config_load(&cfg, cfgpath, err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	snprintf(dbpath, sizeof(dbpath), "%s", cfg.database);
	if (store_open(&st, dbpath, err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_SOME_FAILED;
	}
	store_close(st);
	printf("wrote %s and %s (%zu sources), created %s\n"
	       "next: noticewatch -c %s run\n", cfgpath, catpath, cfg.nsources, dbpath, cfgpath);
	config_free(&cfg);
	return EXIT_OKAY;
}

/* Whether check's arguments name a URL (not a source id). */
static int
check_url_given(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2) && !strchr(argv[i], '=') && i + 1 < argc) {
			i++;    /* --items XPATH */
			continue;
		}
		if (!strncmp(argv[i], "http://", 7) || !strncmp(argv[i], "https://", 8))
			return 1;
	}
	return 0;
}

static int
command(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
	const char *cfgopt = NULL, *cmd;
	struct config cfg;
	char err[600];
	int c, rv;

	/* a file size limit (ulimit -f) or a full disk makes writes fail with
	 * an error the store reports, instead of killing the run mid-write */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+c:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgopt = optarg; break;
		case 'q': msg_verbose = -1; break;
		case 'v': msg_verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OKAY;
		case 'V': printf("noticewatch %s\n", VERSION); return EXIT_OKAY;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "init"))
		return cmd_init(argc, argv);
	if (strcmp(cmd, "run") && strcmp(cmd, "check") && strcmp(cmd, "sources") &&
	    strcmp(cmd, "notices") && strcmp(cmd, "history") && strcmp(cmd, "events") &&
	    strcmp(cmd, "notify-test") &&
	    strcmp(cmd, "outbox") && strcmp(cmd, "report") && strcmp(cmd, "feed")) {
		error("unknown command '%s' (see noticewatch --help)", cmd);
		return EXIT_USAGE;
	}
	/* check URL needs no config: without -c, $NOTICEWATCH_CONFIG or a
	 * ./noticewatch.ini, it reads an empty one (every default) and
	 * creates nothing */
	if (!strcmp(cmd, "check") && !strcmp(config_path(cfgopt), "noticewatch.ini") &&
	    access("noticewatch.ini", F_OK) < 0 && errno == ENOENT && check_url_given(argc, argv))
		cfgopt = "/dev/null";
	if (config_load(&cfg, config_path(cfgopt), err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "run"))
		rv = cmd_run(&cfg, argc, argv);
	else if (!strcmp(cmd, "check"))
		rv = cmd_check(&cfg, argc, argv);
	else if (!strcmp(cmd, "sources"))
		rv = argc ? (error("sources takes no arguments"), EXIT_USAGE) : cmd_sources(&cfg);
	else if (!strcmp(cmd, "notices"))
		rv = cmd_notices(&cfg, argc, argv);
	else if (!strcmp(cmd, "notify-test"))
		rv = cmd_notify_test(&cfg, argc, argv);
	else if (!strcmp(cmd, "outbox"))
		rv = cmd_outbox(&cfg, argc, argv);
	else if (!strcmp(cmd, "report"))
		rv = cmd_report(&cfg, argc, argv);
	else if (!strcmp(cmd, "feed"))
		rv = cmd_feed(&cfg, argc, argv);
	else
		rv = cmd_events(&cfg, cmd, argc, argv);
	config_free(&cfg);
	return rv;
}

int
main(int argc, char **argv)
{
	return msg_finish(command(argc, argv));
}
