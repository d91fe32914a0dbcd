/* Unit tests for loading and checking the configuration: every problem the
 * loader reports, each naming its file, group and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include <fusehost/plugin.h>

#include "config.h"

struct fixture {
	char *dir;
	char *path; /* DIR/fusehost.conf */
	GPtrArray *errors;
	struct config *config;
};

static int setup(void **state)
{
	struct fixture *fixture = g_new0(struct fixture, 1);

	fixture->dir = g_dir_make_tmp("fusehost-config-XXXXXX", NULL);
	fixture->path = g_build_filename(fixture->dir, "fusehost.conf", NULL);
	fixture->errors = g_ptr_array_new_with_free_func(g_free);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	char *command = g_strdup_printf("rm -rf '%s'", fixture->dir);

	assert_int_equal(system(command), 0);
	g_free(command);
	config_free(fixture->config);
	g_ptr_array_unref(fixture->errors);
	g_free(fixture->path);
	g_free(fixture->dir);
	g_free(fixture);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void write_dropin(struct fixture *fixture, const char *name,
			 const char *text)
{
	char *dir = g_build_filename(fixture->dir, "fusehost.d", NULL);
	char *path = g_build_filename(dir, name, NULL);

	g_mkdir_with_parents(dir, 0755);
	write_file(path, text);
	g_free(path);
	g_free(dir);
}

static void load(struct fixture *fixture, const char *text)
{
	write_file(fixture->path, text);
	fixture->config = config_load(fixture->path, "/default/plugins",
				      fixture->errors);
}

/* Exactly one error, and it contains every one of the given pieces. */
static void assert_one_error(struct fixture *fixture, ...)
{
	va_list pieces;
	const char *piece;

	if (fixture->errors->len != 1) {
		for (guint i = 0; i < fixture->errors->len; i++)
			print_message("error: %s\n",
				      (char *)fixture->errors->pdata[i]);
		fail_msg("expected 1 error, got %u", fixture->errors->len);
	}
	va_start(pieces, fixture);
	while ((piece = va_arg(pieces, const char *))) {
		if (!strstr(fixture->errors->pdata[0], piece))
			fail_msg("error '%s' lacks '%s'",
				 (char *)fixture->errors->pdata[0], piece);
	}
	va_end(pieces);
}

static const struct mount_config *mount_at(struct fixture *fixture,
					   guint index)
{
	assert_true(index < fixture->config->mounts->len);
	return fixture->config->mounts->pdata[index];
}

static void test_valid_with_defaults(void **state)
{
	struct fixture *fixture = *state;
	const struct mount_config *mount;

	load(fixture, "[daemon]\nlog-level = debug\n\n"
		      "[mount scratch]\nplugin = memfs\n"
		      "mountpoint = /mnt//scratch/\nsize = 1G\n");
	assert_int_equal(fixture->errors->len, 0);
	assert_string_equal(fixture->config->daemon.plugin_dir,
			    "/default/plugins");
	assert_int_equal(fixture->config->daemon.log_level, LOG_LEVEL_DEBUG);
	mount = mount_at(fixture, 0);
	assert_string_equal(mount->name, "scratch");
	assert_string_equal(mount->plugin, "memfs");
	assert_string_equal(mount->mountpoint, "/mnt/scratch");
	assert_int_equal(mount->threads, CONFIG_DEFAULT_THREADS);
	assert_false(mount->required);
	assert_string_equal(mount_config_setting(mount, "size"), "1G");
	assert_null(mount_config_setting(mount, "plugin"));
	assert_string_equal(mount->file, fixture->path);
}

static void test_fuse_options_defaults(void **state)
{
	struct fixture *fixture = *state;
	char *options;

	load(fixture, "[mount a]\nplugin = /opt/x/myfs.so\nmountpoint = /a\n"
		      "options = default_permissions, allow_other\n"
		      "[mount b]\nplugin = memfs\nmountpoint = /b\n"
		      "options = fsname=mine\n");
	assert_int_equal(fixture->errors->len, 0);
	options = mount_config_fuse_options(mount_at(fixture, 0));
	assert_string_equal(options, "fsname=fusehost:a,subtype=myfs,"
				     "default_permissions,allow_other");
	g_free(options);
	options = mount_config_fuse_options(mount_at(fixture, 1));
	assert_string_equal(options, "subtype=memfs,fsname=mine");
	g_free(options);
}

static void test_missing_file(void **state)
{
	struct fixture *fixture = *state;

	fixture->config = config_load("/nonexistent/fusehost.conf", "/p",
				      fixture->errors);
	assert_null(fixture->config);
	assert_one_error(fixture, "/nonexistent/fusehost.conf",
			 "no such file", NULL);
}

static void test_syntax_error(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nthis line is not a key\n");
	assert_one_error(fixture, fixture->path, "syntax error", NULL);
}

/* GKeyFile's message quotes the line it refuses; the line's number is
 * added.  It is the line GKeyFile stopped at, not the first line with
 * the same text (here a comment), nor a line at all for a key that comes
 * before every group. */
static void test_syntax_error_names_line(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nlog-level = info\n\n# [mount broken\n"
		      "[mount broken\nplugin = memfs\n");
	assert_one_error(fixture, fixture->path, ": syntax error on line 5: ",
			 "[mount broken", NULL);
	config_free(fixture->config);
	g_ptr_array_set_size(fixture->errors, 0);

	load(fixture, "log-level = info\n[daemon]\n");
	assert_one_error(fixture, fixture->path, ": syntax error on line 1: ",
			 NULL);
	config_free(fixture->config);
	g_ptr_array_set_size(fixture->errors, 0);

	/* The last line need not end the file with a newline. */
	load(fixture, "[daemon]\nlog-level = info\n[mount broken");
	assert_one_error(fixture, fixture->path, ": syntax error on line 3: ",
			 NULL);
}

