/* history: the grid of evaluation times and the SLI arrays on it, planned
 * from an SLO's alert table and filled from range answers. */
#include "backtest/backtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A backtest of a year at 1s would be 31 million points per array: far more
 * than anyone asks, so more is a mistake in the flags, not a workload. */
#define MAX_POINTS 100000000.0

void br_backtest_history_init(struct br_backtest_history *h)
{
	memset(h, 0, sizeof(*h));
}

void br_backtest_history_release(struct br_backtest_history *h)
{
	for (size_t i = 0; i < h->nwindows; i++) {
		free(h->windows[i].requests);
		free(h->windows[i].errors);
		free(h->windows[i].ratio);
	}
	free(h->windows);
	br_backtest_history_init(h);
}

static int enabled(const struct br_slo *slo, const struct br_alert_window *w)
{
	return !(w->severity == BR_SEVERITY_PAGE ? slo->page.disabled : slo->ticket.disabled);
}

/* Adds w to the sorted distinct list of n windows. */
static void add_window(long long *list, size_t *n, long long w)
{
	size_t i = 0;

	while (i < *n && list[i] < w)
		i++;
	if (i < *n && list[i] == w)
		return;
	memmove(list + i + 1, list + i, (*n - i) * sizeof(*list));
	list[i] = w;
	(*n)++;
}

static double *nan_array(size_t n)
{
	double *a = malloc(n * sizeof(*a));

	for (size_t i = 0; a && i < n; i++)
		a[i] = NAN;
	return a;
}

/* Allocates the arrays of each window of list: requests and errors, or the
 * ratio of a raw indicator. */
static int alloc_windows(struct br_backtest_history *h, const long long *list, size_t n)
{
	h->windows = calloc(n, sizeof(*h->windows));
	if (!h->windows)
		return BR_ENOMEM;
	h->nwindows = n;
	for (size_t i = 0; i < n; i++) {
		struct br_backtest_sli *w = &h->windows[i];

		w->window_s = list[i];
		w->derived = list[i] > BR_BACKTEST_RAW_MAX_S;
		if (h->raw)
			w->ratio = nan_array(h->count);
		else {
			w->requests = nan_array(h->count);
			w->errors = nan_array(h->count);
		}
		if (h->raw ? !w->ratio : !w->requests || !w->errors)
			return BR_ENOMEM;
	}
	return 0;
}

int br_backtest_history_plan(struct br_backtest_history *h, const struct br_slo *slo,
			     double from, double to, double step, struct br_error *err)
{
	long long *list = malloc((2 * slo->window_count + 3) * sizeof(*list));
	long long lookback = slo->window_s;
	size_t n = 0;
	double points;
	int rc;

	if (!list)
		return br_error_set(err, BR_ENOMEM, "out of memory planning the backtest");
	add_window(list, &n, BR_BACKTEST_BASE_S);
	add_window(list, &n, slo->window_s); /* the budget's */
	for (size_t i = 0; i < slo->window_count; i++) {
		if (!enabled(slo, &slo->windows[i]))
			continue;
		add_window(list, &n, slo->windows[i].long_s);
		add_window(list, &n, slo->windows[i].short_s);
		if (slo->windows[i].long_s > lookback)
			lookback = slo->windows[i].long_s;
	}
	points = step > 0 ? ceil(lookback / step) + floor((to - from) / step) + 1 : 0;
	if (!(step > 0) || !(to >= from) || !(points <= MAX_POINTS)) {
		free(list);
		return br_error_set(err, BR_EINVAL, !(step > 0) ? "the step must be positive"
				    : !(to >= from) ? "the end of the range is before its start"
				    : "the range holds more than 100 million steps: "
				      "use a longer step");
	}
	h->step = step;
	h->start = from - ceil(lookback / step) * step;
	h->count = (size_t)points;
	h->raw = slo->indicator == BR_INDICATOR_RAW;
	rc = alloc_windows(h, list, n);
	free(list);
	if (rc) {
		br_backtest_history_release(h);
		return br_error_set(err, rc, "out of memory: %zu points per series",
				    (size_t)points);
	}
	return 0;
}

size_t br_backtest_first_point(const struct br_backtest_history *h,
			       const struct br_backtest_sli *w, double from)
{
	double i = floor((from - h->start) / h->step + 0.5);

	if (w->window_s == BR_BACKTEST_BASE_S || i <= 0)
		return 0;
	return i >= (double)h->count ? h->count : (size_t)i;
}

/* The grid index of t, or -1 when t is not on the grid (within a millisecond,
 * Prometheus's resolution) or outside it. */
static long long grid_index(const struct br_backtest_history *h, double t)
{
	double x = (t - h->start) / h->step, i = floor(x + 0.5);

	if (!(fabs(x - i) * h->step < 0.001) || i < 0 || i >= (double)h->count)
		return -1;
	return (long long)i;
}

int br_backtest_history_fill(const struct br_backtest_history *h,
			     const struct br_prom_matrix *m, const char *what,
			     double *values, struct br_error *err)
{
	if (m->count > 1)
		return br_error_set(err, BR_EPARSE,
				    "%s: Prometheus answered %zu series where the rules' "
				    "sum has one",
				    what, m->count);
	for (size_t s = 0; s < m->count; s++) {
		const struct br_prom_series *ser = &m->series[s];

		for (size_t i = 0; i < ser->count; i++) {
			long long at = grid_index(h, ser->points[i].t);

			if (at < 0)
				return br_error_set(err, BR_EPARSE,
						    "%s: Prometheus answered a point at %.3f, not "
						    "a time it was asked for",
						    what, ser->points[i].t);
			values[at] = ser->points[i].v;
		}
	}
	return 0;
}
