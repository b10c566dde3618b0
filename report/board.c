/* The status board: text, Markdown, HTML. */
#include "report/report.h"
#include "base/msg.h"
#include "parse/parse.h"

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <libxml/entities.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_COLS 80

/* One row of the board. */
struct row {
	const struct source *src;
	/* the last check (from the store) */
	int checked;
	int64_t last_check;
	long last_status;
	char *last_error;
	int failures;
	char *stale;            /* stale: its newest notice's date, else NULL */
	char *moved_to;         /* moved: the new address, else NULL */
	int64_t last_ok, last_failure;  /* the last good and failed checks, 0: none */
	char *failure_error;    /* the last failed check's error, or NULL */
	/* the latest relevant notice, or none */
	char *title, *link, *date;
	int64_t first_seen;
	/* the latest relevant notice with certificate facts, and its facts */
	char *ftitle, *flink, *fdate;
	int64_t ffirst_seen;
	struct parse_facts facts;
};

struct board {
	struct row *rows;
	size_t n;
	const struct config *cfg;
	int oom;
};

static struct row *
row_of(struct board *b, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->rows[i].src->id, id))
			return &b->rows[i];
	return NULL;
}

static void
take_source(const struct store_source_row *r, void *payload)
{
	struct board *b = payload;
	struct row *w = row_of(b, r->id);

	if (!w || r->last_check <= 0)
		return;
	w->checked = 1;
	w->last_check = r->last_check;
	w->last_status = r->last_status;
	w->failures = r->failures;
	if (r->last_error && !(w->last_error = strdup(r->last_error)))
		b->oom = 1;
	if (r->stale && !(w->stale = strdup(r->newest ? r->newest : "-")))
		b->oom = 1;
	if (r->moved_to && !(w->moved_to = strdup(r->moved_to)))
		b->oom = 1;
	w->last_ok = r->last_ok;
	w->last_failure = r->last_failure;
	if (r->last_failure_error && !(w->failure_error = strdup(r->last_failure_error)))
		b->oom = 1;
}

/* The facts a notice's JSON object holds into f; how many. */
static int
take_facts(const char *json, struct parse_facts *f)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
		{"form", offsetof(struct parse_facts, form), sizeof(f->form)},
		{"from", offsetof(struct parse_facts, from), sizeof(f->from)},
		{"to", offsetof(struct parse_facts, to), sizeof(f->to)},
		{"how", offsetof(struct parse_facts, how), sizeof(f->how)},
		{"place", offsetof(struct parse_facts, place), sizeof(f->place)},
		{"condition", offsetof(struct parse_facts, condition), sizeof(f->condition)},
	};
	json_t *o = json ? json_loads(json, 0, NULL) : NULL;
	int n = 0;

	memset(f, 0, sizeof(*f));
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *v = json_string_value(json_object_get(o, keys[k].key));
		if (v && *v) {
			snprintf((char *)f + keys[k].off, keys[k].len, "%s", v);
			n++;
		}
	}
	json_decref(o);
	return n;
}

/* Rows come newest first: the first one of a source that was not removed
 * is its latest. */
static void
take_notice(const struct store_notice_row *r, void *payload)
{
	struct board *b = payload;
	struct row *w = row_of(b, r->source_id);

	if (!w || (r->gone && !strcmp(r->gone, "removed")))
		return;
	if (!w->ftitle && take_facts(r->facts, &w->facts) > 0) {
		w->ftitle = strdup(r->title);
		w->flink = strdup(r->link);
		w->fdate = strdup(r->date);
		w->ffirst_seen = r->first_seen;
		if (!w->ftitle || !w->flink || !w->fdate)
			b->oom = 1;
	}
	if (w->title)
		return;
	w->title = strdup(r->title);
	w->link = strdup(r->link);
	w->date = strdup(r->date);
	w->first_seen = r->first_seen;
	if (!w->title || !w->link || !w->date)
		b->oom = 1;
}

