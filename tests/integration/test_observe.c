/* Integration tests of the observation layer: exact counts, bytes and
 * errors in /metrics, histograms consistent with counts, promtool's
 * approval, trace records, slow-operation warnings and the oldest-age
 * gauge, and plugins that break the rules getting EIO. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
/* Every request reaches the plugin: nothing is answered from caches. */
#define NO_CACHE "attr_timeout=0,entry_timeout=0,negative_timeout=0"

/* The metrics port of the running test; the fixture is the harness's. */
static int port;

static int setup(void **state)
{
	fixture_setup(state);
	port = test_enable_metrics(((struct fixture *)*state)->dir);
	return 0;
}

/* Write the config (mount groups only) and start serving it. */
static void serve(struct fixture *fixture, const char *mounts,
		  const char *first_mountpoint)
{
	test_write_file(fixture->config, mounts);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	if (!wait_for_fuse_mount(first_mountpoint, START_TIMEOUT_MS)) {
		char *log = fusehostd_log(fixture->daemon);

		print_error("daemon log:\n%s", log);
		fail_msg("%s was not mounted", first_mountpoint);
	}
	/* The endpoint starts once every mount has been tried. */
	for (int i = 0; i < 500; i++) {
		char *log = fusehostd_log(fixture->daemon);
		bool ready = strstr(log, "serving metrics at") != NULL;

		g_free(log);
		if (ready)
			return;
		usleep(10 * 1000);
	}
	fail_msg("metrics endpoint did not start");
}

/* Stop the daemon and check its log; the log stays readable until
 * teardown. */
static void stop(struct fixture *fixture, const char *const *expected)
{
	assert_int_equal(
	    fusehostd_stop(fixture->daemon, SIGTERM, STOP_TIMEOUT_MS), 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
}

static double metric(const char *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static double metric(const char *text, const char *format, ...)
{
	va_list args;
	char *series;
	double value;

	va_start(args, format);
	series = g_strdup_vprintf(format, args);
	va_end(args);
	value = test_metric_value(text, series);
	g_free(series);
	return value;
}

static char *scrape(void)
{
	char *text = test_scrape_metrics(port);

	assert_non_null(text);
	return text;
}

static const char *const nothing_expected[] = {NULL};

/* A failing lookup is counted under its errno, once per lookup; bytes read
 * are the bytes the reader got. */
static void test_errors_and_read_bytes_exact(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *config =
	    g_strdup_printf("[mount h]\nplugin = hello\n"
			    "mountpoint = %s\noptions = " NO_CACHE "\n",
			    mountpoint);
	struct stat st;
	char *text;

	serve(fixture, config, mountpoint);
	for (int i = 0; i < 17; i++) {
		char *missing = g_strdup_printf("%s/missing-%d", mountpoint, i);

		assert_int_equal(stat(missing, &st), -1);
		assert_int_equal(errno, ENOENT);
		g_free(missing);
	}
	assert_int_equal(test_shell("cat %s/hello > /dev/null", mountpoint), 0);

	text = scrape();
	assert_int_equal(metric(text,
				"fusehost_operation_errors_total{mount=\"h\","
				"plugin=\"hello\",op=\"getattr\","
				"errno=\"ENOENT\"}"),
			 17);
	assert_int_equal(metric(text, "fusehost_read_bytes_total{mount=\"h\","
				      "plugin=\"hello\"}"),
			 strlen("Hello, world!\n"));
	assert_int_equal(metric(text, "fusehost_operations_total{mount=\"h\","
				      "plugin=\"hello\",op=\"open\"}"),
			 1);
	assert_int_equal(metric(text, "fusehost_mount_up{mount=\"h\","
				      "plugin=\"hello\"}"),
			 1);
	assert_int_equal(metric(text, "fusehost_build_info{version=\"0.1.0\"}"),
			 1);
	/* A slot hello leaves NULL has no series. */
	assert_int_equal(metric(text, "fusehost_operations_total{mount=\"h\","
				      "plugin=\"hello\",op=\"write\"}"),
			 -1);
	stop(fixture, nothing_expected);
	g_free(text);
	g_free(config);
	g_free(mountpoint);
}

/* N creates are N create operations; written bytes are exact; every
 * histogram's count equals its operation's total; promtool accepts it. */
static void test_memfs_counts_and_histograms(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *config =
	    g_strdup_printf("[mount m]\nplugin = memfs\nmountpoint = %s\n"
			    "options = default_permissions," NO_CACHE "\n",
			    mountpoint);
	char *metrics_path = test_path(fixture->dir, "metrics.txt");
	char block[1000];
	char *text;

	memset(block, 'x', sizeof(block));
	serve(fixture, config, mountpoint);
	for (int i = 0; i < 40; i++) {
		char *path = g_strdup_printf("%s/file-%d", mountpoint, i);
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, block, sizeof(block)),
				 sizeof(block));
		assert_int_equal(close(fd), 0);
		g_free(path);
	}

	text = scrape();
	assert_int_equal(metric(text, "fusehost_operations_total{mount=\"m\","
				      "plugin=\"memfs\",op=\"create\"}"),
			 40);
	assert_int_equal(metric(text, "fusehost_written_bytes_total{mount="
				      "\"m\",plugin=\"memfs\"}"),
			 40 * sizeof(block));
	for (unsigned op = 0; op < 64; op++) {
		static const char *const names[] = {
		    "getattr", "create", "write", "flush", "release",
		};

		if (op >= G_N_ELEMENTS(names))
			break;
		assert_true(metric(text,
				   "fusehost_operations_total{mount=\"m\","
				   "plugin=\"memfs\",op=\"%s\"}",
				   names[op]) > 0);
		assert_int_equal(
		    metric(text,
			   "fusehost_operation_duration_seconds_count{"
			   "mount=\"m\",plugin=\"memfs\",op=\"%s\"}",
			   names[op]),
		    metric(text,
			   "fusehost_operations_total{mount=\"m\","
			   "plugin=\"memfs\",op=\"%s\"}",
			   names[op]));
		assert_int_equal(
		    metric(text,
			   "fusehost_operation_duration_seconds_bucket{"
			   "mount=\"m\",plugin=\"memfs\",op=\"%s\","
			   "le=\"+Inf\"}",
			   names[op]),
		    metric(text,
			   "fusehost_operations_total{mount=\"m\","
			   "plugin=\"memfs\",op=\"%s\"}",
			   names[op]));
	}
	test_write_file(metrics_path, text);
	assert_int_equal(
	    test_shell("promtool check metrics < %s", metrics_path), 0);
	stop(fixture, nothing_expected);
	g_free(text);
	g_free(metrics_path);
	g_free(config);
	g_free(mountpoint);
}

