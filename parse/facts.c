/* Certificate facts of a notice: form, window, how, place, condition.
 * PCRE2 patterns over a copy of the text folded to simplified characters
 * byte for byte, so that what they find is cut from the text as written. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "parse/parse.h"
#include "base/msg.h"

#include <jansson.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Traditional characters of the notices and their simplified forms; every
 * one is 3 bytes in UTF-8 on both sides. */
static const char trad_simp[] =
	"證证書书領领紙纸質质電电發发郵邮場场現现載载帶带復复審审過过後后點点結结個个"
	"滿满時时間间辦办愛爱東东網网憑凭須须請请應应資资試试錄录啟启啓启關关於于號号"
	"為为專专業业術术員员設设區区處处達达遞递費费簽签攜携務务統统線线開开單单別别"
	"臺台廳厅廣广舉举讀读問问題题報报將将會会國国門门戶户廈厦樓楼聯联繫系話话異异"
	"議议擬拟績绩從从對对實实預预約约範范圍围蘇苏粵粤魯鲁遼辽慶庆陝陕貴贵雲云寧宁"
	"龍龙擇择選选碼码掃扫維维閱阅詳详見见準准屆届據据執执認认詢询驗验續续補补換换"
	"頁页響响庫库內内錯错傳传級级與与無无們们師师總总機机構构紀纪違违環环節节狀状"
	"條条當当動动邊边陸陆嚴严並并規规這这樣样種种擊击顯显溫温態态嗎吗歲岁畢毕製制"
	"託托寫写鐘钟週周貼贴隨随衛卫醫医漢汉熱热";

enum { RE_DATE, RE_REL, RE_OTHER, RE_KEY, RE_NOPAPER, RE_ELEC, RE_PAPER, RE_PERSON,
       RE_MAIL, RE_DOWN, RE_CERT, RE_APPQ, RE_APPK, RE_URL, RE_PLACE, RE_PLACE_TO,
       RE_CARRY, RE_REVIEW, RE_PINYIN, RE_N };

#define D4 "(\\d{4})"
#define DMD "(\\d{1,2})\\s*月\\s*(\\d{1,2})\\s*[日号]"
#define TIME "(?:\\s*(?:上午|下午|早上|中午|晚上)?\\s*\\d{1,2}(?:[:：]\\d{2}|时|点)(?:\\d{1,2}分)?)?"
#define PAREN "(?:\\s*[（(][^）)]{1,12}[）)])?"
#define SEP "\\s*(?:至|到|~|～|—+|－|-|–|―|−)\\s*(?:次年|翌年|来年)?\\s*"

