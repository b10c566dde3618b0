/* Config reading: keys, defaults, and errors that name file and line. */
#include "config/config.h"
#include "tests/unit/t.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/nw-config-XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* Loads text as the main config; returns the error ("" when it loaded). */
static const char *
load(const char *text, struct config *cfg)
{
	static char err[600];
	const char *path = write_file("main.ini", text);

	err[0] = '\0';
	if (config_load(cfg, path, err, sizeof(err)) == 0)
		err[0] = '\0';
	return err;
}

/* The error with the temp dir taken out of it. */
static const char *
load_error(const char *text)
{
	struct config cfg;
	const char *e = load(text, &cfg);
	static char out[600];
	size_t dl = strlen(dir);

	config_free(&cfg);
	if (!strncmp(e, dir, dl))
		e += dl + 1;
	snprintf(out, sizeof(out), "%s", e);
	return out;
}

/* The error of loading path (not written), with every mention of the temp
 * dir taken out. */
static const char *
load_error_of(const char *path)
{
	static char out[600];
	char err[600] = "";
	struct config cfg;
	size_t dl = strlen(dir), k = 0;

	if (config_load(&cfg, path, err, sizeof(err)) == 0)
		err[0] = '\0';
	config_free(&cfg);
	for (const char *e = err; *e && k + 1 < sizeof(out);)
		if (!strncmp(e, dir, dl))
			e += dl;
		else
			out[k++] = *e++;
	out[k] = '\0';
	return out;
}

static void
full_config(void)
{
	struct config cfg;
	const char *e;

	write_file("cat.ini",
	           "; catalog\n[source beijing]\nname = 北京\nurl = http://rsj.example/list/\n"
	           "authority = 北京市人事考试中心\ncertificate = electronic\nenabled = no\n");
	e = load("[noticewatch]\ndatabase = data/nw.db   ; a comment\ncatalog = cat.ini\n"
	         "concurrency = 4\nper_host = 1\ntimeout = 2m\nmax_size = 512k\n"
	         "include = 证书，證書、 领证 ,\nexclude =\n"
	         "[source jiangsu]\nname = 江苏\nurl = https://js.example/col/index.html\n"
	         "items = //li\ntitle = a\nlink = a/@href\ndate = span\nencoding = gbk\n"
	         "include = 二级建造师\ninterval = 6h\n", &cfg);
	CHECK_STR(e, "");
	CHECK_INT(cfg.nsources, 2);
	CHECK_INT(cfg.concurrency, 4);
	CHECK_INT(cfg.per_host, 1);
	CHECK_INT(cfg.timeout, 120);
	CHECK_INT(cfg.max_size, 512 * 1024);
	CHECK(strstr(cfg.database, "/data/nw.db") && cfg.database[0] == '/');
	CHECK_STR(cfg.include[0], "证书");
	CHECK_STR(cfg.include[1], "證書");
	CHECK_STR(cfg.include[2], "领证");
	CHECK(cfg.include[3] == NULL);
	CHECK(cfg.exclude && cfg.exclude[0] == NULL);
	if (cfg.nsources == 2) {
		CHECK_STR(cfg.sources[0].id, "jiangsu");
		CHECK_INT(cfg.sources[0].interval, 6 * 3600);
		CHECK_STR(cfg.sources[0].encoding, "gbk");
		CHECK_STR(cfg.sources[0].include[0], "二级建造师");
		CHECK_INT(cfg.sources[0].enabled, 1);
		CHECK_STR(cfg.sources[1].id, "beijing");
		CHECK_STR(cfg.sources[1].name, "北京");
		CHECK_INT(cfg.sources[1].enabled, 0);
		CHECK_INT(cfg.sources[1].line, 2);
	}
	config_free(&cfg);
}

static void
defaults(void)
{
	struct config cfg;

	CHECK_STR(load("[noticewatch]\n", &cfg), "");
	CHECK_INT(cfg.concurrency, 16);
	CHECK_INT(cfg.per_host, 2);
	CHECK_INT(cfg.timeout, 30);
	CHECK(strstr(cfg.database, "/noticewatch.db") != NULL);
	CHECK_STR(cfg.include[0], "证书");
	config_free(&cfg);
}

