/* Integration tests of isolation = process: a plugin that crashes ends
 * only its own mount, which comes back; the process that serves it runs
 * without privileges and its forbidden system calls are refused and
 * logged; a plugin stuck in an operation is killed when the mount stops;
 * its leaks stay out of fusehostd; its counters reach the daemon's
 * metrics. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 8000

struct isolation_fixture {
	struct fixture base;
	char *isolated; /* misbehave, isolation = process */
	char *good;     /* memfs, in a thread of fusehostd */
	int port;
};

static int setup(void **state)
{
	struct isolation_fixture *fixture = g_new0(struct isolation_fixture, 1);
	char *control;
	char *text;

	fixture->base.dir = test_dir_create();
	fixture->base.config = test_path(fixture->base.dir, "fusehost.conf");
	fixture->isolated = test_subdir(fixture->base.dir, "isolated");
	fixture->good = test_subdir(fixture->base.dir, "good");
	fixture->port = test_enable_metrics(fixture->base.dir);
	control = g_strdup_printf("%s/fusehost.d/60-control.conf",
				  fixture->base.dir);
	text = g_strdup_printf("[daemon]\ncontrol-socket = %s/control.sock\n",
			       fixture->base.dir);
	test_write_file(control, text);
	g_free(text);
	g_free(control);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct isolation_fixture *fixture = *state;

	if (fixture->base.daemon) {
		/* A test that failed half-way leaves it running. */
		if (fixture->base.daemon->pid > 0)
			fusehostd_stop(fixture->base.daemon, SIGTERM,
				       STOP_TIMEOUT_MS);
		fusehostd_free(fixture->base.daemon);
	}
	test_dir_remove(fixture->base.dir);
	g_free(fixture->base.config);
	g_free(fixture->isolated);
	g_free(fixture->good);
	g_free(fixture);
	return 0;
}

/* Misbehave isolated (with `extra` keys) beside memfs, and `daemon_extra`
 * keys in [daemon]. */
static void write_config(struct isolation_fixture *fixture,
			 const char *daemon_extra, const char *extra)
{
	char *plugin = test_plugin_path("misbehave");
	char *text = g_strdup_printf("[daemon]\nstop-timeout-sec = 2\n%s"
				     "[mount isolated]\nplugin = %s\n"
				     "mountpoint = %s\nisolation = process\n"
				     "%s%s"
				     "[mount good]\nplugin = memfs\n"
				     "mountpoint = %s\n",
				     daemon_extra, plugin, fixture->isolated,
				     strstr(extra, "restart-sec")
					     ? ""
					     : "restart-sec = 0\n",
				     extra, fixture->good);

	test_write_file(fixture->base.config, text);
	g_free(text);
	g_free(plugin);
}

/* Misbehave isolated (with `extra` keys) beside memfs. */
static void serve_config_rewrite(struct isolation_fixture *fixture,
				 const char *extra)
{
	write_config(fixture, "", extra);
}

static void serve(struct isolation_fixture *fixture, const char *extra)
{
	serve_config_rewrite(fixture, extra);
	fixture->base.daemon = fusehostd_start(fixture->base.config, NULL);
	assert_true(wait_for_fuse_mount(fixture->isolated, START_TIMEOUT_MS));
	assert_true(wait_for_fuse_mount(fixture->good, START_TIMEOUT_MS));
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "mounts serving", START_TIMEOUT_MS));
}

/* SIGTERM; fusehostd must exit 0 (its log is shown if not). */
static void stop_cleanly(struct isolation_fixture *fixture)
{
	int status = fusehostd_stop(fixture->base.daemon, SIGTERM,
				    STOP_TIMEOUT_MS);

	if (status != 0) {
		char *log = fusehostd_log(fixture->base.daemon);

		fail_msg("fusehostd exited with %d; its log:\n%s", status, log);
		g_free(log);
	}
}

static char *read_isolated(struct isolation_fixture *fixture,
			   const char *name)
{
	char *path = test_path(fixture->isolated, name);
	char *text = test_read_file(path);

	g_free(path);
	return text;
}

/* What a crash of the misbehave plugin logs (built with
 * UndefinedBehaviorSanitizer, it reports its NULL dereference and exits
 * with status 1 instead of being killed). */
static const char *const crash_logged[] = {
	"crashed", "exited with status 1",
	"runtime error: load of null pointer", NULL
};

