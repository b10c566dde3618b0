/* Messages of the command line. */
#include "cli/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int msg_verbose;

void
msg_error(const char *fmt, ...)
{
	va_list ap;

	fputs("noticewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose < 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *
msg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
