/* Reading sources, page by page. */
#include "run/run.h"
#include "base/hash.h"
#include "base/msg.h"

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
run_read_options(const struct config *cfg, struct fetch_options *opt)
{
	fetch_options_default(opt);
	opt->concurrency = cfg->concurrency;
	opt->per_host = cfg->per_host;
	opt->timeout = cfg->timeout;
	opt->max_size = cfg->max_size;
	if (cfg->user_agent)
		opt->user_agent = cfg->user_agent;
}

void
run_read_request(const struct source *s, struct fetch_request *rq)
{
	rq->headers = s->headers;
	rq->user_agent = s->user_agent;
	rq->encoding = s->encoding;
	rq->insecure = s->insecure;
}

struct parse_rules
run_read_rules(const struct source *s)
{
	struct parse_rules r = {
		.items = s->items, .title = s->title, .link = s->link, .date = s->date,
		.format = (enum parse_format)s->format, .html = s->html, .script = s->script,
	};
	return r;
}

/* template with every {page} replaced by n; malloc'd */
static char *
with_page(const char *t, int n)
{
	char num[16], *out;
	size_t len = 1, k = 0;
	const char *p;

	if (!t)
		return NULL;
	snprintf(num, sizeof(num), "%d", n);
	for (p = t; *p; p++)
		len += strncmp(p, "{page}", 6) ? 1 : strlen(num);
	out = malloc(len);
	for (p = t; out && *p;) {
		if (!strncmp(p, "{page}", 6)) {
			memcpy(out + k, num, strlen(num));
			k += strlen(num);
			p += 6;
		} else {
			out[k++] = *p++;
		}
	}
	if (out)
		out[k] = '\0';
	return out;
}

static char oom[] = "out of memory";

/* j->error, replaced; "out of memory" when there is none for it */
static void
set_error(struct read_job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->error != oom)
		free(j->error);
	va_start(ap, fmt);
	if (vasprintf(&j->error, fmt, ap) < 0)
		j->error = oom;
	va_end(ap);
}

static void
fail(struct read_job *j, const char *msg)
{
	/* "page N: " first */
	if (j->pages > 0)
		set_error(j, "page %d: %s", j->pages + 1, msg);
	else
		set_error(j, "%s", msg);
	j->state = READ_FAILED;
	j->active = 0;
}

/* Pages are parsed beside the transfers: on_page hands each to a parse
 * worker (one a core) and goes back to fetching; a source read to its end
 * is completed (stored, by the caller's done) by one recorder thread, in
 * the order its sources end.  The main thread only transfers, so that
 * fetching, parsing and storing overlap.  At most QUEUE_MAX pages wait to
 * be parsed or stored, so memory follows the transfers, not the sources.
 * With one core, or when no thread can start, all is done in turn here. */
#define QUEUE_MAX 48
#define HASH_MAX 128            /* "<rules>:<hex digest>" and its NUL */
#define WORKERS_MAX 8           /* parse threads: one a core, up to this */

struct work {
	struct read_job *j;
	struct fetch_result res;    /* a copy the worker owns */
	struct work *next;
};

struct round {
	struct read_job **map;
	read_done_fn done;
	void *payload;
	/* the threads; none when one core is all or none could start */
	pthread_t threads[WORKERS_MAX], recorder;
	int threaded;               /* how many workers run (and a recorder) */
	pthread_mutex_t mu;
	pthread_cond_t wake;        /* to the workers: a page, or stop */
	pthread_cond_t ended;       /* to the recorder: a source, or stop */
	pthread_cond_t room;        /* to the main thread: one waits less */
	struct work *todo, **todo_end;              /* pages to parse, FIFO */
	struct read_job *ready, **ready_end;        /* sources to complete, FIFO */
	size_t waiting;             /* pages handed over, not yet parsed and,
	                             * when their source ends, completed */
	int stop;
};

