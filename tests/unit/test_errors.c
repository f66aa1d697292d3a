/* Tests for pkg/errors: the code table, first error wins, formatting, lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errors/errors.h"

static void test_code_table(void **state)
{
	int c;

	(void)state;
	assert_string_equal(br_code_name(BR_OK), "OK");
	assert_string_equal(br_code_name(BR_EGONE), "EGONE");
	assert_string_equal(br_strerror(BR_ENOMEM), "out of memory");
	assert_string_equal(br_code_name(-999), "EUNKNOWN");
	assert_string_equal(br_code_name(7), "EUNKNOWN");
	for (c = 0; c > -BR_ERROR_COUNT_; c--) {
		assert_non_null(br_code_name(c));
		assert_string_not_equal(br_code_name(c), "EUNKNOWN");
		assert_string_not_equal(br_strerror(c), "unknown error");
	}
	/* the table's last line, and nothing after it */
	assert_string_equal(br_code_name(BR_ELIMIT), "ELIMIT");
	assert_string_equal(br_strerror(BR_ELIMIT), "limit exceeded");
	assert_string_equal(br_code_name(-BR_ERROR_COUNT_), "EUNKNOWN");
}

static void test_first_error_wins(void **state)
{
	struct br_error e;

	(void)state;
	br_error_init(&e);
	assert_int_equal(br_error_set_at(&e, BR_EINVAL, "spec.objective", 7, 14,
					 "must be less than 100, got %g", 100.0),
			 BR_EINVAL);
	assert_int_equal(br_error_set(&e, BR_ENOMEM, "later"), BR_ENOMEM);
	assert_int_equal(e.code, BR_EINVAL);
	br_error_set_file(&e, "slo.yaml");
	br_error_set_file(&e, "other.yaml");
	assert_string_equal(e.file, "slo.yaml");
	assert_int_equal(br_error_set(NULL, BR_EIO, "no record"), BR_EIO);
}

static void test_format(void **state)
{
	struct br_error e;
	char out[2048];

	(void)state;
	br_error_init(&e);
	br_error_set_at(&e, BR_EINVAL, "spec.window", 3, 11, "does not parse");
	br_error_set_file(&e, "a.yaml");
	assert_string_equal(br_error_format(&e, out, sizeof(out)),
			    "a.yaml:3:11: spec.window: does not parse");
	br_error_init(&e);
	br_error_set(&e, BR_ETLS, "certificate verify failed");
	assert_string_equal(br_error_format(&e, out, sizeof(out)), "certificate verify failed");
	br_error_format(&e, out, 5);
	assert_string_equal(out, "cert");
}

static void test_problems(void **state)
{
	struct br_problems p;
	struct br_error e;
	int i;

	(void)state;
	br_problems_init(&p);
	for (i = 0; i < 100; i++) {
		br_error_init(&e);
		br_error_set(&e, BR_EINVAL, "problem %d", i);
		assert_int_equal(br_problems_add(&p, &e), 0);
	}
	assert_int_equal(p.count, 100);
	assert_string_equal(p.items[99].text, "problem 99");
	br_problems_release(&p);
	assert_int_equal(p.count, 0);
	assert_null(p.items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_table),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_problems),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
