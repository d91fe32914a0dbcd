/* passthrough: mirror a directory of the host (the `root` option).
 *
 * Everything is done relative to a descriptor of the root opened when the
 * mount starts, with *at() system calls, so the mount keeps working when the
 * root is renamed and nothing depends on the daemon's working directory.
 * Open files and directories keep their own descriptors in fi->fh, and every
 * operation that is given one uses only that: it works without a path
 * (nullpath_ok), on files unlinked while open too.  The kernel asks for the
 * rest (fstat, fchmod, ...) by inode, which libfuse turns into a path, so an
 * open file being unlinked is kept under a hidden name (see
 * passthrough_hide()).
 *
 * Run as root with allow_other the daemon acts for every user, so:
 *   - the kernel checks permissions (mount with default_permissions; this
 *     plugin checks none and warns when the mount lacks it);
 *   - new files, directories, nodes and symlinks are given to their creator;
 *   - a path is resolved beneath the root without following symlinks, and
 *     its last component is never followed: a symlink planted in the backing
 *     directory cannot lead an operation outside it (this takes openat2(),
 *     Linux 5.6: without it the mount is refused);
 *   - POSIX locks are taken on the backing file per lock owner, as the
 *     callers would have, so that they exclude each other and whoever locks
 *     the backing files directly. */
#define _GNU_SOURCE
#include <fusehost/plugin.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "handles.h"

/* Room for "/proc/self/fd/" and any int. */
#define PASSTHROUGH_PROC_FD_SIZE 32
/* As the kernel allows (MAXSYMLINKS). */
#define PASSTHROUGH_MAX_SYMLINKS 40
/* Longest `timeout`: a year is already "forever" for a cache. */
#define PASSTHROUGH_MAX_TIMEOUT (366 * 24 * 3600)
/* Filesystems below the root that get inode tags of their own. */
#define PASSTHROUGH_MAX_DEVS 1024
/* How libfuse names an open file it hides instead of unlinking. */
#define PASSTHROUGH_HIDDEN_PREFIX ".fuse_hidden"

enum passthrough_cache {
	PASSTHROUGH_CACHE_NONE,
	PASSTHROUGH_CACHE_AUTO,
	PASSTHROUGH_CACHE_ALWAYS,
};

/* The backing-file lock state of one lock owner (a process, or an open file
 * for OFD locks) on one inode: its own open file description, so that OFD
 * locks on it behave as the owner's POSIX locks would.  The daemon's own
 * POSIX locks would not do: they all belong to the daemon's process, so the
 * callers' locks would never conflict with each other. */
struct passthrough_lock_owner {
	struct passthrough_lock_owner *next;
	dev_t dev;
	ino_t ino;
	uint64_t owner;
	int fd;
	int access; /* O_ACCMODE of fd */
	/* One for being listed, one per call using fd: fd is closed, and
	 * with it the locks, when the last reference goes. */
	unsigned int refs;
	bool listed;
	/* The file handles the owner locked through.  When all are released
	 * no lock can be left (the kernel does not tell FUSE when the OFD
	 * locks of a closed file go). */
	uint64_t *handles;
	size_t handle_count;
	size_t handle_capacity;
};

/* An open file unlinked through the mount: gone from the backing directory,
 * reachable through fd under the name libfuse gave it in the directory it
 * was in (see passthrough_hidden_find()). */
struct passthrough_hidden {
	struct passthrough_hidden *next;
	int fd; /* O_PATH */
	dev_t dev;
	ino_t ino;
	int dir_fd; /* O_PATH; held so that dir_ino is not reused */
	dev_t dir_dev;
	ino_t dir_ino;
	char name[];
};

struct passthrough {
	struct fusehost_mount *mount;
	char *root;  /* as configured, for messages */
	int root_fd; /* O_PATH */
	dev_t root_dev;
	/* The other filesystems' devices met below the root, in the order
	 * met: their position tags their inode numbers (passthrough_ino()).
	 * Entries below other_dev_count (atomic) are set and never change;
	 * devs_lock serializes adding. */
	dev_t other_devs[PASSTHROUGH_MAX_DEVS];
	unsigned other_dev_count;
	pthread_mutex_t devs_lock;
	/* The mounts of this daemon found below the root at init, relative
	 * to it ("a/b"), NULL-terminated; NULL if none.  The mirror does not
	 * enter them (see passthrough_fence_served()).  Read-only after
	 * init. */
	char **fenced;
	enum passthrough_cache cache;
	int64_t timeout;
	bool writeback_wanted;
	bool writeback; /* granted by the kernel; set in init */
	/* Creating as root: who the daemon is and which mode bits its umask
	 * takes away from what the caller asked for. */
	bool as_root;
	uid_t euid;
	gid_t egid;
	mode_t umask;
	bool fixup_warned;
	unsigned lock_waiters; /* threads in passthrough_wait_for_lock() */
	pthread_mutex_t locks_lock;
	struct passthrough_lock_owner *lock_owners;
	pthread_mutex_t hidden_lock;
	struct passthrough_hidden *hidden;
	struct passthrough_handles handles; /* open files and directories */
};

/* Directory handles: readdir must be able to resume at the entry that did
 * not fit last time, and at any offset telldir() gave out. */
struct passthrough_dir {
	DIR *dp;
	struct dirent *entry; /* read but not yet passed on */
	off_t offset;	      /* telldir() of where dp is */
	char *relative;	      /* below the root; only if the mount fences */
	dev_t dev;	      /* of the directory, for its entries' numbers */
};

/* A path as a directory and a name in it. */
struct passthrough_at {
	int dirfd;
	const char *name; /* "." for the root */
	bool owned;	  /* dirfd was opened for this call */
};

static struct passthrough *passthrough_instance(void)
{
	return fuse_get_context()->private_data;
}

/* ---- Resolving paths beneath the root ----------------------------------- */

/* Open a directory below the root.  The kernel never sends a path that
 * goes through a symlink (it follows them itself), so one found here was
 * put into the backing directory behind its back and is refused: following
 * it could lead anywhere, with the daemon's rights.  Only openat2() can
 * refuse symlinks in every component (O_NOFOLLOW holds the last one
 * alone), so a mount is not served without it (see
 * passthrough_check_openat2()). */
