/* fuzz_kube_kubeconfig: bytes as a kubeconfig -> load -> release. Whatever
 * the input, loading must not crash, leak or read out of bounds; a success
 * must hold what kube.h promises (a server, a context, a namespace, decoded
 * data of the stated length), and a failure must explain itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct br_kube_config *cfg)
{
	if (!cfg->server || !cfg->server[0] || !cfg->context || !cfg->namespace)
		abort();
	if ((cfg->ca_data && strlen(cfg->ca_data) > cfg->ca_data_len) ||
	    (cfg->client_key_data && !cfg->client_key_data_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_kube_config cfg;
	struct br_error err;
	int rc;

	br_error_init(&err);
	/* no file name: relative paths in the input resolve against the
	 * working directory, and the context is the current-context */
	rc = br_kube_config_load_kubeconfig_data((const char *)data, size, NULL,
						 NULL, &cfg, &err);
	if (rc == 0)
		check(&cfg);
	else if (err.code != rc || !err.text[0])
		abort();
	br_kube_config_release(&cfg);
	return 0;
}
