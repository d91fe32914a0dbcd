/* Integration tests of the control socket and fusehostctl: every command
 * as root, the permission rule for unprivileged callers (setpriv to
 * nobody, with and without control-group), curl against the socket, and
 * status and metrics agreeing with the kernel's mount table. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
/* An unprivileged caller; --groups=100 adds "users". */
#define NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "
#define NOBODY_IN_USERS "setpriv --reuid=65534 --regid=65534 --groups=100 "

struct control_fixture {
	char *dir;
	char *config;
	char *socket;
	char *mountpoint;
	char *output;
	struct fusehostd *daemon;
};

static int setup(void **state)
{
	struct control_fixture *fixture = g_new0(struct control_fixture, 1);

	fixture->dir = test_dir_create();
	fixture->config = test_path(fixture->dir, "fusehost.conf");
	fixture->socket = test_path(fixture->dir, "run/control.sock");
	fixture->mountpoint = test_subdir(fixture->dir, "h");
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct control_fixture *fixture = *state;

	if (fixture->daemon)
		fusehostd_free(fixture->daemon);
	test_dir_remove(fixture->dir);
	g_free(fixture->output);
	g_free(fixture->mountpoint);
	g_free(fixture->socket);
	g_free(fixture->config);
	g_free(fixture);
	return 0;
}

/* Start fusehostd with the control socket, `daemon_extra` in [daemon]
 * and `mount` (the group of mount h, at fixture->mountpoint), and wait
 * until h serves and the socket is there. */
static void serve_mount(struct control_fixture *fixture,
			const char *daemon_extra, const char *mount)
{
	char *text = g_strdup_printf("[daemon]\ncontrol-socket = %s\n%s%s",
				     fixture->socket,
				     daemon_extra ? daemon_extra : "", mount);
	char *dropins = test_subdir(fixture->dir, "fusehost.d");
	char *dropin = test_path(dropins, "00-test.conf");

	/* Metrics off; the control socket stays as configured above. */
	test_write_file(dropin, "[daemon]\nmetrics-listen =\n");
	test_write_file(fixture->config, text);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(fixture->mountpoint, START_TIMEOUT_MS));
	for (int i = 0; i < 500 && access(fixture->socket, F_OK) < 0; i++)
		usleep(10 * 1000);
	g_free(dropin);
	g_free(dropins);
	g_free(text);
}

static void serve(struct control_fixture *fixture, const char *daemon_extra)
{
	char *mount = g_strdup_printf("[mount h]\nplugin = hello\n"
				      "mountpoint = %s\nrestart = no\n",
				      fixture->mountpoint);

	serve_mount(fixture, daemon_extra, mount);
	g_free(mount);
}

/* Run `fusehostctl ARGUMENTS` (optionally as another user); returns its
 * exit status and keeps its output. */
static int run_ctl(struct control_fixture *fixture, const char *as,
		   const char *arguments)
{
	char *output_path = test_path(fixture->dir, "ctl-output");
	char *build_dir = g_path_get_dirname(test_fusehostd_path());
	char *ctl_path = g_strdup_printf("%s/fusehostctl", build_dir);
	int status;

	status = test_shell("%s%s %s > %s 2>&1", as ? as : "", ctl_path,
			    arguments, output_path);
	g_free(fixture->output);
	fixture->output = test_read_file(output_path);
	g_free(ctl_path);
	g_free(build_dir);
	g_free(output_path);
	return status;
}

/* The same with -s and the fixture's socket. */
static int ctl(struct control_fixture *fixture, const char *as, const char *format,
	       ...) __attribute__((format(printf, 3, 4)));

static int ctl(struct control_fixture *fixture, const char *as, const char *format,
	       ...)
{
	va_list args;
	char *arguments;
	char *with_socket;
	int status;

	va_start(args, format);
	arguments = g_strdup_vprintf(format, args);
	va_end(args);
	with_socket = g_strdup_printf("-s %s %s", fixture->socket, arguments);
	status = run_ctl(fixture, as, with_socket);
	g_free(with_socket);
	g_free(arguments);
	return status;
}

/* The same with -c and the fixture's config instead. */
static int ctl_config(struct control_fixture *fixture, const char *command)
{
	char *arguments = g_strdup_printf("-c %s %s", fixture->config, command);
	int status = run_ctl(fixture, NULL, arguments);

	g_free(arguments);
	return status;
}

