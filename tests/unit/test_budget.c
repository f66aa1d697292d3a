/* test_budget: queries, matching samples to SLOs, the figures and condition
 * of an SLO from its samples, status.budget, and the change test that keeps
 * a steady budget from writing status. Expected numbers are worked out by
 * hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget/budget.h"

/* 2026-01-01T00:00:00Z */
#define NOW 1767225600.0

static void load_slo(struct br_slo *slo, double objective, const char *extra)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"burnrate.dev/v1alpha1\",\"kind\":\"ServiceLevelObjective\","
		 "\"metadata\":{\"name\":\"checkout\",\"namespace\":\"shop\"},"
		 "\"spec\":{\"service\":\"checkout\",\"objective\":%g,\"window\":\"30d\","
		 "\"indicator\":{\"ratio\":{\"errors\":\"e\",\"total\":\"t\"}}%s}}",
		 objective, extra);
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	br_slo_init(slo);
	assert_int_equal(br_slo_parse(doc, NULL, NULL, slo, NULL), 0);
	json_decref(doc);
}

/* ---- queries and index ---- */

static void test_queries(void **state)
{
	struct br_buf a, e, b;
	const char *ns[] = {"shop", "auth"};
	(void)state;

	br_buf_init(&a, 4096);
	br_buf_init(&e, 4096);
	br_buf_init(&b, 4096);
	assert_int_equal(br_budget_queries(NULL, 0, &a, &e, &b), 0);
	assert_string_equal(br_buf_str(&a),
		"min by (slo, slo_namespace) (last_over_time("
		"burnrate:error_budget:remaining{slo!=\"\"}[10m]))");
	assert_string_equal(br_buf_str(&e),
		"min by (slo, slo_namespace) (last_over_time("
		"burnrate:error_budget:allowed_events{slo!=\"\"}[10m]))");
	assert_string_equal(br_buf_str(&b),
		"count by (__name__) ({__name__=~\"burnrate:sli_error_ratio:rate.+\",slo!=\"\"})");
	br_buf_reset(&a);
	br_buf_reset(&e);
	br_buf_reset(&b);
	assert_int_equal(br_budget_queries(ns, 2, &a, &e, &b), 0);
	assert_non_null(strstr(br_buf_str(&a), ",slo_namespace=~\"shop|auth\"}[10m]))"));
	assert_non_null(strstr(br_buf_str(&e), "allowed_events{slo!=\"\",slo_namespace=~\"shop|auth\"}[10m]))"));
	assert_non_null(strstr(br_buf_str(&b), ",slo_namespace=~\"shop|auth\"})"));
	/* not a namespace name anyone can have, but never a broken query */
	const char *odd[] = {"a.b\"c"};
	br_buf_reset(&a);
	br_buf_reset(&e);
	br_buf_reset(&b);
	assert_int_equal(br_budget_queries(odd, 1, &a, &e, &b), 0);
	assert_non_null(strstr(br_buf_str(&a), ",slo_namespace=~\"a\\\\.b\\\"c\"}"));
	assert_non_null(strstr(br_buf_str(&e), ",slo_namespace=~\"a\\\\.b\\\"c\"}"));
	br_buf_release(&a);
	br_buf_release(&e);
	br_buf_release(&b);
}

static void test_ratio_query(void **state)
{
	struct br_buf q;
	const char *ns[] = {"shop"};
	(void)state;

	br_buf_init(&q, 4096);
	assert_int_equal(br_budget_ratio_query("burnrate:sli_error_ratio:rate1h", NULL, 0, &q), 0);
	assert_string_equal(br_buf_str(&q),
		"max by (slo, slo_namespace) (burnrate:sli_error_ratio:rate1h{slo!=\"\"})");
	br_buf_reset(&q);
	assert_int_equal(br_budget_ratio_query("burnrate:sli_error_ratio:rate1h24m", ns, 1, &q), 0);
	assert_string_equal(br_buf_str(&q),
		"max by (slo, slo_namespace) (burnrate:sli_error_ratio:rate1h24m"
		"{slo!=\"\",slo_namespace=~\"shop\"})");
	/* a name from a server goes into a query only if it is one of ours */
	static const char *const bad[] = {
		"burnrate:sli_error_ratio:rate1h{x=\"y\"}", "burnrate:sli_error_ratio:rate",
		"burnrate:sli_error_ratio:rateX", "up", "burnrate:sli_error_ratio:rate1h or up",
		"burnrate:sli_error_ratio:rate-1h", NULL,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		br_buf_reset(&q);
		assert_int_equal(br_budget_ratio_query(bad[i], NULL, 0, &q), BR_EINVAL);
	}
	br_buf_release(&q);
}

