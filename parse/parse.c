/* Notice extraction: per-source XPath, or a generic extractor that knows
 * the list shapes of the provincial sites (ul/li lists, table rows, TRS WCM
 * links, Hanweb JCMS records in CDATA). */
#include "base/buf.h"
#include "base/msg.h"
#include "parse/internal.h"
#include "parse/parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/hash.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#define HTML_OPTS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
                   HTML_PARSE_NONET | HTML_PARSE_COMPACT)

struct cand {
	xmlNode *item;
	xmlNode *group;
	char *title;
	char *link;
	char date[11];
	int dated;              /* date found in the item's text or link */
	int yearless;           /* ... a date cell without its year */
	int card;               /* a link around blocks, or a sentence: a description */
	long rank;              /* link_rank: the notice of its row ranks highest */
};

struct cands {
	struct cand *v;
	size_t n, cap;
};

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void
silence_libxml(void)
{
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

static size_t
ulen(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Width of a whitespace character at p (ASCII, NBSP U+00A0,
 * the line and paragraph separators U+2028/U+2029, ideographic space
 * U+3000), or 0. */
static size_t
space_at(const unsigned char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
		return 1;
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if ((p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
		return 3;
	return 0;
}

/* Width of a character at p that is never kept, or 0: C0 controls and
 * DEL, C1 controls (U+0080-U+009F), the bidi embeddings and overrides
 * U+202A-U+202E and isolates U+2066-U+2069 (they turn a line around on a
 * terminal), and U+FFFD (a page's own replacement characters, &#65533;,
 * or a bad byte of a page labelled UTF-8: never stored). */
static size_t
dropped_at(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if ((p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) ||
	    (p[0] == 0xef && p[1] == 0xbf && p[2] == 0xbd))
		return 3;
	return 0;
}

/* Every field of every format is cleaned so: whitespace collapsed to
 * single spaces and trimmed, the characters dropped_at names removed, the
 * length capped at max bytes on a character boundary.  s is UTF-8; the
 * result is malloc'd (NULL when s is, or out of memory). */
char *
parse_clean(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t n = 0;
	int space = 0;

	if (!s || !(out = malloc(strlen(s) + 1)))
		return NULL;
	while (*p) {
		size_t w = space_at(p);
		if (w) {
			space = n > 0;
			p += w;
			continue;
		}
		if ((w = dropped_at(p))) {
			p += w;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = 0;
		out[n++] = (char)*p++;
	}
	out[n] = '\0';
	out[msg_cut(out, max)] = '\0';
	return out;
}

/* parse_clean on a string libxml2 allocated, which it frees. */
static char *
normalise(xmlChar *s, size_t max)
{
	char *out = parse_clean((const char *)s, max);

	xmlFree(s);
	return out;
}

static char *
node_text(xmlNode *n, size_t max)
{
	return normalise(xmlNodeGetContent(n), max);
}

static char *
attr(xmlNode *n, const char *name, size_t max)
{
	return normalise(xmlGetProp(n, (const xmlChar *)name), max);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* The title of a link: its text, or its title attribute where the text is
 * cut short (… or ...) or empty. */
static char *
link_title(xmlNode *a)
{
	char *text = node_text(a, PARSE_TITLE_MAX * 4);
	char *t = attr(a, "title", PARSE_TITLE_MAX * 4);

	if (!text) {
		free(t);
		return NULL;
	}
	if (t && *t && strcmp(t, text) != 0) {
		size_t tl = strlen(text);
		int cut = !*text || ends_with(text, "\xe2\x80\xa6") || ends_with(text, "..") ||
		          ends_with(text, "\xe3\x80\x82\xe3\x80\x82");
		/* text a prefix of the title, dots aside */
		while (tl > 0 && (text[tl - 1] == '.' || text[tl - 1] == ' '))
			tl--;
		if (ends_with(text, "\xe2\x80\xa6"))
			tl = strlen(text) - 3;
		/* a word or two ("通知", "详情") beside the full title */
		if (!cut && ulen(text) < 4 && ulen(t) > ulen(text))
			cut = 1;
		if (cut || (tl > 0 && strlen(t) > tl && strncmp(t, text, tl) == 0)) {
			free(text);
			text = t;
			t = NULL;
		}
	}
	free(t);
	text[msg_cut(text, PARSE_TITLE_MAX)] = '\0';
	return text;
}

/* Resolves href against base; NULL for javascript:, mailto:, fragments and
 * anything that is not http(s) in the end. */
char *
parse_resolve(const char *href, const char *base)
{
	xmlChar *u = NULL, *esc = NULL;
	char *out = NULL, *h;
	size_t n;

	/* as the URL standard reads one: C0 controls and spaces trimmed, tabs
	 * and line breaks removed; any other control is percent-escaped below */
	while (*href && (unsigned char)*href <= 0x20)
		href++;
	n = strlen(href);
	while (n > 0 && (unsigned char)href[n - 1] <= 0x20)
		n--;
	h = strndup(href, n);
	if (!h)
		return NULL;
	n = 0;
	for (size_t i = 0; h[i]; i++)
		if (h[i] != '\t' && h[i] != '\n' && h[i] != '\r')
			h[n++] = h[i];
	h[n] = '\0';
	href = h;
	if (!*href || *href == '#' || strncasecmp(href, "javascript:", 11) == 0 ||
	    strncasecmp(href, "mailto:", 7) == 0 || strncasecmp(href, "tel:", 4) == 0 ||
	    strncasecmp(href, "data:", 5) == 0 || strncasecmp(href, "vbscript:", 9) == 0) {
		free(h);
		return NULL;
	}
	u = xmlBuildURI((const xmlChar *)href, (const xmlChar *)base);
	if (!u) {
		esc = xmlURIEscapeStr((const xmlChar *)href,
		                      (const xmlChar *)":/?#[]@!$&'()*+,;=%~");
		if (esc)
			u = xmlBuildURI(esc, (const xmlChar *)base);
	}
	if (u && (strncasecmp((char *)u, "http://", 7) == 0 ||
	          strncasecmp((char *)u, "https://", 8) == 0)) {
		n = strlen((char *)u);
		if (n <= PARSE_LINK_MAX)
			out = strdup((char *)u);
	}
	xmlFree(u);
	xmlFree(esc);
	free(h);
	return out;
}

/* Duplicate links are found in a hash set (libxml2's), so a page of
 * 120,000 items costs no more per item than a page of 40. */
int
parse_push(struct parse_list *l, char *title, char *link, const char *date, int yearless)
{
	if (!l->seen && !(l->seen = xmlHashCreate(64)))
		goto oom;
	if (xmlHashLookup(l->seen, (const xmlChar *)link)) {
		free(title);
		free(link);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct parse_item *v = realloc(l->items, cap * sizeof(*v));
		if (!v)
			goto oom;
		l->items = v;
		l->cap = cap;
	}
	if (xmlHashAddEntry(l->seen, (const xmlChar *)link, link) < 0)
		goto oom;
	l->items[l->n] = (struct parse_item){.title = title, .link = link,
	                                     .yearless = yearless && date[0]};
	snprintf(l->items[l->n].date, sizeof(l->items[l->n].date), "%s", date);
	l->n++;
	return 0;
oom:
	free(title);
	free(link);
	return -1;
}

int
parse_list_merge(struct parse_list *into, struct parse_list *from)
{
	size_t before = into->n;

	if (!into->items && !into->seen && !into->xpath && !into->why) {
		/* the first page: its list, as it is (no links repeat in it) */
		*into = *from;
		memset(from, 0, sizeof(*from));
		return (int)into->n;
	}
	if (!into->xpath && !into->why) {       /* the first page's list names it */
		into->xpath = from->xpath;
		into->why = from->why;
		from->xpath = from->why = NULL;
	}
	for (size_t i = 0; i < from->n; i++) {
		struct parse_item *it = &from->items[i];
		char *title = it->title, *link = it->link;
		it->title = it->link = NULL;
		if (parse_push(into, title, link, it->date, it->yearless) < 0)
			return -1;
	}
	return (int)(into->n - before);
}

void
parse_list_free(struct parse_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].title);
		free(l->items[i].link);
		free(l->items[i].facts);
	}
	free(l->items);
	free(l->xpath);
	free(l->why);
	xmlHashFree(l->seen, NULL);
	memset(l, 0, sizeof(*l));
}

static int
is_tag(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->name &&
	       strcasecmp((const char *)n->name, name) == 0;
}

static int
attr_has(xmlNode *n, const char *name, const char *const *words)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int hit = 0;

	if (!v)
		return 0;
	for (size_t i = 0; words[i] && !hit; i++)
		hit = strcasestr((char *)v, words[i]) != NULL;
	xmlFree(v);
	return hit;
}

/* Answers of in_chrome for the last elements asked about, by address: the
 * links of a list share their ancestors. */
struct chrome_memo {
	const xmlNode *node[64];
	unsigned char chrome[64];
};

/* Navigation, header, footer, paging, breadcrumbs: never notices. */
static int
chrome_self(xmlNode *n)
{
	static const char *const tags[] = {"nav", "header", "footer", "script", "style",
	                                   "select", "noscript", "template", NULL};
	static const char *const words[] = {"nav", "menu", "footer", "foot", "header",
	                                    "breadcrumb", "crumb", "pagination", "paging",
	                                    "pager", "pagebar", "page_bar", "page-bar",
	                                    "position", "location", "toolbar", "topbar",
	                                    "friendlink", "friend-link", "links_", NULL};

	for (size_t i = 0; tags[i]; i++)
		if (is_tag(n, tags[i]))
			return 1;
	return attr_has(n, "class", words) || attr_has(n, "id", words);
}

/* n or an ancestor is chrome; memo (or NULL) keeps the answers */
static int
in_chrome(xmlNode *n, struct chrome_memo *memo)
{
	size_t h = ((uintptr_t)n >> 4) % 64;
	int r;

	if (!n || n->type != XML_ELEMENT_NODE)
		return 0;
	if (memo && memo->node[h] == n)
		return memo->chrome[h];
	r = chrome_self(n) || in_chrome(n->parent, memo);
	if (memo) {
		memo->node[h] = n;
		memo->chrome[h] = (unsigned char)r;
	}
	return r;
}

/* Link texts that are navigation, not notices. */
static int
nav_text(const char *t)
{
	static const char *const words[] = {
		"\xe6\x9b\xb4\xe5\xa4\x9a",                                 /* 更多 */
		"\xe6\x9f\xa5\xe7\x9c\x8b\xe6\x9b\xb4\xe5\xa4\x9a",         /* 查看更多 */
		"\xe9\xa6\x96\xe9\xa1\xb5",                                 /* 首页 */
		"\xe4\xb8\x8a\xe4\xb8\x80\xe9\xa1\xb5",                     /* 上一页 */
		"\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5",                     /* 下一页 */
		"\xe5\xb0\xbe\xe9\xa1\xb5", "\xe6\x9c\xab\xe9\xa1\xb5",     /* 尾页 末页 */
		"\xe8\xbf\x94\xe5\x9b\x9e\xe9\xa6\x96\xe9\xa1\xb5",         /* 返回首页 */
		"\xe8\xbf\x94\xe5\x9b\x9e\xe9\xa1\xb6\xe9\x83\xa8",         /* 返回顶部 */
		"\xe8\xaf\xa6\xe7\xbb\x86\xe4\xbf\xa1\xe6\x81\xaf",         /* 详细信息 */
		"\xe8\xbf\x9b\xe5\x85\xa5\xe4\xb8\x93\xe6\xa0\x8f",         /* 进入专栏 */
		"more", "next", "prev", "previous", "last", "first", "home", NULL};
	char buf[64];
	size_t n = strlen(t), i;
	int letters = 0;

	for (i = 0; t[i]; i++)
		if (isalpha((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80)
			letters = 1;
	if (!letters)
		return 1;   /* numbers, dates, arrows: paging */
	if (n >= sizeof(buf))
		return 0;
	/* strip brackets, arrows and spaces around */
	while (n > 0 && strchr(" >]+.\xc2\xbb\xe3\x80\x8b\xe2\x80\xba\xe3\x80\x91", t[n - 1]))
		n--;
	i = 0;
	while (i < n && strchr(" [<\xe3\x80\x90", t[i]))
		i++;
	memcpy(buf, t + i, n - i);
	buf[n - i] = '\0';
	for (size_t k = 0; words[k]; k++)
		if (strcasecmp(buf, words[k]) == 0)
			return 1;
	return 0;
}

/* The element that holds one notice: the nearest li, tr, dd or dt; else
 * the link's parent when it holds only a few elements; else the link. */
static xmlNode *
item_of(xmlNode *a)
{
	xmlNode *n;
	int depth = 0, kids = 0;

	for (n = a->parent; n && n->type == XML_ELEMENT_NODE && depth < 6; n = n->parent, depth++) {
		if (is_tag(n, "li") || is_tag(n, "tr") || is_tag(n, "dd") || is_tag(n, "dt"))
			return n;
		if (is_tag(n, "ul") || is_tag(n, "ol") || is_tag(n, "table") || is_tag(n, "body"))
			break;
	}
	n = a->parent;
	if (!n || n->type != XML_ELEMENT_NODE || is_tag(n, "body"))
		return a;
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			kids++;
	return kids <= 4 ? n : a;
}

/* Whether n lies inside a (or is it). */
static int
inside(const xmlNode *n, const xmlNode *a)
{
	for (; n && a; n = n->parent)
		if (n == a)
			return 1;
	return 0;
}

/* Calls fn on each text node of item, in document order. */
static int
each_text(xmlNode *item, int (*fn)(xmlNode *t, const void *arg, char out[11]), const void *arg,
          char out[11])
{
	xmlNode *n = item;

	while (n) {
		if (n->type == XML_TEXT_NODE && n->content && fn(n, arg, out) == 0)
			return 0;
		if (n->children && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		while (n && n != item && !n->next)
			n = n->parent;
		if (!n || n == item)
			break;
		n = n->next;
	}
	return -1;
}

struct date_pass {
	const xmlNode *a;
	int in_link;
	const char *today;      /* non-NULL: a date cell without its year */
};

static int
text_date(xmlNode *t, const void *arg, char out[11])
{
	const struct date_pass *p = arg;
	const char *s = (const char *)t->content;

	if (inside(t, p->a) != p->in_link)
		return -1;
	if (p->today)
		return parse_date_yearless(s, strlen(s), p->today, out);
	return parse_date(s, strlen(s), out);
}

/* The date of a notice: the first date in the text nodes of item, those
 * outside the link a first (a date cell beside the title), then the link's
 * own text, then the link's address (TRS WCM), then a date cell without
 * its year ([11-26]), given the latest year not after today (returns 1 for
 * that one, 0 for a whole date, -1 for none).  Text nodes
 * are read one by one: "2021-09-29" and "2021年度…" side by side must not
 * run together. */
static int
item_date(xmlNode *item, const xmlNode *a, const char *link, const char *today, char out[11])
{
	struct date_pass p0 = {a, 0, NULL}, p1 = {a, 1, NULL}, p2 = {a, 0, today ? today : ""};

	if (each_text(item, text_date, &p0, out) == 0 ||
	    (a && each_text(item, text_date, &p1, out) == 0) ||
	    (link && parse_date_from_link(link, out) == 0))
		return 0;
	if (each_text(item, text_date, &p2, out) == 0)
		return 1;
	out[0] = '\0';
	return -1;
}

/* A link's text wrapped in brackets: a category label ([考试名称]), not a notice. */
static int
bracketed(const char *t)
{
	size_t n = strlen(t);

	return n > 2 && ((t[0] == '[' && t[n - 1] == ']') ||
	                 (n > 6 && !strncmp(t, "\xe3\x80\x90", 3) &&
	                  !strcmp(t + n - 3, "\xe3\x80\x91")));
}

/* How much a link looks like the notice of its row: the one with a title
 * attribute, else the longest text; never a bracketed category label. */
static long
link_rank(xmlNode *a, const char *title)
{
	char *t = attr(a, "title", PARSE_TITLE_MAX);
	long r = (long)ulen(title);

	if (t && ulen(t) >= 6)
		r += 10000;
	if (bracketed(title))
		r -= 100000;
	free(t);
	return r;
}

static int
cands_push(struct cands *c, const struct cand *x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct cand *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *x;
	return 0;
}

static void
cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].title);
		free(c->v[i].link);
	}
	free(c->v);
}

/* Signature of a group: item tag, group tag and class. */
static int
same_shape(const struct cand *a, const struct cand *b)
{
	xmlChar *ca, *cb;
	int same;

	if (!a->group || !b->group || xmlStrcmp(a->item->name, b->item->name) != 0 ||
	    xmlStrcmp(a->group->name, b->group->name) != 0)
		return 0;
	ca = xmlGetProp(a->group, (const xmlChar *)"class");
	cb = xmlGetProp(b->group, (const xmlChar *)"class");
	same = xmlStrEqual(ca, cb) || (!ca && !cb);
	xmlFree(ca);
	xmlFree(cb);
	return same;
}

struct group {
	xmlNode *node;
	size_t first;   /* index of a member candidate */
	size_t count, dated, titlelen, cards;
	int side;       /* in a sidebar (aside, class or id side/aside) */
};

static xmlNode *
first_link(xmlNode *n)
{
	if (is_tag(n, "a") && xmlHasProp(n, (const xmlChar *)"href"))
		return n;
	for (xmlNode *c = n->children; c; c = c->next) {
		xmlNode *f = c->type == XML_ELEMENT_NODE ? first_link(c) : NULL;
		if (f)
			return f;
	}
	return NULL;
}

/* The notice link of a row, as the generic extractor takes it: of the
 * links whose address resolves and whose text is no navigation, the best
 * ranked (link_rank); else the first link. */
static xmlNode *
row_link(xmlNode *it, const char *base)
{
	xmlNode *best = NULL, *n = it;
	long best_rank = 0;

	while (n) {
		if (is_tag(n, "a") && xmlHasProp(n, (const xmlChar *)"href")) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
			char *link = href ? parse_resolve((const char *)href, base) : NULL;
			char *title = link ? link_title(n) : NULL;
			if (title && *title && !nav_text(title)) {
				long r = link_rank(n, title);
				if (!best || r > best_rank) {
					best = n;
					best_rank = r;
				}
			}
			xmlFree(href);
			free(link);
			free(title);
		}
		if (n->children && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		while (n && n != it && !n->next)
			n = n->parent;
		if (!n || n == it)
			break;
		n = n->next;
	}
	return best ? best : first_link(it);
}

/* Whether a link wraps blocks (a card: heading and description) or its
 * text is a sentence: a section's description, not a notice. */
static int
is_card(xmlNode *a, const char *title)
{
	static const char *const blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6",
	                                     "ul", "table", NULL};

	if (strstr(title, "\xe3\x80\x82"))     /* 。 */
		return 1;
	for (xmlNode *c = a->children; c; c = c->next)
		for (size_t i = 0; blocks[i]; i++)
			if (is_tag(c, blocks[i]))
				return 1;
	return 0;
}

