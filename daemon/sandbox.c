/* Dropping a plugin process's privileges, and answering the system calls
 * it is refused; see sandbox.h.
 *
 * The order matters: the identity and capabilities go first, while the
 * process still has the capabilities that changing them needs; then
 * no_new_privs, which an unprivileged process needs before it may load a
 * seccomp filter; then the filter, last, so that it never has to allow the
 * calls that set everything up. */
#define _GNU_SOURCE
#include "sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <glib.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __SANITIZE_THREAD__
#include <sanitizer/common_interface_defs.h>
#endif

/* getpwnam_r() and friends only hint at the buffer they need; no sane
 * entry needs more than this. */
#define ENTRY_BUFFER_MAX (1 << 20)

/* A numeric id as chown(1) takes one: digits only, and never (uid_t)-1,
 * which the set*id calls read as "leave unchanged". */
static bool parse_id(const char *text, unsigned *id)
{
	guint64 value;

	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT32 - 1, &value,
					NULL))
		return false;
	*id = (unsigned)value;
	return true;
}

/* What the _r lookups return for "no such entry": 0 with no result, or
 * one of the codes POSIX lets them use for it. */
static int lookup_result(int rc, bool found)
{
	if (rc == 0)
		return found ? 0 : -ENOENT;
	if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		return -ENOENT;
	return -rc;
}

/* The user named `user`, or failing that numbered `user`: 0 with its uid
 * and primary group, -ENOENT, or another negative errno. */
static int find_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd entry, *found = NULL;
	size_t size = 1024;
	char *buffer = NULL;
	unsigned id = 0;
	bool by_id = false;
	int rc;

	for (;;) {
		buffer = g_realloc(buffer, size);
		if (by_id)
			rc = getpwuid_r(id, &entry, buffer, size, &found);
		else
			rc = getpwnam_r(user, &entry, buffer, size, &found);
		if (rc == ERANGE && size < ENTRY_BUFFER_MAX) {
			size *= 2;
			continue;
		}
		rc = lookup_result(rc, found);
		if (rc != -ENOENT || by_id || !parse_id(user, &id))
			break;
		by_id = true;
	}
	if (rc == 0) {
		*uid = entry.pw_uid;
		*gid = entry.pw_gid;
	}
	g_free(buffer);
	return rc;
}

/* As find_user(), for groups. */
static int find_group(const char *group, gid_t *gid)
{
	struct group entry, *found = NULL;
	size_t size = 1024;
	char *buffer = NULL;
	int rc;

	for (;;) {
		buffer = g_realloc(buffer, size);
		rc = getgrnam_r(group, &entry, buffer, size, &found);
		if (rc != ERANGE || size >= ENTRY_BUFFER_MAX)
			break;
		size *= 2;
	}
	rc = lookup_result(rc, found);
	if (rc == 0)
		*gid = entry.gr_gid;
	g_free(buffer);
	return rc;
}

static int resolve_user(const char *user, struct sandbox_identity *identity,
			bool *have_primary_gid, char **error)
{
	unsigned id;
	int rc;

	rc = find_user(user, &identity->uid, &identity->gid);
	*have_primary_gid = rc == 0;
	/* A uid without an entry is fine: the kernel does not need one. */
	if (rc == -ENOENT && parse_id(user, &id)) {
		identity->uid = id;
		rc = 0;
	}
	if (rc == -ENOENT)
		*error = g_strdup_printf("unknown user '%s'", user);
	else if (rc < 0)
		*error = g_strdup_printf("cannot look up user '%s': %s", user,
					 g_strerror(-rc));
	identity->set_uid = rc == 0;
	return rc;
}

static int resolve_group(const char *group, struct sandbox_identity *identity,
			 char **error)
{
	unsigned id;
	int rc;

	rc = find_group(group, &identity->gid);
	if (rc == -ENOENT && parse_id(group, &id)) {
		identity->gid = id;
		rc = 0;
	}
	if (rc == -ENOENT)
		*error = g_strdup_printf("unknown group '%s'", group);
	else if (rc < 0)
		*error = g_strdup_printf("cannot look up group '%s': %s", group,
					 g_strerror(-rc));
	identity->set_gid = rc == 0;
	return rc;
}

