/* to_slo: an OpenSLO v1 SLO (and the SLI it references) into a burnrate
 * ServiceLevelObjective object, refusing what has no exact mapping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf/buf.h"
#include "openslo/internal.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

#define TIMESLICES "only with budgetingMethod Timeslices or RatioTimeslices"

int br_openslo_is(const json_t *doc)
{
	const char *api = json_string_value(json_object_get(doc, "apiVersion"));

	return json_is_object(doc) && api && strcmp(api, BR_OPENSLO_API_VERSION) == 0;
}

int br_openslo_is_slo(const json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	return br_openslo_is(doc) && kind && strcmp(kind, "SLO") == 0;
}

/* --- metric sources and the indicator ------------------------------------ */

/* The type of a metricSource: its own, or its DataSource's. */
static const char *source_type(struct br__openslo_ctx *c, const json_t *ms, const char *path)
{
	const json_t *t = br__openslo_member(c, ms, path, "type", BR__OPENSLO_STRING, 0);
	const json_t *ref = br__openslo_member(c, ms, path, "metricSourceRef",
					       BR__OPENSLO_STRING, 0);
	const struct br_openslo_doc *ds;
	char field[256];

	if (t)
		return json_string_value(t);
	br__openslo_path(path, ref ? "metricSourceRef" : "type", field, sizeof(field));
	if (!ref) {
		br__openslo_problem(c, ms, field, "required field is missing (burnrate reads "
				    "Prometheus sources only)");
		return NULL;
	}
	ds = br__openslo_ref(c, "DataSource", ref, field);
	t = ds ? json_object_get(json_object_get(ds->root, "spec"), "type") : NULL;
	if (ds && !json_is_string(t))
		br__openslo_problem(c, ref, field, "DataSource \"%.200s\" has no spec.type",
				    json_string_value(ref));
	if (!json_is_string(t))
		return NULL;
	return json_string_value(t);
}

/* The query string node of a Prometheus metricSource under holder.path. */
static const json_t *prom_query(struct br__openslo_ctx *c, const json_t *holder, const char *path,
				char *qfield, size_t size)
{
	static const char *const fields[] = {"metricSource", NULL};
	static const char *const ms_fields[] = {"type", "metricSourceRef", "spec", NULL};
	static const char *const spec_fields[] = {"query", NULL};
	char mpath[256], spath[256];
	const json_t *ms, *spec;
	const char *type;

	br__openslo_check_fields(c, holder, path, fields, NULL);
	br__openslo_path(path, "metricSource", mpath, sizeof(mpath));
	ms = br__openslo_member(c, holder, path, "metricSource", BR__OPENSLO_OBJECT, 1);
	if (!ms)
		return NULL;
	br__openslo_check_fields(c, ms, mpath, ms_fields, NULL);
	type = source_type(c, ms, mpath);
	if (type && strcasecmp(type, "Prometheus") != 0) {
		const json_t *own = json_object_get(ms, "type");
		const char *key = own ? "type" : "metricSourceRef";

		br__openslo_problem(c, json_object_get(ms, key),
				    br__openslo_path(mpath, key, spath, sizeof(spath)), "burnrate "
				    "reads Prometheus metric sources only, got \"%.100s\"%s", type,
				    own ? "" : " (the DataSource's spec.type)");
		return NULL;
	}
	br__openslo_path(mpath, "spec", spath, sizeof(spath));
	spec = br__openslo_member(c, ms, mpath, "spec", BR__OPENSLO_OBJECT, 1);
	if (!spec || !type)
		return NULL;
	br__openslo_check_fields(c, spec, spath, spec_fields, NULL);
	br__openslo_path(spath, "query", qfield, size);
	return br__openslo_member(c, spec, spath, "query", BR__OPENSLO_STRING, 1);
}

/* The selector of ratioMetric.key, as a new string, or NULL. */
static char *ratio_selector(struct br__openslo_ctx *c, const json_t *rm, const char *path,
			    const char *key)
{
	char field[256], qfield[256];
	const json_t *holder, *q;

	br__openslo_path(path, key, field, sizeof(field));
	holder = br__openslo_member(c, rm, path, key, BR__OPENSLO_OBJECT, 0);
	q = holder ? prom_query(c, holder, field, qfield, sizeof(qfield)) : NULL;
	return q ? br__openslo_query_selector(c, q, qfield) : NULL;
}

