/* Email through libcurl's SMTP: a multipart/alternative message (UTF-8
 * text/plain and text/html, base64, so no line passes 76 octets), RFC 2047
 * subject and display names, Date and Message-ID. */
#include "notify/notify.h"
#include "notify/text.h"
#include "base/msg.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Room kept in NOTIFY_MAIL_MAX for the headers and the MIME structure. */
#define HEAD_ROOM ((size_t)64 * 1024)
/* What is kept of each text of an event too large for a mail of its own. */
#define FIELD_CUT ((size_t)16 * 1024)

static int
ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* RFC 2047 B-encoding in words of at most 39 bytes (52 base64 characters,
 * 64 with the markers), cut on character boundaries and folded, so header
 * lines stay within 78 characters, "Subject: " included. */
static void
encode_words(struct buf *b, const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t n = msg_cut(s + i, 39);
		unsigned char out[64];

		EVP_EncodeBlock(out, (const unsigned char *)s + i, (int)n);
		if (i)
			buf_addstr(b, "\r\n ");
		buf_printf(b, "=?UTF-8?B?%s?=", out);
		i += n;
	}
}

/* Splits "Name <addr>" (or a bare address) into its parts. */
static int
split_address(const char *s, char *name, size_t namelen, char *addr, size_t addrlen)
{
	const char *lt = strrchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL, *at;
	size_t n;

	while (*s == ' ')
		s++;
	if (lt && gt) {
		n = (size_t)(lt - s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
			s++;
			n -= 2;
		}
		snprintf(name, namelen, "%.*s", (int)n, s);
		snprintf(addr, addrlen, "%.*s", (int)(gt - lt - 1), lt + 1);
	} else {
		name[0] = '\0';
		n = strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		snprintf(addr, addrlen, "%.*s", (int)n, s);
	}
	at = strrchr(addr, '@');
	if (!at || at == addr || !at[1] || strpbrk(addr, " \t<>\r\n") ||
	    (gt && gt[strspn(gt + 1, " ") + 1]))
		return -1;
	return 0;
}

int
notify_address_check(const char *s)
{
	char name[256], addr[256];

	return split_address(s, name, sizeof(name), addr, sizeof(addr));
}

/* "Name <addr>" as a header value: the name encoded when not ASCII,
 * quoted otherwise. */
static void
address_header(struct buf *b, const char *name, const char *addr)
{
	if (!*name) {
		buf_addstr(b, addr);
		return;
	}
	if (ascii(name)) {
		buf_addstr(b, "\"");
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addstr(b, "\\");
			buf_add(b, p, 1);
		}
		buf_addstr(b, "\"");
	} else {
		encode_words(b, name);
	}
	buf_printf(b, " <%s>", addr);
}

static void
html_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_addstr(b, "&amp;"); break;
		case '<': buf_addstr(b, "&lt;"); break;
		case '>': buf_addstr(b, "&gt;"); break;
		case '"': buf_addstr(b, "&quot;"); break;
		case '\'': buf_addstr(b, "&#39;"); break;
		default: buf_add(b, s, 1);
		}
	}
}

/* Distinct source labels in order of first appearance, "、"-joined. */
static void
source_list(struct buf *b, const struct notify_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *label = notify_source_label(&ev[i]);
		size_t k;
		for (k = 0; k < i && strcmp(notify_source_label(&ev[k]), label); k++)
			;
		if (k < i)
			continue;
		/* a list too long is cut after its last whole label */
		if ((b->len ? strlen("、") : 0) + strlen(label) > buf_room(b))
			break;
		if (b->len)
			buf_addstr(b, "、");
		buf_addstr(b, label);
	}
}

/* Appends s[0..n) while the pieces fit: a subject too long is cut after
 * its last whole piece. */
static void
piece(struct buf *b, const char *s, size_t n, int *full)
{
	*full |= n > buf_room(b);
	if (!*full)
		buf_add(b, s, n);
}

