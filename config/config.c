/* Reads noticewatch.ini and the catalog with libinih. */
#include "config/config.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <iconv.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
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

struct ctx {
	struct config *cfg;
	const char *file;
	FILE *fp;
	int line;
	int at_line_start;
	int main_file;          /* [noticewatch] allowed */
	int main_line;          /* line of [noticewatch], 0 before it */
	int section;            /* 0 none, 1 [noticewatch], 2 [source], 3 [email], 4 [webhook],
	                         * 5 [git] */
	struct source *src;
	struct webhook_cfg *hook;
	char seen[64][24];      /* keys seen in the current section */
	int nseen;
	char err[512];
};

static void
set_err(struct ctx *c, const char *fmt, const char *a, const char *b)
{
	char msg[400];

	if (c->err[0])
		return;
	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
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

/* [noticewatch], [email] and [git] come once: a second one would quietly
 * win over the first. */
static void
second_section(struct ctx *c, const char *name, int first)
{
	char line[16];

	snprintf(line, sizeof(line), "%d", first);
	set_err(c, "a second [%s] section (first at line %s)", name, line);
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

static void
section_start(struct ctx *c, const char *name)
{
	struct config *cfg = c->cfg;

	c->nseen = 0;
	c->src = NULL;
	c->hook = NULL;
	c->section = 0;
	if (!strcmp(name, "noticewatch")) {
		if (!c->main_file)
			set_err(c, "[noticewatch] belongs in the main config, not a catalog%s%s",
			        NULL, NULL);
		else if (c->main_line)
			second_section(c, name, c->main_line);
		c->main_line = c->line;
		c->section = 1;
		return;
	}
	if (!strncmp(name, "source", 6) && (name[6] == ' ' || name[6] == '\t')) {
		const char *id = name + 7;
		struct source *v;

		while (*id == ' ' || *id == '\t')
			id++;
		if (!valid_id(id)) {
			set_err(c, "bad source id '%s': use a-z, 0-9, '_' and '-'%s", id, NULL);
			return;
		}
		for (size_t i = 0; i < cfg->nsources; i++) {
			if (!strcmp(cfg->sources[i].id, id)) {
				char where[300];
				snprintf(where, sizeof(where), "%s:%d", cfg->sources[i].file,
				         cfg->sources[i].line);
				set_err(c, "duplicate source id '%s' (first at %s)", id, where);
				return;
			}
		}
		v = realloc(cfg->sources, (cfg->nsources + 1) * sizeof(*v));
		if (!v) {
			set_err(c, "out of memory%s%s", NULL, NULL);
			return;
		}
		cfg->sources = v;
		c->src = &v[cfg->nsources++];
		memset(c->src, 0, sizeof(*c->src));
		c->src->id = strdup(id);
		c->src->enabled = 1;
		c->src->pages = 1;
		c->src->file = c->file;
		c->src->line = c->line;
		c->section = 2;
		return;
	}
	if (!strcmp(name, "email")) {
		if (!c->main_file)
			set_err(c, "[email] belongs in the main config, not a catalog%s%s", NULL, NULL);
		else if (cfg->email.present)
			second_section(c, name, cfg->email.line);
		cfg->email.present = 1;
		cfg->email.line = c->line;
		cfg->email.tls = NOTIFY_TLS_TRY;
		cfg->email.digest = 1;
		c->section = 3;
		return;
	}
	if (!strcmp(name, "git")) {
		if (!c->main_file)
			set_err(c, "[git] belongs in the main config, not a catalog%s%s", NULL, NULL);
		else if (cfg->git.present)
			second_section(c, name, cfg->git.line);
		cfg->git.present = 1;
		cfg->git.line = c->line;
		cfg->git.detail_days = 30;
		c->section = 5;
		return;
	}
	if (!strncmp(name, "webhook", 7) && (name[7] == ' ' || name[7] == '\t')) {
		const char *id = name + 8;
		struct webhook_cfg *v;

		while (*id == ' ' || *id == '\t')
			id++;
		if (!c->main_file) {
			set_err(c, "[webhook %s] belongs in the main config, not a catalog%s", id, NULL);
			return;
		}
		if (!valid_id(id) || !strcmp(id, "email")) {
			set_err(c, "bad webhook name '%s': use a-z, 0-9, '_' and '-' (not 'email')%s",
			        id, NULL);
			return;
		}
		for (size_t i = 0; i < cfg->nwebhooks; i++) {
			if (!strcmp(cfg->webhooks[i].name, id)) {
				set_err(c, "duplicate webhook '%s'%s", id, NULL);
				return;
			}
		}
		v = realloc(cfg->webhooks, (cfg->nwebhooks + 1) * sizeof(*v));
		if (!v) {
			set_err(c, "out of memory%s%s", NULL, NULL);
			return;
		}
		cfg->webhooks = v;
		c->hook = &v[cfg->nwebhooks++];
		memset(c->hook, 0, sizeof(*c->hook));
		c->hook->name = strdup(id);
		c->hook->format = -1;
		c->hook->file = c->file;
		c->hook->line = c->line;
		c->section = 4;
		return;
	}
	set_err(c, "unknown section [%s]%s", name, NULL);
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
		set_err(c, "out of memory%s%s", NULL, NULL);
		return;
	}
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &sb) < 0) {
		set_err(c, "cannot read password_file '%s': %s", path, strerror(errno));
	} else if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		set_err(c, "password_file '%s' can be read by others: chmod 600 it%s", path, NULL);
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

