/* burnrate: entry point; dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: burnrate <command> [options]\n"
	"\n"
	"Turns ServiceLevelObjective resources into multi-window, multi-burn-rate\n"
	"Prometheus alerts, without a cluster.\n"
	"\n"
	"commands:\n"
	"  validate  check SLO files; exit 1 and one line per problem if any is invalid\n"
	"  generate  render PrometheusRule manifests (or a plain rules file)\n"
	"  explain   print each SLO's alert table in words and numbers\n"
	"  controller  run the operator: reconcile SLOs into PrometheusRules and status\n"
	"  ui        serve a read-only web UI of the SLOs, their budgets and alerts\n"
	"  backtest  what an SLO's alerts would have done over its history in Prometheus\n"
	"  report    the budget an incident consumed between two times\n"
	"  convert   ServiceLevelObjectives to OpenSLO v1 and back (--to slo|openslo)\n"
	"  version   print the version\n"
	"\n"
	"Run `burnrate <command> --help` for the options of a command.\n"
	"Exit codes: 0 ok, 1 invalid input, 2 usage error.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"validate", cli_validate}, {"generate", cli_generate}, {"explain", cli_explain},
	{"controller", cli_controller}, {"ui", cli_ui}, {"backtest", cli_backtest},
	{"report", cli_report}, {"convert", cli_convert},
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("burnrate %s\n", BURNRATE_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "burnrate: unknown command \"%s\"\n\n%s", cmd, usage);
	return CLI_USAGE;
}
