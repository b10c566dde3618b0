/* Messages: errors, progress and the standard output's fate. */
#include "base/msg.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int msg_verbose;
static int progress_shown;  /* a progress line is on the terminal */
static int out_errno;       /* why standard output first failed */

static void
clear_progress(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

int
error(const char *fmt, ...)
{
	va_list ap;

	clear_progress();
	fputs("noticewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose < 1)
		return;
	clear_progress();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
msg_flush(void)
{
	errno = 0;
	if (fflush(stdout) != 0 && !out_errno)
		out_errno = errno;
}

/* Nobody reads standard output any more (a pipe or socket whose reader
 * closed): for a write that failed earlier, whose errno is gone. */
static int
reader_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int
msg_finish(int status)
{
	int bad = ferror(stdout), e;

	msg_flush();
	if (!bad && !out_errno)
		return status;
	e = out_errno ? out_errno : reader_gone() ? EPIPE : 0;
	if (e == EPIPE) {
		if (status != 0)
			return status;
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		return 1;
	}
	if (e)
		error("cannot write standard output: %s", strerror(e));
	else
		error("cannot write standard output");
	return status ? status : 1;
}

const char *
msg_duration(long long secs, char *out, size_t len)
{
	static const struct { long long secs; const char *name; } units[] = {
		{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
	int k = 0;

	if (secs < 0)
		secs = 0;
	while (units[k].secs > 1 && secs < units[k].secs)
		k++;
	if (units[k].secs == 1 || units[k].secs == 60 ||
	    secs % units[k].secs / units[k + 1].secs == 0)
		snprintf(out, len, "%lld %s", secs / units[k].secs, units[k].name);
	else
		snprintf(out, len, "%lld %s %lld %s", secs / units[k].secs, units[k].name,
		         secs % units[k].secs / units[k + 1].secs, units[k + 1].name);
	return out;
}

char *
msg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
msg_progress(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose < 1 || !isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void
msg_progress_end(void)
{
	clear_progress();
}

/* One UTF-8 character at s: its code point, and its length in *len. */
static unsigned
next_char(const unsigned char *s, size_t *len)
{
	unsigned c = s[0], n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	c = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = i;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*len = n;
	return c;
}

/* East Asian Wide and Fullwidth (Unicode's EastAsianWidth W and F), by
 * block. */
static int
char_width(unsigned c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	       (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	       (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
}

int
msg_width(const char *s)
{
	int w = 0;
	size_t len;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += len)
		w += char_width(next_char(p, &len));
	return w;
}

size_t
msg_fit(const char *s, int cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	int w = 0;

	while (*p) {
		int cw = char_width(next_char(p, &len));
		if (w + cw > cols)
			break;
		w += cw;
		p += len;
	}
	return (size_t)(p - (const unsigned char *)s);
}

size_t
msg_cut(const char *s, size_t max)
{
	if (strnlen(s, max + 1) <= max)
		return strnlen(s, max);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

void
msg_pad(const char *s, int cols)
{
	fputs(s, stdout);
	for (int w = msg_width(s); w < cols; w++)
		putchar(' ');
}

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

/* glibc's count of catalog changes: raised, it drops gettext's cache of
 * translations once the language changed through LANGUAGE. */
extern int _nl_msg_cat_cntr;

static int
c_locale(const char *l)
{
	return !l || !strcmp(l, "C") || !strcmp(l, "POSIX");
}

/* Messages in language (a LANGUAGE list): gettext honours LANGUAGE
 * under any locale but C, so C becomes C.UTF-8 (glibc's built-in). */
static void
speak(const char *language)
{
	if (c_locale(setlocale(LC_MESSAGES, NULL)))
		setlocale(LC_MESSAGES, "C.UTF-8");
	setenv("LANGUAGE", language, 1);
	++_nl_msg_cat_cntr;
}

void
msg_i18n_init(void)
{
	const char *dir = getenv("NOTICEWATCH_LOCALEDIR");
	const char *want = NULL, *names[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

	/* LC_MESSAGES alone: times, numbers and mail headers stay as C writes them */
	if (c_locale(setlocale(LC_MESSAGES, ""))) {
		for (size_t i = 0; !want && i < sizeof(names) / sizeof(names[0]); i++)
			if (getenv(names[i]) && *getenv(names[i]))
				want = getenv(names[i]);
		/* a locale that is named but not installed: its language still speaks */
		if (want && !c_locale(want) && strncmp(want, "C.", 2)) {
			char language[64];
			snprintf(language, sizeof(language), "%.*s", (int)strcspn(want, ".@"), want);
			const char *l = getenv("LANGUAGE");
			speak(l && *l ? l : language);
		}
	}
	bindtextdomain("noticewatch", dir && *dir ? dir : LOCALEDIR);
	bind_textdomain_codeset("noticewatch", "UTF-8");
	textdomain("noticewatch");
}

const char *
msg_pgettext(const char *ctx_id, const char *id)
{
	const char *t = gettext(ctx_id);

	return t == ctx_id ? id : t;
}

int
msg_language(const char *lang)
{
	if (!lang)
		return 0;
	if (!strcmp(lang, "zh")) {
		speak("zh_CN");
	} else if (!strcmp(lang, "en")) {
		setlocale(LC_MESSAGES, "C");    /* C: the messages as written */
		++_nl_msg_cat_cntr;
	} else {
		return -1;
	}
	return 0;
}
