/* Integration tests of the daemon's life: start, serve, stop, recover.
 * Each test starts the real fusehostd on real FUSE mounts in a temporary
 * directory and fails if the daemon logs an error or warning it did not
 * expect. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/mount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

static const char *const nothing_expected[] = { NULL };

/* A config with a hello mount at DIR/hello and the given extra text. */
static char *write_hello_config(struct fixture *fixture, const char *extra)
{
	char *mountpoint = test_subdir(fixture->dir, "hello");
	char *text = g_strdup_printf("[mount hello]\nplugin = hello\n"
				     "mountpoint = %s\n"
				     "options = allow_other\n"
				     "greeting = Hello from a test\n%s",
				     mountpoint, extra ? extra : "");

	test_write_file(fixture->config, text);
	g_free(text);
	return mountpoint;
}

static struct fusehostd *start_and_wait(struct fixture *fixture,
					const char *mountpoint)
{
	struct fusehostd *daemon = fusehostd_start(fixture->config, NULL);

	if (!wait_for_fuse_mount(mountpoint, START_TIMEOUT_MS)) {
		char *log = fusehostd_log(daemon);

		print_error("daemon log:\n%s", log);
		fail_msg("%s was not mounted", mountpoint);
	}
	return daemon;
}

static void test_hello_serves_greeting(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *path = test_path(mountpoint, "hello");
	char *text = test_read_file(path);

	assert_string_equal(text, "Hello from a test\n");
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_assert_logged(daemon, "1 of 1 mounts serving");
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(text);
	g_free(path);
	g_free(mountpoint);
}

/* hello changes nothing, so it is mounted read-only: every attempt to
 * change it gets "Read-only file system" from the kernel, not ENOSYS. */
