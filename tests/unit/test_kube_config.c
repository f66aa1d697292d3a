/* test_kube_config: kubeconfig loading with every allocation failing in turn
 * (failalloc.h, which needs a process of its own: test_kube runs threads
 * and a fake API server). The cases and their answers are test_kube's. */
#define _GNU_SOURCE /* RTLD_NEXT, for failalloc.h */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

#include "failalloc.h"

static char data_dir[1100];

static int setup(void **state)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");

	snprintf(data_dir, sizeof(data_dir), "%s/tests/data/kubeconfig",
		 src ? src : "..");
	return 0;
}

/* One way of loading: a file, or bytes in memory. */
struct load {
	const char *file;     /* under tests/data/kubeconfig, or NULL */
	const char *data;     /* with file NULL */
	const char *context;
};

static int run(const struct load *l, struct br_kube_config *cfg, struct br_error *err)
{
	char path[1200];

	br_error_init(err);
	if (!l->file)
		return br_kube_config_load_kubeconfig_data(l->data, strlen(l->data), NULL,
							   l->context, cfg, err);
	snprintf(path, sizeof(path), "%s/%s", data_dir, l->file);
	return br_kube_config_load_kubeconfig(path, l->context, cfg, err);
}

/* Whether a load that had an allocation fail answered cleanly: BR_ENOMEM
 * with a message. */
static int clean_failure(int rc, const struct br_error *err)
{
	return rc == BR_ENOMEM && err->code == rc && err->text[0];
}

/* Fails the 0th, 1st, ... allocation of the load until one makes no more
 * allocations than the one failed: each failure must be clean (BR_ENOMEM
 * with a message), cfg must release cleanly (ASan's leak check), and the
 * last load gives the normal answer, which is first taken without any
 * failure. */
static void fail_every_allocation(const struct load *l)
{
	const char *name = l->file ? l->file : l->data;
	struct br_kube_config cfg;
	struct br_error err;
	int want = run(l, &cfg, &err);
	char *want_server = cfg.server ? strdup(cfg.server) : NULL;
	long failed = 0;

	assert_true(want == 0 || err.text[0]);
	br_kube_config_release(&cfg);
	for (long n = 0;; n++) {
		int rc;

		allocations = 0;
		failing_after = n;
		rc = run(l, &cfg, &err);
		failing_after = -1;
		if (allocations <= n) {
			if (rc != want)
				fail_msg("%s: nothing failed, got %s (%s)", name,
					 br_code_name(rc), err.text);
			if (rc == 0)
				assert_string_equal(cfg.server, want_server);
			br_kube_config_release(&cfg);
			break;
		}
		if (rc != want && !clean_failure(rc, &err))
			fail_msg("%s: allocation %ld failed: got %s (%s)", name, n,
				 br_code_name(rc), err.text);
		failed += rc == BR_ENOMEM;
		br_kube_config_release(&cfg);
		assert_null(cfg.server);
		assert_null(cfg.context);
	}
	assert_true(failed > 0);
	free(want_server);
}

static void test_files(void **state)
{
	static const struct load loads[] = {
		{"full.yaml", NULL, NULL},            /* file paths, certificate files */
		{"full.yaml", NULL, "dev"},           /* inline token */
		{"data.yaml", NULL, NULL},            /* base64 PEM data */
		{"missing-user.yaml", NULL, NULL},    /* a failure with a message */
		{"bad-base64.yaml", NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		fail_every_allocation(&loads[i]);
}

static void test_data(void **state)
{
	static const struct load loads[] = {
		{NULL, "contexts: [{name: x, context: {cluster: c, namespace: ns}}]\n"
		       "clusters: [{name: c, cluster: {server: 'https://h/'}}]\n"
		       "users: [{name: u, user: {token: t}}]\n"
		       "current-context: x\n", NULL},
		{NULL, "contexts: [{name: x, context: 7}]\ncurrent-context: x\n", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		fail_every_allocation(&loads[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_data),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