/* Appends a sample with labels "k=v" (NULL-terminated list) and value. */
static void add_sample(struct br_prom_vector *v, double value, ...)
{
	va_list ap;
	const char *kv;

	v->samples = realloc(v->samples, (v->count + 1) * sizeof(*v->samples));
	struct br_prom_sample *s = &v->samples[v->count++];
	memset(s, 0, sizeof(*s));
	s->labels = calloc(8, sizeof(*s->labels));
	va_start(ap, value);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');
		s->labels[s->nlabels].name = strndup(kv, (size_t)(eq - kv));
		s->labels[s->nlabels].value = strdup(eq + 1);
		s->nlabels++;
	}
	va_end(ap);
	s->value = value;
	s->text = strdup("x");
}

static void test_index(void **state)
{
	struct br_prom_vector rem, rat;
	struct br_budget_index idx;
	(void)state;

	br_prom_vector_init(&rem);
	br_prom_vector_init(&rat);
	add_sample(&rem, 0.8, "slo=b", "slo_namespace=shop", NULL);
	add_sample(&rem, 0.5, "slo=a", "slo_namespace=shop", NULL);
	add_sample(&rem, 0.7, "slo=b", "slo_namespace=shop", "replica=2", NULL); /* worst wins */
	add_sample(&rem, NAN, "slo=c", "slo_namespace=shop", NULL);             /* kept out */
	add_sample(&rem, 0.9, "slo=d", NULL);                                   /* no namespace */
	add_sample(&rat, 0.01, "__name__=burnrate:sli_error_ratio:rate1h", "slo=a",
		   "slo_namespace=shop", NULL);
	add_sample(&rat, 0.02, "__name__=burnrate:sli_error_ratio:rate5m", "slo=a",
		   "slo_namespace=shop", NULL);
	add_sample(&rat, 0.03, "__name__=burnrate:sli_error_ratio:rate5m", "slo=a",
		   "slo_namespace=shop", "replica=2", NULL);
	add_sample(&rat, 0.04, "__name__=burnrate:sli_error_ratio:rate1h24m", "slo=e",
		   "slo_namespace=auth", NULL);
	add_sample(&rat, 0.05, "__name__=burnrate:sli_error_ratio:rateX", "slo=a",
		   "slo_namespace=shop", NULL);
	br_budget_index_init(&idx);
	assert_int_equal(br_budget_index_build(&idx, &rem, &rat), 0);
	assert_int_equal(idx.skipped, 3);

	const struct br_budget_reading *a = br_budget_index_get(&idx, "shop", "a");
	assert_non_null(a);
	assert_true(a->has_remaining && a->remaining == 0.5);
	assert_int_equal(a->nratios, 2);
	for (size_t i = 0; i < a->nratios; i++)
		assert_true(a->ratios[i].window_s == 3600 ? a->ratios[i].ratio == 0.01
			    : a->ratios[i].window_s == 300 && a->ratios[i].ratio == 0.03);
	const struct br_budget_reading *b = br_budget_index_get(&idx, "shop", "b");
	assert_true(b && b->remaining == 0.7 && b->nratios == 0);
	const struct br_budget_reading *e = br_budget_index_get(&idx, "auth", "e");
	assert_true(e && !e->has_remaining && e->nratios == 1 && e->ratios[0].window_s == 5040);
	assert_null(br_budget_index_get(&idx, "shop", "c"));
	assert_null(br_budget_index_get(&idx, "sho", "p/a"));
	assert_null(br_budget_index_get(&idx, "shop", "zz"));
	br_budget_index_release(&idx);
	br_prom_vector_release(&rem);
	br_prom_vector_release(&rat);
}

