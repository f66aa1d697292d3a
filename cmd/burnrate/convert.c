/* convert: ServiceLevelObjectives to OpenSLO v1 and OpenSLO v1 to
 * ServiceLevelObjectives, as multi-document YAML on stdout. Inputs are read
 * as generate reads them (either format, or both); nothing is written when
 * any input is invalid or cannot be converted. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "cli.h"
#include "openslo/openslo.h"
#include "yaml/yaml.h"

static const char usage[] =
	"usage: burnrate convert --to slo|openslo -f PATH [-f PATH ...]\n"
	"\n"
	"Converts SLOs between burnrate's ServiceLevelObjective and OpenSLO v1 and\n"
	"writes them to stdout as multi-document YAML, sorted by namespace and name.\n"
	"Either format is read from -f (files, directories, - for stdin).\n"
	"\n"
	"  --to slo       ServiceLevelObjective manifests (burnrate.dev/v1alpha1), for\n"
	"                 kubectl apply\n"
	"  --to openslo   OpenSLO v1 SLOs, the SLI inline, one AlertPolicy per alert row;\n"
	"                 converting them back gives the same rules\n"
	"  -f, --filename PATH\n"
	"\n"
	"What OpenSLO cannot say exactly is refused, naming the field: calendar\n"
	"windows, Timeslices budgeting, several objectives, thresholdMetric,\n"
	"non-Prometheus sources, queries that are not a selector. See README.md.\n"
	"\n"
	"Exit codes: 0 converted, 1 invalid input (one line per problem, nothing\n"
	"written), 2 usage error.\n";

enum target { TO_NONE, TO_SLO, TO_OPENSLO };

/* Returns -1 to go on, or the exit code to leave with. */
static int parse_args(int argc, char **argv, enum target *to, struct cli_paths *paths)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return CLI_OK;
		} else if (c == 'f') {
			if (cli_paths_add(paths, optarg))
				return CLI_INVALID;
		} else if (c == 't' && strcmp(optarg, "slo") == 0) {
			*to = TO_SLO;
		} else if (c == 't' && strcmp(optarg, "openslo") == 0) {
			*to = TO_OPENSLO;
		} else {
			if (c == 't')
				fprintf(stderr,
					"burnrate convert: --to must be slo or openslo, got "
					"\"%s\"\n", optarg);
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (optind < argc || paths->count == 0 || *to == TO_NONE) {
		fprintf(stderr, "burnrate convert: %s\n\n%s", optind < argc ?
			"unexpected argument" : paths->count == 0 ? "-f is required" :
			"--to is required", usage);
		return CLI_USAGE;
	}
	return -1;
}

/* Appends every converted document to out; problems into set->problems. */
static int render(const struct cli_set *set, enum target to, struct br_buf *out,
		  struct br_problems *problems)
{
	struct br_error err;
	int rc = 0;

	for (size_t i = 0; i < set->count && rc != BR_ENOMEM; i++) {
		const struct cli_slo *item = &set->items[i];
		json_t *doc = NULL;
		int r = 0;
		size_t before = problems->count;

		if (to == TO_OPENSLO)
			r = br_openslo_from_slo(item->doc, NULL, item->file, &doc, problems);
		else
			doc = json_incref(item->doc);
		br_error_init(&err);
		if (r == 0 && (br_buf_adds(out, "---\n") || br_yaml_emit(doc, out, &err)))
			r = BR_ENOMEM;
		json_decref(doc);
		/* the trees kept have no marks: point at the document at least */
		for (size_t k = before; k < problems->count; k++)
			if (problems->items[k].line == 0)
				problems->items[k].line = item->line;
		if (r)
			rc = r;
	}
	return rc;
}

static int run(enum target to, const struct cli_paths *paths)
{
	struct cli_set set;
	struct br_buf out;
	int rc = CLI_OK;

	cli_set_init(&set);
	set.keep_docs = 1;
	br_buf_init(&out, BR_BUF_MAX_DEFAULT);
	if (cli_load(&set, paths->items, paths->count) ||
	    render(&set, to, &out, &set.problems) == BR_ENOMEM) {
		fprintf(stderr, "burnrate convert: out of memory\n");
		rc = CLI_INVALID;
	} else if (cli_print_problems(&set.problems, stderr) > 0) {
		fprintf(stderr, "burnrate convert: %zu problem(s); nothing written\n",
			set.problems.count);
		rc = CLI_INVALID;
	} else if (out.len && (fwrite(out.data, 1, out.len, stdout) != out.len ||
			       fflush(stdout) != 0)) {
		fprintf(stderr, "burnrate convert: cannot write output: %s\n", strerror(errno));
		rc = CLI_INVALID;
	}
	if (set.ncorrections)
		fprintf(stderr, "burnrate convert: %zu BudgetCorrection(s) left out (not SLOs)\n",
			set.ncorrections);
	br_buf_release(&out);
	cli_set_release(&set);
	return rc;
}

int cli_convert(int argc, char **argv)
{
	struct cli_paths paths = { 0 };
	enum target to = TO_NONE;
	int rc = parse_args(argc, argv, &to, &paths);

	if (rc < 0)
		rc = run(to, &paths);
	free(paths.items);
	return rc;
}
