/* Views of the store on standard output: the sources table, the notices
 * (text, JSON, CSV), the event log and the outbox. */
#include "report/report.h"
#include "base/msg.h"
#include "notify/notify.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
report_local_time(int64_t t, char *buf, size_t len)
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


/* One source's row; note: "not in config" or NULL. */
static void
source_line(const char *id, const char *name, const struct store_source_row *r, int idw,
            int namew, const char *note)
{
	char check[32], change[32], result[32];

	report_local_time(r ? r->last_check : 0, check, sizeof(check));
	report_local_time(r ? r->last_change : 0, change, sizeof(change));
	if (!r || r->last_check == 0)
		snprintf(result, sizeof(result), "-");
	else if (r->last_error)
		snprintf(result, sizeof(result), "%s", _("error"));
	else
		snprintf(result, sizeof(result), "%ld", r->last_status);
	msg_pad(id, idw + 2);
	msg_pad(name, namew + 2);
	printf("%-17s%-7s%-17s%5d %7lld", check, result, change, r ? r->failures : 0,
	       r ? (long long)r->notices : 0LL);
	if (note)
		printf("  %s", note);
	if (r && r->last_error)
		printf("  %s", r->last_error);
	if (r && r->stale)
		printf(_("  stale: newest notice %s"), r->newest ? r->newest : "-");
	if (r && r->moved_to)
		printf(_("  moved to %s"), r->moved_to);
	putchar('\n');
}

int
report_sources(const struct config *cfg, struct store *st)
{
	struct rows rows = {0};
	char err[512];
	int rv = 0, idw = 2, namew = 4;

	if (store_sources(st, collect_source, &rows, err, sizeof(err)) < 0 || rows.oom) {
		error("%s", rows.oom ? "out of memory" : err);
		rv = -1;
	}
	for (size_t i = 0; rv == 0 && i < cfg->nsources; i++) {
		int w = msg_width(cfg->sources[i].id) + (cfg->sources[i].enabled ? 0 : 6);
		idw = w > idw ? w : idw;
		if (cfg->sources[i].name && msg_width(cfg->sources[i].name) > namew)
			namew = msg_width(cfg->sources[i].name);
	}
	if (rv == 0) {
		if (msg_width(C_("sources column", "ID")) > idw)
			idw = msg_width(C_("sources column", "ID"));
		if (msg_width(_("NAME")) > namew)
			namew = msg_width(_("NAME"));
		msg_pad(C_("sources column", "ID"), idw + 2);
		msg_pad(_("NAME"), namew + 2);
		msg_pad(_("LAST CHECK"), 17);
		msg_pad(_("RESULT"), 7);
		msg_pad(_("LAST CHANGE"), 17);
		printf("%5s %7s\n", _("FAILS"), _("NOTICES"));
	}
	for (size_t i = 0; rv == 0 && i < cfg->nsources; i++) {
		const struct source *s = &cfg->sources[i];
		const struct store_source_row *r = NULL;
		char id[80];

		for (size_t k = 0; k < rows.n; k++)
			if (!strcmp(rows.v[k].id, s->id))
				r = &rows.v[k];
		if (s->enabled)
			snprintf(id, sizeof(id), "%s", s->id);
		else
			snprintf(id, sizeof(id), _("%s (off)"), s->id);
		source_line(id, s->name ? s->name : "", r, idw, namew, NULL);
	}
	/* stored, but no longer configured: until noticewatch forget ID */
	for (size_t k = 0; rv == 0 && k < rows.n; k++)
		if (!config_source(cfg, rows.v[k].id))
			source_line(rows.v[k].id, rows.v[k].name ? rows.v[k].name : "", &rows.v[k],
			            idw, namew, _("not in config"));
	for (size_t k = 0; k < rows.n; k++)
		row_free(&rows.v[k]);
	free(rows.v);
	return rv;
}


struct notices_ctx {
	int format;
	int bom;                /* csv for spreadsheets */
	json_t *array;
	int oom;
};