/* Finishes md into "<rules>:<hex digest>"; 0 when it could not. */
static int
hash_text(EVP_MD_CTX *md, const char *rules, char *out, size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t k;

	if (!EVP_DigestFinal_ex(md, d, &dl))
		return 0;
	k = (size_t)snprintf(out, outlen, "%s:", rules ? rules : "");
	if (k + 2 * dl >= outlen)
		return 0;
	hash_hex(d, dl, out + k);
	return 1;
}

/* A source read to its end: its hash, then the caller's turn, then its
 * notices freed, so memory follows the sources in flight, not all.  On
 * the recorder during a round (it alone prints then), else here. */
static void
complete(struct round *r, struct read_job *j)
{
	char hash[HASH_MAX];

	if (j->note) {
		msg_info("%s", j->note);
		free(j->note);
		j->note = NULL;
	}
	/* no body came (an error, a 304): no hash */
	free(j->hash);
	j->hash = j->md && hash_text(j->md, j->rules, hash, sizeof(hash)) ? strdup(hash) : NULL;
	EVP_MD_CTX_free(j->md);     /* made at the first body: memory follows */
	j->md = NULL;               /* the sources in flight */
	if (r->done) {
		r->done(j, r->payload);
		parse_list_free(&j->list);
	}
}

static void step(struct read_job *j, const struct fetch_result *res);

static void
work_free(struct work *w)
{
	free(w->res.body);
	free(w->res.etag);
	free(w->res.last_modified);
	free(w->res.url);
	free(w);
}

/* Hands a source that ended to the recorder (the lock held). */
static void
to_recorder(struct round *r, struct read_job *j)
{
	j->queued = NULL;
	*r->ready_end = j;
	r->ready_end = &j->queued;
	pthread_cond_signal(&r->ended);
}

static void *
worker(void *arg)
{
	struct round *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct work *w = r->todo;
		struct read_job *j;

		if (!w) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->wake, &r->mu);
			continue;
		}
		r->todo = w->next;
		if (!r->todo)
			r->todo_end = &r->todo;
		pthread_mutex_unlock(&r->mu);
		j = w->j;
		step(j, &w->res);
		work_free(w);
		pthread_mutex_lock(&r->mu);
		if (!j->active) {
			to_recorder(r, j);      /* the page is counted until stored */
		} else {
			r->waiting--;           /* its next page comes next round */
			pthread_cond_signal(&r->room);
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* The one thread that completes sources during a round: done stores them,
 * prints what they brought, and is never called on two at once. */
static void *
recorder(void *arg)
{
	struct round *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct read_job *j = r->ready;

		if (!j) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->ended, &r->mu);
			continue;
		}
		r->ready = j->queued;
		if (!r->ready)
			r->ready_end = &r->ready;
		pthread_mutex_unlock(&r->mu);
		complete(r, j);
		pthread_mutex_lock(&r->mu);
		r->waiting--;
		pthread_cond_signal(&r->room);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Waits until no more than max pages wait (the lock held). */
static void
wait_room(struct round *r, size_t max)
{
	while (r->waiting > max)
		pthread_cond_wait(&r->room, &r->mu);
}

static void
round_start(struct round *r)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	r->todo = NULL;
	r->todo_end = &r->todo;
	r->ready = NULL;
	r->ready_end = &r->ready;
	r->waiting = 0;
	r->stop = 0;
	r->threaded = 0;
	if (cores < 2)
		return;
	xmlInitParser();        /* libxml2's globals, before a second thread */
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&r->wake, NULL) != 0 || pthread_cond_init(&r->ended, NULL) != 0 ||
	    pthread_cond_init(&r->room, NULL) != 0 ||
	    pthread_create(&r->recorder, NULL, recorder, r) != 0) {
		/* no thread runs: all is done in turn here (a condition
		 * that was made is left: nothing waits on it) */
		pthread_mutex_destroy(&r->mu);
		return;
	}
	while (r->threaded < cores && r->threaded < WORKERS_MAX &&
	       pthread_create(&r->threads[r->threaded], NULL, worker, r) == 0)
		r->threaded++;
	if (!r->threaded) {         /* the recorder alone: stopped, all done here */
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->ended);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->recorder, NULL);
		pthread_cond_destroy(&r->room);
		pthread_cond_destroy(&r->ended);
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->mu);
	}
}

