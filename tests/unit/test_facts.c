/* The certificate facts of a notice (parse_facts) on texts in the sites'
 * phrasing, their JSON and their changes. */
#include "parse/parse.h"
#include "tests/unit/t.h"

#include <dirent.h>
#include <jansson.h>

#define NKEYS 6
static const char *const keys[NKEYS] = {"form", "from", "to", "how", "place", "condition"};
static int right[NKEYS], notices;

static const char *
value(const struct parse_facts *f, int k)
{
	const char *v[NKEYS] = {f->form, f->from, f->to, f->how, f->place, f->condition};

	return v[k];
}

/* Reads tests/fixtures/facts/NAME.txt ("# model: ..." and "# year: N"
 * lines, then the text) and compares each fact with NAME.expected ("key
 * TAB value" lines; a key not listed is a fact the notice does not give). */
static void
fixture(const char *name)
{
	char path[512], err[256], want[NKEYS][PARSE_FACT_MAX] = {{0}};
	size_t tl = 0, el = 0;
	char *txt, *exp, *body, *line;
	int year = 0;
	struct parse_facts f;

	snprintf(path, sizeof(path), "tests/fixtures/facts/%s.txt", name);
	txt = t_slurp(path, &tl);
	snprintf(path, sizeof(path), "tests/fixtures/facts/%s.expected", name);
	exp = t_slurp(path, &el);
	CHECK(txt && exp);
	if (!txt || !exp)
		goto out;
	CHECK(!strncmp(txt, "# model: ", 9));
	body = txt;
	while (*body == '#') {
		sscanf(body, "# year: %d", &year);
		body = strchr(body, '\n');
		body = body ? body + 1 : txt + tl;
	}
	for (line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');

		for (int k = 0; tab && k < NKEYS; k++)
			if (strlen(keys[k]) == (size_t)(tab - line) && !strncmp(line, keys[k], tab - line))
				snprintf(want[k], sizeof(want[k]), "%s", tab + 1);
	}
	CHECK(parse_facts(body, tl - (size_t)(body - txt), year, &f, err, sizeof(err)) >= 0);
	notices++;
	for (int k = 0; k < NKEYS; k++) {
		if (!strcmp(value(&f, k), want[k])) {
			right[k]++;
			continue;
		}
		printf("  %s: %s\n    expected: %s\n    got:      %s\n", name, keys[k],
		       want[k], value(&f, k));
		t_fail_here = 1;
	}
out:
	free(txt);
	free(exp);
}

