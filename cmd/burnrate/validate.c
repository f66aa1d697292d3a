/* validate: `burnrate validate -f ...`: loads and checks every SLO, prints one
 * line per problem, and exits 1 when there is any (for CI pipelines). */
#include <getopt.h>
#include <stdlib.h>

#include "alertmanager/alertmanager.h"
#include "cli.h"

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
	"Exit codes: 0 all valid, 1 invalid input or no ServiceLevelObjective found,\n"
	"2 usage error.\n";

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
		fprintf(stderr, "burnrate validate: --alertmanager-policy needs --alertmanager-base\n");
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
	rc = cli_load(&set, paths.items, paths.count);
	free(paths.items);
	if (rc) {
		fprintf(stderr, "burnrate validate: out of memory\n");
		cli_set_release(&set);
		return CLI_INVALID;
	}
	if (cli_print_problems(&set.problems, stderr) > 0) {
		fprintf(stderr, "burnrate validate: %zu problem(s)\n", set.problems.count);
		cli_set_release(&set);
		return CLI_INVALID;
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
	printf("%zu ServiceLevelObjective(s) valid in %zu file(s)%s\n", set.count, set.files,
	       am_base ? ", all routable" : "");
	cli_set_release(&set);
	return CLI_OK;
}