/* The le matcher burnrate writes for a threshold (pkg/rules' le_matcher):
 * an integral N is le=~"N(\.0)?", others le="%.10g". */
static void le_for(double t, struct br_matcher *m, char *value, size_t size)
{
	m->name = "le";
	if (t == floor(t) && fabs(t) < 1e15) {
		m->op = BR_MATCH_RE;
		snprintf(value, size, "%.0f(\\.0)?", t);
	} else {
		m->op = BR_MATCH_EQ;
		snprintf(value, size, "%.10g", t);
	}
	m->value = value;
}

/* The threshold whose le matcher burnrate would write exactly as m, or 0. */
static double le_threshold(const struct br_matcher *m)
{
	struct br_matcher want;
	char value[64];
	char *end;
	double t = strtod(m->value, &end);

	if (end == m->value || !(t > 0) || !isfinite(t))
		return 0;
	le_for(t, &want, value, sizeof(value));
	return want.op == m->op && strcmp(want.value, m->value) == 0 ? t : 0;
}

/* good = h_bucket{M, le=...} and total = h_count{M}, with the le matcher
 * last as burnrate writes it: exactly burnrate's latency indicator on h{M}.
 * Returns 1 and the latency object in *lat, 0 when the pair is not that
 * shape, -1 when out of memory. */
static int as_latency(const char *good, const char *total, json_t **lat)
{
	struct br_selector g = {0}, t = {0}, h = {0};
	struct br_buf b;
	double th = 0;
	int rc = 0;
	size_t n;

	*lat = NULL;
	br_buf_init(&b, 1 << 16);
	rc = -1;
	if (br_selector_parse(good, "", &g, NULL) || br_selector_parse(total, "", &t, NULL))
		goto done; /* both parsed before: out of memory */
	rc = 0;
	n = g.metric ? strlen(g.metric) : 0;
	if (n <= 7 || strcmp(g.metric + n - 7, "_bucket") != 0 || !t.metric ||
	    strlen(t.metric) != n - 1 || strncmp(t.metric, g.metric, n - 7) != 0 ||
	    strcmp(t.metric + n - 7, "_count") != 0 || g.count != t.count + 1 ||
	    strcmp(g.matchers[t.count].name, "le") != 0)
		goto done;
	for (size_t i = 0; i < t.count; i++)
		if (strcmp(g.matchers[i].name, t.matchers[i].name) || g.matchers[i].op !=
		    t.matchers[i].op || strcmp(g.matchers[i].value, t.matchers[i].value) ||
		    strcmp(t.matchers[i].name, "le") == 0)
			goto done;
	th = le_threshold(&g.matchers[t.count]);
	if (th == 0)
		goto done;
	h = t;
	h.metric = strndup(t.metric, n - 7);
	if (h.metric && br_selector_render(&h, NULL, NULL, &b) == 0)
		*lat = json_pack("{s:s, s:f}", "histogram", b.data, "threshold", th);
	rc = *lat ? 1 : -1;
	free(h.metric);
done:
	br_selector_release(&g);
	br_selector_release(&t);
	br_buf_release(&b);
	return rc;
}

static json_t *raw_indicator(struct br__openslo_ctx *c, const json_t *rm, const char *path)
{
	char field[256], qfield[256];
	const json_t *rt = br__openslo_member(c, rm, path, "rawType", BR__OPENSLO_STRING, 1);
	const json_t *raw = br__openslo_member(c, rm, path, "raw", BR__OPENSLO_OBJECT, 1), *q;

	if (rt && strcmp(json_string_value(rt), "failure") != 0) {
		br__openslo_problem(c, rt, br__openslo_path(path, "rawType", field, sizeof(field)),
				    "burnrate's raw indicator is an error ratio: only rawType: "
				    "failure maps to it, got \"%.100s\"", json_string_value(rt));
		return NULL;
	}
	br__openslo_path(path, "raw", field, sizeof(field));
	q = raw ? prom_query(c, raw, field, qfield, sizeof(qfield)) : NULL;
	if (!q || !rt)
		return NULL;
	if (!strstr(json_string_value(q), "$window")) {
		br__openslo_problem(c, q, qfield, "a raw ratio needs $window where the range "
				    "goes (burnrate evaluates it over every window of its alert "
				    "table), as in sum(rate(errors[$window])) / "
				    "sum(rate(total[$window]))");
		return NULL;
	}
	return json_pack("{s:{s:O}}", "raw", "errorRatio", q);
}

