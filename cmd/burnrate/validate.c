/* validate: `burnrate validate -f ...`: loads and checks every SLO, prints one
 * line per problem, and exits 1 when there is any (for CI pipelines). */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] =
	"usage: burnrate validate -f PATH [-f PATH ...]\n"
	"\n"
	"Checks ServiceLevelObjective files. PATH is a file, a directory (searched\n"
	"recursively for *.yaml and *.yml) or - for stdin. Documents of other kinds\n"
	"are skipped with a note on stderr.\n"
	"\n"
	"Prints one line per problem on stderr, \"file:line:col: field: message\".\n"
	"Exit codes: 0 all valid, 1 invalid input, 2 usage error.\n";

int cli_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_paths paths = { 0 };
	struct cli_set set;
	int c, rc;

	opterr = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			free(paths.items);
			fputs(usage, stdout);
			return CLI_OK;
		}
		if (c != 'f' || cli_paths_add(&paths, optarg)) {
			free(paths.items);
			fputs(usage, stderr);
			return CLI_USAGE;
		}
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
	printf("%zu ServiceLevelObjective(s) valid in %zu file(s)\n", set.count, set.files);
	cli_set_release(&set);
	return CLI_OK;
}
