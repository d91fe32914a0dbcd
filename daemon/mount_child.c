/* `fusehostd --mount-child NAME FILE`: the process that serves one mount with
 * isolation = process.  fusehostd starts it with the descriptors listed in
 * mount_process.h; nobody else has a reason to. */
#define _GNU_SOURCE
#include "mount_child.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "mount.h"
#include "mount_process.h"
#include "plugin.h"
#include "sandbox.h"

static void ignore_signal(int signal_number)
{
	(void)signal_number;
}

/* Nothing but the descriptors handed over, each closed on exec. */
static void tidy_descriptors(void)
{
	close_range(MOUNT_PROCESS_CONFIG_FD + 1, ~0U, 0);
	for (int fd = MOUNT_PROCESS_FUSE_FD; fd <= MOUNT_PROCESS_CONFIG_FD;
	     fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static struct config *read_config(const char *name)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GString *text = g_string_new("");
	struct config *config = NULL;
	char buffer[4096];
	ssize_t length;

	while ((length = read(MOUNT_PROCESS_CONFIG_FD, buffer,
			      sizeof(buffer))) > 0)
		g_string_append_len(text, buffer, length);
	close(MOUNT_PROCESS_CONFIG_FD);
	if (length == 0)
		config = config_load_text(text->str, "(from fusehostd)",
					  errors);
	if (config && (errors->len || config->mounts->len != 1)) {
		log_errors(errors);
		config_free(config);
		config = NULL;
	}
	if (!config)
		log_error(name, "cannot read the mount's settings from "
				"fusehostd");
	g_ptr_array_unref(errors);
	g_string_free(text, TRUE);
	return config;
}

static int send_ready(int notify_fd)
{
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec data = { MOUNT_PROCESS_READY,
			      sizeof(MOUNT_PROCESS_READY) - 1 };
	struct msghdr header = { .msg_iov = &data, .msg_iovlen = 1 };

	if (notify_fd >= 0) {
		struct cmsghdr *part;

		memset(&control, 0, sizeof(control));
		header.msg_control = control.space;
		header.msg_controllen = sizeof(control.space);
		part = CMSG_FIRSTHDR(&header);
		part->cmsg_level = SOL_SOCKET;
		part->cmsg_type = SCM_RIGHTS;
		part->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(part), &notify_fd, sizeof(int));
	}
	return sendmsg(MOUNT_PROCESS_SOCKET_FD, &header, MSG_NOSIGNAL) < 0
		       ? -errno
		       : 0;
}

/* Give up what a filesystem server does not need, and tell fusehostd. */
static int enter_sandbox(struct mount *mount)
{
	const struct mount_config *config = mount->config;
	struct sandbox_identity identity;
	char *error = NULL;
	int notify_fd = -1;
	int result;

	result = sandbox_resolve(config->user, config->group, &identity,
				 &error);
	if (result == 0)
		result = sandbox_enter(&identity, &notify_fd, &error);
	if (result < 0) {
		log_error(config->name, "cannot enter the sandbox: %s",
			  error ? error : strerror(-result));
		g_free(error);
		return result;
	}
	result = send_ready(notify_fd);
	if (notify_fd >= 0)
		close(notify_fd);
	return result;
}

static int serve(struct mount *mount)
{
	struct fuse_session *session;
	char device[32];
	int result;

	if (mount_process_attach(mount, MOUNT_PROCESS_SHARED_FD) < 0) {
		log_error(mount->config->name,
			  "cannot map the memory shared with fusehostd");
		return -EINVAL;
	}
	result = mount_session_open(mount);
	if (result < 0)
		return result;
	snprintf(device, sizeof(device), "/dev/fd/%d", MOUNT_PROCESS_FUSE_FD);
	session = fuse_get_session(mount->fuse);
	if (fuse_mount(mount->fuse, device) != 0 ||
	    fuse_set_signal_handlers(session) != 0) {
		log_error(mount->config->name,
			  "cannot serve the FUSE device fusehostd mounted");
		mount_session_close(mount);
		return -EIO;
	}
	result = enter_sandbox(mount);
	if (result == 0) {
		result = mount_run_loop(mount);
		/* libfuse's signal handlers end the loop with the signal's
		 * number: SIGTERM is fusehostd asking. */
		if (result != 0 && result != SIGTERM) {
			log_error(mount->config->name, "FUSE loop failed: %s",
				  strerror(result < 0 ? -result : result));
			result = -EIO;
		} else {
			result = 0;
		}
	}
	fuse_remove_signal_handlers(session);
	/* fusehostd sends SIGTERM until this process has ended; the rest
	 * (the plugin's destroy and close) must not be cut short by it. */
	signal(SIGTERM, SIG_IGN);
	mount_session_close(mount);
	return result;
}

int mount_child_main(const char *name, const char *file)
{
	struct sigaction wake = { .sa_handler = ignore_signal };
	struct mount_config *settings;
	struct config *config;
	struct plugin *plugin;
	struct mount *mount;
	char *error = NULL;
	int result = -EINVAL;

	tidy_descriptors();
	/* If fusehostd dies, so does the mount; its next start clears the
	 * stale mountpoint. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(EXIT_FAILURE);
	sigemptyset(&wake.sa_mask);
	sigaction(MOUNT_WAKE_SIGNAL, &wake, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_capture_libfuse();

	config = read_config(name);
	if (!config)
		_exit(EXIT_FAILURE);
	log_set_level(config->daemon.log_level);
	log_set_target(config->daemon.log_target);
	settings = config->mounts->pdata[0];
	/* What fusehostd handed over is text of its own making; messages
	 * about a setting (a plugin option's bad value) name the file the
	 * administrator wrote it in. */
	g_free(settings->file);
	settings->file = g_strdup(file);
	/* fusehostd checked that the file is safe to load. */
	plugin = plugin_load(settings->plugin, NULL, false, &error);
	if (!plugin) {
		log_error(name, "%s", error);
		g_free(error);
	} else {
		/* Here the mount is served in this process. */
		settings->isolation = ISOLATION_THREAD;
		mount = mount_new(settings, plugin);
		result = serve(mount);
		mount_free(mount);
	}
	config_free(config);
	fflush(NULL);
	/* _exit: a leak checker that runs at exit (LeakSanitizer) would
	 * need ptrace, which the sandbox refuses. */
	_exit(result < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}
