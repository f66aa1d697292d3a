/* test_promdata: the answer parsers (instant vectors and range matrices) on
 * good and bad answers, the buffer variant the client uses, and every
 * allocation failing in turn. */
#define _GNU_SOURCE /* RTLD_NEXT, for the allocation-failure test */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "promdata/internal.h"
#include "promdata/promdata.h"

#include "failalloc.h"

/* ---- parser ---- */

static int parse(const char *body, long status, struct br_prom_vector *v,
		 struct br_error *err)
{
	br_error_init(err);
	return br_prom_parse_vector(body, strlen(body), status, v, err);
}

static void test_parse_vector(void **state)
{
	struct br_prom_vector v;
	struct br_error err;
	const char *body =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.8123\"]},"
		"{\"metric\":{},\"value\":[1,\"NaN\"]},"
		"{\"metric\":{\"x\":\"\"},\"value\":[1,\"+Inf\"]},"
		"{\"metric\":{\"x\":\"y\"},\"value\":[1,\"-Inf\"]},"
		"{\"metric\":{\"x\":\"z\"},\"value\":[1,\"1e-05\"]}]}}";

	(void)state;
	assert_int_equal(parse(body, 200, &v, &err), 0);
	assert_int_equal(v.count, 5);
	assert_string_equal(br_prom_sample_label(&v.samples[0], "slo"), "a");
	assert_string_equal(br_prom_sample_label(&v.samples[0], "slo_namespace"), "ns");
	assert_null(br_prom_sample_label(&v.samples[0], "nope"));
	assert_true(v.samples[0].value == 0.8123);
	assert_string_equal(v.samples[0].text, "0.8123");
	assert_true(v.samples[0].timestamp == 1700000000.5);
	assert_true(isnan(v.samples[1].value));
	assert_int_equal(v.samples[1].nlabels, 0);
	assert_true(isinf(v.samples[2].value) && v.samples[2].value > 0);
	assert_string_equal(br_prom_sample_label(&v.samples[2], "x"), "");
	assert_true(isinf(v.samples[3].value) && v.samples[3].value < 0);
	assert_true(v.samples[4].value == 1e-05);
	br_prom_vector_release(&v);
	assert_int_equal(v.count, 0);

	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
			       "\"result\":[]}}", 0, &v, &err), 0);
	assert_int_equal(v.count, 0);
	br_prom_vector_release(&v);
}

/* The same answer in Prometheus's plain shape (scanned without a tree) and
 * with spaces, and in shapes only the tree parser reads (keys in another
 * order, escapes, a warnings field): the same vector. */
static void test_parse_shapes(void **state)
{
	static const char *const bodies[] = {
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.25\"]},"
		"{\"metric\":{},\"value\":[17e8,\"NaN\"]}]}}",
		"{\"status\": \"success\", \"data\": {\"resultType\": \"vector\", \"result\": [\n"
		"{\"metric\": {\"slo\": \"a\", \"slo_namespace\": \"ns\"}, \"value\": [1700000000.5, \"0.25\"]},"
		"{\"metric\": {}, \"value\": [1700000000, \"NaN\"]}]}}",
		"{\"data\":{\"result\":[{\"value\":[1700000000.5,\"0.25\"],"
		"\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"}},"
		"{\"metric\":{},\"value\":[1700000000,\"NaN\"]}],\"resultType\":\"vector\"},"
		"\"status\":\"success\"}",
		"{ \"status\": \"success\", \"data\": { \"resultType\": \"vector\", \"result\": [\n"
		"{\"metric\":{\"slo\":\"\\u0061\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.25\"]},"
		"{\"metric\":{},\"value\":[1.7e9,\"NaN\"]}]}, \"warnings\": [\"w\"]}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct br_prom_vector v;
		struct br_error err;

		/* the first two without a tree, the others with one */
		assert_int_equal(br__promdata_scan_vector(bodies[i], strlen(bodies[i]), &v), i < 2 ? 0 : 1);
		br_prom_vector_release(&v);
		if (parse(bodies[i], 200, &v, &err) != 0)
			fail_msg("body %zu: %s", i, err.text);
		assert_int_equal(v.count, 2);
		assert_int_equal(v.samples[0].nlabels, 2);
		assert_string_equal(v.samples[0].labels[0].name, "slo");
		assert_string_equal(br_prom_sample_label(&v.samples[0], "slo"), "a");
		assert_string_equal(br_prom_sample_label(&v.samples[0], "slo_namespace"), "ns");
		assert_true(v.samples[0].timestamp == 1700000000.5 && v.samples[0].value == 0.25);
		assert_string_equal(v.samples[0].text, "0.25");
		assert_int_equal(v.samples[1].nlabels, 0);
		assert_true(v.samples[1].timestamp == 1.7e9 && isnan(v.samples[1].value));
		br_prom_vector_release(&v);
	}
}

