/* Notices from data: JSON APIs (jansson), HTML inside JSON, object
 * literals in scripts, and the dispatch on a page's format. */
#include "base/buf.h"
#include "parse/internal.h"
#include "parse/parse.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum parse_format
parse_format_of(const char *ct)
{
	if (!ct)
		return PARSE_HTML;
	if (strcasestr(ct, "json"))
		return PARSE_JSON;
	if (strcasestr(ct, "xml") && !strcasestr(ct, "xhtml"))
		return PARSE_XML;
	return PARSE_HTML;
}

int
parse_format_parse(const char *name)
{
	static const char *const names[] = {"html", "json", "xml", "script"};
	static const enum parse_format fmts[] = {PARSE_HTML, PARSE_JSON, PARSE_XML, PARSE_SCRIPT};

	for (size_t i = 0; i < 4; i++)
		if (!strcmp(name, names[i]))
			return (int)fmts[i];
	return -1;
}

/* segment: [A-Za-z0-9_$-]+ or [N]; segments joined by '.' */
int
parse_path_check(const char *path, char *err, size_t errlen)
{
	const char *p = path;
	int want = 1;   /* a segment is due */

	while (*p) {
		if (*p == '[') {
			const char *q = p + 1;
			while (isdigit((unsigned char)*q))
				q++;
			if (q == p + 1 || *q != ']')
				break;
			p = q + 1;
			want = 0;
		} else if (*p == '.' && !want) {
			p++;
			want = 1;
		} else if (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || *p == '-') {
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || *p == '-')
				p++;
			want = 0;
		} else {
			break;
		}
	}
	if (*p || want) {
		snprintf(err, errlen, "bad path '%s': use names and [N] joined by '.'", path);
		return -1;
	}
	return 0;
}

static json_t *
path_get(json_t *v, const char *path)
{
	const char *p = path;

	while (v && *p) {
		if (*p == '.') {
			p++;
		} else if (*p == '[') {
			char *end;
			long n = strtol(p + 1, &end, 10);
			v = json_is_array(v) ? json_array_get(v, (size_t)n) : NULL;
			p = *end == ']' ? end + 1 : end;
		} else {
			char key[256];
			size_t n = strcspn(p, ".[");
			if (n >= sizeof(key))
				return NULL;
			memcpy(key, p, n);
			key[n] = '\0';
			v = json_is_object(v) ? json_object_get(v, key) : NULL;
			p += n;
		}
	}
	return v;
}

/* A scalar as text; NULL for null, objects and arrays.  A NUL in a string
 * (\u0000) is dropped, as every C0 control is from a field. */
static char *
scalar(json_t *v)
{
	char buf[64];

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), k = 0;
		char *out = malloc(n + 1);
		for (size_t i = 0; out && i < n; i++)
			if (s[i])
				out[k++] = s[i];
		if (out)
			out[k] = '\0';
		return out;
	}
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%.0f", json_real_value(v));
	else
		return NULL;
	return strdup(buf);
}

/* A date: a string in the usual forms, or epoch seconds or milliseconds
 * (read as China time, UTC+8). */
static void
json_date(json_t *v, char out[11])
{
	out[0] = '\0';
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (parse_date(s, strlen(s), out) < 0)
			out[0] = '\0';
	} else if (json_is_number(v)) {
		double x = json_number_value(v);
		time_t t;
		struct tm tm;
		if (x > 1e11)
			x /= 1000;
		if (x <= 0 || x > 4e9)
			return;
		t = (time_t)x + 8 * 3600;
		gmtime_r(&t, &tm);
		strftime(out, 11, "%Y-%m-%d", &tm);
	}
}

/* link = "path" or a template with {path} placeholders */
static char *
json_link(json_t *item, const char *rule, const char *base)
{
	char buf[2048], *v, *out;
	size_t n = 0;

	if (!strchr(rule, '{')) {
		v = scalar(path_get(item, rule));
		out = v ? parse_resolve(v, base) : NULL;
		free(v);
		return out;
	}
	for (const char *p = rule; *p && n + 1 < sizeof(buf);) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (close) {
			char path[256];
			size_t l = (size_t)(close - p - 1);
			if (l >= sizeof(path))
				return NULL;
			memcpy(path, p + 1, l);
			path[l] = '\0';
			v = scalar(path_get(item, path));
			if (!v)
				return NULL;
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", v);
			free(v);
			p = close + 1;
		} else {
			buf[n++] = *p++;
		}
	}
	if (n >= sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	return parse_resolve(buf, base);
}

