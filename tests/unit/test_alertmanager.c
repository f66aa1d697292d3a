/* test_alertmanager: base and policy validation (data-driven invalid cases in
 * tests/data/alertmanager/invalid), Alertmanager syntax, one SLO's verdict,
 * the merged configuration (order, dedup, isolation, size, determinism,
 * escaping), the Secret helpers, and every allocation failing in turn. The
 * real amtool and alertmanager check the output in tests/alertmanager/. */
#define _GNU_SOURCE /* RTLD_NEXT, for the allocation-failure test */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertmanager/alertmanager.h"
#include "alertmanager/internal.h"
#include "buf/buf.h"
#include "yaml/yaml.h"

#include "failalloc.h"

static const char base[] =
	"global: {resolve_timeout: 5m}\n"
	"route:\n"
	"  receiver: default\n"
	"  routes:\n"
	"  - {receiver: infra, matchers: ['team=\"infra\"']}\n"
	"receivers:\n"
	"- {name: default, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}\n"
	"- {name: infra, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}\n"
	"- {name: pager, pagerduty_configs: [{routing_key: k}]}\n"
	"- {name: slack, slack_configs: [{api_url: 'https://hooks.example.com/x'}]}\n"
	"- name: 'we\"ird\\\\name'\n"
	"inhibit_rules:\n"
	"- {source_matchers: [a=b], target_matchers: [a=c], equal: [x]}\n";

static const char policy[] =
	"receivers:\n"
	"  pager: [payments, search]\n"
	"  slack: ['*']\n"
	"timing:\n"
	"  page: {group_wait: 10s}\n";

static struct br_am_config *parse(const char *b, const char *p)
{
	struct br_am_config *cfg = NULL;
	struct br_error err;
	char line[1600];

	br_error_init(&err);
	if (br_am_config_parse(b, strlen(b), p, p ? strlen(p) : 0, &cfg, &err) != 0)
		fail_msg("parse failed: %s", br_error_format(&err, line, sizeof(line)));
	return cfg;
}

static char *build(const struct br_am_config *cfg, const struct br_am_target *t, size_t n)
{
	struct br_buf b;
	struct br_error err;
	char line[1600];

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_error_init(&err);
	if (br_am_build(cfg, t, n, &b, &err) != 0)
		fail_msg("build failed: %s", br_error_format(&err, line, sizeof(line)));
	return br_buf_detach(&b);
}