static void test_read_only_plugin_mounted_read_only(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *existing = test_path(mountpoint, "hello");
	char *created = test_path(mountpoint, "new");
	struct statvfs status;

	assert_int_equal(statvfs(mountpoint, &status), 0);
	assert_true(status.f_flag & ST_RDONLY);
	assert_int_equal(open(created, O_WRONLY | O_CREAT, 0644), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(open(existing, O_WRONLY), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(mkdir(created, 0755), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(chmod(existing, 0644), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(created);
	g_free(existing);
	g_free(mountpoint);
}

/* options = rw cannot make a read-only plugin writable: a warning says
 * so, and the mount is read-only all the same. */
static void test_rw_on_read_only_plugin_warns(void **state)
{
	struct fixture *fixture = *state;
	const char *const expected[] = { "rw does not apply", NULL };
	char *mountpoint = test_subdir(fixture->dir, "hello");
	char *text = g_strdup_printf("[mount hello]\nplugin = hello\n"
				     "mountpoint = %s\noptions = rw\n",
				     mountpoint);
	struct fusehostd *daemon;
	struct statvfs status;

	test_write_file(fixture->config, text);
	daemon = start_and_wait(fixture, mountpoint);
	assert_int_equal(statvfs(mountpoint, &status), 0);
	assert_true(status.f_flag & ST_RDONLY);
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "warning: hello: options: rw does not "
					"apply: plugin hello changes nothing");
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(text);
	g_free(mountpoint);
}

/* A mountpoint with another filesystem mounted on it is mounted over,
 * with a warning that says what is hidden; stopping uncovers it. */
static void test_mount_over_another_filesystem_warns(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	const char *const expected[] = { "has a tmpfs filesystem", NULL };
	struct fusehostd *daemon;
	char *marker = test_path(mountpoint, "underneath");

	assert_int_equal(mount("covered", mountpoint, "tmpfs", 0, "size=1M"),
			 0);
	test_write_file(marker, "tmpfs\n");
	daemon = start_and_wait(fixture, mountpoint);
	fusehostd_assert_logged(daemon, "mounting over it hides it");
	assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
	assert_int_equal(umount(mountpoint), 0);
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(marker);
	g_free(mountpoint);
}

/* A mount's own log-level = debug shows the daemon's debug lines about
 * that mount, and only that mount. */
static void test_mount_log_level_covers_daemon_lines(void **state)
{
	struct fixture *fixture = *state;
	char *other = test_subdir(fixture->dir, "other");
	char *extra = g_strdup_printf("log-level = debug\n"
				      "[mount other]\nplugin = hello\n"
				      "mountpoint = %s\n",
				      other);
	char *mountpoint = write_hello_config(fixture, extra);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *log;

	assert_true(wait_for_fuse_mount(other, START_TIMEOUT_MS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "debug: hello: libfuse options: ");
	log = fusehostd_log(daemon);
	assert_null(strstr(log, "debug: other: "));
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(log);
	g_free(mountpoint);
	g_free(extra);
	g_free(other);
}

/* Files in the mountpoint are hidden while the mount is there: said, and
 * they are back once it has stopped. */
static void test_mount_over_files_warns(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	char *marker = test_path(mountpoint, "underneath");
	const char *const expected[] = { "is not empty", NULL };
	struct fusehostd *daemon;

	test_write_file(marker, "here\n");
	daemon = start_and_wait(fixture, mountpoint);
	fusehostd_assert_logged(daemon, "warning: hello: mountpoint ");
	fusehostd_assert_logged(daemon, " is not empty; mounting over it "
					"hides its files");
	assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(marker);
	g_free(mountpoint);
}

/* Something mounted over a serving mount stays when the mount stops:
 * unmounting takes whatever is on top, and that is not the daemon's. */
static void test_stop_leaves_what_covers_the_mount(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	const char *const expected[] = { "another filesystem has been "
					 "mounted over it",
					 NULL };
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *marker = test_path(mountpoint, "on-top");

	assert_int_equal(mount("cover", mountpoint, "tmpfs", 0, "size=1M"),
			 0);
	test_write_file(marker, "tmpfs\n");
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "is left mounted: another filesystem "
					"has been mounted over it");
	assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
	assert_int_equal(umount(mountpoint), 0);
	/* What is left underneath is the daemon's dead mount. */
	assert_int_equal(umount2(mountpoint, MNT_DETACH), 0);
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(marker);
	g_free(mountpoint);
}

/* Stopping is bound by stop-timeout-sec, the plugin's close included:
 * a close that takes longer is given up, and the daemon exits. */
static void test_slow_close_does_not_hold_up_the_stop(void **state)
{
	struct fixture *fixture = *state;
	char *slow = test_subdir(fixture->dir, "slow");
	char *flag = test_path(fixture->dir, "slow-close");
	char *plugin = test_plugin_path("misbehave");
	char *config = g_strdup_printf(
		"[daemon]\nstop-timeout-sec = 1\n"
		"[mount slow]\nplugin = %s\nmountpoint = %s\n"
		"sleep-ms = 30000\nclose-sleep-file = %s\n",
		plugin, slow, flag);
	const char *const expected[] = { "has not finished closing", NULL };
	struct fusehostd *daemon;

	test_write_file(fixture->config, config);
	daemon = start_and_wait(fixture, slow);
	test_write_file(flag, "");
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "error: slow: plugin misbehave has not "
					"finished closing within 1000 ms");
	/* Unmounted before the plugin was closed. */
	assert_false(is_fuse_mounted(slow));
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(config);
	g_free(plugin);
	g_free(flag);
	g_free(slow);
}

/* A mount removed by a reload while its plugin is still opening never
 * appears, even once the plugin has opened, and its thread, given up
 * meanwhile, is reclaimed. */
static void test_mount_removed_while_opening_never_appears(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	char *hello_group = test_read_file(fixture->config);
	char *slow = test_subdir(fixture->dir, "slow");
	char *flag = test_path(fixture->dir, "slow-open");
	char *plugin = test_plugin_path("misbehave");
	/* A second to stop in, before the plugin has opened. */
	char *without = g_strdup_printf("[daemon]\nstop-timeout-sec = 1\n%s",
					hello_group);
	char *with = g_strdup_printf(
		"%s[mount slow]\nplugin = %s\nmountpoint = %s\n"
		"sleep-ms = 7000\nopen-sleep-file = %s\n",
		without, plugin, slow, flag);
	const char *const expected[] = { "still starting after",
					 "has not finished opening", NULL };
	struct fusehostd *daemon;

	test_write_file(fixture->config, without);
	daemon = start_and_wait(fixture, mountpoint);
	test_write_file(flag, "");
	test_write_file(fixture->config, with);
	kill(daemon->pid, SIGHUP);
	assert_true(fusehostd_wait_for_log(daemon, "slow: still starting after",
					   START_TIMEOUT_MS));
	test_write_file(fixture->config, without);
	kill(daemon->pid, SIGHUP);
	assert_true(fusehostd_wait_for_log(daemon, "slow: not mounted: stopped "
						   "while plugin misbehave "
						   "was opening",
					   START_TIMEOUT_MS));
	fusehostd_assert_logged(daemon, "error: slow: plugin misbehave has not "
					"finished opening within 1000 ms");
	assert_false(is_fuse_mounted(slow));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(with);
	g_free(without);
	g_free(plugin);
	g_free(flag);
	g_free(slow);
	g_free(hello_group);
	g_free(mountpoint);
}

/* With isolation = thread a plugin that crashes takes fusehostd down, as
 * documented; its last words name the mount and the operation. */
static void test_thread_crash_names_mount_and_operation(void **state)
{
	struct fixture *fixture = *state;
	char *plugin = test_plugin_path("misbehave");
	char *mountpoint = test_subdir(fixture->dir, "crashy");
	char *text = g_strdup_printf("[mount crashy]\nplugin = %s\n"
				     "mountpoint = %s\n",
				     plugin, mountpoint);
	struct fusehostd *daemon;

	test_write_file(fixture->config, text);
	daemon = start_and_wait(fixture, mountpoint);
	/* abort(), not a NULL dereference, which the sanitizers report
	 * and exit on themselves. */
	assert_int_not_equal(test_shell("cat %s/abort > /dev/null 2>&1",
					mountpoint),
			     0);
	assert_int_equal(fusehostd_wait(daemon, STOP_TIMEOUT_MS),
			 128 + SIGABRT);
	fusehostd_assert_logged(daemon,
				"fatal: fusehostd got SIGABRT in mount crashy, "
				"in its plugin's read; isolation = process "
				"would have kept it to that mount");
	/* What a dead FUSE server leaves; the next start would detach it. */
	umount2(mountpoint, MNT_DETACH);
	fusehostd_free(daemon);
	g_free(text);
	g_free(mountpoint);
	g_free(plugin);
}

/* The daemon runs with its soft open file limit raised to the hard one,
 * so that a busy passthrough mount does not run out of descriptors. */
static void test_open_file_limit_raised(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct rlimit saved, low;
	struct fusehostd *daemon;
	char *limits_path;
	char *limits;
	char *line;
	unsigned long long soft, hard;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_true(saved.rlim_max > 256);
	low = saved;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	daemon = start_and_wait(fixture, mountpoint);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);

	limits_path = g_strdup_printf("/proc/%d/limits", (int)daemon->pid);
	limits = test_read_file(limits_path);
	line = strstr(limits, "Max open files");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "Max open files %llu %llu", &soft,
				&hard),
			 2);
	assert_true(soft == hard);
	assert_true(soft == (unsigned long long)saved.rlim_max);
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(limits);
	g_free(limits_path);
	g_free(mountpoint);
}

