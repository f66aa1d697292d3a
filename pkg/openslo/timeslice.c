/* timeslice: OpenSLO's Timeslices and RatioTimeslices budgeting as
 * burnrate's timeSlice indicator, where the mapping is exact:
 *
 *   thresholdMetric + objective {op: lte|gte, value, timeSliceWindow}
 *       the slice's value is the query; good when at most (lte) or at least
 *       (gte) value. lt and gt are refused: burnrate's bounds include the
 *       threshold.
 *   ratioMetric (counters) + objective {timeSliceTarget, timeSliceWindow}
 *       the slice's value is its good (or bad) ratio, built from the
 *       selectors: good when the good ratio is at least timeSliceTarget,
 *       or the bad ratio at most 1 - timeSliceTarget.
 *
 * burnrate's own time slices go out the first way, with the whole
 * timeSlice in the annotation burnrate.dev/time-slice, which reads back
 * exactly (a histogram slice keeps its histogram form). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "openslo/internal.h"
#include "slo/slo.h"

int br__openslo_timeslices(const json_t *spec)
{
	const char *m = json_string_value(json_object_get(spec, "budgetingMethod"));

	return m && (strcmp(m, "Timeslices") == 0 || strcmp(m, "RatioTimeslices") == 0);
}

void br__openslo_timeslice_objective(struct br__openslo_ctx *c, const json_t *o,
				     struct br__openslo_ts *ts)
{
	const char *path = "spec.objectives[0]";
	const json_t *w = br__openslo_member(c, o, path, "timeSliceWindow", BR__OPENSLO_STRING, 1);
	const json_t *op = br__openslo_member(c, o, path, "op", BR__OPENSLO_STRING, 0);
	const json_t *v = br__openslo_member(c, o, path, "value", BR__OPENSLO_NUMBER, 0);
	const json_t *t = br__openslo_member(c, o, path, "timeSliceTarget", BR__OPENSLO_NUMBER, 0);
	char why[256] = "";

	if (w && (br__openslo_duration(json_string_value(w), &ts->slice_s, why, sizeof(why)) != 0 ||
		  ts->slice_s == 0))
		br__openslo_problem(c, w, "spec.objectives[0].timeSliceWindow", "%s",
				    why[0] ? why : "must not be zero");
	if (op) {
		const char *s = json_string_value(op);
		ts->good_above = strcmp(s, "gte") == 0;
		if (strcmp(s, "lte") != 0 && strcmp(s, "gte") != 0)
			br__openslo_problem(c, op, "spec.objectives[0].op", "must be lte or gte: "
					    "a burnrate slice is good at most or at least its "
					    "threshold, got \"%.20s\"", s);
	}
	ts->has_op = op != NULL;
	ts->value = v ? json_number_value(v) : NAN;
	ts->target = t ? json_number_value(t) : NAN;
	if (t && !(ts->target > 0 && ts->target < 1))
		br__openslo_problem(c, t, "spec.objectives[0].timeSliceTarget", "must be greater "
				    "than 0 and less than 1, got %g", ts->target);
}

/* "sum(rate(SEL[$slice]))" of a selector. */
static void add_rate(const char *sel, struct br_buf *b)
{
	br_buf_addf(b, "sum(rate(%s[$slice]))", sel);
}

json_t *br__openslo_timeslice_ratio(struct br__openslo_ctx *c, const char *num, int num_is_good,
				    const char *total, const json_t *at,
				    const struct br__openslo_ts *ts)
{
	struct br_buf q;
	json_t *out = NULL;

	if (isnan(ts->target)) {
		br__openslo_problem(c, at, "spec.objectives[0].timeSliceTarget", "required with a "
				    "ratioMetric: the good ratio that makes a slice good");
		return NULL;
	}
	br_buf_init(&q, 1 << 16);
	add_rate(num, &q);
	br_buf_adds(&q, " / ");
	add_rate(total, &q);
	char slice[32];
	if (!q.failed)
		out = json_pack("{s:{s:s, s:s, s:f}}", "timeSlice", "slice",
				br_duration_format(ts->slice_s, slice, sizeof(slice)), "query",
				br_buf_str(&q), num_is_good ? "goodAbove" : "goodBelow",
				num_is_good ? ts->target : 1 - ts->target);
	br_buf_release(&q);
	if (!out)
		c->nomem = 1;
	return out;
}

json_t *br__openslo_timeslice_threshold(struct br__openslo_ctx *c, const char *query,
					const json_t *at, const struct br__openslo_ts *ts)
{
	char slice[32];
	json_t *out;

	if (!ts->has_op || isnan(ts->value)) {
		br__openslo_problem(c, at, "spec.objectives[0]", "op and value are required with a "
				    "thresholdMetric: what makes a slice good");
		return NULL;
	}
	out = json_pack("{s:{s:s, s:s, s:f}}", "timeSlice", "slice",
			br_duration_format(ts->slice_s, slice, sizeof(slice)), "query", query,
			ts->good_above ? "goodAbove" : "goodBelow", ts->value);
	if (!out)
		c->nomem = 1;
	return out;
}

/* --- out --------------------------------------------------------------------- */

char *br__openslo_slice_query(const struct br_slo *slo)
{
	struct br_buf q;
	char n[32];

	if (slo->slice_query)
		return strdup(slo->slice_query);
	br_buf_init(&q, 1 << 16);
	snprintf(n, sizeof(n), "%.10g", slo->slice_quantile);
	br_buf_addf(&q, "histogram_quantile(%s, sum by (le) (rate(", n);
	br_selector_render(&slo->histogram, "_bucket", NULL, &q);
	br_buf_adds(&q, "[$slice])))");
	return q.failed ? NULL : br_buf_detach(&q);
}