static int passthrough_open_beneath(int root_fd, const char *relative)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	long fd;

	fd = syscall(SYS_openat2, root_fd, relative, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Whether `relative` (below the root, no leading slash) is at or below a
 * fenced mount. */
static bool passthrough_fenced(const struct passthrough *pt,
			       const char *relative)
{
	for (char *const *f = pt->fenced; f && *f; f++) {
		size_t length = strlen(*f);

		if (strncmp(relative, *f, length) == 0 &&
		    (relative[length] == '\0' || relative[length] == '/'))
			return true;
	}
	return false;
}

static int passthrough_at(const char *path, struct passthrough_at *at)
{
	struct passthrough *pt = passthrough_instance();
	const char *relative, *slash;
	char *parent;
	int fd;

	/* Only a handle-taking operation may go without a path, and those
	 * use the handle. */
	if (!path)
		return -ESTALE;
	relative = path + strspn(path, "/");
	at->dirfd = pt->root_fd;
	at->owned = false;
	if (!*relative) {
		at->name = ".";
		return 0;
	}
	if (pt->fenced && passthrough_fenced(pt, relative))
		return -EXDEV;
	slash = strrchr(relative, '/');
	if (!slash) {
		at->name = relative;
		return 0;
	}
	parent = strndup(relative, (size_t)(slash - relative));
	if (!parent)
		return -ENOMEM;
	fd = passthrough_open_beneath(pt->root_fd, parent);
	free(parent);
	if (fd < 0)
		return fd;
	at->dirfd = fd;
	at->name = slash + 1;
	at->owned = true;
	return 0;
}

static void passthrough_at_done(const struct passthrough_at *at)
{
	if (at->owned)
		close(at->dirfd);
}

/* Calls without an *at() form name an object through its descriptor in
 * /proc/self/fd, which resolves to exactly that inode, whatever it is. */
static void passthrough_proc_fd(int fd, char proc[PASSTHROUGH_PROC_FD_SIZE])
{
	snprintf(proc, PASSTHROUGH_PROC_FD_SIZE, "/proc/self/fd/%d", fd);
}

/* ---- Files unlinked while open ------------------------------------------ */

/* libfuse (without hard_remove) does not unlink a file that is open through
 * the mount: it renames it to .fuse_hiddenXXXX, and unlinks that at the last
 * close, so that what the kernel asks about the file by inode (fstat,
 * fchmod, fchown, futimens, f*xattr) still has a path.  With hard_remove all
 * that fails with ESTALE, as libfuse has no path to give.
 *
 * Such a rename is done here by unlinking the file for real and keeping an
 * O_PATH descriptor of it under the hidden name: the backing directory never
 * shows .fuse_hidden files, not even after a crash, and st_nlink is 0 as it
 * should be, and removing the directory it was in works.  What remains of
 * libfuse's way: a rename onto a file open through the mount is two steps,
 * hide then rename, so the name is missing for a moment; and once the
 * directory is gone libfuse has no path again (ESTALE).
 *
 * A caller may rename a file to such a name too (rsync copying a tree
 * with leftovers of another FUSE filesystem): that must stay a rename, or
 * the file would be gone with the daemon.  libfuse hides only files open
 * through the mount, under names of one exact form, so a rename is taken
 * for a hide only when both hold.
 *
 * A hidden name is known in its own directory only, as a file's name would
 * be: asked for anywhere else, where the caller may have rights that the
 * file's directory denies, it names nothing.  The directory is told by its
 * inode rather than its path, so that the name moves with the directory
 * when that is renamed; and it is held open, so that a directory made after
 * it was removed cannot get its inode number. */

static const char *passthrough_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool passthrough_is_hidden_name(const char *path)
{
	return strncmp(passthrough_basename(path), PASSTHROUGH_HIDDEN_PREFIX,
		       sizeof(PASSTHROUGH_HIDDEN_PREFIX) - 1) == 0;
}

/* The names libfuse hides files under: the prefix, then two 32-bit
 * numbers as eight lowercase hex digits each. */
static bool passthrough_is_libfuse_hidden_name(const char *path)
{
	const char *name = passthrough_basename(path);
	const char *digits = name + sizeof(PASSTHROUGH_HIDDEN_PREFIX) - 1;

	if (!passthrough_is_hidden_name(path) || strlen(digits) != 16)
		return false;
	for (; *digits; digits++)
		if (!strchr("0123456789abcdef", *digits))
			return false;
	return true;
}

/* Whether this process holds the file `path` names open for reading or
 * writing.  It scans /proc/self/fd, which is fine for what calls it: a
 * rename to a hidden name, which happens about as often as a file open
 * through the mount is removed. */
static bool passthrough_held_open(const char *path)
{
	struct passthrough_at at;
	struct stat target, st;
	struct dirent *entry;
	bool held = false;
	DIR *fds;
	int err;

	err = passthrough_at(path, &at);
	if (err)
		return false;
	err = fstatat(at.dirfd, at.name, &target, AT_SYMLINK_NOFOLLOW);
	passthrough_at_done(&at);
	if (err || !S_ISREG(target.st_mode))
		return false;
	fds = opendir("/proc/self/fd");
	if (!fds)
		return false;
	while (!held && (entry = readdir(fds))) {
		int fd = atoi(entry->d_name);
		int flags;

		/* Through /proc/self/fd/N, as in passthrough_open_elsewhere. */
		if (entry->d_name[0] == '.' || fd == dirfd(fds) ||
		    fstatat(dirfd(fds), entry->d_name, &st, 0) ||
		    st.st_dev != target.st_dev || st.st_ino != target.st_ino)
			continue;
		flags = fcntl(fd, F_GETFL);
		held = flags >= 0 && !(flags & O_PATH);
	}
	closedir(fds);
	return held;
}

/* An O_PATH descriptor of its own of the directory `path` is in, for the
 * caller to close. */
static int passthrough_open_parent(const char *path)
{
	struct passthrough_at at;
	int err, fd;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (at.owned)
		return at.dirfd;
	fd = fcntl(at.dirfd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int passthrough_stat_parent(const char *path, struct stat *dir)
{
	int err, fd;

	fd = passthrough_open_parent(path);
	if (fd < 0)
		return fd;
	err = fstat(fd, dir) ? -errno : 0;
	close(fd);
	return err;
}

/* Where the entry for the hidden file named `name` in the directory `dir`
 * is linked, or NULL when there is none; the caller holds hidden_lock. */
static struct passthrough_hidden **
passthrough_hidden_find(struct passthrough *pt, const struct stat *dir,
			const char *name)
{
	struct passthrough_hidden **p;

	for (p = &pt->hidden; *p; p = &(*p)->next) {
		if ((*p)->dir_dev == dir->st_dev &&
		    (*p)->dir_ino == dir->st_ino &&
		    strcmp((*p)->name, name) == 0)
			return p;
	}
	return NULL;
}

/* A descriptor of the hidden file `path` names, for the caller to close, or
 * -ENOENT when it names none: then it is an ordinary path. */
static int passthrough_hidden_get(const char *path)
{
	struct passthrough *pt = passthrough_instance();
	struct passthrough_hidden **p;
	struct stat dir;
	int fd = -ENOENT;

	if (!path || !__atomic_load_n(&pt->hidden, __ATOMIC_ACQUIRE) ||
	    !passthrough_is_hidden_name(path) ||
	    passthrough_stat_parent(path, &dir))
		return -ENOENT;
	pthread_mutex_lock(&pt->hidden_lock);
	p = passthrough_hidden_find(pt, &dir, passthrough_basename(path));
	if (p) {
		/* A copy: the last close may come meanwhile. */
		fd = fcntl((*p)->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	pthread_mutex_unlock(&pt->hidden_lock);
	return fd;
}

static int passthrough_hide(const char *from, const char *to)
{
	struct passthrough *pt = passthrough_instance();
	const char *name = passthrough_basename(to);
	struct passthrough_hidden *h;
	struct passthrough_at at;
	struct stat st, dir;
	int err;

	h = malloc(sizeof(*h) + strlen(name) + 1);
	if (!h)
		return -ENOMEM;
	strcpy(h->name, name);
	h->dir_fd = passthrough_open_parent(to);
	if (h->dir_fd < 0) {
		err = h->dir_fd;
		free(h);
		return err;
	}
	if (fstat(h->dir_fd, &dir)) {
		err = -errno;
		goto fail;
	}
	err = passthrough_at(from, &at);
	if (err)
		goto fail;
	h->fd = openat(at.dirfd, at.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (h->fd < 0) {
		err = -errno;
	} else if (fstat(h->fd, &st) || unlinkat(at.dirfd, at.name, 0)) {
		err = -errno;
		close(h->fd);
	}
	passthrough_at_done(&at);
	if (err)
		goto fail;
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->dir_dev = dir.st_dev;
	h->dir_ino = dir.st_ino;
	pthread_mutex_lock(&pt->hidden_lock);
	h->next = pt->hidden;
	__atomic_store_n(&pt->hidden, h, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pt->hidden_lock);
	return 0;

fail:
	close(h->dir_fd);
	free(h);
	return err;
}

static void passthrough_hidden_free(struct passthrough_hidden *h)
{
	close(h->fd);
	close(h->dir_fd);
	free(h);
}

/* The last close of a hidden file: it goes for good.  -ENOENT when `path`
 * names none. */
static int passthrough_unhide(const char *path)
{
	struct passthrough *pt = passthrough_instance();
	struct passthrough_hidden **p, *h = NULL;
	struct stat dir;

	if (!__atomic_load_n(&pt->hidden, __ATOMIC_ACQUIRE) ||
	    !passthrough_is_hidden_name(path) ||
	    passthrough_stat_parent(path, &dir))
		return -ENOENT;
	pthread_mutex_lock(&pt->hidden_lock);
	p = passthrough_hidden_find(pt, &dir, passthrough_basename(path));
	if (p) {
		h = *p;
		__atomic_store_n(p, h->next, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pt->hidden_lock);
	if (!h)
		return -ENOENT;
	passthrough_hidden_free(h);
	return 0;
}

/* Whether a descriptor of the process other than `fd` and the hidden
 * entries' refers to the inode.  Slow (it asks /proc about every
 * descriptor), but only run when a hidden file is released. */
static bool passthrough_open_elsewhere(const struct passthrough *pt, int fd,
				       dev_t dev, ino_t ino)
{
	const struct passthrough_hidden *h;
	struct dirent *entry;
	bool found = false;
	struct stat st;
	DIR *fds;
	int other;

	fds = opendir("/proc/self/fd");
	if (!fds)
		return true; /* keep it: a leak beats a vanished file */
	while (!found && (entry = readdir(fds))) {
		if (entry->d_name[0] == '.')
			continue;
		other = atoi(entry->d_name);
		/* Through /proc/self/fd/N, not fstat(N): another thread may
		 * close N meanwhile (libfuse's pipes come and go), and the
		 * path then just fails to resolve. */
		if (other == fd || other == dirfd(fds) ||
		    fstatat(dirfd(fds), entry->d_name, &st, 0) ||
		    st.st_dev != dev || st.st_ino != ino)
			continue;
		found = true;
		for (h = pt->hidden; h; h = h->next) {
			if (h->fd == other)
				found = false;
		}
	}
	closedir(fds);
	return found;
}

/* A handle is being released.  libfuse unlinks a hidden file at its last
 * close, but only while it still has a path for it: not once the directory
 * it was in is gone (rm -r of a tree with open files).  Then its space would
 * stay taken until the mount goes, so find out here. */
static void passthrough_hidden_release(struct passthrough *pt, int fd)
{
	struct passthrough_hidden **p, *h, *dead = NULL;
	struct stat st;

	if (!__atomic_load_n(&pt->hidden, __ATOMIC_ACQUIRE) || fstat(fd, &st) ||
	    st.st_nlink != 0)
		return;
	pthread_mutex_lock(&pt->hidden_lock);
	for (h = pt->hidden; h; h = h->next) {
		if (h->dev == st.st_dev && h->ino == st.st_ino)
			break;
	}
	if (h && !passthrough_open_elsewhere(pt, fd, st.st_dev, st.st_ino)) {
		for (p = &pt->hidden; *p;) {
			h = *p;
			if (h->dev != st.st_dev || h->ino != st.st_ino) {
				p = &h->next;
				continue;
			}
			__atomic_store_n(p, h->next, __ATOMIC_RELEASE);
			h->next = dead;
			dead = h;
		}
	}
	pthread_mutex_unlock(&pt->hidden_lock);
	for (; dead; dead = h) {
		h = dead->next;
		passthrough_hidden_free(dead);
	}
}

/* An O_PATH descriptor of the object itself (a symlink stays a symlink). */
static int passthrough_open_object(const char *path)
{
	struct passthrough_at at;
	int fd, err;

	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT)
		return fd;
	err = passthrough_at(path, &at);
	if (err)
		return err;
	fd = openat(at.dirfd, at.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	passthrough_at_done(&at);
	return fd < 0 ? err : fd;
}

/* ---- New objects -------------------------------------------------------- */

static void passthrough_fixup_failed(struct passthrough *pt, const char *what,
				     const char *name, int error)
{
	/* Once: a backing filesystem without owners (vfat) fails every
	 * time, and the object itself was made as asked. */
	if (__atomic_exchange_n(&pt->fixup_warned, true, __ATOMIC_RELAXED))
		return;
	fusehost_log(pt->mount, FUSEHOST_LOG_WARNING,
		     "cannot %s new object %s: %s (objects created through the "
		     "mount may keep the daemon's owner or umask; logged once)",
		     what, name, strerror(error));
}

/* Make what this call just created look as if its caller had created it
 * on a local filesystem: the caller's owner and group, unless the
 * directory is setgid (then the kernel already gave it the directory's
 * group), and exactly the permission bits asked for, which the daemon's
 * umask may have narrowed (the caller's umask was applied by its kernel)
 * and a chown clears set-id bits from.  `fd` is the object's descriptor,
 * or -1 to name it by at. */
static void passthrough_new_object(const struct passthrough_at *at, int fd,
				   mode_t mode)
{
	struct passthrough *pt = passthrough_instance();
	const struct fuse_context *caller = fuse_get_context();
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	bool chowned = false, strip_setid = false;
	struct stat st;
	mode_t wanted;
	int r;

	if (pt->as_root) {
		if (caller->uid != pt->euid)
			uid = caller->uid;
		if (caller->gid != pt->egid &&
		    fstatat(at->dirfd, "", &st, AT_EMPTY_PATH) == 0 &&
		    !(st.st_mode & S_ISGID))
			gid = caller->gid;
	}
	if (uid != (uid_t)-1 || gid != (gid_t)-1) {
		r = fd >= 0 ? fchown(fd, uid, gid)
			    : fchownat(at->dirfd, at->name, uid, gid,
				       AT_SYMLINK_NOFOLLOW);
		if (r)
			passthrough_fixup_failed(pt, "chown", at->name, errno);
		else
			chowned = true;
		/* Still owned by the daemon: set-id bits, which it was made
		 * with, would make it run as the daemon's user, which the
		 * caller is not. */
		strip_setid = r && !S_ISDIR(mode) &&
			      (mode & (S_ISUID | S_ISGID));
		if (strip_setid)
			mode &= ~(mode_t)(S_ISUID | S_ISGID);
	}
	if (S_ISLNK(mode))
		return;
	if (!(mode & 0777 & pt->umask) && !strip_setid &&
	    !(chowned && !S_ISDIR(mode) && (mode & (S_ISUID | S_ISGID))))
		return;
	wanted = mode & 07777;
	if (S_ISDIR(mode)) {
		/* A directory inherits S_ISGID from a setgid parent. */
		wanted &= ~(mode_t)S_ISGID;
		r = fd >= 0 ? fstat(fd, &st)
			    : fstatat(at->dirfd, at->name, &st,
				      AT_SYMLINK_NOFOLLOW);
		if (r == 0)
			wanted |= st.st_mode & S_ISGID;
	}
	r = fd >= 0
		? fchmod(fd, wanted)
		: fchmodat(at->dirfd, at->name, wanted, AT_SYMLINK_NOFOLLOW);
	if (r)
		passthrough_fixup_failed(pt, "chmod", at->name, errno);
}

/* ---- POSIX locks -------------------------------------------------------- */

static void passthrough_lock_owner_free(struct passthrough_lock_owner *o)
{
	close(o->fd);
	free(o->handles);
	free(o);
}

/* Drop the list's reference; the caller holds locks_lock. */
static void passthrough_lock_owner_unlist(struct passthrough *pt,
					  struct passthrough_lock_owner *o)
{
	struct passthrough_lock_owner **p;

	for (p = &pt->lock_owners; *p; p = &(*p)->next) {
		if (*p == o) {
			__atomic_store_n(p, o->next, __ATOMIC_RELAXED);
			break;
		}
	}
	o->listed = false;
	o->refs--;
}

static int passthrough_lock_owner_add_handle(struct passthrough_lock_owner *o,
					     uint64_t fh)
{
	uint64_t *handles;
	size_t capacity;

	for (size_t i = 0; i < o->handle_count; i++) {
		if (o->handles[i] == fh)
			return 0;
	}
	if (o->handle_count == o->handle_capacity) {
		capacity = o->handle_capacity ? 2 * o->handle_capacity : 2;
		handles = realloc(o->handles, capacity * sizeof(*handles));
		if (!handles)
			return -ENOMEM;
		o->handles = handles;
		o->handle_capacity = capacity;
	}
	o->handles[o->handle_count++] = fh;
	return 0;
}

static struct passthrough_lock_owner *
passthrough_lock_owner_find(struct passthrough *pt, const struct stat *st,
			    uint64_t owner)
{
	struct passthrough_lock_owner *o;

	for (o = pt->lock_owners; o; o = o->next) {
		if (o->owner == owner && o->ino == st->st_ino &&
		    o->dev == st->st_dev)
			return o;
	}
	return NULL;
}

/* The owner's own open file description: the backing file opened anew,
 * read-write if the daemon may (a later lock of the same owner may need
 * either), else as the handle was. */
static int passthrough_lock_reopen(int fd, int *access)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	int flags, lock_fd;

	passthrough_proc_fd(fd, proc);
	lock_fd = open(proc, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (lock_fd >= 0) {
		*access = O_RDWR;
		return lock_fd;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	*access = flags & O_ACCMODE;
	lock_fd = open(proc, *access | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return lock_fd < 0 ? -errno : lock_fd;
}

/* The owner's state with a reference taken, or NULL if it has none and
 * `create` is false.  Creating also records fh as one it locks through. */
static int passthrough_lock_owner_get(struct passthrough *pt,
				      const struct stat *st, uint64_t owner,
				      uint64_t fh, bool create,
				      struct passthrough_lock_owner **result)
{
	struct passthrough_lock_owner *o, *made = NULL;
	int err = 0;

	pthread_mutex_lock(&pt->locks_lock);
	o = passthrough_lock_owner_find(pt, st, owner);
	if (!o && create) {
		/* Open without the lock held: a slow backing filesystem must
		 * not hold up every other lock of the mount. */
		pthread_mutex_unlock(&pt->locks_lock);
		made = calloc(1, sizeof(*made));
		if (!made)
			return -ENOMEM;
		made->fd = passthrough_lock_reopen((int)fh, &made->access);
		if (made->fd < 0) {
			err = made->fd;
			free(made);
			return err;
		}
		made->dev = st->st_dev;
		made->ino = st->st_ino;
		made->owner = owner;
		pthread_mutex_lock(&pt->locks_lock);
		o = passthrough_lock_owner_find(pt, st, owner);
		if (!o) {
			o = made;
			made = NULL;
			o->refs = 1;
			o->listed = true;
			o->next = pt->lock_owners;
			__atomic_store_n(&pt->lock_owners, o,
					 __ATOMIC_RELAXED);
		}
	}
	if (o && create)
		err = passthrough_lock_owner_add_handle(o, fh);
	if (o && !err)
		o->refs++;
	pthread_mutex_unlock(&pt->locks_lock);
	if (made)
		passthrough_lock_owner_free(made);
	*result = err ? NULL : o;
	return err;
}

/* Drop a reference; `idle` says the owner holds no lock any more, and then
 * its state goes unless another call is using it. */
static void passthrough_lock_owner_put(struct passthrough *pt,
				       struct passthrough_lock_owner *o,
				       bool idle)
{
	bool last;

	pthread_mutex_lock(&pt->locks_lock);
	if (idle && o->listed && o->refs == 2)
		passthrough_lock_owner_unlist(pt, o);
	last = --o->refs == 0;
	pthread_mutex_unlock(&pt->locks_lock);
	if (last)
		passthrough_lock_owner_free(o);
}

/* A file handle is being released: an owner left with no handle it locked
 * through can hold no lock. */
static void passthrough_locks_forget_handle(struct passthrough *pt, uint64_t fh)
{
	struct passthrough_lock_owner *o, *next, *dead = NULL;

	if (!__atomic_load_n(&pt->lock_owners, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&pt->locks_lock);
	for (o = pt->lock_owners; o; o = next) {
		next = o->next;
		for (size_t i = 0; i < o->handle_count; i++) {
			if (o->handles[i] == fh) {
				o->handles[i] = o->handles[--o->handle_count];
				break;
			}
		}
		if (o->handle_count)
			continue;
		passthrough_lock_owner_unlist(pt, o);
		if (o->refs == 0) {
			o->next = dead;
			dead = o;
		}
	}
	pthread_mutex_unlock(&pt->locks_lock);
	for (; dead; dead = next) {
		next = dead->next;
		passthrough_lock_owner_free(dead);
	}
}

static bool passthrough_lock_is_whole_file(const struct flock *lock)
{
	return lock->l_whence == SEEK_SET && lock->l_start == 0 &&
	       lock->l_len == 0;
}

/* A blocking lock request waits in one of the mount's threads, and the
 * holder of the lock needs a thread too, to release it (unlock, close):
 * waiting in the kernel, enough waiters would take every thread and the
 * lock would never be released.  So a wait is a series of tries that do
 * not block, which the caller can interrupt (a signal to the waiting
 * process reaches libfuse as an interrupt), and at most
 * PASSTHROUGH_LOCK_WAITERS wait at once; more fail with EDEADLK, as the
 * kernel answers a wait that could never end.  A wait also ends when the
 * mount stops.  The price: a lock let go is taken up to
 * PASSTHROUGH_LOCK_POLL_MAX_US later. */
#define PASSTHROUGH_LOCK_WAITERS 4
#define PASSTHROUGH_LOCK_POLL_MAX_US 20000

struct passthrough_lock_try {
	int fd;
	int cmd;             /* F_OFD_SETLK, or -1 for flock() */
	struct flock *lock;  /* F_OFD_SETLK */
	int operation;       /* flock(), with LOCK_NB */
};

static int passthrough_try_lock(const struct passthrough_lock_try *t)
{
	int r = t->cmd < 0 ? flock(t->fd, t->operation)
			   : fcntl(t->fd, t->cmd, t->lock);

	return r ? -errno : 0;
}

/* One of the PASSTHROUGH_LOCK_WAITERS places, if one is free.  Only a
 * request that gets one counts: one refused must not, even for a moment,
 * or a burst of refusals would turn away a request that had a place. */
static bool passthrough_take_waiter_place(struct passthrough *pt)
{
	unsigned waiting = __atomic_load_n(&pt->lock_waiters, __ATOMIC_RELAXED);

	do {
		if (waiting >= PASSTHROUGH_LOCK_WAITERS)
			return false;
	} while (!__atomic_compare_exchange_n(&pt->lock_waiters, &waiting,
					      waiting + 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

/* Whether the mount is stopping: a wait must not hold its stop up (the
 * stop would give the mount up as stuck), and its caller is cut off from
 * the mount anyway. */
static bool passthrough_stopping(void)
{
	struct fuse *fuse = fuse_get_context()->fuse;

	return fuse && fuse_session_exited(fuse_get_session(fuse));
}

static int passthrough_wait_for_lock(struct passthrough *pt,
				     const struct passthrough_lock_try *t)
{
	useconds_t delay_us = 500;
	int err = passthrough_try_lock(t);

	if (err != -EAGAIN && err != -EACCES)
		return err;
	if (!passthrough_take_waiter_place(pt))
		return -EDEADLK;
	while (err == -EAGAIN || err == -EACCES) {
		if (fuse_interrupted()) {
			err = -EINTR;
			break;
		}
		/* Not EINTR: with no signal pending, the kernel would hand
		 * the caller its restart code (512) as an errno. */
		if (passthrough_stopping()) {
			err = -EIO;
			break;
		}
		usleep(delay_us);
		if (delay_us < PASSTHROUGH_LOCK_POLL_MAX_US)
			delay_us *= 2;
		err = passthrough_try_lock(t);
	}
	__atomic_sub_fetch(&pt->lock_waiters, 1, __ATOMIC_RELAXED);
	return err;
}

/* libfuse keeps a list of the locks it granted per owner, answers F_GETLK
 * from it first and unlocks an owner's locks when it closes any of its
 * descriptors (flush).  It does not stop two owners from both taking a lock:
 * that is done here, on the backing file, with one open file description
 * per owner (see struct passthrough_lock_owner). */
static int passthrough_lock(const char *path, struct fuse_file_info *fi,
			    int cmd, struct flock *lock)
{
	struct passthrough *pt = passthrough_instance();
	struct passthrough_lock_owner *o = NULL;
	bool unlock = lock->l_type == F_UNLCK;
	int fd = (int)fi->fh;
	bool idle = false;
	struct stat st;
	int ofd_cmd;
	int err = 0;
	pid_t pid;

	(void)path;
	switch (cmd) {
	case F_GETLK:
		ofd_cmd = F_OFD_GETLK;
		break;
	case F_SETLK:
	case F_SETLKW: /* see passthrough_wait_for_lock() */
		ofd_cmd = F_OFD_SETLK;
		break;
	default:
		return -EINVAL;
	}
	if (fstat(fd, &st))
		return -errno;
	err = passthrough_lock_owner_get(pt, &st, fi->lock_owner, fi->fh,
					 cmd != F_GETLK && !unlock, &o);
	if (err)
		return err;
	if (cmd != F_GETLK && unlock && !o)
		return 0; /* it never locked anything here */
	if (cmd != F_GETLK && !unlock &&
	    ((lock->l_type == F_WRLCK && o->access == O_RDONLY) ||
	     (lock->l_type == F_RDLCK && o->access == O_WRONLY))) {
		/* Only when the daemon could not open the file read-write
		 * and the owner locked it through another handle first. */
		passthrough_lock_owner_put(pt, o, false);
		return -EBADF;
	}
	/* OFD locks insist on l_pid 0; libfuse records the caller's pid from
	 * what a granted lock request holds when this returns. */
	pid = lock->l_pid;
	lock->l_pid = 0;
	/* An owner with no state yet holds no locks: test from the handle's
	 * own file description, which holds none either. */
	if (cmd == F_SETLKW && !unlock)
		err = passthrough_wait_for_lock(
			pt, &(struct passthrough_lock_try){ .fd = o->fd,
							    .cmd = ofd_cmd,
							    .lock = lock });
	else if (fcntl(o ? o->fd : fd, ofd_cmd, lock))
		err = -errno;
	if (cmd != F_GETLK)
		lock->l_pid = pid;
	else if (!err && lock->l_type != F_UNLCK && lock->l_pid < 0)
		lock->l_pid = 0; /* an OFD lock: no process to name */
	if (o) {
		if (cmd != F_GETLK && unlock && !err)
			idle = passthrough_lock_is_whole_file(lock);
		passthrough_lock_owner_put(pt, o, idle);
	}
	return err;
}

/* flock locks belong to an open file description, which is what a handle
 * is: no owner bookkeeping needed. */
static int passthrough_flock(const char *path, struct fuse_file_info *fi,
			     int op)
{
	(void)path;
	if (op & (LOCK_NB | LOCK_UN))
		return flock((int)fi->fh, op) ? -errno : 0;
	return passthrough_wait_for_lock(
		passthrough_instance(),
		&(struct passthrough_lock_try){ .fd = (int)fi->fh,
						.cmd = -1,
						.operation = op | LOCK_NB });
}

/* ---- Attributes --------------------------------------------------------- */

/* The position (from 1) of `dev` among the other filesystems met, added
 * if new; 0 once PASSTHROUGH_MAX_DEVS are known. */
static unsigned passthrough_dev_index(struct passthrough *pt, dev_t dev)
{
	unsigned count = __atomic_load_n(&pt->other_dev_count,
					 __ATOMIC_ACQUIRE);
	unsigned index = 0;

	for (unsigned i = 0; i < count; i++) {
		if (pt->other_devs[i] == dev)
			return i + 1;
	}
	pthread_mutex_lock(&pt->devs_lock);
	count = pt->other_dev_count;
	for (unsigned i = 0; i < count && !index; i++) {
		if (pt->other_devs[i] == dev)
			index = i + 1;
	}
	if (!index && count < PASSTHROUGH_MAX_DEVS) {
		pt->other_devs[count] = dev;
		__atomic_store_n(&pt->other_dev_count, count + 1,
				 __ATOMIC_RELEASE);
		index = count + 1;
	}
	pthread_mutex_unlock(&pt->devs_lock);
	return index;
}

/* Inode numbers are unique within one filesystem, and the mount shows
 * one: a file of another filesystem mounted below the root (root = /
 * takes in /home, /proc, ...) can have the number of one of the root's,
 * the root directories of two filesystems often do, and find and du then
 * see a directory loop, cp -a and tar a hard link.  So a number from
 * another filesystem gets high bits of its own, from the filesystem's
 * position among those met (as overlayfs's xino does with its layers),
 * with the top bit set to keep them apart from the root's; one from the
 * root's filesystem is kept.  Within one device the mapping is one to one
 * (an exclusive or).  Past PASSTHROUGH_MAX_DEVS filesystems the bits come
 * from a hash of the device, which two of them may share. */
static ino_t passthrough_ino(struct passthrough *pt, dev_t dev, ino_t ino)
{
	unsigned index;
	uint64_t tag;

	if (dev == pt->root_dev)
		return ino;
	index = passthrough_dev_index(pt, dev);
	if (index)
		tag = 0x8000 | index;
	else
		tag = 0xc000 |
		      (((uint64_t)dev * 0x9e3779b97f4a7c15ull) >> 50);
	return (ino_t)((uint64_t)ino ^ (tag << 48));
}

static int passthrough_stat_path(const char *path, struct stat *st)
{
	struct passthrough_at at;
	int err, fd;

	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		if (fd < 0)
			return fd;
		err = fstat(fd, st) ? -errno : 0;
		close(fd);
		return err;
	}
	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (fstatat(at.dirfd, at.name, st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

/* libfuse takes one off st_nlink of a file it has hidden, for the link
 * its rename kept; the hide here unlinked the file for real, so the count
 * is right already and gets that one back.  A file with other names still
 * showed one link too few through a descriptor of the hidden one. */
static void passthrough_hidden_nlink(const char *path, struct stat *st)
{
	int fd;

	if (!path || !passthrough_is_hidden_name(path))
		return;
	fd = passthrough_hidden_get(path);
	if (fd >= 0) {
		st->st_nlink++;
		close(fd);
	}
}

static int passthrough_getattr(const char *path, struct stat *st,
			       struct fuse_file_info *fi)
{
	int err;

	if (fi)
		err = fstat((int)fi->fh, st) ? -errno : 0;
	else
		err = passthrough_stat_path(path, st);
	if (!err) {
		st->st_ino = passthrough_ino(passthrough_instance(),
					     st->st_dev, st->st_ino);
		passthrough_hidden_nlink(path, st);
	}
	return err;
}

static int passthrough_chmod(const char *path, mode_t mode,
			     struct fuse_file_info *fi)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	struct passthrough_at at;
	int err, fd;

	if (fi)
		return fchmod((int)fi->fh, mode) ? -errno : 0;
	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		if (fd < 0)
			return fd;
		passthrough_proc_fd(fd, proc);
		err = chmod(proc, mode) ? -errno : 0;
		close(fd);
		return err;
	}
	err = passthrough_at(path, &at);
	if (err)
		return err;
	/* glibc refuses symlinks (EOPNOTSUPP) instead of following them. */
	if (fchmodat(at.dirfd, at.name, mode, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

static int passthrough_chown(const char *path, uid_t uid, gid_t gid,
			     struct fuse_file_info *fi)
{
	struct passthrough_at at;
	int err, fd;

	if (fi)
		return fchown((int)fi->fh, uid, gid) ? -errno : 0;
	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		if (fd < 0)
			return fd;
		err = fchownat(fd, "", uid, gid, AT_EMPTY_PATH) ? -errno : 0;
		close(fd);
		return err;
	}
	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (fchownat(at.dirfd, at.name, uid, gid, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

static int passthrough_truncate(const char *path, off_t size,
				struct fuse_file_info *fi)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	struct passthrough_at at;
	int err, fd;

	if (fi)
		return ftruncate((int)fi->fh, size) ? -errno : 0;
	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		if (fd < 0)
			return fd;
		passthrough_proc_fd(fd, proc);
		err = truncate(proc, size) ? -errno : 0;
		close(fd);
		return err;
	}
	err = passthrough_at(path, &at);
	if (err)
		return err;
	/* The kernel sends truncate for regular files only; O_NONBLOCK keeps
	 * anything else that was swapped in from blocking the open. */
	fd = openat(at.dirfd, at.name,
		    O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		if (ftruncate(fd, size))
			err = -errno;
		close(fd);
	}
	passthrough_at_done(&at);
	return err;
}

static int passthrough_utimens(const char *path, const struct timespec tv[2],
			       struct fuse_file_info *fi)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	struct passthrough_at at;
	int err, fd;

	if (fi)
		return futimens((int)fi->fh, tv) ? -errno : 0;
	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		if (fd < 0)
			return fd;
		passthrough_proc_fd(fd, proc);
		err = utimensat(AT_FDCWD, proc, tv, 0) ? -errno : 0;
		close(fd);
		return err;
	}
	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (utimensat(at.dirfd, at.name, tv, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

static int passthrough_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(passthrough_instance()->root_fd, st) ? -errno : 0;
}

/* ---- Names -------------------------------------------------------------- */

static int passthrough_readlink(const char *path, char *buffer, size_t size)
{
	struct passthrough_at at;
	ssize_t length;
	int err;

	if (size == 0)
		return -EINVAL;
	err = passthrough_at(path, &at);
	if (err)
		return err;
	length = readlinkat(at.dirfd, at.name, buffer, size - 1);
	if (length < 0)
		err = -errno;
	else
		buffer[length] = '\0';
	passthrough_at_done(&at);
	return err;
}

static int passthrough_mknod(const char *path, mode_t mode, dev_t rdev)
{
	struct passthrough_at at;
	int err;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (mknodat(at.dirfd, at.name, mode, rdev))
		err = -errno;
	else
		passthrough_new_object(&at, -1, mode);
	passthrough_at_done(&at);
	return err;
}

static int passthrough_mkdir(const char *path, mode_t mode)
{
	struct passthrough_at at;
	int err;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (mkdirat(at.dirfd, at.name, mode & 07777))
		err = -errno;
	else
		passthrough_new_object(&at, -1, S_IFDIR | (mode & 07777));
	passthrough_at_done(&at);
	return err;
}

static int passthrough_unlink(const char *path)
{
	struct passthrough_at at;
	int err;

	err = passthrough_unhide(path);
	if (err != -ENOENT)
		return err;
	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (unlinkat(at.dirfd, at.name, 0))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

static int passthrough_rmdir(const char *path)
{
	struct passthrough_at at;
	int err;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (unlinkat(at.dirfd, at.name, AT_REMOVEDIR))
		err = -errno;
	passthrough_at_done(&at);
	return err;
}

static int passthrough_symlink(const char *target, const char *path)
{
	struct passthrough_at at;
	int err;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	if (symlinkat(target, at.dirfd, at.name))
		err = -errno;
	else
		passthrough_new_object(&at, -1, S_IFLNK | 0777);
	passthrough_at_done(&at);
	return err;
}

/* flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT, as the
 * backing filesystem supports them. */
static int passthrough_rename(const char *from, const char *to,
			      unsigned int flags)
{
	struct passthrough_at old_at, new_at;
	int err;

	if (!flags && passthrough_is_libfuse_hidden_name(to) &&
	    !passthrough_is_hidden_name(from) && passthrough_held_open(from))
		return passthrough_hide(from, to);
	err = passthrough_at(from, &old_at);
	if (err)
		return err;
	err = passthrough_at(to, &new_at);
	if (err) {
		passthrough_at_done(&old_at);
		return err;
	}
	if (renameat2(old_at.dirfd, old_at.name, new_at.dirfd, new_at.name,
		      flags))
		err = -errno;
	passthrough_at_done(&new_at);
	passthrough_at_done(&old_at);
	return err;
}

static int passthrough_link(const char *from, const char *to)
{
	struct passthrough_at old_at, new_at;
	int err;

	err = passthrough_at(from, &old_at);
	if (err)
		return err;
	err = passthrough_at(to, &new_at);
	if (err) {
		passthrough_at_done(&old_at);
		return err;
	}
	/* No AT_SYMLINK_FOLLOW: a link to a symlink is to the symlink. */
	if (linkat(old_at.dirfd, old_at.name, new_at.dirfd, new_at.name, 0))
		err = -errno;
	passthrough_at_done(&new_at);
	passthrough_at_done(&old_at);
	/* libfuse gives every name its own inode, so the kernel would go on
	 * showing the source's cached st_nlink and ctime; link-based lock
	 * files check st_nlink of the source.  (-ENOENT: nothing cached.) */
	if (!err)
		fuse_invalidate_path(fuse_get_context()->fuse, from);
	return err;
}

/* ---- Files -------------------------------------------------------------- */

/* The flags to open the backing file with, for a caller's open flags. */
static int passthrough_open_flags(const struct passthrough *pt, int flags)
{
	/* O_DIRECT is the kernel's business: it already sends such I/O
	 * uncached, and libfuse's buffers are not aligned for it. */
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT);
	if (pt->writeback) {
		/* The kernel reads to fill partial pages it caches, and it
		 * places appends itself: see libfuse's passthrough_ll.c. */
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags | O_NOFOLLOW | O_CLOEXEC;
}

/* openat() with the caller's access mode when the daemon may not also
 * read the file that writeback wants read. */
static int passthrough_openat_flags(const struct passthrough_at *at,
				    int open_flags, int flags)
{
	int fd;

	fd = openat(at->dirfd, at->name, open_flags);
	if (fd < 0 && errno == EACCES &&
	    (open_flags & O_ACCMODE) != (flags & O_ACCMODE))
		fd = openat(at->dirfd, at->name,
			    (open_flags & ~O_ACCMODE) | (flags & O_ACCMODE));
	return fd < 0 ? -errno : fd;
}

/* An open file must be a regular file: the kernel sends open for nothing
 * else, but what it has cached may since have been swapped, behind its
 * back, for a FIFO, whose open waits for a peer with one of the mount's
 * threads, or a socket or device.  ESTALE makes the kernel look the name
 * up again and open what is there itself.  Returns fd, or a negative
 * errno after closing it. */
static int passthrough_check_opened(int fd, int open_flags, int caller_flags,
				    struct stat *st)
{
	int err = 0;

	if (fstat(fd, st))
		err = -errno;
	else if (!S_ISREG(st->st_mode))
		err = -ESTALE;
	/* The descriptor serves the caller's reads and writes (and is what
	 * a backing FUSE or network filesystem sees): its flags are the
	 * caller's.  F_SETFL takes the status flags and ignores the rest. */
	else if ((open_flags & O_NONBLOCK) && !(caller_flags & O_NONBLOCK) &&
		 fcntl(fd, F_SETFL, open_flags & ~O_NONBLOCK))
		err = -errno;
	if (err)
		close(fd);
	return err ? err : fd;
}

/* Open an existing file without waiting (see passthrough_check_opened();
 * O_NONBLOCK means nothing else to a regular file, but for a lease that
 * is being broken, which gets the waiting open the caller asked for). */
static int passthrough_openat(const struct passthrough *pt,
			      const struct passthrough_at *at, int flags,
			      struct stat *st)
{
	/* O_NOCTTY: a terminal swapped in must not become the daemon's. */
	int open_flags =
	    passthrough_open_flags(pt, flags) | O_NONBLOCK | O_NOCTTY;
	int fd;

	fd = passthrough_openat_flags(at, open_flags, flags);
	if (fd == -EWOULDBLOCK && !(flags & O_NONBLOCK)) {
		open_flags &= ~O_NONBLOCK;
		fd = passthrough_openat_flags(at, open_flags, flags);
	}
	if (fd == -ENXIO) /* a FIFO without a reader, a socket */
		return -ESTALE;
	return fd < 0 ? fd
		      : passthrough_check_opened(fd, open_flags, flags, st);
}

/* libfuse gives every name of a hard-linked file its own inode, so what
 * was written through one name is not seen through another while the
 * kernel trusts its cached size and pages.  Start each open of such a file
 * afresh, as cache=auto does for files changed by others.  Not with the
 * writeback cache: dropping dirty pages from inside an open could wait on
 * the open itself. */
static void passthrough_open_other_names(const struct passthrough *pt,
					 const char *path,
					 const struct stat *st)
{
	if (pt->cache == PASSTHROUGH_CACHE_NONE || pt->writeback ||
	    st->st_nlink < 2)
		return;
	/* -ENOENT: nothing cached, nothing to do. */
	fuse_invalidate_path(fuse_get_context()->fuse, path);
}

static int passthrough_open(const char *path, struct fuse_file_info *fi)
{
	struct passthrough *pt = passthrough_instance();
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	struct passthrough_at at;
	struct stat st;
	int err, fd;

	fd = passthrough_hidden_get(path);
	if (fd != -ENOENT) {
		/* Opened anew through /proc, as open("/proc/PID/fd/N") did
		 * on the mount. */
		int hidden = fd;
		int open_flags = (passthrough_open_flags(pt, fi->flags) |
				  O_NONBLOCK | O_NOCTTY) &
				 ~O_NOFOLLOW;

		if (hidden < 0)
			return hidden;
		passthrough_proc_fd(hidden, proc);
		fd = open(proc, open_flags);
		fd = fd < 0 ? -errno
			    : passthrough_check_opened(fd, open_flags,
						       fi->flags, &st);
		close(hidden);
	} else {
		err = passthrough_at(path, &at);
		if (err)
			return err;
		fd = passthrough_openat(pt, &at, fi->flags, &st);
		passthrough_at_done(&at);
	}
	if (fd < 0)
		return fd;
	err = passthrough_handles_add(&pt->handles, fd,
				      &passthrough_handles_file);
	if (err) {
		close(fd);
		return err;
	}
	passthrough_open_other_names(pt, path, &st);
	fi->fh = (uint64_t)fd;
	return 0;
}

static int passthrough_create(const char *path, mode_t mode,
			      struct fuse_file_info *fi)
{
	struct passthrough *pt = passthrough_instance();
	int flags = passthrough_open_flags(pt, fi->flags) | O_CREAT | O_EXCL;
	struct passthrough_at at;
	struct stat st;
	int err, fd;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	for (;;) {
		/* O_EXCL tells whether this call made the file: only then
		 * is it the caller's to be given. */
		fd = openat(at.dirfd, at.name, flags, mode & 07777);
		if (fd >= 0) {
			passthrough_new_object(&at, fd,
					       S_IFREG | (mode & 07777));
			break;
		}
		if (errno != EEXIST || (fi->flags & O_EXCL)) {
			err = -errno;
			break;
		}
		/* It appeared behind the kernel's back: open it as is. */
		fd = passthrough_openat(pt, &at, fi->flags, &st);
		if (fd != -ENOENT) {
			err = fd < 0 ? fd : 0;
			break;
		}
	}
	passthrough_at_done(&at);
	if (!err) {
		err = passthrough_handles_add(&pt->handles, fd,
					      &passthrough_handles_file);
		if (err)
			close(fd);
	}
	if (err)
		return err;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int passthrough_read(const char *path, char *buffer, size_t size,
			    off_t offset, struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	n = pread((int)fi->fh, buffer, size, offset);
	return n < 0 ? -errno : (int)n;
}

/* The data stays in the backing file: libfuse splices it to the kernel
 * when it can, or reads it into its own buffer. */
static int passthrough_read_buf(const char *path, struct fuse_bufvec **bufp,
				size_t size, off_t offset,
				struct fuse_file_info *fi)
{
	struct fuse_bufvec *source;

	(void)path;
	source = malloc(sizeof(*source));
	if (!source)
		return -ENOMEM;
	*source = FUSE_BUFVEC_INIT(size);
	source->buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	source->buf[0].fd = (int)fi->fh;
	source->buf[0].pos = offset;
	*bufp = source;
	return 0;
}

/* A write by someone else than root clears set-id bits.  The kernel sees to
 * it for cached writes; for direct_io (cache=none) it leaves it to the
 * filesystem, and the daemon's own writes, as root, clear nothing. */
static void passthrough_write_kills_suid(int fd)
{
	struct stat st;
	mode_t kill;

	if (passthrough_instance()->cache != PASSTHROUGH_CACHE_NONE ||
	    fuse_get_context()->uid == 0 || fstat(fd, &st))
		return;
	kill = st.st_mode & S_ISUID;
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		kill |= S_ISGID;
	if (kill)
		fchmod(fd, st.st_mode & 07777 & ~kill);
}

static int passthrough_write(const char *path, const char *buffer, size_t size,
			     off_t offset, struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	passthrough_write_kills_suid((int)fi->fh);
	n = pwrite((int)fi->fh, buffer, size, offset);
	return n < 0 ? -errno : (int)n;
}

static int passthrough_write_buf(const char *path, struct fuse_bufvec *buf,
				 off_t offset, struct fuse_file_info *fi)
{
	struct fuse_bufvec destination = FUSE_BUFVEC_INIT(fuse_buf_size(buf));

	(void)path;
	passthrough_write_kills_suid((int)fi->fh);
	destination.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	destination.buf[0].fd = (int)fi->fh;
	destination.buf[0].pos = offset;
	return (int)fuse_buf_copy(&destination, buf, FUSE_BUF_SPLICE_NONBLOCK);
}

/* Called at every close() of a descriptor of the file, which may not be
 * the last: close a duplicate, so that a backing filesystem that reports
 * errors at close (NFS) gets to, without closing the handle. */
static int passthrough_flush(const char *path, struct fuse_file_info *fi)
{
	int fd;

	(void)path;
	fd = dup((int)fi->fh);
	if (fd < 0)
		return -errno;
	return close(fd) ? -errno : 0;
}

static int passthrough_release(const char *path, struct fuse_file_info *fi)
{
	struct passthrough *pt = passthrough_instance();

	(void)path;
	passthrough_locks_forget_handle(pt, fi->fh);
	passthrough_hidden_release(pt, (int)fi->fh);
	passthrough_handles_remove(&pt->handles, (int)fi->fh);
	close((int)fi->fh);
	return 0;
}

static int passthrough_fsync(const char *path, int datasync,
			     struct fuse_file_info *fi)
{
	int r;

	(void)path;
	r = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
	return r ? -errno : 0;
}

static int passthrough_fallocate(const char *path, int mode, off_t offset,
				 off_t length, struct fuse_file_info *fi)
{
	(void)path;
	return fallocate((int)fi->fh, mode, offset, length) ? -errno : 0;
}

static ssize_t
passthrough_copy_file_range(const char *path_in, struct fuse_file_info *fi_in,
			    off_t offset_in, const char *path_out,
			    struct fuse_file_info *fi_out, off_t offset_out,
			    size_t size, int flags)
{
	ssize_t n;

	(void)path_in;
	(void)path_out;
	n = copy_file_range((int)fi_in->fh, &offset_in, (int)fi_out->fh,
			    &offset_out, size, (unsigned int)flags);
	return n < 0 ? -errno : n;
}

/* The kernel asks only for SEEK_DATA and SEEK_HOLE.  The handle's own
 * offset is never used for I/O (pread/pwrite), so moving it is harmless. */
static off_t passthrough_lseek(const char *path, off_t offset, int whence,
			       struct fuse_file_info *fi)
{
	off_t r;

	(void)path;
	r = lseek((int)fi->fh, offset, whence);
	return r < 0 ? -errno : r;
}

/* ---- Extended attributes ------------------------------------------------ */

/* There are no *at() xattr calls; see passthrough_proc_fd(). */
static int passthrough_setxattr(const char *path, const char *name,
				const char *value, size_t size, int flags)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	int fd, err = 0;

	fd = passthrough_open_object(path);
	if (fd < 0)
		return fd;
	passthrough_proc_fd(fd, proc);
	if (setxattr(proc, name, value, size, flags))
		err = -errno;
	close(fd);
	return err;
}

static int passthrough_getxattr(const char *path, const char *name, char *value,
				size_t size)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	ssize_t n;
	int fd;

	fd = passthrough_open_object(path);
	if (fd < 0)
		return fd;
	passthrough_proc_fd(fd, proc);
	n = getxattr(proc, name, value, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

static int passthrough_listxattr(const char *path, char *list, size_t size)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	ssize_t n;
	int fd;

	fd = passthrough_open_object(path);
	if (fd < 0)
		return fd;
	passthrough_proc_fd(fd, proc);
	n = listxattr(proc, list, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

static int passthrough_removexattr(const char *path, const char *name)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	int fd, err = 0;

	fd = passthrough_open_object(path);
	if (fd < 0)
		return fd;
	passthrough_proc_fd(fd, proc);
	if (removexattr(proc, name))
		err = -errno;
	close(fd);
	return err;
}

/* ---- Directories -------------------------------------------------------- */

static struct passthrough_dir *passthrough_dir(struct fuse_file_info *fi)
{
	return (struct passthrough_dir *)(uintptr_t)fi->fh;
}

/* Whether `name` in the directory `relative` is a fenced mount. */
static bool passthrough_fenced_entry(const struct passthrough *pt,
				     const char *relative, const char *name)
{
	size_t length = strlen(relative);

	for (char *const *f = pt->fenced; f && *f; f++) {
		const char *rest = *f;

		if (length) {
			if (strncmp(rest, relative, length) != 0 ||
			    rest[length] != '/')
				continue;
			rest += length + 1;
		}
		if (strcmp(rest, name) == 0)
			return true;
	}
	return false;
}

static void passthrough_dir_free(struct passthrough_dir *d)
{
	closedir(d->dp);
	free(d->relative);
	free(d);
}

/* For passthrough_handles_close_all(). */
static void passthrough_dir_close(void *holder)
{
	passthrough_dir_free(holder);
}

static int passthrough_opendir(const char *path, struct fuse_file_info *fi)
{
	struct passthrough *pt = passthrough_instance();
	struct passthrough_dir *d;
	struct passthrough_at at;
	struct stat st;
	int err, fd;

	err = passthrough_at(path, &at);
	if (err)
		return err;
	fd = openat(at.dirfd, at.name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	passthrough_at_done(&at);
	if (err)
		return err;
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		free(d);
		return err;
	}
	d->dev = st.st_dev;
	d->dp = fdopendir(fd);
	if (!d->dp) {
		err = -errno;
		close(fd);
		free(d);
		return err;
	}
	/* For readdir, which is given no path (nullpath_ok). */
	if (pt->fenced) {
		d->relative = strdup(path + strspn(path, "/"));
		if (!d->relative) {
			passthrough_dir_free(d);
			return -ENOMEM;
		}
	}
	err = passthrough_handles_add(&pt->handles, dirfd(d->dp), d);
	if (err) {
		passthrough_dir_free(d);
		return err;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* Every entry is passed with the offset of the next (telldir), so libfuse
 * hands the kernel pieces of any size and can resume anywhere: a large
 * directory is never read whole into memory. */
static int passthrough_readdir(const char *path, void *buffer,
			       fuse_fill_dir_t filler, off_t offset,
			       struct fuse_file_info *fi,
			       enum fuse_readdir_flags flags)
{
	struct passthrough *pt = passthrough_instance();
	struct passthrough_dir *d = passthrough_dir(fi);

	(void)path;
	if (offset != d->offset) {
		seekdir(d->dp, offset);
		d->entry = NULL;
		d->offset = offset;
	}
	for (;;) {
		enum fuse_fill_dir_flags fill = 0;
		struct stat st;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				if (errno)
					return -errno;
				break;
			}
		}
		/* A fenced mount is listed, never looked into. */
		if ((flags & FUSE_READDIR_PLUS) &&
		    !(d->relative &&
		      passthrough_fenced_entry(pt, d->relative,
					       d->entry->d_name)) &&
		    fstatat(dirfd(d->dp), d->entry->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0) {
			fill = FUSE_FILL_DIR_PLUS;
			st.st_ino = passthrough_ino(pt, st.st_dev, st.st_ino);
		} else {
			memset(&st, 0, sizeof(st));
			st.st_ino = passthrough_ino(pt, d->dev, d->entry->d_ino);
			st.st_mode = (mode_t)DTTOIF(d->entry->d_type);
		}
		next = telldir(d->dp);
		if (filler(buffer, d->entry->d_name, &st, next, fill))
			break; /* full: this entry goes first next time */
		d->entry = NULL;
		d->offset = next;
	}
	return 0;
}

static int passthrough_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct passthrough_dir *d = passthrough_dir(fi);

	(void)path;
	passthrough_handles_remove(&passthrough_instance()->handles,
				   dirfd(d->dp));
	passthrough_dir_free(d);
	return 0;
}

static int passthrough_fsyncdir(const char *path, int datasync,
				struct fuse_file_info *fi)
{
	int fd = dirfd(passthrough_dir(fi)->dp);
	int r;

	(void)path;
	r = datasync ? fdatasync(fd) : fsync(fd);
	return r ? -errno : 0;
}

/* ---- The mount table ---------------------------------------------------- */

/* Undo mountinfo's \ooo escapes (of space, tab, newline, backslash) in
 * place. */
static void passthrough_unescape(char *text)
{
	char *out = text;

	while (*text) {
		if (text[0] == '\\' && text[1] >= '0' && text[1] <= '3' &&
		    text[2] >= '0' && text[2] <= '7' && text[3] >= '0' &&
		    text[3] <= '7') {
			*out++ = (char)((text[1] - '0') * 64 +
					(text[2] - '0') * 8 + (text[3] - '0'));
			text += 4;
		} else {
			*out++ = *text++;
		}
	}
	*out = '\0';
}

struct passthrough_mount_entry {
	char *mountpoint;
	char *fstype;
	char *source;
	char *options; /* the superblock's: the FUSE mount options */
};

/* Split one line of /proc/self/mountinfo in place; see proc(5):
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
 */
static bool passthrough_parse_mount(char *line,
				    struct passthrough_mount_entry *entry)
{
	char *fields[64];
	char *save = NULL;
	int count = 0;
	int separator;

	for (char *field = strtok_r(line, " \n", &save); field && count < 64;
	     field = strtok_r(NULL, " \n", &save))
		fields[count++] = field;
	separator = 6;
	while (separator < count && strcmp(fields[separator], "-") != 0)
		separator++;
	if (separator + 3 >= count)
		return false;
	entry->mountpoint = fields[4];
	entry->fstype = fields[separator + 1];
	entry->source = fields[separator + 2];
	entry->options = fields[separator + 3];
	passthrough_unescape(entry->mountpoint);
	passthrough_unescape(entry->source);
	return true;
}

static bool passthrough_is_fuse(const char *fstype)
{
	return strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
	       strncmp(fstype, "fuse.", 5) == 0 ||
	       strncmp(fstype, "fuseblk.", 8) == 0;
}

static void passthrough_free_strings(char **strings)
{
	if (!strings)
		return;
	for (char **s = strings; *s; s++)
		free(*s);
	free(strings);
}

/* The mountpoints of the FUSE mounts fusehostd serves (it names them
 * fusehost:NAME), as a NULL-terminated array; NULL with errno set if the
 * table cannot be read. */
static char **passthrough_served_mounts(void)
{
	struct passthrough_mount_entry entry;
	size_t count = 0, capacity = 8;
	char **mounts, **grown;
	char *line = NULL;
	size_t line_size = 0;
	FILE *table;

	table = fopen("/proc/self/mountinfo", "re");
	if (!table)
		return NULL;
	mounts = calloc(capacity, sizeof(*mounts));
	if (!mounts)
		goto fail;
	while (getline(&line, &line_size, table) >= 0) {
		if (!passthrough_parse_mount(line, &entry) ||
		    !passthrough_is_fuse(entry.fstype) ||
		    strncmp(entry.source, "fusehost:", 9) != 0)
			continue;
		if (count + 1 == capacity) {
			capacity *= 2;
			grown = realloc(mounts, capacity * sizeof(*mounts));
			if (!grown)
				goto fail;
			mounts = grown;
		}
		mounts[count] = strdup(entry.mountpoint);
		if (!mounts[count])
			goto fail;
		mounts[++count] = NULL;
	}
	free(line);
	fclose(table);
	return mounts;
fail:
	free(line);
	fclose(table);
	passthrough_free_strings(mounts);
	errno = ENOMEM;
	return NULL;
}

/* The served mount `path` is at or below, or NULL. */
static const char *passthrough_served_by(char *const *mounts, const char *path)
{
	for (char *const *m = mounts; *m; m++) {
		size_t length = strlen(*m);

		if (strcmp(*m, "/") == 0 ||
		    (strncmp(path, *m, length) == 0 &&
		     (path[length] == '\0' || path[length] == '/')))
			return *m;
	}
	return NULL;
}

static int passthrough_refuse_served(struct fusehost_mount *mount,
				     const char *root, const char *served)
{
	fusehost_set_error(mount,
			   "root %s is inside %s, a mount served by fusehostd; "
			   "a plugin reading its own daemon's mount deadlocks",
			   root, served);
	return -EDEADLK;
}

/* "root ROOT: No such file or directory", naming the part of
 * ROOT at fault when it is not ROOT itself. */
static void passthrough_root_error(struct fusehost_mount *mount,
				   const char *root, const char *part, int err)
{
	if (strcmp(root, part) == 0)
		fusehost_set_error(mount, "root %s: %s", root,
				   strerror(err));
	else
		fusehost_set_error(mount, "root %s: %s: %s", root,
				   part, strerror(err));
}

/* realpath(), except that nothing at or below a served mountpoint is
 * touched: asking a mount of this daemon from inside it (here during
 * .open(), possibly before it serves) can hang for good.  Returns a
 * malloc'ed path, or a negative errno after setting the error. */
static int passthrough_resolve_root(struct fusehost_mount *mount,
				    const char *root, char *const *served,
				    char **result)
{
	char resolved[PATH_MAX] = ""; /* "" is "/" */
	char target[PATH_MAX];
	char *todo, *rest, *joined;
	const char *mountpoint;
	int links = 0;
	struct stat st;
	ssize_t length;

	todo = strdup(root);
	if (!todo)
		return -ENOMEM;
	rest = todo;
	for (;;) {
		size_t before = strlen(resolved), component_length;
		char *component;

		rest += strspn(rest, "/");
		if (!*rest)
			break;
		component = rest;
		component_length = strcspn(rest, "/");
		rest += component_length;
		if (component_length == 1 && component[0] == '.')
			continue;
		if (component_length == 2 && component[0] == '.' &&
		    component[1] == '.') {
			/* resolved has no symlinks: its parent is lexical */
			char *slash = strrchr(resolved, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		if (before + 1 + component_length >= sizeof(resolved)) {
			fusehost_set_error(mount, "root %s: path too long",
					   root);
			free(todo);
			return -ENAMETOOLONG;
		}
		resolved[before] = '/';
		memcpy(resolved + before + 1, component, component_length);
		resolved[before + 1 + component_length] = '\0';
		mountpoint = passthrough_served_by(served, resolved);
		if (mountpoint) {
			free(todo);
			return passthrough_refuse_served(mount, root,
							 mountpoint);
		}
		if (lstat(resolved, &st)) {
			int err = errno;

			passthrough_root_error(mount, root, resolved, err);
			free(todo);
			return -err;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		length = readlink(resolved, target, sizeof(target) - 1);
		if (length < 0 || ++links > PASSTHROUGH_MAX_SYMLINKS) {
			int err = length < 0 ? errno : ELOOP;

			passthrough_root_error(mount, root, resolved, err);
			free(todo);
			return -err;
		}
		target[length] = '\0';
		resolved[before] = '\0';
		if (target[0] == '/')
			resolved[0] = '\0';
		if (asprintf(&joined, "%s/%s", target, rest) < 0) {
			free(todo);
			return -ENOMEM;
		}
		free(todo);
		todo = rest = joined;
	}
	free(todo);
	if (!resolved[0])
		strcpy(resolved, "/");
	mountpoint = passthrough_served_by(served, resolved);
	if (mountpoint)
		return passthrough_refuse_served(mount, root, mountpoint);
	*result = strdup(resolved);
	return *result ? 0 : -ENOMEM;
}

/* Open the root, after making sure that doing so does not go through a
 * mount of this daemon (see passthrough_resolve_root()). */
static int passthrough_open_root(struct fusehost_mount *mount, const char *root)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	char opened[PATH_MAX];
	const char *mountpoint;
	char *resolved = NULL;
	char **served;
	ssize_t length;
	int fd, err;

	if (root[0] != '/') {
		fusehost_set_error(
		    mount, "option root: %s is not an absolute path", root);
		return -EINVAL;
	}
	served = passthrough_served_mounts();
	if (!served) {
		err = errno;
		fusehost_set_error(mount,
				   "cannot read /proc/self/mountinfo: %s",
				   strerror(err));
		return -err;
	}
	err = passthrough_resolve_root(mount, root, served, &resolved);
	if (err)
		goto out;
	fd = open(resolved, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (errno == ENOTDIR)
			fusehost_set_error(mount, "root %s is not a directory",
					   root);
		else
			fusehost_set_error(mount, "root %s: %s", root,
					   strerror(errno));
		goto out;
	}
	/* Where it really is, should something have moved meanwhile; asking
	 * /proc does not touch the directory. */
	passthrough_proc_fd(fd, proc);
	length = readlink(proc, opened, sizeof(opened) - 1);
	if (length > 0) {
		opened[length] = '\0';
		mountpoint = passthrough_served_by(served, opened);
		if (mountpoint) {
			close(fd);
			err =
			    passthrough_refuse_served(mount, root, mountpoint);
			goto out;
		}
	}
	err = fd;
out:
	free(resolved);
	passthrough_free_strings(served);
	return err;
}

/* Where `mountpoint` is below `root` ("a/b"), or NULL if it is not
 * strictly below it. */
static const char *passthrough_below(const char *root, const char *mountpoint)
{
	size_t length = strlen(root);

	if (strcmp(root, "/") == 0)
		return mountpoint[1] ? mountpoint + 1 : NULL;
	if (strncmp(mountpoint, root, length) == 0 &&
	    mountpoint[length] == '/' && mountpoint[length + 1])
		return mountpoint + length + 1;
	return NULL;
}

/* A mount of this daemon below the root, this mount's own included, is
 * listed but never entered: a worker that looks into a mount of its own
 * daemon waits for another worker, and a mount that shows itself inside
 * itself does so at every depth, so that a deep enough path (or a find)
 * takes every thread and the mount hangs for good.  Two mounts that show
 * each other are cut by the later one: the mounts are read here, at init,
 * when this mount and every earlier one are in the table. */
static void passthrough_fence_served(struct passthrough *pt)
{
	char proc[PASSTHROUGH_PROC_FD_SIZE];
	char root[PATH_MAX];
	size_t count = 0;
	char **served;
	ssize_t length;

	passthrough_proc_fd(pt->root_fd, proc);
	length = readlink(proc, root, sizeof(root) - 1);
	served = passthrough_served_mounts();
	if (length <= 0 || !served) {
		fusehost_log(pt->mount, FUSEHOST_LOG_WARNING,
			     "cannot tell which mounts of fusehostd are "
			     "inside root %s (%s); the mirror enters them, "
			     "and one that leads back to this mount hangs it",
			     pt->root, strerror(errno));
		passthrough_free_strings(served);
		return;
	}
	root[length] = '\0';
	/* Kept in place: served[] is NULL-terminated and at least as long. */
	for (char **m = served; *m; m++) {
		char *mountpoint = *m;
		const char *below = passthrough_below(root, mountpoint);
		char *relative = below ? strdup(below) : NULL;

		if (relative) {
			fusehost_log(pt->mount, FUSEHOST_LOG_INFO,
				     "%s, a mount of fusehostd, is inside "
				     "root %s: it is listed but not entered "
				     "(looking into it fails with EXDEV)",
				     mountpoint, pt->root);
			served[count++] = relative;
		}
		free(mountpoint);
	}
	served[count] = NULL;
	if (count)
		pt->fenced = served;
	else
		free(served);
}

/* Whether the option list (comma-separated) has `name`. */
static bool passthrough_has_option(const char *options, const char *name)
{
	size_t length = strlen(name);

	for (const char *o = options; o; o = strchr(o, ',')) {
		if (*o == ',')
			o++;
		if (strncmp(o, name, length) == 0 &&
		    (o[length] == ',' || o[length] == '\0'))
			return true;
	}
	return false;
}

/* Without default_permissions the kernel checks nothing and neither does
 * this plugin: with allow_other every user gets the daemon's access to the
 * backing directory.  The mount options are not the plugin's to see, so
 * read them back from the mount table (by fsname; best effort). */
static void passthrough_check_permissions(struct passthrough *pt)
{
	struct passthrough_mount_entry entry;
	bool found = false, checked = false, allow_other = false;
	char *line = NULL, *fsname;
	size_t line_size = 0;
	FILE *table;

	if (asprintf(&fsname, "fusehost:%s", fusehost_mount_name(pt->mount)) <
	    0)
		return;
	table = fopen("/proc/self/mountinfo", "re");
	while (table && getline(&line, &line_size, table) >= 0) {
		if (!passthrough_parse_mount(line, &entry) ||
		    !passthrough_is_fuse(entry.fstype) ||
		    strcmp(entry.source, fsname) != 0)
			continue;
		/* The last one is the newest: ours. */
		found = true;
		checked = passthrough_has_option(entry.options,
						 "default_permissions");
		allow_other =
		    passthrough_has_option(entry.options, "allow_other");
	}
	if (table)
		fclose(table);
	free(line);
	free(fsname);
	if (found && allow_other && !checked)
		fusehost_log(pt->mount, FUSEHOST_LOG_WARNING,
			     "mounted with allow_other but without "
			     "default_permissions: nothing checks "
			     "permissions, and every user has the daemon's "
			     "access to %s; add default_permissions to the "
			     "mount's options",
			     pt->root);
}

/* ---- Instances ---------------------------------------------------------- */

/* Whether objects can be given to their callers: CAP_CHOWN, which root
 * has unless a sandbox took it (an isolated mount's process). */
static bool passthrough_can_chown(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data) < 0)
		return geteuid() == 0;
	return data[0].effective & (1u << CAP_CHOWN);
}

static void *passthrough_init(struct fuse_conn_info *conn,
			      struct fuse_config *cfg)
{
	struct passthrough *pt = passthrough_instance();

	cfg->use_ino = 1;
	/* Every operation given a handle uses only the handle. */
	cfg->nullpath_ok = 1;
	/* Not hard_remove: see passthrough_hide(). */
	cfg->hard_remove = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->direct_io = 0;
	switch (pt->cache) {
	case PASSTHROUGH_CACHE_NONE:
		cfg->entry_timeout = 0;
		cfg->attr_timeout = 0;
		cfg->negative_timeout = 0;
		cfg->direct_io = 1;
		break;
	case PASSTHROUGH_CACHE_AUTO:
		cfg->entry_timeout = (double)pt->timeout;
		cfg->attr_timeout = (double)pt->timeout;
		cfg->negative_timeout = (double)pt->timeout;
		cfg->auto_cache = 1;
		break;
	case PASSTHROUGH_CACHE_ALWAYS:
		cfg->entry_timeout = (double)pt->timeout;
		cfg->attr_timeout = (double)pt->timeout;
		cfg->negative_timeout = (double)pt->timeout;
		cfg->kernel_cache = 1;
		break;
	}
	/* Splice reading is on already, because write_buf exists. */
	conn->want |=
	    conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	if (pt->writeback_wanted) {
		if (conn->capable & FUSE_CAP_WRITEBACK_CACHE) {
			conn->want |= FUSE_CAP_WRITEBACK_CACHE;
			pt->writeback = true;
		} else {
			fusehost_log(pt->mount, FUSEHOST_LOG_WARNING,
				     "the kernel has no writeback cache; "
				     "writes go straight to the backing "
				     "files");
		}
	}
	/* Here rather than in open(): an isolated mount's process gives up
	 * its user and capabilities between the two. */
	pt->euid = geteuid();
	pt->egid = getegid();
	pt->as_root = passthrough_can_chown();
	if (!pt->as_root)
		fusehost_log(pt->mount, FUSEHOST_LOG_INFO,
			     "serving as uid %u without privileges: callers "
			     "reach only what uid %u may by the files' modes "
			     "(EACCES elsewhere, EPERM for chown), and what "
			     "they create belongs to uid %u",
			     (unsigned)pt->euid, (unsigned)pt->euid,
			     (unsigned)pt->euid);
	passthrough_check_permissions(pt);
	passthrough_fence_served(pt);
	return fuse_get_context()->private_data;
}

/* The process umask, without changing it (umask() would, for a moment,
 * for every thread of the daemon). */
static mode_t passthrough_read_umask(void)
{
	unsigned int value;
	char *line = NULL;
	size_t line_size = 0;
	mode_t result = 0777; /* unknown: always restore modes */
	FILE *status;

	status = fopen("/proc/self/status", "re");
	if (!status)
		return result;
	while (getline(&line, &line_size, status) >= 0) {
		if (sscanf(line, "Umask: %o", &value) == 1) {
			result = (mode_t)value & 0777;
			break;
		}
	}
	free(line);
	fclose(status);
	return result;
}

static void passthrough_close_instance(void *instance)
{
	struct passthrough *pt = instance;
	struct passthrough_lock_owner *o, *next;
	struct passthrough_hidden *h, *h_next;

	/* First: a file's flock() locks go with its descriptor. */
	passthrough_handles_close_all(&pt->handles, passthrough_dir_close);
	for (o = pt->lock_owners; o; o = next) {
		next = o->next;
		passthrough_lock_owner_free(o);
	}
	for (h = pt->hidden; h; h = h_next) {
		h_next = h->next;
		passthrough_hidden_free(h);
	}
	pthread_mutex_destroy(&pt->devs_lock);
	pthread_mutex_destroy(&pt->hidden_lock);
	pthread_mutex_destroy(&pt->locks_lock);
	passthrough_free_strings(pt->fenced);
	close(pt->root_fd);
	free(pt->root);
	free(pt);
}

/* Before Linux 5.6, or under a system call filter that refuses it (with
 * ENOSYS or EPERM), there is no openat2(): refuse the mount rather than
 * serve it with openat(), which keeps only the last component of a path
 * from following a symlink. */
static int passthrough_check_openat2(struct fusehost_mount *mount,
				     const char *root, int root_fd)
{
	int fd;

	fd = passthrough_open_beneath(root_fd, ".");
	if (fd < 0) {
		fusehost_set_error(mount,
				   "root %s: openat2: %s (passthrough needs "
				   "openat2, Linux 5.6 or later, to keep paths "
				   "inside root)",
				   root, strerror(-fd));
		return fd;
	}
	close(fd);
	return 0;
}

static int passthrough_open_instance(struct fusehost_mount *mount,
				     void **instance)
{
	const char *root = fusehost_option_string(mount, "root");
	const char *cache = fusehost_option_string(mount, "cache");
	enum passthrough_cache cache_mode;
	bool writeback = false;
	int64_t timeout = 1;
	struct passthrough *pt;
	struct stat root_st;
	int r;

	if (!root || !*root) {
		fusehost_set_error(mount, "option root: required, the "
					  "absolute path of the directory to "
					  "mirror");
		return -EINVAL;
	}
	if (!cache || strcmp(cache, "auto") == 0) {
		cache_mode = PASSTHROUGH_CACHE_AUTO;
	} else if (strcmp(cache, "none") == 0) {
		cache_mode = PASSTHROUGH_CACHE_NONE;
	} else if (strcmp(cache, "always") == 0) {
		cache_mode = PASSTHROUGH_CACHE_ALWAYS;
	} else {
		fusehost_set_error(mount,
				   "option cache: %s is not none, auto or "
				   "always",
				   cache);
		return -EINVAL;
	}
	r = fusehost_option_bool(mount, "writeback", &writeback);
	if (r && r != -ENOENT) {
		fusehost_set_error(mount,
				   "option writeback: not true or false");
		return -EINVAL;
	}
	r = fusehost_option_int(mount, "timeout", &timeout);
	if (r && r != -ENOENT) {
		fusehost_set_error(mount, "option timeout: not a number of "
					  "seconds");
		return -EINVAL;
	}
	if (timeout < 0 || timeout > PASSTHROUGH_MAX_TIMEOUT) {
		fusehost_set_error(mount,
				   "option timeout: %lld is not between 0 and "
				   "%d seconds",
				   (long long)timeout, PASSTHROUGH_MAX_TIMEOUT);
		return -EINVAL;
	}
	if (writeback && cache_mode == PASSTHROUGH_CACHE_NONE) {
		fusehost_set_error(mount, "option writeback: needs cache=auto "
					  "or cache=always; cache=none sends "
					  "every write straight through");
		return -EINVAL;
	}

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->root = strdup(root);
	if (!pt->root) {
		free(pt);
		return -ENOMEM;
	}
	pt->root_fd = passthrough_open_root(mount, root);
	if (pt->root_fd < 0) {
		r = pt->root_fd;
		free(pt->root);
		free(pt);
		return r;
	}
	if (fstat(pt->root_fd, &root_st)) {
		r = -errno;
		fusehost_set_error(mount, "root %s: %s", root, strerror(errno));
	} else {
		r = passthrough_check_openat2(mount, root, pt->root_fd);
	}
	if (r) {
		close(pt->root_fd);
		free(pt->root);
		free(pt);
		return r;
	}
	pt->root_dev = root_st.st_dev;
	pt->mount = mount;
	pt->cache = cache_mode;
	pt->timeout = timeout;
	pt->writeback_wanted = writeback;
	pt->umask = passthrough_read_umask();
	pthread_mutex_init(&pt->locks_lock, NULL);
	pthread_mutex_init(&pt->hidden_lock, NULL);
	pthread_mutex_init(&pt->devs_lock, NULL);
	passthrough_handles_init(&pt->handles);
	*instance = pt;
	return 0;
}

static const struct fuse_operations passthrough_operations = {
	.init = passthrough_init,
	.getattr = passthrough_getattr,
	.readlink = passthrough_readlink,
	.mknod = passthrough_mknod,
	.mkdir = passthrough_mkdir,
	.unlink = passthrough_unlink,
	.rmdir = passthrough_rmdir,
	.symlink = passthrough_symlink,
	.rename = passthrough_rename,
	.link = passthrough_link,
	.chmod = passthrough_chmod,
	.chown = passthrough_chown,
	.truncate = passthrough_truncate,
	.open = passthrough_open,
	.read = passthrough_read,
	.write = passthrough_write,
	.statfs = passthrough_statfs,
	.flush = passthrough_flush,
	.release = passthrough_release,
	.fsync = passthrough_fsync,
	.setxattr = passthrough_setxattr,
	.getxattr = passthrough_getxattr,
	.listxattr = passthrough_listxattr,
	.removexattr = passthrough_removexattr,
	.opendir = passthrough_opendir,
	.readdir = passthrough_readdir,
	.releasedir = passthrough_releasedir,
	.fsyncdir = passthrough_fsyncdir,
	.create = passthrough_create,
	.lock = passthrough_lock,
	.utimens = passthrough_utimens,
	.write_buf = passthrough_write_buf,
	.read_buf = passthrough_read_buf,
	.flock = passthrough_flock,
	.fallocate = passthrough_fallocate,
	.copy_file_range = passthrough_copy_file_range,
	.lseek = passthrough_lseek,
};

static const struct fusehost_option passthrough_options[] = {
	{ .name = "root",
	  .help = "absolute path of the directory to mirror; mount with "
		  "default_permissions: this plugin checks no permissions, "
		  "and a daemon run as root can reach everything below root",
	  .required = true },
	{ .name = "cache",
	  .help = "none: no kernel caching, every read and write reaches the "
		  "backing file (slowest; shared writable mmap fails with "
		  "ENODEV); auto: names and attributes cached for `timeout`, "
		  "file data kept across opens while size and mtime are "
		  "unchanged (others' changes seen within `timeout`); always: "
		  "file data kept across opens, so files changed in the "
		  "backing directory by others may read stale until the "
		  "timeout passes and the change of size or mtime is noticed",
	  .default_value = "auto" },
	{ .name = "writeback",
	  .help = "true: the kernel gathers writes and sends them later "
		  "(faster small writes); risks: data not fsync'ed is lost "
		  "with the machine, others using the backing files directly "
		  "may see stale data, and appends race with their writes; "
		  "needs cache=auto or always",
	  .default_value = "false" },
	{ .name = "timeout",
	  .help = "seconds the kernel trusts names and attributes (and "
		  "missing names) with cache=auto or always; changes made "
		  "directly in the backing directory, and the link count and "
		  "ctime of the other names of a hard-linked file after an "
		  "unlink, may show up this late",
	  .default_value = "1" },
	{ 0 },
};

static struct fusehost_plugin passthrough_plugin = {
	.name = "passthrough",
	.version = "1.0",
	.description = "mirror a directory of the host",
	.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
	.options = passthrough_options,
	.open = passthrough_open_instance,
	.close = passthrough_close_instance,
	.operations = &passthrough_operations,
};

FUSEHOST_REGISTER_PLUGIN(passthrough_plugin)