/* A stop while a restart is still opening the plugin: the connection of
 * the earlier run is gone, and no connection is aborted in its place (its
 * number may belong to another mount by then); the start is given up. */
static void test_stop_while_restarting(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "slow");
	char *flag = test_path(fixture->dir, "slow-open");
	char *plugin = test_plugin_path("misbehave");
	char *config = g_strdup_printf(
		"[daemon]\nstop-timeout-sec = 1\n"
		"[mount slow]\nplugin = %s\nmountpoint = %s\n"
		"restart = always\nrestart-sec = 0\nsleep-ms = 4000\n"
		"open-sleep-file = %s\n",
		plugin, mountpoint, flag);
	const char *const expected[] = { "unmounted from outside",
					 "has not finished opening", NULL };
	struct fusehostd *daemon;

	test_write_file(fixture->config, config);
	daemon = start_and_wait(fixture, mountpoint);
	test_write_file(flag, "");
	assert_int_equal(test_shell("fusermount3 -u %s", mountpoint), 0);
	assert_true(fusehostd_wait_for_log(daemon, "restarting (attempt 1)",
					   START_TIMEOUT_MS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "slow: plugin misbehave has not "
					"finished opening within 1000 ms");
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(config);
	g_free(plugin);
	g_free(flag);
	g_free(mountpoint);
}

