/* Integration tests of fusehostd's command line (-t, --plugin-info,
 * --dump-config, --help, --version), of `make install`, and of building an
 * out-of-tree plugin with pkg-config against the installed header. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct cli_fixture {
	char *dir;
	char *config;
	char *output; /* stdout and stderr of the last run */
};

static int setup(void **state)
{
	struct cli_fixture *fixture = g_new0(struct cli_fixture, 1);

	fixture->dir = test_dir_create();
	fixture->config = test_path(fixture->dir, "fusehost.conf");
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct cli_fixture *fixture = *state;

	test_dir_remove(fixture->dir);
	g_free(fixture->config);
	g_free(fixture->output);
	g_free(fixture);
	return 0;
}

/* Run fusehostd with `arguments` (shell words); returns its exit status
 * and keeps what it printed in fixture->output. */
static int run_fusehostd(struct cli_fixture *fixture, const char *arguments)
{
	char *output_path = test_path(fixture->dir, "output");
	int status = test_shell("%s %s >%s 2>&1", test_fusehostd_path(),
				arguments, output_path);

	g_free(fixture->output);
	fixture->output = test_read_file(output_path);
	g_free(output_path);
	return status;
}

static void assert_output_has(const struct cli_fixture *fixture, const char *text)
{
	if (!strstr(fixture->output, text))
		fail_msg("output lacks '%s':\n%s", text, fixture->output);
}

static char *hello_config(struct cli_fixture *fixture, const char *extra)
{
	char *mountpoint = test_subdir(fixture->dir, "hello");
	char *text = g_strdup_printf("[mount hello]\nplugin = hello\n"
				     "mountpoint = %s\n%s",
				     mountpoint, extra ? extra : "");

	test_write_file(fixture->config, text);
	g_free(text);
	return mountpoint;
}

/* fusehostd -t on the fixture's config and the plugins under test. */
static int run_check(struct cli_fixture *fixture)
{
	char *arguments = g_strdup_printf("-t -c %s --plugin-dir %s",
					  fixture->config, test_plugin_dir());
	int status = run_fusehostd(fixture, arguments);

	g_free(arguments);
	return status;
}

static void test_check_valid_config(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = hello_config(fixture, NULL);

	assert_int_equal(run_check(fixture), 0);
	assert_output_has(fixture, "configuration is valid (1 mount)");
	assert_false(is_fuse_mounted(mountpoint));
	g_free(mountpoint);
}

/* -t says what a start would: options = rw on a plugin that changes
 * nothing does not apply (a warning; the configuration is valid). */
static void test_check_warns_rw_on_read_only_plugin(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = hello_config(fixture, "options = rw\n");

	assert_int_equal(run_check(fixture), 0);
	assert_output_has(fixture, "[mount hello] options: rw does not "
				   "apply: plugin hello changes nothing");
	assert_output_has(fixture, "configuration is valid (1 mount)");
	g_free(mountpoint);
}

/* -t reports every problem at once, each naming file, group and key,
 * the mounts' own even when the file has problems of its own. */
static void test_check_reports_each_problem(void **state)
{
	struct cli_fixture *fixture = *state;
	char *twice = g_strdup_printf("[mount twice]\nplugin = hello\n"
				      "mountpoint = %s/hello\n",
				      fixture->dir);
	char *extra = g_strconcat("greting = hi\n"
				  "options = no_such_fuse_option\n"
				  "[mount gone]\nplugin = hello\n"
				  "mountpoint = /nonexistent/dir\n",
				  twice, NULL);
	char *mountpoint = hello_config(fixture, extra);
	char *prefix = g_strdup_printf("error: %s: [mount hello] ",
				       fixture->config);

	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, prefix);
	assert_output_has(fixture, "[mount hello] greting: unknown key "
				   "(did you mean 'greeting'?)");
	assert_output_has(fixture, "[mount hello] options: libfuse does not "
				   "accept 'no_such_fuse_option'");
	assert_output_has(fixture, "unknown option");
	assert_output_has(fixture, "[mount gone] mountpoint: mountpoint "
				   "/nonexistent/dir does not exist");
	assert_output_has(fixture, "[mount twice] mountpoint: ");
	assert_output_has(fixture, "is also the mountpoint of [mount hello]");
	assert_null(strstr(fixture->output, "is valid"));
	g_free(extra);
	g_free(twice);
	g_free(prefix);
	g_free(mountpoint);
}

