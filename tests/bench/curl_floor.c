/* For tests/bench/controller.sh: the resident memory of a process that links
 * libcurl and calls curl_global_init, and nothing else; the floor under the
 * controller's idle RSS. Prints "RSS x MB (y MB private)". */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static long field_kb(const char *name)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0)
			sscanf(line + strlen(name), "%ld", &kb);
	if (f)
		fclose(f);
	return kb;
}

int main(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	printf("RSS %.1f MB (%.1f MB private)\n", field_kb("VmRSS:") / 1024.0,
	       field_kb("RssAnon:") / 1024.0);
	curl_global_cleanup();
	return 0;
}
