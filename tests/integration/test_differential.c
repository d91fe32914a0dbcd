/* Differential test: one pseudo-random sequence of file system operations
 * is run on a plain tmpfs and on a mount served by the real fusehostd
 * (passthrough over a second tmpfs with cache = none, and memfs), each
 * tree being the whole of its mount, and after every step the two must
 * agree: the return value or errno, the bytes read, and the stat fields
 * that are the file system's to decide.  Every so many steps and at the
 * end the whole
 * trees are compared.  Differences that are allowed are left out where
 * they arise, each with its reason; anything else fails the test.
 *
 *   FUSEHOST_DIFF_SEED    seed of the sequence (default fixed; "random"
 *                         takes one from the clock); printed either way
 *   FUSEHOST_DIFF_STEPS   operations per run (default 3000)
 *   FUSEHOST_DIFF_TARGET  memfs or passthrough: run that one only
 *   FUSEHOST_DIFF_REDUCE  when set, a difference is reduced to a shortest
 *                         sequence found, printed as C for the regression
 *                         table below
 *
 * The sequence is drawn in full before it runs, each operation carrying
 * everything it needs, so that the reducer can drop operations and the
 * regression cases can be written out by hand. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define DEFAULT_SEED 20261125u
#define DEFAULT_STEPS 3000
/* Whole trees are compared this often, and after the last step. */
#define TREE_CHECK_EVERY 25
#define SLOTS 6
#define MAX_IO (16 << 10)
#define HIDDEN_PREFIX ".fuse_hidden"

/* ---- The operations ----------------------------------------------------- */

enum op_kind {
	OP_OPEN,
	OP_CLOSE,
	OP_PWRITE,
	OP_WRITE,
	OP_PREAD,
	OP_READ,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_FALLOCATE,
	OP_LSEEK,
	OP_FSYNC,
	OP_FSTAT,
	OP_MKDIR,
	OP_RMDIR,
	OP_UNLINK,
	OP_RENAME,
	OP_LINK,
	OP_SYMLINK,
	OP_READLINK,
	OP_CHMOD,
	OP_UTIMENS,
	OP_SETXATTR,
	OP_GETXATTR,
	OP_LISTXATTR,
	OP_REMOVEXATTR,
	OP_READDIR,
	OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
	"OP_OPEN",     "OP_CLOSE",     "OP_PWRITE",    "OP_WRITE",
	"OP_PREAD",    "OP_READ",      "OP_FTRUNCATE", "OP_TRUNCATE",
	"OP_FALLOCATE", "OP_LSEEK",    "OP_FSYNC",     "OP_FSTAT",
	"OP_MKDIR",    "OP_RMDIR",     "OP_UNLINK",    "OP_RENAME",
	"OP_LINK",     "OP_SYMLINK",   "OP_READLINK",  "OP_CHMOD",
	"OP_UTIMENS",  "OP_SETXATTR",  "OP_GETXATTR",  "OP_LISTXATTR",
	"OP_REMOVEXATTR", "OP_READDIR",
};

/* How often each kind is drawn, out of the sum. */
static const unsigned op_weights[OP_KINDS] = {
	[OP_OPEN] = 14,	    [OP_CLOSE] = 5,	[OP_PWRITE] = 10,
	[OP_WRITE] = 5,	    [OP_PREAD] = 6,	[OP_READ] = 3,
	[OP_FTRUNCATE] = 3, [OP_TRUNCATE] = 3,	[OP_FALLOCATE] = 5,
	[OP_LSEEK] = 5,	    [OP_FSYNC] = 2,	[OP_FSTAT] = 2,
	[OP_MKDIR] = 6,	    [OP_RMDIR] = 4,	[OP_UNLINK] = 5,
	[OP_RENAME] = 7,    [OP_LINK] = 4,	[OP_SYMLINK] = 4,
	[OP_READLINK] = 2,  [OP_CHMOD] = 3,	[OP_UTIMENS] = 4,
	[OP_SETXATTR] = 4,  [OP_GETXATTR] = 3,	[OP_LISTXATTR] = 2,
	[OP_REMOVEXATTR] = 2, [OP_READDIR] = 3,
};

/* The name space: a few names, nested a few deep, so that operations
 * keep meeting each other's files. */
static const char *const paths[] = {
	"a",	  "b",	    "d0",	"d1",	    "d0/a",	"d0/b",
	"d0/d0",  "d0/d1",  "d1/a",	"d1/b",	    "d1/d0",	"d1/d1",
	"d0/d1/a", "d0/d1/d0", "d1/d0/b", "d1/d0/d1", "d0/d0/a",
	"",	/* the tree's root itself */
};
#define PATHS (sizeof(paths) / sizeof(paths[0]))

/* Symlink targets, relative and without "..": followed through a link to
 * a shallower directory, ".." could leave the tree, and both trees would
 * then meet in the directory they share. */
static const char *const link_targets[] = {
	"a", "b", "d0", "d0/a", "d1", "x", "", "d1/d0/b", ".", "d0/d1",
};
#define LINK_TARGETS (sizeof(link_targets) / sizeof(link_targets[0]))

static const char *const xattr_names[] = {
	"user.a", "user.b", "user.long.name.of.an.attribute",
};
#define XATTR_NAMES (sizeof(xattr_names) / sizeof(xattr_names[0]))

/* One operation with all its arguments.  `path` and `path2` index paths[]
 * (`path2` indexes link_targets[] for OP_SYMLINK), `name` xattr_names[]. */
struct op {
	enum op_kind kind;
	int slot;
	int path;
	int path2;
	int flags;
	int mode;
	long long offset;
	long long length;
	unsigned data; /* seed of the bytes written */
	int name;
	long long times[4]; /* atime s, ns, mtime s, ns */
};