/* An option fusehostd refuses is said once, with the reason: libfuse is
 * not asked as well, which would add its own failure to load a module
 * and a line that says less. */
static void test_check_refused_option_said_once(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = hello_config(fixture,
					"options = ro,modules=subdir\n");

	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "[mount hello] options: modules= is not "
				   "supported");
	if (strstr(fixture->output, "libfuse does not accept") ||
	    strstr(fixture->output, "libfusemod"))
		fail_msg("-t said more than one line:\n%s", fixture->output);
	g_free(mountpoint);
}

/* A value only the plugin can judge is judged by the plugin: -t opens an
 * instance (in a process of its own) and reports its refusal. */
static void test_check_asks_the_plugin(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *other = test_subdir(fixture->dir, "p");
	char *text = g_strdup_printf("[mount m]\nplugin = memfs\n"
				     "mountpoint = %s\nsize = 64Q\n"
				     "[mount p]\nplugin = passthrough\n"
				     "mountpoint = %s\n"
				     "root = /nonexistent-root\n",
				     mountpoint, other);

	test_write_file(fixture->config, text);
	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "[mount m] plugin memfs refuses this "
				   "configuration: option size: '64Q' is not "
				   "a size");
	assert_output_has(fixture, "[mount p] plugin passthrough refuses "
				   "this configuration: root "
				   "/nonexistent-root: No such file or "
				   "directory\n");
	assert_null(strstr(fixture->output, "is valid"));
	assert_false(is_fuse_mounted(mountpoint));
	g_free(text);
	g_free(other);
	g_free(mountpoint);
}

/* A plugin option's value that the host's typed reader cannot parse is
 * said once, in the line that says the plugin refuses it, with its file,
 * mount, key and value: by -t, and by a start, whether the mount is
 * served in a thread or in a process. */
static void test_bad_plugin_value_said_once(void **state)
{
	struct cli_fixture *fixture = *state;
	char *memfs_point = test_subdir(fixture->dir, "m");
	char *process_point = test_subdir(fixture->dir, "i");
	char *mirror_point = test_subdir(fixture->dir, "p");
	char *text = g_strdup_printf(
		"[daemon]\ncontrol-socket =\nmetrics-listen =\n"
		"[mount m]\nplugin = memfs\nmountpoint = %s\nsize = 1.5G\n"
		"[mount i]\nplugin = memfs\nmountpoint = %s\nsize = -5M\n"
		"isolation = process\n"
		"[mount p]\nplugin = passthrough\nmountpoint = %s\n"
		"root = %s\nwriteback = maybe\n",
		memfs_point, process_point, mirror_point, fixture->dir);
	char *line = g_strdup_printf(
		"error: %s: [mount m] plugin memfs refuses this configuration: "
		"option size: '1.5G' is not a size in bytes (such as 4096, 64M "
		"or 1G)\n",
		fixture->config);
	char *arguments = g_strdup_printf("-c %s --plugin-dir %s --run true",
					  fixture->config, test_plugin_dir());

	test_write_file(fixture->config, text);
	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, line);
	assert_output_has(fixture, "[mount p] plugin passthrough refuses this "
				   "configuration: option writeback: 'maybe' "
				   "is not a boolean (true, false, yes, no, "
				   "on, off, 1 or 0)");
	assert_int_equal(test_count(fixture->output, "1.5G"), 1);
	assert_int_equal(test_count(fixture->output, "-5M"), 1);
	assert_int_equal(test_count(fixture->output, "maybe"), 1);

	assert_int_equal(run_fusehostd(fixture, arguments), 0);
	assert_output_has(fixture, "error: m: plugin ");
	assert_output_has(fixture, "memfs.so failed to open: option size: "
				   "'1.5G' is not a size in bytes (such as "
				   "4096, 64M or 1G)\n");
	assert_output_has(fixture, "error: i: plugin ");
	assert_output_has(fixture, "memfs.so failed to open: option size: "
				   "'-5M' is not a size in bytes");
	assert_int_equal(test_count(fixture->output, "1.5G"), 1);
	assert_int_equal(test_count(fixture->output, "-5M"), 1);
	assert_int_equal(test_count(fixture->output, "maybe"), 1);
	assert_false(is_fuse_mounted(memfs_point));
	g_free(arguments);
	g_free(line);
	g_free(text);
	g_free(mirror_point);
	g_free(process_point);
	g_free(memfs_point);
}

