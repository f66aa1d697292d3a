/* backtest_out: a backtest's result as text, JSON and an SVG burn-down. */
#include "backtest_out.h"

#include <math.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char *sev_name(enum br_severity s)
{
	return s == BR_SEVERITY_PAGE ? "page" : "ticket";
}

/* "1h/5m > 14.4x" */
static char *row_text(const struct br_slo *slo, size_t row, char *out, size_t size)
{
	const struct br_alert_window *w = &slo->windows[row];
	char l[32], s[32], f[32];

	snprintf(out, size, "%s/%s > %sx", br_duration_format(w->long_s, l, sizeof(l)),
		 br_duration_format(w->short_s, s, sizeof(s)),
		 cli_number(w->burn_rate, f, sizeof(f)));
	return out;
}

/* "4 pages, 1 ticket in 30d" */
static char *totals(const struct br_backtest_result *r, char *out, size_t size)
{
	char d[32];

	snprintf(out, size, "%zu page%s, %zu ticket%s in %s", r->pages, r->pages == 1 ? "" : "s",
		 r->tickets, r->tickets == 1 ? "" : "s",
		 br_duration_format(llround(r->to - r->from), d, sizeof(d)));
	return out;
}

static void print_one(const struct br_slo *slo, const struct br_backtest_result *r)
{
	char a[32], b[32], d[32], row[96], line[128], obj[32], low[32];

	printf("%s/%s: objective %s%% over %s, from %s to %s every %s\n", slo->namespace,
	       slo->name, cli_number(slo->objective, obj, sizeof(obj)),
	       br_duration_format(slo->window_s, d, sizeof(d)),
	       br_backtest_format_time(r->from, a, sizeof(a)),
	       br_backtest_format_time(r->to, b, sizeof(b)),
	       br_duration_format(llround(r->step), row, sizeof(row)));
	for (size_t i = 0; i < r->count; i++) {
		const struct br_backtest_alert *al = &r->alerts[i];

		printf("  %-6s  %s  %s  %-8s  %-16s  fired at %.1fx, peak %.1fx%s\n",
		       sev_name(al->severity), br_backtest_format_time(al->start, a, sizeof(a)),
		       br_backtest_format_time(al->end, b, sizeof(b)),
		       br_duration_format(llround(al->end - al->start), d, sizeof(d)),
		       row_text(slo, al->row, row, sizeof(row)), al->burn_rate,
		       al->peak_burn_rate, al->open ? ", still firing" : "");
	}
	if (r->have_budget)
		printf("  budget left: %.1f%% at the end, lowest %.1f%% at %s\n",
		       r->budget_end * 100, r->budget_low * 100,
		       br_backtest_format_time(r->budget_low_at, low, sizeof(low)));
	else
		printf("  budget left: no data\n");
	printf("  %s\n", totals(r, line, sizeof(line)));
}

void bt_print_text(const struct br_slo *a, const struct br_backtest_result *ra,
		   const struct br_slo *b, const struct br_backtest_result *rb)
{
	char ta[128], tb[128];

	print_one(a, ra);
	if (!b)
		return;
	printf("\n");
	print_one(b, rb);
	printf("\ncompare: %s/%s: %s; %s/%s: %s\n", a->namespace, a->name,
	       totals(ra, ta, sizeof(ta)),
	       b->namespace, b->name, totals(rb, tb, sizeof(tb)));
}

/* A finite number, or null (JSON has no NaN). */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *alert_json(const struct br_slo *slo, const struct br_backtest_alert *al)
{
	char a[32], b[32], row[96];

	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:o, s:o, s:b}",
			 "severity", sev_name(al->severity),
			 "start", br_backtest_format_time(al->start, a, sizeof(a)),
			 "end", br_backtest_format_time(al->end, b, sizeof(b)),
			 "startUnix", al->start, "endUnix", al->end,
			 "row", row_text(slo, al->row, row, sizeof(row)),
			 "burnRate", num(al->burn_rate), "peakBurnRate", num(al->peak_burn_rate),
			 "open", al->open);
}

