/* rules.c: the Prometheus rules of one SLO (recording rules per window, the
 * event-weighted budget, the multi-window multi-burn-rate alerts). */
#include "rules/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "rules/internal.h"

/* Windows up to this length are computed from raw series; longer ones from
 * the 5m recorded series, so no evaluation re-reads days of raw samples. */
#define RAW_MAX_S (6 * 3600LL)
/* The base window every longer window is built from. */
#define BASE_S 300LL
#define LONG_INTERVAL "1m"
#define BUDGET_INTERVAL "5m"

#define REC_REQUESTS "burnrate:sli_requests:rate"
#define REC_ERRORS "burnrate:sli_errors:rate"
#define REC_RATIO "burnrate:sli_error_ratio:rate"
#define REC_LOWER "burnrate:sli_error_ratio_lower:rate"
#define REC_REMAINING "burnrate:error_budget:remaining"
#define REC_OBJECTIVE "burnrate:slo:objective_ratio"
#define REC_ALLOWED "burnrate:error_budget:allowed_events"
/* With BudgetCorrections: 1 while events are left out (a correction's
 * window and the BASE_S after it, whose 5m rates still hold the window's
 * events), the requests so left out, and their events over the budget
 * window. */
#define REC_EXCLUDING "burnrate:budget_correction:excluding"
#define REC_EXCLUDED "burnrate:sli_requests_excluded:rate"
#define REC_EXCLUDED_EVENTS "burnrate:error_budget:excluded_events"
/* A time-slice SLO's value of each slice, and 1 for a bad slice, 0 for a
 * good one (no sample for a slice without data, unless noData says). */
#define REC_SLICE_VALUE "burnrate:slice_value"
#define REC_SLICE_BAD "burnrate:slice_bad"
/* More distinct durations than one SLO uses (its windows, the SLO window). */
#define DUR_CACHE 16

/* The series an SLO sums over: each is rendered once per SLO (it appears
 * in every window's expressions) and then copied. */
enum series { SERIES_TOTAL, SERIES_ERRORS, SERIES_GOOD, SERIES_BUCKET, SERIES_COUNT };

/* What every builder needs: the SLO, its {slo=..,slo_namespace=..}
 * selector, the error budget and the windows the alert table uses. */
struct ctx {
	const struct br_slo *slo;
	struct br_buf sel;
	struct br_buf series[SERIES_COUNT]; /* empty until first used */
	char eb[32];
	double z;           /* of spec.traffic.confidence; 0 without it */
	long long *windows; /* sorted, distinct, always containing BASE_S */
	size_t nwindows;
	/* durations already formatted: one SLO asks for the same few windows
	 * ~100 times, and br_duration_format is a snprintf per unit */
	struct {
		long long s;
		char text[32];
	} durs[DUR_CACHE];
	size_t ndurs;
	struct br_error *err;
	/* BR_RULES_TARGET_VICTORIAMETRICS: counters read with
	   increase_prometheus()/W (add_sum_rate) */
	int increase_per_s;
};

/* Numbers in expressions and text: 14.4 stays 14.4, 0.005 stays 0.005
 * (1 - 99.5/100 is 0.0050000000000000044 in binary; 10 digits hide that). */
static char *fmt_num(double v, char out[32])
{
	snprintf(out, 32, "%.10g", v);
	return out;
}

/* The text of duration s: from c's cache, else formatted into the cache,
 * else (cache full) into out. Valid while c lives (or out does). */
static const char *fmt_dur(struct ctx *c, long long s, char out[32])
{
	size_t i;

	for (i = 0; i < c->ndurs; i++)
		if (c->durs[i].s == s)
			return c->durs[i].text;
	if (c->ndurs == DUR_CACHE)
		return br_duration_format(s, out, 32);
	c->durs[c->ndurs].s = s;
	return br_duration_format(s, c->durs[c->ndurs++].text, 32);
}

static int oom(struct ctx *c)
{
	return br_error_set(c->err, BR_ENOMEM,
			    "out of memory (or a string is not UTF-8) while building rules");
}

/* Sets key to a new string; jansson refuses non-UTF-8, which a parsed SLO
 * never holds, so any failure is reported as out of memory. */
static int set_str(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, json_string(value)) ? BR_ENOMEM : 0;
}

/* Sets key to value as Prometheus will read it back from an alerting rule's
 * labels, which it expands as Go templates: every "{{" from the spec is
 * written as {{ "{{" }} so it stays text instead of becoming template code. */
/* Appends value so that Prometheus's template expansion gives it back as
 * written: every "{{" becomes {{ "{{" }}. Label values and annotations are
 * templates, and a spec field must never become template code. */
static int add_literal(const char *value, struct br_buf *b)
{
	const char *p = value, *hit;

	while ((hit = strstr(p, "{{")) != NULL) {
		br_buf_add(b, p, (size_t)(hit - p));
		br_buf_adds(b, "{{ \"{{\" }}");
		p = hit + 2;
	}
	return br_buf_adds(b, p);
}

static int set_literal(json_t *obj, const char *key, const char *value)
{
	struct br_buf b;
	int rc;

	if (!strstr(value, "{{"))
		return set_str(obj, key, value);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	rc = add_literal(value, &b) ? BR_ENOMEM : set_str(obj, key, br_buf_str(&b));
	br_buf_release(&b);
	return rc;
}

static const struct br_route *route_of(const struct br_slo *slo,
				       enum br_severity sev)
{
	return sev == BR_SEVERITY_PAGE ? &slo->page : &slo->ticket;
}

static int row_enabled(const struct br_slo *slo, const struct br_alert_window *w)
{
	return !route_of(slo, w->severity)->disabled;
}

/* --- windows ------------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Collects BASE_S and both windows of every enabled row, sorted, distinct. */
static int collect_windows(struct ctx *c)
{
	const struct br_slo *slo = c->slo;
	size_t n = 0, i, out = 0;

	c->windows = malloc((2 * slo->window_count + 1) * sizeof(*c->windows));
	if (!c->windows)
		return oom(c);
	c->windows[n++] = BASE_S;
	for (i = 0; i < slo->window_count; i++) {
		if (!row_enabled(slo, &slo->windows[i]))
			continue;
		c->windows[n++] = slo->windows[i].long_s;
		c->windows[n++] = slo->windows[i].short_s;
	}
	qsort(c->windows, n, sizeof(*c->windows), cmp_ll);
	for (i = 0; i < n; i++)
		if (out == 0 || c->windows[out - 1] != c->windows[i])
			c->windows[out++] = c->windows[i];
	c->nwindows = out;
	return 0;
}

