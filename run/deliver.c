/* The outbox policy: what is due, in which order, retried when, given up
 * when; each channel's queue handed to notify/ and its answer recorded. */
#include "run/run.h"
#include "base/buf.h"
#include "base/msg.h"
#include "notify/notify.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Secrets come from the environment here, and never reach a message. */
int
run_deliver_send(const struct config *cfg, const char *channel, const struct notify_event *ev,
        size_t n, notify_sent_fn on_sent, void *payload, char *err, size_t errlen)
{
	/* the alerts' language: the config's (cron has no locale), else the locale's */
	msg_language(cfg->lang[0] ? cfg->lang : NULL);
	if (!strcmp(channel, "email")) {
		const struct email_cfg *e = &cfg->email;
		struct notify_email m = {
			.url = e->url, .from = e->from, .to = e->to, .username = e->username,
			.password = e->password, .tls = (enum notify_tls)e->tls, .digest = e->digest,
			.subject = e->subject, .timeout = cfg->timeout,
		};
		if (e->password_env) {
			m.password = getenv(e->password_env);
			if (!m.password) {
				snprintf(err, errlen, "environment variable %s (password_env) is not set",
				         e->password_env);
				return -1;
			}
		}
		return notify_email_send(&m, ev, n, on_sent, payload, err, errlen);
	}
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		const struct webhook_cfg *w = &cfg->webhooks[i];
		struct notify_webhook h = {
			.name = w->name, .url = w->url, .format = (enum notify_format)w->format,
			.chat_id = w->chat_id, .max_bytes = w->max_bytes, .timeout = cfg->timeout,
		};
		if (strcmp(w->name, channel))
			continue;
		if (w->secret_env) {
			h.secret = getenv(w->secret_env);
			if (!h.secret) {
				snprintf(err, errlen, "environment variable %s (secret_env) is not set",
				         w->secret_env);
				return -1;
			}
		}
		return notify_webhook_send(&h, ev, n, on_sent, payload, err, errlen);
	}
	snprintf(err, errlen, "no channel '%s'", channel);
	return -1;
}

/* The rows due, as three arrays (the events go to notify as one, the ids
 * to the store); each a buffer, ev, id and attempts its elements. */
struct due {
	struct buf evs, ids, atts;
	struct notify_event *ev;
	int64_t *id;
	int *attempts;
	size_t n;
	int oom;
};

static void
event_free(struct notify_event *e)
{
	free((char *)e->kind);
	free((char *)e->source_id);
	free((char *)e->source_name);
	free((char *)e->title);
	free((char *)e->old_title);
	free((char *)e->date);
	free((char *)e->old_date);
	free((char *)e->link);
	free((char *)e->detail);
	free((char *)e->diff);
	free((char *)e->facts);
}

/* A row that cannot be copied whole stops the collection (d->oom): none
 * is sent half-built, and none is left out of due_free. */
static void
collect_due(const struct store_outbox_row *r, void *payload)
{
	struct due *d = payload;
	struct notify_event *e;
	int64_t *id;
	int *att;

	if (d->oom)
		return;
	/* the ids first: a failure there loses no event (one in evs would
	 * take the strings of those collected with it) */
	id = buf_grow(&d->ids, sizeof(*id));
	att = id ? buf_grow(&d->atts, sizeof(*att)) : NULL;
	e = att ? buf_grow(&d->evs, sizeof(*e)) : NULL;
	d->ev = (struct notify_event *)d->evs.p;
	d->id = (int64_t *)d->ids.p;
	d->attempts = (int *)d->atts.p;
	if (!e) {
		if (!d->ev)
			d->n = 0;       /* out of memory: the strings are lost */
		d->oom = 1;
		return;
	}
	e->kind = msg_strdup(r->kind);
	e->source_id = msg_strdup(r->source_id);
	e->source_name = msg_strdup(r->source_name);
	e->title = msg_strdup(r->title);
	e->old_title = msg_strdup(r->old_title);
	e->date = msg_strdup(r->date);
	e->link = msg_strdup(r->link);
	e->detail = msg_strdup(r->detail);
	e->old_date = msg_strdup(r->old_date);
	e->diff = msg_strdup(r->diff);
	e->facts = msg_strdup(r->facts);
	if (!e->kind || !e->source_id || (r->source_name && !e->source_name) ||
	    (r->title && !e->title) || (r->old_title && !e->old_title) ||
	    (r->date && !e->date) || (r->link && !e->link) || (r->detail && !e->detail) ||
	    (r->old_date && !e->old_date) || (r->diff && !e->diff) || (r->facts && !e->facts)) {
		event_free(e);
		d->oom = 1;
		return;
	}
	*id = r->id;
	*att = r->attempts;
	d->n++;
}

static void
due_free(struct due *d)
{
	for (size_t i = 0; i < d->n; i++)
		event_free(&d->ev[i]);
	buf_free(&d->evs);
	buf_free(&d->ids);
	buf_free(&d->atts);
}

/* Sources in catalog order (then the order events came in), so a digest
 * reads the same whatever order the pages arrived in. */
static void
due_sort(struct due *d, const struct config *cfg)
{
	for (size_t i = 1; i < d->n; i++) {
		for (size_t k = i; k > 0; k--) {
			size_t a = config_source_rank(cfg, d->ev[k - 1].source_id);
			size_t b = config_source_rank(cfg, d->ev[k].source_id);
			struct notify_event e;
			int64_t id;
			int att;

			if (a < b || (a == b && d->id[k - 1] < d->id[k]))
				break;
			e = d->ev[k];
			d->ev[k] = d->ev[k - 1];
			d->ev[k - 1] = e;
			id = d->id[k];
			d->id[k] = d->id[k - 1];
			d->id[k - 1] = id;
			att = d->attempts[k];
			d->attempts[k] = d->attempts[k - 1];
			d->attempts[k - 1] = att;
		}
	}
}