/* xorshift64*: tiny and the same everywhere, so a seed means one sequence
 * on every machine and every GLib. */
struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *rng)
{
	rng->state ^= rng->state >> 12;
	rng->state ^= rng->state << 25;
	rng->state ^= rng->state >> 27;
	return rng->state * 0x2545F4914F6CDD1DULL;
}

static unsigned rng_below(struct rng *rng, unsigned n)
{
	return (unsigned)(rng_next(rng) >> 32) % n;
}

static void rng_seed(struct rng *rng, uint64_t seed)
{
	rng->state = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (int i = 0; i < 4; i++)
		rng_next(rng);
}

/* Offsets and lengths: mostly within a page or two, where holes and
 * partial pages meet, sometimes far out. */
static long long draw_offset(struct rng *rng)
{
	switch (rng_below(rng, 8)) {
	case 0:
		return 0;
	case 1:
		return rng_below(rng, 1 << 20);
	case 2:
		return 4096 * (long long)rng_below(rng, 16);
	default:
		return rng_below(rng, 3 * 4096);
	}
}

static long long draw_length(struct rng *rng)
{
	switch (rng_below(rng, 6)) {
	case 0:
		return 0;
	case 1:
		return rng_below(rng, MAX_IO) + 1;
	case 2:
		return 4096;
	default:
		return rng_below(rng, 600) + 1;
	}
}

static int draw_mode(struct rng *rng)
{
	static const int modes[] = { 0644, 0600, 0444, 0755, 0, 0777,
				     04755, 02755, 01777 };

	return modes[rng_below(rng, sizeof(modes) / sizeof(modes[0]))];
}

static void draw_time(struct rng *rng, long long *sec, long long *nsec)
{
	switch (rng_below(rng, 5)) {
	case 0:
		*sec = 0;
		*nsec = UTIME_NOW;
		break;
	case 1:
		*sec = 0;
		*nsec = UTIME_OMIT;
		break;
	default:
		*sec = 1000000000LL + rng_below(rng, 1000000000);
		*nsec = rng_below(rng, 1000000000);
	}
}

static void draw_op(struct rng *rng, struct op *op)
{
	unsigned total = 0, pick;

	for (int k = 0; k < OP_KINDS; k++)
		total += op_weights[k];
	pick = rng_below(rng, total);
	memset(op, 0, sizeof(*op));
	for (op->kind = 0; pick >= op_weights[op->kind]; op->kind++)
		pick -= op_weights[op->kind];
	op->slot = rng_below(rng, SLOTS);
	op->path = rng_below(rng, PATHS);
	op->path2 = rng_below(rng, PATHS);
	op->offset = draw_offset(rng);
	op->length = draw_length(rng);
	op->data = (unsigned)rng_next(rng);
	op->name = rng_below(rng, XATTR_NAMES);
	op->mode = draw_mode(rng);
	switch (op->kind) {
	case OP_OPEN: {
		static const int access[] = { O_RDONLY, O_WRONLY, O_RDWR };
		static const int extra[] = { O_CREAT,	  O_EXCL,     O_TRUNC,
					     O_APPEND,	  O_DIRECTORY, O_NOFOLLOW };

		op->flags = access[rng_below(rng, 3)];
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			if (rng_below(rng, extra[i] == O_CREAT ? 2 : 6) == 0)
				op->flags |= extra[i];
		break;
	}
	case OP_FTRUNCATE:
	case OP_TRUNCATE:
		op->offset = rng_below(rng, 20) == 0 ? -1 : op->offset;
		break;
	case OP_FALLOCATE: {
		static const int modes[] = {
			0, FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE,
		};

		op->flags = modes[rng_below(rng, sizeof(modes) / sizeof(modes[0]))];
		break;
	}
	case OP_LSEEK: {
		static const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END,
					      SEEK_DATA, SEEK_HOLE,
					      SEEK_DATA, SEEK_HOLE };

		op->flags = whence[rng_below(rng, 7)];
		if (op->flags == SEEK_CUR || op->flags == SEEK_END)
			op->offset -= rng_below(rng, 2) ? 4096 : 0;
		break;
	}
	case OP_FSYNC:
		op->flags = rng_below(rng, 2); /* fdatasync */
		break;
	case OP_RENAME: {
		static const int flags[] = { 0, 0, RENAME_NOREPLACE,
					     RENAME_EXCHANGE,
					     RENAME_EXCHANGE | RENAME_NOREPLACE };

		op->flags = flags[rng_below(rng, 5)];
		break;
	}
	case OP_SYMLINK:
		op->path2 = rng_below(rng, LINK_TARGETS);
		break;
	case OP_CHMOD:
		op->mode = rng_below(rng, 07777 + 1);
		break;
	case OP_UTIMENS:
		draw_time(rng, &op->times[0], &op->times[1]);
		draw_time(rng, &op->times[2], &op->times[3]);
		op->flags = rng_below(rng, 3) == 0 ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OP_SETXATTR: {
		static const int flags[] = { 0, 0, XATTR_CREATE, XATTR_REPLACE };

		op->flags = flags[rng_below(rng, 4)];
		op->length = rng_below(rng, 4) == 0 ? 0 : rng_below(rng, 200);
		op->mode = rng_below(rng, 4) == 0; /* lsetxattr */
		break;
	}
	case OP_GETXATTR:
	case OP_LISTXATTR: {
		static const long long sizes[] = { 0, 1, 7, 4096 };

		op->length = sizes[rng_below(rng, 4)];
		op->mode = rng_below(rng, 4) == 0; /* l*xattr */
		break;
	}
	case OP_REMOVEXATTR:
		op->mode = rng_below(rng, 4) == 0;
		break;
	default:
		break;
	}
}

