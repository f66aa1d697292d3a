/* timeslice: spec.indicator.timeSlice, an objective over time slices
 * ("99.9% of minutes are good"): each slice is good or bad by a value read
 * once a slice (a PromQL query, or a quantile of a classic histogram)
 * against a threshold. It suits percentile targets and gauges, which no
 * count of good and bad events describes. A slice without data is no slice
 * (it neither spends nor earns budget) unless noData says otherwise. */
#include "slo/slo.h"

#include <math.h>
#include <string.h>

#include "slo/internal.h"

#define PATH "spec.indicator.timeSlice"
#define MIN_SLICE 60LL
#define MAX_SLICE 3600LL

static void parse_slice(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out)
{
	const json_t *v = br__slo_member(c, ts, PATH, "slice", BR__SLO_STRING, 0);

	out->slice_s = MIN_SLICE;
	if (v && (br_duration_parse(json_string_value(v), &out->slice_s) != 0 ||
		  out->slice_s < MIN_SLICE || out->slice_s > MAX_SLICE))
		br__slo_problem(c, v, PATH ".slice", "must be a duration from 1m to 1h, got "
				"\"%.32s\"", json_string_value(v));
}

/* goodBelow or goodAbove: exactly one, a finite number. */
static void parse_threshold(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out)
{
	const json_t *below = br__slo_member(c, ts, PATH, "goodBelow", BR__SLO_NUMBER, 0);
	const json_t *above = br__slo_member(c, ts, PATH, "goodAbove", BR__SLO_NUMBER, 0);

	if (!below == !above) {
		br__slo_problem(c, ts, PATH, "exactly one of goodBelow (a slice is good when its "
				"value is at most it) or goodAbove (at least it) is required");
		return;
	}
	out->slice_good_above = above != NULL;
	out->slice_threshold = json_number_value(above ? above : below);
	if (!isfinite(out->slice_threshold))
		br__slo_problem(c, above ? above : below,
				above ? PATH ".goodAbove" : PATH ".goodBelow",
				"must be a finite number");
}

static void parse_nodata(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out)
{
	static const char *const names[] = {"skip", "good", "bad"};
	const json_t *v = br__slo_member(c, ts, PATH, "noData", BR__SLO_STRING, 0);

	out->slice_nodata = BR_SLICE_SKIP;
	if (!v)
		return;
	for (int i = 0; i < 3; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			out->slice_nodata = (enum br_slice_nodata)i;
			return;
		}
	br__slo_problem(c, v, PATH ".noData", "must be skip (a slice without data is no "
			"slice), good or bad, got \"%.32s\"", json_string_value(v));
}

/* query, or histogram with quantile: exactly one form. */
static void parse_value(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out)
{
	int query = br__slo_present(ts, "query"), hist = br__slo_present(ts, "histogram");
	const json_t *v;

	if (query == hist) {
		br__slo_problem(c, ts, PATH, "exactly one of query (PromQL, $slice where a range "
				"goes) or histogram (with quantile) is required");
		return;
	}
	if (query) {
		v = br__slo_member(c, ts, PATH, "query", BR__SLO_STRING, 1);
		if (v && !*json_string_value(v))
			br__slo_problem(c, v, PATH ".query", "must not be empty");
		else if (v)
			out->slice_query = br__slo_strdup(c, v, PATH ".query");
		if (br__slo_present(ts, "quantile"))
			br__slo_problem(c, json_object_get(ts, "quantile"), PATH ".quantile",
					"only with histogram");
		return;
	}
	br__slo_parse_histogram(c, ts, PATH, &out->histogram);
	v = br__slo_member(c, ts, PATH, "quantile", BR__SLO_NUMBER, 1);
	if (v && !(json_number_value(v) > 0 && json_number_value(v) < 1))
		br__slo_problem(c, v, PATH ".quantile", "must be between 0 and 1 (0.99 for p99), "
				"got %g", json_number_value(v));
	else if (v)
		out->slice_quantile = json_number_value(v);
}

void br__slo_parse_timeslice(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out)
{
	static const char *const fields[] = {"slice", "query", "histogram", "quantile",
					     "goodBelow", "goodAbove", "noData", NULL};

	br__slo_check_fields(c, ts, PATH, fields);
	parse_slice(c, ts, out);
	parse_value(c, ts, out);
	parse_threshold(c, ts, out);
	parse_nodata(c, ts, out);
}