int sandbox_resolve(const char *user, const char *group,
		    struct sandbox_identity *identity, char **error)
{
	bool have_primary_gid = false;
	int rc;

	*identity = (struct sandbox_identity){0};
	*error = NULL;
	if (user) {
		rc = resolve_user(user, identity, &have_primary_gid, error);
		if (rc < 0)
			return rc;
	}
	if (group)
		return resolve_group(group, identity, error);
	if (user && !have_primary_gid) {
		*error = g_strdup_printf("user '%s' is not in the user "
					 "database, so it has no primary "
					 "group: set a group too",
					 user);
		return -EINVAL;
	}
	identity->set_gid = user != NULL;
	return 0;
}

/* The Threads: line of /proc/self/status, or -1. */
static long thread_count(void)
{
	char *status = NULL;
	const char *line;
	long count = -1;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return -1;
	line = strstr(status, "\nThreads:");
	if (line)
		count = strtol(line + strlen("\nThreads:"), NULL, 10);
	g_free(status);
	return count;
}

static int require_single_thread(char **error)
{
	long threads;

#ifdef __SANITIZE_THREAD__
	/* ThreadSanitizer runs a thread of its own in every process that
	 * has started one; this is its hook for sandboxes, which stops it. */
	__sanitizer_sandbox_on_notify(NULL);
#endif
	threads = thread_count();

	if (threads == 1)
		return 0;
	if (threads < 0) {
		*error = g_strdup("cannot count this process's threads in "
				  "/proc/self/status");
		return -EIO;
	}
	*error = g_strdup_printf("cannot sandbox a process with %ld threads: "
				 "a thread started before would keep every "
				 "privilege",
				 threads);
	return -EBUSY;
}

/* The errno of a failed library call, or `fallback` if it left none. */
static int failure(int fallback)
{
	return errno > 0 ? -errno : -fallback;
}

/* "uid U and gid G", leaving out an id that stays. */
static char *describe_ids(int uid, int gid)
{
	if (uid == -1)
		return g_strdup_printf("gid %d", gid);
	if (gid == -1)
		return g_strdup_printf("uid %d", uid);
	return g_strdup_printf("uid %d and gid %d", uid, gid);
}

/* Become `identity` (or stay root) and end with no capabilities in any set:
 * effective, permitted, inheritable, ambient and bounding.  With the
 * bounding set empty too, not even execve() of a setuid program can give
 * any back.  uid 0 without capabilities still owns root's files, which is
 * why a mount should rather name a user. */
static int drop_identity(const struct sandbox_identity *identity,
			 char **error)
{
	int uid = identity && identity->set_uid ? (int)identity->uid : -1;
	int gid = identity && identity->set_gid ? (int)identity->gid : -1;
	int rc;

	/* Root's supplementary groups go in every case, also when the gid
	 * stays (which is when capng_change_id() would keep them). */
	if (setgroups(0, NULL) < 0) {
		rc = -errno;
		*error = g_strdup_printf("cannot drop supplementary groups: %s",
					 g_strerror(-rc));
		return rc;
	}
	/* What libcap-ng applies is its own copy: make it "nothing". */
	capng_clear(CAPNG_SELECT_ALL);
	errno = 0;
	if (uid == -1 && gid == -1) {
		if (capng_apply(CAPNG_SELECT_ALL) < 0) {
			rc = failure(EPERM);
			*error = g_strdup_printf("cannot drop capabilities: %s",
						 g_strerror(-rc));
			return rc;
		}
		return 0;
	}
	rc = capng_change_id(uid, gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
				     CAPNG_CLEAR_AMBIENT);
	if (rc < 0) {
		char *target = describe_ids(uid, gid);
		int step = rc;

		rc = failure(EPERM);
		*error = g_strdup_printf("cannot change to %s (libcap-ng step "
					 "%d): %s",
					 target, step, g_strerror(-rc));
		g_free(target);
		return rc;
	}
	return 0;
}

/* Trust, but verify: a capability left in any set by an unexpected
 * libcap-ng or kernel behaviour would make the sandbox a pretence. */
