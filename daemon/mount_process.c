/* isolation = process, fusehostd's side: shared memory, starting the
 * child and watching it until it ends; see mount_process.h. */
#define _GNU_SOURCE
#include "mount_process.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "mount.h"
#include "plugin.h"
#include "sandbox.h"

/* Worker threads may come and go; a few blocks more than the most there
 * can be at once covers the overlap. */
#define SPARE_BLOCKS 4

static size_t shared_size(unsigned blocks)
{
	return sizeof(struct mount_shared) +
	       (size_t)blocks * sizeof(struct thread_stats);
}

static void use_shared(struct mount *mount, struct mount_shared *shared)
{
	mount->shared = shared;
	mount->layer.settings = &shared->settings;
	mount_stats_share(&mount->layer.stats, shared->blocks,
			  shared->block_count);
}

int mount_process_share(struct mount *mount)
{
	unsigned blocks = mount->config->threads + SPARE_BLOCKS;
	size_t size = shared_size(blocks);
	struct mount_shared *shared;
	int fd = memfd_create("fusehost-mount", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		log_error(mount->config->name,
			  "cannot make memory to share with its process: %s",
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	/* Pages stay unbacked until a counter in them is written. */
	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED) {
		log_error(mount->config->name,
			  "cannot map memory to share with its process: %s",
			  strerror(errno));
		close(fd);
		return -ENOMEM;
	}
	shared->settings = mount->layer.own_settings;
	shared->block_count = blocks;
	mount->shared_fd = fd;
	use_shared(mount, shared);
	return 0;
}

void mount_process_unshare(struct mount *mount)
{
	if (!mount->shared)
		return;
	munmap(mount->shared, shared_size(mount->shared->block_count));
	mount->shared = NULL;
	if (mount->shared_fd >= 0)
		close(mount->shared_fd);
	mount->shared_fd = -1;
}

int mount_process_attach(struct mount *mount, int fd)
{
	struct mount_shared *shared;
	struct stat status;
	size_t size;

	if (fstat(fd, &status) != 0 ||
	    (size_t)status.st_size < sizeof(struct mount_shared))
		return -EINVAL;
	size = (size_t)status.st_size;
	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED)
		return -errno;
	if (shared_size(shared->block_count) > size) {
		munmap(shared, size);
		return -EINVAL;
	}
	use_shared(mount, shared);
	return 0;
}

/* The child's config: this mount alone, the plugin by the path fusehostd
 * loaded and checked, and how to log.  Live settings are in the shared
 * memory instead. */
static char *child_config(const struct mount *mount)
{
	const struct mount_config *config = mount->config;
	GKeyFile *keyfile = g_key_file_new();
	char *group = g_strdup_printf("mount %s", config->name);
	char *threads = g_strdup_printf("%u", config->threads);
	char *text;

	g_key_file_set_value(keyfile, "daemon", "log-level",
			     log_level_name(log_get_level()));
	g_key_file_set_value(keyfile, "daemon", "log-target",
			     log_to_journal() ? "journal" : "stderr");
	g_key_file_set_value(keyfile, group, "plugin", mount->plugin->path);
	g_key_file_set_value(keyfile, group, "mountpoint", config->mountpoint);
	g_key_file_set_value(keyfile, group, "options", config->options);
	g_key_file_set_value(keyfile, group, "threads", threads);
	g_key_file_set_value(keyfile, group, "metrics",
			     config->metrics ? "true" : "false");
	g_key_file_set_value(keyfile, group, "isolation", "process");
	if (config->user)
		g_key_file_set_value(keyfile, group, "user", config->user);
	if (config->group)
		g_key_file_set_value(keyfile, group, "group", config->group);
	for (guint i = 0; i < config->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			config->plugin_settings->pdata[i];

		g_key_file_set_value(keyfile, group, setting->key,
				     setting->value);
	}
	text = g_key_file_to_data(keyfile, NULL, NULL);
	g_free(threads);
	g_free(group);
	g_key_file_free(keyfile);
	return text;
}

static int config_memfd(const struct mount *mount)
{
	char *text = child_config(mount);
	size_t length = strlen(text);
	int fd = memfd_create("fusehost-config", MFD_CLOEXEC);

	if (fd >= 0 && (write(fd, text, length) != (ssize_t)length ||
			lseek(fd, 0, SEEK_SET) != 0)) {
		close(fd);
		fd = -1;
	}
	g_free(text);
	return fd;
}

/* Descriptors above the fixed numbers: dup2 onto 3..6 in the child must
 * not overwrite a source it has yet to copy. */
static int high(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, MOUNT_PROCESS_FIRST_FREE_FD);

	close(fd);
	return moved;
}

static int spawn_child(struct mount *mount, const int fds[4], pid_t *pid)
{
	static const int targets[4] = {
		MOUNT_PROCESS_FUSE_FD, MOUNT_PROCESS_SOCKET_FD,
		MOUNT_PROCESS_SHARED_FD, MOUNT_PROCESS_CONFIG_FD
	};
	char executable[4096];
	ssize_t length = readlink("/proc/self/exe", executable,
				  sizeof(executable) - 1);
	/* The file, for messages that name where a setting was written. */
	char *argv[] = { "fusehostd", "--mount-child",
			 (char *)mount->config->name,
			 mount->config->file ? mount->config->file : "", NULL };
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attributes;
	sigset_t none;
	int result;

	if (length < 0)
		return errno;
	executable[length] = '\0';
	posix_spawn_file_actions_init(&actions);
	for (int i = 0; i < 4; i++)
		posix_spawn_file_actions_adddup2(&actions, fds[i], targets[i]);
	/* fusehostd blocks its signals in every thread; the child must not
	 * inherit that. */
	sigemptyset(&none);
	posix_spawnattr_init(&attributes);
	posix_spawnattr_setsigmask(&attributes, &none);
	posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
	result = posix_spawn(pid, executable, &actions, &attributes, argv,
			     environ);
	posix_spawnattr_destroy(&attributes);
	posix_spawn_file_actions_destroy(&actions);
	return result;
}