static json_t *ratio_indicator(struct br__openslo_ctx *c, const json_t *rm, const char *path)
{
	const json_t *counter = br__openslo_member(c, rm, path, "counter", BR__OPENSLO_BOOL, 0);
	char field[256], *good, *bad, *total;
	json_t *ind = NULL, *lat = NULL;
	int latency = 0;

	if (counter && json_is_false(counter))
		br__openslo_problem(c, rm, br__openslo_path(path, "counter", field, sizeof(field)),
				    "burnrate's ratio counts events with counters; a ratio of "
				    "gauges (counter: false) is a time-slice objective: use "
				    "budgetingMethod Timeslices with a thresholdMetric");
	good = ratio_selector(c, rm, path, "good");
	bad = ratio_selector(c, rm, path, "bad");
	total = ratio_selector(c, rm, path, "total");
	if (!json_object_get(rm, "total"))
		br__openslo_problem(c, rm, br__openslo_path(path, "total", field, sizeof(field)),
				    "required field is missing");
	else if (!!json_object_get(rm, "good") == !!json_object_get(rm, "bad"))
		br__openslo_problem(c, rm, path, "exactly one of good or bad is required, found %s",
				    json_object_get(rm, "good") ? "both" : "neither");
	else if (total && (good || bad) && c->count == 0) {
		latency = good ? as_latency(good, total, &lat) : 0;
		if (latency > 0)
			ind = json_pack("{s:o}", "latency", lat);
		else if (latency == 0)
			ind = json_pack("{s:{s:s, s:s}}", "ratio", good ? "good" : "errors",
					good ? good : bad, "total", total);
		if (!ind)
			c->nomem = 1;
	}
	free(good);
	free(bad);
	free(total);
	return ind;
}

/* A Timeslices SLI: a thresholdMetric (the slice's value), or a ratioMetric
 * of counters (the slice's good or bad ratio). */
static json_t *sli_timeslice(struct br__openslo_ctx *c, const json_t *spec, const char *path)
{
	static const char *const fields[] = {"description", "ratioMetric", "thresholdMetric",
					     NULL};
	char tpath[256], qfield[256], rpath[256];
	const json_t *tm, *rm, *q;

	br__openslo_check_fields(c, spec, path, fields, NULL);
	tm = br__openslo_member(c, spec, path, "thresholdMetric", BR__OPENSLO_OBJECT, 0);
	if (tm) {
		br__openslo_path(path, "thresholdMetric", tpath, sizeof(tpath));
		q = prom_query(c, tm, tpath, qfield, sizeof(qfield));
		return q ? br__openslo_timeslice_threshold(c, json_string_value(q), tm,
							   c->ts) : NULL;
	}
	rm = br__openslo_member(c, spec, path, "ratioMetric", BR__OPENSLO_OBJECT, 1);
	if (!rm)
		return NULL;
	br__openslo_path(path, "ratioMetric", rpath, sizeof(rpath));
	if (json_object_get(rm, "raw") || json_object_get(rm, "rawType")) {
		br__openslo_problem(c, rm, rpath, "a raw ratio per slice has no exact burnrate "
				    "mapping: give good or bad and total, or a thresholdMetric");
		return NULL;
	}
	char *good = ratio_selector(c, rm, rpath, "good");
	char *bad = ratio_selector(c, rm, rpath, "bad");
	char *total = ratio_selector(c, rm, rpath, "total");
	json_t *ind = NULL;
	if (!!good == !!bad || !total)
		br__openslo_problem(c, rm, rpath, "good or bad (one of them) and total are "
				    "required");
	else
		ind = br__openslo_timeslice_ratio(c, good ? good : bad, good != NULL, total, rm,
						  c->ts);
	free(good);
	free(bad);
	free(total);
	return ind;
}