static int has_window(const struct ctx *c, long long w)
{
	size_t i;

	for (i = 0; i < c->nwindows; i++)
		if (c->windows[i] == w)
			return 1;
	return 0;
}

/* --- expressions --------------------------------------------------------- */

/* Appends "<prefix><W>{slo=...,slo_namespace=...}". */
static int add_rec_ref(struct ctx *c, const char *prefix, long long w, struct br_buf *b)
{
	char d[32];

	br_buf_adds(b, prefix);
	br_buf_adds(b, fmt_dur(c, w, d));
	return br_buf_adds(b, br_buf_str(&c->sel));
}

/* The le matcher of a latency SLO. An integral threshold N matches "N" and
 * "N.0" because exporters disagree on how they print bucket bounds. */
static void le_matcher(const struct br_slo *slo, struct br_matcher *m, char *value)
{
	char n[32];
	double t = slo->threshold_s;

	m->name = "le";
	if (t == floor(t) && fabs(t) < 1e15) {
		m->op = BR_MATCH_RE;
		snprintf(value, 64, "%.0f(\\.0)?", t);
	} else {
		m->op = BR_MATCH_EQ;
		snprintf(value, 64, "%s", fmt_num(t, n));
	}
	m->value = value;
}

/* Renders series into out: total (the histogram's _count for a latency
 * SLO), errors, good, or the histogram's _bucket{le=...}. */
static int render_series(const struct br_slo *slo, enum series which,
			 struct br_buf *out)
{
	struct br_matcher le;
	char lev[64];

	switch (which) {
	case SERIES_TOTAL:
		if (slo->indicator == BR_INDICATOR_LATENCY)
			return br_selector_render(&slo->histogram, "_count", NULL, out);
		return br_selector_render(&slo->total, NULL, NULL, out);
	case SERIES_ERRORS:
		return br_selector_render(&slo->errors, NULL, NULL, out);
	case SERIES_GOOD:
		return br_selector_render(&slo->good, NULL, NULL, out);
	default:
		le_matcher(slo, &le, lev);
		return br_selector_render(&slo->histogram, "_bucket", &le, out);
	}
}

/* Appends "sum(rate(<series>[W]))", or for VictoriaMetrics
 * "(sum(increase_prometheus(<series>[W])) / <W in s>)". VictoriaMetrics'
 * rate() of a series younger than W is its slope over its own life, not its
 * increase over W: a 5xx series born with a service's first errors then
 * reads as if they had been failing for the whole window (a 3-error blip
 * pages). Its increase() instead counts a new series from 0 when its first
 * value is small, so a counter first seen at 7 with no traffic reads as 7
 * errors (a ticket on an idle service). increase_prometheus() reads only the
 * samples inside W, as Prometheus does, without extrapolating: the same
 * ratios, and counts short by one scrape interval per window (both
 * tests/victoriametrics/newseries and tests/promtool/zero hold). */
static int add_sum_rate(struct ctx *c, enum series which, long long w, struct br_buf *b)
{
	struct br_buf *text = &c->series[which];
	char d[32];

	if (text->len == 0 && render_series(c->slo, which, text)) {
		br_buf_release(b);   /* as a failed append into b would */
		return BR_ENOMEM;
	}
	if (c->increase_per_s) {
		br_buf_adds(b, "(sum(increase_prometheus(");
		br_buf_add(b, text->data, text->len);
		br_buf_addc(b, '[');
		br_buf_adds(b, fmt_dur(c, w, d));
		return br_buf_addf(b, "])) / %lld)", w);
	}
	br_buf_adds(b, "sum(rate(");
	br_buf_add(b, text->data, text->len);
	br_buf_addc(b, '[');
	br_buf_adds(b, fmt_dur(c, w, d));
	return br_buf_adds(b, "]))");
}

/* TOTAL over W: sum(rate(total[W])), or the histogram's _count. */
static int add_total(struct ctx *c, long long w, struct br_buf *b)
{
	return add_sum_rate(c, SERIES_TOTAL, w, b);
}

/* ERRORS over W. Missing error (or good) series count as 0, not as "no
 * data": many apps export no 5xx series until the first error. */
static int add_errors(struct ctx *c, long long w, struct br_buf *b)
{
	const struct br_slo *slo = c->slo;

	if (slo->indicator == BR_INDICATOR_RATIO && !slo->ratio_has_good) {
		add_sum_rate(c, SERIES_ERRORS, w, b);
		br_buf_adds(b, " or 0 * ");
		return add_total(c, w, b);
	}
	add_total(c, w, b);
	br_buf_adds(b, " - (");
	add_sum_rate(c, slo->indicator == BR_INDICATOR_LATENCY ? SERIES_BUCKET : SERIES_GOOD, w, b);
	br_buf_adds(b, " or 0 * ");
	add_total(c, w, b);
	return br_buf_adds(b, ")");
}

/* avg_over_time(<prefix>5m{sel}[W]): a long window from the 5m records. */
static int add_avg_5m(struct ctx *c, const char *prefix, long long w, struct br_buf *b)
{
	char d[32];

	br_buf_adds(b, "avg_over_time(");
	add_rec_ref(c, prefix, BASE_S, b);
	br_buf_addc(b, '[');
	br_buf_adds(b, fmt_dur(c, w, d));
	return br_buf_adds(b, "])");
}

/* The user's raw expression with every "$window" replaced by W. */
static int add_raw(struct ctx *c, const char *expr, long long w, struct br_buf *b)
{
	static const char key[] = "$window";
	char tmp[32];
	const char *p = expr, *hit, *d = fmt_dur(c, w, tmp);

	while ((hit = strstr(p, key)) != NULL) {
		br_buf_add(b, p, (size_t)(hit - p));
		br_buf_adds(b, d);
		p = hit + sizeof(key) - 1;
	}
	return br_buf_adds(b, p);
}