static void test_unknown_group(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[extra]\nlog-level = info\n");
	assert_one_error(fixture, fixture->path, "[extra]: unknown group "
			 "(groups are [daemon] and [mount NAME])", NULL);
}

/* A group a typo away from [daemon] or [mount NAME] is named. */
static void test_unknown_group_suggests(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[deamon]\nlog-level = info\n");
	assert_one_error(fixture, fixture->path, "[deamon]: unknown group "
			 "(did you mean [daemon]?)", NULL);
	config_free(fixture->config);
	g_ptr_array_set_size(fixture->errors, 0);

	load(fixture, "[mout scratch]\nplugin = memfs\n");
	assert_one_error(fixture, fixture->path, "[mout scratch]: unknown "
			 "group (did you mean [mount scratch]?)", NULL);
}

static void test_unknown_daemon_key_suggests(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nlog-levle = info\n");
	assert_one_error(fixture, fixture->path, "[daemon] log-levle",
			 "unknown key", "did you mean 'log-level'", NULL);
}

static void test_bad_log_level(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nlog-level = loud\n");
	assert_one_error(fixture, "[daemon] log-level", "'loud'",
			 "error, warning, info, debug", NULL);
}

static void test_relative_plugin_dir(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nplugin-dir = lib/plugins\n");
	assert_one_error(fixture, "[daemon] plugin-dir", "absolute", NULL);
}

static void test_inline_comment_hint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[daemon]\nlog-level = info   # chatty\n");
	assert_one_error(fixture, "[daemon] log-level",
			 "comments must be on a line of their own", NULL);
}

/* Spaces at the end of a line are not part of the value; a backslash is
 * a backslash. */
static void test_values_as_written(void **state)
{
	struct fixture *fixture = *state;
	const struct mount_config *mount;
	const struct plugin_setting *setting;

	load(fixture, "[daemon]\nlog-level = info \t\n"
		      "[mount scratch]\nplugin = memfs\nmountpoint = /m  \n"
		      "label =  a\\sb\\\\c  \n");
	assert_int_equal(fixture->errors->len, 0);
	mount = mount_at(fixture, 0);
	assert_string_equal(mount->mountpoint, "/m");
	assert_int_equal(mount->plugin_settings->len, 1);
	setting = mount->plugin_settings->pdata[0];
	assert_string_equal(setting->key, "label");
	assert_string_equal(setting->value, "a\\sb\\\\c");
}

