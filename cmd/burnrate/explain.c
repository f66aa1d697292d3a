/* explain: `burnrate explain`: prints each SLO's alert table with the numbers
 * an on-call engineer asks about (DESIGN.md section 3): the error ratio that
 * fires each row, the budget it has spent by then, how fast a full outage
 * fires it, how long it takes to reset, and what minEvents does to it; then
 * the off-peak hours (explain_offpeak.c) and, from the traffic the SLO
 * expects or Prometheus saw, the same table in events (explain_traffic.c,
 * explain_prom.c). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "cli.h"
#include "explain.h"
#include "prom/prom.h"

static const char usage[] =
	"usage: burnrate explain -f PATH [-f PATH ...] [--prometheus-url URL]\n"
	"       burnrate explain --presets\n"
	"\n"
	"Prints, for each ServiceLevelObjective, its error budget and alert table:\n"
	"for every row the burn rate, the long and short windows, the error ratio\n"
	"that fires it, the budget spent when it fires, the time to fire at 100%\n"
	"errors, the reset time after recovery, and what traffic.minEvents means;\n"
	"the preset, the confidence bound and the off-peak hours (local and UTC,\n"
	"the rows they mute, what still pages at night).\n"
	"\n"
	"With traffic (spec.traffic.expectedEventsPerDay, or --prometheus-url) it\n"
	"also gives the table in events: how many failures the window allows, how\n"
	"many errors in a row fire each row with and without the confidence bound,\n"
	"which rows can fire at all, and recommendations (confidence, the\n"
	"low-traffic preset, off-peak hours) where they fit.\n"
	"\n"
	"  -f, --filename PATH     file, directory (recursive, *.yaml/*.yml) or - for stdin\n"
	"      --prometheus-url URL\n"
	"                          read each SLO's traffic from this Prometheus, with the\n"
	"                          SLO's own selectors: events per day over the window,\n"
	"                          per hour of the day, and the budget left (10s timeout)\n"
	"      --presets           print every preset of spec.alerting.preset and exit\n"
	"\n"
	"Exit codes: 0 ok, 1 invalid input, no ServiceLevelObjective found, or\n"
	"Prometheus unreachable, failing or without data, 2 usage error.\n";

const char *explain_sev(enum br_severity s)
{
	return s == BR_SEVERITY_PAGE ? "page" : "ticket";
}

static const struct br_route *route_of(const struct br_slo *slo, enum br_severity s)
{
	return s == BR_SEVERITY_PAGE ? &slo->page : &slo->ticket;
}

int explain_row_disabled(const struct br_slo *slo, const struct br_alert_window *row)
{
	return route_of(slo, row->severity)->disabled;
}

char *explain_dur(double seconds, char *out, size_t size)
{
	if (seconds < 0.5) {
		snprintf(out, size, "<1s");
		return out;
	}
	return br_duration_format(llround(seconds), out, size);
}

char *explain_pct(double fraction, char *out, size_t size)
{
	snprintf(out, size, "%.4g%%", fraction * 100);
	return out;
}

void explain_wrap(const char *first, const char *text, const char *indent)
{
	const char *nl = strrchr(first, '\n');
	size_t col = strlen(nl ? nl + 1 : first), ind = strlen(indent);
	const char *p = text + strspn(text, " ");

	fputs(first, stdout);
	while (*p) {
		size_t word = strcspn(p, " ");

		if (col > ind && col + 1 + word > EXPLAIN_WIDTH) {
			printf("\n%s", indent);
			col = ind;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, word, stdout);
		col += word;
		p += word;
		p += strspn(p, " ");
	}
	putchar('\n');
}

char *explain_count(double v, char *out, size_t size)
{
	if (fabs(v) >= 1000)
		snprintf(out, size, "%.0f", v);
	else
		snprintf(out, size, "%.4g", v);
	return out;
}

/* A rate: events per minute, or per hour when that reads better. */
static char *per_time(double events, double seconds, char *out, size_t size)
{
	double per_min = events * 60 / seconds;

	if (per_min >= 0.1)
		snprintf(out, size, "%.2g requests/min", per_min);
	else
		snprintf(out, size, "%.2g requests/hour", per_min * 60);
	return out;
}

