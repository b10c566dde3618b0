/* Concurrent, polite, conditional downloads with libcurl's multi interface. */
#include "fetch/fetch.h"
#include "base/buf.h"
#include "base/msg.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { WAITING, RUNNING, DONE };

struct xfer {
	const struct fetch_request *req;
	size_t index;
	int state;
	int attempts;
	long long not_before;       /* monotonic ms */
	char *host;                 /* of the URL asked now, for per_host */
	char *url;                  /* after a redirect: where it led; else NULL */
	int hops;                   /* redirects followed */
	int foreign;                /* 1: url is on another origin: no custom headers */
	int get;                    /* 1: a POST turned GET by a 301/302/303 */
	int moved;                  /* 1: a 301 or 308 led to another host */
	CURL *h;
	struct curl_slist *headers;
	struct buf body;            /* capped at the options' max_size */
	int too_big;
	char *errbuf;               /* CURL_ERROR_SIZE bytes while it runs */
};

#define HOST_MAX 256            /* bytes of a host name, with its NUL */

struct fetch_cookies {
	CURLSH *share;
};

struct fetch_cookies *
fetch_cookies_new(void)
{
	struct fetch_cookies *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->share = curl_share_init();
	if (!c->share || curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) !=
	                     CURLSHE_OK) {
		fetch_cookies_free(c);
		return NULL;
	}
	return c;
}

void
fetch_cookies_free(struct fetch_cookies *c)
{
	if (!c)
		return;
	if (c->share)
		curl_share_cleanup(c->share);
	free(c);
	curl_global_cleanup();
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fetch_options_default(struct fetch_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->concurrency = 16;
	opt->per_host = 2;
	opt->timeout = 30;
	opt->max_size = 8u << 20;
	opt->user_agent = "noticewatch/" NW_VERSION;
	opt->retry_wait_ms = 1000;
	opt->max_retry_after = 60;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;
	int r = buf_add(&x->body, data, n);

	x->too_big = r == BUF_TOO_LARGE;
	return r == 0 ? n : 0;
}

/* scheme, host and port of a URL (the scheme's default port filled in) */
struct origin {
	char *scheme, *host, *port;
};

static int
origin_of(const char *url, struct origin *o)
{
	CURLU *u = curl_url();
	int r = -1;

	memset(o, 0, sizeof(*o));
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		r = 0;
	curl_url_cleanup(u);
	return r;
}

static void
origin_free(struct origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
}

/* The host of an http(s) URL; -1 for any other. */
static int
host_of(const char *url, char *host, size_t hostlen)
{
	struct origin o;
	int r = origin_of(url, &o) == 0 &&
	        (!strcmp(o.scheme, "http") || !strcmp(o.scheme, "https")) ? 0 : -1;

	if (r == 0)
		snprintf(host, hostlen, "%s", o.host);
	origin_free(&o);
	return r;
}

/* Whether a redirect from 'from' to 'to' stays where the request's own
 * headers may go: the same scheme, host and port (what libcurl calls the
 * same host for credentials), or http upgraded to https on the same host
 * and default ports.  A downgrade to http, another port or another host
 * is another origin. */
static int
same_origin(const char *from, const char *to)
{
	struct origin a, b;
	int ok = origin_of(from, &a) == 0;
	int same = origin_of(to, &b) == 0 && ok && strcasecmp(a.host, b.host) == 0 &&
	           ((strcmp(a.scheme, b.scheme) == 0 && strcmp(a.port, b.port) == 0) ||
	            (!strcmp(a.scheme, "http") && !strcmp(a.port, "80") &&
	             !strcmp(b.scheme, "https") && !strcmp(b.port, "443")));

	origin_free(&a);
	origin_free(&b);
	return same;
}

static int
start(CURLM *multi, struct xfer *x, const struct fetch_options *opt)
{
	const struct fetch_request *rq = x->req;
	char line[1024];

	if (!x->errbuf && !(x->errbuf = malloc(CURL_ERROR_SIZE)))
		return -1;
	x->h = curl_easy_init();
	if (!x->h)
		return -1;
	buf_free(&x->body);
	buf_init(&x->body, opt->max_size + 1);     /* max_size bytes and the NUL */
	x->too_big = 0;
	x->errbuf[0] = '\0';
	x->attempts++;
	/* validators belong to the address asked, not where a redirect leads */
	if (!x->foreign && rq->etag && *rq->etag) {
		snprintf(line, sizeof(line), "If-None-Match: %s", rq->etag);
		x->headers = curl_slist_append(x->headers, line);
	}
	if (!x->foreign && rq->last_modified && *rq->last_modified) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s", rq->last_modified);
		x->headers = curl_slist_append(x->headers, line);
	}
	/* the source's headers go to its own origin only, never where a
	 * redirect to another host leads (libcurl would forward them) */
	for (size_t i = 0; !x->foreign && rq->headers && rq->headers[i]; i++)
		x->headers = curl_slist_append(x->headers, rq->headers[i]);
	x->headers = curl_slist_append(x->headers,
	    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
	x->headers = curl_slist_append(x->headers, "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5");
	curl_easy_setopt(x->h, CURLOPT_URL, x->url ? x->url : rq->url);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, rq->user_agent ? rq->user_agent
	                                                          : opt->user_agent);
	if (rq->method && !strcmp(rq->method, "POST") && !x->get) {
		/* a header given for the body's type wins over libcurl's default */
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	}
	if (rq->insecure) {
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (opt->cookies) {
		curl_easy_setopt(x->h, CURLOPT_SHARE, opt->cookies->share);
		curl_easy_setopt(x->h, CURLOPT_COOKIEFILE, "");
	}
	curl_easy_setopt(x->h, CURLOPT_ACCEPT_ENCODING, "");
	/* redirects are followed by evaluate(), one transfer per hop, so that
	 * the headers can be chosen for each hop's host */
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, opt->timeout < 10 ? opt->timeout : 10L);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT, opt->timeout);
	curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opt->max_size);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		return -1;
	x->state = RUNNING;
	return 0;
}