static void test_invalid_mount_name(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount my disk]\nplugin = memfs\nmountpoint = /m\n");
	assert_one_error(fixture, "[mount my disk]", "invalid mount name",
			 NULL);
}

static void test_missing_plugin_and_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nthreads = 2\n");
	assert_int_equal(fixture->errors->len, 2);
	assert_non_null(strstr(fixture->errors->pdata[0],
			       "[mount a]: missing required key 'plugin'"));
	assert_non_null(strstr(fixture->errors->pdata[1],
			       "missing required key 'mountpoint'"));
}

/* With no plugin named its options are unknown, but a key a typo away
 * from a host key, here the one that names the plugin, is still said. */
static void test_missing_plugin_typo_suggested(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugn = memfs\nmountpoint = /a\n"
		      "size = 1G\n");
	assert_int_equal(fixture->errors->len, 2);
	assert_non_null(strstr(fixture->errors->pdata[0],
			       "[mount a] plugn: unknown key, or an option of "
			       "the plugin, which this mount does not name "
			       "(did you mean 'plugin'?)"));
	assert_non_null(strstr(fixture->errors->pdata[1],
			       "[mount a]: missing required key 'plugin'"));
}

static void test_bad_plugin_name(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = lib/memfs.so\nmountpoint = /a\n");
	assert_one_error(fixture, "[mount a] plugin", "'lib/memfs.so'",
			 "absolute path", NULL);
}

static void test_relative_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = mnt/a\n");
	assert_one_error(fixture, "[mount a] mountpoint", "not an absolute",
			 NULL);
}

static void test_dotdot_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /mnt/../a\n");
	assert_one_error(fixture, "[mount a] mountpoint", ". or ..", NULL);
}

static void test_root_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = //\n");
	assert_one_error(fixture, "[mount a] mountpoint", "over /", NULL);
}

static void test_bad_threads(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "threads = 0\n");
	assert_one_error(fixture, "[mount a] threads", "'0'", "from 1 to",
			 NULL);
}

static void test_bad_isolation(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "isolation = fork\n");
	assert_one_error(fixture, "[mount a] isolation", "'fork'",
			 "thread, process", NULL);
}

static void test_user_needs_process_isolation(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "user = nobody\n");
	assert_one_error(fixture, "[mount a] user", "isolation = process",
			 NULL);
}

static void test_bad_user_name(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "isolation = process\ngroup = a b\n");
	assert_one_error(fixture, "[mount a] group", "'a b'", NULL);
}

static void test_bad_required(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "required = perhaps\n");
	assert_one_error(fixture, "[mount a] required", "'perhaps'", "boolean",
			 NULL);
}

/* A control socket's path must fit a sockaddr_un (107 bytes and the
 * NUL): a longer one would pass the check and leave the daemon without
 * its socket. */
static void test_control_socket_too_long(void **state)
{
	struct fixture *fixture = *state;
	char *fits = g_strnfill(107 - strlen("/run/"), 'x');
	char *text = g_strdup_printf("[daemon]\ncontrol-socket = /run/%s\n",
				     fits);

	load(fixture, text);
	assert_int_equal(fixture->errors->len, 0);
	g_free(text);
	text = g_strdup_printf("[daemon]\ncontrol-socket = /run/%sx\n",
			       fits);
	g_ptr_array_set_size(fixture->errors, 0);
	g_clear_pointer(&fixture->config, config_free);
	load(fixture, text);
	assert_one_error(fixture, "[daemon] control-socket: '/run/xxx",
			 "is longer than a unix socket's path may be (107 "
			 "bytes at most)",
			 NULL);
	g_free(text);
	g_free(fits);
}

static void test_modules_refused(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "options = ro,modules=subdir,subdir=/x\n");
	assert_one_error(fixture, "[mount a] options", "modules=", NULL);
}

