/* schedule: the spans of a BudgetCorrection: a cron subset ("MINUTE HOUR *
 * * DAYS") turned into recurring spans of a fixed period, when a span
 * holds a time, and whether two spans overlap. Only daily and weekly
 * schedules are accepted: their period is fixed, so the rules can test
 * them with one modulo of time(); a monthly one's is not. */
#include "slo/slo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slo/internal.h"

#define DAY 86400LL
#define WEEK (7 * DAY)
/* 1970-01-04T00:00:00Z, a Sunday: where the weeks of recurring spans begin */
#define WEEK_BASE (3 * DAY)

static long long base_of(long long period)
{
	return period == WEEK ? WEEK_BASE : 0;
}

static long long mod(long long a, long long m)
{
	long long r = a % m;
	return r < 0 ? r + m : r;
}

int br_exclusion_at(const struct br_exclusion *e, long long t, long long *start,
		    long long *end)
{
	if (e->kind == BR_EXCLUSION_ONCE) {
		*start = e->start;
		*end = e->end;
		return t < e->start ? 0 : t < e->end ? 1 : -1;
	}
	long long first = base_of(e->period) + e->phase;
	long long s = t - mod(t - first, e->period);   /* the last start <= t */
	if (t < s + e->duration) {
		*start = s;
		*end = s + e->duration;
		return 1;
	}
	*start = s + e->period;
	*end = *start + e->duration;
	return 0;
}

long long br_exclusion_shift(const struct br_exclusion *e)
{
	return mod(-(base_of(e->period) + e->phase), e->period);
}

/* Whether [a, a + da) and [b, b + db) meet on a circle of period p. */
static int circular_overlap(long long a, long long da, long long b, long long db, long long p)
{
	return mod(b - a, p) < da || mod(a - b, p) < db;
}

int br__slo_spans_overlap(const struct br_exclusion *a, const struct br_exclusion *b)
{
	long long s, e;

	if (a->kind == BR_EXCLUSION_ONCE && b->kind == BR_EXCLUSION_ONCE)
		return a->start < b->end && b->start < a->end;
	if (a->kind == BR_EXCLUSION_ONCE || b->kind == BR_EXCLUSION_ONCE) {
		const struct br_exclusion *once = a->kind == BR_EXCLUSION_ONCE ? a : b;
		const struct br_exclusion *rec = once == a ? b : a;
		return br_exclusion_at(rec, once->start, &s, &e) == 1 || s < once->end;
	}
	/* both recurring: compare on the longer period (a day's span recurs
	 * seven times in a week) */
	long long p = a->period > b->period ? a->period : b->period;
	for (long long i = 0; i < p / a->period; i++)
		for (long long k = 0; k < p / b->period; k++)
			if (circular_overlap(base_of(a->period) + a->phase + i * a->period,
					     a->duration,
					     base_of(b->period) + b->phase + k * b->period,
					     b->duration, p))
				return 1;
	return 0;
}

static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* A day of the week at *p (0-7, 7 being Sunday again, or SUN-SAT in any
 * case); advances *p. -1 when there is none. */
static int parse_day(const char **p)
{
	const char *s = *p;

	if (isdigit((unsigned char)s[0]) && !isdigit((unsigned char)s[1])) {
		*p = s + 1;
		return s[0] - '0' <= 7 ? (s[0] - '0') % 7 : -1;
	}
	for (int d = 0; d < 7; d++)
		if (strncasecmp(s, day_names[d], 3) == 0 && !isalpha((unsigned char)s[3])) {
			*p = s + 3;
			return d;
		}
	return -1;
}

/* DAYS ("*", or days and ranges joined by commas) into a mask of days
 * (bit 0 Sunday). 0 when it is not one. */
static unsigned parse_days(const char *s)
{
	unsigned mask = 0;

	if (strcmp(s, "*") == 0)
		return 0x7f;
	for (;;) {
		int from = parse_day(&s), to = from;
		if (from < 0)
			return 0;
		if (*s == '-') {
			s++;
			to = parse_day(&s);
			/* 5-7 is Friday to Sunday: 7 read as 0 ends the range */
			if (to == 0)
				to = 7;
			if (to < from)
				return 0;
		}
		for (int d = from; d <= to; d++)
			mask |= 1u << (d % 7);
		if (*s == '\0')
			return mask;
		if (*s++ != ',')
			return 0;
	}
}

