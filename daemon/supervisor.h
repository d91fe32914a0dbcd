/* The set of mounts the configuration asks for, kept true to it: started
 * at boot, restarted with backoff when lost, changed by difference on
 * reload, and taken down or brought up on an administrator's request.
 *
 * Everything here runs in the main thread.  The list of mounts is also
 * read by other threads (metrics scrapes, control requests), which take
 * supervisor_lock() around the reading. */
#ifndef FUSEHOST_SUPERVISOR_H
#define FUSEHOST_SUPERVISOR_H

#include <glib.h>
#include <stdbool.h>

struct config;
struct mount;

struct supervisor;

/* Takes the config over. */
struct supervisor *supervisor_new(struct config *config);
void supervisor_free(struct supervisor *supervisor);

const struct config *supervisor_config(const struct supervisor *supervisor);

/* Start every mount and wait for each to serve or fail.  Returns false if
 * a required mount failed (the caller then stops everything). */
bool supervisor_start(struct supervisor *supervisor);

/* Stop every mount in parallel; `progress` is called before each wait so
 * the caller can ask systemd for more time. */
void supervisor_stop(struct supervisor *supervisor,
		     void (*progress)(void *data), void *data);

/* Apply a new config by difference and take it over; mounts that did not
 * change are not touched, except that those that never started are tried
 * again.  Returns -EINVAL with *message, changing nothing and leaving
 * `fresh` to the caller, if a serving mount would be replaced by one whose
 * plugin or plugin options cannot be used; -EIO with *message (naming
 * them), `fresh` taken over, if mounts it started are not serving. */
int supervisor_reload(struct supervisor *supervisor, struct config *fresh,
		      char **message);

/* The mount table changed: notice mounts that vanished behind our back. */
void supervisor_check_mount_table(struct supervisor *supervisor);

/* Administrator requests.  Each returns 0, -ESRCH for an unknown mount,
 * or another negative errno (logged). */
int supervisor_mount(struct supervisor *supervisor, const char *name);
int supervisor_unmount(struct supervisor *supervisor, const char *name);
int supervisor_remount(struct supervisor *supervisor, const char *name);
int supervisor_set_trace(struct supervisor *supervisor, const char *name,
			 bool trace);

/* Why the mount's last start failed, as the log said it (g_free), or
 * NULL: for an answer more telling than the errno.  Main thread. */
char *supervisor_start_cause(struct supervisor *supervisor, const char *name);

/* "3 of 4 mounts serving; failed: scratch" */
char *supervisor_status(struct supervisor *supervisor);

/* Have `on_change` called (in the main thread) whenever a mount comes up
 * or goes down on its own: a restart, a loss, a slow start that ends. */
void supervisor_on_change(struct supervisor *supervisor,
			  void (*on_change)(void *data), void *data);

/* The mounts (struct mount *), for reading under the lock. */
GPtrArray *supervisor_lock(struct supervisor *supervisor);
void supervisor_unlock(struct supervisor *supervisor);

#endif
