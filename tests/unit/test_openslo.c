/* test_openslo: OpenSLO v1 to ServiceLevelObjective and back: the data
 * folder tests/data/openslo (expected output or error line per case), the
 * query forms, the round trip, and every allocation failing in turn. */
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

#include "buf/buf.h"
#include "openslo/openslo.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

#include "failalloc.h"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct br_buf b;
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot open %s", path);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(br_buf_add(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return b.data ? br_buf_detach(&b) : strdup("");
}

static void data_dir(char *out, size_t size, const char *which)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");

	snprintf(out, size, "%s/tests/data/openslo/%s", src ? src : ".", which);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* A loaded case: its stream and every document as a reference. */
struct loaded {
	struct br_yaml_stream st;
	struct br_openslo_doc *docs;
	char *data;
};

static void load(const char *dir, const char *name, struct loaded *l)
{
	struct br_error err;
	char path[1024], line[2048];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	l->data = read_all(path, &len);
	br_error_init(&err);
	if (br_yaml_load(l->data, len, name, &l->st, &err) != 0)
		fail_msg("%s: %s", path, br_error_format(&err, line, sizeof(line)));
	l->docs = calloc(l->st.count, sizeof(*l->docs));
	assert_non_null(l->docs);
	for (size_t i = 0; i < l->st.count; i++)
		l->docs[i] = (struct br_openslo_doc){l->st.docs[i].root, l->st.marks, name};
}

static void unload(struct loaded *l)
{
	br_yaml_stream_release(&l->st);
	free(l->docs);
	free(l->data);
}

static void emit(const json_t *doc, struct br_buf *out)
{
	assert_int_equal(br_buf_adds(out, "---\n"), 0);
	assert_int_equal(br_yaml_emit(doc, out, NULL), 0);
}

/* Converts every SLO of l: its ServiceLevelObjectives into out, its
 * problems, formatted, into errors. Returns the number that failed. */
static int convert_all(const struct loaded *l, struct br_buf *out, struct br_buf *errors)
{
	char line[2048];
	int failed = 0;

	for (size_t i = 0; i < l->st.count; i++) {
		struct br_problems p;
		json_t *slo = NULL;
		int rc;

		if (!br_openslo_is_slo(l->docs[i].root))
			continue;
		br_problems_init(&p);
		rc = br_openslo_to_slo(&l->docs[i], l->docs, l->st.count, &slo, &p);
		if (rc == 0) {
			assert_int_equal(p.count, 0);
			emit(slo, out);
			json_decref(slo);
		} else {
			assert_int_equal(rc, BR_EINVAL);
			assert_null(slo);
			assert_true(p.count > 0); /* a refusal always says why */
			failed++;
		}
		for (size_t j = 0; j < p.count; j++) {
			br_buf_adds(errors, br_error_format(&p.items[j], line, sizeof(line)));
			br_buf_addc(errors, '\n');
		}
		br_problems_release(&p);
	}
	return failed;
}

/* slo (a converted ServiceLevelObjective) to OpenSLO and back is slo. */
static void check_round_trip(const json_t *slo, const char *name)
{
	struct br_problems p;
	struct br_openslo_doc d = {0};
	json_t *os = NULL, *back = NULL;

	br_problems_init(&p);
	assert_int_equal(br_openslo_from_slo(slo, NULL, name, &os, &p), 0);
	d.root = os;
	assert_int_equal(br_openslo_to_slo(&d, NULL, 0, &back, &p), 0);
	{
		struct br_slo a, b;

		br_slo_init(&a);
		br_slo_init(&b);
		assert_int_equal(br_slo_parse(slo, NULL, NULL, &a, NULL), 0);
		assert_int_equal(br_slo_parse(back, NULL, NULL, &b, NULL), 0);
		assert_true(a.objective == b.objective && a.window_s == b.window_s);
		assert_int_equal(a.indicator, b.indicator);
		assert_int_equal(a.window_count, b.window_count);
		for (size_t i = 0; i < a.window_count; i++) {
			assert_int_equal(a.windows[i].long_s, b.windows[i].long_s);
			assert_int_equal(a.windows[i].short_s, b.windows[i].short_s);
			assert_true(a.windows[i].burn_rate == b.windows[i].burn_rate);
		}
		br_slo_release(&a);
		br_slo_release(&b);
	}
	json_decref(os);
	json_decref(back);
	br_problems_release(&p);
}