static int
in_sidebar(xmlNode *n)
{
	static const char *const words[] = {"side", "aside", NULL};

	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (is_tag(n, "aside") || attr_has(n, "class", words) || attr_has(n, "id", words))
			return 1;
	return 0;
}

/* Whether group a ranks above group b: outside a sidebar, then the most
 * dated items, then the longest titles. */
static int
better(const struct group *a, const struct group *b)
{
	if (a->side != b->side)
		return b->side;
	if (a->dated != b->dated)
		return a->dated > b->dated;
	return a->titlelen > b->titlelen;
}

/* ---- the chosen list as XPath ---- */

/* "tag[@id='x']" or "tag[@class='x']" (the first without a quote), or
 * NULL when n has neither. */
static char *
named_step(xmlNode *n)
{
	static const char *const keys[] = {"id", "class", NULL};
	char *out = NULL;

	for (size_t i = 0; keys[i] && !out; i++) {
		xmlChar *v = xmlGetProp(n, (const xmlChar *)keys[i]);
		if (v && *v && !xmlStrchr(v, '\'') && xmlStrlen(v) < 200) {
			size_t len = strlen((const char *)n->name) + (size_t)xmlStrlen(v) + 16;
			if ((out = malloc(len)))
				snprintf(out, len, "%s[@%s='%s']", (const char *)n->name, keys[i],
				         (const char *)v);
		}
		xmlFree(v);
	}
	return out;
}

