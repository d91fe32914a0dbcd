/* Stale-mount recovery and mountpoint checks; see mountpoint.h.
 *
 * Whether a FUSE mount is stale (its server is gone) or live can only be
 * told by touching it: stat() gives ENOTCONN on a stale one at once, but on
 * a live one whose server is stuck it may never return.  So the probe runs
 * in a short-lived child process that the daemon can give up on. */
#define _GNU_SOURCE
#include "mountpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "mountinfo.h"

#define PROBE_TIMEOUT_MS 2000
#define PROBE_STEP_MS 5
/* Mounts stack; a crash loop can leave several stale ones. */
#define MAX_DETACHES 32

enum probe_result { PROBE_LIVE, PROBE_STALE, PROBE_HUNG, PROBE_FAILED };

static enum probe_result probe_fuse_mount(const char *path)
{
	struct stat st;
	int status = 0;
	pid_t child;

	child = fork();
	if (child < 0)
		return PROBE_FAILED;
	if (child == 0) {
		if (stat(path, &st) == 0)
			_exit(0);
		_exit(errno == ENOTCONN ? 1 : 2);
	}

	for (int waited_ms = 0; waitpid(child, &status, WNOHANG) == 0;
	     waited_ms += PROBE_STEP_MS) {
		if (waited_ms >= PROBE_TIMEOUT_MS) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return PROBE_HUNG;
		}
		g_usleep(PROBE_STEP_MS * 1000);
	}
	if (!WIFEXITED(status))
		return PROBE_FAILED;
	switch (WEXITSTATUS(status)) {
	case 0:
		return PROBE_LIVE;
	case 1:
		return PROBE_STALE;
	default:
		return PROBE_FAILED;
	}
}

static bool is_listed(const char *const *paths, const char *path)
{
	for (const char *const *p = paths; *p; p++) {
		if (strcmp(*p, path) == 0)
			return true;
	}
	return false;
}

void mountpoint_warn_leftovers(const char *const *mountpoints)
{
	GPtrArray *entries = mountinfo_read();

	if (!entries)
		return;
	for (guint i = 0; i < entries->len; i++) {
		const struct mountinfo_entry *entry = entries->pdata[i];

		if (!mountinfo_is_fuse(entry) ||
		    !g_str_has_prefix(entry->source, "fusehost:") ||
		    is_listed(mountpoints, entry->mountpoint) ||
		    probe_fuse_mount(entry->mountpoint) != PROBE_STALE)
			continue;
		log_warning(NULL,
			    "stale FUSE mount %s at %s (its server is gone), "
			    "left by an earlier fusehostd: no mount is "
			    "configured there now; 'umount -l %s' removes it",
			    entry->source, entry->mountpoint,
			    entry->mountpoint);
	}
	g_ptr_array_unref(entries);
}

/* Detach stale FUSE mounts at `path` until none is on top. */
int mountpoint_prepare(const char *path, const char *mount_name)
{
	for (int round = 0; round < MAX_DETACHES; round++) {
		GPtrArray *entries = mountinfo_read();
		const struct mountinfo_entry *top;
		char *source;
		int result = 0;

		if (!entries) {
			log_error(mount_name, "cannot read /proc/self/mountinfo");
			return -EIO;
		}
		top = mountinfo_find_top(entries, path);
		if (top && !mountinfo_is_fuse(top))
			log_warning(mount_name,
				    "%s has a %s filesystem (%s) mounted on "
				    "it; mounting over it hides it until this "
				    "mount is gone",
				    path, top->fstype, top->source);
		if (!top || !mountinfo_is_fuse(top)) {
			g_ptr_array_unref(entries);
			return 0;
		}
		source = g_strdup(top->source);
		g_ptr_array_unref(entries);

		switch (probe_fuse_mount(path)) {
		case PROBE_STALE:
			log_warning(mount_name,
				    "detaching stale FUSE mount %s at %s (its "
				    "server is gone)",
				    source, path);
			if (umount2(path, MNT_DETACH) < 0) {
				result = -errno;
				log_error(mount_name,
					  "cannot detach stale mount at %s: %s",
					  path, strerror(errno));
			}
			break;
		case PROBE_LIVE:
			log_error(mount_name,
				  "mountpoint %s is busy: FUSE filesystem %s is "
				  "mounted and served there by another process",
				  path, source);
			result = -EBUSY;
			break;
		case PROBE_HUNG:
			log_error(mount_name,
				  "mountpoint %s is busy: FUSE filesystem %s is "
				  "mounted there and does not answer; not "
				  "touching it",
				  path, source);
			result = -EBUSY;
			break;
		case PROBE_FAILED:
			log_error(mount_name,
				  "cannot tell whether FUSE filesystem %s at %s "
				  "is stale",
				  source, path);
			result = -EIO;
			break;
		}
		g_free(source);
		if (result < 0)
			return result;
	}
	log_error(mount_name, "more than %d stale mounts stacked at %s",
		  MAX_DETACHES, path);
	return -ELOOP;
}

