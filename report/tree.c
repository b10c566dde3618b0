/* The git history's files: the tree (README.md, each source's
 * notices.txt, each relevant notice's text) written from the store, and
 * committed with notify/git.c, the events since the last commit as its
 * message. */
#include "report/report.h"
#include "base/msg.h"
#include "notify/notify.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
report_sha256_hex(const char *a, const char *b, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, a, strlen(a) + 1);
	if (b)
		EVP_DigestUpdate(md, b, strlen(b));
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	for (unsigned int i = 0; i < n && i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* The history's file for a notice: SOURCE/DATE-HASH8.md */
void
report_tree_path(const char *source_id, const char *date, const char *link, char *out, size_t len)
{
	char h[65];

	report_sha256_hex(link, NULL, h);
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

struct files {
	struct notify_file *v;
	char **owned;
	size_t n, cap;
	int oom;
};

/* Takes ownership of path and data. */
static void
add_file(struct files *f, char *path, char *data)
{
	if (!path || !data || f->oom) {
		free(path);
		free(data);
		f->oom = 1;
		return;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct notify_file *v = realloc(f->v, cap * sizeof(*v));
		char **o = v ? realloc(f->owned, cap * 2 * sizeof(*o)) : NULL;
		if (v)
			f->v = v;
		if (!o) {
			free(path);
			free(data);
			f->oom = 1;
			return;
		}
		f->owned = o;
		f->cap = cap;
	}
	f->v[f->n] = (struct notify_file){path, data, strlen(data)};
	f->owned[2 * f->n] = path;
	f->owned[2 * f->n + 1] = data;
	f->n++;
}

static void
files_free(struct files *f)
{
	for (size_t i = 0; i < 2 * f->n; i++)
		free(f->owned[i]);
	free(f->owned);
	free(f->v);
}

struct line {
	char *date, *title, *link;
	int relevant;
};

struct lines {
	struct line *v;
	size_t n, cap;
	int oom;
};

static void
collect_notice(const struct store_notice_row *r, void *payload)
{
	struct lines *l = payload;
	struct line *x;

	if (r->removed_at || l->oom)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct line *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->oom = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n++];
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
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* A growable text for the files. */
struct text {
	char *p;
	size_t n, cap;
	int oom;
};

static void __attribute__((format(printf, 2, 3)))
tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if (t->p && t->n + (size_t)n < t->cap) {
			t->n += (size_t)n;
			return;
		}
		{
			size_t cap = t->cap ? t->cap * 2 : 4096;
			char *p;
			while (cap < t->n + (size_t)n + 1)
				cap *= 2;
			p = realloc(t->p, cap);
			if (!p) {
				t->oom = 1;
				return;
			}
			t->p = p;
			t->cap = cap;
		}
	}
}

/* Markdown table cells: no '|' or line breaks from a title. */
static void
cell(struct text *t, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			tprintf(t, "\\|");
		else if (*s == '\n' || *s == '\r')
			tprintf(t, " ");
		else
			tprintf(t, "%c", *s);
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
	struct text t = {0};

	if (!json_is_object(o) || !json_object_size(o) || !at || !(at = strchr(at + 1, '\n'))) {
		json_decref(o);
		return page;
	}
	tprintf(&t, "%.*s- facts:", (int)(at + 1 - page), page);
	json_object_foreach(o, key, v) {
		tprintf(&t, "%s %s %s", sep, key, json_is_string(v) ? json_string_value(v) : "");
		sep = ";";
	}
	tprintf(&t, "\n%s", at + 1);
	json_decref(o);
	free(page);
	if (t.oom)
		free(t.p);
	return t.oom ? NULL : t.p;
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
	struct text readme = {0};
	struct detail_files df = {cfg, files};
	char err[512];

	tprintf(&readme, NOTIFY_GIT_MARK "\n"
	                 "Every notice of every source, and the text of each relevant one, as "
	                 "noticewatch saw them; `git log -p` shows what changed and when.\n\n"
	                 "| 来源 | id | 公告 | 最新相关公告 |\n|---|---|---|---|\n");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *s = &cfg->sources[i];
		struct lines l = {0};
		struct text t = {0};
		const struct line *latest = NULL;
		char path[128];

		if (store_notices(st, s->id, NULL, 1, collect_notice, &l, err, sizeof(err)) < 0 ||
		    l.oom) {
			error("%s", l.oom ? "out of memory" : err);
			lines_free(&l);
			free(readme.p);
			return -1;
		}
		if (l.n)        /* qsort(NULL, 0, ...) is undefined (UBSan) */
			qsort(l.v, l.n, sizeof(*l.v), by_date_link);
		for (size_t k = 0; k < l.n; k++) {
			tprintf(&t, "%s\t%s\t%s\t%s\n", l.v[k].date[0] ? l.v[k].date : "-",
			        l.v[k].relevant ? "*" : "-", l.v[k].title, l.v[k].link);
			if (l.v[k].relevant && !latest)
				latest = &l.v[k];
		}
		tprintf(&readme, "| ");
		cell(&readme, s->name ? s->name : s->id);
		tprintf(&readme, " | [%s](%s/notices.txt) | %zu | ", s->id, s->id, l.n);
		if (latest) {
			tprintf(&readme, "%s [", latest->date[0] ? latest->date : "-");
			cell(&readme, latest->title);
			tprintf(&readme, "](%s) |\n", latest->link);
		} else {
			tprintf(&readme, "- |\n");
		}
		if (l.n) {
			snprintf(path, sizeof(path), "%s/notices.txt", s->id);
			add_file(files, strdup(path), t.oom ? NULL : t.p);
		} else {
			free(t.p);
		}
		lines_free(&l);
	}
	add_file(files, strdup("README.md"), readme.oom ? NULL : readme.p);
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

