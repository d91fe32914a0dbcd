/* The mount supervisor; see supervisor.h.
 *
 * A struct mount lives as long as its [mount NAME] group is in the config:
 * restarts run the same object again, so its counters carry on.  Mount
 * threads report back through on_started and on_lost, which hop to the
 * main thread as idle sources of the default main context.  Not with
 * g_main_context_invoke: before the main loop runs (at boot), nobody owns
 * the context, so it would run the handler on the mount's own thread,
 * which would then try to join itself. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "instance_check.h"
#include "log.h"
#include "mount.h"
#include "mountpoint.h"
#include "mountinfo.h"
#include "plugin.h"
#include "stats.h"

/* A mount that served this long has recovered: its backoff starts over. */
#define STABLE_USEC (30 * G_USEC_PER_SEC)

/* How often running operations are checked for ones that take too long. */
#define HANG_CHECK_SECONDS 1
/* Between rounds of wake signals to mounts that are stopping. */
#define WAKE_ROUND_USEC (100 * 1000)
/* How long the main thread waits for mounts to start before it lets the
 * slow ones finish on their own: meanwhile nothing else runs there (the
 * control socket, signals, systemd's watchdog). */
#define START_WAIT_MS 5000

struct supervisor {
	struct config *config;
	unsigned hang_check;
	unsigned next_mount_id;
	pthread_mutex_t lock;       /* guards the array, not the mounts */
	GPtrArray *mounts; /* struct mount *, in config order */
	/* Mounts given up with their threads stuck in plugin code (see
	 * free_mount()); main thread only. */
	GPtrArray *abandoned;
	void (*on_change)(void *data); /* see supervisor_on_change() */
	void *on_change_data;
};

/* What a mount thread reports.  By the time the main thread reads it the
 * mount may have been removed by a reload, so it names the mount by name
 * and id rather than by pointer. */
struct mount_event {
	struct supervisor *supervisor;
	char *name;
	unsigned id;
	unsigned run;
	int error;
	bool lost;
};

static void schedule_restart(struct supervisor *supervisor,
			     struct mount *mount);

/* An operation that never finishes never reaches the slow-operation log
 * of the layer, so running ones are looked at too: each stuck operation
 * is logged once, when it passes its mount's slow-op threshold. */
static gboolean check_hangs(gpointer data)
{
	struct supervisor *supervisor = data;
	uint64_t now = stats_now_ns();

	for (guint i = 0; i < supervisor->mounts->len; i++) {
		struct mount *mount = supervisor->mounts->pdata[i];
		uint64_t threshold = __atomic_load_n(&mount->layer.settings->slow_op_ns,
						     __ATOMIC_RELAXED);
		enum op op = OP_GETATTR;
		uint64_t since;

		if (!mount->plugin || !mount_is_observed(mount) || !threshold)
			continue;
		since = stats_oldest_running(&mount->layer.stats, &op);
		/* An operation may have started after `now` was read. */
		if (!since || since >= now || since == mount->hang_reported ||
		    now - since < threshold)
			continue;
		mount->hang_reported = since;
		log_warning(mount->config->name,
			    "operation %s has been running for %.1f s, more "
			    "than slow-op-ms; plugin %s may be stuck",
			    op_name(op), (double)(now - since) / 1e9,
			    mount_plugin_name(mount));
	}
	return G_SOURCE_CONTINUE;
}

struct supervisor *supervisor_new(struct config *config)
{
	struct supervisor *supervisor = g_new0(struct supervisor, 1);

	supervisor->config = config;
	pthread_mutex_init(&supervisor->lock, NULL);
	supervisor->mounts = g_ptr_array_new();
	supervisor->abandoned = g_ptr_array_new();
	supervisor->hang_check =
		g_timeout_add_seconds(HANG_CHECK_SECONDS, check_hangs, supervisor);
	return supervisor;
}

/* Free the abandoned mounts whose plugin has let their thread go after
 * all. */
static void reap_abandoned(struct supervisor *supervisor)
{
	for (guint i = supervisor->abandoned->len; i > 0; i--) {
		struct mount *mount = supervisor->abandoned->pdata[i - 1];

		if (mount_reap_abandoned(mount)) {
			mount_free(mount);
			g_ptr_array_remove_index(supervisor->abandoned, i - 1);
		}
	}
}

