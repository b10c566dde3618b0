/* Webhooks: JSON built with jansson, POSTed with libcurl; chat formats
 * split where the service limits message size; DingTalk and Feishu robots
 * signed as their documentation specifies. */
#include "notify/notify.h"
#include "notify/text.h"
#include "base/msg.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#define REPLY_MAX (64u * 1024)

/* Message size limits, as each service documents them.  text: bytes of
 * message text (kept under a limit counted in characters too, as a
 * character is at least a byte); body: bytes of the request body. */
static const struct {
	const char *name;
	enum notify_format format;
	size_t text, body;
} formats[] = {
	/* a body of max_bytes, NOTIFY_JSON_MAX unless configured */
	{"json", NOTIFY_JSON, 0, 0},
	/* Slack truncates text over 40,000 characters and advises keeping a
	 * message to 4,000 (api.slack.com/changelog/2018-04-truncating-really-
	 * long-messages; api.slack.com/methods/chat.postMessage, "Truncating
	 * content") */
	{"slack", NOTIFY_SLACK, 3500, 0},
	/* content: "the message contents (up to 2000 characters)"
	 * (discord.com/developers/docs/resources/webhook#execute-webhook) */
	{"discord", NOTIFY_DISCORD, 1900, 0},
	/* the custom robot's page states no size; the figure DingTalk
	 * documents for a robot's group message is msgParam "must not exceed
	 * 15,000 bytes" (help.dingtalk.io/open/development/the-robot-sends-a-
	 * group-message): text.content within that */
	{"dingtalk", NOTIFY_DINGTALK, 14000, 0},
	/* text.content: "最长不超过2048个字节" (developer.work.weixin.qq.com/
	 * document/path/91770, 群机器人配置说明) */
	{"wecom", NOTIFY_WECOM, 2000, 0},
	/* "请求体大小不能超过 20 KB" (open.feishu.cn/document/client-docs/
	 * bot-v3/add-custom-bot, 自定义机器人使用指南) */
	{"feishu", NOTIFY_FEISHU, 18000, 20000},
	/* text: "1-4096 characters after entities parsing"
	 * (core.telegram.org/bots/api#sendmessage) */
	{"telegram", NOTIFY_TELEGRAM, 4000, 0},
};

int
notify_format_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(name, formats[i].name))
			return (int)formats[i].format;
	return -1;
}

static size_t
text_limit(enum notify_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == f)
			return formats[i].text;
	return 0;
}

/* The largest request body: the service's, lowered by max_bytes. */
static size_t
body_limit(const struct notify_webhook *cfg)
{
	size_t cap = cfg->format == NOTIFY_JSON ? NOTIFY_JSON_MAX : (size_t)-1;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == cfg->format && formats[i].body)
			cap = formats[i].body;
	if (cfg->max_bytes && cfg->max_bytes < cap)
		cap = cfg->max_bytes;
	return cap;
}

/* s as the chat service shows it: what the service would read as markup,
 * a mention or a link is escaped.
 * - Slack: &, < and > as &amp; &lt; &gt;, the escaping Slack documents
 *   (api.slack.com/reference/surfaces/formatting#escaping); <!channel>,
 *   <@U...> and <url|text> need the angle brackets.
 * - Discord: markdown punctuation behind a backslash, which shows it as
 *   written (discord.com "Markdown Text 101", escaping), and @everyone
 *   and @here broken by a zero-width space, as allowed_mentions stops
 *   pings but not the text.
 * - Feishu: "<at" broken by a zero-width space, as a text message reads
 *   <at user_id="all"></at> as a mention of everyone (open.feishu.cn,
 *   自定义机器人使用指南, 发送文本消息 @所有人) and documents no escape.
 * - WeCom: "<@" likewise (<@userid> mentions in text content, 群机器人配置
 *   说明).
 * - DingTalk (msgtype text) renders no markdown and mentions only who is
 *   listed in "at", which is never sent; Telegram gets no parse_mode, so
 *   nothing in the text is markup (core.telegram.org/bots/api#formatting-
 *   options).  Both as written. */