/* An XPath for the items of group g, written with the nearest id or class:
 * //ul[@class='list']/li, //div[@id='c']/ul/li; else the absolute path.
 * absolute: always the absolute path.  malloc'd. */
static char *
group_xpath(xmlNode *g, const xmlChar *item_tag, int absolute)
{
	xmlNode *steps[4], *n = g;
	char *named = NULL, *out = NULL;
	int nsteps = 0;
	size_t len;

	for (; !absolute && n && n->type == XML_ELEMENT_NODE && nsteps < 4; n = n->parent) {
		if ((named = named_step(n)))
			break;
		steps[nsteps++] = n;
	}
	if (named) {
		struct buf b;
		buf_init(&b, 1 << 16);
		buf_printf(&b, "//%s", named);
		while (nsteps > 0)
			buf_printf(&b, "/%s", (const char *)steps[--nsteps]->name);
		buf_printf(&b, "/%s", (const char *)item_tag);
		free(named);
		return buf_take(&b, NULL);
	}
	{
		xmlChar *path = xmlGetNodePath(g);
		if (path) {
			len = (size_t)xmlStrlen(path) + xmlStrlen(item_tag) + 4;
			if ((out = malloc(len)))
				snprintf(out, len, "%s/%s", (const char *)path, (const char *)item_tag);
		}
		xmlFree(path);
	}
	return out;
}

