/* explain_traffic: the alert table in events. At steady traffic r, a row's
 * long window L holds N = r * L events; k errors in a row replace successes,
 * so the window holds k errors out of N. The row fires once k / N > f * eb,
 * or, with spec.traffic.confidence, once the Wilson lower bound of k out of N
 * is above f * eb (what the rules compute), and only when N >= minEvents.
 * From that: which rows can fire at all, the budget in events, what pages at
 * night, and what to change (confidence, the low-traffic preset, off-peak
 * hours) when the traffic calls for it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "explain.h"

/* Below these, explain recommends a change (docs/low-traffic.md says why):
 * a page row whose window holds fewer events than FEW_EVENTS pages on a
 * handful of errors; under HANDFUL_EVENTS, or with fewer than FEW_FAILURES
 * allowed per window, ratios over hours mean little; an hour with under
 * 1/QUIET_SHARE of the peak hour's traffic is quiet. */
#define FEW_EVENTS 150.0
#define HANDFUL_EVENTS 20.0
#define FEW_FAILURES 20.0
#define QUIET_SHARE 5.0

/* Continuation lines of the "label:   value" lines. */
#define INDENT "                 "

static int row_fires(double k, double n, double thr, double z)
{
	return z > 0 ? br_slo_wilson_lower(k, n, z) > thr : k / n > thr;
}

