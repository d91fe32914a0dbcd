/* Integration tests with a plugin that hangs forever in an operation:
 * the other mounts keep serving, the hang shows in the metrics and the
 * log, and unmounting that mount or stopping the daemon still completes
 * within the stop timeout, by aborting the FUSE connection. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
/* stop-timeout-sec (2) plus a second's grace after the abort, plus slack. */
#define STOP_TIMEOUT_MS 6000

struct hostile_fixture {
	char *dir;
	char *config;
	char *hung;
	char *good;
	char *socket;
	int port;
	pid_t reader;
	struct fusehostd *daemon;
};

static const char *const hang_expected[] = {
	"has been running for", "did not stop within",
	"is stuck in an operation", NULL
};

static int setup(void **state)
{
	struct hostile_fixture *fixture = g_new0(struct hostile_fixture, 1);
	char *plugin;
	char *text;

	fixture->dir = test_dir_create();
	fixture->config = test_path(fixture->dir, "fusehost.conf");
	fixture->hung = test_subdir(fixture->dir, "hung");
	fixture->good = test_subdir(fixture->dir, "good");
	fixture->socket = test_path(fixture->dir, "control.sock");
	fixture->port = test_free_port();
	plugin = test_plugin_path("misbehave");
	text = g_strdup_printf(
		"[daemon]\nmetrics-listen = 127.0.0.1:%d\ncontrol-socket = %s\n"
		"stop-timeout-sec = 2\n"
		"[mount hung]\nplugin = %s\nmountpoint = %s\n"
		"slow-op-ms = 300\nrestart = no\n"
		"[mount good]\nplugin = hello\nmountpoint = %s\n",
		fixture->port, fixture->socket, plugin, fixture->hung,
		fixture->good);
	/* A drop-in directory of its own keeps the harness's defaults out. */
	g_free(test_subdir(fixture->dir, "fusehost.d"));
	test_write_file(fixture->config, text);
	g_free(text);
	g_free(plugin);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct hostile_fixture *fixture = *state;

	if (fixture->reader > 0) {
		kill(fixture->reader, SIGKILL);
		waitpid(fixture->reader, NULL, 0);
	}
	if (fixture->daemon)
		fusehostd_free(fixture->daemon);
	test_dir_remove(fixture->dir);
	g_free(fixture->socket);
	g_free(fixture->good);
	g_free(fixture->hung);
	g_free(fixture->config);
	g_free(fixture);
	return 0;
}

/* Start the daemon, get a reader stuck in /hang, and check that the hang
 * shows while the other mount serves. */
static void serve_with_stuck_reader(struct hostile_fixture *fixture)
{
	char *path = test_path(fixture->hung, "hang");
	char *hello = test_path(fixture->good, "hello");
	char *text;

	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(fixture->good, START_TIMEOUT_MS));
	assert_true(fusehostd_wait_for_log(fixture->daemon, "serving metrics at", 10000));
	fixture->reader = fork();
	if (fixture->reader == 0) {
		char buffer[16];
		int fd = open(path, O_RDONLY);

		/* Returns only when the connection is aborted. */
		_exit(fd >= 0 && read(fd, buffer, sizeof(buffer)) < 0 ? 0 : 1);
	}
	assert_true(fusehostd_wait_for_log(fixture->daemon, "warning: hung: operation read has "
					  "been running for", 10000));
	text = test_scrape_metrics(fixture->port);
	assert_non_null(text);
	assert_true(test_metric_value(text,
				      "fusehost_oldest_operation_age_seconds{"
				      "mount=\"hung\",plugin=\"misbehave\"}") >=
		    0.3);
	assert_int_equal(test_metric_value(text,
					   "fusehost_operations_in_flight{"
					   "mount=\"hung\",plugin="
					   "\"misbehave\"}"),
			 1);
	g_free(text);

	/* The other mount answers at once, however often. */
	for (int i = 0; i < 20; i++) {
		text = test_read_file(hello);
		assert_string_equal(text, "Hello, world!\n");
		g_free(text);
	}
	g_free(hello);
	g_free(path);
}