/* Whether expr selects every item of the list and nothing else that
 * holds a link (a header row may come along: rules skip it).  The items
 * are marked through _private for the time of the test, so a list of
 * 120,000 costs no more per item than a list of 40. */
static int
selects(xmlDoc *doc, const char *expr, xmlNode **items, size_t n)
{
	static char mark;
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathObject *r = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
	int ok = r && r->type == XPATH_NODESET && r->nodesetval;
	size_t distinct = 0, found = 0;

	for (size_t i = 0; i < n; i++)
		if (items[i]->_private != &mark) {
			items[i]->_private = &mark;
			distinct++;
		}
	for (int i = 0; ok && i < r->nodesetval->nodeNr; i++) {
		xmlNode *x = r->nodesetval->nodeTab[i];
		if (x->_private == &mark)
			found++;
		else if (first_link(x))
			ok = 0;
	}
	for (size_t i = 0; i < n; i++)
		items[i]->_private = NULL;
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return ok && found == distinct;
}

/* out->xpath and out->why for the chosen groups (chosen[k] set). */
static void
describe(xmlDoc *doc, const struct cands *c, const struct group *g, size_t ng,
         const int *chosen, size_t best, struct parse_list *out)
{
	xmlNode **items = malloc((c->n ? c->n : 1) * sizeof(*items));
	size_t n = 0, count = 0, dated = 0, runner = (size_t)-1;
	const xmlChar *tag = c->v[g[best].first].item->name;
	char *expr = NULL, why[1024];
	int pos = 0;

	if (!items)
		return;
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; k < ng; k++)
			if (chosen[k] && g[k].node == c->v[i].group)
				items[n++] = c->v[i].item;
	for (int absolute = 0; absolute < 2 && !expr; absolute++) {
		/* the named list; then the absolute path of each block */
		char buf[4096] = "";
		pos = 0;
		for (size_t k = 0; k < ng; k++) {
			char *e;
			if (!chosen[k] || (!absolute && k != best))
				continue;
			e = group_xpath(g[k].node, tag, absolute);
			if (e && pos < (int)sizeof(buf))
				pos += snprintf(buf + pos, sizeof(buf) - (size_t)pos, "%s%s",
				                pos ? " | " : "", e);
			free(e);
		}
		if (pos > 0 && pos < (int)sizeof(buf) && (selects(doc, buf, items, n) || absolute))
			expr = strdup(buf);
	}
	free(items);
	for (size_t k = 0; k < ng; k++) {
		if (chosen[k]) {
			count += g[k].count;
			dated += g[k].dated;
		} else if (runner == (size_t)-1 || better(&g[k], &g[runner])) {
			runner = k;
		}
	}
	pos = snprintf(why, sizeof(why), "%zu item%s, %zu dated", count, count == 1 ? "" : "s",
	               dated);
	if (runner != (size_t)-1) {
		char *r = group_xpath(g[runner].node, c->v[g[runner].first].item->name, 0);
		snprintf(why + pos, sizeof(why) - (size_t)pos, "; runner-up %s: %zu item%s, %zu dated%s",
		         r ? r : "?", g[runner].count, g[runner].count == 1 ? "" : "s",
		         g[runner].dated, g[runner].side ? ", in a sidebar" : "");
		free(r);
	} else {
		snprintf(why + pos, sizeof(why) - (size_t)pos, "; no other list");
	}
	out->xpath = expr;
	out->why = strdup(why);
}

/* Every link of the page that may be a notice, as a candidate in c;
 * -1 when out of memory. */