static void test_ratio_names(void **state)
{
	struct br_prom_vector v;
	struct br_budget_ratio_names rn;
	char name[80];
	(void)state;

	br_prom_vector_init(&v);
	add_sample(&v, 3, "__name__=burnrate:sli_error_ratio:rate1h", NULL);
	add_sample(&v, 3, "__name__=burnrate:sli_error_ratio:rate5m", NULL);
	add_sample(&v, 3, "__name__=burnrate:sli_error_ratio:rate1h", NULL);  /* dup */
	add_sample(&v, 1, "__name__=burnrate:sli_error_ratio:rateX", NULL);   /* no window */
	add_sample(&v, 1, "__name__=up", NULL);
	add_sample(&v, 1, "job=x", NULL);                                      /* no name */
	add_sample(&v, 2, "__name__=burnrate:sli_error_ratio:rate30d", NULL);
	br_budget_ratio_names(&v, &rn);
	assert_int_equal(rn.count, 3);
	assert_int_equal(rn.skipped, 3);
	assert_string_equal(rn.items[0].name, "burnrate:sli_error_ratio:rate5m");
	assert_int_equal(rn.items[0].window_s, 300);
	assert_string_equal(rn.items[1].name, "burnrate:sli_error_ratio:rate1h");
	assert_int_equal(rn.items[2].window_s, 30 * 86400);
	br_prom_vector_release(&v);

	/* the number of queries is bounded: names beyond the maximum are counted */
	for (int i = 1; i <= BR_BUDGET_MAX_NAMES + 3; i++) {
		char kv[96];
		snprintf(name, sizeof(name), "burnrate:sli_error_ratio:rate%dm", i);
		snprintf(kv, sizeof(kv), "__name__=%s", name);
		add_sample(&v, 1, kv, NULL);
	}
	br_budget_ratio_names(&v, &rn);
	assert_int_equal(rn.count, BR_BUDGET_MAX_NAMES);
	assert_int_equal(rn.skipped, 3);
	for (size_t i = 1; i < rn.count; i++)
		assert_true(rn.items[i - 1].window_s < rn.items[i].window_s);
	br_prom_vector_release(&v);
	br_budget_ratio_names(NULL, &rn);
	assert_int_equal(rn.count, 0);
}

/* A poll's answers one at a time: remaining, then one window per answer
 * without __name__, new SLOs appearing in a later answer. */
static void test_index_add(void **state)
{
	struct br_prom_vector v;
	struct br_budget_index idx;
	(void)state;

	br_budget_index_init(&idx);
	br_prom_vector_init(&v);
	add_sample(&v, 0.8, "slo=b", "slo_namespace=shop", NULL);
	add_sample(&v, 0.5, "slo=a", "slo_namespace=shop", NULL);
	add_sample(&v, 0.6, "slo=a", "slo_namespace=shop", NULL);   /* worst: 0.5 stays */
	assert_int_equal(br_budget_index_add_remaining(&idx, &v), 0);
	br_prom_vector_release(&v);
	assert_int_equal(idx.count, 2);

	add_sample(&v, 0.01, "slo=a", "slo_namespace=shop", NULL);
	add_sample(&v, 0.02, "slo=z", "slo_namespace=auth", NULL);  /* new: no remaining */
	add_sample(&v, 0.03, "slo=a", "slo_namespace=shop", NULL);  /* worst: 0.03 */
	add_sample(&v, INFINITY, "slo=b", "slo_namespace=shop", NULL); /* kept out */
	add_sample(&v, 0.04, "slo=b", NULL);                       /* no namespace */
	assert_int_equal(br_budget_index_add_ratios(&idx, 3600, &v), 0);
	br_prom_vector_release(&v);
	add_sample(&v, 0.05, "slo=b", "slo_namespace=shop", NULL);
	add_sample(&v, 0.06, "slo=y", "slo_namespace=auth", NULL);
	add_sample(&v, 0.07, "slo=y", "slo_namespace=auth", NULL);  /* new twice: 0.07 */
	assert_int_equal(br_budget_index_add_ratios(&idx, 300, &v), 0);
	br_prom_vector_release(&v);
	assert_int_equal(idx.skipped, 2);
	assert_int_equal(idx.count, 4);
	for (size_t i = 1; i < idx.count; i++)
		assert_true(strcmp(idx.items[i - 1].key, idx.items[i].key) < 0);

	const struct br_budget_reading *a = br_budget_index_get(&idx, "shop", "a");
	assert_true(a && a->has_remaining && a->remaining == 0.5 && a->nratios == 1);
	assert_true(a->ratios[0].window_s == 3600 && a->ratios[0].ratio == 0.03);
	const struct br_budget_reading *b = br_budget_index_get(&idx, "shop", "b");
	assert_true(b && b->remaining == 0.8 && b->nratios == 1 && b->ratios[0].window_s == 300);
	const struct br_budget_reading *z = br_budget_index_get(&idx, "auth", "z");
	assert_true(z && !z->has_remaining && z->nratios == 1 && z->ratios[0].ratio == 0.02);
	const struct br_budget_reading *y = br_budget_index_get(&idx, "auth", "y");
	assert_true(y && y->nratios == 1 && y->ratios[0].ratio == 0.07);

	/* windows beyond BR_BUDGET_MAX_WINDOWS are counted, not written past */
	for (int w = 1; w <= BR_BUDGET_MAX_WINDOWS + 2; w++) {
		add_sample(&v, 0.001, "slo=a", "slo_namespace=shop", NULL);
		assert_int_equal(br_budget_index_add_ratios(&idx, 7200 + w, &v), 0);
		br_prom_vector_release(&v);
	}
	a = br_budget_index_get(&idx, "shop", "a");
	assert_int_equal(a->nratios, BR_BUDGET_MAX_WINDOWS);
	assert_int_equal(idx.skipped, 5);
	br_budget_index_release(&idx);
	assert_int_equal(idx.count, 0);
}

