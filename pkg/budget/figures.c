/* budget figures: one SLO's reading into figures, a condition and
 * status.budget; and whether new figures are worth a status write. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget/budget.h"

#define REMAINING_STEP 0.001   /* 0.1 percentage point */
#define RELATIVE_STEP 0.25     /* of a burn rate above 1x */
#define EVENTS_STEP 0.01       /* of allowedEvents, and at least one event */

/* v to 1/scale: divided last, so 0.7 stays 0.7 (7000 * 1e-4 would be
 * 0.7000000000000001 in the status). */
static double round_to(double v, double scale)
{
	return round(v * scale) / scale;
}

/* 3 significant digits: the resolution anyone reads a burn rate at, and
 * what keeps noise out of the status. */
static double round3(double v)
{
	char tmp[32];

	if (v == 0 || !isfinite(v))
		return v;
	snprintf(tmp, sizeof(tmp), "%.3g", v);
	return strtod(tmp, NULL);
}

static int ratio_of(const struct br_budget_reading *r, long long w, double *out)
{
	for (size_t i = 0; r && i < r->nratios; i++)
		if (r->ratios[i].window_s == w) {
			*out = r->ratios[i].ratio;
			return 1;
		}
	return 0;
}

static int row_enabled(const struct br_slo *slo, const struct br_alert_window *w)
{
	return w->severity == BR_SEVERITY_PAGE ? !slo->page.disabled : !slo->ticket.disabled;
}

static int has_burn(const struct br_budget_figures *f, long long w)
{
	for (size_t i = 0; i < f->nburn; i++)
		if (f->burn[i].window_s == w)
			return 1;
	return 0;
}

static void add_burn(const struct br_slo *slo, const struct br_budget_reading *r,
		     long long w, struct br_budget_figures *f)
{
	double ratio;
	size_t i;

	if (has_burn(f, w) || f->nburn == BR_BUDGET_MAX_WINDOWS || !ratio_of(r, w, &ratio))
		return;
	/* sorted by window, so the status and messages read in order */
	for (i = f->nburn; i > 0 && f->burn[i - 1].window_s > w; i--)
		f->burn[i] = f->burn[i - 1];
	f->burn[i].window_s = w;
	f->burn[i].rate = round3(ratio / br_slo_error_budget(slo));
	f->nburn++;
}

static double burn_of(const struct br_budget_figures *f, long long w, int *ok)
{
	for (size_t i = 0; i < f->nburn; i++)
		if (f->burn[i].window_s == w) {
			*ok = 1;
			return f->burn[i].rate;
		}
	*ok = 0;
	return 0;
}

/* The first enabled page row whose two windows both burn above its
 * threshold, or NULL. */
static const struct br_alert_window *page_burn(const struct br_slo *slo,
					       const struct br_budget_figures *f)
{
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		int okl, oks;
		double l = burn_of(f, w->long_s, &okl), s = burn_of(f, w->short_s, &oks);

		if (w->severity == BR_SEVERITY_PAGE && row_enabled(slo, w) && okl && oks &&
		    l > w->burn_rate && s > w->burn_rate)
			return w;
	}
	return NULL;
}

/* Budget runs out: from the shortest long window of the table with data. */
static void exhaustion(const struct br_slo *slo, double now,
		       struct br_budget_figures *f)
{
	long long best = 0;
	double rate = 0;

	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		int ok;
		double r = burn_of(f, w->long_s, &ok);

		if (row_enabled(slo, w) && ok && (!best || w->long_s < best)) {
			best = w->long_s;
			rate = r;
		}
	}
	if (!best || f->remaining <= 0 || rate <= 1)
		return;
	f->has_exhaustion = 1;
	f->exhaustion_window_s = best;
	f->exhaustion_at = round(now + f->remaining * (double)slo->window_s / rate);
}