static int
collect_cands(xmlNodeSet *links, const char *base, const char *today, struct cands *c)
{
	struct chrome_memo memo = {0};

	for (int i = 0; i < links->nodeNr; i++) {
		xmlNode *a = links->nodeTab[i];
		xmlChar *href;
		struct cand x = {0};
		int r;

		if (in_chrome(a, &memo))
			continue;
		x.title = link_title(a);
		if (!x.title || ulen(x.title) < 4 || nav_text(x.title)) {
			free(x.title);
			continue;
		}
		href = xmlGetProp(a, (const xmlChar *)"href");
		x.link = href ? parse_resolve((char *)href, base) : NULL;
		xmlFree(href);
		if (!x.link) {
			free(x.title);
			continue;
		}
		x.item = item_of(a);
		x.group = x.item->parent;
		r = item_date(x.item, a, x.link, today, x.date);
		x.dated = r >= 0;
		x.yearless = r == 1;
		x.card = is_card(a, x.title);
		x.rank = link_rank(a, x.title);
		if (cands_push(c, &x) < 0) {
			free(x.title);
			free(x.link);
			return -1;
		}
	}
	return 0;
}

/* One notice per row: of the links an item holds, the best ranked. */
static void
one_per_item(struct cands *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (kept > 0 && c->v[kept - 1].item == c->v[i].item) {
			struct cand *k = &c->v[kept - 1];
			if (c->v[i].rank > k->rank) {
				free(k->title);
				free(k->link);
				*k = c->v[i];
			} else {
				free(c->v[i].title);
				free(c->v[i].link);
			}
			continue;
		}
		c->v[kept++] = c->v[i];
	}
	c->n = kept;
}

/* The index in g[0..ng) of the group of candidate x. */
static size_t
group_of(const struct group *g, size_t ng, const struct cand *x)
{
	size_t k;

	for (k = 0; k < ng && g[k].node != x->group; k++)
		;
	return k;
}

/* Groups the candidates by the element that holds their items; returns
 * how many groups (g has room for one per candidate). */
static size_t
group_cands(const struct cands *c, struct group *g)
{
	size_t ng = 0;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = group_of(g, ng, &c->v[i]);
		if (k == ng) {
			g[ng].node = c->v[i].group;
			g[ng].first = i;
			g[ng].side = in_sidebar(c->v[i].group);
			ng++;
		}
		g[k].count++;
		g[k].dated += c->v[i].dated;
		g[k].cards += c->v[i].card;
		g[k].titlelen += ulen(c->v[i].title);
	}
	return ng;
}

/* Marks in chosen[] the groups that hold the notice list; returns the
 * best of them, or (size_t)-1 when the page has none. */
static size_t
choose_groups(const struct cands *c, const struct group *g, size_t ng, int *chosen)
{
	size_t best = (size_t)-1;

	/* best: the main list (not a sidebar) with the most dated items, at
	 * least half dated */
	for (size_t k = 0; k < ng; k++) {
		if (g[k].dated == 0 || g[k].dated * 2 < g[k].count)
			continue;
		if (best == (size_t)-1 || better(&g[k], &g[best]))
			best = k;
	}
	if (best == (size_t)-1) {
		/* undated lists: the longest run of long titles, not of section
		 * descriptions (a landing page has no notice list) */
		for (size_t k = 0; k < ng; k++) {
			if (g[k].count < 3 || g[k].titlelen < g[k].count * 10 ||
			    g[k].cards * 2 >= g[k].count)
				continue;
			if (best == (size_t)-1 || g[k].titlelen > g[best].titlelen)
				best = k;
		}
		if (best != (size_t)-1)
			chosen[best] = 1;
		return best;
	}
	/* the best group and its twins (a list split into several blocks) */
	for (size_t k = 0; k < ng; k++)
		chosen[k] = k == best ||
		            (g[k].dated > 0 && g[k].dated * 2 >= g[k].count &&
		             same_shape(&c->v[g[k].first], &c->v[g[best].first]));
	return best;
}

static int
generic(xmlDoc *doc, const char *base, const struct parse_rules *rules,
        struct parse_list *out)
{
	const char *today = rules ? rules->today : NULL;
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathObject *res = NULL;
	struct cands c = {0};
	struct group *g = NULL;
	int *chosen = NULL;
	size_t ng, best;
	int rv = -1;

	if (!ctx)
		return -1;
	res = xmlXPathEvalExpression((const xmlChar *)"//a[@href]", ctx);
	if (!res || !res->nodesetval || collect_cands(res->nodesetval, base, today, &c) < 0)
		goto done;
	one_per_item(&c);
	g = calloc(c.n ? c.n : 1, sizeof(*g));
	chosen = calloc(c.n ? c.n : 1, sizeof(*chosen));
	if (!g || !chosen)
		goto done;
	ng = group_cands(&c, g);
	best = choose_groups(&c, g, ng, chosen);
	if (best == (size_t)-1) {
		rv = 0;
		goto done;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (!chosen[group_of(g, ng, &c.v[i])])
			continue;
		if (parse_push(out, c.v[i].title, c.v[i].link, c.v[i].date, c.v[i].yearless) < 0)
			goto done;
		c.v[i].title = c.v[i].link = NULL;
	}
	if (!rules || !rules->terse)
		describe(doc, &c, g, ng, chosen, best, out);
	rv = 0;
done:
	free(g);
	free(chosen);
	cands_free(&c);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return rv;
}

/* Hanweb (大汉) JCMS pages keep their list in
 * <script type="text/xml"><datastore>…<record><![CDATA[<li>…</li>]]></record>
 * Returns a malloc'd HTML fragment of all records, or NULL when none. */
static char *
hanweb_records(xmlDoc *doc)
{
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathObject *res = NULL;
	struct buf out;

	if (!ctx)
		return NULL;
	buf_init(&out, (size_t)-1);
	res = xmlXPathEvalExpression((const xmlChar *)"//script", ctx);
	for (int i = 0; res && res->nodesetval && i < res->nodesetval->nodeNr; i++) {
		xmlChar *s = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
		const char *p = (const char *)s;

		while (p && (p = strstr(p, "<record"))) {
			const char *open = strstr(p, "<![CDATA["), *close;
			if (!open)
				break;
			open += 9;
			close = strstr(open, "]]>");
			if (!close)
				break;
			if (!out.len)
				buf_addstr(&out, "<html><body><div>");
			buf_add(&out, open, (size_t)(close - open));
			buf_addstr(&out, "\n");
			p = close + 3;
		}
		xmlFree(s);
	}
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return buf_take(&out, NULL);
}

