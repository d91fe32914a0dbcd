/* The running daemon; see daemon.h.
 *
 * Signals are taken synchronously through a signalfd in the main loop: they
 * are blocked in every thread, so neither libfuse's workers nor the mount
 * threads ever run a handler for them.  The main loop also watches the
 * mount table (mounts vanishing behind the daemon's back), pings systemd's
 * watchdog, and waits for the --run command. */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "instance_check.h"
#include "log.h"
#include "metrics_server.h"
#include "mount.h"
#include "notify.h"
#include "plugin.h"
#include "supervisor.h"

/* systemd gets this much more time for each mount still stopping. */
#define STOP_EXTENSION_USEC (10 * G_USEC_PER_SEC)

struct daemon {
	struct supervisor *supervisor;
	GMainLoop *loop;
	int exit_status;
	struct metrics_server *metrics;
	struct control *control;
	pid_t command_pid; /* 0: no --run command running */
	int mount_table_fd;
	/* The settings only a start applies, as the daemon started with
	 * them: what a reload compares against. */
	char *started_control_socket;
	char *started_control_group;
	enum log_target started_log_target;
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
				  const struct mount_config *mount,
				  char **cause)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct plugin *plugin;
	char *error = NULL;

	plugin = plugin_load(mount->plugin, config->daemon.plugin_dir,
			     !config->daemon.insecure_plugins, &error);
	if (!plugin) {
		g_ptr_array_add(errors,
				g_strdup_printf("%s: [mount %s] plugin: %s",
						mount->file, mount->name,
						error));
		config_check_settings_unloaded_plugin(mount, errors);
		g_free(error);
	} else {
		config_check_plugin_options(mount, plugin->descriptor.options,
					    errors);
	}
	log_errors(errors);
	if (errors->len > 0) {
		g_clear_pointer(&plugin, plugin_unload);
		if (cause)
			*cause = g_strdup(errors->pdata[0]);
	}
	g_ptr_array_unref(errors);
	return plugin;
}

bool daemon_check_instance(const struct mount_config *mount,
			   const struct plugin *plugin, int64_t deadline_ms,
			   char **cause)
{
	char *reason = NULL;
	enum instance_check answer =
	    instance_check(mount, plugin, deadline_ms, &reason);

	if (answer == INSTANCE_REFUSED) {
		char *text = g_strdup_printf("%s: [mount %s] plugin %s refuses "
					     "this configuration: %s",
					     mount->file, mount->name,
					     plugin->descriptor.name, reason);

		log_error(NULL, "%s", text);
		if (cause)
			*cause = text;
		else
			g_free(text);
	} else if (answer == INSTANCE_UNCHECKED) {
		log_warning(NULL, "%s: [mount %s] plugin %s: configuration "
				  "not checked: %s",
			    mount->file, mount->name, plugin->descriptor.name,
			    reason);
	}
	g_free(reason);
	return answer != INSTANCE_REFUSED;
}

/* The configuration as the files say now, or NULL if they are invalid
 * (the errors are logged; `summary`, if not NULL, gets the first one and
 * how many more there are). */
static struct config *reread_config(struct daemon *daemon, char **summary)
{
	const struct config *current = supervisor_config(daemon->supervisor);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct config *fresh = config_load(current->path, FUSEHOST_PLUGIN_DIR,
					   errors);

	log_errors(errors);
	if (errors->len > 0)
		g_clear_pointer(&fresh, config_free);
	if (summary && errors->len == 1)
		*summary = g_strdup(errors->pdata[0]);
	else if (summary && errors->len > 1)
		*summary = g_strdup_printf("%s (and %u more)",
					   (const char *)errors->pdata[0],
					   errors->len - 1);
	if (fresh && current->daemon.plugin_dir_override)
		config_override_plugin_dir(fresh,
					   current->daemon.plugin_dir_override);
	g_ptr_array_unref(errors);
	return fresh;
}

static void report_status(struct daemon *daemon, bool ready,
			  const char *suffix)
{
	char *status = supervisor_status(daemon->supervisor);
	char *line = g_strconcat(status, suffix ? suffix : "", NULL);

	if (ready)
		notify_ready(line);
	else
		notify_status(line);
	log_info(NULL, "%s", line);
	g_free(line);
	g_free(status);
}

/* Keeps the status systemd shows true between boot and reloads; not
 * logged, since the events themselves are. */
static void status_changed(void *data)
{
	struct daemon *daemon = data;
	char *status = supervisor_status(daemon->supervisor);

	notify_status(status);
	g_free(status);
}

/* A second fusehostd on the same configuration would find every
 * mountpoint taken and run on with nothing mounted.  Its control socket
 * answering tells, before anything is mounted. */
static bool another_daemon_serves(const struct config *config)
{
	const char *path = config->daemon.control_socket;

	if (!*path || !control_socket_answers(path))
		return false;
	log_error(NULL, "another fusehostd answers on the control socket %s; "
			"not starting a second one (stop that one first, or "
			"give this one a control-socket of its own)",
		  path);
	return true;
}