/* A plugin slow to open does not hold up the daemon: the other mounts
 * serve and the daemon reports ready after a few seconds, and the slow
 * mount serves once its plugin has opened. */
static void test_slow_start_does_not_block(void **state)
{
	struct fixture *fixture = *state;
	char *hello = write_hello_config(fixture, NULL);
	char *slow = test_subdir(fixture->dir, "slow");
	char *flag = test_path(fixture->dir, "slow-open");
	char *plugin = test_plugin_path("misbehave");
	char *hello_group = test_read_file(fixture->config);
	char *config = g_strdup_printf(
		"%s[mount slow]\nplugin = %s\nmountpoint = %s\n"
		"sleep-ms = 9000\nopen-sleep-file = %s\n",
		hello_group, plugin, slow, flag);
	const char *const expected[] = { "still starting after", NULL };
	struct fusehostd *daemon;

	test_write_file(fixture->config, config);
	test_write_file(flag, "");
	daemon = start_and_wait(fixture, hello);
	assert_true(fusehostd_wait_for_log(daemon, "1 of 2 mounts serving",
					   START_TIMEOUT_MS));
	/* Ready while the slow one is still opening. */
	assert_false(is_fuse_mounted(slow));
	fusehostd_assert_logged(daemon, "slow: still starting after 5 s");
	assert_true(wait_for_fuse_mount(slow, START_TIMEOUT_MS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(config);
	g_free(hello_group);
	g_free(plugin);
	g_free(flag);
	g_free(slow);
	g_free(hello);
}

/* whoami shows the reading process's own credentials. */
static void test_hello_whoami_is_the_caller(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *path = test_path(mountpoint, "whoami");
	int pipe_fds[2];
	char seen[128] = "";
	char wanted[128];
	pid_t child;
	int status;

	assert_int_equal(pipe(pipe_fds), 0);
	child = fork();
	if (child == 0) {
		char buffer[128];
		ssize_t length;
		int fd;

		if (setresgid(65534, 65534, 65534) || setresuid(65533, 65533,
								 65533))
			_exit(2);
		fd = open(path, O_RDONLY);
		length = fd < 0 ? -1 : read(fd, buffer, sizeof(buffer));
		if (length <= 0)
			_exit(3);
		if (write(pipe_fds[1], buffer, (size_t)length) != length)
			_exit(4);
		_exit(0);
	}
	close(pipe_fds[1]);
	assert_true(read(pipe_fds[0], seen, sizeof(seen) - 1) > 0);
	close(pipe_fds[0]);
	waitpid(child, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(wanted, sizeof(wanted), "uid=65533 gid=65534 pid=%d\n",
		 (int)child);
	assert_string_equal(seen, wanted);

	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(path);
	g_free(mountpoint);
}

/* --run mounts, runs the command against the mount, unmounts and passes
 * the command's exit status on. */
static void test_run_passes_exit_status(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	char *command = g_strdup_printf(
		"grep -q 'Hello from a test' %s/hello && exit 7", mountpoint);
	const char *const extra[] = { "--run", command, NULL };
	struct fusehostd *daemon = fusehostd_start(fixture->config, extra);

	assert_int_equal(fusehostd_wait(daemon, START_TIMEOUT_MS), 7);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_assert_logged(daemon, "command exited with status 7");
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(command);
	g_free(mountpoint);
}

/* SIGTERM while another process holds a file open inside the mount: the
 * daemon still exits 0 within 5 s and the mount is gone. */
static void test_sigterm_with_file_held_open(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	char *path = test_path(mountpoint, "hello");
	long long started;
	pid_t holder;
	int status;

	holder = fork();
	if (holder == 0) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			_exit(1);
		/* Holds the file (and its cwd) inside the mount. */
		if (chdir(mountpoint) != 0)
			_exit(2);
		pause();
		_exit(0);
	}
	usleep(200 * 1000);

	started = test_now_ms();
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_true(test_now_ms() - started < STOP_TIMEOUT_MS);
	assert_false(is_fuse_mounted(mountpoint));

	kill(holder, SIGKILL);
	waitpid(holder, &status, 0);
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(path);
	g_free(mountpoint);
}

static void test_sigint_stops_too(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);

	assert_int_equal(fusehostd_stop(daemon, SIGINT, STOP_TIMEOUT_MS), 0);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_free(daemon);
	g_free(mountpoint);
}

/* A daemon killed with SIGKILL leaves a stale mount (ENOTCONN); the next
 * start detaches it, says so, and serves. */
static void test_stale_mount_recovered(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = write_hello_config(fixture, NULL);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	const char *const expected[] = { "detaching stale FUSE mount", NULL };
	char *path = test_path(mountpoint, "hello");
	struct stat st;
	char *text;

	assert_int_equal(fusehostd_stop(daemon, SIGKILL, STOP_TIMEOUT_MS),
			 128 + SIGKILL);
	fusehostd_free(daemon);
	assert_true(is_fuse_mounted(mountpoint));
	assert_int_equal(stat(mountpoint, &st), -1);
	assert_int_equal(errno, ENOTCONN);

	daemon = fusehostd_start(fixture->config, NULL);
	/* Wait for the log line: the stale mount is there from the start. */
	for (int i = 0; i < 500; i++) {
		text = fusehostd_log(daemon);
		if (strstr(text, "mounts serving")) {
			g_free(text);
			break;
		}
		g_free(text);
		usleep(10 * 1000);
	}
	text = test_read_file(path);
	assert_string_equal(text, "Hello from a test\n");
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_logged(daemon, "detaching stale FUSE mount "
					"fusehost:hello");
	fusehostd_assert_log_clean(daemon, expected);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_free(daemon);
	g_free(text);
	g_free(path);
	g_free(mountpoint);
}

/* A stale mount left by a killed daemon where the configuration no longer
 * has a mount is named, with how to remove it, and left alone. */
static void test_stale_leftover_reported(void **state)
{
	struct fixture *fixture = *state;
	char *gone = test_subdir(fixture->dir, "gone");
	char *extra = g_strdup_printf("[mount gone]\nplugin = memfs\n"
				      "mountpoint = %s\n",
				      gone);
	char *mountpoint = write_hello_config(fixture, extra);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	const char *const expected[] = { "detaching stale FUSE mount",
					 NULL };
	char *expected_line = g_strdup_printf(
		"stale FUSE mount fusehost:gone at %s (its server is gone), "
		"left by an earlier fusehostd",
		gone);
	char *text;

	assert_true(wait_for_fuse_mount(gone, START_TIMEOUT_MS));
	assert_int_equal(fusehostd_stop(daemon, SIGKILL, STOP_TIMEOUT_MS),
			 128 + SIGKILL);
	fusehostd_free(daemon);
	/* The same, without the second mount (the first's mountpoint is
	 * stale now: nothing may touch it). */
	text = g_strdup_printf("[mount hello]\nplugin = hello\n"
			       "mountpoint = %s\n",
			       mountpoint);
	test_write_file(fixture->config, text);
	g_free(text);

	daemon = start_and_wait(fixture, mountpoint);
	assert_true(fusehostd_wait_for_log(daemon, "mounts serving",
					   START_TIMEOUT_MS));
	fusehostd_assert_logged(daemon, expected_line);
	assert_true(is_fuse_mounted(gone));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, expected);
	assert_int_equal(umount2(gone, MNT_DETACH), 0);
	fusehostd_free(daemon);
	g_free(expected_line);
	g_free(mountpoint);
	g_free(extra);
	g_free(gone);
}