struct message {
	const struct config *cfg;
	struct text body;
	char (*ids)[65];        /* sources in order of appearance */
	int (*counts)[3];       /* new, changed, removed */
	size_t n, cap;
	int64_t last;
	int oom;
};

static void
collect_event(const struct store_event *e, void *payload)
{
	struct message *m = payload;
	const struct source *src = config_source(m->cfg, e->source_id);
	const char *name = src && src->name ? src->name : e->source_id;
	size_t k;
	int kind = !strcmp(e->kind, "new") ? 0 : !strcmp(e->kind, "changed") ? 1 : 2;

	m->last = e->id;
	for (k = 0; k < m->n && strcmp(m->ids[k], e->source_id); k++)
		;
	if (k == m->n) {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 16;
			char (*ids)[65] = realloc(m->ids, cap * sizeof(*ids));
			int (*counts)[3] = ids ? realloc(m->counts, cap * sizeof(*counts)) : NULL;
			if (ids)
				m->ids = ids;
			if (!counts) {
				m->oom = 1;
				return;
			}
			m->counts = counts;
			m->cap = cap;
		}
		snprintf(m->ids[m->n], 65, "%s", e->source_id);
		memset(m->counts[m->n], 0, sizeof(m->counts[0]));
		m->n++;
	}
	m->counts[k][kind]++;
	tprintf(&m->body, "%s %s %s %s%s %s%s%s%s\n",
	        kind == 0 ? "NEW" : kind == 1 ? "CHANGED" : "REMOVED",
	        name, e->date[0] ? e->date : "-", e->title,
	        e->diff ? " (text)" : "", e->link, e->facts ? " (" : "", e->facts ? e->facts : "",
	        e->facts ? ")" : "");
}

static void
subject(struct message *m, struct text *out, int rebuild)
{
	static const char *const words[] = {"new", "changed", "removed"};

	if (m->n == 0) {
		tprintf(out, "%s", rebuild ? "history rebuilt from the store" : "detail pages updated");
		return;
	}
	/* sources in catalog order, whatever order their pages came in */
	for (size_t i = 1; i < m->n; i++) {
		for (size_t k = i; k > 0 && config_source_rank(m->cfg, m->ids[k - 1]) >
		                            config_source_rank(m->cfg, m->ids[k]); k--) {
			char id[65];
			int c[3];
			memcpy(id, m->ids[k], sizeof(id));
			memcpy(m->ids[k], m->ids[k - 1], sizeof(id));
			memcpy(m->ids[k - 1], id, sizeof(id));
			memcpy(c, m->counts[k], sizeof(c));
			memcpy(m->counts[k], m->counts[k - 1], sizeof(c));
			memcpy(m->counts[k - 1], c, sizeof(c));
		}
	}
	for (size_t k = 0; k < m->n; k++) {
		const struct source *src = config_source(m->cfg, m->ids[k]);
		int first = 1;
		if (k == 8) {
			tprintf(out, "; and %zu more sources", m->n - k);
			break;
		}
		tprintf(out, "%s%s: ", k ? "; " : "", src && src->name ? src->name : m->ids[k]);
		for (int w = 0; w < 3; w++) {
			if (!m->counts[k][w])
				continue;
			tprintf(out, "%s%d %s", first ? "" : ", ", m->counts[k][w], words[w]);
			first = 0;
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
	struct text msg = {0};
	char err[512], oid[41], *seen = NULL, *pushed = NULL, last[32];
	int committed = 0, rv = -1;
	int64_t after = 0;

	if (store_meta_get(st, "git_event", &seen, err, sizeof(err)) < 0 ||
	    (seen && (after = strtoll(seen, NULL, 10)) < 0) ||
	    store_events_after(st, after, collect_event, &m, err, sizeof(err)) < 0) {
		error("%s", err);
		goto out;
	}
	if (m.oom || m.body.oom || build_tree(cfg, st, &files) < 0) {
		if (m.oom || m.body.oom)
			error("out of memory");
		goto out;
	}
	subject(&m, &msg, rebuild);
	tprintf(&msg, "\n\n%s", m.body.p ? m.body.p : "");
	if (msg.oom) {
		error("out of memory");
		goto out;
	}
	if (notify_git_commit(&g, files.v, files.n, msg.p, when, &committed, oid, err,
	                      sizeof(err)) < 0) {
		error("%s (kept for the next run)", err);
		goto out;
	}
	msg_info("history: %s %s", committed ? "committed" : "unchanged at", oid);
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
	free(pushed);
	free(msg.p);
	free(m.body.p);
	free(m.ids);
	free(m.counts);
	files_free(&files);
	return rv;
}