long long explain_errors_to_fire(double n, double thr, double z)
{
	long long lo = 1, hi;

	if (!(n >= 1) || n > 9e15)
		return 0;
	hi = (long long)floor(n);
	if (!row_fires((double)hi, n, thr, z))
		return 0;
	/* both conditions grow with k: the smallest k is a bisection away */
	while (lo < hi) {
		long long mid = lo + (hi - lo) / 2;

		if (row_fires((double)mid, n, thr, z))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The confidence the table shows: the spec's, or the one explain suggests. */
static double shown_confidence(const struct br_slo *slo)
{
	return slo->confidence > 0 ? slo->confidence : EXPLAIN_DEFAULT_CONFIDENCE;
}

/* k as a column cell: the number, or why it never fires. */
static char *k_cell(const struct br_slo *slo, double n, long long k, char *out, size_t size)
{
	if (slo->min_events > 0 && n < (double)slo->min_events)
		snprintf(out, size, "never (minEvents)");
	else if (k == 0)
		snprintf(out, size, "never");
	else
		snprintf(out, size, "%lld", k);
	return out;
}

/* k_cell in a sentence: "1 error", "3 errors", "never (minEvents)". */
static char *errors_cell(const struct br_slo *slo, double n, long long k, char *out, size_t size)
{
	k_cell(slo, n, k, out, size);
	if (k > 0 && strncmp(out, "never", 5) != 0)
		snprintf(out, size, "%lld error%s", k, k == 1 ? "" : "s");
	return out;
}

/* The off-peak (or, without offPeak, quiet) hours' average events per hour,
 * or NAN. what says which. */
struct night {
	double per_hour;        /* NAN: no hours known */
	int from_h, len;        /* the quiet block found, local hours */
	double peak;            /* events in the busiest hour */
	int peak_h;
	const char *what;
};

/* The longest run of hours (wrapping at midnight, 2 to 23 hours) whose
 * traffic is under a QUIET_SHARE-th of the peak. */
static void quiet_block(const struct explain_traffic *t, struct night *n)
{
	n->len = 0;
	for (int start = 0; start < 24; start++) {
		int len = 0;

		if (t->per_hour[(start + 23) % 24] * QUIET_SHARE < n->peak)
			continue; /* not the start of a run */
		while (len < 24 && t->per_hour[(start + len) % 24] * QUIET_SHARE < n->peak)
			len++;
		if (len >= 2 && len < 24 && len > n->len) {
			n->from_h = start;
			n->len = len;
		}
	}
}

static void find_night(const struct br_slo *slo, const struct explain_traffic *t, struct night *n)
{
	double sum = 0;
	int count = 0;

	memset(n, 0, sizeof(*n));
	n->per_hour = NAN;
	if (!t->have_hours)
		return;
	for (int h = 0; h < 24; h++)
		if (t->per_hour[h] > n->peak) {
			n->peak = t->per_hour[h];
			n->peak_h = h;
		}
	quiet_block(t, n);
	for (int h = 0; h < 24; h++) {
		int in = slo->off_peak.enabled ? explain_off_peak_hour(&slo->off_peak, h)
			 : n->len && (h - n->from_h + 24) % 24 < n->len;

		if (in && !isnan(t->per_hour[h])) {
			sum += t->per_hour[h];
			count++;
		}
	}
	if (count > 0) {
		n->per_hour = sum / count;
		n->what = slo->off_peak.enabled ? "the off-peak hours (spec.alerting.offPeak)"
			  : "the quiet hours";
	}
}

static void print_hours(const struct explain_traffic *t, const struct night *n)
{
	char v[32], zone[48];
	int a = t->offset_min < 0 ? -t->offset_min : t->offset_min;

	/* "local" would be ambiguous: name the offset the hours are at */
	if (t->offset_min)
		snprintf(zone, sizeof(zone), "local at UTC%c%02d:%02d",
			 t->offset_min < 0 ? '-' : '+',
			 a / 60, a % 60);
	else
		snprintf(zone, sizeof(zone), "UTC");
	printf("  by hour:       events in each hour of the day, %s:\n", zone);
	for (int h = 0; h < 24; h++) {
		if (isnan(t->per_hour[h]))
			snprintf(v, sizeof(v), "-");
		else
			explain_count(t->per_hour[h], v, sizeof(v));
		printf("%s%02d:00 %9s%s", h % 6 ? "  " : "    ", h, v, h % 6 == 5 ? "\n" : "");
	}
	printf("  peak hour:     %s events/hour (%02d:00-%02d:00, %s)\n",
	       explain_count(n->peak, v, sizeof(v)), n->peak_h, (n->peak_h + 1) % 24, zone);
	if (n->len)
		printf("  quiet hours:   %02d:00-%02d:00 (%s): under a fifth of the peak hour\n",
		       n->from_h, (n->from_h + n->len) % 24, zone);
	if (!isnan(n->per_hour))
		printf("  off-peak rate: %s events/hour on average in %s\n",
		       explain_count(n->per_hour, v, sizeof(v)), n->what);
}

static void print_volume(const struct br_slo *slo, const struct explain_traffic *t)
{
	double eb = br_slo_error_budget(slo), days = (double)slo->window_s / 86400;
	double allowed = t->have_budget ? t->allowed : eb * t->per_day * days;
	char a[32], b[32], c[32], p[32], w[32], d[32], line[512];

	if (t->days > 0)
		snprintf(line, sizeof(line),
			 "%s events a day, %s an hour on average, over the last %s "
			 "(%s)", explain_count(t->per_day, a, sizeof(a)),
			 explain_count(t->per_day / 24, b, sizeof(b)),
			 explain_dur(t->days * 86400, d, sizeof(d)), t->source);
	else
		snprintf(line, sizeof(line), "%s events a day, %s an hour (%s)",
			 explain_count(t->per_day, a, sizeof(a)),
			 explain_count(t->per_day / 24, b, sizeof(b)), t->source);
	explain_wrap("\n  traffic:      ", line, INDENT);
	printf("  budget:        %s of %s events per %s window: %s failures allowed\n",
	       explain_pct(eb, p, sizeof(p)), explain_count(t->per_day * days, a, sizeof(a)),
	       br_duration_format(slo->window_s, w, sizeof(w)),
	       explain_count(allowed, b, sizeof(b)));
	if (!t->have_budget)
		return;
	snprintf(line, sizeof(line), "%s of %s failures (%s of the budget; %s)",
		 explain_count(t->allowed * t->remaining, a, sizeof(a)),
		 explain_count(t->allowed, b, sizeof(b)), explain_pct(t->remaining, c, sizeof(c)),
		 t->budget_from);
	explain_wrap("  budget left:  ", line, INDENT);
}

/* The events a row's long window holds at the average traffic. */
static double row_events(const struct explain_traffic *t, const struct br_alert_window *r)
{
	return t->per_day / 86400 * (double)r->long_s;
}

static const char *verdict(const struct br_slo *slo, const struct br_alert_window *r,
			   double n, long long k, long long kb)
{
	if (explain_row_disabled(slo, r))
		return "no: disabled";
	if (slo->min_events > 0 && n < (double)slo->min_events)
		return "no: under minEvents";
	if (k == 0)
		return "no: too few events";
	if (slo->confidence > 0 && kb == 0)
		return "no: too few events for the bound";
	return "yes";
}

static void print_rows(const struct br_slo *slo, const struct explain_traffic *t)
{
	double eb = br_slo_error_budget(slo), c = shown_confidence(slo);
	double z = br_slo_confidence_z(c);
	char name[64], f[32], lw[32], n[32], k1[32], k2[32], hc[32];

	snprintf(hc, sizeof(hc), "at %s%%%s", cli_number(c, f, sizeof(f)),
		 slo->confidence > 0 ? "" : " (unset)");
	printf("\n  Errors in a row that fire each row (they replace successes, so the long\n"
	       "  window still holds its events; the bound is the Wilson lower bound):\n");
	printf("  %-12s %5s  %12s  %17s  %17s  %s\n", "row", "long", "events in", "errors to fire",
	       "errors to fire", "can fire");
	printf("  %-12s %5s  %12s  %17s  %17s\n", "", "", "long window", "without bound", hc);
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *r = &slo->windows[i];
		double ev = row_events(t, r), thr = r->burn_rate * eb;
		long long k = explain_errors_to_fire(ev, thr, 0);
		long long kb = explain_errors_to_fire(ev, thr, z);

		snprintf(name, sizeof(name), "%s %sx", explain_sev(r->severity),
			 cli_number(r->burn_rate, f, sizeof(f)));
		printf("  %-12s %5s  %12s  %17s  %17s  %s\n", name,
		       br_duration_format(r->long_s, lw, sizeof(lw)),
		       explain_count(ev, n, sizeof(n)),
		       k_cell(slo, ev, k, k1, sizeof(k1)), k_cell(slo, ev, kb, k2, sizeof(k2)),
		       verdict(slo, r, ev, k, kb));
	}
}

/* What it takes to page in the off-peak (or quiet) hours, at their traffic. */
static void print_night_pages(const struct br_slo *slo, const struct night *nt)
{
	double eb = br_slo_error_budget(slo), z = br_slo_confidence_z(slo->confidence);
	char a[32], lw[32], f[32], k1[32], d[32];
	int any = 0;

	if (isnan(nt->per_hour) || slo->page.disabled)
		return;
	printf("\n  At night: %s events/hour in %s\n", explain_count(nt->per_hour, a, sizeof(a)),
	       nt->what);
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *r = &slo->windows[i];
		double ev = nt->per_hour / 3600 * (double)r->long_s;
		long long k = explain_errors_to_fire(ev, r->burn_rate * eb, z);

		if (r->severity != BR_SEVERITY_PAGE || (slo->off_peak.enabled && r->off_peak_muted))
			continue;
		any++;
		printf("  - page %sx over %s sees %s events: it pages after %s in a row%s;\n"
		       "    a full outage pages after %s\n",
		       cli_number(r->burn_rate, f, sizeof(f)),
		       br_duration_format(r->long_s, lw, sizeof(lw)),
		       explain_count(ev, a, sizeof(a)), errors_cell(slo, ev, k, k1, sizeof(k1)),
		       z > 0 ? " (with the bound)" : "",
		       explain_dur((double)r->long_s * r->burn_rate * eb, d, sizeof(d)));
	}
	if (!any)
		printf("  - every page row is muted: an outage at night never pages\n");
}

