/* Mount threads: setup, serving and teardown of one FUSE mount; see mount.h.
 *
 * libfuse 3.14 constraints that shape this file:
 * - mounting and unmounting are not thread-safe, so they are serialized
 *   behind table_lock;
 * - fuse_session_exit() only sets a flag, and an idle loop sleeps in
 *   sem_wait: the stopper resends MOUNT_WAKE_SIGNAL to the loop thread until
 *   the loop has returned;
 * - after the mount disappeared from outside, fuse_unmount() could detach
 *   whatever is mounted at the path now, so it is only called while this
 *   very mount (same mount id and connection) is still in the table. */
#define _GNU_SOURCE
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "config.h"
#include "log.h"
#include "mount_process.h"
#include "mountinfo.h"
#include "mountpoint.h"
#include "plugin.h"

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U /* Linux 6.8 */
#endif

#define WAKE_INTERVAL_MS 100
/* After an abort, how long a plugin has to notice before it is given up. */
#define ABORT_GRACE_MS 1000
#define FUSECTL_DIR "/sys/fs/fuse/connections"
#define FUSECTL_SUPER_MAGIC 0x65735543 /* the kernel's fs/fuse/control.c */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
/* See mount_set_waiting(); set once, before any mount starts. */
static void (*waiting_hook)(void);

/* Waits on it end at times of CLOCK_MONOTONIC, as g_get_monotonic_time()
 * counts them, so that setting the clock cannot stretch or cut them. */
static void init_monotonic_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attributes;

	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attributes);
	pthread_condattr_destroy(&attributes);
}

struct mount *mount_new(const struct mount_config *config,
			struct plugin *plugin)
{
	struct mount *mount = g_new0(struct mount, 1);

	/* Its own copy: the daemon's config is replaced on reload. */
	config = mount_config_copy(config);
	mount->config = config;
	mount->plugin = plugin;
	mount->api.config = config;
	mount->api.plugin = plugin;
	mount->api.layer = &mount->layer;
	pthread_mutex_init(&mount->lock, NULL);
	init_monotonic_cond(&mount->changed);
	mount->state = MOUNT_FAILED;
	mount->start_error = -EINVAL;
	mount->wanted = true;
	mount->shared_fd = -1;
	mount->child_socket = -1;
	mount->child_notify = -1;

	mount->layer.mount_name = config->name;
	layer_init_state(&mount->layer);
	layer_set_log_level(&mount->layer, config->log_level);
	layer_set_trace(&mount->layer, config->trace);
	/* A serialized plugin needs the layer's lock whatever the setting. */
	mount->observed = config->metrics || !plugin ||
			  plugin->serialize_lock != NULL;
	if (plugin) {
		mount->layer.plugin_name = plugin->descriptor.name;
		mount->layer.plugin_operations = &plugin->operations;
		mount->layer.serialize_lock = plugin->serialize_lock;
		layer_build_operations(&plugin->operations, &mount->operations);
	}
	if (plugin && config->isolation == ISOLATION_PROCESS &&
	    mount_process_share(mount) < 0) {
		/* Logged; without a plugin the mount is one that failed. */
		plugin_unload(plugin);
		mount->plugin = NULL;
		mount->layer.plugin_operations = NULL;
	}
	return mount;
}

const char *mount_plugin_name(const struct mount *mount)
{
	return mount->plugin ? mount->plugin->descriptor.name
			     : mount->config->plugin;
}

enum mount_state mount_get_state(struct mount *mount)
{
	enum mount_state state;

	pthread_mutex_lock(&mount->lock);
	state = mount->state;
	pthread_mutex_unlock(&mount->lock);
	return state;
}

void mount_set_trace(struct mount *mount, bool trace)
{
	layer_set_trace(&mount->layer, trace);
}

void mount_set_log_level(struct mount *mount, int log_level)
{
	/* The process that serves a mount with isolation = process keeps
	 * the daemon's level as it was when it started: a mount without a
	 * level of its own gets the daemon's as it is now instead, through
	 * the settings it shares with that process. */
	if (log_level < 0 && mount->shared)
		log_level = (int)log_get_level();
	layer_set_log_level(&mount->layer, log_level);
}

bool mount_get_trace(const struct mount *mount)
{
	return layer_get_trace(&mount->layer);
}

void mount_set_slow_op_ms(struct mount *mount, int64_t slow_op_ms)
{
	layer_set_slow_op_ms(&mount->layer, slow_op_ms);
}

bool mount_is_observed(const struct mount *mount)
{
	return mount->observed;
}