static void
chat_escape(struct buf *b, enum notify_format f, const char *s, int link)
{
	static const char zwsp[] = "\xe2\x80\x8b";

	for (; s && *s; s++) {
		switch (f) {
		case NOTIFY_SLACK:
			if (*s == '&' || *s == '<' || *s == '>') {
				buf_addstr(b, *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : "&gt;");
				continue;
			}
			break;
		case NOTIFY_DISCORD:
			if (link)
				break;
			if (strchr("\\*_~`|<>[]()#", *s)) {
				buf_add(b, "\\", 1);
				break;
			}
			if (*s == '@' && (!strncmp(s + 1, "everyone", 8) || !strncmp(s + 1, "here", 4))) {
				buf_add(b, s, 1);
				buf_addstr(b, zwsp);
				continue;
			}
			break;
		case NOTIFY_FEISHU:
			if (*s == '<' && !strncasecmp(s + 1, "at", 2)) {
				buf_add(b, s, 1);
				buf_addstr(b, zwsp);
				continue;
			}
			break;
		case NOTIFY_WECOM:
			if (*s == '<' && s[1] == '@') {
				buf_add(b, s, 1);
				buf_addstr(b, zwsp);
				continue;
			}
			break;
		default:
			break;
		}
		buf_add(b, s, 1);
	}
}

/* One event as the chat's text, escaped; NULL when out of memory. */
static char *
chat_text(enum notify_format f, const struct notify_event *ev, size_t *len)
{
	struct buf parts[6], out;
	const char *in[6] = {notify_source_label(ev), ev->title, ev->old_title, ev->detail,
	                     ev->link, ev->diff};
	struct notify_event e = *ev;
	int failed = 0;

	for (size_t i = 0; i < 6; i++) {
		buf_init(&parts[i], (size_t)1 << 20);
		chat_escape(&parts[i], f, in[i], i == 4);
		failed |= parts[i].failed;
	}
	e.source_name = parts[0].p ? parts[0].p : "";
	e.title = ev->title ? (parts[1].p ? parts[1].p : "") : NULL;
	e.old_title = ev->old_title ? (parts[2].p ? parts[2].p : "") : NULL;
	e.detail = ev->detail ? (parts[3].p ? parts[3].p : "") : NULL;
	e.link = ev->link ? (parts[4].p ? parts[4].p : "") : NULL;
	e.diff = ev->diff ? (parts[5].p ? parts[5].p : "") : NULL;
	buf_init(&out, (size_t)4 << 20);
	notify_event_text(&out, &e);
	for (size_t i = 0; i < 6; i++)
		buf_free(&parts[i]);
	if (failed) {
		buf_free(&out);
		return NULL;
	}
	return buf_take(&out, len);
}

static size_t
on_reply(char *data, size_t size, size_t nmemb, void *userp)
{
	size_t n = size * nmemb, room = buf_room(userp);

	buf_add(userp, data, n < room ? n : room);
	return n;               /* a long reply is cut, not an error */
}

/* base64(HMAC-SHA256(key, msg)) */
static void
hmac_b64(const char *key, const char *msg, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), md, &n);
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

static json_t *
event_json(const struct notify_event *e)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", e->kind, "source", e->source_id,
	                      "source_name", notify_source_label(e));
	struct buf note;

	if (!o)
		return NULL;
	buf_init(&note, SIZE_MAX);
	if (e->title)
		json_object_set_new(o, "title", json_string(e->title));
	if (e->link)
		json_object_set_new(o, "link", json_string(e->link));
	if (e->date)
		json_object_set_new(o, "date", e->date[0] ? json_string(e->date) : json_null());
	if (e->old_title && e->title && strcmp(e->old_title, e->title))
		json_object_set_new(o, "old_title", json_string(e->old_title));
	if (e->old_date && e->date && strcmp(e->old_date, e->date))
		json_object_set_new(o, "old_date", e->old_date[0] ? json_string(e->old_date)
		                                                  : json_null());
	if (notify_change_note(&note, e))
		json_object_set_new(o, "change", json_string(buf_str(&note)));
	buf_free(&note);
	if (e->diff && *e->diff)
		json_object_set_new(o, "diff", json_string(e->diff));
	if (e->detail)
		json_object_set_new(o, "detail", json_string(e->detail));
	return o;
}