/* errors{sel} / (requests{sel} > 0): zero traffic gives no sample, never NaN. */
static int add_ratio_of_recs(struct ctx *c, long long w, struct br_buf *b)
{
	add_rec_ref(c, REC_ERRORS, w, b);
	br_buf_adds(b, " / (");
	add_rec_ref(c, REC_REQUESTS, w, b);
	return br_buf_adds(b, " > 0)");
}

/* The error ratio of W clamped to [0, 1]: errors and requests are separate
 * series, so at a full outage their rates can cross by a hair, and
 * p * (1 - p) must never go negative under the square root. */
static int add_clamped_ratio(struct ctx *c, long long w, struct br_buf *b)
{
	br_buf_adds(b, "clamp_max(clamp_min(");
	add_rec_ref(c, REC_RATIO, w, b);
	return br_buf_adds(b, ", 0), 1)");
}

/* The events of W: the recorded rate times the window. */
static int add_events(struct ctx *c, long long w, struct br_buf *b)
{
	add_rec_ref(c, REC_REQUESTS, w, b);
	return br_buf_addf(b, " * %lld", w);
}

/* The lower bound of the Wilson score interval of W's error ratio at z
 * (br_slo_wilson_lower), with p the ratio and n the events:
 *   (p*n + z^2/2 - z * sqrt(p*(1-p)*n + z^2/4)) / (n + z^2)
 * At zero traffic the ratio has no sample, so neither has the bound: never
 * NaN. With many events it nears p (at 600 events a minute over 1h it is p
 * minus 1.6 standard errors, within the noise of p itself). */
static int add_lower_bound(struct ctx *c, long long w, struct br_buf *b)
{
	char z[32], z2h[32], z2q[32], z2[32];

	fmt_num(c->z, z);
	fmt_num(c->z * c->z / 2, z2h);
	fmt_num(c->z * c->z / 4, z2q);
	fmt_num(c->z * c->z, z2);
	br_buf_adds(b, "(");
	add_clamped_ratio(c, w, b);
	br_buf_adds(b, " * ");
	add_events(c, w, b);
	br_buf_addf(b, " + %s - %s * sqrt(", z2h, z);
	add_clamped_ratio(c, w, b);
	br_buf_adds(b, " * (1 - ");
	add_clamped_ratio(c, w, b);
	br_buf_adds(b, ") * ");
	add_events(c, w, b);
	br_buf_addf(b, " + %s)) / (", z2q);
	add_events(c, w, b);
	return br_buf_addf(b, " + %s)", z2);
}

/* Does an enabled row use W as its long window with the bound? */
static int needs_lower(const struct ctx *c, long long w)
{
	for (size_t i = 0; c->z > 0 && i < c->slo->window_count; i++)
		if (c->slo->windows[i].long_s == w && row_enabled(c->slo, &c->slo->windows[i]))
			return 1;
	return 0;
}

/* --- rules and groups ---------------------------------------------------- */

static json_t *slo_labels(const struct ctx *c)
{
	json_t *l = json_object();

	if (!l || set_str(l, "slo", c->slo->name) ||
	    set_str(l, "slo_namespace", c->slo->namespace)) {
		json_decref(l);
		return NULL;
	}
	return l;
}

/* Appends {record, expr, labels} to rules, taking the expression from b
 * (which is reset). */
static int add_record(struct ctx *c, json_t *rules, const char *prefix,
		      long long w, struct br_buf *b)
{
	char name[128], d[32];
	json_t *r = json_object(), *labels = slo_labels(c);
	const char *dur = w ? fmt_dur(c, w, d) : "";
	size_t np = strlen(prefix), nd = strlen(dur);
	int failed;

	/* prefix is one of our REC_ names (< 64 bytes) and dur < 32 bytes, so
	 * this never truncates; the clamp only keeps name bounded regardless */
	if (np > 64)
		np = 64;
	if (nd > 63)
		nd = 63;
	memcpy(name, prefix, np);
	memcpy(name + np, dur, nd);
	name[np + nd] = '\0';
	failed = !r || !labels || !b->data || set_str(r, "record", name) ||
		 set_str(r, "expr", br_buf_str(b)) ||
		 json_object_set(r, "labels", labels) ||
		 json_array_append(rules, r);
	json_decref(labels);
	json_decref(r);
	br_buf_reset(b);
	return failed ? oom(c) : 0;
}

/* The Wilson lower bound of W, after W's ratio in the same group (rules of
 * a group run in order, so it reads this evaluation's ratio), for the long
 * windows of rows under spec.traffic.confidence only. */
static int add_lower_record(struct ctx *c, json_t *rules, long long w, struct br_buf *b)
{
	if (!needs_lower(c, w))
		return 0;
	add_lower_bound(c, w, b);
	return add_record(c, rules, REC_LOWER, w, b);
}

/* --- budget corrections --------------------------------------------------- */

/* An SLO that BudgetCorrections select: its windows past BASE_S are built
 * from the 5m records (as the long ones always are), and those records
 * have no sample while events are left out, so every window and the budget
 * leave them out as if the service had no traffic then. */
static int corrected(const struct ctx *c)
{
	return c->slo->exclusion_count > 0;
}

/* The first rule of the sli group: 1 while events are left out. The 5m
 * records after it in the same group read this evaluation's value. */
static int add_excluding_record(struct ctx *c, json_t *rules, struct br_buf *b)
{
	br_buf_adds(b, "vector(1) and on() (");
	br__rules_add_span_test(c->slo->exclusions, c->slo->exclusion_count, BASE_S, b);
	br_buf_adds(b, ")");
	return add_record(c, rules, REC_EXCLUDING, 0, b);
}

/* Ends an expression of a 5m record that has no sample while events are
 * left out ("(expr) unless on() excluding"), or with keep_only, only then
 * ("(expr) and on() excluding"). The expression was opened with "(". */
static int end_excluded(struct ctx *c, int keep_only, struct br_buf *b)
{
	br_buf_adds(b, keep_only ? ") and on() " : ") unless on() ");
	br_buf_adds(b, REC_EXCLUDING);
	return br_buf_adds(b, br_buf_str(&c->sel));
}

/* The record prefix<w> of what add appends for w: when cut, as
 * end_excluded(keep_only) makes it. */
