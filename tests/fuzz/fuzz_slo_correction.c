/* fuzz_slo_correction: bytes -> a BudgetCorrection's schedule, start and
 * utcOffset -> br_correction_parse, and bytes -> br_time_parse. Whatever
 * the input, parsing must not crash, leak or read out of bounds; a parsed
 * correction's spans must be what slo.h promises (recurring spans a day or
 * a week long with a phase inside the period and a duration under it;
 * one-off spans that end after they start), and br_exclusion_at must agree
 * with the rules' modulo test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slo/slo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct br_correction *c)
{
	for (size_t i = 0; i < c->span_count; i++) {
		const struct br_exclusion *e = &c->spans[i];
		long long s, end;
		if (e->kind == BR_EXCLUSION_ONCE) {
			if (e->end <= e->start)
				abort();
			continue;
		}
		if ((e->period != 86400 && e->period != 604800) || e->phase < 0 ||
		    e->phase >= e->period || e->duration < 60 || e->duration >= e->period)
			abort();
		for (long long t = 0; t < 3 * 604800; t += 3599) {
			int in = br_exclusion_at(e, t, &s, &end) == 1;
			if (in != ((t + br_exclusion_shift(e)) % e->period < e->duration))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct br_correction c;
	long long t;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	br_time_parse(text, &t);
	json_t *doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:{}, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s}]}}",
				"apiVersion", BR_SLO_API_VERSION, "kind", BR_CORRECTION_KIND,
				"metadata", "name", "x", "spec", "selector", "reason", "fuzz",
				"windows", "schedule", text, "duration", "2h", "utcOffset", "+01:00",
				"start", text, "end", "2030-01-01T00:00:00Z");
	if (doc && br_correction_parse(doc, NULL, NULL, &c, NULL) == 0) {
		check(&c);
		br_correction_release(&c);
	}
	json_decref(doc);
	/* the offset too: the schedule fixed, utcOffset fuzzed */
	doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:{}, s:s, s:[{s:s, s:s, s:s}]}}",
			"apiVersion", BR_SLO_API_VERSION, "kind", BR_CORRECTION_KIND,
			"metadata", "name", "x", "spec", "selector", "reason", "fuzz",
			"windows", "schedule", "30 23 * * 1-5", "duration", "3h", "utcOffset", text);
	if (doc && br_correction_parse(doc, NULL, NULL, &c, NULL) == 0) {
		check(&c);
		br_correction_release(&c);
	}
	json_decref(doc);
	free(text);
	return 0;
}
