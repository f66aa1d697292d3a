/* fuzz_openslo_parse: bytes -> br_yaml_load -> br_openslo_to_slo of every
 * SLO document (the others as its references), and back with
 * br_openslo_from_slo. Whatever the input, conversion must not crash, leak
 * or read out of bounds; a refusal always says why; what converts is a
 * valid ServiceLevelObjective, and converts back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "openslo/openslo.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Crashes (so the fuzzer reports it) when a promise of openslo.h is broken. */
static void check(const json_t *slo)
{
	struct br_problems p;
	struct br_slo parsed;
	json_t *os = NULL;

	br_problems_init(&p);
	br_slo_init(&parsed);
	if (br_slo_parse(slo, NULL, NULL, &parsed, &p) != 0)
		abort(); /* to_slo checked it */
	br_slo_release(&parsed);
	if (br_openslo_from_slo(slo, NULL, NULL, &os, &p) == BR_EINVAL && p.count == 0)
		abort();
	json_decref(os);
	br_problems_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_openslo_doc *docs;
	struct br_yaml_stream st;
	struct br_error err;

	br_error_init(&err);
	if (br_yaml_load((const char *)data, size, "fuzz.yaml", &st, &err) != 0)
		return 0;
	docs = calloc(st.count ? st.count : 1, sizeof(*docs));
	if (!docs)
		abort();
	for (size_t i = 0; i < st.count; i++)
		docs[i] = (struct br_openslo_doc){st.docs[i].root, st.marks, "fuzz.yaml"};
	for (size_t i = 0; i < st.count; i++) {
		struct br_problems p;
		json_t *slo = NULL;
		int rc;

		br_problems_init(&p);
		rc = br_openslo_to_slo(&docs[i], docs, st.count, &slo, &p);
		if (rc == 0)
			check(slo);
		else if ((rc == BR_EINVAL && p.count == 0) || slo)
			abort(); /* a refusal always says why, and returns nothing */
		json_decref(slo);
		br_problems_release(&p);
	}
	free(docs);
	br_yaml_stream_release(&st);
	return 0;
}
