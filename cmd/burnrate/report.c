/* report: `burnrate report`: what an incident between two times cost an
 * SLO: the errors and events in the range (the rules' 5m record expressions
 * with the range set to the incident's length, so they count as the alerts
 * count), the budget that consumed (of the failures the SLO window ending at
 * the end allows, as burnrate:error_budget:allowed_events counts them), the
 * peak 5m burn rate, and the SLO's alerts that fired, from ALERTS. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "history.h"
#include "rules/rules.h"

static const char usage[] =
	"usage: burnrate report -f SLO.yaml --prometheus-url URL --from TIME [--to now] [--json]\n"
	"\n"
	"What the range cost the SLO: errors and events in it, the error ratio, the\n"
	"budget consumed (percent of the budget over the SLO window ending at --to,\n"
	"and in events), the peak 5m burn rate, and which of the SLO's alerts fired\n"
	"(from ALERTS, when its rules are loaded in that Prometheus).\n"
	"\n"
	"  -f, --filename PATH     the SLO (a file holding exactly one, or - for stdin)\n"
	"      --prometheus-url URL\n"
	"      --from TIME         RFC 3339, a duration before now (-3h) or Unix seconds\n"
	"      --to TIME           (default now)\n"
	"      --step DURATION     resolution of the peak burn rate and alerts (default 1m)\n"
	"      --timeout DURATION  per query (default 30s)\n"
	"      --json              print the report as JSON\n"
	"\n"
	"Exit codes: 0 ok, 1 invalid SLO or Prometheus down, failing, slow or without\n"
	"data for the range, 2 usage error.\n";

struct report {
	double errors, events;  /* in the range */
	double window_events;   /* over the SLO window ending at --to */
	double allowed;         /* window_events * eb */
	double consumed;        /* errors / allowed */
	double peak, peak_at;   /* the highest 5m burn rate, NaN without one */
	json_t *alerts;         /* [{severity, start, end}] */
};

struct rp_opts {
	struct history_opts h;
};

static int parse_times(struct rp_opts *o, const char *from, const char *to)
{
	double now = floor((double)time(NULL));
	struct br_error err;
	char line[1400];

	br_error_init(&err);
	if (!from)
		return fprintf(stderr, "burnrate report: --from is required\n"), CLI_USAGE;
	if (br_backtest_parse_time(from, now, "--from", &o->h.from, &err) != 0 ||
	    br_backtest_parse_time(to, now, "--to", &o->h.to, &err) != 0)
		return fprintf(stderr, "burnrate report: %s\n",
			       br_error_format(&err, line, sizeof(line))),
		       CLI_USAGE;
	if (!(o->h.to - o->h.from >= 60))
		return fprintf(stderr,
			       "burnrate report: --to must be at least a minute after --from\n"),
		       CLI_USAGE;
	return -1;
}