static void
email_key(struct ctx *c, const char *key, const char *value)
{
	struct email_cfg *e = &c->cfg->email;
	char **slot = NULL;

	if (!strcmp(key, "url")) {
		if (strncmp(value, "smtp://", 7) && strncmp(value, "smtps://", 8))
			set_err(c, "email url must be smtp:// or smtps://, not '%s'%s", value, NULL);
		check_url(c, value);
		slot = &e->url;
	} else if (!strcmp(key, "from")) {
		check_address(c, key, value);
		slot = &e->from;
	} else if (!strcmp(key, "to")) {
		list_free(e->to);
		e->to = split_list(value);
		if (e->to && !e->to[0])
			set_err(c, "email to is empty%s%s", NULL, NULL);
		for (size_t i = 0; e->to && e->to[i]; i++)
			check_address(c, key, e->to[i]);
	} else if (!strcmp(key, "username")) {
		slot = &e->username;
	} else if (!strcmp(key, "password_env")) {
		slot = &e->password_env;
	} else if (!strcmp(key, "password_file")) {
		read_password_file(c, value);
	} else if (!strcmp(key, "password")) {
		set_err(c, "the password itself is not kept in the config: use password_env or "
		        "password_file%s%s", NULL, NULL);
	} else if (!strcmp(key, "tls")) {
		if (!strcmp(value, "required"))
			e->tls = NOTIFY_TLS_REQUIRED;
		else if (!strcmp(value, "try"))
			e->tls = NOTIFY_TLS_TRY;
		else if (!strcmp(value, "no"))
			e->tls = NOTIFY_TLS_NO;
		else
			set_err(c, "tls must be required, try or no, not '%s'%s", value, NULL);
	} else if (!strcmp(key, "mode")) {
		if (!strcmp(value, "digest") || !strcmp(value, "each"))
			e->digest = value[0] == 'd';
		else
			set_err(c, "mode must be digest or each, not '%s'%s", value, NULL);
	} else if (!strcmp(key, "subject")) {
		slot = &e->subject;
	} else {
		set_err(c, "unknown key '%s' in [email]%s", key, NULL);
	}
	if (slot && replace(slot, value) < 0)
		set_err(c, "out of memory%s%s", NULL, NULL);
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

static void
git_key(struct ctx *c, const char *key, const char *value)
{
	struct git_cfg *g = &c->cfg->git;

	if (!strcmp(key, "path")) {
		free(g->path);
		g->path = *value ? relative_to(c->file, value) : NULL;
		g->path_line = c->line;
		if (!g->path)
			set_err(c, "[git] path is empty%s%s", NULL, NULL);
	} else if (!strcmp(key, "author")) {
		if (split_author(value, &g->author_name, &g->author_email) < 0)
			set_err(c, "author must look like 'Name <mail@example.org>', not '%s'%s", value,
			        NULL);
	} else if (!strcmp(key, "remote")) {
		if (replace(&g->remote, value) < 0)
			set_err(c, "out of memory%s%s", NULL, NULL);
	} else if (!strcmp(key, "branch")) {
		const char *p = value;
		for (; *p; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.' ||
			      *p == '/') || (p[0] == '.' && p[1] == '.'))
				break;
		if (!*value || *p || value[0] == '/' || value[0] == '.')
			set_err(c, "bad branch name '%s'%s", value, NULL);
		else if (replace(&g->branch, value) < 0)
			set_err(c, "out of memory%s%s", NULL, NULL);
	} else if (!strcmp(key, "detail_days")) {
		if (parse_long(value, 0, 3650, &g->detail_days) < 0)
			set_err(c, "detail_days must be 0..3650, not '%s'%s", value, NULL);
	} else {
		set_err(c, "unknown key '%s' in [git]%s", key, NULL);
	}
}

