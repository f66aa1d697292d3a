/* test_controller: the pieces of the controller that decide whether to write or
 * to reconcile, without an API server: the digest the rule cache keeps, the
 * comparison of a cached rule with the wanted one, and the expectations that
 * spare the second reconcile of a new SLO; reconcile's decisions (the status
 * of an invalid spec, the Ready condition, the alert table, the generation a
 * rule must have, whether a status is written); how errors on the leader
 * Lease are logged and counted. (The controller as a whole is tested end to
 * end under tests/e2e.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "controller/internal.h"
#include "leader/leader.h"
#include "metrics/metrics.h"
#include "slo/slo.h"

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
	assert_int_equal(br__controller_spec_digest(v, out), 0);
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
	assert_int_not_equal(br__controller_spec_digest(NULL, out), 0);
	for (int i = 0; i < 100; i++)
		deep = json_pack("[o]", deep);
	assert_int_not_equal(br__controller_spec_digest(deep, out), 0);
	json_decref(deep);
}

/* A cached rule (as br__controller_rule_transform leaves it) with the digest of spec
 * in its annotation, at generation 3. */
static json_t *cached_rule(const char *labels, const char *owners, const char *spec)
{
	char d[65];
	digest_of(spec, d);
	json_t *rule = json_pack("{s:{s:s, s:s, s:I, s:o, s:o, s:{s:s}}}", "metadata",
				 "name", "x", "namespace", "ns", "generation", (json_int_t)3,
				 "labels", parse(labels), "ownerReferences", parse(owners),
				 "annotations", BR__CONTROLLER_DIGEST_KEY, d);
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
	assert_true(br__controller_rule_matches(want, d, 3, have)); /* labels of others may stay */
	assert_true(br__controller_rule_matches(want, d, -1, have)); /* any generation */
	assert_false(br__controller_rule_matches(want, d, 4, have)); /* someone changed its spec */
	assert_false(br__controller_rule_matches(want, d, 0, have)); /* never written by us */
	assert_false(br__controller_rule_matches(want, other, 3, have));
	assert_false(br__controller_rule_matches(want, d, 3, relabelled));
	assert_false(br__controller_rule_matches(want, d, 3, orphan));
	assert_false(br__controller_rule_matches(want, d, 3, NULL));
	json_decref(want);
	json_decref(have);
	json_decref(relabelled);
	json_decref(orphan);
}

/* A rule is current for an SLO told by its name, namespace and uid alone
 * (no spec): our labels (the rule labels too), our owner reference, the
 * input digest, a spec digest and the generation of our apply. */