static const char *const patterns[RE_N] = {
	/* 1 prefix; 2-4 first date; 5-7 second date; 8 起; 9 前 */
	[RE_DATE] = "(自|从|(?:截止|截至)(?:时间|日期)?(?:为|[:：])?)?\\s*(?<!\\d)"
	            "(?|(?:" D4 "\\s*年\\s*)?" DMD "|" D4 "[-/.](\\d{1,2})[-/.](\\d{1,2})(?!\\d))"
	            TIME PAREN
	            "(?:" SEP "(?|(?:(?:" D4 "\\s*年\\s*)?(\\d{1,2})\\s*月\\s*)?(\\d{1,2})\\s*[日号]|"
	            D4 "[-/.](\\d{1,2})[-/.](\\d{1,2})(?!\\d))" TIME PAREN
	            "|\\s*(起|开始)|\\s*(前|之前|止|截止))?",
	[RE_REL] = "(?:网上)?(?:复核结果)?公示期?(?:结束|期满|满)后?(?:\\d+|[一二三四五六七八九十两]+)个?"
	           "工作日(?:后|内)|(?:复核结果)?公示期满后|(?:考试)?成绩(?:发布|公布)后"
	           "(?:[一二三四五六七八九十两\\d]+个?(?:月|周|工作日|日|天)(?:左右|后|内)?)",
	[RE_OTHER] = "公示|审核|复核|核查|报名|考试时间|成绩公布|成绩发布|笔试|面试",
	[RE_KEY] = "领取|领证|发放|发证|打印|下载|邮寄|申领|寄递|证书|证照|合格证明",
	[RE_NOPAPER] = "不再(?:另行)?(?:发放|制发|提供|制作|发)纸|不发放纸质|取消纸质|无需领取纸质",
	[RE_ELEC] = "电子(?:证书|证照|合格证明|资格证书|合格通知书|版|化|《)|"
	            "(?:自助|自行|在线|网上)打印《?(?:成绩)?合格证明",
	[RE_PAPER] = "(?<!原|与|和|及|或|的|补办)纸质(?:的)?(?:证书|资格证书|合格证书|证明)"
	             "(?![^，。；]{0,20}(?:同等|依然有效|继续有效))|现场领取|邮寄|快递|速递|EMS|"
	             "领取地点|发放地点|窗口领取",
	[RE_PERSON] = "现场领取|现场办理|窗口领取|领取地点|发放地点|自取|代领|"
	              "(?:到|前往)(?!\\d)[^，。；]{2,30}?(?:领取|领证)",
	[RE_MAIL] = "邮寄|快递|速递|EMS|寄递",
	[RE_DOWN] = "下载|打印",
	[RE_CERT] = "证书|证明|证照|通知书",
	[RE_APPQ] = "[“\"「『]([^”\"」』，。]{2,10})[”\"」』]\\s*(?:APP|App|app|客户端|小程序|平台)",
	[RE_APPK] = "爱山东|粤省事|豫事办|随申办|渝快办|苏服办|浙里办|皖事通|赣服通|闽政通|鄂汇办|"
	            "天府通办|蒙速办|吉事办|辽事通|冀时办|北京通|津心办|三晋通|秦务员|甘快办|"
	            "湘易办|办事通|八桂通|海易办|宁夏政务|电子社保卡|掌上12333",
	[RE_URL] = "https?://[A-Za-z0-9.-]+(?::\\d+)?(?:/[A-Za-z0-9._~/?=&%#+-]*)?|"
	           "(?<![@A-Za-z0-9.])(?:[A-Za-z0-9-]+\\.)+(?:gov\\.cn|com\\.cn|org\\.cn|net\\.cn|"
	           "cn|com|net|org|vip)(?::\\d+)?(?:/[A-Za-z0-9._~/?=&%#+-]*)?(?![A-Za-z0-9])",
	[RE_PLACE] = "(?:领取|发放|领证|发证)地(?:点|址)\\s*(?:为|[:：])?\\s*([^，,。；;\\n]{2,80})",
	[RE_PLACE_TO] = "(?:到|至|前往)(?!\\d)([^，,。；;\\n到至]{2,40}?)(?:现场)?(?:领取|领证)",
	[RE_CARRY] = "(?:携带|凭)[^，,。；;\\n（(到至]{2,40}|持[^，,。；;\\n]{0,6}?身份证(?:原件)?",
	[RE_REVIEW] = "(?:考后)?(?:现场)?(?:资格)?(?:复核|审核|核查|复审)(?:结果)?(?:合格|通过)"
	              "(?:且公示无异议)?后?",
	[RE_PINYIN] = "(?<=[\\x{4e00}-\\x{9fff}])\\([a-zàáâãāăǎèéêēěìíîīǐòóôõōǒùúûūǔǖǘǚǜü]{1,8}\\)",
};

static pcre2_code *re[RE_N];
static char re_err[160];
static pthread_once_t re_once = PTHREAD_ONCE_INIT;

/* trad_simp as pairs of 3-byte keys, sorted by the traditional one: a
 * title's every character is looked up */
#define PAIRS (sizeof(trad_simp) / 6)
static struct pair {
	uint32_t trad, simp;
} pairs[PAIRS];