/* A mount whose plugin cannot be loaded, one whose plugin's open() fails,
 * one whose open() returns neither 0 nor an errno and one whose mountpoint
 * is missing are reported and skipped; the good mount serves. */
static void test_broken_mounts_beside_good_one(void **state)
{
	struct fixture *fixture = *state;
	char *failopen = test_plugin_path("failopen");
	char *broken = test_plugin_path("broken_abi");
	char *extra = g_strdup_printf(
		"[mount nosuch]\nplugin = nosuchplugin\nmountpoint = %s/a\n"
		"[mount abi]\nplugin = %s\nmountpoint = %s/b\n"
		"[mount opening]\nplugin = %s\nmountpoint = %s/c\n"
		"store = db.example\n"
		"[mount positive]\nplugin = %s\nmountpoint = %s/d\n"
		"store = positive\n"
		"[mount nowhere]\nplugin = hello\nmountpoint = %s/missing\n",
		fixture->dir, broken, fixture->dir, failopen, fixture->dir,
		failopen, fixture->dir, fixture->dir);
	char *mountpoint;
	struct fusehostd *daemon;
	const char *const expected[] = {
		"nosuchplugin.so does not exist",
		"built for plugin ABI 2",
		"failed to open: backing store 'db.example' is unreachable",
		"returned 5 from open, not 0 or a negative errno",
		"does not exist",
		"mount skipped",
		NULL,
	};

	g_free(test_subdir(fixture->dir, "a"));
	g_free(test_subdir(fixture->dir, "b"));
	g_free(test_subdir(fixture->dir, "c"));
	g_free(test_subdir(fixture->dir, "d"));
	mountpoint = write_hello_config(fixture, extra);
	daemon = start_and_wait(fixture, mountpoint);
	usleep(100 * 1000);
	fusehostd_assert_logged(daemon, "1 of 6 mounts serving; down: "
					"nosuch, abi, opening, positive, "
					"nowhere");
	/* Another mount's operations go on: the daemon has not crashed. */
	assert_true(is_fuse_mounted(mountpoint));
	fusehostd_assert_logged(daemon, "error: opening: plugin ");
	fusehostd_assert_logged(daemon, "[mount nosuch] plugin: plugin file ");
	fusehostd_assert_logged(daemon, "mountpoint " );
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(mountpoint);
	g_free(extra);
	g_free(broken);
	g_free(failopen);
}

