/* Reads noticewatch.ini and the catalog with libinih. */
#include "config/config.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"

#include <ctype.h>
#include <libxml/hash.h>
#include <curl/curl.h>
#include <errno.h>
#include <iconv.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 证书 and the words of certificate collection and of the checks that void
 * a result or a certificate, simplified and traditional. */
const char *const config_default_include[] = {
	"证书", "證書", "领证", "領證", "发证", "發證", "合格证明", "合格證明",
	"成绩合格", "成績合格", "合格人员", "合格人員", "资格复核", "資格複核",
	"资格核查", "資格核查", "资格审核", "資格審核", "考后审核", "考後審核",
	"现场核查", "現場核查", NULL};
/* recruitment and civil-service notices use the same review words */
const char *const config_default_exclude[] = {"招聘", "录用", "錄用", "公务员", "公務員", NULL};
const char *const config_kinds[] = {"new", "changed", "removed", "broken", "stale", NULL};

extern const char nw_catalog_start[], nw_catalog_end[];
extern const char nw_example_start[], nw_example_end[];

const char *
config_builtin_catalog(size_t *len)
{
	*len = (size_t)(nw_catalog_end - nw_catalog_start);
	return nw_catalog_start;
}

const char *
config_builtin_example(size_t *len)
{
	*len = (size_t)(nw_example_end - nw_example_start);
	return nw_example_start;
}

enum section { SEC_NONE, SEC_MAIN, SEC_SOURCE, SEC_EMAIL, SEC_WEBHOOK, SEC_GIT };

struct ctx {
	struct config *cfg;
	const char *file;
	FILE *fp;
	int line;
	int at_line_start;
	int main_file;          /* [noticewatch] allowed */
	int main_line;          /* line of [noticewatch], 0 before it */
	enum section section;
	struct source *src;
	size_t cap_sources;         /* room in cfg->sources */
	xmlHashTable *ids;          /* the sources' ids: index + 1 (a catalog
	                             * of 10,000 was quadratic to check) */
	struct webhook_cfg *hook;
	char seen[64][24];      /* keys seen in the current section */
	int nseen;
	char err[512];
};

static void set_err(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first error only: "FILE:LINE: message". */
static void
set_err(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (c->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, sizeof(c->err), "%s:%d: %s", c->file, c->line, msg);
}

static char *
trimmed_dup(const char *s, size_t n)
{
	char *d;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void
list_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

/* Splits on ',' '，' and '、'; empty entries are dropped.  An empty value
 * gives an empty list (matches nothing). */
static char **
split_list(const char *v)
{
	size_t cap = 8, n = 0;
	char **l = calloc(cap, sizeof(*l));
	const char *p = v;

	while (l && *p) {
		size_t len = 0, skip = 0;
		while (p[len]) {
			if (p[len] == ',') {
				skip = 1;
				break;
			}
			if (!strncmp(p + len, "\xef\xbc\x8c", 3) || !strncmp(p + len, "\xe3\x80\x81", 3)) {
				skip = 3;
				break;
			}
			len++;
		}
		{
			char *w = trimmed_dup(p, len);
			if (!w) {
				list_free(l);
				return NULL;
			}
			if (*w) {
				if (n + 1 >= cap) {
					char **nl = realloc(l, cap * 2 * sizeof(*l));
					if (!nl) {
						free(w);
						list_free(l);
						return NULL;
					}
					l = nl;
					cap *= 2;
				}
				l[n++] = w;
				l[n] = NULL;
			} else {
				free(w);
			}
		}
		p += len + skip;
	}
	return l;
}

static char **
list_dup(const char *const *src)
{
	size_t n = 0;
	char **l;

	while (src[n])
		n++;
	l = calloc(n + 1, sizeof(*l));
	for (size_t i = 0; l && i < n; i++)
		if (!(l[i] = strdup(src[i]))) {
			list_free(l);
			return NULL;
		}
	return l;
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* 90, 90s, 15m, 6h, 1d */
static int
parse_interval(const char *v, long *out)
{
	char *end;
	long x, mult = 1;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || x < 0)
		return -1;
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	if (x > LONG_MAX / mult)
		return -1;
	*out = x * mult;
	return 0;
}

/* 8M, 512k, 1048576 */
static int
parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long x;
	size_t mult = 1;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024;
	else if (*end)
		return -1;
	if (*end && end[1])
		return -1;
	if (x == 0 || x > (1ull << 31) / mult)
		return -1;
	*out = (size_t)x * mult;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
valid_id(const char *id)
{
	if (!*id || strlen(id) > 64)
		return 0;
	for (const char *p = id; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' ||
		      *p == '-'))
			return 0;
	return 1;
}

/* Relative paths are relative to the config file's directory. */
static char *
relative_to(const char *file, const char *v)
{
	const char *slash = strrchr(file, '/');
	char *out;
	size_t dl;

	if (v[0] == '/' || !slash)
		return strdup(v);
	dl = (size_t)(slash - file);
	out = malloc(dl + 1 + strlen(v) + 1);
	if (out)
		sprintf(out, "%.*s/%s", (int)dl, file, v);
	return out;
}

static int
replace(char **slot, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}


/* A URL libcurl can parse: no spaces, a good host and port. */
static void
check_url(struct ctx *c, const char *value)
{
	CURLU *u = curl_url();
	CURLUcode r = u ? curl_url_set(u, CURLUPART_URL, value, 0) : CURLUE_OUT_OF_MEMORY;

	if (r != CURLUE_OK) {
		char why[128];
		snprintf(why, sizeof(why), "%s", curl_url_strerror(r));
		why[0] = (char)tolower((unsigned char)why[0]);
		set_err(c, "bad url '%s': %s", value, why);
	}
	curl_url_cleanup(u);
}

/* A mail address as the mail is sent: "Name <addr>" or addr. */
static void
check_address(struct ctx *c, const char *key, const char *value)
{
	if (notify_address_check(value) < 0)
		set_err(c, "bad address '%s' in %s", value, key);
}


/* password_file: readable by its owner only, else refused. */
static void
read_password_file(struct ctx *c, const char *value)
{
	char *path = relative_to(c->file, value), buf[1024];
	struct stat sb;
	FILE *f;
	size_t n;

	if (!path) {
		set_err(c, "out of memory");
		return;
	}
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &sb) < 0) {
		set_err(c, "cannot read password_file '%s': %s", path, strerror(errno));
	} else if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		set_err(c, "password_file '%s' can be read by others: chmod 600 it", path);
	} else {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		free(c->cfg->email.password);
		c->cfg->email.password = strdup(buf);
		memset(buf, 0, sizeof(buf));
	}
	if (f)
		fclose(f);
	free(path);
}