void mount_free(struct mount *mount)
{
	if (!mount)
		return;
	mount_release_stale(mount);
	pthread_mutex_destroy(&mount->lock);
	pthread_cond_destroy(&mount->changed);
	layer_destroy_state(&mount->layer);
	mount_process_unshare(mount);
	plugin_unload(mount->plugin);
	mount_config_free((struct mount_config *)mount->config);
	g_free(mount->api.open_error);
	g_free(mount->start_cause);
	g_free(mount);
}

static void set_state(struct mount *mount, enum mount_state state, int error)
{
	pthread_mutex_lock(&mount->lock);
	/* An abandoned mount stays stopped whatever its thread does later. */
	if (!mount->abandoned)
		mount->state = state;
	mount->start_error = error;
	pthread_cond_broadcast(&mount->changed);
	pthread_mutex_unlock(&mount->lock);
}

static void plugin_lock(struct mount *mount)
{
	if (mount->plugin->serialize_lock)
		pthread_mutex_lock(mount->plugin->serialize_lock);
}

static void plugin_unlock(struct mount *mount)
{
	if (mount->plugin->serialize_lock)
		pthread_mutex_unlock(mount->plugin->serialize_lock);
}

static int open_instance(struct mount *mount)
{
	const struct fusehost_plugin *descriptor = &mount->plugin->descriptor;
	int result;

	if (!descriptor->open)
		return 0;
	plugin_lock(mount);
	result = plugin_api_open(&mount->api, &mount->layer.instance);
	plugin_unlock(mount);
	if (result == 0)
		return 0;
	/* Neither success nor a failure it can have cleaned up after: the
	 * instance it made, if any, is left alone rather than used. */
	if (result > 0) {
		log_error(mount->config->name,
			  "plugin %s returned %d from open, not 0 or a "
			  "negative errno",
			  mount->plugin->path, result);
		mount->layer.instance = NULL;
		return -EIO;
	}
	log_error(mount->config->name, "plugin %s failed to open: %s",
		  mount->plugin->path,
		  mount->api.open_error ? mount->api.open_error
					: strerror(-result));
	return result;
}

static void close_instance(struct mount *mount)
{
	const struct fusehost_plugin *descriptor = &mount->plugin->descriptor;

	if (!descriptor->close)
		return;
	plugin_lock(mount);
	descriptor->close(mount->layer.instance);
	plugin_unlock(mount);
	mount->layer.instance = NULL;
}

/* A plugin that changes nothing is mounted read-only (see plugin.h). */
static bool mounts_read_only(const struct mount *mount)
{
	return mount->plugin && plugin_is_read_only(mount->plugin);
}

static struct fuse *new_session(const struct mount_config *config,
				bool read_only,
				const struct fuse_operations *operations,
				void *user_data)
{
	char *configured = mount_config_fuse_options(config);
	char *options = read_only ? g_strconcat(configured, ",ro", NULL)
				  : g_strdup(configured);
	char *argv[] = { "fusehostd", "-o", options, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse *fuse;

	/* A reload may change the level meanwhile. */
	log_message_at(LOG_LEVEL_DEBUG, config->name,
		       __atomic_load_n(&config->log_level, __ATOMIC_RELAXED),
		       "libfuse options: %s", options);
	fuse = fuse_new(&args, operations, sizeof(*operations), user_data);
	fuse_opt_free_args(&args);
	g_free(options);
	g_free(configured);
	return fuse;
}

/* Names the options as libfuse got them: the configured ones with what
 * fusehostd adds (fsname, subtype). */
static void log_refused_options(const struct mount_config *config)
{
	char *options = mount_config_fuse_options(config);

	log_error(config->name, "libfuse refused the mount options '%s'",
		  options);
	g_free(options);
}

int mount_check_fuse_options(const struct mount_config *config)
{
	static const struct fuse_operations nothing;
	struct fuse *fuse;

	log_set_thread_mount(config->name);
	fuse = new_session(config, false, &nothing, NULL);
	log_set_thread_mount(NULL);
	if (!fuse)
		return -EINVAL;
	fuse_destroy(fuse);
	return 0;
}

/* The unique id (never reused) of the mount at `path`, or 0 if the kernel
 * has none (before Linux 6.8).  Asks for nothing else and never syncs, so
 * no request reaches the FUSE server, which may not be serving. */
static uint64_t unique_mount_id(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path,
		  AT_STATX_DONT_SYNC | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_MNT_ID_UNIQUE, &stx) != 0 ||
	    !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return 0;
	return stx.stx_mnt_id;
}