static void test_rule_current(void **state)
{
	struct br_label l = {"release", "kps"};
	struct br_labels labels = {&l, 1};
	struct br_rules_options ro = {.rule_labels = &labels};
	const char *owners = "[{\"apiVersion\":\"burnrate.dev/v1alpha1\","
		"\"kind\":\"ServiceLevelObjective\",\"name\":\"x\",\"uid\":\"u1\","
		"\"controller\":true,\"blockOwnerDeletion\":true}]";
	const char *ours = "{\"app.kubernetes.io/managed-by\":\"burnrate\",\"release\":\"kps\"}";
	json_t *have = cached_rule(ours, owners, SPEC);
	json_t *unlabelled = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\"}",
					 owners, SPEC);
	json_t *ann = json_object_get(json_object_get(have, "metadata"), "annotations");
	char name[300];
	(void)state;
	json_object_set_new(ann, BR__CONTROLLER_INPUT_KEY, json_string("in1"));
	json_object_set_new(json_object_get(json_object_get(unlabelled, "metadata"), "annotations"),
			    BR__CONTROLLER_INPUT_KEY, json_string("in1"));
	assert_true(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", 3, have));
	assert_true(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", -1, have));
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u1", "in2", 3, have));
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", 4, have));
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u2", "in1", 3, have));
	assert_false(br__controller_rule_current(&ro, "ns", "y", "u1", "in1", 3, have));
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", 3, unlabelled));
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", 3, NULL));
	/* a name longer than Kubernetes allows is nobody's */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(br__controller_rule_current(&ro, "ns", name, "u1", "in1", 3, have));
	/* a spec digest taken off: the rule is applied again */
	json_object_del(ann, BR__CONTROLLER_DIGEST_KEY);
	assert_false(br__controller_rule_current(&ro, "ns", "x", "u1", "in1", 3, have));
	json_decref(have);
	json_decref(unlabelled);
}

/* status.prometheusRule as the server sends it: only a rule of the SLO's
 * own name with integer counts >= 0 counts; anything else (a status
 * someone wrote by hand, a field of another type) means a full reconcile,
 * never a crash. */
static void test_status_rule(void **state)
{
	const char *bad[] = {
		"null", "[]", "{}", "\"x\"",
		"{\"name\":\"y\",\"recordingRules\":26,\"alertingRules\":2}",
		"{\"name\":7,\"recordingRules\":26,\"alertingRules\":2}",
		"{\"name\":\"x\",\"recordingRules\":\"26\",\"alertingRules\":2}",
		"{\"name\":\"x\",\"recordingRules\":26.0,\"alertingRules\":2}",
		"{\"name\":\"x\",\"recordingRules\":26,\"alertingRules\":-1}",
		"{\"name\":\"x\",\"recordingRules\":26}",
	};
	size_t rec = 99, alert = 99;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *pr = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(pr);
		assert_false(br__controller_status_rule(pr, "x", &rec, &alert));
		json_decref(pr);
	}
	assert_false(br__controller_status_rule(NULL, "x", &rec, &alert));
	json_t *good = parse("{\"name\":\"x\",\"recordingRules\":26,\"alertingRules\":2,"
			     "\"generation\":3}");
	assert_true(br__controller_status_rule(good, "x", &rec, &alert));
	assert_int_equal(rec, 26);
	assert_int_equal(alert, 2);
	json_decref(good);
}

/* What the rule cache keeps of a rule, whole or as metadata alone. */
static void test_rule_transform(void **state)
{
	json_t *whole = parse("{\"apiVersion\":\"monitoring.coreos.com/v1\",\"kind\":\"PrometheusRule\","
		"\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"uid\":\"u\",\"resourceVersion\":\"9\","
		"\"generation\":2,\"labels\":{\"a\":\"b\"},\"ownerReferences\":[],"
		"\"annotations\":{\"" BR__CONTROLLER_DIGEST_KEY "\":\"d\",\"other\":\"o\"},"
		"\"managedFields\":[{\"manager\":\"m\"}],\"creationTimestamp\":\"t\"},"
		"\"spec\":{\"groups\":[]}}");
	json_t *want = parse("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"resourceVersion\":\"9\","
		"\"generation\":2,\"labels\":{\"a\":\"b\"},\"ownerReferences\":[],"
		"\"annotations\":{\"" BR__CONTROLLER_DIGEST_KEY "\":\"d\"}}}");
	json_t *bare = parse("{\"kind\":\"PartialObjectMetadata\",\"metadata\":{\"name\":\"x\","
		"\"annotations\":{\"other\":\"o\"}}}");
	(void)state;
	br__controller_rule_transform(NULL, whole);
	assert_true(json_equal(whole, want));
	br__controller_rule_transform(NULL, bare);
	json_decref(want);
	want = parse("{\"metadata\":{\"name\":\"x\"}}");
	assert_true(json_equal(bare, want));
	json_decref(whole);
	json_decref(want);
	json_decref(bare);
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
	assert_int_equal(br__controller_expect_init(&c), 0);
	digest_of(SPEC, d);

	/* nothing expected: every event reconciles */
	assert_false(br__controller_expect_seen(&c, "ns/x", ours));
	/* the rule being applied: its event needs no reconcile, once */
	br__controller_expect_rule(&c, "ns/x", rule, d);
	assert_true(br__controller_expect_seen(&c, "ns/x", ours));
	assert_false(br__controller_expect_seen(&c, "ns/x", ours));
	/* someone else's rule in between: reconcile, and the expectation is spent */
	br__controller_expect_rule(&c, "ns/x", rule, d);
	assert_false(br__controller_expect_seen(&c, "ns/x", edited));
	assert_false(br__controller_expect_seen(&c, "ns/x", ours));
	/* per key; a failed apply forgets */
	br__controller_expect_rule(&c, "ns/x", rule, d);
	assert_false(br__controller_expect_seen(&c, "ns/y", ours));
	br__controller_expect_forget(&c, "ns/x");
	assert_false(br__controller_expect_seen(&c, "ns/x", ours));
	assert_int_equal(json_object_size(c.expected), 0);

	/* the generation applied stands in for the status until it shows it */
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 0);
	br__controller_expect_rule(&c, "ns/x", rule, d);
	br__controller_expect_applied(&c, "ns/x", 7);
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 7);
	br__controller_expect_confirm(&c, "ns/x", 7); /* its event not seen yet: kept */
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 7);
	assert_true(br__controller_expect_seen(&c, "ns/x", ours));
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 7);
	br__controller_expect_confirm(&c, "ns/x", 6); /* an older status: kept */
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 7);
	br__controller_expect_confirm(&c, "ns/x", 7);
	assert_int_equal(br__controller_expect_generation(&c, "ns/x"), 0);
	/* the answer may come before the event, or the event before it */
	br__controller_expect_rule(&c, "ns/x", rule, d);
	assert_true(br__controller_expect_seen(&c, "ns/x", ours));
	br__controller_expect_applied(&c, "ns/x", 8);
	br__controller_expect_confirm(&c, "ns/x", 8);
	assert_int_equal(json_object_size(c.expected), 0);

	br__controller_expect_release(&c);
	json_decref(rule);
	json_decref(ours);
	json_decref(edited);
}