void supervisor_free(struct supervisor *supervisor)
{
	g_source_remove(supervisor->hang_check);
	g_ptr_array_unref(supervisor->mounts);
	reap_abandoned(supervisor);
	g_ptr_array_unref(supervisor->abandoned);
	pthread_mutex_destroy(&supervisor->lock);
	config_free(supervisor->config);
	g_free(supervisor);
}

const struct config *supervisor_config(const struct supervisor *supervisor)
{
	return supervisor->config;
}

GPtrArray *supervisor_lock(struct supervisor *supervisor)
{
	pthread_mutex_lock(&supervisor->lock);
	return supervisor->mounts;
}

void supervisor_unlock(struct supervisor *supervisor)
{
	pthread_mutex_unlock(&supervisor->lock);
}

static int stop_timeout_ms(const struct supervisor *supervisor)
{
	return (int)supervisor->config->daemon.stop_timeout_sec * 1000;
}

static struct mount *find_mount(struct supervisor *supervisor,
				const char *name)
{
	for (guint i = 0; i < supervisor->mounts->len; i++) {
		struct mount *mount = supervisor->mounts->pdata[i];

		if (strcmp(mount->config->name, name) == 0)
			return mount;
	}
	return NULL;
}

void supervisor_on_change(struct supervisor *supervisor,
			  void (*on_change)(void *data), void *data)
{
	supervisor->on_change = on_change;
	supervisor->on_change_data = data;
}

static void changed(struct supervisor *supervisor)
{
	if (supervisor->on_change)
		supervisor->on_change(supervisor->on_change_data);
}

/* Whether a mount whose start failed is started again: with restart =
 * always, any; with on-failure, only a restart (of a mount that served,
 * was being restarted, or that a reload replaced while it ran), never
 * one that has not served yet. */
static bool retries_failed_start(const struct mount *mount)
{
	if (mount->config->restart == RESTART_ALWAYS)
		return true;
	return mount->config->restart == RESTART_ON_FAILURE &&
	       (mount->failures || mount->served_since ||
		mount->replaces_serving);
}

static gboolean handle_mount_event(gpointer data)
{
	struct mount_event *event = data;
	struct mount *mount = find_mount(event->supervisor, event->name);

	if (!mount || mount->id != event->id || mount->run != event->run) {
		/* Removed, replaced or started again since: nothing to do. */
	} else if (event->lost && !mount->thread_running) {
		/* Joined already: the mount table check saw the loss first
		 * and has dealt with it. */
	} else if (event->lost) {
		/* Joins the thread, which has torn the mount down. */
		mount_wait_stopped(mount, stop_timeout_ms(event->supervisor));
		log_info(mount->config->name, "mount is down");
		mount->failures++;
		schedule_restart(event->supervisor, mount);
	} else if (event->error < 0) {
		mount_wait_started(mount); /* joins the failed thread */
		/* A slow start that failed. */
		if (retries_failed_start(mount)) {
			mount->failures++;
			schedule_restart(event->supervisor, mount);
		} else {
			log_error(mount->config->name, "mount skipped");
			mount_release_stale(mount);
		}
	} else if (!mount->wanted) {
		/* Unmounted on request while it was still starting. */
		log_info(mount->config->name, "unmounting on request, now that "
					      "it has started");
		mount_request_stop(mount);
		mount_wait_stopped(mount, stop_timeout_ms(event->supervisor));
	} else {
		mount->served_since = g_get_monotonic_time();
	}
	changed(event->supervisor);
	return G_SOURCE_REMOVE;
}

/* Also for an event still queued when the daemon stops. */
static void free_mount_event(gpointer data)
{
	struct mount_event *event = data;

	g_free(event->name);
	g_free(event);
}

static void post_event(struct mount *mount, int error, bool lost)
{
	struct mount_event *event = g_new0(struct mount_event, 1);

	event->supervisor = mount->callback_data;
	event->name = g_strdup(mount->config->name);
	event->id = mount->id;
	event->run = mount->run;
	event->error = error;
	event->lost = lost;
	g_idle_add_full(G_PRIORITY_DEFAULT, handle_mount_event, event,
			free_mount_event);
}