static void test_max_read_refused(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "options = ro,max_read=65536\n");
	assert_one_error(fixture, "[mount a] options", "max_read=", NULL);
}

static void test_duplicate_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /m\n"
		      "[mount b]\nplugin = memfs\nmountpoint = /m/\n");
	assert_one_error(fixture, "[mount b] mountpoint",
			 "also the mountpoint of [mount a]", NULL);
}

static void test_nested_mountpoint(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount inner]\nplugin = memfs\nmountpoint = /m/in\n"
		      "[mount outer]\nplugin = memfs\nmountpoint = /m\n"
		      "[mount sibling]\nplugin = memfs\nmountpoint = /mx\n");
	assert_one_error(fixture, "[mount inner] mountpoint",
			 "/m/in is inside /m", "[mount outer]", NULL);
}

static void test_duplicate_group_in_one_file(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\n"
		      "[mount a]\nmountpoint = /a\n");
	assert_one_error(fixture, "[mount a]", "more than once", NULL);
}

/* However often a group is repeated, and with whatever keys, that is one
 * problem and one line. */
static void test_group_repeated_said_once(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "[mount a]\nplugin = memfs\nsize = 1G\n"
		      "[mount a]\nsize = 1G\nthreads = 2\n");
	assert_one_error(fixture, fixture->path, "[mount a]: group appears "
			 "more than once", NULL);
}

/* GKeyFile keeps the last of a key written twice in a group; the reader
 * sees the first.  That is an error, said once, and the key is kept once
 * (--dump-config printed it twice). */
static void test_key_repeated_in_group(void **state)
{
	struct fixture *fixture = *state;
	const struct fusehost_option *declared[] = { NULL };
	char *text;

	load(fixture, "[mount x]\nplugin = memfs\nmountpoint = /x\n"
		      "size = 1G\nsize = 1M\nsize = 2M\n");
	assert_one_error(fixture, fixture->path, "[mount x] size",
			 "key appears more than once in this group", NULL);
	assert_int_equal(mount_at(fixture, 0)->plugin_settings->len, 1);
	text = config_format(fixture->config, declared);
	assert_non_null(strstr(text, "size = 2M\n"));
	assert_null(strstr(strstr(text, "size = ") + 1, "size = "));
	g_free(text);
	config_free(fixture->config);
	g_ptr_array_set_size(fixture->errors, 0);

	load(fixture, "[daemon]\nlog-level = debug\nlog-level = info\n"
		      "[mount x]\nplugin = memfs\nplugin = hello\n"
		      "mountpoint = /x\n");
	assert_int_equal(fixture->errors->len, 2);
	assert_non_null(strstr(fixture->errors->pdata[0],
			       "[daemon] log-level: key appears more than "
			       "once"));
	assert_non_null(strstr(fixture->errors->pdata[1],
			       "[mount x] plugin: key appears more than "
			       "once"));
}

static void test_dropins_in_order(void **state)
{
	struct fixture *fixture = *state;

	write_dropin(fixture, "20-b.conf",
		     "[daemon]\nlog-level = warning\n"
		     "[mount b]\nplugin = memfs\nmountpoint = /b\n");
	write_dropin(fixture, "10-a.conf",
		     "[daemon]\nlog-level = debug\n"
		     "[mount a]\nplugin = memfs\nmountpoint = /a\n");
	write_dropin(fixture, "ignored.txt", "[bogus]\n");
	load(fixture, "[mount main]\nplugin = hello\nmountpoint = /main\n");
	assert_int_equal(fixture->errors->len, 0);
	assert_int_equal(fixture->config->mounts->len, 3);
	assert_string_equal(mount_at(fixture, 0)->name, "main");
	assert_string_equal(mount_at(fixture, 1)->name, "a");
	assert_string_equal(mount_at(fixture, 2)->name, "b");
	assert_true(g_str_has_suffix(mount_at(fixture, 2)->file,
				     "fusehost.d/20-b.conf"));
	/* The last file read wins for daemon-wide keys. */
	assert_int_equal(fixture->config->daemon.log_level, LOG_LEVEL_WARNING);
}