static void test_data_valid(void **state)
{
	char dir[1024], path[1100];
	struct dirent *e;
	DIR *d;
	int n = 0;

	(void)state;
	data_dir(dir, sizeof(dir), "valid");
	if (!(d = opendir(dir)))
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		struct br_buf out, errors;
		struct loaded l;
		size_t len;
		char *want;

		if (!has_suffix(e->d_name, ".yaml"))
			continue;
		load(dir, e->d_name, &l);
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		br_buf_init(&errors, BR_BUF_MAX_DEFAULT);
		if (convert_all(&l, &out, &errors) != 0)
			fail_msg("%s should convert:\n%s", e->d_name, br_buf_str(&errors));
		snprintf(path, sizeof(path), "%s/%.*s.expected", dir,
			 (int)(strlen(e->d_name) - 5), e->d_name);
		want = read_all(path, &len);
		if (strcmp(want, br_buf_str(&out)) != 0)
			fail_msg("%s: got\n%s\nwant (%s)\n%s", e->d_name, br_buf_str(&out), path, want);
		for (size_t i = 0; i < l.st.count; i++) {
			json_t *slo;

			if (br_openslo_is_slo(l.docs[i].root) &&
			    br_openslo_to_slo(&l.docs[i], l.docs, l.st.count, &slo, NULL) == 0) {
				check_round_trip(slo, e->d_name);
				json_decref(slo);
			}
		}
		free(want);
		br_buf_release(&out);
		br_buf_release(&errors);
		unload(&l);
		n++;
	}
	closedir(d);
	assert_true(n >= 10);
}

static void test_data_invalid(void **state)
{
	char dir[1024], path[1100];
	struct br_buf failures;
	struct dirent *e;
	DIR *d;
	int n = 0;

	(void)state;
	br_buf_init(&failures, BR_BUF_MAX_DEFAULT);
	data_dir(dir, sizeof(dir), "invalid");
	if (!(d = opendir(dir)))
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		struct br_buf out, errors;
		struct loaded l;
		char *want, *nl;
		size_t len;

		if (!has_suffix(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.expected", dir,
			 (int)(strlen(e->d_name) - 5), e->d_name);
		want = read_all(path, &len);
		if ((nl = strchr(want, '\n')) != NULL)
			*nl = '\0';
		assert_true(*want);
		load(dir, e->d_name, &l);
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		br_buf_init(&errors, BR_BUF_MAX_DEFAULT);
		/* every case is checked, then all that failed are listed */
		if (convert_all(&l, &out, &errors) == 0)
			br_buf_addf(&failures, "%s was accepted\n", e->d_name);
		else if (!strstr(br_buf_str(&errors), want))
			br_buf_addf(&failures, "%s: want \"%s\" among:\n%s", e->d_name, want,
				    br_buf_str(&errors));
		br_buf_release(&out);
		br_buf_release(&errors);
		unload(&l);
		free(want);
		n++;
	}
	closedir(d);
	assert_true(n >= 25);
	if (failures.len) {
		print_message("%s", br_buf_str(&failures));
		br_buf_release(&failures);
		fail_msg("some invalid cases did not fail as expected");
	}
	br_buf_release(&failures);
}

/* An SLO whose total query is q, converted; the total selector burnrate
 * got, or NULL when refused. You own the result. */
static char *total_of(const char *q)
{
	json_t *doc = json_pack(
		"{s:s, s:s, s:{s:s}, s:{s:s, s:{s:{s:{s:{s:{s:s, s:{s:s}}}, s:{s:{s:s, s:{s:s}}}}}}, "
		"s:s, s:[{s:f}]}}",
		"apiVersion", "openslo/v1", "kind", "SLO", "metadata", "name", "q", "spec",
		"service", "s", "indicator", "spec", "ratioMetric", "bad", "metricSource", "type",
		"Prometheus", "spec", "query", "errors_total", "total", "metricSource", "type",
		"Prometheus", "spec", "query", q, "budgetingMethod", "Occurrences", "objectives",
		"target", 0.99);
	struct br_openslo_doc d = {doc, NULL, NULL};
	json_t *slo = NULL;
	char *sel = NULL;

	assert_non_null(doc);
	if (br_openslo_to_slo(&d, NULL, 0, &slo, NULL) == 0)
		sel = strdup(json_string_value(json_object_get(json_object_get(json_object_get(
			json_object_get(slo, "spec"), "indicator"), "ratio"), "total")));
	json_decref(slo);
	json_decref(doc);
	return sel;
}