static void on_mount_started(struct mount *mount, int error, void *data)
{
	(void)data;
	post_event(mount, error, false);
}

static void on_mount_lost(struct mount *mount, void *data)
{
	(void)data;
	post_event(mount, 0, true);
}

/* Events of a mount started asynchronously (a restart) are wanted;
 * during the synchronous first start they are not. */
static void start_async(struct mount *mount)
{
	mount->on_started = on_mount_started;
	if (mount_start(mount) < 0)
		mount->on_started = NULL;
}

static gboolean restart_mount(gpointer data)
{
	struct mount *mount = data;

	mount->restart_timer = 0;
	if (!mount->wanted || mount->abandoned ||
	    mount_get_state(mount) == MOUNT_SERVING)
		return G_SOURCE_REMOVE;
	__atomic_add_fetch(&mount->restarts, 1, __ATOMIC_RELAXED);
	log_info(mount->config->name, "restarting (attempt %u)",
		 mount->restarts);
	start_async(mount);
	return G_SOURCE_REMOVE;
}

static void schedule_restart(struct supervisor *supervisor,
			     struct mount *mount)
{
	int64_t delay_sec = mount->config->restart_sec;

	(void)supervisor;
	if (mount->restart_timer)
		return;
	if (!mount->wanted || mount->config->restart == RESTART_NO) {
		if (mount->wanted)
			log_info(mount->config->name,
				 "not restarted (restart = no)");
		mount_release_stale(mount);
		return;
	}
	if (mount->served_since &&
	    g_get_monotonic_time() - mount->served_since > STABLE_USEC)
		mount->failures = 1;
	for (unsigned i = 1; i < mount->failures && delay_sec > 0 &&
			     delay_sec < CONFIG_MAX_RESTART_SEC;
	     i++)
		delay_sec *= 2;
	if (delay_sec > CONFIG_MAX_RESTART_SEC)
		delay_sec = CONFIG_MAX_RESTART_SEC;
	log_info(mount->config->name, "restart in %" G_GINT64_FORMAT " s",
		 delay_sec);
	mount->restart_timer = g_timeout_add_seconds((guint)delay_sec,
						     restart_mount, mount);
	/* g_timeout_add_seconds(0) would still wait for the next second
	 * boundary; a zero delay should be immediate. */
	if (delay_sec == 0) {
		g_source_remove(mount->restart_timer);
		mount->restart_timer = g_idle_add(restart_mount, mount);
	}
}

/* Also takes away the dead mount a crash left for the restart. */
static void cancel_restart(struct mount *mount)
{
	if (mount->restart_timer) {
		g_source_remove(mount->restart_timer);
		mount->restart_timer = 0;
	}
	mount_release_stale(mount);
}

/* `plugin` (NULL if it could not be loaded, which `cause`, if not NULL,
 * says why) becomes the mount's. */
static struct mount *create_mount(struct supervisor *supervisor,
				  const struct mount_config *config,
				  struct plugin *plugin, const char *cause)
{
	struct mount *mount = mount_new(config, plugin);

	if (!plugin && cause)
		mount->start_cause = g_strdup(cause);
	mount->on_lost = on_mount_lost;
	mount->callback_data = supervisor;
	mount->id = ++supervisor->next_mount_id;
	mount_set_slow_op_ms(mount, mount_config_slow_op_ms(supervisor->config,
							    config));
	return mount;
}

/* Wait for a mount to start until `deadline_ms`; if it is still starting
 * then, its outcome comes later as an event and -EINPROGRESS is
 * returned. */
static int wait_started_briefly(struct mount *mount, int64_t deadline_ms)
{
	int result = mount_wait_started_until(mount, deadline_ms);

	if (result != -EINPROGRESS)
		return result;
	if (!mount_report_start_later(mount, on_mount_started))
		return mount_wait_started(mount);
	log_warning(mount->config->name,
		    "still starting after %d s (plugin %s is slow to open); "
		    "the daemon goes on meanwhile",
		    START_WAIT_MS / 1000, mount_plugin_name(mount));
	return -EINPROGRESS;
}