static json_t *load(const char *text)
{
	struct br_yaml_stream s;
	json_t *doc;

	br_yaml_stream_init(&s);
	assert_int_equal(br_yaml_load(text, strlen(text), "t", &s, NULL), 0);
	assert_int_equal(s.count, 1);
	doc = json_incref(s.docs[0].root);
	br_yaml_stream_release(&s);
	return doc;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_durations(void **state)
{
	static const struct { const char *s; long long ms; } good[] = {
		{"0", 0}, {"30s", 30000}, {"1h30m", 5400000}, {"500ms", 500},
		{"1y", 365LL * 86400000}, {"2w3d", 17LL * 86400000}, {"1m1ms", 60001},
	};
	static const char *const bad[] = {
		"", "5", "1.5h", "m", "30m1h", "1h1h", "-1s", "1 h", "1hx", "99999999999999999999y",
	};
	long long ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(br__alertmanager_duration_parse(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (br__alertmanager_duration_parse(bad[i], &ms) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
}

static void test_matchers(void **state)
{
	static const char *const good[] = {
		"a=b", "a=\"b\"", " a != \"b,c\" ", "{a=\"b\",c=~\"d.*\"}", "a!~x",
		"a=\"x\\\"y\"", "a=", "a_b:c=\"\"",
	};
	static const char *const bad[] = {
		"", "=b", "1a=b", "a=\"b", "a=b\"c", "a=\"b\"c", "a=b,,c=d", "a",
	};
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (br__alertmanager_matchers_ok(good[i], &why) != 0)
			fail_msg("%s refused: %s", good[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (br__alertmanager_matchers_ok(bad[i], &why) == 0)
			fail_msg("%s accepted", bad[i]);
}

static void test_parse_valid(void **state)
{
	struct br_am_config *cfg = parse(base, policy);

	assert_string_equal(br_am_config_root_receiver(cfg), "default");
	br_am_config_free(cfg);
	cfg = parse(base, NULL);
	br_am_config_free(cfg);
	cfg = parse(base, "# only a comment\n");
	br_am_config_free(cfg);
	/* JSON is YAML */
	cfg = parse("{\"route\": {\"receiver\": \"r\"}, \"receivers\": [{\"name\": \"r\"}]}", NULL);
	br_am_config_free(cfg);
}

static void test_check(void **state)
{
	struct br_am_config *cfg = parse(base, policy);
	struct br_am_target t = { "payments", { "pager", "slack" } };
	char msg[512];

	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_ROUTED);
	assert_string_equal(msg, "page -> pager, ticket -> slack");
	t.namespace = "other";
	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_RECEIVER_NOT_ALLOWED);
	assert_non_null(strstr(msg, "spec.alerting.page.receiver: receiver \"pager\" may not be used from namespace \"other\""));
	t.receiver[0] = NULL;
	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_ROUTED);
	t.receiver[1] = "slakc";
	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_RECEIVER_NOT_FOUND);
	assert_non_null(strstr(msg, "spec.alerting.ticket.receiver: receiver \"slakc\" is not defined"));
	/* a receiver the base has but the policy does not list */
	t.receiver[1] = "infra";
	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_RECEIVER_NOT_ALLOWED);
	t.receiver[1] = NULL;
	assert_int_equal(br_am_check(cfg, &t, msg, sizeof(msg)), BR_AM_NO_RECEIVERS);
	assert_non_null(strstr(msg, "\"default\""));
	t.receiver[0] = "pager";
	assert_int_equal(br_am_check(NULL, &t, msg, sizeof(msg)), BR_AM_BASE_CONFIG_INVALID);
	assert_string_equal(br_am_reason(BR_AM_BASE_CONFIG_INVALID), "BaseConfigInvalid");
	assert_string_equal(br_am_reason(BR_AM_RECEIVER_NOT_FOUND), "ReceiverNotFound");
	assert_string_equal(br_am_reason(BR_AM_NO_RECEIVERS), "NoReceivers");
	br_am_config_free(cfg);
}

/* Generated routes: sorted by (namespace, receiver, severity), one per key,
 * before the base's; only usable receivers; the inhibit rule last. */
static void test_build_shape(void **state)
{
	struct br_am_config *cfg = parse(base, policy);
	struct br_am_target t[] = {
		{ "search", { "pager", NULL } },
		{ "payments", { "pager", "slack" } },
		{ "payments", { "pager", "slack" } },     /* same keys: no new route */
		{ "other", { "pager", "slack" } },        /* pager not allowed here */
		{ "payments", { "nope", NULL } },         /* unknown receiver */
		{ "payments", { NULL, NULL } },
	};
	char *text = build(cfg, t, sizeof(t) / sizeof(t[0]));
	json_t *doc = load(text), *routes, *r, *inhibit;
	static const char *const want[][3] = {
		{"other", "slack", "ticket"}, {"payments", "pager", "page"},
		{"payments", "slack", "ticket"}, {"search", "pager", "page"},
	};

	assert_int_equal(strncmp(text, "# Generated by burnrate", 23), 0);
	routes = json_object_get(json_object_get(doc, "route"), "routes");
	assert_int_equal(json_array_size(routes), 5);
	for (size_t i = 0; i < 4; i++) {
		char m[3][128];

		r = json_array_get(routes, i);
		snprintf(m[0], sizeof(m[0]), "slo_namespace=\"%s\"", want[i][0]);
		snprintf(m[1], sizeof(m[1]), "burnrate_receiver=\"%s\"", want[i][1]);
		snprintf(m[2], sizeof(m[2]), "burnrate_severity=\"%s\"", want[i][2]);
		assert_string_equal(json_string_value(json_object_get(r, "receiver")), want[i][1]);
		for (size_t k = 0; k < 3; k++)
			assert_string_equal(json_string_value(json_array_get(json_object_get(r, "matchers"), k)), m[k]);
		assert_string_equal(json_string_value(json_object_get(r, "group_wait")),
				    strcmp(want[i][2], "page") == 0 ? "10s" : "5m");
		assert_string_equal(json_string_value(json_object_get(r, "repeat_interval")),
				    strcmp(want[i][2], "page") == 0 ? "1h" : "24h");
		assert_null(json_object_get(r, "continue"));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 4), "receiver")), "infra");
	inhibit = json_object_get(doc, "inhibit_rules");
	assert_int_equal(json_array_size(inhibit), 2);
	r = json_array_get(inhibit, 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "source_matchers"), 0)),
			    "burnrate_severity=\"page\"");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "target_matchers"), 0)),
			    "burnrate_severity=\"ticket\"");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "equal"), 1)), "slo");
	/* the base is kept: global and receivers as they were */
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "global"),
							      "resolve_timeout")), "5m");
	assert_int_equal(json_array_size(json_object_get(doc, "receivers")), 5);
	json_decref(doc);
	free(text);
	br_am_config_free(cfg);
}