static void
subject_of(struct buf *b, const struct notify_email *cfg,
           const struct notify_event *ev, size_t n)
{
	struct buf sources;
	const char *t = cfg->subject, *s;
	char count[32];
	size_t len;
	int full = 0;

	buf_init(&sources, 4096);
	source_list(&sources, ev, n);
	snprintf(count, sizeof(count), "%zu", n);
	if (!t)
		t = n == 1 ? _("[{source}] {kind} {title}") : _("noticewatch: {count} updates ({sources})");
	while (*t) {
		if (!strncmp(t, "{count}", 7))
			s = count, len = 7;
		else if (!strncmp(t, "{sources}", 9))
			s = buf_str(&sources), len = 9;
		else if (!strncmp(t, "{source}", 8))
			s = notify_source_label(&ev[0]), len = 8;
		else if (!strncmp(t, "{title}", 7))
			s = ev[0].title ? ev[0].title : ev[0].detail ? ev[0].detail : "", len = 7;
		else if (!strncmp(t, "{kind}", 6))
			s = _(notify_kind_label(ev[0].kind)), len = 6;
		else
			s = NULL, len = 1;
		piece(b, s ? s : t, s ? strlen(s) : 1, &full);
		t += len;
	}
	buf_free(&sources);
	/* a subject is one line */
	for (size_t i = 0; b->p && i < b->len; i++)
		if (b->p[i] == '\r' || b->p[i] == '\n')
			b->p[i] = ' ';
}

/* What changed (notify_change_note) on a line of its own, and in small
 * print. */
static void
change_note(struct buf *text, struct buf *html, const struct notify_event *e)
{
	struct buf note;

	buf_init(&note, SIZE_MAX);
	if (notify_change_note(&note, e)) {
		buf_printf(text, "    %s\n", buf_str(&note));
		buf_addstr(html, "<br><small>");
		html_escape(html, buf_str(&note));
		buf_addstr(html, "</small>");
	}
	buf_free(&note);
}