/* Remember which kernel mount is ours, to recognize it (or its absence)
 * later without touching the mountpoint. */
static void record_kernel_mount(struct mount *mount)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *top =
		entries ? mountinfo_find_top(entries, mount->config->mountpoint)
			: NULL;

	if (top && mountinfo_is_fuse(top)) {
		mount->kernel.id = top->mount_id;
		mount->kernel.connection = top->minor;
		mount->kernel.unique_id =
			unique_mount_id(mount->config->mountpoint);
	}
	if (entries)
		g_ptr_array_unref(entries);
}

static bool in_table(const struct mount *mount, GPtrArray *entries)
{
	const struct mountinfo_entry *entry =
		mountinfo_find_id(entries, mount->kernel.id);

	return entry && entry->minor == mount->kernel.connection &&
	       strcmp(entry->mountpoint, mount->config->mountpoint) == 0;
}

bool mount_still_mounted_in(const struct mount *mount, GPtrArray *table)
{
	GPtrArray *fresh;
	bool mounted;

	if (in_table(mount, table))
		return true;
	/* Unlike on_top() (asked before unmounting, where "no" is the safe
	 * answer), a table that cannot be read is no reason to call a mount
	 * gone. */
	fresh = mountinfo_read();
	if (!fresh)
		return true;
	mounted = in_table(mount, fresh);
	g_ptr_array_unref(fresh);
	return mounted;
}

/* Our kernel mount `ours` moved from outside to another path (a parent
 * directory renamed, mount --move), or NULL.  Mount ids and connection
 * numbers are both reused once a mount is gone, and another fusehostd may
 * have a mount of the same name: only the unique id (Linux 6.8 and later)
 * proves the mount found is ours.  Without it, what is found may still be
 * somebody else's. */
static const struct mountinfo_entry *
find_moved(const struct mount *mount, GPtrArray *entries,
	   const struct kernel_mount *ours)
{
	const struct mountinfo_entry *entry =
		mountinfo_find_id(entries, ours->id);
	char *source = g_strconcat("fusehost:", mount->config->name, NULL);
	bool moved = entry && entry->minor == ours->connection &&
		     strcmp(entry->source, source) == 0 &&
		     strcmp(entry->mountpoint, mount->config->mountpoint) != 0;

	g_free(source);
	if (moved && ours->unique_id)
		moved = unique_mount_id(entry->mountpoint) == ours->unique_id;
	return moved ? entry : NULL;
}

char *mount_moved_to(const struct mount *mount)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *moved;
	char *path;

	if (!entries)
		return NULL;
	moved = find_moved(mount, entries, &mount->kernel);
	path = moved ? g_strdup(moved->mountpoint) : NULL;
	g_ptr_array_unref(entries);
	return path;
}

/* Under table_lock: detach `ours` from the table `entries`, if it is still
 * on top where it is.  umount2() takes whatever is on top, and what someone
 * mounted over ours since is not ours to take away. */
static void detach_entry_locked(struct mount *mount, GPtrArray *entries,
				const struct mountinfo_entry *ours)
{
	const char *path = ours->mountpoint;

	if (mountinfo_find_top(entries, path) != ours)
		log_warning(mount->config->name,
			    "%s is left mounted: another filesystem has been "
			    "mounted over it",
			    path);
	else if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
		log_error(mount->config->name, "cannot unmount %s: %s", path,
			  strerror(errno));
}

/* Under table_lock: our kernel mount, moved away from the mountpoint from
 * outside, would be left there dead ("Transport endpoint is not
 * connected") once its connection closes: detach it where it is now. */
static void detach_moved_locked(struct mount *mount, GPtrArray *entries,
				const struct kernel_mount *ours)
{
	const struct mountinfo_entry *moved = find_moved(mount, entries, ours);

	if (!moved)
		return;
	if (!ours->unique_id) {
		log_warning(mount->config->name,
			    "%s is left there, not served: without the "
			    "kernel's unique mount ids (Linux 6.8) it cannot "
			    "be told for sure from another mount; unmount it "
			    "with umount -l",
			    moved->mountpoint);
		return;
	}
	log_info(mount->config->name, "unmounting it at %s, where it was moved",
		 moved->mountpoint);
	detach_entry_locked(mount, entries, moved);
}

/* Under table_lock: detach our kernel mount `ours`, at the mountpoint or
 * wherever it was moved to. */
