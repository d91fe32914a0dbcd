/* Integration tests of fusehostd as a service: the sd_notify sequence seen
 * by a NOTIFY_SOCKET of the test's own (with the status following a mount
 * that goes down and comes back), reload by difference (with a file
 * held open in a mount that must not be touched), mounts that heal after
 * being unmounted from outside, and the systemd unit passing
 * systemd-analyze verify. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

static void assert_log_soon(struct fixture *fixture, const char *text)
{
	if (!fusehostd_wait_for_log(fixture->daemon, text,
				    START_TIMEOUT_MS)) {
		char *log = fusehostd_log(fixture->daemon);

		print_error("daemon log:\n%s", log);
		fail_msg("daemon did not log '%s'", text);
	}
}

/* Replace the config with `text` and have the daemon reload it. */
static void reload_with(struct fixture *fixture, const char *text)
{
	test_write_file(fixture->config, text);
	kill(fixture->daemon->pid, SIGHUP);
}

/* What a reload that remounts a serving mount warns. */
static const char *const remounting_expected[] = {
	"configuration changed: remounting", NULL
};

/* SIGTERM; the daemon must exit 0 with only `expected` complaints. */
static void stop_cleanly(struct fixture *fixture, const char *const *expected)
{
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
}

/* The next notification datagram, or NULL after timeout_ms. */
static char *next_notification(int fd, int timeout_ms)
{
	struct timeval timeout = { .tv_sec = timeout_ms / 1000,
				   .tv_usec = (timeout_ms % 1000) * 1000 };
	char buffer[4096];
	ssize_t length;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	length = recv(fd, buffer, sizeof(buffer) - 1, 0);
	if (length <= 0)
		return NULL;
	buffer[length] = '\0';
	return g_strdup(buffer);
}

/* Skip notifications until one contains `text`; it is returned. */
static char *expect_notification(int fd, const char *text)
{
	long long deadline = test_now_ms() + START_TIMEOUT_MS;

	while (test_now_ms() < deadline) {
		char *message = next_notification(fd, 1000);

		if (message && strstr(message, text))
			return message;
		g_free(message);
	}
	fail_msg("no notification with '%s'", text);
	return NULL;
}

static void test_notify_sequence(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *socket_path = test_path(fixture->dir, "notify");
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	char *text = g_strdup_printf("[mount h]\nplugin = hello\n"
				     "mountpoint = %s\n",
				     mountpoint);
	char *message;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	g_strlcpy(address.sun_path, socket_path, sizeof(address.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&address,
			      sizeof(address)),
			 0);
	test_write_file(fixture->config, text);
	setenv("NOTIFY_SOCKET", socket_path, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");

	message = expect_notification(fd, "READY=1");
	/* Ready means serving. */
	assert_true(is_fuse_mounted(mountpoint));
	assert_non_null(strstr(message, "STATUS=1 of 1 mounts serving"));
	g_free(message);
	g_free(expect_notification(fd, "WATCHDOG=1"));
	g_free(expect_notification(fd, "WATCHDOG=1"));

	/* The status follows a mount that goes down and comes back. */
	assert_int_equal(test_shell("fusermount3 -u %s", mountpoint), 0);
	g_free(expect_notification(fd, "STATUS=0 of 1 mounts serving"));
	g_free(expect_notification(fd, "STATUS=1 of 1 mounts serving"));

	kill(fixture->daemon->pid, SIGHUP);
	message = expect_notification(fd, "RELOADING=1");
	assert_non_null(strstr(message, "MONOTONIC_USEC="));
	g_free(message);
	g_free(expect_notification(fd, "READY=1"));

	kill(fixture->daemon->pid, SIGTERM);
	g_free(expect_notification(fd, "STOPPING=1"));
	/* More time is asked for while the mounts drain. */
	g_free(expect_notification(fd, "EXTEND_TIMEOUT_USEC="));
	assert_int_equal(fusehostd_wait(fixture->daemon, STOP_TIMEOUT_MS), 0);
	close(fd);
	g_free(text);
	g_free(socket_path);
	g_free(mountpoint);
}

static char *mount_group(const char *name, const char *plugin,
			 const char *mountpoint, const char *extra)
{
	return g_strdup_printf("[mount %s]\nplugin = %s\nmountpoint = %s\n%s",
			       name, plugin, mountpoint, extra ? extra : "");
}

/* A plugin file replaced while mounts use it: a reload that loads it
 * again gets the code already loaded, and says so. */
static void test_replaced_plugin_file_reported(void **state)
{
	struct fixture *fixture = *state;
	char *plugins = test_subdir(fixture->dir, "plugins");
	char *file = test_path(plugins, "hello.so");
	char *one = test_subdir(fixture->dir, "one");
	char *two = test_subdir(fixture->dir, "two");
	char *before, *after;
	char *group_one = mount_group("one", file, one, "greeting = before\n");
	char *group_one_after =
	    mount_group("one", file, one, "greeting = after\n");
	char *group_two = mount_group("two", file, two, NULL);
	const char *const expected[] = { "has changed since it was loaded",
					 "configuration changed: remounting",
					 NULL };
	char *greeting_path = test_path(one, "hello");
	char *greeting;

	assert_int_equal(test_shell("cp %s/hello.so %s", test_plugin_dir(),
				    file),
			 0);
	before = g_strconcat(group_one, group_two, NULL);
	after = g_strconcat(group_one_after, group_two, NULL);
	test_write_file(fixture->config, before);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "2 of 2 mounts serving");
	/* As an installer does it: a new file in the old one's place. */
	assert_int_equal(test_shell("cp %s/hello.so %s.new && mv %s.new %s",
				    test_plugin_dir(), file, file, file),
			 0);
	reload_with(fixture, after);
	assert_log_soon(fixture, "configuration reloaded");
	fusehostd_assert_logged(fixture->daemon,
				"warning: plugin file ");
	fusehostd_assert_logged(fixture->daemon,
				"hello.so has changed since it was loaded: "
				"its mounts run the code loaded first");
	greeting = test_read_file(greeting_path);
	assert_string_equal(greeting, "after\n");
	stop_cleanly(fixture, expected);
	g_free(greeting);
	g_free(greeting_path);
	g_free(after);
	g_free(before);
	g_free(group_two);
	g_free(group_one_after);
	g_free(group_one);
	g_free(two);
	g_free(one);
	g_free(file);
	g_free(plugins);
}