/* "Name <mail>" */
static int
split_author(const char *v, char **name, char **mail)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (!lt || !gt || gt[1] || lt == v)
		return -1;
	free(*name);
	free(*mail);
	*name = trimmed_dup(v, (size_t)(lt - v));
	*mail = trimmed_dup(lt + 1, (size_t)(gt - lt - 1));
	return *name && *mail && **name && strchr(*mail, '@') ? 0 : -1;
}

/* [noticewatch], [email] and [git] belong in the main config and come once:
 * a second one would quietly win over the first. */
static void
single_section(struct ctx *c, const char *name, int present, int first)
{
	if (!c->main_file)
		set_err(c, "[%s] belongs in the main config, not a catalog", name);
	else if (present)
		set_err(c, "a second [%s] section (first at line %d)", name, first);
}

static void
source_start(struct ctx *c, const char *id)
{
	struct config *cfg = c->cfg;
	struct source *v;
	uintptr_t k;

	if (!valid_id(id)) {
		set_err(c, "bad source id '%s': use a-z, 0-9, '_' and '-'", id);
		return;
	}
	if ((k = (uintptr_t)xmlHashLookup(c->ids, (const xmlChar *)id))) {
		char where[300];
		snprintf(where, sizeof(where), "%s:%d", cfg->sources[k - 1].file,
		         cfg->sources[k - 1].line);
		set_err(c, "duplicate source id '%s' (first at %s)", id, where);
		return;
	}
	if (cfg->nsources == c->cap_sources) {
		size_t cap = c->cap_sources ? 2 * c->cap_sources : 64;
		if (!(v = realloc(cfg->sources, cap * sizeof(*v)))) {
			set_err(c, "out of memory");
			return;
		}
		cfg->sources = v;
		c->cap_sources = cap;
	}
	if (xmlHashAddEntry(c->ids, (const xmlChar *)id,
	                    (void *)(uintptr_t)(cfg->nsources + 1)) < 0) {
		set_err(c, "out of memory");
		return;
	}
	c->src = &cfg->sources[cfg->nsources++];
	memset(c->src, 0, sizeof(*c->src));
	c->src->id = strdup(id);
	c->src->enabled = 1;
	c->src->pages = 1;
	c->src->file = c->file;
	c->src->line = c->line;
	c->section = SEC_SOURCE;
}

static void
webhook_start(struct ctx *c, const char *id)
{
	struct config *cfg = c->cfg;
	struct webhook_cfg *v;

	if (!c->main_file) {
		set_err(c, "[webhook %s] belongs in the main config, not a catalog", id);
		return;
	}
	if (!valid_id(id) || !strcmp(id, "email")) {
		set_err(c, "bad webhook name '%s': use a-z, 0-9, '_' and '-' (not 'email')", id);
		return;
	}
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		if (!strcmp(cfg->webhooks[i].name, id)) {
			set_err(c, "duplicate webhook '%s'", id);
			return;
		}
	}
	v = realloc(cfg->webhooks, (cfg->nwebhooks + 1) * sizeof(*v));
	if (!v) {
		set_err(c, "out of memory");
		return;
	}
	cfg->webhooks = v;
	c->hook = &v[cfg->nwebhooks++];
	memset(c->hook, 0, sizeof(*c->hook));
	c->hook->name = strdup(id);
	c->hook->format = -1;
	c->hook->file = c->file;
	c->hook->line = c->line;
	c->section = SEC_WEBHOOK;
}

/* "KIND ID" (blanks between): ID, or NULL when name is no KIND section */
static const char *
section_id(const char *name, const char *kind)
{
	size_t n = strlen(kind);

	if (strncmp(name, kind, n) || (name[n] != ' ' && name[n] != '\t'))
		return NULL;
	name += n + 1;
	while (*name == ' ' || *name == '\t')
		name++;
	return name;
}

static void
section_start(struct ctx *c, const char *name)
{
	struct config *cfg = c->cfg;
	const char *id;

	c->nseen = 0;
	c->src = NULL;
	c->hook = NULL;
	c->section = SEC_NONE;
	if (!strcmp(name, "noticewatch")) {
		single_section(c, name, c->main_line != 0, c->main_line);
		c->main_line = c->line;
		c->section = SEC_MAIN;
	} else if ((id = section_id(name, "source"))) {
		source_start(c, id);
	} else if (!strcmp(name, "email")) {
		single_section(c, name, cfg->email.present, cfg->email.line);
		cfg->email.present = 1;
		cfg->email.line = c->line;
		cfg->email.tls = NOTIFY_TLS_TRY;
		cfg->email.digest = 1;
		c->section = SEC_EMAIL;
	} else if (!strcmp(name, "git")) {
		single_section(c, name, cfg->git.present, cfg->git.line);
		cfg->git.present = 1;
		cfg->git.line = c->line;
		cfg->git.detail_days = 30;
		c->section = SEC_GIT;
	} else if ((id = section_id(name, "webhook"))) {
		webhook_start(c, id);
	} else {
		set_err(c, "unknown section [%s]", name);
	}
}