struct advice {
	int any;
};

static void advise(struct advice *a, const char *what, const char *why)
{
	if (!a->any++)
		printf("\n  Recommended:\n");
	printf("  - %s\n    %s\n", what, why);
}

/* The fewest events any enabled page row's long window holds, at the night
 * rate for rows that fire at night when it is known; *which is that row. */
static double fewest_page_events(const struct br_slo *slo, const struct explain_traffic *t,
				 const struct night *nt, const struct br_alert_window **which)
{
	double fewest = INFINITY;

	*which = NULL;
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *r = &slo->windows[i];
		int night = !isnan(nt->per_hour) && !(slo->off_peak.enabled && r->off_peak_muted);
		double ev = night ? nt->per_hour / 3600 * (double)r->long_s : row_events(t, r);

		if (r->severity == BR_SEVERITY_PAGE && !explain_row_disabled(slo, r) &&
		    ev < fewest) {
			fewest = ev;
			*which = r;
		}
	}
	return fewest;
}

static void advise_confidence(const struct br_slo *slo, double ev,
			      const struct br_alert_window *r, struct advice *a)
{
	double eb = br_slo_error_budget(slo);
	double z = br_slo_confidence_z(EXPLAIN_DEFAULT_CONFIDENCE);
	char why[512], lw[32], n[32], k1[32], k2[32];

	if (slo->confidence > 0 || !r || ev >= FEW_EVENTS)
		return;
	snprintf(why, sizeof(why),
		 "the %s page row's window holds only %s events, so it pages after %s in a\n"
		 "    row; with the bound it takes %s, while a real outage still pages",
		 br_duration_format(r->long_s, lw, sizeof(lw)), explain_count(ev, n, sizeof(n)),
		 errors_cell(slo, ev, explain_errors_to_fire(ev, r->burn_rate * eb, 0), k1,
			     sizeof(k1)),
		 errors_cell(slo, ev, explain_errors_to_fire(ev, r->burn_rate * eb, z), k2,
			     sizeof(k2)));
	advise(a, "spec.traffic.confidence: 95", why);
}