static int
from_json(json_t *root, const char *page_url, const struct parse_rules *r,
          struct parse_list *out, char *err, size_t errlen)
{
	struct parse_list l = {0};
	json_t *items;
	size_t i;
	json_t *it;

	if (r->html) {
		json_t *h = path_get(root, r->html);
		struct parse_rules hr = {r->items, r->title, r->link, r->date, PARSE_HTML, NULL, NULL,
		                         r->today, r->terse};
		if (!h) {
			snprintf(err, errlen, "html path '%s' finds nothing", r->html);
			return -1;
		}
		if (!json_is_string(h)) {
			snprintf(err, errlen, "html path '%s' is not a string", r->html);
			return -1;
		}
		return parse_html_page(json_string_value(h), strlen(json_string_value(h)), page_url,
		                       &hr, out, err, errlen);
	}
	if (!r->items || !r->title || !r->link) {
		snprintf(err, errlen, "format json and script need items, title and link (or html)");
		return -1;
	}
	items = path_get(root, r->items);
	if (!items) {
		snprintf(err, errlen, "items path '%s' finds nothing", r->items);
		return -1;
	}
	if (!json_is_array(items)) {
		snprintf(err, errlen, "items path '%s' is not an array", r->items);
		return -1;
	}
	json_array_foreach(items, i, it) {
		char *raw = scalar(path_get(it, r->title)), *title, *link, date[11] = "";
		/* cleaned as an HTML title is */
		title = parse_clean(raw, PARSE_TITLE_MAX);
		free(raw);
		link = json_link(it, r->link, page_url);
		if (!title || !*title || !link) {
			free(title);
			free(link);
			continue;
		}
		if (r->date)
			json_date(path_get(it, r->date), date);
		if (!date[0] && parse_date_from_link(link, date) < 0)
			date[0] = '\0';
		if (parse_push(&l, title, link, date, 0) < 0) {
			parse_list_free(&l);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (l.n == 0) {
		snprintf(err, errlen, "items path '%s' gave no notices", r->items);
		parse_list_free(&l);
		return -1;
	}
	*out = l;
	return 0;
}

/* ---- object literals in scripts ---- */

struct js {
	const char *p, *end;
	struct buf out;         /* the literal as JSON */
	int bad;
};

static void
emit(struct js *j, const char *s, size_t n)
{
	j->bad |= buf_add(&j->out, s, n) != 0;
}

static void
skip_space(struct js *j)
{
	for (;;) {
		while (j->p < j->end && isspace((unsigned char)*j->p))
			j->p++;
		if (j->p + 1 < j->end && j->p[0] == '/' && j->p[1] == '/') {
			while (j->p < j->end && *j->p != '\n')
				j->p++;
		} else if (j->p + 1 < j->end && j->p[0] == '/' && j->p[1] == '*') {
			const char *e = memmem(j->p + 2, (size_t)(j->end - j->p - 2), "*/", 2);
			j->p = e ? e + 2 : j->end;
		} else {
			return;
		}
	}
}

/* a JavaScript string ('...' or "...") as a JSON string */
static void
js_string(struct js *j)
{
	char q = *j->p++;

	emit(j, "\"", 1);
	while (j->p < j->end && *j->p != q) {
		if (*j->p == '\\' && j->p + 1 < j->end) {
			if (j->p[1] == '\'')
				emit(j, "'", 1);
			else if (j->p[1] == '\n')
				;       /* line continuation */
			else if (strchr("\"\\/bfnrtu", j->p[1]))
				emit(j, j->p, 2);
			else
				emit(j, j->p + 1, 1);   /* \x: x */
			j->p += 2;
		} else if (*j->p == '"') {
			emit(j, "\\\"", 2);
			j->p++;
		} else if ((unsigned char)*j->p < 0x20) {
			char u[8];
			snprintf(u, sizeof(u), "\\u%04x", (unsigned char)*j->p);
			emit(j, u, strlen(u));
			j->p++;
		} else {
			emit(j, j->p++, 1);
		}
	}
	if (j->p >= j->end)
		j->bad = 1;
	j->p++;
	emit(j, "\"", 1);
}

static void js_value(struct js *j, int depth);

static void
js_container(struct js *j, int depth)
{
	char open = *j->p, close = open == '{' ? '}' : ']';

	emit(j, j->p++, 1);
	for (;;) {
		skip_space(j);
		if (j->p >= j->end || j->bad) {
			j->bad = 1;
			return;
		}
		if (*j->p == close) {
			emit(j, j->p++, 1);
			return;
		}
		if (open == '{') {
			/* key: quoted, or a bare name */
			if (*j->p == '"' || *j->p == '\'') {
				js_string(j);
			} else {
				const char *s = j->p;
				while (j->p < j->end && (isalnum((unsigned char)*j->p) || *j->p == '_' ||
				                         *j->p == '$'))
					j->p++;
				if (j->p == s) {
					j->bad = 1;
					return;
				}
				emit(j, "\"", 1);
				emit(j, s, (size_t)(j->p - s));
				emit(j, "\"", 1);
			}
			skip_space(j);
			if (j->p >= j->end || *j->p != ':') {
				j->bad = 1;
				return;
			}
			emit(j, j->p++, 1);
		}
		js_value(j, depth + 1);
		skip_space(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_space(j);
			if (j->p < j->end && *j->p != close)   /* a trailing comma is dropped */
				emit(j, ",", 1);
		} else if (j->p < j->end && *j->p != close) {
			j->bad = 1;
			return;
		}
	}
}

static void
js_value(struct js *j, int depth)
{
	skip_space(j);
	if (j->p >= j->end || depth > 200) {
		j->bad = 1;
		return;
	}
	if (*j->p == '{' || *j->p == '[') {
		js_container(j, depth);
	} else if (*j->p == '"' || *j->p == '\'') {
		js_string(j);
	} else if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
		const char *s = j->p++;
		while (j->p < j->end && (isalnum((unsigned char)*j->p) || *j->p == '.' ||
		                         *j->p == '+' || *j->p == '-'))
			j->p++;
		emit(j, s, (size_t)(j->p - s));
	} else {
		const char *s = j->p;
		size_t n;
		while (j->p < j->end && (isalnum((unsigned char)*j->p) || *j->p == '_' || *j->p == '$'))
			j->p++;
		n = (size_t)(j->p - s);
		if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) ||
		    (n == 4 && !memcmp(s, "null", 4)))
			emit(j, s, n);
		else if (n == 9 && !memcmp(s, "undefined", 9))
			emit(j, "null", 4);
		else
			j->bad = 1;     /* an expression: not data */
	}
}