static json_t *sli_spec(struct br__openslo_ctx *c, const json_t *spec, const char *path)
{
	static const char *const fields[] = {"description", "ratioMetric", NULL};
	static const char *const refused[] = {
		"thresholdMetric", "a threshold on a sampled value is a time-slice objective: "
		"use budgetingMethod Timeslices (or write the SLI as a ratioMetric of counters)",
		NULL};
	static const char *const rm_fields[] = {"counter", "good", "bad", "total",
						"rawType", "raw", NULL};
	char rpath[256];
	const json_t *rm;

	if (c->ts)
		return sli_timeslice(c, spec, path);
	br__openslo_check_fields(c, spec, path, fields, refused);
	if (json_object_get(spec, "thresholdMetric"))
		return NULL;
	br__openslo_path(path, "ratioMetric", rpath, sizeof(rpath));
	rm = br__openslo_member(c, spec, path, "ratioMetric", BR__OPENSLO_OBJECT, 1);
	if (!rm)
		return NULL;
	br__openslo_check_fields(c, rm, rpath, rm_fields, NULL);
	if (json_object_get(rm, "raw") || json_object_get(rm, "rawType")) {
		if (json_object_get(rm, "good") || json_object_get(rm, "bad") ||
		    json_object_get(rm, "total"))
			br__openslo_problem(c, rm, rpath, "raw cannot be used with good, bad or "
					    "total");
		return raw_indicator(c, rm, rpath);
	}
	return ratio_indicator(c, rm, rpath);
}

/* An inline SLI ({metadata, spec}) or a referenced SLI document. */
static json_t *indicator(struct br__openslo_ctx *c, const json_t *spec)
{
	static const char *const sli_fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	const json_t *inl = br__openslo_member(c, spec, "spec", "indicator", BR__OPENSLO_OBJECT, 0);
	const json_t *ref = br__openslo_member(c, spec, "spec", "indicatorRef",
					       BR__OPENSLO_STRING, 0);
	const struct br_openslo_doc *saved = c->doc, *sli;
	const json_t *s;
	json_t *ind;

	if (!inl == !ref) {
		br__openslo_problem(c, spec, "spec", "exactly one of indicator or indicatorRef is "
				    "required, found %s", inl ? "both" : "neither");
		return NULL;
	}
	if (inl) {
		br__openslo_check_fields(c, inl, "spec.indicator", sli_fields, NULL);
		s = br__openslo_member(c, inl, "spec.indicator", "spec", BR__OPENSLO_OBJECT, 1);
		ind = s ? sli_spec(c, s, "spec.indicator.spec") : NULL;
		br__openslo_origin(c, "spec.indicator", "spec.indicator.spec", s ? s : inl);
		return ind;
	}
	sli = br__openslo_ref(c, "SLI", ref, "spec.indicatorRef");
	if (!sli)
		return NULL;
	c->doc = sli;
	br__openslo_check_fields(c, sli->root, "", sli_fields, NULL);
	s = br__openslo_member(c, sli->root, "", "spec", BR__OPENSLO_OBJECT, 1);
	ind = s ? sli_spec(c, s, "spec") : NULL;
	br__openslo_origin(c, "spec.indicator", "spec", s ? s : sli->root);
	c->doc = saved;
	return ind;
}

/* --- objective, window, budgeting ---------------------------------------- */

/* target 0.995 is objective 99.5, not 99.49999999999999. */
static double percent_of(double target)
{
	char text[32];

	snprintf(text, sizeof(text), "%.12g", target * 100);
	return strtod(text, NULL);
}

static void objective(struct br__openslo_ctx *c, const json_t *spec, json_t *out)
{
	static const char *const fields[] = {"displayName", "target", "targetPercent", NULL};
	static const char *const refused[] = {
		"op", TIMESLICES,
		"value", TIMESLICES,
		"timeSliceTarget", TIMESLICES, "timeSliceWindow", TIMESLICES,
		"indicator", "composite objectives have no burnrate equivalent",
		"indicatorRef", "composite objectives have no burnrate equivalent",
		"compositeWeight", "composite objectives have no burnrate equivalent", NULL};
	const json_t *list = br__openslo_member(c, spec, "spec", "objectives", BR__OPENSLO_LIST, 1);
	const json_t *o, *t, *p;

	if (!list)
		return;
	if (json_array_size(list) != 1) {
		br__openslo_problem(c, list, "spec.objectives", "burnrate converts exactly one "
				    "objective (several are a composite SLO, which has no "
				    "burnrate equivalent), found %zu", json_array_size(list));
		return;
	}
	o = json_array_get(list, 0);
	if (!json_is_object(o)) {
		br__openslo_problem(c, list, "spec.objectives[0]", "must be an object");
		return;
	}
	if (c->ts) {
		static const char *const ts_fields[] = {"displayName", "target", "targetPercent",
			"op", "value", "timeSliceTarget", "timeSliceWindow", NULL};
		br__openslo_check_fields(c, o, "spec.objectives[0]", ts_fields, refused + 8);
		br__openslo_timeslice_objective(c, o, c->ts);
	} else {
		br__openslo_check_fields(c, o, "spec.objectives[0]", fields, refused);
	}
	t = br__openslo_member(c, o, "spec.objectives[0]", "target", BR__OPENSLO_NUMBER, 0);
	p = br__openslo_member(c, o, "spec.objectives[0]", "targetPercent", BR__OPENSLO_NUMBER, 0);
	if (!t == !p) {
		if (t || (!json_object_get(o, "target") && !json_object_get(o, "targetPercent")))
			br__openslo_problem(c, o, "spec.objectives[0]", "exactly one of target or "
					    "targetPercent is required, found %s",
					    t ? "both" : "neither");
		return;
	}
	if (t && !(json_number_value(t) > 0 && json_number_value(t) < 1))
		br__openslo_problem(c, t, "spec.objectives[0].target", "must be greater than 0 "
				    "and less than 1, got %g", json_number_value(t));
	else if (p && !(json_number_value(p) > 0 && json_number_value(p) < 100))
		br__openslo_problem(c, p, "spec.objectives[0].targetPercent", "must be greater "
				    "than 0 and less than 100, got %g", json_number_value(p));
	else if (t)
		br__openslo_set(c, out, "objective", json_real(percent_of(json_number_value(t))));
	else
		br__openslo_set(c, out, "objective", json_real(json_number_value(p)));
	br__openslo_origin(c, "spec.objective", t ? "spec.objectives[0].target" :
			   "spec.objectives[0].targetPercent", t ? t : p);
}