static uint32_t
key3(const char *c)
{
	const unsigned char *u = (const unsigned char *)c;

	return (uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | u[2];
}

static int
by_trad(const void *a, const void *b)
{
	uint32_t x = ((const struct pair *)a)->trad, y = ((const struct pair *)b)->trad;

	return (x > y) - (x < y);
}

static void
compile_all(void)
{
	for (size_t i = 0; i < PAIRS; i++)
		pairs[i] = (struct pair){key3(trad_simp + 6 * i), key3(trad_simp + 6 * i + 3)};
	qsort(pairs, PAIRS, sizeof(pairs[0]), by_trad);
	for (int i = 0; i < RE_N; i++) {
		int code;
		PCRE2_SIZE off;

		re[i] = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
		                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
		if (!re[i]) {
			PCRE2_UCHAR msg[120];

			pcre2_get_error_message(code, msg, sizeof(msg));
			snprintf(re_err, sizeof(re_err), "cannot compile facts pattern %d at %zu: %s",
			         i, (size_t)off, (char *)msg);
			return;
		}
		/* machine code where PCRE2 has it: the patterns run on every
		 * relevant title; without it they are interpreted */
		(void)pcre2_jit_compile(re[i], PCRE2_JIT_COMPLETE);
	}
}

/* The text being read: clean is the notice with pinyin glosses dropped and
 * full-width digits made ASCII; norm is clean in simplified characters,
 * same length, same offsets. */
struct doc {
	char *clean, *norm;
	size_t len;
	pcre2_match_data *md;
};

/* Finds re[k] in norm[start, end); 1 with the match's offsets in ov. */
static int
find(struct doc *d, int k, size_t start, size_t end, PCRE2_SIZE **ov)
{
	if (start >= end)
		return 0;
	if (pcre2_match(re[k], (PCRE2_SPTR)d->norm, end, start, 0, d->md, NULL) < 0)
		return 0;
	*ov = pcre2_get_ovector_pointer(d->md);
	return 1;
}

static int
has(struct doc *d, int k, size_t start, size_t end)
{
	PCRE2_SIZE *ov;

	return find(d, k, start, end, &ov);
}

/* Copies clean[s, e) into out (size n), trimmed, cut at a character. */
static void
cut(const struct doc *d, size_t s, size_t e, char *out, size_t n)
{
	while (s < e && (d->clean[s] == ' ' || d->clean[s] == '\t'))
		s++;
	while (e > s && (d->clean[e - 1] == ' ' || d->clean[e - 1] == '\t'))
		e--;
	if (e - s >= n)
		e = s + msg_cut(d->clean + s, n - 1);
	memcpy(out, d->clean + s, e - s);
	out[e - s] = '\0';
}

static void
append(char *out, size_t n, const char *sep, const char *s)
{
	size_t l = strlen(out);

	if (!*s)
		return;
	if (l && l < n)
		l += (size_t)snprintf(out + l, n - l, "%s", sep);
	if (l < n)
		snprintf(out + l, n - l, "%s", s);
}

static int
prepare(struct doc *d, const char *text, size_t len)
{
	PCRE2_SIZE outlen = len + 1;
	size_t j = 0;

	d->clean = malloc(len + 1);
	d->norm = malloc(len + 1);
	if (!d->clean || !d->norm)
		return -1;
	if (pcre2_substitute(re[RE_PINYIN], (PCRE2_SPTR)text, len, 0,
	                     PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL, (PCRE2_SPTR)"", 0,
	                     (PCRE2_UCHAR *)d->clean, &outlen) < 0) {
		memcpy(d->clean, text, len);     /* invalid UTF-8: read as is */
		outlen = len;
	}
	for (size_t i = 0; i < outlen; i++) {
		unsigned char *c = (unsigned char *)d->clean + i;

		if (i + 2 < outlen && c[0] == 0xef && c[1] == 0xbc && c[2] >= 0x90 && c[2] <= 0x99) {
			d->clean[j++] = (char)('0' + c[2] - 0x90);     /* ０-９ */
			i += 2;
		} else if (c[0] != '\0') {
			d->clean[j++] = (char)c[0];
		}
	}
	d->clean[j] = '\0';
	d->len = j;
	memcpy(d->norm, d->clean, j + 1);
	for (size_t i = 0; i + 3 <= j; i++) {
		unsigned char c = (unsigned char)d->norm[i];
		struct pair k, *hit;

		if (c < 0xe0 || c > 0xef)
			continue;
		k.trad = key3(d->norm + i);
		if ((hit = bsearch(&k, pairs, PAIRS, sizeof(pairs[0]), by_trad))) {
			d->norm[i] = (char)(hit->simp >> 16);
			d->norm[i + 1] = (char)(hit->simp >> 8);
			d->norm[i + 2] = (char)hit->simp;
		}
		i += 2;
	}
	d->md = pcre2_match_data_create(12, NULL);
	return d->md ? 0 : -1;
}

/* Sentences: up to 。！？；; or a line end. */
static size_t
sentence_end(const struct doc *d, size_t s)
{
	static const char *const ends[] = {"。", "！", "？", "；"};

	for (size_t i = s; i < d->len; i++) {
		if (d->norm[i] == '\n' || d->norm[i] == ';')
			return i;
		for (size_t k = 0; k < 4; k++)
			if (!memcmp(d->norm + i, ends[k], 3))
				return i;
	}
	return d->len;
}

static size_t
sentence_next(const struct doc *d, size_t e)
{
	if (e >= d->len)
		return d->len;
	return e + (d->norm[e] == '\n' || d->norm[e] == ';' ? 1 : 3);
}

/* The clause (between commas) around offset at within [s, e). */
static void
clause(const struct doc *d, size_t s, size_t e, size_t at, size_t *cs, size_t *ce)
{
	*cs = at;
	while (*cs > s && d->norm[*cs - 1] != ',' &&
	       !(*cs >= s + 3 && !memcmp(d->norm + *cs - 3, "，", 3)))
		(*cs)--;
	*ce = at;
	while (*ce < e && memcmp(d->norm + *ce, "，", 3) && d->norm[*ce] != ',')
		(*ce)++;
}

static int
num(const struct doc *d, PCRE2_SIZE *ov, int g)
{
	if (ov[2 * g] == PCRE2_UNSET)
		return -1;
	return atoi(d->norm + ov[2 * g]);
}

/* Writes year-month-day as YYYY-MM-DD when it is a date (parse_date
 * checks it); else the words as written. */
static void
day(const struct doc *d, int y, int m, int dd, size_t s, size_t e, char *out, size_t n)
{
	char buf[32], iso[11];

	if (e + 3 <= d->len && (!memcmp(d->norm + e, "日", 3) || !memcmp(d->norm + e, "号", 3)))
		e += 3;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, dd);
	if (y > 0 && parse_date(buf, strlen(buf), iso) == 0)
		snprintf(out, n, "%s", iso);
	else
		cut(d, s, e, out, n);
}