static void assert_output_has(struct control_fixture *fixture, const char *text)
{
	if (!fixture->output || !strstr(fixture->output, text))
		fail_msg("fusehostctl output lacks '%s':\n%s", text,
			 fixture->output ? fixture->output : "(none)");
}

static void test_every_command_as_root(void **state)
{
	struct control_fixture *fixture = *state;
	char *path = test_path(fixture->mountpoint, "hello");
	const char *const expected[] = { "does not exist", NULL };
	char *moved;
	char *text;

	serve(fixture, NULL);
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_output_has(fixture, "fusehostd 0.1.0, up ");
	assert_output_has(fixture, "h                serving    hello");
	assert_int_equal(ctl(fixture, NULL, "--json status"), 0);
	assert_output_has(fixture, "\"state\" : \"serving\"");
	assert_output_has(fixture, "\"uptime_seconds\"");
	assert_int_equal(ctl(fixture, NULL, "list"), 0);
	assert_output_has(fixture, "MOUNT            STATE");

	assert_int_equal(ctl(fixture, NULL, "unmount h"), 0);
	assert_false(is_fuse_mounted(fixture->mountpoint));
	assert_int_equal(ctl(fixture, NULL, "--json list"), 0);
	assert_output_has(fixture, "\"state\" : \"unmounted\"");
	assert_int_equal(ctl(fixture, NULL, "unmount h"), 1);
	assert_output_has(fixture, "fusehostctl: h: not serving");

	/* A mount that exists but cannot start is not "no such mount". */
	moved = g_strconcat(fixture->mountpoint, ".moved", NULL);
	assert_int_equal(rename(fixture->mountpoint, moved), 0);
	assert_int_equal(ctl(fixture, NULL, "mount h"), 1);
	assert_null(strstr(fixture->output, "no such mount"));
	assert_int_equal(rename(moved, fixture->mountpoint), 0);
	g_free(moved);

	assert_int_equal(ctl(fixture, NULL, "mount h"), 0);
	assert_true(is_fuse_mounted(fixture->mountpoint));
	assert_int_equal(ctl(fixture, NULL, "remount h"), 0);
	assert_true(is_fuse_mounted(fixture->mountpoint));

	assert_int_equal(ctl(fixture, NULL, "trace h on"), 0);
	text = test_read_file(path);
	g_free(text);
	assert_int_equal(ctl(fixture, NULL, "trace h off"), 0);
	fusehostd_assert_logged(fixture->daemon, "debug: h: -> read /hello");
	assert_int_equal(ctl(fixture, NULL, "trace h sideways"), 2);

	assert_int_equal(ctl(fixture, NULL, "reload"), 0);
	fusehostd_assert_logged(fixture->daemon, "0 added, 0 removed, 0 "
						 "changed, 1 unchanged");
	assert_int_equal(ctl(fixture, NULL, "metrics"), 0);
	assert_output_has(fixture, "fusehost_mount_up{mount=\"h\","
				   "plugin=\"hello\"} 1");

	assert_int_equal(ctl(fixture, NULL, "mount nosuch"), 5);
	assert_output_has(fixture, "fusehostctl: nosuch: no such mount");
	assert_int_equal(ctl(fixture, NULL, "--json mount nosuch"), 5);
	assert_output_has(fixture, "\"error\" : \"nosuch: no such mount\"");
	assert_int_equal(ctl(fixture, NULL, "mount h"), 1);
	assert_output_has(fixture, "fusehostctl: h: already serving");
	/* A name no mount can have is no mount, taken as written: not a
	 * URL that curl cleans up or the daemon decodes into another
	 * mount's name (h), nor a URL curl refuses ("cannot reach"). */
	assert_int_equal(ctl(fixture, NULL, "unmount h/../h"), 5);
	assert_output_has(fixture, "no such mount");
	assert_int_equal(ctl(fixture, NULL, "unmount %%68"), 5);
	assert_int_equal(ctl(fixture, NULL, "unmount .."), 5);
	assert_int_equal(ctl(fixture, NULL, "unmount 'h h'"), 5);
	assert_output_has(fixture, "no such mount");
	assert_true(is_fuse_mounted(fixture->mountpoint));
	assert_int_equal(ctl(fixture, NULL, "mount"), 2);
	assert_int_equal(ctl(fixture, NULL, "frobnicate"), 2);

	/* Plain curl works as a client too. */
	assert_int_equal(test_shell("curl -sf --unix-socket %s "
				    "http://localhost/v1/status | "
				    "grep -q '\"name\" : \"h\"'",
				    fixture->socket),
			 0);

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	assert_int_equal(access(fixture->socket, F_OK), -1);
	assert_int_equal(ctl(fixture, NULL, "status"), 3);
	assert_output_has(fixture, "cannot reach fusehostd: no socket at");
	g_free(path);
}

