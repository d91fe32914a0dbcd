/* Integration test helpers; see harness.h. */
#define _GNU_SOURCE
#include "harness.h"

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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mountinfo.h"

static void kill_leftover_daemons(void);

static const char *absolute_from_env(const char *variable,
				     const char *fallback, char **cache)
{
	const char *value = getenv(variable);

	if (!*cache)
		*cache = g_canonicalize_filename(value ? value : fallback, NULL);
	return *cache;
}

const char *test_fusehostd_path(void)
{
	static char *path;

	return absolute_from_env("FUSEHOSTD", "build/fusehostd", &path);
}

const char *test_plugin_dir(void)
{
	static char *path;

	return absolute_from_env("FUSEHOST_PLUGIN_DIR", "build/plugins", &path);
}

static const char *test_plugin_build_dir(void)
{
	static char *path;

	return absolute_from_env("FUSEHOST_TEST_PLUGIN_DIR",
				 "build/tests/plugins", &path);
}

char *test_plugin_path(const char *name)
{
	return g_strdup_printf("%s/%s.so", test_plugin_build_dir(), name);
}

const char *test_fsconform_path(void)
{
	static char *path;

	return absolute_from_env("FSCONFORM", "build/tests/fsconform", &path);
}

long long test_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

char *test_dir_create(void)
{
	char *dir = g_strdup("/tmp/fusehost-test-XXXXXX");

	assert_non_null(mkdtemp(dir));
	/* Tests also act as unprivileged users inside it. */
	assert_int_equal(chmod(dir, 0755), 0);
	return dir;
}

/* Anything of ours still mounted below `dir` (a failed test) is detached,
 * so that rm -rf never walks into a FUSE mount. */
static void detach_leftovers(const char *dir)
{
	GPtrArray *entries = mountinfo_read();
	char *prefix = g_strdup_printf("%s/", dir);

	for (guint i = entries->len; i > 0; i--) {
		const struct mountinfo_entry *entry = entries->pdata[i - 1];

		if (g_str_has_prefix(entry->mountpoint, prefix))
			umount2(entry->mountpoint, MNT_DETACH);
	}
	g_free(prefix);
	g_ptr_array_unref(entries);
}

void test_dir_remove(char *dir)
{
	kill_leftover_daemons();
	detach_leftovers(dir);
	assert_int_equal(test_shell("rm -rf '%s'", dir), 0);
	g_free(dir);
}

