/* Integration test of native journald logging: the daemon runs in a mount
 * namespace of its own where the test has put its own socket at
 * /run/systemd/journal/socket, and the test reads back exactly the records
 * the daemon sent (the journald native protocol: datagrams of FIELD=value
 * lines, or FIELD\n<64-bit length><value>\n for values with newlines).
 * Without that socket, as where no journald runs, records go to stderr. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define JOURNAL_DIR "/run/systemd/journal"

/* How run_with_private_journal() sets up what the daemon finds. */
enum journal_setup {
	/* A socket at JOURNAL_DIR/socket takes the records; without it,
	 * JOURNAL_DIR is empty, as where no journald runs. */
	JOURNALD_LISTENS = 1 << 0,
	/* JOURNAL_STREAM names the daemon's stderr, as systemd sets it when
	 * it connects stderr to the journal. */
	STDERR_IS_JOURNAL_STREAM = 1 << 1,
};

/* One record: its fields, in a hash table of name -> value. */
static GHashTable *parse_record(const char *data, size_t length)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal,
						   g_free, g_free);
	const char *end = data + length;

	while (data < end) {
		const char *newline = memchr(data, '\n', (size_t)(end - data));
		const char *equals;

		if (!newline)
			break;
		equals = memchr(data, '=', (size_t)(newline - data));
		if (equals) {
			g_hash_table_insert(
				fields, g_strndup(data, (gsize)(equals - data)),
				g_strndup(equals + 1,
					  (gsize)(newline - equals - 1)));
			data = newline + 1;
		} else {
			uint64_t size;
			char *name = g_strndup(data, (gsize)(newline - data));

			if (newline + 1 + 8 > end) {
				g_free(name);
				break;
			}
			memcpy(&size, newline + 1, 8);
			g_hash_table_insert(fields, name,
					    g_strndup(newline + 9, size));
			data = newline + 9 + size + 1;
		}
	}
	return fields;
}

/* In a new mount namespace: put a socket where journald's would be (as
 * `setup` says), run fusehostd --run `command`, collect every datagram
 * until it exits.  Writes the records, NUL-separated, to `output`, and the
 * daemon's stderr to `stderr_path` unless that is NULL.  Runs in a child
 * process so that the test's own namespace is untouched. */
static void run_with_private_journal(const char *config, const char *command,
				     enum journal_setup setup,
				     const char *output,
				     const char *stderr_path)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		struct sockaddr_un address = { .sun_family = AF_UNIX };
		struct timeval timeout = { .tv_sec = 0, .tv_usec = 200000 };
		FILE *out = fopen(output, "w");
		char buffer[65536];
		pid_t daemon;
		int fd;

		if (!out || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(10);
		g_mkdir_with_parents(JOURNAL_DIR, 0755);
		if (mount("tmpfs", JOURNAL_DIR, "tmpfs", 0, NULL) < 0)
			_exit(11);
		if (setup & JOURNALD_LISTENS) {
			fd = socket(AF_UNIX, SOCK_DGRAM, 0);
			strcpy(address.sun_path, JOURNAL_DIR "/socket");
			if (fd < 0 || bind(fd, (struct sockaddr *)&address,
					   sizeof(address)) < 0)
				_exit(12);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
				   sizeof(timeout));
		} else {
			fd = -1;
		}

		daemon = fork();
		if (daemon == 0 && stderr_path) {
			int log_fd = open(stderr_path,
					  O_WRONLY | O_CREAT | O_TRUNC, 0644);
			struct stat st;
			char stream[64];

			if (log_fd < 0 || fstat(log_fd, &st) < 0)
				_exit(126);
			dup2(log_fd, STDERR_FILENO);
			snprintf(stream, sizeof(stream), "%llu:%llu",
				 (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
			if (setup & STDERR_IS_JOURNAL_STREAM)
				setenv("JOURNAL_STREAM", stream, 1);
			else
				unsetenv("JOURNAL_STREAM");
		}
		if (daemon == 0) {
			execl(test_fusehostd_path(), "fusehostd", "-c", config,
			      "--plugin-dir", test_plugin_dir(), "--run",
			      command, (char *)NULL);
			_exit(127);
		}
		if (fd < 0) {
			if (waitpid(daemon, &status, 0) != daemon)
				_exit(21);
			fclose(out);
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 20);
		}
		for (;;) {
			ssize_t length = recv(fd, buffer, sizeof(buffer), 0);

			if (length > 0) {
				fwrite(buffer, 1, (size_t)length, out);
				fputc('\0', out);
				continue;
			}
			if (waitpid(daemon, &status, WNOHANG) == daemon)
				break;
		}
		fclose(out);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 20);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The first record whose MESSAGE contains `message`, or NULL. */