/* ---- reconcile's decisions ---- */

static void test_problems_message(void **state)
{
	struct br_problems p;
	struct br_error e;
	struct br_buf out;
	(void)state;
	br_problems_init(&p);
	br_buf_init(&out, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br__controller_problems_message(&p, &out), 0);
	assert_string_equal(br_buf_str(&out), "");
	br_error_init(&e);
	e.code = BR_EINVAL;
	snprintf(e.field, sizeof(e.field), "spec.objective");
	snprintf(e.text, sizeof(e.text), "must be below 100");
	assert_int_equal(br_problems_add(&p, &e), 0);
	br_error_init(&e);
	e.code = BR_EINVAL;
	snprintf(e.text, sizeof(e.text), "no indicator"); /* no field: the text alone */
	assert_int_equal(br_problems_add(&p, &e), 0);
	assert_int_equal(br__controller_problems_message(&p, &out), 0);
	assert_string_equal(br_buf_str(&out), "spec.objective: must be below 100; no indicator");
	br_buf_release(&out);
	br_problems_release(&p);
}

/* The condition of type in st's conditions, or NULL. */
static json_t *condition_of(const json_t *st, const char *type)
{
	size_t i;
	json_t *cc;
	json_array_foreach(json_object_get(st, "conditions"), i, cc)
		if (strcmp(json_string_value(json_object_get(cc, "type")), type) == 0)
			return cc;
	return NULL;
}

static void assert_condition(const json_t *cond, const char *status, const char *reason,
			     const char *message, long long generation)
{
	assert_non_null(cond);
	assert_string_equal(json_string_value(json_object_get(cond, "status")), status);
	assert_string_equal(json_string_value(json_object_get(cond, "reason")), reason);
	assert_string_equal(json_string_value(json_object_get(cond, "message")), message);
	assert_int_equal(json_integer_value(json_object_get(cond, "observedGeneration")),
			 generation);
	assert_non_null(json_string_value(json_object_get(cond, "lastTransitionTime")));
}

#define OLD_LTT "2020-01-02T03:04:05Z"
/* The status of a valid SLO at generation 3, Ready since OLD_LTT. */
#define VALID_STATUS "{\"observedGeneration\":3,\"conditions\":[" \
	"{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Reconciled\"," \
	"\"message\":\"rules are up to date\",\"lastTransitionTime\":\"" OLD_LTT "\"," \
	"\"observedGeneration\":3}]," \
	"\"prometheusRule\":{\"name\":\"x\",\"recordingRules\":4,\"alertingRules\":2," \
	"\"generation\":7}," \
	"\"alerts\":[{\"severity\":\"page\",\"burnRate\":14.4}]," \
	"\"budget\":{\"remainingPercent\":50}}"

