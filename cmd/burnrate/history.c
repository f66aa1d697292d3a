/* history: an SLO's SLI history from Prometheus, read with the rules' own
 * record expressions (br_rules_groups), so a backtest counts exactly what
 * the alerts would count, in range queries of at most 11,000 points. */
#include "history.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rules/rules.h"

#define REC_REQUESTS "burnrate:sli_requests:rate"
#define REC_ERRORS "burnrate:sli_errors:rate"
#define REC_RATIO "burnrate:sli_error_ratio:rate"

void history_flags_init(struct history_opts *o, struct history_flags *f)
{
	memset(f, 0, sizeof(*f));
	f->to = "now";
	f->timeout = 30;
	o->step = 60;
}

/* A duration flag into *out seconds: -1, or CLI_USAGE after saying why. */
static int duration_flag(const struct history_opts *o, const char *flag, const char *text,
			 double *out)
{
	long long s;

	if (br_duration_parse(text, &s) != 0) {
		fprintf(stderr,
			"burnrate %s: %s: \"%s\" is not a positive duration (1m, 30s, 1h)\n",
			o->cmd, flag, text);
		return CLI_USAGE;
	}
	*out = (double)s;
	return -1;
}

int history_flag(struct history_opts *o, struct history_flags *f, int ch, const char *arg,
		 const char *usage)
{
	switch (ch) {
	case 'f': f->file = arg; return -1;
	case HISTORY_OPT_URL: o->url = arg; return -1;
	case HISTORY_OPT_FROM: f->from = arg; return -1;
	case HISTORY_OPT_TO: f->to = arg; return -1;
	case HISTORY_OPT_STEP: return duration_flag(o, "--step", arg, &o->step);
	case HISTORY_OPT_TIMEOUT: return duration_flag(o, "--timeout", arg, &f->timeout);
	case HISTORY_OPT_JSON: f->json = 1; return -1;
	case 'h': fputs(usage, stdout); return CLI_OK;
	default: fputs(usage, stderr); return CLI_USAGE;
	}
}

int history_flags_check(struct history_opts *o, const struct history_flags *f, int argc,
			const char *usage)
{
	if (optind < argc || !f->file || !o->url) {
		fprintf(stderr, "burnrate %s: %s\n\n%s", o->cmd,
			optind < argc ? "unexpected arguments" : !f->file ? "-f is required"
			: "--prometheus-url is required", usage);
		return CLI_USAGE;
	}
	o->file = f->file;
	o->json = f->json;
	o->timeout_ms = (long)(f->timeout * 1000);
	return 0;
}

int history_load_one(const struct history_opts *o, const char *path, const char *flag,
		     struct cli_set *set)
{
	char *paths[1] = { (char *)path };
	int rc = cli_load_checked(set, paths, 1, o->cmd, NULL);

	if (rc == CLI_OK && set->count != 1) {
		fprintf(stderr, "burnrate %s: %s %s: holds %zu ServiceLevelObjectives; %s takes "
			"exactly one\n", o->cmd, flag, path, set->count, o->cmd);
		rc = CLI_INVALID;
	}
	return rc;
}

void history_say(const struct history_opts *o, const struct br_slo *slo, const char *what,
		 const char *detail)
{
	fprintf(stderr, "burnrate %s: %s/%s: %s: %s\n", o->cmd, slo->namespace, slo->name, what,
		detail);
}

struct br_prom_client *history_client(const struct history_opts *o)
{
	struct br_prom_options po = { .url = o->url, .timeout_ms = o->timeout_ms,
				      .connect_timeout_ms = 3000 };
	struct br_prom_client *c = NULL;
	struct br_error err;

	br_error_init(&err);
	if (br_prom_client_create(&po, &c, &err) != 0)
		fprintf(stderr, "burnrate %s: --prometheus-url %s: %s\n", o->cmd, o->url, err.text);
	return c;
}

const char *history_record_expr(const json_t *groups, const char *prefix, long long window_s)
{
	char name[96], d[32];
	size_t i, j;
	json_t *g, *r;

	snprintf(name, sizeof(name), "%s%s", prefix, br_duration_format(window_s, d, sizeof(d)));
	json_array_foreach(groups, i, g) {
		json_array_foreach(json_object_get(g, "rules"), j, r) {
			const char *rec = json_string_value(json_object_get(r, "record"));

			if (rec && strcmp(rec, name) == 0)
				return json_string_value(json_object_get(r, "expr"));
		}
	}
	return NULL;
}

