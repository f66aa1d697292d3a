/* from_slo: a burnrate ServiceLevelObjective into an OpenSLO v1 SLO with its
 * SLI inline and one inline AlertPolicy per row of its alert table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "openslo/internal.h"
#include "slo/slo.h"

/* OpenSLO's duration-shorthand: one number and one unit (m, h, d, w). A
 * duration that is not whole minutes is written as burnrate writes it
 * (which burnrate reads back; OpenSLO has no seconds). */
static char *shorthand(long long s, char *out, size_t size)
{
	static const struct { long long n; char unit; } units[] = {
		{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s > 0 && s % units[i].n == 0) {
			snprintf(out, size, "%lld%c", s / units[i].n, units[i].unit);
			return out;
		}
	return br_duration_format(s, out, size);
}

static json_t *source(const char *query)
{
	return json_pack("{s:{s:s, s:{s:s}}}", "metricSource", "type", "Prometheus",
			 "spec", "query", query);
}

/* The latency indicator as the pair of series burnrate reads:
 * h_bucket{M, le=...} good out of h_count{M}. */
static json_t *latency_metric(const struct br_slo *slo)
{
	struct br_matcher le = {.name = "le"};
	struct br_buf good, total;
	char value[64], n[32];
	double t = slo->threshold_s;
	json_t *rm = NULL;

	if (t == (double)(long long)t && t < 1e15) {
		le.op = BR_MATCH_RE;
		snprintf(value, sizeof(value), "%.0f(\\.0)?", t);
	} else {
		le.op = BR_MATCH_EQ;
		snprintf(n, sizeof(n), "%.10g", t);
		snprintf(value, sizeof(value), "%s", n);
	}
	le.value = value;
	br_buf_init(&good, 1 << 16);
	br_buf_init(&total, 1 << 16);
	if (br_selector_render(&slo->histogram, "_bucket", &le, &good) == 0 &&
	    br_selector_render(&slo->histogram, "_count", NULL, &total) == 0)
		rm = json_pack("{s:b, s:o, s:o}", "counter", 1, "good", source(good.data),
			       "total", source(total.data));
	br_buf_release(&good);
	br_buf_release(&total);
	return rm;
}

static json_t *ratio_metric(const struct br_slo *slo, const json_t *ind)
{
	const json_t *ratio = json_object_get(ind, "ratio");
	const char *num = slo->ratio_has_good ? "good" : "errors";

	switch (slo->indicator) {
	case BR_INDICATOR_RATIO:
		return json_pack("{s:b, s:o, s:o}", "counter", 1,
				 slo->ratio_has_good ? "good" : "bad",
				 source(json_string_value(json_object_get(ratio, num))),
				 "total",
				 source(json_string_value(json_object_get(ratio, "total"))));
	case BR_INDICATOR_LATENCY:
		return latency_metric(slo);
	case BR_INDICATOR_RAW:
		return json_pack("{s:s, s:o}", "rawType", "failure", "raw",
				 source(slo->raw_error_ratio));
	default:
		/* an indicator added later (time slices): refused by
		   br_openslo_from_slo before this is reached */
		return NULL;
	}
}

/* A JSON object as one compact string, for an annotation. */
static json_t *dumped(const json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	json_t *v = s ? json_string(s) : NULL;

	free(s);
	return v;
}

/* What spec.alerting holds beyond the table and the receivers. */
static json_t *alerting_extras(const json_t *alerting)
{
	json_t *out = json_deep_copy(alerting);
	static const char *const sevs[] = {"page", "ticket"};

	if (!out)
		return alerting ? NULL : json_object();
	json_object_del(out, "windows");
	json_object_del(out, "preset");
	/* "key:" with nothing after it is null, which burnrate reads as unset:
	   leave it out rather than carry a null the other way refuses */
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(out, tmp, k, v)
		if (json_is_null(v))
			json_object_del(out, k);
	for (int i = 0; i < 2; i++) {
		json_t *r = json_object_get(out, sevs[i]);

		json_object_del(r, "receiver");
		json_object_del(r, "disabled");
		if (json_is_object(r) && json_object_size(r) == 0)
			json_object_del(out, sevs[i]);
	}
	return out;
}

static int annotate(json_t *ann, const char *key, const json_t *obj)
{
	return obj && json_object_size(obj) ? json_object_set_new(ann, key, dumped(obj)) : 0;
}

static json_t *metadata(const struct br_slo *slo, const json_t *doc)
{
	const json_t *meta = json_object_get(doc, "metadata");
	const json_t *spec = json_object_get(doc, "spec");
	json_t *out = json_pack("{s:s, s:s}", "name", slo->name, "namespace", slo->namespace);
	json_t *ann = json_deep_copy(json_object_get(meta, "annotations"));
	json_t *extras = alerting_extras(json_object_get(spec, "alerting"));
	int failed = !out || !extras;

	if (!ann)
		ann = json_object();
	failed |= !ann || annotate(ann, BR_OPENSLO_ANN_TRAFFIC, json_object_get(spec, "traffic"));
	failed |= annotate(ann, BR_OPENSLO_ANN_ALERTING, extras);
	failed |= annotate(ann, BR_OPENSLO_ANN_TIMESLICE,
			   json_object_get(json_object_get(spec, "indicator"), "timeSlice"));
	if (json_object_get(meta, "labels"))
		failed |= json_object_set(out, "labels", json_object_get(meta, "labels"));
	if (json_object_size(ann))
		failed |= json_object_set(out, "annotations", ann);
	json_decref(ann);
	json_decref(extras);
	if (failed) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *row_policy(const struct br_slo *slo, const struct br_alert_window *w)
{
	static const char *const sevs[] = {"page", "ticket"};
	const struct br_route *r = w->severity == BR_SEVERITY_PAGE ? &slo->page : &slo->ticket;
	char name[320], l[32], s[32];
	json_t *meta, *p;

	snprintf(name, sizeof(name), "%s-%s-%s", slo->name, sevs[w->severity],
		 shorthand(w->long_s, l, sizeof(l)));
	meta = json_pack("{s:s}", "name", name);
	if (meta && w->short_s != w->long_s / 12 &&
	    json_object_set_new(meta, "annotations", json_pack("{s:s}", BR_OPENSLO_ANN_SHORT,
				br_duration_format(w->short_s, s, sizeof(s)))) != 0) {
		json_decref(meta);
		return NULL;
	}
	p = json_pack("{s:s, s:{s:s}, s:{s:b, s:b, s:b, s:[{s:s, s:o, s:{s:s, s:{s:s, s:s, "
		      "s:f, s:s, s:s}}}]}}",
		      "kind", "AlertPolicy", "metadata", "name", name, "spec",
		      "alertWhenBreaching", 1, "alertWhenResolved", 0, "alertWhenNoData", 0,
		      "conditions", "kind", "AlertCondition", "metadata", meta, "spec",
		      "severity", sevs[w->severity], "condition", "kind", "burnrate", "op", "gt",
		      "threshold", w->burn_rate, "lookbackWindow", l, "alertAfter", "0m");
	if (p && r->receiver &&
	    json_object_set_new(json_object_get(p, "spec"), "notificationTargets",
				json_pack("[{s:s}]", "targetRef", r->receiver)) != 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* The rows of an enabled severity: those that become policies. */
static size_t alerting_rows(const struct br_slo *slo)
{
	size_t n = 0;

	for (size_t i = 0; i < slo->window_count; i++)
		n += !(slo->windows[i].severity == BR_SEVERITY_PAGE ? &slo->page :
		       &slo->ticket)->disabled;
	return n;
}

/* One policy per row of an enabled severity, or NULL when out of memory. */
static json_t *policies(const struct br_slo *slo)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		const struct br_route *r = w->severity == BR_SEVERITY_PAGE ? &slo->page :
									    &slo->ticket;

		if (!r->disabled && json_array_append_new(list, row_policy(slo, w)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* A time-slice SLO: Timeslices budgeting, the slice's value as a
 * thresholdMetric, the threshold and side as op and value (the exact
 * timeSlice rides in an annotation: metadata()). */
static json_t *timeslice_spec(const struct br_slo *slo, char *window, size_t size)
{
	char slice[32], *q = br__openslo_slice_query(slo);
	json_t *out = q ? json_pack("{s:s, s:{s:{s:s}, s:{s:o}}, s:[{s:s, s:b}], s:s,"
				    " s:[{s:f, s:s, s:f, s:s}], s:o}",
				    "service", slo->service,
				    "indicator", "metadata", "name", slo->name,
				    "spec", "thresholdMetric", source(q), "timeWindow", "duration",
				    shorthand(slo->window_s, window, size), "isRolling", 1,
				    "budgetingMethod", "Timeslices", "objectives", "targetPercent",
				    slo->objective, "op", slo->slice_good_above ? "gte" : "lte",
				    "value", slo->slice_threshold, "timeSliceWindow",
				    shorthand(slo->slice_s, slice, sizeof(slice)), "alertPolicies",
				    policies(slo)) : NULL;
	free(q);
	return out;
}

static json_t *convert(const struct br_slo *slo, const json_t *doc)
{
	const json_t *ind = json_object_get(json_object_get(doc, "spec"), "indicator");
	char window[32];
	json_t *spec = json_object(), *rest, *out;

	if (spec && slo->description &&
	    json_object_set_new(spec, "description", json_string(slo->description)) != 0) {
		json_decref(spec);
		return NULL;
	}
	if (slo->indicator == BR_INDICATOR_TIMESLICE)
		rest = timeslice_spec(slo, window, sizeof(window));
	else
		rest = json_pack("{s:s, s:{s:{s:s}, s:{s:o}}, s:[{s:s, s:b}], s:s, s:[{s:f}], s:o}",
			 "service", slo->service, "indicator", "metadata", "name", slo->name,
			 "spec", "ratioMetric", ratio_metric(slo, ind), "timeWindow", "duration",
			 shorthand(slo->window_s, window, sizeof(window)), "isRolling", 1,
			 "budgetingMethod", "Occurrences", "objectives", "targetPercent",
			 slo->objective, "alertPolicies", policies(slo));
	if (!spec || !rest || json_object_update(spec, rest) != 0) {
		json_decref(spec);
		json_decref(rest);
		return NULL;
	}
	json_decref(rest);
	out = json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", BR_OPENSLO_API_VERSION, "kind",
			"SLO", "metadata", metadata(slo, doc), "spec", spec);
	return out;
}

/* metadata.labels and annotations, copied into the OpenSLO metadata, must
 * be what Kubernetes allows (br_slo_parse does not read them): objects of
 * strings; and annotations must leave burnrate's own keys free. Returns the
 * number of problems recorded. */
static int check_metadata(struct br__openslo_ctx *c, const json_t *doc)
{
	static const char *const keys[] = {"labels", "annotations"};
	const json_t *meta = json_object_get(doc, "metadata");
	int before = c->count;

	for (size_t i = 0; i < 2; i++) {
		const json_t *m = json_object_get(meta, keys[i]), *v;
		char field[320];
		const char *k;

		snprintf(field, sizeof(field), "metadata.%s", keys[i]);
		if (m && !json_is_null(m) && !json_is_object(m))
			br__openslo_problem(c, m, field, "must be an object of strings");
		json_object_foreach((json_t *)m, k, v) {
			snprintf(field, sizeof(field), "metadata.%s.%s", keys[i], k);
			if (!json_is_string(v))
				br__openslo_problem(c,
						    json_is_boolean(v) || json_is_null(v) ? m : v,
						    field, "must be a string");
			else if (i == 1 && strncmp(k, "burnrate.dev/", 13) == 0)
				br__openslo_problem(c, v, field, "burnrate.dev/ annotations are "
						    "burnrate's own in OpenSLO (they carry "
						    "spec.traffic and spec.alerting)");
		}
	}
	return c->count - before;
}

int br_openslo_from_slo(const json_t *doc, const struct br_yaml_marks *marks,
			const char *file, json_t **out, struct br_problems *problems)
{
	struct br_openslo_doc d = {.root = doc, .marks = marks, .file = file};
	struct br__openslo_ctx c = {.doc = &d, .problems = problems};
	struct br_slo slo;
	int rc;

	*out = NULL;
	br_slo_init(&slo);
	rc = br_slo_parse(doc, marks, file, &slo, problems);
	if (rc != 0)
		return rc;
	if (check_metadata(&c, doc) > 0) {
		rc = c.nomem ? BR_ENOMEM : BR_EINVAL;
	} else if (alerting_rows(&slo) == 0) {
		br__openslo_problem(&c, json_object_get(json_object_get(doc, "spec"), "alerting"),
				    "spec.alerting", "no row of the alert table can fire (every "
				    "severity is disabled or has no row): OpenSLO has no way to "
				    "say so (an SLO without alert policies gets the default "
				    "table)");
		rc = BR_EINVAL;
	} else {
		*out = convert(&slo, doc);
		rc = *out ? 0 : BR_ENOMEM;
	}
	br_slo_release(&slo);
	return rc;
}