/* An invalid spec: Ready and RulesReady False, what was said of the rule
 * kept, written once; a resync writes nothing, a new message or generation
 * is written. */
static void test_invalid_status(void **state)
{
	json_t *cur = parse(VALID_STATUS);
	(void)state;

	/* a new SLO: no status yet */
	json_t *st = br__controller_invalid_status(NULL, "spec.objective: must be below 100", 4);
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(st, "observedGeneration")), 4);
	assert_int_equal(json_array_size(json_object_get(st, "conditions")), 2);
	assert_condition(condition_of(st, "Ready"), "False", "InvalidSpec",
			 "spec.objective: must be below 100", 4);
	assert_condition(condition_of(st, "RulesReady"), "False", "InvalidSpec",
			 "spec.objective: must be below 100", 4);
	assert_null(json_object_get(st, "prometheusRule"));
	assert_null(json_object_get(st, "alerts"));
	assert_true(br__controller_status_changed(NULL, st));
	json_decref(st);

	/* a valid SLO made invalid: its rule and alert table stay (the rule is
	   not deleted); the budget is budget.c's to add; Ready changed */
	st = br__controller_invalid_status(cur, "bad", 4);
	assert_true(json_equal(json_object_get(st, "prometheusRule"),
			       json_object_get(cur, "prometheusRule")));
	assert_true(json_equal(json_object_get(st, "alerts"), json_object_get(cur, "alerts")));
	assert_null(json_object_get(st, "budget"));
	assert_string_not_equal(json_string_value(json_object_get(condition_of(st, "Ready"),
								  "lastTransitionTime")), OLD_LTT);
	assert_true(br__controller_status_changed(cur, st));

	/* the resync: the same status again, transition times kept: no write */
	json_t *again = br__controller_invalid_status(st, "bad", 4);
	assert_true(json_equal(again, st));
	assert_false(br__controller_status_changed(st, again));
	json_decref(again);
	/* another problem, or a new generation: written */
	again = br__controller_invalid_status(st, "worse", 4);
	assert_true(br__controller_status_changed(st, again));
	json_decref(again);
	again = br__controller_invalid_status(st, "bad", 5);
	assert_true(br__controller_status_changed(st, again));
	json_decref(again);
	json_decref(st);
	json_decref(cur);
}

/* Whether a status is written: only when it differs, numbers by value. */
static void test_status_changed(void **state)
{
	json_t *cur = parse("{\"a\":1,\"b\":[1,{\"c\":\"d\"}]}");
	json_t *same = parse("{\"b\":[1.0,{\"c\":\"d\"}],\"a\":1.0}");
	json_t *more = parse("{\"a\":1,\"b\":[1,{\"c\":\"d\"}],\"e\":null}");
	json_t *other = parse("{\"a\":1,\"b\":[{\"c\":\"d\"},1]}");
	(void)state;
	assert_false(br__controller_status_changed(cur, same));
	assert_false(br__controller_status_changed(cur, cur));
	assert_true(br__controller_status_changed(cur, more));
	assert_true(br__controller_status_changed(cur, other));
	assert_true(br__controller_status_changed(NULL, cur));
	json_decref(cur);
	json_decref(same);
	json_decref(more);
	json_decref(other);
}

/* Ready folds in the routing condition; its transition time is kept while
 * its status stays. */