static void time_window(struct br__openslo_ctx *c, const json_t *spec, json_t *out)
{
	static const char *const fields[] = {"duration", "isRolling", NULL};
	static const char *const refused[] = {
		"calendar", "calendar-aligned windows have no burnrate equivalent (burnrate's "
		"window is rolling)", NULL};
	const json_t *list = br__openslo_member(c, spec, "spec", "timeWindow", BR__OPENSLO_LIST, 0);
	const json_t *w, *d, *r;
	char why[256] = "", text[32];
	long long s;

	if (!list)
		return;
	w = json_array_get(list, 0);
	if (json_array_size(list) != 1 || !json_is_object(w)) {
		br__openslo_problem(c, list, "spec.timeWindow", "must hold exactly one window "
				    "object");
		return;
	}
	br__openslo_check_fields(c, w, "spec.timeWindow[0]", fields, refused);
	r = br__openslo_member(c, w, "spec.timeWindow[0]", "isRolling", BR__OPENSLO_BOOL, 0);
	if (r && json_is_false(r))
		br__openslo_problem(c, w, "spec.timeWindow[0].isRolling", "must be true: "
				    "calendar-aligned windows have no burnrate equivalent");
	d = br__openslo_member(c, w, "spec.timeWindow[0]", "duration", BR__OPENSLO_STRING, 1);
	if (!d)
		return;
	if (br__openslo_duration(json_string_value(d), &s, why, sizeof(why)) != 0 || s == 0) {
		br__openslo_problem(c, d, "spec.timeWindow[0].duration", "%s", s == 0 && !why[0] ?
				    "must not be zero" : why);
		return;
	}
	br__openslo_set(c, out, "window", json_string(br_duration_format(s, text, sizeof(text))));
	br__openslo_origin(c, "spec.window", "spec.timeWindow[0].duration", d);
}

static void budgeting(struct br__openslo_ctx *c, const json_t *spec)
{
	const json_t *m = br__openslo_member(c, spec, "spec", "budgetingMethod",
					     BR__OPENSLO_STRING, 1);
	const char *s = m ? json_string_value(m) : "Occurrences";

	if (strcmp(s, "Timeslices") != 0 && strcmp(s, "RatioTimeslices") != 0 &&
	    strcmp(s, "Occurrences") != 0)
		br__openslo_problem(c, m, "spec.budgetingMethod", "must be Occurrences, "
				    "Timeslices or RatioTimeslices, got \"%.100s\"", s);
}

/* --- metadata and annotations -------------------------------------------- */