/* One cell; guard: one that starts with =, +, - or @ is written with a '
 * first, so that a spreadsheet shows it as text and runs no formula. */
static void
csv_field(const char *s, int guard, int last)
{
	int quote = !!strpbrk(s, ",\"\r\n");

	if (quote)
		putchar('"');
	if (guard && *s && strchr("=+-@", *s))
		putchar('\'');
	if (quote) {
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

void
report_utc_time(int64_t t, char *buf, size_t len)
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

	report_utc_time(r->first_seen, first, sizeof(first));
	report_utc_time(r->last_seen, last, sizeof(last));
	if (r->removed_at)
		report_utc_time(r->removed_at, removed, sizeof(removed));
	if (nc->format == REPORT_LIST_JSON) {
		json_t *facts = r->facts ? json_loads(r->facts, 0, NULL) : NULL;
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o}",
		                      "source", r->source_id, "title", r->title, "link", r->link,
		                      "date", r->date, "relevant", r->relevant, "first_seen", first,
		                      "last_seen", last, "removed_at",
		                      r->removed_at ? json_string(removed) : json_null(), "facts",
		                      json_is_object(facts) ? json_incref(facts) : json_object());

		json_decref(facts);
		if (!o || json_array_append_new(nc->array, o) < 0)
			nc->oom = 1;
	} else if (nc->format == REPORT_LIST_CSV) {
		csv_field(r->source_id, nc->bom, 0);
		csv_field(r->date, nc->bom, 0);
		csv_field(r->title, nc->bom, 0);
		csv_field(r->link, nc->bom, 0);
		csv_field(r->relevant ? "1" : "0", nc->bom, 0);
		csv_field(first, nc->bom, 0);
		csv_field(last, nc->bom, 0);
		csv_field(removed, nc->bom, 1);
	} else {
		printf("%s %-10s ", r->date[0] ? r->date : "-         ", r->source_id);
		if (r->removed_at)
			fputs("(removed) ", stdout);
		printf("%s %s\n", r->title, r->link);
	}
}


int
report_notices(struct store *st, enum report_list format, const char *source,
               const char *since, int all, int bom)
{
	struct notices_ctx nc = {.format = format, .bom = bom};
	char err[512];
	int rv = 0;

	if (nc.format == REPORT_LIST_JSON && !(nc.array = json_array()))
		return error("out of memory");
	if (nc.format == REPORT_LIST_CSV && bom)
		fputs("\xef\xbb\xbf", stdout);   /* UTF-8, as a spreadsheet tells it */
	if (nc.format == REPORT_LIST_CSV)
		fputs("source,date,title,link,relevant,first_seen,last_seen,removed_at\r\n", stdout);
	if (store_notices(st, source, since, all, print_notice, &nc, err, sizeof(err)) < 0) {
		error("%s", err);
		rv = -1;
	} else if (nc.oom) {
		error("out of memory");
		rv = -1;
	} else if (nc.format == REPORT_LIST_JSON) {
		/* a write that fails is msg_finish's to report */
		if (json_dumpf(nc.array, stdout, JSON_INDENT(2)) < 0 && !ferror(stdout)) {
			error("out of memory");
			rv = -1;
		}
		putchar('\n');
	}
	json_decref(nc.array);
	return rv;
}

/* " (what changed)" (notify_change_note), or nothing. */
static void
print_note(const struct notify_event *ev)
{
	struct buf note;

	buf_init(&note, SIZE_MAX);
	if (notify_change_note(&note, ev))
		printf(" (%s)", buf_str(&note));
	buf_free(&note);
}

static void
print_event(const struct store_event *e, void *payload)
{
	char when[32];

	(void)payload;
	report_local_time(e->at, when, sizeof(when));
	printf("%s %-7s %s %s", when, notify_kind_label(e->kind), e->source_id,
	       e->date[0] ? e->date : "-");
	if (e->relevant)
		fputs(" *", stdout);
	printf(" %s", e->title);
	print_note(&(struct notify_event){.title = e->title, .old_title = e->old_title,
	                                  .date = e->date, .old_date = e->old_date,
	                                  .diff = e->diff, .facts = e->facts});
	printf(" %s\n", e->link);
	if (e->diff && *e->diff)        /* a detail text's change: its diff below */
		fputs(e->diff, stdout);
}