static void detach_locked(struct mount *mount, const struct kernel_mount *ours)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *entry;

	if (!entries)
		return;
	/* Mount ids are reused: the same id with another connection or
	 * path is somebody else's mount, unless it is ours moved. */
	entry = mountinfo_find_id(entries, ours->id);
	if (entry && entry->minor == ours->connection &&
	    strcmp(entry->mountpoint, mount->config->mountpoint) == 0)
		detach_entry_locked(mount, entries, entry);
	else
		detach_moved_locked(mount, entries, ours);
	g_ptr_array_unref(entries);
}

/* The child of an isolated mount has no right to unmount: once it has
 * ended, fusehostd takes its mount away if it is still there. */
static void detach_ours(struct mount *mount)
{
	pthread_mutex_lock(&table_lock);
	detach_locked(mount, &mount->kernel);
	pthread_mutex_unlock(&table_lock);
}

static void release_stale_locked(struct mount *mount)
{
	if (atomic_exchange(&mount->stale_left, false))
		detach_locked(mount, &mount->stale);
}

void mount_release_stale(struct mount *mount)
{
	pthread_mutex_lock(&table_lock);
	release_stale_locked(mount);
	pthread_mutex_unlock(&table_lock);
}

/* Runs the plugin's destroy through the layer if INIT happened.  The
 * pointer is cleared first so that a concurrent mount_request_stop() does
 * not use a session being destroyed. */
static void destroy_session(struct mount *mount)
{
	struct fuse *fuse;

	pthread_mutex_lock(&mount->lock);
	fuse = mount->fuse;
	mount->fuse = NULL;
	pthread_mutex_unlock(&mount->lock);
	fuse_destroy(fuse);
}

int mount_session_open(struct mount *mount)
{
	const struct mount_config *config = mount->config;
	struct fuse *fuse;
	int result;

	result = open_instance(mount);
	if (result < 0)
		return result;

	if (mount->observed)
		fuse = new_session(config, mounts_read_only(mount),
				   &mount->operations, &mount->layer);
	else
		fuse = new_session(config, mounts_read_only(mount),
				   &mount->plugin->operations,
				   mount->layer.instance);
	/* mount_request_stop() reads it from another thread. */
	pthread_mutex_lock(&mount->lock);
	mount->fuse = fuse;
	pthread_mutex_unlock(&mount->lock);
	if (!fuse) {
		log_refused_options(config);
		close_instance(mount);
		return -EINVAL;
	}
	return 0;
}

void mount_session_close(struct mount *mount)
{
	destroy_session(mount);
	close_instance(mount);
}

/* Under table_lock: detach what is stale at the mountpoint, mount `fuse`
 * there and note which kernel mount it is.  Returns 0, or a negative
 * errno after logging the cause. */
static int mount_kernel_locked(struct mount *mount, struct fuse *fuse)
{
	const struct mount_config *config = mount->config;
	int result = mountpoint_prepare(config->mountpoint, config->name);

	if (result == 0 && fuse_mount(fuse, config->mountpoint) != 0) {
		log_error(config->name,
			  "cannot mount at %s (libfuse's reason is logged "
			  "just before)",
			  config->mountpoint);
		result = -EIO;
	}
	if (result == 0)
		record_kernel_mount(mount);
	return result;
}

static int mount_setup(struct mount *mount)
{
	const struct mount_config *config = mount->config;
	int result;

	/* Before the lock: see mountpoint_verify(). */
	result = mountpoint_verify(config->mountpoint, config->name);
	if (result < 0)
		return result;
	result = mount_session_open(mount);
	if (result < 0)
		return result;

	/* The plugin may have taken its time to open, and the mount been
	 * stopped (unmounted, removed by a reload, the daemon stopping)
	 * meanwhile: then it must not appear at all. */
	pthread_mutex_lock(&table_lock);
	if (atomic_load(&mount->stopping))
		result = -ECANCELED;
	else
		result = mount_kernel_locked(mount, mount->fuse);
	pthread_mutex_unlock(&table_lock);

	if (result == -ECANCELED)
		log_info(config->name, "not mounted: stopped while plugin %s "
				       "was opening",
			 mount_plugin_name(mount));
	if (result < 0)
		mount_session_close(mount);
	return result;
}

int mount_run_loop(struct mount *mount)
{
	struct fuse_loop_config *loop_config = fuse_loop_cfg_create();
	int result;

	fuse_loop_cfg_set_max_threads(loop_config, mount->config->threads);
	result = fuse_loop_mt(mount->fuse, loop_config);
	fuse_loop_cfg_destroy(loop_config);
	return result;
}