struct bad_case {
	const char *body;
	long status;
	int code;
	const char *text; /* a part of the message */
};

static void test_parse_refuses(void **state)
{
	static const struct bad_case cases[] = {
		{"", 200, BR_EPARSE, "empty answer"},
		{"", 502, BR_EHTTP, "HTTP 502"},
		{"<html>Bad Gateway</html>", 502, BR_EHTTP, "HTTP 502: <html>Bad Gateway"},
		{"<html>hi</html>", 200, BR_EPARSE, "not JSON"},
		{"not\x01json", 200, BR_EPARSE, "not json"},
		{"[1,2]", 200, BR_EPARSE, "no \"status\""},
		{"{\"status\":1}", 200, BR_EPARSE, "no \"status\""},
		{"{\"status\":\"maybe\"}", 200, BR_EPARSE, "\"maybe\""},
		{"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 3\"}",
		 400, BR_EINVAL, "bad_data): parse error at char 3"},
		{"{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out\"}",
		 503, BR_ETIMEOUT, "query timed out"},
		{"{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"boom\"}",
		 422, BR_EHTTP, "execution): boom"},
		{"{\"status\":\"error\"}", 500, BR_EHTTP, "no errorType"},
		{"{\"status\":\"error\",\"errorType\":\"x\",\"error\":\"y\"}", 401, BR_EAUTH, "y"},
		{"Unauthorized", 401, BR_EAUTH, "HTTP 401"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
		 500, BR_EHTTP, "HTTP 500"},
		{"{\"status\":\"success\"}", 200, BR_EPARSE, "no \"data\""},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
		 200, BR_EPARSE, "\"matrix\", want vector"},
		{"{\"status\":\"success\",\"data\":{\"result\":[]}}", 200, BR_EPARSE, "resultType"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		 200, BR_EPARSE, "data.result: missing or not an array"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
		 200, BR_EPARSE, "data.result[0]: not an object"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]},{\"metric\":[],\"value\":[1,\"1\"]}]}}",
		 200, BR_EPARSE, "data.result[1].metric: not an object"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{\"a\":1},\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE, "metric.a: not a string"},
		/* what the plain-shape scanner leaves to the tree parser to refuse */
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{\"a\":\"1\",\"a\":\"2\"},\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE,
		 "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[01,\"1\"]}]}}", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1e999,\"1\"]}]}}", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]}]}}x", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]}]}}", 500, BR_EHTTP, "HTTP 500"},
		/* converted from the end, but the first bad sample is the one named */
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"x\"]},{\"metric\":{},\"value\":[1,\"1\"]},"
		 "{\"metric\":[],\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE,
		 "data.result[0].value[1]: \"x\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1]}]}}", 200, BR_EPARSE, "[time, \"value\"] pair"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[\"1\",\"1\"]}]}}", 200, BR_EPARSE, "time is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,1]}]}}", 200, BR_EPARSE, "value[1]: not a string"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"12abc\"]}]}}", 200, BR_EPARSE, "\"12abc\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"\"]}]}}", 200, BR_EPARSE, "is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\" 1\"]}]}}", 200, BR_EPARSE, "is not a number"},
		{"{\"status\":\"success\",\"status\":\"success\"}", 200, BR_EPARSE, "not JSON"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_prom_vector v;
		struct br_error err;
		int rc = parse(cases[i].body, cases[i].status, &v, &err);

		if (rc != cases[i].code || !strstr(err.text, cases[i].text))
			fail_msg("case %zu: got %s \"%s\", want %s containing \"%s\"", i,
				 br_code_name(rc), err.text, br_code_name(cases[i].code),
				 cases[i].text);
		assert_int_equal(v.count, 0);
		assert_null(v.samples);
	}
}

