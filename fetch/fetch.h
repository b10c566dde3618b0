/* fetch: download pages concurrently with libcurl's multi interface and
 * decode them to UTF-8.  The whole public face of the fetch module. */
#ifndef NW_FETCH_H
#define NW_FETCH_H

#include <stddef.h>

/* noticewatch's version: --version prints it, and the default user agent
 * names it ("noticewatch/0.1.0", no address: none is made up) */
#define NW_VERSION "0.1.0"

/* fetch_result.code */
#define FETCH_OK            0
#define FETCH_ERROR        -1
#define FETCH_NOT_MODIFIED -2   /* 304 to a conditional request */

struct fetch_options {
	int concurrency;        /* transfers in flight */
	int per_host;           /* transfers to one host at once */
	long timeout;           /* seconds per transfer, connect included */
	size_t max_size;        /* body cap in bytes */
	const char *user_agent;
	long retry_wait_ms;     /* first backoff before the one retry */
	long max_retry_after;   /* seconds: a longer Retry-After is not waited for */
	struct fetch_cookies *cookies;  /* NULL: none kept; else shared by all transfers */
	int raw;                /* bodies left as they came, for the caller to
	                         * fetch_decode (in another thread, say) */
};

/* A cookie jar shared by the transfers of one run (libcurl's cookie
 * engine), so a site that sets a cookie and redirects works. */
struct fetch_cookies *fetch_cookies_new(void);
void fetch_cookies_free(struct fetch_cookies *c);

struct fetch_request {
	const char *url;
	const char *etag;           /* NULL: none stored */
	const char *last_modified;  /* NULL: none stored */
	const char *encoding;       /* NULL: HTTP charset, meta charset, sniffing */
	const char *method;         /* NULL or "GET"; "POST" */
	const char *body;           /* POST body, or NULL */
	char *const *headers;       /* extra "Name: value" lines, NULL-terminated, or NULL */
	const char *user_agent;     /* NULL: the options' */
	int insecure;               /* 1: TLS certificates not verified (the caller warns) */
};

struct fetch_result {
	int code;               /* FETCH_OK, FETCH_NOT_MODIFIED or FETCH_ERROR */
	long status;            /* HTTP status, 0 when none came */
	char *body;             /* UTF-8 (raw: as sent), NUL-terminated; NULL
	                         * unless FETCH_OK */
	size_t len;
	char *etag;             /* validators the server sent, or NULL */
	char *last_modified;
	char *url;              /* effective URL after redirects: the final address */
	int moved;              /* 1: a permanent redirect (301, 308) led to
	                         * another host than the request's */
	char charset[64];       /* what the body was decoded from (raw: the
	                         * HTTP charset label, or "") */
	char content_type[128]; /* as the server sent it, or "" */
	char error[256];        /* one line, set when code is FETCH_ERROR */
	int attempts;
};

/* Called once per request as it completes, in completion order; res and
 * everything it points to is freed by fetch_run after the call returns. */
typedef void (*fetch_done_fn)(size_t index, const struct fetch_result *res,
                              void *payload);

void fetch_options_default(struct fetch_options *opt);

/* Runs all n requests; returns 0, or -1 with err set when the transfer
 * machinery itself failed (per-request failures are reported in results). */
int fetch_run(const struct fetch_request *reqs, size_t n,
              const struct fetch_options *opt, fetch_done_fn done,
              void *payload, char *err, size_t errlen);

/* Decodes buf to UTF-8: forced encoding if given, else a body that is valid
 * UTF-8, else, when the HTTP or meta charset says UTF-8 and the body is
 * mostly UTF-8, UTF-8 with each bad sequence replaced by U+FFFD (as
 * browsers do), else the HTTP charset, the meta/XML charset, then GB18030.
 * gb2312 and gbk labels decode as GB18030.  used says which, and what was
 * replaced or dropped (64 bytes hold it).  *out is malloc'd and NUL-terminated.
 * Returns 0, or -1 with err set (nothing in *out). */
int fetch_decode(const char *buf, size_t len, const char *http_charset,
                 const char *forced, char **out, size_t *outlen,
                 char *used, size_t usedlen, char *err, size_t errlen);

/* Maps a charset label to the name iconv knows, as browsers do. */
const char *fetch_charset_canon(const char *label, char *buf, size_t buflen);

#endif
