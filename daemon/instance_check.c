/* Whether a mount's plugin accepts its configuration: an instance opened
 * and closed in a child process (see instance_check.h). */
#define _GNU_SOURCE
#include "instance_check.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "plugin.h"
#include "plugin_api.h"

#define REAP_STEP_MS 5

static void write_all(int fd, const char *text, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, text, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		length -= (size_t)n;
	}
}

/* A copy of a multithreaded daemon, running plugin code: it must not keep
 * the daemon's FUSE connections alive (or anything else it holds) should
 * it outlive the daemon, must go with the daemon, and a crash in it is
 * the plugin's, not the daemon's: no last words, no core. */
static void prepare_child(int out)
{
	struct rlimit no_core = { 0, 0 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	crash_report_uninstall();
	setrlimit(RLIMIT_CORE, &no_core);
	if (out > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)out - 1, 0);
	close_range((unsigned)out + 1, ~0U, 0);
}

/* The child: exits 0 if the plugin opened an instance (which is closed
 * again), 1 if it refused, with its reason written to `out`. */
static void __attribute__((noreturn))
check_in_child(const struct mount_config *config, const struct plugin *plugin,
	       int out)
{
	struct fusehost_mount api = { .config = config, .plugin = plugin };
	void *instance = NULL;
	char *reason = NULL;
	int result;

	prepare_child(out);
	result = plugin_api_open(&api, &instance);
	if (result == 0) {
		if (plugin->descriptor.close)
			plugin->descriptor.close(instance);
		_exit(0);
	}
	if (result > 0)
		reason = g_strdup_printf("returned %d from open, not 0 or a "
					 "negative errno",
					 result);
	else
		reason = g_strdup(api.open_error ? api.open_error
						 : strerror(-result));
	write_all(out, reason, strlen(reason));
	_exit(1);
}

/* Read what the child writes until it closes the pipe (it exits), at most
 * until `deadline_ms` (monotonic).  False if it did not finish. */
static bool read_until_closed(int fd, gint64 deadline_ms, GString *text)
{
	char buffer[512];

	for (;;) {
		gint64 left_ms = deadline_ms - g_get_monotonic_time() / 1000;
		struct pollfd poll_fd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int ready;

		if (left_ms <= 0)
			return false;
		ready = poll(&poll_fd, 1, (int)left_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return false;
		n = read(fd, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		g_string_append_len(text, buffer, n);
	}
}

/* Reap the child by `deadline_ms`, killing it then if it has not ended
 * (it may have closed the pipe and gone on).  False if it had to be
 * killed or cannot be waited for. */
static bool reap_child(pid_t child, gint64 deadline_ms, int *status)
{
	for (;;) {
		pid_t done = waitpid(child, status, WNOHANG);

		if (done == child)
			return true;
		if (done < 0 && errno != EINTR)
			return false;
		if (g_get_monotonic_time() / 1000 >= deadline_ms) {
			kill(child, SIGKILL);
			while (waitpid(child, status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		g_usleep(REAP_STEP_MS * 1000);
	}
}

enum instance_check instance_check(const struct mount_config *config,
				   const struct plugin *plugin,
				   int64_t deadline_ms, char **reason)
{
	GString *text;
	bool finished;
	int pipe_fds[2];
	pid_t child;
	int status;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		*reason = g_strdup_printf("cannot make a pipe: %s",
					  g_strerror(errno));
		return INSTANCE_UNCHECKED;
	}
	child = fork();
	if (child < 0) {
		*reason = g_strdup_printf("cannot fork: %s", g_strerror(errno));
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return INSTANCE_UNCHECKED;
	}
	if (child == 0) {
		close(pipe_fds[0]);
		check_in_child(config, plugin, pipe_fds[1]);
	}
	close(pipe_fds[1]);
	text = g_string_new("");
	finished = read_until_closed(pipe_fds[0], deadline_ms, text);
	close(pipe_fds[0]);
	if (!finished)
		kill(child, SIGKILL);
	if (!reap_child(child, deadline_ms, &status) || !finished) {
		*reason = g_strdup("its open() did not finish in time");
		g_string_free(text, TRUE);
		return INSTANCE_UNCHECKED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		g_string_free(text, TRUE);
		return INSTANCE_ACCEPTED;
	}
	if (WIFSIGNALED(status)) {
		*reason = g_strdup_printf("it crashed in open() (%s)",
					  strsignal(WTERMSIG(status)));
		g_string_free(text, TRUE);
		return INSTANCE_REFUSED;
	}
	if (text->len == 0)
		g_string_assign(text, "its open() failed");
	*reason = g_string_free(text, FALSE);
	return INSTANCE_REFUSED;
}