static void
board_free(struct board *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rows[i].last_error);
		free(b->rows[i].stale);
		free(b->rows[i].moved_to);
		free(b->rows[i].failure_error);
		free(b->rows[i].title);
		free(b->rows[i].link);
		free(b->rows[i].date);
		free(b->rows[i].ftitle);
		free(b->rows[i].flink);
		free(b->rows[i].fdate);
	}
	free(b->rows);
}

static int
board_load(struct board *b, const struct config *cfg, struct store *st)
{
	char err[512];

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->rows = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*b->rows));
	if (!b->rows) {
		error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->nsources; i++)
		b->rows[b->n++].src = &cfg->sources[i];
	if (store_sources(st, take_source, b, err, sizeof(err)) < 0 ||
	    store_notices(st, NULL, NULL, 0, take_notice, b, err, sizeof(err)) < 0) {
		error("%s", err);
		board_free(b);
		return -1;
	}
	if (b->oom) {
		error("out of memory");
		board_free(b);
		return -1;
	}
	return 0;
}

/* Days from the notice's date (or, undated, the day it was first seen) to
 * now, in local days; -1 without a notice. */
static long
days_since(const struct row *r, int64_t now)
{
	struct tm a = {0}, b;
	time_t t = (time_t)now;

	if (!r->title)
		return -1;
	if (r->date[0] && sscanf(r->date, "%d-%d-%d", &a.tm_year, &a.tm_mon, &a.tm_mday) == 3) {
		a.tm_year -= 1900;
		a.tm_mon -= 1;
	} else {
		time_t f = (time_t)r->first_seen;
		localtime_r(&f, &a);
		a.tm_hour = a.tm_min = a.tm_sec = 0;
	}
	localtime_r(&t, &b);
	b.tm_hour = b.tm_min = b.tm_sec = 0;
	/* both as UTC midnights: whole days, whatever the zone's offsets */
	return (long)((timegm(&b) - timegm(&a)) / 86400);
}