/* The keys, after curl's tool_getparam aliases[]: a key's name, its
 * section, its parser and where the value goes.  A parser returns 0, or -1
 * for a bad value ("KEY must EXPECT, not 'VALUE'", EXPECT NULL: "be
 * MIN..MAX"); one that has more to say calls set_err itself.  field is the
 * section's struct at the key's offset. */
struct key {
	const char *name;
	int (*parse)(struct ctx *c, const struct key *k, const char *value, void *field);
	enum section section;
	size_t offset;
	long min, max;
	const char *expect;
};

static int
set_string(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)k;
	if (replace(field, value) < 0)
		set_err(c, "out of memory");
	return 0;
}

/* a path relative to the config file */
static int
set_path(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char **slot = field;

	(void)k;
	free(*slot);
	*slot = relative_to(c->file, value);
	return 0;
}

/* a path, or none when empty */
static int
set_path_or_none(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char **slot = field;

	if (*value)
		return set_path(c, k, value, field);
	free(*slot);
	*slot = NULL;
	return 0;
}

static int
set_int(struct ctx *c, const struct key *k, const char *value, void *field)
{
	long l;

	(void)c;
	if (parse_long(value, k->min, k->max, &l) < 0)
		return -1;
	*(int *)field = (int)l;
	return 0;
}

static int
set_long(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	return parse_long(value, k->min, k->max, field);
}

/* a long, or all (-1) */
static int
set_long_or_all(struct ctx *c, const struct key *k, const char *value, void *field)
{
	if (!strcmp(value, "all")) {
		*(long *)field = -1;
		return 0;
	}
	return set_long(c, k, value, field);
}

static int
set_interval(struct ctx *c, const struct key *k, const char *value, void *field)
{
	long l;

	(void)c;
	if (parse_interval(value, &l) < 0 || l < k->min || l > k->max)
		return -1;
	*(long *)field = l;
	return 0;
}

static int
set_size(struct ctx *c, const struct key *k, const char *value, void *field)
{
	size_t n;

	(void)c;
	if (parse_size(value, &n) < 0 || n < (size_t)k->min)
		return -1;
	*(size_t *)field = n;
	return 0;
}

static int
set_bool(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	(void)k;
	return parse_bool(value, field);
}

static int
set_list(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char ***slot = field;

	(void)k;
	list_free(*slot);
	*slot = split_list(value);
	if (!*slot)
		set_err(c, "out of memory");
	return 0;
}

/* a secret written into the config: refused, with expect as the reason */
static int
refuse(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)value;
	(void)field;
	set_err(c, "%s", k->expect);
	return 0;
}

static int
set_source_url(struct ctx *c, const struct key *k, const char *value, void *field)
{
	if (*value)
		check_url(c, value);
	return set_string(c, k, value, field);
}

/* items, title, link and date: XPath or path, checked when the section's
 * format is known (min: the rule's index in rule_line) */
static int
set_rule(struct ctx *c, const struct key *k, const char *value, void *field)
{
	c->src->rule_line[k->min] = c->line;
	return set_string(c, k, value, field);
}

/* content (XPath) and html (a dotted path): checked as they are read */
static int
set_checked(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char xerr[300];
	int bad;

	if (k->offset == offsetof(struct source, html))
		bad = parse_path_check(value, xerr, sizeof(xerr));
	else
		bad = parse_xpath_check(value, xerr, sizeof(xerr));
	if (bad < 0) {
		set_err(c, "%s in '%s'", xerr, k->name);
		return 0;
	}
	return set_string(c, k, value, field);
}

static int
set_format(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	(void)k;
	*(int *)field = parse_format_parse(value);
	return *(int *)field < 0 ? -1 : 0;
}

static int
set_method(struct ctx *c, const struct key *k, const char *value, void *field)
{
	if (strcmp(value, "GET") && strcmp(value, "POST"))
		return -1;
	return set_string(c, k, value, field);
}

static int
add_header(struct ctx *c, const struct key *k, const char *value, void *field)
{
	struct source *s = c->src;
	const char *colon = strchr(value, ':');
	char **h;

	(void)k;
	(void)field;
	if (!colon || colon == value || strpbrk(value, "\r\n"))
		return -1;
	h = realloc(s->headers, (size_t)(s->nheaders + 2) * sizeof(*h));
	if (!h || !(h[s->nheaders] = strdup(value))) {
		if (h)
			s->headers = h;
		set_err(c, "out of memory");
		return 0;
	}
	s->headers = h;
	h[++s->nheaders] = NULL;
	return 0;
}

static int
set_encoding(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char canon[40];
	iconv_t cd;

	if (!fetch_charset_canon(value, canon, sizeof(canon)) ||
	    (cd = iconv_open("UTF-8", canon)) == (iconv_t)-1) {
		set_err(c, "unknown encoding '%s'", value);
		return 0;
	}
	iconv_close(cd);
	return set_string(c, k, value, field);
}

static int
set_email_url(struct ctx *c, const struct key *k, const char *value, void *field)
{
	if (strncmp(value, "smtp://", 7) && strncmp(value, "smtps://", 8))
		set_err(c, "email url must be smtp:// or smtps://, not '%s'", value);
	check_url(c, value);
	return set_string(c, k, value, field);
}