/* The same metric text, checked by promtool, with several mounts, errors
 * and a mount that failed. */
static void test_promtool_accepts(void **state)
{
	struct fixture *fixture = *state;
	char *one = test_subdir(fixture->dir, "one");
	char *two = test_subdir(fixture->dir, "two");
	char *three = test_subdir(fixture->dir, "three");
	char *config = g_strdup_printf(
	    "[mount one]\nplugin = hello\nmountpoint = %s\n"
	    "[mount two]\nplugin = hello\nmountpoint = %s\n"
	    "[mount broken]\nplugin = nosuch\nmountpoint = %s\n",
	    one, two, three);
	char *metrics_path = test_path(fixture->dir, "metrics.txt");
	const char *const expected[] = {"nosuch.so does not exist",
					"mount skipped", NULL};
	char *text;

	serve(fixture, config, one);
	assert_int_equal(test_shell("cat %s/hello %s/whoami %s/nope "
				    "> /dev/null 2>&1; true",
				    one, two, two),
			 0);
	text = scrape();
	assert_int_equal(metric(text, "fusehost_mount_up{mount=\"broken\","
				      "plugin=\"nosuch\"}"),
			 0);
	test_write_file(metrics_path, text);
	assert_int_equal(
	    test_shell("promtool check metrics < %s", metrics_path), 0);
	stop(fixture, expected);
	g_free(text);
	g_free(metrics_path);
	g_free(config);
	g_free(three);
	g_free(two);
	g_free(one);
}

/* A metrics-listen that cannot be served is said with its cause, not a
 * guess: 192.0.2.1 (TEST-NET-1) is no address of this machine. */
