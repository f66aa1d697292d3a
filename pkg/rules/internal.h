/* internal: what the files of pkg/rules share. Not part of the API. */
#ifndef BR_RULES_INTERNAL_H
#define BR_RULES_INTERNAL_H

#include "buf/buf.h"
#include "slo/slo.h"

/* Appends a PromQL test that has a sample (label-less) exactly while one of
 * the n spans holds time(), each lengthened by ext seconds:
 *   vector(time()) >= S < E             a one-off span
 *   (vector(time()) + K) % P < D        a recurring one (br_exclusion_shift)
 * joined with "or". Returns 0 or BR_ENOMEM (b failed). */
int br__rules_add_span_test(const struct br_exclusion *x, size_t n, long long ext,
			    struct br_buf *b);

/* Appends the sum of the samples of ref (a selector of 5m records) inside
 * the one-off spans of x (each lengthened by ext seconds at its end), for
 * the spans whose start is within window seconds of time() (a span that
 * began longer ago has left the budget window):
 *   (sum(sum_over_time(REF[D] @ E)) and on() (vector(time()) < S + T) or vector(0)) + ...
 * "vector(0)" when x has no one-off span. `@ E` reads the span as it was
 * recorded, whenever it was: a correction applied after the fact. Returns
 * 0 or BR_ENOMEM. */
int br__rules_add_past_sum(const char *ref, const struct br_exclusion *x, size_t n, long long ext,
			   long long window, struct br_buf *b);

#endif
