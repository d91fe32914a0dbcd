/* The daemon under valgrind's memcheck through a whole life: start, I/O
 * on two mounts, a reload that adds and removes a mount, and stop.
 * Nothing may be definitely lost and memcheck must report no error. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void test_memcheck_start_io_reload_stop(void **state)
{
	/* Valgrind cannot run a sanitized build; that build checks for
	 * leaks itself. */
	if (test_sanitized())
		skip();

	char *dir = test_dir_create();
	char *config = test_path(dir, "fusehost.conf");
	char *reloaded = test_path(dir, "reloaded.conf");
	char *scratch = test_subdir(dir, "scratch");
	char *hello = test_subdir(dir, "hello");
	char *extra = test_subdir(dir, "extra");
	char *log = test_path(dir, "valgrind.log");
	char *first = g_strdup_printf(
		"[daemon]\nmetrics-listen =\ncontrol-socket =\n"
		"[mount scratch]\nplugin = memfs\nmountpoint = %s\n"
		"[mount hello]\nplugin = hello\nmountpoint = %s\n",
		scratch, hello);
	char *second = g_strdup_printf(
		"[daemon]\nmetrics-listen =\ncontrol-socket =\n"
		"[mount scratch]\nplugin = memfs\nmountpoint = %s\n"
		"[mount extra]\nplugin = hello\nmountpoint = %s\n",
		scratch, extra);
	/* The command runs as the daemon's child: $PPID is the daemon. */
	char *command = g_strdup_printf(
		"set -e; head -c 3000000 /dev/urandom > %s/data; "
		"cmp %s/data %s/data; cat %s/hello %s/whoami >/dev/null; "
		"cp %s %s; kill -HUP $PPID; "
		"for i in $(seq 100); do [ -e %s/hello ] && break; sleep 0.1; "
		"done; cat %s/hello >/dev/null; mkdir %s/d; mv %s/data %s/d/; "
		"ls -lR %s >/dev/null",
		scratch, scratch, scratch, hello, hello, reloaded, config,
		extra, extra, scratch, scratch, scratch, scratch);
	int status;

	(void)state;
	test_write_file(config, first);
	test_write_file(reloaded, second);
	status = test_shell(
		"valgrind --quiet --leak-check=full "
		"--errors-for-leak-kinds=definite --error-exitcode=99 "
		/* Relative: the tests run from the top directory. */
		"--suppressions=tests/valgrind.supp "
		"--log-file=%s %s -c %s --plugin-dir %s --run '%s' "
		">/dev/null 2>&1",
		log, test_fusehostd_path(), config, test_plugin_dir(), command);
	if (status != 0) {
		char *text = test_read_file(log);

		/* Not print_error(), whose buffer cuts a long log short. */
		fprintf(stderr, "valgrind log:\n%s\n", text ? text : "(none)");
		g_free(text);
	}
	assert_int_equal(status, 0);
	assert_false(is_fuse_mounted(scratch));
	g_free(command);
	g_free(second);
	g_free(first);
	g_free(log);
	g_free(extra);
	g_free(hello);
	g_free(scratch);
	g_free(reloaded);
	g_free(config);
	test_dir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcheck_start_io_reload_stop),
	};

	return cmocka_run_group_tests_name("memcheck", tests, NULL, NULL);
}
