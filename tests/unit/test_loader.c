/* Unit tests for the plugin loader against deliberately broken plugins that
 * the test build makes (tests/plugins/), and the shipped hello plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static const char *test_plugin_dir(void)
{
	const char *dir = getenv("FUSEHOST_TEST_PLUGIN_DIR");

	return dir ? dir : "build/tests/plugins";
}

static const char *shipped_plugin_dir(void)
{
	const char *dir = getenv("FUSEHOST_PLUGIN_DIR");

	return dir ? dir : "build/plugins";
}

/* Loading must fail with a message containing every given piece. */
static void assert_load_fails(const char *spec, const char *dir, ...)
{
	char *error = NULL;
	struct plugin *plugin = plugin_load(spec, dir, true, &error);
	va_list pieces;
	const char *piece;

	if (plugin)
		fail_msg("plugin %s loaded but should not", spec);
	assert_non_null(error);
	assert_null(strchr(error, '\n'));
	va_start(pieces, dir);
	while ((piece = va_arg(pieces, const char *))) {
		if (!strstr(error, piece))
			fail_msg("error '%s' lacks '%s'", error, piece);
	}
	va_end(pieces);
	g_free(error);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_load_fails("nonexistent", "/no/such/dir",
			  "/no/such/dir/nonexistent.so", "does not exist",
			  NULL);
}

static void test_invalid_name(void **state)
{
	(void)state;
	assert_load_fails("../escape", test_plugin_dir(),
			  "invalid plugin name '../escape'", NULL);
}