static void test_unservable_metrics_listen_says_why(void **state)
{
	struct fixture *fixture = *state;
	char *dir = test_subdir(fixture->dir, "elsewhere");
	char *config = test_path(dir, "fusehost.conf");
	char *output = test_path(dir, "output");
	char *text;

	test_write_file(config, "[daemon]\nmetrics-listen = 192.0.2.1:9464\n"
				"control-socket =\n");
	assert_int_equal(test_shell("%s -c %s --plugin-dir %s --run true "
				    ">%s 2>&1",
				    test_fusehostd_path(), config,
				    test_plugin_dir(), output),
			 0);
	text = test_read_file(output);
	if (!strstr(text, "cannot serve metrics on 192.0.2.1:9464: Cannot "
			  "assign requested address") ||
	    strstr(text, "port in use"))
		fail_msg("the cause is not said:\n%s", text);
	g_free(text);
	g_free(output);
	g_free(config);
	g_free(dir);
}

/* A traced mount logs "-> op path" and "<- op result (duration)"; an
 * untraced one logs nothing per operation. */
static void test_trace_records(void **state)
{
	struct fixture *fixture = *state;
	char *traced = test_subdir(fixture->dir, "traced");
	char *quiet = test_subdir(fixture->dir, "quiet");
	char *config =
	    g_strdup_printf("[mount traced]\nplugin = hello\nmountpoint = %s\n"
			    "trace = true\n"
			    "[mount quiet]\nplugin = hello\nmountpoint = %s\n",
			    traced, quiet);
	char *log;

	serve(fixture, config, traced);
	assert_int_equal(test_shell("cat %s/hello %s/hello > /dev/null; "
				    "cat %s/nope 2>/dev/null; true",
				    traced, quiet, traced),
			 0);
	stop(fixture, nothing_expected);

	log = fusehostd_log(fixture->daemon);
	assert_non_null(strstr(log, "debug: traced: -> getattr /hello\n"));
	assert_non_null(strstr(log, "debug: traced: <- getattr 0 ("));
	assert_non_null(strstr(log, "debug: traced: -> getattr /nope\n"));
	assert_non_null(strstr(log, "debug: traced: <- getattr ENOENT ("));
	assert_non_null(strstr(log, "debug: traced: -> read /hello size="));
	assert_non_null(strstr(log, "debug: traced: <- read 14 ("));
	assert_null(strstr(log, "quiet: ->"));
	assert_null(strstr(log, "quiet: <-"));
	g_free(log);
	g_free(config);
	g_free(quiet);
	g_free(traced);
}

/* A file name with a newline in it is traced on one line: it cannot
 * make up a record of its own. */
static void test_trace_keeps_a_record_on_one_line(void **state)
{
	struct fixture *fixture = *state;
	char *traced = test_subdir(fixture->dir, "traced");
	char *config =
	    g_strdup_printf("[mount traced]\nplugin = hello\nmountpoint = %s\n"
			    "trace = true\n",
			    traced);
	char *name = test_path(traced, "x\nerror: other: forged");
	struct stat st;
	char *log;

	serve(fixture, config, traced);
	assert_int_equal(stat(name, &st), -1);
	assert_int_equal(errno, ENOENT);
	stop(fixture, nothing_expected);

	log = fusehostd_log(fixture->daemon);
	assert_null(strstr(log, "\nerror: other: forged"));
	assert_non_null(strstr(log, "debug: traced: -> getattr "
				    "/x\\nerror: other: forged\n"));
	g_free(log);
	g_free(name);
	g_free(config);
	g_free(traced);
}

/* SIGUSR2 applies a changed trace setting without remounting. */
static void test_sigusr2_switches_trace(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "h");
	char *config = g_strdup_printf("[mount h]\nplugin = hello\n"
				       "mountpoint = %s\n",
				       mountpoint);
	char *traced = g_strdup_printf("%strace = true\n", config);
	char *log;

	serve(fixture, config, mountpoint);
	assert_int_equal(test_shell("cat %s/hello >/dev/null", mountpoint), 0);
	test_write_file(fixture->config, traced);
	kill(fixture->daemon->pid, SIGUSR2);
	for (int i = 0; i < 500; i++) {
		log = fusehostd_log(fixture->daemon);
		if (strstr(log, "settings applied")) {
			g_free(log);
			break;
		}
		g_free(log);
		usleep(10 * 1000);
	}
	assert_int_equal(test_shell("cat %s/whoami >/dev/null", mountpoint), 0);
	stop(fixture, nothing_expected);
	log = fusehostd_log(fixture->daemon);
	assert_null(strstr(log, "-> read /hello"));
	assert_non_null(strstr(log, "info: h: trace on"));
	assert_non_null(strstr(log, "debug: h: -> read /whoami"));
	/* The mount was never remounted. */
	assert_int_equal(test_count(log, "serving plugin hello"), 1);
	g_free(log);
	g_free(traced);
	g_free(config);
	g_free(mountpoint);
}