/* -c FILE takes the socket from the file.  A file with a syntax error,
 * as one just edited may have, names none: fusehostctl says so in one
 * line and asks nobody, rather than the built-in default socket, which
 * may be another daemon's.  -s still reaches the daemon. */
static void test_config_names_the_socket(void **state)
{
	struct control_fixture *fixture = *state;
	char *dropin = test_path(fixture->dir, "fusehost.d/50-broken.conf");
	char *good;
	char *broken;
	char *log;

	serve(fixture, NULL);
	assert_int_equal(ctl_config(fixture, "status"), 0);
	assert_output_has(fixture, "h                serving    hello");

	good = test_read_file(fixture->config);
	broken = g_strconcat(good, "this is not valid\n", NULL);
	test_write_file(fixture->config, broken);
	assert_int_equal(ctl_config(fixture, "reload"), 2);
	assert_output_has(fixture, fixture->config);
	assert_output_has(fixture, "syntax error");
	assert_output_has(fixture, "this is not valid");
	assert_null(strstr(fixture->output, "cannot reach"));
	assert_int_equal(test_count(fixture->output, "\n"), 1);
	log = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(log, "reloading the configuration"), 0);
	g_free(log);
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_int_equal(ctl(fixture, NULL, "-c %s list", fixture->config), 0);
	assert_output_has(fixture, "h                serving    hello");

	/* A drop-in may set the socket too. */
	test_write_file(fixture->config, good);
	test_write_file(dropin, "[daemon\n");
	assert_int_equal(ctl_config(fixture, "status"), 2);
	assert_output_has(fixture, "50-broken.conf: syntax error");
	assert_int_equal(unlink(dropin), 0);
	assert_int_equal(ctl_config(fixture, "reload"), 0);

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, NULL);
	g_free(broken);
	g_free(good);
	g_free(dropin);
}

/* A reload that adds a mount which cannot start says so (exit 1, the
 * mount and the cause); once the cause is mended, the next reload starts
 * it, though its configuration did not change, unless an administrator
 * has taken it down.  A reload of an invalid configuration names the
 * file, the key and the cause. */
static void test_reload_reports_and_retries_failed_mounts(void **state)
{
	struct control_fixture *fixture = *state;
	char *late = test_path(fixture->dir, "late");
	char *unwanted = test_path(fixture->dir, "unwanted");
	char *first, *text, *invalid, *cause;
	static const char *const expected[] = {
		"mount skipped", "late: mountpoint", "unwanted: mountpoint",
		"restart: 'sometimes'", "configuration invalid", NULL
	};

	serve(fixture, NULL);
	first = test_read_file(fixture->config);
	text = g_strdup_printf("%s[mount late]\nplugin = hello\n"
			       "mountpoint = %s\n"
			       "[mount unwanted]\nplugin = hello\n"
			       "mountpoint = %s\n",
			       first, late, unwanted);
	test_write_file(fixture->config, text);
	assert_int_equal(ctl(fixture, NULL, "reload"), 1);
	/* The cause as the log has it, not an errno's few words. */
	cause = g_strdup_printf("configuration reloaded, but not serving: "
				"late (mountpoint %s does not exist)",
				late);
	assert_output_has(fixture, cause);
	assert_output_has(fixture, "unwanted (");
	assert_false(is_fuse_mounted(late));
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_output_has(fixture, "h                serving    hello");
	/* Taken down by the administrator (which succeeds: it is kept
	 * down from now on): a reload leaves it down. */
	assert_int_equal(ctl(fixture, NULL, "unmount unwanted"), 0);

	assert_int_equal(mkdir(late, 0755), 0);
	assert_int_equal(mkdir(unwanted, 0755), 0);
	assert_int_equal(ctl(fixture, NULL, "reload"), 0);
	assert_true(is_fuse_mounted(late));
	assert_false(is_fuse_mounted(unwanted));
	fusehostd_assert_logged(fixture->daemon,
				"late: it could not be started before: "
				"trying again");
	fusehostd_assert_logged(fixture->daemon,
				"0 added, 0 removed, 1 changed, 2 unchanged");

	/* An invalid configuration: the answer names the cause. */
	invalid = g_strconcat(text, "restart = sometimes\n", NULL);
	test_write_file(fixture->config, invalid);
	assert_int_equal(ctl(fixture, NULL, "reload"), 1);
	assert_output_has(fixture, "configuration invalid: ");
	assert_output_has(fixture, fixture->config);
	assert_output_has(fixture, "[mount unwanted] restart: 'sometimes'");
	assert_true(is_fuse_mounted(late));

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(cause);
	g_free(invalid);
	g_free(text);
	g_free(first);
	g_free(unwanted);
	g_free(late);
}

