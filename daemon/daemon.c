/* The running daemon; see daemon.h.
 *
 * Signals are taken synchronously through a signalfd in the main loop: they
 * are blocked in every thread, so neither libfuse's workers nor the mount
 * threads ever run a handler for them. */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics_server.h"
#include "mount.h"
#include "plugin.h"

struct daemon {
	struct config *config;
	/* struct mount *, one per configured mount, in config order; those
	 * that failed are kept (state MOUNT_FAILED) for status and metrics. */
	GPtrArray *mounts;
	GMainLoop *loop;
	int exit_status;
	struct metrics_server *metrics;
	pid_t command_pid; /* 0: no --run command running */
};

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2 };

static void handled_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < G_N_ELEMENTS(handled_signals); i++)
		sigaddset(set, handled_signals[i]);
}

static void ignore_signal(int signal_number)
{
	(void)signal_number;
}

void signals_setup(void)
{
	struct sigaction wake = { .sa_handler = ignore_signal };
	sigset_t set;

	handled_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* No SA_RESTART: the point is to interrupt sem_wait(). */
	sigemptyset(&wake.sa_mask);
	sigaction(MOUNT_WAKE_SIGNAL, &wake, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct plugin *daemon_load_plugin(const struct config *config,
				  const struct mount_config *mount)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct plugin *plugin;
	char *error = NULL;

	plugin = plugin_load(mount->plugin, config->daemon.plugin_dir, &error);
	if (!plugin) {
		log_error(NULL, "%s: [mount %s] plugin: %s", mount->file,
			  mount->name, error);
		g_free(error);
		g_ptr_array_unref(errors);
		return NULL;
	}
	config_check_plugin_options(mount, plugin->descriptor.options, errors);
	for (guint i = 0; i < errors->len; i++)
		log_error(NULL, "%s", (char *)errors->pdata[i]);
	if (errors->len > 0)
		g_clear_pointer(&plugin, plugin_unload);
	g_ptr_array_unref(errors);
	return plugin;
}

static void stop_all_mounts(struct daemon *daemon)
{
	for (guint i = 0; i < daemon->mounts->len; i++)
		mount_request_stop(daemon->mounts->pdata[i]);
	for (guint i = 0; i < daemon->mounts->len; i++)
		mount_wait_stopped(daemon->mounts->pdata[i]);
	for (guint i = 0; i < daemon->mounts->len; i++)
		mount_free(daemon->mounts->pdata[i]);
	g_ptr_array_set_size(daemon->mounts, 0);
}

static gboolean handle_lost_mount(gpointer data)
{
	struct mount *mount = data;

	/* Joins the mount's thread, which has torn the mount down. */
	mount_wait_stopped(mount);
	log_info(mount->config->name, "mount is down");
	return G_SOURCE_REMOVE;
}

static void on_mount_lost(struct mount *mount, void *data)
{
	(void)data;
	g_main_context_invoke(NULL, handle_lost_mount, mount);
}

/* Start every mount in parallel, then collect the results.  Returns false
 * when a required mount could not be started. */
static bool start_mounts(struct daemon *daemon)
{
	const struct config *config = daemon->config;
	GString *failed = g_string_new("");
	bool required_failed = false;
	unsigned serving = 0;

	for (guint i = 0; i < config->mounts->len; i++) {
		const struct mount_config *mount_config = config->mounts->pdata[i];
		struct mount *mount = mount_new(
			mount_config, daemon_load_plugin(config, mount_config));

		mount->on_lost = on_mount_lost;
		mount_set_slow_op_ms(mount, mount_config_slow_op_ms(
						    config, mount_config));
		g_ptr_array_add(daemon->mounts, mount);
		if (mount->plugin)
			mount_start(mount);
	}
	for (guint i = 0; i < daemon->mounts->len; i++) {
		struct mount *mount = daemon->mounts->pdata[i];
		const struct mount_config *mount_config = mount->config;

		if (mount_wait_started(mount) == 0) {
			serving++;
			continue;
		}
		g_string_append_printf(failed, "%s%s", failed->len ? ", " : "",
				       mount_config->name);
		if (mount_config->required) {
			log_error(mount_config->name,
				  "required mount failed; fusehostd stops");
			required_failed = true;
		} else {
			log_error(mount_config->name, "mount skipped");
		}
	}
	log_info(NULL, "%u of %u mounts serving%s%s%s", serving,
		 config->mounts->len, failed->len ? " (failed: " : "",
		 failed->str, failed->len ? ")" : "");
	g_string_free(failed, TRUE);
	return !required_failed;
}

static void quit(struct daemon *daemon)
{
	g_main_loop_quit(daemon->loop);
}

static struct mount *find_mount(struct daemon *daemon, const char *name)
{
	for (guint i = 0; i < daemon->mounts->len; i++) {
		struct mount *mount = daemon->mounts->pdata[i];

		if (strcmp(mount->config->name, name) == 0)
			return mount;
	}
	return NULL;
}

/* SIGUSR2: re-read the configuration and apply what can change without
 * remounting (log levels, slow-op thresholds, trace) to running mounts. */
static void apply_live_settings(struct daemon *daemon)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct config *fresh = config_load(daemon->config->path,
					   daemon->config->daemon.plugin_dir,
					   errors);

	for (guint i = 0; i < errors->len; i++)
		log_error(NULL, "%s", (char *)errors->pdata[i]);
	if (!fresh || errors->len > 0) {
		log_error(NULL, "SIGUSR2: configuration invalid; settings "
				"unchanged");
		goto out;
	}
	log_set_level(fresh->daemon.log_level);
	for (guint i = 0; i < fresh->mounts->len; i++) {
		const struct mount_config *config = fresh->mounts->pdata[i];
		struct mount *mount = find_mount(daemon, config->name);

		if (!mount)
			continue;
		mount_set_log_level(mount, config->log_level);
		mount_set_slow_op_ms(mount,
				     mount_config_slow_op_ms(fresh, config));
		if (mount_get_trace(mount) != config->trace)
			log_info(config->name, "trace %s",
				 config->trace ? "on" : "off");
		mount_set_trace(mount, config->trace);
	}
	log_info(NULL, "SIGUSR2: log levels, slow-op thresholds and trace "
		       "settings applied");
out:
	config_free(fresh);
	g_ptr_array_unref(errors);
}