/* After a failed delivery: the next run tries again, whenever it comes;
 * after that the waits double from outbox_retry, up to a day. */
static int64_t
next_attempt(const struct config *cfg, int attempts_before, int64_t now)
{
	int64_t wait = cfg->outbox_retry;

	if (attempts_before == 0)
		return 0;
	for (int i = 1; i < attempts_before && wait < 86400; i++)
		wait *= 2;
	return now + (wait < 86400 ? wait : 86400);
}

/* Records a message's events as delivered the moment its server accepted
 * it, so a crash repeats at most the message in flight. */
struct delivery {
	struct store *st;
	const struct due *d;
	int64_t now;
	size_t sent;            /* events[0..sent) accepted and recorded */
	int store_failed;
	char err[512];
};

static int
record_sent(size_t first, size_t last, void *payload)
{
	struct delivery *dv = payload;

	if (store_outbox_delivered(dv->st, &dv->d->id[first], last - first, dv->now, dv->err,
	                           sizeof(dv->err)) < 0) {
		dv->store_failed = 1;
		return -1;
	}
	dv->sent = last;
	return 0;
}

/* Delivers what channel has due.  Returns how many rows failed now, or -1
 * when the store failed. */
static int
deliver_channel(const struct config *cfg, struct store *st, const char *channel, int64_t now)
{
	struct due d = {0};
	struct delivery dv = {.st = st, .d = &d, .now = now};
	char err[512], serr[512];
	int64_t dead = 0;
	int failed = 0;

	buf_init(&d.evs, SIZE_MAX);
	buf_init(&d.ids, SIZE_MAX);
	buf_init(&d.atts, SIZE_MAX);
	if (store_outbox_expire(st, channel, now - cfg->outbox_max_age, now, &dead, serr,
	                        sizeof(serr)) < 0) {
		error("%s", serr);
		return -1;
	}
	if (dead > 0) {
		char age[32];
		error("%s: %lld alert%s undelivered for %s given up as dead "
		      "(see noticewatch outbox)", channel, (long long)dead, dead == 1 ? "" : "s",
		      msg_duration(cfg->outbox_max_age, age, sizeof(age)));
	}
	if (store_outbox_due(st, channel, now, collect_due, &d, serr, sizeof(serr)) < 0 ||
	    d.oom) {
		error("%s", d.oom ? "out of memory" : serr);
		due_free(&d);
		return -1;
	}
	if (d.n == 0) {
		due_free(&d);
		return 0;
	}
	due_sort(&d, cfg);
	err[0] = '\0';
	run_deliver_send(cfg, channel, d.ev, d.n, record_sent, &dv, err, sizeof(err));
	if (err[0])
		msg_info("%s: %zu of %zu delivered: %s", channel, dv.sent, d.n, err);
	else
		msg_info("%s: %zu of %zu delivered", channel, dv.sent, d.n);
	if (dv.store_failed) {
		error("%s", dv.err);
		due_free(&d);
		return -1;
	}
	for (size_t i = dv.sent; i < d.n; i++) {
		if (store_outbox_failed(st, d.id[i], now, err, next_attempt(cfg, d.attempts[i], now),
		                        serr, sizeof(serr)) < 0) {
			error("%s", serr);
			due_free(&d);
			return -1;
		}
		failed++;
	}
	if (failed)
		error("%s: delivery failed: %s", channel, err);
	due_free(&d);
	return failed;
}

int
run_deliver_all(const struct config *cfg, struct store *st, int64_t now)
{
	int status = 0;

	for (size_t i = 0; cfg->channels[i]; i++) {
		int64_t waiting = 0;
		char err[512];
		int failed = deliver_channel(cfg, st, cfg->channels[i], now);

		if (failed == 0)
			continue;
		if (failed < 0)
			status = -1;
		else if (status == 0)
			status = 1;
		if (failed > 0 && store_outbox_waiting(st, cfg->channels[i], &waiting, err,
		                                       sizeof(err)) == 0)
			error(waiting == 1 ? "%s: %lld alert waits for delivery"
			                   : "%s: %lld alerts wait for delivery",
			      cfg->channels[i], (long long)waiting);
	}
	return status;
}

int
run_deliver_retry(struct store *st, int64_t id)
{
	int64_t n = 0;
	char err[512];

	if (store_outbox_retry(st, id, (int64_t)time(NULL), &n, err, sizeof(err)) < 0)
		return error("%s", err);
	if (id && n == 0) {
		error("no alert %lld waits in the outbox", (long long)id);
		return 1;
	}
	printf(n == 1 ? "%lld alert is due now\n" : "%lld alerts are due now\n", (long long)n);
	return 0;
}

int
run_deliver_drop(struct store *st, int64_t id)
{
	int64_t n = 0;
	char err[512];

	if (store_outbox_drop(st, id, (int64_t)time(NULL), &n, err, sizeof(err)) < 0)
		return error("%s", err);
	if (n == 0) {
		error("no alert %lld waits in the outbox", (long long)id);
		return 1;
	}
	printf("alert %lld dropped: it will not be sent\n", (long long)id);
	return 0;
}