/* The operation as C, for the regression table. */
static char *op_to_c(const struct op *op)
{
	return g_strdup_printf(
	    "{ %s, %d, %d, %d, 0%o, 0%o, %lld, %lld, %uu, %d, "
	    "{ %lld, %lld, %lld, %lld } }",
	    op_names[op->kind], op->slot, op->path, op->path2, op->flags,
	    op->mode, op->offset, op->length, op->data, op->name, op->times[0],
	    op->times[1], op->times[2], op->times[3]);
}

/* ---- Running an operation on one tree ----------------------------------- */

/* What the tree under test is allowed to do otherwise, and why. */
enum target {
	TARGET_TMPFS,
	/* libfuse's high-level API without hard_remove keeps a file unlinked
	 * while open under .fuse_hiddenXXX in its directory until the last
	 * close (memfs/README): the name is listed, the directory is not
	 * empty meanwhile, and the file keeps its link. */
	TARGET_HIDES_BY_RENAME,
	/* passthrough: unlinks for real and keeps the hidden name only in
	 * its own memory, but libfuse still answers requests by inode with
	 * a path, which a file has no longer once its directory is gone. */
	TARGET_HIDES_IN_MEMORY,
};

struct tree {
	const char *label;
	char *root;
	enum target target;
	int fds[SLOTS];
	bool is_dir[SLOTS];
};

/* What an operation returned: its value or errno, and what it read. */
struct outcome {
	long long ret;
	int err;
	GString *data;
	bool has_stat;
	struct stat st;
	int stat_err;
};

static char *tree_path(const struct tree *tree, int index)
{
	return paths[index][0] ? g_strdup_printf("%s/%s", tree->root,
						 paths[index])
			       : g_strdup(tree->root);
}

static void fill_data(unsigned seed, unsigned char *data, size_t length)
{
	struct rng rng;

	rng_seed(&rng, seed);
	for (size_t i = 0; i < length; i++)
		data[i] = (unsigned char)rng_next(&rng);
}

static void set_result(struct outcome *out, long long ret)
{
	out->ret = ret;
	out->err = ret < 0 ? errno : 0;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a NUL-separated list, for comparison: the order of
 * listxattr is the file system's own (memfs/README lists by first set). */
static void sort_list(GString *data)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GString *sorted = g_string_new("");

	for (size_t at = 0; at < data->len; at += strlen(data->str + at) + 1)
		g_ptr_array_add(names, g_strdup(data->str + at));
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++)
		g_string_append_len(sorted, names->pdata[i],
				    strlen(names->pdata[i]) + 1);
	g_string_assign(data, "");
	g_string_append_len(data, sorted->str, sorted->len);
	g_string_free(sorted, TRUE);
	g_ptr_array_unref(names);
}

static bool is_hidden_name(const char *name)
{
	return strncmp(name, HIDDEN_PREFIX, strlen(HIDDEN_PREFIX)) == 0;
}

/* The sorted names in a directory, "." and ".." included, one per line;
 * the hidden names of TARGET_HIDES_BY_RENAME left out.  -1 and errno when
 * it cannot be read. */
static int list_dir(const struct tree *tree, const char *path, GString *out)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *dir = opendir(path);
	struct dirent *entry;

	if (!dir) {
		g_ptr_array_unref(names);
		return -1;
	}
	errno = 0;
	while ((entry = readdir(dir)))
		if (tree->target != TARGET_HIDES_BY_RENAME ||
		    !is_hidden_name(entry->d_name))
			g_ptr_array_add(names, g_strdup(entry->d_name));
	closedir(dir);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++)
		g_string_append_printf(out, "%s\n", (char *)names->pdata[i]);
	g_ptr_array_unref(names);
	return 0;
}

/* Whether the directory at `path` holds a hidden name of libfuse's. */
static bool holds_hidden(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	bool found = false;

	if (!dir)
		return false;
	while ((entry = readdir(dir)))
		found |= is_hidden_name(entry->d_name);
	closedir(dir);
	return found;
}

static void close_slot(struct tree *tree, int slot)
{
	if (tree->fds[slot] >= 0)
		close(tree->fds[slot]);
	tree->fds[slot] = -1;
}

static void run_op(struct tree *tree, const struct op *op,
		   struct outcome *out)
{
	char *path = tree_path(tree, op->path);
	char *path2 = tree_path(tree, op->path2);
	int fd = tree->fds[op->slot];
	unsigned char *buffer = NULL;