static void test_mount_in_two_files(void **state)
{
	struct fixture *fixture = *state;

	write_dropin(fixture, "a.conf",
		     "[mount a]\nplugin = memfs\nmountpoint = /a2\n");
	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n");
	assert_one_error(fixture, "fusehost.d/a.conf", "[mount a]",
			 "already defined in", fixture->path, NULL);
}

static void test_dropin_dir_name(void **state)
{
	char *dir = config_dropin_dir("/etc/fusehost.conf");

	(void)state;
	assert_string_equal(dir, "/etc/fusehost.d");
	g_free(dir);
	dir = config_dropin_dir("/srv/fusehost.ini");
	assert_string_equal(dir, "/srv/fusehost.ini.d");
	g_free(dir);
}

static const struct fusehost_option declared_options[] = {
	{ .name = "size", .help = "capacity", .default_value = "64M" },
	{ .name = "root", .help = "backing dir", .required = true },
	{ .name = "label", .help = "a label" },
	{ 0 },
};

static void test_plugin_option_typo_and_missing(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "sise = 1G\n");
	assert_int_equal(fixture->errors->len, 0);
	config_check_plugin_options(mount_at(fixture, 0), declared_options,
				    fixture->errors);
	assert_int_equal(fixture->errors->len, 2);
	assert_non_null(strstr(fixture->errors->pdata[0],
			       "[mount a] sise: unknown key (did you mean "
			       "'size'?)"));
	assert_non_null(strstr(fixture->errors->pdata[1],
			       "missing key 'root', which plugin memfs "
			       "requires"));
}

static void test_host_key_typo_suggested(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "root = /srv\nmountpiont = /b\n");
	config_check_plugin_options(mount_at(fixture, 0), declared_options,
				    fixture->errors);
	assert_one_error(fixture, "[mount a] mountpiont",
			 "did you mean 'mountpoint'", NULL);
}

/* So it is when the plugin cannot be loaded; a key far from every host
 * key (size) may be the plugin's, and is not mentioned. */
static void test_unloaded_plugin_typo_suggested(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = nosuch\nmountpoint = /a\n"
		      "mountpiont = /b\nsize = 1G\nthreds = 3\n");
	assert_int_equal(fixture->errors->len, 0);
	config_check_settings_unloaded_plugin(mount_at(fixture, 0),
					      fixture->errors);
	assert_int_equal(fixture->errors->len, 2);
	assert_non_null(strstr(fixture->errors->pdata[0],
			       "[mount a] mountpiont: unknown key, or an option "
			       "of the plugin, which could not be loaded (did "
			       "you mean 'mountpoint'?)"));
	assert_non_null(strstr(fixture->errors->pdata[1],
			       "[mount a] threds: unknown key, or an option of "
			       "the plugin, which could not be loaded (did you "
			       "mean 'threads'?)"));
}

/* A [daemon] key written in a mount group is said to belong in
 * [daemon], whether the plugin is loaded or not: otherwise the setting
 * it was meant to be is silently left at its default. */
static void test_daemon_key_in_mount_group(void **state)
{
	struct fixture *fixture = *state;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "root = /srv\nstop-timeout-sec = 30\n");
	assert_int_equal(fixture->errors->len, 0);
	config_check_plugin_options(mount_at(fixture, 0), declared_options,
				    fixture->errors);
	assert_one_error(fixture, "[mount a] stop-timeout-sec: a key of "
				  "[daemon], not of a mount", NULL);
	g_ptr_array_set_size(fixture->errors, 0);
	config_check_settings_unloaded_plugin(mount_at(fixture, 0),
					      fixture->errors);
	assert_one_error(fixture, "[mount a] stop-timeout-sec: a key of "
				  "[daemon], not of a mount (unless it is an "
				  "option of the plugin, which could not be "
				  "loaded)", NULL);
}