/* Start `mounts` in parallel and wait until each serves or fails (a while
 * at most, unless it is required at boot).  Returns false if a required
 * mount failed at boot; otherwise a failed mount is retried as
 * retries_failed_start() says.  `failed`, if not NULL, gets "NAME (cause)"
 * for each mount that failed, comma-separated. */
static bool start_and_wait(struct supervisor *supervisor, GPtrArray *mounts,
			   bool boot, GString *failed)
{
	int64_t deadline_ms = g_get_monotonic_time() / 1000 + START_WAIT_MS;
	bool required_failed = false;

	for (guint i = 0; i < mounts->len; i++)
		mount_start(mounts->pdata[i]);
	for (guint i = 0; i < mounts->len; i++) {
		struct mount *mount = mounts->pdata[i];
		/* At boot a required mount is waited for: without it the
		 * daemon does not run. */
		int result = boot && mount->config->required
				     ? mount_wait_started(mount)
				     : wait_started_briefly(mount, deadline_ms);

		if (result == -EINPROGRESS)
			continue;
		if (result == 0) {
			mount->served_since = g_get_monotonic_time();
			continue;
		}
		/* The line the log has, not an errno that says less. */
		if (failed)
			g_string_append_printf(failed, "%s%s (%s)",
					       failed->len ? ", " : "",
					       mount->config->name,
					       mount->start_cause
						       ? mount->start_cause
						       : g_strerror(-result));
		if (boot && mount->config->required) {
			log_error(mount->config->name,
				  "required mount failed; fusehostd stops");
			required_failed = true;
		} else if (mount->plugin && retries_failed_start(mount)) {
			mount->failures++;
			schedule_restart(supervisor, mount);
		} else {
			log_error(mount->config->name, "mount skipped");
		}
	}
	return !required_failed;
}

/* Stale mounts left by an earlier fusehostd where nothing is configured
 * now are only reported (see mountpoint_warn_leftovers()). */
static void warn_about_leftovers(const struct config *config)
{
	const char **mountpoints = g_new0(const char *,
					  config->mounts->len + 1);

	for (guint i = 0; i < config->mounts->len; i++)
		mountpoints[i] = ((const struct mount_config *)
					  config->mounts->pdata[i])
					 ->mountpoint;
	mountpoint_warn_leftovers(mountpoints);
	g_free(mountpoints);
}

bool supervisor_start(struct supervisor *supervisor)
{
	const struct config *config = supervisor->config;

	warn_about_leftovers(config);

	pthread_mutex_lock(&supervisor->lock);
	for (guint i = 0; i < config->mounts->len; i++) {
		const struct mount_config *mount = config->mounts->pdata[i];
		char *cause = NULL;
		struct plugin *plugin =
			daemon_load_plugin(config, mount, &cause);

		g_ptr_array_add(supervisor->mounts,
				create_mount(supervisor, mount, plugin,
					     cause));
		g_free(cause);
	}
	pthread_mutex_unlock(&supervisor->lock);
	return start_and_wait(supervisor, supervisor->mounts, true, NULL);
}

static void stop_mounts(GPtrArray *mounts, int timeout_ms,
			void (*progress)(void *data), void *data)
{
	int64_t deadline_ms;

	for (guint i = 0; i < mounts->len; i++) {
		cancel_restart(mounts->pdata[i]);
		mount_request_stop(mounts->pdata[i]);
	}
	/* They stop in parallel: one deadline for all, and all woken
	 * together, so that one stuck mount does not hold up the others. */
	deadline_ms = g_get_monotonic_time() / 1000 + timeout_ms;
	for (;;) {
		bool all_returned = true;

		for (guint i = 0; i < mounts->len; i++)
			all_returned &= mount_wake(mounts->pdata[i]);
		if (all_returned ||
		    g_get_monotonic_time() / 1000 >= deadline_ms)
			break;
		g_usleep(WAKE_ROUND_USEC);
		mount_waiting();
	}
	for (guint i = 0; i < mounts->len; i++) {
		if (progress)
			progress(data);
		mount_wait_stopped_by(mounts->pdata[i], deadline_ms,
				      timeout_ms);
		/* A crash just before the stop left its dead mount. */
		mount_release_stale(mounts->pdata[i]);
	}
}

