/* noticewatch: watch notice pages for new and changed notices.
 * The command line; drives fetch -> parse -> store -> notify. */
#include "config/config.h"
#include "base/msg.h"
#include "run/run.h"
#include "report/report.h"
#include "fetch/fetch.h"
#include "notify/notify.h"
#include "parse/parse.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERSION NW_VERSION

/* 1: a source, a delivery or an output failed; 3: noticewatch could not
 * save its own state (the database, the history's commit) */
enum { EXIT_OKAY = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2, EXIT_UNSAVED = 3,
       EXIT_LOCKED = 75 };


/* Every command's help, in the order --help lists them: usage lines (after
 * "noticewatch "), what it does, its options and arguments, one example.
 * The overview (--help, help) and each command's help (help CMD, CMD
 * --help) are printed from here alone. */
static const struct help {
	const char *name, *usage, *what, *options, *example;
} helps[] = {
	{"init", "init [DIR]", "write a starter config and catalog, create the database",
	 "  DIR              where noticewatch.ini, provinces.ini and the database go\n"
	 "                   (default: the current directory); an existing config is kept\n",
	 "noticewatch init /etc/noticewatch"},
	{"run", "run [ID...]", "check the due sources (or the named ones, now)",
	 "  ID               a source to check now, due or not, even if disabled\n",
	 "noticewatch -c /etc/noticewatch/noticewatch.ini run"},
	{"check",
	 "check ID|URL [--items XPATH] [--title P] [--link P] [--date P] [--format F]\n"
	 "check --all [--format text|json]",
	 "fetch and extract once, print every item found; store nothing",
	 "  ID|URL           a source of the config, or any http(s) address (needs no config)\n"
	 "  --items XPATH    the list's items, as a [source] items = would say\n"
	 "  --title P, --link P, --date P\n"
	 "                   where in an item its title, link and date are\n"
	 "  --format F       the page's format: html, json, xml or script\n"
	 "  --all            verify every enabled source: a row and a verdict each\n"
	 "  --format text|json  (with --all) rows or a JSON array\n",
	 "noticewatch check https://example.org/notices/ --items '//ul[@class=\"list\"]/li'"},
	{"sources", "sources", "one row per source: last check, result, failures, notices", NULL,
	 "noticewatch sources"},
	{"notices", "notices [--source ID] [--since YYYY-MM-DD] [--all] [--format text|json|csv] [--bom]",
	 "the stored notices, newest first",
	 "  --source ID      one source's notices only\n"
	 "  --since DAY      notices dated DAY (YYYY-MM-DD) or later\n"
	 "  --all            every notice, not only the relevant ones\n"
	 "  --format F       text (default), json or csv\n"
	 "  --bom            csv for Excel: a byte order mark, and no cell read as a formula\n",
	 "noticewatch notices --source js --since 2024-01-01 --format csv --bom"},
	{"events", "events [ID]", "events over time, oldest first (of every source or one)",
	 "  ID               one source's events only\n",
	 "noticewatch events js"},
	{"history", "history [ID]\nhistory --rebuild",
	 "the same (an alias of events); --rebuild: git history afresh",
	 "  ID               one source's events only\n"
	 "  --rebuild        write the [git] history afresh from the database\n",
	 "noticewatch history --rebuild"},
	{"notify-test", "notify-test [CHANNEL]", "send a test message to each channel (or one)",
	 "  CHANNEL          email, or the NAME of a [webhook NAME]\n",
	 "noticewatch notify-test email"},
	{"outbox", "outbox [--all]\noutbox retry [ID]\noutbox drop ID",
	 "alerts queued, failing and dead; retry makes them due now, drop never sends one",
	 "  --all            delivered and dropped alerts too\n"
	 "  retry [ID]       make a failed or dead alert (or every one) due at the next run\n"
	 "  drop ID          never send this alert\n",
	 "noticewatch outbox retry 7"},
	{"forget", "forget ID", "delete what is stored of a source no longer in the config",
	 "  ID               the source: its notices, events, alerts, checks and history folder\n",
	 "noticewatch forget zhejiang"},
	{"report", "report [--format text|md|html|article] [--lang zh|en] [-o FILE]",
	 "the status board, a row per source",
	 "  --format F       text (default, 80 columns), md, html or article\n"
	 "  --lang L         zh (Chinese) or en (English); default: the locale\n"
	 "  -o, --output FILE  write FILE whole, then rename it into place\n",
	 "noticewatch report --format html -o /var/www/html/notices.html"},
	{"feed", "feed [--source ID] [--limit N] [--url URL] [-o FILE]",
	 "Atom feed of the relevant notices",
	 "  --source ID      one source's notices only\n"
	 "  --limit N        at most N entries (default 50)\n"
	 "  --url URL        the feed's own address, written as its rel=\"self\" link\n"
	 "  -o, --output FILE  write FILE whole, then rename it into place\n",
	 "noticewatch feed --url https://example.org/notices.atom -o /var/www/html/notices.atom"},
	{"help", "help [COMMAND]", "this overview, or a command's usage, options and example",
	 "  COMMAND          the command to explain\n",
	 "noticewatch help notices"},
};

