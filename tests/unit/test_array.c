/* test_array: growing by doubling, overflow, and a failed allocation that
 * leaves the array as it was. */
#define _GNU_SOURCE /* RTLD_NEXT, for failalloc.h */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "array/array.h"

#include "failalloc.h"

static void test_grow(void **state)
{
	int *items = NULL, *p;
	size_t cap = 0;

	(void)state;
	p = br_array_grow(items, sizeof(*items), 1, &cap);
	assert_non_null(p);
	assert_int_equal(cap, 8);
	items = p;
	for (int i = 0; i < 100; i++) {
		p = br_array_grow(items, sizeof(*items), (size_t)i + 1, &cap);
		assert_non_null(p);
		items = p;
		items[i] = i;
	}
	assert_int_equal(cap, 128); /* 8, 16, 32, 64, 128 */
	for (int i = 0; i < 100; i++)
		assert_int_equal(items[i], i);
	/* room already: the same block, the same capacity */
	assert_ptr_equal(br_array_grow(items, sizeof(*items), 128, &cap), items);
	assert_int_equal(cap, 128);
	/* a jump past twice the capacity takes what is needed */
	p = br_array_grow(items, sizeof(*items), 1000, &cap);
	assert_non_null(p);
	assert_int_equal(cap, 1000);
	free(p);
}

static void test_failures(void **state)
{
	int *items = NULL, *p;
	size_t cap = 0;

	(void)state;
	items = br_array_grow(items, sizeof(*items), 3, &cap);
	assert_non_null(items);
	items[2] = 42;
	/* a size that would overflow */
	assert_null(br_array_grow(items, SIZE_MAX / 2, 9, &cap));
	assert_int_equal(cap, 8);
	/* out of memory: items untouched and still ours */
	failing_after = 0;
	p = br_array_grow(items, sizeof(*items), 9, &cap);
	failing_after = -1;
	assert_null(p);
	assert_int_equal(cap, 8);
	assert_int_equal(items[2], 42);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
