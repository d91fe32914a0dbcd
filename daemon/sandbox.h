/* Least privilege for a plugin that runs in a process of its own
 * (`isolation = process`).
 *
 * The child process loads its plugin and opens its /dev/fuse fd as root,
 * then calls sandbox_enter() right before it serves: from there on it runs
 * as the mount's user with no capabilities at all, cannot regain any
 * through execve(), and the system calls no filesystem server needs fail
 * with EPERM.  Those calls are not refused silently: each one reaches the
 * daemon through a seccomp user notification fd, so that the daemon can log
 * which mount tried what (sandbox_refuse_next) before answering EPERM. */
#ifndef FUSEHOST_SANDBOX_H
#define FUSEHOST_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/* Whom the child becomes.  A field that is not set keeps root's. */
struct sandbox_identity {
	bool set_uid;
	uid_t uid;
	bool set_gid;
	gid_t gid;
};

/* Resolve a mount's `user` and `group` (names, or numeric ids) in the
 * parent, before forking, so that a typo fails the config check and no
 * child has to read the user database.  NULL user: stay root; NULL group:
 * the user's primary group.  Returns 0, or a negative errno with *error
 * set to one line naming the cause, e.g. "unknown user 'nosuch'"
 * (g_free it). */
int sandbox_resolve(const char *user, const char *group,
		    struct sandbox_identity *identity, char **error);

/* Drop privileges for good, in the child, as root, while it is still
 * single-threaded: capabilities and seccomp filters belong to threads, and
 * a thread started earlier would keep every privilege (so a process with
 * more than one thread is refused with -EBUSY).  `identity` may be NULL.
 *
 * On success returns 0 and the seccomp notification fd in *notify_fd,
 * which the child hands to the daemon (SCM_RIGHTS) and then closes: while
 * the child holds a copy, a refused call waits for an answer even if the
 * daemon has gone; with the daemon's copy only, it fails with ENOSYS once
 * the daemon closes it.  On failure returns a negative errno with *error
 * set (g_free it); the process may then be half-sandboxed and should exit. */
int sandbox_enter(const struct sandbox_identity *identity, int *notify_fd,
		  char **error);

/* A call the sandbox refused. */
struct sandbox_refusal {
	/* The thread that made the call, as the kernel reports it: its
	 * thread id, which is the process id for the main thread. */
	pid_t pid;
	int nr;
	/* Its name, or "syscall N" for a number libseccomp does not know. */
	char syscall[32];
};

/* In the daemon: take one refused call from `notify_fd`, make it fail
 * with EPERM and describe it in *refusal.  Never blocks.  Returns
 *   0        a call was refused and *refusal describes it;
 *   -EAGAIN  nothing to refuse (none waiting, or the calling thread was
 *            killed before it could be answered): poll again;
 *   -ESRCH   every process of the sandbox has exited: close the fd;
 *   another negative errno when the fd cannot be used (close it too). */
int sandbox_refuse_next(int notify_fd, struct sandbox_refusal *refusal);

#endif