/* With required = true, a failing mount stops the daemon with status 1
 * and whatever was already mounted is unmounted. */
static void test_required_mount_failure_is_fatal(void **state)
{
	struct fixture *fixture = *state;
	char *failopen = test_plugin_path("failopen");
	char *extra = g_strdup_printf(
		"[mount vital]\nplugin = %s\nmountpoint = %s/v\n"
		"required = true\nstore = x\n",
		failopen, fixture->dir);
	char *mountpoint;
	struct fusehostd *daemon;
	const char *const expected[] = { "unreachable", "required mount failed",
					 NULL };

	g_free(test_subdir(fixture->dir, "v"));
	mountpoint = write_hello_config(fixture, extra);
	daemon = fusehostd_start(fixture->config, NULL);
	assert_int_equal(fusehostd_wait(daemon, START_TIMEOUT_MS), 1);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_assert_logged(daemon, "error: vital: required mount failed");
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(mountpoint);
	g_free(extra);
	g_free(failopen);
}

/* An invalid config is refused before anything is mounted. */
static void test_invalid_config_refused(void **state)
{
	struct fixture *fixture = *state;
	struct fusehostd *daemon;

	test_write_file(fixture->config, "[mount a]\nplugin = hello\n"
					 "mountpoint = relative/path\n");
	daemon = fusehostd_start(fixture->config, NULL);
	assert_int_equal(fusehostd_wait(daemon, START_TIMEOUT_MS), 1);
	fusehostd_assert_logged(daemon, "[mount a] mountpoint: 'relative/path' "
					"is not an absolute path");
	fusehostd_free(daemon);
}

/* An unmount from outside is noticed and logged; the daemon keeps serving
 * its other mounts and still stops cleanly. */