/* After a restart has begun: the isolated mount serves again. */
static void assert_serves_again(struct isolation_fixture *fixture)
{
	char *text = NULL;

	for (int i = 0; i < 100 && !text; i++) {
		text = read_isolated(fixture, "fine");
		if (!text)
			usleep(50 * 1000);
	}
	assert_non_null(text);
	assert_string_equal(text, "fine\n");
	g_free(text);
}

/* Reading `name` kills the serving process; the mount comes back, the
 * other mount never noticed. */
static void crash_and_recover(struct isolation_fixture *fixture,
			      const char *name, const char *logged,
			      int attempt)
{
	char *kept = test_path(fixture->good, "kept");
	char *restarted = g_strdup_printf("isolated: restarting (attempt %d)",
					  attempt);
	char *text;

	assert_null(read_isolated(fixture, name));
	assert_true(fusehostd_wait_for_log(fixture->base.daemon, logged,
					   START_TIMEOUT_MS));
	assert_true(fusehostd_wait_for_log(fixture->base.daemon, restarted,
					   START_TIMEOUT_MS));
	assert_serves_again(fixture);

	text = test_read_file(kept);
	assert_string_equal(text, "data written before the crashes\n");
	g_free(text);
	g_free(restarted);
	g_free(kept);
}

/* `fusehostctl --json status` gives the isolated mount's process, and it
 * is the child serving it. */
static void assert_serving_process_shown(struct isolation_fixture *fixture)
{
	char *build_dir = g_path_get_dirname(test_fusehostd_path());

	assert_int_equal(
		test_shell("pid=$(%s/fusehostctl -s %s/control.sock --json "
			   "status | tr -d ' \\n' | grep -o "
			   "'\"name\":\"isolated\"[^}]*' | grep -o "
			   "'\"isolation\":\"process\",\"pid\":[0-9]*' | "
			   "grep -o '[0-9]*$') && test -n \"$pid\" && "
			   "tr '\\0' ' ' < /proc/$pid/cmdline | "
			   "grep -q -- '--mount-child isolated'",
			   build_dir, fixture->base.dir),
		0);
	g_free(build_dir);
}

static void test_crash_ends_only_that_mount(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *kept = test_path(fixture->good, "kept");
	char *metrics;
	char *text;

	serve(fixture, "");
	test_write_file(kept, "data written before the crashes\n");
	text = read_isolated(fixture, "fine");
	assert_string_equal(text, "fine\n");
	g_free(text);

	/* Built with UndefinedBehaviorSanitizer, the plugin reports its
	 * NULL dereference and exits with status 1 instead. */
	crash_and_recover(fixture, "segv",
			  test_sanitized()
				  ? "error: isolated: the process serving the "
				    "mount exited with status 1"
				  : "error: isolated: plugin misbehave crashed: "
				    "the process serving the mount was killed "
				    "by signal 11",
			  1);
	crash_and_recover(fixture, "abort",
			  "error: isolated: plugin misbehave crashed: the "
			  "process serving the mount was killed by signal 6",
			  2);

	/* The control socket names the process that serves it now. */
	assert_serving_process_shown(fixture);

	/* Counters of all three processes, summed by fusehostd. */
	metrics = test_scrape_metrics(fixture->port);
	assert_non_null(metrics);
	assert_int_equal(test_metric_value(metrics,
					   "fusehost_mount_restarts_total{"
					   "mount=\"isolated\",plugin="
					   "\"misbehave\"}"),
			 2);
	assert_true(test_metric_value(metrics,
				      "fusehost_operations_total{mount="
				      "\"isolated\",plugin=\"misbehave\","
				      "op=\"read\"}") >= 5);
	assert_int_equal(test_metric_value(metrics,
					   "fusehost_operations_in_flight{"
					   "mount=\"isolated\",plugin="
					   "\"misbehave\"}"),
			 0);
	assert_int_equal(test_metric_value(metrics,
					   "fusehost_mount_up{mount="
					   "\"isolated\",plugin=\"misbehave\"}"),
			 1);
	g_free(metrics);

	stop_cleanly(fixture);
	assert_false(is_fuse_mounted(fixture->isolated));
	fusehostd_assert_log_clean(fixture->base.daemon, crash_logged);
	g_free(kept);
}

