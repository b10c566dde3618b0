/* Charset detection and conversion to UTF-8 with iconv. */
#include "fetch/fetch.h"
#include "base/buf.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reads s as UTF-8 the way the WHATWG decoder (and so every browser) does:
 * each maximal subpart of an ill-formed sequence (a lead byte and the
 * continuation bytes that can follow it) is one error.  Counts the valid
 * non-ASCII characters and the errors; with out (room for len * 3 bytes),
 * writes the text with each error replaced by U+FFFD.  Without out and
 * valid_wanted, it stops at the first error (the counts are then partial). */
static void
utf8_scan(const unsigned char *s, size_t len, char *out, size_t *outlen,
          size_t *valid, size_t *bad, int valid_wanted)
{
	size_t i = 0, n = 0;

	*valid = *bad = 0;
	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, k;

		if (c < 0x80) {
			if (out)
				out[n++] = (char)c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			need = 0;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (k = 1; need && k <= need && i + k < len; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				break;
			lo = 0x80;
			hi = 0xbf;
		}
		if (need && k == need + 1) {
			if (out)
				memcpy(out + n, s + i, k);
			n += out ? k : 0;
			(*valid)++;
			i += k;
		} else {
			if (out) {
				memcpy(out + n, "\xef\xbf\xbd", 3);
				n += 3;
			}
			(*bad)++;
			i += need ? k : 1;
			if (!out && !valid_wanted)
				break;      /* enough to know it is not UTF-8 */
		}
	}
	if (outlen)
		*outlen = n;
}

const char *
fetch_charset_canon(const char *label, char *buf, size_t buflen)
{
	static const struct {
		const char *label, *name;
	} map[] = {
		{"gb2312", "GB18030"}, {"gbk", "GB18030"}, {"x-gbk", "GB18030"},
		{"gb_2312-80", "GB18030"}, {"gb_2312", "GB18030"}, {"csgb2312", "GB18030"},
		{"chinese", "GB18030"}, {"iso-ir-58", "GB18030"}, {"cp936", "GB18030"},
		{"windows-936", "GB18030"}, {"gb18030", "GB18030"}, {"euc-cn", "GB18030"},
		{"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"},
		{"big5", "BIG5-HKSCS"}, {"big5-hkscs", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"},
		{"iso-8859-1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"},
		{"us-ascii", "WINDOWS-1252"}, {"ascii", "WINDOWS-1252"},
		{"windows-1252", "WINDOWS-1252"},
	};
	size_t i, n = 0;

	while (label && (isspace((unsigned char)*label) || *label == '"' || *label == '\''))
		label++;
	if (!label || !*label || buflen == 0)
		return NULL;
	for (i = 0; label[i] && n + 1 < buflen; i++) {
		unsigned char c = (unsigned char)label[i];
		if (c == '"' || c == '\'' || c == ';' || isspace(c))
			break;
		buf[n++] = (char)tolower(c);
	}
	buf[n] = '\0';
	if (n == 0)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(buf, map[i].label) == 0) {
			snprintf(buf, buflen, "%s", map[i].name);
			return buf;
		}
	}
	for (i = 0; buf[i]; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	return buf;
}

/* Finds a charset declared in the first bytes of the document: <meta
 * charset=...>, <meta http-equiv content="...; charset=..."> or an XML
 * declaration's encoding="...". */
static const char *
declared_charset(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t lim = len < 4096 ? len : 4096;
	size_t i;

	for (i = 0; i + 8 < lim; i++) {
		size_t j;
		int xml = 0;

		if (strncasecmp(buf + i, "charset", 7) == 0) {
			j = i + 7;
		} else if (strncasecmp(buf + i, "encoding", 8) == 0 && i >= 5 &&
		           memmem(buf, i, "<?xml", 5)) {
			j = i + 8;
			xml = 1;
		} else {
			continue;
		}
		/* only inside a tag */
		{
			size_t k = i;
			while (k > 0 && buf[k] != '<' && buf[k] != '>')
				k--;
			if (buf[k] != '<')
				continue;
			if (!xml && strncasecmp(buf + k, "<meta", 5) != 0)
				continue;
		}
		while (j < lim && isspace((unsigned char)buf[j]))
			j++;
		if (j >= lim || buf[j] != '=')
			continue;
		j++;
		while (j < lim && (isspace((unsigned char)buf[j]) || buf[j] == '"' || buf[j] == '\''))
			j++;
		{
			size_t n = 0;
			char label[40];
			while (j < lim && n + 1 < sizeof(label) &&
			       (isalnum((unsigned char)buf[j]) || buf[j] == '-' || buf[j] == '_' ||
			        buf[j] == '.' || buf[j] == ':'))
				label[n++] = buf[j++];
			label[n] = '\0';
			if (n > 0)
				return fetch_charset_canon(label, out, outlen);
		}
	}
	return NULL;
}

/* Converts with iconv.  strict: any invalid sequence fails; otherwise
 * invalid bytes are skipped (counted in *skipped). */