static const struct help *
help_find(const char *name)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(helps[i].name, name))
			return &helps[i];
	return NULL;
}

/* Each of h's usage lines, indented: "  LINE", and what the command does
 * in a column after the first line that leaves room, else on a line of
 * its own after the last. */
static void
usage_lines(FILE *out, const struct help *h)
{
	const char *p = h->usage, *nl;
	int said = 0;

	for (; p; p = nl ? nl + 1 : NULL) {
		int len = (nl = strchr(p, '\n')) ? (int)(nl - p) : (int)strlen(p);
		if (!said && len < 17) {
			fprintf(out, "  %-17.*s%s\n", len, p, h->what);
			said = 1;
		} else {
			fprintf(out, "  %.*s\n", len, p);
		}
	}
	if (!said)
		fprintf(out, "  %-17s%s\n", "", h->what);
}

static void
usage(FILE *out)
{
	fputs("usage: noticewatch [-c FILE] [-q|-v] COMMAND [ARGS]\n\n", out);
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		usage_lines(out, &helps[i]);
	fputs("\n"
	      "  -c FILE          config (default: $NOTICEWATCH_CONFIG, then ./noticewatch.ini)\n"
	      "  -q               print no events, only errors\n"
	      "  -v               say what is done, on stderr\n"
	      "  --help, --version\n"
	      "\n"
	      "exit status: 0 all checked, 1 some sources, alerts or outputs failed,\n"
	      "2 usage or config error, 3 the database or the history could not be saved,\n"
	      "75 another run holds the lock\n"
	      "'noticewatch help COMMAND' or 'noticewatch COMMAND --help' explains one command\n",
	      out);
}

/* One command's help on stdout: usage, what it does, options, example. */
static int
help_command(const struct help *h)
{
	const char *p = h->usage, *nl;

	while ((nl = strchr(p, '\n'))) {
		printf("%s noticewatch %.*s\n", p == h->usage ? "usage:" : "   or:", (int)(nl - p), p);
		p = nl + 1;
	}
	printf("%s noticewatch %s\n\n%c%s.\n", p == h->usage ? "usage:" : "   or:", p,
	       toupper((unsigned char)h->what[0]), h->what + 1);
	if (h->options)
		printf("\noptions:\n%s", h->options);
	printf("\nexample:\n  %s\n", h->example);
	return EXIT_OKAY;
}