/* A JSON object carried in annotation key, or NULL (with a problem). */
static json_t *annotation_object(struct br__openslo_ctx *c, const json_t *v, const char *key)
{
	char field[256];
	json_error_t e;
	json_t *o;

	snprintf(field, sizeof(field), "metadata.annotations.%s", key);
	if (!json_is_string(v)) {
		br__openslo_problem(c, v, field, "must be a string holding a JSON object");
		return NULL;
	}
	o = json_loads(json_string_value(v), JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o)) {
		br__openslo_problem(c, v, field, "must hold a JSON object: %s",
				    o ? "not an object" : e.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The alerting annotation: what spec.alerting holds that OpenSLO has no
 * field for. The table and the receivers come from alertPolicies. */
static void alerting_annotation(struct br__openslo_ctx *c, const json_t *v, json_t *alerting)
{
	static const char *const allowed[] = {"name", "labels", "annotations", "offPeak",
					      "page", "ticket", NULL};
	json_t *o = annotation_object(c, v, BR_OPENSLO_ANN_ALERTING);
	const char *key, *field = "metadata.annotations." BR_OPENSLO_ANN_ALERTING;
	json_t *x;

	json_object_foreach(o, key, x) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], key))
			i++;
		if (!allowed[i])
			br__openslo_problem(c, v, field, "%.100s: not carried here (the alert "
					    "table and receivers come from spec.alertPolicies)",
					    key);
		else if ((strcmp(key, "page") == 0 || strcmp(key, "ticket") == 0) &&
			 (!json_is_object(x) || json_object_get(x, "receiver") ||
			  json_object_get(x, "disabled")))
			br__openslo_problem(c, v, field, "%s: only severity is carried here (the "
					    "receiver and whether it alerts come from "
					    "spec.alertPolicies)", key);
		else
			br__openslo_set(c, alerting, key, json_incref(x));
	}
	json_decref(o);
	br__openslo_origin(c, "spec.alerting", field, v);
}

static void annotations(struct br__openslo_ctx *c, const json_t *ann, json_t *meta, json_t *spec,
			json_t *alerting)
{
	const char *key;
	json_t *v, *copy = json_object();
	char field[256];

	json_object_foreach((json_t *)ann, key, v) {
		br__openslo_path("metadata.annotations", key, field, sizeof(field));
		if (strcmp(key, BR_OPENSLO_ANN_TRAFFIC) == 0) {
			br__openslo_set(c, spec, "traffic", annotation_object(c, v, key));
			br__openslo_origin(c, "spec.traffic", field, v);
		} else if (strcmp(key, BR_OPENSLO_ANN_ALERTING) == 0) {
			alerting_annotation(c, v, alerting);
		} else if (strcmp(key, BR_OPENSLO_ANN_TIMESLICE) == 0) {
			json_decref(c->ts_annotation);
			c->ts_annotation = annotation_object(c, v, key);
			br__openslo_origin(c, "spec.indicator.timeSlice", field, v);
		} else if (strncmp(key, "burnrate.dev/", 13) == 0) {
			br__openslo_problem(c, v, field, "unknown burnrate annotation (burnrate "
					    "reads %s and %s)", BR_OPENSLO_ANN_TRAFFIC,
					    BR_OPENSLO_ANN_ALERTING);
		} else if (!json_is_string(v)) {
			br__openslo_problem(c, ann, field, "must be a string");
		} else {
			br__openslo_set(c, copy, key, json_incref(v));
		}
	}
	if (json_object_size(copy))
		br__openslo_set(c, meta, "annotations", json_incref(copy));
	json_decref(copy);
}

static void labels(struct br__openslo_ctx *c, const json_t *in, json_t *meta)
{
	const char *key;
	json_t *v, *copy = json_object();
	char field[256];

	json_object_foreach((json_t *)in, key, v) {
		br__openslo_path("metadata.labels", key, field, sizeof(field));
		if (json_is_string(v))
			br__openslo_set(c, copy, key, json_incref(v));
		else
			br__openslo_problem(c, json_is_array(v) ? v : in, field, "must be a "
					    "string: a label of several values has no Kubernetes "
					    "equivalent");
	}
	if (json_object_size(copy))
		br__openslo_set(c, meta, "labels", json_incref(copy));
	json_decref(copy);
}