static int add_cut_record(struct ctx *c, json_t *rules, const char *prefix, long long w,
			  int (*add)(struct ctx *, long long, struct br_buf *), int cut,
			  int keep_only, struct br_buf *b)
{
	br_buf_adds(b, cut ? "(" : "");
	add(c, w, b);
	if (cut)
		end_excluded(c, keep_only, b);
	return add_record(c, rules, prefix, w, b);
}

/* The three records of one window computed from raw series. For a
 * corrected SLO (only the 5m window is), none of them while events are
 * left out, and the requests left out in a record of their own. */
static int add_raw_window(struct ctx *c, json_t *rules, long long w, struct br_buf *b)
{
	const struct br_slo *slo = c->slo;
	int cut = corrected(c);

	if (slo->indicator == BR_INDICATOR_RAW) {
		br_buf_adds(b, cut ? "(" : "");
		add_raw(c, slo->raw_error_ratio, w, b);
		if (cut)
			end_excluded(c, 0, b);
		return add_record(c, rules, REC_RATIO, w, b);
	}
	if (add_cut_record(c, rules, REC_REQUESTS, w, add_total, cut, 0, b) ||
	    (cut && add_cut_record(c, rules, REC_EXCLUDED, w, add_total, 1, 1, b)) ||
	    add_cut_record(c, rules, REC_ERRORS, w, add_errors, cut, 0, b))
		return BR_ENOMEM;
	add_ratio_of_recs(c, w, b);
	if (add_record(c, rules, REC_RATIO, w, b))
		return BR_ENOMEM;
	return add_lower_record(c, rules, w, b);
}

/* --- time slices ------------------------------------------------------------ */

/* "<op>_over_time(burnrate:slice_bad{sel}[W]) / W": the slices (count) or
 * the bad ones (sum) of W as a rate, so that rate x W counts them as the
 * other indicators' records count events. */
static int add_slices_over(struct ctx *c, const char *op, long long w, struct br_buf *b)
{
	char d[32];

	br_buf_addf(b, "%s_over_time(" REC_SLICE_BAD "%s[%s]) / %lld", op, br_buf_str(&c->sel),
		    fmt_dur(c, w, d), w);
	return b->failed ? BR_ENOMEM : 0;
}

/* The requests and errors records of window w, made by expr from what
 * counts each (requests, errors), then with ratio set the error ratio and
 * its lower record. */
static int add_counts_and_ratio(struct ctx *c, json_t *rules, long long w, int ratio,
				int (*expr)(struct ctx *, const char *, long long, struct br_buf *),
				const char *requests, const char *errors, struct br_buf *b)
{
	expr(c, requests, w, b);
	if (add_record(c, rules, REC_REQUESTS, w, b))
		return BR_ENOMEM;
	expr(c, errors, w, b);
	if (add_record(c, rules, REC_ERRORS, w, b))
		return BR_ENOMEM;
	if (!ratio)
		return 0;
	add_ratio_of_recs(c, w, b);
	if (add_record(c, rules, REC_RATIO, w, b))
		return BR_ENOMEM;
	return add_lower_record(c, rules, w, b);
}

/* A time-slice SLO's records of one window: slices as requests, bad slices
 * as errors, so their ratio is the share of bad slices. */
static int add_slice_window(struct ctx *c, json_t *rules, long long w, int ratio,
			    struct br_buf *b)
{
	return add_counts_and_ratio(c, rules, w, ratio, add_slices_over, "count", "sum", b);
}

/* The value of a slice: the user's query (the worst of its series: the
 * highest when good is below the threshold, the lowest when above), or the
 * histogram's quantile over the slice while it had requests. */
static int add_slice_value(struct ctx *c, struct br_buf *b)
{
	const struct br_slo *slo = c->slo;
	char dbuf[32], q[32];
	const char *d = fmt_dur(c, slo->slice_s, dbuf);

	if (slo->slice_query) {
		static const char key[] = "$slice";
		const char *p = slo->slice_query, *hit;
		br_buf_adds(b, slo->slice_good_above ? "min(" : "max(");
		while ((hit = strstr(p, key)) != NULL) {
			br_buf_add(b, p, (size_t)(hit - p));
			br_buf_adds(b, d);
			p = hit + sizeof(key) - 1;
		}
		br_buf_adds(b, p);
		return br_buf_adds(b, ")");
	}
	br_buf_addf(b, "histogram_quantile(%s, sum by (le) (rate(",
		    fmt_num(slo->slice_quantile, q));
	br_selector_render(&slo->histogram, "_bucket", NULL, b);
	br_buf_addf(b, "[%s]))) and on() (sum(rate(", d);
	br_selector_render(&slo->histogram, "_count", NULL, b);
	return br_buf_addf(b, "[%s])) > 0)", d);
}

/* 1 for a bad slice, 0 for a good one; NaN (a quantile of nothing) is no
 * slice; noData fills a slice without a value; a correction's window
 * leaves slices out. */
static int add_slice_bad(struct ctx *c, struct br_buf *b)
{
	const struct br_slo *slo = c->slo;
	char t[32];
	const char *v = REC_SLICE_VALUE;
	const char *sel = br_buf_str(&c->sel);

	br_buf_adds(b, corrected(c) || slo->slice_nodata != BR_SLICE_SKIP ? "(" : "");
	br_buf_addf(b, "(%s%s %s bool %s) unless (%s%s != %s%s)", v, sel,
		    slo->slice_good_above ? "<" : ">", fmt_num(slo->slice_threshold, t),
		    v, sel, v, sel);
	if (slo->slice_nodata != BR_SLICE_SKIP)
		br_buf_addf(b, " or on() vector(%d)", slo->slice_nodata == BR_SLICE_BAD);
	if (corrected(c) || slo->slice_nodata != BR_SLICE_SKIP)
		br_buf_adds(b, ")");
	if (corrected(c))
		br_buf_addf(b, " unless on() " REC_EXCLUDING "%s", sel);
	return b->failed ? BR_ENOMEM : 0;
}

static int add_group(struct ctx *c, json_t *groups, const char *part,
		     const char *interval, json_t *rules);

/* The group that reads each slice once, at the slice's interval (so each
 * evaluation is one slice), before the windows that count them. */