static void test_outside_unmount_noticed(void **state)
{
	struct fixture *fixture = *state;
	char *other = test_subdir(fixture->dir, "other");
	char *extra = g_strdup_printf("[mount other]\nplugin = hello\n"
				      "mountpoint = %s\n",
				      other);
	char *mountpoint = write_hello_config(fixture, extra);
	struct fusehostd *daemon = start_and_wait(fixture, mountpoint);
	const char *const expected[] = { "was unmounted from outside", NULL };
	char *path = test_path(other, "hello");
	char *text;

	assert_true(wait_for_fuse_mount(other, START_TIMEOUT_MS));
	assert_int_equal(test_shell("umount %s", mountpoint), 0);
	for (int i = 0; i < 500; i++) {
		text = fusehostd_log(daemon);
		if (strstr(text, "hello: mount is down")) {
			g_free(text);
			break;
		}
		g_free(text);
		usleep(10 * 1000);
	}
	fusehostd_assert_logged(daemon, "warning: hello: ");
	fusehostd_assert_logged(daemon, "info: hello: mount is down");
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_false(is_fuse_mounted(other));
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(text);
	g_free(path);
	g_free(mountpoint);
	g_free(extra);
	g_free(other);
}

/* Whether statx() gives unique mount ids (Linux 6.8 and later). */
static bool kernel_has_unique_mount_ids(void)
{
	struct statx stx;

	return statx(AT_FDCWD, "/", AT_STATX_DONT_SYNC, 0x4000U /* unique */,
		     &stx) == 0 &&
	       (stx.stx_mask & 0x4000U);
}

/* A mount carried off by renaming a directory above its mountpoint is
 * noticed at the next change of the mount table (a rename is none),
 * unmounted where it went (not left there dead) when the kernel can prove
 * it is ours, and serves again at its mountpoint once that is back. */
static void test_moved_mount_unmounted_where_it_went(void **state)
{
	struct fixture *fixture = *state;
	char *parent = test_subdir(fixture->dir, "parent");
	char *renamed = test_path(fixture->dir, "renamed");
	char *mountpoint = test_subdir(parent, "hello");
	char *moved = test_path(renamed, "hello");
	char *other = test_subdir(fixture->dir, "other");
	char *config = g_strdup_printf("[mount hello]\nplugin = hello\n"
				       "mountpoint = %s\nrestart-sec = 1\n",
				       mountpoint);
	const char *const expected[] = { "was moved to", "does not exist",
					 "is left there, not served", NULL };
	struct fusehostd *daemon;

	test_write_file(fixture->config, config);
	daemon = start_and_wait(fixture, mountpoint);
	/* Not before the daemon has noted which kernel mount is its own,
	 * just after mounting: a mount moved before that is not known as
	 * its own. */
	assert_true(fusehostd_wait_for_log(daemon, "hello: serving plugin",
					   START_TIMEOUT_MS));
	assert_int_equal(rename(parent, renamed), 0);
	assert_true(is_fuse_mounted(moved));
	assert_int_equal(mount("tmpfs", other, "tmpfs", 0, NULL), 0);
	assert_true(fusehostd_wait_for_log(daemon, "mount is down",
					   START_TIMEOUT_MS));
	assert_int_equal(umount(other), 0);
	fusehostd_assert_logged(daemon, "was moved to ");
	if (kernel_has_unique_mount_ids()) {
		if (!wait_for_no_fuse_mount(moved, START_TIMEOUT_MS)) {
			char *log = fusehostd_log(daemon);

			fprintf(stderr, "daemon log:\n%s\n", log);
			g_free(log);
			fail_msg("%s is still mounted", moved);
		}
		fusehostd_assert_logged(daemon, "unmounting it at ");
	} else {
		/* Nothing proves it is ours: it is left, and said so. */
		fusehostd_assert_logged(daemon, "is left there, not served");
		assert_int_equal(umount2(moved, MNT_DETACH), 0);
	}

	assert_int_equal(rename(renamed, parent), 0);
	assert_true(wait_for_fuse_mount(mountpoint, START_TIMEOUT_MS));
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	assert_false(is_fuse_mounted(mountpoint));
	fusehostd_assert_log_clean(daemon, expected);
	fusehostd_free(daemon);
	g_free(config);
	g_free(other);
	g_free(moved);
	g_free(mountpoint);
	g_free(renamed);
	g_free(parent);
}

/* Highest number of concurrent reads the plugin saw, after 8 processes
 * read /probe 20 times each on each of its two mounts.  *plugin_seconds:
 * the time the reads took in the plugin (the metrics' sum over both
 * mounts), *wall_seconds: the time all of them took. */