/* A mount abandoned with its thread stuck in plugin code is not freed
 * while that thread may still use it, and the plugin's code must stay
 * loaded as long. */
static void free_mount(struct supervisor *supervisor, struct mount *mount)
{
	if (mount->abandoned)
		g_ptr_array_add(supervisor->abandoned, mount);
	else
		mount_free(mount);
}

void supervisor_stop(struct supervisor *supervisor,
		     void (*progress)(void *data), void *data)
{
	GPtrArray *mounts;

	pthread_mutex_lock(&supervisor->lock);
	mounts = supervisor->mounts;
	supervisor->mounts = g_ptr_array_new();
	pthread_mutex_unlock(&supervisor->lock);

	stop_mounts(mounts, stop_timeout_ms(supervisor), progress, data);
	for (guint i = 0; i < mounts->len; i++)
		free_mount(supervisor, mounts->pdata[i]);
	g_ptr_array_unref(mounts);
}

/* Stop `mounts` (all at once, so that stuck ones do not add up their
 * timeouts) and forget them. */
static void remove_mounts(struct supervisor *supervisor, GPtrArray *mounts)
{
	pthread_mutex_lock(&supervisor->lock);
	for (guint i = 0; i < mounts->len; i++)
		g_ptr_array_remove(supervisor->mounts, mounts->pdata[i]);
	pthread_mutex_unlock(&supervisor->lock);
	stop_mounts(mounts, stop_timeout_ms(supervisor), NULL, NULL);
	for (guint i = 0; i < mounts->len; i++)
		free_mount(supervisor, mounts->pdata[i]);
}

/* Settings that apply without remounting, copied into the mount's own
 * config and its layer. */
static void apply_live_settings(struct supervisor *supervisor,
				struct mount *mount,
				const struct mount_config *fresh)
{
	struct mount_config *own = (struct mount_config *)mount->config;

	own->required = fresh->required;
	own->restart = fresh->restart;
	own->restart_sec = fresh->restart_sec;
	/* Read by the mount's thread too (its own log lines). */
	__atomic_store_n(&own->log_level, fresh->log_level, __ATOMIC_RELAXED);
	own->slow_op_ms = fresh->slow_op_ms;
	own->trace = fresh->trace;
	mount_set_log_level(mount, fresh->log_level);
	mount_set_slow_op_ms(mount,
			     mount_config_slow_op_ms(supervisor->config, fresh));
	if (mount_get_trace(mount) != fresh->trace)
		log_info(fresh->name, "trace %s", fresh->trace ? "on" : "off");
	mount_set_trace(mount, fresh->trace);
}

static bool configured(const struct config *config, const char *name)
{
	for (guint i = 0; i < config->mounts->len; i++)
		if (strcmp(((struct mount_config *)config->mounts->pdata[i])
				   ->name,
			   name) == 0)
			return true;
	return false;
}

/* Failed to start, no restart is due, and no administrator took it down
 * (fusehostctl unmount). */
static bool never_started(struct mount *mount)
{
	return mount->wanted && mount_get_state(mount) == MOUNT_FAILED &&
	       !mount->restart_timer;
}

/* Whether a reload leaves `mount` as it is.  One that never started (its
 * plugin could not be loaded, or its start failed and is not being
 * retried) is tried again: the reload may come after its cause was
 * mended, a missing mountpoint made, say. */
static bool keeps(struct mount *mount, const struct mount_config *fresh)
{
	return mount && mount->plugin && !never_started(mount) &&
	       mount_config_same_mount(mount->config, fresh);
}

/* Serving, starting, or lost and due to be started again: a mount whose
 * replacement failing to start is a failed restart (see restart =
 * on-failure), and whose new options are worth checking first. */
static bool is_running(struct mount *mount)
{
	enum mount_state state;

	if (!mount)
		return false;
	state = mount_get_state(mount);
	return state == MOUNT_SERVING || state == MOUNT_STARTING ||
	       mount->restart_timer;
}

/* Load the plugin of every mount that the reload starts, before anything
 * is taken down: plugins[i] for fresh->mounts[i], NULL where nothing is
 * started or where it cannot be loaded (causes[i] then says why).
 * Returns false (and unloads them) if a mount that serves now would be
 * replaced by one whose plugin cannot be used, or that refuses its new
 * options: that mount's name goes to *refused. */