/* The payload for events[first..last) */
static json_t *
payload(const struct notify_webhook *cfg, const struct notify_event *ev, size_t first,
        size_t last, const char *text)
{
	json_t *p = NULL;

	switch (cfg->format) {
	case NOTIFY_JSON: {
		json_t *arr = json_array();
		for (size_t i = first; arr && i < last; i++)
			json_array_append_new(arr, event_json(&ev[i]));
		p = json_pack("{s:o}", "events", arr);
		break;
	}
	case NOTIFY_SLACK:
		p = json_pack("{s:s, s:b}", "text", text, "unfurl_links", 0);
		break;
	case NOTIFY_DISCORD:
		p = json_pack("{s:s, s:{s:[]}}", "content", text, "allowed_mentions", "parse");
		break;
	case NOTIFY_DINGTALK:
	case NOTIFY_WECOM:
		p = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
		break;
	case NOTIFY_FEISHU:
		p = json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content", "text", text);
		if (p && cfg->secret) {
			char ts[32], tosign[600], sign[64];
			snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
			snprintf(tosign, sizeof(tosign), "%s\n%s", ts, cfg->secret);
			/* Feishu: the key is "timestamp\nsecret", the message empty */
			hmac_b64(tosign, "", sign);
			json_object_set_new(p, "timestamp", json_string(ts));
			json_object_set_new(p, "sign", json_string(sign));
		}
		break;
	case NOTIFY_TELEGRAM:
		p = json_pack("{s:s, s:s, s:b}", "chat_id", cfg->chat_id ? cfg->chat_id : "",
		              "text", text, "disable_web_page_preview", 1);
		break;
	}
	return p;
}

/* The URL to post to: DingTalk's signed robots take timestamp and sign
 * as query parameters.  Returns a malloc'd string. */
static char *
post_url(const struct notify_webhook *cfg)
{
	struct timeval tv;
	char ts[32], tosign[600], sign[64], *esc, *url;
	size_t n;

	if (cfg->format != NOTIFY_DINGTALK || !cfg->secret)
		return strdup(cfg->url);
	gettimeofday(&tv, NULL);
	snprintf(ts, sizeof(ts), "%lld", (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	snprintf(tosign, sizeof(tosign), "%s\n%s", ts, cfg->secret);
	hmac_b64(cfg->secret, tosign, sign);
	esc = curl_easy_escape(NULL, sign, 0);
	if (!esc)
		return NULL;
	n = strlen(cfg->url) + strlen(ts) + strlen(esc) + 32;
	url = malloc(n);
	if (url)
		snprintf(url, n, "%s%ctimestamp=%s&sign=%s", cfg->url,
		         strchr(cfg->url, '?') ? '&' : '?', ts, esc);
	curl_free(esc);
	return url;
}

/* Services that answer 200 with an error code in the body. */
static int
reply_ok(const struct notify_webhook *cfg, const char *body, char *err, size_t errlen)
{
	json_t *j, *code, *msg;
	const char *codekey = NULL, *msgkey = NULL;
	int ok = 1;

	switch (cfg->format) {
	case NOTIFY_DINGTALK:
	case NOTIFY_WECOM:
		codekey = "errcode";
		msgkey = "errmsg";
		break;
	case NOTIFY_FEISHU:
		codekey = "code";
		msgkey = "msg";
		break;
	case NOTIFY_TELEGRAM:
		codekey = "ok";
		msgkey = "description";
		break;
	default:
		return 1;
	}
	j = body ? json_loads(body, 0, NULL) : NULL;
	if (!j) {
		snprintf(err, errlen, "the reply is not JSON");
		return 0;
	}
	code = json_object_get(j, codekey);
	if (cfg->format == NOTIFY_FEISHU && !code)
		code = json_object_get(j, "StatusCode");        /* older robots */
	msg = json_object_get(j, msgkey);
	if (cfg->format == NOTIFY_TELEGRAM)
		ok = json_is_true(code);
	else
		ok = json_is_integer(code) && json_integer_value(code) == 0;
	if (!ok)
		snprintf(err, errlen, "the service refused: %s %lld: %.120s", codekey,
		         json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
		         json_is_string(msg) ? json_string_value(msg) : "");
	json_decref(j);
	return ok;
}

static int
post(const struct notify_webhook *cfg, const char *body, char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct buf reply;
	char errbuf[CURL_ERROR_SIZE] = "", *url = post_url(cfg);
	long status = 0;
	CURLcode rc;
	int rv = -1;

	buf_init(&reply, REPLY_MAX);
	if (!h || !url) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout : 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "noticewatch");
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		/* libcurl's messages name the host at most, never the path or query */
		snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		snprintf(err, errlen, "HTTP %ld", status);
		goto out;
	}
	if (!reply_ok(cfg, reply.p, err, errlen))
		goto out;
	rv = 0;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	buf_free(&reply);
	free(url);
	return rv;
}