/* The first window in [s, e): a range, a start (起) or an end (前). */
static int
window(struct doc *d, size_t s, size_t e, int year, struct parse_facts *f)
{
	PCRE2_SIZE *m, ov[20];
	size_t at = s;

	while (find(d, RE_DATE, at, e, &m)) {
		/* a copy: has() below reuses the match data */
		memcpy(ov, m, sizeof(ov));
		size_t ms = ov[0], me = ov[1], cs, ce;
		int y1 = num(d, ov, 2), m1 = num(d, ov, 3), d1 = num(d, ov, 4);
		int y2 = num(d, ov, 5), m2 = num(d, ov, 6), d2 = num(d, ov, 7);
		int pre_to = ov[2] != PCRE2_UNSET && !memcmp(d->norm + ov[2], "截", 3);
		int ranged = d2 >= 0, start = ov[16] != PCRE2_UNSET, end = ov[18] != PCRE2_UNSET;

		at = me > ms ? me : ms + 1;
		clause(d, s, e, ms, &cs, &ce);
		if (!ranged && !start && !end && !pre_to)
			continue;
		if (has(d, RE_OTHER, cs, ce) && !has(d, RE_KEY, cs, ce))
			continue;
		if (y1 < 0)
			y1 = year;
		if (ranged) {
			if (m2 < 0)
				m2 = m1;
			if (y2 < 0)
				y2 = y1 > 0 && (m2 < m1 || (m2 == m1 && d2 < d1)) ? y1 + 1 : y1;
			day(d, y1, m1, d1, ov[4] != PCRE2_UNSET ? ov[4] : ov[6], ov[9], f->from,
			    sizeof(f->from));
			day(d, y2, m2, d2, ov[10] != PCRE2_UNSET ? ov[10] : ov[12] != PCRE2_UNSET ?
			    ov[12] : ov[14], ov[15], f->to, sizeof(f->to));
		} else {
			char *dst = start || !(end || pre_to) ? f->from : f->to;

			day(d, y1, m1, d1, ov[4] != PCRE2_UNSET ? ov[4] : ov[6], ov[9], dst,
			    sizeof(f->from));
		}
		return 1;
	}
	return 0;
}