static json_t *result_json(const struct br_slo *slo, const struct br_backtest_result *r)
{
	char a[32], b[32], low[32], t[128];
	json_t *alerts = json_array(), *o;

	for (size_t i = 0; alerts && i < r->count; i++)
		if (json_array_append_new(alerts, alert_json(slo, &r->alerts[i]))) {
			json_decref(alerts);
			return NULL;
		}
	o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:i, s:i, s:s}",
		      "name", slo->name, "namespace", slo->namespace,
		      "from", br_backtest_format_time(r->from, a, sizeof(a)),
		      "to", br_backtest_format_time(r->to, b, sizeof(b)), "step", r->step,
		      "alerts", alerts, "pages", (json_int_t)r->pages,
		      "tickets", (json_int_t)r->tickets, "summary", totals(r, t, sizeof(t)));
	if (o && r->have_budget &&
	    json_object_set_new(o, "budget", json_pack("{s:o, s:o, s:s}",
			"end", num(r->budget_end), "low", num(r->budget_low),
			"lowAt", br_backtest_format_time(r->budget_low_at, low, sizeof(low))))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int bt_print_json(const struct br_slo *a, const struct br_backtest_result *ra,
		  const struct br_slo *b, const struct br_backtest_result *rb)
{
	json_t *doc = json_pack("{s:o}", "slo", result_json(a, ra));
	char *text;

	if (doc && b && json_object_set_new(doc, "compare", result_json(b, rb))) {
		json_decref(doc);
		doc = NULL;
	}
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text) {
		fprintf(stderr, "burnrate backtest: out of memory printing JSON\n");
		return CLI_INVALID;
	}
	puts(text);
	free(text);
	return CLI_OK;
}

/* --- SVG ------------------------------------------------------------------ */

#define SVG_W 800.0
#define SVG_H 240.0
#define PAD 30.0
/* At most this many points on the line: a month at 1m is 43,200. */
#define SVG_POINTS 1000

static double x_of(const struct br_backtest_result *r, double t)
{
	double span = r->to > r->from ? r->to - r->from : 1;

	return PAD + (t - r->from) / span * (SVG_W - 2 * PAD);
}

static double y_of(double budget, double lo)
{
	return PAD + (1 - budget) / (1 - lo) * (SVG_H - 2 * PAD);
}

static void svg_bands(FILE *f, const struct br_backtest_result *r)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct br_backtest_alert *al = &r->alerts[i];
		double x0 = x_of(r, al->start), x1 = x_of(r, al->end);

		fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" "
			"fill-opacity=\"0.3\"><title>%s</title></rect>\n", x0, PAD,
			fmax(x1 - x0, 1), SVG_H - 2 * PAD,
			al->severity == BR_SEVERITY_PAGE ? "#d62728" : "#ff9f1c",
			sev_name(al->severity));
	}
}

static void svg_line(FILE *f, const struct br_backtest_result *r, double lo)
{
	size_t every = r->npoints / SVG_POINTS + 1;
	const char *cmd = "M";

	fprintf(f, "<path fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" d=\"");
	for (size_t i = 0; i < r->npoints; i += every) {
		if (isnan(r->budget[i])) {
			cmd = "M";
			continue;
		}
		fprintf(f, "%s%.1f %.1f ", cmd, x_of(r, r->from + (double)i * r->step),
			y_of(r->budget[i], lo));
		cmd = "L";
	}
	fprintf(f, "\"/>\n");
}

int bt_write_svg(const char *path, const struct br_slo *slo, const struct br_backtest_result *r)
{
	double lo = r->have_budget && r->budget_low < 0 ? r->budget_low : 0;
	char a[32], b[32];
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "burnrate backtest: --svg %s: cannot write: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
		SVG_W, SVG_H, SVG_W, SVG_H);
	svg_bands(f, r);
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>\n", PAD,
		y_of(0, lo), SVG_W - PAD, y_of(0, lo));
	if (r->have_budget)
		svg_line(f, r, lo);
	/* names come from a validated SLO: DNS labels, nothing to escape */
	fprintf(f, "<text x=\"%.0f\" y=\"18\">%s/%s: budget left, %s to %s</text>\n", PAD,
		slo->namespace, slo->name, br_backtest_format_time(r->from, a, sizeof(a)),
		br_backtest_format_time(r->to, b, sizeof(b)));
	fprintf(f, "<text x=\"4\" y=\"%.1f\">100%%</text><text x=\"4\" y=\"%.1f\">%.0f%%</text>\n",
		y_of(1, lo) + 4, y_of(lo, lo) + 4, lo * 100);
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "burnrate backtest: --svg %s: cannot write: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}
