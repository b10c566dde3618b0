/* The extractor on fixture pages of each shape, dates, relevance. */
#include "config/config.h"
#include "fetch/fetch.h"
#include "parse/parse.h"
#include "tests/unit/t.h"

/* Extracts tests/fixtures/NAME.html and compares with NAME.expected:
 * "# url: URL", then "date TAB title TAB link TAB relevant-mark" lines. */
static void
fixture(const char *name)
{
	char path[256], url[512] = "", *html, *exp, *body = NULL, used[64], err[256];
	size_t hl, el, bl;
	struct parse_list l = {0};
	struct parse_rules none = {0};
	size_t k = 0;

	snprintf(path, sizeof(path), "tests/fixtures/%s.html", name);
	html = t_slurp(path, &hl);
	snprintf(path, sizeof(path), "tests/fixtures/%s.expected", name);
	exp = t_slurp(path, &el);
	CHECK(html && exp);
	if (!html || !exp)
		goto out;
	sscanf(exp, "# url: %511s", url);
	CHECK(fetch_decode(html, hl, NULL, NULL, &body, &bl, used, sizeof(used), err,
	                   sizeof(err)) == 0);
	if (parse_page(body, bl, url, &none, &l, err, sizeof(err)) < 0) {
		printf("  %s: parse_page: %s\n", name, err);
		t_fail_here = 1;
		goto out;
	}
	for (char *line = strchr(exp, '\n') + 1; *line; k++) {
		char *end = strchr(line, '\n'), want[2048], got[2048];
		*end = '\0';
		snprintf(want, sizeof(want), "%s", line);
		if (k < l.n) {
			bool rel = parse_relevant(l.items[k].title, (char *const *)config_default_include,
			                          (char *const *)config_default_exclude);
			snprintf(got, sizeof(got), "%s\t%s\t%s\t%s", l.items[k].date, l.items[k].title,
			         l.items[k].link, rel ? "*" : "");
		} else {
			snprintf(got, sizeof(got), "(no item %zu)", k);
		}
		CHECK_STR(got, want);
		line = end + 1;
	}
	if (l.n != k) {
		printf("  %s: expected %zu items, got %zu; extra: %s\n", name, k, l.n,
		       l.n > k ? l.items[k].title : "-");
		t_fail_here = 1;
	}
out:
	parse_list_free(&l);
	free(body);
	free(html);
	free(exp);
}

static void extract_ul_li_span(void) { fixture("ul-li-span"); }
static void extract_table_rows_gbk(void) { fixture("table-rows-gbk"); }
static void extract_trs_wcm(void) { fixture("trs-wcm"); }
static void extract_hanweb_cdata(void) { fixture("hanweb-cdata"); }
static void extract_lying_meta(void) { fixture("lying-meta"); }

static void
dates(void)
{
	static const char *const cases[][2] = {
		{"2021-10-09", "2021-10-09"}, {"[2021-10-09]", "2021-10-09"},
		{"2021/10/9", "2021-10-09"}, {"2021.10.09", "2021-10-09"},
		{"2021年10月9日", "2021-10-09"}, {"发布时间：2021 年 1 月 5 日", "2021-01-05"},
		{"(2020-02-29)", "2020-02-29"}, {"2021-02-29", ""}, {"2021-13-01", ""},
		{"12021-10-09", ""}, {"2021-10/09", ""}, {"2021年10-09", ""}, {"no date", ""},
		{"第2021号 2021-1-2", "2021-01-02"}, {"2021-10-091", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[11] = "";
		if (parse_date(cases[i][0], strlen(cases[i][0]), out) < 0)
			out[0] = '\0';
		CHECK_STR(out, cases[i][1]);
	}
}

static void
dates_in_links(void)
{
	char out[11] = "";

	CHECK(parse_date_from_link("http://x/rsks/202110/t20211009_123.html", out) == 0);
	CHECK_STR(out, "2021-10-09");
	CHECK(parse_date_from_link("http://x/content/2021-09/30/content_1.htm", out) == 0);
	CHECK_STR(out, "2021-09-30");
	CHECK(parse_date_from_link("http://x/art_123.html", out) < 0);
	CHECK(parse_date_from_link("http://x/t20211399_1.html", out) < 0);
}

static void
xpath_rules(void)
{
	const char *page =
	    "<html><body><div class='zx_ml_list'><ul>"
	    "<li><div>标题</div><span>日期</span></li>"
	    "<li><div class='list_name'><a href='./202110/t20211009_1.htm'>深圳2021年二级建造师证书发放通知</a></div>"
	    "<span>x</span><span>2021/10/09</span></li>"
	    "<li><div class='list_name'><a href='javascript:go()'>脚本链接</a></div><span>x</span><span>2021/10/08</span></li>"
	    "</ul></div></body></html>";
	struct parse_rules r = {.items = "//div[@class='zx_ml_list']/ul/li[position()>1]",
	                        .title = "div[@class='list_name']/a",
	                        .link = "div[@class='list_name']/a", .date = "span[2]"};
	struct parse_list l = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://hrss.sz.example/szksy/zwgk/zsff/index.html",
	                 &r, &l, err, sizeof(err)) == 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(l.items[0].title, "深圳2021年二级建造师证书发放通知");
		CHECK_STR(l.items[0].link,
		          "http://hrss.sz.example/szksy/zwgk/zsff/202110/t20211009_1.htm");
		CHECK_STR(l.items[0].date, "2021-10-09");
	}
	parse_list_free(&l);

	r.items = "//table[@id='none']//tr";
	CHECK(parse_page(page, strlen(page), "http://x/", &r, &l, err, sizeof(err)) < 0);
	CHECK(strstr(err, "found no notices") != NULL);
	CHECK(parse_xpath_check("//li[", err, sizeof(err)) < 0);
	CHECK(parse_xpath_check("//li[@class='a']/a/@href", err, sizeof(err)) == 0);
}

