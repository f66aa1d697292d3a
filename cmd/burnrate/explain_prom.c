/* explain_prom: an SLO's real traffic from Prometheus, read with the SLO's
 * own selectors. The expressions are the rules' own (br_rules_groups(): the
 * 5m request and error records, with the range changed), so explain counts
 * exactly what the alerts count: the histogram's _count for a latency SLO,
 * a missing error series as zero errors.
 *
 * Events per hour come from one range query of sum(rate(total[1h])) * 3600
 * every hour, at hour boundaries of local time (offPeak.utcOffset, else
 * UTC): each point is the hour before it. rate() extrapolates each hour to
 * its edges, so the hours add up to the whole history, without the gaps or
 * double counts that summing raw samples would have; only the hour in which
 * the series starts is partial, and it is dropped. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf/buf.h"
#include "explain.h"
#include "history.h"
#include "prom/prom.h"
#include "rules/rules.h"

#define HOUR 3600.0
#define DAY 86400.0

/* The field whose series count the SLO's events, for messages. */


/* The local hour (0..23) of the hour that ends at t. */
static int hour_of(double t, int offset_min)
{
	double s = fmod(t - HOUR + offset_min * 60.0, DAY);

	return (int)((s < 0 ? s + DAY : s) / HOUR) % 24;
}

/* The hourly points into t: events per day and per hour of the day.
 * Returns the number of hours used. */
static size_t add_hours(const struct br_prom_series *s, double start, struct explain_traffic *t)
{
	double sum[24] = { 0 }, total = 0;
	size_t count[24] = { 0 }, used = 0;

	for (size_t i = 0; i < s->count; i++) {
		const struct br_prom_point *p = &s->points[i];

		if (i == 0 && p->t > start + 1)
			continue; /* the series starts in this hour: a partial hour */
		if (!isfinite(p->v))
			continue;
		sum[hour_of(p->t, t->offset_min)] += p->v;
		count[hour_of(p->t, t->offset_min)]++;
		total += p->v;
		used++;
	}
	for (int h = 0; h < 24; h++)
		t->per_hour[h] = count[h] ? sum[h] / (double)count[h] : NAN;
	t->days = (double)used / 24;
	t->per_day = used ? total / t->days : 0;
	t->have_hours = used > 0;
	return used;
}

static void say(const struct br_slo *slo, const char *what, const char *detail)
{
	fprintf(stderr, "burnrate explain: %s/%s: %s: %s\n", slo->namespace, slo->name, what,
		detail);
}

/* The hourly events over the window. Returns 0, or -1 after saying why. */
static int read_hours(const struct br_slo *slo, struct br_prom_client *c, const char *expr,
		      struct explain_traffic *t, struct br_buf *q)
{
	double off = t->offset_min * 60.0, now = (double)time(NULL), start, end;
	struct br_prom_matrix m;
	struct br_error err;
	char what[160], detail[600], w[32];

	end = floor((now + off) / HOUR) * HOUR - off;
	start = end - (double)slo->window_s + HOUR;
	br_error_init(&err);
	snprintf(what, sizeof(what), "cannot read %s from Prometheus", history_total_field(slo));
	if (history_over_window(expr, 3600, q) != 0)
		return say(slo, what, "out of memory"), -1;
	if (br_prom_query_range(c, br_buf_str(q), start, end, HOUR, &m, &err) != 0)
		return say(slo, what, err.text), -1;
	if (m.count == 0 || add_hours(&m.series[0], start, t) == 0 || !(t->per_day > 0)) {
		snprintf(detail, sizeof(detail),
			 "Prometheus at %s has no events for it over the last %s "
			 "(is the selector right, and does Prometheus keep that much history?)",
			 br_prom_client_url(c), br_duration_format(slo->window_s, w, sizeof(w)));
		br_prom_matrix_release(&m);
		return say(slo, "no data", detail), -1;
	}
	br_prom_matrix_release(&m);
	return 0;
}

/* One number from an instant query: 0 and *v, 1 when the answer is empty
 * or not a number, -1 when the query failed (err set). */
