/* notify: tell people about events: the console printer, email through
 * libcurl's SMTP, and webhooks.  The whole public face of the notify
 * module.  Nothing here reads the store: the caller hands events in and
 * records what was delivered. */
#ifndef NW_NOTIFY_H
#define NW_NOTIFY_H

#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"

struct notify_event {
	const char *kind;       /* new, changed, removed, broken, recovered, test */
	const char *source_id;
	const char *date;       /* YYYY-MM-DD or "" */
	const char *title;      /* alerts: NULL */
	const char *link;
	const char *source_name;        /* may be NULL or "" */
	const char *old_title;          /* changed: the title before, else NULL */
	const char *old_date;           /* changed: the date before, else NULL */
	const char *detail;             /* alerts: what happened, else NULL */
	const char *diff;               /* changed: the detail text's unified diff
	                                 * (notify_text_diff), else NULL */
	const char *facts;              /* changed: the certificate facts that
	                                 * changed ("to: 2021-11-30 → 2021-12-15"),
	                                 * else NULL */
};

/* What changed, in the words every channel uses: "was: <old title>", "was
 * dated: <old date>", "text: +N -M lines" (from diff), then the facts,
 * joined by "; ".  Appends nothing when nothing of these changed; returns
 * how many parts it appended. */
int notify_change_note(struct buf *b, const struct notify_event *ev);

/* Prints "NEW|CHANGED|REMOVED <id> <date> <title> <link>" on one line,
 * with " (<what changed>)" after (notify_change_note); a missing date
 * prints as '-', and control characters in the title as spaces, so one
 * event is always one line.  Returns 0, or -1 when the stream failed. */
int notify_print(FILE *out, const struct notify_event *ev);

/* An event's kind as every channel and view shows it: "new" -> "NEW",
 * "changed" -> "CHANGED", ... (every kind the store raises); a kind it
 * does not know, as it is.  In English (marked for gettext): alerts show
 * it translated, _(notify_kind_label(kind)). */
const char *notify_kind_label(const char *kind);

enum notify_tls { NOTIFY_TLS_TRY, NOTIFY_TLS_REQUIRED, NOTIFY_TLS_NO };

/* Called after each message the server accepted, with the events it held
 * (events[first..last)), before the next is sent, so the caller can record
 * them as delivered at once.  A non-zero return stops the sending. */
typedef int (*notify_sent_fn)(size_t first, size_t last, void *payload);

/* The largest mail, as sent (headers and base64 bodies). */
#define NOTIFY_MAIL_MAX ((size_t)4 << 20)

struct notify_email {
	const char *url;        /* smtp://host:port or smtps://host:port */
	const char *from;       /* "Name <addr>" or "addr" */
	char *const *to;        /* NULL-terminated, each "Name <addr>" or "addr" */
	const char *username;   /* NULL: no login */
	const char *password;
	enum notify_tls tls;
	int digest;             /* 1: a digest of the events; 0: one mail each */
	const char *subject;    /* template or NULL; {count} {sources} {source} {title} {kind} */
	long timeout;
};

/* 0 when s is a mail address as from and to take it ("Name <addr>" or
 * "addr", addr with a local part and a domain), else -1. */
int notify_address_check(const char *s);

/* Mails events[0..n) in order: one mail each, or (digest) as few mails as
 * NOTIFY_MAIL_MAX allows; an event too large for a mail of its own is cut.
 * on_sent (may be NULL) hears of each accepted mail.  Returns 0 once the
 * server accepted them all, or -1 with err set (never holding the
 * password). */
int notify_email_send(const struct notify_email *cfg, const struct notify_event *events,
                      size_t n, notify_sent_fn on_sent, void *payload, char *err,
                      size_t errlen);

enum notify_format {
	NOTIFY_JSON, NOTIFY_SLACK, NOTIFY_DISCORD, NOTIFY_DINGTALK, NOTIFY_WECOM,
	NOTIFY_FEISHU, NOTIFY_TELEGRAM
};

struct notify_webhook {
	const char *name;
	const char *url;        /* may hold a token: never printed */
	enum notify_format format;
	const char *secret;     /* dingtalk/feishu signing secret, or NULL */
	const char *chat_id;    /* telegram */
	size_t max_bytes;       /* 0: the service's limit (json: 1 MiB); else at most this */
	long timeout;
};

/* Parses a format name; -1 when unknown. */
int notify_format_parse(const char *name);

/* The default size cap of a json hook's request body. */
#define NOTIFY_JSON_MAX ((size_t)1 << 20)

/* Posts events[0..n) in as many messages as the service's size limit (or
 * max_bytes) needs, in order; on_sent (may be NULL) hears of each accepted
 * post.  Titles and fields are escaped so that a chat service shows them
 * as written: no mention, no link, no markup of their own.  Returns 0 when
 * all were accepted, or -1 with err set (never holding the URL or the
 * secret). */
int notify_webhook_send(const struct notify_webhook *cfg,
                        const struct notify_event *events, size_t n,
                        notify_sent_fn on_sent, void *payload, char *err, size_t errlen);

/* The policy history: a git repository (libgit2) whose tree is written
 * whole from the caller's files at each commit. */
struct notify_git {
	const char *path;       /* the repository's working directory */
	const char *author_name;
	const char *author_email;
	const char *branch;     /* "main" */
	const char *remote;     /* URL or NULL; may hold credentials: never printed */
};

struct notify_file {
	const char *path;       /* relative, '/'-separated, already safe */
	const char *data;
	size_t len;
};

/* How every history's README.md begins: it tells a noticewatch history
 * from any other directory. */
#define NOTIFY_GIT_MARK "# noticewatch history\n"

/* Whether g->path may hold the history: it is missing, an empty directory,
 * or a git repository whose branch (or HEAD) holds, in one of its last
 * 1,000 commits, a README.md beginning with NOTIFY_GIT_MARK (or with no
 * commit yet and nothing but .git).
 * Returns 0, or -1 with err saying why not ("is not empty and ..."). */
int notify_git_check(const struct notify_git *g, char *err, size_t errlen);

/* Makes files[0..n) the whole tree of a new commit on the branch, creating
 * the repository when missing, and checks it out: the files of the previous
 * commit that are not in this one are removed, and files noticewatch did not
 * write (untracked ones) are left alone.  No commit when the tree is
 * unchanged (*committed = 0).  when is the author and committer time.
 * Returns 0, or -1 with err set. */
int notify_git_commit(const struct notify_git *g, const struct notify_file *files, size_t n,
                      const char *message, long long when, int *committed, char oid[41],
                      char *err, size_t errlen);

/* The branch's head, or "" when it has no commit yet. */
int notify_git_head(const struct notify_git *g, char oid[41], char *err, size_t errlen);

/* Pushes the branch to the remote.  Returns 0, or -1 with err set. */
int notify_git_push(const struct notify_git *g, char *err, size_t errlen);

/* A plain unified diff of two texts (libgit2): "--- a/name", "+++ b/name",
 * then the hunks (no "diff --git" or "index" line); malloc'd, NULL when
 * out of memory. */
char *notify_text_diff(const char *before, const char *after, const char *name);

#endif