char *test_path(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

char *test_subdir(const char *dir, const char *name)
{
	char *path = test_path(dir, name);

	assert_int_equal(g_mkdir_with_parents(path, 0755), 0);
	return path;
}

void test_write_file(const char *path, const char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

char *test_read_file(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

/* Daemons not yet freed: a failing test jumps out before it can stop its
 * daemon, so teardown kills what is left. */
static GPtrArray *live_daemons;

static void kill_leftover_daemons(void)
{
	while (live_daemons && live_daemons->len > 0)
		fusehostd_free(live_daemons->pdata[0]);
}

static void disable_metrics_by_default(const char *config)
{
	char *dropins = g_strdup_printf("%.*s.d", (int)strlen(config) - 5,
					config);
	char *path = test_path(dropins, "00-test.conf");

	if (g_str_has_suffix(config, ".conf") &&
	    !g_file_test(dropins, G_FILE_TEST_EXISTS)) {
		g_mkdir_with_parents(dropins, 0755);
		test_write_file(path, "[daemon]\nmetrics-listen =\n"
				      "control-socket =\n");
	}
	g_free(path);
	g_free(dropins);
}

struct fusehostd *fusehostd_start(const char *config, const char *const *extra)
{
	struct fusehostd *daemon = g_new0(struct fusehostd, 1);
	GPtrArray *argv = g_ptr_array_new();
	int log_fd;

	disable_metrics_by_default(config);

	daemon->log_path = g_strdup("/tmp/fusehost-test-log-XXXXXX");
	log_fd = mkstemp(daemon->log_path);
	assert_true(log_fd >= 0);

	g_ptr_array_add(argv, (gpointer)test_fusehostd_path());
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, (gpointer)config);
	g_ptr_array_add(argv, "--plugin-dir");
	g_ptr_array_add(argv, (gpointer)test_plugin_dir());
	for (; extra && *extra; extra++)
		g_ptr_array_add(argv, (gpointer)*extra);
	g_ptr_array_add(argv, NULL);

	daemon->pid = fork();
	assert_true(daemon->pid >= 0);
	if (daemon->pid == 0) {
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
		execv(test_fusehostd_path(), (char **)argv->pdata);
		_exit(127);
	}
	close(log_fd);
	g_ptr_array_unref(argv);
	if (!live_daemons)
		live_daemons = g_ptr_array_new();
	g_ptr_array_add(live_daemons, daemon);
	return daemon;
}

int fusehostd_wait(struct fusehostd *daemon, int timeout_ms)
{
	long long deadline = test_now_ms() + timeout_ms;
	int status;

	while (test_now_ms() < deadline) {
		pid_t done = waitpid(daemon->pid, &status, WNOHANG);

		if (done == daemon->pid) {
			daemon->pid = 0;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
		usleep(10 * 1000);
	}
	kill(daemon->pid, SIGKILL);
	waitpid(daemon->pid, &status, 0);
	daemon->pid = 0;
	return -1;
}

int fusehostd_stop(struct fusehostd *daemon, int signal, int timeout_ms)
{
	/* Stopped already: kill(0, ...) would signal the test itself. */
	int status;

	if (daemon->pid <= 0)
		return -1;
	kill(daemon->pid, signal);
	status = fusehostd_wait(daemon, timeout_ms);
	/* What the daemon said is what explains it (a sanitizer's report
	 * goes there too). */
	if (status != 0 && signal != SIGKILL) {
		char *log = fusehostd_log(daemon);

		if (status < 0)
			print_error("fusehostd did not exit in time after "
				    "signal %d; its log:\n%s\n",
				    signal, log);
		else
			print_error("fusehostd exited with status %d after "
				    "signal %d; its log:\n%s\n",
				    status, signal, log);
		g_free(log);
	}
	return status;
}

void fusehostd_free(struct fusehostd *daemon)
{
	if (daemon->pid > 0)
		fusehostd_stop(daemon, SIGKILL, 5000);
	g_ptr_array_remove(live_daemons, daemon);
	unlink(daemon->log_path);
	g_free(daemon->log_path);
	g_free(daemon);
}

char *fusehostd_log(const struct fusehostd *daemon)
{
	char *text = test_read_file(daemon->log_path);

	return text ? text : g_strdup("");
}

static bool is_expected(const char *line, const char *const *expected)
{
	/* About the machine, not the test: a stale mount that another test
	 * (or another run of the suite) left somewhere else. */
	if (strstr(line, "left by an earlier fusehostd: no mount is "
			 "configured there now"))
		return true;
	for (; expected && *expected; expected++) {
		if (strstr(line, *expected))
			return true;
	}
	return false;
}

void fusehostd_assert_log_clean(const struct fusehostd *daemon,
				const char *const *expected)
{
	char *text = fusehostd_log(daemon);
	char **lines = g_strsplit(text, "\n", -1);
	const char *unexpected = NULL;

	for (char **line = lines; *line && !unexpected; line++) {
		if ((g_str_has_prefix(*line, "error:") ||
		     g_str_has_prefix(*line, "warning:")) &&
		    !is_expected(*line, expected))
			unexpected = *line;
	}
	if (unexpected) {
		print_error("daemon log:\n%s", text);
		fail_msg("unexpected daemon message: %s", unexpected);
	}
	g_strfreev(lines);
	g_free(text);
}

void fusehostd_assert_logged(const struct fusehostd *daemon, const char *text)
{
	char *log = fusehostd_log(daemon);

	if (!strstr(log, text)) {
		print_error("daemon log:\n%s", log);
		fail_msg("daemon did not log '%s'", text);
	}
	g_free(log);
}

bool is_fuse_mounted(const char *path)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *top = mountinfo_find_top(entries, path);
	bool mounted = top && mountinfo_is_fuse(top);

	g_ptr_array_unref(entries);
	return mounted;
}

static bool wait_for_mount_state(const char *path, bool mounted,
				 int timeout_ms)
{
	long long deadline = test_now_ms() + timeout_ms;

	do {
		if (is_fuse_mounted(path) == mounted)
			return true;
		usleep(10 * 1000);
	} while (test_now_ms() < deadline);
	return false;
}

bool wait_for_fuse_mount(const char *path, int timeout_ms)
{
	return wait_for_mount_state(path, true, timeout_ms);
}

bool wait_for_no_fuse_mount(const char *path, int timeout_ms)
{
	return wait_for_mount_state(path, false, timeout_ms);
}

int test_shell(const char *format, ...)
{
	va_list args;
	char *command;
	int status;

	va_start(args, format);
	command = g_strdup_vprintf(format, args);
	va_end(args);
	status = system(command);
	g_free(command);
	if (status == -1)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int test_free_port(void)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)),
			 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length),
			 0);
	port = ntohs(address.sin_port);
	close(fd);
	return port;
}