static void test_query_forms(void **state)
{
	static const struct { const char *query, *selector; } cases[] = {
		{"http_requests_total", "http_requests_total"},
		{"  x{a=\"b\"} ", "x{a=\"b\"}"},
		{"sum(x{a=\"b\"})", "x{a=\"b\"}"},
		{"sum (rate(x{a=\")[\"}[5m]))", "x{a=\")[\"}"},
		{"rate(x[1h])", "x"},
		{"increase(x{a=~\"5..\"}[30m])", "x{a=~\"5..\"}"},
		{"sum(increase(x[1d]))", "x"},
		{"sum by (job) (rate(x[5m]))", NULL},
		{"sum(rate(x[5m])) by (job)", NULL},
		{"sum(rate(x[5m])) / sum(rate(y[5m]))", NULL},
		{"rate(x[5m] offset 1h)", NULL},
		{"rate(x)", NULL},
		{"irate(x[5m])", NULL},
		{"max(x)", NULL},
		{"rate(x[5m:1m])", NULL},
		{"sum(sum(x))", NULL},
		{"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = total_of(cases[i].query);

		if (!cases[i].selector && got)
			fail_msg("%s: accepted as %s", cases[i].query, got);
		if (cases[i].selector && (!got || strcmp(got, cases[i].selector) != 0))
			fail_msg("%s: got %s, want %s", cases[i].query, got ? got : "a refusal",
				 cases[i].selector);
		free(got);
	}
}

static json_t *burnrate_slo(const char *alerting_json)
{
	json_error_t e;
	json_t *alerting = json_loads(alerting_json, 0, &e);
	json_t *doc = json_pack(
		"{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:f, s:s, s:{s:{s:s, s:s}}, s:o}}",
		"apiVersion", BR_SLO_API_VERSION, "kind", BR_SLO_KIND, "metadata", "name", "api",
		"namespace", "team", "spec", "service", "api", "objective", 99.9, "window", "28d",
		"indicator", "ratio", "errors", "e_total", "total", "t_total", "alerting", alerting);

	assert_non_null(doc);
	return doc;
}

static void test_from_slo(void **state)
{
	struct br_problems p;
	json_t *doc, *os = NULL;
	char line[2048];

	(void)state;
	br_problems_init(&p);
	doc = burnrate_slo("{\"page\":{\"disabled\":true},\"ticket\":{\"disabled\":true}}");
	assert_int_equal(br_openslo_from_slo(doc, NULL, "x.yaml", &os, &p), BR_EINVAL);
	assert_null(os);
	assert_int_equal(p.count, 1);
	assert_non_null(strstr(br_error_format(&p.items[0], line, sizeof(line)),
			       "spec.alerting: no row of the alert table can fire"));
	json_decref(doc);
	br_problems_release(&p);

	/* a short window that is not long/12 travels in an annotation */
	doc = burnrate_slo("{\"windows\":[{\"severity\":\"page\",\"long\":\"1h\",\"short\":\"10m\","
			   "\"burnRate\":10}],\"ticket\":{\"disabled\":true}}");
	assert_int_equal(br_openslo_from_slo(doc, NULL, NULL, &os, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(os, "spec"),
							 "alertPolicies")), 1);
	check_round_trip(doc, "short");
	json_decref(os);
	json_decref(doc);
}

/* Runs to_slo and from_slo with allocation n failing, for every n. */
static void test_allocation_failures(void **state)
{
	char dir[1024];
	struct loaded l;

	(void)state;
	data_dir(dir, sizeof(dir), "valid");
	load(dir, "spec-indicator-ref.yaml", &l);
	for (long n = 0;; n++) {
		struct br_openslo_doc *slo = &l.docs[l.st.count - 1];
		struct br_problems p;
		json_t *out = NULL, *back = NULL;
		int rc, rc2 = 0;

		br_problems_init(&p);
		allocations = 0;
		failing_after = n;
		rc = br_openslo_to_slo(slo, l.docs, l.st.count, &out, &p);
		if (rc == 0)
			rc2 = br_openslo_from_slo(out, NULL, NULL, &back, &p);
		failing_after = -1;
		if ((rc != 0 && rc != BR_ENOMEM) || (rc2 != 0 && rc2 != BR_ENOMEM))
			fail_msg("allocation %ld failed: got %s, %s", n, br_code_name(rc),
				 br_code_name(rc2));
		if (rc != 0)
			assert_null(out);
		json_decref(out);
		json_decref(back);
		br_problems_release(&p);
		if (allocations <= n) {
			assert_int_equal(rc, 0); /* nothing failed: the normal answer */
			assert_int_equal(rc2, 0);
			break;
		}
	}
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_valid),
		cmocka_unit_test(test_data_invalid),
		cmocka_unit_test(test_query_forms),
		cmocka_unit_test(test_from_slo),
		cmocka_unit_test(test_allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
