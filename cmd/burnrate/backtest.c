/* backtest: `burnrate backtest`: what an SLO's alerts would have done over
 * its history in Prometheus (pkg/backtest evaluates the rules' logic;
 * history.c reads the series; backtest_out.c prints). Needs no cluster and
 * no loaded rules: only the SLI's own series. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backtest_out.h"
#include "cli.h"
#include "history.h"

static const char usage[] =
	"usage: burnrate backtest -f SLO.yaml --prometheus-url URL [--from -30d] [--to now]\n"
	"                         [--step 1m] [--json] [--svg OUT.svg] [--compare OTHER.yaml]\n"
	"\n"
	"Evaluates the SLO's alert table, exactly as the generated rules would, over\n"
	"its history in Prometheus (the rules' own expressions, read with range queries\n"
	"of at most 11,000 points), and prints every page and ticket that would have\n"
	"fired (start, end, the row, the burn rate when it fired), the budget left at\n"
	"the end and its low point, and totals. The SLO need not be applied anywhere.\n"
	"\n"
	"  -f, --filename PATH     the SLO (a file holding exactly one, or - for stdin)\n"
	"      --prometheus-url URL\n"
	"      --from TIME         start: now, -30d, -3h, RFC 3339 or Unix seconds (default -30d)\n"
	"      --to TIME           end (default now)\n"
	"      --step DURATION     evaluation interval of the rules (default 1m)\n"
	"      --timeout DURATION  per query (default 30s)\n"
	"      --json              print the result as JSON\n"
	"      --svg PATH          draw the budget burn-down, firing intervals as bands\n"
	"      --compare PATH      another spec (one SLO) over the same range, side by side\n"
	"\n"
	"Exit codes: 0 ok, 1 invalid SLO or Prometheus down, failing, slow or without\n"
	"data for the range, 2 usage error.\n";

struct bt_opts {
	struct history_opts h;
	char *compare, *svg;
};

enum { OPT_SVG = HISTORY_OPT_NEXT, OPT_COMPARE };

/* The times, now that all flags are read: from, to and their order. */
static int time_flags(struct bt_opts *o, const char *from, const char *to)
{
	double now = floor((double)time(NULL) / o->h.step) * o->h.step;
	struct br_error err;
	char line[1400];

	br_error_init(&err);
	if (br_backtest_parse_time(from, now, "--from", &o->h.from, &err) != 0 ||
	    br_backtest_parse_time(to, now, "--to", &o->h.to, &err) != 0) {
		fprintf(stderr, "burnrate backtest: %s\n",
			br_error_format(&err, line, sizeof(line)));
		return CLI_USAGE;
	}
	/* on the step grid, as Prometheus evaluates rules: every step from --from */
	o->h.to = o->h.from + floor((o->h.to - o->h.from) / o->h.step) * o->h.step;
	if (!(o->h.to > o->h.from)) {
		fprintf(stderr,
			"burnrate backtest: --to must be at least one --step after --from\n");
		return CLI_USAGE;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct bt_opts *o)
{
	static const struct option longopts[] = {
		HISTORY_LONGOPTS,
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "compare", required_argument, NULL, OPT_COMPARE },
		{ NULL, 0, NULL, 0 },
	};
	struct history_flags f;
	int ch, rc = -1;

	o->h.cmd = "backtest";
	history_flags_init(&o->h, &f);
	f.from = "-30d";
	optind = 1;
	while (rc < 0 && (ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		if (ch == OPT_SVG)
			o->svg = optarg;
		else if (ch == OPT_COMPARE)
			o->compare = optarg;
		else
			rc = history_flag(&o->h, &f, ch, optarg, usage);
	}
	if (rc >= 0)
		return rc;
	if (history_flags_check(&o->h, &f, argc, usage) != 0)
		return CLI_USAGE;
	return time_flags(o, f.from, f.to) ? CLI_USAGE : -1;
}

/* Loads exactly one SLO from path into set. Returns 0, or the exit code
 * after printing why. */
static int load_one(const struct bt_opts *o, const char *path, const char *flag,
		    struct cli_set *set)
{
	int rc = history_load_one(&o->h, path, flag, set);

	if (rc != CLI_OK)
		return rc;
	if (set->items[0].slo.indicator == BR_INDICATOR_TIMESLICE) {
		fprintf(stderr, "burnrate backtest: %s/%s: spec.indicator.timeSlice: time-slice "
			"SLOs cannot be backtested yet (their slices are recorded by the rules, "
			"not in the history)\n", set->items[0].slo.namespace,
			set->items[0].slo.name);
		return CLI_INVALID;
	}
	return 0;
}

/* Reads the history of one SLO and evaluates it. Returns 0, or -1 (said). */
static int backtest_one(const struct bt_opts *o, const struct br_slo *slo,
			struct br_prom_client *c, struct br_backtest_result *r)
{
	struct br_backtest_history h;
	struct br_error err;
	int rc;

	br_backtest_history_init(&h);
	if (history_read(&o->h, slo, c, &h) != 0)
		return -1;
	br_error_init(&err);
	rc = br_backtest_run(slo, &h, o->h.from, r, &err);
	br_backtest_history_release(&h);
	if (rc != 0)
		return history_say(&o->h, slo, "cannot evaluate the alert table", err.text), -1;
	return 0;
}

/* Runs the SLO (and the one to compare) and prints. */
static int run(const struct bt_opts *o, const struct br_slo *a, const struct br_slo *b)
{
	struct br_backtest_result ra, rb;
	struct br_prom_client *c = history_client(&o->h);
	int rc = CLI_INVALID;

	br_backtest_result_init(&ra);
	br_backtest_result_init(&rb);
	if (c && backtest_one(o, a, c, &ra) == 0 && (!b || backtest_one(o, b, c, &rb) == 0)) {
		rc = CLI_OK;
		if (o->h.json)
			rc = bt_print_json(a, &ra, b, b ? &rb : NULL);
		else
			bt_print_text(a, &ra, b, b ? &rb : NULL);
		if (rc == CLI_OK && o->svg && bt_write_svg(o->svg, a, &ra) != 0)
			rc = CLI_INVALID;
	}
	br_backtest_result_release(&ra);
	br_backtest_result_release(&rb);
	br_prom_client_free(c);
	return rc;
}

int cli_backtest(int argc, char **argv)
{
	struct bt_opts o;
	struct cli_set set, other;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	cli_set_init(&set);
	cli_set_init(&other);
	rc = load_one(&o, o.h.file, "-f", &set);
	if (rc == 0 && o.compare)
		rc = load_one(&o, o.compare, "--compare", &other);
	if (rc == 0)
		rc = run(&o, &set.items[0].slo, o.compare ? &other.items[0].slo : NULL);
	cli_set_release(&set);
	cli_set_release(&other);
	return rc;
}