/* help [COMMAND] */
static int
cmd_help(int argc, char **argv)
{
	const struct help *h;

	if (argc == 0) {
		usage(stdout);
		return EXIT_OKAY;
	}
	if (argc > 1) {
		error("usage: noticewatch help [COMMAND]");
		return EXIT_USAGE;
	}
	if (!(h = help_find(argv[0]))) {
		error("unknown command '%s' (see noticewatch --help)", argv[0]);
		return EXIT_USAGE;
	}
	return help_command(h);
}

/* Whether a command's arguments ask for its help (--help or -h). */
static int
help_asked(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static const char *
config_path(const char *opt)
{
	const char *env = getenv("NOTICEWATCH_CONFIG");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return "noticewatch.ini";
}

/* What a run ended with, as an exit status. */
static int
exit_status(enum run_status s)
{
	switch (s) {
	case RUN_OK: return EXIT_OKAY;
	case RUN_FAILED: return EXIT_SOME_FAILED;
	case RUN_UNSAVED: return EXIT_UNSAVED;
	case RUN_LOCKED: return EXIT_LOCKED;
	}
	return EXIT_SOME_FAILED;
}

static int
cmd_run(struct config *cfg, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!config_source(cfg, argv[i])) {
			error("unknown source '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	return exit_status(run_sources(cfg, argv, argc));
}

/* check --all [--format text|json] */
static int
cmd_check_all(struct config *cfg, int argc, char **argv)
{
	int json = 0;

	for (int i = 0; i < argc; i++) {
		const char *f = NULL;
		if (!strcmp(argv[i], "--all"))
			continue;
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			f = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			f = argv[i] + 9;
		if (f && (!strcmp(f, "text") || !strcmp(f, "json"))) {
			json = !strcmp(f, "json");
			continue;
		}
		if (f)
			error("unknown format '%s' (text or json)", f);
		else
			error("usage: noticewatch check --all [--format text|json]");
		return EXIT_USAGE;
	}
	return exit_status(run_check_all(cfg, json));
}

/* What a [source] with check's --items, --title, --link, --date and
 * --format would store: s with those rules, in *own.  -1 when a rule does
 * not parse (reported). */
static int
check_rules(const struct source *s, const char *const rule[4], const char *fmt,
            struct source *own)
{
	static const char *const names[] = {"items", "title", "link", "date"};
	int format = fmt ? parse_format_parse(fmt) : s->format;
	char err[512];

	*own = *s;
	if (format < 0)
		return error("unknown format '%s' (html, json, xml or script)", fmt);
	own->format = format;
	for (int k = 0; k < 4; k++) {
		char **field = k == 0 ? &own->items : k == 1 ? &own->title : k == 2 ? &own->link
		                                                                    : &own->date;
		if (!rule[k])
			continue;
		if ((format == PARSE_JSON || format == PARSE_SCRIPT)
		        ? parse_path_check(rule[k], err, sizeof(err)) < 0 &&
		              !(k == 2 && strchr(rule[k], '{'))
		        : parse_xpath_check(rule[k], err, sizeof(err)) < 0)
			return error("%s in '--%s'", err, names[k]);
		*field = (char *)rule[k];
	}
	return 0;
}

static int
cmd_check(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"items", required_argument, NULL, 'i'}, {"title", required_argument, NULL, 't'},
		{"link", required_argument, NULL, 'l'}, {"date", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	struct source adhoc = {.pages = 1, .enabled = 1}, own;
	const struct source *s;
	const char *rule[4] = {NULL, NULL, NULL, NULL}, *fmt = NULL;
	struct read_job r = {0};
	struct fetch_cookies *cookies;
	char err[512];
	int status = EXIT_OKAY, c, given = 0;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--all"))
			return cmd_check_all(cfg, argc, argv);
	/* argv - 1 is the command name: getopt skips element 0 */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': rule[0] = optarg; break;
		case 't': rule[1] = optarg; break;
		case 'l': rule[2] = optarg; break;
		case 'd': rule[3] = optarg; break;
		case 'f': fmt = optarg; break;
		default:
			error("usage: noticewatch check ID|URL [--items XPATH] [--title P] [--link P] "
			      "[--date P] [--format F]");
			return EXIT_USAGE;
		}
		given = 1;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 1) {
		error("usage: noticewatch check ID|URL [--items XPATH] [--title P] [--link P] "
		      "[--date P] [--format F]");
		return EXIT_USAGE;
	}
	s = config_source(cfg, argv[0]);
	if (!s && strncmp(argv[0], "http://", 7) && strncmp(argv[0], "https://", 8)) {
		error("'%s' is neither a source id nor an http(s) URL", argv[0]);
		return EXIT_USAGE;
	}
	if (!s) {
		adhoc.id = argv[0];
		adhoc.url = argv[0];
		s = &adhoc;
	}
	if (given) {
		if (check_rules(s, rule, fmt, &own) < 0)
			return EXIT_USAGE;
		s = &own;
	}
	r.src = s;
	r.describe = 1;
	cookies = fetch_cookies_new();
	if (!cookies || run_read(cfg, &r, 1, cookies, NULL, NULL, err, sizeof(err)) < 0) {
		error("%s", cookies ? err : "out of memory");
		status = EXIT_SOME_FAILED;
	} else if (r.state != READ_OK) {
		error("%s: %s", s->id, r.state == READ_FAILED ? r.error : "not modified");
		status = EXIT_SOME_FAILED;
	} else {
		int generic = s->items == NULL;
		msg_info("%s: HTTP %ld, decoded from %s, %zu items on %d page%s", s->id, r.status,
		     r.charset ? r.charset : "?", r.list.n, r.pages, r.pages == 1 ? "" : "s");
		if (generic && (r.list.xpath || r.list.why))
			msg_info("%s: list %s: %s", s->id, r.list.xpath ? r.list.xpath : "(none)",
			     r.list.why ? r.list.why : "");
		for (size_t k = 0; k < r.list.n; k++) {
			const struct parse_item *it = &r.list.items[k];
			const char *word = NULL;
			int rel = parse_relevant_word(it->title, config_include(cfg, s),
			                              config_exclude(cfg, s), &word);
			printf("%c %s %s %s\n", rel ? '*' : ' ', it->date[0] ? it->date : "-",
			       it->title, it->link);
			/* -v: the word that made it relevant, or not */
			if (word)
				msg_info("%s: %s '%s'", it->title, rel ? "include" : "exclude", word);
		}
		if (r.partial) {
			error("%s: %s", s->id, r.error);
			status = EXIT_SOME_FAILED;
		}
	}
	run_read_clear(&r);
	fetch_cookies_free(cookies);
	return status;
}