char *mountpoint_check(const char *path)
{
	struct stat st;
	char *resolved;
	char *problem = NULL;

	if (stat(path, &st) < 0 && errno == ENOTCONN)
		return NULL; /* a stale FUSE mount: detached before mounting */
	if (stat(path, &st) < 0)
		return errno == ENOENT
			       ? g_strdup_printf("mountpoint %s does not exist",
						 path)
			       : g_strdup_printf("mountpoint %s: %s", path,
						 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return g_strdup_printf("mountpoint %s is not a directory", path);
	/* Resolved on the heap: this runs on every mount's thread, whose
	 * stack keeps every page it ever touched. */
	resolved = realpath(path, NULL);
	if (!resolved)
		return g_strdup_printf("mountpoint %s: %s", path,
				       strerror(errno));
	if (strcmp(resolved, path) != 0)
		problem = g_strdup_printf("mountpoint %s resolves to %s through "
					  "a symbolic link; configure the "
					  "real path",
					  path, resolved);
	free(resolved);
	return problem;
}

/* What is mounted right at `path`: NOTHING, FUSE (which then only a probe
 * in a child process may touch) or OTHER. */
enum mounted_at { NOTHING, FUSE, OTHER };

static enum mounted_at mounted_at(const char *path)
{
	GPtrArray *entries = mountinfo_read();
	const struct mountinfo_entry *top =
		entries ? mountinfo_find_top(entries, path) : NULL;
	enum mounted_at what = !top			 ? NOTHING
			       : mountinfo_is_fuse(top) ? FUSE
							: OTHER;

	if (entries)
		g_ptr_array_unref(entries);
	return what;
}

/* Whether the directory at `path` has an entry besides . and ..; false
 * if it cannot be read.  Not opendir(): it takes a 32 KiB buffer from the
 * malloc arena of the calling mount thread, which leaves it resident
 * there (about 22 KiB more per mount, measured with 100 mounts). */
static bool has_entries(const char *path)
{
	union {
		struct dirent64 aligned;
		char bytes[1024];
	} buffer;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool found = false;
	ssize_t length;

	if (fd < 0)
		return false;
	while (!found &&
	       (length = getdents64(fd, buffer.bytes, sizeof(buffer))) > 0) {
		for (ssize_t offset = 0; offset < length && !found;) {
			const struct dirent64 *entry =
				(const void *)(buffer.bytes + offset);

			found = strcmp(entry->d_name, ".") != 0 &&
				strcmp(entry->d_name, "..") != 0;
			offset += entry->d_reclen;
		}
	}
	close(fd);
	return found;
}

/* Files in the bare directory would be hidden while the mount is there,
 * which is seldom meant (a filesystem mounted there is reported by
 * mountpoint_prepare()). */
static void warn_if_not_empty(const char *path, const char *mount_name)
{
	if (has_entries(path))
		log_warning(mount_name,
			    "mountpoint %s is not empty; mounting over it "
			    "hides its files until this mount is gone",
			    path);
}

int mountpoint_verify(const char *path, const char *mount_name)
{
	enum mounted_at what = mounted_at(path);
	char *problem;

	/* A directory that was a mountpoint before: mountpoint_prepare()
	 * detaches what is stale there. */
	if (what == FUSE)
		return 0;
	problem = mountpoint_check(path);
	if (problem) {
		log_error(mount_name, "%s", problem);
		g_free(problem);
		return -ENOENT;
	}
	if (what == NOTHING)
		warn_if_not_empty(path, mount_name);
	return 0;
}
