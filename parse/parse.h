/* parse: extract notices (title, link, date) from a UTF-8 page with
 * libxml2, and decide which are relevant.  The whole public face of the
 * parse module. */
#ifndef NW_PARSE_H
#define NW_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define PARSE_TITLE_MAX 512     /* bytes kept of a title */
#define PARSE_LINK_MAX 2048

enum parse_format { PARSE_AUTO, PARSE_HTML, PARSE_JSON, PARSE_XML, PARSE_SCRIPT };

/* Per-source rules; any may be NULL.  html and xml: items/title/link/date
 * are XPath, and without items the generic extractor finds the list.
 * json and script: they are dotted paths ("data.rows", "list[0].items"),
 * link may be a template ("/article?id={id}"), and html names a field
 * holding an HTML fragment that the HTML rules then read. */
struct parse_rules {
	const char *items;
	const char *title;
	const char *link;
	const char *date;
	enum parse_format format;       /* PARSE_AUTO: HTML */
	const char *html;               /* json/script: path of an HTML fragment */
	const char *script;             /* script: the name assigned the data */
	const char *today;              /* YYYY-MM-DD the page was fetched, for
	                                 * dates without a year; NULL: today */
	int terse;                      /* no xpath and why in the list (a run
	                                 * does not show them) */
};

/* The format a Content-Type announces (PARSE_HTML when unsure). */
enum parse_format parse_format_of(const char *content_type);
/* Parses "html", "json", "xml", "script"; -1 when unknown. */
int parse_format_parse(const char *name);
/* Checks a dotted path's syntax; -1 with err set. */
int parse_path_check(const char *path, char *err, size_t errlen);

struct parse_item {
	char *title;    /* whitespace-normalised UTF-8 */
	char *link;     /* absolute http(s) URL */
	char date[11];  /* YYYY-MM-DD, or "" when the page gives none */
	int yearless;   /* the page gave the date without its year ([11-26]) */
	/* set by the caller, freed with the list */
	int relevant;   /* certificate-related (parse_relevant) */
	char *facts;    /* its facts as JSON, or NULL */
};

struct parse_list {
	struct parse_item *items;
	size_t n, cap;
	void *seen;     /* private: the links listed, a libxml2 hash table */
	char *xpath;    /* the list the generic extractor chose, as an XPath
	                 * (with the page's id or class) that gives the same
	                 * items as items; NULL with rules or when it has none */
	char *why;      /* why that list: "4 items, 4 dated; runner-up ..." */
};

/* The page's own 'next page' link (下一页, next, ›), resolved; NULL when
 * it has none.  malloc'd. */
char *parse_next_page(const char *buf, size_t len, const char *page_url);

/* Extracts the notices of a page in the rules' format.  buf is UTF-8 (see
 * fetch_decode);
 * page_url resolves relative links.  Items are in page order, one per
 * link.  Returns 0, or -1 with err set; out is filled only on success and
 * is freed with parse_list_free. */
int parse_page(const char *buf, size_t len, const char *page_url,
               const struct parse_rules *rules, struct parse_list *out,
               char *err, size_t errlen);

void parse_list_free(struct parse_list *list);

/* Appends the items of from whose links into does not list yet, in order,
 * taking them (from keeps the rest, to be freed).  Returns how many were
 * added, or -1 when out of memory. */
int parse_list_merge(struct parse_list *into, struct parse_list *from);

/* Checks that expr compiles as XPath; -1 with err set otherwise. */
int parse_xpath_check(const char *expr, char *err, size_t errlen);

/* Finds the first date in s in the forms these sites use (2021-10-09,
 * [2021-10-09], 2021/10/9, 2021.10.09, 2021年10月9日, 20211009 in a TRS
 * link) and writes it as YYYY-MM-DD.  Returns 0 when found, else -1. */
int parse_date(const char *s, size_t len, char out[11]);

/* parse_date; else, when s holds only a date without its year ("11-26",
 * "[11-26]", "11/26", "11月26日"; brackets and spaces around), that date in
 * the latest year that puts it on or before today (YYYY-MM-DD; NULL: the
 * current date).  Returns 0 when found, else -1. */
int parse_date_yearless(const char *s, size_t len, const char *today, char out[11]);

/* Same, for a link: TRS WCM t20211009_123.html and /2021-10/09/ paths. */
int parse_date_from_link(const char *link, char out[11]);

/* 1 when url names a document (pdf, doc(x), xls(x), wps, et, ofd, zip, rar,
 * 7z, txt) or content_type (may be NULL) is neither text nor markup nor
 * data: a file to keep the hash of, not a page to read. */
int parse_is_document(const char *url, const char *content_type);

/* The main text of a detail page: the element content (XPath) selects,
 * else the article body found by text density, as lines of text with
 * blank lines between blocks; navigation, scripts and footers left out.
 * *attachments lists the documents it links (pdf, doc(x), xls(x), wps,
 * ofd, zip, rar, 7z) as "title <url>" lines.  Both are malloc'd.
 * Returns 0, or -1 with err set (no text found). */
int parse_article(const char *buf, size_t len, const char *page_url, const char *content,
                  char **text, char **attachments, char *err, size_t errlen);

/* True when title holds any include keyword and no exclude keyword.
 * Keyword lists end with NULL; an empty include list matches nothing; the
 * include word * matches every title.  Latin letters match whatever their
 * case (PDF matches pdf). */
bool parse_relevant(const char *title, char *const *include,
                    char *const *exclude);
/* The same, and *word (when not NULL) is set to the include word that made
 * title relevant, or the exclude word that made it not, or NULL. */
bool parse_relevant_word(const char *title, char *const *include, char *const *exclude,
                         const char **word);

/* Certificate facts read from a notice's text (or its title alone). */
#define PARSE_FACT_MAX 256

struct parse_facts {
	char form[12];                  /* "electronic", "paper", "both"; "" */
	char from[64], to[64];          /* YYYY-MM-DD, or the words when no date
	                                 * ("公示期结束4个工作日后"); "" */
	char how[PARSE_FACT_MAX];       /* "in person, mail, download, app 爱山东
	                                 * <http://...>"; "" */
	char place[PARSE_FACT_MAX];     /* the words after 领取地点 (or 到…领取) */
	char condition[PARSE_FACT_MAX]; /* "携带本人身份证原件; 资格复核通过后" */
};

/* Reads the facts of a notice from UTF-8 text, simplified or traditional
 * (PCRE2).  A date without a year takes notice_year (0: kept as words); a
 * window whose end falls before its start ends in the next year.  Returns
 * how many facts were found, or -1 with err set. */
int parse_facts(const char *text, size_t len, int notice_year, struct parse_facts *out,
                char *err, size_t errlen);

/* The facts as a jansson object, absent facts left out; NULL when out of
 * memory.  The caller owns the reference. */
struct json_t *parse_facts_json(const struct parse_facts *f);

/* Names each fact that differs from was to now with both values ("to:
 * 2021-11-30 → 2021-12-15, form: paper → electronic"; "none" for absent)
 * into out.  Returns how many differ. */
int parse_facts_diff(const struct parse_facts *was, const struct parse_facts *now, char *out,
                     size_t outlen);

#endif
