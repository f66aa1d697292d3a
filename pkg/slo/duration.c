/* duration: Prometheus-style durations in whole seconds ("1h30m", "30d"). */
#include "slo/slo.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;
	long long seconds;
};

/* Largest first: Prometheus requires units in this order, each at most once.
 * No "y": windows are at most 90 days, and a year of 365 days is a trap. */
static const struct unit units[] = {
	{"w", 7 * 86400LL}, {"d", 86400LL}, {"h", 3600LL}, {"m", 60LL}, {"s", 1LL},
};
#define UNIT_COUNT (sizeof(units) / sizeof(units[0]))

/* Index of the unit text starts with, or -1. "ms" is not "m" followed by
 * junk: it is a unit we refuse, so it must not match "m". */
static int unit_at(const char *text, size_t *len)
{
	if (text[0] == 'm' && text[1] == 's')
		return -1;
	for (size_t i = 0; i < UNIT_COUNT; i++) {
		if (text[0] == units[i].name[0]) {
			*len = 1;
			return (int)i;
		}
	}
	return -1;
}

int br_duration_parse(const char *text, long long *seconds)
{
	long long total = 0;
	int last = -1;
	const char *p = text;

	if (!text || !*text)
		return BR_EINVAL;
	while (*p) {
		long long n = 0;
		size_t ulen = 0;
		int u;

		if (*p < '0' || *p > '9')
			return BR_EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > (LLONG_MAX - (*p - '0')) / 10)
				return BR_EINVAL;
			n = n * 10 + (*p - '0');
		}
		u = unit_at(p, &ulen);
		if (u < 0 || u <= last)
			return BR_EINVAL;
		if (n > (LLONG_MAX - total) / units[u].seconds)
			return BR_EINVAL;
		total += n * units[u].seconds;
		last = u;
		p += ulen;
	}
	if (total == 0)
		return BR_EINVAL;
	*seconds = total;
	return 0;
}

/* Weeks and days only when they divide the whole duration, as Prometheus
 * does: 67h12m rather than 2d19h12m. */
char *br_duration_format(long long seconds, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return out;
	out[0] = '\0';
	if (seconds <= 0) {
		snprintf(out, size, "%s", seconds == 0 ? "0s" : "-");
		return out;
	}
	for (size_t i = 0; i < UNIT_COUNT && n < size; i++) {
		int exact = units[i].seconds >= 86400;
		long long v;

		if (exact && seconds % units[i].seconds != 0)
			continue;
		v = seconds / units[i].seconds;
		if (v == 0)
			continue;
		int w = snprintf(out + n, size - n, "%lld%s", v, units[i].name);
		n += w > 0 ? (size_t)w : 0;
		seconds -= v * units[i].seconds;
	}
	return out;
}