static void
nothing_found(void)
{
	const char *page = "<html><body><div class='nav'><a href='/a'>首页</a></div>"
	                   "<p>系统维护中，请稍后访问</p></body></html>";
	struct parse_list l = {0};
	struct parse_rules none = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://x/", &none, &l, err, sizeof(err)) < 0);
	CHECK_STR(err, "no notice list found on the page");
	CHECK_INT(l.n, 0);
}

static void
replacement_characters_never_stored(void)
{
	const char *page = "<ul><li><a href='/a'>证书\xef\xbf\xbd领取&#65533;通知\x01</a>"
	                   "<span>2021-10-09</span></li></ul>";
	struct parse_list l = {0};
	struct parse_rules none = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://x/", &none, &l, err, sizeof(err)) == 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.items[0].title, "证书领取通知");
	parse_list_free(&l);
}

static void
article_text(void)
{
	size_t hl;
	char *html = t_slurp("tests/fixtures/article-trs.html", &hl), *text = NULL, *att = NULL;
	char err[256];

	CHECK(html != NULL);
	if (!html)
		return;
	CHECK(parse_article(html, hl, "http://www.scpta.example/front/News/Detail/9106", NULL,
	                    &text, &att, err, sizeof(err)) == 0);
	CHECK_STR(text,
	          "各市（州）人事考试机构，有关考生：\n"
	          "根据《四川省人力资源和社会保障厅关于启用专业技术人员资格电子证书的通知》，"
	          "自2021年10月1日起，四川省2021年度二级建造师执业资格考试合格人员不再发放纸质证书，"
	          "统一制作电子证书。\n"
	          "考试合格人员可于2021年10月15日后登录四川省专业技术人员资格电子证书系统，"
	          "查询、下载或打印电子证书。电子证书与纸质证书具有同等效力。\n"
	          "附件：1. 2021年度二级建造师合格人员名单.xlsx\n"
	          "2. 电子证书下载说明.pdf\n"
	          "四川省人事考试中心\n"
	          "2021年10月9日\n");
	CHECK_STR(att, "1. 2021年度二级建造师合格人员名单.xlsx "
	               "<http://www.scpta.example/upload/2021/10/hgmd.xlsx>\n"
	               "2. 电子证书下载说明.pdf "
	               "<http://www.scpta.example/front/News/Detail/files/zhengshu-shuoming.pdf>\n");
	free(text);
	free(att);
	CHECK(parse_article(html, hl, "http://x/", "//div[@class='info']", &text, &att, err,
	                    sizeof(err)) == 0);
	CHECK(text && !strncmp(text, "发布时间：2021-10-09 来源", strlen("发布时间：2021-10-09 来源")));
	free(text);
	free(att);
	CHECK(parse_article(html, hl, "http://x/", "//div[@id='none']", &text, &att, err,
	                    sizeof(err)) < 0);
	CHECK_STR(err, "content XPath '//div[@id='none']' found nothing");
	free(html);
}