/* The bodies, grouped by source in order of first appearance. */
static void
bodies(struct buf *text, struct buf *html, const struct notify_event *ev,
       size_t n)
{
	char *done = calloc(n ? n : 1, 1);

	if (!done) {
		text->failed = html->failed = BUF_NO_MEMORY;
		return;
	}
	buf_addstr(html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n");
	for (size_t i = 0; i < n; i++) {
		const char *label = notify_source_label(&ev[i]);
		if (done[i])
			continue;
		if (i)
			buf_addstr(text, "\n");
		buf_printf(text, "%s (%s)\n", label, ev[i].source_id);
		buf_addstr(html, "<h3>");
		html_escape(html, label);
		buf_addstr(html, "</h3>\n<ul>\n");
		for (size_t k = i; k < n; k++) {
			const struct notify_event *e = &ev[k];
			if (done[k] || strcmp(notify_source_label(e), label))
				continue;
			done[k] = 1;
			buf_printf(text, "  %s", _(notify_kind_label(e->kind)));
			buf_printf(html, "<li><b>%s</b> ", _(notify_kind_label(e->kind)));
			if (e->title) {
				buf_printf(text, " %s %s\n", e->date && *e->date ? e->date : "-",
				                  e->title);
				html_escape(html, e->date && *e->date ? e->date : "-");
				buf_addstr(html, " ");
				if (e->link && *e->link) {
					buf_addstr(html, "<a href=\"");
					html_escape(html, e->link);
					buf_addstr(html, "\">");
				}
				html_escape(html, e->title);
				if (e->link && *e->link)
					buf_addstr(html, "</a>");
				change_note(text, html, e);
				if (e->link && *e->link)
					buf_printf(text, "    %s\n", e->link);
				if (e->diff && *e->diff) {
					/* the diff as it is, set apart by blank lines */
					buf_printf(text, "\n%s\n", e->diff);
					buf_addstr(html, "<pre>");
					html_escape(html, e->diff);
					buf_addstr(html, "</pre>");
				}
			}
			if (e->detail) {
				buf_printf(text, ": %s\n", e->detail);
				buf_addstr(html, ": ");
				html_escape(html, e->detail);
			} else if (!e->title) {
				buf_addstr(text, "\n");
			}
			buf_addstr(html, "</li>\n");
		}
		buf_addstr(html, "</ul>\n");
	}
	buf_addstr(text, "\n-- \nnoticewatch\n");
	buf_addstr(html, "<p style=\"color:#888\">noticewatch</p></body></html>\n");
	free(done);
}

/* Bytes of n bytes in base64 as libcurl writes it: 76-character lines. */
static size_t
base64_size(size_t n)
{
	size_t b = (n + 2) / 3 * 4;

	return b + (b + 75) / 76 * 2;
}

/* Renders the bodies of events[0..n); 1 when they fit in a mail. */
static int
mail_bodies(struct buf *text, struct buf *html, const struct notify_event *ev,
            size_t n)
{
	bodies(text, html, ev, n);
	return !text->failed && !html->failed &&
	       base64_size(text->len) + base64_size(html->len) <= NOTIFY_MAIL_MAX - HEAD_ROOM;
}

/* Appends hdr to the header list and empties it; -1 once hdr failed. */
static int
header_line(struct curl_slist **headers, struct buf *hdr)
{
	int failed = hdr->failed;

	if (!failed)
		*headers = curl_slist_append(*headers, hdr->p);
	buf_reset(hdr);
	return failed ? -1 : 0;
}

/* The Subject header's value, encoded when it is not short ASCII. */
static void
subject_header(struct buf *hdr, const struct notify_email *cfg, const struct notify_event *ev,
               size_t n)
{
	struct buf subj;

	buf_init(&subj, 16 * 1024);
	subject_of(&subj, cfg, ev, n);
	if (subj.p && ascii(subj.p) && subj.len < 900)
		buf_addstr(hdr, subj.p);
	else if (subj.p)
		encode_words(hdr, subj.p);
	buf_free(&subj);
}

/* From, To, Subject, Date, Message-ID and the content type of one mail of
 * events[0..n) into *headers, the envelope recipients into *rcpt.
 * Returns 0, or -1 with err set. */
static int
mail_headers(const struct notify_email *cfg, const struct notify_event *ev, size_t n,
             const char *from_name, const char *from_addr, struct curl_slist **headers,
             struct curl_slist **rcpt, char *err, size_t errlen)
{
	struct buf hdr;
	char name[256], addr[256], date[64];
	unsigned char rnd[12];
	time_t now = time(NULL);
	struct tm tm;
	int bad = 0;

	buf_init(&hdr, HEAD_ROOM);
	buf_addstr(&hdr, "From: ");
	address_header(&hdr, from_name, from_addr);
	bad |= header_line(headers, &hdr);
	for (size_t i = 0; cfg->to && cfg->to[i]; i++) {
		char line[300];
		if (split_address(cfg->to[i], name, sizeof(name), addr, sizeof(addr)) < 0) {
			snprintf(err, errlen, "bad recipient address '%s'", cfg->to[i]);
			goto fail;
		}
		snprintf(line, sizeof(line), "<%s>", addr);
		*rcpt = curl_slist_append(*rcpt, line);
		buf_addstr(&hdr, "To: ");
		address_header(&hdr, name, addr);
		bad |= header_line(headers, &hdr);
	}
	if (!*rcpt) {
		snprintf(err, errlen, "no recipient");
		goto fail;
	}
	buf_addstr(&hdr, "Subject: ");
	subject_header(&hdr, cfg, ev, n);
	bad |= header_line(headers, &hdr);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
	*headers = curl_slist_append(*headers, date);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errlen, "no random bytes for a Message-ID");
		goto fail;
	}
	buf_printf(&hdr, "Message-ID: <%lld.", (long long)now);
	for (size_t i = 0; i < sizeof(rnd); i++)
		buf_printf(&hdr, "%02x", rnd[i]);
	buf_printf(&hdr, ".noticewatch@%s>", strchr(from_addr, '@') + 1);
	bad |= header_line(headers, &hdr);
	*headers = curl_slist_append(*headers, "Content-Type: multipart/alternative");
	buf_free(&hdr);
	if (bad) {
		snprintf(err, errlen, "mail headers too long");
		return -1;
	}
	return 0;
fail:
	buf_free(&hdr);
	return -1;
}

/* Hands the mail to the server; 0 once it accepted it, or -1 with err
 * set. */
static int
smtp_send(CURL *h, const struct notify_email *cfg, const char *from_addr,
          struct curl_slist *rcpt, struct curl_slist *headers, curl_mime *mime, char *err,
          size_t errlen)
{
	char mailfrom[300], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long code = 0;

	snprintf(mailfrom, sizeof(mailfrom), "<%s>", from_addr);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mailfrom);
	curl_easy_setopt(h, CURLOPT_URL, cfg->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout : 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USE_SSL, cfg->tls == NOTIFY_TLS_REQUIRED ? (long)CURLUSESSL_ALL
	                                     : cfg->tls == NOTIFY_TLS_TRY   ? (long)CURLUSESSL_TRY
	                                                                    : (long)CURLUSESSL_NONE);
	if (cfg->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		return 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 400)
		snprintf(err, errlen, "SMTP %ld: %s", code, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return -1;
}

/* A base64 part of the mail. */
static void
mime_part(curl_mime *mime, const struct buf *b, const char *type)
{
	curl_mimepart *part = curl_mime_addpart(mime);

	curl_mime_data(part, buf_str(b), b->len);
	curl_mime_type(part, type);
	curl_mime_encoder(part, "base64");
}

