/* Unit tests for the value parsers: sizes, booleans, integers, names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "options.h"

static void test_sizes(void **state)
{
	uint64_t size = 0;

	(void)state;
	assert_int_equal(parse_size("4096", &size), 0);
	assert_int_equal(size, 4096);
	assert_int_equal(parse_size("64K", &size), 0);
	assert_int_equal(size, 64 * 1024);
	assert_int_equal(parse_size("64m", &size), 0);
	assert_int_equal(size, 64ULL << 20);
	assert_int_equal(parse_size("1G", &size), 0);
	assert_int_equal(size, 1ULL << 30);
	assert_int_equal(parse_size("2TiB", &size), 0);
	assert_int_equal(size, 2ULL << 40);
	assert_int_equal(parse_size("3MB", &size), 0);
	assert_int_equal(size, 3ULL << 20);
	assert_int_equal(parse_size("0", &size), 0);
	assert_int_equal(size, 0);
}

static void test_bad_sizes(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 G", "1X", "G", "1.5G", "1GG",
		"18446744073709551616", "17179869184G", "0x10",
	};
	uint64_t size = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_size(bad[i], &size), -EINVAL);
		assert_int_equal(size, 7);
	}
}

static void test_bools(void **state)
{
	static const char *const truths[] = { "true", "TRUE", "yes", "on", "1" };
	static const char *const falsehoods[] = { "false", "No", "off", "0" };
	bool value;

	(void)state;
	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		value = false;
		assert_int_equal(parse_bool(truths[i], &value), 0);
		assert_true(value);
	}
	for (size_t i = 0; i < sizeof(falsehoods) / sizeof(falsehoods[0]);
	     i++) {
		value = true;
		assert_int_equal(parse_bool(falsehoods[i], &value), 0);
		assert_false(value);
	}
	assert_int_equal(parse_bool("maybe", &value), -EINVAL);
	assert_int_equal(parse_bool("", &value), -EINVAL);
	assert_int_equal(parse_bool("true ", &value), -EINVAL);
}

static void test_integers(void **state)
{
	int64_t value = 0;

	(void)state;
	assert_int_equal(parse_int64("10", &value), 0);
	assert_int_equal(value, 10);
	assert_int_equal(parse_int64("-3", &value), 0);
	assert_int_equal(value, -3);
	assert_int_equal(parse_int64("", &value), -EINVAL);
	assert_int_equal(parse_int64(" 4", &value), -EINVAL);
	assert_int_equal(parse_int64("4x", &value), -EINVAL);
	assert_int_equal(parse_int64("99999999999999999999", &value),
			 -EINVAL);
	assert_int_equal(value, -3);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(is_valid_name("scratch"));
	assert_true(is_valid_name("a.b_c-D9"));
	assert_false(is_valid_name(""));
	assert_false(is_valid_name("."));
	assert_false(is_valid_name(".."));
	assert_false(is_valid_name("a/b"));
	assert_false(is_valid_name("a b"));
	assert_true(is_valid_name("x123456789x123456789x123456789x123456789"
				  "x123456789x123456789x123"));
	assert_false(is_valid_name("x123456789x123456789x123456789x123456789"
				   "x123456789x123456789x1234"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),   cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_bools),   cmocka_unit_test(test_integers),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