static int group_slices(struct ctx *c, json_t *groups, struct br_buf *b)
{
	char d[32];
	json_t *rules;

	if (c->slo->indicator != BR_INDICATOR_TIMESLICE)
		return 0;
	rules = json_array();
	int rc = !rules ? oom(c) : corrected(c) ? add_excluding_record(c, rules, b) : 0;
	if (rc == 0)
		rc = add_slice_value(c, b) ? oom(c) : add_record(c, rules, REC_SLICE_VALUE, 0, b);
	if (rc == 0)
		rc = add_slice_bad(c, b) ? oom(c) : add_record(c, rules, REC_SLICE_BAD, 0, b);
	if (rc) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	return add_group(c, groups, "slices", fmt_dur(c, c->slo->slice_s, d), rules);
}

/* The records of one window computed from the 5m records. With ratio set,
 * also the error ratio (the budget window needs only the two averages). */
static int add_long_window(struct ctx *c, json_t *rules, long long w, int ratio,
			   struct br_buf *b)
{
	if (c->slo->indicator == BR_INDICATOR_TIMESLICE)
		return add_slice_window(c, rules, w, ratio, b);
	if (c->slo->indicator == BR_INDICATOR_RAW) {
		add_avg_5m(c, REC_RATIO, w, b);
		return add_record(c, rules, REC_RATIO, w, b);
	}
	return add_counts_and_ratio(c, rules, w, ratio, add_avg_5m, REC_REQUESTS, REC_ERRORS, b);
}

/* Appends {"name": "<ns>/<name>/<part>", ["interval"], "rules": rules} to
 * groups; takes ownership of rules. */
static int add_group(struct ctx *c, json_t *groups, const char *part,
		     const char *interval, json_t *rules)
{
	struct br_buf name;
	json_t *g = json_object();
	int failed;

	br_buf_init(&name, BR_BUF_MAX_DEFAULT);
	br_buf_addf(&name, "%s/%s/%s", c->slo->namespace, c->slo->name, part);
	failed = !g || !rules || !name.data || set_str(g, "name", br_buf_str(&name)) ||
		 (interval && set_str(g, "interval", interval)) ||
		 json_object_set(g, "rules", rules) ||
		 json_array_append(groups, g);
	json_decref(rules);
	json_decref(g);
	br_buf_release(&name);
	return failed ? oom(c) : 0;
}

static int group_sli(struct ctx *c, json_t *groups, struct br_buf *b)
{
	json_t *rules = json_array();
	size_t i;
	int slices = c->slo->indicator == BR_INDICATOR_TIMESLICE;
	/* a time-slice SLO's excluding record is in its slices group */
	int rc = !rules ? oom(c) : corrected(c) && !slices ? add_excluding_record(c, rules, b) : 0;

	for (i = 0; !rc && i < c->nwindows && c->windows[i] <= RAW_MAX_S; i++) {
		long long w = c->windows[i];
		/* a raw rate over a window would count the left-out events */
		rc = slices || (corrected(c) && w > BASE_S) ? add_long_window(c, rules, w, 1, b)
							    : add_raw_window(c, rules, w, b);
	}
	if (rc) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	return add_group(c, groups, "sli", NULL, rules);
}

static int group_sli_long(struct ctx *c, json_t *groups, struct br_buf *b)
{
	json_t *rules;
	size_t i;

	if (c->windows[c->nwindows - 1] <= RAW_MAX_S)
		return 0;
	rules = json_array();
	for (i = 0; rules && i < c->nwindows; i++)
		if (c->windows[i] > RAW_MAX_S &&
		    add_long_window(c, rules, c->windows[i], 1, b)) {
			json_decref(rules);
			return BR_ENOMEM;
		}
	return add_group(c, groups, "sli-long", LONG_INTERVAL, rules);
}

/* 1 - (errors_T / requests_T, or 0 when there was no traffic at all) / eb. */
static int add_remaining(struct ctx *c, json_t *rules, struct br_buf *b)
{
	long long t = c->slo->window_s;

	if (c->slo->indicator == BR_INDICATOR_RAW) {
		br_buf_adds(b, "1 - ");
		add_rec_ref(c, REC_RATIO, t, b);
		br_buf_addf(b, " / %s", c->eb);
		return add_record(c, rules, REC_REMAINING, 0, b);
	}
	br_buf_adds(b, "1 - ((");
	add_ratio_of_recs(c, t, b);
	br_buf_adds(b, ") or (0 * ");
	add_rec_ref(c, REC_REQUESTS, t, b);
	br_buf_addf(b, ")) / %s", c->eb);
	return add_record(c, rules, REC_REMAINING, 0, b);
}

/* The failures the budget allows over the window at the traffic it saw:
 * events_T * eb, events_T = requests_T * T. The budget left in events is
 * this times burnrate:error_budget:remaining. */
static int add_allowed(struct ctx *c, json_t *rules, struct br_buf *b)
{
	add_rec_ref(c, REC_REQUESTS, c->slo->window_s, b);
	br_buf_addf(b, " * %lld * %s", c->slo->window_s, c->eb);
	return add_record(c, rules, REC_ALLOWED, 0, b);
}

/* One 5m record's samples over the SLO window: "sum(OP(REF5m{sel}[T]))". */
static int add_window_sum(struct ctx *c, const char *op, const char *prefix, struct br_buf *b)
{
	char d[32];

	br_buf_addf(b, "sum(%s(", op);
	add_rec_ref(c, prefix, BASE_S, b);
	return br_buf_addf(b, "[%s]))", fmt_dur(c, c->slo->window_s, d));
}

/* The samples of the SLO window, kept or left out: every evaluation of
 * the sli group has one or the other (the excluded record may never have
 * had a sample). */
static int add_window_slots(struct ctx *c, struct br_buf *b)
{
	br_buf_adds(b, "(");
	add_window_sum(c, "count_over_time", REC_REQUESTS, b);
	br_buf_adds(b, " + (");
	add_window_sum(c, "count_over_time", REC_EXCLUDED, b);
	return br_buf_adds(b, " or vector(0)))");
}

/* The one-off spans' samples of prefix already recorded (applied after
 * the fact): br__rules_add_past_sum. */