/* events [ID], and its alias history [ID]; history --rebuild rewrites the
 * git history (the name 'history' means that repository). */

int
report_events(struct store *st, const char *source)
{
	char err[512];

	if (store_events(st, source, print_event, NULL, err, sizeof(err)) < 0)
		return error("%s", err);
	return 0;
}

/* "in 25 min", "in 3 h", or "at the next run" (due) */
static void
next_try(int64_t next, int64_t now, char *buf, size_t len)
{
	int64_t left = next - now;

	if (next <= 0 || left <= 0)
		snprintf(buf, len, "%s", _("at the next run"));
	else if (left <= 90 * 60)
		snprintf(buf, len, _("in %lld min"), (long long)((left + 59) / 60));
	else
		snprintf(buf, len, _("in %lld h"), (long long)((left + 3599) / 3600));
}

/* What became of a row: queued, failed (when it is tried next), dead,
 * dropped or delivered. */
static void
outbox_state(const struct store_outbox_row *r, int64_t now, char *buf, size_t len)
{
	char when[32];

	if (r->dropped_at) {
		report_local_time(r->dropped_at, when, sizeof(when));
		snprintf(buf, len, _("dropped %s"), when);
	} else if (r->delivered_at) {
		report_local_time(r->delivered_at, when, sizeof(when));
		snprintf(buf, len, _("delivered %s"), when);
	} else if (r->dead_at) {
		report_local_time(r->dead_at, when, sizeof(when));
		snprintf(buf, len, ngettext("dead since %s, after %d attempt",
		                            "dead since %s, after %d attempts",
		                            (unsigned long)r->attempts), when, r->attempts);
	} else if (r->attempts == 0) {
		snprintf(buf, len, "%s", _("queued"));
	} else {
		next_try(r->next_attempt, now, when, sizeof(when));
		snprintf(buf, len, ngettext("failed %d time, next try %s",
		                            "failed %d times, next try %s",
		                            (unsigned long)r->attempts), r->attempts, when);
	}
}

struct outbox_ctx {
	int64_t now;
	size_t rows;
};

/* One line per row: ID, the event, its channel, what became of it and
 * the last error, shortened. */
static void
print_outbox(const struct store_outbox_row *r, void *payload)
{
	struct outbox_ctx *c = payload;
	char state[96];
	const char *e = r->last_error;

	c->rows++;
	outbox_state(r, c->now, state, sizeof(state));
	printf("%-5lld %s %s", (long long)r->id, _(notify_kind_label(r->kind)), r->source_id);
	if (r->date && r->date[0])
		printf(" %s", r->date);
	if (r->title)
		printf(" %s", r->title);
	print_note(&(struct notify_event){.title = r->title, .old_title = r->old_title,
	                                  .date = r->date, .old_date = r->old_date,
	                                  .diff = r->diff, .facts = r->facts});
	/* an alert's cause, its first line */
	if (r->detail)
		printf(": %.*s", (int)strcspn(r->detail, "\n"), r->detail);
	printf(" → %s  %s", r->channel, state);
	if (e && !r->delivered_at && !r->dropped_at) {
		size_t n = msg_cut(e, 60);
		printf(": %.*s%s", (int)n, e, e[n] ? "…" : "");
	}
	putchar('\n');
}

int
report_outbox(struct store *st, int all)
{
	char err[512];
	struct outbox_ctx c = {.now = (int64_t)time(NULL)};

	if (store_outbox_list(st, all, print_outbox, &c, err, sizeof(err)) < 0)
		return error("%s", err);
	if (c.rows == 0)
		puts(all ? _("the outbox is empty") : _("no alert waits"));
	return 0;
}