static void test_not_elf(void **state)
{
	char *dir = g_dir_make_tmp("fusehost-loader-XXXXXX", NULL);
	char *path = g_build_filename(dir, "text.so", NULL);

	(void)state;
	assert_true(g_file_set_contents(path, "not a shared object\n", -1,
					NULL));
	assert_load_fails(path, "/unused", "cannot load plugin", path, NULL);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void test_no_descriptor_symbol(void **state)
{
	(void)state;
	assert_load_fails("broken_nosymbol", test_plugin_dir(),
			  "broken_nosymbol.so is not a fusehost plugin",
			  "fusehost_plugin_register", NULL);
}

static void test_unknown_abi(void **state)
{
	(void)state;
	assert_load_fails("broken_abi", test_plugin_dir(), "broken_abi.so",
			  "built for plugin ABI 2.", "supports ABI 1.x", NULL);
}

static void test_truncated_descriptor(void **state)
{
	(void)state;
	assert_load_fails("broken_truncated", test_plugin_dir(),
			  "broken_truncated.so", "16-byte descriptor", NULL);
}

/* A plugin built against a later 1.x header loads as long as it leaves
 * what was added since at zero; setting any of it is refused, naming
 * what is missing. */
static void test_later_abi_minor(void **state)
{
	char *error = NULL;
	struct plugin *plugin;

	(void)state;
	plugin = plugin_load("newer_abi", test_plugin_dir(), true, &error);
	if (!plugin)
		fail_msg("newer_abi did not load: %s", error);
	assert_non_null(plugin->operations.getattr);
	plugin_unload(plugin);
	assert_load_fails("newer_abi_field", test_plugin_dir(),
			  "newer_abi_field.so is built for plugin ABI 1.1",
			  "sets descriptor fields this fusehostd (ABI 1.0) "
			  "does not know",
			  NULL);
	assert_load_fails("newer_abi_operation", test_plugin_dir(),
			  "newer_abi_operation.so sets operations past the",
			  "libfuse 3.14", "cannot call", NULL);
}

static void test_no_getattr(void **state)
{
	(void)state;
	assert_load_fails("broken_nogetattr", test_plugin_dir(),
			  "broken_nogetattr.so", "no getattr", NULL);
}

/* Option names are what a config key looks like, and an option is
 * either required or has a default. */
static void test_bad_option_declarations(void **state)
{
	(void)state;
	assert_load_fails("broken_optname", test_plugin_dir(),
			  "broken_optname.so", "invalid option name 'Bad_Name'",
			  "[a-z0-9-]+", NULL);
	assert_load_fails("broken_optdefault", test_plugin_dir(),
			  "broken_optdefault.so", "option 'store' both "
			  "required and with a default", NULL);
}

static void test_loads_hello(void **state)
{
	char *error = NULL;
	struct plugin *plugin = plugin_load("hello", shipped_plugin_dir(),
					    true, &error);
	char *description;

	(void)state;
	assert_null(error);
	assert_non_null(plugin);
	assert_string_equal(plugin->descriptor.name, "hello");
	assert_int_equal(plugin->descriptor.abi_major, FUSEHOST_ABI_MAJOR);
	assert_ptr_equal(plugin->descriptor.operations, &plugin->operations);
	assert_non_null(plugin->operations.getattr);
	assert_null(plugin->operations.write);
	assert_null(plugin->serialize_lock);
	description = plugin_describe(plugin);
	assert_non_null(strstr(description, "greeting\n"));
	assert_non_null(strstr(description, "default: Hello, world!"));
	assert_non_null(strstr(description, "thread model: parallel"));
	g_free(description);
	plugin_unload(plugin);
}

/* A plugin written in C++ exports the same unmangled symbol. */
static void test_loads_cplusplus(void **state)
{
	char *error = NULL;
	struct plugin *plugin = plugin_load("cplusplus", test_plugin_dir(),
					    true, &error);

	(void)state;
	assert_null(error);
	assert_non_null(plugin);
	assert_string_equal(plugin->descriptor.name, "cplusplus");
	assert_non_null(plugin->operations.getattr);
	plugin_unload(plugin);
}

static void test_serialized_plugin_shares_one_lock(void **state)
{
	char *error = NULL;
	struct plugin *first = plugin_load("concurrency_serial",
					   test_plugin_dir(), true, &error);
	struct plugin *second = plugin_load("concurrency_serial",
					    test_plugin_dir(), true, &error);

	(void)state;
	assert_non_null(first);
	assert_non_null(second);
	assert_non_null(first->serialize_lock);
	assert_ptr_equal(first->serialize_lock, second->serialize_lock);
	plugin_unload(first);
	plugin_unload(second);
}

static void test_absolute_path(void **state)
{
	char *path = g_strdup_printf("%s/hello.so", shipped_plugin_dir());
	char *absolute = g_canonicalize_filename(path, NULL);
	char *error = NULL;
	struct plugin *plugin = plugin_load(absolute, "/ignored", true, &error);

	(void)state;
	assert_non_null(plugin);
	assert_string_equal(plugin->path, absolute);
	plugin_unload(plugin);
	g_free(absolute);
	g_free(path);
}

/* A plugin others could change is refused, naming the culprit and the
 * fix; the check can be turned off. */
static void test_untrusted_plugin_refused(void **state)
{
	char *dir = g_dir_make_tmp("fusehost-trust-XXXXXX", NULL);
	char *copy = g_build_filename(dir, "hello.so", NULL);
	char *command = g_strdup_printf("cp %s/hello.so %s",
					shipped_plugin_dir(), copy);
	char *error = NULL;
	struct plugin *plugin;
	char *problem;

	(void)state;
	assert_int_equal(system(command), 0);
	assert_int_equal(chmod(copy, 0666), 0);
	assert_load_fails(copy, "/unused", "refusing plugin", copy,
			  "is writable by others (mode 0666)",
			  "fix: chmod go-w", "insecure-plugins", NULL);
	assert_int_equal(chmod(copy, 0644), 0);
	assert_int_equal(chown(copy, 65534, 0), 0);
	assert_load_fails(copy, "/unused", "is owned by uid 65534, not root",
			  "fix: chown root", NULL);
	assert_int_equal(chown(copy, 0, 0), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_load_fails(copy, "/unused", "directory", dir,
			  "is writable by its group", NULL);
	problem = g_strdup_printf("directory %s (above %s) is writable", dir,
				  copy);
	assert_load_fails(copy, "/unused", problem, NULL);
	g_free(problem);
	plugin = plugin_load(copy, "/unused", false, &error);
	assert_non_null(plugin);
	plugin_unload(plugin);
	assert_int_equal(chmod(dir, 0700), 0);
	plugin = plugin_load(copy, "/unused", true, &error);
	assert_non_null(plugin);
	plugin_unload(plugin);
	g_unlink(copy);
	g_rmdir(dir);
	g_free(command);
	g_free(copy);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_invalid_name),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_no_descriptor_symbol),
		cmocka_unit_test(test_unknown_abi),
		cmocka_unit_test(test_later_abi_minor),
		cmocka_unit_test(test_truncated_descriptor),
		cmocka_unit_test(test_no_getattr),
		cmocka_unit_test(test_bad_option_declarations),
		cmocka_unit_test(test_loads_hello),
		cmocka_unit_test(test_loads_cplusplus),
		cmocka_unit_test(test_serialized_plugin_shares_one_lock),
		cmocka_unit_test(test_absolute_path),
		cmocka_unit_test(test_untrusted_plugin_refused),
	};

	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