/* The allowed-events answer: smallest of duplicates, only usable values, and
 * merged with remaining into the same entry. */
static void test_index_allowed(void **state)
{
	struct br_prom_vector v;
	struct br_budget_index idx;
	(void)state;

	br_budget_index_init(&idx);
	br_prom_vector_init(&v);
	add_sample(&v, 0.8, "slo=a", "slo_namespace=shop", NULL);
	assert_int_equal(br_budget_index_add_remaining(&idx, &v), 0);
	br_prom_vector_release(&v);
	add_sample(&v, 12960.5, "slo=a", "slo_namespace=shop", NULL);
	add_sample(&v, 13000, "slo=a", "slo_namespace=shop", "replica=2", NULL); /* worst: 12960.5 */
	add_sample(&v, 0, "slo=z", "slo_namespace=auth", NULL);          /* zero traffic: kept */
	add_sample(&v, -1, "slo=n", "slo_namespace=auth", NULL);         /* not a count */
	add_sample(&v, NAN, "slo=m", "slo_namespace=auth", NULL);
	add_sample(&v, INFINITY, "slo=i", "slo_namespace=auth", NULL);
	add_sample(&v, 5, "slo=a", NULL);                                /* no namespace */
	assert_int_equal(br_budget_index_add_allowed(&idx, &v), 0);
	br_prom_vector_release(&v);
	assert_int_equal(idx.skipped, 4);
	assert_int_equal(idx.count, 2);

	const struct br_budget_reading *a = br_budget_index_get(&idx, "shop", "a");
	assert_true(a && a->has_remaining && a->remaining == 0.8);
	assert_true(a->has_allowed && a->allowed == 12960.5);
	const struct br_budget_reading *z = br_budget_index_get(&idx, "auth", "z");
	assert_true(z && !z->has_remaining && z->has_allowed && z->allowed == 0);
	assert_null(br_budget_index_get(&idx, "auth", "n"));
	/* remaining alone (a raw indicator): no allowed */
	add_sample(&v, 0.9, "slo=r", "slo_namespace=shop", NULL);
	assert_int_equal(br_budget_index_add_remaining(&idx, &v), 0);
	br_prom_vector_release(&v);
	const struct br_budget_reading *r = br_budget_index_get(&idx, "shop", "r");
	assert_true(r && r->has_remaining && !r->has_allowed);
	br_budget_index_release(&idx);
}

/* ---- figures ---- */

static struct br_budget_reading reading(double remaining, double r5m, double r1h)
{
	struct br_budget_reading r;
	memset(&r, 0, sizeof(r));
	r.has_remaining = 1;
	r.remaining = remaining;
	r.ratios[r.nratios].window_s = 300;
	r.ratios[r.nratios++].ratio = r5m;
	r.ratios[r.nratios].window_s = 3600;
	r.ratios[r.nratios++].ratio = r1h;
	r.ratios[r.nratios].window_s = 7 * 86400; /* not a window of the table */
	r.ratios[r.nratios++].ratio = 0.5;
	return r;
}

