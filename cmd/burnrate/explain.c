/* explain: `burnrate explain`: prints each SLO's alert table with the numbers
 * an on-call engineer asks about (DESIGN.md section 3): the error ratio that
 * fires each row, the budget it has spent by then, how fast a full outage
 * fires it, how long it takes to reset, and what minEvents does to it. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "cli.h"

static const char usage[] =
	"usage: burnrate explain -f PATH [-f PATH ...]\n"
	"\n"
	"Prints, for each ServiceLevelObjective, its error budget and alert table:\n"
	"for every row the burn rate, the long and short windows, the error ratio\n"
	"that fires it, the budget spent when it fires, the time to fire at 100%\n"
	"errors, the reset time after recovery, and what traffic.minEvents means.\n"
	"\n"
	"  -f, --filename PATH   file, directory (recursive, *.yaml/*.yml) or - for stdin\n"
	"\n"
	"Exit codes: 0 ok, 1 invalid input or no ServiceLevelObjective found, 2 usage error.\n";

static const char *sev_name(enum br_severity s)
{
	return s == BR_SEVERITY_PAGE ? "page" : "ticket";
}

static const struct br_route *route_of(const struct br_slo *slo, enum br_severity s)
{
	return s == BR_SEVERITY_PAGE ? &slo->page : &slo->ticket;
}

/* A duration in seconds, rounded to whole seconds, in Prometheus form. */
static char *dur(double seconds, char *out, size_t size)
{
	if (seconds < 0.5) {
		snprintf(out, size, "<1s");
		return out;
	}
	return br_duration_format(llround(seconds), out, size);
}

/* A percentage with up to 4 significant digits: 7.2, 0.144, 2. */
static char *pct(double fraction, char *out, size_t size)
{
	snprintf(out, size, "%.4g%%", fraction * 100);
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

static void print_indicator(const struct br_slo *slo, struct br_buf *b)
{
	br_buf_reset(b);
	switch (slo->indicator) {
	case BR_INDICATOR_RATIO:
		br_buf_adds(b, slo->ratio_has_good ? "ratio, good events " : "ratio, error events ");
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
	printf("  objective:     %s%% over a rolling %s\n", cli_number(slo->objective, n, sizeof(n)), w);
	printf("  error budget:  %s of requests may fail (a full outage spends it in %s)\n",
	       pct(eb, p, sizeof(p)), dur(eb * (double)slo->window_s, d, sizeof(d)));
	print_indicator(slo, b);
	if (slo->min_events > 0)
		printf("  minEvents:     %lld (a row fires only when its long window saw that many requests)\n",
		       slo->min_events);
	for (int s = BR_SEVERITY_PAGE; s <= BR_SEVERITY_TICKET; s++) {
		const struct br_route *r = route_of(slo, s);

		if (r->disabled)
			printf("  %-6s alert:  disabled\n", sev_name(s));
		else
			printf("  %-6s alert:  %s{severity=\"%s\"} -> receiver %s\n", sev_name(s),
			       slo->alert_name, r->severity, r->receiver ? r->receiver : "(default route)");
	}
}

static void print_table(const struct br_slo *slo)
{
	double eb = br_slo_error_budget(slo);
	char f[32], lw[32], sw[32], ratio[32], spent[32], fire[32], reset[32];

	printf("\n  %-17s %9s %6s %6s %12s %14s %16s %8s\n", "severity", "burn rate", "long",
	       "short", "error ratio", "budget spent", "time to fire at", "resets");
	printf("  %-17s %9s %6s %6s %12s %14s %16s %8s\n", "", "", "", "", "that fires", "when it fires",
	       "100% errors", "after");
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *row = &slo->windows[i];
		char sev[32];

		snprintf(sev, sizeof(sev), "%s%s", sev_name(row->severity),
			 route_of(slo, row->severity)->disabled ? " (disabled)" : "");
		snprintf(f, sizeof(f), "%.10gx", row->burn_rate);
		printf("  %-17s %9s %6s %6s %12s %14s %16s %8s\n", sev, f,
		       br_duration_format(row->long_s, lw, sizeof(lw)),
		       br_duration_format(row->short_s, sw, sizeof(sw)),
		       pct(row->burn_rate * eb, ratio, sizeof(ratio)),
		       pct(row->burn_rate * (double)row->long_s / (double)slo->window_s, spent, sizeof(spent)),
		       dur((double)row->long_s * row->burn_rate * eb, fire, sizeof(fire)),
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
			printf("  - %sx over %s/%s: %s alerts are disabled; this row generates nothing.\n",
			       f, lw, sw, sev_name(row->severity));
			continue;
		}
		printf("  - %sx over %s/%s: %s when more than %s of requests fail over both the last %s\n"
		       "    and the last %s; by then %s of the %s budget is spent. A full outage %s after\n"
		       "    %s; once errors stop, it clears after about %s.\n",
		       f, lw, sw, verb, pct(row->burn_rate * eb, ratio, sizeof(ratio)), lw, sw,
		       pct(row->burn_rate * (double)row->long_s / (double)slo->window_s, spent, sizeof(spent)),
		       w, verb, dur((double)row->long_s * row->burn_rate * eb, fire, sizeof(fire)), sw);
		if (slo->min_events > 0)
			printf("    The %s window needs >= %lld requests: fewer than %s never %s through this row.\n",
			       lw, slo->min_events,
			       per_time((double)slo->min_events, (double)row->long_s, rate, sizeof(rate)),
			       row->severity == BR_SEVERITY_PAGE ? "pages" : "opens a ticket");
	}
}

int cli_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_paths paths = { 0 };
	struct cli_set set;
	struct br_buf b;
	int c, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'h' || c != 'f' || cli_paths_add(&paths, optarg)) {
			free(paths.items);
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? CLI_OK : CLI_USAGE;
		}
	}
	if (paths.count == 0 || optind < argc) {
		fprintf(stderr, "burnrate explain: %s\n\n%s",
			paths.count ? "unexpected argument" : "no input: give -f PATH", usage);
		free(paths.items);
		return CLI_USAGE;
	}
	cli_set_init(&set);
	if (cli_load(&set, paths.items, paths.count)) {
		fprintf(stderr, "burnrate explain: out of memory\n");
		rc = CLI_INVALID;
	} else if (cli_print_problems(&set.problems, stderr) > 0) {
		rc = CLI_INVALID;
	}
	br_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < set.count && rc == CLI_OK; i++) {
		if (i > 0)
			printf("\n");
		print_header(&set.items[i].slo, set.items[i].file, &b);
		print_table(&set.items[i].slo);
		print_words(&set.items[i].slo);
	}
	br_buf_release(&b);
	free(paths.items);
	cli_set_release(&set);
	return rc;
}