static int add_past(struct ctx *c, const char *prefix, struct br_buf *b)
{
	struct br_buf ref;
	int rc;

	br_buf_init(&ref, BR_BUF_MAX_DEFAULT);
	add_rec_ref(c, prefix, BASE_S, &ref);
	rc = ref.failed ? BR_ENOMEM :
		br__rules_add_past_sum(br_buf_str(&ref), c->slo->exclusions,
				       c->slo->exclusion_count, BASE_S, c->slo->window_s, b);
	br_buf_release(&ref);
	return rc;
}

/* The SLO window's requests or errors of a corrected SLO, as an average
 * rate over every evaluation of the window: the samples kept, less those of
 * one-off spans recorded before the correction existed, over all of the
 * window's samples (so a left-out span counts as no traffic, and
 * requests_T * T is the events kept). */
static int add_corrected_total(struct ctx *c, json_t *rules, const char *prefix,
			       struct br_buf *b)
{
	br_buf_adds(b, "(");
	add_window_sum(c, "sum_over_time", prefix, b);
	br_buf_adds(b, " - (");
	add_past(c, prefix, b);
	br_buf_adds(b, ")) / ");
	add_window_slots(c, b);
	return add_record(c, rules, prefix, c->slo->window_s, b);
}

/* The events left out of the budget window: live spans' requests and
 * those of one-off spans recorded before the correction existed. */
static int add_excluded_events(struct ctx *c, json_t *rules, struct br_buf *b)
{
	br_buf_adds(b, "((");
	add_window_sum(c, "sum_over_time", REC_EXCLUDED, b);
	br_buf_adds(b, " or vector(0)) + (");
	add_past(c, REC_REQUESTS, b);
	br_buf_adds(b, ")) / (");
	add_window_slots(c, b);
	br_buf_addf(b, " > 0) * %lld", c->slo->window_s);
	return add_record(c, rules, REC_EXCLUDED_EVENTS, 0, b);
}

/* The budget window's records: the two averages, or for a corrected SLO
 * the sums without the left-out events. */
static int add_budget_window(struct ctx *c, json_t *rules, struct br_buf *b)
{
	/* The window's averages may already be in sli-long (an override table
	   with a row as long as the SLO window): never record a series twice. */
	if (has_window(c, c->slo->window_s))
		return 0;
	if (!corrected(c) || c->slo->indicator == BR_INDICATOR_RAW ||
	    c->slo->indicator == BR_INDICATOR_TIMESLICE)
		return add_long_window(c, rules, c->slo->window_s, 0, b);
	if (add_corrected_total(c, rules, REC_REQUESTS, b) ||
	    add_corrected_total(c, rules, REC_ERRORS, b))
		return BR_ENOMEM;
	return add_excluded_events(c, rules, b);
}

static int group_budget(struct ctx *c, json_t *groups, struct br_buf *b)
{
	json_t *rules = json_array();
	char n[32];

	if (!rules)
		return oom(c);
	if (add_budget_window(c, rules, b) || add_remaining(c, rules, b)) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	if (c->slo->indicator != BR_INDICATOR_RAW && add_allowed(c, rules, b)) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	br_buf_addf(b, "vector(%s)", fmt_num(c->slo->objective / 100.0, n));
	if (add_record(c, rules, REC_OBJECTIVE, 0, b)) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	return add_group(c, groups, "budget", BUDGET_INTERVAL, rules);
}

/* --- alerts -------------------------------------------------------------- */

/* " and on() <peak hours>": an instant vector that has a sample only in the
 * hours a muted row may fire. Peak hours are [to, from) local; with t the
 * local time of day shifted so that `to` is 0, they are t < (from - to) mod
 * 1d, one comparison whether or not the off-peak range crosses midnight. */
static int add_peak_hours(const struct br_off_peak *op, struct br_buf *b)
{
	const long long day = 86400;
	long long shift = ((long long)op->utc_offset_min * 60 - (long long)op->to_min * 60) % day;
	long long peak = (((long long)op->from_min - op->to_min) * 60 % day + day) % day;

	if (shift < 0)
		shift += day;
	return br_buf_addf(b, " and on() vector((time() + %lld) %% 86400) < %lld", shift, peak);
}

/* One row: both windows burn faster than f; with confidence, the lower bound
 * of the long window's ratio does too; with minEvents, the long window saw
 * enough events; a row muted off-peak fires only in peak hours. The long
 * window comes first so $value is its burn rate. */
static int add_row_expr(struct ctx *c, const struct br_alert_window *w, struct br_buf *b)
{
	char f[32];

	fmt_num(w->burn_rate, f);
	br_buf_adds(b, "(");
	add_rec_ref(c, REC_RATIO, w->long_s, b);
	br_buf_addf(b, " / %s > %s and ", c->eb, f);
	if (c->z > 0) {
		add_rec_ref(c, REC_LOWER, w->long_s, b);
		br_buf_addf(b, " / %s > %s and ", c->eb, f);
	}
	add_rec_ref(c, REC_RATIO, w->short_s, b);
	br_buf_addf(b, " / %s > %s", c->eb, f);
	if (c->slo->min_events > 0) {
		br_buf_adds(b, " and ");
		add_events(c, w->long_s, b);
		br_buf_addf(b, " >= %lld", c->slo->min_events);
	}
	if (w->off_peak_muted && c->slo->off_peak.enabled)
		add_peak_hours(&c->slo->off_peak, b);
	return br_buf_adds(b, ")");
}