/* A mount a reload adds whose plugin cannot be loaded: the answer says
 * which file is missing, as the log does, not "Invalid argument". */
static void test_reload_names_a_missing_plugin(void **state)
{
	struct control_fixture *fixture = *state;
	char *ghost = test_subdir(fixture->dir, "ghost");
	char *first, *text, *cause;
	static const char *const expected[] = { "mount skipped",
						"nosuch.so does not exist",
						NULL };

	serve(fixture, NULL);
	first = test_read_file(fixture->config);
	text = g_strdup_printf("%s[mount ghost]\nplugin = nosuch\n"
			       "mountpoint = %s\n",
			       first, ghost);
	test_write_file(fixture->config, text);
	assert_int_equal(ctl(fixture, NULL, "reload"), 1);
	cause = g_strdup_printf("not serving: ghost (%s: [mount ghost] "
				"plugin: plugin file ",
				fixture->config);
	assert_output_has(fixture, cause);
	assert_output_has(fixture, "/nosuch.so does not exist)");
	assert_false(is_fuse_mounted(ghost));
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(cause);
	g_free(text);
	g_free(first);
	g_free(ghost);
}

/* Unmounting a mount that failed to start keeps it down: it succeeds,
 * and a reload no longer tries the mount again.  Only unmounting it a
 * second time, which changes nothing, fails. */
static void test_unmount_of_failed_mount_keeps_it_down(void **state)
{
	struct control_fixture *fixture = *state;
	char *ghost = test_path(fixture->dir, "ghost");
	char *mounts = g_strdup_printf("[mount h]\nplugin = hello\n"
				       "mountpoint = %s\nrestart = no\n"
				       "[mount ghost]\nplugin = hello\n"
				       "mountpoint = %s\n",
				       fixture->mountpoint, ghost);
	static const char *const expected[] = { "mount skipped",
						"does not exist", NULL };

	serve_mount(fixture, NULL, mounts);
	assert_false(is_fuse_mounted(ghost));
	assert_int_equal(ctl(fixture, NULL, "unmount ghost"), 0);
	assert_true(fusehostd_wait_for_log(
		fixture->daemon,
		"ghost: unmounting on request: it is down, and a reload no "
		"longer tries it again",
		STOP_TIMEOUT_MS));
	assert_int_equal(ctl(fixture, NULL, "--json list"), 0);
	assert_output_has(fixture, "\"state\" : \"unmounted\"");
	assert_int_equal(ctl(fixture, NULL, "unmount ghost"), 1);
	assert_output_has(fixture, "fusehostctl: ghost: not serving: already "
				   "unmounted");

	/* Its cause mended, a reload still leaves it down. */
	assert_int_equal(mkdir(ghost, 0755), 0);
	assert_int_equal(ctl(fixture, NULL, "reload"), 0);
	assert_false(is_fuse_mounted(ghost));
	assert_int_equal(ctl(fixture, NULL, "mount ghost"), 0);
	assert_true(is_fuse_mounted(ghost));
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(mounts);
	g_free(ghost);
}

/* fusehostctl mount of a mount that cannot start says why, as the log
 * does: not "No such file or directory" for a missing mountpoint, nor
 * only "see the log" for a plugin that could not be loaded at start. */