int history_over_window(const char *expr, long long w, struct br_buf *out)
{
	char d[32];
	int quoted = 0;

	br_duration_format(w, d, sizeof(d));
	br_buf_reset(out);
	br_buf_addc(out, '(');
	for (const char *p = expr; *p; p++) {
		if (*p == '\\' && quoted && p[1]) {
			br_buf_add(out, p, 2);
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		if (!quoted && strncmp(p, "[5m]", 4) == 0) {
			br_buf_addf(out, "[%s]", d);
			p += 3;
			continue;
		}
		br_buf_addc(out, *p);
	}
	return br_buf_addf(out, ") * %lld", w);
}

const char *history_total_field(const struct br_slo *slo)
{
	switch (slo->indicator) {
	case BR_INDICATOR_LATENCY:
		return "spec.indicator.latency.histogram (_count)";
	case BR_INDICATOR_RAW:
		return "spec.indicator.raw.errorRatio";
	default:
		return "spec.indicator.ratio.total";
	}
}

/* One expression over points [first, h->count) into values, in chunks of at
 * most BR_BACKTEST_MAX_POINTS points. */
static int read_series(const struct history_opts *o, const struct br_slo *slo,
		       struct br_prom_client *c, const struct br_backtest_history *h,
		       const char *expr, size_t first, double *values, const char *what)
{
	struct br_prom_matrix m;
	struct br_error err;
	char msg[160];

	snprintf(msg, sizeof(msg), "cannot read %s from Prometheus", what);
	for (size_t a = first; a < h->count; a += BR_BACKTEST_MAX_POINTS) {
		size_t last = a + BR_BACKTEST_MAX_POINTS - 1;
		size_t b = last < h->count ? last : h->count - 1;

		br_error_init(&err);
		if (br_prom_query_range(c, expr, h->start + (double)a * h->step,
					h->start + (double)b * h->step, h->step, &m, &err) != 0)
			return history_say(o, slo, msg, err.text), -1;
		if (br_backtest_history_fill(h, &m, what, values, &err) != 0) {
			br_prom_matrix_release(&m);
			return history_say(o, slo, msg, err.text), -1;
		}
		br_prom_matrix_release(&m);
	}
	return 0;
}

/* Every window the rules record from raw series. */
static int read_windows(const struct history_opts *o, const struct br_slo *slo,
			struct br_prom_client *c, struct br_backtest_history *h,
			const json_t *groups)
{
	char what[128], d[32];

	for (size_t i = 0; i < h->nwindows; i++) {
		struct br_backtest_sli *w = &h->windows[i];
		size_t first = br_backtest_first_point(h, w, o->from);
		const char *req = history_record_expr(groups, REC_REQUESTS, w->window_s);
		const char *errs = history_record_expr(groups, REC_ERRORS, w->window_s);
		const char *ratio = history_record_expr(groups, REC_RATIO, w->window_s);

		if (w->derived)
			continue;
		br_duration_format(w->window_s, d, sizeof(d));
		if (h->raw ? !ratio : !req || !errs)
			return history_say(o, slo, "cannot build the rules' expressions",
					   "a window of the alert table has no record"), -1;
		snprintf(what, sizeof(what), "%s over %s",
			 h->raw ? "the error ratio" : "the events", d);
		if (read_series(o, slo, c, h, h->raw ? ratio : req, first,
				h->raw ? w->ratio : w->requests, what))
			return -1;
		snprintf(what, sizeof(what), "the errors over %s", d);
		if (!h->raw && read_series(o, slo, c, h, errs, first, w->errors, what))
			return -1;
	}
	return 0;
}

/* The 5m events (or ratio) must have data in the range, and from its first
 * tenth on: a later start means Prometheus keeps less history than asked. */
static int check_data(const struct history_opts *o, const struct br_slo *slo,
		      const struct br_backtest_history *h, const char *url)
{
	const struct br_backtest_sli *base = NULL;
	char a[32], b[32], detail[512];
	size_t i, first = 0;

	for (i = 0; i < h->nwindows; i++)
		if (h->windows[i].window_s == BR_BACKTEST_BASE_S)
			base = &h->windows[i];
	first = (size_t)floor((o->from - h->start) / h->step + 0.5);
	for (i = first; base && i < h->count; i++)
		if (!isnan(h->raw ? base->ratio[i] : base->requests[i]))
			break;
	if (!base || i >= h->count) {
		snprintf(detail, sizeof(detail),
			 "Prometheus at %s has no samples of %s from %s to %s (is the selector "
			 "right?)",
			 url, history_total_field(slo),
			 br_backtest_format_time(o->from, a, sizeof(a)),
			 br_backtest_format_time(o->to, b, sizeof(b)));
		return history_say(o, slo, "no data", detail), -1;
	}
	if ((double)(i - first) * h->step > (o->to - o->from) / 10 &&
	    (double)(i - first) * h->step > 3600) {
		br_backtest_format_time(h->start + (double)i * h->step, b, sizeof(b));
		snprintf(detail, sizeof(detail),
			 "Prometheus at %s has samples of %s only from %s, not from --from %s "
			 "(the range is longer than its retention, or the series are newer): "
			 "use --from %s or later", url, history_total_field(slo), b,
			 br_backtest_format_time(o->from, a, sizeof(a)), b);
		return history_say(o, slo, "range beyond the data", detail), -1;
	}
	return 0;
}

int history_read(const struct history_opts *o, const struct br_slo *slo,
		 struct br_prom_client *c, struct br_backtest_history *h)
{
	json_t *groups = NULL;
	struct br_error err;
	int rc;

	br_error_init(&err);
	if (br_rules_groups(slo, &groups, &err) != 0)
		return history_say(o, slo, "cannot build the rules' expressions", err.text), -1;
	if (br_backtest_history_plan(h, slo, o->from, o->to, o->step, &err) != 0) {
		json_decref(groups);
		return history_say(o, slo, "--from/--to/--step", err.text), -1;
	}
	rc = read_windows(o, slo, c, h, groups);
	if (rc == 0)
		rc = check_data(o, slo, h, br_prom_client_url(c));
	json_decref(groups);
	if (rc)
		br_backtest_history_release(h);
	return rc;
}