static void
errors_name_file_and_line(void)
{
	CHECK_STR(load_error("[noticewatch]\ntimeout = 3\nbogus = 1\n"),
	          "main.ini:3: unknown key 'bogus' in [noticewatch]");
	CHECK_STR(load_error("[source a]\nurl = http://x/\nitems = //li[\n"),
	          "main.ini:3: bad XPath '//li[' in 'items'");
	CHECK_STR(load_error("[noticewatch]\n\n[source Bad.Id]\nurl = http://x/\n"),
	          "main.ini:3: bad source id 'Bad.Id': use a-z, 0-9, '_' and '-'");
	CHECK(strstr(load_error("[source a]\nurl = http://x/\n[source a]\nurl = http://y/\n"),
	             "main.ini:3: duplicate source id 'a' (first at /") != NULL);
	CHECK_STR(load_error("[noticewatch]\n[source a]\nname = A\n"),
	          "main.ini:2: source 'a' has no url");
	CHECK_STR(load_error("[source a]\nurl = ftp://x/\n"),
	          "main.ini:1: source 'a': url must be http:// or https://, not 'ftp://x/'");
	CHECK_STR(load_error("[source a]\nurl = http://x/\nurl = http://y/\n"),
	          "main.ini:3: duplicate key 'url'");
	CHECK_STR(load_error("[source a]\nurl = http://x/\ninterval = 6w\n"),
	          "main.ini:3: interval must look like 90s, 15m, 6h or 1d, not '6w'");
	CHECK_STR(load_error("[noticewatch]\nthis line has no equals sign\n"),
	          "main.ini:2: syntax error: expected [section] or key = value");
	CHECK_STR(load_error("[sauce a]\nurl = http://x/\n"), "main.ini:1: unknown section [sauce a]");
	CHECK_STR(load_error("[source a]\nurl = http://x/\nencoding = klingon\n"),
	          "main.ini:3: unknown encoding 'klingon'");
	/* ids name files in the history: nothing that can leave it */
	CHECK(strstr(load_error("[source ../../etc]\nurl = http://x/\n"), "bad source id") != NULL);
	CHECK(strstr(load_error("[source /abs]\nurl = http://x/\n"), "bad source id") != NULL);
	CHECK(strstr(load_error("[source \xef\xbd\x81]\nurl = http://x/\n"), "bad source id") != NULL);
	CHECK(strstr(load_error("[source a.b]\nurl = http://x/\n"), "bad source id") != NULL);
	CHECK(strstr(load_error("[webhook ../w]\nurl = http://x/\nformat = json\n"),
	             "bad webhook name") != NULL);
	CHECK_STR(load_error("[noticewatch]\nconcurrency = 0\n"),
	          "main.ini:2: concurrency must be 1..256, not '0'");
}

static void
duplicate_across_catalog(void)
{
	const char *e;

	write_file("cat2.ini", "[source a]\nurl = http://y/\n");
	e = load_error("[noticewatch]\ncatalog = cat2.ini\n[source a]\nurl = http://x/\n");
	CHECK(strstr(e, "cat2.ini:1: duplicate source id 'a' (first at ") != NULL);
	write_file("cat3.ini", "[noticewatch]\ntimeout = 1\n");
	e = load_error("[noticewatch]\ncatalog = cat3.ini\n");
	CHECK_STR(e, "cat3.ini:1: [noticewatch] belongs in the main config, not a catalog");
	e = load_error("[noticewatch]\ncatalog = missing.ini\n");
	CHECK(strstr(e, "cannot read config") && strstr(e, "missing.ini"));
}

static void
long_lines(void)
{
	char text[9000];
	struct config cfg;

	snprintf(text, sizeof(text), "[source a]\nurl = http://x/\nitems = //li[%0*d]\n", 8000, 1);
	CHECK_STR(load(text, &cfg), "");
	CHECK(cfg.nsources == 1 && strlen(cfg.sources[0].items) > 8000);
	config_free(&cfg);
}

static void
builtin_catalog_loads(void)
{
	size_t len;
	const char *cat = config_builtin_catalog(&len);
	struct config cfg;
	char text[600];
	size_t enabled = 0;

	write_file("provinces.ini", cat);
	snprintf(text, sizeof(text), "[noticewatch]\ncatalog = provinces.ini\n");
	CHECK_STR(load(text, &cfg), "");
	CHECK_INT(cfg.nsources >= 31, 1);
	for (size_t i = 0; i < cfg.nsources; i++) {
		CHECK(cfg.sources[i].name && *cfg.sources[i].name);
		enabled += cfg.sources[i].enabled;
	}
	CHECK(enabled >= 20);
	config_free(&cfg);
}