/* ---- range answers ---- */

static void test_parse_matrix(void **state)
{
	struct br_prom_matrix m;
	struct br_error err;
	const char *body =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		"{\"metric\":{\"job\":\"a\"},\"values\":[[3600,\"10\"],[7200,\"NaN\"],[10800.5,\"2.5e3\"]]},"
		"{\"metric\":{},\"values\":[]}]}}";

	(void)state;
	br_error_init(&err);
	assert_int_equal(br_prom_parse_matrix(body, strlen(body), 200, &m, &err), 0);
	assert_int_equal(m.count, 2);
	assert_int_equal(m.series[0].nlabels, 1);
	assert_string_equal(m.series[0].labels[0].name, "job");
	assert_string_equal(m.series[0].labels[0].value, "a");
	assert_int_equal(m.series[0].count, 3);
	assert_true(m.series[0].points[0].t == 3600 && m.series[0].points[0].v == 10);
	assert_true(isnan(m.series[0].points[1].v));
	assert_true(m.series[0].points[2].t == 10800.5 && m.series[0].points[2].v == 2500);
	assert_int_equal(m.series[1].count, 0);
	br_prom_matrix_release(&m);
	assert_int_equal(m.count, 0);
	assert_null(m.series);
}

static void test_parse_matrix_refuses(void **state)
{
	static const struct bad_case cases[] = {
		{"", 200, BR_EPARSE, "empty answer"},
		{"<html>Bad Gateway</html>", 502, BR_EHTTP, "HTTP 502: <html>Bad Gateway"},
		{"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum resolution\"}",
		 400, BR_EINVAL, "exceeded maximum resolution"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
		 200, BR_EPARSE, "data.resultType is \"vector\", want matrix"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{}}]}}",
		 200, BR_EPARSE, "data.result[0].values: missing"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{},\"values\":[[1,\"1\"],[2]]}]}}",
		 200, BR_EPARSE, "data.result[0].values[1]: not a [time"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{},\"values\":[[\"1\",\"1\"]]}]}}",
		 200, BR_EPARSE, "values[0][0]: time is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"x\"]]}]}}",
		 200, BR_EPARSE, "values[0][1]: \"x\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{\"a\":1},\"values\":[]}]}}",
		 200, BR_EPARSE, "data.result[0].metric.a: not a string"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_prom_matrix m;
		struct br_error err;

		br_error_init(&err);
		assert_int_equal(br_prom_parse_matrix(cases[i].body, strlen(cases[i].body),
						      cases[i].status, &m, &err), cases[i].code);
		if (!strstr(err.text, cases[i].text))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.text, cases[i].text);
		assert_int_equal(m.count, 0);
		assert_null(m.series);
	}
}

/* ---- the buffer the client reads into ---- */

static void test_parse_vector_body(void **state)
{
	static const char *const bodies[] = {
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"slo\":\"a\"},\"value\":[1700000000,\"0.5\"]}]}}",
		"{\"data\":{\"result\":[{\"value\":[1700000000,\"0.5\"],"
		"\"metric\":{\"slo\":\"a\"}}],\"resultType\":\"vector\"},\"status\":\"success\"}",
		"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct br_prom_vector v, want;
		struct br_error err, want_err;
		struct br_buf body;
		int rc;

		br_buf_init(&body, BR_BUF_MAX_DEFAULT);
		assert_int_equal(br_buf_add(&body, bodies[i], strlen(bodies[i])), 0);
		br_error_init(&err);
		br_error_init(&want_err);
		rc = br_prom_parse_vector_body(&body, 400 * (i == 2), &v, &err);
		assert_int_equal(rc, br_prom_parse_vector(bodies[i], strlen(bodies[i]),
							  400 * (i == 2), &want, &want_err));
		assert_int_equal(body.len, 0); /* released whatever happened */
		assert_string_equal(err.text, want_err.text);
		assert_int_equal(v.count, want.count);
		if (v.count)
			assert_string_equal(br_prom_sample_label(&v.samples[0], "slo"), "a");
		br_prom_vector_release(&v);
		br_prom_vector_release(&want);
		br_buf_release(&body);
	}
}

/* ---- every allocation failing in turn ---- */