/* One reload adds, removes, changes and keeps mounts; a process writing
 * through a file it holds open in the kept mount never notices. */
static void test_reload_by_difference(void **state)
{
	struct fixture *fixture = *state;
	char *kept = test_subdir(fixture->dir, "kept");
	char *gone = test_subdir(fixture->dir, "gone");
	char *changed = test_subdir(fixture->dir, "changed");
	char *added = test_subdir(fixture->dir, "added");
	char *kept_group = mount_group("kept", "memfs", kept,
				       "options = default_permissions\n");
	char *gone_group = mount_group("gone", "hello", gone, NULL);
	char *changed_before = mount_group("changed", "hello", changed,
					   "greeting = before\n");
	char *changed_after = mount_group("changed", "hello", changed,
					  "greeting = after\n");
	char *added_group = mount_group("added", "hello", added, NULL);
	char *before = g_strconcat(kept_group, gone_group, changed_before,
				   NULL);
	char *after = g_strconcat(kept_group, changed_after, added_group,
				  "trace = false\n", NULL);
	char *held_path = test_path(kept, "held");
	char *greeting_path = test_path(changed, "hello");
	char *added_path = test_path(added, "hello");
	char *held_text;
	char *greeting;
	int held;

	test_write_file(fixture->config, before);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "3 of 3 mounts serving");
	held = open(held_path, O_CREAT | O_RDWR, 0644);
	assert_true(held >= 0);
	assert_int_equal(write(held, "before ", 7), 7);

	for (int round = 0; round < 3; round++) {
		reload_with(fixture, round % 2 ? before : after);
		/* Each direction adds one, removes one, changes one. */
		assert_log_soon(fixture, round % 2 ? "reloaded: 1 added, 1 "
						     "removed, 1 changed, 1 "
						     "unchanged\ninfo: 3 of 3"
						   : "reloaded: 1 added, 1 "
						     "removed, 1 changed, 1 "
						     "unchanged\n");
		assert_int_equal(write(held, "x", 1), 1);
	}
	/* Back to `after`: the last round applied `before` again.  The
	 * reload is done when its status line follows the fourth summary. */
	reload_with(fixture, after);
	for (int i = 0; i < 1000; i++) {
		char *log = fusehostd_log(fixture->daemon);
		unsigned reloads = 0;
		char *last = NULL;

		for (char *at = strstr(log, "configuration reloaded"); at;
		     at = strstr(at + 1, "configuration reloaded")) {
			reloads++;
			last = at;
		}
		if (reloads == 4 && strstr(last, "mounts serving")) {
			g_free(log);
			break;
		}
		g_free(log);
		usleep(10 * 1000);
	}
	assert_true(wait_for_fuse_mount(added, START_TIMEOUT_MS));
	assert_true(wait_for_no_fuse_mount(gone, START_TIMEOUT_MS));
	assert_int_equal(write(held, " after", 6), 6);
	assert_int_equal(close(held), 0);
	held_text = test_read_file(held_path);
	assert_string_equal(held_text, "before xxx after");
	greeting = test_read_file(greeting_path);
	assert_non_null(greeting);
	assert_string_equal(greeting, "after\n");
	g_free(greeting);
	greeting = test_read_file(added_path);
	assert_string_equal(greeting, "Hello, world!\n");

	/* The kept mount was mounted once, whatever happened around it;
	 * remounting the changed one, a new filesystem, was worth a
	 * warning. */
	{
		char *log = fusehostd_log(fixture->daemon);
		unsigned count = 0;

		assert_non_null(strstr(log, "warning: changed: configuration "
					    "changed: remounting (files open "
					    "in it are lost"));

		for (char *at = strstr(log, "kept: serving plugin"); at;
		     at = strstr(at + 1, "kept: serving plugin"))
			count++;
		assert_int_equal(count, 1);
		g_free(log);
	}
	stop_cleanly(fixture, remounting_expected);
	g_free(greeting);
	g_free(held_text);
	g_free(added_path);
	g_free(greeting_path);
	g_free(held_path);
	g_free(after);
	g_free(before);
	g_free(added_group);
	g_free(changed_after);
	g_free(changed_before);
	g_free(gone_group);
	g_free(kept_group);
	g_free(added);
	g_free(changed);
	g_free(gone);
	g_free(kept);
}