static void log_loop_failure(const struct mount *mount, int result)
{
	log_error(mount->config->name, "FUSE loop failed: %s",
		  strerror(result < 0 ? -result : result));
}

/* Whether our kernel mount is the one on top at the mountpoint: there,
 * and nothing mounted over it since. */
static bool on_top(const struct mount *mount)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *top;
	bool ours;

	if (!entries)
		return false;
	top = mountinfo_find_top(entries, mount->config->mountpoint);
	ours = top && top->mount_id == mount->kernel.id &&
	       top->minor == mount->kernel.connection;
	g_ptr_array_unref(entries);
	return ours;
}

static void mount_teardown(struct mount *mount)
{
	/* fuse_unmount() detaches whatever is on top of the mountpoint:
	 * only ours may go that way (it also frees libfuse's copy of the
	 * path).  Covered, moved or already gone, it is left to
	 * detach_locked(), which takes nobody else's mount. */
	pthread_mutex_lock(&table_lock);
	if (on_top(mount))
		fuse_unmount(mount->fuse);
	else
		detach_locked(mount, &mount->kernel);
	pthread_mutex_unlock(&table_lock);

	mount_session_close(mount);
}

static bool isolated(const struct mount *mount)
{
	return mount->config->isolation == ISOLATION_PROCESS;
}

/* Mount with the FUSE device alone (no plugin code runs here), for a
 * child to serve; see mount_process.h. */
static int mount_for_child(struct mount *mount, int *fuse_fd)
{
	static const struct fuse_operations nothing;
	const struct mount_config *config = mount->config;
	struct fuse *fuse;
	int dup_error = 0;
	int result;

	/* Before the lock: see mountpoint_verify(). */
	result = mountpoint_verify(config->mountpoint, config->name);
	if (result < 0)
		return result;
	fuse = new_session(config, mounts_read_only(mount), &nothing, NULL);
	if (!fuse) {
		log_refused_options(config);
		return -EINVAL;
	}
	pthread_mutex_lock(&table_lock);
	/* The dead mount of a crash goes only now, so that the mountpoint
	 * is bare for no longer than it takes to mount again. */
	release_stale_locked(mount);
	result = mount_kernel_locked(mount, fuse);
	if (result == 0) {
		/* Above the descriptors the child gets, so that handing them
		 * over cannot overwrite one with another. */
		*fuse_fd = fcntl(fuse_session_fd(fuse_get_session(fuse)),
				 F_DUPFD_CLOEXEC, MOUNT_PROCESS_FIRST_FREE_FD);
		dup_error = errno;
	}
	pthread_mutex_unlock(&table_lock);
	/* Closes libfuse's descriptor; the mount stays, served through the
	 * copy. */
	fuse_destroy(fuse);
	if (result == 0 && *fuse_fd < 0) {
		log_error(config->name, "cannot keep the FUSE device: %s",
			  strerror(dup_error));
		detach_ours(mount);
		result = -dup_error;
	}
	return result;
}

bool mount_rw_does_not_apply(const struct mount_config *config,
			     const struct plugin *plugin)
{
	return plugin_is_read_only(plugin) && mount_config_has_flag(config, "rw");
}

static int setup(struct mount *mount)
{
	int fuse_fd = -1;
	int result;

	if (mount->plugin &&
	    mount_rw_does_not_apply(mount->config, mount->plugin))
		log_warning(mount->config->name,
			    "options: rw does not apply: plugin %s changes "
			    "nothing, so the mount is read-only",
			    mount->plugin->descriptor.name);
	if (!isolated(mount))
		return mount_setup(mount);
	result = mount_for_child(mount, &fuse_fd);
	if (result < 0)
		return result;
	result = mount_process_spawn(mount, fuse_fd);
	if (result < 0)
		detach_ours(mount);
	return result;
}

/* Serve until the loop (or the child) ends; returns whether the daemon
 * had not asked for that: the mount is lost.  *crashed: the child of an
 * isolated mount failed. */
static bool serve(struct mount *mount, bool *crashed)
{
	bool failed = false;
	bool lost;

	if (isolated(mount)) {
		failed = mount_process_serve(mount);
	} else if (!atomic_load(&mount->stopping)) {
		int result = mount_run_loop(mount);

		if (result != 0)
			log_loop_failure(mount, result);
	}
	lost = !atomic_load(&mount->stopping);
	*crashed = lost && failed;
	/* A child that crashed has said so already. */
	if (lost && !failed)
		log_warning(mount->config->name,
			    "%s was unmounted from outside fusehostd",
			    mount->config->mountpoint);
	return lost;
}