/* ", muted 22:00-06:00 at UTC+02:00" */
static int add_off_peak_text(const struct br_off_peak *op, struct br_buf *b)
{
	int off = op->utc_offset_min < 0 ? -op->utc_offset_min : op->utc_offset_min;

	return br_buf_addf(b, ", muted %02d:%02d-%02d:%02d at UTC%c%02d:%02d",
			   op->from_min / 60, op->from_min % 60, op->to_min / 60,
			   op->to_min % 60, op->utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* "1h/5m above 14.4x (2% of the budget)" for each row, joined by "; ". */
static int add_rows_text(struct ctx *c, enum br_severity sev, struct br_buf *b)
{
	char l[32], s[32], f[32], p[32];
	const char *sep = "";
	size_t i;

	for (i = 0; i < c->slo->window_count; i++) {
		const struct br_alert_window *w = &c->slo->windows[i];

		if (w->severity != sev)
			continue;
		br_buf_addf(b, "%s%s and %s above %sx (%s%% of the budget)", sep,
			    fmt_dur(c, w->long_s, l), fmt_dur(c, w->short_s, s),
			    fmt_num(w->burn_rate, f), fmt_num(w->budget_percent, p));
		if (w->off_peak_muted && c->slo->off_peak.enabled)
			add_off_peak_text(&c->slo->off_peak, b);
		sep = "; ";
	}
	return b->data ? 0 : BR_ENOMEM;
}

static json_t *alert_labels(const struct ctx *c, enum br_severity sev)
{
	const struct br_slo *slo = c->slo;
	const char *severity = route_of(slo, sev)->severity;
	json_t *l = json_object();
	size_t i;
	int failed;

	if (!severity)
		severity = sev == BR_SEVERITY_PAGE ? "critical" : "warning";
	failed = !l || set_str(l, "severity", severity) ||
		 set_str(l, "burnrate_severity", sev == BR_SEVERITY_PAGE ? "page" : "ticket") ||
		 set_str(l, "slo", slo->name) ||
		 set_str(l, "slo_namespace", slo->namespace) ||
		 set_literal(l, "service", slo->service);
	/* Alertmanager routes on this label (pkg/alertmanager): only alerts
	   that name a receiver carry it, the rest fall to the root route. */
	if (!failed && route_of(slo, sev)->receiver)
		failed = set_literal(l, "burnrate_receiver", route_of(slo, sev)->receiver);
	for (i = 0; !failed && i < slo->labels.count; i++)
		failed = set_literal(l, slo->labels.items[i].name, slo->labels.items[i].value);
	if (failed) {
		json_decref(l);
		return NULL;
	}
	return l;
}

/* Prometheus fills $labels in annotations from the series' labels only, not
 * from the rule's labels: slo and slo_namespace are on the recorded series,
 * but service is a rule label, so it is written as an escaped literal. The
 * user's own annotations are passed through as templates on purpose (they may
 * use {{ $labels.x }} and {{ $value }}). */
static json_t *alert_annotations(struct ctx *c, enum br_severity sev)
{
	const struct br_slo *slo = c->slo;
	char obj[32], win[32];
	struct br_buf b, s;
	json_t *a = json_object();
	size_t i;
	int failed;

	br_buf_init(&s, BR_BUF_MAX_DEFAULT);
	add_literal(slo->service, &s);
	br_buf_adds(&s, sev == BR_SEVERITY_PAGE
			? ": SLO {{ $labels.slo_namespace }}/{{ $labels.slo }} is burning its "
			  "error budget fast"
			: ": SLO {{ $labels.slo_namespace }}/{{ $labels.slo }} is burning its "
			  "error budget");
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, "Burn rate {{ $value | printf \"%.1f\" }}x over the long window (");
	add_rows_text(c, sev, &b);
	br_buf_addf(&b,
		    "). Objective %s%% over %s; at 1x the error budget lasts exactly the window.",
		    fmt_num(slo->objective, obj), fmt_dur(c, slo->window_s, win));
	if (c->z > 0)
		br_buf_addf(&b, " A row fires only when the %s%% lower bound of its long window's "
			    "error ratio is above its threshold too.",
			    fmt_num(slo->confidence, obj));
	failed = !a || !b.data || !s.data ||
		 set_str(a, "summary", br_buf_str(&s)) ||
		 set_str(a, "description", br_buf_str(&b));
	for (i = 0; !failed && i < slo->annotations.count; i++)
		failed = set_str(a, slo->annotations.items[i].name,
				 slo->annotations.items[i].value);
	br_buf_release(&b);
	br_buf_release(&s);
	if (failed) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int add_alert(struct ctx *c, json_t *rules, enum br_severity sev, struct br_buf *b)
{
	json_t *r, *labels, *ann;
	const char *sep = "";
	size_t i;
	int failed;

	for (i = 0; i < c->slo->window_count; i++) {
		if (c->slo->windows[i].severity != sev)
			continue;
		br_buf_adds(b, sep);
		add_row_expr(c, &c->slo->windows[i], b);
		sep = " or ";
	}
	if (!*sep) /* no row of this severity */
		return 0;
	r = json_object();
	labels = alert_labels(c, sev);
	ann = alert_annotations(c, sev);
	failed = !r || !labels || !ann || !b->data ||
		 set_str(r, "alert", c->slo->alert_name) ||
		 set_str(r, "expr", br_buf_str(b)) ||
		 json_object_set(r, "labels", labels) ||
		 json_object_set(r, "annotations", ann) ||
		 json_array_append(rules, r);
	json_decref(labels);
	json_decref(ann);
	json_decref(r);
	br_buf_reset(b);
	return failed ? oom(c) : 0;
}

static int group_alerts(struct ctx *c, json_t *groups, struct br_buf *b)
{
	json_t *rules = json_array();

	if (!rules)
		return oom(c);
	if ((!c->slo->page.disabled && add_alert(c, rules, BR_SEVERITY_PAGE, b)) ||
	    (!c->slo->ticket.disabled && add_alert(c, rules, BR_SEVERITY_TICKET, b))) {
		json_decref(rules);
		return BR_ENOMEM;
	}
	if (json_array_size(rules) == 0) {
		json_decref(rules);
		return 0;
	}
	return add_group(c, groups, "alerts", NULL, rules);
}

/* --- public API ---------------------------------------------------------- */

static int ctx_init(struct ctx *c, const struct br_slo *slo, struct br_error *err)
{
	double eb = br_slo_error_budget(slo);

	memset(c, 0, sizeof(*c));
	c->slo = slo;
	c->err = err;
	br_buf_init(&c->sel, BR_BUF_MAX_DEFAULT);
	for (int i = 0; i < SERIES_COUNT; i++)
		br_buf_init(&c->series[i], BR_BUF_MAX_DEFAULT);
	if (!slo->name || !slo->namespace || !slo->service || !slo->alert_name ||
	    !(eb > 0 && eb < 1))
		return br_error_set(err, BR_EINVAL,
				    "SLO is not valid (name, namespace, service, alert name "
				    "and 0 < objective < 100 are required)");
	if (slo->indicator == BR_INDICATOR_RAW && !slo->raw_error_ratio)
		return br_error_set(err, BR_EINVAL, "raw indicator without errorRatio");
	fmt_num(eb, c->eb);
	c->z = br_slo_confidence_z(slo->confidence);
	br_buf_adds(&c->sel, "{slo=");
	br_promql_quote(slo->name, &c->sel);
	br_buf_adds(&c->sel, ",slo_namespace=");
	br_promql_quote(slo->namespace, &c->sel);
	if (br_buf_adds(&c->sel, "}"))
		return oom(c);
	return collect_windows(c);
}

static void ctx_release(struct ctx *c)
{
	br_buf_release(&c->sel);
	for (int i = 0; i < SERIES_COUNT; i++)
		br_buf_release(&c->series[i]);
	free(c->windows);
}

int br_rules_groups(const struct br_slo *slo, json_t **out, struct br_error *err)
{
	return br_rules_groups_for(slo, NULL, out, err);
}

int br_rules_groups_for(const struct br_slo *slo, const struct br_rules_options *opt,
			json_t **out, struct br_error *err)
{
	struct ctx c;
	struct br_buf b;
	json_t *groups = NULL;
	int rc;

	*out = NULL;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	rc = ctx_init(&c, slo, err);
	c.increase_per_s = opt && opt->target == BR_RULES_TARGET_VICTORIAMETRICS;
	if (!rc) {
		groups = json_array();
		rc = !groups ? oom(&c) : group_slices(&c, groups, &b);
	}
	if (!rc)
		rc = group_sli(&c, groups, &b);
	if (!rc)
		rc = group_sli_long(&c, groups, &b);
	if (!rc)
		rc = group_budget(&c, groups, &b);
	if (!rc)
		rc = group_alerts(&c, groups, &b);
	ctx_release(&c);
	br_buf_release(&b);
	if (rc) {
		json_decref(groups);
		return rc;
	}
	*out = groups;
	return 0;
}

static json_t *owner_references(const struct br_slo *slo)
{
	json_t *ref = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}",
				"apiVersion", BR_SLO_API_VERSION,
				"kind", BR_SLO_KIND,
				"name", slo->name,
				"uid", slo->uid,
				"controller", 1,
				"blockOwnerDeletion", 1);

	return ref ? json_pack("[o]", ref) : NULL;
}