static void
test_facts_fixtures(void)
{
	DIR *dir = opendir("tests/fixtures/facts");
	struct dirent *de;
	int n = 0;

	CHECK(dir != NULL);
	while (dir && (de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		char name[256];

		if (l < 5 || strcmp(de->d_name + l - 4, ".txt") || l - 4 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
		fixture(name);
		n++;
	}
	if (dir)
		closedir(dir);
	CHECK(n >= 15);
	printf("  facts right of %d fixture notices:", notices);
	for (int k = 0; k < NKEYS; k++)
		printf(" %s %d", keys[k], right[k]);
	printf("\n");
}

static void
test_facts_window_forms(void)
{
	static const struct {
		const char *text, *from, *to;
	} cases[] = {
		{"领取时间：2021年10月20日至11月30日", "2021-10-20", "2021-11-30"},
		{"请于10月20日—11月30日领取证书", "2021-10-20", "2021-11-30"},
		{"证书发放时间为12月1日至次年1月10日", "2021-12-01", "2022-01-10"},
		{"证书领取时间：12月15日-1月15日", "2021-12-15", "2022-01-15"},
		{"自2021年10月1日起，不再发放纸质证书", "2021-10-01", ""},
		{"请于11月30日前领取证书", "", "2021-11-30"},
		{"证书领取截止时间为2022年1月5日", "", "2022-01-05"},
		{"证书领取时间：2021-10-20至2021-11-30", "2021-10-20", "2021-11-30"},
		{"證書領取時間：2021年10月20日至30日", "2021-10-20", "2021-10-30"},
		{"公示期2021年10月9日截止，合格人员于公示期结束4个工作日后打印证书",
		 "公示期结束4个工作日后", ""},
		{"请于２０２１年１０月２０日至１１月３０日领取证书", "2021-10-20", "2021-11-30"},
		{"请于2月30日至3月5日领取证书", "2月30日", "2021-03-05"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parse_facts f;

		CHECK(parse_facts(cases[i].text, strlen(cases[i].text), 2021, &f, err,
		                  sizeof(err)) >= 0);
		CHECK_STR(f.from, cases[i].from);
		CHECK_STR(f.to, cases[i].to);
	}
}

static void
test_facts_yearless_without_year(void)
{
	struct parse_facts f;
	char err[256];
	const char *t = "请于10月20日至11月30日领取证书";

	CHECK_INT(parse_facts(t, strlen(t), 0, &f, err, sizeof(err)), 2);
	CHECK_STR(f.from, "10月20日");
	CHECK_STR(f.to, "11月30日");
}

static void
test_facts_json(void)
{
	struct parse_facts f;
	char err[256], *s;
	const char *t = "请于2021年10月20日至11月30日携带身份证原件到市人事考试中心领取纸质证书";
	json_t *o;

	CHECK_INT(parse_facts(t, strlen(t), 2021, &f, err, sizeof(err)), 6);
	o = parse_facts_json(&f);
	CHECK(o != NULL);
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(s, "{\"condition\":\"携带身份证原件\",\"form\":\"paper\",\"from\":\"2021-10-20\","
	             "\"how\":\"in person\",\"place\":\"市人事考试中心\",\"to\":\"2021-11-30\"}");
	free(s);
	json_decref(o);
	t = "关于二级建造师电子证书的通知";
	CHECK_INT(parse_facts(t, strlen(t), 2021, &f, err, sizeof(err)), 1);
	o = parse_facts_json(&f);
	s = json_dumps(o, JSON_COMPACT);
	CHECK_STR(s, "{\"form\":\"electronic\"}");
	free(s);
	json_decref(o);
}

static void
test_facts_diff(void)
{
	struct parse_facts a, b;
	char err[256], out[1024];
	const char *t1 = "纸质证书领取时间：2021年10月20日至11月30日";
	const char *t2 = "纸质证书领取时间：2021年10月20日至12月15日";
	const char *t3 = "自2021年10月20日起启用电子证书，不再发放纸质证书";

	parse_facts(t1, strlen(t1), 2021, &a, err, sizeof(err));
	parse_facts(t2, strlen(t2), 2021, &b, err, sizeof(err));
	CHECK_INT(parse_facts_diff(&a, &b, out, sizeof(out)), 1);
	CHECK_STR(out, "to: 2021-11-30 → 2021-12-15");
	CHECK_INT(parse_facts_diff(&a, &a, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	parse_facts(t3, strlen(t3), 2021, &b, err, sizeof(err));
	CHECK_INT(parse_facts_diff(&a, &b, out, sizeof(out)), 2);
	CHECK_STR(out, "form: paper → electronic, to: 2021-11-30 → none");
}

static void
test_facts_bad_input(void)
{
	struct parse_facts f;
	char err[256];
	const char bad[] = "\xff\xfe领取时间：\xe5" "2021年10月20日至11月30日\xc3";

	CHECK(parse_facts(bad, sizeof(bad) - 1, 2021, &f, err, sizeof(err)) >= 0);
	CHECK_INT(parse_facts("", 0, 2021, &f, err, sizeof(err)), 0);
}

int
main(void)
{
	RUN(test_facts_fixtures);
	RUN(test_facts_window_forms);
	RUN(test_facts_yearless_without_year);
	RUN(test_facts_json);
	RUN(test_facts_diff);
	RUN(test_facts_bad_input);
	T_DONE();
}