/* A string libxml2 allocated, as a malloc'd copy (NULL passes through). */
static char *
raw_string(xmlChar *s)
{
	char *out = s ? strdup((const char *)s) : NULL;

	xmlFree(s);
	return out;
}

/* String value of an XPath result: an element gives its text, for every
 * field, but for a link an element with an href (HTML's a) gives that. */
static char *
xpath_string(xmlXPathContext *ctx, xmlXPathCompExpr *comp, xmlNode *node, int want_link)
{
	xmlXPathObject *r;
	xmlChar *s = NULL;

	ctx->node = node;
	r = xmlXPathCompiledEval(comp, ctx);
	if (!r)
		return NULL;
	if (r->type == XPATH_NODESET) {
		if (r->nodesetval && r->nodesetval->nodeNr > 0) {
			xmlNode *n = r->nodesetval->nodeTab[0];
			if (want_link && n->type == XML_ELEMENT_NODE &&
			    xmlHasProp(n, (const xmlChar *)"href"))
				s = xmlGetProp(n, (const xmlChar *)"href");
			else if (!want_link && is_tag(n, "a")) {
				xmlXPathFreeObject(r);
				return link_title(n);
			} else
				s = xmlNodeGetContent(n);
		}
	} else {
		s = xmlXPathCastToString(r);
	}
	xmlXPathFreeObject(r);
	/* a link is read as the URL standard reads it (parse_resolve), not
	 * cleaned as text: a line break inside it is dropped, not a space */
	if (want_link)
		return raw_string(s);
	return normalise(s, PARSE_TITLE_MAX);
}

/* A stable key for a record without a link: the page URL and a hash of
 * its title. */
static char *
title_link(const char *base, const char *title)
{
	unsigned long long h = 1469598103934665603ull;
	char *out;

	for (const unsigned char *p = (const unsigned char *)title; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	out = malloc(strlen(base) + 32);
	if (out)
		sprintf(out, "%s#t%016llx", base, h);
	return out;
}

static int
by_rules(xmlDoc *doc, const char *base, const struct parse_rules *r,
         struct parse_list *out, int keyless, char *err, size_t errlen)
{
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathCompExpr *ct = NULL, *cl = NULL, *cd = NULL;
	xmlXPathObject *items = NULL;
	int rv = -1;

	if (!ctx)
		goto done;
	items = xmlXPathEvalExpression((const xmlChar *)r->items, ctx);
	if (!items || items->type != XPATH_NODESET) {
		snprintf(err, errlen, "items XPath '%s' does not select nodes", r->items);
		goto done;
	}
	if ((r->title && !(ct = xmlXPathCompile((const xmlChar *)r->title))) ||
	    (r->link && !(cl = xmlXPathCompile((const xmlChar *)r->link))) ||
	    (r->date && !(cd = xmlXPathCompile((const xmlChar *)r->date)))) {
		snprintf(err, errlen, "bad XPath in title, link or date");
		goto done;
	}
	for (int i = 0; items->nodesetval && i < items->nodesetval->nodeNr; i++) {
		xmlNode *it = items->nodesetval->nodeTab[i];
		xmlNode *a = row_link(it, base);
		char *title = NULL, *href = NULL, *link, *ds = NULL;
		char date[11] = "";
		int yearless = 0;

		if (ct)
			title = xpath_string(ctx, ct, it, 0);
		else if (a)
			title = link_title(a);
		if (cl)
			href = xpath_string(ctx, cl, it, 1);
		else if (a)
			href = raw_string(xmlGetProp(a, (const xmlChar *)"href"));
		link = href ? parse_resolve(href, base) : NULL;
		free(href);
		if (!link && keyless && title && *title)
			link = title_link(base, title);
		if (!title || !*title || !link) {
			free(title);
			free(link);
			continue;
		}
		if (cd) {
			ds = xpath_string(ctx, cd, it, 0);
			date[0] = '\0';
			if (ds && parse_date(ds, strlen(ds), date) < 0) {
				yearless = parse_date_yearless(ds, strlen(ds),
				                               r->today ? r->today : "", date) == 0;
				if (!yearless)
					date[0] = '\0';
			}
			free(ds);
		} else {
			yearless = item_date(it, a, link, r->today, date) == 1;
		}
		if (parse_push(out, title, link, date, yearless) < 0)
			goto done;
	}
	rv = 0;
done:
	xmlXPathFreeCompExpr(ct);
	xmlXPathFreeCompExpr(cl);
	xmlXPathFreeCompExpr(cd);
	xmlXPathFreeObject(items);
	xmlXPathFreeContext(ctx);
	return rv;
}

static char *
base_of(xmlDoc *doc, const char *page_url)
{
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathObject *r = NULL;
	char *base = NULL;

	if (ctx)
		r = xmlXPathEvalExpression((const xmlChar *)"string(//base/@href)", ctx);
	if (r && r->type == XPATH_STRING && r->stringval && *r->stringval)
		base = parse_resolve((const char *)r->stringval, page_url);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return base ? base : strdup(page_url);
}

/* Parses buf as an HTML page and finds its base URL.  Returns 0, or -1
 * with err set; the caller frees *doc and *base either way. */
static int
read_html(const char *buf, size_t len, const char *page_url, xmlDoc **doc, char **base,
          char *err, size_t errlen)
{
	*doc = NULL;
	*base = NULL;
	silence_libxml();
	if (len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "page too large to parse");
		return -1;
	}
	*doc = htmlReadMemory(buf, (int)len, page_url, "UTF-8", HTML_OPTS);
	if (!*doc || !xmlDocGetRootElement(*doc)) {
		snprintf(err, errlen, "page is not HTML");
		return -1;
	}
	*base = base_of(*doc, page_url);
	if (!*base) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
parse_html_page(const char *buf, size_t len, const char *page_url,
                const struct parse_rules *rules, struct parse_list *out,
                char *err, size_t errlen)
{
	struct parse_list l = {0};
	xmlDoc *doc = NULL, *sub = NULL;
	char *base = NULL, *rec = NULL;
	int rv = -1;

	if (read_html(buf, len, page_url, &doc, &base, err, errlen) < 0)
		goto done;
	if (rules && rules->items) {
		if (by_rules(doc, base, rules, &l, 0, err, errlen) < 0)
			goto done;
		if (l.n == 0) {
			snprintf(err, errlen, "items XPath '%s' found no notices", rules->items);
			goto done;
		}
	} else {
		rec = hanweb_records(doc);
		if (rec) {
			sub = htmlReadMemory(rec, (int)strlen(rec), page_url, "UTF-8", HTML_OPTS);
			if (sub && generic(sub, base, rules, &l) < 0)
				goto oom;
			if (l.n > 0) {
				/* the records are no part of the page's tree */
				free(l.xpath);
				free(l.why);
				l.xpath = NULL;
				l.why = strdup("Hanweb JCMS records in <script type=\"text/xml\">");
			}
		}
		if (l.n == 0 && generic(doc, base, rules, &l) < 0)
			goto oom;
		if (l.n == 0) {
			snprintf(err, errlen, "no notice list found on the page");
			goto done;
		}
	}
	*out = l;
	memset(&l, 0, sizeof(l));
	rv = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	parse_list_free(&l);
	free(base);
	free(rec);
	xmlFreeDoc(sub);
	xmlFreeDoc(doc);
	return rv;
}

int
parse_xpath_check(const char *expr, char *err, size_t errlen)
{
	xmlXPathCompExpr *c;

	silence_libxml();
	c = xmlXPathCompile((const xmlChar *)expr);
	if (!c) {
		snprintf(err, errlen, "bad XPath '%s'", expr);
		return -1;
	}
	xmlXPathFreeCompExpr(c);
	return 0;
}

/* word in title, Latin letters in any case: strcasestr folds ASCII only,
 * so a word without Latin letters (Chinese) is found by the faster strstr */
static int
contains(const char *title, const char *word)
{
	for (const char *c = word; *c; c++)
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z'))
			return strcasestr(title, word) != NULL;
	return strstr(title, word) != NULL;
}

bool
parse_relevant_word(const char *title, char *const *include, char *const *exclude,
                    const char **word)
{
	const char *why = NULL;

	for (size_t i = 0; include && include[i] && !why; i++)
		if (!strcmp(include[i], "*") || (*include[i] && contains(title, include[i])))
			why = include[i];
	for (size_t i = 0; why && exclude && exclude[i]; i++)
		if (*exclude[i] && contains(title, exclude[i])) {
			if (word)
				*word = exclude[i];
			return false;
		}
	if (word)
		*word = why;
	return why != NULL;
}

bool
parse_relevant(const char *title, char *const *include, char *const *exclude)
{
	return parse_relevant_word(title, include, exclude, NULL);
}

/* ---- detail pages ---- */

#define ARTICLE_MAX (256u * 1024)

static int
skipped(const xmlNode *n)
{
	static const char *const tags[] = {"script", "style", "noscript", "nav", "header", "footer",
	                                   "select", "form", "iframe", "template", NULL};

	for (size_t i = 0; tags[i]; i++)
		if (is_tag(n, tags[i]))
			return 1;
	return 0;
}

static int
block(const xmlNode *n)
{
	static const char *const tags[] = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4",
	                                   "h5", "h6", "table", "ul", "ol", "section", "article",
	                                   "blockquote", "pre", "dd", "dt", NULL};

	for (size_t i = 0; tags[i]; i++)
		if (is_tag(n, tags[i]))
			return 1;
	return 0;
}