static const char *const alloc_bodies[] = {
	/* the plain shape (scanned without a tree) */
	("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	 "{\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.25\"]},"
	 "{\"metric\":{},\"value\":[17e8,\"NaN\"]}]}}"),
	/* another order of keys (through a tree) */
	("{\"data\":{\"result\":[{\"value\":[1700000000.5,\"0.25\"],"
	 "\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"}},"
	 "{\"metric\":{},\"value\":[1700000000,\"NaN\"]}],\"resultType\":\"vector\"},"
	 "\"status\":\"success\"}"),
	/* an error answer, and a bad sample after good ones */
	"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}",
	("{\"status\": \"success\", \"data\": {\"resultType\": \"vector\", \"result\": ["
	 "{\"metric\":{\"a\":\"b\"},\"value\":[1,\"1\"]},{\"metric\":{},\"value\":[1,\"x\"]}]}}"),
};

/* Whether rc is a clean answer to a failed allocation: BR_ENOMEM, or the
 * one case the parser cannot tell apart: jansson (2.14) reports a string
 * its lexer could not allocate as a syntax error, which the parser passes
 * on as "answer is not JSON". */
static int out_of_memory(int rc, const struct br_error *err)
{
	return rc == BR_ENOMEM || (rc == BR_EPARSE && strstr(err->text, "answer is not JSON"));
}

/* Fails the 0th, 1st, ... allocation of parsing body until one parse makes
 * no more allocations than the one failed: each must give the normal answer
 * or a clean out-of-memory error, leave the vector empty on failure, and
 * leak nothing (ASan). */
static void fail_every_vector_allocation(const char *body)
{
	struct br_prom_vector want;
	struct br_error err;
	int want_rc = br_prom_parse_vector(body, strlen(body), 200, &want, NULL);

	for (long n = 0;; n++) {
		struct br_prom_vector v;
		int rc;

		br_error_init(&err);
		allocations = 0;
		failing_after = n;
		rc = br_prom_parse_vector(body, strlen(body), 200, &v, &err);
		failing_after = -1;
		if (rc != want_rc && !out_of_memory(rc, &err))
			fail_msg("allocation %ld failed: got %s (%s)", n, br_code_name(rc), err.text);
		if (rc != 0) {
			assert_int_equal(v.count, 0);
			assert_null(v.samples);
			assert_int_equal(err.code, rc);
		} else {
			assert_int_equal(v.count, want.count);
		}
		br_prom_vector_release(&v);
		if (allocations <= n) {
			assert_int_equal(rc, want_rc); /* nothing failed: the normal answer */
			break;
		}
	}
	br_prom_vector_release(&want);
}

static void fail_every_matrix_allocation(const char *body)
{
	struct br_prom_matrix want;
	int want_rc = br_prom_parse_matrix(body, strlen(body), 200, &want, NULL);

	for (long n = 0;; n++) {
		struct br_prom_matrix m;
		struct br_error err;
		int rc;

		br_error_init(&err);
		allocations = 0;
		failing_after = n;
		rc = br_prom_parse_matrix(body, strlen(body), 200, &m, &err);
		failing_after = -1;
		if (rc != want_rc && !out_of_memory(rc, &err))
			fail_msg("allocation %ld failed: got %s (%s)", n, br_code_name(rc), err.text);
		if (rc != 0) {
			assert_int_equal(m.count, 0);
			assert_null(m.series);
			assert_int_equal(err.code, rc);
		} else {
			assert_int_equal(m.count, want.count);
		}
		br_prom_matrix_release(&m);
		if (allocations <= n) {
			assert_int_equal(rc, want_rc);
			break;
		}
	}
	br_prom_matrix_release(&want);
}

static void test_allocation_failures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(alloc_bodies) / sizeof(alloc_bodies[0]); i++)
		fail_every_vector_allocation(alloc_bodies[i]);
	fail_every_matrix_allocation(
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		"{\"metric\":{\"job\":\"a\"},\"values\":[[3600,\"10\"],[7200,\"NaN\"]]},"
		"{\"metric\":{},\"values\":[]}]}}");
	fail_every_matrix_allocation(
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		"{\"metric\":{\"job\":\"a\"},\"values\":[[3600,\"10\"],[7200,\"no\"]]}]}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_vector),
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_parse_matrix),
		cmocka_unit_test(test_parse_matrix_refuses),
		cmocka_unit_test(test_parse_vector_body),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