static GHashTable *find_record(GPtrArray *records, const char *message)
{
	for (guint i = 0; i < records->len; i++) {
		const char *text =
			g_hash_table_lookup(records->pdata[i], "MESSAGE");

		if (text && strstr(text, message))
			return records->pdata[i];
	}
	return NULL;
}

static void assert_field(GHashTable *record, const char *name,
			 const char *value)
{
	const char *actual = g_hash_table_lookup(record, name);

	if (!actual)
		fail_msg("record lacks %s", name);
	if (value && strcmp(actual, value) != 0)
		fail_msg("%s is '%s', not '%s'", name, actual, value);
}

/* Records of a run, parsed. */
static GPtrArray *read_records(const char *output)
{
	GPtrArray *records = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_hash_table_unref);
	char *data;
	gsize length;

	assert_true(g_file_get_contents(output, &data, &length, NULL));
	for (gsize at = 0; at < length;) {
		size_t size = strlen(data + at);

		g_ptr_array_add(records, parse_record(data + at, size));
		at += size + 1;
	}
	g_free(data);
	return records;
}

/* log-target = auto: when stderr is what JOURNAL_STREAM names, records go
 * to the journal and nothing to stderr. */
static void test_journal_stream_detected(void **state)
{
	char *dir = test_dir_create();
	char *config = test_path(dir, "fusehost.conf");
	char *mountpoint = test_subdir(dir, "h");
	char *output = test_path(dir, "journal");
	char *stderr_path = test_path(dir, "stderr");
	char *text = g_strdup_printf("[daemon]\nmetrics-listen =\n"
				     "[mount h]\nplugin = hello\n"
				     "mountpoint = %s\n",
				     mountpoint);
	GPtrArray *records;
	char *stderr_text;

	(void)state;
	test_write_file(config, text);
	run_with_private_journal(config, "true",
				 JOURNALD_LISTENS | STDERR_IS_JOURNAL_STREAM,
				 output, stderr_path);
	records = read_records(output);
	assert_non_null(find_record(records, "serving plugin hello at"));
	stderr_text = test_read_file(stderr_path);
	assert_string_equal(stderr_text, "");
	g_free(stderr_text);
	g_ptr_array_unref(records);
	g_free(text);
	g_free(stderr_path);
	g_free(output);
	g_free(mountpoint);
	g_free(config);
	test_dir_remove(dir);
}

