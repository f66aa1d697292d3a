/* fuzz_openslo_parse: bytes -> br_yaml_load -> br_openslo_to_slo of every
 * SLO document (the others as its references), and back with
 * br_openslo_from_slo (and a ServiceLevelObjective document to OpenSLO and
 * back). Whatever the input, conversion must not crash, leak
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

/* The i-th row of s that generates alerts (its severity is enabled), or
 * NULL. Rows of a disabled severity generate nothing and have no OpenSLO
 * form. */
static const struct br_alert_window *enabled_row(const struct br_slo *s, size_t i)
{
	for (size_t k = 0; k < s->window_count; k++) {
		const struct br_alert_window *w = &s->windows[k];
		const struct br_route *r = w->severity == BR_SEVERITY_PAGE ? &s->page : &s->ticket;

		if (!r->disabled && i-- == 0)
			return w;
	}
	return NULL;
}

/* Whether severity sev alerts at all: enabled, with rows. (Enabled with no
 * rows generates what disabled does: no alert.) */
static int alerts(const struct br_slo *s, int sev)
{
	const struct br_route *r = sev ? &s->ticket : &s->page;

	for (size_t k = 0; !r->disabled && k < s->window_count; k++)
		if ((int)s->windows[k].severity == sev)
			return 1;
	return 0;
}

/* What the rules are made of is the same in a and b. */
static int same_slo(const struct br_slo *a, const struct br_slo *b)
{
	if (a->objective != b->objective || a->window_s != b->window_s ||
	    a->indicator != b->indicator ||
	    a->min_events != b->min_events || a->confidence != b->confidence ||
	    !same_string(a->alert_name, b->alert_name) || !same_string(a->service, b->service) ||
	    a->labels.count != b->labels.count || a->annotations.count != b->annotations.count ||
	    a->off_peak.enabled != b->off_peak.enabled)
		return 0;
	for (int sev = 0; sev < 2; sev++) {
		const struct br_route *ra = sev ? &a->ticket : &a->page;
		const struct br_route *rb = sev ? &b->ticket : &b->page;

		if (alerts(a, sev) != alerts(b, sev) ||
		    (alerts(a, sev) && !same_string(ra->receiver, rb->receiver)))
			return 0;
	}
	for (size_t i = 0;; i++) {
		const struct br_alert_window *x = enabled_row(a, i), *y = enabled_row(b, i);

		if (!x || !y)
			return !x && !y;
		if (x->long_s != y->long_s || x->short_s != y->short_s ||
		    x->burn_rate != y->burn_rate || x->severity != y->severity ||
		    x->off_peak_muted != y->off_peak_muted)
			return 0;
	}
}

/* Crashes (so the fuzzer reports it) when a promise of openslo.h is broken:
 * what converts is a valid SLO, and what converts to OpenSLO converts back
 * to the same alerting. */
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
	if (rc == BR_EINVAL && p.count == 0)
		abort(); /* a refusal always says why */
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
		struct br_slo parsed;
		json_t *slo = NULL;
		int rc;

		br_problems_init(&p);
		if (!br_openslo_is(docs[i].root)) {
			/* a ServiceLevelObjective: the other direction first */
			if (br_slo_parse(docs[i].root, NULL, NULL, &parsed, NULL) == 0) {
				br_slo_release(&parsed);
				check(docs[i].root);
			}
			continue;
		}
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