static void
finish_handle(CURLM *multi, struct xfer *x)
{
	if (x->h) {
		curl_multi_remove_handle(multi, x->h);
		curl_easy_cleanup(x->h);
		x->h = NULL;
	}
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	free(x->errbuf);
	x->errbuf = NULL;
}

static char *
header_value(CURL *h, const char *name)
{
	struct curl_header *hh;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
		return NULL;
	return hh->value && *hh->value ? strdup(hh->value) : NULL;
}

#define MAX_REDIRS 5

/* A 3xx with a Location: the transfer is set up for the next hop (0), or
 * res says why it is not followed (-1). */
static long
redirect(struct xfer *x, long status, struct fetch_result *res)
{
	char *to = NULL, host[HOST_MAX], *url, *h;

	if (curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &to) != CURLE_OK || !to)
		return 1;       /* none: an answer like any other */
	if (x->hops >= MAX_REDIRS) {
		snprintf(res->error, sizeof(res->error), "more than %d redirects", MAX_REDIRS);
		return -1;
	}
	if (host_of(to, host, sizeof(host)) < 0) {
		snprintf(res->error, sizeof(res->error), "redirect to a non-http(s) address refused");
		return -1;
	}
	if (!(url = strdup(to)) || !(h = strdup(host))) {
		free(url);
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -1;
	}
	/* a permanent redirect away from the request's host: the source moved */
	if (status == 301 || status == 308) {
		char orig[HOST_MAX];
		if (host_of(x->req->url, orig, sizeof(orig)) == 0 && strcasecmp(orig, host) != 0)
			x->moved = 1;
	}
	free(x->url);
	x->url = url;
	x->hops++;
	x->attempts = 0;        /* each hop has its own retry */
	free(x->host);
	x->host = h;
	x->foreign = !same_origin(x->req->url, url);
	/* as libcurl and browsers do: 303 asks for a GET, and so do 301 and
	 * 302 after a POST; 307 and 308 repeat the request as it was */
	if (status == 301 || status == 302 || status == 303)
		x->get = 1;
	return 0;
}

/* Evaluates a finished transfer.  Returns the milliseconds to wait before
 * retrying it (0 also after a redirect, to follow it), or -1 when res is
 * final. */