/* The lines of misbehave's /whoami that start with `field`. */
static char *status_field(const char *whoami, const char *field)
{
	const char *line = strstr(whoami, field);

	assert_non_null(line);
	return g_strndup(line, strcspn(line, "\n"));
}

static void assert_unprivileged(const char *whoami, uid_t uid)
{
	char *expected_uid = g_strdup_printf("Uid:\t%u\t%u\t%u\t%u", uid, uid,
					     uid, uid);
	const char *const zero[] = { "CapInh:", "CapPrm:", "CapEff:",
				     "CapBnd:", "CapAmb:" };
	char *line;

	line = status_field(whoami, "Uid:");
	assert_string_equal(line, expected_uid);
	g_free(line);
	for (size_t i = 0; i < G_N_ELEMENTS(zero); i++) {
		char *want = g_strdup_printf("%s\t0000000000000000", zero[i]);

		line = status_field(whoami, zero[i]);
		assert_string_equal(line, want);
		g_free(line);
		g_free(want);
	}
	line = status_field(whoami, "NoNewPrivs:");
	assert_string_equal(line, "NoNewPrivs:\t1");
	g_free(line);
	line = status_field(whoami, "Seccomp:");
	assert_string_equal(line, "Seccomp:\t2");
	g_free(line);
	g_free(expected_uid);
}

static void check_sandbox(struct isolation_fixture *fixture, uid_t uid)
{
	const char *const expected[] = { "which its sandbox forbids", NULL };
	char *text;

	text = read_isolated(fixture, "whoami");
	assert_non_null(text);
	assert_unprivileged(text, uid);
	g_free(text);

	text = read_isolated(fixture, "forbidden");
	assert_string_equal(text, "mount: Operation not permitted\n");
	g_free(text);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "warning: isolated: plugin "
					   "misbehave called mount (thread ",
					   START_TIMEOUT_MS));
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, expected);
}

/* Serve with `extra` for the isolated mount, crash its process, and
 * wait until the daemon has logged `logged` about it. */
static void serve_and_crash(struct isolation_fixture *fixture,
			    const char *extra, const char *logged)
{
	serve(fixture, extra);
	assert_null(read_isolated(fixture, "segv"));
	assert_true(fusehostd_wait_for_log(fixture->base.daemon, logged,
					   START_TIMEOUT_MS));
}

/* Until the restart, the mount a crash killed stays in place, dead:
 * what is written meanwhile fails (ENOTCONN) rather than landing in the
 * directory underneath, hidden again once the mount is back. */
static void test_crash_keeps_dead_mount_until_restart(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *lost = test_path(fixture->isolated, "lost");
	struct stat status;

	serve_and_crash(fixture, "restart-sec = 5\n",
			"isolated: restart in 5 s");
	assert_true(is_fuse_mounted(fixture->isolated));
	assert_int_equal(stat(fixture->isolated, &status), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(open(lost, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), -1);
	assert_int_equal(errno, ENOTCONN);

	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "isolated: restarting (attempt 1)",
					   START_TIMEOUT_MS));
	assert_serves_again(fixture);
	stop_cleanly(fixture);
	assert_false(is_fuse_mounted(fixture->isolated));
	assert_int_equal(access(lost, F_OK), -1);
	fusehostd_assert_log_clean(fixture->base.daemon, crash_logged);
	g_free(lost);
}

/* A stop while a crashed mount waits for its restart leaves nothing
 * mounted: the dead mount goes with the rest. */
static void test_stop_before_restart_unmounts(void **state)
{
	struct isolation_fixture *fixture = *state;

	serve_and_crash(fixture, "restart-sec = 30\n",
			"isolated: restart in 30 s");
	assert_true(is_fuse_mounted(fixture->isolated));
	stop_cleanly(fixture);
	assert_false(is_fuse_mounted(fixture->isolated));
	assert_false(is_fuse_mounted(fixture->good));
	fusehostd_assert_log_clean(fixture->base.daemon, crash_logged);
}

/* fusehostctl unmount while a crashed mount waits for its restart: it
 * succeeds, the dead mount goes, and the restart does not come. */
