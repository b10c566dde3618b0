/* Detail pages: the text of relevant notices, fetched as their list is,
 * stored, and a 'changed' event when it changed. */
#include "run/run.h"
#include "report/report.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/msg.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

struct detail_job {
	int64_t notice_id;
	char *source_id, *link, *title, *date, *etag, *last_modified, *hash;
	const struct source *src;
};

struct details {
	const struct config *cfg;
	struct store *st;
	int64_t run_id;
	struct buf jobs;        /* struct detail_job */
	struct detail_job *v;   /* jobs' elements */
	size_t n;
	int oom, failed, fatal;
	char **only;            /* the sources a run names; none: every enabled one */
	int nonly;
	store_event_fn fn;
	void *payload;
};

/* A document (pdf, xls, zip...) is fetched once: its stored hash says so. */
#define DOC_HASH "doc:"

static void
collect_job(const struct store_detail_row *r, void *payload)
{
	struct details *d = payload;
	const struct source *src = config_source(d->cfg, r->source_id);
	struct detail_job *j;
	int named = 0;

	if (!src || d->oom)
		return;         /* a source no longer configured */
	for (int k = 0; k < d->nonly; k++)
		named |= !strcmp(d->only[k], src->id);
	if (d->nonly ? !named : !src->enabled)
		return;         /* not one this run reads */
	if (r->hash && (!strncmp(r->hash, DOC_HASH, strlen(DOC_HASH)) ||
	                parse_is_document(r->link, NULL)))
		return;         /* a document, fetched once */
	if (!(j = buf_grow(&d->jobs, sizeof(*j)))) {
		d->oom = 1;
		return;
	}
	d->v = (struct detail_job *)d->jobs.p;
	d->n = d->jobs.len / sizeof(*j);
	j->notice_id = r->notice_id;
	j->src = src;
	j->source_id = msg_strdup(r->source_id);
	j->link = msg_strdup(r->link);
	j->title = msg_strdup(r->title);
	j->date = msg_strdup(r->date);
	j->etag = msg_strdup(r->etag);
	j->last_modified = msg_strdup(r->last_modified);
	j->hash = msg_strdup(r->hash);
	if (!j->source_id || !j->link || !j->title || !j->date)
		d->oom = 1;
}

static int
is_document(const struct detail_job *j, const struct fetch_result *res)
{
	size_t k = 0;

	if (parse_is_document(j->link, NULL) || (res->url && parse_is_document(res->url, NULL)))
		return 1;
	if (!parse_is_document(NULL, res->content_type))
		return 0;
	if (res->len >= 3 && !memcmp(res->body, "\xef\xbb\xbf", 3))
		k = 3;
	while (k < res->len && strchr(" \t\r\n", res->body[k]))
		k++;
	return k >= res->len || res->body[k] != '<';
}

/* Stores a document as its type, size and hash (never fetched again). */
static int
save_document(struct details *d, const struct detail_job *j, const struct fetch_result *res,
              int64_t now, char *err, size_t errlen)
{
	char hash[sizeof(DOC_HASH) + 64], text[512];
	struct store_detail sd = {
		.notice_id = j->notice_id, .at = now, .text = text, .attachments = "",
		.hash = hash, .etag = res->etag, .last_modified = res->last_modified,
	};

	memcpy(hash, DOC_HASH, strlen(DOC_HASH));
	if (hash_sha256_hex(res->body, res->len, hash + strlen(DOC_HASH)) < 0) {
		snprintf(err, errlen, "cannot hash %s", j->link);
		return -1;
	}
	snprintf(text, sizeof(text), "文件: %s\n类型: %s\n大小: %zu 字节\nSHA-256: %s\n",
	         res->url ? res->url : j->link, res->content_type[0] ? res->content_type : "-",
	         res->len, hash + strlen(DOC_HASH));
	msg_info("%s: detail page %s is a document: stored its hash", j->source_id, j->link);
	return store_detail_save(d->st, d->run_id, &sd, d->fn, d->payload, err, errlen);
}

/* The article of a detail page, decoded as its source says. */
static int
article(const struct detail_job *j, const struct fetch_result *res, char **text, char **att,
        char *err, size_t errlen)
{
	char used[64], *body = NULL;
	size_t len = 0;
	int r;

	if (fetch_decode(res->body, res->len, res->charset[0] ? res->charset : NULL,
	                 j->src->encoding, &body, &len, used, sizeof(used), err, errlen) < 0)
		return -1;
	r = parse_article(body, len, res->url ? res->url : j->link, j->src->content, text, att,
	                  err, errlen);
	free(body);
	return r;
}