/* The notice's date, or the day it was first seen. */
static void
notice_day(const struct row *r, char *buf, size_t len)
{
	time_t f = (time_t)r->first_seen;
	struct tm tm;

	if (r->date[0]) {
		snprintf(buf, len, "%s", r->date);
		return;
	}
	localtime_r(&f, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* YYYY-MM-DD as days since 1970; -1 when it is not such a date. */
static long
day_number(const char *ymd)
{
	struct tm tm = {0};
	char end;

	if (strlen(ymd) != 10 ||
	    sscanf(ymd, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &end) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long)(timegm(&tm) / 86400);
}

/* The local day of now, as days since 1970. */
static long
today_number(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (long)(timegm(&tm) / 86400);
}

/* The window's state on the day of now: "open until 11-30, 5 days left",
 * "opens in 3 days", "closed"; "" when no date says. */
static void
window_state(const struct parse_facts *f, int64_t now, char *out, size_t len)
{
	long today = today_number(now), from = day_number(f->from), to = day_number(f->to);

	*out = '\0';
	if (from >= 0 && today < from)
		snprintf(out, len, ngettext("opens in %ld day", "opens in %ld days",
		                            (unsigned long)(from - today)), from - today);
	else if (to >= 0 && today > to)
		snprintf(out, len, "%s", _("closed"));
	else if (to >= 0)
		snprintf(out, len, ngettext("open until %s, %ld day left", "open until %s, %ld days left",
		                            (unsigned long)(to - today)), f->to + 5, to - today);
	else if (from >= 0 && today - from < 300)   /* older: the date says it */
		snprintf(out, len, _("open since %s"), f->from + 5);
}

/* The window as words: "2021-10-20 to 2021-11-30", "until 2021-11-30",
 * "from 公示期结束4个工作日后"; "" without one. */
static void
window_words(const struct parse_facts *f, char *out, size_t len)
{
	if (f->from[0] && f->to[0])
		snprintf(out, len, _("%s to %s"), f->from, f->to);
	else if (f->to[0])
		snprintf(out, len, _("until %s"), f->to);
	else if (f->from[0])
		snprintf(out, len, _("from %s"), f->from);
	else
		*out = '\0';
}

/* The board's line of facts: "paper; 2021-10-20 to 2021-11-30, open until
 * 11-30, 5 days left; in person at PLACE; CONDITION". */
/* A facts form (electronic, paper, both) in the board's language. */
static const char *
form_label(const char *form)
{
	static const char *const forms[][2] = {
		{"electronic", N_("electronic")}, {"paper", N_("paper")}, {"both", N_("both")},
	};

	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
		if (!strcmp(form, forms[k][0]))
			return _(forms[k][1]);
	return form;
}

static void
facts_line(const struct parse_facts *f, int64_t now, char *out, size_t len)
{
	char window[160], state[64];
	size_t k = 0;

	window_words(f, window, sizeof(window));
	window_state(f, now, state, sizeof(state));
#define ADD(...) (k += (size_t)snprintf(out + k, k < len ? len - k : 0, __VA_ARGS__))
	*out = '\0';
	if (f->form[0])
		ADD("%s", form_label(f->form));
	if (window[0])
		ADD("%s%s%s%s", k ? "; " : "", state[0] ? state : window, state[0] ? " (" : "",
		    state[0] ? window : "");
	if (window[0] && state[0])
		ADD(")");
	if (f->how[0] || f->place[0])
		ADD("%s%s%s%s", k ? "; " : "", f->how, f->how[0] && f->place[0] ? _(" at ") : "",
		    f->place);
	if (f->condition[0])
		ADD("%s%s", k ? "; " : "", f->condition);
#undef ADD
}

/* Where the facts came from: "2021-10-09 TITLE". */
static void
facts_source(const struct row *r, char *out, size_t len)
{
	struct row n = {.date = r->fdate, .first_seen = r->ffirst_seen};
	char day[16];

	notice_day(&n, day, sizeof(day));
	snprintf(out, len, "%s %s", day, r->ftitle);
}

/* A time as the board shows it: local, with its UTC offset
 * ("2026-11-26 13:00 +08:00"); "never" for none. */
static void
board_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char z[8];
	size_t k;

	if (t <= 0) {
		snprintf(buf, len, "%s", _("never"));
		return;
	}
	report_local_time(t, buf, len);
	localtime_r(&tt, &tm);
	k = strlen(buf);
	/* strftime's %z says +0800: RFC 3339 writes +08:00 */
	if (strftime(z, sizeof(z), "%z", &tm) == 5)
		snprintf(buf + k, len > k ? len - k : 0, " %.3s:%s", z, z + 3);
}

/* Whether the row's latest notice was first seen within the last 7 days. */
static int
is_new(const struct row *r, int64_t now)
{
	return r->title && r->first_seen > now - 7 * 86400;
}

/* The last good check and the last failed one, apart: "T" and
 * "T (ERROR)" ("never" where none). */
static void
checks_words(const struct row *r, char *ok, size_t oklen, char *failed, size_t flen)
{
	char t[48];

	board_time(r->last_ok, ok, oklen);
	board_time(r->last_failure, t, sizeof(t));
	if (r->last_failure > 0 && r->failure_error)
		snprintf(failed, flen, "%s (%s)", t, r->failure_error);
	else
		snprintf(failed, flen, "%s", t);
}

enum { ST_OFF, ST_UNCHECKED, ST_FAILING, ST_OK };

static int
status_of(const struct row *r)
{
	if (!r->src->enabled)
		return ST_OFF;
	if (!r->checked)
		return ST_UNCHECKED;
	return r->failures > 0 || r->last_error ? ST_FAILING : ST_OK;
}

static const char *const status_words[] = {N_("off"), N_("unchecked"), N_("FAILING"),
                                           N_("ok")};

int
report_web_link(const char *link)
{
	return link && (!strncmp(link, "http://", 7) || !strncmp(link, "https://", 8));
}

/* ---- text ---- */

/* prefix + s, wrapped at TEXT_COLS columns (at a space where there is one
 * in the second half of the line; CJK text breaks anywhere), continuation
 * lines indented under s. */
static void
text_line(FILE *out, const char *prefix, const char *s)
{
	int indent = msg_width(prefix), room = TEXT_COLS - indent;

	fputs(prefix, out);
	do {
		size_t fit = msg_fit(s, room);
		if (fit == 0 && *s)
			fit = 1;        /* a character wider than the room: print it */
		if (s[fit]) {
			for (size_t k = fit; k > fit / 2; k--) {
				if (s[k] == ' ') {
					fit = k;
					break;
				}
			}
		}
		fprintf(out, "%.*s\n", (int)fit, s);
		s += fit;
		while (*s == ' ')
			s++;
		if (*s)
			fprintf(out, "%*s", indent, "");
	} while (*s);
}

static void
write_text(FILE *out, const struct board *b, int64_t now, int failing)
{
	char when[48], line[1024];

	board_time(now, when, sizeof(when));
	fprintf(out, _("noticewatch status board, %s: %zu sources, %d failing\n\n"), when, b->n,
	        failing);
	for (size_t i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		const char *name = r->src->name ? r->src->name : r->src->id;
		const char *word = _(status_words[status_of(r)]);
		int st = status_of(r), pad = 12 - msg_width(name), pad2 = 11 - msg_width(word);
		char check[48];

		board_time(r->checked ? r->last_check : 0, check, sizeof(check));
		snprintf(line, sizeof(line), "%s%*s%s%*s%s", name, pad > 1 ? pad : 1, "", word,
		         pad2 > 1 ? pad2 : 1, "", st == ST_OFF ? _("not watched") : check);
		if (st == ST_FAILING)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
			         ngettext(", %d failed check", ", %d failed checks",
			                  (unsigned long)r->failures), r->failures);
		text_line(out, "", line);
		if (r->checked) {
			char failed[600];
			checks_words(r, check, sizeof(check), failed, sizeof(failed));
			text_line(out, _("  last success: "), check);
			text_line(out, _("  last failure: "), failed);
		}
		if (r->title) {
			char day[16];
			notice_day(r, day, sizeof(day));
			snprintf(line, sizeof(line), _("%s (%ld days) %s"), day, days_since(r, now),
			         r->title);
			text_line(out, _("  latest: "), line);
			if (is_new(r, now)) {
				board_time(r->first_seen, check, sizeof(check));
				text_line(out, _("  NEW: first seen "), check);
			}
		} else {
			text_line(out, _("  latest: "), _("no relevant notice seen"));
		}
		if (r->ftitle) {
			facts_line(&r->facts, now, line, sizeof(line));
			text_line(out, _("  facts: "), line);
			facts_source(r, line, sizeof(line));
			text_line(out, _("    from: "), line);
		} else if (r->src->certificate) {
			text_line(out, _("  certificates: "), r->src->certificate);
		}
		if (st == ST_FAILING && r->last_error)
			text_line(out, "  ! ", r->last_error);
		if (r->stale) {
			snprintf(line, sizeof(line), _("STALE: newest notice %s"), r->stale);
			text_line(out, "  ! ", line);
		}
		if (r->moved_to) {
			snprintf(line, sizeof(line), _("MOVED to %s"), r->moved_to);
			text_line(out, "  ! ", line);
		}
		if (i + 1 < b->n)
			fputc('\n', out);
	}
}

