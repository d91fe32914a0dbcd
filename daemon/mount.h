/* One mount: its plugin instance, its libfuse session and the thread that
 * serves it.
 *
 * Life of a mount: mount_new, mount_start (the thread opens the plugin
 * instance, detaches a stale mount left at the mountpoint, mounts and enters
 * libfuse's multithreaded loop), mount_wait_started, and at the end
 * mount_request_stop and mount_wait_stopped (the loop is woken until it
 * returns, the thread unmounts if the mount is still there, destroys the
 * session and closes the instance, and is joined), then mount_free. */
#ifndef FUSEHOST_MOUNT_H
#define FUSEHOST_MOUNT_H

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "layer.h"
#include "plugin_api.h"

struct mount_config;
struct plugin;

/* Installed with a no-op handler and without SA_RESTART: sent to a loop
 * thread, it breaks libfuse 3.14's idle loop out of sem_wait.  It is also
 * libfuse's default interrupt signal. */
#define MOUNT_WAKE_SIGNAL SIGUSR1

enum mount_state {
	MOUNT_STARTING,
	MOUNT_SERVING,
	MOUNT_FAILED,  /* never served; the thread has ended */
	MOUNT_STOPPED, /* served, and has been torn down */
};

/* A kernel mount of ours, as /proc/self/mountinfo and statx() name it. */
struct kernel_mount {
	int id;             /* mount id; reused once the mount is gone */
	unsigned connection; /* FUSE connection number; reused too */
	uint64_t unique_id;  /* never reused (Linux 6.8+); 0 unknown */
};

struct mount {
	const struct mount_config *config;
	struct plugin *plugin;
	struct fusehost_mount api;
	struct layer layer;
	struct fuse_operations operations;
	bool observed;
	struct fuse *fuse;

	/* isolation = process: memory shared with the child that serves the
	 * mount (settings and counters), and the child while it runs. */
	struct mount_shared *shared;
	int shared_fd;
	pid_t child;      /* under lock; 0 when none is running */
	int child_socket; /* the child's end of the conversation */
	int child_notify; /* its refused system calls, or -1 */

	pthread_t thread;
	bool thread_running; /* started and not yet joined */
	unsigned run;        /* counts mount_start()s: which run is which */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	enum mount_state state; /* under lock */
	int start_error;        /* negative errno when MOUNT_FAILED */
	/* The error logged when the start failed, or NULL; written before
	 * the state says MOUNT_FAILED, read by who waited for that. */
	char *start_cause;

	atomic_bool stopping;      /* the daemon asked it to stop */
	bool abandoned;            /* stuck in its plugin; see mount_wait_stopped */
	atomic_bool loop_returned; /* the libfuse loop is over */
	bool thread_done;          /* under lock: about to end, mount torn down */
	/* Where the kernel has it, read after mounting. */
	struct kernel_mount kernel;
	/* The process of an isolated mount crashed and its dead mount,
	 * `stale`, is still there; see mount_release_stale(). */
	atomic_bool stale_left;
	struct kernel_mount stale;

	/* Called from the mount's thread when setup has finished (error 0:
	 * serving; else a negative errno), and when the loop returns without
	 * the daemon asking (the mount went away from outside). */
	void (*on_started)(struct mount *mount, int error, void *data);
	void (*on_lost)(struct mount *mount, void *data);
	void *callback_data;

	/* Kept by the supervisor, in the main thread only (restarts is also
	 * read by scrapes, atomically). */
	unsigned id;            /* unique in the process */
	unsigned restarts;      /* times it was started again */
	unsigned failures;      /* consecutive failures, for the backoff */
	unsigned restart_timer; /* GLib source id of a pending restart */
	/* False after an administrator unmounted it; atomic, as the
	 * control socket's threads read it. */
	atomic_bool wanted;
	int64_t served_since;   /* g_get_monotonic_time() of the last start */
	/* Replaces, after a reload, a mount of the same name that was
	 * serving (or lost and due to be restarted): failing to start is
	 * then a failed restart, not a mount that never started (see
	 * restart = on-failure). */
	bool replaces_serving;
	uint64_t hang_reported; /* start of the stuck operation last logged */
};

/* The mount keeps a copy of `config`; it takes `plugin` over and
 * unloads it when freed.  A NULL plugin makes a mount that has failed
 * already (it is kept so that status and metrics can show it). */
struct mount *mount_new(const struct mount_config *config,
			struct plugin *plugin);
void mount_free(struct mount *mount);

/* The plugin's name, or the config's `plugin =` value if it never loaded. */
const char *mount_plugin_name(const struct mount *mount);

enum mount_state mount_get_state(struct mount *mount);

