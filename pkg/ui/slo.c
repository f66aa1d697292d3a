/* slo: the page of one SLO: what it promises, its budget, the burn-down,
 * the alert table (status.alerts) with each row's detection and reset
 * times and burn rate, the conditions, and what burnrate generated (the
 * PrometheusRule, the routing, the runbook). */
#include "ui/internal.h"

#include <math.h>
#include <string.h>

#include "slo/slo.h"

static void add_field(const char *label, const char *v, struct br_buf *out)
{
	br_buf_addf(out, "<tr><th>%s</th><td>", label);
	br_ui_escape(v ? v : "-", out);
	br_buf_adds(out, "</td></tr>\n");
}

static void add_labels(const char *title, const json_t *labels,
		       struct br_buf *out)
{
	const char *k;
	const json_t *v;

	br_buf_addf(out, "<tr><th>%s</th><td>", title);
	json_object_foreach((json_t *)labels, k, v) {
		br_buf_adds(out, "<code>");
		br_ui_escape(k, out);
		br_buf_addc(out, '=');
		br_ui_escape(json_string_value(v), out);
		br_buf_adds(out, "</code> ");
	}
	br_buf_adds(out, "</td></tr>\n");
}

static void add_spec(const json_t *slo, struct br_buf *out)
{
	const char *window = br__ui_str(slo, "spec", "window", NULL);

	br_buf_adds(out, "<table>\n");
	add_field("service", br__ui_str(slo, "spec", "service", NULL), out);
	add_field("description", br__ui_str(slo, "spec", "description", NULL), out);
	br_buf_adds(out, "<tr><th>objective</th><td>");
	br__ui_number(br__ui_get(slo, "spec", "objective", NULL), out);
	br_buf_adds(out, "% over ");
	br_ui_escape(window ? window : "30d", out);
	br_buf_adds(out, "</td></tr>\n");
	add_labels("labels", br__ui_get(slo, "metadata", "labels", NULL), out);
	add_labels("alert labels", br__ui_get(slo, "spec", "alerting", "labels"), out);
	static const char *const figures[][2] = {
		{"remainingPercent", "budget left"},
		{"allowedEvents", "allowed failures"},
		{"remainingEvents", "failures left"},
	};
	for (size_t i = 0; i < sizeof(figures) / sizeof(*figures); i++) {
		br_buf_addf(out, "<tr><th>%s</th><td>", figures[i][1]);
		br__ui_value(br__ui_get(slo, "status", "budget", figures[i][0]), out);
		br_buf_adds(out, "</td></tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* One cell per key of each object of array (strings escaped, numbers and
 * booleans as JSON writes them). */
static void add_rows(const json_t *array, const char *const *keys, size_t nkeys,
		     struct br_buf *out)
{
	size_t i;
	const json_t *o;

	br_buf_adds(out, "<table><tr>");
	for (size_t k = 0; k < nkeys; k++)
		br_buf_addf(out, "<th>%s</th>", keys[k]);
	br_buf_adds(out, "</tr>\n");
	json_array_foreach(array, i, o) {
		br_buf_adds(out, "<tr>");
		for (size_t k = 0; k < nkeys; k++) {
			br_buf_adds(out, "<td>");
			br__ui_value(json_object_get(o, keys[k]), out);
			br_buf_adds(out, "</td>");
		}
		br_buf_adds(out, "</tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* Appends seconds the short way: "52s", "26 min", "3.5h". */
static void add_duration(double secs, struct br_buf *out)
{
	if (!isfinite(secs) || secs < 0)
		br_buf_adds(out, "-");
	else if (secs < 120)
		br_buf_addf(out, "%.0fs", secs);
	else if (secs < 7200)
		br_buf_addf(out, "%.0f min", secs / 60);
	else
		br_buf_addf(out, "%.1fh", secs / 3600);
}

/* The alert table: status.alerts, and for each row how long a total
 * outage takes to fire it (long window x burn rate x error budget: the
 * long window's ratio reaching the threshold) and how long it keeps firing
 * once the errors stop (its short window, which must fall below it). */
static void add_alerts(const json_t *slo, struct br_buf *out)
{
	static const char *const keys[] = {"severity", "burnRate", "longWindow",
		"shortWindow", "budgetPercent", "offPeakMuted"};
	double objective = json_number_value(br__ui_get(slo, "spec", "objective", NULL));
	size_t i;
	const json_t *a;
	long long secs;

	br_buf_adds(out, "<table><tr>");
	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		br_buf_addf(out, "<th>%s</th>", keys[k]);
	br_buf_adds(out, "<th>fires after (100% errors)</th><th>resets after</th></tr>\n");
	json_array_foreach(br__ui_get(slo, "status", "alerts", NULL), i, a) {
		br_buf_adds(out, "<tr>");
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
			br_buf_adds(out, "<td>");
			br__ui_value(json_object_get(a, keys[k]), out);
			br_buf_adds(out, "</td>");
		}
		const char *lw = json_string_value(json_object_get(a, "longWindow"));
		const char *sw = json_string_value(json_object_get(a, "shortWindow"));
		double f = json_number_value(json_object_get(a, "burnRate"));
		br_buf_adds(out, "<td>");
		add_duration(lw && br_duration_parse(lw, &secs) == 0 && objective > 0 &&
			     objective < 100 && f > 0
			     ? (double)secs * f * (1 - objective / 100) : NAN, out);
		br_buf_adds(out, "</td><td>");
		add_duration(sw && br_duration_parse(sw, &secs) == 0 ? (double)secs : NAN, out);
		br_buf_adds(out, "</td></tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* What burnrate made of the SLO: its PrometheusRule, where its alerts
 * go (receivers and the Secret's name; never the Secret's content) and
 * the runbook, a link only when it is http(s). */
static void add_generated(const json_t *slo, struct br_buf *out)
{
	const json_t *rule = br__ui_get(slo, "status", "prometheusRule", NULL);
	size_t i;
	const json_t *r;
	const char *runbook = json_string_value(json_object_get(
		br__ui_get(slo, "spec", "alerting", "annotations"), "runbook_url"));
	br_buf_adds(out, "<h2>Generated</h2>\n<table>\n<tr><th>PrometheusRule</th><td>");
	if (json_string_value(json_object_get(rule, "name"))) {
		br_ui_escape(br__ui_str(slo, "metadata", "namespace", NULL), out);
		br_buf_addc(out, '/');
		br_ui_escape(json_string_value(json_object_get(rule, "name")), out);
		br_buf_adds(out, " (");
		br__ui_number(json_object_get(rule, "recordingRules"), out);
		br_buf_adds(out, " recording rules, ");
		br__ui_number(json_object_get(rule, "alertingRules"), out);
		br_buf_adds(out, " alerting rules)");
	} else {
		br_buf_adds(out, "-");
	}
	br_buf_adds(out, "</td></tr>\n<tr><th>receivers</th><td>");
	json_array_foreach(br__ui_get(slo, "status", "routing", "receivers"), i, r) {
		br_buf_adds(out, i ? ", " : "");
		br_ui_escape(json_string_value(r), out);
	}
	br_buf_adds(out, "</td></tr>\n");
	add_field("routes in Secret", br__ui_str(slo, "status", "routing", "secret"), out);
	br_buf_adds(out, "<tr><th>runbook</th><td>");
	if (runbook &&
	    (strncmp(runbook, "https://", 8) == 0 || strncmp(runbook, "http://", 7) == 0)) {
		br_buf_adds(out, "<a rel=\"noreferrer\" href=\"");
		br_ui_escape(runbook, out);
		br_buf_adds(out, "\">");
		br_ui_escape(runbook, out);
		br_buf_adds(out, "</a>");
	} else {
		br_ui_escape(runbook ? runbook : "-", out);
	}
	br_buf_adds(out, "</td></tr>\n</table>\n");
}

/* Links to the other ranges of the burn-rate charts. */
static void add_ranges(const json_t *slo, const char *range, struct br_buf *out)
{
	static const char *const ranges[] = {"1d", "7d", "window"};

	br_buf_adds(out, "<p>range:");
	for (size_t i = 0; i < sizeof(ranges) / sizeof(*ranges); i++) {
		if (range && strcmp(range, ranges[i]) == 0) {
			br_buf_addf(out, " <strong>%s</strong>", ranges[i]);
			continue;
		}
		br_buf_adds(out, " <a href=\"/slo/");
		br_ui_escape(br__ui_str(slo, "metadata", "namespace", NULL), out);
		br_buf_addc(out, '/');
		br_ui_escape(br__ui_str(slo, "metadata", "name", NULL), out);
		br_buf_addf(out, "?range=%s\">%s</a>", ranges[i], ranges[i]);
	}
	br_buf_adds(out, "</p>\n");
}

/* A burn-rate chart per alert row, the first BR_UI_MAX_CHARTS. */
static void add_rates(const json_t *slo, const struct br_ui_slo_data *d,
		      struct br_buf *out)
{
	const json_t *alerts = br__ui_get(slo, "status", "alerts", NULL);
	size_t i;
	const json_t *a;

	if (!json_array_size(alerts))
		return;
	br_buf_adds(out, "<h2>Burn rate of each alert</h2>\n");
	add_ranges(slo, d ? d->range : "1d", out);
	json_array_foreach(alerts, i, a) {
		if (i >= BR_UI_MAX_CHARTS)
			break;
		const struct br_prom_series *s = d && i < d->nrates ? d->rates[i] : NULL;
		br_buf_adds(out, "<h3>");
		br__ui_value(json_object_get(a, "severity"), out);
		br_buf_adds(out, ": over ");
		br__ui_value(json_object_get(a, "longWindow"), out);
		br_buf_adds(out, "</h3>\n");
		br_ui_svg_burnrate(s ? s->points : NULL, s ? s->count : 0,
				   d ? d->range_start : 0, d ? d->range_end : 0,
				   json_number_value(json_object_get(a, "burnRate")), NULL, NULL,
				   out);
	}
}

int br_ui_render_slo(const json_t *slo, const struct br_ui_slo_data *d,
		     const char *banner, struct br_buf *out)
{
	static const char *const cond_keys[] = {"type", "status", "reason", "message",
		"lastTransitionTime"};
	const char *ns = br__ui_str(slo, "metadata", "namespace", NULL);
	const char *name = br__ui_str(slo, "metadata", "name", NULL);

	br__ui_page_open(name ? name : "SLO", banner, out);
	br_buf_adds(out, "<h1>");
	br_ui_escape(ns, out);
	br_buf_addc(out, '/');
	br_ui_escape(name, out);
	br_buf_adds(out, "</h1>\n");
	add_spec(slo, out);
	br_buf_adds(out, "<h2>Error budget left over the window</h2>\n");
	br_ui_svg_burndown(d && d->budget ? d->budget->points : NULL,
			   d && d->budget ? d->budget->count : 0, d ? d->start : 0,
			   d ? d->end : 0, NULL, out);
	br_buf_adds(out, "<h2>Alerts</h2>\n");
	add_alerts(slo, out);
	add_rates(slo, d, out);
	br_buf_adds(out, "<h2>When the alerts fired</h2>\n");
	if (d) {
		br__ui_svg_timeline(d->firing, d->range_start, d->range_end, d->range_step, out);
		br__ui_firing_list(d->firing, d->range_step, out);
	}
	br_buf_adds(out, "<h2>Conditions</h2>\n");
	add_rows(br__ui_get(slo, "status", "conditions", NULL), cond_keys,
		 sizeof(cond_keys) / sizeof(*cond_keys), out);
	add_generated(slo, out);
	br__ui_page_close(out);
	return out->failed ? BR_ENOMEM : 0;
}
