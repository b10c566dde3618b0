/* Dates as the provincial sites write them. */
#include "parse/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
valid(int y, int m, int d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* "YYYY-MM-DD" of a date valid() accepted (the moduli tell the compiler
 * how wide each field is). */
static void
put_date(char out[11], int y, int m, int d)
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 100,
	         (unsigned)d % 100);
}

/* Reads 1..max digits at s[*i]; returns the value or -1. */
static int
digits(const char *s, size_t len, size_t *i, int min, int max)
{
	int v = 0, n = 0;

	while (*i < len && n < max && isdigit((unsigned char)s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	if (n < min || (*i < len && isdigit((unsigned char)s[*i])))
		return -1;
	return v;
}

/* Separator after year or month: '-', '/', '.', or 年 / 月 (UTF-8),
 * with optional spaces around.  Returns the kind (1 ascii, 2 CJK) or 0. */
static int
separator(const char *s, size_t len, size_t *i, char ascii, const char *cjk)
{
	size_t j = *i;
	int kind = 0;

	while (j < len && s[j] == ' ')
		j++;
	if (j < len && ascii && s[j] == ascii) {
		j++;
		kind = 1;
	} else if (j + 3 <= len && memcmp(s + j, cjk, 3) == 0) {
		j += 3;
		kind = 2;
	}
	if (!kind)
		return 0;
	while (j < len && s[j] == ' ')
		j++;
	*i = j;
	return kind;
}

int
parse_date(const char *s, size_t len, char out[11])
{
	for (size_t start = 0; start + 6 <= len; start++) {
		size_t i = start;
		int y, m, d, k1, k2;
		char sep;

		if (!isdigit((unsigned char)s[start]) ||
		    (start > 0 && isdigit((unsigned char)s[start - 1])))
			continue;
		y = digits(s, len, &i, 4, 4);
		if (y < 0)
			continue;
		sep = i < len ? s[i] : 0;
		if (sep != '-' && sep != '/' && sep != '.')
			sep = 0;
		k1 = separator(s, len, &i, sep, "\xe5\xb9\xb4");   /* 年 */
		if (!k1)
			continue;
		m = digits(s, len, &i, 1, 2);
		if (m < 0)
			continue;
		k2 = separator(s, len, &i, k1 == 1 ? sep : 0, "\xe6\x9c\x88");   /* 月 */
		if (!k2 || k1 != k2)
			continue;
		d = digits(s, len, &i, 1, 2);
		if (d < 0 || !valid(y, m, d))
			continue;
		put_date(out, y, m, d);
		return 0;
	}
	return -1;
}

int
parse_date_from_link(const char *link, char out[11])
{
	const char *p;

	/* TRS WCM: .../202110/t20211009_123.html */
	for (p = link; (p = strstr(p, "/t")); p++) {
		int y, m, d;
		size_t k;

		for (k = 0; k < 8 && isdigit((unsigned char)p[2 + k]); k++)
			;
		if (k != 8 || p[10] != '_')
			continue;
		if (sscanf(p + 2, "%4d%2d%2d", &y, &m, &d) == 3 && valid(y, m, d)) {
			put_date(out, y, m, d);
			return 0;
		}
	}
	/* .../2021-10/09/... (many CMSes) */
	for (p = link; (p = strchr(p, '/')); p++) {
		int y, m, d, n = 0;

		if (sscanf(p, "/%4d-%2d/%2d/%n", &y, &m, &d, &n) == 3 && n == 12 &&
		    valid(y, m, d)) {
			put_date(out, y, m, d);
			return 0;
		}
	}
	return -1;
}

/* Brackets and spaces that may stand around a date cell: [ ] ( ) 【 】 （ ）. */
static size_t
wrapper_at(const char *s, size_t len, size_t i)
{
	static const char *const wide[] = {"\xe3\x80\x90", "\xe3\x80\x91", "\xef\xbc\x88",
	                                   "\xef\xbc\x89", NULL};

	if (strchr(" \t\r\n[]()", s[i]))
		return 1;
	for (size_t k = 0; wide[k]; k++)
		if (i + 3 <= len && memcmp(s + i, wide[k], 3) == 0)
			return 3;
	return 0;
}

int
parse_date_yearless(const char *s, size_t len, const char *today, char out[11])
{
	size_t i = 0, w, end = len;
	int ty, tm, td, m, d, y, k;
	char sep;

	if (parse_date(s, len, out) == 0)
		return 0;
	while (i < len && (w = wrapper_at(s, len, i)))
		i += w;
	/* trailing wrappers: step back over ASCII and 3-byte ones */
	for (;;) {
		if (end > i && strchr(" \t\r\n[]()", s[end - 1]))
			end--;
		else if (end >= i + 3 && wrapper_at(s, len, end - 3) == 3)
			end -= 3;
		else
			break;
	}
	m = digits(s, end, &i, 1, 2);
	if (m < 0)
		return -1;
	sep = i < end ? s[i] : 0;
	if (sep != '-' && sep != '/' && sep != '.')
		sep = 0;
	k = separator(s, end, &i, sep, "\xe6\x9c\x88");    /* 月 */
	if (!k)
		return -1;
	d = digits(s, end, &i, 1, 2);
	if (d < 0)
		return -1;
	if (k == 2 && i + 3 <= end && memcmp(s + i, "\xe6\x97\xa5", 3) == 0)   /* 日 */
		i += 3;
	if (i != end)
		return -1;
	if (today && sscanf(today, "%4d-%2d-%2d", &ty, &tm, &td) == 3) {
		/* given */
	} else {
		time_t now = time(NULL);
		struct tm t;
		localtime_r(&now, &t);
		ty = t.tm_year + 1900;
		tm = t.tm_mon + 1;
		td = t.tm_mday;
	}
	for (y = (m < tm || (m == tm && d <= td)) ? ty : ty - 1; y > ty - 8; y--) {
		if (valid(y, m, d)) {
			put_date(out, y, m, d);
			return 0;
		}
	}
	return -1;
}
