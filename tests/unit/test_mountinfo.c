/* Unit tests for /proc/self/mountinfo parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mountinfo.h"

static void test_fuse_line(void **state)
{
	struct mountinfo_entry *entry = mountinfo_parse_line(
		"512 28 0:57 / /mnt/my\\040disk rw,nosuid,nodev,relatime "
		"shared:290 - fuse.memfs fusehost:scratch rw,user_id=0");

	(void)state;
	assert_non_null(entry);
	assert_int_equal(entry->mount_id, 512);
	assert_int_equal(entry->major, 0);
	assert_int_equal(entry->minor, 57);
	assert_string_equal(entry->mountpoint, "/mnt/my disk");
	assert_string_equal(entry->fstype, "fuse.memfs");
	assert_string_equal(entry->source, "fusehost:scratch");
	assert_true(mountinfo_is_fuse(entry));
	mountinfo_entry_free(entry);
}

static void test_no_optional_fields(void **state)
{
	struct mountinfo_entry *entry = mountinfo_parse_line(
		"25 1 254:0 / / rw,relatime - ext4 /dev/vda rw");

	(void)state;
	assert_non_null(entry);
	assert_string_equal(entry->mountpoint, "/");
	assert_string_equal(entry->fstype, "ext4");
	assert_false(mountinfo_is_fuse(entry));
	mountinfo_entry_free(entry);
}

static void test_malformed(void **state)
{
	(void)state;
	assert_null(mountinfo_parse_line(""));
	assert_null(mountinfo_parse_line("1 2 3"));
	assert_null(mountinfo_parse_line("1 2 x / /a rw - ext4 /dev/x rw"));
	assert_null(mountinfo_parse_line("1 2 0:1 / /a rw shared:1"));
}

static void test_find_top_of_stack(void **state)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func(
		(GDestroyNotify)mountinfo_entry_free);

	(void)state;
	g_ptr_array_add(entries, mountinfo_parse_line(
					 "30 1 0:40 / /m rw - fuse.a a rw"));
	g_ptr_array_add(entries, mountinfo_parse_line(
					 "31 1 0:41 / /other rw - tmpfs t rw"));
	g_ptr_array_add(entries, mountinfo_parse_line(
					 "32 30 0:42 / /m rw - fuse.b b rw"));
	assert_int_equal(mountinfo_find_top(entries, "/m")->mount_id, 32);
	assert_null(mountinfo_find_top(entries, "/none"));
	assert_int_equal(mountinfo_find_id(entries, 31)->minor, 41);
	assert_null(mountinfo_find_id(entries, 99));
	g_ptr_array_unref(entries);
}

static void test_reads_own_table(void **state)
{
	GPtrArray *entries = mountinfo_read();

	(void)state;
	assert_non_null(entries);
	assert_non_null(mountinfo_find_top(entries, "/"));
	g_ptr_array_unref(entries);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuse_line),
		cmocka_unit_test(test_no_optional_fields),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_find_top_of_stack),
		cmocka_unit_test(test_reads_own_table),
	};

	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