static void test_ready_condition(void **state)
{
	json_t *cur = parse(VALID_STATUS);
	json_t *routed = parse("{\"type\":\"AlertRoutingReady\",\"status\":\"True\","
			       "\"reason\":\"Routed\",\"message\":\"ok\"}");
	json_t *unrouted = parse("{\"type\":\"AlertRoutingReady\",\"status\":\"False\","
				 "\"reason\":\"ReceiverMissing\",\"message\":\"no shop-pagerduty\"}");
	(void)state;
	json_t *ready = br__controller_ready_condition(cur, NULL, 3);
	assert_condition(ready, "True", "Reconciled", "rules are up to date", 3);
	assert_string_equal(json_string_value(json_object_get(ready, "lastTransitionTime")),
			    OLD_LTT);
	assert_true(json_equal(ready, condition_of(cur, "Ready")));
	json_decref(ready);
	ready = br__controller_ready_condition(cur, routed, 4);
	assert_condition(ready, "True", "Reconciled", "rules are up to date", 4);
	json_decref(ready);
	ready = br__controller_ready_condition(cur, unrouted, 4);
	assert_condition(ready, "False", "ReceiverMissing", "alert routing: no shop-pagerduty", 4);
	assert_string_not_equal(json_string_value(json_object_get(ready, "lastTransitionTime")),
				OLD_LTT);
	json_decref(ready);
	json_decref(cur);
	json_decref(routed);
	json_decref(unrouted);
}

/* An SLO parsed from JSON text (must be valid). */
static void parse_slo(const char *text, struct br_slo *slo)
{
	struct br_problems p;
	json_t *doc = parse(text);
	br_slo_init(slo);
	br_problems_init(&p);
	if (br_slo_parse(doc, NULL, NULL, slo, &p) != 0)
		fail_msg("invalid test SLO: %s", p.count ? p.items[0].text : "");
	br_problems_release(&p);
	json_decref(doc);
}

#define SLO_HEAD "{\"apiVersion\":\"burnrate.dev/v1alpha1\",\"kind\":\"ServiceLevelObjective\"," \
	"\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"service\":\"s\"," \
	"\"objective\":99.9,\"window\":\"30d\",\"indicator\":{\"ratio\":{" \
	"\"errors\":\"e\",\"total\":\"t\"}},\"alerting\":{"

/* status.alerts: the SRE Workbook's table at 30d, rows of a disabled
 * severity left out, offPeakMuted on muted rows alone. */
static void test_alert_rows(void **state)
{
	struct br_slo slo;
	(void)state;
	parse_slo(SLO_HEAD "\"offPeak\":{\"from\":\"22:00\",\"to\":\"06:00\",\"rows\":[\"1h\"]}}}}",
		  &slo);
	json_t *rows = br__controller_alert_rows(&slo);
	assert_int_equal(json_array_size(rows), slo.window_count);
	json_t *first = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(first, "severity")), "page");
	assert_string_equal(json_string_value(json_object_get(first, "longWindow")), "1h");
	assert_string_equal(json_string_value(json_object_get(first, "shortWindow")), "5m");
	assert_float_equal(json_number_value(json_object_get(first, "burnRate")), 14.4, 1e-9);
	assert_float_equal(json_number_value(json_object_get(first, "budgetPercent")), 2, 1e-9);
	assert_true(json_is_true(json_object_get(first, "offPeakMuted")));
	for (size_t i = 1; i < json_array_size(rows); i++)
		assert_null(json_object_get(json_array_get(rows, i), "offPeakMuted"));
	json_decref(rows);
	br_slo_release(&slo);

	parse_slo(SLO_HEAD "\"ticket\":{\"disabled\":true}}}}", &slo);
	rows = br__controller_alert_rows(&slo);
	assert_true(json_array_size(rows) > 0);
	assert_true(json_array_size(rows) < slo.window_count);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		assert_string_equal(json_string_value(json_object_get(row, "severity")), "page");
		assert_null(json_object_get(row, "offPeakMuted"));
	}
	json_decref(rows);
	br_slo_release(&slo);
}

/* The generation a rule must have to be ours: the status's, or the last
 * apply's until the status shows it. */
