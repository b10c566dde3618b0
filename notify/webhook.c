/* Webhooks: JSON built with jansson, POSTed with libcurl; chat formats
 * split where the service limits message size; DingTalk and Feishu robots
 * signed as their documentation specifies. */
#include "notify/notify.h"
#include "notify/text.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define REPLY_MAX (64u * 1024)

static const struct {
	const char *name;
	enum notify_format format;
	size_t limit;           /* bytes of text per message */
} formats[] = {
	{"json", NOTIFY_JSON, 0},
	{"slack", NOTIFY_SLACK, 3500},          /* keep under Slack's 4000 */
	{"discord", NOTIFY_DISCORD, 1900},      /* content: 2000 characters */
	{"dingtalk", NOTIFY_DINGTALK, 18000},   /* content: 20000 bytes */
	{"wecom", NOTIFY_WECOM, 2000},          /* text content: 2048 bytes */
	{"feishu", NOTIFY_FEISHU, 18000},       /* request body: 20 KB */
	{"telegram", NOTIFY_TELEGRAM, 4000},    /* text: 4096 characters */
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
limit_of(enum notify_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == f)
			return formats[i].limit;
	return 0;
}

static size_t
on_reply(char *data, size_t size, size_t nmemb, void *userp)
{
	notify_buf_add(userp, data, size * nmemb);
	return size * nmemb;    /* a long reply is cut, not an error */
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

	if (!o)
		return NULL;
	if (e->title)
		json_object_set_new(o, "title", json_string(e->title));
	if (e->link)
		json_object_set_new(o, "link", json_string(e->link));
	if (e->date)
		json_object_set_new(o, "date", e->date[0] ? json_string(e->date) : json_null());
	if (e->old_title)
		json_object_set_new(o, "old_title", json_string(e->old_title));
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
	struct notify_buf reply;
	char errbuf[CURL_ERROR_SIZE] = "", *url = post_url(cfg);
	long status = 0;
	CURLcode rc;
	int rv = -1;

	notify_buf_init(&reply, REPLY_MAX);
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
	notify_buf_free(&reply);
	free(url);
	return rv;
}

int
notify_webhook_send(const struct notify_webhook *cfg, const struct notify_event *ev,
                    size_t n, size_t *sent, char *err, size_t errlen)
{
	size_t limit = limit_of(cfg->format), first = 0;

	*sent = 0;
	if ((cfg->format == NOTIFY_DINGTALK || cfg->format == NOTIFY_FEISHU) && cfg->secret &&
	    strlen(cfg->secret) > 400) {
		snprintf(err, errlen, "signing secret too long");
		return -1;
	}
	while (first < n) {
		struct notify_buf text;
		size_t last = first;
		json_t *p;
		char *body;
		int r;

		notify_buf_init(&text, limit ? limit : (size_t)1 << 30);
		if (cfg->format == NOTIFY_JSON) {
			last = n;
		} else {
			/* as many whole events as fit; one always goes */
			while (last < n) {
				struct notify_buf one;
				notify_buf_init(&one, limit);
				notify_event_text(&one, &ev[last]);
				if (one.failed) {       /* a single event over the limit: cut it */
					notify_buf_free(&one);
					notify_buf_init(&one, (size_t)1 << 20);
					notify_event_text(&one, &ev[last]);
					if (one.p && one.n >= limit) {
						size_t cut = limit - 1;
						while (cut > 0 && ((unsigned char)one.p[cut] & 0xc0) == 0x80)
							cut--;
						one.p[cut] = '\0';
						one.n = cut;
					}
				}
				if (text.n && text.n + (one.p ? one.n : 0) + 1 > limit) {
					notify_buf_free(&one);
					break;
				}
				if (one.p)
					notify_buf_add(&text, one.p, one.n);
				notify_buf_free(&one);
				last++;
			}
		}
		p = payload(cfg, ev, first, last, text.p ? text.p : "");
		body = p ? json_dumps(p, JSON_COMPACT) : NULL;
		json_decref(p);
		notify_buf_free(&text);
		if (!body) {
			snprintf(err, errlen, "cannot build the message");
			return -1;
		}
		r = post(cfg, body, err, errlen);
		free(body);
		if (r < 0)
			return -1;
		*sent = last;
		first = last;
	}
	return 0;
}
