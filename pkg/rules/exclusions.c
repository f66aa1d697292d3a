/* exclusions: the PromQL of a BudgetCorrection's spans: whether time() is
 * inside one, and the sum of a record over the one-off spans already
 * recorded (DESIGN.md section 3; issue 17). */
#include "rules/internal.h"

int br__rules_add_span_test(const struct br_exclusion *x, size_t n, long long ext, struct br_buf *b)
{
	for (size_t i = 0; i < n; i++) {
		const struct br_exclusion *e = &x[i];
		br_buf_adds(b, i ? " or " : "");
		if (e->kind == BR_EXCLUSION_ONCE)
			br_buf_addf(b, "vector(time()) >= %lld < %lld", e->start, e->end + ext);
		else
			br_buf_addf(b, "(vector(time()) + %lld) %% %lld < %lld",
				    br_exclusion_shift(e),
				    e->period, e->duration + ext);
	}
	return b->failed ? BR_ENOMEM : 0;
}

int br__rules_add_past_sum(const char *ref, const struct br_exclusion *x, size_t n, long long ext,
			   long long window, struct br_buf *b)
{
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		const struct br_exclusion *e = &x[i];
		if (e->kind != BR_EXCLUSION_ONCE)
			continue;
		br_buf_addf(b, "%s(sum(sum_over_time(%s[%llds] @ %lld)) and on() "
			    "(vector(time()) < %lld) or vector(0))", any ? " + " : "", ref,
			    e->end - e->start + ext, e->end + ext, e->start + window);
		any = 1;
	}
	if (!any)
		br_buf_adds(b, "vector(0)");
	return b->failed ? BR_ENOMEM : 0;
}