static void test_wanted_generation(void **state)
{
	struct br_controller c;
	char d[65];
	json_t *st3 = parse("{\"prometheusRule\":{\"generation\":3}}");
	json_t *st8 = parse("{\"prometheusRule\":{\"generation\":8}}");
	json_t *rule = json_pack("{s:o}", "metadata",
				 wanted("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS));
	json_t *ours = cached_rule("{\"app.kubernetes.io/managed-by\":\"burnrate\"}", OWNERS, SPEC);
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(br__controller_expect_init(&c), 0);
	digest_of(SPEC, d);
	assert_int_equal(br__controller_wanted_generation(&c, "ns/x", NULL), 0); /* never written */
	assert_int_equal(br__controller_wanted_generation(&c, "ns/x", st3), 3);
	br__controller_expect_rule(&c, "ns/x", rule, d);
	br__controller_expect_applied(&c, "ns/x", 8);
	assert_int_equal(br__controller_wanted_generation(&c, "ns/x", st3), 8); /* status behind */
	assert_true(br__controller_expect_seen(&c, "ns/x", ours));
	assert_int_equal(br__controller_wanted_generation(&c, "ns/x", st8), 8);
	assert_int_equal(json_object_size(c.expected), 0); /* the status shows it */
	assert_int_equal(br__controller_wanted_generation(&c, "ns/x", st3), 3);
	br__controller_expect_release(&c);
	json_decref(st3);
	json_decref(st8);
	json_decref(rule);
	json_decref(ours);
}

/* What is applied carries its spec's digest; as the cache keeps it, at the
 * generation the apply got, it matches, so the next reconcile applies
 * nothing; a new spec does not match. */
static void test_rule_stamp(void **state)
{
	char d[65], d2[65], spec_d[65];
	json_t *rule = parse("{\"apiVersion\":\"monitoring.coreos.com/v1\",\"kind\":\"PrometheusRule\","
		"\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\","
		"\"labels\":{\"app.kubernetes.io/managed-by\":\"burnrate\"},"
		"\"ownerReferences\":" OWNERS "},\"spec\":" SPEC "}");
	(void)state;
	assert_int_equal(br__controller_rule_stamp(rule, "in1", d), 0);
	digest_of(SPEC, spec_d);
	assert_string_equal(d, spec_d);
	json_t *meta = json_object_get(rule, "metadata");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(meta, "annotations"), BR__CONTROLLER_DIGEST_KEY)), d);

	json_t *cached = json_deep_copy(rule);
	json_object_set_new(json_object_get(cached, "metadata"), "generation", json_integer(2));
	br__controller_rule_transform(NULL, cached);
	assert_true(br__controller_rule_matches(meta, d, 2, cached));
	/* the input digest alone, as a restart checks a rule without rendering */
	json_t *fast = json_pack("{s:O, s:O, s:{s:s}}", "labels", json_object_get(meta, "labels"),
				 "ownerReferences", json_object_get(meta, "ownerReferences"),
				 "annotations", BR__CONTROLLER_INPUT_KEY, "in1");
	assert_true(br__controller_rule_matches(fast, NULL, 2, cached));
	assert_false(br__controller_rule_matches(fast, NULL, 3, cached));
	json_t *bare = json_deep_copy(cached); /* its spec digest annotation taken off */
	json_object_del(json_object_get(json_object_get(bare, "metadata"), "annotations"),
			BR__CONTROLLER_DIGEST_KEY);
	assert_false(br__controller_rule_matches(fast, NULL, 2, bare));
	json_decref(bare);
	json_object_set_new(json_object_get(fast, "annotations"), BR__CONTROLLER_INPUT_KEY,
			    json_string("in2"));
	assert_false(br__controller_rule_matches(fast, NULL, 2, cached));
	/* rendered, the spec decides: no rewrite for the annotation alone */
	assert_true(br__controller_rule_matches(fast, d, 2, cached));
	json_object_del(json_object_get(fast, "annotations"), BR__CONTROLLER_INPUT_KEY);
	assert_false(br__controller_rule_matches(fast, NULL, 2, cached));
	json_decref(fast);

	json_object_set_new(rule, "spec", parse("{\"groups\":[]}"));
	json_object_set_new(json_object_get(meta, "annotations"), "other", json_string("o"));
	assert_int_equal(br__controller_rule_stamp(rule, "in1", d2), 0);
	assert_string_not_equal(d, d2);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(meta, "annotations"), "other")), "o"); /* others kept */
	assert_false(br__controller_rule_matches(meta, d2, 2, cached));
	json_decref(cached);
	json_decref(rule);
}

/* The input digest: the same SLO and options give the same digest, whatever
 * its resourceVersion and status; a change of generation (which the API
 * server moves with every change of the spec), of the rest of the metadata,
 * of rule labels, runbook URL, target or build gives another; no build, no
 * digest. The spec itself is not read: a view of the metadata gives the
 * same digest as the whole object. */
