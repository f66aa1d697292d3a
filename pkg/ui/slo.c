/* slo: the page of one SLO: what it promises, its budget, the burn-down,
 * the alert table (status.alerts) with each row's detection and reset
 * times and burn rate, the conditions, and what burnrate generated (the
 * PrometheusRule, the routing, the runbook). */
#include "ui/internal.h"

#include <math.h>
#include <string.h>

#include "slo/slo.h"

static void add_field(struct br_buf *out, const char *label, const char *v)
{
	br_buf_addf(out, "<tr><th>%s</th><td>", label);
	br_ui_escape(out, v ? v : "-");
	br_buf_adds(out, "</td></tr>\n");
}

static void add_labels(struct br_buf *out, const char *title,
		       const json_t *labels)
{
	const char *k;
	const json_t *v;

	br_buf_addf(out, "<tr><th>%s</th><td>", title);
	json_object_foreach((json_t *)labels, k, v) {
		br_buf_adds(out, "<code>");
		br_ui_escape(out, k);
		br_buf_addc(out, '=');
		br_ui_escape(out, json_string_value(v));
		br_buf_adds(out, "</code> ");
	}
	br_buf_adds(out, "</td></tr>\n");
}

static void add_spec(struct br_buf *out, const json_t *slo)
{
	const char *window = br__ui_str(slo, "spec", "window", NULL);

	br_buf_adds(out, "<table>\n");
	add_field(out, "service", br__ui_str(slo, "spec", "service", NULL));
	add_field(out, "description", br__ui_str(slo, "spec", "description", NULL));
	br_buf_adds(out, "<tr><th>objective</th><td>");
	br__ui_number(out, br__ui_get(slo, "spec", "objective", NULL));
	br_buf_adds(out, "% over ");
	br_ui_escape(out, window ? window : "30d");
	br_buf_adds(out, "</td></tr>\n");
	add_labels(out, "labels", br__ui_get(slo, "metadata", "labels", NULL));
	add_labels(out, "alert labels", br__ui_get(slo, "spec", "alerting", "labels"));
	static const char *const figures[][2] = {
		{"remainingPercent", "budget left"},
		{"allowedEvents", "allowed failures"},
		{"remainingEvents", "failures left"},
	};
	for (size_t i = 0; i < sizeof(figures) / sizeof(*figures); i++) {
		br_buf_addf(out, "<tr><th>%s</th><td>", figures[i][1]);
		br__ui_value(out, br__ui_get(slo, "status", "budget", figures[i][0]));
		br_buf_adds(out, "</td></tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* One cell per key of each object of array (strings escaped, numbers and
 * booleans as JSON writes them). */
static void add_rows(struct br_buf *out, const json_t *array,
		     const char *const *keys, size_t nkeys)
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
			br__ui_value(out, json_object_get(o, keys[k]));
			br_buf_adds(out, "</td>");
		}
		br_buf_adds(out, "</tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* Appends seconds the short way: "52s", "26 min", "3.5h". */
static void add_duration(struct br_buf *out, double secs)
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
static void add_alerts(struct br_buf *out, const json_t *slo)
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
			br__ui_value(out, json_object_get(a, keys[k]));
			br_buf_adds(out, "</td>");
		}
		const char *lw = json_string_value(json_object_get(a, "longWindow"));
		const char *sw = json_string_value(json_object_get(a, "shortWindow"));
		double f = json_number_value(json_object_get(a, "burnRate"));
		br_buf_adds(out, "<td>");
		add_duration(out, lw && br_duration_parse(lw, &secs) == 0 && objective > 0 &&
			     objective < 100 && f > 0 ? (double)secs * f * (1 - objective / 100) : NAN);
		br_buf_adds(out, "</td><td>");
		add_duration(out, sw && br_duration_parse(sw, &secs) == 0 ? (double)secs : NAN);
		br_buf_adds(out, "</td></tr>\n");
	}
	br_buf_adds(out, "</table>\n");
}

/* What burnrate made of the SLO: its PrometheusRule, where its alerts
 * go (receivers and the Secret's name; never the Secret's content) and
 * the runbook, a link only when it is http(s). */
