/* Messages, what every stage shares: errors always, progress with -v.  Part
 * of base/. */
#ifndef NW_BASE_MSG_H
#define NW_BASE_MSG_H

#include <libintl.h>
#include <stddef.h>

/* gettext, the C convention: _() marks and translates what people read,
 * N_() marks a string translated where it is used. */
#define _(s) gettext(s)
#define N_(s) (s)
/* _() of s in a context, where the same English says two things: C_("outbox
 * column", "ID"). */
#define C_(ctx, s) msg_pgettext(ctx "\004" s, s)
const char *msg_pgettext(const char *ctx_id, const char *id)
	__attribute__((format_arg(2)));

extern int msg_verbose;     /* -1 quiet, 0 normal, 1 verbose */

/* The messages' language, from the locale (LANGUAGE, LC_ALL, LC_MESSAGES,
 * LANG): a Chinese one speaks Chinese even when its locale is not
 * installed.  The catalog (noticewatch.mo) is read from
 * $NOTICEWATCH_LOCALEDIR when set (the build tree's po/locale, for the
 * tests), else from LOCALEDIR (where make install puts it).  Called once,
 * first thing in main. */
void msg_i18n_init(void);
/* Makes lang ("zh" or "en") the messages' language from now on, whatever
 * the locale; NULL leaves it as it is.  Returns 0, or -1 when lang is
 * neither (not reported). */
int msg_language(const char *lang);

/* "noticewatch: ..." on stderr; returns -1, as git's error() does:
 * return error("cannot parse date '%s'", s); */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* progress on stderr, with -v only */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* With -v on a terminal: one line of progress on stderr, rewritten in
 * place (messages clear it first); nothing otherwise.  msg_progress_end
 * clears it. */
void msg_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_progress_end(void);

/* Display width of UTF-8 text: East Asian wide characters take two
 * columns. */
int msg_width(const char *s);
/* The longest prefix of s (whole characters) within cols columns; its
 * length in bytes. */
size_t msg_fit(const char *s, int cols);
/* The longest prefix of s within max bytes that ends on a character
 * boundary; its length in bytes (strlen(s) when that is within max). */
size_t msg_cut(const char *s, size_t max);

/* Prints s on standard output, padded with spaces to cols columns. */
void msg_pad(const char *s, int cols);

/* Flushes standard output, remembering why it failed. */
void msg_flush(void);

/* Ends a command whose exit status is status: flushes standard output.
 * When it could not be written: "cannot write standard output: REASON"
 * and 1 (or status, when that already says something failed).  When its
 * reader went away (a broken pipe, `| head`): quietly, by SIGPIPE as git
 * and every filter end (or status, when not 0). */
int msg_finish(int status);

/* A duration as people say it: "45 s" under a minute, then "59 min",
 * "1 h 29 min", "3 h", "7 d", "2 d 5 h" (whole units, rounded down); out,
 * which len bytes hold. */
const char *msg_duration(long long secs, char *out, size_t len);

/* strdup that passes NULL through (a NULL from strdup itself is out of
 * memory only when s was not NULL). */
char *msg_strdup(const char *s);

#endif
