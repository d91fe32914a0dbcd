/* isolation = process: a mount served by a child process.
 *
 * fusehostd (root) mounts with the FUSE device alone, then starts
 * `fusehostd --mount-child` with the open device and the rest of what the
 * child needs on fixed descriptors.  The child loads the plugin, takes
 * over the mounted device (libfuse accepts /dev/fd/N as a mountpoint),
 * drops every privilege (see sandbox.h), says it is ready and serves until
 * SIGTERM or the mount goes away.  Its settings and counters live in
 * memory shared with fusehostd, so the metrics endpoint, the hang check
 * and the control socket see it like any other mount; it logs to the same
 * stderr or journal.  A crash ends the child, not fusehostd: the mount is
 * then lost, detached, and restarted per its restart policy. */
#ifndef FUSEHOST_MOUNT_PROCESS_H
#define FUSEHOST_MOUNT_PROCESS_H

#include <stdbool.h>

#include "layer.h"
#include "stats.h"

struct mount;

/* The descriptors a child starts with. */
#define MOUNT_PROCESS_FUSE_FD 3   /* the mounted /dev/fuse */
#define MOUNT_PROCESS_SOCKET_FD 4 /* messages to fusehostd */
#define MOUNT_PROCESS_SHARED_FD 5 /* struct mount_shared */
#define MOUNT_PROCESS_CONFIG_FD 6 /* the mount's config, key-file text */
/* fusehostd moves what it hands over at or above this first. */
#define MOUNT_PROCESS_FIRST_FREE_FD 10

/* What the child says once it serves.  The same message carries the
 * descriptor of its refused system calls when it has one. */
#define MOUNT_PROCESS_READY "ready"

struct mount_shared {
	struct layer_settings settings;
	unsigned block_count;
	/* Apart from the settings: a block is written by one thread of the
	 * child only, and must not share a cache line with anything else. */
	struct thread_stats blocks[] __attribute__((aligned(64)));
};

/* Make the shared memory of a mount (at mount_new, in fusehostd) and
 * point its layer settings and counters there; 0 or a negative errno
 * (logged).  mount_process_unshare releases it, if any. */
int mount_process_share(struct mount *mount);
void mount_process_unshare(struct mount *mount);

/* In the child: use the shared memory at descriptor `fd`. */
int mount_process_attach(struct mount *mount, int fd);

/* Start the child for a mount made on `fuse_fd` (closed here), and wait
 * until it serves (0) or has failed (a negative errno; it logged why). */
int mount_process_spawn(struct mount *mount, int fuse_fd);

/* Answer the child's refused system calls until it ends; then reap it.
 * Returns true when it failed (killed by a signal fusehostd did not send,
 * or an exit status other than 0), which is logged.  Whether the mount is
 * lost is up to the caller: the child also ends, with status 0, when the
 * mount is taken away from outside. */
bool mount_process_serve(struct mount *mount);

#endif