/* What a slice is, what makes one bad, and what the budget counts. */
static void explain_slice(const struct br_slo *slo, struct br_buf *b)
{
	char d[32];
	static const char *const nodata[] = {"is no slice (it spends and earns nothing)",
		"counts as good", "counts as bad"};

	br_buf_addf(b, "time slices of %s; a slice is bad when ",
		    br_duration_format(slo->slice_s, d, sizeof(d)));
	if (slo->slice_query)
		br_buf_addf(b, "%s (its %s series) is %s %.10g", slo->slice_query,
			    slo->slice_good_above ? "lowest" : "highest",
			    slo->slice_good_above ? "below" : "above", slo->slice_threshold);
	else {
		br_buf_addf(b, "the p%.10g of ", slo->slice_quantile * 100);
		br_selector_render(&slo->histogram, NULL, NULL, b);
		br_buf_addf(b, " over it is %s %.10g", slo->slice_good_above ? "below" : "above",
			    slo->slice_threshold);
	}
	br_buf_addf(b, "; a slice without data %s. The objective is the share of good slices "
		    "and the budget is counted in slices: %.0f of a %s window's slices may be bad",
		    nodata[slo->slice_nodata],
		    (double)slo->window_s / (double)slo->slice_s * (1 - slo->objective / 100),
		    br_duration_format(slo->window_s, d, sizeof(d)));
}

static void print_indicator(const struct br_slo *slo, struct br_buf *b)
{
	br_buf_reset(b);
	switch (slo->indicator) {
	case BR_INDICATOR_RATIO:
		br_buf_adds(b,
			    slo->ratio_has_good ? "ratio, good events " : "ratio, error events ");
		br_selector_render(slo->ratio_has_good ? &slo->good : &slo->errors, NULL, NULL, b);
		br_buf_adds(b, " out of ");
		br_selector_render(&slo->total, NULL, NULL, b);
		break;
	case BR_INDICATOR_LATENCY:
		br_buf_adds(b, "latency, requests slower than ");
		br_buf_addf(b, "%.10gs", slo->threshold_s);
		br_buf_adds(b, " are errors; histogram ");
		br_selector_render(&slo->histogram, NULL, NULL, b);
		break;
	case BR_INDICATOR_RAW:
		br_buf_addf(b, "raw error ratio %s", slo->raw_error_ratio);
		break;
	case BR_INDICATOR_TIMESLICE:
		explain_slice(slo, b);
		break;
	}
	printf("  indicator:     %s\n", br_buf_str(b));
}

static void print_header(const struct br_slo *slo, const char *file, struct br_buf *b)
{
	double eb = br_slo_error_budget(slo);
	char w[32], d[32], p[32], n[32];

	printf("%s/%s  (%s)\n", slo->namespace, slo->name, file);
	printf("  service:       %s\n", slo->service);
	if (slo->description)
		printf("  description:   %s\n", slo->description);
	br_duration_format(slo->window_s, w, sizeof(w));
	printf("  objective:     %s%% over a rolling %s\n",
	       cli_number(slo->objective, n, sizeof(n)), w);
	printf("  error budget:  %s of requests may fail (a full outage spends it in %s)\n",
	       explain_pct(eb, p, sizeof(p)),
	       explain_dur(eb * (double)slo->window_s, d, sizeof(d)));
	print_indicator(slo, b);
	if (slo->min_events > 0)
		printf("  minEvents:     %lld (a row fires only when its long window saw that many "
		       "requests)\n",
		       slo->min_events);
	if (slo->confidence > 0)
		printf("  confidence:    %s%% one-sided, z = %.4f (a row fires only while the "
		       "Wilson lower\n"
		       "                 bound of its long window's error ratio is above its "
		       "threshold)\n",
		       cli_number(slo->confidence, n, sizeof(n)),
		       br_slo_confidence_z(slo->confidence));
	explain_preset_line(slo);
	for (int s = BR_SEVERITY_PAGE; s <= BR_SEVERITY_TICKET; s++) {
		const struct br_route *r = route_of(slo, s);

		if (r->disabled)
			printf("  %-6s alert:  disabled\n", explain_sev(s));
		else
			printf("  %-6s alert:  %s{severity=\"%s\"} -> receiver %s\n",
			       explain_sev(s), slo->alert_name, r->severity,
			       r->receiver ? r->receiver : "(default route)");
	}
}

