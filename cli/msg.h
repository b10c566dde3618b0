/* Messages of the command line: errors always, progress with -v.  Part of
 * cli/. */
#ifndef NW_CLI_MSG_H
#define NW_CLI_MSG_H

extern int msg_verbose;     /* -1 quiet, 0 normal, 1 verbose */

/* "noticewatch: ..." on stderr */
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* progress on stderr, with -v only */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* strdup that passes NULL through (a NULL from strdup itself is out of
 * memory only when s was not NULL). */
char *msg_strdup(const char *s);

#endif