static struct store *
open_store(struct config *cfg)
{
	struct store *st;
	char err[512];

	if (store_open(&st, cfg->database, err, sizeof(err)) < 0) {
		error("%s", err);
		return NULL;
	}
	/* a source that left the config is not shown until it is forgotten */
	store_only(st, cfg->ids);
	return st;
}

static int
cmd_sources(struct config *cfg)
{
	struct store *st = open_store(cfg);
	int rv;

	if (!st)
		return EXIT_SOME_FAILED;
	rv = report_sources(cfg, st) < 0 ? EXIT_SOME_FAILED : EXIT_OKAY;
	store_close(st);
	return rv;
}


static int
valid_day(const char *s)
{
	char out[11];

	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && parse_date(s, 10, out) == 0 &&
	       !strcmp(out, s);
}

/* "CMD takes no arguments, got 'X'" and -1 when getopt left any. */
static int
no_arguments(const char *cmd, int argc, char **argv)
{
	if (optind <= argc)
		return error("%s takes no arguments, got '%s'", cmd, argv[optind - 1]);
	return 0;
}

/* --format's argument: its index in names (NULL-terminated), or -1 after
 * "unknown format 'x': use LIST". */
static int
format_arg(const char *arg, const char *const *names, const char *list)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return error("unknown format '%s': use %s", arg, list);
}