static void html_text(FILE *out, const char *s);

/* The board's certificates cell: the facts of the latest notice with any,
 * and the notice (between before and after), else the catalog's note;
 * text written with put (escaped as the format needs). */
static void
certificates_cell(FILE *out, const struct row *r, int64_t now,
                  void (*put)(FILE *, const char *), const char *before, const char *after)
{
	char line[1024];

	if (!r->ftitle) {
		put(out, r->src->certificate ? r->src->certificate : "");
		return;
	}
	facts_line(&r->facts, now, line, sizeof(line));
	put(out, line);
	facts_source(r, line, sizeof(line));
	fputs(before, out);
	put(out, line);
	fputs(after, out);
}

/* ---- Markdown ---- */

/* Table-cell text: pipes and Markdown's marks escaped, lines joined. */
static void
md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else if (strchr("|\\`*_[]<>#", *s))
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void
write_md(FILE *out, const struct board *b, int64_t now, int failing)
{
	char when[48];

	board_time(now, when, sizeof(when));
	fprintf(out, "# %s\n\n", _("noticewatch status board"));
	fprintf(out, _("%s: %zu sources, %d failing"), when, b->n, failing);
	fprintf(out, "\n\n| %s | %s | %s | %s | %s | %s |\n|---|---|---:|---|---|---|\n",
	        _("Source"), _("Latest relevant notice"), _("Days"), _("Certificates"),
	        _("Last check"), _("Status"));
	for (size_t i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		int st = status_of(r);
		char check[48], day[16];

		fputs("| ", out);
		md_cell(out, r->src->name ? r->src->name : r->src->id);
		fputs(" | ", out);
		if (r->title) {
			notice_day(r, day, sizeof(day));
			if (is_new(r, now))
				fprintf(out, "**%s** ", _("NEW"));
			fprintf(out, "%s ", day);
			if (report_web_link(r->link) && !strpbrk(r->link, "<> ")) {
				fputc('[', out);
				md_cell(out, r->title);
				fprintf(out, "](<%s>)", r->link);
			} else {
				md_cell(out, r->title);
			}
			fprintf(out, " | %ld | ", days_since(r, now));
		} else {
			fprintf(out, "%s | | ", _("none seen"));
		}
		certificates_cell(out, r, now, md_cell, " (from ", ")");
		board_time(r->checked ? r->last_check : 0, check, sizeof(check));
		fprintf(out, " | %s", st == ST_OFF ? _("not watched") : check);
		if (r->checked) {
			char failed[600];
			checks_words(r, check, sizeof(check), failed, sizeof(failed));
			fprintf(out, "; %s %s; %s ", _("last success"), check, _("last failure"));
			md_cell(out, failed);
		}
		fputs(" | ", out);
		if (st == ST_FAILING) {
			fprintf(out, "**%s** (%d) ", _("FAILING"), r->failures);
			md_cell(out, r->last_error ? r->last_error : "");
		} else {
			fputs(_(status_words[st]), out);
		}
		if (r->stale)
			fprintf(out, "; **%s**: %s %s", _("STALE"), _("newest notice"), r->stale);
		if (r->moved_to) {
			fprintf(out, "; **%s** %s ", _("MOVED"), _("to"));
			md_cell(out, r->moved_to);
		}
		fputs(" |\n", out);
	}
}