char *test_scrape_metrics(int port)
{
	char *path = g_strdup("/tmp/fusehost-test-scrape-XXXXXX");
	int fd = mkstemp(path);
	char *text = NULL;

	assert_true(fd >= 0);
	close(fd);
	if (test_shell("curl -sf http://127.0.0.1:%d/metrics -o %s", port,
		       path) == 0)
		text = test_read_file(path);
	unlink(path);
	g_free(path);
	return text;
}

double test_metric_value(const char *text, const char *series)
{
	size_t length = strlen(series);
	const char *line = text;

	while (line && *line) {
		if (strncmp(line, series, length) == 0 && line[length] == ' ')
			return g_ascii_strtod(line + length + 1, NULL);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

unsigned test_count(const char *text, const char *needle)
{
	unsigned count = 0;

	for (const char *at = strstr(text, needle); at;
	     at = strstr(at + 1, needle))
		count++;
	return count;
}

bool fusehostd_wait_for_log_count(const struct fusehostd *daemon,
				  const char *text, unsigned count,
				  int timeout_ms)
{
	long long deadline = test_now_ms() + timeout_ms;

	do {
		char *log = fusehostd_log(daemon);
		bool found = test_count(log, text) >= count;

		g_free(log);
		if (found)
			return true;
		usleep(10 * 1000);
	} while (test_now_ms() < deadline);
	return false;
}

bool fusehostd_wait_for_log(const struct fusehostd *daemon, const char *text,
			    int timeout_ms)
{
	return fusehostd_wait_for_log_count(daemon, text, 1, timeout_ms);
}

int fixture_setup(void **state)
{
	struct fixture *fixture = g_new0(struct fixture, 1);

	fixture->dir = test_dir_create();
	fixture->config = test_path(fixture->dir, "fusehost.conf");
	*state = fixture;
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *fixture = *state;

	if (fixture->daemon)
		fusehostd_free(fixture->daemon);
	test_dir_remove(fixture->dir);
	g_free(fixture->config);
	g_free(fixture);
	return 0;
}

bool test_sanitized(void)
{
	const char *value = getenv("FUSEHOST_SANITIZE");

	return value && (strcmp(value, "1") == 0 || strcmp(value, "thread") == 0);
}

int test_enable_metrics(const char *dir)
{
	int port = test_free_port();
	char *dropins = test_subdir(dir, "fusehost.d");
	char *dropin = test_path(dropins, "50-metrics.conf");
	char *text = g_strdup_printf("[daemon]\nmetrics-listen = "
				     "127.0.0.1:%d\ncontrol-socket =\n",
				     port);

	test_write_file(dropin, text);
	g_free(text);
	g_free(dropin);
	g_free(dropins);
	return port;
}
