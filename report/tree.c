/* The git history's files: the tree (README.md, each source's
 * notices.txt, each relevant notice's text) written from the store, and
 * committed with notify/git.c, the events since the last commit as its
 * message. */
#include "report/report.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/msg.h"
#include "notify/notify.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The history's file for a notice: SOURCE/DATE-HASH8.md */
void
report_tree_path(const char *source_id, const char *date, const char *link, char *out, size_t len)
{
	char h[65];

	hash_sha256_hex(link, strlen(link) + 1, h);
	snprintf(out, len, "%s/%s-%.8s.md", source_id, date && *date ? date : "undated", h);
}

/* A detail page as the history shows it (and as its diffs read). */
char *
report_tree_detail(const struct config *cfg, const char *source_id, const char *title,
              const char *date, const char *link, const char *text, const char *attachments)
{
	const struct source *src = config_source(cfg, source_id);
	const char *name = src && src->name ? src->name : source_id;
	size_t n = strlen(title) + strlen(name) + strlen(source_id) + strlen(link) +
	           strlen(text) + strlen(attachments) * 2 + 256;
	char *out = malloc(n);
	size_t k;

	if (!out)
		return NULL;
	k = (size_t)snprintf(out, n, "# %s\n\n- 来源: %s (%s)\n- 日期: %s\n- 链接: %s\n\n%s",
	                     title, name, source_id, date && *date ? date : "-", link, text);
	if (*attachments) {
		const char *p = attachments;
		k += (size_t)snprintf(out + k, n - k, "\n## 附件\n\n");
		while (*p && k < n) {
			const char *e = strchr(p, '\n');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			k += (size_t)snprintf(out + k, n - k, "- %.*s\n", (int)l, p);
			p += l + (e ? 1 : 0);
		}
	}
	return out;
}

/* A detail link that answers with a file, not a page: by its name (either
 * link) or its Content-Type, unless the body is markup whatever its label. */

/* ---- the tree ---- */

/* The tree's files, path and data owned (freed with files_free). */
struct files {
	struct buf v;           /* struct notify_file */
	int oom;
};

#define FILES(f) ((struct notify_file *)(f)->v.p)
#define NFILES(f) ((f)->v.len / sizeof(struct notify_file))

/* Takes ownership of path and data. */
static void
add_file(struct files *f, char *path, char *data)
{
	struct notify_file *x = path && data && !f->oom ? buf_grow(&f->v, sizeof(*x)) : NULL;

	if (!x) {
		free(path);
		free(data);
		f->oom = 1;
		return;
	}
	*x = (struct notify_file){path, data, strlen(data)};
}

static void
files_free(struct files *f)
{
	for (size_t i = 0; i < NFILES(f); i++) {
		free((char *)FILES(f)[i].path);
		free((char *)FILES(f)[i].data);
	}
	buf_free(&f->v);
}

struct line {
	char *date, *title, *link;
	int relevant;
};

struct lines {
	struct buf b;           /* struct line */
	struct line *v;         /* b's elements, once collected */
	size_t n;
	int oom;
};

static void
collect_notice(const struct store_notice_row *r, void *payload)
{
	struct lines *l = payload;
	struct line *x;

	if (r->removed_at || l->oom)
		return;
	if (!(x = buf_grow(&l->b, sizeof(*x)))) {
		l->oom = 1;
		return;
	}
	l->v = (struct line *)l->b.p;
	l->n = l->b.len / sizeof(*x);
	x->date = strdup(r->date);
	x->title = strdup(r->title);
	x->link = strdup(r->link);
	x->relevant = r->relevant;
	if (!x->date || !x->title || !x->link)
		l->oom = 1;
}

/* newest first, then by link: a change is a one-line diff */
static int
by_date_link(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = strcmp(y->date, x->date);

	return c ? c : strcmp(x->link, y->link);
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].date);
		free(l->v[i].title);
		free(l->v[i].link);
	}
	buf_free(&l->b);
	l->v = NULL;
	l->n = 0;
}

/* Markdown table cells: no '|' or line breaks from a title. */
static void
cell(struct buf *t, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_addstr(t, "\\|");
		else if (*s == '\n' || *s == '\r')
			buf_addstr(t, " ");
		else
			buf_add(t, s, 1);
	}
}

struct detail_files {
	const struct config *cfg;
	struct files *files;
};

/* The page with a "- facts: form paper; to 2021-11-30; ..." line after its
 * link line, so that git log -p shows when a fact changed; NULL when out
 * of memory. */
static char *
with_facts(char *page, const char *facts)
{
	json_t *o = facts ? json_loads(facts, 0, NULL) : NULL, *v;
	const char *key, *sep = "", *at = page ? strstr(page, "\n- 链接: ") : NULL;
	struct buf t;
	char *out;

	if (!json_is_object(o) || !json_object_size(o) || !at || !(at = strchr(at + 1, '\n'))) {
		json_decref(o);
		return page;
	}
	buf_init(&t, SIZE_MAX);
	buf_add(&t, page, (size_t)(at + 1 - page));
	buf_addstr(&t, "- facts:");
	json_object_foreach(o, key, v) {
		buf_printf(&t, "%s %s %s", sep, key, json_is_string(v) ? json_string_value(v) : "");
		sep = ";";
	}
	buf_printf(&t, "\n%s", at + 1);
	json_decref(o);
	free(page);
	out = buf_take(&t, NULL);
	buf_free(&t);
	return out;
}