/* Text of n with a line break around each block; whitespace collapsed
 * per line afterwards. */
static void
collect_text(xmlNode *n, struct buf *t)
{
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				buf_addstr(t, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE && !skipped(c)) {
			if (block(c))
				buf_addstr(t, "\n");
			else if (is_tag(c, "td") || is_tag(c, "th"))
				buf_addstr(t, " ");
			collect_text(c, t);
			if (block(c))
				buf_addstr(t, "\n");
		}
	}
}

/* Normalises each line, drops empty ones; blocks end up one per line. */
static char *
tidy_lines(const char *s)
{
	struct buf out;
	const char *p = s;
	char *tidy;

	buf_init(&out, ARTICLE_MAX);
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *line = strndup(p, n), *norm;

		norm = line ? normalise((xmlChar *)xmlStrdup((xmlChar *)line), ARTICLE_MAX) : NULL;
		free(line);
		if (norm && *norm)
			buf_printf(&out, "%s\n", norm);
		free(norm);
		p += n + (e ? 1 : 0);
	}
	tidy = buf_take(&out, NULL);
	return tidy ? tidy : strdup("");
}

/* Length of the text directly under n (not in links), in bytes. */
static size_t
own_text(const xmlNode *n)
{
	size_t len = 0;

	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && c->content) {
			for (const unsigned char *q = c->content; *q; q++)
				len += !isspace(*q);
		} else if (c->type == XML_ELEMENT_NODE && !skipped(c) && !is_tag(c, "a") &&
		           !block(c)) {
			len += own_text(c);     /* span, font, strong: inline text */
		}
	}
	return len;
}

/* The element holding the article: each text-bearing element gives its
 * text length to its parent and half to its grandparent; the best scored
 * container wins (the usual readability heuristic, kept small). */
static xmlNode *
main_content(xmlDoc *doc)
{
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	xmlXPathObject *all = ctx ? xmlXPathEvalExpression((const xmlChar *)"//body//*", ctx) : NULL;
	xmlNode *best = NULL;
	size_t n = all && all->nodesetval ? (size_t)all->nodesetval->nodeNr : 0;
	double *score = calloc(n ? n : 1, sizeof(double)), bestscore = 0;

	for (size_t i = 0; score && i < n; i++)
		all->nodesetval->nodeTab[i]->_private = &score[i];
	for (size_t i = 0; score && i < n; i++) {
		xmlNode *e = all->nodesetval->nodeTab[i], *p = e->parent;
		size_t len;
		if (skipped(e) || in_chrome(e, NULL))
			continue;
		len = own_text(e);
		if (len < 10)
			continue;
		if (p && p->_private) {
			*(double *)p->_private += (double)len;
			if (p->parent && p->parent->_private)
				*(double *)p->parent->_private += (double)len / 2;
		}
		*(double *)e->_private += (double)len;
	}
	for (size_t i = 0; score && i < n; i++) {
		xmlNode *e = all->nodesetval->nodeTab[i];
		if (score[i] > bestscore && !is_tag(e, "p") && !is_tag(e, "span") &&
		    !is_tag(e, "a")) {
			bestscore = score[i];
			best = e;
		}
	}
	for (size_t i = 0; i < n; i++)
		all->nodesetval->nodeTab[i]->_private = NULL;
	free(score);
	xmlXPathFreeObject(all);
	xmlXPathFreeContext(ctx);
	return best;
}

