/* test_text: digit values, UTF-8 encoding and validity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "text/text.h"

static void test_digit(void **state)
{
	(void)state;
	assert_int_equal(br_text_digit('0'), 0);
	assert_int_equal(br_text_digit('9'), 9);
	assert_int_equal(br_text_digit('a'), 10);
	assert_int_equal(br_text_digit('F'), 15);
	assert_int_equal(br_text_digit('g'), -1);
	assert_int_equal(br_text_digit('G'), -1);
	assert_int_equal(br_text_digit(' '), -1);
	assert_int_equal(br_text_digit('\0'), -1);
	assert_int_equal(br_text_digit('/'), -1);
	assert_int_equal(br_text_digit(':'), -1);
	assert_int_equal(br_text_digit((char)0xB0), -1);
}

static void test_utf8_encode(void **state)
{
	static const struct {
		uint32_t cp;
		const char *want;
	} cases[] = {
		{0x41, "A"}, {0x7F, "\x7f"}, {0x80, "\xc2\x80"}, {0xE9, "\xc3\xa9"},
		{0x7FF, "\xdf\xbf"}, {0x800, "\xe0\xa0\x80"}, {0x20AC, "\xe2\x82\xac"},
		{0xFFFF, "\xef\xbf\xbf"}, {0x10000, "\xf0\x90\x80\x80"},
		{0x1F600, "\xf0\x9f\x98\x80"}, {0x10FFFF, "\xf4\x8f\xbf\xbf"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[4];
		size_t n = br_text_utf8_encode(cases[i].cp, out);

		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
		assert_true(br_text_utf8_valid(out, n));
	}
}

static void test_utf8_valid(void **state)
{
	static const char *const good[] = {
		"", "plain ASCII", "caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80",
		"\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
		"\x80", "a\xbf", "\xc3", "\xe2\x82", "\xf0\x9f\x98",  /* stray, cut short */
		"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", /* overlong */
		"\xed\xa0\x80", "\xed\xbf\xbf",                    /* surrogates */
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", /* past U+10FFFF */
		"\xc3\x28", "\xe2\x28\xa1",                        /* bad continuation */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!br_text_utf8_valid(good[i], strlen(good[i])))
			fail_msg("good[%zu] refused", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (br_text_utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("bad[%zu] accepted", i);
	/* a NUL is a character like any other; the length is what counts */
	assert_true(br_text_utf8_valid("a\0b", 3));
	assert_false(br_text_utf8_valid("\xc3\xa9", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digit),
		cmocka_unit_test(test_utf8_encode),
		cmocka_unit_test(test_utf8_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