/* ---- HTML ---- */

static void
html_text(FILE *out, const char *s)
{
	xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)s);

	fputs(e ? (const char *)e : "", out);
	xmlFree(e);
}

static const char css[] =
	"body{margin:0;padding:1rem;font:15px/1.5 system-ui,-apple-system,\"Noto Sans CJK SC\","
	"\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;color:#1d2327;"
	"background:#f6f7f7}"
	"h1{font-size:1.35rem;margin:0 0 .25rem}"
	".meta{color:#50575e;margin:0 0 1rem}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid "
	"#dcdcde}"
	"th{background:#eef0f1;font-weight:600;white-space:nowrap}"
	"td.days{text-align:right;white-space:nowrap}"
	"a{color:#0a4b78;word-break:break-all}"
	"small{display:block;color:#646970}"
	".badge{display:inline-block;padding:0 .45rem;border-radius:.25rem;font-weight:600;"
	"white-space:nowrap}"
	".b-ok{background:#d7f0dd;color:#0a5c1d}"
	".b-off,.b-unchecked{background:#e5e5e5;color:#50575e}"
	".b-failing{background:#b32d2e;color:#fff}"
	".b-new{background:#fcd34d;color:#4a3300}"
	"td.new{background:#fffbe6}"
	"tr.row-failing td{background:#fcf0f1}"
	"tr.row-failing td:first-child{border-left:4px solid #b32d2e}"
	"@media (max-width:700px){thead{display:none}"
	"table,tbody,tr,td{display:block;width:auto}"
	"tr{margin:0 0 .75rem;border:1px solid #dcdcde;border-radius:.4rem;overflow:hidden}"
	"td{border:0;padding:.3rem .7rem}"
	"td::before{content:attr(data-label);display:block;font-size:.75rem;color:#646970}"
	"td.days{text-align:left}}";

