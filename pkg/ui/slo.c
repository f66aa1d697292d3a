/* slo: the page of one SLO: what it promises, its budget, the burn-down,
 * the alert table (status.alerts) with each row's burn rate, and the
 * conditions. */
#include "ui/internal.h"

#include <string.h>

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
	const char *window = ui_str(slo, "spec", "window", NULL);

	br_buf_adds(out, "<table>\n");
	add_field(out, "service", ui_str(slo, "spec", "service", NULL));
	add_field(out, "description", ui_str(slo, "spec", "description", NULL));
	br_buf_adds(out, "<tr><th>objective</th><td>");
	ui_number(out, ui_get(slo, "spec", "objective", NULL));
	br_buf_adds(out, "% over ");
	br_ui_escape(out, window ? window : "30d");
	br_buf_adds(out, "</td></tr>\n");
	add_labels(out, "labels", ui_get(slo, "metadata", "labels", NULL));
	add_labels(out, "alert labels", ui_get(slo, "spec", "alerting", "labels"));
	static const char *const figures[][2] = {
		{"remainingPercent", "budget left"},
		{"allowedEvents", "allowed failures"},
		{"remainingEvents", "failures left"},
	};
	for (size_t i = 0; i < sizeof(figures) / sizeof(*figures); i++) {
		br_buf_addf(out, "<tr><th>%s</th><td>", figures[i][1]);
		ui_value(out, ui_get(slo, "status", "budget", figures[i][0]));
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
			ui_value(out, json_object_get(o, keys[k]));
			br_buf_adds(out, "</td>");
		}
		br_buf_adds(out, "</tr>\n");
	}
	br_buf_adds(out, "</table>\n");
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
		br_ui_escape(out, ui_str(slo, "metadata", "namespace", NULL));
		br_buf_addc(out, '/');
		br_ui_escape(out, ui_str(slo, "metadata", "name", NULL));
		br_buf_addf(out, "?range=%s\">%s</a>", ranges[i], ranges[i]);
	}
	br_buf_adds(out, "</p>\n");
}

/* A burn-rate chart per alert row, the first BR_UI_MAX_CHARTS. */
static void add_rates(struct br_buf *out, const json_t *slo,
		      const struct br_ui_slo_data *d)
{
	const json_t *alerts = ui_get(slo, "status", "alerts", NULL);
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
		ui_value(out, json_object_get(a, "severity"));
		br_buf_adds(out, ": over ");
		ui_value(out, json_object_get(a, "longWindow"));
		br_buf_adds(out, "</h3>\n");
		br_ui_svg_burnrate(out, s ? s->points : NULL, s ? s->count : 0,
				   d ? d->range_start : 0, d ? d->range_end : 0,
				   json_number_value(json_object_get(a, "burnRate")), NULL, NULL);
	}
}

int br_ui_render_slo(struct br_buf *out, const json_t *slo,
		     const struct br_ui_slo_data *d, const char *banner)
{
	static const char *const alert_keys[] = {"severity", "burnRate", "longWindow",
		"shortWindow", "budgetPercent", "offPeakMuted"};
	static const char *const cond_keys[] = {"type", "status", "reason", "message",
		"lastTransitionTime"};
	const char *ns = ui_str(slo, "metadata", "namespace", NULL);
	const char *name = ui_str(slo, "metadata", "name", NULL);

	ui_page_open(out, name ? name : "SLO", banner);
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
	add_rows(out, ui_get(slo, "status", "alerts", NULL), alert_keys,
		 sizeof(alert_keys) / sizeof(*alert_keys));
	add_rates(out, slo, d);
	br_buf_adds(out, "<h2>When the alerts fired</h2>\n");
	if (d) {
		ui_svg_timeline(out, d->firing, d->range_start, d->range_end, d->range_step);
		ui_firing_list(out, d->firing, d->range_step);
	}
	br_buf_adds(out, "<h2>Conditions</h2>\n");
	add_rows(out, ui_get(slo, "status", "conditions", NULL), cond_keys,
		 sizeof(cond_keys) / sizeof(*cond_keys));
	ui_page_close(out);
	return out->failed ? BR_ENOMEM : 0;
}