/* Only the plugin knows a bad value of one of its options ("64Q" is no
 * size): a reload asks it before remounting, and a serving mount whose
 * new options it refuses keeps serving, its data untouched. */
static void test_reload_refused_plugin_value_keeps_serving(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *good = mount_group("m", "memfs", mountpoint, "size = 64M\n");
	char *broken = mount_group("m", "memfs", mountpoint, "size = 64Q\n");
	const char *const expected[] = { "'64Q' is not a size",
					 "refuses this configuration",
					 "cannot be used", NULL };
	char *path = test_path(mountpoint, "kept");
	char *text;

	test_write_file(fixture->config, good);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 1 mounts serving");
	test_write_file(path, "data\n");
	reload_with(fixture, broken);
	assert_log_soon(fixture, "last reload failed: a mount's new plugin "
				 "or options cannot be used");
	fusehostd_assert_logged(fixture->daemon,
				"[mount m] plugin memfs refuses this "
				"configuration: option size");
	text = test_read_file(path);
	assert_string_equal(text, "data\n");
	g_free(text);
	stop_cleanly(fixture, expected);
	g_free(path);
	g_free(broken);
	g_free(good);
	g_free(mountpoint);
}

/* restart = on-failure (the default) does not retry a mount that never
 * started, whether it came with the first configuration or with a
 * reload: a mount added by a reload whose mountpoint is missing is
 * skipped, as it is at boot. */
static void test_reload_added_mount_that_fails_is_skipped(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *missing = test_path(fixture->dir, "missing");
	char *first = mount_group("h", "hello", mountpoint, NULL);
	char *added = mount_group("ghost", "hello", missing, NULL);
	char *second = g_strconcat(first, added, NULL);
	const char *const expected[] = { "does not exist", "mount skipped",
					 NULL };
	char *log;

	test_write_file(fixture->config, first);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 1 mounts serving");
	reload_with(fixture, second);
	assert_log_soon(fixture, "configuration reloaded: 1 added");
	log = fusehostd_log(fixture->daemon);
	assert_non_null(strstr(log, "ghost: mount skipped"));
	assert_null(strstr(log, "ghost: restart in"));
	g_free(log);
	stop_cleanly(fixture, expected);
	g_free(second);
	g_free(added);
	g_free(first);
	g_free(missing);
	g_free(mountpoint);
}