static void
collect_detail(const struct store_detail_text *r, void *payload)
{
	struct detail_files *df = payload;
	char path[300];

	if (!config_source(df->cfg, r->source_id))
		return;
	report_tree_path(r->source_id, r->date, r->link, path, sizeof(path));
	add_file(df->files, strdup(path),
	         with_facts(report_tree_detail(df->cfg, r->source_id, r->title, r->date, r->link,
	                                       r->text, r->attachments), r->facts));
}

static int
build_tree(const struct config *cfg, struct store *st, struct files *files)
{
	struct buf readme;
	struct detail_files df = {cfg, files};
	char err[512];

	buf_init(&readme, SIZE_MAX);
	buf_addstr(&readme, NOTIFY_GIT_MARK "\n"
	                 "Every notice of every source, and the text of each relevant one, as "
	                 "noticewatch saw them; `git log -p` shows what changed and when.\n\n"
	                 "| 来源 | id | 公告 | 最新相关公告 |\n|---|---|---|---|\n");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *s = &cfg->sources[i];
		struct lines l = {0};
		struct buf t;
		const struct line *latest = NULL;
		char path[128];

		buf_init(&l.b, SIZE_MAX);
		buf_init(&t, SIZE_MAX);
		if (store_notices(st, s->id, NULL, 1, collect_notice, &l, err, sizeof(err)) < 0 ||
		    l.oom) {
			error("%s", l.oom ? "out of memory" : err);
			lines_free(&l);
			buf_free(&readme);
			return -1;
		}
		if (l.n)        /* qsort(NULL, 0, ...) is undefined (UBSan) */
			qsort(l.v, l.n, sizeof(*l.v), by_date_link);
		for (size_t k = 0; k < l.n; k++) {
			buf_printf(&t, "%s\t%s\t%s\t%s\n", l.v[k].date[0] ? l.v[k].date : "-",
			        l.v[k].relevant ? "*" : "-", l.v[k].title, l.v[k].link);
			if (l.v[k].relevant && !latest)
				latest = &l.v[k];
		}
		buf_addstr(&readme, "| ");
		cell(&readme, s->name ? s->name : s->id);
		buf_printf(&readme, " | [%s](%s/notices.txt) | %zu | ", s->id, s->id, l.n);
		if (latest) {
			buf_printf(&readme, "%s [", latest->date[0] ? latest->date : "-");
			cell(&readme, latest->title);
			buf_printf(&readme, "](%s) |\n", latest->link);
		} else {
			buf_addstr(&readme, "- |\n");
		}
		if (l.n) {
			snprintf(path, sizeof(path), "%s/notices.txt", s->id);
			add_file(files, strdup(path), buf_take(&t, NULL));
		} else {
			buf_free(&t);
		}
		lines_free(&l);
	}
	add_file(files, strdup("README.md"), buf_take(&readme, NULL));
	if (store_details(st, collect_detail, &df, err, sizeof(err)) < 0) {
		error("%s", err);
		return -1;
	}
	if (files->oom) {
		error("out of memory");
		return -1;
	}
	return 0;
}

/* ---- the commit ---- */

/* A source in the message: its id and its new, changed, removed. */
struct tally {
	char id[65];
	int counts[3];
};

struct message {
	const struct config *cfg;
	struct buf body;
	struct buf sources;     /* struct tally, in order of appearance */
	int64_t last;
	int oom;
};

#define TALLY(m) ((struct tally *)(m)->sources.p)
#define NTALLY(m) ((m)->sources.len / sizeof(struct tally))

static void
collect_event(const struct store_event *e, void *payload)
{
	struct message *m = payload;
	const struct source *src = config_source(m->cfg, e->source_id);
	const char *name = src && src->name ? src->name : e->source_id;
	size_t k;
	int kind = !strcmp(e->kind, "new") ? 0 : !strcmp(e->kind, "changed") ? 1 : 2;

	struct tally *t;

	m->last = e->id;
	if (m->oom)
		return;
	for (k = 0; k < NTALLY(m) && strcmp(TALLY(m)[k].id, e->source_id); k++)
		;
	if (k < NTALLY(m)) {
		t = &TALLY(m)[k];
	} else if ((t = buf_grow(&m->sources, sizeof(*t)))) {
		snprintf(t->id, sizeof(t->id), "%s", e->source_id);
	} else {
		m->oom = 1;
		return;
	}
	t->counts[kind]++;
	buf_printf(&m->body, "%s %s %s %s", notify_kind_label(e->kind), name,
	           e->date[0] ? e->date : "-", e->title);
	if (e->diff)
		buf_addstr(&m->body, " (text)");
	buf_printf(&m->body, " %s", e->link);
	if (e->facts)
		buf_printf(&m->body, " (%s)", e->facts);
	buf_addstr(&m->body, "\n");
}