static void
webhook_key(struct ctx *c, const char *key, const char *value)
{
	struct webhook_cfg *w = c->hook;
	char **slot = NULL;

	if (!w)
		return;
	if (!strcmp(key, "url")) {
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
			set_err(c, "webhook url must be http:// or https://%s%s", NULL, NULL);
		check_url(c, value);
		slot = &w->url;
	} else if (!strcmp(key, "format")) {
		w->format = notify_format_parse(value);
		if (w->format < 0)
			set_err(c, "format must be json, slack, discord, dingtalk, wecom, feishu or "
			        "telegram, not '%s'%s", value, NULL);
	} else if (!strcmp(key, "secret_env")) {
		slot = &w->secret_env;
	} else if (!strcmp(key, "chat_id")) {
		slot = &w->chat_id;
	} else if (!strcmp(key, "max_bytes")) {
		if (parse_size(value, &w->max_bytes) < 0 || w->max_bytes < 16 * 1024)
			set_err(c, "max_bytes must be a size of at least 16K, such as 1M, not '%s'%s",
			        value, NULL);
	} else if (!strcmp(key, "secret")) {
		set_err(c, "the secret itself is not kept in the config: use secret_env%s%s", NULL,
		        NULL);
	} else {
		set_err(c, "unknown key '%s' in [webhook %s]", key, w->name);
	}
	if (slot && replace(slot, value) < 0)
		set_err(c, "out of memory%s%s", NULL, NULL);
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
	struct config *cfg = c->cfg;
	struct source *s = c->src;
	char xerr[300];
	long l = 0;
	int r = 0;

	(void)section;
	if (c->err[0])
		return 0;
	if (!value)
		value = "";
	for (int i = 0; i < c->nseen && strcmp(key, "header"); i++) {
		if (!strcmp(c->seen[i], key)) {
			set_err(c, "duplicate key '%s'%s", key, NULL);
			return 0;
		}
	}
	if (c->nseen < 64)
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", key);

	if (c->section == 0) {
		set_err(c, "key '%s' outside a section%s", key, NULL);
		return 0;
	}
	if (c->section == 3) {
		email_key(c, key, value);
		return c->err[0] ? 0 : 1;
	}
	if (c->section == 4) {
		webhook_key(c, key, value);
		return c->err[0] ? 0 : 1;
	}
	if (c->section == 5) {
		git_key(c, key, value);
		return c->err[0] ? 0 : 1;
	}
	if (c->section == 1) {
		if (!strcmp(key, "database")) {
			free(cfg->database);
			cfg->database = relative_to(c->file, value);
		} else if (!strcmp(key, "catalog")) {
			free(cfg->catalog);
			cfg->catalog = *value ? relative_to(c->file, value) : NULL;
		} else if (!strcmp(key, "concurrency")) {
			if (parse_long(value, 1, 256, &l) < 0)
				set_err(c, "concurrency must be 1..256, not '%s'%s", value, NULL);
			cfg->concurrency = (int)l;
		} else if (!strcmp(key, "per_host")) {
			if (parse_long(value, 1, 64, &l) < 0)
				set_err(c, "per_host must be 1..64, not '%s'%s", value, NULL);
			cfg->per_host = (int)l;
		} else if (!strcmp(key, "timeout")) {
			if (parse_interval(value, &l) < 0 || l < 1 || l > 3600)
				set_err(c, "timeout must be 1s..1h, not '%s'%s", value, NULL);
			cfg->timeout = l;
		} else if (!strcmp(key, "max_size")) {
			if (parse_size(value, &cfg->max_size) < 0)
				set_err(c, "max_size must be a size such as 8M, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "user_agent")) {
			r = replace(&cfg->user_agent, value);
		} else if (!strcmp(key, "lang")) {
			if (strcmp(value, "zh") && strcmp(value, "en"))
				set_err(c, "lang must be zh or en, not '%s'%s", value, NULL);
			else
				snprintf(cfg->lang, sizeof(cfg->lang), "%s", value);
		} else if (!strcmp(key, "outbox_max_age")) {
			if (parse_interval(value, &cfg->outbox_max_age) < 0 || cfg->outbox_max_age < 1)
				set_err(c, "outbox_max_age must look like 7d or 12h, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "outbox_retry")) {
			if (parse_interval(value, &cfg->outbox_retry) < 0 || cfg->outbox_retry < 1)
				set_err(c, "outbox_retry must look like 5m or 30s, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "broken_after")) {
			if (parse_long(value, 1, 1000, &l) < 0)
				set_err(c, "broken_after must be 1..1000, not '%s'%s", value, NULL);
			cfg->broken_after = (int)l;
		} else if (!strcmp(key, "stale_days")) {
			if (parse_long(value, 0, 36500, &cfg->stale_days) < 0)
				set_err(c, "stale_days must be 0..36500, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "first_days")) {
			if (!strcmp(value, "all"))
				cfg->first_days = -1;
			else if (parse_long(value, 0, 3650, &cfg->first_days) < 0)
				set_err(c, "first_days must be 0..3650 or all, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "include") || !strcmp(key, "exclude")) {
			char ***slot = key[0] == 'i' ? &cfg->include : &cfg->exclude;
			list_free(*slot);
			*slot = split_list(value);
			r = *slot ? 0 : -1;
		} else {
			set_err(c, "unknown key '%s' in [noticewatch]%s", key, NULL);
		}
	} else if (s) {
		char **slot = NULL;
		if (!strcmp(key, "name"))
			slot = &s->name;
		else if (!strcmp(key, "url")) {
			if (*value)
				check_url(c, value);
			slot = &s->url;
		}
		else if (!strcmp(key, "authority"))
			slot = &s->authority;
		else if (!strcmp(key, "certificate"))
			slot = &s->certificate;
		else if (!strcmp(key, "seen"))
			slot = &s->seen;
		else if (!strcmp(key, "items") || !strcmp(key, "title") || !strcmp(key, "link") ||
		         !strcmp(key, "date") || !strcmp(key, "content")) {
			slot = key[0] == 'i' ? &s->items : key[0] == 't' ? &s->title
			     : key[0] == 'l' ? &s->link : key[0] == 'c' ? &s->content : &s->date;
			/* XPath or path: checked when the section's format is known */
			if (key[0] != 'c')
				s->rule_line[key[0] == 'i' ? 0 : key[0] == 't' ? 1 : key[0] == 'l' ? 2 : 3] =
				    c->line;
			else if (parse_xpath_check(value, xerr, sizeof(xerr)) < 0) {
				set_err(c, "%s in '%s'", xerr, key);
				return 0;
			}
		} else if (!strcmp(key, "format")) {
			s->format = parse_format_parse(value);
			if (s->format < 0)
				set_err(c, "format must be html, json, xml or script, not '%s'%s", value,
				        NULL);
		} else if (!strcmp(key, "html")) {
			if (parse_path_check(value, xerr, sizeof(xerr)) < 0) {
				set_err(c, "%s in '%s'", xerr, key);
				return 0;
			}
			slot = &s->html;
		} else if (!strcmp(key, "script")) {
			slot = &s->script;
		} else if (!strcmp(key, "method")) {
			if (strcmp(value, "GET") && strcmp(value, "POST"))
				set_err(c, "method must be GET or POST, not '%s'%s", value, NULL);
			slot = &s->method;
		} else if (!strcmp(key, "body")) {
			slot = &s->body;
		} else if (!strcmp(key, "header")) {
			char **h;
			const char *colon = strchr(value, ':');
			if (!colon || colon == value || strpbrk(value, "\r\n")) {
				set_err(c, "header must look like 'Name: value', not '%s'%s", value, NULL);
				return 0;
			}
			h = realloc(s->headers, (size_t)(s->nheaders + 2) * sizeof(*h));
			if (!h || !(h[s->nheaders] = strdup(value))) {
				if (h)
					s->headers = h;
				set_err(c, "out of memory%s%s", NULL, NULL);
				return 0;
			}
			s->headers = h;
			h[++s->nheaders] = NULL;
		} else if (!strcmp(key, "pages")) {
			if (parse_long(value, 1, 50, &l) < 0)
				set_err(c, "pages must be 1..50, not '%s'%s", value, NULL);
			s->pages = (int)l;
		} else if (!strcmp(key, "user_agent")) {
			slot = &s->user_agent;
		} else if (!strcmp(key, "encoding")) {
			char canon[40];
			iconv_t cd;
			if (!fetch_charset_canon(value, canon, sizeof(canon)) ||
			    (cd = iconv_open("UTF-8", canon)) == (iconv_t)-1) {
				set_err(c, "unknown encoding '%s'%s", value, NULL);
				return 0;
			}
			iconv_close(cd);
			slot = &s->encoding;
		} else if (!strcmp(key, "include") || !strcmp(key, "exclude")) {
			char ***l = key[0] == 'i' ? &s->include : &s->exclude;
			list_free(*l);
			*l = split_list(value);
			r = *l ? 0 : -1;
		} else if (!strcmp(key, "interval")) {
			if (parse_interval(value, &s->interval) < 0)
				set_err(c, "interval must look like 90s, 15m, 6h or 1d, not '%s'%s",
				        value, NULL);
		} else if (!strcmp(key, "insecure")) {
			if (parse_bool(value, &s->insecure) < 0)
				set_err(c, "insecure must be yes or no, not '%s'%s", value, NULL);
		} else if (!strcmp(key, "enabled")) {
			if (parse_bool(value, &s->enabled) < 0)
				set_err(c, "enabled must be yes or no, not '%s'%s", value, NULL);
		} else {
			set_err(c, "unknown key '%s' in [source %s]", key, s->id);
		}
		if (slot)
			r = replace(slot, value);
	}
	if (r < 0)
		set_err(c, "out of memory%s%s", NULL, NULL);
	return c->err[0] ? 0 : 1;
}

static int
load_file(struct config *cfg, const char *file, int main_file, char *err, size_t errlen)
{
	struct ctx c = {.cfg = cfg, .file = file, .at_line_start = 1, .main_file = main_file};
	size_t first = cfg->nsources;
	struct stat sb;
	int r;

	c.fp = fopen(file, "r");
	if (c.fp && fstat(fileno(c.fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(c.fp);
		c.fp = NULL;
		errno = EISDIR;
	}
	if (!c.fp) {
		snprintf(err, errlen, "cannot read config '%s': %s", file, strerror(errno));
		return -1;
	}
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 65536;
	ini_allow_multiline = false;
	errno = 0;
	r = ini_parse_stream(reader, &c, handler, &c);
	if (ferror(c.fp) && !c.err[0])
		snprintf(c.err, sizeof(c.err), "cannot read config '%s': %s", file,
		         strerror(errno ? errno : EIO));
	fclose(c.fp);
	if (!c.err[0] && r > 0) {
		c.line = r;
		set_err(&c, "syntax error: expected [section] or key = value%s%s", NULL, NULL);
	} else if (!c.err[0] && r < 0) {
		snprintf(c.err, sizeof(c.err), "%s: cannot parse (out of memory)", file);
	}
	for (size_t i = first; !c.err[0] && i < cfg->nsources; i++) {
		struct source *s = &cfg->sources[i];
		c.line = s->line;
		if (!s->url || !*s->url)
			set_err(&c, "source '%s' has no url%s", s->id, NULL);
		else if (strncmp(s->url, "http://", 7) && strncmp(s->url, "https://", 8))
			set_err(&c, "source '%s': url must be http:// or https://, not '%s'", s->id,
			        s->url);
		else if ((s->title || s->link || s->date) && !s->items && !s->html)
			set_err(&c, "source '%s': title, link and date need items%s", s->id, NULL);
		else if (s->format == PARSE_SCRIPT && !s->script)
			set_err(&c, "source '%s': format script needs script = NAME%s", s->id, NULL);
		else if ((s->html || s->script) && s->format != PARSE_JSON && s->format != PARSE_SCRIPT)
			set_err(&c, "source '%s': html and script need format = json or script%s",
			        s->id, NULL);
		else if ((s->format == PARSE_JSON || s->format == PARSE_SCRIPT) && !s->html &&
		         (!s->items || !s->title || !s->link))
			set_err(&c, "source '%s': format %s needs items, title and link (or html)", s->id,
			        s->format == PARSE_JSON ? "json" : "script");
		else if (s->format == PARSE_XML && !s->items)
			set_err(&c, "source '%s': format xml needs items%s", s->id, NULL);
		else if (s->pages > 1 && s->format != PARSE_HTML && s->format != PARSE_AUTO &&
		         !strstr(s->url, "{page}") && !(s->body && strstr(s->body, "{page}")))
			set_err(&c, "source '%s': pages needs a {page} placeholder in url or body%s",
			        s->id, NULL);
		if (c.err[0])
			break;
		/* items/title/link/date: dotted paths for json and script (unless
		 * html= hands them an HTML fragment), XPath otherwise */
		{
			const char *rule[4] = {s->items, s->title, s->link, s->date};
			const char *names[4] = {"items", "title", "link", "date"};
			int paths = (s->format == PARSE_JSON || s->format == PARSE_SCRIPT) && !s->html;
			/* without format, the Content-Type decides: either kind may do */
			int either = s->format == PARSE_AUTO;
			char xerr[300], perr[300];
			for (int k = 0; k < 4 && !c.err[0]; k++) {
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
					c.line = s->rule_line[k];
					set_err(&c, "%s in '%s'", xerr, names[k]);
				}
			}
		}
	}
	if (main_file && !c.err[0] && cfg->email.present) {
		struct email_cfg *e = &cfg->email;
		c.line = e->line;
		if (!e->url)
			set_err(&c, "[email] has no url%s%s", NULL, NULL);
		else if (!e->from)
			set_err(&c, "[email] has no from%s%s", NULL, NULL);
		else if (!e->to || !e->to[0])
			set_err(&c, "[email] has no to%s%s", NULL, NULL);
		else if (e->password_env && e->password)
			set_err(&c, "[email] has both password_env and password_file%s%s", NULL, NULL);
		else if ((e->password_env || e->password) && !e->username)
			set_err(&c, "[email] has a password but no username%s%s", NULL, NULL);
	}
	for (size_t i = 0; main_file && !c.err[0] && i < cfg->nwebhooks; i++) {
		struct webhook_cfg *w = &cfg->webhooks[i];
		c.line = w->line;
		if (!w->url)
			set_err(&c, "[webhook %s] has no url%s", w->name, NULL);
		else if (w->format < 0)
			set_err(&c, "[webhook %s] has no format%s", w->name, NULL);
		else if (w->format == NOTIFY_TELEGRAM && !w->chat_id)
			set_err(&c, "[webhook %s] needs chat_id for telegram%s", w->name, NULL);
		else if (w->secret_env && w->format != NOTIFY_DINGTALK && w->format != NOTIFY_FEISHU)
			set_err(&c, "[webhook %s]: secret_env is for dingtalk and feishu%s", w->name,
			        NULL);
	}
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
	cfg->channels = calloc(cfg->nwebhooks + 2, sizeof(char *));
	if (!cfg->channels) {
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
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
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