/* An invalid config on reload changes nothing and says so. */
static void test_invalid_reload_keeps_serving(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *group = mount_group("h", "hello", mountpoint, NULL);
	char *broken = g_strconcat(group, "bogus-key-for-hello = 1\n"
					  "threads = many\n",
				   NULL);
	const char *const expected[] = { "threads: 'many'",
					 "configuration invalid", NULL };
	char *path = test_path(mountpoint, "hello");
	char *text;

	test_write_file(fixture->config, group);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 1 mounts serving");
	reload_with(fixture, broken);
	assert_log_soon(fixture, "last reload failed: configuration invalid");
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	stop_cleanly(fixture, expected);
	g_free(text);
	g_free(path);
	g_free(broken);
	g_free(group);
	g_free(mountpoint);
}

/* A reload never takes down a serving mount for one whose plugin cannot
 * be used, and it tries again a mount whose plugin could not be loaded
 * before: installing the plugin and reloading brings that mount up. */
static void test_reload_checks_plugins_first(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *late_mountpoint = test_subdir(fixture->dir, "late");
	char *late_plugin = test_path(fixture->dir, "late.so");
	char *hello_group = mount_group("h", "hello", mountpoint, NULL);
	char *late_group = mount_group("late", late_plugin, late_mountpoint,
				       NULL);
	char *good = g_strconcat(hello_group, late_group, NULL);
	char *broken = g_strconcat(hello_group, "bogus-key-for-hello = 1\n",
				   late_group, NULL);
	const char *const expected[] = { "late.so", "mount skipped",
					 "bogus-key-for-hello",
					 "cannot be used",
					 "log-target changed", NULL };
	char *path = test_path(mountpoint, "hello");
	char *text;

	test_write_file(fixture->config, good);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 2 mounts serving");

	reload_with(fixture, broken);
	assert_log_soon(fixture, "last reload failed: a mount's new plugin");
	assert_true(is_fuse_mounted(mountpoint));
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);

	/* The same mounts as at the start, with the plugin there, and a
	 * setting that only a restart applies. */
	text = g_strconcat("[daemon]\nlog-target = stderr\n", good, NULL);
	test_write_file(fixture->config, text);
	g_free(text);
	assert_int_equal(test_shell("install -m 0644 %s/memfs.so %s",
				    test_plugin_dir(), late_plugin),
			 0);
	kill(fixture->daemon->pid, SIGHUP);
	assert_log_soon(fixture, "2 of 2 mounts serving");
	assert_log_soon(fixture, "log-target changed: that applies when "
				 "fusehostd starts again");
	assert_true(is_fuse_mounted(late_mountpoint));
	assert_true(is_fuse_mounted(mountpoint));

	/* Back to what the daemon started with: nothing waits for a
	 * restart, and nothing is said. */
	reload_with(fixture, good);
	assert_true(fusehostd_wait_for_log_count(fixture->daemon,
						 "configuration reloaded", 2,
						 START_TIMEOUT_MS));
	text = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(text, "log-target changed"), 1);
	g_free(text);

	stop_cleanly(fixture, expected);
	g_free(path);
	g_free(broken);
	g_free(good);
	g_free(late_group);
	g_free(hello_group);
	g_free(late_plugin);
	g_free(late_mountpoint);
	g_free(mountpoint);
}

/* --plugin-dir wins over the file's plugin-dir, after a reload too: a
 * mount added by the reload loads its plugin from there. */
static void test_reload_keeps_plugin_dir(void **state)
{
	struct fixture *fixture = *state;
	char *first = test_subdir(fixture->dir, "first");
	char *second = test_subdir(fixture->dir, "second");
	char *first_group = mount_group("first", "hello", first, NULL);
	char *second_group = mount_group("second", "hello", second, NULL);
	char *one = g_strconcat("[daemon]\nplugin-dir = /nonexistent\n",
				first_group, NULL);
	char *two = g_strconcat(one, second_group, NULL);

	test_write_file(fixture->config, one);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 1 mounts serving");
	reload_with(fixture, two);
	assert_log_soon(fixture, "2 of 2 mounts serving");
	assert_true(is_fuse_mounted(second));
	stop_cleanly(fixture, NULL);
	g_free(two);
	g_free(one);
	g_free(second_group);
	g_free(first_group);
	g_free(second);
	g_free(first);
}

/* log-target applies when the daemon starts: a reload warns when the
 * file's value differs from the one it started with, and only then. */