static void test_input_digest(void **state)
{
	json_t *slo = parse("{\"apiVersion\":\"burnrate.dev/v1alpha1\",\"kind\":\"ServiceLevelObjective\","
		"\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"uid\":\"u1\",\"resourceVersion\":\"1\","
		"\"generation\":1},\"spec\":{\"objective\":99.5},\"status\":{\"observedGeneration\":1}}");
	struct br_label l = {"release", "kps"};
	struct br_labels labels = {&l, 1};
	struct br_rules_options ro = {0};
	char a[65], b[65];
	(void)state;
	assert_int_equal(br__controller_input_digest(slo, &ro, "", a), BR_EINVAL);
	assert_int_equal(br__controller_input_digest(slo, &ro, "b1", a), 0);
	json_t *later = json_deep_copy(slo);
	json_object_set_new(json_object_get(later, "metadata"), "resourceVersion", json_string("9"));
	json_object_set_new(later, "status", parse("{\"observedGeneration\":2}"));
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), 0);
	assert_string_equal(a, b);
	assert_int_equal(br__controller_input_digest(slo, &ro, "b2", b), 0);
	assert_string_not_equal(a, b);
	json_object_set_new(json_object_get(later, "spec"), "objective", json_real(99.9));
	json_object_set_new(json_object_get(later, "metadata"), "generation", json_integer(2));
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	json_decref(later);
	later = json_pack("{s:O}", "metadata", json_object_get(slo, "metadata"));
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), 0);
	assert_string_equal(a, b);
	json_decref(later);
	later = json_deep_copy(slo);
	json_object_set_new(json_object_get(later, "metadata"), "labels", parse("{\"team\":\"a\"}"));
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	json_decref(later);
	later = json_pack("{s:s}", "kind", "ServiceLevelObjective");
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), BR_EINVAL);
	json_decref(later);
	later = json_deep_copy(slo);
	json_object_set_new(json_object_get(later, "metadata"), "uid", json_string("u2"));
	assert_int_equal(br__controller_input_digest(later, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	ro.rule_labels = &labels;
	assert_int_equal(br__controller_input_digest(slo, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	ro.rule_labels = NULL;
	ro.runbook_base_url = "https://runbooks";
	assert_int_equal(br__controller_input_digest(slo, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	ro.runbook_base_url = NULL;
	ro.target = BR_RULES_TARGET_VICTORIAMETRICS;
	assert_int_equal(br__controller_input_digest(slo, &ro, "b1", b), 0);
	assert_string_not_equal(a, b);
	/* this executable's digest: 64 hex digits, the same every time */
	br__controller_build_digest(a);
	br__controller_build_digest(b);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	json_decref(later);
	json_decref(slo);
}

struct logged {
	int n;
	enum br_log_level level[8];
	char ns[8][64], name[8][64], msg[8][256], kv[8][1024];
};

static void log_plain(void *ctx, enum br_log_level level, const char *ns,
		      const char *name, const char *msg)
{
	struct logged *l = ctx;
	if (l->n >= 8)
		fail_msg("too many log lines");
	l->level[l->n] = level;
	snprintf(l->ns[l->n], 64, "%s", ns ? ns : "");
	snprintf(l->name[l->n], 64, "%s", name ? name : "");
	snprintf(l->msg[l->n], 256, "%s", msg);
	l->n++;
}

static void log_fields(void *ctx, enum br_log_level level, const char *ns,
		       const char *name, const char *msg, const char *const *kv)
{
	struct logged *l = ctx;
	log_plain(ctx, level, ns, name, msg);
	size_t n = 0;
	for (; kv[0]; kv += 2)
		n += (size_t)snprintf(l->kv[l->n - 1] + n, 1024 - n, "%s%s=%s", n ? "|" : "",
				      kv[0], kv[1]);
}

static struct br_controller *lease_controller(struct br_metrics *m, struct logged *l,
					      int with_fields)
{
	struct br_controller_options o = {.metrics = m, .log = log_plain, .log_ctx = l,
					  .log_kv = with_fields ? log_fields : NULL};
	struct br_controller *c = NULL;
	assert_int_equal(br_controller_create(&o, NULL, &c, NULL), 0);
	c->lease_ref = strdup("burnrate/burnrate-controller");
	return c;
}

/* The Lease's errors: every failed attempt counted, the first of a kind
 * logged with its fields, the repeats not, the recovery logged once. */
static void test_lease_errors(void **state)
{
	struct br_metrics *m;
	struct logged l = {0};
	assert_int_equal(br_metrics_create(&m, NULL), 0);
	struct br_controller *c = lease_controller(m, &l, 1);
	struct br_leader_error e = {.code = BR_EAUTH, .status = 403, .verb = "get",
				    .reason = "Forbidden", .message = "no rights"};
	for (unsigned long i = 1; i <= 3; i++) {
		e.count = i;
		br__controller_lease_error(c, &e, 0);
	}
	assert_int_equal(atomic_load(&c->lease_failing), 1);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.level[0], BR_LOG_ERROR);
	assert_string_equal(l.ns[0], "burnrate");
	assert_string_equal(l.name[0], "burnrate-controller");
	assert_string_equal(l.msg[0], "leader election: cannot get Lease");
	assert_string_equal(l.kv[0], "kind=Lease|verb=get|code=403|reason=Forbidden|error=no rights");
	assert_int_equal(br_metric_value(c->m_lease_errors, (const char *[]){"403"}), 3);
	/* a new error (no response this time): logged, counted under 0 */
	struct br_leader_error io = {.code = BR_EIO, .verb = "get", .count = 1,
				     .message = "Connection refused"};
	br__controller_lease_error(c, &io, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kv[1], "kind=Lease|verb=get|code=0|reason=|error=Connection refused");
	assert_int_equal(br_metric_value(c->m_lease_errors, (const char *[]){"0"}), 1);
	io.count = 4;
	br__controller_lease_error(c, &io, 1);
	assert_int_equal(atomic_load(&c->lease_failing), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.level[2], BR_LOG_INFO);
	assert_string_equal(l.msg[2], "leader election: the Lease works again");
	assert_string_equal(l.kv[2], "kind=Lease|failedAttempts=4|"
			    "lastError=cannot get Lease: Connection refused");
	struct br_buf out;
	br_buf_init(&out, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br_metrics_render(m, &out), 0);
	assert_non_null(strstr(br_buf_str(&out),
			       "burnrate_leader_election_errors_total{code=\"403\"} 3\n"));
	assert_non_null(strstr(br_buf_str(&out), "burnrate_leader_election_failing 0\n"));
	br_buf_release(&out);
	br_controller_free(c);
	br_metrics_free(m);
}

/* Without a log_kv callback, the fields follow the message. */
static void test_lease_errors_plain_log(void **state)
{
	struct logged l = {0};
	struct br_controller *c = lease_controller(NULL, &l, 0);
	struct br_leader_error e = {.code = BR_EAUTH, .status = 401, .verb = "update",
				    .reason = "Unauthorized", .message = "token expired",
				    .count = 1};
	br__controller_lease_error(c, &e, 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msg[0], "leader election: cannot update Lease kind=Lease verb=update "
			    "code=401 reason=Unauthorized error=token expired");
	br_controller_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_ignores_key_order),
		cmocka_unit_test(test_digest_tells_trees_apart),
		cmocka_unit_test(test_digest_refuses_no_spec_and_absurd_depth),
		cmocka_unit_test(test_rule_matches),
		cmocka_unit_test(test_rule_transform),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_problems_message),
		cmocka_unit_test(test_invalid_status),
		cmocka_unit_test(test_status_changed),
		cmocka_unit_test(test_ready_condition),
		cmocka_unit_test(test_alert_rows),
		cmocka_unit_test(test_wanted_generation),
		cmocka_unit_test(test_rule_stamp),
		cmocka_unit_test(test_input_digest),
		cmocka_unit_test(test_rule_current),
		cmocka_unit_test(test_status_rule),
		cmocka_unit_test(test_lease_errors),
		cmocka_unit_test(test_lease_errors_plain_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