static json_t *metadata(struct br__openslo_ctx *c, const json_t *doc, json_t *spec,
			json_t *alerting)
{
	static const char *const fields[] = {"name", "displayName", "namespace", "labels",
					     "annotations", NULL};
	const json_t *m = br__openslo_member(c, doc, "", "metadata", BR__OPENSLO_OBJECT, 1), *v;
	json_t *out = json_object();

	if (!m || !out)
		return out;
	br__openslo_check_fields(c, m, "metadata", fields, NULL);
	if ((v = br__openslo_member(c, m, "metadata", "name", BR__OPENSLO_STRING, 1)) != NULL) {
		br__openslo_set(c, out, "name", json_incref((json_t *)v));
		br__openslo_origin(c, "metadata.name", "metadata.name", v);
	}
	if ((v = br__openslo_member(c, m, "metadata", "namespace",
				    BR__OPENSLO_STRING, 0)) != NULL) {
		br__openslo_set(c, out, "namespace", json_incref((json_t *)v));
		br__openslo_origin(c, "metadata.namespace", "metadata.namespace", v);
	}
	if ((v = br__openslo_member(c, m, "metadata", "labels", BR__OPENSLO_OBJECT, 0)) != NULL)
		labels(c, v, out);
	if ((v = br__openslo_member(c, m, "metadata", "annotations",
				    BR__OPENSLO_OBJECT, 0)) != NULL)
		annotations(c, v, out, spec, alerting);
	return out;
}

/* --- the document -------------------------------------------------------- */

static void copy_string(struct br__openslo_ctx *c, const json_t *spec, const char *key, json_t *out)
{
	char field[64];
	const json_t *v = br__openslo_member(c, spec, "spec", key, BR__OPENSLO_STRING, 0);

	if (!v)
		return;
	br__openslo_set(c, out, key, json_incref((json_t *)v));
	br__openslo_path("spec", key, field, sizeof(field));
	br__openslo_origin(c, field, field, v);
}

/* burnrate's own time slice, carried whole in the annotation: exact (a
 * histogram slice stays one), if the OpenSLO fields say the same slice,
 * threshold and side. ind (what the fields say) is taken. */
static json_t *timeslice_from_annotation(struct br__openslo_ctx *c, const json_t *spec, json_t *ind)
{
	const json_t *a = c->ts_annotation, *f = json_object_get(ind, "timeSlice");
	const char *field = "metadata.annotations." BR_OPENSLO_ANN_TIMESLICE;
	const char *keys[] = {"slice", "goodBelow", "goodAbove"};
	json_t *out = NULL;

	if (!c->ts) {
		br__openslo_problem(c, spec, field, "only with budgetingMethod Timeslices");
	} else if (f) {
		int same = 1;
		for (size_t i = 0; i < 3; i++) {
			const json_t *x = json_object_get(a, keys[i]);
			const json_t *y = json_object_get(f, keys[i]);
			/* slice defaults to 1m in burnrate */
			if (i == 0 && !x)
				same &= y && strcmp(json_string_value(y), "1m") == 0;
			else
				same &= !x == !y && (!x || json_equal((json_t *)x, (json_t *)y));
		}
		if (!same)
			br__openslo_problem(c, spec, field, "says another slice, threshold or "
					    "side than spec.objectives[0] (timeSliceWindow, op, "
					    "value)");
		else if (!(out = json_pack("{s:O}", "timeSlice", a)))
			c->nomem = 1;
	}
	json_decref(ind);
	return out;
}

static void convert_spec(struct br__openslo_ctx *c, const json_t *spec, json_t *out,
			 json_t *alerting)
{
	static const char *const fields[] = {"description", "service", "indicator",
					     "indicatorRef", "timeWindow", "budgetingMethod",
					     "objectives", "alertPolicies", NULL};
	json_t *traffic;

	br__openslo_check_fields(c, spec, "spec", fields, NULL);
	copy_string(c, spec, "service", out);
	copy_string(c, spec, "description", out);
	objective(c, spec, out);
	time_window(c, spec, out);
	budgeting(c, spec);
	json_t *ind = indicator(c, spec);
	if (c->ts_annotation)
		ind = timeslice_from_annotation(c, spec, ind);
	br__openslo_set(c, out, "indicator", ind);
	br__openslo_alert_policies(c, spec, alerting);
	/* traffic came from the annotations, before the rest: put it after */
	traffic = json_incref(json_object_get(out, "traffic"));
	if (traffic) {
		json_object_del(out, "traffic");
		br__openslo_set(c, out, "traffic", traffic);
	}
	if (json_object_size(alerting))
		br__openslo_set(c, out, "alerting", json_incref(alerting));
}

