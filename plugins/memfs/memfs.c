/* memfs: a complete in-memory POSIX filesystem, one independent tree per
 * mount, gone at unmount.  It aims to be indistinguishable from tmpfs
 * through the high-level libfuse API: link counts, sizes, timestamps, error
 * codes and space accounting (4 KiB pages; holes cost nothing). */
#define _GNU_SOURCE
#include <fusehost/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

#define MEMFS_PAGE_SHIFT 12
#define MEMFS_PAGE_SIZE ((size_t)1 << MEMFS_PAGE_SHIFT)
#define MEMFS_PAGE_MASK (MEMFS_PAGE_SIZE - 1)
#define MEMFS_NAME_MAX 255
/* tmpfs reports a directory's size as 20 bytes per entry, . and .. included;
 * some programs size buffers from it, so report the same. */
#define MEMFS_DIRENT_SIZE 20
/* tmpfs keeps a symlink target in one page, NUL included, and targets
 * longer than this inline size cost it that page of space. */
#define MEMFS_SYMLINK_MAX (MEMFS_PAGE_SIZE - 1)
#define MEMFS_SYMLINK_INLINE 127
#define MEMFS_DEFAULT_SIZE ((uint64_t)256 << 20)
#define MEMFS_DEFAULT_MAX_FILES 1000000

/* Page indexes are stored as GTree keys inside pointers: offsets up to 2^63
 * need 51 bits. */
G_STATIC_ASSERT(sizeof(gsize) >= 8);

struct memfs_xattr {
	size_t size;
	char *value;
	char name[]; /* NUL-terminated */
};

struct memfs_inode {
	/* Every inode of the instance, so close() frees the ones that were
	 * still open (unlinked) when the mount went away. */
	struct memfs_inode *prev, *next;
	pthread_mutex_t lock;
	uint64_t ino;
	mode_t mode;
	nlink_t nlink;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	off_t size;     /* regular files and symlinks */
	uint64_t pages; /* pages of space charged to this inode */
	struct timespec atime, mtime, ctime;
	unsigned int open_count; /* atomic: open file and directory handles */
	GPtrArray *xattrs;       /* of struct memfs_xattr; NULL when none */
	union {
		struct {
			GHashTable *entries; /* name -> struct memfs_inode */
			/* NULL for the root and for removed directories. */
			struct memfs_inode *parent;
		} dir;
		GTree *pages;  /* regular file: page index -> 4 KiB page */
		char *target;  /* symlink */
	} u;
};

/* Locking.  tree_lock guards the namespace and every inode field that only
 * namespace and setattr operations change; those take it for writing.  Data
 * operations (read, write, fallocate, lseek) take it for reading plus the
 * inode's own mutex, so I/O on different files runs in parallel and never
 * waits for lookups.  Hence the fields they change under the read lock
 * (size, pages, timestamps) are read only with the inode mutex or the write
 * lock held.  Order: tree_lock, then at most one inode mutex. */
struct memfs {
	pthread_rwlock_t tree_lock;
	struct memfs_inode *root;
	struct memfs_inode *inodes; /* list through prev/next */
	uint64_t next_ino;
	uint64_t capacity;    /* bytes, a whole number of pages */
	uint64_t used;        /* atomic: bytes of pages and xattrs */
	uint64_t max_inodes;
	uint64_t used_inodes; /* atomic: inodes plus extra hard links */
	double timeout;       /* kernel's entry and attribute cache, seconds */
};

static struct memfs *memfs_instance(void)
{
	return fuse_get_context()->private_data;
}

static struct timespec memfs_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now;
}

