/* slo: the page of one SLO: what it promises, its budget, the burn-down,
 * the alert table (status.alerts) and the conditions. */
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

int br_ui_render_slo(struct br_buf *out, const json_t *slo,
		     const struct br_prom_series *series, double start,
		     double end, const char *banner)
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
	br_ui_svg_burndown(out, series ? series->points : NULL, series ? series->count : 0,
			   start, end, NULL);
	br_buf_adds(out, "<h2>Alerts</h2>\n");
	add_rows(out, ui_get(slo, "status", "alerts", NULL), alert_keys,
		 sizeof(alert_keys) / sizeof(*alert_keys));
	br_buf_adds(out, "<h2>Conditions</h2>\n");
	add_rows(out, ui_get(slo, "status", "conditions", NULL), cond_keys,
		 sizeof(cond_keys) / sizeof(*cond_keys));
	ui_page_close(out);
	return out->failed ? BR_ENOMEM : 0;
}