static int verify_no_capabilities(char **error)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	if (syscall(SYS_capget, &header, data) < 0) {
		int rc = -errno;

		*error = g_strdup_printf("cannot read capabilities: %s",
					 g_strerror(-rc));
		return rc;
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective | data[i].permitted |
		    data[i].inheritable) {
			*error = g_strdup("capabilities remain after "
					  "dropping them");
			return -EPERM;
		}
	}
	/* Both prctls fail with EINVAL past the kernel's last capability. */
	for (cap = 0;; cap++) {
		int bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (bounding < 0)
			break;
		if (bounding > 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) >
			    0) {
			const char *name = capng_capability_to_name(cap);

			*error = g_strdup_printf(
				"capability %s remains in the bounding or "
				"ambient set after dropping it",
				name ? name : "(unknown)");
			return -EPERM;
		}
	}
	return 0;
}

static int forbid_new_privileges(char **error)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int rc = -errno;

		*error = g_strdup_printf("cannot set no_new_privs: %s",
					 g_strerror(-rc));
		return rc;
	}
	return 0;
}

/* What a filesystem server never needs.  Names this architecture lacks
 * are skipped, which is also why a few appear that only other
 * architectures have (umount, stime, the time64 calls). */
static const char *const refused_calls[] = {
	/* Mounting, and changing what / is. */
	"mount", "umount", "umount2", "pivot_root", "chroot", "move_mount",
	"open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr",
	/* Kernel modules. */
	"init_module", "finit_module", "delete_module",
	/* Reading or steering other processes. */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	/* Rebooting, booting another kernel, swap. */
	"reboot", "kexec_load", "kexec_file_load", "swapon", "swapoff",
	/* Namespaces; clone's namespace flags are refused separately. */
	"setns", "unshare",
	/* Privileged or exploit-friendly kernel interfaces. */
	"bpf", "perf_event_open", "iopl", "ioperm", "acct", "syslog",
	"userfaultfd", "lookup_dcookie", "vhangup", "quotactl", "quotactl_fd",
	/* Opening by file handle bypasses the path's permissions. */
	"open_by_handle_at",
	/* The machine's clock and names. */
	"settimeofday", "stime", "clock_settime", "clock_settime64",
	"clock_adjtime", "clock_adjtime64", "adjtimex", "sethostname",
	"setdomainname",
	/* The kernel keyrings. */
	"keyctl", "add_key", "request_key",
};

/* clone() flags that create namespaces.  CLONE_NEWTIME is not among them:
 * in clone()'s flags its bit is part of the exit signal. */
static const unsigned long clone_namespace_flags[] = {
	CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET,
};

/* s390 passes clone()'s stack first and its flags second. */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static int add_refusals(scmp_filter_ctx filter)
{
	int rc = 0;
	int nr;

	for (size_t i = 0; i < G_N_ELEMENTS(refused_calls) && rc == 0; i++) {
		/* Negative: unknown to libseccomp (__NR_SCMP_ERROR), or its
		 * stand-in for a call this architecture does not have. */
		nr = seccomp_syscall_resolve_name(refused_calls[i]);
		if (nr >= 0)
			rc = seccomp_rule_add(filter, SCMP_ACT_NOTIFY, nr, 0);
	}
	/* One rule per flag: a masked compare matches all of its bits. */
	for (size_t i = 0; i < G_N_ELEMENTS(clone_namespace_flags) && rc == 0;
	     i++) {
		unsigned long flag = clone_namespace_flags[i];

		rc = seccomp_rule_add(filter, SCMP_ACT_NOTIFY, SCMP_SYS(clone),
				      1,
				      SCMP_CMP(CLONE_FLAGS_ARG,
					       SCMP_CMP_MASKED_EQ, flag, flag));
	}
	/* clone3() keeps its flags in memory, where a filter cannot look.
	 * ENOSYS makes glibc fall back to clone(), whose flags it can. */
	nr = seccomp_syscall_resolve_name("clone3");
	if (nr >= 0 && rc == 0)
		rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	return rc;
}

static scmp_filter_ctx build_filter(int *rc)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);

	if (!filter) {
		*rc = -ENOMEM;
		return NULL;
	}
	/* Raw errnos from the kernel rather than libseccomp's summaries. */
	*rc = seccomp_attr_set(filter, SCMP_FLTATR_API_SYSRAWRC, 1);
	/* The rules name native call numbers; a call through another
	 * architecture's entry (int 0x80 on x86-64) would slip past them. */
	if (*rc == 0)
		*rc = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH,
				       SCMP_ACT_KILL_PROCESS);
	if (*rc == 0)
		*rc = add_refusals(filter);
	if (*rc < 0) {
		seccomp_release(filter);
		return NULL;
	}
	return filter;
}