static void
on_detail(size_t i, const struct fetch_result *res, void *payload)
{
	struct details *d = payload;
	struct detail_job *j = &d->v[i];
	int64_t now = (int64_t)time(NULL);
	char err[512], hash[65], *text = NULL, *att = NULL;

	if (d->fatal)
		return;
	if (res->code == FETCH_NOT_MODIFIED) {
		if (store_detail_checked(d->st, j->notice_id, now, NULL, err, sizeof(err)) < 0)
			goto store_failed;
		return;
	}
	if (res->code == FETCH_OK && is_document(j, res)) {
		if (save_document(d, j, res, now, err, sizeof(err)) < 0)
			goto store_failed;
		return;
	}
	if (res->code == FETCH_OK &&
	    article(j, res, &text, &att, err, sizeof(err)) == 0) {
		struct store_detail sd = {
			.notice_id = j->notice_id, .at = now, .text = text, .attachments = att,
			.hash = hash, .etag = res->etag, .last_modified = res->last_modified,
		};
		char *diff = NULL;

		struct hash_piece v[] = {{text, strlen(text) + 1}, {att, strlen(att)}};

		hash_sha256_hexv(v, 2, hash);
		if (j->hash && !strcmp(j->hash, hash)) {
			free(text);
			free(att);
			if (store_detail_checked(d->st, j->notice_id, now, NULL, err, sizeof(err)) < 0)
				goto store_failed;
			return;
		}
		struct parse_facts was, now_facts;
		char facts_diff[1024], *facts = run_record_facts(text, j->title, j->date, &now_facts);

		sd.facts = facts;
		if (j->hash) {
			char *old_text, *old_att, path[300];
			if (store_detail_get(d->st, j->notice_id, &old_text, &old_att, err,
			                     sizeof(err)) < 0) {
				free(facts);
				free(text);
				free(att);
				goto store_failed;
			}
			if (old_text) {
				char *a = report_tree_detail(d->cfg, j->source_id, j->title, j->date, j->link,
				                        old_text, old_att ? old_att : "");
				char *b = report_tree_detail(d->cfg, j->source_id, j->title, j->date, j->link,
				                        text, att);
				report_tree_path(j->source_id, j->date, j->link, path, sizeof(path));
				diff = a && b ? notify_text_diff(a, b, path) : NULL;
				free(a);
				free(b);
				free(run_record_facts(old_text, j->title, j->date, &was));
				if (diff && parse_facts_diff(&was, &now_facts, facts_diff,
				                             sizeof(facts_diff)) > 0)
					sd.facts_diff = facts_diff;
			}
			free(old_text);
			free(old_att);
		}
		sd.diff = diff;
		msg_info("%s: detail page %s %s", j->source_id, j->link,
		         diff ? "changed" : "stored");
		if (store_detail_save(d->st, d->run_id, &sd, d->fn, d->payload, err, sizeof(err)) < 0) {
			free(facts);
			free(diff);
			free(text);
			free(att);
			goto store_failed;
		}
		free(facts);
		free(diff);
		free(text);
		free(att);
		return;
	}
	/* a detail page that fails is retried next run; the notice stays */
	d->failed++;
	msg_info("%s: detail page %s: %s", j->source_id, j->link,
	         res->code == FETCH_ERROR ? res->error : err);
	if (store_detail_checked(d->st, j->notice_id, now,
	                         res->code == FETCH_ERROR ? res->error : err, err,
	                         sizeof(err)) < 0)
		goto store_failed;
	return;
store_failed:
	error("%s", err);
	d->fatal = 1;
}

int
run_details(const struct config *cfg, struct store *st, int64_t run_id,
                struct fetch_cookies *cookies, char **only, int nonly, store_event_fn fn,
                void *payload)
{
	struct details d = {.cfg = cfg, .st = st, .run_id = run_id, .only = only,
	                    .nonly = nonly, .fn = fn, .payload = payload};
	struct fetch_request *reqs = NULL;
	struct fetch_options opt;
	char err[512];
	int rv = -1;

	if (cfg->git.detail_days == 0)
		return 0;
	buf_init(&d.jobs, SIZE_MAX);
	if (store_details_due(st, (int64_t)time(NULL) - cfg->git.detail_days * 86400,
	                      collect_job, &d, err, sizeof(err)) < 0) {
		error("%s", err);
		goto out;
	}
	if (d.oom) {
		error("out of memory");
		goto out;
	}
	reqs = calloc(d.n ? d.n : 1, sizeof(*reqs));
	if (!reqs) {
		error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < d.n; i++) {
		run_read_request(d.v[i].src, &reqs[i]);   /* as the source's list is fetched */
		reqs[i].url = d.v[i].link;
		reqs[i].etag = d.v[i].hash ? d.v[i].etag : NULL;
		reqs[i].last_modified = d.v[i].hash ? d.v[i].last_modified : NULL;
	}
	run_read_options(cfg, &opt);
	opt.cookies = cookies;  /* the run's jar: what the list pages set */
	opt.raw = 1;            /* a document is hashed as it came; a page decoded here */
	if (d.n && fetch_run(reqs, d.n, &opt, on_detail, &d, err, sizeof(err)) < 0) {
		error("%s", err);
		goto out;
	}
	rv = d.fatal ? -1 : d.failed;
out:
	for (size_t i = 0; i < d.n; i++) {
		free(d.v[i].source_id);
		free(d.v[i].link);
		free(d.v[i].title);
		free(d.v[i].date);
		free(d.v[i].etag);
		free(d.v[i].last_modified);
		free(d.v[i].hash);
	}
	buf_free(&d.jobs);
	free(reqs);
	return rv;
}