static void
relevance(void)
{
	char *inc[] = {"证书", "證書", NULL}, *exc[] = {"招聘", NULL}, *empty[] = {NULL};

	CHECK(parse_relevant("二级建造师证书领取通知", inc, exc));
	CHECK(parse_relevant("二級建造師證書領取", inc, exc));
	CHECK(!parse_relevant("事业单位招聘证书核验", inc, exc));
	CHECK(!parse_relevant("考试报名通知", inc, exc));
	CHECK(!parse_relevant("证书", empty, exc));
}

static void main_trust_fields(void);

static void main_extract13(void);

int
main(void)
{
	RUN(extract_ul_li_span);
	RUN(extract_table_rows_gbk);
	RUN(extract_trs_wcm);
	RUN(extract_hanweb_cdata);
	RUN(extract_lying_meta);
	RUN(dates);
	RUN(dates_in_links);
	RUN(xpath_rules);
	RUN(nothing_found);
	RUN(replacement_characters_never_stored);
	RUN(article_text);
	RUN(relevance);
	main_trust_fields();
	main_extract13();
	T_DONE();
}

/* ---- issue 12, items 4 and 11: fields of every format, duplicates ---- */

/* Checks the items of page in format fmt, as "title|link|date" lines. */
static void
check_items(const char *page, enum parse_format fmt, const char *items, const char *title,
            const char *link, const char *date, const char *script, const char *want)
{
	struct parse_rules r = {items, title, link, date, fmt, NULL, script, NULL, 0};
	struct parse_list l = {0};
	char err[256], *got;
	size_t n = 1;

	if (parse_page(page, strlen(page), "http://x.example/list/", &r, &l, err,
	               sizeof(err)) < 0) {
		printf("  parse_page: %s\n", err);
		t_fail_here = 1;
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		n += strlen(l.items[i].title) + strlen(l.items[i].link) + 16;
	got = malloc(n);
	got[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		sprintf(got + strlen(got), "%s|%s|%s\n", l.items[i].title, l.items[i].link,
		        l.items[i].date);
	CHECK_STR(got, want);
	free(got);
	parse_list_free(&l);
}

#define HOSTILE_JSON "2021\\r\\n二级建造师\\t证书\\u001b[2J领取\\u0007通知\\u202e" \
	"\\u2066公告\\u2069\\u0085\\u009b\\u2028结束\\u0000。"

static void
json_and_script_fields_normalised(void)
{
	check_items("{\"rows\": [{\"t\": \"" HOSTILE_JSON "\", \"u\": \" /a.html\\r\\n\","
	            " \"d\": \"2021-10-09\\u001b\"}, {\"t\": \" \\u00a0\\u3000 \", \"u\": \"/b\"}]}",
	            PARSE_JSON, "rows", "t", "u", "d", NULL,
	            "2021 二级建造师 证书[2J领取通知公告 结束。|http://x.example/a.html|2021-10-09\n");
	check_items("<script>var d = {rows: [{t: '" HOSTILE_JSON "', u: './s/1.html'}]};</script>",
	            PARSE_SCRIPT, "rows", "t", "u", NULL, "d",
	            "2021 二级建造师 证书[2J领取通知公告 结束。|http://x.example/list/s/1.html|\n");
}

static void
xml_and_html_fields_normalised(void)
{
	check_items("<?xml version='1.0'?><l><i><n>  二级建造师&#x202E;证书\n\t领取&#x85;"
	            "&#x9B;通知&#x2067;&#x2028;&#xFFFD;</n><u>/x/1.html</u>"
	            "<d>2021-10-07</d></i></l>",
	            PARSE_XML, "//i", "n", "u", "d", NULL,
	            "二级建造师证书 领取通知|http://x.example/x/1.html|2021-10-07\n");
	check_items("<ul><li><a href='/h/1.html'>二级建造师&#x202E;证书&#x9B;领取&#x2068;名单"
	            "&#x1B;&#x7;&#x2029;公示</a><span>2021-10-06</span></li></ul>",
	            PARSE_HTML, "//li", NULL, NULL, NULL, NULL,
	            "二级建造师证书领取名单 公示|http://x.example/h/1.html|2021-10-06\n");
}

/* A path that selects an element gives its text, for the link as for the
 * title; an element with an href (HTML's a) gives the href. */
static void
xml_link_element(void)
{
	check_items("<?xml version='1.0'?><rs><r><t>证书发放</t><url> /a.html\n</url></r>"
	            "<r><t>合格人员</t><url><![CDATA[b.html?id=2&x=1]]></url></r>"
	            "<r><t>名单公示</t><link href='c.html'>ignored</link></r></rs>",
	            PARSE_XML, "//r", "t", "url | link", NULL, NULL,
	            "证书发放|http://x.example/a.html|\n"
	            "合格人员|http://x.example/list/b.html?id=2&x=1|\n"
	            "名单公示|http://x.example/list/c.html|\n");
}

/* Links carry no control character or bidi override, raw: percent-escaped
 * inside, tabs and line breaks removed as the URL standard does. */
static void
links_never_carry_controls(void)
{
	check_items("[{\"t\": \"证书一\", \"u\": \"/a\\u001b.html\"},"
	            " {\"t\": \"证书二\", \"u\": \"/b\\u202e\\u0085.html\"},"
	            " {\"t\": \"证书三\", \"u\": \"/c\\r\\n\\t.html\"}]",
	            PARSE_JSON, "", "t", "u", NULL, NULL,
	            "证书一|http://x.example/a%1B.html|\n"
	            "证书二|http://x.example/b%E2%80%AE%C2%85.html|\n"
	            "证书三|http://x.example/c.html|\n");
}

/* Duplicate links: the first item stands, on a page and across pages, in
 * a list as long as the largest pages (120,000 items, linear time). */
static void
duplicates_in_a_long_list(void)
{
	enum { N = 120000 };
	size_t cap = (size_t)N * 2 * 80 + 64, n = 0;
	char *page = malloc(cap), err[256];
	struct parse_list l = {0}, more = {0};
	struct parse_rules r = {"//li", NULL, NULL, NULL, PARSE_HTML, NULL, NULL, NULL, 0};

	n += (size_t)sprintf(page, "<ul>");
	for (int i = 0; i < N; i++)
		n += (size_t)sprintf(page + n, "<li><a href='/n/%d.html'>公告第%d号</a></li>", i, i);
	for (int i = 0; i < N; i += 2)      /* again, under other titles */
		n += (size_t)sprintf(page + n, "<li><a href='/n/%d.html'>重复第%d号</a></li>", i, i);
	n += (size_t)sprintf(page + n, "</ul>");
	CHECK(parse_page(page, n, "http://x.example/", &r, &l, err, sizeof(err)) == 0);
	CHECK_INT(l.n, N);
	if (l.n == N) {
		CHECK_STR(l.items[0].title, "公告第0号");
		CHECK_STR(l.items[N - 1].link, "http://x.example/n/119999.html");
	}
	/* a second page: what the first listed is dropped, the rest appended */
	n = (size_t)sprintf(page, "<ul><li><a href='/n/5.html'>又一次</a></li>"
	                          "<li><a href='/n/new.html'>新的通知</a></li></ul>");
	CHECK(parse_page(page, n, "http://x.example/", &r, &more, err, sizeof(err)) == 0);
	CHECK_INT(parse_list_merge(&l, &more), 1);
	CHECK_INT(l.n, N + 1);
	if (l.n == N + 1) {
		CHECK_STR(l.items[5].title, "公告第5号");
		CHECK_STR(l.items[N].title, "新的通知");
	}
	parse_list_free(&more);
	parse_list_free(&l);
	free(page);
}

static void
main_trust_fields(void)
{
	RUN(duplicates_in_a_long_list);
	RUN(json_and_script_fields_normalised);
	RUN(xml_and_html_fields_normalised);
	RUN(xml_link_element);
	RUN(links_never_carry_controls);
}

/* ---- issue 13, items 1, 3 and 4: the generic extractor on real markup ---- */

static void extract_shanxi_rst_sidebar(void) { fixture("shanxi-rst-sidebar"); }
static void extract_hunanpea_rows(void) { fixture("hunanpea-rows"); }

/* Years-less list dates take the latest year that puts them on or before
 * the fetch date. */
static void
dates_without_year(void)
{
	static const char *const cases[][3] = {
		{"[02-26]", "2026-03-05", "2026-02-26"}, {"02-26", "2026-03-05", "2026-02-26"},
		{"[12-30]", "2026-01-05", "2025-12-30"}, {" 03-05 ", "2026-03-05", "2026-03-05"},
		{"03-06", "2026-03-05", "2025-03-06"}, {"11月26日", "2026-03-05", "2025-11-26"},
		{"(11/26)", "2026-03-05", "2025-11-26"}, {"02-29", "2026-03-05", "2024-02-29"},
		{"2021-10-09", "2026-03-05", "2021-10-09"}, {"13-01", "2026-03-05", ""},
		{"第1-2批", "2026-03-05", ""}, {"1-3级", "2026-03-05", ""}, {"no date", "2026-03-05", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[11] = "";
		if (parse_date_yearless(cases[i][0], strlen(cases[i][0]), cases[i][1], out) < 0)
			out[0] = '\0';
		CHECK_STR(out, cases[i][2]);
	}
}

/* 天津人事考试网 writes its list dates as [MM-DD] after the link (the shape
 * a public exam-radar crawler's test feeds its parser, see
 * shared/reference/catalog-audit.md, tianjin); the generic extractor and a
 * date rule both give them a year. */
static void
yearless_list_dates(void)
{
	const char *page =
	    "<ul class='list'>"
	    "<li><a href='/jsdw/rsksw/tzgg4/a1.html'>关于领取二级建造师证书的通知</a>[02-26]</li>"
	    "<li><a href='/jsdw/rsksw/tzgg4/a2.html'>关于专业技术人员职业资格考试有关事项的通知</a>[12-30]</li>"
	    "<li><a href='/jsdw/rsksw/tzgg4/a3.html'>天津市2025年度执业药师考试考务安排</a>[11-26]</li>"
	    "<li><a href='/jsdw/rsksw/tzgg4/a4.html'>二级建造师证书补发通知</a>2025-10-09</li>"
	    "</ul>";
	struct parse_rules none = {.today = "2026-03-05"};
	struct parse_rules r = {.items = "//ul/li", .date = "text()", .today = "2026-03-05"};
	struct parse_list l = {0}, m = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "https://hrss.tj.example/", &none, &l, err,
	                 sizeof(err)) == 0);
	CHECK_INT(l.n, 4);
	if (l.n == 4) {
		CHECK_STR(l.items[0].date, "2026-02-26");
		CHECK_STR(l.items[1].date, "2025-12-30");
		CHECK_STR(l.items[2].date, "2025-11-26");
		/* the store keeps a year-less date's first year: it must know */
		CHECK_INT(l.items[2].yearless, 1);
		CHECK_STR(l.items[3].date, "2025-10-09");
		CHECK_INT(l.items[3].yearless, 0);
	}
	CHECK(parse_page(page, strlen(page), "https://hrss.tj.example/", &r, &m, err,
	                 sizeof(err)) == 0);
	CHECK_INT(m.n, 4);
	if (m.n == 4) {
		CHECK_STR(m.items[1].date, "2025-12-30");
		CHECK_INT(m.items[1].yearless, 1);
		CHECK_INT(m.items[3].yearless, 0);
	}
	parse_list_free(&l);
	parse_list_free(&m);
}

static char *
fixture_body(const char *name, size_t *len)
{
	char path[256], used[64], err[256], *html, *body = NULL;
	size_t hl;

	snprintf(path, sizeof(path), "tests/fixtures/%s.html", name);
	html = t_slurp(path, &hl);
	if (!html || fetch_decode(html, hl, NULL, NULL, &body, len, used, sizeof(used), err,
	                          sizeof(err)) < 0)
		body = NULL;
	free(html);
	return body;
}

/* A landing page of section cards is no notice list. */
static void
landing_page_has_no_list(void)
{
	size_t n;
	char *body = fixture_body("hunanpea-landing", &n), err[256] = "";
	struct parse_rules none = {0};
	struct parse_list l = {0};

	CHECK(body != NULL);
	CHECK(parse_page(body, n, "http://rsks.hunanpea.example/", &none, &l, err,
	                 sizeof(err)) < 0);
	CHECK_STR(err, "no notice list found on the page");
	parse_list_free(&l);
	free(body);
}

/* The list the generic extractor chose, named as an XPath with the page's
 * id or class, gives the same items as items rule. */
static void
chosen_list_as_xpath(const char *name, const char *url, const char *want)
{
	size_t n;
	char *body = fixture_body(name, &n), err[256] = "";
	struct parse_rules none = {0};
	struct parse_list l = {0}, m = {0};

	CHECK(body != NULL);
	if (!body)
		return;
	CHECK(parse_page(body, n, url, &none, &l, err, sizeof(err)) == 0);
	CHECK_STR(l.xpath, want);
	CHECK(l.why != NULL);
	if (l.xpath) {
		struct parse_rules r = {.items = l.xpath};
		CHECK(parse_page(body, n, url, &r, &m, err, sizeof(err)) == 0);
		CHECK_INT(m.n, l.n);
		for (size_t i = 0; i < l.n && i < m.n; i++) {
			CHECK_STR(m.items[i].title, l.items[i].title);
			CHECK_STR(m.items[i].link, l.items[i].link);
			CHECK_STR(m.items[i].date, l.items[i].date);
		}
	}
	parse_list_free(&l);
	parse_list_free(&m);
	free(body);
}

static void
chosen_list_xpath_by_class(void)
{
	chosen_list_as_xpath("shanxi-rst-sidebar", "http://rst.shanxi.example/rsks/zyjsryzgks/",
	                     "//ul[@class='list-items-box-inner']/li");
}

static void
chosen_list_xpath_by_id(void)
{
	chosen_list_as_xpath("hunanpea-rows", "http://rsks.hunanpea.example/Category/2f1a/x.do",
	                     "//div[@id='column_content']/ul/li");
}

static void
chosen_table_xpath(void)
{
	const char *page =
	    "<table id='grid'><tr><th>标题</th><th>日期</th></tr>"
	    "<tr><td><a href='/a1.html'>关于领取二级建造师证书的通知</a></td><td>2024-03-01</td></tr>"
	    "<tr><td><a href='/a2.html'>二级建造师考试合格人员公示</a></td><td>2024-02-01</td></tr>"
	    "</table>";
	struct parse_rules none = {0};
	struct parse_list l = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://x.example/", &none, &l, err, sizeof(err)) == 0);
	CHECK_STR(l.xpath, "//table[@id='grid']/tr");
	parse_list_free(&l);
}

/* A link written across a line break is read as browsers read it, by the
 * generic extractor and by rules alike. */
static void
href_across_a_line_break(void)
{
	const char *page = "<ul><li><a href=' ./2024/a\r\n1.html\t'>关于领取二级建造师证书的通知</a>"
	                   "<span>2024-03-01</span></li>"
	                   "<li><a href='./2024/a2.html'>二级建造师考试合格人员公示</a>"
	                   "<span>2024-02-01</span></li></ul>";
	struct parse_rules none = {0};
	struct parse_rules r = {.items = "//li", .link = "a/@href"};
	struct parse_rules r2 = {.items = "//li", .link = "a"};
	struct parse_list l = {0}, m = {0}, k = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://x.example/l/", &none, &l, err, sizeof(err)) == 0);
	CHECK(parse_page(page, strlen(page), "http://x.example/l/", &r, &m, err, sizeof(err)) == 0);
	CHECK(parse_page(page, strlen(page), "http://x.example/l/", &r2, &k, err, sizeof(err)) == 0);
	if (l.n && m.n && k.n) {
		CHECK_STR(l.items[0].link, "http://x.example/l/2024/a1.html");
		CHECK_STR(m.items[0].link, "http://x.example/l/2024/a1.html");
		CHECK_STR(k.items[0].link, "http://x.example/l/2024/a1.html");
	} else {
		CHECK(0);
	}
	parse_list_free(&l);
	parse_list_free(&m);
	parse_list_free(&k);
}

/* Rows with a category link and the notice link: one notice per row, by
 * rules too when they name no title or link. */
static void
one_notice_per_row_by_rules(void)
{
	const char *page =
	    "<ul><li><span>2024-03-01</span><a class='node' href='/c/1'>[二级建造师考试]</a>"
	    "<a class='title' href='/n/1' title='关于领取二级建造师证书的通知'>通知</a></li>"
	    "<li><span>2024-02-01</span><a class='node' href='/c/2'>[一级造价工程师考试]</a>"
	    "<a class='title' href='/n/2'>一级造价工程师考试合格人员公示</a></li></ul>";
	struct parse_rules r = {.items = "//li"};
	struct parse_list l = {0};
	char err[256];

	CHECK(parse_page(page, strlen(page), "http://x.example/", &r, &l, err, sizeof(err)) == 0);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		CHECK_STR(l.items[0].title, "关于领取二级建造师证书的通知");
		CHECK_STR(l.items[0].link, "http://x.example/n/1");
		CHECK_STR(l.items[1].link, "http://x.example/n/2");
	}
	parse_list_free(&l);
}

static void
main_extract13(void)
{
	RUN(extract_shanxi_rst_sidebar);
	RUN(extract_hunanpea_rows);
	RUN(dates_without_year);
	RUN(yearless_list_dates);
	RUN(landing_page_has_no_list);
	RUN(chosen_list_xpath_by_class);
	RUN(chosen_list_xpath_by_id);
	RUN(chosen_table_xpath);
	RUN(href_across_a_line_break);
	RUN(one_notice_per_row_by_rules);
}