static int
convert(const char *from, const char *buf, size_t len, int strict,
        char **out, size_t *outlen, size_t *skipped)
{
	iconv_t cd = iconv_open("UTF-8", from);
	char *in = (char *)buf;
	size_t inleft = len;
	struct buf dst;

	*skipped = 0;
	if (cd == (iconv_t)-1)
		return -2;
	buf_init(&dst, (size_t)-1);
	while (inleft > 0) {
		char chunk[4096], *o = chunk;
		size_t oleft = sizeof(chunk);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		int e = errno;

		if (buf_add(&dst, chunk, (size_t)(o - chunk)) < 0)
			goto fail;
		if (r != (size_t)-1)
			break;
		if (e == E2BIG)
			continue;
		if ((e != EILSEQ && e != EINVAL) || strict)
			goto fail;
		in++;
		inleft--;
		(*skipped)++;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	iconv_close(cd);
	if (!dst.p && buf_add(&dst, "", 0) < 0)
		return -1;
	*out = buf_take(&dst, outlen);
	return 0;
fail:
	iconv_close(cd);
	buf_free(&dst);
	return -1;
}

/* NUL bytes are dropped: a page is text, and C strings end at NUL. */
static void
drop_nuls(char *s, size_t *len)
{
	size_t i, n = 0;

	for (i = 0; i < *len; i++)
		if (s[i] != '\0')
			s[n++] = s[i];
	s[n] = '\0';
	*len = n;
}

/* buf as UTF-8, each ill-formed sequence replaced by U+FFFD (bad of them,
 * as utf8_scan counted). */
static int
utf8_out(const char *buf, size_t len, size_t bad, char **out, size_t *outlen,
         char *used, size_t usedlen, char *err, size_t errlen)
{
	size_t valid;

	if (len > ((size_t)-1 - 1) / 3 || !(*out = malloc(bad ? len * 3 + 1 : len + 1))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	utf8_scan((const unsigned char *)buf, len, *out, outlen, &valid, &bad, 1);
	(*out)[*outlen] = '\0';
	if (bad)
		snprintf(used, usedlen, "UTF-8 (%zu invalid sequence%s replaced)", bad,
		         bad == 1 ? "" : "s");
	else
		snprintf(used, usedlen, "UTF-8");
	drop_nuls(*out, outlen);
	return 0;
}

int
fetch_decode(const char *buf, size_t len, const char *http_charset,
             const char *forced, char **out, size_t *outlen,
             char *used, size_t usedlen, char *err, size_t errlen)
{
	char a[40], b[40], f[40];
	const char *cands[4];
	size_t nc = 0, skipped, valid, bad;
	int r, utf8_label = 0;
	const char *label;

	*out = NULL;
	*outlen = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
		forced = forced ? forced : "utf-8";
	} else if (!forced && len >= 2 && (memcmp(buf, "\xff\xfe", 2) == 0 ||
	                                   memcmp(buf, "\xfe\xff", 2) == 0)) {
		forced = "UTF-16";
	}

	if (forced) {
		label = fetch_charset_canon(forced, f, sizeof(f));
		if (!label) {
			snprintf(err, errlen, "empty encoding name");
			return -1;
		}
		if (strcmp(label, "UTF-8") == 0) {
			utf8_scan((const unsigned char *)buf, len, NULL, NULL, &valid, &bad, 1);
			return utf8_out(buf, len, bad, out, outlen, used, usedlen, err, errlen);
		}
		r = convert(label, buf, len, 0, out, outlen, &skipped);
		if (r == -2) {
			snprintf(err, errlen, "unknown encoding '%s'", forced);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot decode body as %s", label);
			return -1;
		}
		snprintf(used, usedlen, "%s", label);
		drop_nuls(*out, outlen);
		return 0;
	}

	/* A body that is valid UTF-8 and not plain ASCII is UTF-8 whatever its
	 * labels say: GBK text is practically never valid UTF-8, while pages
	 * that are UTF-8 under a stale gb2312 label are common, and decoding
	 * them as GBK is exactly the mojibake we must never store. */
	if ((label = fetch_charset_canon(http_charset, a, sizeof(a)))) {
		cands[nc++] = label;
		utf8_label |= strcmp(label, "UTF-8") == 0;
	}
	if ((label = declared_charset(buf, len, b, sizeof(b)))) {
		cands[nc++] = label;
		utf8_label |= strcmp(label, "UTF-8") == 0;
	}
	/* how much of it is UTF-8 matters only under a UTF-8 label (below);
	 * else the first bad sequence settles it */
	utf8_scan((const unsigned char *)buf, len, NULL, NULL, &valid, &bad, utf8_label);
	if (bad == 0)
		return utf8_out(buf, len, 0, out, outlen, used, usedlen, err, errlen);
	/* Labelled UTF-8 and mostly UTF-8 (at least four valid characters to
	 * each bad sequence; GBK text read as UTF-8 is mostly bad): UTF-8 with
	 * U+FFFD for each bad sequence, as browsers do.  A stray byte then
	 * touches only the title it sits in, where U+FFFD is dropped. */
	if (utf8_label && valid >= 4 * bad)
		return utf8_out(buf, len, bad, out, outlen, used, usedlen, err, errlen);
	cands[nc++] = "GB18030";
	for (size_t i = 0; i < nc; i++) {
		if (strcmp(cands[i], "UTF-8") == 0)
			continue;   /* known invalid above */
		if (convert(cands[i], buf, len, 1, out, outlen, &skipped) == 0) {
			snprintf(used, usedlen, "%s", cands[i]);
			drop_nuls(*out, outlen);
			return 0;
		}
	}
	/* Nothing decodes cleanly: GB18030 with the invalid bytes dropped, so
	 * no replacement character reaches a title. */
	if (convert("GB18030", buf, len, 0, out, outlen, &skipped) < 0) {
		snprintf(err, errlen, "cannot decode body");
		return -1;
	}
	snprintf(used, usedlen, "GB18030 (%zu invalid bytes dropped)", skipped);
	drop_nuls(*out, outlen);
	return 0;
}