static void test_within(void **state)
{
	struct br_slo slo;
	struct br_budget_figures f;
	(void)state;

	load_slo(&slo, 99.5, ""); /* eb 0.005 */
	/* 1h: 0.0025 / 0.005 = 0.5x: no exhaustion estimate */
	struct br_budget_reading r = reading(0.81234, 0.001, 0.0025);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_WITHIN);
	assert_string_equal(br_budget_reason(f.health), "WithinBudget");
	assert_string_equal(br_budget_condition_status(f.health), "True");
	assert_true(f.remaining == 0.8123); /* exactly the double of "0.8123" */
	assert_int_equal(f.nburn, 2);
	assert_true(f.burn[0].window_s == 300 && fabs(f.burn[0].rate - 0.2) < 1e-12);
	assert_true(f.burn[1].window_s == 3600 && fabs(f.burn[1].rate - 0.5) < 1e-12);
	assert_false(f.has_exhaustion);
	assert_string_equal(f.message, "81.2% of the error budget left over 30d");

	json_t *j = br_budget_status_json(&f);
	assert_non_null(j);
	assert_true(json_real_value(json_object_get(j, "remaining")) == f.remaining);
	assert_string_equal(json_string_value(json_object_get(j, "remainingPercent")), "81.2%");
	assert_true(json_real_value(json_object_get(j, "spent")) == 0.1877);
	assert_string_equal(json_string_value(json_object_get(j, "window")), "30d");
	assert_string_equal(json_string_value(json_object_get(j, "evaluatedAt")),
			    "2026-01-01T00:00:00Z");
	json_t *rates = json_object_get(j, "burnRates");
	assert_int_equal(json_object_size(rates), 2);
	assert_true(json_real_value(json_object_get(rates, "1h")) == 0.5);
	assert_null(json_object_get(j, "exhaustionTime"));
	json_decref(j);
	/* 0.7 is the double of "0.7", not 7000 * 1e-4 = 0.7000000000000001 */
	r = reading(0.70001, 0, 0);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_true(f.remaining == 0.7);
	br_slo_release(&slo);
}

static void test_burning_and_exhausted(void **state)
{
	struct br_slo slo;
	struct br_budget_figures f;
	(void)state;

	load_slo(&slo, 99.5, "");
	/* 5m: 0.1/0.005 = 20x, 1h: 0.075/0.005 = 15x: both above 14.4 */
	struct br_budget_reading r = reading(0.6, 0.1, 0.075);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_BURNING);
	assert_string_equal(br_budget_condition_status(f.health), "False");
	/* runs out at now + 0.6 * 30d / 15 = now + 1.2 d = 103680 s */
	assert_true(f.has_exhaustion);
	assert_int_equal(f.exhaustion_window_s, 3600);
	assert_true(f.exhaustion_at == NOW + 103680);
	assert_non_null(strstr(f.message, "page-level burn: 15x over 1h and 20x over 5m (threshold 14.4x)"));
	assert_non_null(strstr(f.message, "at the 1h burn rate it runs out at 2026-01-02T04:48:00Z"));
	json_t *j = br_budget_status_json(&f);
	assert_string_equal(json_string_value(json_object_get(j, "exhaustionTime")),
			    "2026-01-02T04:48:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "exhaustionWindow")), "1h");
	json_decref(j);

	/* only one window above: not burning; 1h at 3x still gives an estimate */
	r = reading(0.6, 0.1, 0.015);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_WITHIN);
	assert_true(f.has_exhaustion && f.exhaustion_at == NOW + 0.6 * 30 * 86400 / 3);

	/* exhausted wins over burning, and has no estimate */
	r = reading(-0.25, 0.1, 0.075);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_EXHAUSTED);
	assert_false(f.has_exhaustion);
	assert_non_null(strstr(f.message, "error budget exhausted: -25.0% left over 30d; page-level burn"));
	j = br_budget_status_json(&f);
	assert_true(fabs(json_real_value(json_object_get(j, "spent")) - 1.25) < 1e-12);
	json_decref(j);
	r = reading(0, 0, 0);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_EXHAUSTED);
	assert_string_equal(f.message, "error budget exhausted: 0.0% left over 30d");
	/* -0.00001 rounds to 0: printed as 0.0%, not -0.0% */
	r = reading(-0.00001, 0, 0);
	br_budget_compute(&slo, &r, NOW, &f);
	j = br_budget_status_json(&f);
	assert_string_equal(json_string_value(json_object_get(j, "remainingPercent")), "0.0%");
	json_decref(j);
	br_slo_release(&slo);

	/* page disabled: no BudgetBurning from its rows */
	load_slo(&slo, 99.5, ",\"alerting\":{\"page\":{\"disabled\":true}}");
	r = reading(0.6, 0.1, 0.075);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_WITHIN);
	assert_int_equal(f.nburn, 0); /* 5m and 1h are page windows only */
	br_slo_release(&slo);
}

/* status.budget of remaining and allowed, read and rendered; returns it (free
 * it) and its compact text in text. */
