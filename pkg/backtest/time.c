/* time: the times of --from and --to (now, -30d, RFC 3339, Unix seconds)
 * and RFC 3339 output. By hand, because strptime is not C11 and timegm is
 * not POSIX; the input comes from a command line, so every byte is checked. */
#include "backtest/backtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* The zone of an RFC 3339 time at s: "Z" or "+HH:MM"/"-HH:MM", then the
 * end. Sets *offset in seconds east of UTC. */
static int parse_zone(const char *s, long long *offset)
{
	unsigned h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*offset = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    digits(s + 1, 2, &h) || digits(s + 4, 2, &m) || h > 23 || m > 59)
		return -1;
	*offset = (s[0] == '-' ? -1 : 1) * (long long)(h * 3600 + m * 60);
	return 0;
}

/* "2026-11-05T10:00:00[.123]Z" or with an offset. */
static int parse_rfc3339(const char *s, double *t)
{
	unsigned y, mo, d, h, mi, se;
	const char *p = s + 19;
	double frac = 0, scale = 0.1;
	long long offset;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || se > 60)
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (parse_zone(p, &offset))
		return -1;
	*t = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset) + frac;
	return 0;
}

/* Unix seconds: digits only, at most 12 of them (year 33658). */
static int parse_unix(const char *s, double *t)
{
	size_t n = strlen(s);

	if (n == 0 || n > 12 || strspn(s, "0123456789") != n)
		return -1;
	*t = strtod(s, NULL);
	return 0;
}

int br_backtest_parse_time(const char *text, double now, const char *field, double *t,
			   struct br_error *err)
{
	long long ago;

	if (!text || !*text)
		return br_error_set_at(err, BR_EINVAL, field, 0, 0, "a time is required");
	if (strcmp(text, "now") == 0) {
		*t = now;
		return 0;
	}
	if (text[0] == '-' && br_duration_parse(text + 1, &ago) == 0) {
		*t = now - (double)ago;
		return 0;
	}
	if (parse_rfc3339(text, t) == 0 || parse_unix(text, t) == 0)
		return 0;
	return br_error_set_at(err, BR_EINVAL, field, 0, 0,
			       "\"%.64s\" is not a time: use now, a duration before now (-30d, -3h), "
			       "RFC 3339 (2026-11-05T10:00:00Z) or Unix seconds", text);
}

char *br_backtest_format_time(double t, char *out, size_t size)
{
	time_t s = (time_t)floor(t);
	struct tm tm;

	if (!gmtime_r(&s, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%.0f", t);
	return out;
}