static void
read_window(struct doc *d, int year, struct parse_facts *f)
{
	PCRE2_SIZE *ov;

	for (size_t s = 0; s < d->len;) {
		size_t e = sentence_end(d, s), n = sentence_next(d, e);

		if (has(d, RE_KEY, s, e)) {
			if (window(d, s, e, year, f))
				return;
			/* a heading such as 一、领取时间 with the dates below it */
			if (e - s <= 24 && n < d->len && window(d, n, sentence_end(d, n), year, f))
				return;
		}
		s = n > s ? n : s + 1;
	}
	for (size_t s = 0; s < d->len;) {
		size_t e = sentence_end(d, s), n = sentence_next(d, e);

		if (has(d, RE_KEY, s, e) && find(d, RE_REL, s, e, &ov)) {
			cut(d, ov[0], ov[1], f->from, sizeof(f->from));
			return;
		}
		s = n > s ? n : s + 1;
	}
}

static void
read_how(struct doc *d, struct parse_facts *f)
{
	char apps[PARSE_FACT_MAX] = "", url[PARSE_FACT_MAX] = "", name[64], one[80];
	PCRE2_SIZE *ov;
	int download = 0;

	for (size_t s = 0; s < d->len;) {
		size_t e = sentence_end(d, s), n = sentence_next(d, e);
		int dl = has(d, RE_DOWN, s, e) && has(d, RE_CERT, s, e);

		download |= dl;
		for (int k = RE_APPQ; k <= RE_APPK; k++)
			for (size_t at = s; find(d, k, at, e, &ov); at = ov[1]) {
				int g = k == RE_APPQ ? 1 : 0;

				cut(d, ov[2 * g], ov[2 * g + 1], name, sizeof(name));
				snprintf(one, sizeof(one), "app %s", name);
				if (!strstr(apps, one))
					append(apps, sizeof(apps), ", ", one);
			}
		if (!*url && (dl || has(d, RE_APPK, s, e) || memmem(d->norm + s, e - s, "登录", 6) ||
		              memmem(d->norm + s, e - s, "网址", 6)) &&
		    find(d, RE_URL, s, e, &ov)) {
			size_t ue = ov[1];

			while (ue > ov[0] && d->clean[ue - 1] == '.')
				ue--;
			cut(d, ov[0], ue, url, sizeof(url));
		}
		s = n > s ? n : s + 1;
	}
	if (has(d, RE_PERSON, 0, d->len))
		append(f->how, sizeof(f->how), ", ", "in person");
	if (has(d, RE_MAIL, 0, d->len))
		append(f->how, sizeof(f->how), ", ", "mail");
	if (download)
		append(f->how, sizeof(f->how), ", ", "download");
	if (*apps)
		append(f->how, sizeof(f->how), ", ", apps);
	if (*url) {
		snprintf(one, sizeof(one), "<%.*s>", 70, url);
		append(f->how, sizeof(f->how), *f->how ? " " : "", one);
	}
}

