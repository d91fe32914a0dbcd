/* Helpers for integration tests: temporary directories, config files, the
 * real fusehostd started as a child process, waiting on the mount table,
 * and checking what the daemon logged.
 *
 * Paths come from the environment when set (FUSEHOSTD, FUSEHOST_PLUGIN_DIR,
 * FUSEHOST_TEST_PLUGIN_DIR, FSCONFORM), else from build/ under the current
 * directory, which is how `make check` runs the tests. */
#ifndef FUSEHOST_TEST_HARNESS_H
#define FUSEHOST_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct fusehostd {
	pid_t pid;
	char *log_path;
};

/* A fresh directory under /tmp, and its removal (after checking that
 * nothing is still mounted below it). */
char *test_dir_create(void);
void test_dir_remove(char *dir);

/* DIR/NAME, g_free it.  test_subdir also creates it. */
char *test_path(const char *dir, const char *name);
char *test_subdir(const char *dir, const char *name);

void test_write_file(const char *path, const char *text);
/* The file's contents, or NULL if it cannot be read; g_free it. */
char *test_read_file(const char *path);

/* Absolute paths of the build's artifacts. */
const char *test_fusehostd_path(void);
const char *test_plugin_dir(void);
char *test_plugin_path(const char *name); /* a test plugin's .so */
const char *test_fsconform_path(void);

/* Start fusehostd -c CONFIG --plugin-dir PLUGIN_DIR [EXTRA...] with its
 * stdout and stderr in a log file.  `extra` ends with NULL.
 * Unless the config's drop-in directory exists already, the harness puts
 * 00-test.conf there to turn the metrics endpoint off, so that tests never
 * compete for its port; a test that wants metrics writes a later drop-in. */
struct fusehostd *fusehostd_start(const char *config, const char *const *extra);

/* Wait for the daemon to exit on its own; returns its exit status, or -1
 * (after killing it) when it takes longer than timeout_ms. */
int fusehostd_wait(struct fusehostd *daemon, int timeout_ms);

/* Send `signal` and wait as above. */
int fusehostd_stop(struct fusehostd *daemon, int signal, int timeout_ms);

/* Free the handle and remove the log. */
void fusehostd_free(struct fusehostd *daemon);

/* The log so far; g_free it. */
char *fusehostd_log(const struct fusehostd *daemon);

/* Fail the test when the daemon logged an error or warning line that
 * contains none of `expected` (ended by NULL); print the log then. */
void fusehostd_assert_log_clean(const struct fusehostd *daemon,
				const char *const *expected);

/* Fail the test unless the log contains `text`. */
void fusehostd_assert_logged(const struct fusehostd *daemon, const char *text);

/* Wait until the daemon's log contains `text`; false on timeout. */
bool fusehostd_wait_for_log(const struct fusehostd *daemon, const char *text,
			    int timeout_ms);

/* Wait until the daemon's log contains `text` at least `count` times. */
bool fusehostd_wait_for_log_count(const struct fusehostd *daemon,
				  const char *text, unsigned count,
				  int timeout_ms);

/* How many times `needle` occurs in `text`. */
unsigned test_count(const char *text, const char *needle);

/* The usual cmocka fixture: a fresh directory, the path of a config in
 * it, and the daemon the test starts (teardown stops one left running,
 * as a failing test leaves it, and removes everything). */
struct fixture {
	char *dir;
	char *config;
	struct fusehostd *daemon;
};

int fixture_setup(void **state);
int fixture_teardown(void **state);

/* Poll /proc/self/mountinfo until a FUSE filesystem is (or is no longer)
 * mounted at `path`.  Returns false on timeout. */
bool wait_for_fuse_mount(const char *path, int timeout_ms);
bool wait_for_no_fuse_mount(const char *path, int timeout_ms);
bool is_fuse_mounted(const char *path);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int test_free_port(void);

/* Turn the metrics endpoint on, on a free loopback port, for daemons that
 * read DIR/fusehost.conf: writes DIR/fusehost.d/50-metrics.conf (which
 * also turns the control socket off, as the harness's default does).
 * Returns the port. */
int test_enable_metrics(const char *dir);

/* GET http://127.0.0.1:PORT/metrics with curl; NULL on failure. */
char *test_scrape_metrics(int port);

/* The value of the sample whose name and labels are exactly `series`
 * (e.g. "fusehost_mount_up{mount=\"a\",plugin=\"hello\"}"), or -1 when the
 * text has no such sample. */
double test_metric_value(const char *text, const char *series);

/* Whether the programs under test are built with the sanitizers
 * (FUSEHOST_SANITIZE=1 or thread, set by `make check SANITIZE=...`):
 * valgrind cannot run them, and the sanitizers' bookkeeping makes memory
 * grow. */
bool test_sanitized(void);

/* Run a shell command; returns its exit status (or 128+signal). */
int test_shell(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on the monotonic clock. */
long long test_now_ms(void);

#endif