	errno = 0;
	out->ret = 0;
	out->err = 0;
	switch (op->kind) {
	case OP_OPEN:
		close_slot(tree, op->slot);
		set_result(out, open(path, op->flags | O_CLOEXEC, op->mode));
		if (out->ret >= 0) {
			struct stat st;

			tree->fds[op->slot] = (int)out->ret;
			tree->is_dir[op->slot] =
			    fstat((int)out->ret, &st) == 0 &&
			    S_ISDIR(st.st_mode);
			out->ret = 0;
		}
		break;
	case OP_CLOSE:
		set_result(out, fd < 0 ? 0 : close(fd));
		tree->fds[op->slot] = -1;
		break;
	case OP_PWRITE:
	case OP_WRITE:
		buffer = g_malloc(op->length + 1);
		fill_data(op->data, buffer, op->length);
		if (op->kind == OP_PWRITE)
			set_result(out, pwrite(fd, buffer, op->length,
					       op->offset));
		else
			set_result(out, write(fd, buffer, op->length));
		break;
	case OP_PREAD:
	case OP_READ:
		buffer = g_malloc(op->length + 1);
		if (op->kind == OP_PREAD)
			set_result(out, pread(fd, buffer, op->length,
					      op->offset));
		else
			set_result(out, read(fd, buffer, op->length));
		if (out->ret > 0)
			g_string_append_len(out->data, (char *)buffer,
					    out->ret);
		break;
	case OP_FTRUNCATE:
		set_result(out, ftruncate(fd, op->offset));
		break;
	case OP_TRUNCATE:
		set_result(out, truncate(path, op->offset));
		break;
	case OP_FALLOCATE:
		set_result(out, fallocate(fd, op->flags, op->offset,
					  op->length));
		break;
	case OP_LSEEK:
		set_result(out, lseek(fd, op->offset, op->flags));
		break;
	case OP_FSYNC:
		set_result(out, op->flags ? fdatasync(fd) : fsync(fd));
		break;
	case OP_FSTAT:
		/* Compared below with every operation on a slot. */
		set_result(out, fd < 0 ? -1 : 0);
		if (fd < 0)
			out->err = EBADF;
		break;
	case OP_MKDIR:
		set_result(out, mkdir(path, op->mode));
		break;
	case OP_RMDIR:
		set_result(out, rmdir(path));
		break;
	case OP_UNLINK:
		set_result(out, unlink(path));
		break;
	case OP_RENAME:
		set_result(out, renameat2(AT_FDCWD, path, AT_FDCWD, path2,
					  op->flags));
		break;
	case OP_LINK:
		set_result(out, link(path, path2));
		break;
	case OP_SYMLINK:
		set_result(out, symlink(link_targets[op->path2], path));
		break;
	case OP_READLINK: {
		char target[256];

		set_result(out, readlink(path, target, sizeof(target)));
		if (out->ret > 0)
			g_string_append_len(out->data, target, out->ret);
		break;
	}
	case OP_CHMOD:
		set_result(out, chmod(path, op->mode));
		break;
	case OP_UTIMENS: {
		struct timespec times[2] = {
			{ op->times[0], op->times[1] },
			{ op->times[2], op->times[3] },
		};

		set_result(out, utimensat(AT_FDCWD, path, times, op->flags));
		break;
	}
	case OP_SETXATTR:
		buffer = g_malloc(op->length + 1);
		fill_data(op->data, buffer, op->length);
		set_result(out, (op->mode ? lsetxattr : setxattr)(
				    path, xattr_names[op->name], buffer,
				    op->length, op->flags));
		break;
	case OP_GETXATTR:
		buffer = g_malloc(op->length + 1);
		set_result(out, (op->mode ? lgetxattr : getxattr)(
				    path, xattr_names[op->name], buffer,
				    op->length));
		if (out->ret > 0 && op->length > 0)
			g_string_append_len(out->data, (char *)buffer,
					    out->ret);
		break;
	case OP_LISTXATTR:
		buffer = g_malloc(op->length + 1);
		set_result(out, (op->mode ? llistxattr : listxattr)(
				    path, (char *)buffer, op->length));
		if (out->ret > 0 && op->length > 0) {
			g_string_append_len(out->data, (char *)buffer,
					    out->ret);
			sort_list(out->data);
		}
		break;
	case OP_REMOVEXATTR:
		set_result(out, (op->mode ? lremovexattr : removexattr)(
				    path, xattr_names[op->name]));
		break;
	case OP_READDIR:
		set_result(out, list_dir(tree, path, out->data));
		break;
	case OP_KINDS:
		break;
	}
	/* Operations on a closed slot are the same EBADF on both sides. */
	if (op->kind == OP_OPEN || op->kind == OP_CLOSE)
		;
	else if (op->slot >= 0 && fd >= 0 && op->kind <= OP_FSTAT) {
		out->has_stat = true;
		out->stat_err = fstat(fd, &out->st) ? errno : 0;
	}
	g_free(buffer);
	g_free(path);
	g_free(path2);
}

/* ---- Comparing ---------------------------------------------------------- */

struct run {
	unsigned long long seed;
	struct tree trees[2]; /* tmpfs, then the tree under test */
	GString *report;      /* the first difference, or empty */
	int step;
	bool reducing; /* whole trees compared after the last step only */
};

static void differ(struct run *run, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void differ(struct run *run, const char *format, ...)
{
	va_list args;

	if (run->report->len)
		return;
	va_start(args, format);
	g_string_append_vprintf(run->report, format, args);
	va_end(args);
}

/* The stat fields the file system decides.  Not compared: st_ino and
 * st_dev (each file system numbers its own), st_blocks and st_blksize
 * (allocation is the file system's business, and FUSE reports its own
 * block size), st_rdev (no device nodes here), st_atime (relatime, and
 * reads by the tree check), and st_mtime and st_ctime: the operations
 * that set them implicitly do so at the moment they run, which differs by
 * the time between the two runs; explicit times are compared by
 * OP_UTIMENS itself.
 *
 * With TARGET_HIDES_BY_RENAME, libfuse keeps a file unlinked while open
 * under a hidden name with its link (memfs/README): so a file's other
 * names count that link too (libfuse takes it off for the hidden name
 * only), and the directory that holds the hidden name is 20 bytes larger
 * (tmpfs counts 20 bytes an entry).  `hidden`: whether the target's
 * directory held a hidden name before it was looked at (true for a
 * descriptor); the kernel sends the last close on its own time, so a
 * hidden name may go just after close() returns, never come. */
static void compare_stat(struct run *run, const char *what,
			 const struct stat *a, const struct stat *b,
			 bool hidden)
{

	const struct tree *target = &run->trees[1];

	if (a->st_mode != b->st_mode)
		differ(run, "%s: st_mode 0%o != 0%o", what, a->st_mode,
		       b->st_mode);
	if (a->st_uid != b->st_uid || a->st_gid != b->st_gid)
		differ(run, "%s: owner %u:%u != %u:%u", what, a->st_uid,
		       a->st_gid, b->st_uid, b->st_gid);
	if (a->st_size != b->st_size &&
	    !(S_ISDIR(a->st_mode) && b->st_size > a->st_size &&
	      target->target == TARGET_HIDES_BY_RENAME && hidden))
		differ(run, "%s: st_size %lld != %lld", what,
		       (long long)a->st_size, (long long)b->st_size);
	if (a->st_nlink != b->st_nlink &&
	    !(S_ISREG(a->st_mode) && b->st_nlink > a->st_nlink &&
	      target->target == TARGET_HIDES_BY_RENAME))
		differ(run, "%s: st_nlink %lu != %lu", what,
		       (unsigned long)a->st_nlink, (unsigned long)b->st_nlink);
}

static void compare_path(struct run *run, const char *name)
{
	struct stat st[2];
	int err[2];

	char *path[2];
	bool hidden = false;

	for (int i = 0; i < 2; i++) {
		path[i] = name[0] ? g_strdup_printf("%s/%s", run->trees[i].root,
						    name)
				  : g_strdup(run->trees[i].root);
		if (i == 1)
			hidden = holds_hidden(path[i]);
		err[i] = lstat(path[i], &st[i]) ? errno : 0;
	}
	if (err[0] != err[1])
		differ(run, "lstat %s: %s != %s", name, strerror(err[0]),
		       strerror(err[1]));
	else if (!err[0])
		compare_stat(run, name, &st[0], &st[1], hidden);
	g_free(path[0]);
	g_free(path[1]);
}

static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? g_strndup(path, slash - path) : g_strdup("");
}