/* Wait for the ready message; keep the descriptor that comes with it. */
static int wait_ready(struct mount *mount)
{
	char message[sizeof(MOUNT_PROCESS_READY)] = "";
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec data = { message, sizeof(message) - 1 };
	struct msghdr header = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = control.space,
		.msg_controllen = sizeof(control.space),
	};
	ssize_t length;

	do
		length = recvmsg(mount->child_socket, &header, MSG_CMSG_CLOEXEC);
	while (length < 0 && errno == EINTR);
	if (length <= 0 || strcmp(message, MOUNT_PROCESS_READY) != 0)
		return -EIO;
	for (struct cmsghdr *part = CMSG_FIRSTHDR(&header); part;
	     part = CMSG_NXTHDR(&header, part)) {
		if (part->cmsg_level == SOL_SOCKET &&
		    part->cmsg_type == SCM_RIGHTS)
			memcpy(&mount->child_notify, CMSG_DATA(part),
			       sizeof(int));
	}
	return 0;
}

static void set_child(struct mount *mount, pid_t pid)
{
	pthread_mutex_lock(&mount->lock);
	mount->child = pid;
	pthread_mutex_unlock(&mount->lock);
}

/* Reap the child once it has ended; its pid stays reserved (a zombie)
 * until mount->child is cleared, so a concurrent kill() can never reach
 * another process. */
static int reap(struct mount *mount)
{
	siginfo_t info;
	pid_t pid = mount->child;
	int status = 0;

	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 &&
	       errno == EINTR)
		;
	set_child(mount, 0);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (mount->child_notify >= 0)
		close(mount->child_notify);
	mount->child_notify = -1;
	close(mount->child_socket);
	mount->child_socket = -1;
	/* It may have died in the middle of operations. */
	mount_stats_release_shared(&mount->layer.stats);
	return status;
}

int mount_process_spawn(struct mount *mount, int fuse_fd)
{
	int sockets[2] = { -1, -1 };
	int fds[4] = { fuse_fd, -1, -1, -1 };
	pid_t pid;
	int result;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) !=
	    0) {
		result = -errno;
		close(fuse_fd);
		return result;
	}
	fds[1] = high(sockets[1]);
	fds[2] = fcntl(mount->shared_fd, F_DUPFD_CLOEXEC,
		       MOUNT_PROCESS_FIRST_FREE_FD);
	fds[3] = high(config_memfd(mount));
	result = fds[1] < 0 || fds[2] < 0 || fds[3] < 0
			 ? EMFILE
			 : spawn_child(mount, fds, &pid);
	/* The child has its copies: with none left here, the connection ends
	 * with the child, and a crash cannot leave requests waiting. */
	for (int i = 0; i < 4; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (result != 0) {
		log_error(mount->config->name,
			  "cannot start the process to serve it: %s",
			  strerror(result));
		close(sockets[0]);
		return -result;
	}
	mount->child_socket = sockets[0];
	set_child(mount, pid);
	result = wait_ready(mount);
	if (result < 0) {
		int status = reap(mount);

		log_error(mount->config->name,
			  "the process to serve it ended before serving (%s)",
			  WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
					      : "see its messages above");
	}
	return result;
}

static void refuse_system_call(struct mount *mount)
{
	struct sandbox_refusal refusal;
	int result = sandbox_refuse_next(mount->child_notify, &refusal);

	if (result == -EAGAIN)
		return;
	if (result < 0) {
		/* The child is going: nothing more will come. */
		close(mount->child_notify);
		mount->child_notify = -1;
		return;
	}
	log_warning(mount->config->name,
		    "plugin %s called %s (thread %d), which its sandbox "
		    "forbids: refused with EPERM",
		    mount_plugin_name(mount), refusal.syscall, (int)refusal.pid);
}

/* Wait until the child's end of the socket closes: it has ended. */
static void watch(struct mount *mount)
{
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = mount->child_socket, .events = POLLIN },
			{ .fd = mount->child_notify, .events = POLLIN },
		};
		char ignored[64];

		if (poll(fds, mount->child_notify >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents & POLLIN)
			refuse_system_call(mount);
		else if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			close(mount->child_notify);
			mount->child_notify = -1;
		}
		if (fds[0].revents) {
			ssize_t length = recv(mount->child_socket, ignored,
					      sizeof(ignored), MSG_DONTWAIT);

			if (length == 0 ||
			    (length < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
	}
}

bool mount_process_serve(struct mount *mount)
{
	const char *name = mount->config->name;
	int status;

	/* A stop asked for while it started found nothing to signal. */
	if (atomic_load(&mount->stopping))
		kill(mount->child, SIGTERM);
	watch(mount);
	status = reap(mount);

	if (WIFSIGNALED(status)) {
		/* SIGKILL: fusehostd killed it, and said so; SIGTERM: it was
		 * asked to stop before it could take the signal itself. */
		if (atomic_load(&mount->stopping) &&
		    (WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM))
			return false;
		log_error(name,
			  "plugin %s crashed: the process serving the mount "
			  "was killed by signal %d (%s)%s",
			  mount_plugin_name(mount), WTERMSIG(status),
			  strsignal(WTERMSIG(status)),
			  WCOREDUMP(status) ? ", core dumped" : "");
		return true;
	}
	if (WEXITSTATUS(status) != 0) {
		log_error(name, "the process serving the mount exited with "
				"status %d",
			  WEXITSTATUS(status));
		return true;
	}
	return false;
}