/* Every page of the round parsed and every source that ended completed. */
static void
round_end(struct round *r)
{
	if (!r->threaded)
		return;
	pthread_mutex_lock(&r->mu);
	wait_room(r, 0);
	r->stop = 1;
	pthread_cond_broadcast(&r->wake);
	pthread_cond_signal(&r->ended);
	pthread_mutex_unlock(&r->mu);
	for (int k = 0; k < r->threaded; k++)
		pthread_join(r->threads[k], NULL);
	pthread_join(r->recorder, NULL);
	pthread_cond_destroy(&r->room);
	pthread_cond_destroy(&r->ended);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	r->threaded = 0;
}

/* A copy of res for the worker (fetch_run frees res when on_page returns). */
static struct work *
work_new(struct read_job *j, const struct fetch_result *res)
{
	struct work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->j = j;
	w->res = *res;
	w->res.body = w->res.etag = w->res.last_modified = w->res.url = NULL;
	if ((res->body && !(w->res.body = malloc(res->len + 1))) ||
	    (res->etag && !(w->res.etag = strdup(res->etag))) ||
	    (res->last_modified && !(w->res.last_modified = strdup(res->last_modified))) ||
	    (res->url && !(w->res.url = strdup(res->url)))) {
		work_free(w);
		return NULL;
	}
	if (res->body) {
		memcpy(w->res.body, res->body, res->len);
		w->res.body[res->len] = '\0';
	}
	return w;
}

static void
on_page(size_t i, const struct fetch_result *res, void *payload)
{
	struct round *r = payload;
	struct read_job *j = r->map[i];
	/* only a body is worth a parse worker's hand-over; a 304 or an error
	 * is stepped here, and the recorder completes it */
	struct work *w = r->threaded && res->body ? work_new(j, res) : NULL;

	if (!w)                 /* (or no memory for a copy) */
		step(j, res);
	if (!r->threaded) {
		if (!j->active)
			complete(r, j);
		return;
	}
	pthread_mutex_lock(&r->mu);
	if (w) {
		*r->todo_end = w;
		r->todo_end = &w->next;
		r->waiting++;
		pthread_cond_signal(&r->wake);
	} else if (!j->active) {
		r->waiting++;
		to_recorder(r, j);
	}
	wait_room(r, QUEUE_MAX);
	pthread_mutex_unlock(&r->mu);
}

/* The page hashes as the snapshot did (j->md is left as it is). */
static int
same_hash(const struct read_job *j)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char text[HASH_MAX];
	int ok = c && EVP_MD_CTX_copy_ex(c, j->md) && hash_text(c, j->rules, text, sizeof(text));

	EVP_MD_CTX_free(c);
	return ok && !strcmp(text, j->prev_hash);
}

/* Marks the notices from k on: relevant, and a relevant one's facts
 * (from its title: its text is read later; not for check, which shows
 * none); -1 when out of memory. */
static int
mark(struct read_job *j, size_t k)
{
	for (; k < j->list.n; k++) {
		struct parse_item *it = &j->list.items[k];
		struct parse_facts pf;

		it->relevant = parse_relevant(it->title, j->include, j->exclude);
		if (it->relevant && !j->describe &&
		    !(it->facts = run_record_facts(NULL, it->title, it->date, &pf)))
			return -1;
	}
	return 0;
}

/* What came before the body is read: 1 when the job has its answer (an
 * error, a 304, or a body that hashes as the snapshot did), 0 when the
 * body is to be parsed. */