static long
evaluate(struct xfer *x, CURLcode rc, const struct fetch_options *opt,
         struct fetch_result *res)
{
	long status = 0;
	char *ctype = NULL, *eff = NULL;
	const char *charset = NULL;
	int retryable = 0;
	curl_off_t retry_after = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	res->status = status;
	res->moved = x->moved;
	res->attempts = x->attempts;
	res->code = FETCH_ERROR;
	if (curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
		res->url = strdup(eff);

	if (rc != CURLE_OK) {
		if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(res->error, sizeof(res->error), "body larger than %zu bytes",
			         opt->max_size);
		else
			snprintf(res->error, sizeof(res->error), "%s",
			         x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		retryable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR ||
		            rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
		            rc == CURLE_PARTIAL_FILE;
		goto decide;
	}
	if (status == 301 || status == 302 || status == 303 || status == 307 ||
	    status == 308) {
		long r = redirect(x, status, res);
		if (r <= 0)
			return r;
	}
	if (status == 304) {
		res->code = FETCH_NOT_MODIFIED;
		res->etag = header_value(x->h, "ETag");
		res->last_modified = header_value(x->h, "Last-Modified");
		return -1;
	}
	if (status < 200 || status >= 300) {
		snprintf(res->error, sizeof(res->error), "HTTP %ld", status);
		retryable = status >= 500 || status == 429;
		curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &retry_after);
		goto decide;
	}
	if (x->body.len == 0) {
		snprintf(res->error, sizeof(res->error), "empty body (HTTP %ld)", status);
		return -1;
	}
	if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype) {
		const char *p = strcasestr(ctype, "charset=");
		snprintf(res->content_type, sizeof(res->content_type), "%s", ctype);
		if (p)
			charset = p + 8;
	}
	if (opt->raw) {
		if (!fetch_charset_canon(charset, res->charset, sizeof(res->charset)))
			res->charset[0] = '\0';
		res->body = buf_take(&x->body, &res->len);
	} else if (fetch_decode(x->body.p, x->body.len, charset, x->req->encoding, &res->body,
	                        &res->len, res->charset, sizeof(res->charset), res->error,
	                        sizeof(res->error)) < 0) {
		return -1;
	}
	res->etag = header_value(x->h, "ETag");
	res->last_modified = header_value(x->h, "Last-Modified");
	res->code = FETCH_OK;
	return -1;

decide:
	if (!retryable || x->attempts >= 2)
		return -1;
	if (retry_after > 0) {
		if (retry_after > opt->max_retry_after) {
			size_t l = strlen(res->error);
			char wait[32], limit[32];
			snprintf(res->error + l, sizeof(res->error) - l,
			         " (Retry-After %s is beyond the %s limit)",
			         msg_duration(retry_after, wait, sizeof(wait)),
			         msg_duration(opt->max_retry_after, limit, sizeof(limit)));
			return -1;
		}
		return (long)retry_after * 1000;
	}
	return opt->retry_wait_ms * x->attempts;
}

static void
result_clear(struct fetch_result *r)
{
	free(r->body);
	free(r->etag);
	free(r->last_modified);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

static int
host_busy(const struct xfer *xs, size_t n, const char *host)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		if (xs[i].state == RUNNING && strcasecmp(xs[i].host, host) == 0)
			c++;
	return c;
}

/* Marks every request whose URL is not http(s) done, with its error;
 * returns how many. */
static size_t
refuse_bad_urls(struct xfer *xs, const struct fetch_request *reqs, size_t n,
                fetch_done_fn done, void *payload)
{
	struct fetch_result res;
	size_t ndone = 0;

	for (size_t i = 0; i < n; i++) {
		char host[HOST_MAX];
		int bad = host_of(reqs[i].url, host, sizeof(host)) < 0;

		xs[i].req = &reqs[i];
		xs[i].index = i;
		if (bad || !(xs[i].host = strdup(host))) {
			memset(&res, 0, sizeof(res));
			res.code = FETCH_ERROR;
			if (bad)
				snprintf(res.error, sizeof(res.error), "not an http(s) URL: '%s'",
				         reqs[i].url);
			else
				snprintf(res.error, sizeof(res.error), "out of memory");
			xs[i].state = DONE;
			done(i, &res, payload);
			ndone++;
		}
	}
	return ndone;
}

