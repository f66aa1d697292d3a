/* fuzz_slo_parse: bytes -> br_yaml_load -> br_slo_parse of every document.
 * Whatever the input, parsing must not crash, leak or read out of bounds,
 * and a parsed SLO must hold what the model promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Crashes (so the fuzzer reports it) when a promise of slo.h is broken. */
static void check(const struct br_slo *slo)
{
	struct br_buf b;

	if (!slo->name || !slo->namespace || !slo->service || !slo->alert_name ||
	    !(slo->objective > 0 && slo->objective < 100) || slo->window_count == 0 ||
	    slo->window_s < 86400 || slo->window_s > 90 * 86400 ||
	    !slo->page.severity || !slo->ticket.severity)
		abort();
	for (size_t i = 1; i < slo->labels.count; i++)
		if (strcmp(slo->labels.items[i - 1].name, slo->labels.items[i].name) >= 0)
			abort();
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		if (w->short_s >= w->long_s || w->long_s > slo->window_s || !(w->burn_rate > 0))
			abort();
	}
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	if (slo->indicator == BR_INDICATOR_RATIO &&
	    br_selector_render(&slo->total, NULL, NULL, &b) != 0)
		abort();
	br_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_yaml_stream st;
	struct br_error err;

	br_error_init(&err);
	if (br_yaml_load((const char *)data, size, "fuzz.yaml", &st, &err) != 0)
		return 0;
	for (size_t i = 0; i < st.count; i++) {
		struct br_problems p;
		struct br_slo slo;

		br_problems_init(&p);
		int rc = br_slo_parse(st.docs[i].root, st.marks, "fuzz.yaml", &slo, &p);

		if (rc == 0) {
			check(&slo);
			br_slo_release(&slo);
		} else if (rc == BR_EINVAL && p.count == 0) {
			abort(); /* a refusal always says why (unless out of memory) */
		}
		br_problems_release(&p);
	}
	br_yaml_stream_release(&st);
	return 0;
}
