/* check --all: every enabled source read once, as a run reads it, and
 * judged; nothing stored. */
#include "run/run.h"
#include "base/msg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		w->relevant += parse_relevant(it->title, config_include(c->cfg, r->src),
		                              config_exclude(c->cfg, r->src)) != 0;
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
	msg_pad("ID", idw + 2);
	printf("%-5s%6s%6s  %-11s%8s  %-8s %s\n", "HTTP", "ITEMS", "DATED", "NEWEST",
	       "RELEVANT", "VERDICT", "ADDRESS");
	for (size_t i = 0; i < c->total; i++) {
		const struct read_job *r = &c->reads[i];
		const struct check_row *w = &c->rows[i];
		char http[24] = "-";    /* a long in decimal */

		if (r->status > 0)
			snprintf(http, sizeof(http), "%ld", r->status);
		msg_pad(r->src->id, idw + 2);
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

enum run_status
run_check_all(const struct config *cfg, int json)
{
	struct check_all c = {.cfg = cfg};
	struct fetch_cookies *cookies = NULL;
	enum run_status status = RUN_OK;
	char err[512];

	if (cfg->stale_days > 0)
		run_days_before((int64_t)time(NULL), cfg->stale_days, c.stale_before);
	c.reads = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*c.reads));
	c.rows = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*c.rows));
	cookies = fetch_cookies_new();
	if (!c.reads || !c.rows || !cookies) {
		error("out of memory");
		status = RUN_FAILED;
		goto out;
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		if (!cfg->sources[i].enabled)
			continue;
		c.rows[c.total].verdict = "failing";    /* until read */
		c.reads[c.total].describe = 1;
		c.reads[c.total++].src = &cfg->sources[i];
	}
	if (run_read(cfg, c.reads, c.total, cookies, on_checked, &c, err, sizeof(err)) < 0) {
		msg_progress_end();
		error("%s", err);
		status = RUN_FAILED;
		goto out;
	}
	msg_progress_end();
	if (json ? check_all_json(&c) < 0 : (check_all_text(&c), 0)) {
		error("out of memory");
		status = RUN_FAILED;
	}
	for (size_t i = 0; i < c.total; i++)
		if (strcmp(c.rows[i].verdict, "ok"))
			status = RUN_FAILED;
out:
	for (size_t i = 0; c.reads && i < c.total; i++) {
		run_read_clear(&c.reads[i]);
		free(c.rows[i].list);
	}
	free(c.reads);
	free(c.rows);
	fetch_cookies_free(cookies);
	return status;
}