/* The thread's last step.  The thread of an abandoned mount (see
 * mount_wait_stopped_by) is joined by mount_reap_abandoned() once it gets
 * here, if the plugin lets it go after all. */
static void thread_finished(struct mount *mount)
{
	pthread_mutex_lock(&mount->lock);
	mount->thread_done = true;
	pthread_cond_broadcast(&mount->changed);
	pthread_mutex_unlock(&mount->lock);
}

static void *mount_thread(void *data)
{
	struct mount *mount = data;
	char last_error[512];
	bool crashed;
	int result;
	bool lost;

	log_set_thread_mount(mount->config->name);
	log_keep_thread_last_error(last_error, sizeof(last_error));
	result = setup(mount);
	log_keep_thread_last_error(NULL, 0);
	if (result < 0) {
		if (last_error[0])
			mount->start_cause = g_strdup(last_error);
		atomic_store(&mount->loop_returned, true);
		set_state(mount, MOUNT_FAILED, result);
		if (mount->on_started)
			mount->on_started(mount, result, mount->callback_data);
		thread_finished(mount);
		return NULL;
	}
	log_info(mount->config->name, "serving plugin %s at %s%s",
		 mount->plugin->descriptor.name, mount->config->mountpoint,
		 isolated(mount) ? " from its own process" : "");
	set_state(mount, MOUNT_SERVING, 0);
	if (mount->on_started)
		mount->on_started(mount, 0, mount->callback_data);

	lost = serve(mount, &crashed);
	atomic_store(&mount->loop_returned, true);

	if (crashed) {
		mount->stale = mount->kernel;
		atomic_store(&mount->stale_left, true);
	} else if (isolated(mount)) {
		detach_ours(mount);
	} else {
		mount_teardown(mount);
	}
	set_state(mount, MOUNT_STOPPED, 0);
	if (lost && mount->on_lost)
		mount->on_lost(mount, mount->callback_data);
	thread_finished(mount);
	return NULL;
}

int mount_start(struct mount *mount)
{
	int result;

	if (!mount->plugin || mount->thread_running)
		return mount->abandoned ? -EBUSY : -EINVAL;
	atomic_store(&mount->stopping, false);
	atomic_store(&mount->loop_returned, false);
	mount->thread_done = false;
	/* What an earlier run mounted is gone; forget it, or a stop before
	 * this run has mounted would abort whatever connection now has that
	 * number (another mount's, maybe another process's).  No thread of
	 * this mount runs now, and only that thread records them. */
	mount->kernel = (struct kernel_mount){ 0 };
	g_clear_pointer(&mount->start_cause, g_free);
	mount->run++;
	set_state(mount, MOUNT_STARTING, 0);
	result = pthread_create(&mount->thread, NULL, mount_thread, mount);

	if (result != 0) {
		log_error(mount->config->name, "cannot start mount thread: %s",
			  strerror(result));
		set_state(mount, MOUNT_FAILED, -result);
		return -result;
	}
	mount->thread_running = true;
	return 0;
}

/* `deadline_ms` (g_get_monotonic_time() / 1000) as a time to wait on
 * mount->changed until. */
static struct timespec cond_deadline(int64_t deadline_ms)
{
	return (struct timespec){ .tv_sec = deadline_ms / 1000,
				  .tv_nsec = deadline_ms % 1000 * 1000000L };
}

int mount_wait_started(struct mount *mount)
{
	int error;

	pthread_mutex_lock(&mount->lock);
	while (mount->state == MOUNT_STARTING)
		pthread_cond_wait(&mount->changed, &mount->lock);
	error = mount->start_error;
	pthread_mutex_unlock(&mount->lock);

	if (error < 0 && mount->thread_running && !mount->abandoned) {
		pthread_join(mount->thread, NULL);
		mount->thread_running = false;
	}
	return error;
}

int mount_wait_started_until(struct mount *mount, int64_t deadline_ms)
{
	bool starting;
	struct timespec deadline = cond_deadline(deadline_ms);

	pthread_mutex_lock(&mount->lock);
	while (mount->state == MOUNT_STARTING &&
	       pthread_cond_timedwait(&mount->changed, &mount->lock,
				      &deadline) != ETIMEDOUT)
		;
	starting = mount->state == MOUNT_STARTING;
	pthread_mutex_unlock(&mount->lock);
	return starting ? -EINPROGRESS : mount_wait_started(mount);
}

