/* burnrate: entry point; dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "version") == 0) {
		printf("burnrate %s\n", BURNRATE_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: burnrate version\n");
	return 2;
}