static void test_unmount_before_restart(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *build_dir = g_path_get_dirname(test_fusehostd_path());
	char *log;

	serve_and_crash(fixture, "restart-sec = 2\n",
			"isolated: restart in 2 s");
	assert_int_equal(test_shell("%s/fusehostctl -s %s/control.sock "
				    "unmount isolated",
				    build_dir, fixture->base.dir),
			 0);
	assert_false(is_fuse_mounted(fixture->isolated));
	fusehostd_assert_logged(fixture->base.daemon,
				"isolated: unmounting on request: its restart "
				"is cancelled");
	sleep(3); /* past the restart that was due */
	assert_false(is_fuse_mounted(fixture->isolated));
	log = fusehostd_log(fixture->base.daemon);
	assert_int_equal(test_count(log, "isolated: restarting"), 0);
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, crash_logged);
	g_free(log);
	g_free(build_dir);
}

/* With no restart to come, the dead mount is taken away at once. */
static void test_crash_without_restart_unmounts(void **state)
{
	struct isolation_fixture *fixture = *state;

	serve_and_crash(fixture, "restart = no\n", "isolated: mount is down");
	assert_true(wait_for_no_fuse_mount(fixture->isolated,
					   START_TIMEOUT_MS));
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, crash_logged);
}

static void test_sandbox_as_user(void **state)
{
	struct isolation_fixture *fixture = *state;
	struct passwd *nobody = getpwnam("nobody");

	assert_non_null(nobody);
	serve(fixture, "user = nobody\n");
	check_sandbox(fixture, nobody->pw_uid);
}

/* Without user =, the process stays uid 0 but keeps no capability. */
static void test_sandbox_as_root(void **state)
{
	struct isolation_fixture *fixture = *state;

	serve(fixture, "");
	check_sandbox(fixture, 0);
}

static void test_stuck_plugin_is_killed(void **state)
{
	struct isolation_fixture *fixture = *state;
	const char *const expected[] = { "has been running for",
					 "did not stop within",
					 "is stuck in an operation", NULL };
	long long started;
	int status;
	pid_t reader;

	serve(fixture, "slow-op-ms = 300\n");
	reader = fork();
	if (reader == 0) {
		char *path = test_path(fixture->isolated, "hang");
		char buffer[16];
		int fd = open(path, O_RDONLY);

		/* Returns only when the connection is aborted. */
		_exit(fd >= 0 && read(fd, buffer, sizeof(buffer)) < 0 ? 0 : 1);
	}
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "operation read has been running",
					   START_TIMEOUT_MS));
	started = test_now_ms();
	stop_cleanly(fixture);
	assert_true(test_now_ms() - started < STOP_TIMEOUT_MS);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(is_fuse_mounted(fixture->isolated));
	assert_false(is_fuse_mounted(fixture->good));
	fusehostd_assert_logged(fixture->base.daemon,
				"killing the process that serves the mount");
	fusehostd_assert_log_clean(fixture->base.daemon, expected);
}

static long rss_kib(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	char *text = test_read_file(path);
	const char *line = text ? strstr(text, "VmRSS:") : NULL;
	long kib = line ? strtol(line + strlen("VmRSS:"), NULL, 10) : -1;

	g_free(text);
	g_free(path);
	return kib;
}

/* 64 MiB leaked by the plugin stay in the process that serves it. */
static void test_leaks_stay_out_of_fusehostd(void **state)
{
	struct isolation_fixture *fixture = *state;
	long before;
	long after;

	serve(fixture, "");
	before = rss_kib(fixture->base.daemon->pid);
	assert_true(before > 0);
	for (int i = 0; i < 64; i++) {
		char *text = read_isolated(fixture, "leak");

		assert_string_equal(text, "leaked\n");
		g_free(text);
	}
	after = rss_kib(fixture->base.daemon->pid);
	assert_true(after - before < 16 * 1024);
	assert_int_equal(test_shell("test $(ps -o rss= --ppid %d | sort -n | "
				    "tail -1) -gt %d",
				    (int)fixture->base.daemon->pid, 64 * 1024),
			 0);
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, NULL);
}

/* Trace switched on in fusehostd reaches the process through the shared
 * settings. */
static void test_trace_reaches_the_process(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *text;

	serve(fixture, "");
	serve_config_rewrite(fixture, "trace = true\n");
	kill(fixture->base.daemon->pid, SIGUSR2);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "trace settings applied",
					   START_TIMEOUT_MS));
	text = read_isolated(fixture, "fine");
	assert_string_equal(text, "fine\n");
	g_free(text);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "isolated: -> read /fine",
					   START_TIMEOUT_MS));
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, NULL);
}

/* A stat that the plugin answers, having logged "debug from the plugin"
 * before it did: once stat returns, the line is in the log or never
 * will be. */