static int
set_address(struct ctx *c, const struct key *k, const char *value, void *field)
{
	check_address(c, k->name, value);
	return set_string(c, k, value, field);
}

static int
set_addresses(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char ***to = field;

	list_free(*to);
	*to = split_list(value);
	if (*to && !(*to)[0])
		set_err(c, "email to is empty");
	for (size_t i = 0; *to && (*to)[i]; i++)
		check_address(c, k->name, (*to)[i]);
	return 0;
}

static int
set_password_file(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)k;
	(void)field;
	read_password_file(c, value);
	return 0;
}

static int
set_tls(struct ctx *c, const struct key *k, const char *value, void *field)
{
	int *tls = field;

	(void)c;
	(void)k;
	if (!strcmp(value, "required"))
		*tls = NOTIFY_TLS_REQUIRED;
	else if (!strcmp(value, "try"))
		*tls = NOTIFY_TLS_TRY;
	else if (!strcmp(value, "no"))
		*tls = NOTIFY_TLS_NO;
	else
		return -1;
	return 0;
}

/* mode: digest (1) or each (0) */
static int
set_digest(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	(void)k;
	if (strcmp(value, "digest") && strcmp(value, "each"))
		return -1;
	*(int *)field = value[0] == 'd';
	return 0;
}

/* a channel's route: sources (checked once every source is read) and kinds */
static struct route *
section_route(struct ctx *c)
{
	return c->section == SEC_EMAIL ? &c->cfg->email.route : &c->hook->route;
}

/* An empty sources or kinds would route nothing, and say nothing. */
static int
route_list(struct ctx *c, const struct key *k, const char *value, void *field)
{
	int r = set_list(c, k, value, field);

	if (!c->err[0] && (!*(char ***)field || !**(char ***)field))
		set_err(c, "%s is empty: leave it out to take every %s", k->name,
		        !strcmp(k->name, "kinds") ? "kind" : "source");
	return r;
}

static int
set_route_sources(struct ctx *c, const struct key *k, const char *value, void *field)
{
	section_route(c)->sources_line = c->line;
	return route_list(c, k, value, field);
}

static int
set_route_kinds(struct ctx *c, const struct key *k, const char *value, void *field)
{
	char **l;
	size_t i = 0, j;

	route_list(c, k, value, field);
	for (l = *(char ***)field; l && l[i] && !c->err[0]; i++) {
		for (j = 0; config_kinds[j] && strcmp(config_kinds[j], l[i]); j++)
			;
		if (!config_kinds[j])
			set_err(c, "unknown kind '%s' in kinds (new, changed, removed, broken, stale; "
			        "recovered goes with broken and stale)", l[i]);
	}
	return 0;
}

static int
set_webhook_url(struct ctx *c, const struct key *k, const char *value, void *field)
{
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
		set_err(c, "webhook url must be http:// or https://");
	check_url(c, value);
	return set_string(c, k, value, field);
}

static int
set_webhook_format(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	(void)k;
	*(int *)field = notify_format_parse(value);
	return *(int *)field < 0 ? -1 : 0;
}

static int
set_git_path(struct ctx *c, const struct key *k, const char *value, void *field)
{
	set_path_or_none(c, k, value, field);
	c->cfg->git.path_line = c->line;
	if (!c->cfg->git.path)
		set_err(c, "[git] path is empty");
	return 0;
}

static int
set_author(struct ctx *c, const struct key *k, const char *value, void *field)
{
	struct git_cfg *g = &c->cfg->git;

	(void)k;
	(void)field;
	return split_author(value, &g->author_name, &g->author_email);
}

static int
set_branch(struct ctx *c, const struct key *k, const char *value, void *field)
{
	const char *p = value;

	for (; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.' ||
		      *p == '/') || (p[0] == '.' && p[1] == '.'))
			break;
	if (!*value || *p || value[0] == '/' || value[0] == '.') {
		set_err(c, "bad branch name '%s'", value);
		return 0;
	}
	return set_string(c, k, value, field);
}

static int
set_lang(struct ctx *c, const struct key *k, const char *value, void *field)
{
	(void)c;
	(void)k;
	if (strcmp(value, "zh") && strcmp(value, "en"))
		return -1;
	snprintf((char *)field, 3, "%s", value);
	return 0;
}

#define MAIN(f)    .section = SEC_MAIN, .offset = offsetof(struct config, f)
#define SOURCE(f)  .section = SEC_SOURCE, .offset = offsetof(struct source, f)
#define EMAIL(f)   .section = SEC_EMAIL, .offset = offsetof(struct email_cfg, f)
#define WEBHOOK(f) .section = SEC_WEBHOOK, .offset = offsetof(struct webhook_cfg, f)
#define GIT(f)     .section = SEC_GIT, .offset = offsetof(struct git_cfg, f)