static void assert_reader_released(struct hostile_fixture *fixture)
{
	int status;

	assert_int_equal(waitpid(fixture->reader, &status, 0), fixture->reader);
	fixture->reader = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_daemon_stops_despite_hung_plugin(void **state)
{
	struct hostile_fixture *fixture = *state;
	long long started;

	serve_with_stuck_reader(fixture);
	started = test_now_ms();
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	assert_true(test_now_ms() - started < STOP_TIMEOUT_MS);
	assert_false(is_fuse_mounted(fixture->hung));
	assert_false(is_fuse_mounted(fixture->good));
	assert_reader_released(fixture);
	/* The stop timeout, not what was left of it. */
	fusehostd_assert_logged(fixture->daemon,
				"did not stop within 2000 ms (an operation is "
				"stuck in plugin misbehave): aborting its FUSE "
				"connection");
	fusehostd_assert_log_clean(fixture->daemon, hang_expected);
}

static void test_unmount_of_hung_mount_completes(void **state)
{
	struct hostile_fixture *fixture = *state;
	char *build_dir = g_path_get_dirname(test_fusehostd_path());
	char *ctl = g_strdup_printf("%s/fusehostctl", build_dir);
	char *hello = test_path(fixture->good, "hello");
	const char *const expected[] = { "has been running for",
					 "did not stop within",
					 "is stuck in an operation", NULL };
	char *text;

	serve_with_stuck_reader(fixture);
	/* Exit status 1: done, but the plugin had to be abandoned. */
	assert_int_equal(test_shell("%s -s %s unmount hung >/dev/null 2>&1",
				    ctl, fixture->socket),
			 1);
	assert_false(is_fuse_mounted(fixture->hung));
	assert_reader_released(fixture);
	assert_int_equal(test_shell("%s -s %s --json list | grep -q "
				    "'\"state\" : \"unmounted\"'",
				    ctl, fixture->socket),
			 0);
	text = test_read_file(hello);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	assert_false(is_fuse_mounted(fixture->good));
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(hello);
	g_free(ctl);
	g_free(build_dir);
}

/* Reads the daemon's notifications as systemd would, at once (a full
 * socket would block the daemon in sd_notify), counting the pings. */
struct notify_reader {
	int fd;
	atomic_int pings;
	pthread_t thread;
};

static void *read_notifications(void *data)
{
	struct notify_reader *reader = data;
	char buffer[4096];
	ssize_t length;

	while ((length = recv(reader->fd, buffer, sizeof(buffer) - 1, 0)) >
	       0) {
		buffer[length] = '\0';
		if (strstr(buffer, "WATCHDOG=1"))
			atomic_fetch_add(&reader->pings, 1);
	}
	return NULL;
}

/* Unmounting the stuck mount holds the main loop for the stop timeout
 * and the grace after the abort (3 s here, twice the stop timeout and
 * more in general, which may be past WatchdogSec): the watchdog is fed
 * meanwhile, every half of WATCHDOG_USEC (0.2 s), instead of once
 * before and once after. */
static void test_watchdog_fed_while_hung_mount_stops(void **state)
{
	struct hostile_fixture *fixture = *state;
	char *build_dir = g_path_get_dirname(test_fusehostd_path());
	char *ctl = g_strdup_printf("%s/fusehostctl", build_dir);
	char *socket_path = test_path(fixture->dir, "notify");
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	const char *const expected[] = { "has been running for",
					 "did not stop within",
					 "is stuck in an operation", NULL };
	struct notify_reader reader = {
		.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	};
	int before, pings;

	g_strlcpy(address.sun_path, socket_path, sizeof(address.sun_path));
	assert_int_equal(bind(reader.fd, (struct sockaddr *)&address,
			      sizeof(address)),
			 0);
	assert_int_equal(pthread_create(&reader.thread, NULL,
					read_notifications, &reader),
			 0);
	setenv("NOTIFY_SOCKET", socket_path, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	serve_with_stuck_reader(fixture);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");

	before = atomic_load(&reader.pings);
	assert_int_equal(test_shell("%s -s %s unmount hung >/dev/null 2>&1",
				    ctl, fixture->socket),
			 1);
	pings = atomic_load(&reader.pings) - before;
	if (pings < 6)
		fail_msg("%d watchdog pings while the stop took 3 s", pings);
	assert_reader_released(fixture);
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	shutdown(reader.fd, SHUT_RDWR);
	pthread_join(reader.thread, NULL);
	close(reader.fd);
	g_free(socket_path);
	g_free(ctl);
	g_free(build_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_daemon_stops_despite_hung_plugin, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unmount_of_hung_mount_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_watchdog_fed_while_hung_mount_stops, setup,
			teardown),
	};

	return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