/* A plugin option's value with a comment after it is refused with the
 * same hint as a host key's: GKeyFile takes comments only on lines of
 * their own. */
static void test_plugin_value_comment_hint(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *text = g_strdup_printf(
		"[daemon]\ncontrol-socket =\nmetrics-listen =\n"
		"[mount m]\nplugin = memfs\nmountpoint = %s\n"
		"size = 64M   # for scratch files\n",
		mountpoint);

	test_write_file(fixture->config, text);
	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "option size: '64M   # for scratch files' "
				   "is not a size in bytes (such as 4096, 64M "
				   "or 1G) (comments must be on a line of "
				   "their own)\n");
	g_free(text);
	g_free(mountpoint);
}

/* -t still points out a misspelt host key when it cannot know the
 * plugin's options: the plugin's file is missing, or no plugin is
 * named. */
static void test_check_typo_without_plugin(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *text = g_strdup_printf("[mount m]\nplugin = nosuch\n"
				     "mountpoint = %s\nmountpiont = /x\n"
				     "threds = 3\n"
				     "[mount n]\nplugn = memfs\n"
				     "mountpoint = /n\n",
				     mountpoint);

	test_write_file(fixture->config, text);
	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "[mount m] plugin: plugin file ");
	assert_output_has(fixture, "[mount m] mountpiont: unknown key, or an "
				   "option of the plugin, which could not be "
				   "loaded (did you mean 'mountpoint'?)\n");
	assert_output_has(fixture, "[mount m] threds: unknown key, or an "
				   "option of the plugin, which could not be "
				   "loaded (did you mean 'threads'?)\n");
	assert_output_has(fixture, "[mount n] plugn: unknown key, or an option "
				   "of the plugin, which this mount does not "
				   "name (did you mean 'plugin'?)\n");
	assert_output_has(fixture, "[mount n]: missing required key "
				   "'plugin'\n");
	g_free(text);
	g_free(mountpoint);
}

/* The account an isolated mount runs as must exist. */
static void test_check_unknown_user(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = hello_config(fixture,
					"isolation = process\n"
					"user = no-such-user-here\n");

	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "[mount hello]: unknown user "
				   "'no-such-user-here'");
	g_free(mountpoint);
}

/* So must the group that control-group names. */
static void test_check_unknown_control_group(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "hello");
	char *text = g_strdup_printf("[daemon]\ncontrol-group = "
				     "no-such-group-here\n"
				     "[mount hello]\nplugin = hello\n"
				     "mountpoint = %s\n",
				     mountpoint);

	test_write_file(fixture->config, text);
	assert_int_equal(run_check(fixture), 1);
	assert_output_has(fixture, "[daemon] control-group: no such group "
				   "'no-such-group-here'");
	g_free(text);
	g_free(mountpoint);
}

static void test_check_missing_config(void **state)
{
	struct cli_fixture *fixture = *state;

	assert_int_equal(run_fusehostd(fixture, "-t -c /nonexistent.conf"), 1);
	assert_output_has(fixture, "error: /nonexistent.conf: no such file");
}

static void test_plugin_info(void **state)
{
	struct cli_fixture *fixture = *state;
	char *arguments = g_strdup_printf("--plugin-info hello --plugin-dir %s",
					  test_plugin_dir());

	assert_int_equal(run_fusehostd(fixture, arguments), 0);
	assert_output_has(fixture, "name:         hello\n");
	assert_output_has(fixture, "version:      1.0\n");
	assert_output_has(fixture, "description:  read-only files");
	assert_output_has(fixture, "ABI:          1.0\n");
	assert_output_has(fixture, "thread model: parallel");
	assert_output_has(fixture, "  greeting\n      the text of /hello\n"
				   "      default: Hello, world!\n");
	g_free(arguments);
}

static void test_plugin_info_missing_plugin(void **state)
{
	struct cli_fixture *fixture = *state;

	assert_int_equal(run_fusehostd(fixture, "--plugin-info nosuch "
						"--plugin-dir /nonexistent"),
			 1);
	assert_string_equal(fixture->output,
			    "error: plugin file /nonexistent/nosuch.so does "
			    "not exist\n");
}