static const struct key keys[] = {
	{"database",       set_path,          MAIN(database)},
	{"catalog",        set_path_or_none,  MAIN(catalog)},
	{"concurrency",    set_int,           MAIN(concurrency), 1, 256, NULL},
	{"per_host",       set_int,           MAIN(per_host), 1, 64, NULL},
	{"timeout",        set_interval,      MAIN(timeout), 1, 3600, "be 1s..1h"},
	{"max_size",       set_size,          MAIN(max_size), 1, 0, "be a size such as 8M"},
	{"user_agent",     set_string,        MAIN(user_agent)},
	{"lang",           set_lang,          MAIN(lang), 0, 0, "be zh or en"},
	{"outbox_max_age", set_interval,      MAIN(outbox_max_age), 1, LONG_MAX,
	 "look like 7d or 12h"},
	{"outbox_retry",   set_interval,      MAIN(outbox_retry), 1, LONG_MAX,
	 "look like 5m or 30s"},
	{"broken_after",   set_int,           MAIN(broken_after), 1, 1000, NULL},
	{"stale_days",     set_long,          MAIN(stale_days), 0, 36500, NULL},
	{"first_days",     set_long_or_all,   MAIN(first_days), 0, 3650, "be 0..3650 or all"},
	{"include",        set_list,          MAIN(include)},
	{"exclude",        set_list,          MAIN(exclude)},

	{"name",           set_string,        SOURCE(name)},
	{"url",            set_source_url,    SOURCE(url)},
	{"authority",      set_string,        SOURCE(authority)},
	{"certificate",    set_string,        SOURCE(certificate)},
	{"seen",           set_string,        SOURCE(seen)},
	{"items",          set_rule,          SOURCE(items), 0, 0, NULL},
	{"title",          set_rule,          SOURCE(title), 1, 0, NULL},
	{"link",           set_rule,          SOURCE(link), 2, 0, NULL},
	{"date",           set_rule,          SOURCE(date), 3, 0, NULL},
	{"content",        set_checked,       SOURCE(content)},
	{"format",         set_format,        SOURCE(format), 0, 0,
	 "be html, json, xml or script"},
	{"html",           set_checked,       SOURCE(html)},
	{"script",         set_string,        SOURCE(script)},
	{"method",         set_method,        SOURCE(method), 0, 0, "be GET or POST"},
	{"body",           set_string,        SOURCE(body)},
	{"header",         add_header,        SOURCE(headers), 0, 0, "look like 'Name: value'"},
	{"pages",          set_int,           SOURCE(pages), 1, 50, NULL},
	{"user_agent",     set_string,        SOURCE(user_agent)},
	{"encoding",       set_encoding,      SOURCE(encoding)},
	{"include",        set_list,          SOURCE(include)},
	{"exclude",        set_list,          SOURCE(exclude)},
	{"interval",       set_interval,      SOURCE(interval), 0, LONG_MAX,
	 "look like 90s, 15m, 6h or 1d"},
	{"insecure",       set_bool,          SOURCE(insecure), 0, 0, "be yes or no"},
	{"enabled",        set_bool,          SOURCE(enabled), 0, 0, "be yes or no"},

	{"url",            set_email_url,     EMAIL(url)},
	{"from",           set_address,       EMAIL(from)},
	{"to",             set_addresses,     EMAIL(to)},
	{"username",       set_string,        EMAIL(username)},
	{"password_env",   set_string,        EMAIL(password_env)},
	{"password_file",  set_password_file, EMAIL(password)},
	{"password",       refuse,            EMAIL(password), 0, 0, "the password itself is "
	 "not kept in the config: use password_env or password_file"},
	{"tls",            set_tls,           EMAIL(tls), 0, 0, "be required, try or no"},
	{"mode",           set_digest,        EMAIL(digest), 0, 0, "be digest or each"},
	{"subject",        set_string,        EMAIL(subject)},
	{"sources",        set_route_sources, EMAIL(route.sources)},
	{"kinds",          set_route_kinds,   EMAIL(route.kinds)},

	{"url",            set_webhook_url,   WEBHOOK(url)},
	{"format",         set_webhook_format, WEBHOOK(format), 0, 0,
	 "be json, slack, discord, dingtalk, wecom, feishu or telegram"},
	{"secret_env",     set_string,        WEBHOOK(secret_env)},
	{"chat_id",        set_string,        WEBHOOK(chat_id)},
	{"max_bytes",      set_size,          WEBHOOK(max_bytes), 16 * 1024, 0,
	 "be a size of at least 16K, such as 1M"},
	{"secret",         refuse,            WEBHOOK(secret_env), 0, 0, "the secret itself is "
	 "not kept in the config: use secret_env"},
	{"sources",        set_route_sources, WEBHOOK(route.sources)},
	{"kinds",          set_route_kinds,   WEBHOOK(route.kinds)},

	{"path",           set_git_path,      GIT(path)},
	{"author",         set_author,        GIT(author_name), 0, 0,
	 "look like 'Name <mail@example.org>'"},
	{"remote",         set_string,        GIT(remote)},
	{"branch",         set_branch,        GIT(branch)},
	{"detail_days",    set_long,          GIT(detail_days), 0, 3650, NULL},
};

static const char *const section_names[] = {"", "noticewatch", "source", "email", "webhook",
                                            "git"};

/* The section's struct, where its keys' offsets point. */
static char *
section_struct(struct ctx *c)
{
	switch (c->section) {
	case SEC_MAIN: return (char *)c->cfg;
	case SEC_SOURCE: return (char *)c->src;
	case SEC_EMAIL: return (char *)&c->cfg->email;
	case SEC_WEBHOOK: return (char *)c->hook;
	case SEC_GIT: return (char *)&c->cfg->git;
	case SEC_NONE: break;
	}
	return NULL;
}

/* 1 when the section had key before (header may come many times) */
static int
key_seen(struct ctx *c, const char *key)
{
	for (int i = 0; i < c->nseen; i++)
		if (!strcmp(c->seen[i], key))
			return 1;
	if (c->nseen < 64)
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", key);
	return 0;
}