static int parse_opts(int argc, char **argv, struct rp_opts *o)
{
	static const struct option longopts[] = {
		HISTORY_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct history_flags f;
	int ch, rc = -1;

	o->h.cmd = "report";
	history_flags_init(&o->h, &f);
	optind = 1;
	while (rc < 0 && (ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1)
		rc = history_flag(&o->h, &f, ch, optarg, usage);
	if (rc >= 0)
		return rc;
	if (history_flags_check(&o->h, &f, argc, usage) != 0)
		return CLI_USAGE;
	return parse_times(o, f.from, f.to);
}

/* One number: the expression at --to (a range query of one point, so the
 * time is ours, not the server's clock). 0, 1 for no sample, -1 (said). */
static int value_at(const struct rp_opts *o, const struct br_slo *slo, struct br_prom_client *c,
		    const char *q, const char *what, double *v)
{
	struct br_prom_matrix m;
	struct br_error err;
	char msg[160];
	int rc = 1;

	br_error_init(&err);
	snprintf(msg, sizeof(msg), "cannot read %s from Prometheus", what);
	if (br_prom_query_range(c, q, o->h.to, o->h.to, 60, &m, &err) != 0)
		return history_say(&o->h, slo, msg, err.text), -1;
	if (m.count > 1) {
		br_prom_matrix_release(&m);
		return history_say(&o->h, slo, msg,
				   "more than one series where the rules' sum has one"), -1;
	}
	if (m.count == 1 && m.series[0].count == 1 && isfinite(m.series[0].points[0].v)) {
		*v = m.series[0].points[0].v;
		rc = 0;
	}
	br_prom_matrix_release(&m);
	return rc;
}

/* errors, events in the range and events over the window, from the 5m
 * records' expressions with the range changed. */
static int read_counts(const struct rp_opts *o, const struct br_slo *slo, struct br_prom_client *c,
		       const json_t *groups, struct report *r)
{
	const char *req = history_record_expr(groups, "burnrate:sli_requests:rate", 300);
	const char *errs = history_record_expr(groups, "burnrate:sli_errors:rate", 300);
	long long span = llround(o->h.to - o->h.from);
	struct br_buf q;
	char a[32], b[32], detail[512];
	int rc;

	if (!req || !errs)
		return history_say(&o->h, slo, "cannot build the rules' expressions",
				   "no 5m request or error record"), -1;
	br_buf_init(&q, BR_BUF_MAX_DEFAULT);
	rc = history_over_window(req, span, &q) ? -1
	     : value_at(o, slo, c, br_buf_str(&q), "the events", &r->events);
	if (rc == 0)
		rc = history_over_window(errs, span, &q) ? -1
		     : value_at(o, slo, c, br_buf_str(&q), "the errors", &r->errors);
	if (rc == 0)
		rc = history_over_window(req, slo->window_s, &q) ? -1
		     : value_at(o, slo, c, br_buf_str(&q), "the events over the SLO window",
				&r->window_events);
	br_buf_release(&q);
	if (rc > 0 || (rc == 0 && !(r->window_events > 0))) {
		snprintf(detail, sizeof(detail),
			 "Prometheus at %s has no events of %s from %s to %s "
			 "(is the selector right, is the range within its retention?)",
			 br_prom_client_url(c), history_total_field(slo),
			 br_backtest_format_time(o->h.from, a, sizeof(a)),
			 br_backtest_format_time(o->h.to, b, sizeof(b)));
		return history_say(&o->h, slo, "no data", detail), -1;
	}
	return rc;
}

/* The peak of the 5m burn rate over the range, in chunks. */
static int read_peak(const struct rp_opts *o, const struct br_slo *slo, struct br_prom_client *c,
		     const json_t *groups, struct report *r)
{
	const char *req = history_record_expr(groups, "burnrate:sli_requests:rate", 300);
	const char *errs = history_record_expr(groups, "burnrate:sli_errors:rate", 300);
	double eb = br_slo_error_budget(slo), span = BR_BACKTEST_MAX_POINTS - 1;
	struct br_prom_matrix m;
	struct br_error err;
	struct br_buf q;
	int rc = 0;

	if (!req || !errs)
		return history_say(&o->h, slo, "cannot build the rules' expressions",
				   "no 5m request or error record"), -1;
	br_buf_init(&q, BR_BUF_MAX_DEFAULT);
	br_buf_addf(&q, "(%s) / ((%s) > 0)", errs, req);
	for (double a = o->h.from; rc == 0 && a <= o->h.to; a += (span + 1) * o->h.step) {
		br_error_init(&err);
		if (br_prom_query_range(c, br_buf_str(&q), a, fmin(a + span * o->h.step, o->h.to),
					o->h.step, &m, &err) != 0) {
			rc = -1;
			history_say(&o->h, slo, "cannot read the 5m burn rate from Prometheus",
				    err.text);
			break;
		}
		for (size_t s = 0; s < m.count; s++)
			for (size_t i = 0; i < m.series[s].count; i++) {
				double v = m.series[s].points[i].v / eb;

				if (isfinite(v) && (isnan(r->peak) || v > r->peak)) {
					r->peak = v;
					r->peak_at = m.series[s].points[i].t;
				}
			}
		br_prom_matrix_release(&m);
	}
	br_buf_release(&q);
	return rc;
}

/* ALERTS{alertstate="firing"} of this SLO, as [{severity, start, end}].
 * Read as last_over_time over just under a step, not as a plain selector:
 * after a restart Prometheus writes no stale marker for a resolved alert,
 * and the 5m lookback would stretch it by five minutes. */
static int read_alerts(const struct rp_opts *o, const struct br_slo *slo, struct br_prom_client *c,
		       struct report *r)
{
	struct br_prom_matrix m;
	struct br_error err;
	struct br_buf q;
	char a[32], b[32];
	int rc;

	br_buf_init(&q, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&q, "last_over_time(ALERTS{alertstate=\"firing\",slo=");
	br_promql_quote(slo->name, &q);
	br_buf_adds(&q, ",slo_namespace=");
	br_promql_quote(slo->namespace, &q);
	br_buf_addf(&q, "}[%lldms])", llround(o->h.step * 1000) - 1);
	br_error_init(&err);
	/* at most one range query's worth of points: an incident, not a year */
	rc = br_prom_query_range(c, br_buf_str(&q), o->h.from,
				 fmin(o->h.to,
				      o->h.from + (BR_BACKTEST_MAX_POINTS - 1) * o->h.step),
				 o->h.step, &m, &err);
	br_buf_release(&q);
	if (rc != 0)
		return history_say(&o->h, slo, "cannot read ALERTS from Prometheus", err.text), -1;
	for (size_t s = 0; s < m.count; s++) {
		const struct br_prom_series *ser = &m.series[s];
		const char *sev = NULL;

		for (size_t l = 0; l < ser->nlabels; l++)
			if (strcmp(ser->labels[l].name, "burnrate_severity") == 0)
				sev = ser->labels[l].value;
		for (size_t i = 0; i < ser->count; i++) {
			size_t j = i;

			while (j + 1 < ser->count &&
			       ser->points[j + 1].t - ser->points[j].t <= o->h.step + 0.001)
				j++;
			json_array_append_new(r->alerts, json_pack("{s:s, s:s, s:s}",
				"severity", sev ? sev : "?",
				"start", br_backtest_format_time(ser->points[i].t, a, sizeof(a)),
				"end",
				br_backtest_format_time(ser->points[j].t + o->h.step, b,
							sizeof(b))));
			i = j;
		}
	}
	br_prom_matrix_release(&m);
	return 0;
}

static void print_text(const struct rp_opts *o, const struct br_slo *slo, const struct report *r)
{
	char a[32], b[32], d[32], p[32];
	size_t i;
	json_t *al;

	printf("%s/%s: from %s to %s (%s)\n", slo->namespace, slo->name,
	       br_backtest_format_time(o->h.from, a, sizeof(a)),
	       br_backtest_format_time(o->h.to, b, sizeof(b)),
	       br_duration_format(llround(o->h.to - o->h.from), d, sizeof(d)));
	printf("  budget consumed: %.2f%% of the budget over %s (%.0f of %.0f failures allowed)\n",
	       r->consumed * 100, br_duration_format(slo->window_s, d, sizeof(d)), r->errors,
	       r->allowed);
	printf("  errors: %.0f of %.0f events, error ratio %.4g%%\n", r->errors, r->events,
	       r->events > 0 ? r->errors / r->events * 100 : 0);
	if (isnan(r->peak))
		printf("  peak burn rate (5m): no traffic\n");
	else
		printf("  peak burn rate (5m): %.1fx at %s\n", r->peak,
		       br_backtest_format_time(r->peak_at, p, sizeof(p)));
	if (json_array_size(r->alerts) == 0)
		printf("  alerts: none fired (or the SLO's rules are not loaded in this "
		       "Prometheus)\n");
	json_array_foreach(r->alerts, i, al)
		printf("  alert: %-6s %s to %s\n",
		       json_string_value(json_object_get(al, "severity")),
		       json_string_value(json_object_get(al, "start")),
		       json_string_value(json_object_get(al, "end")));
}

static int print_json(const struct rp_opts *o, const struct br_slo *slo, const struct report *r)
{
	char a[32], b[32], p[32];
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:O}",
		"name", slo->name, "namespace", slo->namespace,
		"from", br_backtest_format_time(o->h.from, a, sizeof(a)),
		"to", br_backtest_format_time(o->h.to, b, sizeof(b)),
		"budgetConsumed", r->consumed, "errors", r->errors, "events", r->events,
		"windowEvents", r->window_events, "allowedFailures", r->allowed,
		"errorRatio", r->events > 0 ? r->errors / r->events : 0.0,
		"peakBurnRate", isnan(r->peak) ? json_null() : json_real(r->peak),
		"alerts", r->alerts);
	char *text;

	if (doc && !isnan(r->peak))
		json_object_set_new(doc, "peakAt",
				    json_string(br_backtest_format_time(r->peak_at, p, sizeof(p))));
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text)
		return fprintf(stderr, "burnrate report: out of memory\n"), CLI_INVALID;
	puts(text);
	free(text);
	return CLI_OK;
}

