/* fuzz_alertmanager_config: bytes -> base configuration and policy (split
 * at the first NUL byte; no NUL: all base) -> br_am_config_parse, and for
 * what parses: the verdict and the merged configuration for a few SLOs,
 * using the receivers the input defines. Whatever the input, this must not
 * crash, leak or hang, and every merged configuration must build (it is
 * re-validated by br_am_build itself). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alertmanager/alertmanager.h"
#include "buf/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t blen = nul ? (size_t)(nul - text) : size;
	struct br_am_config *cfg = NULL;
	struct br_buf out;
	char msg[512];

	if (br_am_config_parse(text, blen, nul ? nul + 1 : NULL, nul ? size - blen - 1 : 0,
			       &cfg, NULL) != 0) {
		if (cfg)
			abort(); /* failure leaves nothing */
		return 0;
	}
	const char *root = br_am_config_root_receiver(cfg);
	struct br_am_target t[] = {
		{ "payments", { root, root } },
		{ "search", { root, "missing" } },
		{ "a", { NULL, NULL } },
	};
	for (size_t i = 0; i < 3; i++)
		br_am_check(cfg, &t[i], msg, sizeof(msg));
	br_buf_init(&out, BR_BUF_MAX_DEFAULT);
	int rc = br_am_build(cfg, t, 3, &out, NULL);
	if (rc != 0 && rc != BR_ENOMEM)
		abort(); /* a valid base must always merge into a valid configuration */
	br_buf_release(&out);
	br_am_config_free(cfg);
	return 0;
}