static gboolean on_signal(gint fd, GIOCondition condition, gpointer data)
{
	struct daemon *daemon = data;
	struct signalfd_siginfo info;

	(void)condition;
	if (read(fd, &info, sizeof(info)) != sizeof(info))
		return G_SOURCE_CONTINUE;

	switch (info.ssi_signo) {
	case SIGUSR2:
		apply_live_settings(daemon);
		break;
	case SIGHUP:
		log_warning(NULL, "SIGHUP received: this version cannot reload "
				  "its configuration; restart fusehostd to "
				  "apply changes");
		break;
	default:
		if (daemon->command_pid > 0) {
			log_info(NULL, "%s received: passing it to the command",
				 strsignal((int)info.ssi_signo));
			kill(daemon->command_pid, (int)info.ssi_signo);
			break;
		}
		log_info(NULL, "%s received: unmounting everything",
			 strsignal((int)info.ssi_signo));
		quit(daemon);
		break;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_command_exit(gint fd, GIOCondition condition,
				gpointer data)
{
	struct daemon *daemon = data;
	int status;

	(void)condition;
	if (waitpid(daemon->command_pid, &status, 0) < 0)
		return G_SOURCE_CONTINUE;
	if (WIFEXITED(status))
		daemon->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		daemon->exit_status = 128 + WTERMSIG(status);
	log_info(NULL, "command exited with status %d; unmounting everything",
		 daemon->exit_status);
	daemon->command_pid = 0;
	close(fd);
	quit(daemon);
	return G_SOURCE_REMOVE;
}

static int start_command(struct daemon *daemon, const char *command)
{
	sigset_t set;
	pid_t pid;
	int pidfd;

	pid = fork();
	if (pid < 0) {
		log_error(NULL, "cannot start command: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		/* Undo what the daemon set up for itself. */
		handled_signal_set(&set);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(MOUNT_WAKE_SIGNAL, SIG_DFL);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	daemon->command_pid = pid;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		log_error(NULL, "cannot watch command: %s", strerror(errno));
		return -errno;
	}
	g_unix_fd_add(pidfd, G_IO_IN, on_command_exit, daemon);
	return 0;
}

int daemon_run(struct config *config, const char *run_command)
{
	struct daemon daemon = {
		.config = config,
		.mounts = g_ptr_array_new(),
		.loop = g_main_loop_new(NULL, FALSE),
	};
	sigset_t set;
	int signal_fd;
	guint signal_source;

	log_set_level(config->daemon.log_level);
	log_set_target(config->daemon.log_target);
	handled_signal_set(&set);
	signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	signal_source = g_unix_fd_add(signal_fd, G_IO_IN, on_signal, &daemon);

	if (!start_mounts(&daemon)) {
		daemon.exit_status = EXIT_FAILURE;
		goto stop;
	}
	/* Without its metrics endpoint the daemon still serves its mounts. */
	if (*config->daemon.metrics_listen)
		daemon.metrics = metrics_server_start(
			config->daemon.metrics_listen, daemon.mounts);
	if (run_command && start_command(&daemon, run_command) < 0)
		daemon.exit_status = EXIT_FAILURE;
	else
		g_main_loop_run(daemon.loop);

stop:

	metrics_server_stop(daemon.metrics);
	stop_all_mounts(&daemon);
	log_info(NULL, "all mounts stopped");
	g_source_remove(signal_source);
	close(signal_fd);
	g_main_loop_unref(daemon.loop);
	g_ptr_array_unref(daemon.mounts);
	return daemon.exit_status;
}
