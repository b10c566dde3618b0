/* Reading sources: every page of every source, fetched politely and
 * concurrently, extracted into one list per source.  Part of cli/. */
#ifndef NW_CLI_READ_H
#define NW_CLI_READ_H

#include "config/config.h"
#include "fetch/fetch.h"
#include "parse/parse.h"

enum { READ_OK, READ_NOT_MODIFIED, READ_FAILED };

struct read_job {
	/* in */
	const struct source *src;
	const char *etag;           /* validators for a conditional first page, or NULL */
	const char *last_modified;
	const char *rules;          /* digest of the rules, prefixed to the hash */
	const char *prev_hash;      /* the snapshot's hash, when it has notices: a
	                             * one-page source whose body hashes the same
	                             * is not parsed again */
	/* out */
	int state;                  /* READ_OK, READ_NOT_MODIFIED, READ_FAILED */
	long status;                /* of the first page (0: no answer came) */
	char *url;                  /* the first page's final address, after
	                             * redirects (NULL: no answer came) */
	int moved;                  /* a permanent redirect to another host */
	char *new_etag;             /* validators of the first page */
	char *new_last_modified;
	char charset[64];           /* what the body was decoded from, and what it cost */
	char hash[90];              /* "<rules>:<sha-256 of every page's body>" */
	struct parse_list list;     /* the notices of all pages, first seen first */
	char error[600];
	int extract_failed;         /* the first page came but yielded no notices */
	int partial;                /* a later page failed (error says why): the
	                             * pages before it stand */
	int pages;                  /* pages read */
	size_t *ends;               /* ends[p]: notices of pages 1..p+1 */
	/* private */
	char note[700];             /* said on the main thread when complete */
	char *next;
	void *md;
	int active;
};

/* The fetch options the config sets (politeness, limits, user agent). */
void read_options(const struct config *cfg, struct fetch_options *opt);

/* What every request for a source's pages carries, list or detail page:
 * its headers, user agent, encoding and TLS setting (rq's other fields are
 * left as they are). */
void read_request(const struct source *s, struct fetch_request *rq);

/* The parse rules of a source. */
struct parse_rules read_rules(const struct source *s);

/* Called when a source has been read to its end (or failed); with a done
 * function, the job's list is freed after it returns. */
typedef void (*read_done_fn)(struct read_job *j, void *payload);

/* Reads jobs[0..n): page 1 of each, then further pages (the page's 'next'
 * link for HTML, {page} in url or body otherwise) up to the source's
 * pages, calling done as each source completes (NULL: keep every list).
 * Returns 0, or -1 with err set when the transfers could not run. */
int read_sources(const struct config *cfg, struct read_job *jobs, size_t n,
                 struct fetch_cookies *cookies, read_done_fn done, void *payload,
                 char *err, size_t errlen);

/* The page (1..) notice k of the job's list was read from. */
int read_page_of(const struct read_job *j, size_t k);

void read_job_clear(struct read_job *j);

#endif