static void print_table(const struct br_slo *slo)
{
	double eb = br_slo_error_budget(slo);
	char f[32], lw[32], sw[32], ratio[32], spent[32], fire[32], reset[32];

	printf("\n  %-17s %9s %6s %6s %12s %14s %16s %8s\n", "severity", "burn rate", "long",
	       "short", "error ratio", "budget spent", "time to fire at", "resets");
	printf("  %-17s %9s %6s %6s %12s %14s %16s %8s\n", "", "", "", "", "that fires",
	       "when it fires",
	       "100% errors", "after");
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *row = &slo->windows[i];
		char sev[32];

		snprintf(sev, sizeof(sev), "%s%s", explain_sev(row->severity),
			 route_of(slo, row->severity)->disabled ? " (disabled)" : "");
		snprintf(f, sizeof(f), "%.10gx", row->burn_rate);
		printf("  %-17s %9s %6s %6s %12s %14s %16s %8s\n", sev, f,
		       br_duration_format(row->long_s, lw, sizeof(lw)),
		       br_duration_format(row->short_s, sw, sizeof(sw)),
		       explain_pct(row->burn_rate * eb, ratio, sizeof(ratio)),
		       explain_pct(row->burn_rate * (double)row->long_s / (double)slo->window_s,
				   spent, sizeof(spent)),
		       explain_dur((double)row->long_s * row->burn_rate * eb, fire, sizeof(fire)),
		       br_duration_format(row->short_s, reset, sizeof(reset)));
	}
}

/* The same rows in sentences, with what minEvents means for each. */
static void print_words(const struct br_slo *slo)
{
	double eb = br_slo_error_budget(slo);
	char f[32], lw[32], sw[32], ratio[32], spent[32], fire[32], w[32], rate[64];

	br_duration_format(slo->window_s, w, sizeof(w));
	printf("\n");
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *row = &slo->windows[i];
		const char *verb = row->severity == BR_SEVERITY_PAGE ? "pages" : "opens a ticket";

		cli_number(row->burn_rate, f, sizeof(f));
		br_duration_format(row->long_s, lw, sizeof(lw));
		br_duration_format(row->short_s, sw, sizeof(sw));
		if (route_of(slo, row->severity)->disabled) {
			printf("  - %sx over %s/%s: %s alerts are disabled; this row generates "
			       "nothing.\n",
			       f, lw, sw, explain_sev(row->severity));
			continue;
		}
		printf("  - %sx over %s/%s: %s when more than %s of requests fail over both the "
		       "last %s\n"
		       "    and the last %s; by then %s of the %s budget is spent. A full outage "
		       "%s after\n"
		       "    %s; once errors stop, it clears after about %s.\n",
		       f, lw, sw, verb, explain_pct(row->burn_rate * eb, ratio, sizeof(ratio)),
		       lw, sw,
		       explain_pct(row->burn_rate * (double)row->long_s / (double)slo->window_s,
				   spent, sizeof(spent)),
		       w, verb,
		       explain_dur((double)row->long_s * row->burn_rate * eb, fire, sizeof(fire)),
		       sw);
		if (slo->min_events > 0)
			printf("    The %s window needs >= %lld requests: fewer than %s never %s "
			       "through this row.\n",
			       lw, slo->min_events,
			       per_time((double)slo->min_events, (double)row->long_s, rate,
					sizeof(rate)),
			       row->severity == BR_SEVERITY_PAGE ? "pages" : "opens a ticket");
	}
}

struct explain_opts {
	struct cli_paths paths;
	const char *prom_url;
	int presets;
};