/* SIGUSR2 applies a changed log-level to the plugin's own messages too. */
static void test_sigusr2_log_level_reaches_the_plugin(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *plugin = test_plugin_path("misbehave");
	char *config = g_strdup_printf("[mount m]\nplugin = %s\n"
				       "mountpoint = %s\n",
				       plugin, mountpoint);
	char *debug = g_strdup_printf("%slog-level = debug\n", config);
	/* The plugin logs before it answers: once stat returns, the line
	 * is in the log or never will be. */
	char *logdebug = test_path(mountpoint, "logdebug");
	struct stat st;
	char *log;

	serve(fixture, config, mountpoint);
	assert_int_equal(stat(logdebug, &st), -1);
	log = fusehostd_log(fixture->daemon);
	assert_null(strstr(log, "debug from the plugin"));
	g_free(log);
	test_write_file(fixture->config, debug);
	kill(fixture->daemon->pid, SIGUSR2);
	assert_true(fusehostd_wait_for_log(fixture->daemon, "settings applied",
					   START_TIMEOUT_MS));
	assert_int_equal(stat(logdebug, &st), -1);
	fusehostd_assert_logged(fixture->daemon,
				"debug: m: debug from the plugin");
	stop(fixture, nothing_expected);
	g_free(logdebug);
	g_free(debug);
	g_free(config);
	g_free(plugin);
	g_free(mountpoint);
}

/* A plugin that logs at a level that is none of the four gets the
 * nearest: its message neither vanishes nor reaches the log's tables
 * out of bounds. */
static void test_odd_log_levels(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *plugin = test_plugin_path("misbehave");
	char *config = g_strdup_printf("[mount m]\nplugin = %s\n"
				       "mountpoint = %s\nlog-level = debug\n",
				       plugin, mountpoint);
	char *logodd = test_path(mountpoint, "logodd");
	const char *const expected[] = {"below error", NULL};
	struct stat st;

	serve(fixture, config, mountpoint);
	assert_int_equal(stat(logodd, &st), -1);
	assert_int_equal(errno, ENOENT);
	fusehostd_assert_logged(fixture->daemon, "error: m: below error");
	fusehostd_assert_logged(fixture->daemon, "debug: m: past debug");
	stop(fixture, expected);
	g_free(logodd);
	g_free(config);
	g_free(plugin);
	g_free(mountpoint);
}

/* A plugin whose declared default does not parse: the message says the
 * value is the plugin's, not to be found in the config. */
static void test_bad_default_is_the_plugins(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "m");
	char *plugin = test_plugin_path("misbehave");
	char *config = g_strdup_printf("[mount m]\nplugin = %s\n"
				       "mountpoint = %s\n",
				       plugin, mountpoint);
	char *baddefault = test_path(mountpoint, "baddefault");
	const char *const expected[] = {"bad-default", NULL};
	struct stat st;

	serve(fixture, config, mountpoint);
	assert_int_equal(stat(baddefault, &st), -1);
	assert_int_equal(errno, ENOENT);
	fusehostd_assert_logged(fixture->daemon,
				"[mount m] bad-default: 'soon' is not a whole "
				"number (the plugin's own default)\n");
	stop(fixture, expected);
	g_free(baddefault);
	g_free(config);
	g_free(plugin);
	g_free(mountpoint);
}

static void *read_file_in_background(const char *path, pid_t *child)
{
	*child = fork();
	if (*child == 0) {
		char buffer[64];
		int fd = open(path, O_RDONLY);

		_exit(fd >= 0 && read(fd, buffer, sizeof(buffer)) > 0 ? 0 : 1);
	}
	return NULL;
}

/* A slow operation shows while it runs (in flight, oldest age) and is
 * logged once it passes slow-op-ms. */