/* A whole number in [0, max] that is all of s, or -1. */
static int small_number(const char *s, int max)
{
	int v = 0;

	if (!*s || strlen(s) > 2)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

int br__slo_schedule_parse(const char *text, struct br__slo_schedule *out, char *why, size_t size)
{
	char f[5][32];
	char extra[2];
	int n = sscanf(text, "%31s %31s %31s %31s %31s %1s", f[0], f[1], f[2], f[3], f[4], extra);

	if (n != 5) {
		snprintf(why, size, "must be a cron schedule of five fields, MINUTE HOUR * * DAYS "
			 "(e.g. \"0 2 * * SUN\"), got \"%.64s\"", text);
		return BR_EINVAL;
	}
	out->minute = small_number(f[0], 59);
	out->hour = small_number(f[1], 23);
	if (out->minute < 0 || out->hour < 0) {
		snprintf(why, size, "the minute (0-59) and the hour (0-23) must be single numbers, "
			 "got \"%s %s\"", f[0], f[1]);
		return BR_EINVAL;
	}
	if (strcmp(f[2], "*") != 0 || strcmp(f[3], "*") != 0) {
		snprintf(why, size, "day of month and month must be *: only daily and weekly "
			 "schedules have the fixed period the rules compute with, got \"%s %s\"",
			 f[2], f[3]);
		return BR_EINVAL;
	}
	out->days = parse_days(f[4]);
	if (!out->days) {
		snprintf(why, size, "days of the week must be *, or days 0-7 or SUN-SAT in "
			 "lists and ranges (\"1-5\", \"SAT,SUN\"), got \"%.32s\"", f[4]);
		return BR_EINVAL;
	}
	return 0;
}

long long br__slo_schedule_gap(const struct br__slo_schedule *s)
{
	long long gap = WEEK;
	int prev = -1, first = -1;

	if (s->days == 0x7f)
		return DAY;
	for (int d = 0; d < 7; d++) {
		if (!(s->days & (1u << d)))
			continue;
		if (prev >= 0 && (d - prev) * DAY < gap)
			gap = (d - prev) * DAY;
		if (first < 0)
			first = d;
		prev = d;
	}
	if (first != prev && (first + 7 - prev) * DAY < gap)
		gap = (first + 7 - prev) * DAY;
	return gap;
}

size_t br__slo_schedule_spans(const struct br__slo_schedule *s, long long duration,
			      long long offset,
			      struct br_exclusion *out)
{
	long long at = s->hour * 3600LL + s->minute * 60LL - offset;
	size_t n = 0;

	if (s->days == 0x7f) {   /* every day: one daily span */
		out[n++] = (struct br_exclusion){.kind = BR_EXCLUSION_RECURRING, .period = DAY,
			.phase = mod(at, DAY), .duration = duration};
		return n;
	}
	for (int d = 0; d < 7; d++)
		if (s->days & (1u << d))
			out[n++] = (struct br_exclusion){.kind = BR_EXCLUSION_RECURRING,
				.period = WEEK, .phase = mod(d * DAY + at, WEEK),
				.duration = duration};
	return n;
}

void br__slo_schedule_describe(const struct br__slo_schedule *s, char *out, size_t size)
{
	size_t n = 0;

	if (s->days == 0x7f) {
		snprintf(out, size, "daily %02d:%02d", s->hour, s->minute);
		return;
	}
	n += (size_t)snprintf(out, size, "weekly ");
	for (int d = 0, first = 1; d < 7 && n < size; d++)
		if (s->days & (1u << d)) {
			n += (size_t)snprintf(out + n, size - n, "%s%c%c%c", first ? "" : ",",
					      day_names[d][0],
					      tolower((unsigned char)day_names[d][1]),
					      tolower((unsigned char)day_names[d][2]));
			first = 0;
		}
	if (n < size)
		snprintf(out + n, size - n, " %02d:%02d", s->hour, s->minute);
}