static void
write_html(FILE *out, const struct board *b, int64_t now, int failing)
{
	char when[48];
	static const char *const classes[] = {"off", "unchecked", "failing", "ok"};
	static const char *const labels[] = {N_("not watched"), N_("not checked yet"),
	                                     N_("failing"), N_("ok")};
	const char *title = _("noticewatch status board");

	board_time(now, when, sizeof(when));
	/* TRANSLATORS: the language's tag, as HTML's lang attribute takes it */
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<h1>%s</h1>\n"
	             "<p class=\"meta\">", _("en"), title, css, title);
	fprintf(out, _("%s · %zu sources · %d failing"), when, b->n, failing);
	fprintf(out, "</p>\n<table>\n<thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	             "<th>%s</th><th>%s</th></tr></thead>\n<tbody>\n", _("Source"),
	        _("Latest relevant notice"), _("Days"), _("Certificates"), _("Last check"),
	        _("Status"));
	for (size_t i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		int st = status_of(r);
		char check[48], failed[600], day[16];

		fprintf(out, "<tr class=\"row-%s\" id=\"", classes[st]);
		html_text(out, r->src->id);
		fprintf(out, "\"><td data-label=\"%s\">", _("Source"));
		html_text(out, r->src->name ? r->src->name : r->src->id);
		if (r->src->authority) {
			fputs("<small>", out);
			html_text(out, r->src->authority);
			fputs("</small>", out);
		}
		fprintf(out, "</td><td class=\"notice%s\" data-label=\"%s\">",
		        is_new(r, now) ? " new" : "", _("Latest relevant notice"));
		if (r->title) {
			notice_day(r, day, sizeof(day));
			fputs("<small>", out);
			if (is_new(r, now))
				fprintf(out, "<span class=\"badge b-new\">%s</span> ", _("NEW"));
			fprintf(out, "%s</small>", day);
			if (report_web_link(r->link)) {
				fputs("<a href=\"", out);
				html_text(out, r->link);
				fputs("\">", out);
				html_text(out, r->title);
				fputs("</a>", out);
			} else {
				html_text(out, r->title);
			}
			fprintf(out, "</td><td class=\"days\" data-label=\"%s\">%ld", _("Days since"),
			        days_since(r, now));
		} else {
			fprintf(out, "%s</td><td class=\"days\" data-label=\"%s\">", _("none seen"),
			        _("Days since"));
		}
		fprintf(out, "</td><td data-label=\"%s\">", _("Certificates"));
		certificates_cell(out, r, now, html_text, _("<small>from "), "</small>");
		board_time(r->checked ? r->last_check : 0, check, sizeof(check));
		fprintf(out, "</td><td data-label=\"%s\">%s", _("Last check"),
		        st == ST_OFF ? "-" : check);
		if (r->checked) {
			checks_words(r, check, sizeof(check), failed, sizeof(failed));
			fprintf(out, "<small>%s: %s</small><small>%s: ", _("last success"), check,
			        _("last failure"));
			html_text(out, failed);
			fputs("</small>", out);
		}
		fprintf(out, "</td><td data-label=\"%s\"><span class=\"badge b-%s\">", _("Status"),
		        classes[st]);
		if (st == ST_FAILING)
			fputs("✖ ", out);
		fprintf(out, "%s</span>", _(labels[st]));
		if (st == ST_FAILING) {
			fputs("<small>", out);
			fprintf(out, ngettext("%d failed check", "%d failed checks",
			                      (unsigned long)r->failures), r->failures);
			if (r->last_error) {
				fputs(": ", out);
				html_text(out, r->last_error);
			}
			fputs("</small>", out);
		}
		if (r->stale) {
			fprintf(out, "<small>%s ", _("STALE: newest notice"));
			html_text(out, r->stale);
			fputs("</small>", out);
		}
		if (r->moved_to) {
			fprintf(out, "<small>%s ", _("MOVED to"));
			html_text(out, r->moved_to);
			fputs("</small>", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", out);
}

/* ---- the article ---- */

/* One source's facts in a sentence or two: "Paper certificates, in person
 * at PLACE, 2021-10-20 to 2021-11-30 (closed). First: CONDITION." */
static void
article_facts(FILE *out, const struct parse_facts *f, int64_t now, int capital)
{
	static const char *const forms[][2] = {
		{"paper", "paper certificates"}, {"electronic", "electronic certificates"},
		{"both", "paper and electronic certificates"}};
	const char *form = "certificates";
	char window[160], state[64];

	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
		if (!strcmp(f->form, forms[k][0]))
			form = forms[k][1];
	window_words(f, window, sizeof(window));
	window_state(f, now, state, sizeof(state));
	fprintf(out, "%c%s", capital ? form[0] - 'a' + 'A' : form[0], form + 1);
	if (f->how[0])
		fprintf(out, ", %s", f->how);
	if (f->place[0])
		fprintf(out, " at %s", f->place);
	if (window[0])
		fprintf(out, ", %s", window);
	if (state[0])
		fprintf(out, " (%s)", state);
	fputs(".", out);
	if (f->condition[0])
		fprintf(out, " First: %s.", f->condition);
	fputc('\n', out);
}

static void
write_article(FILE *out, const struct board *b, int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	char today[16];

	localtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	fprintf(out, "# Certificates, as the notices say\n\n"
	             "Written by noticewatch on %s from the latest relevant notice of each of "
	             "%zu sources.\n", today, b->n);
	for (size_t i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		char day[16];

		fputs("\n## ", out);
		md_cell(out, r->src->name ? r->src->name : r->src->id);
		fputs("\n\n", out);
		if (!r->ftitle) {
			fputs("No certificate notice read yet.", out);
			if (r->src->certificate) {
				fputs(" The catalog says: ", out);
				md_cell(out, r->src->certificate);
			}
			fputc('\n', out);
			continue;
		}
		facts_source(r, day, sizeof(day));     /* its day, first */
		day[10] = '\0';
		if (strncmp(day, today, 4)) {
			fprintf(out, "Nothing yet this year. %s (%.4s): ",
			        atoi(day) + 1 == atoi(today) ? "Last year's" : "Latest", day);
			article_facts(out, &r->facts, now, 0);
		} else {
			article_facts(out, &r->facts, now, 1);
		}
		fputs("\nNotice: ", out);
		if (report_web_link(r->flink) && !strpbrk(r->flink, "<> ")) {
			fputc('[', out);
			md_cell(out, r->ftitle);
			fprintf(out, "](<%s>)", r->flink);
		} else {
			md_cell(out, r->ftitle);
		}
		fprintf(out, ", %s.\n", day);
	}
}

int
report_write(FILE *out, enum report_format fmt, const struct config *cfg, struct store *st,
             int64_t now)
{
	struct board b;
	int failing = 0;

	if (board_load(&b, cfg, st) < 0)
		return -1;
	for (size_t i = 0; i < b.n; i++)
		failing += status_of(&b.rows[i]) == ST_FAILING;
	if (fmt == REPORT_ARTICLE)
		write_article(out, &b, now);
	else if (fmt == REPORT_HTML)
		write_html(out, &b, now, failing);
	else if (fmt == REPORT_MD)
		write_md(out, &b, now, failing);
	else
		write_text(out, &b, now, failing);
	board_free(&b);
	return 0;
}