static void test_slow_operation_shows_and_is_logged(void **state)
{
	struct fixture *fixture = *state;
	char *plugin = test_plugin_path("misbehave");
	char *mountpoint = test_subdir(fixture->dir, "slow");
	char *config = g_strdup_printf("[mount slow]\nplugin = %s\n"
				       "mountpoint = %s\nsleep-ms = 2500\n"
				       "slow-op-ms = 300\n",
				       plugin, mountpoint);
	char *path = test_path(mountpoint, "sleep");
	const char *const expected[] = {"slow operation: read /sleep took",
					"operation read has been running for",
					NULL};
	char *series =
	    g_strdup("fusehost_oldest_operation_age_seconds{mount=\"slow\","
		     "plugin=\"misbehave\"}");
	double age = 0;
	double in_flight = 0;
	int status;
	pid_t reader;
	char *text;

	serve(fixture, config, mountpoint);
	read_file_in_background(path, &reader);
	for (int i = 0; i < 100 && age < 0.4; i++) {
		usleep(20 * 1000);
		text = scrape();
		age = test_metric_value(text, series);
		in_flight = metric(text, "fusehost_operations_in_flight{mount="
					 "\"slow\",plugin=\"misbehave\"}");
		g_free(text);
	}
	assert_true(age >= 0.4);
	assert_int_equal(in_flight, 1);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_int_equal(WEXITSTATUS(status), 0);

	text = scrape();
	assert_int_equal(test_metric_value(text, series), 0);
	g_free(text);
	stop(fixture, expected);
	fusehostd_assert_logged(fixture->daemon,
				"warning: slow: slow operation: read /sleep "
				"took 2");
	/* While it ran, the supervisor saw it pass the threshold too. */
	fusehostd_assert_logged(fixture->daemon,
				"warning: slow: operation read has been "
				"running for");
	g_free(series);
	g_free(path);
	g_free(config);
	g_free(mountpoint);
	g_free(plugin);
}

/* Results a plugin may not return reach the caller as EIO, and each kind
 * is logged once however often it happens. */