static void stat_logdebug(struct isolation_fixture *fixture)
{
	char *path = test_path(fixture->isolated, "logdebug");
	struct stat st;

	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	g_free(path);
}

/* A plugin's own messages follow the mount's log-level as the daemon has
 * it now, in the process that serves the mount too. */
static void test_log_level_reaches_the_plugin(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *log;

	serve(fixture, "");
	stat_logdebug(fixture);
	log = fusehostd_log(fixture->base.daemon);
	assert_null(strstr(log, "debug from the plugin"));
	g_free(log);

	serve_config_rewrite(fixture, "log-level = debug\n");
	kill(fixture->base.daemon->pid, SIGUSR2);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "trace settings applied",
					   START_TIMEOUT_MS));
	stat_logdebug(fixture);
	fusehostd_assert_logged(fixture->base.daemon,
				"debug: isolated: debug from the plugin");
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, NULL);
}

/* So does the daemon's log-level, for a mount without one of its own:
 * the process keeps the level it started with unless told. */
static void test_daemon_log_level_reaches_the_plugin(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *log;

	serve(fixture, "");
	stat_logdebug(fixture);
	log = fusehostd_log(fixture->base.daemon);
	assert_null(strstr(log, "debug from the plugin"));
	g_free(log);

	write_config(fixture, "log-level = debug\n", "");
	kill(fixture->base.daemon->pid, SIGUSR2);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "trace settings applied",
					   START_TIMEOUT_MS));
	stat_logdebug(fixture);
	fusehostd_assert_logged(fixture->base.daemon,
				"debug: isolated: debug from the plugin");
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, NULL);
}

/* A value that the plugin's typed reader refuses while the process
 * serves is said with the file that defines the mount, as in fusehostd. */
static void test_bad_value_names_the_file(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *path = test_path(fixture->isolated, "baddefault");
	char *expected = g_strdup_printf("error: isolated: %s: [mount "
					 "isolated] bad-default: 'soon' is "
					 "not a whole number",
					 fixture->base.config);
	const char *const allowed[] = {"bad-default", NULL};
	struct stat st;

	serve(fixture, "");
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	fusehostd_assert_logged(fixture->base.daemon, expected);
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, allowed);
	g_free(expected);
	g_free(path);
}

/* --plugin-dir may be relative to where fusehostd starts: a mount's own
 * process is given the plugin's path, and refused a relative one. */
static void test_relative_plugin_dir(void **state)
{
	struct isolation_fixture *fixture = *state;
	char *cwd = g_get_current_dir();
	GString *relative = g_string_new("");
	const char *extra[] = { "--plugin-dir", NULL, NULL };
	char *text;

	/* Up from the working directory to /, then down to the plugins. */
	assert_true(g_path_is_absolute(test_plugin_dir()));
	for (const char *c = cwd; *c; c++)
		if (*c == '/' && c[1])
			g_string_append(relative, "../");
	g_string_append(relative, test_plugin_dir() + 1);
	extra[1] = relative->str;
	text = g_strdup_printf("[mount good]\nplugin = memfs\n"
			       "mountpoint = %s\nisolation = process\n",
			       fixture->good);
	test_write_file(fixture->base.config, text);
	g_free(text);
	fixture->base.daemon = fusehostd_start(fixture->base.config, extra);
	assert_true(fusehostd_wait_for_log(fixture->base.daemon,
					   "mounts serving", START_TIMEOUT_MS));
	assert_true(is_fuse_mounted(fixture->good));
	assert_int_equal(test_shell("echo kept > %s/f && "
				    "[ \"$(cat %s/f)\" = kept ]",
				    fixture->good, fixture->good),
			 0);
	stop_cleanly(fixture);
	fusehostd_assert_log_clean(fixture->base.daemon, NULL);
	g_string_free(relative, TRUE);
	g_free(cwd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_crash_ends_only_that_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_crash_keeps_dead_mount_until_restart, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_crash_without_restart_unmounts, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_before_restart_unmounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmount_before_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_as_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_as_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stuck_plugin_is_killed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_leaks_stay_out_of_fusehostd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_reaches_the_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_log_level_reaches_the_plugin, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_daemon_log_level_reaches_the_plugin, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_bad_value_names_the_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_plugin_dir, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("isolation", tests, NULL, NULL);
}