static void test_reload_unchanged_log_target_quiet(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *group = mount_group("h", "hello", mountpoint, NULL);
	char *same = g_strconcat("[daemon]\nlog-target = stderr\n", group,
				 NULL);
	char *changed = g_strconcat("[daemon]\nlog-target = journal\n", group,
				    NULL);
	const char *const expected[] = { "log-target changed", NULL };
	char *log;

	test_write_file(fixture->config, same);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "1 of 1 mounts serving");
	for (unsigned round = 1; round <= 2; round++) {
		reload_with(fixture, same);
		assert_true(fusehostd_wait_for_log_count(
			fixture->daemon, "configuration reloaded", round,
			START_TIMEOUT_MS));
	}
	log = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(log, "log-target changed"), 0);
	g_free(log);

	reload_with(fixture, changed);
	assert_log_soon(fixture, "warning: log-target changed: that applies "
				 "when fusehostd starts again");
	stop_cleanly(fixture, expected);
	g_free(changed);
	g_free(same);
	g_free(group);
	g_free(mountpoint);
}

/* Unmounted from outside (fusermount3 -u; umount -l with a file open):
 * the mount is noticed gone, counted, and serves again.  A bystander
 * mount, checked against the same reads of the mount table, is left
 * alone. */
static void test_mounts_heal(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *bystander = test_subdir(fixture->dir, "b");
	char *healed_group = mount_group("h", "hello", mountpoint,
					 "restart-sec = 0\n");
	char *bystander_group = mount_group("b", "hello", bystander, NULL);
	char *groups = g_strconcat(healed_group, bystander_group, NULL);
	const char *const expected[] = { "was unmounted from outside", NULL };
	char *path = test_path(mountpoint, "hello");
	char *bystander_path = test_path(bystander, "hello");
	int port = test_enable_metrics(fixture->dir);
	char *text;
	int held;

	test_write_file(fixture->config, groups);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_log_soon(fixture, "2 of 2 mounts serving");

	assert_int_equal(test_shell("fusermount3 -u %s", mountpoint), 0);
	assert_log_soon(fixture, "restarting (attempt 1)");
	assert_true(wait_for_fuse_mount(mountpoint, START_TIMEOUT_MS));
	assert_log_soon(fixture, "attempt 1)\n");
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);

	held = open(path, O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(test_shell("umount -l %s", mountpoint), 0);
	assert_log_soon(fixture, "restarting (attempt 2)");
	assert_true(wait_for_fuse_mount(mountpoint, START_TIMEOUT_MS));
	close(held);
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);

	text = test_scrape_metrics(port);
	assert_non_null(text);
	assert_int_equal(test_metric_value(text, "fusehost_mount_restarts_total"
						 "{mount=\"h\",plugin=\"hello\"}"),
			 2);
	assert_int_equal(test_metric_value(text, "fusehost_mount_up{mount="
						 "\"h\",plugin=\"hello\"}"),
			 1);
	assert_int_equal(test_metric_value(text, "fusehost_mount_restarts_total"
						 "{mount=\"b\",plugin=\"hello\"}"),
			 0);
	assert_int_equal(test_metric_value(text, "fusehost_mount_up{mount="
						 "\"b\",plugin=\"hello\"}"),
			 1);
	g_free(text);
	text = test_read_file(bystander_path);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	assert_false(is_fuse_mounted(mountpoint));
	assert_false(is_fuse_mounted(bystander));
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(bystander_path);
	g_free(path);
	g_free(groups);
	g_free(bystander_group);
	g_free(healed_group);
	g_free(bystander);
	g_free(mountpoint);
}

/* The shipped unit passes systemd-analyze verify. */
static void test_unit_verifies(void **state)
{
	struct fixture *fixture = *state;
	char *unit = test_path(fixture->dir, "fusehostd.service");
	char *sbindir = g_path_get_dirname(test_fusehostd_path());

	assert_int_equal(test_shell("sed -e 's|@SBINDIR@|%s|g' "
				    "-e 's|@SYSCONFDIR@|/etc|g' "
				    "systemd/fusehostd.service.in > %s",
				    sbindir, unit),
			 0);
	assert_int_equal(test_shell("systemd-analyze verify --man=no %s",
				    unit),
			 0);
	g_free(sbindir);
	g_free(unit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_sequence, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_by_difference,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_replaced_plugin_file_reported, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_invalid_reload_keeps_serving, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_refused_plugin_value_keeps_serving,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_added_mount_that_fails_is_skipped,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_checks_plugins_first, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_plugin_dir,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_unchanged_log_target_quiet, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mounts_heal, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unit_verifies, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