static void test_misbehaving_plugin_gets_eio(void **state)
{
	struct fixture *fixture = *state;
	char *plugin = test_plugin_path("misbehave");
	char *mountpoint = test_subdir(fixture->dir, "bad");
	char *config =
	    g_strdup_printf("[mount bad]\nplugin = %s\n"
			    "mountpoint = %s\noptions = " NO_CACHE "\n"
			    "trace = true\n",
			    plugin, mountpoint);
	const char *const expected[] = {"the caller gets EIO",
					"warning: logged without a mount",
					NULL};
	char *positive = test_path(mountpoint, "positive");
	char *toomuch = test_path(mountpoint, "toomuch");
	char *badlink = test_path(mountpoint, "badlink");
	char *restartsys = test_path(mountpoint, "restartsys");
	char *errno41 = test_path(mountpoint, "errno41");
	char *errno200 = test_path(mountpoint, "errno200");
	char *fine = test_path(mountpoint, "fine");
	char *lognull;
	char buffer[64];
	struct stat st;
	char *log;
	char *text;

	serve(fixture, config, mountpoint);
	for (int i = 0; i < 3; i++) {
		int fd;

		assert_int_equal(stat(positive, &st), -1);
		assert_int_equal(errno, EIO);
		fd = open(toomuch, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buffer, sizeof(buffer)), -1);
		assert_int_equal(errno, EIO);
		close(fd);
		assert_int_equal(readlink(badlink, buffer, sizeof(buffer)), -1);
		assert_int_equal(errno, EIO);
		/* Passed on, this one would leave readlink waiting. */
		assert_int_equal(readlink(restartsys, buffer, sizeof(buffer)),
				 -1);
		assert_int_equal(errno, EIO);
	}
	/* A plugin may log without naming a mount. */
	lognull = test_path(mountpoint, "lognull");
	assert_int_equal(stat(lognull, &st), -1);
	assert_int_equal(errno, ENOENT);
	g_free(lognull);

	/* The mount still serves well-behaved files. */
	text = test_read_file(fine);
	assert_string_equal(text, "fine\n");
	g_free(text);

	/* Errnos without a name, and past the last one, each get a series
	 * of their own. */
	assert_int_equal(readlink(errno41, buffer, sizeof(buffer)), -1);
	assert_int_equal(errno, 41);
	assert_int_equal(readlink(errno200, buffer, sizeof(buffer)), -1);
	assert_int_equal(errno, 200);

	text = scrape();
	assert_int_equal(metric(text,
				"fusehost_operation_errors_total{mount=\"bad\","
				"plugin=\"misbehave\",op=\"read\","
				"errno=\"EIO\"}"),
			 3);
	assert_int_equal(metric(text,
				"fusehost_operation_errors_total{mount=\"bad\","
				"plugin=\"misbehave\",op=\"readlink\","
				"errno=\"41\"}"),
			 1);
	assert_int_equal(metric(text,
				"fusehost_operation_errors_total{mount=\"bad\","
				"plugin=\"misbehave\",op=\"readlink\","
				"errno=\"other\"}"),
			 1);
	/* Each broken result counts, though the log says it once. */
	assert_int_equal(metric(text,
				"fusehost_plugin_violations_total{mount="
				"\"bad\",plugin=\"misbehave\",op=\"getattr\"}"),
			 3);
	assert_int_equal(metric(text,
				"fusehost_plugin_violations_total{mount="
				"\"bad\",plugin=\"misbehave\",op=\"readlink\"}"),
			 6);
	assert_int_equal(metric(text,
				"fusehost_plugin_violations_total{mount="
				"\"bad\",plugin=\"misbehave\",op=\"read\"}"),
			 3);
	g_free(text);
	stop(fixture, expected);
	log = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(log, "returned 5 from getattr on "
					 "/positive, but only 0 or a "
					 "negative errno is allowed"),
			 1);
	assert_int_equal(test_count(log, "from read on /toomuch, more "
					 "bytes than were asked for"),
			 1);
	/* The trace shows what the plugin returned, every time. */
	assert_int_equal(test_count(log, "!! getattr /positive: plugin "
					 "returned 5, but only 0 or a negative "
					 "errno is allowed"),
			 3);
	/* Not repeated by libfuse for every read. */
	assert_int_equal(test_count(log, "read too many bytes"), 0);
	assert_int_equal(test_count(log, "warning: logged without a "
					 "mount"),
			 1);
	assert_int_equal(test_count(log, "returned -99999 from readlink "
					 "on /badlink, which is not a "
					 "valid negative errno"),
			 1);
	g_free(log);
	g_free(fine);
	g_free(errno200);
	g_free(errno41);
	g_free(restartsys);
	g_free(badlink);
	g_free(toomuch);
	g_free(positive);
	g_free(config);
	g_free(mountpoint);
	g_free(plugin);
}

/* metrics = false bypasses the layer: the mount serves and shows as up,
 * with no operation series. */
static void test_metrics_false_bypasses_layer(void **state)
{
	struct fixture *fixture = *state;
	char *mountpoint = test_subdir(fixture->dir, "plain");
	char *config = g_strdup_printf("[mount plain]\nplugin = hello\n"
				       "mountpoint = %s\nmetrics = false\n",
				       mountpoint);
	char *path = test_path(mountpoint, "hello");
	char *text;

	serve(fixture, config, mountpoint);
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	g_free(text);
	text = scrape();
	assert_int_equal(metric(text, "fusehost_mount_up{mount=\"plain\","
				      "plugin=\"hello\"}"),
			 1);
	assert_null(strstr(text, "fusehost_operations_total{mount=\"plain\""));
	g_free(text);
	stop(fixture, nothing_expected);
	g_free(path);
	g_free(config);
	g_free(mountpoint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_errors_and_read_bytes_exact,
					    setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_memfs_counts_and_histograms,
					    setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_unservable_metrics_listen_says_why, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_promtool_accepts, setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_trace_records, setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_trace_keeps_a_record_on_one_line, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sigusr2_switches_trace, setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_sigusr2_log_level_reaches_the_plugin, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_odd_log_levels, setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_default_is_the_plugins,
					    setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_slow_operation_shows_and_is_logged, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_misbehaving_plugin_gets_eio,
					    setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_false_bypasses_layer,
					    setup, fixture_teardown),
	};

	return cmocka_run_group_tests_name("observe", tests, NULL, NULL);
}