static void test_native_journal_records(void **state)
{
	char *dir = test_dir_create();
	char *config = test_path(dir, "fusehost.conf");
	char *mountpoint = test_subdir(dir, "h");
	char *output = test_path(dir, "journal");
	char *text = g_strdup_printf(
		"[daemon]\nlog-target = journal\nmetrics-listen =\n"
		"[mount h]\nplugin = hello\nmountpoint = %s\ntrace = true\n"
		"options = negative_timeout=0\n",
		mountpoint);
	char *command = g_strdup_printf("cat %s/hello; stat %s/missing; true",
					mountpoint, mountpoint);
	/* MESSAGE names the mount, as the line on stderr does: it is
	 * all that journalctl and systemctl status show of a record. */
	char *serving = g_strdup_printf("h: serving plugin hello at %s",
					mountpoint);
	GPtrArray *records;
	GHashTable *record;

	(void)state;
	test_write_file(config, text);
	run_with_private_journal(config, command, JOURNALD_LISTENS, output,
				 NULL);
	records = read_records(output);

	record = find_record(records, "serving plugin hello at");
	assert_non_null(record);
	assert_field(record, "MESSAGE", serving);
	assert_field(record, "PRIORITY", "6");
	assert_field(record, "FUSEHOST_MOUNT", "h");
	assert_field(record, "CODE_FILE", "daemon/mount.c");
	assert_field(record, "CODE_LINE", NULL);
	assert_field(record, "CODE_FUNC", "mount_thread");

	record = find_record(records, "<- getattr ENOENT");
	assert_non_null(record);
	assert_field(record, "PRIORITY", "7");
	assert_field(record, "FUSEHOST_MOUNT", "h");
	assert_field(record, "FUSEHOST_PLUGIN", "hello");
	assert_field(record, "FUSEHOST_OP", "getattr");
	assert_field(record, "FUSEHOST_PATH", "/missing");
	assert_field(record, "ERRNO", "2");
	assert_field(record, "FUSEHOST_DURATION_USEC", NULL);

	record = find_record(records, "-> read /hello");
	assert_non_null(record);
	assert_field(record, "FUSEHOST_OP", "read");
	assert_non_null(find_record(records, "h: -> read /hello"));

	g_ptr_array_unref(records);
	g_free(serving);
	g_free(command);
	g_free(text);
	g_free(output);
	g_free(mountpoint);
	g_free(config);
	test_dir_remove(dir);
}

/* What fusehostd wrote to stderr, serving mount h (hello) with
 * `daemon_keys` in [daemon], where no journald socket is (`setup` says
 * whether stderr is the journal's stream). */
static char *stderr_without_journald(const char *daemon_keys,
				     enum journal_setup setup)
{
	char *dir = test_dir_create();
	char *config = test_path(dir, "fusehost.conf");
	char *mountpoint = test_subdir(dir, "h");
	char *output = test_path(dir, "journal");
	char *stderr_path = test_path(dir, "stderr");
	char *text = g_strdup_printf("[daemon]\n%smetrics-listen =\n"
				     "control-socket =\n"
				     "[mount h]\nplugin = hello\n"
				     "mountpoint = %s\n",
				     daemon_keys, mountpoint);
	char *stderr_text;

	test_write_file(config, text);
	run_with_private_journal(config, "true", setup, output, stderr_path);
	stderr_text = test_read_file(stderr_path);
	assert_non_null(stderr_text);
	g_free(text);
	g_free(stderr_path);
	g_free(output);
	g_free(mountpoint);
	g_free(config);
	test_dir_remove(dir);
	return stderr_text;
}

/* log-target = journal where no journald runs: libsystemd drops records
 * without a word when its socket is missing, so the daemon says once on
 * stderr that the journal is not there, and every record follows it. */
static void test_journal_missing_falls_back_to_stderr(void **state)
{
	char *stderr_text =
		stderr_without_journald("log-target = journal\n", 0);

	(void)state;
	if (test_count(stderr_text, "warning: log-target = journal: no "
				    "journald socket at " JOURNAL_DIR
				    "/socket (No such file or directory): "
				    "logging to stderr instead\n") != 1 ||
	    test_count(stderr_text, "log-target") != 1 ||
	    test_count(stderr_text, "info: h: serving plugin hello at") != 1)
		fail_msg("stderr: %s", stderr_text);
	g_free(stderr_text);
}

/* log-target = auto with stderr on the journal's stream but no journald
 * socket: records go to stderr, which reaches the journal anyway, and
 * that is no reason for a warning. */
static void test_journal_stream_without_socket(void **state)
{
	char *stderr_text =
		stderr_without_journald("", STDERR_IS_JOURNAL_STREAM);

	(void)state;
	if (test_count(stderr_text, "info: h: serving plugin hello at") != 1 ||
	    test_count(stderr_text, "warning") != 0)
		fail_msg("stderr: %s", stderr_text);
	g_free(stderr_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_journal_records),
		cmocka_unit_test(test_journal_stream_detected),
		cmocka_unit_test(test_journal_missing_falls_back_to_stderr),
		cmocka_unit_test(test_journal_stream_without_socket),
	};

	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