static int
answered(struct read_job *j, const struct fetch_result *res)
{
	if (res->code == FETCH_ERROR && j->pages > 0) {
		/* the pages before stand; notices of later ones are not judged */
		set_error(j, "page %d: %s", j->pages + 1, res->error);
		j->partial = 1;
		j->active = 0;
		return 1;
	}
	if (j->pages == 0) {
		/* what answered, whatever it answered (check --all shows it) */
		j->status = res->status;
		j->moved = res->moved;
		free(j->url);
		j->url = res->url ? strdup(res->url) : NULL;
	}
	if (res->code == FETCH_ERROR) {
		fail(j, res->error);
		return 1;
	}
	if (res->code == FETCH_NOT_MODIFIED) {
		j->state = READ_NOT_MODIFIED;
		j->status = 304;
		j->active = 0;
		return 1;
	}
	if (j->pages == 0) {
		j->new_etag = res->etag ? strdup(res->etag) : NULL;
		j->new_last_modified = res->last_modified ? strdup(res->last_modified) : NULL;
	}
	/* the bytes as sent are hashed: the same page hashes the same whatever
	 * its decoding */
	if (!j->md && (!(j->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(j->md, EVP_sha256(),
	                                                                 NULL))) {
		fail(j, "out of memory");
		return 1;
	}
	EVP_DigestUpdate(j->md, res->body, res->len);
	if (j->pages == 0 && j->src->pages <= 1 && j->prev_hash && same_hash(j)) {
		j->active = 0;      /* the caller sees the hash unchanged */
		return 1;
	}
	return 0;
}

/* The notices of a page read (page is taken), and whether to read on:
 * numbered pages when url or body says where the number goes, else the
 * page's own 'next' link. */
static void
take_page(struct read_job *j, struct parse_list *page, const char *body, size_t len,
          const char *url)
{
	const struct source *s = j->src;
	int added = parse_list_merge(&j->list, page);   /* items not on an earlier page */

	parse_list_free(page);
	if (added > 0 && mark(j, j->list.n - (size_t)added) < 0)
		added = -1;
	if (added >= 0) {
		size_t *ends = realloc(j->ends, (size_t)(j->pages + 1) * sizeof(*ends));
		if (ends) {
			j->ends = ends;
			ends[j->pages] = j->list.n;
		} else {
			added = -1;
		}
	}
	if (added < 0) {
		fail(j, "out of memory");
		return;
	}
	j->pages++;
	free(j->next);
	j->next = NULL;
	if (j->pages >= s->pages || added == 0) {
		j->active = 0;
	} else if (!strstr(s->url, "{page}") && !(s->body && strstr(s->body, "{page}"))) {
		j->next = parse_next_page(body, len, url);
		if (!j->next)
			j->active = 0;
	}
}

static void
step(struct read_job *j, const struct fetch_result *res)
{
	const struct source *s = j->src;
	struct parse_rules rules = run_read_rules(s);
	struct parse_list page = {0};
	const char *url = res->url ? res->url : s->url;
	char err[512], used[64], *body = NULL;
	size_t len = 0;

	rules.terse = !j->describe;
	if (answered(j, res))
		return;
	if (fetch_decode(res->body, res->len, res->charset[0] ? res->charset : NULL, s->encoding,
	                 &body, &len, used, sizeof(used), err, sizeof(err)) < 0) {
		fail(j, err);
		return;
	}
	if (j->pages == 0)
		j->charset = strdup(used);
	if (rules.format == PARSE_AUTO)
		rules.format = parse_format_of(res->content_type);
	if (parse_page(body, len, url, &rules, &page, err, sizeof(err)) < 0) {
		if (j->pages == 0) {
			fail(j, err);
			j->extract_failed = 1;
		} else {
			/* past the last page: what came before stands (said by
			 * complete: this may be the worker, which never prints) */
			if (asprintf(&j->note, "%s: page %d: %s; stopping there", s->id,
			             j->pages + 1, err) < 0)
				j->note = NULL;
			j->active = 0;
		}
	} else {
		take_page(j, &page, body, len, url);
	}
	free(body);
}

int
run_read(const struct config *cfg, struct read_job *jobs, size_t n,
             struct fetch_cookies *cookies, read_done_fn done, void *payload, char *err,
             size_t errlen)
{
	struct fetch_request *reqs = calloc(n ? n : 1, sizeof(*reqs));
	struct read_job **map = calloc(n ? n : 1, sizeof(*map));
	struct round round = {.map = map, .done = done, .payload = payload};
	char **owned = calloc(2 * (n ? n : 1), sizeof(*owned));
	struct fetch_options opt;
	int rv = -1, rc;

	if (!reqs || !map || !owned) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	run_read_options(cfg, &opt);
	opt.cookies = cookies;
	opt.raw = 1;            /* decoded with the parse, beside the transfers */
	for (size_t i = 0; i < n; i++) {
		jobs[i].state = READ_OK;
		jobs[i].active = 1;
		jobs[i].include = config_include(cfg, jobs[i].src);
		jobs[i].exclude = config_exclude(cfg, jobs[i].src);
	}
	for (;;) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			struct read_job *j = &jobs[i];
			const struct source *s = j->src;
			struct fetch_request *rq = &reqs[m];
			int numbered_url, numbered_body;

			if (!j->active)
				continue;
			memset(rq, 0, sizeof(*rq));
			/* copies only where the page number goes in (a catalog's
			 * worth of copies is memory that follows the catalog) */
			numbered_url = strstr(s->url, "{page}") != NULL;
			numbered_body = s->body && strstr(s->body, "{page}");
			owned[2 * m] = j->next ? strdup(j->next)
			             : numbered_url ? with_page(s->url, j->pages + 1) : NULL;
			owned[2 * m + 1] = numbered_body ? with_page(s->body, j->pages + 1) : NULL;
			if ((!owned[2 * m] && (j->next || numbered_url)) ||
			    (!owned[2 * m + 1] && numbered_body)) {
				free(owned[2 * m]);
				free(owned[2 * m + 1]);
				owned[2 * m] = owned[2 * m + 1] = NULL;
				fail(j, "out of memory");
				complete(&round, j);
				continue;
			}
			rq->url = owned[2 * m] ? owned[2 * m] : s->url;
			rq->body = owned[2 * m + 1] ? owned[2 * m + 1] : s->body;
			run_read_request(s, rq);
			rq->method = s->method;
			if (j->pages == 0) {
				if (s->insecure)
					error("%s: warning: TLS certificates are not verified "
					          "(insecure = yes)", s->id);
				rq->etag = j->etag;
				rq->last_modified = j->last_modified;
			}
			map[m++] = j;
		}
		if (m == 0)
			break;
		round_start(&round);
		rc = fetch_run(reqs, m, &opt, on_page, &round, err, errlen);
		round_end(&round);     /* every page of this round parsed and taken back */
		if (rc < 0)
			goto out;
		for (size_t k = 0; k < 2 * m; k++) {
			free(owned[k]);
			owned[k] = NULL;
		}
	}
	rv = 0;
out:
	for (size_t k = 0; owned && k < 2 * n; k++)
		free(owned[k]);
	free(owned);
	free(map);
	free(reqs);
	return rv;
}

int
run_read_page_of(const struct read_job *j, size_t k)
{
	int p = 0;

	while (p < j->pages && k >= j->ends[p])
		p++;
	return p + 1;
}

void
run_read_clear(struct read_job *j)
{
	if (!j)
		return;
	free(j->ends);
	j->ends = NULL;
	free(j->new_etag);
	free(j->new_last_modified);
	free(j->next);
	free(j->url);
	free(j->note);
	free(j->charset);
	free(j->hash);
	j->charset = j->hash = NULL;
	if (j->error != oom)
		free(j->error);
	parse_list_free(&j->list);
	EVP_MD_CTX_free(j->md);
	j->new_etag = j->new_last_modified = j->next = j->url = j->note = j->error = NULL;
	j->md = NULL;
}