bool mount_report_start_later(struct mount *mount,
			      void (*on_started)(struct mount *mount,
						 int error, void *data))
{
	bool starting;

	/* The thread reads on_started after it has left MOUNT_STARTING
	 * under this lock, so it sees what is set here. */
	pthread_mutex_lock(&mount->lock);
	starting = mount->state == MOUNT_STARTING;
	if (starting)
		mount->on_started = on_started;
	pthread_mutex_unlock(&mount->lock);
	return starting;
}

/* Break the loop out of its sleep (thread), or ask the child to finish
 * (process: SIGTERM makes its loop exit).  Called under mount->lock. */
static void wake_locked(struct mount *mount)
{
	if (mount->state != MOUNT_SERVING)
		return;
	if (isolated(mount)) {
		if (mount->child > 0)
			kill(mount->child, SIGTERM);
	} else {
		pthread_kill(mount->thread, MOUNT_WAKE_SIGNAL);
	}
}

void mount_request_stop(struct mount *mount)
{
	atomic_store(&mount->stopping, true);
	pthread_mutex_lock(&mount->lock);
	if (mount->fuse)
		fuse_session_exit(fuse_get_session(mount->fuse));
	wake_locked(mount);
	pthread_mutex_unlock(&mount->lock);
}

/* Wait for the loop to return until `deadline_ms` (monotonic), waking it
 * meanwhile.  Returns whether it returned. */
void mount_set_waiting(void (*waiting)(void))
{
	waiting_hook = waiting;
}

void mount_waiting(void)
{
	if (waiting_hook)
		waiting_hook();
}

static bool wake_until_returned(struct mount *mount, int64_t deadline_ms)
{
	bool returned;

	pthread_mutex_lock(&mount->lock);
	while (!atomic_load(&mount->loop_returned) &&
	       g_get_monotonic_time() / 1000 < deadline_ms) {
		struct timespec next_wake = cond_deadline(
			g_get_monotonic_time() / 1000 + WAKE_INTERVAL_MS);

		/* The first signal can arrive just before the loop starts
		 * sleeping, so keep sending until it has returned. */
		wake_locked(mount);
		pthread_cond_timedwait(&mount->changed, &mount->lock,
				       &next_wake);
		/* Not under the lock: sd_notify may block. */
		pthread_mutex_unlock(&mount->lock);
		mount_waiting();
		pthread_mutex_lock(&mount->lock);
	}
	returned = atomic_load(&mount->loop_returned);
	pthread_mutex_unlock(&mount->lock);
	return returned;
}

/* Whether the fusectl filesystem is mounted where it belongs.  Its
 * connection's directory may be missing for another reason (the
 * connection has just ended), and a second fusectl would stack. */
static bool fusectl_mounted(void)
{
	struct statfs fs;

	return statfs(FUSECTL_DIR, &fs) == 0 &&
	       fs.f_type == FUSECTL_SUPER_MAGIC;
}

/* Make every request of this connection fail at once, as root can through
 * the fusectl filesystem. */
static void abort_connection(const struct mount *stuck)
{
	char *path;
	int fd;

	if (!stuck->kernel.connection) {
		log_warning(stuck->config->name,
			    "not mounted yet: no FUSE connection to abort");
		return;
	}
	path = g_strdup_printf(FUSECTL_DIR "/%u/abort",
			       stuck->kernel.connection);

	if (!fusectl_mounted() &&
	    mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) != 0)
		log_warning(stuck->config->name, "cannot mount fusectl at %s: %s",
			    FUSECTL_DIR, strerror(errno));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		log_error(stuck->config->name,
			  "cannot abort FUSE connection %u through %s: %s",
			  stuck->kernel.connection, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	g_free(path);
}

bool mount_wake(struct mount *mount)
{
	bool returned;

	pthread_mutex_lock(&mount->lock);
	returned = !mount->thread_running || mount->abandoned ||
		   atomic_load(&mount->loop_returned);
	if (!returned)
		wake_locked(mount);
	pthread_mutex_unlock(&mount->lock);
	return returned;
}

bool mount_reap_abandoned(struct mount *mount)
{
	bool done;

	pthread_mutex_lock(&mount->lock);
	done = mount->thread_done;
	pthread_mutex_unlock(&mount->lock);
	/* Joined, not detached: its end (thread-local destructors, maybe
	 * the plugin's) is over before the plugin may be unloaded. */
	if (done && mount->thread_running) {
		pthread_join(mount->thread, NULL);
		mount->thread_running = false;
	}
	return done;
}