/* v rounded down to a whole number of events, held to +-BR_BUDGET_MAX_EVENTS
 * (a double beyond LLONG_MAX does not convert). Within 1e-9 (relative) of a
 * whole number it is that number: floating point makes 129600 events
 * 129599.99999999997 as often as 129600.00000000003. */
static long long whole_events(double v)
{
	double r;

	v = fmax(-BR_BUDGET_MAX_EVENTS, fmin(BR_BUDGET_MAX_EVENTS, v));
	r = round(v);
	return (long long)(fabs(v - r) <= 1e-9 * fmax(1, fabs(v)) ? r : floor(v));
}

/* The budget in events, when Prometheus recorded the traffic: what the
 * window allows and what is left of it. Zero traffic allows 0 and leaves 0. */
static void events(const struct br_budget_reading *r, struct br_budget_figures *f)
{
	if (!r->has_allowed || !isfinite(r->allowed) || r->allowed < 0)
		return;
	f->has_events = 1;
	f->allowed_events = whole_events(r->allowed);
	f->remaining_events = whole_events((double)f->allowed_events * r->remaining);
	if (r->has_excluded && isfinite(r->excluded) && r->excluded >= 0) {
		f->has_excluded = 1;
		f->excluded_events = whole_events(r->excluded);
	}
}

static void percent(double remaining, char out[32])
{
	double p = round_to(remaining * 100, 10);

	snprintf(out, 32, "%.1f%%", p == 0 ? 0.0 : p); /* never "-0.0%" */
}

static void write_message(const struct br_slo *slo, const struct br_alert_window *burning,
			  struct br_budget_figures *f)
{
	char pct[32], win[32], lw[32], sw[32], when[40], ew[32];
	int okl, oks, n = 0;
	size_t size = sizeof(f->message);

	percent(f->remaining, pct);
	br_duration_format(slo->window_s, win, sizeof(win));
	if (f->health == BR_BUDGET_EXHAUSTED)
		n = snprintf(f->message, size, "error budget exhausted: %s left over %s", pct, win);
	else
		n = snprintf(f->message, size, "%s of the error budget left over %s", pct, win);
	if (burning && n > 0 && (size_t)n < size) {
		double l = burn_of(f, burning->long_s, &okl);
		double s = burn_of(f, burning->short_s, &oks);
		br_duration_format(burning->long_s, lw, sizeof(lw));
		br_duration_format(burning->short_s, sw, sizeof(sw));
		n += snprintf(f->message + n, size - (size_t)n,
			      "; page-level burn: %.3gx over %s and %.3gx over %s (threshold "
			      "%.3gx)",
			      l, lw, s, sw, burning->burn_rate);
	}
	if (f->has_exhaustion && n > 0 && (size_t)n < size) {
		br_budget_format_time(f->exhaustion_at, when, sizeof(when));
		br_duration_format(f->exhaustion_window_s, ew, sizeof(ew));
		snprintf(f->message + n, size - (size_t)n,
			 "; at the %s burn rate it runs out at %s", ew, when);
	}
}

void br_budget_compute(const struct br_slo *slo,
		       const struct br_budget_reading *r, double now,
		       struct br_budget_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->evaluated_at = floor(now);
	f->window_s = slo->window_s;
	if (!r || !r->has_remaining || !isfinite(r->remaining)) {
		f->health = BR_BUDGET_NODATA;
		snprintf(f->message, sizeof(f->message),
			 "Prometheus has no " BR_BUDGET_REMAINING " for this SLO (rules "
			 "not loaded yet, or no series of the indicator)");
		return;
	}
	f->has_figures = 1;
	f->remaining = round_to(r->remaining, 1e4);
	if (f->remaining == 0)
		f->remaining = 0; /* no -0 */
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		if (row_enabled(slo, w)) {
			add_burn(slo, r, w->long_s, f);
			add_burn(slo, r, w->short_s, f);
		}
	}
	const struct br_alert_window *burning = page_burn(slo, f);
	if (r->remaining <= 0)
		f->health = BR_BUDGET_EXHAUSTED;
	else if (burning)
		f->health = BR_BUDGET_BURNING;
	else
		f->health = BR_BUDGET_WITHIN;
	exhaustion(slo, now, f);
	events(r, f);
	write_message(slo, burning, f);
}