static void test_mount_failure_names_the_cause(void **state)
{
	struct control_fixture *fixture = *state;
	char *ghost = test_subdir(fixture->dir, "ghost");
	char *mounts = g_strdup_printf("[mount h]\nplugin = hello\n"
				       "mountpoint = %s\nrestart = no\n"
				       "[mount ghost]\nplugin = nosuch\n"
				       "mountpoint = %s\n",
				       fixture->mountpoint, ghost);
	char *cause;
	static const char *const expected[] = { "mount skipped",
						"does not exist", NULL };

	serve_mount(fixture, NULL, mounts);
	assert_int_equal(ctl(fixture, NULL, "mount ghost"), 1);
	cause = g_strdup_printf("ghost: %s: [mount ghost] plugin: plugin "
				"file ",
				fixture->config);
	assert_output_has(fixture, cause);
	assert_output_has(fixture, "/nosuch.so does not exist");
	g_free(cause);

	assert_int_equal(ctl(fixture, NULL, "unmount h"), 0);
	assert_int_equal(rmdir(fixture->mountpoint), 0);
	assert_int_equal(ctl(fixture, NULL, "mount h"), 1);
	cause = g_strdup_printf("fusehostctl: h: mountpoint %s does not "
				"exist\n",
				fixture->mountpoint);
	assert_output_has(fixture, cause);
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(cause);
	g_free(mounts);
	g_free(ghost);
}

/* A reload whose new plugin options the plugin refuses answers with the
 * plugin's reason, not only "see the log". */
static void test_reload_refusal_names_the_cause(void **state)
{
	struct control_fixture *fixture = *state;
	char *good = g_strdup_printf("[mount h]\nplugin = memfs\n"
				     "mountpoint = %s\nsize = 64M\n",
				     fixture->mountpoint);
	char *bad = g_strdup_printf("[daemon]\ncontrol-socket = %s\n"
				    "[mount h]\nplugin = memfs\n"
				    "mountpoint = %s\nsize = 64Q\n",
				    fixture->socket, fixture->mountpoint);
	const char *const expected[] = { "'64Q' is not a size",
					 "cannot be used", NULL };

	serve_mount(fixture, NULL, good);
	test_write_file(fixture->config, bad);
	assert_int_equal(ctl(fixture, NULL, "reload"), 1);
	assert_output_has(fixture, "[mount h] plugin memfs refuses this "
				   "configuration: option size: '64Q' is not "
				   "a size");
	assert_output_has(fixture, "nothing changed");
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(bad);
	g_free(good);
}

/* log-level = debug says more than info: each control request, and the
 * options a mount gives libfuse. */
static void test_debug_level_says_more(void **state)
{
	struct control_fixture *fixture = *state;

	serve(fixture, "log-level = debug\n");
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_true(fusehostd_wait_for_log(fixture->daemon,
					   "debug: control request: GET /v1/",
					   START_TIMEOUT_MS));
	fusehostd_assert_logged(fixture->daemon,
				"debug: h: libfuse options: ");
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, NULL);
}

/* A second fusehostd on the same configuration stops at once, saying
 * why; the first one serves on. */