/* The transfers not done yet: xs[lo..n); those started, or waiting for a
 * retry: xs[lo..hi).  Transfers start in order, so a start skips the done
 * ones and counts a host's transfers among the started ones only (over
 * all, a catalog of 10,000 sources made each start cost 10,000 looks).
 * Transfers held back by per_host are still looked at, each start: many
 * sources on one host with per_host under concurrency stay quadratic. */
struct span {
	size_t lo, hi;
};

/* Starts the waiting transfers that are due, within the limits; *next is
 * when the earliest one not yet due is (-1: none).  -1 when one cannot
 * start. */
static int
start_due(CURLM *multi, struct xfer *xs, size_t n, const struct fetch_options *opt,
          size_t *running, long long now, long long *next, struct span *sp)
{
	*next = -1;
	while (sp->lo < n && xs[sp->lo].state == DONE)
		sp->lo++;
	for (size_t i = sp->lo; i < n && *running < (size_t)opt->concurrency; i++) {
		struct xfer *x = &xs[i];
		if (x->state != WAITING)
			continue;
		if (x->not_before > now) {
			if (*next < 0 || x->not_before < *next)
				*next = x->not_before;
			continue;
		}
		if (host_busy(xs + sp->lo, sp->hi > sp->lo ? sp->hi - sp->lo : 0, x->host) >=
		    opt->per_host)
			continue;
		if (start(multi, x, opt) < 0)
			return -1;
		(*running)++;
		if (i + 1 > sp->hi)
			sp->hi = i + 1;
	}
	return 0;
}

/* Takes the finished transfers: each is retried later or handed to done.
 * Returns how many finished. */
static int
take_finished(CURLM *multi, const struct fetch_options *opt, fetch_done_fn done,
              void *payload, size_t *running, size_t *ndone)
{
	struct fetch_result res;
	CURLMsg *m;
	int msgs, finished = 0;

	while ((m = curl_multi_info_read(multi, &msgs))) {
		struct xfer *x;
		long wait;

		if (m->msg != CURLMSG_DONE)
			continue;
		finished++;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		memset(&res, 0, sizeof(res));
		wait = evaluate(x, m->data.result, opt, &res);
		finish_handle(multi, x);
		(*running)--;
		if (wait >= 0) {
			result_clear(&res);
			x->state = WAITING;
			x->not_before = now_ms() + wait;
			continue;
		}
		x->state = DONE;
		buf_free(&x->body);
		done(x->index, &res, payload);
		result_clear(&res);
		(*ndone)++;
	}
	return finished;
}

int
fetch_run(const struct fetch_request *reqs, size_t n,
          const struct fetch_options *opt, fetch_done_fn done, void *payload,
          char *err, size_t errlen)
{
	struct xfer *xs = NULL;
	CURLM *multi = NULL;
	size_t ndone = 0, running = 0;
	struct span sp = {0, 0};
	int rv = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	xs = calloc(n ? n : 1, sizeof(*xs));
	multi = curl_multi_init();
	if (!xs || !multi) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opt->per_host);
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)opt->concurrency);
	ndone = refuse_bad_urls(xs, reqs, n, done, payload);
	while (ndone < n) {
		long long next;
		int still, timeout = 1000;

		if (start_due(multi, xs, n, opt, &running, now_ms(), &next, &sp) < 0) {
			snprintf(err, errlen, "cannot start a transfer");
			goto cleanup;
		}
		curl_multi_perform(multi, &still);
		if (take_finished(multi, opt, done, payload, &running, &ndone) > 0)
			continue;       /* slots are free: start the next transfers now */
		if (ndone >= n)
			break;
		if (next >= 0) {
			long long d = next - now_ms();
			timeout = d < 0 ? 0 : d < timeout ? (int)d : timeout;
		}
		curl_multi_poll(multi, NULL, 0, timeout, NULL);
	}
	rv = 0;
cleanup:
	for (size_t i = 0; xs && i < n; i++) {
		finish_handle(multi, &xs[i]);
		buf_free(&xs[i].body);
		free(xs[i].url);
		free(xs[i].host);
	}
	free(xs);
	if (multi)
		curl_multi_cleanup(multi);
	curl_global_cleanup();
	return rv;
}