static int scalar(struct br_prom_client *c, const char *q, double *v, struct br_error *err)
{
	struct br_prom_vector vec;
	int rc;

	if (br_prom_query(c, q, &vec, err) != 0)
		return -1;
	rc = vec.count == 1 && isfinite(vec.samples[0].value) ? 0 : 1;
	if (rc == 0)
		*v = vec.samples[0].value;
	br_prom_vector_release(&vec);
	return rc;
}

/* record{slo="<name>",slo_namespace="<namespace>"} into q. */
static void recorded(const struct br_slo *slo, const char *record, struct br_buf *q)
{
	br_buf_reset(q);
	br_buf_addf(q, "%s{slo=", record);
	br_promql_quote(slo->name, q);
	br_buf_adds(q, ",slo_namespace=");
	br_promql_quote(slo->namespace, q);
	br_buf_addc(q, '}');
}

/* The budget the rules recorded, else the one the raw series give over the
 * window (errors / events against the budget; allowed failures at the
 * average traffic, as the rules compute them). Returns 0, or -1 (said). */
static int read_budget(const struct br_slo *slo, struct br_prom_client *c, const json_t *groups,
		       struct explain_traffic *t, struct br_buf *q)
{
	double eb = br_slo_error_budget(slo), errors = 0, events = 0;
	struct br_error err;
	int a, b;

	br_error_init(&err);
	recorded(slo, "burnrate:error_budget:allowed_events", q);
	a = scalar(c, br_buf_str(q), &t->allowed, &err);
	recorded(slo, "burnrate:error_budget:remaining", q);
	b = a < 0 ? -1 : scalar(c, br_buf_str(q), &t->remaining, &err);
	if (a == 0 && b == 0) {
		t->have_budget = 1;
		t->budget_from = "recorded by burnrate's rules";
		return 0;
	}
	if (a >= 0 && b >= 0) {
		history_over_window(history_record_expr(groups, "burnrate:sli_errors:rate", 300),
				    slo->window_s, q);
		a = scalar(c, br_buf_str(q), &errors, &err);
		history_over_window(history_record_expr(groups, "burnrate:sli_requests:rate", 300),
				    slo->window_s, q);
		b = a < 0 ? -1 : scalar(c, br_buf_str(q), &events, &err);
	}
	if (a < 0 || b < 0)
		return say(slo, "cannot read the error budget from Prometheus", err.text), -1;
	if (a == 0 && b == 0 && events > 0) {
		t->have_budget = 1;
		t->allowed = eb * t->per_day * (double)slo->window_s / DAY;
		t->remaining = 1 - errors / events / eb;
		t->budget_from = "from the raw series: the rules' records are not there";
	}
	return 0;
}

int explain_prom(const struct br_slo *slo, struct br_prom_client *c, struct explain_traffic *t)
{
	const char *requests;
	json_t *groups = NULL;
	struct br_error err;
	struct br_buf q;
	int rc;

	if (slo->indicator == BR_INDICATOR_RAW)
		return 1;
	br_error_init(&err);
	if (br_rules_groups(slo, &groups, &err) != 0)
		return say(slo, "cannot build the rules' expressions", err.text), -1;
	requests = history_record_expr(groups, "burnrate:sli_requests:rate", 300);
	if (!requests || !history_record_expr(groups, "burnrate:sli_errors:rate", 300)) {
		json_decref(groups);
		return say(slo, "cannot build the rules' expressions",
			   "no 5m request or error record"), -1;
	}
	br_buf_init(&q, BR_BUF_MAX_DEFAULT);
	t->offset_min = slo->off_peak.enabled ? slo->off_peak.utc_offset_min : 0;
	rc = read_hours(slo, c, requests, t, &q);
	if (rc == 0)
		rc = read_budget(slo, c, groups, t, &q);
	if (rc == 0) {
		t->known = 1;
		snprintf(t->source, sizeof(t->source), "Prometheus at %s", br_prom_client_url(c));
	}
	br_buf_release(&q);
	json_decref(groups);
	return rc;
}