static void test_second_daemon_refused(void **state)
{
	struct control_fixture *fixture = *state;
	struct fusehostd *second;
	char *hello = test_path(fixture->mountpoint, "hello");
	char *text;

	serve(fixture, NULL);
	second = fusehostd_start(fixture->config, NULL);
	assert_int_equal(fusehostd_wait(second, START_TIMEOUT_MS), 1);
	fusehostd_assert_logged(second, "another fusehostd answers on the "
					"control socket");
	fusehostd_free(second);
	text = test_read_file(hello);
	assert_non_null(text);
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_int_equal(
		fusehostd_stop(fixture->daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	g_free(text);
	g_free(hello);
}

/* unmount while a restart is opening the plugin: once that start is
 * over the mount is taken down, and it stays down. */
static void test_unmount_during_restart(void **state)
{
	struct control_fixture *fixture = *state;
	char *flag = test_path(fixture->dir, "slow-open");
	char *plugin = test_plugin_path("misbehave");
	char *mount = g_strdup_printf(
		"[mount h]\nplugin = %s\nmountpoint = %s\n"
		"restart = always\nrestart-sec = 0\nsleep-ms = 1500\n"
		"open-sleep-file = %s\n",
		plugin, fixture->mountpoint, flag);
	const char *const expected[] = { "unmounted from outside", NULL };

	serve_mount(fixture, NULL, mount);
	test_write_file(flag, "");
	assert_int_equal(test_shell("fusermount3 -u %s", fixture->mountpoint),
			 0);
	assert_true(fusehostd_wait_for_log(fixture->daemon,
					   "restarting (attempt 1)",
					   START_TIMEOUT_MS));
	assert_int_equal(ctl(fixture, NULL, "unmount h"), 0);
	assert_false(is_fuse_mounted(fixture->mountpoint));
	usleep(500 * 1000);
	assert_false(is_fuse_mounted(fixture->mountpoint));
	assert_int_equal(ctl(fixture, NULL, "--json list"), 0);
	assert_output_has(fixture, "\"state\" : \"unmounted\"");

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(mount);
	g_free(plugin);
	g_free(flag);
}

/* Reading needs only access to the socket; changing state needs root or
 * control-group. */
static void test_permissions(void **state)
{
	struct control_fixture *fixture = *state;
	char *run_dir = g_path_get_dirname(fixture->socket);
	static const char *const changes[] = {
		"unmount h", "mount h", "remount h", "trace h on", "reload",
	};

	serve(fixture, "control-group = users\n");
	assert_int_equal(test_shell("stat -c '%%a %%G' %s | grep -q '^660 "
				    "users$' && stat -c '%%a' %s | grep -q "
				    "'^710$'",
				    fixture->socket, run_dir),
			 0);
	/* Outside the group, nobody cannot even reach the socket. */
	assert_int_equal(ctl(fixture, NOBODY, "status"), 3);
	assert_output_has(fixture, "permission denied");

	/* An administrator may open the socket to all; state stays guarded. */
	assert_int_equal(test_shell("chmod 0755 %s && chmod 0666 %s", run_dir,
				    fixture->socket),
			 0);
	assert_int_equal(ctl(fixture, NOBODY, "status"), 0);
	assert_output_has(fixture, "serving");
	for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
		assert_int_equal(ctl(fixture, NOBODY, "%s", changes[i]), 4);
		assert_output_has(fixture, "permission denied");
	}
	assert_true(is_fuse_mounted(fixture->mountpoint));

	/* Members of control-group may change state. */
	assert_int_equal(ctl(fixture, NOBODY_IN_USERS, "unmount h"), 0);
	assert_false(is_fuse_mounted(fixture->mountpoint));
	assert_int_equal(ctl(fixture, NOBODY_IN_USERS, "mount h"), 0);
	assert_true(is_fuse_mounted(fixture->mountpoint));

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, NULL);
	g_free(run_dir);
}

/* Serve with control-group = users and the socket in `dir`, which the
 * test made; then check the directory's mode and group as stat shows them
 * ("1777 root"), and whether members of users may change state. */
static void serve_in_directory(struct control_fixture *fixture,
			       const char *dir, const char *expected_mode,
			       bool members_reach)
{
	g_free(fixture->socket);
	fixture->socket = test_path(dir, "control.sock");
	serve(fixture, "control-group = users\n");
	assert_int_equal(test_shell("stat -c '%%a %%G' %s | grep -qx '%s' && "
				    "stat -c '%%a %%G' %s | grep -qx "
				    "'660 users'",
				    dir, expected_mode, fixture->socket),
			 0);
	if (members_reach) {
		assert_int_equal(ctl(fixture, NOBODY_IN_USERS, "unmount h"), 0);
		assert_false(is_fuse_mounted(fixture->mountpoint));
	} else {
		assert_int_equal(ctl(fixture, NOBODY_IN_USERS, "status"), 3);
		assert_output_has(fixture, "permission denied");
	}
}

static void stop_daemon(struct control_fixture *fixture,
			const char *const *expected)
{
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	fusehostd_free(fixture->daemon);
	fixture->daemon = NULL;
}

/* The socket's directory, when it was there already, is someone else's:
 * a shared sticky one keeps its mode and owner, and members of
 * control-group reach the socket through it; one that keeps them out, or
 * lets anyone replace the socket, is left as it is too, with a warning.
 * The directory systemd makes for the service (RuntimeDirectory=) is the
 * daemon's own, as one it makes itself is. */