static json_t *events_json(const struct br_slo *slo, double remaining, int has_allowed,
			   double allowed, char *text, size_t size)
{
	struct br_budget_figures f;
	struct br_budget_reading r = reading(remaining, 0, 0);
	r.has_allowed = has_allowed;
	r.allowed = allowed;
	br_budget_compute(slo, &r, NOW, &f);
	json_t *j = br_budget_status_json(&f);
	assert_non_null(j);
	char *dump = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(dump);
	snprintf(text, size, "%s", dump);
	free(dump);
	return j;
}

static json_int_t int_of(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_events(void **state)
{
	/* remaining and allowed as Prometheus has them, the events in status */
	static const struct {
		double remaining, allowed;
		long long allowed_events, remaining_events;
	} cases[] = {
		/* 12960.7 -> 12960; 12960 * 0.81234 = 10527.93 -> 10527 */
		{0.81234, 12960.7, 12960, 10527},
		/* 1e6 * 0.81234: the rounded 0.8123 would say 812300 */
		{0.81234, 1e6, 1000000, 812340},
		/* 10 req/s averaged by floating point is 129600; 129599.9 is not */
		{1, 129599.99999999997, 129600, 129600},
		{1, 129599.9, 129599, 129599},
		/* overspent: negative, rounded down (1000 * -0.2501 = -250.1) */
		{-0.25, 1000, 1000, -250},
		{-0.2501, 1000, 1000, -251},
		/* beyond int64: held to 1e18 either way */
		{-5, 1e300, 1000000000000000000LL, -1000000000000000000LL},
	};
	struct br_slo slo;
	char text[1024];
	json_t *j;
	(void)state;

	load_slo(&slo, 99.5, "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = events_json(&slo, cases[i].remaining, 1, cases[i].allowed, text, sizeof(text));
		assert_int_equal(int_of(j, "allowedEvents"), cases[i].allowed_events);
		assert_int_equal(int_of(j, "remainingEvents"), cases[i].remaining_events);
		json_decref(j);
	}
	/* zero traffic: the rules record 0 allowed and remaining 1 */
	j = events_json(&slo, 1, 1, 0, text, sizeof(text));
	assert_int_equal(int_of(j, "allowedEvents"), 0);
	assert_int_equal(int_of(j, "remainingEvents"), 0);
	assert_non_null(strstr(text, "\"allowedEvents\":0,"));
	json_decref(j);
	j = events_json(&slo, -0.5, 1, 0, text, sizeof(text));     /* never -0 */
	assert_non_null(strstr(text, "\"remainingEvents\":0,"));
	json_decref(j);
	/* never NaN or Inf, whatever the figures */
	j = events_json(&slo, -5, 1, 1e300, text, sizeof(text));
	assert_null(strstr(text, "nan"));
	assert_null(strstr(text, "inf"));
	json_decref(j);
	/* no allowed (a raw indicator), or an unusable one: no event fields */
	j = events_json(&slo, 0.8, 0, 0, text, sizeof(text));
	assert_null(json_object_get(j, "allowedEvents"));
	assert_null(json_object_get(j, "remainingEvents"));
	json_decref(j);
	j = events_json(&slo, 0.8, 1, NAN, text, sizeof(text));
	assert_null(json_object_get(j, "allowedEvents"));
	json_decref(j);
	j = events_json(&slo, 0.8, 1, -3, text, sizeof(text));
	assert_null(json_object_get(j, "remainingEvents"));
	json_decref(j);
	/* allowed without remaining: no data, no figures */
	struct br_budget_figures f;
	struct br_budget_reading r;
	memset(&r, 0, sizeof(r));
	r.has_allowed = 1;
	r.allowed = 100;
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_NODATA);
	assert_null(br_budget_status_json(&f));
	br_slo_release(&slo);
}

static void test_nodata_unavailable(void **state)
{
	struct br_slo slo;
	struct br_budget_figures f;
	(void)state;

	load_slo(&slo, 99.9, "");
	br_budget_compute(&slo, NULL, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_NODATA);
	assert_string_equal(br_budget_condition_status(f.health), "Unknown");
	assert_string_equal(br_budget_reason(f.health), "NoData");
	assert_null(br_budget_status_json(&f));
	struct br_budget_reading r = reading(NAN, 0, 0);
	br_budget_compute(&slo, &r, NOW, &f);
	assert_int_equal(f.health, BR_BUDGET_NODATA);
	br_budget_unavailable("http://p:9090: connection refused", NOW, &f);
	assert_string_equal(br_budget_reason(f.health), "PrometheusUnavailable");
	assert_string_equal(f.message, "Prometheus unavailable: http://p:9090: connection refused");
	assert_null(br_budget_status_json(&f));
	br_slo_release(&slo);
}