/* Options into o. Returns -1 to go on, or the exit code (help, usage). */
static int parse_opts(int argc, char **argv, struct explain_opts *o)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "prometheus-url", required_argument, NULL, 'P' },
		{ "presets", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'P') {
			o->prom_url = optarg;
		} else if (c == 'p') {
			o->presets = 1;
		} else if (c == 'h' || c != 'f' || cli_paths_add(&o->paths, optarg)) {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? CLI_OK : CLI_USAGE;
		}
	}
	if (o->presets && o->paths.count == 0 && !o->prom_url && optind == argc)
		return -1;
	if (o->presets || o->paths.count == 0 || optind < argc) {
		fprintf(stderr, "burnrate explain: %s\n\n%s",
			o->presets ? "--presets takes no other argument"
			: o->paths.count ? "unexpected argument" : "no input: give -f PATH", usage);
		return CLI_USAGE;
	}
	return -1;
}

/* The client for --prometheus-url, or NULL after saying why. */
static struct br_prom_client *prom_client(const char *url)
{
	struct br_prom_options po = { .url = url, .timeout_ms = 10000,
				      .connect_timeout_ms = 3000 };
	struct br_prom_client *c = NULL;
	struct br_error err;

	br_error_init(&err);
	if (br_prom_client_create(&po, &c, &err) != 0)
		fprintf(stderr, "burnrate explain: --prometheus-url %s: %s\n", url, err.text);
	return c;
}

/* The traffic of one SLO: from Prometheus when there is a client, else the
 * spec's expectedEventsPerDay. Returns 0, or -1 (Prometheus failed, said). */
static int traffic_of(const struct br_slo *slo, struct br_prom_client *c,
		      struct explain_traffic *t)
{
	memset(t, 0, sizeof(*t));
	/* a time-slice SLO's "events" are its slices: their count is known */
	if (slo->indicator == BR_INDICATOR_TIMESLICE) {
		t->known = 1;
		snprintf(t->source, sizeof(t->source), "spec.indicator.timeSlice.slice (slices, "
			 "not requests)");
		t->per_day = 86400.0 / (double)slo->slice_s;
		return 0;
	}
	if (c) {
		int rc = explain_prom(slo, c, t);

		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		printf("\n  traffic:       cannot be read from Prometheus for a raw indicator "
		       "(burnrate\n"
		       "                 cannot count its events)%s\n",
		       slo->expected_events_per_day > 0 ?
		       "; using spec.traffic.expectedEventsPerDay" : "");
	}
	if (slo->expected_events_per_day > 0) {
		t->known = 1;
		snprintf(t->source, sizeof(t->source), "spec.traffic.expectedEventsPerDay");
		t->per_day = slo->expected_events_per_day;
	}
	return 0;
}

/* Explains every SLO of set. Returns the exit code. */
static int explain_set(const struct cli_set *set, struct br_prom_client *c)
{
	struct explain_traffic t;
	struct br_buf b;
	int rc = CLI_OK;

	br_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < set->count; i++) {
		const struct br_slo *slo = &set->items[i].slo;

		if (i > 0)
			printf("\n");
		print_header(slo, set->items[i].file, &b);
		print_table(slo);
		print_words(slo);
		explain_off_peak(slo);
		explain_corrections(set, i);
		fflush(stdout); /* before any message about Prometheus on stderr */
		if (traffic_of(slo, c, &t) != 0) {
			rc = CLI_INVALID;
			continue;
		}
		explain_traffic(slo, &t);
	}
	br_buf_release(&b);
	return rc;
}

int cli_explain(int argc, char **argv)
{
	struct explain_opts o = { { 0 }, NULL, 0 };
	struct br_prom_client *c = NULL;
	struct cli_set set;
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0 || o.presets) {
		free(o.paths.items);
		if (rc < 0)
			explain_presets();
		return rc < 0 ? CLI_OK : rc;
	}
	cli_set_init(&set);
	rc = cli_load_checked(&set, o.paths.items, o.paths.count, "explain", NULL);
	if (rc == CLI_OK && o.prom_url && !(c = prom_client(o.prom_url)))
		rc = CLI_INVALID;
	if (rc == CLI_OK)
		rc = explain_set(&set, c);
	br_prom_client_free(c);
	free(o.paths.items);
	cli_set_release(&set);
	return rc;
}