static void add_generated(struct br_buf *out, const json_t *slo)
{
	const json_t *rule = br__ui_get(slo, "status", "prometheusRule", NULL);
	size_t i;
	const json_t *r;
	const char *runbook = json_string_value(json_object_get(
		br__ui_get(slo, "spec", "alerting", "annotations"), "runbook_url"));
	br_buf_adds(out, "<h2>Generated</h2>\n<table>\n<tr><th>PrometheusRule</th><td>");
	if (json_string_value(json_object_get(rule, "name"))) {
		br_ui_escape(out, br__ui_str(slo, "metadata", "namespace", NULL));
		br_buf_addc(out, '/');
		br_ui_escape(out, json_string_value(json_object_get(rule, "name")));
		br_buf_adds(out, " (");
		br__ui_number(out, json_object_get(rule, "recordingRules"));
		br_buf_adds(out, " recording rules, ");
		br__ui_number(out, json_object_get(rule, "alertingRules"));
		br_buf_adds(out, " alerting rules)");
	} else {
		br_buf_adds(out, "-");
	}
	br_buf_adds(out, "</td></tr>\n<tr><th>receivers</th><td>");
	json_array_foreach(br__ui_get(slo, "status", "routing", "receivers"), i, r) {
		br_buf_adds(out, i ? ", " : "");
		br_ui_escape(out, json_string_value(r));
	}
	br_buf_adds(out, "</td></tr>\n");
	add_field(out, "routes in Secret", br__ui_str(slo, "status", "routing", "secret"));
	br_buf_adds(out, "<tr><th>runbook</th><td>");
	if (runbook && (strncmp(runbook, "https://", 8) == 0 || strncmp(runbook, "http://", 7) == 0)) {
		br_buf_adds(out, "<a rel=\"noreferrer\" href=\"");
		br_ui_escape(out, runbook);
		br_buf_adds(out, "\">");
		br_ui_escape(out, runbook);
		br_buf_adds(out, "</a>");
	} else {
		br_ui_escape(out, runbook ? runbook : "-");
	}
	br_buf_adds(out, "</td></tr>\n</table>\n");
}

/* Links to the other ranges of the burn-rate charts. */
static void add_ranges(struct br_buf *out, const json_t *slo, const char *range)
{
	static const char *const ranges[] = {"1d", "7d", "window"};

	br_buf_adds(out, "<p>range:");
	for (size_t i = 0; i < sizeof(ranges) / sizeof(*ranges); i++) {
		if (range && strcmp(range, ranges[i]) == 0) {
			br_buf_addf(out, " <strong>%s</strong>", ranges[i]);
			continue;
		}
		br_buf_adds(out, " <a href=\"/slo/");
		br_ui_escape(out, br__ui_str(slo, "metadata", "namespace", NULL));
		br_buf_addc(out, '/');
		br_ui_escape(out, br__ui_str(slo, "metadata", "name", NULL));
		br_buf_addf(out, "?range=%s\">%s</a>", ranges[i], ranges[i]);
	}
	br_buf_adds(out, "</p>\n");
}

/* A burn-rate chart per alert row, the first BR_UI_MAX_CHARTS. */
static void add_rates(struct br_buf *out, const json_t *slo,
		      const struct br_ui_slo_data *d)
{
	const json_t *alerts = br__ui_get(slo, "status", "alerts", NULL);
	size_t i;
	const json_t *a;

	if (!json_array_size(alerts))
		return;
	br_buf_adds(out, "<h2>Burn rate of each alert</h2>\n");
	add_ranges(out, slo, d ? d->range : "1d");
	json_array_foreach(alerts, i, a) {
		if (i >= BR_UI_MAX_CHARTS)
			break;
		const struct br_prom_series *s = d && i < d->nrates ? d->rates[i] : NULL;
		br_buf_adds(out, "<h3>");
		br__ui_value(out, json_object_get(a, "severity"));
		br_buf_adds(out, ": over ");
		br__ui_value(out, json_object_get(a, "longWindow"));
		br_buf_adds(out, "</h3>\n");
		br_ui_svg_burnrate(out, s ? s->points : NULL, s ? s->count : 0,
				   d ? d->range_start : 0, d ? d->range_end : 0,
				   json_number_value(json_object_get(a, "burnRate")), NULL, NULL);
	}
}

int br_ui_render_slo(struct br_buf *out, const json_t *slo,
		     const struct br_ui_slo_data *d, const char *banner)
{
	static const char *const cond_keys[] = {"type", "status", "reason", "message",
		"lastTransitionTime"};
	const char *ns = br__ui_str(slo, "metadata", "namespace", NULL);
	const char *name = br__ui_str(slo, "metadata", "name", NULL);

	br__ui_page_open(out, name ? name : "SLO", banner);
	br_buf_adds(out, "<h1>");
	br_ui_escape(out, ns);
	br_buf_addc(out, '/');
	br_ui_escape(out, name);
	br_buf_adds(out, "</h1>\n");
	add_spec(out, slo);
	br_buf_adds(out, "<h2>Error budget left over the window</h2>\n");
	br_ui_svg_burndown(out, d && d->budget ? d->budget->points : NULL,
			   d && d->budget ? d->budget->count : 0, d ? d->start : 0,
			   d ? d->end : 0, NULL);
	br_buf_adds(out, "<h2>Alerts</h2>\n");
	add_alerts(out, slo);
	add_rates(out, slo, d);
	br_buf_adds(out, "<h2>When the alerts fired</h2>\n");
	if (d) {
		br__ui_svg_timeline(out, d->firing, d->range_start, d->range_end, d->range_step);
		br__ui_firing_list(out, d->firing, d->range_step);
	}
	br_buf_adds(out, "<h2>Conditions</h2>\n");
	add_rows(out, br__ui_get(slo, "status", "conditions", NULL), cond_keys,
		 sizeof(cond_keys) / sizeof(*cond_keys));
	add_generated(out, slo);
	br__ui_page_close(out);
	return out->failed ? BR_ENOMEM : 0;
}