static bool load_new_plugins(struct supervisor *supervisor,
			     const struct config *fresh, struct plugin **plugins,
			     char **causes, const char **refused, char **cause)
{
	/* One deadline for all: the checks run in the main loop. */
	int64_t deadline_ms =
	    g_get_monotonic_time() / 1000 + INSTANCE_CHECK_TIMEOUT_MS;

	for (guint i = 0; i < fresh->mounts->len; i++) {
		const struct mount_config *config = fresh->mounts->pdata[i];
		struct mount *mount = find_mount(supervisor, config->name);
		bool replaces = mount && mount->plugin;

		plugins[i] = NULL;
		if (keeps(mount, config))
			continue;
		plugins[i] = daemon_load_plugin(fresh, config,
						replaces ? cause : &causes[i]);
		if (plugins[i] && replaces && is_running(mount) &&
		    !daemon_check_instance(config, plugins[i], deadline_ms,
					   cause))
			g_clear_pointer(&plugins[i], plugin_unload);
		if (!plugins[i] && replaces) {
			*refused = config->name;
			for (guint j = 0; j < i; j++)
				plugin_unload(plugins[j]);
			return false;
		}
	}
	return true;
}

/* `causes` has holes (where a plugin loaded): not for g_strfreev(). */
static void free_causes(char **causes, guint count)
{
	for (guint i = 0; i < count; i++)
		g_free(causes[i]);
	g_free(causes);
}

int supervisor_reload(struct supervisor *supervisor, struct config *fresh,
		      char **message)
{
	struct config *old = supervisor->config;
	struct plugin **plugins = g_new0(struct plugin *, fresh->mounts->len);
	/* causes[i] for plugins[i]; NULL where there is none. */
	char **causes = g_new0(char *, fresh->mounts->len);
	GPtrArray *result = g_ptr_array_new();
	GPtrArray *gone = g_ptr_array_new();
	GPtrArray *fresh_mounts = g_ptr_array_new();
	unsigned added = 0, removed = 0, changed = 0, kept = 0;
	const char *refused = NULL;
	char *cause = NULL;
	GString *failed;
	int status;

	if (!load_new_plugins(supervisor, fresh, plugins, causes, &refused,
			      &cause)) {
		log_error(refused, "the new configuration of this mount cannot "
				   "be used (see above); nothing changed, it "
				   "keeps serving as it was");
		*message = g_strdup_printf(
			"%s; nothing changed, the mount keeps serving as it "
			"was",
			cause ? cause : "a mount's new plugin or plugin "
					"options cannot be used");
		g_free(cause);
		g_free(plugins);
		free_causes(causes, fresh->mounts->len);
		g_ptr_array_unref(result);
		g_ptr_array_unref(gone);
		g_ptr_array_unref(fresh_mounts);
		return -EINVAL;
	}
	supervisor->config = fresh;
	log_set_level(fresh->daemon.log_level);
	reap_abandoned(supervisor);

	/* Mounts no longer configured, and below those whose configuration
	 * changed: all stopped together. */
	for (guint i = 0; i < supervisor->mounts->len; i++) {
		struct mount *mount = supervisor->mounts->pdata[i];

		if (!configured(fresh, mount->config->name))
			g_ptr_array_add(gone, mount);
	}
	for (guint i = 0; i < gone->len; i++) {
		log_info(((struct mount *)gone->pdata[i])->config->name,
			 "no longer configured: unmounting");
		removed++;
	}

	for (guint i = 0; i < fresh->mounts->len; i++) {
		const struct mount_config *config = fresh->mounts->pdata[i];
		struct mount *mount = find_mount(supervisor, config->name);
		bool replaces_serving;

		if (keeps(mount, config)) {
			log_message_at(LOG_LEVEL_DEBUG, config->name,
				       config->log_level,
				       "unchanged: left as it is");
			apply_live_settings(supervisor, mount, config);
			g_ptr_array_add(result, mount);
			kept++;
			continue;
		}
		replaces_serving = is_running(mount);
		if (mount && replaces_serving) {
			/* Worth more than a note: it is a new filesystem. */
			log_warning(config->name,
				    "configuration changed: remounting (files "
				    "open in it are lost to their processes, "
				    "and a plugin that keeps its files in "
				    "memory, such as memfs, starts empty)");
			g_ptr_array_add(gone, mount);
			changed++;
		} else if (mount) {
			log_info(config->name,
				 !mount->plugin ? "its plugin could not be "
						  "loaded before: trying again"
				 : never_started(mount)
				     ? "it could not be started before: "
				       "trying again"
				     : "configuration changed: remounting");
			g_ptr_array_add(gone, mount);
			changed++;
		} else {
			added++;
		}
		mount = create_mount(supervisor, config, plugins[i], causes[i]);
		mount->replaces_serving = replaces_serving;
		g_ptr_array_add(result, mount);
		g_ptr_array_add(fresh_mounts, mount);
	}
	g_free(plugins);
	free_causes(causes, fresh->mounts->len);
	/* Every mount that goes is stopped before any new one starts, so
	 * that the mountpoints are free. */
	remove_mounts(supervisor, gone);

	pthread_mutex_lock(&supervisor->lock);
	g_ptr_array_unref(supervisor->mounts);
	supervisor->mounts = result;
	pthread_mutex_unlock(&supervisor->lock);
	/* A running daemon does not stop for a required mount that fails
	 * on reload: it is reported, and restarted per its policy. */
	failed = g_string_new(NULL);
	start_and_wait(supervisor, fresh_mounts, false, failed);
	g_ptr_array_unref(fresh_mounts);
	g_ptr_array_unref(gone);
	config_free(old);
	log_info(NULL,
		 "configuration reloaded: %u added, %u removed, %u changed, "
		 "%u unchanged",
		 added, removed, changed, kept);
	status = 0;
	if (failed->len) {
		*message = g_strdup_printf(
			"configuration reloaded, but not serving: %s (see the "
			"daemon's log)",
			failed->str);
		status = -EIO;
	}
	g_string_free(failed, TRUE);
	return status;
}