static int load_filter(int *notify_fd, char **error)
{
	scmp_filter_ctx filter;
	int rc;

	filter = build_filter(&rc);
	if (!filter) {
		*error = g_strdup_printf("cannot build the system call "
					 "filter: %s",
					 g_strerror(-rc));
		return rc;
	}
	rc = seccomp_load(filter);
	if (rc == 0) {
		rc = seccomp_notify_fd(filter);
		if (rc >= 0) {
			*notify_fd = rc;
			rc = 0;
		}
	}
	/* The notification fd outlives the filter's description. */
	seccomp_release(filter);
	if (rc < 0)
		*error = g_strdup_printf("cannot load the system call filter: "
					 "%s",
					 g_strerror(-rc));
	return rc;
}

int sandbox_enter(const struct sandbox_identity *identity, int *notify_fd,
		  char **error)
{
	int rc;

	*notify_fd = -1;
	*error = NULL;
	rc = require_single_thread(error);
	if (rc == 0)
		rc = drop_identity(identity, error);
	if (rc == 0)
		rc = verify_no_capabilities(error);
	if (rc == 0)
		rc = forbid_new_privileges(error);
	if (rc == 0)
		rc = load_filter(notify_fd, error);
	return rc;
}

/* Take the waiting notification.  libseccomp reports a failed receive as
 * -ECANCELED; the ioctl's errno says why. */
static int receive_refusal(int notify_fd, struct seccomp_notif *request)
{
	int rc;

	errno = 0;
	rc = seccomp_notify_receive(notify_fd, request);
	if (rc == -ECANCELED && errno > 0)
		rc = -errno;
	/* The caller was killed, or its call interrupted, since the poll. */
	if (rc == -ENOENT || rc == -EINTR)
		return -EAGAIN;
	return rc;
}

static void describe_refusal(const struct seccomp_notif *request,
			     struct sandbox_refusal *refusal)
{
	char *name;

	refusal->pid = request->pid;
	refusal->nr = request->data.nr;
	name = seccomp_syscall_resolve_num_arch(request->data.arch,
						request->data.nr);
	if (name)
		g_strlcpy(refusal->syscall, name, sizeof(refusal->syscall));
	else
		snprintf(refusal->syscall, sizeof(refusal->syscall),
			 "syscall %d", request->data.nr);
	free(name);
}

static int answer_eperm(int notify_fd, const struct seccomp_notif *request,
			struct seccomp_notif_resp *response)
{
	int rc;

	response->id = request->id;
	response->val = 0;
	response->error = -EPERM;
	response->flags = 0;
	errno = 0;
	rc = seccomp_notify_respond(notify_fd, response);
	if (rc == -ECANCELED && errno > 0)
		rc = -errno;
	/* The caller died, or a signal interrupted its call, which then
	 * starts over with a new notification: nothing is left to answer,
	 * and the attempt was still made. */
	if (rc == -ENOENT)
		return 0;
	return rc;
}

int sandbox_refuse_next(int notify_fd, struct sandbox_refusal *refusal)
{
	struct pollfd ready = {.fd = notify_fd, .events = POLLIN};
	struct seccomp_notif *request;
	struct seccomp_notif_resp *response;
	int rc;

	/* Receiving waits for a call; look first, so that the daemon's
	 * loop never blocks here whatever the caller has polled. */
	if (poll(&ready, 1, 0) < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (ready.revents & POLLNVAL)
		return -EBADF;
	if (!(ready.revents & POLLIN))
		return ready.revents & (POLLHUP | POLLERR) ? -ESRCH : -EAGAIN;
	rc = seccomp_notify_alloc(&request, &response);
	if (rc < 0)
		return rc;
	rc = receive_refusal(notify_fd, request);
	if (rc == 0) {
		describe_refusal(request, refusal);
		rc = answer_eperm(notify_fd, request, response);
	}
	seccomp_notify_free(request, response);
	return rc;
}