static void test_existing_socket_directory(void **state)
{
	struct control_fixture *fixture = *state;
	char *shared = test_subdir(fixture->dir, "shared");
	char *private = test_subdir(fixture->dir, "private");
	char *open = test_subdir(fixture->dir, "open");
	char *reach_warning = g_strdup_printf(
		"warning: members of control-group users cannot reach the "
		"control socket: its directory %s was there already and is "
		"left as it is, mode 0700, group root",
		private);
	char *replace_warning = g_strdup_printf(
		"warning: anyone can replace the control socket: its directory "
		"%s is writable by others and not sticky (mode 0777)",
		open);
	const char *const expected_reach[] = { reach_warning, NULL };
	const char *const expected_replace[] = { replace_warning, NULL };

	assert_int_equal(chmod(shared, 01777), 0);
	serve_in_directory(fixture, shared, "1777 root", true);
	stop_daemon(fixture, NULL);

	assert_int_equal(chmod(private, 0700), 0);
	serve_in_directory(fixture, private, "700 root", false);
	fusehostd_assert_logged(fixture->daemon, reach_warning);
	stop_daemon(fixture, expected_reach);

	assert_int_equal(chmod(open, 0777), 0);
	serve_in_directory(fixture, open, "777 root", true);
	fusehostd_assert_logged(fixture->daemon, replace_warning);
	stop_daemon(fixture, expected_replace);

	assert_int_equal(setenv("RUNTIME_DIRECTORY", private, 1), 0);
	serve_in_directory(fixture, private, "710 users", true);
	assert_int_equal(unsetenv("RUNTIME_DIRECTORY"), 0);
	stop_daemon(fixture, NULL);

	g_free(replace_warning);
	g_free(reach_warning);
	g_free(open);
	g_free(private);
	g_free(shared);
}

/* A socket left by a daemon that died is replaced; any other file at the
 * socket's path (control-socket pointing at it by mistake) is not
 * deleted: the daemon says what is there and serves on without the
 * control socket. */
static void test_socket_path_taken_by_a_file(void **state)
{
	struct control_fixture *fixture = *state;
	char *run_dir = test_subdir(fixture->dir, "run");
	char *hello = test_path(fixture->mountpoint, "hello");
	char *error = g_strdup_printf("error: cannot listen on control socket "
				      "%s: a regular file is there, not a "
				      "socket, and is left alone",
				      fixture->socket);
	const char *const expected[] = { error, NULL };
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	char *text;
	int stale;

	g_strlcpy(address.sun_path, fixture->socket,
		  sizeof(address.sun_path));
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(stale >= 0);
	assert_int_equal(bind(stale, (struct sockaddr *)&address,
			      sizeof(address)),
			 0);
	close(stale);
	serve(fixture, NULL);
	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	stop_daemon(fixture, NULL);

	test_write_file(fixture->socket, "precious\n");
	serve(fixture, NULL);
	assert_true(fusehostd_wait_for_log(fixture->daemon, error,
					   START_TIMEOUT_MS));
	text = test_read_file(hello);
	assert_non_null(text);
	g_free(text);
	stop_daemon(fixture, expected);
	text = test_read_file(fixture->socket);
	assert_string_equal(text, "precious\n");

	g_free(text);
	g_free(error);
	g_free(hello);
	g_free(run_dir);
}

/* Start `fusehostctl -s SOCKET ARGUMENTS` in the background; its output
 * goes to DIR/NAME.out, and its exit status, once it has answered, to
 * DIR/NAME.done. */
static void ctl_in_background(struct control_fixture *fixture,
			      const char *name, const char *arguments)
{
	char *build_dir = g_path_get_dirname(test_fusehostd_path());

	assert_int_equal(test_shell("(%s/fusehostctl -s %s %s > %s/%s.out "
				    "2>&1; echo $? > %s/%s.done) "
				    "</dev/null >/dev/null 2>&1 &",
				    build_dir, fixture->socket, arguments,
				    fixture->dir, name, fixture->dir, name),
			 0);
	g_free(build_dir);
}

/* Whether the background fusehostctl `name` has answered. */
static bool answered(struct control_fixture *fixture, const char *name)
{
	char *done = g_strdup_printf("%s/%s.done", fixture->dir, name);
	bool exists = access(done, F_OK) == 0;

	g_free(done);
	return exists;
}

