/* timefmt: RFC 3339 date-times to Unix seconds and back, without the C
 * library's time zone state (timegm is not standard C or POSIX, and mktime
 * reads TZ). */
#include "slo/slo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s as a number, or -1. */
static long digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The zone at s ("Z", "+HH:MM", "-HH:MM") in seconds east of UTC into
 * *off; 0, or -1 when it is not one or anything follows it. */
static int parse_zone(const char *s, long long *off)
{
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -1;
	long h = digits(s + 1, 2), m = digits(s + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

int br_time_parse(const char *text, long long *seconds)
{
	double t;
	int rc = br_time_parse_exact(text, &t);

	if (rc == 0)
		*seconds = (long long)floor(t);
	return rc;
}

int br_time_parse_exact(const char *text, double *seconds)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *s = text;
	long long off;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return BR_EINVAL;
	long y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	long h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60)   /* 60: a leap second */
		return BR_EINVAL;
	if ((unsigned)d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return BR_EINVAL;
	s += 19;
	double frac = 0, scale = 0.1;
	if (*s == '.') {   /* a fraction: at least one digit */
		if (s[1] < '0' || s[1] > '9')
			return BR_EINVAL;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += (*s - '0') * scale;
	}
	if (parse_zone(s, &off) != 0)
		return BR_EINVAL;
	*seconds = (double)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
			    mi * 60 + sec - off) + frac;
	return 0;
}

char *br_time_format(long long t, char *out, size_t size)
{
	long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	long long rem = t - days * 86400;
	/* civil_from_days (Hinnant) */
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	long long y = (long long)yoe + era * 400 + (m <= 2);

	snprintf(out, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, rem / 3600,
		 rem / 60 % 60, rem % 60);
	return out;
}