static void start_metrics(struct daemon *daemon)
{
	const char *listen =
		supervisor_config(daemon->supervisor)->daemon.metrics_listen;

	/* Without its metrics endpoint the daemon still serves its mounts. */
	if (*listen)
		daemon->metrics =
			metrics_server_start(listen, daemon->supervisor);
}

/* The first [daemon] key whose new value a reload does not apply, or
 * NULL. */
static const char *settings_for_next_start(const struct daemon *daemon,
					   const struct config *fresh)
{
	if (strcmp(daemon->started_control_socket,
		   fresh->daemon.control_socket))
		return "control-socket";
	if (strcmp(daemon->started_control_group,
		   fresh->daemon.control_group))
		return "control-group";
	if (daemon->started_log_target != fresh->daemon.log_target)
		return "log-target";
	return NULL;
}

/* A reload that changed nothing: systemd's status says `why`, and the
 * control request that asked (if one did) gets `text`. */
static int reload_failed(struct daemon *daemon, const char *why,
			 char *text, char **message)
{
	char *suffix = g_strconcat("; last reload failed: ", why, NULL);

	report_status(daemon, true, suffix);
	g_free(suffix);
	if (message)
		*message = text;
	else
		g_free(text);
	return -EINVAL;
}

/* SIGHUP or a control request: apply the configuration by difference.
 * Returns 0; -EINVAL with *message when it cannot be applied; -EIO with
 * *message when it was applied but a mount it started is not serving. */
static int reload(void *data, char **message)
{
	struct daemon *daemon = data;
	const struct config *current = supervisor_config(daemon->supervisor);
	struct config *fresh;
	char *refusal = NULL, *invalid = NULL, *text;
	const char *restart_only;
	bool metrics_moved;
	int result;

	notify_reloading();
	log_info(NULL, "reloading the configuration");
	fresh = reread_config(daemon, &invalid);
	if (!fresh) {
		log_error(NULL, "configuration invalid; everything stays as "
				"it was");
		text = g_strdup_printf("configuration invalid: %s; nothing "
				       "changed (see the daemon's log)",
				       invalid ? invalid : "unknown error");
		g_free(invalid);
		return reload_failed(daemon, "configuration invalid", text,
				     message);
	}
	/* Compared now: the current config is gone once the fresh one is
	 * applied. */
	metrics_moved = strcmp(current->daemon.metrics_listen,
			       fresh->daemon.metrics_listen) != 0;
	restart_only = settings_for_next_start(daemon, fresh);
	result = supervisor_reload(daemon->supervisor, fresh, &refusal);
	if (result == -EINVAL) {
		config_free(fresh);
		return reload_failed(daemon,
				     "a mount's new plugin or options cannot "
				     "be used",
				     refusal, message);
	}
	if (metrics_moved) {
		metrics_server_stop(daemon->metrics);
		daemon->metrics = NULL;
		start_metrics(daemon);
	}
	if (restart_only)
		log_warning(NULL, "%s changed: that applies when fusehostd "
				  "starts again",
			    restart_only);
	report_status(daemon, true, NULL);
	/* Applied, but a mount it started is not serving. */
	if (result < 0) {
		if (message)
			*message = refusal;
		else
			g_free(refusal);
	}
	return result;
}

/* SIGUSR2: apply only what changes without remounting. */
static void apply_live_settings(struct daemon *daemon)
{
	struct config *fresh = reread_config(daemon, NULL);
	GPtrArray *mounts;

	if (!fresh) {
		log_error(NULL, "SIGUSR2: configuration invalid; settings "
				"unchanged");
		return;
	}
	log_set_level(fresh->daemon.log_level);
	mounts = supervisor_lock(daemon->supervisor);
	for (guint i = 0; i < fresh->mounts->len; i++) {
		const struct mount_config *config = fresh->mounts->pdata[i];

		for (guint j = 0; j < mounts->len; j++) {
			struct mount *mount = mounts->pdata[j];

			if (strcmp(mount->config->name, config->name) != 0)
				continue;
			mount_set_log_level(mount, config->log_level);
			mount_set_slow_op_ms(
				mount, mount_config_slow_op_ms(fresh, config));
			if (mount_get_trace(mount) != config->trace)
				log_info(config->name, "trace %s",
					 config->trace ? "on" : "off");
			mount_set_trace(mount, config->trace);
		}
	}
	supervisor_unlock(daemon->supervisor);
	config_free(fresh);
	log_info(NULL, "SIGUSR2: log levels, slow-op thresholds and trace "
		       "settings applied");
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
		reload(daemon, NULL);
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
		g_main_loop_quit(daemon->loop);
		break;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_mount_table_change(gint fd, GIOCondition condition,
				      gpointer data)
{
	struct daemon *daemon = data;
	char buffer[4096];

	(void)condition;
	/* The change is signalled until the file is read again. */
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buffer, sizeof(buffer)) > 0)
		;
	supervisor_check_mount_table(daemon->supervisor);
	return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer data)
{
	(void)data;
	notify_watchdog();
	return G_SOURCE_CONTINUE;
}

