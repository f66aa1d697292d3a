/* test_controller: the pieces of the controller that decide whether to write or
 * to reconcile, without an API server: the digest the rule cache keeps, the
 * comparison of a cached rule with the wanted one, and the expectations that
 * spare the second reconcile of a new SLO. (The controller as a whole is
 * tested end to end under tests/e2e.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "controller/internal.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return v;
}

/* The digest of a JSON text. */
static void digest_of(const char *text, char out[65])
{
	json_t *v = parse(text);
	assert_int_equal(ctl_spec_digest(v, out), 0);
	assert_int_equal(strlen(out), 64);
	json_decref(v);
}

static int same_digest(const char *a, const char *b)
{
	char da[65], db[65];
	digest_of(a, da);
	digest_of(b, db);
	return strcmp(da, db) == 0;
}

static void test_digest_ignores_key_order(void **state)
{
	(void)state;
	assert_true(same_digest(
		"{\"groups\":[{\"name\":\"g\",\"rules\":[{\"record\":\"r\",\"expr\":\"up > 0\"}]}]}",
		"{\"groups\":[{\"rules\":[{\"expr\":\"up > 0\",\"record\":\"r\"}],\"name\":\"g\"}]}"));
}

static void test_digest_tells_trees_apart(void **state)
{
	static const char *pairs[][2] = {
		{ "{\"a\":\"bc\"}", "{\"ab\":\"c\"}" },          /* where a key ends */
		{ "{\"a\":\"1\"}", "{\"a\":1}" },                /* string or number */
		{ "{\"a\":1}", "{\"a\":1.5}" },
		{ "{\"a\":[\"x\",\"y\"]}", "{\"a\":[\"y\",\"x\"]}" }, /* order of a list */
		{ "{\"a\":[[\"x\"]]}", "{\"a\":[\"x\"]}" },      /* nesting */
		{ "{\"a\":[\"x\",\"\"]}", "{\"a\":[\"x\"]}" },  /* an empty string */
		{ "{\"a\":true}", "{\"a\":false}" },
		{ "{\"a\":null}", "{}" },
		{ "{\"groups\":[{\"name\":\"g\",\"rules\":[{\"expr\":\"up > 0\"}]}]}",
		  "{\"groups\":[{\"name\":\"g\",\"rules\":[{\"expr\":\"up > 1\"}]}]}" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (same_digest(pairs[i][0], pairs[i][1]))
			fail_msg("same digest for %s and %s", pairs[i][0], pairs[i][1]);
}

static void test_digest_refuses_no_spec_and_absurd_depth(void **state)
{
	char out[65];
	json_t *deep = json_string("x");
	(void)state;
	assert_int_not_equal(ctl_spec_digest(NULL, out), 0);
	for (int i = 0; i < 100; i++)
		deep = json_pack("[o]", deep);
	assert_int_not_equal(ctl_spec_digest(deep, out), 0);
	json_decref(deep);
}

/* A cached rule (as ctl_rule_transform leaves it) with the digest of spec. */
static json_t *cached_rule(const char *labels, const char *owners, const char *spec)
{
	char d[65];
	digest_of(spec, d);
	json_t *rule = json_pack("{s:{s:s, s:s, s:o, s:o}, s:{s:s}}", "metadata",
				 "name", "x", "namespace", "ns", "labels", parse(labels),
				 "ownerReferences", parse(owners), "spec", CTL_DIGEST_KEY, d);
	assert_non_null(rule);
	return rule;
}

#define OWNERS "[{\"kind\":\"ServiceLevelObjective\",\"name\":\"x\",\"uid\":\"u1\",\"controller\":true}]"
#define SPEC "{\"groups\":[{\"name\":\"g\",\"rules\":[]}]}"

/* The wanted rule: its metadata and the digest of its spec. */
static json_t *wanted(const char *labels, const char *owners)
{
	json_t *meta = json_pack("{s:o, s:o}", "labels", parse(labels),
				 "ownerReferences", parse(owners));
	assert_non_null(meta);
	return meta;
}

static void test_rule_matches(void **state)
{
	char d[65], other[65];
	json_t *want = wanted("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS);
	json_t *have = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\",\"extra\":\"kept\"}",
				   OWNERS, SPEC);
	json_t *relabelled = cached_rule("{\"app.kubernetes.io/managed-by\":\"other\"}", OWNERS, SPEC);
	json_t *orphan = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", "[]", SPEC);
	(void)state;
	digest_of(SPEC, d);
	digest_of("{\"groups\":[]}", other);
	assert_true(ctl_rule_matches(want, d, have)); /* labels of others may stay */
	assert_false(ctl_rule_matches(want, other, have));
	assert_false(ctl_rule_matches(want, d, relabelled));
	assert_false(ctl_rule_matches(want, d, orphan));
	assert_false(ctl_rule_matches(want, d, NULL));
	json_decref(want);
	json_decref(have);
	json_decref(relabelled);
	json_decref(orphan);
}

static void test_expectations(void **state)
{
	struct br_controller c;
	char d[65];
	json_t *rule = json_pack("{s:o}", "metadata",
				 wanted("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS));
	json_t *ours = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS, SPEC);
	json_t *edited = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS,
				     "{\"groups\":[]}");
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(ctl_expect_init(&c), 0);
	digest_of(SPEC, d);

	/* nothing expected: every event reconciles */
	assert_false(ctl_expect_seen(&c, "ns/x", ours));
	/* the rule being applied: its event needs no reconcile, once */
	ctl_expect_rule(&c, "ns/x", rule, d);
	assert_true(ctl_expect_seen(&c, "ns/x", ours));
	assert_false(ctl_expect_seen(&c, "ns/x", ours));
	/* someone else's rule in between: reconcile, and the expectation is spent */
	ctl_expect_rule(&c, "ns/x", rule, d);
	assert_false(ctl_expect_seen(&c, "ns/x", edited));
	assert_false(ctl_expect_seen(&c, "ns/x", ours));
	/* per key; a failed apply forgets */
	ctl_expect_rule(&c, "ns/x", rule, d);
	assert_false(ctl_expect_seen(&c, "ns/y", ours));
	ctl_expect_forget(&c, "ns/x");
	assert_false(ctl_expect_seen(&c, "ns/x", ours));
	assert_int_equal(json_object_size(c.expected), 0);

	ctl_expect_free(&c);
	json_decref(rule);
	json_decref(ours);
	json_decref(edited);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_ignores_key_order),
		cmocka_unit_test(test_digest_tells_trees_apart),
		cmocka_unit_test(test_digest_refuses_no_spec_and_absurd_depth),
		cmocka_unit_test(test_rule_matches),
		cmocka_unit_test(test_expectations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