static int memfs_timespec_cmp(const struct timespec *a,
			      const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* The kernel leaves atime to FUSE filesystems; apply the relatime rule a
 * default tmpfs mount uses.  Caller holds n->lock or the write lock. */
static void memfs_touch_atime(struct memfs_inode *n)
{
	struct timespec now = memfs_now();

	if (memfs_timespec_cmp(&n->atime, &n->mtime) <= 0 ||
	    memfs_timespec_cmp(&n->atime, &n->ctime) <= 0 ||
	    now.tv_sec - n->atime.tv_sec >= 24 * 60 * 60)
		n->atime = now;
}

/* Counters shared by threads holding only the read lock, and read by
 * statfs without any lock. */
static bool memfs_reserve(uint64_t *used, uint64_t limit, uint64_t amount)
{
	uint64_t current = __atomic_load_n(used, __ATOMIC_RELAXED);

	do {
		if (current > limit || amount > limit - current)
			return false;
	} while (!__atomic_compare_exchange_n(used, &current,
					      current + amount, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void memfs_unreserve(uint64_t *used, uint64_t amount)
{
	__atomic_fetch_sub(used, amount, __ATOMIC_RELAXED);
}

/* Stands for every page fallocate reserved and nothing has written yet:
 * such pages read as zeros and count as allocated but, as on tmpfs, are
 * holes to SEEK_DATA; sharing one zero page keeps them free of memory. */
static const char memfs_unwritten_page[MEMFS_PAGE_SIZE];
#define MEMFS_UNWRITTEN ((char *)memfs_unwritten_page)

static gint memfs_page_cmp(gconstpointer a, gconstpointer b)
{
	gsize x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);

	return x < y ? -1 : x > y;
}

static size_t memfs_xattr_cost(const struct memfs_xattr *x)
{
	return strlen(x->name) + x->size;
}

static void memfs_xattr_free(gpointer data)
{
	struct memfs_xattr *x = data;

	free(x->value);
	free(x);
}

/* The caller has reserved the inode slot. */
static struct memfs_inode *memfs_inode_new(struct memfs *fs, mode_t mode,
					   uid_t uid, gid_t gid, dev_t rdev)
{
	struct memfs_inode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->ino = fs->next_ino++;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->rdev = rdev;
	n->atime = n->mtime = n->ctime = memfs_now();
	if (S_ISDIR(mode)) {
		n->u.dir.entries = g_hash_table_new_full(g_str_hash,
							 g_str_equal, g_free,
							 NULL);
		n->nlink = 2;
	} else if (S_ISREG(mode)) {
		n->u.pages = g_tree_new(memfs_page_cmp);
	}
	n->next = fs->inodes;
	if (fs->inodes)
		fs->inodes->prev = n;
	fs->inodes = n;
	return n;
}

static gboolean memfs_free_page(gpointer key, gpointer value, gpointer data)
{
	(void)key;
	(void)data;
	if (value != MEMFS_UNWRITTEN)
		free(value);
	return FALSE;
}

static void memfs_inode_free(struct memfs *fs, struct memfs_inode *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		fs->inodes = n->next;
	if (n->next)
		n->next->prev = n->prev;

	memfs_unreserve(&fs->used, n->pages * MEMFS_PAGE_SIZE);
	if (S_ISREG(n->mode)) {
		g_tree_foreach(n->u.pages, memfs_free_page, NULL);
		g_tree_destroy(n->u.pages);
	} else if (S_ISDIR(n->mode)) {
		g_hash_table_destroy(n->u.dir.entries);
	} else if (S_ISLNK(n->mode)) {
		g_free(n->u.target);
	}
	if (n->xattrs) {
		for (guint i = 0; i < n->xattrs->len; i++)
			memfs_unreserve(&fs->used, memfs_xattr_cost(
					g_ptr_array_index(n->xattrs, i)));
		g_ptr_array_free(n->xattrs, TRUE);
	}
	pthread_mutex_destroy(&n->lock);
	free(n);
	memfs_unreserve(&fs->used_inodes, 1);
}

/* An inode lives while a name or an open handle refers to it.  Caller holds
 * the write lock. */
static void memfs_inode_put(struct memfs *fs, struct memfs_inode *n)
{
	if (n->nlink == 0 &&
	    __atomic_load_n(&n->open_count, __ATOMIC_RELAXED) == 0)
		memfs_inode_free(fs, n);
}

/* ---- Path resolution -------------------------------------------------- */

/* Resolve the first len bytes of path. */
static int memfs_walk(struct memfs *fs, const char *path, size_t len,
		      struct memfs_inode **out)
{
	struct memfs_inode *n = fs->root;
	char name[MEMFS_NAME_MAX + 1];
	size_t i = 0;

	while (i < len) {
		size_t start, name_len;

		if (path[i] == '/') {
			i++;
			continue;
		}
		start = i;
		while (i < len && path[i] != '/')
			i++;
		name_len = i - start;
		if (!S_ISDIR(n->mode))
			return -ENOTDIR;
		if (name_len > MEMFS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, path + start, name_len);
		name[name_len] = '\0';
		n = g_hash_table_lookup(n->u.dir.entries, name);
		if (!n)
			return -ENOENT;
	}
	*out = n;
	return 0;
}

static int memfs_lookup(struct memfs *fs, const char *path,
			struct memfs_inode **out)
{
	if (!path)
		return -ENOENT;
	return memfs_walk(fs, path, strlen(path), out);
}

/* Find the directory that holds path's last component and copy that
 * component to name. */
static int memfs_lookup_parent(struct memfs *fs, const char *path,
			       struct memfs_inode **dir, char *name)
{
	size_t len, base_len;
	const char *base;
	int r;

	if (!path)
		return -ENOENT;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	base = memrchr(path, '/', len);
	base = base ? base + 1 : path;
	base_len = (size_t)(path + len - base);
	if (base_len == 0)
		return -EBUSY; /* the root has no parent to change */
	if (base_len > MEMFS_NAME_MAX)
		return -ENAMETOOLONG;
	r = memfs_walk(fs, path, (size_t)(base - path), dir);
	if (r)
		return r;
	if (!S_ISDIR((*dir)->mode))
		return -ENOTDIR;
	memcpy(name, base, base_len);
	name[base_len] = '\0';
	return 0;
}

/* With nullpath_ok, operations on open files get no path: the handle is the
 * inode, which also keeps working after the file is unlinked or renamed. */
static int memfs_resolve(struct memfs *fs, const char *path,
			 const struct fuse_file_info *fi,
			 struct memfs_inode **out)
{
	if (fi && fi->fh) {
		*out = (struct memfs_inode *)(uintptr_t)fi->fh;
		return 0;
	}
	return memfs_lookup(fs, path, out);
}

static void memfs_attach(struct memfs_inode *dir, const char *name,
			 struct memfs_inode *n)
{
	g_hash_table_insert(dir->u.dir.entries, g_strdup(name), n);
	if (S_ISDIR(n->mode)) {
		n->u.dir.parent = dir;
		dir->nlink++;
	} else {
		n->nlink++;
	}
}

static void memfs_detach(struct memfs_inode *dir, const char *name,
			 struct memfs_inode *n)
{
	g_hash_table_remove(dir->u.dir.entries, name);
	if (S_ISDIR(n->mode)) {
		n->u.dir.parent = NULL;
		dir->nlink--;
	} else {
		n->nlink--;
	}
}

/* Remove a name the way unlink, rmdir and a replacing rename do; the caller
 * then drops the inode with memfs_inode_put(). */
static void memfs_remove_entry(struct memfs *fs, struct memfs_inode *dir,
			       const char *name, struct memfs_inode *n,
			       const struct timespec *now)
{
	/* Like tmpfs, each extra hard link holds an inode slot, which bounds
	 * the memory names can take. */
	if (!S_ISDIR(n->mode) && n->nlink > 1)
		memfs_unreserve(&fs->used_inodes, 1);
	memfs_detach(dir, name, n);
	if (S_ISDIR(n->mode))
		n->nlink = 0;
	n->ctime = *now;
}

/* Make an inode, owned by the caller, to be attached to dir; target is the
 * symlink's.  Caller holds the write lock. */
static int memfs_new_child(struct memfs *fs, struct memfs_inode *dir,
			   mode_t mode, dev_t rdev, const char *target,
			   struct memfs_inode **out)
{
	const struct fuse_context *caller = fuse_get_context();
	bool long_target = target && strlen(target) > MEMFS_SYMLINK_INLINE;
	gid_t gid = caller->gid;
	struct memfs_inode *n;

	/* A setgid directory passes on its group, and to subdirectories
	 * the setgid bit too (the kernel has already dropped S_ISGID from
	 * the mode of a caller outside that group). */
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	if (!memfs_reserve(&fs->used_inodes, fs->max_inodes, 1))
		return -ENOSPC;
	if (long_target &&
	    !memfs_reserve(&fs->used, fs->capacity, MEMFS_PAGE_SIZE)) {
		memfs_unreserve(&fs->used_inodes, 1);
		return -ENOSPC;
	}
	n = memfs_inode_new(fs, mode, caller->uid, gid, rdev);
	if (!n) {
		if (long_target)
			memfs_unreserve(&fs->used, MEMFS_PAGE_SIZE);
		memfs_unreserve(&fs->used_inodes, 1);
		return -ENOMEM;
	}
	if (target) {
		n->u.target = g_strdup(target);
		n->size = (off_t)strlen(target);
		n->pages = long_target;
	}
	*out = n;
	return 0;
}

/* Caller holds the write lock. */
static int memfs_make(struct memfs *fs, const char *path, mode_t mode,
		      dev_t rdev, const char *target, struct memfs_inode **out)
{
	char name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *dir, *n;
	int r;

	r = memfs_lookup_parent(fs, path, &dir, name);
	if (r)
		return r;
	if (g_hash_table_contains(dir->u.dir.entries, name))
		return -EEXIST;
	r = memfs_new_child(fs, dir, mode, rdev, target, &n);
	if (r)
		return r;
	memfs_attach(dir, name, n);
	dir->mtime = dir->ctime = n->ctime;
	*out = n;
	return 0;
}

/* Caller holds n->lock or the write lock. */
static void memfs_fill_stat(const struct memfs_inode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	if (S_ISDIR(n->mode))
		st->st_size = (off_t)MEMFS_DIRENT_SIZE *
			      (g_hash_table_size(n->u.dir.entries) + 2);
	else
		st->st_size = n->size;
	st->st_blksize = MEMFS_PAGE_SIZE;
	st->st_blocks = (blkcnt_t)(n->pages * (MEMFS_PAGE_SIZE / 512));
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/* ---- File data ----------------------------------------------------------
 * A regular file is a GTree of 4 KiB pages keyed by index: lookups stay
 * logarithmic, holes cost nothing, and SEEK_DATA/SEEK_HOLE and truncation
 * can walk the pages in order.  Invariant: every byte of a page past the
 * file's size is zero, so growing a file never exposes old data.  Callers
 * hold n->lock (with the read lock) or the write lock. */

static char *memfs_page(const struct memfs_inode *n, uint64_t index)
{
	return g_tree_lookup(n->u.pages, GSIZE_TO_POINTER(index));
}

static void memfs_page_add(struct memfs_inode *n, uint64_t index, char *page)
{
	g_tree_insert(n->u.pages, GSIZE_TO_POINTER(index), page);
	n->pages++;
}

/* Free the pages with index in [first, end). */
static void memfs_pages_drop(struct memfs *fs, struct memfs_inode *n,
			     uint64_t first, uint64_t end)
{
	GTreeNode *node;

	while (first < end &&
	       (node = g_tree_lower_bound(n->u.pages,
					  GSIZE_TO_POINTER(first)))) {
		gpointer key = g_tree_node_key(node);

		char *page = g_tree_node_value(node);

		if (GPOINTER_TO_SIZE(key) >= end)
			break;
		if (page != MEMFS_UNWRITTEN)
			free(page);
		g_tree_remove(n->u.pages, key);
		n->pages--;
		memfs_unreserve(&fs->used, MEMFS_PAGE_SIZE);
	}
}

/* Zero [offset, offset + len) where pages exist; len stays within a page. */
static void memfs_zero_in_page(struct memfs_inode *n, uint64_t offset,
			       size_t len)
{
	char *page = memfs_page(n, offset >> MEMFS_PAGE_SHIFT);

	if (page && page != MEMFS_UNWRITTEN && len)
		memset(page + (offset & MEMFS_PAGE_MASK), 0, len);
}

static void memfs_set_size(struct memfs *fs, struct memfs_inode *n,
			   off_t size)
{
	uint64_t new_size = (uint64_t)size;

	if (size < n->size) {
		memfs_pages_drop(fs, n,
				 (new_size + MEMFS_PAGE_MASK) >>
					 MEMFS_PAGE_SHIFT,
				 UINT64_MAX);
		if (new_size & MEMFS_PAGE_MASK)
			memfs_zero_in_page(n, new_size,
					   MEMFS_PAGE_SIZE -
						   (new_size & MEMFS_PAGE_MASK));
	}
	n->size = size;
}

static int memfs_data_read(struct memfs_inode *n, char *buf, size_t size,
			   off_t offset)
{
	size_t done = 0;

	if (offset >= n->size)
		return 0;
	if (size > (uint64_t)(n->size - offset))
		size = (size_t)(n->size - offset);
	if (size > INT_MAX)
		size = INT_MAX & ~MEMFS_PAGE_MASK;
	while (done < size) {
		uint64_t pos = (uint64_t)offset + done;
		size_t in_page = pos & MEMFS_PAGE_MASK;
		size_t chunk = MIN(MEMFS_PAGE_SIZE - in_page, size - done);
		const char *page = memfs_page(n, pos >> MEMFS_PAGE_SHIFT);

		if (page)
			memcpy(buf + done, page + in_page, chunk);
		else
			memset(buf + done, 0, chunk);
		done += chunk;
	}
	return (int)done;
}

/* Returns the bytes written, short when space ran out part way (as tmpfs
 * does), or a negative errno when nothing was written. */
static int memfs_data_write(struct memfs *fs, struct memfs_inode *n,
			    const char *buf, size_t size, off_t offset)
{
	size_t done = 0;
	int err = 0;

	if (offset < 0)
		return -EINVAL;
	if (size > INT_MAX)
		size = INT_MAX & ~MEMFS_PAGE_MASK;
	if ((uint64_t)offset + size > (uint64_t)INT64_MAX)
		return -EFBIG;
	while (done < size) {
		uint64_t pos = (uint64_t)offset + done;
		uint64_t index = pos >> MEMFS_PAGE_SHIFT;
		size_t in_page = pos & MEMFS_PAGE_MASK;
		size_t chunk = MIN(MEMFS_PAGE_SIZE - in_page, size - done);
		char *page = memfs_page(n, index);

		if (!page || page == MEMFS_UNWRITTEN) {
			/* An unwritten page already has its space. */
			bool charged = page == MEMFS_UNWRITTEN;

			if (!charged && !memfs_reserve(&fs->used, fs->capacity,
						       MEMFS_PAGE_SIZE)) {
				err = -ENOSPC;
				break;
			}
			page = malloc(MEMFS_PAGE_SIZE);
			if (!page) {
				if (!charged)
					memfs_unreserve(&fs->used,
							MEMFS_PAGE_SIZE);
				err = -ENOMEM;
				break;
			}
			memset(page, 0, in_page);
			memset(page + in_page + chunk, 0,
			       MEMFS_PAGE_SIZE - in_page - chunk);
			if (charged)
				g_tree_insert(n->u.pages,
					      GSIZE_TO_POINTER(index), page);
			else
				memfs_page_add(n, index, page);
		}
		memcpy(page + in_page, buf + done, chunk);
		done += chunk;
	}
	if (done == 0)
		return err;
	if ((uint64_t)offset + done > (uint64_t)n->size)
		n->size = (off_t)((uint64_t)offset + done);
	n->mtime = n->ctime = memfs_now();
	return (int)done;
}

/* ---- Operations --------------------------------------------------------- */

static void *memfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Hard links and readdir must show the inode numbers memfs keeps. */
	cfg->use_ino = 1;
	/* Every handle-taking operation works from fi->fh alone, so reads
	 * and writes keep working on a file renamed or unlinked while open. */
	cfg->nullpath_ok = 1;
	/* Yet keep libfuse's .fuse_hidden renaming: the kernel sends fstat,
	 * fchmod, fchown, futimens and f*xattr by inode, not by handle, and
	 * libfuse has no path for a removed inode, so with hard_remove they
	 * would fail with ESTALE on unlinked open files. */
	cfg->hard_remove = 0;
	/* Let the kernel clear setuid/setgid on write, truncate and chown:
	 * it knows the caller's capabilities and groups, memfs does not.
	 * Without atomic O_TRUNC the kernel sends open's truncation as a
	 * setattr, which is the only way it clears those bits then too. */
	conn->want &= ~(unsigned int)(FUSE_CAP_HANDLE_KILLPRIV |
				 FUSE_CAP_ATOMIC_O_TRUNC);
	/* libfuse's high-level API gives each name of a hard-linked file an
	 * inode of its own in the kernel, so cached attributes of one name
	 * go stale when the file changes through another: link counts,
	 * sizes and times are exact only without that cache. */
	cfg->entry_timeout = memfs_instance()->timeout;
	cfg->attr_timeout = memfs_instance()->timeout;
	return fuse_get_context()->private_data;
}

static int memfs_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r) {
		pthread_mutex_lock(&n->lock);
		memfs_fill_stat(n, st);
		pthread_mutex_unlock(&n->lock);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_readlink(const char *path, char *buf, size_t size)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	if (size == 0)
		return -EINVAL;
	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (!r && !S_ISLNK(n->mode))
		r = -EINVAL;
	if (!r) {
		/* libfuse wants a NUL-terminated, possibly truncated copy. */
		size_t len = MIN((size_t)n->size, size - 1);

		memcpy(buf, n->u.target, len);
		buf[len] = '\0';
		pthread_mutex_lock(&n->lock);
		memfs_touch_atime(n);
		pthread_mutex_unlock(&n->lock);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		rdev = 0;
		break;
	case S_IFCHR:
	case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_make(fs, path, mode & (S_IFMT | 07777), rdev, NULL, &n);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_mkdir(const char *path, mode_t mode)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_make(fs, path, S_IFDIR | (mode & 07777), 0, NULL, &n);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_unlink(const char *path)
{
	struct memfs *fs = memfs_instance();
	char name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *dir, *n;
	struct timespec now;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup_parent(fs, path, &dir, name);
	if (r)
		goto out;
	n = g_hash_table_lookup(dir->u.dir.entries, name);
	if (!n) {
		r = -ENOENT;
		goto out;
	}
	if (S_ISDIR(n->mode)) {
		r = -EISDIR;
		goto out;
	}
	now = memfs_now();
	memfs_remove_entry(fs, dir, name, n, &now);
	dir->mtime = dir->ctime = now;
	memfs_inode_put(fs, n);
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_rmdir(const char *path)
{
	struct memfs *fs = memfs_instance();
	char name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *dir, *n;
	struct timespec now;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup_parent(fs, path, &dir, name);
	if (r)
		goto out;
	n = g_hash_table_lookup(dir->u.dir.entries, name);
	if (!n) {
		r = -ENOENT;
		goto out;
	}
	if (!S_ISDIR(n->mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if (g_hash_table_size(n->u.dir.entries) != 0) {
		r = -ENOTEMPTY;
		goto out;
	}
	now = memfs_now();
	memfs_remove_entry(fs, dir, name, n, &now);
	dir->mtime = dir->ctime = now;
	memfs_inode_put(fs, n);
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_symlink(const char *target, const char *path)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	if (strlen(target) > MEMFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_make(fs, path, S_IFLNK | 0777, 0, target, &n);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

/* Is dir the same as, or below, ancestor? */
static bool memfs_is_within(const struct memfs_inode *dir,
			    const struct memfs_inode *ancestor)
{
	for (; dir; dir = dir->u.dir.parent)
		if (dir == ancestor)
			return true;
	return false;
}

static int memfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct memfs *fs = memfs_instance();
	char from_name[MEMFS_NAME_MAX + 1], to_name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *from_dir, *to_dir, *src, *dst, *whiteout = NULL;
	struct timespec now;
	int r;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE |
				    RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) &&
	    (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup_parent(fs, from, &from_dir, from_name);
	if (r)
		goto out;
	r = memfs_lookup_parent(fs, to, &to_dir, to_name);
	if (r)
		goto out;
	src = g_hash_table_lookup(from_dir->u.dir.entries, from_name);
	if (!src) {
		r = -ENOENT;
		goto out;
	}
	dst = g_hash_table_lookup(to_dir->u.dir.entries, to_name);
	if ((flags & RENAME_EXCHANGE) && !dst) {
		r = -ENOENT;
		goto out;
	}
	if ((flags & RENAME_NOREPLACE) && dst) {
		r = -EEXIST;
		goto out;
	}
	/* Two names of one inode: POSIX says do nothing. */
	if (src == dst)
		goto out;
	if (S_ISDIR(src->mode) && memfs_is_within(to_dir, src)) {
		r = -EINVAL;
		goto out;
	}
	now = memfs_now();

	if (flags & RENAME_EXCHANGE) {
		if (S_ISDIR(dst->mode) && memfs_is_within(from_dir, dst)) {
			r = -EINVAL;
			goto out;
		}
		g_hash_table_insert(from_dir->u.dir.entries,
				    g_strdup(from_name), dst);
		g_hash_table_insert(to_dir->u.dir.entries, g_strdup(to_name),
				    src);
		if (S_ISDIR(src->mode)) {
			src->u.dir.parent = to_dir;
			from_dir->nlink--;
			to_dir->nlink++;
		}
		if (S_ISDIR(dst->mode)) {
			dst->u.dir.parent = from_dir;
			to_dir->nlink--;
			from_dir->nlink++;
		}
		src->ctime = dst->ctime = now;
		from_dir->mtime = from_dir->ctime = now;
		to_dir->mtime = to_dir->ctime = now;
		goto out;
	}

	if (dst) {
		if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode)) {
			r = -ENOTDIR;
			goto out;
		}
		if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode)) {
			r = -EISDIR;
			goto out;
		}
		if (S_ISDIR(dst->mode) &&
		    g_hash_table_size(dst->u.dir.entries) != 0) {
			r = -ENOTEMPTY;
			goto out;
		}
	}
	/* overlayfs marks a name deleted with a 0:0 character device; make
	 * it before changing anything so that running out of inodes leaves
	 * the tree as it was. */
	if (flags & RENAME_WHITEOUT) {
		r = memfs_new_child(fs, from_dir, S_IFCHR, makedev(0, 0), NULL,
				    &whiteout);
		if (r)
			goto out;
	}
	if (dst)
		memfs_remove_entry(fs, to_dir, to_name, dst, &now);
	memfs_detach(from_dir, from_name, src);
	memfs_attach(to_dir, to_name, src);
	if (whiteout)
		memfs_attach(from_dir, from_name, whiteout);
	src->ctime = now;
	from_dir->mtime = from_dir->ctime = now;
	to_dir->mtime = to_dir->ctime = now;
	if (dst)
		memfs_inode_put(fs, dst);
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_link(const char *from, const char *to)
{
	struct memfs *fs = memfs_instance();
	char name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *dir, *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup(fs, from, &n);
	if (r)
		goto out;
	if (S_ISDIR(n->mode)) {
		r = -EPERM;
		goto out;
	}
	r = memfs_lookup_parent(fs, to, &dir, name);
	if (r)
		goto out;
	if (g_hash_table_contains(dir->u.dir.entries, name)) {
		r = -EEXIST;
		goto out;
	}
	if (!memfs_reserve(&fs->used_inodes, fs->max_inodes, 1)) {
		r = -ENOSPC;
		goto out;
	}
	memfs_attach(dir, name, n);
	n->ctime = dir->mtime = dir->ctime = memfs_now();
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_chmod(const char *path, mode_t mode,
		       struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r) {
		n->mode = (n->mode & S_IFMT) | (mode & 07777);
		n->ctime = memfs_now();
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_chown(const char *path, uid_t uid, gid_t gid,
		       struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r) {
		if (uid != (uid_t)-1)
			n->uid = uid;
		if (gid != (gid_t)-1)
			n->gid = gid;
		/* As on tmpfs, whoever changes the owner: setuid always
		 * goes, setgid when it means "run as group" rather than
		 * mandatory locking. */
		if (!S_ISDIR(n->mode)) {
			n->mode &= ~(mode_t)S_ISUID;
			if ((n->mode & (S_ISGID | S_IXGRP)) ==
			    (S_ISGID | S_IXGRP))
				n->mode &= ~(mode_t)S_ISGID;
		}
		n->ctime = memfs_now();
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_truncate(const char *path, off_t size,
			  struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	if (size < 0)
		return -EINVAL;
	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r && S_ISDIR(n->mode))
		r = -EISDIR;
	else if (!r && !S_ISREG(n->mode))
		r = -EINVAL;
	/* tmpfs updates the times even when the size stays. */
	if (!r) {
		memfs_set_size(fs, n, size);
		n->mtime = n->ctime = memfs_now();
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_open(const char *path, struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	bool truncate = fi->flags & O_TRUNC;
	struct memfs_inode *n;
	int r;

	/* O_TRUNC arrives here only if the host re-enables atomic O_TRUNC;
	 * it changes size, so it needs the write lock. */
	if (truncate)
		pthread_rwlock_wrlock(&fs->tree_lock);
	else
		pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (!r && S_ISDIR(n->mode) && (fi->flags & O_ACCMODE) != O_RDONLY)
		r = -EISDIR;
	if (!r) {
		if (truncate && S_ISREG(n->mode)) {
			memfs_set_size(fs, n, 0);
			n->mtime = n->ctime = memfs_now();
		}
		__atomic_fetch_add(&n->open_count, 1, __ATOMIC_RELAXED);
		fi->fh = (uintptr_t)n;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_create(const char *path, mode_t mode,
			struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	char name[MEMFS_NAME_MAX + 1];
	struct memfs_inode *dir, *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup_parent(fs, path, &dir, name);
	if (r)
		goto out;
	/* The kernel saw no such name, but another thread may have made
	 * one since; then behave as open(2) would have. */
	n = g_hash_table_lookup(dir->u.dir.entries, name);
	if (n) {
		if (fi->flags & O_EXCL)
			r = -EEXIST;
		else if (S_ISDIR(n->mode))
			r = -EISDIR;
		else if ((fi->flags & O_TRUNC) && S_ISREG(n->mode)) {
			memfs_set_size(fs, n, 0);
			n->mtime = n->ctime = memfs_now();
		}
	} else {
		r = memfs_make(fs, path, S_IFREG | (mode & 07777), 0, NULL,
			       &n);
	}
	if (!r) {
		__atomic_fetch_add(&n->open_count, 1, __ATOMIC_RELAXED);
		fi->fh = (uintptr_t)n;
	}
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_read(const char *path, char *buf, size_t size, off_t offset,
		      struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r && S_ISDIR(n->mode))
		r = -EISDIR;
	else if (!r && !S_ISREG(n->mode))
		r = -EINVAL;
	if (!r) {
		pthread_mutex_lock(&n->lock);
		r = memfs_data_read(n, buf, size, offset);
		memfs_touch_atime(n);
		pthread_mutex_unlock(&n->lock);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_write(const char *path, const char *buf, size_t size,
		       off_t offset, struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r && S_ISDIR(n->mode))
		r = -EISDIR;
	else if (!r && !S_ISREG(n->mode))
		r = -EINVAL;
	if (!r) {
		pthread_mutex_lock(&n->lock);
		r = memfs_data_write(fs, n, buf, size, offset);
		pthread_mutex_unlock(&n->lock);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_statfs(const char *path, struct statvfs *st)
{
	struct memfs *fs = memfs_instance();
	uint64_t used = __atomic_load_n(&fs->used, __ATOMIC_RELAXED);
	uint64_t files = __atomic_load_n(&fs->used_inodes, __ATOMIC_RELAXED);

	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = MEMFS_PAGE_SIZE;
	st->f_frsize = MEMFS_PAGE_SIZE;
	st->f_blocks = fs->capacity / MEMFS_PAGE_SIZE;
	st->f_bfree = used < fs->capacity ?
			      (fs->capacity - used) / MEMFS_PAGE_SIZE : 0;
	st->f_bavail = st->f_bfree;
	st->f_files = fs->max_inodes;
	st->f_ffree = files < fs->max_inodes ? fs->max_inodes - files : 0;
	st->f_favail = st->f_ffree;
	st->f_namemax = MEMFS_NAME_MAX;
	return 0;
}

static int memfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

/* Also releasedir: both kinds of handle pin the inode the same way. */
static int memfs_release(const char *path, struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n = (struct memfs_inode *)(uintptr_t)fi->fh;

	(void)path;
	if (!n)
		return 0;
	pthread_rwlock_wrlock(&fs->tree_lock);
	__atomic_fetch_sub(&n->open_count, 1, __ATOMIC_RELAXED);
	memfs_inode_put(fs, n);
	pthread_rwlock_unlock(&fs->tree_lock);
	return 0;
}

static int memfs_fsync(const char *path, int datasync,
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0;
}

static struct memfs_xattr *memfs_xattr_find(const struct memfs_inode *n,
					    const char *name, guint *index)
{
	if (!n->xattrs)
		return NULL;
	for (guint i = 0; i < n->xattrs->len; i++) {
		struct memfs_xattr *x = g_ptr_array_index(n->xattrs, i);

		if (strcmp(x->name, name) == 0) {
			if (index)
				*index = i;
			return x;
		}
	}
	return NULL;
}

/* The kernel hands POSIX ACLs to a filesystem that did not ask for
 * FUSE_POSIX_ACL as two ordinary xattrs.  memfs does not implement ACLs
 * (they would have to change the mode and take part in permission checks),
 * so it refuses them as a filesystem without ACL support does: stored as
 * plain xattrs, they made `cp -a` leave its copies at the 0600 it creates
 * them with, as cp falls back to chmod only when the ACL is refused.  None
 * is ever stored, so getxattr and removexattr of them give ENODATA and
 * listxattr never lists them, as on tmpfs with no ACL set. */
static bool memfs_is_posix_acl(const char *name)
{
	return strcmp(name, "system.posix_acl_access") == 0 ||
	       strcmp(name, "system.posix_acl_default") == 0;
}

/* xattrs count against `size` so that they cannot take unbounded memory. */
static int memfs_setxattr(const char *path, const char *name,
			  const char *value, size_t size, int flags)
{
	struct memfs *fs = memfs_instance();
	struct memfs_xattr *old, *x = NULL;
	size_t name_len = strlen(name);
	size_t cost, old_cost, growth;
	struct memfs_inode *n;
	guint index = 0;
	int r;

	if (memfs_is_posix_acl(name))
		return -EOPNOTSUPP;
	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (r)
		goto out;
	old = memfs_xattr_find(n, name, &index);
	if (old && (flags & XATTR_CREATE)) {
		r = -EEXIST;
		goto out;
	}
	if (!old && (flags & XATTR_REPLACE)) {
		r = -ENODATA;
		goto out;
	}
	/* A replaced value gives its space back: only growth must fit. */
	cost = name_len + size;
	old_cost = old ? memfs_xattr_cost(old) : 0;
	growth = cost > old_cost ? cost - old_cost : 0;
	if (growth && !memfs_reserve(&fs->used, fs->capacity, growth)) {
		r = -ENOSPC;
		goto out;
	}
	x = malloc(sizeof(*x) + name_len + 1);
	if (x)
		x->value = malloc(size ? size : 1);
	if (!x || !x->value) {
		free(x);
		memfs_unreserve(&fs->used, growth);
		r = -ENOMEM;
		goto out;
	}
	memcpy(x->name, name, name_len + 1);
	memcpy(x->value, value, size);
	x->size = size;
	if (!n->xattrs)
		n->xattrs = g_ptr_array_new_with_free_func(memfs_xattr_free);
	if (old) {
		if (old_cost > cost)
			memfs_unreserve(&fs->used, old_cost - cost);
		memfs_xattr_free(old);
		g_ptr_array_index(n->xattrs, index) = x;
	} else {
		g_ptr_array_add(n->xattrs, x);
	}
	n->ctime = memfs_now();
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_getxattr(const char *path, const char *name, char *value,
			  size_t size)
{
	struct memfs *fs = memfs_instance();
	struct memfs_xattr *x;
	struct memfs_inode *n;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (r)
		goto out;
	x = memfs_xattr_find(n, name, NULL);
	if (!x) {
		r = -ENODATA;
	} else if (size == 0) {
		r = (int)x->size;
	} else if (size < x->size) {
		r = -ERANGE;
	} else {
		memcpy(value, x->value, x->size);
		r = (int)x->size;
	}
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_listxattr(const char *path, char *list, size_t size)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	size_t total = 0;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (r)
		goto out;
	for (guint i = 0; n->xattrs && i < n->xattrs->len; i++) {
		struct memfs_xattr *x = g_ptr_array_index(n->xattrs, i);
		size_t len = strlen(x->name) + 1;

		if (size && total + len <= size)
			memcpy(list + total, x->name, len);
		total += len;
	}
	if (size && total > size)
		r = -ERANGE;
	else if (total > INT_MAX)
		r = -E2BIG;
	else
		r = (int)total;
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_removexattr(const char *path, const char *name)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	struct memfs_xattr *x;
	guint index;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (r)
		goto out;
	x = memfs_xattr_find(n, name, &index);
	if (!x) {
		r = -ENODATA;
		goto out;
	}
	memfs_unreserve(&fs->used, memfs_xattr_cost(x));
	/* Keeps the order the others were set in, as tmpfs lists them. */
	g_ptr_array_remove_index(n->xattrs, index);
	n->ctime = memfs_now();
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	if (!r && !S_ISDIR(n->mode))
		r = -ENOTDIR;
	if (!r) {
		__atomic_fetch_add(&n->open_count, 1, __ATOMIC_RELAXED);
		fi->fh = (uintptr_t)n;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

struct memfs_dirent {
	struct stat st;
	size_t name; /* offset into the names buffer */
};

static void memfs_snapshot_entry(GArray *entries, GString *names,
				 const char *name, struct memfs_inode *n,
				 bool plus)
{
	struct memfs_dirent e;

	if (plus) {
		pthread_mutex_lock(&n->lock);
		memfs_fill_stat(n, &e.st);
		pthread_mutex_unlock(&n->lock);
	} else {
		memset(&e.st, 0, sizeof(e.st));
		e.st.st_ino = (ino_t)n->ino;
		e.st.st_mode = n->mode;
	}
	e.name = names->len;
	g_string_append_len(names, name, (gssize)strlen(name) + 1);
	g_array_append_val(entries, e);
}

/* The filler is called only after the lock is dropped: for readdirplus
 * libfuse looks every entry up again through getattr, and a reader taking
 * the rwlock twice would deadlock behind a waiting writer. */
static int memfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t offset, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	struct memfs *fs = memfs_instance();
	bool plus = flags & FUSE_READDIR_PLUS;
	struct memfs_inode *dir;
	GHashTableIter iter;
	gpointer key, value;
	GArray *entries;
	GString *names;
	int r;

	(void)offset;
	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &dir);
	if (!r && !S_ISDIR(dir->mode))
		r = -ENOTDIR;
	if (r) {
		pthread_rwlock_unlock(&fs->tree_lock);
		return r;
	}
	entries = g_array_sized_new(FALSE, FALSE, sizeof(struct memfs_dirent),
				    g_hash_table_size(dir->u.dir.entries) + 2);
	names = g_string_sized_new(16 * (g_hash_table_size(
						 dir->u.dir.entries) + 2));
	memfs_snapshot_entry(entries, names, ".", dir, plus);
	memfs_snapshot_entry(entries, names, "..",
			     dir->u.dir.parent ? dir->u.dir.parent : dir,
			     plus);
	g_hash_table_iter_init(&iter, dir->u.dir.entries);
	while (g_hash_table_iter_next(&iter, &key, &value))
		memfs_snapshot_entry(entries, names, key, value, plus);
	pthread_mutex_lock(&dir->lock);
	memfs_touch_atime(dir);
	pthread_mutex_unlock(&dir->lock);
	pthread_rwlock_unlock(&fs->tree_lock);

	for (guint i = 0; i < entries->len; i++) {
		struct memfs_dirent *e =
			&g_array_index(entries, struct memfs_dirent, i);

		if (filler(buf, names->str + e->name, &e->st, 0,
			   plus ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	g_array_free(entries, TRUE);
	g_string_free(names, TRUE);
	return 0;
}

static int memfs_fsyncdir(const char *path, int datasync,
			  struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0;
}

/* default_permissions makes the kernel check access; existence is all
 * that is left. */
static int memfs_access(const char *path, int mask)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	int r;

	(void)mask;
	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_lookup(fs, path, &n);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

static int memfs_utimens(const char *path, const struct timespec tv[2],
			 struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct timespec now = memfs_now();
	struct memfs_inode *n;
	int r;

	pthread_rwlock_wrlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (r)
		goto out;
	if (!tv) {
		n->atime = n->mtime = n->ctime = now;
		goto out;
	}
	if (tv[0].tv_nsec == UTIME_OMIT && tv[1].tv_nsec == UTIME_OMIT)
		goto out;
	if (tv[0].tv_nsec == UTIME_NOW)
		n->atime = now;
	else if (tv[0].tv_nsec != UTIME_OMIT)
		n->atime = tv[0];
	if (tv[1].tv_nsec == UTIME_NOW)
		n->mtime = now;
	else if (tv[1].tv_nsec != UTIME_OMIT)
		n->mtime = tv[1];
	n->ctime = now;
out:
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

/* Modes as tmpfs: allocate (optionally keeping the size) and punch holes. */
static int memfs_fallocate(const char *path, int mode, off_t offset,
			   off_t length, struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	uint64_t start, end, first, last, present = 0, missing;
	struct memfs_inode *n;
	GTreeNode *node;
	int r;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (offset < 0 || length <= 0)
		return -EINVAL;
	if (length > INT64_MAX - offset)
		return -EFBIG;
	start = (uint64_t)offset;
	end = start + (uint64_t)length;

	pthread_rwlock_rdlock(&fs->tree_lock);
	r = memfs_resolve(fs, path, fi, &n);
	if (!r && S_ISDIR(n->mode))
		r = -EISDIR;
	else if (!r && !S_ISREG(n->mode))
		r = -ENODEV;
	if (r) {
		pthread_rwlock_unlock(&fs->tree_lock);
		return r;
	}
	pthread_mutex_lock(&n->lock);

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		uint64_t head = start >> MEMFS_PAGE_SHIFT;
		uint64_t tail = (end - 1) >> MEMFS_PAGE_SHIFT;

		if (head == tail) {
			memfs_zero_in_page(n, start, (size_t)(end - start));
		} else {
			memfs_zero_in_page(n, start, MEMFS_PAGE_SIZE -
						     (start & MEMFS_PAGE_MASK));
			memfs_zero_in_page(n, tail << MEMFS_PAGE_SHIFT,
					   (size_t)(end - (tail <<
							   MEMFS_PAGE_SHIFT)));
		}
		/* Whole pages only; partly covered ones were zeroed. */
		memfs_pages_drop(fs, n,
				 (start + MEMFS_PAGE_MASK) >> MEMFS_PAGE_SHIFT,
				 end >> MEMFS_PAGE_SHIFT);
		n->mtime = n->ctime = memfs_now();
		goto out;
	}

	/* Like tmpfs, fail before allocating anything when the whole range
	 * cannot fit. */
	first = start >> MEMFS_PAGE_SHIFT;
	last = (end - 1) >> MEMFS_PAGE_SHIFT;
	for (node = g_tree_lower_bound(n->u.pages, GSIZE_TO_POINTER(first));
	     node && GPOINTER_TO_SIZE(g_tree_node_key(node)) <= last;
	     node = g_tree_node_next(node))
		present++;
	missing = last - first + 1 - present;
	if (missing > fs->capacity / MEMFS_PAGE_SIZE ||
	    !memfs_reserve(&fs->used, fs->capacity,
			   missing * MEMFS_PAGE_SIZE)) {
		r = -ENOSPC;
		goto out;
	}
	for (uint64_t index = first; missing && index <= last; index++) {
		if (memfs_page(n, index))
			continue;
		memfs_page_add(n, index, MEMFS_UNWRITTEN);
		missing--;
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > (uint64_t)n->size)
		n->size = (off_t)end;
	n->mtime = n->ctime = memfs_now();
out:
	pthread_mutex_unlock(&n->lock);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

/* The kernel handles SEEK_SET/CUR/END itself and asks only for these. */
static off_t memfs_lseek(const char *path, off_t offset, int whence,
			 struct fuse_file_info *fi)
{
	struct memfs *fs = memfs_instance();
	struct memfs_inode *n;
	GTreeNode *node;
	uint64_t index;
	off_t r;
	int err;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	pthread_rwlock_rdlock(&fs->tree_lock);
	err = memfs_resolve(fs, path, fi, &n);
	if (!err && !S_ISREG(n->mode))
		err = -EINVAL;
	if (err) {
		pthread_rwlock_unlock(&fs->tree_lock);
		return err;
	}
	pthread_mutex_lock(&n->lock);
	if (offset < 0 || offset >= n->size) {
		r = -ENXIO;
		goto out;
	}
	index = (uint64_t)offset >> MEMFS_PAGE_SHIFT;
	node = g_tree_lower_bound(n->u.pages, GSIZE_TO_POINTER(index));
	if (whence == SEEK_DATA) {
		uint64_t data;

		while (node && g_tree_node_value(node) == MEMFS_UNWRITTEN)
			node = g_tree_node_next(node);
		if (!node) {
			r = -ENXIO;
			goto out;
		}
		data = (uint64_t)GPOINTER_TO_SIZE(g_tree_node_key(node))
		       << MEMFS_PAGE_SHIFT;
		if (data < (uint64_t)offset)
			data = (uint64_t)offset;
		r = data >= (uint64_t)n->size ? -ENXIO : (off_t)data;
	} else {
		uint64_t hole;

		while (node && GPOINTER_TO_SIZE(g_tree_node_key(node)) ==
				       index &&
		       g_tree_node_value(node) != MEMFS_UNWRITTEN) {
			index++;
			node = g_tree_node_next(node);
		}
		hole = index << MEMFS_PAGE_SHIFT;
		if (hole < (uint64_t)offset)
			hole = (uint64_t)offset;
		r = hole > (uint64_t)n->size ? n->size : (off_t)hole;
	}
out:
	pthread_mutex_unlock(&n->lock);
	pthread_rwlock_unlock(&fs->tree_lock);
	return r;
}

/* ---- Instances ---------------------------------------------------------- */

static void memfs_close_instance(void *instance)
{
	struct memfs *fs = instance;

	while (fs->inodes)
		memfs_inode_free(fs, fs->inodes);
	pthread_rwlock_destroy(&fs->tree_lock);
	free(fs);
}

static int memfs_open_instance(struct fusehost_mount *mount, void **instance)
{
	uint64_t size = MEMFS_DEFAULT_SIZE;
	int64_t max_files = MEMFS_DEFAULT_MAX_FILES;
	const char *timeout_text;
	double timeout;
	char *end;
	pthread_rwlockattr_t attr;
	struct memfs *fs;
	int r;

	r = fusehost_option_size(mount, "size", &size);
	if (r && r != -ENOENT) {
		fusehost_set_error(mount, "option size: not a size in bytes");
		return -EINVAL;
	}
	if (size < MEMFS_PAGE_SIZE) {
		fusehost_set_error(mount,
				   "option size: %llu is less than one page "
				   "(4096 bytes)",
				   (unsigned long long)size);
		return -EINVAL;
	}
	r = fusehost_option_int(mount, "max-files", &max_files);
	if (r && r != -ENOENT) {
		fusehost_set_error(mount, "option max-files: not an integer");
		return -EINVAL;
	}
	if (max_files < 1) {
		fusehost_set_error(mount,
				   "option max-files: %lld is less than 1",
				   (long long)max_files);
		return -EINVAL;
	}

	timeout_text = fusehost_option_string(mount, "timeout");
	timeout = strtod(timeout_text, &end);
	if (end == timeout_text || *end || timeout < 0) {
		fusehost_set_error(mount,
				   "option timeout: '%s' is not a number of "
				   "seconds (0 or more)",
				   timeout_text);
		return -EINVAL;
	}

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->timeout = timeout;
	fs->capacity = size & ~(uint64_t)MEMFS_PAGE_MASK;
	fs->max_inodes = (uint64_t)max_files;
	fs->next_ino = 1;
	pthread_rwlockattr_init(&attr);
	/* glibc prefers readers by default, and a steady stream of reads
	 * would starve every namespace change. */
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fs->tree_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	/* No request context exists yet; the root belongs to the daemon and
	 * is world-writable and sticky, like a default tmpfs root. */
	fs->used_inodes = 1;
	fs->root = memfs_inode_new(fs, S_IFDIR | 01777, geteuid(), getegid(),
				   0);
	if (!fs->root) {
		pthread_rwlock_destroy(&fs->tree_lock);
		free(fs);
		return -ENOMEM;
	}
	*instance = fs;
	return 0;
}

static const struct fuse_operations memfs_operations = {
	.init = memfs_init,
	.getattr = memfs_getattr,
	.readlink = memfs_readlink,
	.mknod = memfs_mknod,
	.mkdir = memfs_mkdir,
	.unlink = memfs_unlink,
	.rmdir = memfs_rmdir,
	.symlink = memfs_symlink,
	.rename = memfs_rename,
	.link = memfs_link,
	.chmod = memfs_chmod,
	.chown = memfs_chown,
	.truncate = memfs_truncate,
	.open = memfs_open,
	.read = memfs_read,
	.write = memfs_write,
	.statfs = memfs_statfs,
	.flush = memfs_flush,
	.release = memfs_release,
	.fsync = memfs_fsync,
	.setxattr = memfs_setxattr,
	.getxattr = memfs_getxattr,
	.listxattr = memfs_listxattr,
	.removexattr = memfs_removexattr,
	.opendir = memfs_opendir,
	.readdir = memfs_readdir,
	.releasedir = memfs_release,
	.fsyncdir = memfs_fsyncdir,
	.access = memfs_access,
	.create = memfs_create,
	.utimens = memfs_utimens,
	.fallocate = memfs_fallocate,
	.lseek = memfs_lseek,
};

static const struct fusehost_option memfs_options[] = {
	{ .name = "size",
	  .help = "capacity in bytes (K, M, G, T suffixes); statfs reports "
		  "it and writes past it fail with ENOSPC",
	  .default_value = "256M" },
	{ .name = "max-files",
	  .help = "most inodes; creating more fails with ENOSPC",
	  .default_value = "1000000" },
	{ .name = "timeout",
	  .help = "seconds the kernel may cache names and attributes; more is "
		  "faster, but the other names of a hard-linked file then "
		  "show stale link counts, sizes and times for that long",
	  .default_value = "0" },
	{ 0 },
};

static struct fusehost_plugin memfs_plugin = {
	.name = "memfs",
	.version = "1.0",
	.description = "a complete POSIX filesystem in memory, like tmpfs",
	.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
	.options = memfs_options,
	.open = memfs_open_instance,
	.close = memfs_close_instance,
	.operations = &memfs_operations,
};

FUSEHOST_REGISTER_PLUGIN(memfs_plugin)