/* A file's contents, symlink target, xattrs, or a directory's listing. */
static void describe_entry(const struct tree *tree, const char *path,
			   const struct stat *st, GString *out)
{
	char buffer[8192];
	ssize_t n;

	if (S_ISREG(st->st_mode)) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			g_string_append_printf(out, "open: %s\n",
					       strerror(errno));
		} else {
			while ((n = read(fd, buffer, sizeof(buffer))) > 0)
				g_string_append_len(out, buffer, n);
			if (n < 0)
				g_string_append_printf(out, "read: %s\n",
						       strerror(errno));
			close(fd);
		}
	} else if (S_ISLNK(st->st_mode)) {
		n = readlink(path, buffer, sizeof(buffer));
		g_string_append_printf(out, "-> %.*s\n", (int)(n < 0 ? 0 : n),
				       buffer);
	} else if (S_ISDIR(st->st_mode)) {
		if (list_dir(tree, path, out))
			g_string_append_printf(out, "opendir: %s\n",
					       strerror(errno));
	}
	n = llistxattr(path, buffer, sizeof(buffer));
	if (n < 0) {
		g_string_append_printf(out, "llistxattr: %s\n",
				       strerror(errno));
	} else {
		GString *names = g_string_new_len(buffer, n);

		sort_list(names);
		for (size_t at = 0; at < names->len;
		     at += strlen(names->str + at) + 1) {
			char value[4096];
			ssize_t length = lgetxattr(path, names->str + at,
						   value, sizeof(value));

			g_string_append_printf(out, "xattr %s = ",
					       names->str + at);
			if (length < 0)
				g_string_append(out, strerror(errno));
			else
				g_string_append_len(out, value, length);
			g_string_append_c(out, '\n');
		}
		g_string_free(names, TRUE);
	}
}

/* Everything below `name` (relative to the roots), on both sides. */
static void compare_tree(struct run *run, const char *name)
{
	struct stat st[2];
	GString *desc[2] = { g_string_new(""), g_string_new("") };

	char *path[2] = { NULL, NULL };
	bool hidden = false;

	for (int i = 0; i < 2 && !run->report->len; i++) {
		path[i] = name[0] ? g_strdup_printf("%s/%s", run->trees[i].root,
						    name)
				  : g_strdup(run->trees[i].root);
		if (i == 1)
			hidden = holds_hidden(path[i]);
		if (lstat(path[i], &st[i]))
			differ(run, "tree %s: lstat %s", path[i],
			       strerror(errno));
		else
			describe_entry(&run->trees[i], path[i], &st[i],
				       desc[i]);
	}
	if (!run->report->len) {
		compare_stat(run, name[0] ? name : "/", &st[0], &st[1],
			     hidden);
		if (!g_string_equal(desc[0], desc[1])) {
			char *a = g_strescape(desc[0]->str, "\n");
			char *b = g_strescape(desc[1]->str, "\n");

			differ(run, "tree %s: contents differ:\n%.2000s\n"
				    "---\n%.2000s",
			       name[0] ? name : "/", a, b);
			g_free(a);
			g_free(b);
		}
	}
	if (!run->report->len && S_ISDIR(st[0].st_mode)) {
		GString *children = g_string_new("");
		char *path = name[0] ? g_strdup_printf("%s/%s",
						       run->trees[0].root, name)
				     : g_strdup(run->trees[0].root);
		gchar **lines;

		list_dir(&run->trees[0], path, children);
		lines = g_strsplit(children->str, "\n", -1);
		for (gchar **line = lines; *line && !run->report->len; line++) {
			char *child;

			if (!**line || !strcmp(*line, ".") ||
			    !strcmp(*line, ".."))
				continue;
			child = name[0] ? g_strdup_printf("%s/%s", name, *line)
					: g_strdup(*line);
			compare_tree(run, child);
			g_free(child);
		}
		g_strfreev(lines);
		g_string_free(children, TRUE);
		g_free(path);
	}
	g_string_free(desc[0], TRUE);
	g_string_free(desc[1], TRUE);
	g_free(path[0]);
	g_free(path[1]);
}

static const char *err_name(int err)
{
	return err ? strerrorname_np(err) : "0";
}