/* forgotten: the sources forget deleted since the last commit ("" none) */
static void
subject(struct message *m, struct buf *out, int rebuild, const char *forgotten)
{
	static const char *const words[] = {"new", "changed", "removed"};
	struct tally *v = TALLY(m);
	size_t n = NTALLY(m);

	if (*forgotten)
		buf_printf(out, "%s forgotten: %s notices removed%s", forgotten,
		           strchr(forgotten, ',') ? "their" : "its", n ? "; " : "");
	if (n == 0 && *forgotten)
		return;
	if (n == 0) {
		buf_addstr(out, rebuild ? "history rebuilt from the store" : "detail pages updated");
		return;
	}
	/* sources in catalog order, whatever order their pages came in */
	for (size_t i = 1; i < n; i++) {
		for (size_t k = i; k > 0 && config_source_rank(m->cfg, v[k - 1].id) >
		                            config_source_rank(m->cfg, v[k].id); k--) {
			struct tally t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	}
	for (size_t k = 0; k < n; k++) {
		const struct source *src = config_source(m->cfg, v[k].id);
		const char *sep = "";
		if (k == 8) {
			buf_printf(out, "; and %zu more sources", n - k);
			break;
		}
		if (k)
			buf_addstr(out, "; ");
		buf_printf(out, "%s: ", src && src->name ? src->name : v[k].id);
		for (int w = 0; w < 3; w++) {
			if (!v[k].counts[w])
				continue;
			buf_printf(out, "%s%d %s", sep, v[k].counts[w], words[w]);
			sep = ", ";
		}
	}
}

int
report_tree_commit(const struct config *cfg, struct store *st, int64_t when, int rebuild)
{
	struct notify_git g = {
		.path = cfg->git.path, .author_name = cfg->git.author_name,
		.author_email = cfg->git.author_email, .branch = cfg->git.branch,
		.remote = cfg->git.remote,
	};
	struct files files = {0};
	struct message m = {.cfg = cfg};
	struct buf msg;
	char err[512], oid[41], *seen = NULL, *pushed = NULL, *forgotten = NULL, last[32];
	int committed = 0, rv = -1;
	int64_t after = 0;

	buf_init(&m.body, SIZE_MAX);
	buf_init(&m.sources, SIZE_MAX);
	buf_init(&msg, SIZE_MAX);
	buf_init(&files.v, SIZE_MAX);
	if (store_meta_get(st, "git_event", &seen, err, sizeof(err)) < 0 ||
	    store_meta_get(st, "git_forgotten", &forgotten, err, sizeof(err)) < 0 ||
	    (seen && (after = strtoll(seen, NULL, 10)) < 0) ||
	    store_events_after(st, after, collect_event, &m, err, sizeof(err)) < 0) {
		error("%s", err);
		goto out;
	}
	if (m.oom || m.body.failed || build_tree(cfg, st, &files) < 0) {
		if (m.oom || m.body.failed)
			error("out of memory");
		goto out;
	}
	subject(&m, &msg, rebuild, forgotten ? forgotten : "");
	buf_printf(&msg, "\n\n%s", buf_str(&m.body));
	if (msg.failed) {
		error("out of memory");
		goto out;
	}
	if (notify_git_commit(&g, FILES(&files), NFILES(&files), msg.p, when, &committed, oid, err,
	                      sizeof(err)) < 0) {
		error("%s (kept for the next run)", err);
		goto out;
	}
	msg_info("history: %s %s", committed ? "committed" : "unchanged at", oid);
	if (forgotten && *forgotten &&
	    store_meta_set(st, "git_forgotten", "", err, sizeof(err)) < 0) {
		error("%s", err);
		goto out;
	}
	if (m.last > after) {
		snprintf(last, sizeof(last), "%lld", (long long)m.last);
		if (store_meta_set(st, "git_event", last, err, sizeof(err)) < 0) {
			error("%s", err);
			goto out;
		}
	}
	rv = 0;
	if (cfg->git.remote && *oid) {
		if (store_meta_get(st, "git_pushed", &pushed, err, sizeof(err)) < 0) {
			error("%s", err);
			rv = -1;
		} else if (!pushed || strcmp(pushed, oid)) {
			if (notify_git_push(&g, err, sizeof(err)) < 0) {
				error("%s (retried next run)", err);
				rv = 1;         /* committed: what failed is the remote */
			} else if (store_meta_set(st, "git_pushed", oid, err, sizeof(err)) < 0) {
				error("%s", err);
				rv = -1;
			}
		}
	}
out:
	free(seen);
	free(forgotten);
	free(pushed);
	buf_free(&msg);
	buf_free(&m.body);
	buf_free(&m.sources);
	files_free(&files);
	return rv;
}

