/* Atom 1.0 feeds (RFC 4287) of the relevant notices, written with
 * libxml2's xmlwriter. */
#include "report/report.h"
#include "base/msg.h"

#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A name-based UUID (RFC 4122 version 5: SHA-1) of name, as an Atom id
 * that stays the same for the same notice. */
static void
urn_uuid(const char *name, char *buf, size_t len)
{
	/* a namespace of our own: the UUID of the URL namespace's name "noticewatch" */
	static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	                                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(d, 0, sizeof(d));
	if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL)) {
		EVP_DigestUpdate(c, ns, sizeof(ns));
		EVP_DigestUpdate(c, name, strlen(name));
		EVP_DigestFinal_ex(c, d, &dl);
	}
	EVP_MD_CTX_free(c);
	d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
	d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
	snprintf(buf, len,
	         "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
	         d[13], d[14], d[15]);
}

#define SUMMARY_CHARS 200

/* The start of a notice's text, as an entry's summary: runs of white space
 * as one space, at most SUMMARY_CHARS characters, "…" when cut; NULL when
 * out of memory. */
static char *
text_start(const char *text)
{
	char *out = malloc(SUMMARY_CHARS * 4 + 4), *o = out;
	int chars = 0, space = 0;

	if (!out)
		return NULL;
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	for (; *text; text++) {
		if (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') {
			space = 1;
			continue;
		}
		if (((unsigned char)*text & 0xc0) != 0x80) {    /* a character begins */
			if (chars + space >= SUMMARY_CHARS)
				break;
			if (space)
				*o++ = ' ';
			chars += 1 + space;
			space = 0;
		}
		*o++ = *text;
	}
	*o = '\0';
	if (*text)
		strcpy(o, "…");
	return out;
}

struct entries {
	struct store_notice_row *v;
	size_t n, max;
	int oom;
};

static void
take_entry(const struct store_notice_row *r, void *payload)
{
	struct entries *e = payload;
	struct store_notice_row *w;

	if (e->n >= e->max || (r->gone && !strcmp(r->gone, "removed")))
		return;
	w = &e->v[e->n];
	*w = *r;
	w->source_id = strdup(r->source_id);
	w->title = strdup(r->title);
	w->link = strdup(r->link);
	w->date = strdup(r->date);
	w->gone = NULL;
	w->text = r->text && *r->text ? text_start(r->text) : NULL;
	e->n++;
	if (!w->source_id || !w->title || !w->link || !w->date || (r->text && *r->text && !w->text))
		e->oom = 1;
}

static void
entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free((char *)e->v[i].source_id);
		free((char *)e->v[i].title);
		free((char *)e->v[i].link);
		free((char *)e->v[i].date);
		free((char *)e->v[i].text);
	}
	free(e->v);
}

#define W(call) (ok = ok && (call) >= 0)

/* An entry changes when its title, date or text does (RFC 4287 4.2.15):
 * the last such change, else when it was first seen. */
static int64_t
entry_updated(const struct store_notice_row *r)
{
	return r->changed_at > r->first_seen ? r->changed_at : r->first_seen;
}

static int
write_entry(xmlTextWriterPtr w, const struct config *cfg, const struct store_notice_row *r)
{
	const struct source *s = config_source(cfg, r->source_id);
	const char *name = s && s->name ? s->name : r->source_id;
	char id[64], updated[32], key[8192], summary[SUMMARY_CHARS * 4 + 8];
	int ok = 1;

	snprintf(key, sizeof(key), "%s\n%s", r->source_id, r->link);
	urn_uuid(key, id, sizeof(id));
	report_utc_time(entry_updated(r), updated, sizeof(updated));
	if (r->text)
		snprintf(summary, sizeof(summary), "%s", r->text);
	else
		snprintf(summary, sizeof(summary), "%s · %s", name, r->date[0] ? r->date : "undated");
	W(xmlTextWriterStartElement(w, BAD_CAST "entry"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST id));
	W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST r->title));
	W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST updated));
	W(xmlTextWriterStartElement(w, BAD_CAST "author"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST name));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "category"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST r->source_id));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "label", BAD_CAST name));
	W(xmlTextWriterEndElement(w));
	if (report_web_link(r->link)) {
		W(xmlTextWriterStartElement(w, BAD_CAST "link"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "alternate"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST r->link));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterWriteElement(w, BAD_CAST "summary", BAD_CAST summary));
	} else {
		/* without a web link, the entry carries its content (RFC 4287 4.1.2) */
		W(xmlTextWriterStartElement(w, BAD_CAST "content"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "text"));
		W(xmlTextWriterWriteString(w, BAD_CAST summary));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	return ok ? 0 : -1;
}

int
report_feed(FILE *out, const struct config *cfg, struct store *st, const char *source,
            const char *self, int limit, int64_t now)
{
	struct entries e = {.max = limit > 0 ? (size_t)limit : 1};
	const struct source *s = source ? config_source(cfg, source) : NULL;
	xmlBufferPtr buf = NULL;
	xmlTextWriterPtr w = NULL;
	char err[512], id[64], updated[32], title[512];
	int64_t newest = 0;
	int ok = 1;

	if (!(e.v = calloc(e.max, sizeof(*e.v)))) {
		error("out of memory");
		return -1;
	}
	if (store_notices(st, source, NULL, 0, take_entry, &e, err, sizeof(err)) < 0) {
		error("%s", err);
		entries_free(&e);
		return -1;
	}
	for (size_t i = 0; i < e.n; i++)
		newest = entry_updated(&e.v[i]) > newest ? entry_updated(&e.v[i]) : newest;
	report_utc_time(newest ? newest : now, updated, sizeof(updated));
	urn_uuid(source ? source : "*", id, sizeof(id));
	if (s)
		snprintf(title, sizeof(title), "noticewatch: %s (%s)", s->name ? s->name : s->id,
		         s->id);
	else
		snprintf(title, sizeof(title), "noticewatch: certificate notices");
	ok = !e.oom && (buf = xmlBufferCreate()) && (w = xmlNewTextWriterMemory(buf, 0));
	W(xmlTextWriterSetIndent(w, 1));
	W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feed",
	                              BAD_CAST "http://www.w3.org/2005/Atom"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST id));
	W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title));
	W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST updated));
	W(xmlTextWriterStartElement(w, BAD_CAST "author"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST "noticewatch"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterWriteElement(w, BAD_CAST "generator", BAD_CAST "noticewatch"));
	if (self) {
		W(xmlTextWriterStartElement(w, BAD_CAST "link"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST self));
		W(xmlTextWriterEndElement(w));
	}
	if (s && report_web_link(s->url)) {
		W(xmlTextWriterStartElement(w, BAD_CAST "link"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "alternate"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST s->url));
		W(xmlTextWriterEndElement(w));
	}
	for (size_t i = 0; ok && i < e.n; i++)
		ok = write_entry(w, cfg, &e.v[i]) == 0;
	W(xmlTextWriterEndDocument(w));
	if (w)
		xmlFreeTextWriter(w);   /* flushes into buf */
	if (ok)
		fprintf(out, "%s\n", (const char *)xmlBufferContent(buf));
	else
		error("cannot write the feed: out of memory");
	xmlBufferFree(buf);
	entries_free(&e);
	return ok ? 0 : -1;
}