static json_t *rule_metadata(const struct br_slo *slo, const struct br_rules_options *opt)
{
	json_t *md = json_object(), *labels = json_object();
	size_t i;
	int failed;

	failed = !md || !labels || set_str(md, "name", slo->name) ||
		 set_str(md, "namespace", slo->namespace) ||
		 set_str(labels, "app.kubernetes.io/managed-by", BR_RULES_MANAGED_BY);
	for (i = 0; !failed && opt && opt->rule_labels && i < opt->rule_labels->count; i++) {
		const struct br_label *l = &opt->rule_labels->items[i];

		/* burnrate finds its own objects by this label: keep it ours */
		if (strcmp(l->name, "app.kubernetes.io/managed-by") != 0)
			failed = set_str(labels, l->name, l->value);
	}
	failed = failed || json_object_set(md, "labels", labels) ||
		 (slo->uid && json_object_set_new(md, "ownerReferences",
						  owner_references(slo)));
	json_decref(labels);
	if (failed) {
		json_decref(md);
		return NULL;
	}
	return md;
}

json_t *br_rules_metadata(const struct br_slo *slo, const struct br_rules_options *opt)
{
	return rule_metadata(slo, opt);
}

int br_rules_prometheus_rule(const struct br_slo *slo,
			     const struct br_rules_options *opt, json_t **out,
			     struct br_error *err)
{
	json_t *groups, *md, *obj;
	int rc;

	*out = NULL;
	rc = br_rules_groups_for(slo, opt, &groups, err);
	if (rc)
		return rc;
	if (opt && opt->runbook_base_url) {
		rc = br_rules_set_runbooks(groups, opt->runbook_base_url, err);
		if (rc) {
			json_decref(groups);
			return rc;
		}
	}
	md = rule_metadata(slo, opt);
	obj = md ? json_pack("{s:s, s:s, s:o, s:{s:o}}",
			     "apiVersion", "monitoring.coreos.com/v1",
			     "kind", "PrometheusRule",
			     "metadata", md,
			     "spec", "groups", groups)
		 : NULL;
	/* json_pack steals md and groups even when it fails (jansson >= 2.11) */
	if (!md)
		json_decref(groups);
	if (!obj)
		return br_error_set(err, BR_ENOMEM,
				    "out of memory while building the PrometheusRule");
	*out = obj;
	return 0;
}

int br_rules_set_runbooks(json_t *groups, const char *base_url,
			  struct br_error *err)
{
	size_t gi, ri;
	json_t *g, *r;
	struct br_buf url;
	int failed = 0;

	br_buf_init(&url, BR_BUF_MAX_DEFAULT);
	json_array_foreach(groups, gi, g) {
		json_array_foreach(json_object_get(g, "rules"), ri, r) {
			json_t *ann = json_object_get(r, "annotations");
			const char *sev = json_string_value(json_object_get(
				json_object_get(r, "labels"), "burnrate_severity"));

			if (!json_object_get(r, "alert") || !json_is_object(ann) ||
			    !sev || json_object_get(ann, "runbook_url"))
				continue;
			br_buf_reset(&url);
			br_buf_addf(&url, "%s/%s.md", base_url, sev);
			failed = !url.data || json_object_set_new(ann, "runbook_url",
						json_string(br_buf_str(&url)));
			if (failed)
				break;
		}
		if (failed)
			break;
	}
	br_buf_release(&url);
	return failed ? br_error_set(err, BR_ENOMEM, "out of memory while setting runbook_url") : 0;
}

void br_rules_count(const json_t *groups, size_t *recording, size_t *alerting)
{
	size_t gi, ri, nrec = 0, nalert = 0;
	const json_t *g, *r;

	json_array_foreach(groups, gi, g) {
		json_array_foreach(json_object_get(g, "rules"), ri, r) {
			if (json_is_string(json_object_get(r, "record")))
				nrec++;
			else if (json_is_string(json_object_get(r, "alert")))
				nalert++;
		}
	}
	if (recording)
		*recording = nrec;
	if (alerting)
		*alerting = nalert;
}
