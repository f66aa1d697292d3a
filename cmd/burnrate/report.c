/* report: `burnrate report` (not written yet). */
#include <stdio.h>

#include "cli.h"

int cli_report(int argc, char **argv)
{
	fprintf(stderr, "burnrate report: not implemented yet\n");
	return CLI_USAGE;
}