static void test_dump_config_fills_defaults(void **state)
{
	struct cli_fixture *fixture = *state;
	char *mountpoint = hello_config(fixture, "threads = 3\n");
	char *arguments = g_strdup_printf("--dump-config -c %s --plugin-dir %s",
					  fixture->config, test_plugin_dir());
	char *expected = g_strdup_printf(
		"[mount hello]\nplugin = hello\nmountpoint = %s\n"
		"options = fsname=fusehost:hello,subtype=hello\nthreads = 3\n"
		"required = false\nlog-level = info\nslow-op-ms = 1000\n"
		"trace = false\nmetrics = true\nrestart = on-failure\n"
		"restart-sec = 1\nisolation = thread\n"
		"greeting = Hello, world!\n",
		mountpoint);

	assert_int_equal(run_fusehostd(fixture, arguments), 0);
	assert_output_has(fixture, "[daemon]\nplugin-dir = ");
	assert_output_has(fixture, "log-level = info\n");
	assert_output_has(fixture, expected);
	g_free(expected);
	g_free(arguments);
	g_free(mountpoint);
}

/* --help names every option the parser accepts. */
static void test_help_is_complete(void **state)
{
	struct cli_fixture *fixture = *state;
	static const char *const options[] = {
		"--config=FILE", "--test", "--run=COMMAND",
		"--plugin-info=NAME", "--dump-config", "--plugin-dir=DIR",
		"--help", "--version",
	};

	assert_int_equal(run_fusehostd(fixture, "--help"), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
		assert_output_has(fixture, options[i]);
	assert_int_equal(run_fusehostd(fixture, "--version"), 0);
	assert_output_has(fixture, "fusehostd ");
	assert_output_has(fixture, "plugin ABI 1.0");
	assert_int_equal(run_fusehostd(fixture, "--bogus"), 2);
	assert_output_has(fixture, "Try 'fusehostd --help'");
	assert_int_equal(run_fusehostd(fixture, "-t --run true"), 2);
}

static const char example_plugin[] =
	"#include <errno.h>\n"
	"#include <string.h>\n"
	"#include <fusehost/plugin.h>\n"
	"static int myfs_getattr(const char *path, struct stat *st,\n"
	"                        struct fuse_file_info *fi)\n"
	"{\n"
	"    (void)fi;\n"
	"    if (strcmp(path, \"/\") != 0) return -ENOENT;\n"
	"    memset(st, 0, sizeof(*st));\n"
	"    st->st_mode = S_IFDIR | 0755;\n"
	"    st->st_nlink = 2;\n"
	"    return 0;\n"
	"}\n"
	"static int helper(void) { return 1; }\n"
	"int myfs_unused_global(void) { return helper(); }\n"
	"static const struct fuse_operations myfs_operations = {\n"
	"    .getattr = myfs_getattr,\n"
	"};\n"
	"static struct fusehost_plugin myfs_plugin = {\n"
	"    .name = \"myfs\",\n"
	"    .version = \"1.0\",\n"
	"    .description = \"An example filesystem\",\n"
	"    .thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,\n"
	"    .operations = &myfs_operations,\n"
	"};\n"
	"FUSEHOST_REGISTER_PLUGIN(myfs_plugin)\n";

/* make install into a staging directory lays out every file, never
 * overwrites an existing config, and the installed header and .pc file
 * build an out-of-tree plugin that exports exactly one symbol. */
static void test_install_and_out_of_tree_plugin(void **state)
{
	struct cli_fixture *fixture = *state;
	char *stage = test_subdir(fixture->dir, "stage");
	char *source = test_path(fixture->dir, "myfs.c");
	char *plugin = test_path(fixture->dir, "myfs.so");
	char *arguments = g_strdup_printf("--plugin-info %s", plugin);
	char *readme, *example;
	static const char *const installed[] = {
		"usr/local/sbin/fusehostd",
		"usr/local/lib/fusehost/plugins/hello.so",
		"usr/local/lib/fusehost/plugins/memfs.so",
		"usr/local/include/fusehost/plugin.h",
		"usr/local/lib/pkgconfig/fusehost.pc",
		"usr/local/bin/fusehostctl",
		"usr/local/share/man/man1/fusehostctl.1",
		"usr/local/share/man/man8/fusehostd.8",
		"usr/local/share/man/man5/fusehost.conf.5",
		"usr/local/lib/systemd/system/fusehostd.service",
		"etc/fusehost.conf",
	};

	assert_int_equal(test_shell("make -s install DESTDIR=%s >/dev/null",
				    stage),
			 0);
	for (size_t i = 0; i < G_N_ELEMENTS(installed); i++) {
		char *path = test_path(stage, installed[i]);

		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			fail_msg("make install did not install %s", path);
		g_free(path);
	}
	assert_int_equal(test_shell("echo '# mine' >> %s/etc/fusehost.conf && "
				    "make -s install DESTDIR=%s >/dev/null && "
				    "grep -q '# mine' %s/etc/fusehost.conf",
				    stage, stage, stage),
			 0);
	assert_int_equal(test_shell("grep -q '^plugindir=/usr/local/lib/"
				    "fusehost/plugins$' "
				    "%s/usr/local/lib/pkgconfig/fusehost.pc",
				    stage),
			 0);

	/* Installed at a prefix of its own (built again for it, in a build
	 * directory of its own so as to leave build/ alone), the programs
	 * and pages name that prefix's paths, and the header and the .pc
	 * file build a plugin exactly as README says.  Installed with a
	 * umask that lets the group write (002, as with user private
	 * groups), what it makes is still 0644: fusehostd refuses a
	 * configuration that others could change. */
	assert_int_equal(test_shell("umask 002 && "
				    "make -s install BUILD=%s/build "
				    "PREFIX=%s/prefix "
				    "SYSCONFDIR=%s/prefix/etc >/dev/null",
				    stage, stage, stage),
			 0);
	assert_int_equal(test_shell("cd %s/prefix && test \"$(stat -c %%a "
				    "etc/fusehost.conf "
				    "lib/pkgconfig/fusehost.pc "
				    "lib/systemd/system/fusehostd.service "
				    "share/man/man1/fusehostctl.1 "
				    "share/man/man5/fusehost.conf.5 "
				    "share/man/man8/fusehostd.8 | "
				    "sort -u)\" = 644",
				    stage),
			 0);
	assert_int_equal(test_shell("%s/prefix/sbin/fusehostd -t -c "
				    "%s/prefix/etc/fusehost.conf >/dev/null",
				    stage, stage),
			 0);
	assert_int_equal(test_shell("%s/prefix/sbin/fusehostd --help | grep -q "
				    "'%s/prefix/etc/fusehost.conf' && "
				    "%s/prefix/sbin/fusehostd --help | grep -q "
				    "'%s/prefix/lib/fusehost/plugins' && "
				    "grep -q '%s/prefix/lib/fusehost/plugins' "
				    "%s/prefix/share/man/man8/fusehostd.8",
				    stage, stage, stage, stage, stage, stage),
			 0);
	test_write_file(source, example_plugin);
	assert_int_equal(
		test_shell("export PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig; "
			   "cc -shared -fPIC $(pkg-config --cflags fusehost) "
			   "%s -o %s",
			   stage, source, plugin),
		0);
	assert_int_equal(test_shell("test \"$(nm -D --defined-only %s | "
				    "awk '{print $3}')\" = "
				    "fusehost_plugin_register",
				    plugin),
			 0);
	assert_int_equal(run_fusehostd(fixture, arguments), 0);
	assert_output_has(fixture, "name:         myfs\n");

	/* So does README's own example, with README's two commands. */
	readme = test_read_file("README.md");
	example = strstr(readme, "## Writing a plugin");
	assert_non_null(example);
	example = strstr(example, "```c\n");
	assert_non_null(example);
	example += strlen("```c\n");
	*strstr(example, "```") = '\0';
	test_write_file(source, example);
	assert_int_equal(
		test_shell("export PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig; "
			   "cd %s && rm -f myfs.so && "
			   "cc -shared -fPIC $(pkg-config --cflags fusehost) "
			   "myfs.c -o myfs.so && "
			   "%s --plugin-info ./myfs.so | grep -q '^name: *myfs$'",
			   stage, fixture->dir, test_fusehostd_path()),
		0);
	g_free(readme);
	g_free(arguments);
	g_free(plugin);
	g_free(source);
	g_free(stage);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_valid_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_check_warns_rw_on_read_only_plugin, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_check_refused_option_said_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_reports_each_problem,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_asks_the_plugin,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_plugin_value_said_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_plugin_value_comment_hint,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_typo_without_plugin,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_unknown_control_group,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_unknown_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_missing_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plugin_info, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plugin_info_missing_plugin,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_config_fills_defaults,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_is_complete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_install_and_out_of_tree_plugin, setup, teardown),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