void br_budget_unavailable(const char *why, double now,
			   struct br_budget_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->health = BR_BUDGET_UNAVAILABLE;
	f->evaluated_at = floor(now);
	snprintf(f->message, sizeof(f->message), "Prometheus unavailable: %s", why);
}

const char *br_budget_condition_status(enum br_budget_health h)
{
	switch (h) {
	case BR_BUDGET_WITHIN: return "True";
	case BR_BUDGET_BURNING:
	case BR_BUDGET_EXHAUSTED: return "False";
	default: return "Unknown";
	}
}

const char *br_budget_reason(enum br_budget_health h)
{
	static const char *const reasons[] = {
		"WithinBudget", "BudgetBurning", "BudgetExhausted", "NoData",
		"PrometheusUnavailable",
	};
	return (unsigned)h < 5 ? reasons[h] : "Unknown";
}

/* ---- status.budget ---- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v);
}

json_t *br_budget_status_json(const struct br_budget_figures *f)
{
	char pct[32], win[32], when[40];
	json_t *o, *rates;
	int failed;

	if (!f->has_figures)
		return NULL;
	o = json_object();
	rates = json_object();
	percent(f->remaining, pct);
	br_duration_format(f->window_s, win, sizeof(win));
	br_budget_format_time(f->evaluated_at, when, sizeof(when));
	failed = !o || !rates;
	for (size_t i = 0; !failed && i < f->nburn; i++) {
		char w[32];
		br_duration_format(f->burn[i].window_s, w, sizeof(w));
		failed |= set_new(rates, w, json_real(f->burn[i].rate));
	}
	failed = failed || set_new(o, "remaining", json_real(f->remaining)) ||
		 set_new(o, "remainingPercent", json_string(pct)) ||
		 set_new(o, "spent", json_real(round_to(1 - f->remaining, 1e4))) ||
		 (f->has_events &&
		  (set_new(o, "allowedEvents", json_integer(f->allowed_events)) ||
		   set_new(o, "remainingEvents", json_integer(f->remaining_events)))) ||
		 (f->has_excluded &&
		  set_new(o, "excludedEvents", json_integer(f->excluded_events))) ||
		 set_new(o, "window", json_string(win)) ||
		 json_object_set(o, "burnRates", rates) ||
		 set_new(o, "evaluatedAt", json_string(when));
	if (!failed && f->has_exhaustion) {
		char ew[32];
		br_budget_format_time(f->exhaustion_at, when, sizeof(when));
		br_duration_format(f->exhaustion_window_s, ew, sizeof(ew));
		failed = set_new(o, "exhaustionTime", json_string(when)) ||
			 set_new(o, "exhaustionWindow", json_string(ew));
	}
	json_decref(rates);
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- meaningful change ---- */

static int str_differs(const char *a, const char *b)
{
	return (!a != !b) || (a && strcmp(a, b) != 0);
}

/* Whether a and b sit on different sides of a threshold that matters for
 * window w: 1x, and the burn rate of every enabled row using w. */
static int crossed(const struct br_slo *slo, long long w, double a, double b)
{
	if ((a > 1) != (b > 1))
		return 1;
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *r = &slo->windows[i];
		if (row_enabled(slo, r) && (r->long_s == w || r->short_s == w) &&
		    (a > r->burn_rate) != (b > r->burn_rate))
			return 1;
	}
	return 0;
}