static int most_concurrent_reads(struct fixture *fixture, const char *plugin,
				 double *plugin_seconds, double *wall_seconds)
{
	char *path = test_plugin_path(plugin);
	char *one = test_subdir(fixture->dir, "one");
	char *two = test_subdir(fixture->dir, "two");
	int port = test_enable_metrics(fixture->dir);
	char *text = g_strdup_printf(
		"[mount one]\nplugin = %s\nmountpoint = %s\n"
		"[mount two]\nplugin = %s\nmountpoint = %s\n",
		path, one, path, two);
	struct fusehostd *daemon;
	char *max_path = test_path(one, "max");
	char *max;
	char *metrics;
	int64_t started;
	int most;

	test_write_file(fixture->config, text);
	daemon = start_and_wait(fixture, one);
	assert_true(wait_for_fuse_mount(two, START_TIMEOUT_MS));
	assert_true(fusehostd_wait_for_log(daemon, "serving metrics at",
					   START_TIMEOUT_MS));
	started = g_get_monotonic_time();
	assert_int_equal(test_shell("for i in 1 2 3 4; do"
				    " (for j in $(seq 20); do cat %s/probe %s/probe;"
				    " done) & done; wait",
				    one, two),
			 0);
	*wall_seconds = (double)(g_get_monotonic_time() - started) / 1e6;
	max = test_read_file(max_path);
	assert_non_null(max);
	most = atoi(max);
	metrics = test_scrape_metrics(port);
	assert_non_null(metrics);
	*plugin_seconds = 0;
	for (int i = 0; i < 2; i++) {
		char *series = g_strdup_printf(
			"fusehost_operation_duration_seconds_sum{mount=\"%s\","
			"plugin=\"concurrency\",op=\"read\"}",
			i == 0 ? "one" : "two");

		*plugin_seconds += test_metric_value(metrics, series);
		g_free(series);
	}
	assert_int_equal(fusehostd_stop(daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(daemon, nothing_expected);
	fusehostd_free(daemon);
	g_free(metrics);
	g_free(max);
	g_free(max_path);
	g_free(text);
	g_free(two);
	g_free(one);
	g_free(path);
	return most;
}

/* One call at a time over both mounts; the time a call waits for the
 * other mount's is not counted as its own: the reads, never overlapping,
 * cannot have taken longer in the plugin than they took in all. */
static void test_serialized_plugin_runs_one_call_at_a_time(void **state)
{
	double plugin_seconds, wall_seconds;

	assert_int_equal(most_concurrent_reads(*state, "concurrency_serial",
					       &plugin_seconds, &wall_seconds),
			 1);
	assert_true(plugin_seconds > 0);
	if (plugin_seconds > wall_seconds)
		fail_msg("reads took %.3f s in the plugin in %.3f s",
			 plugin_seconds, wall_seconds);
}

static void test_parallel_plugin_runs_calls_concurrently(void **state)
{
	double plugin_seconds, wall_seconds;

	assert_true(most_concurrent_reads(*state, "concurrency_parallel",
					  &plugin_seconds, &wall_seconds) > 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_serves_greeting,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_read_only_plugin_mounted_read_only, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_rw_on_read_only_plugin_warns, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_open_file_limit_raised,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_restarting,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slow_start_does_not_block,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hello_whoami_is_the_caller,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_run_passes_exit_status,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_sigterm_with_file_held_open, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sigint_stops_too, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_thread_crash_names_mount_and_operation,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_mount_over_another_filesystem_warns,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mount_over_files_warns,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_mount_log_level_covers_daemon_lines,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_leaves_what_covers_the_mount, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_mount_removed_while_opening_never_appears,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_slow_close_does_not_hold_up_the_stop,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stale_mount_recovered,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stale_leftover_reported,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_broken_mounts_beside_good_one, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_required_mount_failure_is_fatal, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_config_refused,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_moved_mount_unmounted_where_it_went, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_outside_unmount_noticed,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_serialized_plugin_runs_one_call_at_a_time, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_parallel_plugin_runs_calls_concurrently, fixture_setup,
			fixture_teardown),
	};

	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