/* ---- change test ---- */

static json_t *status_of(const struct br_slo *slo, double remaining, double r5m,
			 double r1h, double now)
{
	struct br_budget_figures f;
	struct br_budget_reading r = reading(remaining, r5m, r1h);
	br_budget_compute(slo, &r, now, &f);
	return br_budget_status_json(&f);
}

static int changed(const struct br_slo *slo, json_t *a, json_t *b)
{
	int c = br_budget_changed(slo, a, "WithinBudget", b, "WithinBudget", NOW);
	json_decref(a);
	json_decref(b);
	return c;
}

static void test_changed(void **state)
{
	struct br_slo slo;
	(void)state;

	load_slo(&slo, 99.5, "");
	/* the same figures read a minute later: evaluatedAt alone is no change */
	assert_false(changed(&slo, status_of(&slo, 0.8, 0.001, 0.001, NOW),
			     status_of(&slo, 0.8, 0.001, 0.001, NOW + 60)));
	assert_false(changed(&slo, status_of(&slo, 0.8, 0, 0, NOW),
			     status_of(&slo, 0.8009, 0, 0, NOW)));
	assert_true(changed(&slo, status_of(&slo, 0.8, 0, 0, NOW),
			    status_of(&slo, 0.801, 0, 0, NOW)));
	/* below 1x: small moves are noise (0.2x -> 0.8x) */
	assert_false(changed(&slo, status_of(&slo, 0.8, 0.001, 0.001, NOW),
			     status_of(&slo, 0.8, 0.004, 0.001, NOW)));
	/* crossing 1x (5m: 0.8x -> 1.2x) */
	assert_true(changed(&slo, status_of(&slo, 0.8, 0.004, 0.001, NOW),
			    status_of(&slo, 0.8, 0.006, 0.001, NOW)));
	/* crossing 14.4x on 5m (14x -> 15x) */
	assert_true(changed(&slo, status_of(&slo, 0.8, 0.07, 0.001, NOW),
			    status_of(&slo, 0.8, 0.075, 0.001, NOW)));
	/* above 1x: 17% is not enough, 29% is (5m 20x -> 24x, -> 28x) */
	assert_false(changed(&slo, status_of(&slo, 0.8, 0.1, 0.001, NOW),
			     status_of(&slo, 0.8, 0.12, 0.001, NOW)));
	assert_true(changed(&slo, status_of(&slo, 0.8, 0.1, 0.001, NOW),
			    status_of(&slo, 0.8, 0.14, 0.001, NOW)));
	/* the exhaustion estimate: 1h at 2x, remaining 0.8 -> 12 days left;
	   a day later at the same rate the time is the same (steady) */
	assert_false(changed(&slo, status_of(&slo, 0.8, 0.001, 0.01, NOW),
			     status_of(&slo, 0.8, 0.001, 0.01, NOW + 60)));
	/* 2x -> 2.4x: 12 d -> 10 d, more than 10% of 12 d */
	assert_true(changed(&slo, status_of(&slo, 0.8, 0.001, 0.01, NOW),
			    status_of(&slo, 0.8, 0.001, 0.012, NOW)));
	/* a window appearing */
	struct br_budget_figures f;
	struct br_budget_reading r = reading(0.8, 0.001, 0.001);
	r.nratios = 1;
	br_budget_compute(&slo, &r, NOW, &f);
	assert_true(changed(&slo, status_of(&slo, 0.8, 0.001, 0.001, NOW), br_budget_status_json(&f)));

	/* reasons and presence */
	json_t *a = status_of(&slo, 0.8, 0, 0, NOW);
	assert_true(br_budget_changed(&slo, a, "WithinBudget", a, "BudgetBurning", NOW));
	assert_true(br_budget_changed(&slo, a, NULL, a, "WithinBudget", NOW));
	assert_true(br_budget_changed(&slo, NULL, "NoData", a, "NoData", NOW));
	assert_false(br_budget_changed(&slo, NULL, "NoData", NULL, "NoData", NOW));
	assert_false(br_budget_changed(&slo, a, "WithinBudget", a, "WithinBudget", NOW));
	json_decref(a);
	br_slo_release(&slo);
}

