/* The configuration: noticewatch.ini and its source catalog, read with
 * libinih.  Part of config/. */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stddef.h>

struct source {
	char *id;               /* [a-z0-9_-]+ */
	char *name;
	char *url;
	char *authority;        /* informational */
	char *certificate;      /* informational: what is known of its certificates */
	char *seen;             /* informational: where the address was seen */
	char *items, *title, *link, *date;      /* XPath, or NULL */
	char *content;          /* XPath of a detail page's text, or NULL */
	int format;             /* enum parse_format; PARSE_AUTO: from Content-Type */
	char *html;             /* json/script: path of an HTML fragment */
	char *script;           /* script: the name assigned the data */
	char *method;           /* NULL (GET) or "POST" */
	char *body;             /* POST body; {page} is the page number */
	char **headers;         /* "Name: value" lines, NULL-terminated, or NULL */
	int nheaders;
	int pages;              /* pages to read, 1 by default */
	char *user_agent;       /* NULL: the global one */
	int insecure;           /* TLS not verified: off by default, warned about */
	int rule_line[4];       /* lines of items, title, link, date */
	char *encoding;         /* NULL: detect */
	char **include;         /* NULL: the global list */
	char **exclude;
	long interval;          /* seconds */
	int enabled;
	const char *file;       /* where it was defined */
	int line;
};

/* The alerts a channel takes: sources = id, id... and kinds = new, changed,
 * removed, broken, stale ('recovered' goes with the kind it ends). */
struct route {
	char **sources;         /* NULL: every source */
	char **kinds;           /* NULL: every kind */
	int sources_line;
};

struct email_cfg {
	int present;
	char *url;              /* smtp:// or smtps:// */
	char *from;
	char **to;
	char *username;
	char *password_env;     /* read when sending */
	char *password;         /* from password_file, read at load */
	char *subject;
	int tls;                /* enum notify_tls */
	int digest;
	struct route route;
	int line;
};

struct webhook_cfg {
	char *name;             /* [a-z0-9_-]+, the channel's name */
	char *url;
	int format;             /* enum notify_format, -1 unset */
	char *secret_env;
	char *chat_id;
	size_t max_bytes;       /* 0: the service's limit */
	struct route route;
	const char *file;
	int line;
};

struct git_cfg {
	int present;
	char *path;             /* relative to the config file */
	char *author_name;
	char *author_email;
	char *remote;
	char *branch;
	long detail_days;       /* re-check detail pages this long after first seen */
	int line;
	int path_line;          /* line of path, 0: the default */
};

struct config {
	char *path;             /* the config file */
	char *database;         /* absolute or relative to the cwd */
	char *catalog;          /* NULL: none */
	int concurrency;
	int per_host;
	long timeout;
	size_t max_size;
	char *user_agent;
	char lang[3];           /* the alerts' language: "zh", "en", or "" (the
	                         * locale's) */
	char **include;
	char **exclude;
	struct source *sources;
	size_t nsources;
	struct email_cfg email;
	struct webhook_cfg *webhooks;
	size_t nwebhooks;
	char **channels;        /* "email" and the webhook names, NULL-terminated */
	char **ids;             /* the sources' ids, NULL-terminated (not owned) */
	struct git_cfg git;
	long outbox_max_age;    /* seconds an alert is retried before it is dead */
	long outbox_retry;      /* first backoff after a second failure, doubling */
	int broken_after;       /* failed checks in a row that raise 'broken' */
	long first_days;        /* a source's first check alerts notices dated this
	                         * many days back (0: none); -1: all */
	long stale_days;        /* a source whose newest dated notice is older is
	                         * stale (0: never) */
	char *files[2];         /* file names the sources point to */
};

/* Loads path and its catalog.  Returns 0, or -1 with err set to one line
 * naming the file and line ("FILE:LINE: ..."). */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

/* The kinds a channel's kinds = may name (NULL-terminated). */
extern const char *const config_kinds[];

/* The source with this id, or NULL. */
struct source *config_source(const struct config *cfg, const char *id);
/* Its position in the catalog; sources not configured rank last. */
size_t config_source_rank(const struct config *cfg, const char *id);

/* Default include and exclude keywords (NULL-terminated). */
extern const char *const config_default_include[];
extern const char *const config_default_exclude[];

/* The catalog built into the binary (sources/provinces.ini). */
const char *config_builtin_catalog(size_t *len);
/* The starter config (doc/noticewatch.ini.example). */
const char *config_builtin_example(size_t *len);

/* The include and exclude lists that judge a source's titles: its own, or
 * the global ones (s NULL: the global ones). */
char *const *config_include(const struct config *cfg, const struct source *s);
char *const *config_exclude(const struct config *cfg, const struct source *s);

#endif
