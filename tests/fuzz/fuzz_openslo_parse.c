/* fuzz_openslo_parse: bytes -> br_yaml_load -> br_openslo_to_slo of every
 * SLO document (the others as its references), and back with
 * br_openslo_from_slo. Whatever the input, conversion must not crash, leak
 * or read out of bounds; a refusal always says why; what converts is a
 * valid ServiceLevelObjective, and converts to OpenSLO and back to the same
 * alert table, indicator, traffic guards and routing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openslo/openslo.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What the rules are made of is the same in a and b. */
static int same_slo(const struct br_slo *a, const struct br_slo *b)
{
	if (a->objective != b->objective || a->window_s != b->window_s ||
	    a->indicator != b->indicator || a->window_count != b->window_count ||
	    a->min_events != b->min_events || a->confidence != b->confidence ||
	    !same_string(a->alert_name, b->alert_name) || !same_string(a->service, b->service) ||
	    a->labels.count != b->labels.count || a->annotations.count != b->annotations.count ||
	    a->page.disabled != b->page.disabled || a->ticket.disabled != b->ticket.disabled ||
	    !same_string(a->page.receiver, b->page.receiver) ||
	    !same_string(a->ticket.receiver, b->ticket.receiver) ||
	    a->off_peak.enabled != b->off_peak.enabled)
		return 0;
	for (size_t i = 0; i < a->window_count; i++) {
		const struct br_alert_window *x = &a->windows[i], *y = &b->windows[i];

		if (x->long_s != y->long_s || x->short_s != y->short_s ||
		    x->burn_rate != y->burn_rate || x->severity != y->severity ||
		    x->off_peak_muted != y->off_peak_muted)
			return 0;
	}
	return 1;
}

/* Crashes (so the fuzzer reports it) when a promise of openslo.h is broken:
 * what converts is a valid SLO, and it converts to OpenSLO and back to the
 * same alerting (unless both severities are off, which OpenSLO cannot say). */
static void check(const json_t *slo)
{
	struct br_openslo_doc d = {0};
	struct br_problems p;
	struct br_slo a, b;
	json_t *os = NULL, *back = NULL;
	int rc;

	br_problems_init(&p);
	br_slo_init(&a);
	br_slo_init(&b);
	if (br_slo_parse(slo, NULL, NULL, &a, &p) != 0)
		abort(); /* to_slo checked it */
	rc = br_openslo_from_slo(slo, NULL, NULL, &os, &p);
	if (rc == BR_EINVAL && !(a.page.disabled && a.ticket.disabled))
		abort();
	d.root = os;
	if (rc == 0 && br_openslo_to_slo(&d, NULL, 0, &back, &p) == BR_EINVAL)
		abort();
	if (back && (br_slo_parse(back, NULL, NULL, &b, NULL) != 0 || !same_slo(&a, &b)))
		abort();
	br_slo_release(&a);
	br_slo_release(&b);
	json_decref(os);
	json_decref(back);
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