static int report_one(const struct rp_opts *o, const struct br_slo *slo)
{
	struct report r = { .peak = NAN, .alerts = json_array() };
	struct br_prom_client *c = history_client(&o->h);
	json_t *groups = NULL;
	struct br_error err;
	int rc = -1;

	br_error_init(&err);
	if (c && br_rules_groups(slo, &groups, &err) != 0)
		history_say(&o->h, slo, "cannot build the rules' expressions", err.text);
	else if (c && r.alerts && read_counts(o, slo, c, groups, &r) == 0 &&
		 read_peak(o, slo, c, groups, &r) == 0 && read_alerts(o, slo, c, &r) == 0)
		rc = 0;
	if (rc == 0) {
		r.allowed = r.window_events * br_slo_error_budget(slo);
		r.consumed = r.errors / r.allowed;
		if (o->h.json)
			rc = print_json(o, slo, &r);
		else
			print_text(o, slo, &r);
	}
	json_decref(r.alerts);
	json_decref(groups);
	br_prom_client_free(c);
	return rc == 0 ? CLI_OK : CLI_INVALID;
}

int cli_report(int argc, char **argv)
{
	struct rp_opts o;
	struct cli_set set;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	cli_set_init(&set);
	if (history_load_one(&o.h, o.h.file, "-f", &set) != CLI_OK) {
		rc = CLI_INVALID;
	} else if (set.items[0].slo.indicator == BR_INDICATOR_TIMESLICE) {
		fprintf(stderr, "burnrate report: %s/%s: spec.indicator.timeSlice: time-slice SLOs "
			"cannot be reported on yet\n", set.items[0].slo.namespace,
			set.items[0].slo.name);
		rc = CLI_INVALID;
	} else if (set.items[0].slo.indicator == BR_INDICATOR_RAW) {
		fprintf(stderr,
			"burnrate report: %s/%s: spec.indicator.raw: a raw error ratio has no "
			"events to count; report needs a ratio or latency indicator\n",
			set.items[0].slo.namespace, set.items[0].slo.name);
		rc = CLI_INVALID;
	} else {
		rc = report_one(&o, &set.items[0].slo);
	}
	cli_set_release(&set);
	return rc;
}
