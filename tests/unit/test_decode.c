/* Charset detection and decoding to UTF-8. */
#include "fetch/fetch.h"
#include "tests/unit/t.h"

static char *
decode(const char *buf, size_t len, const char *http, const char *forced, char *used)
{
	char *out = NULL, err[256];
	size_t n;

	if (fetch_decode(buf, len, http, forced, &out, &n, used, 64, err, sizeof(err)) < 0) {
		printf("  decode: %s\n", err);
		return NULL;
	}
	CHECK_INT(strlen(out), n);
	return out;
}

/* 二级建造师证书 in GBK */
static const char gbk[] = "\xb6\xfe\xbc\xb6\xbd\xa8\xd4\xec\xca\xa6\xd6\xa4\xca\xe9";

static void
gbk_by_http_label(void)
{
	char used[64], *s = decode(gbk, strlen(gbk), "gb2312", NULL, used);

	CHECK_STR(s, "二级建造师证书");
	CHECK_STR(used, "GB18030");
	free(s);
}

static void
gbk_by_meta(void)
{
	char page[256], used[64], *s;

	snprintf(page, sizeof(page),
	         "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
	         "charset=GBK\"></head><body>%s</body></html>", gbk);
	s = decode(page, strlen(page), NULL, NULL, used);
	CHECK(s && strstr(s, "二级建造师证书"));
	CHECK_STR(used, "GB18030");
	free(s);
}

static void
gbk_sniffed(void)
{
	char used[64], *s = decode(gbk, strlen(gbk), NULL, NULL, used);

	CHECK_STR(s, "二级建造师证书");
	free(s);
}

/* The seed's mojibake came from UTF-8 read as GBK: a UTF-8 body stays
 * UTF-8 whatever its labels claim. */
static void
utf8_under_a_gbk_label(void)
{
	const char *text = "<meta charset=\"gb2312\">或将影响二建证书";
	char used[64], *s = decode(text, strlen(text), "gbk", NULL, used);

	CHECK_STR(s, text);
	CHECK_STR(used, "UTF-8");
	CHECK(s && !strstr(s, "\xef\xbf\xbd"));
	free(s);
}

/* GB18030-only characters (four-byte) and a declared utf-8 that lies */
static void
gb18030_under_a_utf8_label(void)
{
	/* "证书" in GBK, then U+20000 in GB18030 four-byte form */
	const char body[] = "<meta charset=utf-8>\xd6\xa4\xca\xe9\x95\x32\x82\x36";
	char used[64], *s = decode(body, sizeof(body) - 1, "utf-8", NULL, used);

	CHECK_STR(s, "<meta charset=utf-8>证书\xf0\xa0\x80\x80");
	free(s);
}

static void
garbage_never_yields_replacement(void)
{
	const char body[] = "\xd6\xa4\xca\xe9\xff\xff\x81\x20ok";
	char used[64], *s = decode(body, sizeof(body) - 1, NULL, NULL, used);

	CHECK(s != NULL);
	CHECK(s && !strstr(s, "\xef\xbf\xbd"));
	CHECK(s && strstr(s, "证书"));
	free(s);
	/* a UTF-8 page holding U+FFFD itself is still UTF-8, not mojibake */
	s = decode("证书\xef\xbf\xbd", 9, "gbk", NULL, used);
	CHECK_STR(used, "UTF-8");
	CHECK_STR(s, "证书\xef\xbf\xbd");
	free(s);
}

static void
forced_encoding_and_bom(void)
{
	char used[64], *s = decode(gbk, strlen(gbk), "utf-8", "gb2312", used);

	CHECK_STR(s, "二级建造师证书");
	free(s);
	s = decode("\xef\xbb\xbfok", 5, "gbk", NULL, used);
	CHECK_STR(s, "ok");
	free(s);
	{
		char *out = NULL, err[128];
		size_t n;
		CHECK(fetch_decode("x", 1, NULL, "no-such-charset", &out, &n, used, 64, err,
		                   sizeof(err)) < 0);
		CHECK_STR(err, "unknown encoding 'no-such-charset'");
	}
}

static void
nul_bytes_dropped(void)
{
	char used[64], *s = decode("a\0b", 3, NULL, NULL, used);

	CHECK_STR(s, "ab");
	free(s);
}

static void
labels(void)
{
	char b[40];

	CHECK_STR(fetch_charset_canon("GB2312", b, sizeof(b)), "GB18030");
	CHECK_STR(fetch_charset_canon(" x-gbk", b, sizeof(b)), "GB18030");
	CHECK_STR(fetch_charset_canon("\"utf8\"", b, sizeof(b)), "UTF-8");
	CHECK_STR(fetch_charset_canon("big5", b, sizeof(b)), "BIG5-HKSCS");
	CHECK(fetch_charset_canon("", b, sizeof(b)) == NULL);
}

int
main(void)
{
	RUN(gbk_by_http_label);
	RUN(gbk_by_meta);
	RUN(gbk_sniffed);
	RUN(utf8_under_a_gbk_label);
	RUN(gb18030_under_a_utf8_label);
	RUN(garbage_never_yields_replacement);
	RUN(forced_encoding_and_bom);
	RUN(nul_bytes_dropped);
	RUN(labels);
	T_DONE();
}