/* Settings that apply while the mount serves. */
void mount_set_trace(struct mount *mount, bool trace);
bool mount_get_trace(const struct mount *mount);
void mount_set_slow_op_ms(struct mount *mount, int64_t slow_op_ms);
void mount_set_log_level(struct mount *mount, int log_level);

/* Whether operations go through the observation layer (they do unless the
 * mount has metrics = false and a thread-safe plugin). */
bool mount_is_observed(const struct mount *mount);

/* Start the mount's thread: first, or again after it stopped or failed.
 * Returns 0 or a negative errno. */
int mount_start(struct mount *mount);

/* When the process serving an isolated mount crashes, its dead mount is
 * left in place (every access fails with ENOTCONN) instead of being
 * detached, so that nothing written until the restart lands in the
 * directory underneath.  The restart detaches it right before it mounts
 * again (a restart that fails earlier leaves it); the supervisor calls
 * this once no restart will follow.  It does nothing for a mount with
 * nothing left. */
void mount_release_stale(struct mount *mount);

/* Wait until the mount serves (0) or has failed (negative errno; the cause
 * is logged and the thread joined). */
int mount_wait_started(struct mount *mount);

/* The same, but only until `deadline_ms` (g_get_monotonic_time() / 1000):
 * -EINPROGRESS if the mount is still starting then (a plugin slow to
 * open, say a network backend that does not answer). */
int mount_wait_started_until(struct mount *mount, int64_t deadline_ms);

/* For a mount still starting: have on_started report how that ends, and
 * return true.  False if it has finished meanwhile; mount_wait_started()
 * then has the outcome. */
bool mount_report_start_later(struct mount *mount,
			      void (*on_started)(struct mount *mount,
						 int error, void *data));

/* A stop is waited for as long as the stop timeout, twice over (the loop,
 * then the plugin's destroy and close), which may be longer than
 * systemd's watchdog interval: `waiting` is called every WAKE interval of
 * such a wait, so that the daemon keeps the watchdog fed.  NULL: none. */
void mount_set_waiting(void (*waiting)(void));
/* Call it, for waits of other files. */
void mount_waiting(void);

/* Ask the mount to stop; returns at once, so many can stop in parallel. */
void mount_request_stop(struct mount *mount);

/* Send one wake signal unless the loop has returned; returns whether it
 * has.  For stopping many mounts at once. */
bool mount_wake(struct mount *mount);

/* Wake the loop until it returns, then join the thread.  A mount whose
 * loop has not returned after `timeout_ms` (a plugin stuck in an
 * operation holds it) gets its FUSE connection aborted, which fails every
 * request waiting on it; if the plugin still does not return, the
 * mountpoint is detached and the thread abandoned (mount->abandoned): it
 * cannot be joined, and neither the mount nor its plugin may be freed.
 * Returns false in that last case. */
bool mount_wait_stopped(struct mount *mount, int timeout_ms);

/* The same, by a deadline (monotonic ms) that several mounts share;
 * `timeout_ms` is the stop timeout it came from, for the message. */
bool mount_wait_stopped_by(struct mount *mount, int64_t deadline_ms,
			   int timeout_ms);

/* For an abandoned mount: whether its thread has finished after all (torn
 * the mount down or given up starting it); it is then joined, and the
 * mount may be freed. */
bool mount_reap_abandoned(struct mount *mount);

/* Whether this very mount (same mount id and connection) is still in the
 * mount table, looked up first in `table`: read once (mountinfo_read) for
 * many mounts, before their states were.  A mount missing from it may have
 * been made since, so only a fresh read says that it is gone; if that read
 * fails, the mount counts as still mounted. */
bool mount_still_mounted_in(const struct mount *mount, GPtrArray *table);

/* Where the mount is now if it was moved away from its mountpoint from
 * outside (a parent directory renamed, mount --move), or NULL.  Free with
 * g_free. */
char *mount_moved_to(const struct mount *mount);

/* The pieces that serve a mount in the current process, for the child of
 * an isolated mount: open the plugin instance and make the libfuse
 * session (0 or a negative errno, logged), run the loop until it returns
 * (what fuse_loop_mt returns), and destroy the session and close the instance. */
int mount_session_open(struct mount *mount);
int mount_run_loop(struct mount *mount);
void mount_session_close(struct mount *mount);

/* For `fusehostd -t`: would libfuse accept this mount's options?  Returns
 * 0, or -EINVAL after libfuse has logged why. */
int mount_check_fuse_options(const struct mount_config *config);

/* Whether `options = rw` is given to a plugin that changes nothing: the
 * mount is read-only whatever the options say. */
bool mount_rw_does_not_apply(const struct mount_config *config,
			     const struct plugin *plugin);

#endif
