/* validate: `burnrate validate -f ...`: loads and checks every SLO, prints one
 * line per problem, and exits 1 when there is any (for CI pipelines). */
#include <getopt.h>
#include <stdlib.h>

#include "alertmanager/alertmanager.h"
#include "cli.h"
#include "explain.h"

/* Fewer allowed failures per window than this and burn-rate alerts fire on
 * a handful of errors (docs/low-traffic.md). */
#define FEW_FAILURES 10.0

static const char usage[] =
	"usage: burnrate validate -f PATH [-f PATH ...]\n"
	"                         [--alertmanager-base FILE [--alertmanager-policy FILE]]\n"
	"\n"
	"Checks ServiceLevelObjective files. PATH is a file, a directory (searched\n"
	"recursively for *.yaml and *.yml) or - for stdin. Documents of other kinds\n"
	"are skipped with a note on stderr.\n"
	"\n"
	"With --alertmanager-base (alertmanager.yaml, or a Secret manifest with keys\n"
	"alertmanager.yaml and burnrate.yaml; see burnrate generate --help) it also\n"
	"checks the base and that every receiver an SLO names exists there and is\n"
	"allowed for its namespace, as the controller would.\n"
	"\n"
	"Prints one line per problem on stderr, \"file:line:col: field: message\".\n"
	"Warns (on stderr, exit code unchanged) when spec.traffic.expectedEventsPerDay\n"
	"leaves fewer than 10 allowed failures per window.\n"
	"Exit codes: 0 all valid, 1 invalid input or no ServiceLevelObjective found,\n"
	"2 usage error.\n";

/* Warns about SLOs whose expected traffic leaves too few failures to alert
 * on: eb * expectedEventsPerDay * window days < FEW_FAILURES. */
static void warn_traffic(const struct cli_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct br_slo *slo = &set->items[i].slo;
		double eb = br_slo_error_budget(slo), days = (double)slo->window_s / 86400;
		double allowed = eb * slo->expected_events_per_day * days;
		char e[32], o[32], w[32], a[32], need[32];

		if (!(slo->expected_events_per_day > 0) || allowed >= FEW_FAILURES)
			continue;
		fprintf(stderr,
			"%s:%d: warning: %s/%s: spec.traffic.expectedEventsPerDay: at %s events "
			"a day, %s%% over %s allows %s failures per window: too few to alert on; "
			"%g need %s events a day, a longer spec.window or a lower objective; "
			"at this traffic consider spec.alerting.preset: low-traffic and "
			"spec.traffic.confidence (burnrate explain shows what each row needs)\n",
			set->items[i].file, set->items[i].line, slo->namespace, slo->name,
			explain_count(slo->expected_events_per_day, e, sizeof(e)),
			cli_number(slo->objective, o, sizeof(o)),
			br_duration_format(slo->window_s, w, sizeof(w)),
			explain_count(allowed, a, sizeof(a)),
			FEW_FAILURES,
			explain_count(FEW_FAILURES / (eb * days), need, sizeof(need)));
	}
}

int cli_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "alertmanager-base", required_argument, NULL, 'B' },
		{ "alertmanager-policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_paths paths = { 0 };
	const char *am_base = NULL, *am_policy = NULL;
	struct br_am_config *am = NULL;
	struct cli_set set;
	int c, rc;

	opterr = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			free(paths.items);
			fputs(usage, stdout);
			return CLI_OK;
		}
		if (c == 'B' || c == 'P') {
			*(c == 'B' ? &am_base : &am_policy) = optarg;
			continue;
		}
		if (c != 'f' || cli_paths_add(&paths, optarg)) {
			free(paths.items);
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (am_policy && !am_base) {
		fprintf(stderr,
			"burnrate validate: --alertmanager-policy needs --alertmanager-base\n");
		free(paths.items);
		return CLI_USAGE;
	}
	if (paths.count == 0 || optind < argc) {
		fprintf(stderr, "burnrate validate: %s\n\n%s",
			paths.count ? "unexpected argument" : "no input: give -f PATH", usage);
		free(paths.items);
		return CLI_USAGE;
	}
	cli_set_init(&set);
	rc = cli_load_checked(&set, paths.items, paths.count, "validate", "");
	free(paths.items);
	if (rc != CLI_OK) {
		cli_set_release(&set);
		return rc;
	}
	if (am_base) {
		size_t n = 0;

		if (cli_am_load(am_base, am_policy, &am) != 0) {
			fprintf(stderr, "burnrate validate: invalid Alertmanager base or policy\n");
			cli_set_release(&set);
			return CLI_INVALID;
		}
		n = cli_am_check(am, &set);
		br_am_config_free(am);
		if (n > 0) {
			fprintf(stderr, "burnrate validate: %zu SLO(s) cannot be routed\n", n);
			cli_set_release(&set);
			return CLI_INVALID;
		}
	}
	warn_traffic(&set);
	printf("%zu ServiceLevelObjective(s) valid in %zu file(s)%s\n", set.count, set.files,
	       am_base ? ", all routable" : "");
	cli_set_release(&set);
	return CLI_OK;
}