static int
cmd_notices(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"source", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
		{"all", no_argument, NULL, 'a'}, {"format", required_argument, NULL, 'f'},
		{"bom", no_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
	const char *source = NULL, *since = NULL;
	enum report_list format = REPORT_LIST_TEXT;
	struct store *st;
	int all = 0, bom = 0, c, rv = EXIT_OKAY;

	/* argv - 1 is the command name: getopt skips element 0 */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': source = optarg; break;
		case 'S': since = optarg; break;
		case 'a': all = 1; break;
		case 'b': bom = 1; break;
		case 'f':
			/* in enum report_list's order */
			if ((c = format_arg(optarg, (const char *const[]){"text", "json", "csv", NULL},
			                    "text, json or csv")) < 0)
				return EXIT_USAGE;
			format = (enum report_list)c;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (no_arguments("notices", argc, argv) < 0)
		return EXIT_USAGE;
	if (bom && format != REPORT_LIST_CSV) {
		error("--bom is for --format csv");
		return EXIT_USAGE;
	}
	if (since && !valid_day(since)) {
		error("--since wants a date YYYY-MM-DD, not '%s'", since);
		return EXIT_USAGE;
	}
	if (source && !config_source(cfg, source)) {
		error("unknown source '%s'", source);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	rv = report_notices(st, format, source, since, all, bom) < 0 ? EXIT_SOME_FAILED : EXIT_OKAY;
	store_close(st);
	return rv;
}

static int
cmd_events(struct config *cfg, const char *cmd, int argc, char **argv)
{
	struct store *st;
	int rv = EXIT_OKAY;

	if (!strcmp(cmd, "history") && argc == 1 && !strcmp(argv[0], "--rebuild")) {
		if (!cfg->git.present) {
			error("history --rebuild needs a [git] section in %s", cfg->path);
			return EXIT_USAGE;
		}
		return exit_status(run_rebuild(cfg));
	}
	if (argc > 1 || (argc == 1 && !strcmp(argv[0], "--rebuild"))) {
		if (!strcmp(cmd, "history"))
			error("usage: noticewatch history [ID | --rebuild]");
		else
			error("usage: noticewatch events [ID]");
		return EXIT_USAGE;
	}
	if (argc == 1 && !config_source(cfg, argv[0])) {
		error("unknown source '%s'", argv[0]);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (report_events(st, argc ? argv[0] : NULL) < 0)
		rv = EXIT_SOME_FAILED;
	store_close(st);
	return rv;
}

/* ---- notify-test, outbox ---- */

static int
cmd_notify_test(struct config *cfg, int argc, char **argv)
{
	char today[11], err[512];
	time_t now = time(NULL);
	struct tm tm;
	struct notify_event ev = {
		.kind = "test", .source_id = "noticewatch", .source_name = "noticewatch",
		.date = today, .title = "noticewatch test message: this channel works",
		.link = "", .detail = NULL,
	};
	int status = EXIT_OKAY, found = 0;

	if (argc > 1) {
		error("usage: noticewatch notify-test [CHANNEL]");
		return EXIT_USAGE;
	}
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	for (size_t i = 0; cfg->channels[i]; i++) {
		if (argc == 1 && strcmp(argv[0], cfg->channels[i]))
			continue;
		found = 1;
		if (run_deliver_send(cfg, cfg->channels[i], &ev, 1, NULL, NULL, err, sizeof(err)) < 0) {
			printf("%s: failed: %s\n", cfg->channels[i], err);
			status = EXIT_SOME_FAILED;
		} else {
			printf("%s: delivered\n", cfg->channels[i]);
		}
	}
	if (!found) {
		if (argc == 1)
			error("no channel '%s' (channels are 'email' and the [webhook NAME]s)",
			      argv[0]);
		else
			error("no channel configured: add [email] or [webhook NAME] to %s", cfg->path);
		return EXIT_USAGE;
	}
	return status;
}

/* outbox retry [ID] | drop ID: the row's id, a positive number */
static int
outbox_change(struct store *st, int argc, char **argv)
{
	int retry = !strcmp(argv[0], "retry");
	long long id = 0;
	char *end = NULL;

	if (argc == 2) {
		errno = 0;
		id = strtoll(argv[1], &end, 10);
	}
	if (argc > 2 || (argc == 1 && !retry) ||
	    (argc == 2 && (errno || *end || end == argv[1] || id <= 0))) {
		error("usage: noticewatch outbox retry [ID] | outbox drop ID");
		return EXIT_USAGE;
	}
	return (retry ? run_deliver_retry(st, id) : run_deliver_drop(st, id)) == 0
	       ? EXIT_OKAY : EXIT_SOME_FAILED;
}

static int
cmd_outbox(struct config *cfg, int argc, char **argv)
{
	struct store *st;
	int all = argc == 1 && !strcmp(argv[0], "--all"), rv = EXIT_OKAY, lock = -1;
	int change = argc >= 1 && (!strcmp(argv[0], "retry") || !strcmp(argv[0], "drop"));
	char err[512];

	if (!change && (argc > 1 || (argc == 1 && !all))) {
		error("usage: noticewatch outbox [--all] | outbox retry [ID] | outbox drop ID");
		return EXIT_USAGE;
	}
	/* a change waits for no run: one delivering now could send what is
	 * being dropped */
	if (change && (rv = store_lock(cfg->database, &lock, err, sizeof(err))) < 0) {
		error("%s", err);
		return rv == STORE_LOCKED ? EXIT_LOCKED : EXIT_UNSAVED;
	}
	rv = EXIT_OKAY;
	if (!(st = open_store(cfg))) {
		store_unlock(lock);
		return EXIT_SOME_FAILED;
	}
	if (change)
		rv = outbox_change(st, argc, argv);
	else if (report_outbox(st, all) < 0)
		rv = EXIT_SOME_FAILED;
	store_close(st);
	store_unlock(lock);
	return rv;
}

/* ---- forget ---- */

static int
cmd_forget(struct config *cfg, int argc, char **argv)
{
	if (argc != 1 || argv[0][0] == '-') {
		error("usage: noticewatch forget ID");
		return EXIT_USAGE;
	}
	if (config_source(cfg, argv[0])) {
		error("source '%s' is still in %s: remove its section first", argv[0],
		      config_source(cfg, argv[0])->file);
		return EXIT_USAGE;
	}
	return exit_status(run_forget(cfg, argv[0]));
}

/* ---- init ---- */

static int
write_new(const char *path, const char *data, size_t len)
{
	FILE *f;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		unlink(path);
		return -1;
	}
	if (fclose(f) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* ---- report, feed ---- */

/* Where a command's output goes: stdout, or FILE written whole and then
 * renamed into place, so a reader (a web server) never sees half of it. */
struct output {
	FILE *f;
	const char *path;
	char tmp[4200];
};

static int
output_open(struct output *o, const char *path)
{
	int fd;

	o->path = path;
	if (!path) {
		o->f = stdout;
		return 0;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		error("cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return -1;
	}
	fchmod(fd, 0644);
	return 0;
}

/* Finishes the output; ok: the command succeeded, so keep it. */
static int
output_close(struct output *o, int ok)
{
	int bad;

	if (!o->path)
		return ok ? 0 : -1;     /* standard output: msg_finish checks it */
	bad = ferror(o->f);
	if (fclose(o->f) != 0 || bad) {
		error("cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	} else if (ok && rename(o->tmp, o->path) < 0) {
		error("cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok)
		unlink(o->tmp);
	return ok ? 0 : -1;
}

static int
cmd_report(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
		{"lang", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
	enum report_format fmt = REPORT_TEXT;
	const char *path = NULL, *lang = NULL;
	struct output o;
	struct store *st;
	int c, ok;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			/* in enum report_format's order */
			if ((c = format_arg(optarg, (const char *const[]){"text", "md", "html",
			                                                  "article", NULL},
			                    "text, md, html or article")) < 0)
				return EXIT_USAGE;
			fmt = (enum report_format)c;
			break;
		case 'o': path = optarg; break;
		case 'l': lang = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (no_arguments("report", argc, argv) < 0)
		return EXIT_USAGE;
	if (msg_language(lang) < 0) {
		error("unknown language '%s' (zh or en)", lang);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (output_open(&o, path) < 0) {
		store_close(st);
		return EXIT_SOME_FAILED;
	}
	ok = report_write(o.f, fmt, cfg, st, (int64_t)time(NULL)) == 0;
	store_close(st);
	return output_close(&o, ok) == 0 ? EXIT_OKAY : EXIT_SOME_FAILED;
}

static int
cmd_feed(struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"source", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'}, {"url", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0}};
	const char *path = NULL, *source = NULL, *self = NULL;
	struct output o;
	struct store *st;
	int c, ok, limit = 50;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 's': source = optarg; break;
		case 'l':
			limit = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || limit < 1 || limit > 10000) {
				error("--limit wants a number from 1 to 10000, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': path = optarg; break;
		case 'u':
			if (!report_web_link(optarg)) {
				error("--url wants an http or https address, not '%s'", optarg);
				return EXIT_USAGE;
			}
			self = optarg;
			break;
		default: return EXIT_USAGE;
		}
	}
	if (no_arguments("feed", argc, argv) < 0)
		return EXIT_USAGE;
	if (source && !config_source(cfg, source)) {
		error("unknown source '%s'", source);
		return EXIT_USAGE;
	}
	if (!(st = open_store(cfg)))
		return EXIT_SOME_FAILED;
	if (output_open(&o, path) < 0) {
		store_close(st);
		return EXIT_SOME_FAILED;
	}
	ok = report_feed(o.f, cfg, st, source, self, limit, (int64_t)time(NULL)) == 0;
	store_close(st);
	return output_close(&o, ok) == 0 ? EXIT_OKAY : EXIT_SOME_FAILED;
}

/* init's last line: the run as the user would type it next.  prog as it
 * was typed when it has a slash (./noticewatch, not on PATH), else
 * noticewatch; no -c when run would find the config by itself. */
static void
init_next(const char *prog, const char *dir, const char *cfgpath)
{
	const char *env = getenv("NOTICEWATCH_CONFIG");

	if (!strchr(prog, '/'))
		prog = "noticewatch";
	if ((!strcmp(dir, ".") || !strcmp(dir, "./")) && !(env && *env))
		printf("next: %s run\n", prog);
	else
		printf("next: %s -c %s run\n", prog, cfgpath);
}

static int
cmd_init(const char *prog, int argc, char **argv)
{
	const char *dir = argc > 0 ? argv[0] : ".";
	char cfgpath[4096], catpath[4096], dbpath[4096], err[512];
	size_t catlen;
	const char *cat = config_builtin_catalog(&catlen);
	size_t examplelen;
	const char *example = config_builtin_example(&examplelen);
	struct config cfg;
	struct store *st;

	if (argc > 1) {
		error("usage: noticewatch init [DIR]");
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		error("cannot create directory '%s': %s", dir, strerror(errno));
		return EXIT_SOME_FAILED;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/noticewatch.ini", dir);
	snprintf(catpath, sizeof(catpath), "%s/provinces.ini", dir);
	if (write_new(cfgpath, example, examplelen) < 0) {
		int e = errno;
		error("cannot create '%s': %s", cfgpath, e == EEXIST ? "it already exists"
		                                                     : strerror(e));
		return e == EEXIST ? EXIT_USAGE : EXIT_SOME_FAILED;
	}
	if (write_new(catpath, cat, catlen) < 0) {
		int e = errno;
		if (e != EEXIST) {
			error("cannot create '%s': %s", catpath, strerror(e));
			return EXIT_SOME_FAILED;
		}
		error("kept the existing '%s'", catpath);
	}
	if (config_load(&cfg, cfgpath, err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	snprintf(dbpath, sizeof(dbpath), "%s", cfg.database);
	if (store_open(&st, dbpath, err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_SOME_FAILED;
	}
	store_close(st);
	printf("wrote %s and %s (%zu sources), created %s\n", cfgpath, catpath, cfg.nsources,
	       dbpath);
	init_next(prog, dir, cfgpath);
	config_free(&cfg);
	return EXIT_OKAY;
}

/* Whether check's arguments name a URL (not a source id). */
static int
check_url_given(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2) && !strchr(argv[i], '=') && i + 1 < argc) {
			i++;    /* --items XPATH */
			continue;
		}
		if (!strncmp(argv[i], "http://", 7) || !strncmp(argv[i], "https://", 8))
			return 1;
	}
	return 0;
}

static int
command(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
	const char *cfgopt = NULL, *cmd, *prog = argv[0];
	struct config cfg;
	char err[600];
	int c, rv, quiet = 0, verbose = 0;

	/* a file size limit (ulimit -f) or a full disk makes writes fail with
	 * an error the store reports, instead of killing the run mid-write */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+c:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgopt = optarg; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OKAY;
		case 'V': printf("noticewatch %s\n", VERSION); return EXIT_OKAY;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (quiet && verbose) {
		error("-q and -v cannot be used together");
		return EXIT_USAGE;
	}
	msg_verbose = verbose - quiet;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!help_find(cmd)) {
		error("unknown command '%s' (see noticewatch --help)", cmd);
		return EXIT_USAGE;
	}
	if (help_asked(argc, argv))
		return help_command(help_find(cmd));
	if (!strcmp(cmd, "help"))
		return cmd_help(argc, argv);
	if (!strcmp(cmd, "init"))
		return cmd_init(prog, argc, argv);
	/* check URL needs no config: without -c, $NOTICEWATCH_CONFIG or a
	 * ./noticewatch.ini, it reads an empty one (every default) and
	 * creates nothing */
	if (!strcmp(cmd, "check") && !strcmp(config_path(cfgopt), "noticewatch.ini") &&
	    access("noticewatch.ini", F_OK) < 0 && errno == ENOENT && check_url_given(argc, argv))
		cfgopt = "/dev/null";
	if (config_load(&cfg, config_path(cfgopt), err, sizeof(err)) < 0) {
		error("%s", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "run"))
		rv = cmd_run(&cfg, argc, argv);
	else if (!strcmp(cmd, "check"))
		rv = cmd_check(&cfg, argc, argv);
	else if (!strcmp(cmd, "sources"))
		rv = argc ? (error("sources takes no arguments"), EXIT_USAGE) : cmd_sources(&cfg);
	else if (!strcmp(cmd, "notices"))
		rv = cmd_notices(&cfg, argc, argv);
	else if (!strcmp(cmd, "notify-test"))
		rv = cmd_notify_test(&cfg, argc, argv);
	else if (!strcmp(cmd, "outbox"))
		rv = cmd_outbox(&cfg, argc, argv);
	else if (!strcmp(cmd, "report"))
		rv = cmd_report(&cfg, argc, argv);
	else if (!strcmp(cmd, "feed"))
		rv = cmd_feed(&cfg, argc, argv);
	else if (!strcmp(cmd, "forget"))
		rv = cmd_forget(&cfg, argc, argv);
	else
		rv = cmd_events(&cfg, cmd, argc, argv);
	config_free(&cfg);
	return rv;
}

int
main(int argc, char **argv)
{
	msg_i18n_init();
	return msg_finish(command(argc, argv));
}