int
parse_is_document(const char *url, const char *content_type)
{
	static const char *const ext[] = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps",
	                                  ".et", ".ofd", ".zip", ".rar", ".7z", ".txt", NULL};
	/* subtypes of pages and data: html, xhtml+xml, xml, rss+xml, json... */
	static const char *const page[] = {"html", "xml", "json", "javascript", "ecmascript",
	                                   NULL};
	const char *q = url ? strpbrk(url, "?#") : NULL;
	const char *sub, *end;
	size_t n = q ? (size_t)(q - url) : url ? strlen(url) : 0;

	for (size_t i = 0; n && ext[i]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strncasecmp(url + n - e, ext[i], e) == 0)
			return 1;
	}
	if (!content_type || !(sub = strchr(content_type, '/')) ||
	    !strncasecmp(content_type, "text/", 5))
		return 0;
	sub++;
	end = sub + strcspn(sub, "; \t");
	for (size_t i = 0; page[i]; i++) {
		size_t l = strlen(page[i]);
		/* the whole subtype, or its +suffix (not openxmlformats-...) */
		if ((size_t)(end - sub) >= l && !strncasecmp(end - l, page[i], l) &&
		    (end - l == sub || end[-(long)l - 1] == '+' || end[-(long)l - 1] == '-' ||
		     end[-(long)l - 1] == '.'))
			return 0;
	}
	return 1;
}

static void
collect_attachments(xmlNode *n, const char *base, struct buf *t)
{
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_tag(c, "a")) {
			xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");
			char *link = href ? parse_resolve((const char *)href, base) : NULL;
			xmlFree(href);
			if (link && parse_is_document(link, NULL) && !(t->p && strstr(t->p, link))) {
				char *title = link_title(c);
				const char *shown = title && *title ? title : "-";
				/* a list too long ends after its last whole line */
				if (strlen(shown) + strlen(link) + 4 <= buf_room(t))
					buf_printf(t, "%s <%s>\n", shown, link);
				free(title);
			}
			free(link);
		}
		collect_attachments(c, base, t);
	}
}

int
parse_article(const char *buf, size_t len, const char *page_url, const char *content,
              char **text, char **attachments, char *err, size_t errlen)
{
	xmlDoc *doc = NULL;
	xmlNode *root = NULL;
	xmlXPathContext *ctx = NULL;
	xmlXPathObject *r = NULL;
	struct buf raw, att;
	char *base = NULL;
	int rv = -1;

	*text = *attachments = NULL;
	buf_init(&raw, ARTICLE_MAX);
	buf_init(&att, ARTICLE_MAX);
	if (read_html(buf, len, page_url, &doc, &base, err, errlen) < 0)
		goto done;
	if (content) {
		ctx = xmlXPathNewContext(doc);
		r = ctx ? xmlXPathEvalExpression((const xmlChar *)content, ctx) : NULL;
		if (r && r->type == XPATH_NODESET && r->nodesetval && r->nodesetval->nodeNr > 0)
			root = r->nodesetval->nodeTab[0];
		if (!root) {
			snprintf(err, errlen, "content XPath '%s' found nothing", content);
			goto done;
		}
	} else {
		root = main_content(doc);
		if (!root) {
			snprintf(err, errlen, "no article text found on the page");
			goto done;
		}
	}
	collect_text(root, &raw);
	collect_attachments(root, base, &att);
	if (raw.failed) {
		snprintf(err, errlen, "article text over %u bytes", ARTICLE_MAX);
		goto done;
	}
	*text = tidy_lines(buf_str(&raw));
	*attachments = att.len ? buf_take(&att, NULL) : strdup("");
	if (!*text || !*attachments || !**text) {
		free(*text);
		free(*attachments);
		*text = *attachments = NULL;
		snprintf(err, errlen, "no article text found on the page");
		goto done;
	}
	rv = 0;
done:
	buf_free(&raw);
	buf_free(&att);
	free(base);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return rv;
}

/* ---- XML records ---- */

int
parse_xml_page(const char *buf, size_t len, const char *page_url,
               const struct parse_rules *rules, struct parse_list *out, char *err,
               size_t errlen)
{
	struct parse_list l = {0};
	xmlDoc *doc;
	int rv = -1;

	silence_libxml();
	if (!rules->items) {
		snprintf(err, errlen, "format xml needs items");
		return -1;
	}
	if (len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "page too large to parse");
		return -1;
	}
	/* the body is UTF-8 by now, whatever its declaration said */
	doc = xmlReadMemory(buf, (int)len, page_url, "UTF-8",
	                    XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
	                    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC);
	if (!doc || !xmlDocGetRootElement(doc)) {
		snprintf(err, errlen, "page is not XML");
		goto done;
	}
	if (by_rules(doc, page_url, rules, &l, 1, err, errlen) < 0)
		goto done;
	if (l.n == 0) {
		snprintf(err, errlen, "items XPath '%s' found no notices", rules->items);
		goto done;
	}
	*out = l;
	memset(&l, 0, sizeof(l));
	rv = 0;
done:
	parse_list_free(&l);
	xmlFreeDoc(doc);
	return rv;
}

/* ---- paging ---- */

char *
parse_next_page(const char *buf, size_t len, const char *page_url)
{
	static const char *const words[] = {
		"\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5", "\xe4\xb8\x8b\xe9\xa1\xb5", /* 下一页 下页 */
		"next", "next page", ">", "\xe2\x80\xba", "\xc2\xbb", NULL};
	xmlDoc *doc;
	xmlXPathContext *ctx = NULL;
	xmlXPathObject *r = NULL;
	char *base = NULL, *next = NULL, err[128];

	if (read_html(buf, len, page_url, &doc, &base, err, sizeof(err)) < 0)
		goto done;
	ctx = xmlXPathNewContext(doc);
	r = ctx ? xmlXPathEvalExpression((const xmlChar *)"//a[@href]", ctx) : NULL;
	for (int i = 0; base && r && r->nodesetval && i < r->nodesetval->nodeNr && !next; i++) {
		xmlNode *a = r->nodesetval->nodeTab[i];
		char *t = node_text(a, 64);
		for (size_t k = 0; t && words[k]; k++) {
			if (strcasecmp(t, words[k]) == 0) {
				xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
				next = href ? parse_resolve((const char *)href, base) : NULL;
				xmlFree(href);
				break;
			}
		}
		free(t);
	}
	/* a 'next' that leads back to this page is the last page's */
	if (next && !strcmp(next, page_url)) {
		free(next);
		next = NULL;
	}
done:
	free(base);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return next;
}
