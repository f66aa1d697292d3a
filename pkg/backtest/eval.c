/* eval: the alert rows and the budget of pkg/rules, evaluated at every point
 * of a history. Each expression below names the part of rules.c it mirrors. */
#include "backtest/backtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"

/* What every row needs, worked out once. */
struct ctx {
	const struct br_slo *slo;
	struct br_backtest_history *h;
	double eb;              /* as the rules print it */
	double z;
	long long peak_shift;   /* add_peak_hours' shift and peak length */
	long long peak_len;
	const struct br_backtest_sli **longw;  /* per row: its windows */
	const struct br_backtest_sli **shortw;
	double *f;              /* per row: the burn rate as printed */
};

/* A number as rules.c's fmt_num prints it, read back: the threshold
 * Prometheus compares with. */
static double printed(double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.10g", v);
	return strtod(text, NULL);
}

static const struct br_backtest_sli *find(const struct br_backtest_history *h, long long w)
{
	for (size_t i = 0; i < h->nwindows; i++)
		if (h->windows[i].window_s == w)
			return &h->windows[i];
	return NULL;
}

/* avg_over_time(<5m record>[W]) at every point: the mean of the samples in
 * [t - W, t], from prefix sums of the present samples. The sums are long
 * double so that the difference of two of them is still the window's sum to
 * the last bit of a double: Prometheus's mean is that exact, and a steady
 * burn often sits exactly on a threshold (1x), where a last-bit error in
 * the mean would fire a row a step before Prometheus does. */
static void average(const struct br_backtest_history *h, const double *base, double *out,
		    long long w, long double *sum, size_t *n)
{
	size_t back = (size_t)floor((double)w / h->step + 1e-9);

	sum[0] = 0;
	n[0] = 0;
	for (size_t i = 0; i < h->count; i++) {
		int ok = !isnan(base[i]);

		sum[i + 1] = sum[i] + (ok ? base[i] : 0);
		n[i + 1] = n[i] + (size_t)ok;
	}
	for (size_t i = 0; i < h->count; i++) {
		size_t lo = i >= back ? i - back : 0;
		size_t k = n[i + 1] - n[lo];

		out[i] = k ? (double)((sum[i + 1] - sum[lo]) / (long double)k) : NAN;
	}
}

/* Fills every derived window from the 5m one (group sli-long, and the
 * budget's window). */
static int derive(struct br_backtest_history *h, const struct br_backtest_sli *base)
{
	long double *sum = malloc((h->count + 1) * sizeof(*sum));
	size_t *n = malloc((h->count + 1) * sizeof(*n));

	if (!sum || !n) {
		free(sum);
		free(n);
		return BR_ENOMEM;
	}
	for (size_t i = 0; i < h->nwindows; i++) {
		struct br_backtest_sli *w = &h->windows[i];

		if (!w->derived)
			continue;
		if (h->raw)
			average(h, base->ratio, w->ratio, w->window_s, sum, n);
		else {
			average(h, base->requests, w->requests, w->window_s, sum, n);
			average(h, base->errors, w->errors, w->window_s, sum, n);
		}
	}
	free(sum);
	free(n);
	return 0;
}

/* burnrate:sli_error_ratio:rate<W> at i: errors / (requests > 0), so no
 * sample at zero traffic (add_ratio_of_recs). NaN when absent. */
static double ratio_at(const struct ctx *c, const struct br_backtest_sli *w, size_t i)
{
	if (c->h->raw)
		return w->ratio[i];
	if (isnan(w->requests[i]) || isnan(w->errors[i]) || !(w->requests[i] > 0))
		return NAN;
	return w->errors[i] / w->requests[i];
}

/* Inside peak hours at t: (t + shift) mod 1d < peak (add_peak_hours). */
static int peak_hour(const struct ctx *c, double t)
{
	return fmod(t + (double)c->peak_shift, 86400.0) < (double)c->peak_len;
}

/* Row r at point i: its long window's burn rate into *value when it fires
 * (add_row_expr: the long window comes first, so it is $value). The
 * confidence bound and minEvents read the requests arrays, which a raw
 * indicator lacks: br_slo_parse refuses both with a raw indicator. */