/* Size follows namespaces x receivers, not SLOs; order does not matter. */
static void test_build_scale_and_order(void **state)
{
	static const char *const ns[] = {"a", "b", "c", "d", "e"};
	static const char *const recv[] = {"pager", "slack"};
	struct br_am_config *cfg = parse(base, "receivers: {pager: ['*'], slack: ['*']}");
	size_t n = 10000;
	struct br_am_target *t = calloc(n, sizeof(*t));
	char *small, *big, *rev;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct br_am_target){ ns[i % 5], { recv[i % 2], recv[(i / 5) % 2] } };
	small = build(cfg, t, 20);
	big = build(cfg, t, n);
	assert_string_equal(small, big);
	assert_int_equal(count(big, "- receiver: "), 2 * 5 * 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		struct br_am_target x = t[i];
		t[i] = t[n - 1 - i];
		t[n - 1 - i] = x;
	}
	rev = build(cfg, t, n);
	assert_string_equal(big, rev);
	assert_true(strlen(big) < 8192);
	free(small);
	free(big);
	free(rev);
	free(t);
	br_am_config_free(cfg);
}

/* A receiver name with a quote and a backslash is escaped in matchers, and
 * the output validates (br_am_build re-checks it). */
static void test_build_escaping(void **state)
{
	struct br_am_config *cfg = parse(base, NULL);
	struct br_am_target t = { "payments", { "we\"ird\\\\name", NULL } };
	char *text = build(cfg, &t, 1);
	json_t *doc = load(text);
	json_t *r = json_array_get(json_object_get(json_object_get(doc, "route"), "routes"), 0);

	assert_string_equal(json_string_value(json_object_get(r, "receiver")), t.receiver[0]);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "matchers"), 1)),
			    "burnrate_receiver=\"we\\\"ird\\\\\\\\name\"");
	json_decref(doc);
	free(text);
	br_am_config_free(cfg);
}

static void test_secret(void **state)
{
	static const char cfgtext[] = "route: {receiver: r}\nreceivers: [{name: r}]\n";
	json_t *s = br_am_target_secret("monitoring", "alertmanager-main", cfgtext, strlen(cfgtext));
	char *v = NULL;
	size_t len = 0;

	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "type")), "Opaque");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(s, "metadata"),
		"labels"), "app.kubernetes.io/managed-by")), "burnrate");
	assert_int_equal(br_am_secret_value(s, BR_AM_CONFIG_KEY, &v, &len, NULL), 0);
	assert_int_equal(len, strlen(cfgtext));
	assert_string_equal(v, cfgtext);
	free(v);
	assert_int_equal(br_am_secret_value(s, BR_AM_POLICY_KEY, &v, &len, NULL), BR_ENOTFOUND);
	assert_null(v);
	/* stringData wins, as kubectl apply would have it */
	json_object_set_new(s, "stringData", json_pack("{s:s}", BR_AM_CONFIG_KEY, "x: 1"));
	assert_int_equal(br_am_secret_value(s, BR_AM_CONFIG_KEY, &v, &len, NULL), 0);
	assert_string_equal(v, "x: 1");
	free(v);
	json_object_del(s, "stringData");
	for (int i = 0; i < 4; i++) {
		static const char *const bad[] = {"abc", "a=bc", "ab$=", "===="};
		json_object_set_new(json_object_get(s, "data"), BR_AM_CONFIG_KEY, json_string(bad[i]));
		if (br_am_secret_value(s, BR_AM_CONFIG_KEY, &v, &len, NULL) != BR_EPARSE)
			fail_msg("\"%s\" decoded", bad[i]);
	}
	json_decref(s);
	/* every length round-trips (padding) */
	for (size_t n = 0; n < 8; n++) {
		s = br_am_target_secret("ns", "n", "abcdefgh", n);
		assert_int_equal(br_am_secret_value(s, BR_AM_CONFIG_KEY, &v, &len, NULL), 0);
		assert_int_equal(len, n);
		assert_memory_equal(v, "abcdefgh", n);
		free(v);
		json_decref(s);
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct br_buf b;
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", path);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		br_buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return br_buf_detach(&b);
}