/* Finds "NAME = {...}" (or [...]) in the page and returns it as JSON. */
static char *
script_json(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
	size_t nl = strlen(name);
	const char *p = buf, *end = buf + len;

	while ((p = memmem(p, (size_t)(end - p), name, nl))) {
		const char *q = p + nl;
		int ident_before = p > buf && (isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
		                               p[-1] == '$');
		p += nl;
		if (ident_before)
			continue;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '=' || (q + 1 < end && q[1] == '='))
			continue;
		q++;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q < end && (*q == '{' || *q == '[')) {
			struct js j = {.p = q, .end = end};
			buf_init(&j.out, 64u << 20);
			js_value(&j, 0);
			if (!j.bad)
				return buf_take(&j.out, NULL);
			buf_free(&j.out);
			snprintf(err, errlen, "the value of '%s' is not a data literal", name);
			return NULL;
		}
	}
	snprintf(err, errlen, "no '%s = {...}' in the page's scripts", name);
	return NULL;
}

static int
json_page(const char *text, size_t len, const char *page_url, const struct parse_rules *r,
          struct parse_list *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &je);
	int rv;

	if (!root) {
		snprintf(err, errlen, "invalid JSON at line %d: %s", je.line, je.text);
		return -1;
	}
	rv = from_json(root, page_url, r, out, err, errlen);
	json_decref(root);
	return rv;
}

int
parse_page(const char *buf, size_t len, const char *page_url,
           const struct parse_rules *rules, struct parse_list *out, char *err, size_t errlen)
{
	static const struct parse_rules none;
	const struct parse_rules *r = rules ? rules : &none;
	char *json;
	int rv;

	switch (r->format) {
	case PARSE_JSON:
		return json_page(buf, len, page_url, r, out, err, errlen);
	case PARSE_SCRIPT:
		if (!r->script) {
			snprintf(err, errlen, "format script needs script = NAME");
			return -1;
		}
		json = script_json(buf, len, r->script, err, errlen);
		if (!json)
			return -1;
		rv = json_page(json, strlen(json), page_url, r, out, err, errlen);
		free(json);
		return rv;
	case PARSE_XML:
		return parse_xml_page(buf, len, page_url, r, out, err, errlen);
	default:
		return parse_html_page(buf, len, page_url, r, out, err, errlen);
	}
}