static int row_fires(const struct ctx *c, size_t r, size_t i, double *value)
{
	const struct br_alert_window *row = &c->slo->windows[r];
	const struct br_backtest_sli *lw = c->longw[r];
	double f = c->f[r], l = ratio_at(c, lw, i), s = ratio_at(c, c->shortw[r], i);
	double t = c->h->start + (double)i * c->h->step;

	if (!(l / c->eb > f) || !(s / c->eb > f))
		return 0;
	if (c->z > 0) {
		/* add_lower_bound: the clamped ratio and the window's events */
		double p = fmin(fmax(l, 0), 1), n = lw->requests[i] * (double)row->long_s;

		if (!(br_slo_wilson_lower(p * n, n, c->z) / c->eb > f))
			return 0;
	}
	if (c->slo->min_events > 0 &&
	    !(lw->requests[i] * (double)row->long_s >= (double)c->slo->min_events))
		return 0;
	if (row->off_peak_muted && c->slo->off_peak.enabled && !peak_hour(c, t))
		return 0;
	*value = l / c->eb;
	return 1;
}

static int add_alert(struct br_backtest_result *r, const struct br_backtest_alert *a)
{
	struct br_backtest_alert *grown;

	grown = br_array_grow(r->alerts, sizeof(*grown), r->count + 1, &r->cap);
	if (!grown)
		return BR_ENOMEM;
	r->alerts = grown;
	r->alerts[r->count++] = *a;
	if (a->severity == BR_SEVERITY_PAGE)
		r->pages++;
	else
		r->tickets++;
	return 0;
}

/* One severity at point i: the alert (rows ORed in table order) starts,
 * continues or ends. cur->start < 0 when not firing. */
static int step_severity(const struct ctx *c, enum br_severity sev, size_t i,
			 struct br_backtest_alert *cur, struct br_backtest_result *out)
{
	double t = c->h->start + (double)i * c->h->step, value = 0;
	size_t r, n = c->slo->window_count;

	for (r = 0; r < n; r++)
		if (c->slo->windows[r].severity == sev && row_fires(c, r, i, &value))
			break;
	if (r < n && cur->start < 0) {
		*cur = (struct br_backtest_alert){ .severity = sev, .row = r, .start = t,
						   .burn_rate = value, .peak_burn_rate = value };
		return 0;
	}
	if (r < n) {
		cur->peak_burn_rate = fmax(cur->peak_burn_rate, value);
		return 0;
	}
	if (cur->start >= 0) {
		int rc;

		cur->end = t;
		rc = add_alert(out, cur);
		cur->start = -1;
		return rc;
	}
	return 0;
}

/* burnrate:error_budget:remaining at i (add_remaining): 1 - ratio_T / eb, or
 * 1 when the window saw no traffic; NaN without data. */
static double remaining_at(const struct ctx *c, const struct br_backtest_sli *tw, size_t i)
{
	if (c->h->raw)
		return isnan(tw->ratio[i]) ? NAN : 1 - tw->ratio[i] / c->eb;
	if (isnan(tw->requests[i]) || isnan(tw->errors[i]))
		return NAN;
	if (!(tw->requests[i] > 0))
		return 1;
	return 1 - tw->errors[i] / tw->requests[i] / c->eb;
}

static void record_budget(struct br_backtest_result *out, size_t k, double b, double t)
{
	out->budget[k] = b;
	if (isnan(b))
		return;
	if (!out->have_budget || b < out->budget_low) {
		out->budget_low = b;
		out->budget_low_at = t;
	}
	out->have_budget = 1;
	out->budget_end = b;
}

/* Points to rows' windows and the printed thresholds; the budget's window
 * into *tw. BR_EINVAL when h lacks one. */
static int ctx_init(struct ctx *c, const struct br_slo *slo, struct br_backtest_history *h,
		    const struct br_backtest_sli **tw, struct br_error *err)
{
	const struct br_off_peak *op = &slo->off_peak;
	const long long day = 86400;

	memset(c, 0, sizeof(*c));
	c->slo = slo;
	c->h = h;
	c->eb = printed(br_slo_error_budget(slo));
	c->z = br_slo_confidence_z(slo->confidence);
	c->peak_shift = ((long long)op->utc_offset_min * 60 - (long long)op->to_min * 60) % day;
	if (c->peak_shift < 0)
		c->peak_shift += day;
	c->peak_len = (((long long)op->from_min - op->to_min) * 60 % day + day) % day;
	c->longw = calloc(slo->window_count + 1, sizeof(*c->longw));
	c->shortw = calloc(slo->window_count + 1, sizeof(*c->shortw));
	c->f = calloc(slo->window_count + 1, sizeof(*c->f));
	if (!c->longw || !c->shortw || !c->f)
		return br_error_set(err, BR_ENOMEM, "out of memory evaluating the backtest");
	for (size_t r = 0; r < slo->window_count; r++) {
		c->longw[r] = find(h, slo->windows[r].long_s);
		c->shortw[r] = find(h, slo->windows[r].short_s);
		c->f[r] = printed(slo->windows[r].burn_rate);
	}
	*tw = find(h, slo->window_s);
	return 0;
}