/* The thread that runs the main loop, which the watchdog watches. */
static pthread_t main_thread;

/* While the main loop waits for mounts to stop (as long as twice the
 * stop timeout, which may be longer than WatchdogSec), it is not wedged:
 * the watchdog is fed from there.  Never from another thread, whose
 * progress says nothing about the main loop's. */
static void feed_watchdog_while_waiting(void)
{
	if (pthread_equal(pthread_self(), main_thread))
		notify_watchdog_if_due();
}

static void on_command_exit(GPid pid, gint status, gpointer data)
{
	struct daemon *daemon = data;

	if (WIFEXITED(status))
		daemon->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		daemon->exit_status = 128 + WTERMSIG(status);
	log_info(NULL, "command exited with status %d; unmounting everything",
		 daemon->exit_status);
	daemon->command_pid = 0;
	g_spawn_close_pid(pid);
	g_main_loop_quit(daemon->loop);
}

static int start_command(struct daemon *daemon, const char *command)
{
	sigset_t set;
	pid_t pid;

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
		unsetenv("NOTIFY_SOCKET");
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	daemon->command_pid = pid;
	g_child_watch_add(pid, on_command_exit, daemon);
	return 0;
}

static void extend_stop_timeout(void *data)
{
	(void)data;
	notify_extend_timeout(STOP_EXTENSION_USEC);
}

int daemon_run(struct config *config, const char *run_command)
{
	struct daemon daemon = {
		.supervisor = supervisor_new(config),
		.loop = g_main_loop_new(NULL, FALSE),
		.started_control_socket =
		    g_strdup(config->daemon.control_socket),
		.started_control_group = g_strdup(config->daemon.control_group),
		.started_log_target = config->daemon.log_target,
	};
	uint64_t watchdog_usec = notify_watchdog_interval_usec();
	guint watchdog_source = 0;
	guint mount_table_source = 0;
	guint signal_source;
	sigset_t set;
	int signal_fd;

	log_set_level(config->daemon.log_level);
	log_set_target(config->daemon.log_target);
	if (config->daemon.insecure_plugins)
		log_warning(NULL, "insecure-plugins = true: plugins and "
				  "configuration files are loaded without "
				  "checking who can change them; anyone who "
				  "can write one can run code as root");
	handled_signal_set(&set);
	signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0) {
		/* The signals are blocked: without it nothing could stop
		 * the daemon but SIGKILL. */
		log_error(NULL, "cannot receive signals (signalfd): %s",
			  g_strerror(errno));
		g_main_loop_unref(daemon.loop);
		supervisor_free(daemon.supervisor);
		g_free(daemon.started_control_socket);
		g_free(daemon.started_control_group);
		return EXIT_FAILURE;
	}
	signal_source = g_unix_fd_add(signal_fd, G_IO_IN, on_signal, &daemon);
	daemon.mount_table_fd = open("/proc/self/mountinfo",
				     O_RDONLY | O_CLOEXEC);
	if (daemon.mount_table_fd < 0)
		log_warning(NULL, "cannot watch /proc/self/mountinfo: %s; "
				  "mounts unmounted from outside will not be "
				  "noticed",
			    g_strerror(errno));
	else
		mount_table_source =
			g_unix_fd_add(daemon.mount_table_fd, G_IO_PRI,
				      on_mount_table_change, &daemon);
	if (watchdog_usec) {
		watchdog_source = g_timeout_add(watchdog_usec / 1000,
						on_watchdog, NULL);
		main_thread = pthread_self();
		mount_set_waiting(feed_watchdog_while_waiting);
	}

	supervisor_on_change(daemon.supervisor, status_changed, &daemon);
	if (another_daemon_serves(config)) {
		daemon.exit_status = EXIT_FAILURE;
		goto stop;
	}
	if (!supervisor_start(daemon.supervisor)) {
		daemon.exit_status = EXIT_FAILURE;
		goto stop;
	}
	start_metrics(&daemon);
	if (*config->daemon.control_socket)
		daemon.control = control_start(config->daemon.control_socket,
					       config->daemon.control_group,
					       daemon.supervisor, reload,
					       &daemon);
	report_status(&daemon, true, NULL);
	if (run_command && start_command(&daemon, run_command) < 0)
		daemon.exit_status = EXIT_FAILURE;
	else
		g_main_loop_run(daemon.loop);

stop:
	notify_stopping("unmounting everything");
	control_stop(daemon.control);
	metrics_server_stop(daemon.metrics);
	supervisor_stop(daemon.supervisor, extend_stop_timeout, NULL);
	log_info(NULL, "all mounts stopped");
	if (watchdog_source)
		g_source_remove(watchdog_source);
	if (mount_table_source) {
		g_source_remove(mount_table_source);
		close(daemon.mount_table_fd);
	}
	g_source_remove(signal_source);
	close(signal_fd);
	g_main_loop_unref(daemon.loop);
	supervisor_free(daemon.supervisor);
	g_free(daemon.started_control_socket);
	g_free(daemon.started_control_group);
	return daemon.exit_status;
}