static void
read_rest(struct doc *d, struct parse_facts *f)
{
	PCRE2_SIZE *ov;
	int e = has(d, RE_ELEC, 0, d->len), p = has(d, RE_PAPER, 0, d->len);

	if (has(d, RE_NOPAPER, 0, d->len) || (e && !p))
		snprintf(f->form, sizeof(f->form), "electronic");
	else if (e)
		snprintf(f->form, sizeof(f->form), "both");
	else if (p)
		snprintf(f->form, sizeof(f->form), "paper");

	if (find(d, RE_PLACE, 0, d->len, &ov) || find(d, RE_PLACE_TO, 0, d->len, &ov))
		cut(d, ov[2], ov[3], f->place, sizeof(f->place));

	/* what is done first and what is brought: one of each, in text order */
	char cond[2][128] = {"", ""};
	size_t at[2] = {0, 0};

	for (int k = 0; k < 2; k++)
		if (find(d, k ? RE_REVIEW : RE_CARRY, 0, d->len, &ov)) {
			at[k] = ov[0];
			cut(d, ov[0], ov[1], cond[k], sizeof(cond[k]) < 40 * 3 ? sizeof(cond[k]) : 40 * 3);
		}
	int first = *cond[1] && (!*cond[0] || at[1] < at[0]);

	append(f->condition, sizeof(f->condition), "; ", cond[first]);
	append(f->condition, sizeof(f->condition), "; ", cond[!first]);
}

int
parse_facts(const char *text, size_t len, int notice_year, struct parse_facts *out,
            char *err, size_t errlen)
{
	struct doc d = {0};
	int n = -1;

	memset(out, 0, sizeof(*out));
	pthread_once(&re_once, compile_all);
	if (*re_err) {
		snprintf(err, errlen, "%s", re_err);
		return -1;
	}
	if (prepare(&d, text, len) < 0) {
		snprintf(err, errlen, "cannot read facts: out of memory");
		goto out;
	}
	read_window(&d, notice_year, out);
	read_how(&d, out);
	read_rest(&d, out);
	n = !!*out->form + !!*out->from + !!*out->to + !!*out->how + !!*out->place +
	    !!*out->condition;
out:
	pcre2_match_data_free(d.md);
	free(d.clean);
	free(d.norm);
	return n;
}

/* The facts in order, with their keys. */
static void
fields(const struct parse_facts *f, const char *v[6])
{
	v[0] = f->form;
	v[1] = f->from;
	v[2] = f->to;
	v[3] = f->how;
	v[4] = f->place;
	v[5] = f->condition;
}

static const char *const keys[6] = {"form", "from", "to", "how", "place", "condition"};

json_t *
parse_facts_json(const struct parse_facts *f)
{
	json_t *o = json_object();
	const char *v[6];

	if (!o)
		return NULL;
	fields(f, v);
	for (int i = 0; i < 6; i++)
		if (*v[i] && json_object_set_new(o, keys[i], json_string(v[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

int
parse_facts_diff(const struct parse_facts *was, const struct parse_facts *now, char *out,
                 size_t outlen)
{
	const char *a[6], *b[6];
	char one[2 * PARSE_FACT_MAX + 32];
	int n = 0;

	fields(was, a);
	fields(now, b);
	if (outlen)
		*out = '\0';
	for (int i = 0; i < 6; i++) {
		if (!strcmp(a[i], b[i]))
			continue;
		snprintf(one, sizeof(one), "%s: %s → %s", keys[i], *a[i] ? a[i] : "none",
		         *b[i] ? b[i] : "none");
		if (outlen)
			append(out, outlen, ", ", one);
		n++;
	}
	return n;
}