static void check_kind(struct br__openslo_ctx *c, const json_t *doc)
{
	static const char *const fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	const json_t *v = br__openslo_member(c, doc, "", "apiVersion", BR__OPENSLO_STRING, 1);

	if (v && strcmp(json_string_value(v), BR_OPENSLO_API_VERSION) != 0)
		br__openslo_problem(c, v, "apiVersion", "must be %s, got \"%.100s\"",
				    BR_OPENSLO_API_VERSION, json_string_value(v));
	v = br__openslo_member(c, doc, "", "kind", BR__OPENSLO_STRING, 1);
	if (v && strcmp(json_string_value(v), "SLO") != 0)
		br__openslo_problem(c, v, "kind", "must be SLO, got \"%.100s\"",
				    json_string_value(v));
	br__openslo_check_fields(c, doc, "", fields, NULL);
}

/* The origin whose burnrate field is the longest prefix of field. */
static const struct br__openslo_origin *origin_of(const struct br__openslo_ctx *c,
						  const char *field)
{
	const struct br__openslo_origin *best = NULL;

	for (size_t i = 0; i < c->norigins; i++) {
		const struct br__openslo_origin *o = &c->origins[i];
		size_t n = strlen(o->br_field);

		if (strncmp(field, o->br_field, n) == 0 && strchr(".[", field[n]) &&
		    (!best || n > strlen(best->br_field)))
			best = o;
	}
	return best;
}

/* Reports a problem br_slo_parse found in the result at its origin. */
static void report(struct br__openslo_ctx *c, const struct br_error *p)
{
	const struct br__openslo_origin *o = origin_of(c, p->field);
	const struct br_openslo_doc *saved = c->doc;

	if (!o) {
		br__openslo_problem(c, c->doc->root, p->field, "%s (in the converted "
				    "ServiceLevelObjective)", p->text);
		return;
	}
	c->doc = o->doc;
	if (strcmp(o->br_field, p->field) == 0)
		br__openslo_problem(c, o->node, o->os_field, "%s", p->text);
	else {
		size_t n = strlen(o->br_field);

		br__openslo_problem(c, o->node, o->os_field, "%s: %s",
				    p->field + n + (p->field[n] == '.'), p->text);
	}
	c->doc = saved;
}

/* Checks the result as burnrate will read it. */
static void verify(struct br__openslo_ctx *c, const json_t *result)
{
	struct br_problems found;
	struct br_slo slo;
	int rc;

	br_problems_init(&found);
	br_slo_init(&slo);
	rc = br_slo_parse(result, NULL, NULL, &slo, &found);
	if (rc == BR_ENOMEM)
		c->nomem = 1;
	for (size_t i = 0; rc && i < found.count; i++)
		report(c, &found.items[i]);
	if (rc == BR_EINVAL && found.count == 0)
		br__openslo_problem(c, c->doc->root, "", "not a valid ServiceLevelObjective once "
				    "converted");
	br_slo_release(&slo);
	br_problems_release(&found);
}

int br_openslo_to_slo(const struct br_openslo_doc *slo,
		      const struct br_openslo_doc *refs, size_t nrefs,
		      json_t **out, struct br_problems *problems)
{
	struct br__openslo_ctx c = {.doc = slo, .refs = refs, .nrefs = nrefs, .problems = problems};
	json_t *res = json_object(), *spec = json_object(), *alerting = json_object();
	const json_t *s;

	*out = NULL;
	if (!res || !spec || !alerting)
		c.nomem = 1;
	else if (!json_is_object(slo->root))
		br__openslo_problem(&c, slo->root, "", "must be an object");
	else {
		check_kind(&c, slo->root);
		br__openslo_set(&c, res, "apiVersion", json_string(BR_SLO_API_VERSION));
		br__openslo_set(&c, res, "kind", json_string(BR_SLO_KIND));
		br__openslo_set(&c, res, "metadata", metadata(&c, slo->root, spec, alerting));
		s = br__openslo_member(&c, slo->root, "", "spec", BR__OPENSLO_OBJECT, 1);
		struct br__openslo_ts ts = {.value = NAN, .target = NAN};
		if (s && br__openslo_timeslices(s))
			c.ts = &ts;
		if (s)
			convert_spec(&c, s, spec, alerting);
		c.ts = NULL;
		br__openslo_set(&c, res, "spec", json_incref(spec));
		if (c.count == 0 && !c.nomem)
			verify(&c, res);
	}
	json_decref(spec);
	json_decref(alerting);
	json_decref(c.ts_annotation);
	free(c.origins);
	if (c.nomem || c.count) {
		json_decref(res);
		return c.nomem ? BR_ENOMEM : BR_EINVAL;
	}
	*out = res;
	return 0;
}
