/* Charset detection and conversion to UTF-8 with iconv. */
#include "fetch/fetch.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
utf8_valid(const unsigned char *s, size_t len, int *nonascii)
{
	size_t i = 0;

	*nonascii = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		*nonascii = 1;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
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
	size_t cap = len * 2 + 16, used = 0;
	char *dst, *in = (char *)buf;
	size_t inleft = len;

	*skipped = 0;
	if (cd == (iconv_t)-1)
		return -2;
	dst = malloc(cap);
	if (!dst) {
		iconv_close(cd);
		return -1;
	}
	while (inleft > 0) {
		char *o = dst + used;
		size_t oleft = cap - used - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		used = (size_t)(o - dst);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			char *n;
			cap *= 2;
			n = realloc(dst, cap);
			if (!n)
				goto fail;
			dst = n;
		} else if (errno == EILSEQ || errno == EINVAL) {
			if (strict)
				goto fail;
			in++;
			inleft--;
			(*skipped)++;
			iconv(cd, NULL, NULL, NULL, NULL);
		} else {
			goto fail;
		}
	}
	iconv_close(cd);
	dst[used] = '\0';
	*out = dst;
	*outlen = used;
	return 0;
fail:
	iconv_close(cd);
	free(dst);
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

int
fetch_decode(const char *buf, size_t len, const char *http_charset,
             const char *forced, char **out, size_t *outlen,
             char *used, size_t usedlen, char *err, size_t errlen)
{
	char a[40], b[40], f[40];
	const char *cands[4];
	size_t nc = 0, skipped;
	int nonascii, r;
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
	if (utf8_valid((const unsigned char *)buf, len, &nonascii)) {
		*out = malloc(len + 1);
		if (!*out) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		*outlen = len;
		snprintf(used, usedlen, "UTF-8");
		drop_nuls(*out, outlen);
		return 0;
	}
	if ((label = fetch_charset_canon(http_charset, a, sizeof(a))))
		cands[nc++] = label;
	if ((label = declared_charset(buf, len, b, sizeof(b))))
		cands[nc++] = label;
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