static json_t *events_status(const struct br_slo *slo, double remaining, double allowed)
{
	char text[1024];
	return events_json(slo, remaining, 1, allowed, text, sizeof(text));
}

/* Allowed events follow traffic: drift under 1% of the allowed count is no
 * write, at least 1% (and one event) is. */
static void test_changed_events(void **state)
{
	struct br_slo slo;
	char text[1024];
	(void)state;

	load_slo(&slo, 99.5, "");
	assert_false(changed(&slo, events_status(&slo, 0.8, 129600),
			     events_status(&slo, 0.8, 129600)));
	/* 129600 -> 130800: 0.93% (remainingEvents 103680 -> 104640, also under) */
	assert_false(changed(&slo, events_status(&slo, 0.8, 129600),
			     events_status(&slo, 0.8, 130800)));
	/* 129600 -> 130900: 1.0% of 130900 is 1309, the move is 1300: no;
	   -> 131000: 1400 >= 1310: yes */
	assert_false(changed(&slo, events_status(&slo, 0.8, 129600),
			     events_status(&slo, 0.8, 130900)));
	assert_true(changed(&slo, events_status(&slo, 0.8, 129600),
			    events_status(&slo, 0.8, 131000)));
	assert_true(changed(&slo, events_status(&slo, 0.8, 131000),
			    events_status(&slo, 0.8, 129600)));
	/* small counts: one event is enough (5 -> 6), the same count is not */
	assert_true(changed(&slo, events_status(&slo, 1, 5), events_status(&slo, 1, 6)));
	assert_false(changed(&slo, events_status(&slo, 1, 5.2), events_status(&slo, 1, 5.9)));
	/* zero traffic stays zero: no write; traffic starting: a write */
	assert_false(changed(&slo, events_status(&slo, 1, 0), events_status(&slo, 1, 0)));
	assert_true(changed(&slo, events_status(&slo, 1, 0), events_status(&slo, 1, 3)));
	/* overspent 5 times: allowed 1000 -> 1008 (0.8%) moves remainingEvents
	   -5000 -> -5040, 40 >= 10 */
	assert_true(changed(&slo, events_status(&slo, -5, 1000), events_status(&slo, -5, 1008)));
	/* appearing or going (a raw indicator has none; an upgrade adds them) */
	assert_true(changed(&slo, events_json(&slo, 0.8, 0, 0, text, sizeof(text)),
			    events_status(&slo, 0.8, 100)));
	assert_true(changed(&slo, events_status(&slo, 0.8, 100),
			    events_json(&slo, 0.8, 0, 0, text, sizeof(text))));
	/* what the API server gives back: integers, maybe as reals; a string is
	   not a count */
	json_t *a = events_status(&slo, 0.8, 1000), *b = json_deep_copy(a);
	json_object_set_new(b, "allowedEvents", json_real(1000.0));
	assert_false(br_budget_changed(&slo, a, "WithinBudget", b, "WithinBudget", NOW));
	json_object_set_new(b, "allowedEvents", json_string("1000"));
	assert_true(br_budget_changed(&slo, a, "WithinBudget", b, "WithinBudget", NOW));
	json_decref(a);
	json_decref(b);
	br_slo_release(&slo);
}

static void test_time(void **state)
{
	char out[40];
	double t;
	(void)state;

	br_budget_format_time(NOW + 86399, out, sizeof(out));
	assert_string_equal(out, "2026-01-01T23:59:59Z");
	assert_int_equal(br_budget_parse_time(out, &t), 0);
	assert_true(t == NOW + 86399);
	assert_int_equal(br_budget_parse_time("2024-02-29T12:00:00Z", &t), 0);
	br_budget_format_time(t, out, sizeof(out));
	assert_string_equal(out, "2024-02-29T12:00:00Z");
	assert_int_equal(br_budget_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
	assert_int_equal(br_budget_parse_time("2026-01-01 00:00:00Z", &t), -1);
	assert_int_equal(br_budget_parse_time("2026-13-01T00:00:00Z", &t), -1);
	assert_int_equal(br_budget_parse_time("2026-01-01T00:00:00+01:00", &t), -1);
	assert_int_equal(br_budget_parse_time("", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_ratio_query),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_ratio_names),
		cmocka_unit_test(test_index_add),
		cmocka_unit_test(test_index_allowed),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_burning_and_exhausted),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_nodata_unavailable),
		cmocka_unit_test(test_changed),
		cmocka_unit_test(test_changed_events),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
