/* time: the times of --from and --to (now, -30d, RFC 3339 as pkg/slo reads
 * it, Unix seconds) and RFC 3339 output. */
#include "backtest/backtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	if (br_time_parse_exact(text, t) == 0 || parse_unix(text, t) == 0)
		return 0;
	return br_error_set_at(err, BR_EINVAL, field, 0, 0,
			       "\"%.64s\" is not a time: use now, a duration before now (-30d, "
			       "-3h), "
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