/* tests/data/alertmanager/invalid: base-*.yaml are bases (with no policy),
 * policy-*.yaml policies (with the base above); each .expected holds the
 * start of the error line. */
static void test_data_invalid(void **state)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	char dir[1024], path[1400], line[1600];
	struct br_buf failures;
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/alertmanager/invalid", src ? src : ".");
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", dir);
	br_buf_init(&failures, BR_BUF_MAX_DEFAULT);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), len, wlen;
		struct br_am_config *cfg = NULL;
		struct br_error err;
		char *text, *want, *nl;
		int is_policy, rc;

		if (l < 5 || strcmp(e->d_name + l - 5, ".yaml") != 0)
			continue;
		is_policy = strncmp(e->d_name, "policy-", 7) == 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = read_all(path, &len);
		snprintf(path, sizeof(path), "%s/%.*s.expected", dir, (int)(l - 5), e->d_name);
		want = read_all(path, &wlen);
		if ((nl = strchr(want, '\n')) != NULL)
			*nl = '\0';
		br_error_init(&err);
		rc = is_policy ? br_am_config_parse(base, strlen(base), text, len, &cfg, &err)
			       : br_am_config_parse(text, len, NULL, 0, &cfg, &err);
		br_error_format(&err, line, sizeof(line));
		if (rc == 0)
			br_buf_addf(&failures, "%s was accepted\n", e->d_name);
		else if (strncmp(line, want, strlen(want)) != 0)
			br_buf_addf(&failures, "%s: want \"%s\", got \"%s\"\n", e->d_name, want, line);
		br_am_config_free(cfg);
		free(text);
		free(want);
		n++;
	}
	closedir(d);
	assert_true(n >= 25);
	if (failures.len) {
		print_message("%s", br_buf_str(&failures));
		br_buf_release(&failures);
		fail();
	}
	br_buf_release(&failures);
}

/* Hostile inputs end in a clean error, never a crash. */
static void test_hostile(void **state)
{
	static const char *const inputs[] = {
		"", "\x01\x02", "[[[[[[[[[[", "route: *a\n", "route: {receiver: 1}\nreceivers: [{name: 1}]\n",
		"route: {receiver: r, routes: [1]}\nreceivers: [{name: r}]\n",
		"route: {receiver: r}\nreceivers: [{name: r, webhook_configs: {}}]\n",
		"route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules: [[]]\n",
		"route: {receiver: r, group_by: ['...', a]}\nreceivers: [{name: r}]\n",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct br_am_config *cfg = NULL;

		if (br_am_config_parse(inputs[i], strlen(inputs[i]), NULL, 0, &cfg, NULL) == 0)
			fail_msg("input %zu accepted", i);
		assert_null(cfg);
	}
}

/* --- Allocation failures ------------------------------------------------- */

/* Runs parse (and, when it succeeds, build) with the Nth allocation
 * failing, for every N until a run needs no more than N allocations. Every
 * run must fail cleanly with BR_ENOMEM or succeed; LeakSanitizer checks that
 * nothing leaks on any path. Returns the number of runs. */
static long fail_every_allocation(const char *b, const char *p, int build_too)
{
	struct br_am_target t[] = {
		{ "payments", { "pager", "slack" } }, { "search", { "pager", NULL } },
	};

	for (long n = 0;; n++) {
		struct br_am_config *cfg = NULL;
		struct br_buf out;
		int rc;

		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		allocations = 0;
		failing_after = n;
		rc = br_am_config_parse(b, strlen(b), p, p ? strlen(p) : 0, &cfg, NULL);
		if (rc == 0 && build_too)
			rc = br_am_build(cfg, t, 2, &out, NULL);
		failing_after = -1;
		if (rc != 0 && rc != BR_ENOMEM)
			fail_msg("allocation %ld failed: got %s", n, br_code_name(rc));
		br_am_config_free(cfg);
		br_buf_release(&out);
		if (allocations <= n) {
			assert_int_equal(rc, 0);
			return n;
		}
	}
}

static void test_allocation_failures(void **state)
{
	assert_true(fail_every_allocation(base, policy, 0) > 50);
	assert_true(fail_every_allocation(base, policy, 1) > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_build_shape),
		cmocka_unit_test(test_build_scale_and_order),
		cmocka_unit_test(test_build_escaping),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_data_invalid),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
