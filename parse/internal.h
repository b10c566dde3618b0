/* parse/ internals shared by its files (not part of the public face). */
#ifndef NW_PARSE_INTERNAL_H
#define NW_PARSE_INTERNAL_H

#include "parse/parse.h"

/* A field cleaned as every field is: whitespace collapsed and trimmed, C0
 * and C1 controls, bidi overrides and U+FFFD removed, at most max bytes.
 * malloc'd; NULL when s is NULL or out of memory. */
char *parse_clean(const char *s, size_t max);
/* Adds an item unless its link is already listed; takes title and link. */
int parse_push(struct parse_list *l, char *title, char *link, const char *date, int yearless);
/* Resolves href against base: a malloc'd absolute http(s) URL, or NULL. */
char *parse_resolve(const char *href, const char *base);
/* An HTML page or fragment: items/title/link/date as XPath, or generic. */
int parse_html_page(const char *buf, size_t len, const char *page_url,
                    const struct parse_rules *rules, struct parse_list *out, char *err,
                    size_t errlen);
/* XML records: items/title/link/date as XPath. */
int parse_xml_page(const char *buf, size_t len, const char *page_url,
                   const struct parse_rules *rules, struct parse_list *out, char *err,
                   size_t errlen);

#endif