/* The background fusehostctl's exit status and output, once it has
 * exited (it has, when the daemon has). */
static void assert_answer(struct control_fixture *fixture, const char *name,
			  const char *status, const char *output)
{
	char *done = g_strdup_printf("%s/%s.done", fixture->dir, name);
	char *out = g_strdup_printf("%s/%s.out", fixture->dir, name);
	char *text;

	for (int i = 0; i < 500 && access(done, F_OK) < 0; i++)
		usleep(10 * 1000);
	text = test_read_file(done);
	assert_non_null(text);
	assert_string_equal(text, status);
	g_free(text);
	g_free(fixture->output);
	fixture->output = test_read_file(out);
	assert_output_has(fixture, output);
	g_free(out);
	g_free(done);
}

/* While a state change waits (an unmount whose plugin is busy in a slow
 * read), status still answers, before the unmount does; a state change
 * queued behind it is answered "fusehostd is stopping" when the daemon
 * stops, and the unmount finishes. */
static void test_status_during_slow_state_change(void **state)
{
	struct control_fixture *fixture = *state;
	char *plugin = test_plugin_path("misbehave");
	char *mount = g_strdup_printf("[mount h]\nplugin = %s\n"
				      "mountpoint = %s\nrestart = no\n"
				      "sleep-ms = 4000\n",
				      plugin, fixture->mountpoint);
	const char *const expected[] = { "slow operation: read /sleep",
					 NULL };

	serve_mount(fixture, "log-level = debug\n", mount);
	assert_int_equal(ctl(fixture, NULL, "trace h on"), 0);
	assert_int_equal(test_shell("cat %s/sleep </dev/null >/dev/null "
				    "2>&1 &",
				    fixture->mountpoint),
			 0);
	assert_true(fusehostd_wait_for_log(fixture->daemon, "-> read /sleep",
					   START_TIMEOUT_MS));
	ctl_in_background(fixture, "unmount", "unmount h");
	assert_true(fusehostd_wait_for_log(fixture->daemon,
					   "h: unmounting on request",
					   START_TIMEOUT_MS));

	assert_int_equal(ctl(fixture, NULL, "status"), 0);
	assert_output_has(fixture, "misbehave");
	assert_false(answered(fixture, "unmount"));

	ctl_in_background(fixture, "trace", "trace h off");
	assert_true(fusehostd_wait_for_log_count(
		fixture->daemon, "control request: POST /v1/mounts/h/trace", 2,
		START_TIMEOUT_MS));
	assert_false(answered(fixture, "unmount"));
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	assert_answer(fixture, "unmount", "0\n", "");
	assert_answer(fixture, "trace", "1\n",
		      "fusehostctl: h: fusehostd is stopping");
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(mount);
	g_free(plugin);
}

/* A mount lazily unmounted from outside (restart = no) is shown as not
 * serving by status and metrics, as the mount table says. */
static void test_status_agrees_with_mount_table(void **state)
{
	struct control_fixture *fixture = *state;
	const char *const expected[] = { "was unmounted from outside", NULL };

	serve(fixture, NULL);
	assert_int_equal(test_shell("umount -l %s", fixture->mountpoint), 0);
	/* "gone" comes first, while the kernel's table already lacks the
	 * mount and the supervisor has yet to mark it down. */
	for (int i = 0; i < 500; i++) {
		ctl(fixture, NULL, "--json list");
		assert_null(strstr(fixture->output, "\"serving\""));
		if (strstr(fixture->output, "\"state\" : \"down\""))
			break;
		usleep(10 * 1000);
	}
	assert_output_has(fixture, "\"state\" : \"down\"");
	assert_int_equal(ctl(fixture, NULL, "metrics"), 0);
	assert_output_has(fixture, "fusehost_mount_up{mount=\"h\","
				   "plugin=\"hello\"} 0");
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_command_as_root,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_names_the_socket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_reports_and_retries_failed_mounts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_unmount_of_failed_mount_keeps_it_down, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_mount_failure_names_the_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_names_a_missing_plugin, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_refusal_names_the_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_level_says_more,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_daemon_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmount_during_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_status_agrees_with_mount_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_socket_directory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_path_taken_by_a_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_status_during_slow_state_change, setup, teardown),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