static void test_format_fills_defaults(void **state)
{
	struct fixture *fixture = *state;
	const struct fusehost_option *declared[] = { declared_options };
	char *text;

	load(fixture, "[mount a]\nplugin = memfs\nmountpoint = /a\n"
		      "root = /srv\n");
	text = config_format(fixture->config, declared);
	assert_non_null(strstr(text, "[daemon]\nplugin-dir = /default/plugins\n"
				     "log-level = info\nlog-target = auto\n"
				     "metrics-listen = 127.0.0.1:9464\n"
				     "slow-op-ms = 1000\n"
				     "control-socket = /run/fusehost/"
				     "control.sock\ncontrol-group = \n"
				     "stop-timeout-sec = 5\n"
				     "insecure-plugins = false\n"));
	assert_non_null(strstr(text, "[mount a]\nplugin = memfs\n"
				     "mountpoint = /a\n"
				     "options = fsname=fusehost:a,"
				     "subtype=memfs\nthreads = 10\n"
				     "required = false\nlog-level = info\n"
				     "slow-op-ms = 1000\ntrace = false\n"
				     "metrics = true\nrestart = on-failure\n"
				     "restart-sec = 1\nisolation = thread\n"
				     "root = /srv\n"
				     "size = 64M\n# label: no default\n"));
	g_free(text);
}

/* A config file others could change is refused (it names code to run as
 * root), unless insecure-plugins says otherwise. */
static void test_untrusted_config_refused(void **state)
{
	struct fixture *fixture = *state;

	write_file(fixture->path, "[daemon]\nlog-level = info\n");
	assert_int_equal(chmod(fixture->path, 0664), 0);
	fixture->config = config_load(fixture->path, "/p", fixture->errors);
	assert_one_error(fixture, fixture->path,
			 "refusing a configuration that others could change",
			 "writable by its group (mode 0664)", "chmod go-w",
			 NULL);
	/* So that -t loads none of the plugins it names. */
	assert_true(fixture->config->untrusted);
	config_free(fixture->config);
	g_ptr_array_set_size(fixture->errors, 0);

	write_file(fixture->path, "[daemon]\ninsecure-plugins = true\n");
	assert_int_equal(chmod(fixture->path, 0664), 0);
	fixture->config = config_load(fixture->path, "/p", fixture->errors);
	assert_int_equal(fixture->errors->len, 0);
	assert_true(fixture->config->daemon.insecure_plugins);
	assert_false(fixture->config->untrusted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_valid_with_defaults),
		T(test_daemon_key_in_mount_group),
		T(test_fuse_options_defaults),
		T(test_missing_file),
		T(test_syntax_error),
		T(test_syntax_error_names_line),
		T(test_unknown_group),
		T(test_unknown_group_suggests),
		T(test_unknown_daemon_key_suggests),
		T(test_bad_log_level),
		T(test_relative_plugin_dir),
		T(test_inline_comment_hint),
		T(test_values_as_written),
		T(test_invalid_mount_name),
		T(test_missing_plugin_and_mountpoint),
		T(test_missing_plugin_typo_suggested),
		T(test_bad_plugin_name),
		T(test_relative_mountpoint),
		T(test_dotdot_mountpoint),
		T(test_root_mountpoint),
		T(test_bad_threads),
		T(test_bad_isolation),
		T(test_user_needs_process_isolation),
		T(test_bad_user_name),
		T(test_bad_required),
		T(test_control_socket_too_long),
		T(test_modules_refused),
		T(test_max_read_refused),
		T(test_duplicate_mountpoint),
		T(test_nested_mountpoint),
		T(test_duplicate_group_in_one_file),
		T(test_group_repeated_said_once),
		T(test_key_repeated_in_group),
		T(test_dropins_in_order),
		T(test_mount_in_two_files),
		T(test_dropin_dir_name),
		T(test_plugin_option_typo_and_missing),
		T(test_host_key_typo_suggested),
		T(test_unloaded_plugin_typo_suggested),
		T(test_format_fills_defaults),
		T(test_untrusted_config_refused),
#undef T
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