static int rates_changed(const struct br_slo *slo, const json_t *a, const json_t *b)
{
	const char *k;
	json_t *va;

	if (json_object_size(a) != json_object_size(b))
		return 1;
	json_object_foreach((json_t *)a, k, va) {
		json_t *vb = json_object_get(b, k);
		long long w;
		double x = json_number_value(va), y = json_number_value(vb);

		if (!json_is_number(va) || !json_is_number(vb) || br_duration_parse(k, &w) != 0)
			return 1;
		if (crossed(slo, w, x, y))
			return 1;
		if (fmax(x, y) >= 1 && fabs(x - y) > RELATIVE_STEP * fmax(x, y))
			return 1;
	}
	return 0;
}

static int exhaustion_changed(const json_t *a, const json_t *b, double now)
{
	const char *ta = json_string_value(json_object_get(a, "exhaustionTime"));
	const char *tb = json_string_value(json_object_get(b, "exhaustionTime"));
	double x, y;

	if (!ta || !tb)
		return !ta != !tb;
	if (str_differs(json_string_value(json_object_get(a, "exhaustionWindow")),
			json_string_value(json_object_get(b, "exhaustionWindow"))))
		return 1;
	if (br_budget_parse_time(ta, &x) != 0 || br_budget_parse_time(tb, &y) != 0)
		return 1;
	return fabs(x - y) > fmax(60, 0.1 * (fmin(x, y) - now));
}

/* Whether allowedEvents or remainingEvents appeared, went, or moved by
 * EVENTS_STEP of allowedEvents (at least one event). */
static int events_changed(const json_t *a, const json_t *b)
{
	const json_t *aa = json_object_get(a, "allowedEvents");
	const json_t *ab = json_object_get(b, "allowedEvents");
	const json_t *ra = json_object_get(a, "remainingEvents");
	const json_t *rb = json_object_get(b, "remainingEvents");
	double step;

	if (!aa != !ab || !ra != !rb)
		return 1;
	if (!aa && !ra)
		return 0;
	if (!json_is_number(aa) || !json_is_number(ab) || !json_is_number(ra) ||
	    !json_is_number(rb))
		return 1;
	step = fmax(1, EVENTS_STEP * fmax(fabs(json_number_value(aa)),
					  fabs(json_number_value(ab))));
	const json_t *xa = json_object_get(a, "excludedEvents");
	const json_t *xb = json_object_get(b, "excludedEvents");
	if (!xa != !xb || (xa && fabs(json_number_value(xa) - json_number_value(xb)) >= step))
		return 1;
	return fabs(json_number_value(aa) - json_number_value(ab)) >= step ||
	       fabs(json_number_value(ra) - json_number_value(rb)) >= step;
}

int br_budget_changed(const struct br_slo *slo, const json_t *old_budget,
		      const char *old_reason, const json_t *new_budget,
		      const char *new_reason, double now)
{
	const json_t *ra, *rb;

	if (str_differs(old_reason, new_reason))
		return 1;
	if (!old_budget || !new_budget)
		return !old_budget != !new_budget;
	ra = json_object_get(old_budget, "remaining");
	rb = json_object_get(new_budget, "remaining");
	if (!json_is_number(ra) || !json_is_number(rb) ||
	    fabs(json_number_value(ra) - json_number_value(rb)) >= REMAINING_STEP - 1e-9)
		return 1;
	if (str_differs(json_string_value(json_object_get(old_budget, "window")),
			json_string_value(json_object_get(new_budget, "window"))))
		return 1;
	if (events_changed(old_budget, new_budget))
		return 1;
	if (rates_changed(slo, json_object_get(old_budget, "burnRates"),
			  json_object_get(new_budget, "burnRates")))
		return 1;
	return exhaustion_changed(old_budget, new_budget, now);
}

/* ---- time ---- */

void br_budget_format_time(double t, char *out, size_t size)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int br_budget_parse_time(const char *s, double *t)
{
	/* the form the controller writes, "Z" and whole seconds, only */
	if (strlen(s) != 20 || s[19] != 'Z')
		return -1;
	return br_time_parse_exact(s, t) == 0 ? 0 : -1;
}
