/* Tests for pkg/buf: appends, the cap, sticky failure, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf/buf.h"
#include "errors/errors.h"

static void test_appends(void **state)
{
	struct br_buf b;

	(void)state;
	br_buf_init(&b, 1024);
	assert_string_equal(br_buf_str(&b), "");
	assert_int_equal(br_buf_adds(&b, "rate("), 0);
	assert_int_equal(br_buf_addf(&b, "%s[%dm]", "x", 5), 0);
	assert_int_equal(br_buf_addc(&b, ')'), 0);
	assert_string_equal(br_buf_str(&b), "rate(x[5m])");
	assert_int_equal(b.len, strlen("rate(x[5m])"));
	br_buf_reset(&b);
	assert_string_equal(br_buf_str(&b), "");
	assert_int_equal(br_buf_add(&b, "ab\0c", 4), 0);
	assert_int_equal(b.len, 4);
	br_buf_release(&b);
	assert_null(b.data);
}

static void test_growth_many_appends(void **state)
{
	struct br_buf b;
	int i;

	(void)state;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	for (i = 0; i < 10000; i++)
		assert_int_equal(br_buf_addf(&b, "%04d", i % 10000), 0);
	assert_int_equal(b.len, 40000);
	assert_memory_equal(b.data + 39996, "9999", 4);
	assert_int_equal(b.data[b.len], '\0');
	br_buf_release(&b);
}

/* A chain of appends checked once must never leave a partial string. */
static void test_cap_failure_is_sticky(void **state)
{
	struct br_buf b;

	(void)state;
	br_buf_init(&b, 8);
	assert_int_equal(br_buf_adds(&b, "12345678"), 0);
	assert_int_equal(br_buf_addc(&b, '9'), BR_ENOMEM);
	assert_null(b.data);
	assert_true(b.failed);
	assert_int_equal(br_buf_adds(&b, "ok"), BR_ENOMEM);
	assert_int_equal(br_buf_addf(&b, "%d", 1), BR_ENOMEM);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_null(br_buf_detach(&b));
	assert_false(b.failed);
	br_buf_addc(&b, 'x');
	br_buf_adds(&b, "123456789");
	assert_true(b.failed);
	br_buf_reset(&b);
	assert_false(b.failed);
	assert_int_equal(br_buf_adds(&b, "ok"), 0);
	assert_string_equal(br_buf_str(&b), "ok");
	br_buf_release(&b);
}

static void test_overflowing_length(void **state)
{
	struct br_buf b;

	(void)state;
	br_buf_init(&b, SIZE_MAX);
	assert_int_equal(br_buf_adds(&b, "x"), 0);
	assert_int_equal(br_buf_add(&b, "y", SIZE_MAX), BR_ENOMEM);
	assert_null(b.data);
	br_buf_release(&b);
}

static void test_detach(void **state)
{
	struct br_buf b;
	char *s;

	(void)state;
	br_buf_init(&b, 64);
	s = br_buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	br_buf_adds(&b, "owned");
	s = br_buf_detach(&b);
	assert_string_equal(s, "owned");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_growth_many_appends),
		cmocka_unit_test(test_cap_failure_is_sticky),
		cmocka_unit_test(test_overflowing_length),
		cmocka_unit_test(test_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