/* Issue 12, item 13: a config that is wrong is refused with its file and line. */
static void
wrong_configs_are_refused(void)
{
	const char *mail = "[email]\nurl = smtp://127.0.0.1\nfrom = a@example.org\nto = b@example.org\n";
	char text[600];
	struct config cfg;

	CHECK_STR(load_error("[noticewatch]\ntimeout = 5\n\n[noticewatch]\ntimeout = 6\n"),
	          "main.ini:4: a second [noticewatch] section (first at line 1)");
	snprintf(text, sizeof(text), "%s%s", mail, mail);
	CHECK_STR(load_error(text), "main.ini:5: a second [email] section (first at line 1)");
	CHECK_STR(load_error("[git]\n[source a]\nurl = http://x/\n[git]\n"),
	          "main.ini:4: a second [git] section (first at line 1)");
	CHECK_STR(load_error("[email]\nurl = smtp://127.0.0.1\nfrom = a@example.org\n"
	                     "to = b@example.org, not-an-address\n"),
	          "main.ini:4: bad address 'not-an-address' in to");
	CHECK_STR(load_error("[email]\nurl = smtp://127.0.0.1\nfrom = <a@>\nto = b@x\n"),
	          "main.ini:3: bad address '<a@>' in from");
	CHECK_STR(load_error("[email]\nurl = smtp://127.0.0.1\nfrom = A <a@x> b\nto = b@x\n"),
	          "main.ini:3: bad address 'A <a@x> b' in from");
	/* after the colon, libcurl's reason, in its words */
	CHECK(!strncmp(load_error("[source a]\nname = a\nurl = http://x y/\n"),
	               "main.ini:3: bad url 'http://x y/': ", 35));
	CHECK(!strncmp(load_error("[webhook w]\nformat = json\nurl = https://x/a b\n"),
	               "main.ini:3: bad url 'https://x/a b': ", 37));
	CHECK(!strncmp(load_error("[source a]\nurl = http://x:99999/\n"),
	               "main.ini:2: bad url 'http://x:99999/': ", 39));
	CHECK_STR(load("[email]\nurl = smtps://smtp.example.org:465\nfrom = 通知 <a@x.cn>\n"
	               "to = \"B C\" <b@x.cn>、c@x.cn\n[source a]\n"
	               "url = http://例子.cn/通知/list_{page}.html?a=1&b=%E4\npages = 2\n", &cfg),
	          "");
	config_free(&cfg);
	/* a directory is not a config */
	CHECK_STR(load_error_of(dir), "cannot read config '': Is a directory");
}

/* Line numbers: counted the same with a BOM, CRLF and comments. */
static void
line_numbers_with_bom_and_crlf(void)
{
	struct config cfg;

	CHECK_STR(load("\xef\xbb\xbf[noticewatch]\r\ntimeout = 5\r\n", &cfg), "");
	CHECK_INT(cfg.timeout, 5);
	config_free(&cfg);
	CHECK_STR(load_error("\xef\xbb\xbf[noticewatch]\r\n; c\r\n\r\n[noticewatch]\r\n"),
	          "main.ini:4: a second [noticewatch] section (first at line 1)");
	CHECK_STR(load_error("\xef\xbb\xbf; c\r\n[source a]\r\nurl = http://x/\r\nbad\r\n"),
	          "main.ini:4: syntax error: expected [section] or key = value");
}

/* Issue 12, item 5: a [git] path that holds the config or the database,
 * however it is spelled, is refused at load with the line of path. */
static const char *
main_error(const char *text)
{
	return load_error_of(write_file("main.ini", text));
}

static void
history_path_is_checked(void)
{
	char text[600], sub[600];
	struct config cfg;

	CHECK_STR(main_error("[source a]\nurl = http://x/\n[git]\npath = .\n"),
	          "/main.ini:4: [git] path '/.' holds the config '/main.ini'");
	CHECK_STR(main_error("[git]\npath = nosuch/..\n"),
	          "/main.ini:2: [git] path '/nosuch/..' holds the config '/main.ini'");
	snprintf(text, sizeof(text), "[git]\npath = %s/\n", dir);
	CHECK_STR(main_error(text), "/main.ini:2: [git] path '/' holds the config '/main.ini'");
	/* the default path (history/ beside the config) is named by its section */
	CHECK_STR(main_error("[noticewatch]\ndatabase = history/x.db\n\n[git]\n"),
	          "/main.ini:4: [git] path '/history' holds the database '/history/x.db'");
	/* a missing or empty directory is fine; a plain file or other files are not */
	snprintf(sub, sizeof(sub), "%s/empty", dir);
	CHECK_INT(mkdir(sub, 0700), 0);
	CHECK_STR(load("[git]\npath = empty\n", &cfg), "");
	config_free(&cfg);
	CHECK_STR(load("[git]\npath = missing/history\n", &cfg), "");
	config_free(&cfg);
	write_file("empty/file", "x");
	CHECK_STR(main_error("[git]\npath = empty\n"),
	          "/main.ini:2: [git] path '/empty' is not empty and not a noticewatch history");
	CHECK_STR(main_error("[git]\npath = empty/file\n"),
	          "/main.ini:2: [git] path '/empty/file' is not a directory");
	snprintf(sub, sizeof(sub), "%s/empty/file", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/empty", dir);
	rmdir(sub);
}

int
main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	RUN(full_config);
	RUN(defaults);
	RUN(errors_name_file_and_line);
	RUN(duplicate_across_catalog);
	RUN(long_lines);
	RUN(builtin_catalog_loads);
	RUN(wrong_configs_are_refused);
	RUN(line_numbers_with_bom_and_crlf);
	RUN(history_path_is_checked);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	for (const char *n = "main.ini\0cat.ini\0cat2.ini\0cat3.ini\0provinces.ini\0"; *n;
	     n += strlen(n) + 1) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, n);
		unlink(p);
	}
	rmdir(cmd);
	T_DONE();
}