static void ctx_release(struct ctx *c)
{
	free(c->longw);
	free(c->shortw);
	free(c->f);
}

/* Whether every row of an enabled severity has its windows. */
static int rows_ready(const struct ctx *c)
{
	for (size_t r = 0; r < c->slo->window_count; r++) {
		enum br_severity s = c->slo->windows[r].severity;
		int on = !(s == BR_SEVERITY_PAGE ? c->slo->page.disabled : c->slo->ticket.disabled);

		if (on && (!c->longw[r] || !c->shortw[r]))
			return 0;
	}
	return 1;
}

/* The loop over the points from `first`: both severities, and the budget. */
static int evaluate(const struct ctx *c, size_t first, const struct br_backtest_sli *tw,
		    struct br_backtest_result *out)
{
	struct br_backtest_alert cur[2] = { { .start = -1 }, { .start = -1 } };
	int disabled[2] = { c->slo->page.disabled, c->slo->ticket.disabled };
	int rc = 0;

	for (size_t i = first; !rc && i < c->h->count; i++) {
		double t = c->h->start + (double)i * c->h->step;

		for (int s = 0; !rc && s < 2; s++)
			if (!disabled[s])
				rc = step_severity(c, (enum br_severity)s, i, &cur[s], out);
		record_budget(out, i - first, tw ? remaining_at(c, tw, i) : NAN, t);
	}
	for (int s = 0; !rc && s < 2; s++)
		if (cur[s].start >= 0) {
			cur[s].end = out->to;
			cur[s].open = 1;
			rc = add_alert(out, &cur[s]);
		}
	return rc;
}

static int by_start(const void *a, const void *b)
{
	const struct br_backtest_alert *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->severity - (int)y->severity;
}

void br_backtest_result_init(struct br_backtest_result *r)
{
	memset(r, 0, sizeof(*r));
}

void br_backtest_result_release(struct br_backtest_result *r)
{
	free(r->alerts);
	free(r->budget);
	br_backtest_result_init(r);
}

int br_backtest_run(const struct br_slo *slo, struct br_backtest_history *h, double from,
		    struct br_backtest_result *out, struct br_error *err)
{
	const struct br_backtest_sli *base = find(h, BR_BACKTEST_BASE_S), *tw = NULL;
	double at = floor((from - h->start) / h->step + 0.5);
	size_t first;
	struct ctx c;
	int rc;

	br_backtest_result_init(out);
	if (!base || h->count == 0 || at < 0 || at >= (double)h->count)
		return br_error_set(err, BR_EINVAL, !base || h->count == 0
				    ? "the history has no 5m window"
				    : "from is outside the history");
	first = (size_t)at;
	rc = ctx_init(&c, slo, h, &tw, err);
	if (!rc && !rows_ready(&c))
		rc = br_error_set(err, BR_EINVAL, "the history lacks a window of the alert table");
	if (!rc && derive(h, base))
		rc = br_error_set(err, BR_ENOMEM, "out of memory evaluating the backtest");
	out->from = h->start + (double)first * h->step;
	out->to = h->start + (double)(h->count - 1) * h->step;
	out->step = h->step;
	out->npoints = h->count - first;
	out->budget = rc ? NULL : malloc((out->npoints + 1) * sizeof(*out->budget));
	if (!rc && !out->budget)
		rc = br_error_set(err, BR_ENOMEM, "out of memory evaluating the backtest");
	if (!rc && evaluate(&c, first, tw, out))
		rc = br_error_set(err, BR_ENOMEM, "out of memory evaluating the backtest");
	ctx_release(&c);
	if (rc) {
		br_backtest_result_release(out);
		return rc;
	}
	if (out->count > 1) /* qsort may not be given NULL, even for 0 items */
		qsort(out->alerts, out->count, sizeof(*out->alerts), by_start);
	return 0;
}