/* Sends one mail of events[0..n).  Returns 0 once the server accepted it,
 * 1 when it would pass NOTIFY_MAIL_MAX (nothing sent), or -1 with err
 * set. */
static int
send_mail(const struct notify_email *cfg, const struct notify_event *ev, size_t n,
          char *err, size_t errlen)
{
	CURL *h = NULL;
	curl_mime *mime = NULL;
	struct curl_slist *headers = NULL, *rcpt = NULL;
	struct buf text, html;
	char name[256], from_addr[256];
	int rv = -1;

	buf_init(&text, NOTIFY_MAIL_MAX);
	buf_init(&html, NOTIFY_MAIL_MAX);
	if (n == 0) {
		snprintf(err, errlen, "nothing to send");
		goto out;
	}
	if (!mail_bodies(&text, &html, ev, n)) {
		rv = 1;
		goto out;
	}
	if (split_address(cfg->from, name, sizeof(name), from_addr, sizeof(from_addr)) < 0) {
		snprintf(err, errlen, "bad from address '%s'", cfg->from);
		goto out;
	}
	h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot start libcurl");
		goto out;
	}
	if (mail_headers(cfg, ev, n, name, from_addr, &headers, &rcpt, err, errlen) < 0)
		goto out;
	mime = curl_mime_init(h);
	mime_part(mime, &text, "text/plain; charset=UTF-8");
	mime_part(mime, &html, "text/html; charset=UTF-8");
	rv = smtp_send(h, cfg, from_addr, rcpt, headers, mime, err, errlen);
out:
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	buf_free(&text);
	buf_free(&html);
	return rv;
}

/* t, or its first FIELD_CUT bytes in *held (malloc'd). */
static const char *
cut_text(const char *t, char **held, int *oom)
{
	*held = NULL;
	if (!t || strlen(t) <= FIELD_CUT)
		return t;
	*held = strndup(t, msg_cut(t, FIELD_CUT));
	*oom |= !*held;
	return *held;
}

/* Sends the event ev alone, its texts cut to fit a mail of its own. */
static int
send_cut(const struct notify_email *cfg, const struct notify_event *ev, char *err,
         size_t errlen)
{
	struct notify_event copy = *ev;
	char *held[4];
	int oom = 0, r = -1;

	copy.title = cut_text(ev->title, &held[0], &oom);
	copy.old_title = cut_text(ev->old_title, &held[1], &oom);
	copy.detail = cut_text(ev->detail, &held[2], &oom);
	copy.diff = cut_text(ev->diff, &held[3], &oom);
	if (oom)
		snprintf(err, errlen, "out of memory");
	else
		r = send_mail(cfg, &copy, 1, err, errlen);
	for (size_t i = 0; i < 4; i++)
		free(held[i]);
	if (r == 1)
		snprintf(err, errlen, "an alert larger than a mail (%zu bytes)", NOTIFY_MAIL_MAX);
	return r == 0 ? 0 : -1;
}

int
notify_email_send(const struct notify_email *cfg, const struct notify_event *ev, size_t n,
                  notify_sent_fn on_sent, void *payload, char *err, size_t errlen)
{
	size_t first = 0;

	if (n == 0) {
		snprintf(err, errlen, "nothing to send");
		return -1;
	}
	while (first < n) {
		size_t k = cfg->digest ? n - first : 1;
		int r = send_mail(cfg, &ev[first], k, err, errlen);

		if (r == 1 && k > 1) {
			/* the most events that fit: fits(lo) is unknown, fits(hi) false */
			size_t lo = 1, hi = k;
			struct buf text, html;
			while (hi - lo > 1) {
				size_t mid = lo + (hi - lo) / 2;
				buf_init(&text, NOTIFY_MAIL_MAX);
				buf_init(&html, NOTIFY_MAIL_MAX);
				if (mail_bodies(&text, &html, &ev[first], mid))
					lo = mid;
				else
					hi = mid;
				buf_free(&text);
				buf_free(&html);
			}
			k = lo;
			r = send_mail(cfg, &ev[first], k, err, errlen);
		}
		if (r == 1)
			r = send_cut(cfg, &ev[first], err, errlen);
		if (r < 0)
			return -1;
		if (on_sent && on_sent(first, first + k, payload) != 0) {
			snprintf(err, errlen, "stopped: the delivery could not be recorded");
			return -1;
		}
		first += k;
	}
	return 0;
}
