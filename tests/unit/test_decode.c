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

static int main_item3(void);

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
	main_item3();
	T_DONE();
}

/* ---- issue 12, item 3: a stray byte in a page labelled UTF-8 ---- */

#define LIT(s) (s), sizeof(s) - 1

/* Decodes with main's tests' helper, and compares the diagnostic too. */
static void
check_decode(const char *body, size_t len, const char *http, const char *want,
             const char *want_used)
{
	char used[64] = "", *s = decode(body, len, http, NULL, used);

	CHECK_STR(s, want);
	CHECK_STR(used, want_used);
	free(s);
}

/* One invalid byte in a page whose meta (or HTTP) label says UTF-8: the
 * page stays UTF-8, the byte becomes U+FFFD, as browsers do. */
static void
utf8_label_with_a_stray_byte(void)
{
	const char page[] = "<meta charset=\"utf-8\"><li>关于二级建造师证书领取的通知</li>"
	                    "<li>2021年度考试\xff安排</li><li>合格人员名单公示</li>";
	const char want[] = "<meta charset=\"utf-8\"><li>关于二级建造师证书领取的通知</li>"
	                    "<li>2021年度考试\xef\xbf\xbd安排</li><li>合格人员名单公示</li>";

	check_decode(page, sizeof(page) - 1, NULL, want, "UTF-8 (1 invalid sequence replaced)");
	/* the HTTP label alone says so as well */
	check_decode(page + 22, sizeof(page) - 23, "utf-8", want + 22,
	             "UTF-8 (1 invalid sequence replaced)");
	/* a character cut short is one replacement (its maximal subpart), and
	 * the next character stands */
	check_decode(LIT("<meta charset=utf-8>证书\xe8\xaf领取通知"), NULL,
	             "<meta charset=utf-8>证书\xef\xbf\xbd领取通知",
	             "UTF-8 (1 invalid sequence replaced)");
	/* a lone continuation byte, a byte never valid, an overlong form, a
	 * surrogate and a truncated end: one replacement each */
	check_decode(LIT("证书领取通知公告名单考试证书领取通知公告名单考试证书领取通知公告名单考试"
	                 "\x80\xc0\xaf\xed\xa0\x80\xe4\xb8"), "UTF-8",
	             "证书领取通知公告名单考试证书领取通知公告名单考试证书领取通知公告名单考试\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	             "UTF-8 (7 invalid sequences replaced)");
}

/* A GBK body under a UTF-8 label is not 'mostly UTF-8': still GB18030,
 * and no label saying UTF-8 means no replacement at all. */
static void
utf8_label_on_gbk_is_not_utf8(void)
{
	char page[256], used[64], *s;

	snprintf(page, sizeof(page), "<meta charset=\"utf-8\"><p>%s</p><p>%s</p>", gbk, gbk);
	s = decode(page, strlen(page), "utf-8", NULL, used);
	CHECK(s && strstr(s, "二级建造师证书"));
	CHECK_STR(used, "GB18030");
	free(s);
	s = decode(LIT("证书领取通知公告\xff"), NULL, NULL, used);
	CHECK(s && !strstr(s, "\xef\xbf\xbd"));
	free(s);
}

/* The diagnostic names the charset and what was dropped in full. */
static void
diagnostic_not_cut(void)
{
	char body[64], used[64], *s;

	snprintf(body, sizeof(body), "%s\xff\xff\xff", gbk);
	s = decode(body, strlen(body), NULL, NULL, used);
	CHECK_STR(s, "二级建造师证书");
	CHECK_STR(used, "GB18030 (3 invalid bytes dropped)");
	free(s);
}

static int
main_item3(void)
{
	RUN(utf8_label_with_a_stray_byte);
	RUN(utf8_label_on_gbk_is_not_utf8);
	RUN(diagnostic_not_cut);
	return 0;
}