/* Give up on a mount whose thread is stuck in plugin code, unless the
 * thread has just finished after all: it stays stopped, and is never
 * started, joined or freed again.  Returns whether it was abandoned. */
static bool abandon(struct mount *mount)
{
	bool abandoned;

	pthread_mutex_lock(&mount->lock);
	abandoned = !mount->thread_done;
	if (abandoned) {
		mount->abandoned = true;
		mount->state = MOUNT_STOPPED;
	}
	pthread_mutex_unlock(&mount->lock);
	return abandoned;
}

/* Wait until the thread has torn the mount down (the plugin's destroy
 * and close have returned), until `deadline_ms`. */
static bool wait_thread_done(struct mount *mount, int64_t deadline_ms)
{
	bool done;

	pthread_mutex_lock(&mount->lock);
	/* In steps, each ending with mount_waiting(). */
	while (!mount->thread_done &&
	       g_get_monotonic_time() / 1000 < deadline_ms) {
		struct timespec step = cond_deadline(
			MIN(deadline_ms, g_get_monotonic_time() / 1000 +
						 WAKE_INTERVAL_MS));

		pthread_cond_timedwait(&mount->changed, &mount->lock, &step);
		pthread_mutex_unlock(&mount->lock);
		mount_waiting();
		pthread_mutex_lock(&mount->lock);
	}
	done = mount->thread_done;
	pthread_mutex_unlock(&mount->lock);
	return done;
}

static int64_t grace_deadline_ms(void)
{
	return g_get_monotonic_time() / 1000 + ABORT_GRACE_MS;
}

bool mount_wait_stopped(struct mount *mount, int timeout_ms)
{
	return mount_wait_stopped_by(
	    mount, g_get_monotonic_time() / 1000 + timeout_ms, timeout_ms);
}

bool mount_wait_stopped_by(struct mount *mount, int64_t deadline_ms,
			   int timeout_ms)
{
	const char *name = mount->config->name;
	const char *plugin = mount_plugin_name(mount);

	if (mount->abandoned)
		return false;
	if (!mount->thread_running)
		return true;

	if (!wake_until_returned(mount, deadline_ms) && !isolated(mount) &&
	    mount_get_state(mount) == MOUNT_STARTING && abandon(mount)) {
		log_error(name,
			  "plugin %s has not finished opening within %d ms: "
			  "the mount will not be mounted, and its thread is "
			  "abandoned (restart fusehostd to reclaim it)",
			  plugin, timeout_ms);
		return false;
	}
	if (!atomic_load(&mount->loop_returned)) {
		log_warning(name,
			    "did not stop within %d ms (an operation is stuck "
			    "in plugin %s): aborting its FUSE connection",
			    timeout_ms, plugin);
		abort_connection(mount);
	}
	if (!atomic_load(&mount->loop_returned) && isolated(mount) &&
	    !wake_until_returned(mount, grace_deadline_ms())) {
		/* A process, unlike a thread, can be made to end. */
		log_error(name,
			  "plugin %s is stuck in an operation: killing the "
			  "process that serves the mount",
			  plugin);
		pthread_mutex_lock(&mount->lock);
		if (mount->child > 0)
			kill(mount->child, SIGKILL);
		pthread_mutex_unlock(&mount->lock);
	}
	if (!wake_until_returned(mount, grace_deadline_ms()) &&
	    abandon(mount)) {
		pthread_mutex_lock(&table_lock);
		detach_locked(mount, &mount->kernel);
		pthread_mutex_unlock(&table_lock);
		log_error(name,
			  "plugin %s is stuck in an operation: the mount is "
			  "detached and its %s abandoned (restart fusehostd to "
			  "reclaim them)",
			  plugin, isolated(mount) ? "unkillable process" : "thread");
		return false;
	}
	/* The loop is over; the thread still unmounts and runs the
	 * plugin's destroy and close, which get the stop timeout again
	 * (on a loaded machine, the first may be used up by the loop),
	 * counted from the deadline that all mounts stopping together
	 * share, so that slow ones do not add up. */
	if (!wait_thread_done(mount, MAX(deadline_ms + timeout_ms,
					 grace_deadline_ms())) &&
	    abandon(mount)) {
		log_error(name,
			  "plugin %s has not finished closing within %d ms: "
			  "its thread is abandoned (restart fusehostd to "
			  "reclaim it)",
			  plugin, timeout_ms);
		return false;
	}
	pthread_join(mount->thread, NULL);
	mount->thread_running = false;
	return true;
}