void supervisor_check_mount_table(struct supervisor *supervisor)
{
	GPtrArray *table = mountinfo_read();

	/* Not knowing is no reason to take mounts down: the next change
	 * of the table brings another check. */
	if (!table) {
		log_warning(NULL, "cannot read /proc/self/mountinfo: %s",
			    g_strerror(errno));
		return;
	}
	for (guint i = 0; i < supervisor->mounts->len; i++) {
		struct mount *mount = supervisor->mounts->pdata[i];
		char *moved_to;

		/* Once its loop has returned, the mount's thread deals with
		 * the mount (and may be detaching it right now). */
		if (mount_get_state(mount) != MOUNT_SERVING ||
		    atomic_load(&mount->loop_returned) ||
		    mount_still_mounted_in(mount, table))
			continue;
		/* Lazily unmounted while files were open, or moved: the
		 * loop still runs but the mount is gone from its mountpoint.
		 * Stop it (a moved one is unmounted where it is); it is then
		 * lost. */
		moved_to = mount_moved_to(mount);
		if (moved_to)
			log_warning(mount->config->name,
				    "%s was moved to %s from outside fusehostd",
				    mount->config->mountpoint, moved_to);
		else
			log_warning(mount->config->name,
				    "%s was unmounted from outside fusehostd "
				    "(it is gone from the mount table)",
				    mount->config->mountpoint);
		g_free(moved_to);
		mount_request_stop(mount);
		mount_wait_stopped(mount, stop_timeout_ms(supervisor));
		log_info(mount->config->name, "mount is down");
		mount->failures++;
		schedule_restart(supervisor, mount);
		changed(supervisor);
	}
	g_ptr_array_unref(table);
}

static int lookup(struct supervisor *supervisor, const char *name,
		  struct mount **mount)
{
	*mount = find_mount(supervisor, name);
	/* Not ENOENT, which a start can fail with (a missing mountpoint). */
	return *mount ? 0 : -ESRCH;
}

char *supervisor_start_cause(struct supervisor *supervisor, const char *name)
{
	struct mount *mount;

	if (lookup(supervisor, name, &mount) < 0)
		return NULL;
	return g_strdup(mount->start_cause);
}