static void
key_value(struct ctx *c, const char *key, const char *value)
{
	char *base = section_struct(c);
	const struct key *k = NULL;

	for (size_t i = 0; !k && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].section == c->section && !strcmp(keys[i].name, key))
			k = &keys[i];
	if (!base)
		return;
	if (k && k->parse != add_header && key_seen(c, key))
		set_err(c, "duplicate key '%s'", key);
	else if (!k && c->section == SEC_SOURCE)
		set_err(c, "unknown key '%s' in [source %s]", key, c->src->id);
	else if (!k && c->section == SEC_WEBHOOK)
		set_err(c, "unknown key '%s' in [webhook %s]", key, c->hook->name);
	else if (!k)
		set_err(c, "unknown key '%s' in [%s]", key, section_names[c->section]);
	else if (k->parse(c, k, value, base + k->offset) == 0)
		return;
	else if (k->expect)
		set_err(c, "%s must %s, not '%s'", key, k->expect, value);
	else
		set_err(c, "%s must be %ld..%ld, not '%s'", key, k->min, k->max, value);
}

static char *
reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	char *r = fgets(str, num, c->fp);
	size_t n;

	if (!r)
		return NULL;
	if (c->at_line_start) {
		const char *p = str;
		c->line++;
		if (c->line == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
			p += 3;         /* a UTF-8 BOM, as inih skips it */
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			const char *end = strchr(p, ']');
			if (end) {
				char *name = trimmed_dup(p + 1, (size_t)(end - p - 1));
				if (name)
					section_start(c, name);
				free(name);
			}
		}
	}
	n = strlen(str);
	c->at_line_start = n > 0 && str[n - 1] == '\n';
	return r;
}


static int
handler(void *user, const char *section, const char *key, const char *value)
{
	struct ctx *c = user;

	(void)section;
	if (c->err[0])
		return 0;
	if (!value)
		value = "";
	if (c->section == SEC_NONE) {
		set_err(c, "key '%s' outside a section", key);
		return 0;
	}
	key_value(c, key, value);
	return c->err[0] ? 0 : 1;
}

/* items/title/link/date: dotted paths for json and script (unless html=
 * hands them an HTML fragment), XPath otherwise */
static void
check_rules(struct ctx *c, const struct source *s)
{
	const char *rule[4] = {s->items, s->title, s->link, s->date};
	const char *names[4] = {"items", "title", "link", "date"};
	int paths = (s->format == PARSE_JSON || s->format == PARSE_SCRIPT) && !s->html;
	/* without format, the Content-Type decides: either kind may do */
	int either = s->format == PARSE_AUTO;
	char xerr[300], perr[300];

	for (int k = 0; k < 4 && !c->err[0]; k++) {
		int bad;
		if (!rule[k])
			continue;
		if ((paths || either) && k == 2 && strchr(rule[k], '{'))
			bad = 0;        /* a link template */
		else if (either)
			bad = parse_xpath_check(rule[k], xerr, sizeof(xerr)) < 0 &&
			      parse_path_check(rule[k], perr, sizeof(perr)) < 0;
		else
			bad = paths ? parse_path_check(rule[k], xerr, sizeof(xerr))
			            : parse_xpath_check(rule[k], xerr, sizeof(xerr));
		if (bad) {
			c->line = s->rule_line[k];
			set_err(c, "%s in '%s'", xerr, names[k]);
		}
	}
}

/* What a source's keys say together. */
static void
check_source(struct ctx *c, const struct source *s)
{
	c->line = s->line;
	if (!s->url || !*s->url)
		set_err(c, "source '%s' has no url", s->id);
	else if (strncmp(s->url, "http://", 7) && strncmp(s->url, "https://", 8))
		set_err(c, "source '%s': url must be http:// or https://, not '%s'", s->id, s->url);
	else if ((s->title || s->link || s->date) && !s->items && !s->html)
		set_err(c, "source '%s': title, link and date need items", s->id);
	else if (s->format == PARSE_SCRIPT && !s->script)
		set_err(c, "source '%s': format script needs script = NAME", s->id);
	else if ((s->html || s->script) && s->format != PARSE_JSON && s->format != PARSE_SCRIPT)
		set_err(c, "source '%s': html and script need format = json or script", s->id);
	else if ((s->format == PARSE_JSON || s->format == PARSE_SCRIPT) && !s->html &&
	         (!s->items || !s->title || !s->link))
		set_err(c, "source '%s': format %s needs items, title and link (or html)", s->id,
		        s->format == PARSE_JSON ? "json" : "script");
	else if (s->format == PARSE_XML && !s->items)
		set_err(c, "source '%s': format xml needs items", s->id);
	else if (s->pages > 1 && s->format != PARSE_HTML && s->format != PARSE_AUTO &&
	         !strstr(s->url, "{page}") && !(s->body && strstr(s->body, "{page}")))
		set_err(c, "source '%s': pages needs a {page} placeholder in url or body", s->id);
	if (!c->err[0])
		check_rules(c, s);
}

static void
check_email(struct ctx *c, const struct email_cfg *e)
{
	c->line = e->line;
	if (!e->url)
		set_err(c, "[email] has no url");
	else if (!e->from)
		set_err(c, "[email] has no from");
	else if (!e->to || !e->to[0])
		set_err(c, "[email] has no to");
	else if (e->password_env && e->password)
		set_err(c, "[email] has both password_env and password_file");
	else if ((e->password_env || e->password) && !e->username)
		set_err(c, "[email] has a password but no username");
}

static void
check_webhook(struct ctx *c, const struct webhook_cfg *w)
{
	c->line = w->line;
	if (!w->url)
		set_err(c, "[webhook %s] has no url", w->name);
	else if (w->format < 0)
		set_err(c, "[webhook %s] has no format", w->name);
	else if (w->format == NOTIFY_TELEGRAM && !w->chat_id)
		set_err(c, "[webhook %s] needs chat_id for telegram", w->name);
	else if (w->secret_env && w->format != NOTIFY_DINGTALK && w->format != NOTIFY_FEISHU)
		set_err(c, "[webhook %s]: secret_env is for dingtalk and feishu", w->name);
}