static void advise_preset(const struct br_slo *slo, const struct explain_traffic *t,
			  double ev, struct advice *a)
{
	double eb = br_slo_error_budget(slo), days = (double)slo->window_s / 86400;
	double allowed = t->have_budget ? t->allowed : eb * t->per_day * days;
	char why[512], n[32];

	if (strcmp(slo->preset->name, "low-traffic") == 0 || slo->indicator == BR_INDICATOR_RAW)
		return;
	if (allowed < FEW_FAILURES)
		snprintf(why, sizeof(why),
			 "the window allows only %s failures: rows over hours fire on a\n"
			 "    handful of errors; its rows are days long",
			 explain_count(allowed, n, sizeof(n)));
	else if (ev < HANDFUL_EVENTS)
		snprintf(why, sizeof(why),
			 "the fastest page row sees only %s events; the preset's rows are\n"
			 "    days long and it pages only when asked to",
			 explain_count(ev, n, sizeof(n)));
	else
		return;
	advise(a, "spec.alerting.preset: low-traffic", why);
}

static void advise_off_peak(const struct br_slo *slo, const struct explain_traffic *t,
			    const struct night *nt, struct advice *a)
{
	char what[128], why[256], v[32], p[32];

	if (slo->off_peak.enabled || !nt->len)
		return;
	/* hours are UTC without an offPeak offset (explain_prom): say so */
	snprintf(what, sizeof(what), "spec.alerting.offPeak: {from: \"%02d:00\", to: \"%02d:00\", "
		 "utcOffset: \"+00:00\"}", nt->from_h, (nt->from_h + nt->len) % 24);
	snprintf(why, sizeof(why),
		 "from %02d:00 to %02d:00 UTC the service sees %s events/hour, under a\n"
		 "    fifth of the peak hour's %s; the fastest page row is then muted",
		 nt->from_h, (nt->from_h + nt->len) % 24, explain_count(nt->per_hour, v, sizeof(v)),
		 explain_count(nt->peak, p, sizeof(p)));
	(void)t;
	advise(a, what, why);
}

static void recommend(const struct br_slo *slo, const struct explain_traffic *t,
		      const struct night *nt)
{
	const struct br_alert_window *r;
	double ev = fewest_page_events(slo, t, nt, &r);
	struct advice a = { 0 };

	advise_confidence(slo, ev, r, &a);
	advise_preset(slo, t, ev, &a);
	advise_off_peak(slo, t, nt, &a);
	if (!a.any)
		printf("\n  Recommended:   nothing: the alert table fits this traffic\n");
}

void explain_traffic(const struct br_slo *slo, const struct explain_traffic *t)
{
	struct night nt;

	if (!t->known) {
		if (slo->indicator != BR_INDICATOR_RAW)
			printf("\n  traffic:       unknown: the figures in events (errors to fire "
			       "each row,\n"
			       "                 failures the window allows) need traffic: set\n"
			       "                 spec.traffic.expectedEventsPerDay, or give "
			       "--prometheus-url\n");
		return;
	}
	find_night(slo, t, &nt);
	print_volume(slo, t);
	if (t->have_hours)
		print_hours(t, &nt);
	print_rows(slo, t);
	print_night_pages(slo, &nt);
	recommend(slo, t, &nt);
}