static void compare_outcomes(struct run *run, const struct op *op,
			     const struct outcome *a, const struct outcome *b)
{
	const struct tree *target = &run->trees[1];

	/* libfuse answers what the kernel asks by inode with a path, and a
	 * file whose directory is gone has none: ESTALE (README). */
	if ((b->err == ESTALE || b->stat_err == ESTALE) &&
	    target->target != TARGET_TMPFS && a->has_stat &&
	    a->stat_err == 0 && a->st.st_nlink == 0)
		return;
	if (a->ret != b->ret || a->err != b->err) {
		differ(run, "returned %lld (%s) != %lld (%s)", a->ret,
		       err_name(a->err), b->ret, err_name(b->err));
		return;
	}
	if (!g_string_equal(a->data, b->data)) {
		size_t at = 0;

		while (at < a->data->len && at < b->data->len &&
		       a->data->str[at] == b->data->str[at])
			at++;
		differ(run, "data differs at byte %zu of %zu/%zu", at,
		       a->data->len, b->data->len);
		return;
	}
	if (a->has_stat != b->has_stat) {
		differ(run, "slot open on one side only");
		return;
	}
	if (a->has_stat) {
		if (a->stat_err != b->stat_err)
			differ(run, "fstat: %s != %s", err_name(a->stat_err),
			       err_name(b->stat_err));
		else if (!a->stat_err)
			compare_stat(run, "fstat", &a->st, &b->st, true);
	}
	if (op->kind == OP_UTIMENS && !a->err) {
		/* Explicit times are kept to the nanosecond; a symlink's
		 * atime only until the link is next followed, which the
		 * path walk below may do (relatime). */
		struct stat st[2];

		for (int i = 0; i < 2; i++) {
			char *path = tree_path(&run->trees[i], op->path);

			fstatat(AT_FDCWD, path, &st[i],
				op->flags & AT_SYMLINK_NOFOLLOW);
			g_free(path);
		}
		if (op->times[1] != UTIME_NOW && op->times[1] != UTIME_OMIT &&
		    !S_ISLNK(st[0].st_mode) &&
		    (st[0].st_atim.tv_sec != st[1].st_atim.tv_sec ||
		     st[0].st_atim.tv_nsec != st[1].st_atim.tv_nsec))
			differ(run, "atime %lld.%09ld != %lld.%09ld",
			       (long long)st[0].st_atim.tv_sec,
			       st[0].st_atim.tv_nsec,
			       (long long)st[1].st_atim.tv_sec,
			       st[1].st_atim.tv_nsec);
		if (op->times[3] != UTIME_NOW && op->times[3] != UTIME_OMIT &&
		    (st[0].st_mtim.tv_sec != st[1].st_mtim.tv_sec ||
		     st[0].st_mtim.tv_nsec != st[1].st_mtim.tv_nsec))
			differ(run, "mtime %lld.%09ld != %lld.%09ld",
			       (long long)st[0].st_mtim.tv_sec,
			       st[0].st_mtim.tv_nsec,
			       (long long)st[1].st_mtim.tv_sec,
			       st[1].st_mtim.tv_nsec);
	}
}

/* Whether the step must be skipped on both sides, as it would differ in an
 * allowed way:
 *  - lseek on a directory: its offsets are opaque cookies (POSIX), and
 *    the kernel seeks FUSE directories with generic_file_llseek, which
 *    takes SEEK_END, SEEK_DATA and SEEK_HOLE against the directory's
 *    size, where tmpfs's dcache_dir_lseek refuses them with EINVAL; no
 *    request reaches the file system;
 *  - a plain rename of a file onto another name of itself, open: POSIX
 *    makes it do nothing, but libfuse 3.14 (fuse_lib_rename) first hides
 *    the open target, without asking whether it is the source, and the
 *    rename then goes ahead: the source's name is gone;
 *  - with TARGET_HIDES_BY_RENAME a directory that holds a file unlinked
 *    while open is not empty (memfs/README), so it can neither be
 *    removed nor replaced by a rename. */