/* The request body for events[first..last): a json array, or the chat
 * text of each, escaped; NULL with *too_big when the text passes limit,
 * or NULL when out of memory. */
static char *
build_body(const struct notify_webhook *cfg, const struct notify_event *ev, size_t first,
           size_t last, size_t limit, int *too_big)
{
	struct buf text;
	json_t *p;
	char *body;

	*too_big = 0;
	buf_init(&text, limit ? limit : (size_t)1 << 30);
	for (size_t i = first; cfg->format != NOTIFY_JSON && i < last; i++) {
		size_t len = 0;
		char *one = chat_text(cfg->format, &ev[i], &len);
		if (!one) {
			buf_free(&text);
			return NULL;
		}
		if (len >= limit) {     /* a single event over the limit: cut it */
			len = msg_cut(one, limit - 2);
			one[len++] = '\n';
		}
		buf_add(&text, one, len);
		free(one);
	}
	if (text.failed) {
		*too_big = 1;
		buf_free(&text);
		return NULL;
	}
	p = payload(cfg, ev, first, last, text.p ? text.p : "");
	body = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	buf_free(&text);
	return body;
}

/* The body of one event alone, when it passes cap (a detail text edited
 * throughout): its diff (or an alert's detail) cut in half until the body
 * fits, so one event never blocks the channel behind it.  Takes body; NULL
 * when out of memory, or when even none of it does not fit. */
static char *
fit_one(const struct notify_webhook *cfg, const struct notify_event *ev, size_t limit,
        size_t cap, char *body)
{
	struct notify_event e = *ev;
	const char **field = ev->diff ? &e.diff : &e.detail;
	char *text = *field ? strdup(*field) : NULL;
	size_t len = text ? strlen(text) : 0;
	int too_big;

	while (body && strlen(body) > cap && text && len > 0) {
		len = msg_cut(text, len / 2);
		text[len] = '\0';
		*field = text;
		free(body);
		body = build_body(cfg, &e, 0, 1, limit, &too_big);
	}
	free(text);
	if (body && strlen(body) > cap) {
		free(body);
		body = NULL;
	}
	return body;
}

int
notify_webhook_send(const struct notify_webhook *cfg, const struct notify_event *ev,
                    size_t n, notify_sent_fn on_sent, void *payload, char *err,
                    size_t errlen)
{
	size_t limit = text_limit(cfg->format), cap = body_limit(cfg), first = 0;

	if ((cfg->format == NOTIFY_DINGTALK || cfg->format == NOTIFY_FEISHU) && cfg->secret &&
	    strlen(cfg->secret) > 400) {
		snprintf(err, errlen, "signing secret too long");
		return -1;
	}
	while (first < n) {
		/* as many whole events as fit; one always goes, cut to fit */
		size_t last = first + 1, step = 1;
		int too_big = 0;
		char *body = build_body(cfg, ev, first, last, limit, &too_big);

		/* grow by doubling, then narrow down: O(log n) bodies per message */
		while (body && last < n) {
			size_t want = last + step < n ? last + step : n;
			char *more = build_body(cfg, ev, first, want, limit, &too_big);
			if (!more && !too_big) {
				free(body);
				body = NULL;
				break;
			}
			if (!more || strlen(more) > cap) {
				free(more);
				if (step == 1)
					break;
				step /= 2;
				continue;
			}
			free(body);
			body = more;
			last = want;
			step *= 2;
		}
		if (body && last == first + 1 && strlen(body) > cap)
			body = fit_one(cfg, &ev[first], limit, cap, body);
		if (!body) {
			snprintf(err, errlen, "cannot build the message");
			return -1;
		}
		if (post(cfg, body, err, errlen) < 0) {
			free(body);
			return -1;
		}
		free(body);
		if (on_sent && on_sent(first, last, payload) != 0) {
			snprintf(err, errlen, "stopped: the delivery could not be recorded");
			return -1;
		}
		first = last;
	}
	return 0;
}