int supervisor_unmount(struct supervisor *supervisor, const char *name)
{
	struct mount *mount;
	int result = lookup(supervisor, name, &mount);

	bool restart_pending;
	bool was_wanted;

	if (result < 0)
		return result;
	was_wanted = mount->wanted;
	mount->wanted = false;
	restart_pending = mount->restart_timer != 0;
	cancel_restart(mount);
	/* A start under way: its outcome decides.  If it takes long, the
	 * mount is taken down once it has started (see handle_mount_event). */
	if (mount_get_state(mount) == MOUNT_STARTING &&
	    wait_started_briefly(mount, g_get_monotonic_time() / 1000 +
						START_WAIT_MS) == -EINPROGRESS)
		return -EINPROGRESS;
	if (mount_get_state(mount) != MOUNT_SERVING) {
		/* Only an unmount that changes nothing fails: one that
		 * keeps a mount down which was to come back (a restart
		 * due, or a reload trying again) has done what was asked. */
		if (!restart_pending && !was_wanted)
			return -EALREADY;
		log_info(name, restart_pending
				       ? "unmounting on request: its restart "
					 "is cancelled"
				       : "unmounting on request: it is down, "
					 "and a reload no longer tries it "
					 "again");
		return 0;
	}
	log_info(name, "unmounting on request");
	mount_request_stop(mount);
	if (!mount_wait_stopped(mount, stop_timeout_ms(supervisor)))
		return -EIO;
	/* Its process may have crashed just before, leaving a dead mount. */
	mount_release_stale(mount);
	return 0;
}

int supervisor_mount(struct supervisor *supervisor, const char *name)
{
	struct mount *mount;
	int result = lookup(supervisor, name, &mount);

	if (result < 0)
		return result;
	if (!mount->plugin)
		return -ENOEXEC;
	if (mount->abandoned)
		return -EBUSY;
	mount->wanted = true;
	cancel_restart(mount);
	if (mount_get_state(mount) == MOUNT_SERVING)
		return -EALREADY;
	log_info(name, "mounting on request");
	mount->failures = 0;
	/* A restart under way already: its outcome is the answer. */
	if (mount_get_state(mount) != MOUNT_STARTING) {
		/* Join a run that has ended but whose event is still queued
		 * (a mount lost from outside); the event is then dropped. */
		mount_wait_stopped(mount, stop_timeout_ms(supervisor));
		result = mount_start(mount);
		if (result < 0)
			return result;
	}
	result = wait_started_briefly(mount, g_get_monotonic_time() / 1000 +
						     START_WAIT_MS);
	if (result == 0)
		mount->served_since = g_get_monotonic_time();
	return result;
}

int supervisor_remount(struct supervisor *supervisor, const char *name)
{
	struct mount *mount;
	int result = lookup(supervisor, name, &mount);

	if (result < 0)
		return result;
	if (mount_get_state(mount) == MOUNT_SERVING) {
		log_info(name, "remounting on request");
		mount_request_stop(mount);
		if (!mount_wait_stopped(mount, stop_timeout_ms(supervisor)))
			return -EIO;
	}
	return supervisor_mount(supervisor, name);
}

int supervisor_set_trace(struct supervisor *supervisor, const char *name,
			 bool trace)
{
	struct mount *mount;
	int result = lookup(supervisor, name, &mount);

	if (result < 0)
		return result;
	mount_set_trace(mount, trace);
	log_info(name, "trace %s", trace ? "on" : "off");
	return 0;
}

char *supervisor_status(struct supervisor *supervisor)
{
	GString *failed = g_string_new("");
	unsigned serving = 0;
	char *status;

	for (guint i = 0; i < supervisor->mounts->len; i++) {
		struct mount *mount = supervisor->mounts->pdata[i];

		if (mount_get_state(mount) == MOUNT_SERVING)
			serving++;
		else if (mount->wanted)
			g_string_append_printf(failed, "%s%s",
					       failed->len ? ", " : "",
					       mount->config->name);
	}
	status = g_strdup_printf("%u of %u mounts serving%s%s", serving,
				 supervisor->mounts->len,
				 failed->len ? "; down: " : "", failed->str);
	g_string_free(failed, TRUE);
	return status;
}