static bool allowed_to_differ(const struct run *run, const struct op *op)
{
	const struct tree *target = &run->trees[1];
	bool skip = false;

	if (op->kind == OP_RENAME && op->flags == 0) {
		const struct tree *ref = &run->trees[0];
		char *from = tree_path(ref, op->path);
		char *to = tree_path(ref, op->path2);
		struct stat a, b, open;

		if (lstat(from, &a) == 0 && lstat(to, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			for (int i = 0; i < SLOTS; i++)
				skip |= ref->fds[i] >= 0 &&
					fstat(ref->fds[i], &open) == 0 &&
					open.st_ino == b.st_ino;
		g_free(from);
		g_free(to);
		if (skip)
			return true;
	}

	if (op->kind == OP_LSEEK && run->trees[0].fds[op->slot] >= 0 &&
	    run->trees[0].is_dir[op->slot])
		return true;

	if (target->target != TARGET_HIDES_BY_RENAME ||
	    (op->kind != OP_RMDIR && op->kind != OP_RENAME))
		return false;
	for (int i = 0; i < 2; i++) {
		char *path = tree_path(target, i ? op->path2 : op->path);

		skip |= (i == 0 || op->kind == OP_RENAME) && holds_hidden(path);
		g_free(path);
	}
	return skip;
}

/* Run one step on both trees and compare; false on a difference. */
static bool run_step(struct run *run, const struct op *op)
{
	struct outcome out[2];

	if (allowed_to_differ(run, op))
		return true;
	for (int i = 0; i < 2; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].data = g_string_new("");
		run_op(&run->trees[i], op, &out[i]);
	}
	compare_outcomes(run, op, &out[0], &out[1]);
	if (!run->report->len && op->kind >= OP_TRUNCATE &&
	    op->kind != OP_FALLOCATE && op->kind != OP_LSEEK &&
	    op->kind != OP_FSYNC && op->kind != OP_FSTAT) {
		for (int p = 0; p < 2; p++) {
			const char *name = paths[p ? op->path2 : op->path];
			char *parent;

			if (p == 1 && op->kind != OP_RENAME &&
			    op->kind != OP_LINK)
				break;
			parent = parent_of(name);
			compare_path(run, name);
			compare_path(run, parent);
			g_free(parent);
		}
	}
	for (int i = 0; i < 2; i++)
		g_string_free(out[i].data, TRUE);
	return run->report->len == 0;
}

/* ---- Trees and runs ----------------------------------------------------- */

static void tree_open(struct tree *tree, const char *label,
		      const char *base, enum target target)
{
	tree->label = label;
	/* The root of the mount itself, which cannot be removed or renamed
	 * (EBUSY on both sides), emptied from the run before. */
	tree->root = g_strdup(base);
	tree->target = target;
	for (int i = 0; i < SLOTS; i++)
		tree->fds[i] = -1;
	assert_int_equal(test_shell("find '%s' -mindepth 1 -delete && "
				    "chmod 1777 '%s'",
				    tree->root, tree->root),
			 0);
	for (size_t i = 0; i < XATTR_NAMES; i++)
		lremovexattr(tree->root, xattr_names[i]);
}

static void tree_close(struct tree *tree)
{
	for (int i = 0; i < SLOTS; i++)
		close_slot(tree, i);
	g_free(tree->root);
	tree->root = NULL;
}

/* Run ops[0..count) from empty trees; the index of the step that
 * differed, or -1. */
static int run_ops(struct run *run, const char *const bases[2],
		   enum target target, const struct op *ops, int count)
{
	int every = run->reducing ? count : TREE_CHECK_EVERY;
	int failed = -1;

	g_string_assign(run->report, "");
	tree_open(&run->trees[0], "tmpfs", bases[0], TARGET_TMPFS);
	tree_open(&run->trees[1], "fuse", bases[1], target);
	for (int i = 0; i < count && failed < 0; i++) {
		run->step = i;
		if (run_step(run, &ops[i]) &&
		    ((i + 1) % every == 0 || i + 1 == count))
			compare_tree(run, "");
		if (run->report->len)
			failed = i;
	}
	tree_close(&run->trees[0]);
	tree_close(&run->trees[1]);
	return failed;
}

static void print_op(const char *prefix, int step, const struct op *op)
{
	char *c = op_to_c(op);

	print_message("%s%4d %s\n", prefix, step, c);
	g_free(c);
}

/* Shorten a failing sequence: drop chunks of operations, halving the
 * chunk down to single operations, keeping every drop after which the
 * last operation still differs. */
static int reduce(struct run *run, const char *const bases[2],
		  enum target target, struct op *ops, int count)
{
	struct op *trial = g_new(struct op, count);
	/* A minute or two: what is left then is short enough to read. */
	long long end = test_now_ms() + 90000;

	run->reducing = true;
	for (int chunk = count / 2; chunk >= 1; chunk /= 2) {
		for (int start = count - 1 - chunk;
		     start >= 0 && test_now_ms() < end;) {
			int n = 0, failed;

			for (int i = 0; i < count; i++)
				if (i < start || i >= start + chunk)
					trial[n++] = ops[i];
			failed = run_ops(run, bases, target, trial, n);
			if (failed == n - 1) {
				memcpy(ops, trial, n * sizeof(*ops));
				count = n;
				start = MIN(start, count - 1 - chunk);
			} else {
				start -= chunk;
			}
		}
	}
	g_free(trial);
	return count;
}

static unsigned long long env_number(const char *name,
				     unsigned long long fallback)
{
	const char *value = getenv(name);

	if (!value || !*value)
		return fallback;
	if (!strcmp(value, "random"))
		return (unsigned long long)time(NULL) ^
		       ((unsigned long long)getpid() << 32);
	return strtoull(value, NULL, 0);
}

static void run_sequence(const char *const bases[2], enum target target,
			 const char *what, const struct op *given, int count,
			 unsigned long long seed)
{
	struct run run = { .seed = seed, .report = g_string_new("") };
	struct op *ops = g_new(struct op, count);
	int failed;

	memcpy(ops, given, count * sizeof(*ops));
	failed = run_ops(&run, bases, target, ops, count);
	if (failed < 0) {
		g_string_free(run.report, TRUE);
		g_free(ops);
		return;
	}
	print_error("%s: step %d of %d (seed %llu) differs: %s\n", what,
		    failed, count, seed, run.report->str);
	for (int i = MAX(0, failed - 8); i <= failed; i++)
		print_op("  step ", i, &ops[i]);
	if (getenv("FUSEHOST_DIFF_REDUCE")) {
		GString *first = g_string_new(run.report->str);
		int n = reduce(&run, bases, target, ops, failed + 1);

		print_error("reduced to %d steps (now: %s):\n", n,
			    run_ops(&run, bases, target, ops, n) == n - 1
				? run.report->str
				: "no longer differs");
		for (int i = 0; i < n; i++)
			print_op("  ", i, &ops[i]);
		g_string_free(first, TRUE);
	}
	fail_msg("%s differs from tmpfs", what);
}

/* ---- The fixture: tmpfs, and the daemon serving both plugins ------------ */

struct diff_fixture {
	struct fixture base;
	char *reference;   /* tmpfs */
	char *backing;	   /* tmpfs below passthrough */
	char *passthrough; /* mountpoints */
	char *memfs;
};

static int diff_setup(void **state)
{
	struct diff_fixture *f = g_new0(struct diff_fixture, 1);
	void *base;
	char *config;

	fixture_setup(&base);
	f->base = *(struct fixture *)base;
	g_free(base);
	f->reference = test_subdir(f->base.dir, "reference");
	f->backing = test_subdir(f->base.dir, "backing");
	f->passthrough = test_subdir(f->base.dir, "passthrough");
	f->memfs = test_subdir(f->base.dir, "memfs");
	assert_int_equal(mount("tmpfs", f->reference, "tmpfs", 0, "size=256M"),
			 0);
	assert_int_equal(mount("tmpfs", f->backing, "tmpfs", 0, "size=256M"), 0);
	/* cache = none: every request reaches the backing tmpfs, with no
	 * cached name or attribute to go stale (README). */
	config = g_strdup_printf(
	    "[mount passthrough]\nplugin = passthrough\nmountpoint = %s\n"
	    "options = default_permissions,allow_other\nroot = %s\n"
	    "cache = none\n"
	    "[mount memfs]\nplugin = memfs\nmountpoint = %s\n"
	    "options = default_permissions,allow_other\n",
	    f->passthrough, f->backing, f->memfs);
	test_write_file(f->base.config, config);
	g_free(config);
	f->base.daemon = fusehostd_start(f->base.config, NULL);
	assert_true(wait_for_fuse_mount(f->passthrough, START_TIMEOUT_MS));
	assert_true(wait_for_fuse_mount(f->memfs, START_TIMEOUT_MS));
	*state = f;
	return 0;
}

static int diff_teardown(void **state)
{
	struct diff_fixture *f = *state;
	static const char *const expected[] = { NULL };
	int status = fusehostd_stop(f->base.daemon, SIGTERM, STOP_TIMEOUT_MS);

	if (status == 0)
		fusehostd_assert_log_clean(f->base.daemon, expected);
	fusehostd_free(f->base.daemon);
	f->base.daemon = NULL;
	umount(f->reference);
	umount(f->backing);
	test_dir_remove(f->base.dir);
	g_free(f->base.config);
	g_free(f->reference);
	g_free(f->backing);
	g_free(f->passthrough);
	g_free(f->memfs);
	g_free(f);
	return status == 0 ? 0 : -1;
}

static void random_run(void **state, bool memfs)
{
	struct diff_fixture *f = *state;
	unsigned long long seed = env_number("FUSEHOST_DIFF_SEED",
					     DEFAULT_SEED);
	int steps = (int)env_number("FUSEHOST_DIFF_STEPS", DEFAULT_STEPS);
	const char *const bases[2] = { f->reference,
				       memfs ? f->memfs : f->passthrough };
	struct op *ops = g_new(struct op, steps);
	struct rng rng;
	const char *only = getenv("FUSEHOST_DIFF_TARGET");

	if (only && *only && strcmp(only, memfs ? "memfs" : "passthrough")) {
		g_free(ops);
		skip();
	}
	print_message("%s: seed %llu (FUSEHOST_DIFF_SEED), %d steps "
		      "(FUSEHOST_DIFF_STEPS)\n",
		      memfs ? "memfs" : "passthrough", seed, steps);
	rng_seed(&rng, seed);
	for (int i = 0; i < steps; i++)
		draw_op(&rng, &ops[i]);
	run_sequence(bases, memfs ? TARGET_HIDES_BY_RENAME
				  : TARGET_HIDES_IN_MEMORY,
		     memfs ? "memfs" : "passthrough", ops, steps, seed);
	g_free(ops);
}

static void test_memfs_random(void **state)
{
	random_run(state, true);
}

static void test_passthrough_random(void **state)
{
	random_run(state, false);
}

/* ---- Regression cases: differences found, reduced and fixed ------------ */

struct regression {
	const char *what;
	const struct op *ops;
	int count;
};

/* passthrough: a file with two names, open through one that is then
 * removed, showed st_nlink 0 through its descriptor, not 1: libfuse takes
 * a link off a hidden file, which passthrough had unlinked for real. */
static const struct op hidden_file_with_another_name[] = {
	{ OP_MKDIR, 0, 3, 0, 0, 0755, 0, 0, 0, 0, { 0 } },
	{ OP_OPEN, 5, 8, 0, O_CREAT | O_TRUNC | O_WRONLY, 0644, 0, 0, 0, 0,
	  { 0 } },
	{ OP_LINK, 0, 8, 9, 0, 0, 0, 0, 0, 0, { 0 } },
	{ OP_OPEN, 5, 9, 0, O_CREAT | O_RDWR, 0644, 0, 0, 0, 0, { 0 } },
	{ OP_UNLINK, 0, 9, 0, 0, 0, 0, 0, 0, 0, { 0 } },
	{ OP_FSTAT, 5, 0, 0, 0, 0, 0, 0, 0, 0, { 0 } },
	{ OP_READ, 5, 0, 0, 0, 0, 0, 10, 0, 0, { 0 } },
};

#define CASE(what, ops) { what, ops, sizeof(ops) / sizeof(ops[0]) }

static const struct regression regressions[] = {
	CASE("hidden file with another name", hidden_file_with_another_name),
	{ NULL, NULL, 0 },
};

/* Every case on both plugins. */
static void test_regressions(void **state)
{
	struct diff_fixture *f = *state;

	for (const struct regression *r = regressions; r->what; r++) {
		const char *const memfs[2] = { f->reference, f->memfs };
		const char *const passthrough[2] = { f->reference,
						     f->passthrough };
		char *what = g_strdup_printf("%s (passthrough)", r->what);

		run_sequence(passthrough, TARGET_HIDES_IN_MEMORY, what, r->ops,
			     r->count, 0);
		g_free(what);
		what = g_strdup_printf("%s (memfs)", r->what);
		run_sequence(memfs, TARGET_HIDES_BY_RENAME, what, r->ops,
			     r->count, 0);
		g_free(what);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regressions, diff_setup,
						diff_teardown),
		cmocka_unit_test_setup_teardown(test_passthrough_random,
						diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_memfs_random, diff_setup,
						diff_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
