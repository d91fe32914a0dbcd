/* Making a mountpoint ready to mount on: detaching a stale FUSE mount left
 * there by a killed process, and checking that the path is a directory. */
#ifndef FUSEHOST_MOUNTPOINT_H
#define FUSEHOST_MOUNTPOINT_H

/* Check that `path` can be mounted on (mountpoint_check), unless a FUSE
 * filesystem is mounted there, which mountpoint_prepare() deals with.
 * Returns 0, or a negative errno after logging the cause under
 * `mount_name`.  It looks at the path itself: call it without holding
 * anything other mounts wait for, since a path under a filesystem that
 * hangs hangs the caller.  Never call it for a path this process serves. */
int mountpoint_verify(const char *path, const char *mount_name);

/* Detach stale FUSE mounts at `path` (probing them from a child process,
 * which alone may hang).  Returns 0 when it can be mounted on, or a
 * negative errno after logging the cause under `mount_name`.  Never call
 * it for a path this process serves. */
int mountpoint_prepare(const char *path, const char *mount_name);

/* Warn about each stale FUSE mount of fusehostd (fsname fusehost:NAME)
 * that is at none of `mountpoints` (NULL-terminated): left by an earlier
 * fusehostd for a mount that is no longer configured.  It is not
 * detached: nothing says whose it is.  Call before mounting anything. */
void mountpoint_warn_leftovers(const char *const *mountpoints);

/* Check only that `path` exists, is a directory and is the real path (no
 * symlinks).  Returns NULL or a message (g_free) for the caller to log. */
char *mountpoint_check(const char *path);

#endif