/* Reads c->file's sections and keys into c->cfg; errors in c->err. */
static int
parse_file(struct ctx *c)
{
	struct stat sb;
	int r;

	c->fp = fopen(c->file, "r");
	if (c->fp && fstat(fileno(c->fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(c->fp);
		c->fp = NULL;
		errno = EISDIR;
	}
	if (!c->fp) {
		snprintf(c->err, sizeof(c->err), "cannot read config '%s': %s", c->file,
		         strerror(errno));
		return -1;
	}
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 65536;
	ini_allow_multiline = false;
	errno = 0;
	r = ini_parse_stream(reader, c, handler, c);
	if (ferror(c->fp) && !c->err[0])
		snprintf(c->err, sizeof(c->err), "cannot read config '%s': %s", c->file,
		         strerror(errno ? errno : EIO));
	fclose(c->fp);
	if (!c->err[0] && r > 0) {
		c->line = r;
		set_err(c, "syntax error: expected [section] or key = value");
	} else if (!c->err[0] && r < 0) {
		snprintf(c->err, sizeof(c->err), "%s: cannot parse (out of memory)", c->file);
	}
	return c->err[0] ? -1 : 0;
}

static int
load_file(struct config *cfg, const char *file, int main_file, char *err, size_t errlen)
{
	struct ctx c = {.cfg = cfg, .file = file, .at_line_start = 1, .main_file = main_file,
	                .cap_sources = cfg->nsources, .ids = xmlHashCreate(0)};
	size_t first = cfg->nsources;

	for (size_t i = 0; c.ids && i < cfg->nsources; i++)
		if (xmlHashAddEntry(c.ids, (const xmlChar *)cfg->sources[i].id,
		                    (void *)(uintptr_t)(i + 1)) < 0) {
			xmlHashFree(c.ids, NULL);
			c.ids = NULL;
		}
	if (!c.ids)
		snprintf(c.err, sizeof(c.err), "%s: out of memory", file);
	else
		parse_file(&c);
	xmlHashFree(c.ids, NULL);
	c.ids = NULL;
	for (size_t i = first; !c.err[0] && i < cfg->nsources; i++)
		check_source(&c, &cfg->sources[i]);
	if (main_file && !c.err[0] && cfg->email.present)
		check_email(&c, &cfg->email);
	for (size_t i = 0; main_file && !c.err[0] && i < cfg->nwebhooks; i++)
		check_webhook(&c, &cfg->webhooks[i]);
	if (c.err[0]) {
		snprintf(err, errlen, "%s", c.err);
		return -1;
	}
	return 0;
}

/* p with every symbolic link resolved; the part of p that does not exist
 * yet is taken as written ("." and ".." applied).  NULL on error. */
static char *
resolved(const char *p)
{
	char *r = realpath(p, NULL), *d, *dir, *out;
	const char *base;
	size_t n = strlen(p);

	if (r || errno != ENOENT)
		return r;
	while (n > 1 && p[n - 1] == '/')
		n--;
	d = strndup(p, n);
	if (!d)
		return NULL;
	base = strrchr(d, '/');
	if (!base) {
		dir = realpath(".", NULL);
		base = d;
	} else {
		d[base - d] = '\0';
		dir = resolved(base == d ? "/" : d);
		base++;
	}
	out = dir ? malloc(strlen(dir) + strlen(base) + 2) : NULL;
	if (out && !strcmp(base, "..")) {
		char *slash = strrchr(dir, '/');
		sprintf(out, "%.*s", slash && slash != dir ? (int)(slash - dir) : 1, dir);
	} else if (out) {
		sprintf(out, "%s%s%s", dir, strcmp(dir, "/") && strcmp(base, ".") ? "/" : "",
		        strcmp(base, ".") ? base : "");
	}
	free(dir);
	free(d);
	return out;
}

/* 1 when the directory dir (resolved) holds the file p: its name, or what a
 * symbolic link p points to. */
static int
holds(const char *dir, const char *p)
{
	char *slash = strrchr(p, '/'), *name, *target = realpath(p, NULL), *parent;
	size_t dl = strlen(dir);
	int in = 0;

	parent = slash ? strndup(p, (size_t)(slash - p + (slash == p))) : strdup(".");
	name = parent ? resolved(parent) : NULL;
	for (int k = 0; k < 2; k++) {
		const char *x = k ? target : name;
		if (x && (!strcmp(dir, "/") ||
		          (!strncmp(x, dir, dl) && (x[dl] == '/' || x[dl] == '\0'))))
			in = 1;
	}
	free(parent);
	free(name);
	free(target);
	return in;
}

/* The history's path may hold neither the config, its catalog nor the
 * database, and is empty or a noticewatch history: its commit and checkout
 * would delete what it holds. */
static int
check_history_path(const struct config *cfg, char *err, size_t errlen)
{
	const struct git_cfg *g = &cfg->git;
	const char *what[] = {"config", "catalog", "database"};
	const char *files[] = {cfg->files[0], cfg->files[1], cfg->database};
	struct notify_git ng = {.path = g->path, .branch = g->branch};
	char why[400] = "";
	char *dir = resolved(g->path);

	if (!dir)
		snprintf(why, sizeof(why), "'%s' cannot be resolved: %s", g->path, strerror(errno));
	for (int i = 0; dir && !why[0] && i < 3; i++)
		if (files[i] && holds(dir, files[i]))
			snprintf(why, sizeof(why), "'%s' holds the %s '%s'", g->path, what[i],
			         files[i]);
	if (!why[0] && notify_git_check(&ng, why, sizeof(why)) < 0 && !why[0])
		snprintf(why, sizeof(why), "'%s' cannot be checked", g->path);
	free(dir);
	if (!why[0])
		return 0;
	snprintf(err, errlen, "%s:%d: [git] path %s", cfg->files[0],
	         g->path_line ? g->path_line : g->line, why);
	return -1;
}

/* A channel's sources = names sources the config or its catalog define. */
static int
check_route(const struct config *cfg, const struct route *r, const char *section,
            char *err, size_t errlen)
{
	for (size_t i = 0; r->sources && r->sources[i]; i++)
		if (!config_source(cfg, r->sources[i])) {
			snprintf(err, errlen, "%s:%d: unknown source '%s' in %s sources",
			         cfg->files[0], r->sources_line, r->sources[i], section);
			return -1;
		}
	return 0;
}

static int
check_routes(const struct config *cfg, char *err, size_t errlen)
{
	char section[160];

	if (cfg->email.present && check_route(cfg, &cfg->email.route, "[email]", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		snprintf(section, sizeof(section), "[webhook %s]", cfg->webhooks[i].name);
		if (check_route(cfg, &cfg->webhooks[i].route, section, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->concurrency = 16;
	cfg->per_host = 2;
	cfg->timeout = 30;
	cfg->max_size = 8u << 20;
	cfg->outbox_max_age = 7 * 86400;
	cfg->outbox_retry = 300;
	cfg->broken_after = 3;
	cfg->first_days = 30;
	cfg->stale_days = 400;
	cfg->path = strdup(path);
	cfg->include = list_dup(config_default_include);
	cfg->exclude = list_dup(config_default_exclude);
	cfg->files[0] = strdup(path);
	if (!cfg->path || !cfg->include || !cfg->exclude || !cfg->files[0]) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_file(cfg, cfg->files[0], 1, err, errlen) < 0)
		return -1;
	if (!cfg->database)
		cfg->database = relative_to(path, "noticewatch.db");
	if (cfg->catalog) {
		cfg->files[1] = strdup(cfg->catalog);
		if (!cfg->files[1] || load_file(cfg, cfg->files[1], 0, err, errlen) < 0)
			return -1;
	}
	if (cfg->git.present) {
		struct git_cfg *g = &cfg->git;
		if (!g->path)
			g->path = relative_to(path, "history");
		if (!g->author_name) {
			g->author_name = strdup("noticewatch");
			g->author_email = strdup("noticewatch@localhost");
		}
		if (!g->branch)
			g->branch = strdup("main");
		if (!g->path || !g->author_name || !g->author_email || !g->branch) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (check_history_path(cfg, err, errlen) < 0)
			return -1;
	}
	if (check_routes(cfg, err, errlen) < 0)
		return -1;
	cfg->channels = calloc(cfg->nwebhooks + 2, sizeof(char *));
	cfg->ids = calloc(cfg->nsources + 1, sizeof(char *));
	for (size_t i = 0; cfg->ids && i < cfg->nsources; i++)
		cfg->ids[i] = cfg->sources[i].id;
	if (!cfg->channels || !cfg->ids) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	{
		static char email[] = "email";
		size_t k = 0;
		if (cfg->email.present)
			cfg->channels[k++] = email;
		for (size_t i = 0; i < cfg->nwebhooks; i++)
			cfg->channels[k++] = cfg->webhooks[i].name;
	}
	return 0;
}

struct source *
config_source(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].id, id))
			return &cfg->sources[i];
	return NULL;
}

size_t
config_source_rank(const struct config *cfg, const char *id)
{
	const struct source *s = config_source(cfg, id);

	return s ? (size_t)(s - cfg->sources) : cfg->nsources;
}

void
config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source *s = &cfg->sources[i];
		free(s->id);
		free(s->name);
		free(s->url);
		free(s->authority);
		free(s->certificate);
		free(s->seen);
		free(s->items);
		free(s->title);
		free(s->link);
		free(s->date);
		free(s->content);
		free(s->html);
		free(s->script);
		free(s->method);
		free(s->body);
		list_free(s->headers);
		free(s->user_agent);
		free(s->encoding);
		list_free(s->include);
		list_free(s->exclude);
	}
	free(cfg->sources);
	free(cfg->email.url);
	free(cfg->email.from);
	list_free(cfg->email.to);
	free(cfg->email.username);
	free(cfg->email.password_env);
	if (cfg->email.password) {
		memset(cfg->email.password, 0, strlen(cfg->email.password));
		free(cfg->email.password);
	}
	free(cfg->email.subject);
	list_free(cfg->email.route.sources);
	list_free(cfg->email.route.kinds);
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		list_free(cfg->webhooks[i].route.sources);
		list_free(cfg->webhooks[i].route.kinds);
		free(cfg->webhooks[i].name);
		free(cfg->webhooks[i].url);
		free(cfg->webhooks[i].secret_env);
		free(cfg->webhooks[i].chat_id);
	}
	free(cfg->webhooks);
	free(cfg->git.path);
	free(cfg->git.author_name);
	free(cfg->git.author_email);
	free(cfg->git.remote);
	free(cfg->git.branch);
	free(cfg->channels);    /* the names belong to the sections */
	free(cfg->ids);
	free(cfg->path);
	free(cfg->database);
	free(cfg->catalog);
	free(cfg->user_agent);
	list_free(cfg->include);
	list_free(cfg->exclude);
	free(cfg->files[0]);
	free(cfg->files[1]);
	memset(cfg, 0, sizeof(*cfg));
}

char *const *
config_include(const struct config *cfg, const struct source *s)
{
	return s && s->include ? s->include : cfg->include;
}

char *const *
config_exclude(const struct config *cfg, const struct source *s)
{
	return s && s->exclude ? s->exclude : cfg->exclude;
}
