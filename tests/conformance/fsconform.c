/*
 * fsconform: a POSIX filesystem conformance suite in the spirit of
 * pjdfstest, which Debian does not package.  memfs must behave like Linux
 * tmpfs, so every expected result here is what tmpfs gives; tmpfs passes
 * the whole suite (user.* xattrs need Linux 6.6 or later on tmpfs).
 *
 *   cc -std=gnu11 -Wall -Wextra -Werror -O2 -g fsconform.c -o fsconform
 *   fsconform [-v] DIR          (as root)
 *
 * DIR is a directory on the filesystem under test.  The suite works in
 * DIR/fsconform.PID and removes it at the end.  It prints one TAP line per
 * check (-v adds a comment line per group of checks), then
 * "N passed, N failed"; it exits 0 if everything passed, 1 if something
 * failed and 2 if it could not start.
 *
 * The permission checks run in children that switch to uids 65534 and 65533,
 * so a FUSE filesystem must be mounted with allow_other, and with
 * default_permissions so that the kernel enforces modes as it does on tmpfs.
 *
 * Validate any change to an expectation against tmpfs:
 *   mkdir -p /tmp/tt && mount -t tmpfs none /tmp/tt && ./fsconform /tmp/tt
 *   umount /tmp/tt
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

enum { MiB = 1024 * 1024 };

/* Two unprivileged identities that need not exist in /etc/passwd. */
static const uid_t U1 = 65534, U2 = 65533;
static const gid_t G1 = 65534, G2 = 65533;

/* An mtime old enough that any update by the filesystem is visible. */
static const struct timespec OLD_TIME = {1000000000, 0};

static int n_run, n_failed;
static bool verbose;

/*
 * Set when lstat_of() and friends fail; their zeroed result could satisfy
 * a check (mode 0, owner root), so the next check fails instead.
 */
static bool stat_failed;

/* ---- reporting ---- */

__attribute__((format(printf, 3, 4))) static bool
check(bool ok, const char *what, const char *why, ...)
{
	bool stat_ok = !stat_failed;
	va_list ap;

	n_run++;
	stat_failed = false;
	if (ok && stat_ok) {
		printf("ok %d - %s\n", n_run, what);
		return true;
	}
	n_failed++;
	printf("not ok %d - %s: ", n_run, what);
	if (ok) {
		printf("a stat it depends on failed (see above)\n");
		return false;
	}
	va_start(ap, why);
	vprintf(why, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

__attribute__((format(printf, 1, 2))) static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *errname(int e)
{
	const char *name;

	if (e == 0)
		return "0";
	if (e < 0)
		return "no result (the child process failed)";
	name = strerrorname_np(e);
	return name ? name : "an unknown errno";
}

/* The outcome of a call as one number: 0 for success, else errno. */
static int errno_of(long rc)
{
	return rc == -1 ? errno : 0;
}

/* The same for open(), closing what it opened. */
static int errno_of_fd(int fd)
{
	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}

/* want and got are 0 for success or an errno value. */
static bool expect(int got, int want, const char *what)
{
	return check(got == want, what, "expected %s, got %s", errname(want),
		     errname(got));
}

/*
 * A fixture that cannot be built is reported as a failure; the checks that
 * depend on it then fail on their own, with their own explanations.
 */
static void setup(long rc, const char *what)
{
	int e = errno;

	if (rc == -1)
		check(false, what, "setup failed: %s", errname(e));
}

/* ---- helpers ---- */

static struct stat lstat_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		diag("lstat %s: %s", path, errname(errno));
		memset(&st, 0, sizeof(st));
		stat_failed = true;
	}
	return st;
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		diag("stat %s: %s", path, errname(errno));
		memset(&st, 0, sizeof(st));
		stat_failed = true;
	}
	return st;
}

static struct stat fstat_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		diag("fstat %d: %s", fd, errname(errno));
		memset(&st, 0, sizeof(st));
		stat_failed = true;
	}
	return st;
}

static unsigned mode_of(struct stat st)
{
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t done;

	while (n > 0) {
		done = write(fd, p, n);
		if (done <= 0)
			return false;
		p += done;
		n -= done;
	}
	return true;
}

/* Reads until n bytes or end of file; returns the count, or -1. */
static ssize_t pread_full(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	size_t total = 0;
	ssize_t got;

	while (total < n) {
		got = pread(fd, p + total, n - total, off + total);
		if (got == -1)
			return -1;
		if (got == 0)
			break;
		total += got;
	}
	return total;
}

/* Creates path exclusively with exactly mode (not masked) and text. */
static int make_file(const char *path, mode_t mode, const char *text)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1)
		return -1;
	if (!write_full(fd, text, strlen(text)) || fchmod(fd, mode) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* open(path, O_WRONLY | O_CREAT | flags, mode) and close, for setup(). */
static int create_file(const char *path, int flags, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, mode);

	return fd == -1 ? -1 : close(fd);
}

/* chown before chmod: chown may clear set-id bits. */
static int make_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (make_file(path, 0600, "data") == -1 || chown(path, uid, gid) == -1)
		return -1;
	return chmod(path, mode);
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) == -1 || chown(path, uid, gid) == -1)
		return -1;
	return chmod(path, mode);
}

/* The start of a small file, or "<ERRNO>" if it cannot be read. */
static const char *contents(const char *path)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		snprintf(buf, sizeof(buf), "<%s>", errname(errno));
		return buf;
	}
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n == -1)
		n = 0;
	buf[n] = '\0';
	return buf;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static char *long_name(char *buf, size_t size, const char *dir, char c,
		       size_t len)
{
	size_t at = snprintf(buf, size, "%s/", dir);

	memset(buf + at, c, len);
	buf[at + len] = '\0';
	return buf;
}

static int rename2(const char *from, const char *to, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "fsconform: out of memory\n");
		exit(2);
	}
	return p;
}

/* Reproducible pseudorandom data (xorshift64*), so failures repeat. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rng() >> 56;
}

/* ---- timestamps ---- */

/*
 * Longer than a jiffy, the granularity of the kernel's coarse clock, so
 * that a timestamp set after the pause differs from one set before it.
 */
static void tick(void)
{
	struct timespec pause = {0, 30 * 1000 * 1000};

	nanosleep(&pause, NULL);
}

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

struct stamp {
	struct timespec mtime, ctime;
};

/*
 * Back-dates path's mtime and remembers its ctime, so that whether an
 * operation updates either shows.
 */
static struct stamp stamp(const char *path)
{
	const struct timespec old[2] = {OLD_TIME, OLD_TIME};
	struct stat st;

	if (utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW) == -1)
		diag("utimensat %s: %s", path, errname(errno));
	st = lstat_of(path);
	tick();
	return (struct stamp){st.st_mtim, st.st_ctim};
}

static const char *change_word(bool changed)
{
	return changed ? "updated" : "unchanged";
}

static void check_times(const char *path, struct stamp before, bool mtime,
			bool ctime, const char *what)
{
	struct stat st = lstat_of(path);
	int m = ts_cmp(st.st_mtim, before.mtime);
	int c = ts_cmp(st.st_ctim, before.ctime);
	char desc[300];

	if (mtime == ctime)
		snprintf(desc, sizeof(desc), "%s: mtime and ctime %s", what,
			 change_word(mtime));
	else
		snprintf(desc, sizeof(desc), "%s: mtime %s, ctime %s", what,
			 change_word(mtime), change_word(ctime));
	check((mtime ? m > 0 : m == 0) && (ctime ? c > 0 : c == 0), desc,
	      "mtime %lld.%09ld -> %lld.%09ld, ctime %lld.%09ld -> %lld.%09ld",
	      (long long)before.mtime.tv_sec, before.mtime.tv_nsec,
	      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	      (long long)before.ctime.tv_sec, before.ctime.tv_nsec,
	      (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* ---- running as an unprivileged user ---- */

enum op_kind {
	OP_OPEN,
	OP_ACCESS,
	OP_STAT,
	OP_OPENDIR,
	OP_MKDIR,
	OP_RMDIR,
	OP_UNLINK,
	OP_RENAME,
	OP_SYMLINK,
	OP_CHMOD,
	OP_CHOWN,
	OP_UTIMENS,
	OP_TRUNCATE,
	OP_APPEND,
	OP_SETXATTR,
	OP_GETXATTR,
};

struct op {
	enum op_kind kind;
	const char *path;
	const char *path2; /* rename's target, symlink's name */
	int flags;	   /* open's flags, access's mode */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	const struct timespec *times;
};

static int run_op(const struct op *op)
{
	struct stat st;
	char value[64];
	DIR *dir;
	int fd, e;

	switch (op->kind) {
	case OP_OPEN:
		return errno_of_fd(open(op->path, op->flags, op->mode));
	case OP_ACCESS:
		return errno_of(access(op->path, op->flags));
	case OP_STAT:
		return errno_of(stat(op->path, &st));
	case OP_OPENDIR:
		dir = opendir(op->path);
		if (!dir)
			return errno;
		closedir(dir);
		return 0;
	case OP_MKDIR:
		return errno_of(mkdir(op->path, op->mode));
	case OP_RMDIR:
		return errno_of(rmdir(op->path));
	case OP_UNLINK:
		return errno_of(unlink(op->path));
	case OP_RENAME:
		return errno_of(rename(op->path, op->path2));
	case OP_SYMLINK:
		return errno_of(symlink(op->path, op->path2));
	case OP_CHMOD:
		return errno_of(chmod(op->path, op->mode));
	case OP_CHOWN:
		return errno_of(chown(op->path, op->uid, op->gid));
	case OP_UTIMENS:
		return errno_of(utimensat(AT_FDCWD, op->path, op->times, 0));
	case OP_TRUNCATE:
		return errno_of(truncate(op->path, 1));
	case OP_APPEND:
		fd = open(op->path, O_WRONLY | O_APPEND);
		if (fd == -1)
			return errno;
		e = errno_of(write(fd, "+", 1));
		close(fd);
		return e;
	case OP_SETXATTR:
		return errno_of(
		    setxattr(op->path, "user.fsconform", "v", 1, 0));
	case OP_GETXATTR:
		return errno_of(
		    getxattr(op->path, "user.fsconform", value, sizeof(value)));
	}
	return EINVAL;
}

/*
 * Runs op in a child with only uid and gid (no supplementary groups) and
 * returns 0 or the errno it got, or -1 if the child itself failed.
 */
static int as_user(uid_t uid, gid_t gid, struct op op)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1)
			_exit(255);
		_exit(run_op(&op));
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 255)
		return -1;
	return WEXITSTATUS(status);
}

/* ---- the checks ---- */

/* Each group of checks works in a directory of its own. */
static void section(const char *name)
{
	char what[64];

	if (verbose)
		diag("%s", name);
	snprintf(what, sizeof(what), "setup: mkdir %s", name);
	setup(mkdir(name, 0755), what);
}

static void test_open(void)
{
	struct stat st;
	const char *c;
	ssize_t n;
	off_t off;
	int fd;
	struct stamp before;

	section("open");
	setup(create_file("open/f", O_EXCL, 0644),
	      "setup: open: O_CREAT|O_EXCL creates a new file");
	st = lstat_of("open/f");
	check(S_ISREG(st.st_mode) && st.st_size == 0,
	      "open: the new file is an empty regular file",
	      "mode %06o, size %jd", (unsigned)st.st_mode,
	      (intmax_t)st.st_size);
	check(mode_of(st) == 0644, "open: the new file has the requested mode",
	      "mode %04o", mode_of(st));
	check(st.st_uid == 0 && st.st_gid == 0,
	      "open: the new file belongs to the caller's uid and gid",
	      "owner %u:%u", st.st_uid, st.st_gid);
	expect(errno_of_fd(open("open/f", O_WRONLY | O_CREAT | O_EXCL, 0644)),
	       EEXIST, "open: O_CREAT|O_EXCL on an existing file gives EEXIST");

	setup(symlink("target", "open/dangling"),
	      "setup: symlink open/dangling");
	expect(errno_of_fd(
		   open("open/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644)),
	       EEXIST,
	       "open: O_CREAT|O_EXCL on a dangling symlink gives EEXIST");
	setup(create_file("open/dangling", 0, 0644),
	      "setup: open: O_CREAT through a dangling symlink succeeds");
	check(S_ISREG(lstat_of("open/target").st_mode),
	      "open: O_CREAT through a dangling symlink creates its target",
	      "open/target is not a regular file");

	expect(errno_of_fd(open("open/missing", O_RDONLY)), ENOENT,
	       "open: a missing file gives ENOENT");
	expect(errno_of_fd(open("open/nodir/f", O_WRONLY | O_CREAT, 0644)),
	       ENOENT, "open: O_CREAT under a missing directory gives ENOENT");
	expect(errno_of_fd(open("open/f/x", O_RDONLY)), ENOTDIR,
	       "open: a file used as a directory gives ENOTDIR");
	expect(errno_of_fd(open("open/f/x", O_WRONLY | O_CREAT, 0644)), ENOTDIR,
	       "open: O_CREAT under a file gives ENOTDIR");
	expect(errno_of_fd(open("open/f/", O_RDONLY)), ENOTDIR,
	       "open: a file named with a trailing slash gives ENOTDIR");

	setup(mkdir("open/d", 0755), "setup: mkdir open/d");
	expect(errno_of_fd(open("open/d", O_WRONLY)), EISDIR,
	       "open: a directory for writing gives EISDIR");
	expect(errno_of_fd(open("open/d", O_RDWR)), EISDIR,
	       "open: a directory for reading and writing gives EISDIR");
	expect(errno_of_fd(open("open/d", O_RDONLY | O_CREAT, 0644)), EISDIR,
	       "open: O_CREAT on an existing directory gives EISDIR");
	expect(errno_of_fd(open("open/f", O_RDONLY | O_DIRECTORY)), ENOTDIR,
	       "open: O_DIRECTORY on a file gives ENOTDIR");

	setup(make_file("open/t", 0644, "hello world"), "setup: open/t");
	before = stamp("open/t");
	fd = open("open/t", O_WRONLY | O_TRUNC);
	check(fd >= 0 && fstat_of(fd).st_size == 0,
	      "open: O_TRUNC empties the file", "open: %s, size %jd",
	      errname(fd >= 0 ? 0 : errno),
	      (intmax_t)lstat_of("open/t").st_size);
	if (fd >= 0)
		close(fd);
	check_times("open/t", before, true, true, "open: O_TRUNC");

	setup(make_file("open/keep", 0600, "abc"), "setup: open/keep");
	setup(create_file("open/keep", 0, 0777),
	      "setup: open: O_CREAT without O_EXCL opens an existing file");
	st = lstat_of("open/keep");
	check(st.st_size == 3 && mode_of(st) == 0600,
	      "open: O_CREAT on an existing file keeps its data and mode",
	      "size %jd, mode %04o", (intmax_t)st.st_size, mode_of(st));
	fd = creat("open/keep", 0644);
	setup(fd, "setup: creat open/keep");
	close(fd);
	check(lstat_of("open/keep").st_size == 0,
	      "creat: an existing file is truncated", "size %jd",
	      (intmax_t)lstat_of("open/keep").st_size);

	/* The process umask, not the filesystem, decides the final mode. */
	umask(027);
	setup(create_file("open/um", 0, 0777), "setup: create open/um");
	setup(mkdir("open/umd", 0777), "setup: mkdir open/umd");
	setup(mkfifo("open/ump", 0666), "setup: mkfifo open/ump");
	umask(022);
	setup(create_file("open/suid", 0, 07777), "setup: create open/suid");
	check(mode_of(lstat_of("open/um")) == 0750,
	      "open: mode 0777 under umask 027 gives 0750", "mode %04o",
	      mode_of(lstat_of("open/um")));
	check(mode_of(lstat_of("open/umd")) == 0750,
	      "mkdir: mode 0777 under umask 027 gives 0750", "mode %04o",
	      mode_of(lstat_of("open/umd")));
	check(mode_of(lstat_of("open/ump")) == 0640,
	      "mkfifo: mode 0666 under umask 027 gives 0640", "mode %04o",
	      mode_of(lstat_of("open/ump")));
	check(mode_of(lstat_of("open/suid")) == 07755,
	      "open: mode 07777 under umask 022 gives 07755 for root",
	      "mode %04o", mode_of(lstat_of("open/suid")));

	setup(make_file("open/app", 0644, "abc"), "setup: open/app");
	fd = open("open/app", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	n = write(fd, "def", 3);
	off = lseek(fd, 0, SEEK_CUR);
	close(fd);
	c = contents("open/app");
	check(n == 3 && off == 6 && strcmp(c, "abcdef") == 0,
	      "open: O_APPEND writes at the end whatever the offset",
	      "write returned %zd, offset %jd, contents \"%s\"", n,
	      (intmax_t)off, c);
}

static void test_data(void)
{
	static const size_t chunks[] = {1,     4095,   4096, 4097,
					65536, 131075, MiB,  333};
	const size_t size = 6 * MiB + 12345;
	unsigned char *want = xmalloc(size), *got = xmalloc(size);
	unsigned char small[16];
	size_t off = 0, n, nchunks = sizeof(chunks) / sizeof(chunks[0]);
	bool ok;
	ssize_t r;
	int fd, bad = 0;
	off_t first_bad = -1, at;

	section("data");
	fill_random(want, size);
	fd = open("data/big", O_RDWR | O_CREAT | O_EXCL, 0644);
	ok = fd >= 0;
	for (size_t i = 0; ok && off < size; i++) {
		n = chunks[i % nchunks];
		if (n > size - off)
			n = size - off;
		ok = write_full(fd, want + off, n);
		if (ok)
			off += n;
	}
	check(ok, "write: 6 MiB of pseudorandom data in odd-sized chunks",
	      "failed at offset %zu: %s", off, errname(errno));
	check(fstat_of(fd).st_size == (off_t)size,
	      "write: the file size is the number of bytes written", "size %jd",
	      (intmax_t)fstat_of(fd).st_size);
	close(fd);

	/* Read back through a new descriptor, in chunks that straddle pages. */
	fd = open("data/big", O_RDONLY);
	off = 0;
	while (fd >= 0 && off < size) {
		n = size - off < 100003 ? size - off : 100003;
		r = read(fd, got + off, n);
		if (r <= 0)
			break;
		off += r;
	}
	r = fd >= 0 ? read(fd, small, 1) : -1;
	check(off == size && r == 0 && memcmp(want, got, size) == 0,
	      "read: the data reads back identical, then end of file",
	      "read %zu bytes, final read %zd, %s", off, r,
	      memcmp(want, got, off) ? "contents differ" : "contents agree");
	close(fd);

	fd = open("data/big", O_RDWR);
	for (int i = 0; i < 64; i++) {
		at = rng() % size;
		n = rng() % 70000 + 1;
		if (n > size - at)
			n = size - at;
		r = pread_full(fd, got, n, at);
		if (r != (ssize_t)n || memcmp(got, want + at, n) != 0) {
			if (bad++ == 0)
				first_bad = at;
		}
	}
	check(bad == 0,
	      "pread: 64 reads at random offsets return the right data",
	      "%d wrong, the first at offset %jd", bad, (intmax_t)first_bad);

	/* Overwrite scattered ranges, then compare the whole file again. */
	ok = true;
	for (int i = 0; i < 32 && ok; i++) {
		at = rng() % size;
		n = rng() % 20000 + 1;
		if (n > size - at)
			n = size - at;
		fill_random(want + at, n);
		ok = pwrite(fd, want + at, n, at) == (ssize_t)n;
	}
	r = pread_full(fd, got, size, 0);
	check(ok && r == (ssize_t)size && memcmp(want, got, size) == 0 &&
		  fstat_of(fd).st_size == (off_t)size,
	      "pwrite: 32 overwrites in place read back, size unchanged",
	      "pwrite %s, read %zd bytes, size %jd", ok ? "ok" : "failed", r,
	      (intmax_t)fstat_of(fd).st_size);
	close(fd);

	fd = open("data/sparse", O_RDWR | O_CREAT | O_EXCL, 0644);
	expect(errno_of(pwrite(fd, "X", 1, MiB)), 0,
	       "sparse: a write at 1 MiB into an empty file succeeds");
	check(fstat_of(fd).st_size == MiB + 1,
	      "sparse: the size runs to the end of that write", "size %jd",
	      (intmax_t)fstat_of(fd).st_size);
	memset(got, 0xff, MiB + 1);
	r = pread_full(fd, got, MiB + 1, 0);
	check(r == MiB + 1 && all_zero(got, MiB) && got[MiB] == 'X',
	      "sparse: the hole reads as zeros, then the written byte",
	      "read %zd bytes", r);
	close(fd);

	fd = open("data/pp", O_RDWR | O_CREAT | O_EXCL, 0644);
	ok = pwrite(fd, "aaaa", 4, 0) == 4 && pwrite(fd, "bbbb", 4, 10) == 4 &&
	     pwrite(fd, "cccc", 4, 5000) == 4;
	check(ok && fstat_of(fd).st_size == 5004,
	      "pwrite: writes at 0, 10 and 5000 give size 5004", "size %jd",
	      (intmax_t)fstat_of(fd).st_size);
	r = pread(fd, got, 14, 0);
	check(r == 14 && memcmp(got, "aaaa\0\0\0\0\0\0bbbb", 14) == 0,
	      "pread: the gap between two writes reads as zeros",
	      "read %zd bytes", r);
	r = pread(fd, got, 4, 5000);
	check(r == 4 && memcmp(got, "cccc", 4) == 0,
	      "pread: reads back a write at an offset", "read %zd bytes", r);
	check(lseek(fd, 0, SEEK_CUR) == 0,
	      "pwrite: pread and pwrite leave the file offset alone",
	      "offset %jd", (intmax_t)lseek(fd, 0, SEEK_CUR));
	r = pread(fd, got, 4, 5002);
	check(r == 2, "pread: across the end of file returns a short count",
	      "returned %zd", r);
	r = pread(fd, got, 4, 6000);
	check(r == 0, "pread: beyond the end of file returns 0", "returned %zd",
	      r);
	r = pwrite(fd, "ZZ", 2, 1);
	check(r == 2 && pread(fd, got, 4, 0) == 4 &&
		  memcmp(got, "aZZa", 4) == 0,
	      "pwrite: overwriting the middle of a write", "got \"%.4s\"",
	      (char *)got);
	r = write(fd, got, 0);
	check(r == 0 && fstat_of(fd).st_size == 5004,
	      "write: zero bytes returns 0 and keeps the size",
	      "returned %zd, size %jd", r, (intmax_t)fstat_of(fd).st_size);
	check(lseek(fd, 0, SEEK_END) == 5004,
	      "lseek: SEEK_END goes to the end of the file", "offset %jd",
	      (intmax_t)lseek(fd, 0, SEEK_END));
	close(fd);
	free(want);
	free(got);
}

static void test_truncate(void)
{
	unsigned char buf[10000];
	struct stamp before;
	struct stat st;
	const char *c;
	ssize_t r;
	int fd, rfd;

	section("trunc");
	setup(make_file("trunc/f", 0644, "abcdef"), "setup: trunc/f");
	setup(truncate("trunc/f", 10000),
	      "setup: truncate: growing a file succeeds");
	fd = open("trunc/f", O_RDWR);
	r = pread_full(fd, buf, sizeof(buf), 0);
	check(r == 10000 && memcmp(buf, "abcdef", 6) == 0 &&
		  all_zero(buf + 6, 10000 - 6),
	      "truncate: a grown file keeps its data and reads zeros after it",
	      "read %zd bytes", r);
	setup(truncate("trunc/f", 3),
	      "setup: truncate: shrinking a file succeeds");
	c = contents("trunc/f");
	check(lstat_of("trunc/f").st_size == 3 && strcmp(c, "abc") == 0,
	      "truncate: a shrunk file keeps the start of its data",
	      "contents \"%s\"", c);
	setup(truncate("trunc/f", 100), "setup: truncate trunc/f to 100");
	r = pread_full(fd, buf, sizeof(buf), 0);
	check(r == 100 && memcmp(buf, "abc", 3) == 0 && all_zero(buf + 3, 97),
	      "truncate: growing after shrinking does not bring back cut data",
	      "read %zd bytes", r);
	setup(ftruncate(fd, 50), "setup: ftruncate: succeeds");
	check(fstat_of(fd).st_size == 50, "ftruncate: sets the size",
	      "size %jd", (intmax_t)fstat_of(fd).st_size);

	before = stamp("trunc/f");
	setup(truncate("trunc/f", 20), "setup: truncate trunc/f to 20");
	check_times("trunc/f", before, true, true, "truncate");
	before = stamp("trunc/f");
	setup(ftruncate(fd, 10), "setup: ftruncate trunc/f to 10");
	check_times("trunc/f", before, true, true, "ftruncate");

	expect(errno_of(truncate("trunc", 0)), EISDIR,
	       "truncate: a directory gives EISDIR");
	expect(errno_of(truncate("trunc/f", -1)), EINVAL,
	       "truncate: a negative length gives EINVAL");
	expect(errno_of(ftruncate(fd, -1)), EINVAL,
	       "ftruncate: a negative length gives EINVAL");
	rfd = open("trunc/f", O_RDONLY);
	expect(errno_of(ftruncate(rfd, 0)), EINVAL,
	       "ftruncate: a read-only descriptor gives EINVAL");
	close(rfd);
	close(fd);
	expect(errno_of(truncate("trunc/missing", 0)), ENOENT,
	       "truncate: a missing file gives ENOENT");
	expect(errno_of(truncate("trunc/f/x", 0)), ENOTDIR,
	       "truncate: a file used as a directory gives ENOTDIR");
	setup(symlink("f", "trunc/l"), "setup: symlink trunc/l");
	setup(truncate("trunc/l", 2), "setup: truncate trunc/l");
	st = lstat_of("trunc/f");
	check(st.st_size == 2,
	      "truncate: through a symlink truncates the target",
	      "target size %jd", (intmax_t)st.st_size);
}

static void test_mkdir_rmdir(void)
{
	struct stat st, parent;
	nlink_t n0;

	section("dirs");
	n0 = lstat_of("dirs").st_nlink;
	check(n0 == 2, "mkdir: a new directory has st_nlink 2", "st_nlink %ju",
	      (uintmax_t)n0);
	setup(mkdir("dirs/a", 0755), "setup: mkdir: creates a directory");
	st = lstat_of("dirs/a");
	check(S_ISDIR(st.st_mode) && mode_of(st) == 0755 && st.st_uid == 0 &&
		  st.st_gid == 0,
	      "mkdir: the new directory has the requested mode and owner",
	      "mode %06o, owner %u:%u", (unsigned)st.st_mode, st.st_uid,
	      st.st_gid);
	check(lstat_of("dirs").st_nlink == n0 + 1,
	      "mkdir: the parent's st_nlink grows by one", "st_nlink %ju",
	      (uintmax_t)lstat_of("dirs").st_nlink);
	setup(mkdir("dirs/b", 0755), "setup: mkdir dirs/b");
	setup(mkdir("dirs/c", 0755), "setup: mkdir dirs/c");
	check(lstat_of("dirs").st_nlink == n0 + 3,
	      "mkdir: the parent's st_nlink counts every subdirectory",
	      "st_nlink %ju after three", (uintmax_t)lstat_of("dirs").st_nlink);
	setup(make_file("dirs/f", 0644, ""), "setup: dirs/f");
	check(lstat_of("dirs").st_nlink == n0 + 3,
	      "mkdir: a file does not count in the parent's st_nlink",
	      "st_nlink %ju", (uintmax_t)lstat_of("dirs").st_nlink);
	parent = lstat_of("dirs");
	st = stat_of("dirs/a/..");
	check(st.st_ino == parent.st_ino,
	      "mkdir: .. of the new directory is its parent",
	      "ino %ju, not %ju", (uintmax_t)st.st_ino,
	      (uintmax_t)parent.st_ino);
	setup(mkdir("dirs/sticky", 07777), "setup: mkdir dirs/sticky");
	check(
	    mode_of(lstat_of("dirs/sticky")) == 01755,
	    "mkdir: mode 07777 keeps the sticky bit and drops the set-id bits",
	    "mode %04o", mode_of(lstat_of("dirs/sticky")));

	expect(errno_of(mkdir("dirs/a", 0755)), EEXIST,
	       "mkdir: an existing directory gives EEXIST");
	expect(errno_of(mkdir("dirs/f", 0755)), EEXIST,
	       "mkdir: an existing file gives EEXIST");
	expect(errno_of(mkdir("dirs/nodir/x", 0755)), ENOENT,
	       "mkdir: under a missing directory gives ENOENT");
	expect(errno_of(mkdir("dirs/f/x", 0755)), ENOTDIR,
	       "mkdir: under a file gives ENOTDIR");

	n0 = lstat_of("dirs").st_nlink;
	expect(errno_of(rmdir("dirs/c")), 0,
	       "rmdir: removes an empty directory");
	check(!exists("dirs/c"), "rmdir: the directory is gone",
	      "dirs/c still exists");
	check(lstat_of("dirs").st_nlink == n0 - 1,
	      "rmdir: the parent's st_nlink shrinks by one", "st_nlink %ju",
	      (uintmax_t)lstat_of("dirs").st_nlink);
	setup(make_file("dirs/a/x", 0644, ""), "setup: dirs/a/x");
	expect(errno_of(rmdir("dirs/a")), ENOTEMPTY,
	       "rmdir: a directory holding a file gives ENOTEMPTY");
	setup(mkdir("dirs/b/sub", 0755), "setup: mkdir dirs/b/sub");
	expect(errno_of(rmdir("dirs/b")), ENOTEMPTY,
	       "rmdir: a directory holding a directory gives ENOTEMPTY");
	expect(errno_of(rmdir("dirs/f")), ENOTDIR,
	       "rmdir: a file gives ENOTDIR");
	setup(symlink("b", "dirs/bl"), "setup: symlink dirs/bl");
	expect(errno_of(rmdir("dirs/bl")), ENOTDIR,
	       "rmdir: a symlink to a directory gives ENOTDIR");
	expect(errno_of(rmdir("dirs/missing")), ENOENT,
	       "rmdir: a missing directory gives ENOENT");
	expect(errno_of(rmdir("dirs/b/sub/.")), EINVAL,
	       "rmdir: \".\" gives EINVAL");

	/*
	 * Not checked: fstat of an open removed directory (tmpfs: st_nlink 0)
	 * and creating in it (tmpfs: ENOENT).  High-level libfuse answers both
	 * with ESTALE before a plugin sees them, so no FUSE plugin can comply.
	 */
}

static void test_unlink(void)
{
	char buf[16];
	struct stat st;
	ssize_t r;
	int fd;

	section("unl");
	setup(make_file("unl/f", 0644, "x"), "setup: unl/f");
	setup(unlink("unl/f"), "setup: unlink: removes a file");
	check(!exists("unl/f"), "unlink: the name is gone",
	      "unl/f still exists");
	expect(errno_of(unlink("unl/f")), ENOENT,
	       "unlink: a missing file gives ENOENT");
	setup(mkdir("unl/d", 0755), "setup: mkdir unl/d");
	expect(errno_of(unlink("unl/d")), EISDIR,
	       "unlink: a directory gives EISDIR");
	setup(make_file("unl/g", 0644, "g"), "setup: unl/g");
	expect(errno_of(unlink("unl/g/x")), ENOTDIR,
	       "unlink: a file used as a directory gives ENOTDIR");
	setup(symlink("g", "unl/l"), "setup: symlink unl/l");
	setup(unlink("unl/l"), "setup: unlink: removes a symlink");
	check(!exists("unl/l") && exists("unl/g"),
	      "unlink: of a symlink leaves its target alone",
	      "the link or the target is wrong");
	setup(mkfifo("unl/p", 0644), "setup: mkfifo unl/p");
	expect(errno_of(unlink("unl/p")), 0, "unlink: removes a FIFO");

	/* An unlinked file lives on while it is open. */
	setup(make_file("unl/open", 0644, "hello"), "setup: unl/open");
	fd = open("unl/open", O_RDWR);
	setup(unlink("unl/open"), "setup: unlink unl/open");
	check(!exists("unl/open"), "unlink: an open file's name is gone",
	      "unl/open still exists");
	check(fstat_of(fd).st_nlink == 0,
	      "unlink: an open unlinked file has st_nlink 0", "st_nlink %ju",
	      (uintmax_t)fstat_of(fd).st_nlink);
	r = pread(fd, buf, sizeof(buf), 0);
	check(r == 5 && memcmp(buf, "hello", 5) == 0,
	      "unlink: an open unlinked file can still be read",
	      "read %zd bytes", r);
	r = pwrite(fd, " world", 6, 5);
	check(r == 6 && pread(fd, buf, sizeof(buf), 0) == 11 &&
		  memcmp(buf, "hello world", 11) == 0 &&
		  fstat_of(fd).st_size == 11,
	      "unlink: an open unlinked file can still be written",
	      "write returned %zd", r);
	setup(make_file("unl/open", 0644, ""), "setup: recreate unl/open");
	st = lstat_of("unl/open");
	check(st.st_size == 0 && st.st_ino != fstat_of(fd).st_ino,
	      "unlink: a new file by the same name is a different file",
	      "size %jd, ino %ju", (intmax_t)st.st_size, (uintmax_t)st.st_ino);
	close(fd);
}

static void test_link(void)
{
	struct stat a, b, st;
	struct stamp before;
	const char *c;
	int fd;

	section("link");
	setup(make_file("link/f", 0644, "data"), "setup: link/f");
	setup(link("link/f", "link/g"), "setup: link: creates a second name");
	a = lstat_of("link/f");
	b = lstat_of("link/g");
	check(a.st_ino == b.st_ino, "link: both names have the same st_ino",
	      "%ju and %ju", (uintmax_t)a.st_ino, (uintmax_t)b.st_ino);
	check(a.st_nlink == 2 && b.st_nlink == 2,
	      "link: both names show st_nlink 2", "%ju and %ju",
	      (uintmax_t)a.st_nlink, (uintmax_t)b.st_nlink);
	fd = open("link/g", O_WRONLY | O_APPEND);
	setup(write(fd, "+more", 5) == 5 ? 0 : -1, "setup: write link/g");
	close(fd);
	c = contents("link/f");
	check(strcmp(c, "data+more") == 0,
	      "link: data written through one name shows through the other",
	      "contents \"%s\"", c);
	setup(link("link/f", "link/h"), "setup: link link/h");
	check(lstat_of("link/g").st_nlink == 3,
	      "link: a third name gives st_nlink 3", "st_nlink %ju",
	      (uintmax_t)lstat_of("link/g").st_nlink);
	setup(unlink("link/h"), "setup: unlink link/h");
	check(lstat_of("link/f").st_nlink == 2,
	      "unlink: of one name lowers st_nlink of the others",
	      "st_nlink %ju", (uintmax_t)lstat_of("link/f").st_nlink);

	setup(mkdir("link/d", 0755), "setup: mkdir link/d");
	setup(symlink("f", "link/sl"), "setup: symlink link/sl");
	expect(errno_of(link("link/f", "link/g")), EEXIST,
	       "link: onto an existing file gives EEXIST");
	expect(errno_of(link("link/f", "link/sl")), EEXIST,
	       "link: onto an existing symlink gives EEXIST");
	expect(errno_of(link("link/d", "link/d2")), EPERM,
	       "link: of a directory gives EPERM");
	expect(errno_of(link("link/missing", "link/x")), ENOENT,
	       "link: of a missing file gives ENOENT");
	expect(errno_of(link("link/f", "link/nodir/x")), ENOENT,
	       "link: into a missing directory gives ENOENT");
	expect(errno_of(link("link/f", "link/f/x")), ENOTDIR,
	       "link: under a file gives ENOTDIR");

	before = stamp("link/f");
	setup(link("link/f", "link/k"), "setup: link link/k");
	check_times("link/f", before, false, true, "link: the source file");
	before = stamp("link/f");
	setup(unlink("link/k"), "setup: unlink link/k");
	check_times("link/f", before, false, true,
		    "unlink: another name of the file");

	/* link() does not follow a symlink: it links the symlink itself. */
	setup(link("link/sl", "link/sl2"),
	      "setup: link: of a symlink succeeds");
	st = lstat_of("link/sl2");
	check(S_ISLNK(st.st_mode) && st.st_ino == lstat_of("link/sl").st_ino,
	      "link: of a symlink links the symlink, not its target",
	      "mode %06o", (unsigned)st.st_mode);
	setup(mkfifo("link/p", 0644), "setup: mkfifo link/p");
	setup(link("link/p", "link/p2"), "setup: link: of a FIFO succeeds");
	check(lstat_of("link/p2").st_nlink == 2 &&
		  S_ISFIFO(lstat_of("link/p2").st_mode),
	      "link: of a FIFO gives a FIFO with st_nlink 2", "st_nlink %ju",
	      (uintmax_t)lstat_of("link/p2").st_nlink);
}

static void test_symlink(void)
{
	static char target[4096];
	char buf[4200];
	struct stat st;
	const char *odd = "../sym/./a b/c\\d/";
	ssize_t n;

	section("sym");
	setup(symlink(odd, "sym/odd"), "setup: symlink: creates a symlink");
	n = readlink("sym/odd", buf, sizeof(buf));
	check(n == (ssize_t)strlen(odd) && memcmp(buf, odd, n) == 0,
	      "readlink: returns the target exactly", "returned %zd: \"%.*s\"",
	      n, n > 0 ? (int)n : 0, buf);
	st = lstat_of("sym/odd");
	check(S_ISLNK(st.st_mode) && st.st_size == (off_t)strlen(odd),
	      "symlink: lstat shows S_IFLNK with st_size the target's length",
	      "mode %06o, size %jd", (unsigned)st.st_mode,
	      (intmax_t)st.st_size);
	check(mode_of(st) == 0777, "symlink: the mode is 0777", "mode %04o",
	      mode_of(st));

	memset(target, 'x', 4095);
	for (int i = 100; i < 4095; i += 100)
		target[i] = '/';
	target[4095] = '\0';
	setup(symlink(target, "sym/long"),
	      "setup: symlink: a 4095-byte target succeeds");
	n = readlink("sym/long", buf, sizeof(buf));
	check(n == 4095 && memcmp(buf, target, 4095) == 0,
	      "readlink: a 4095-byte target comes back whole", "returned %zd",
	      n);

	setup(make_file("sym/f", 0644, "through"), "setup: sym/f");
	setup(symlink("f", "sym/tof"), "setup: symlink sym/tof");
	check(strcmp(contents("sym/tof"), "through") == 0,
	      "symlink: opening a symlink opens its target", "contents \"%s\"",
	      contents("sym/tof"));
	check(stat_of("sym/tof").st_ino == lstat_of("sym/f").st_ino,
	      "symlink: stat follows the symlink", "different st_ino");
	setup(mkdir("sym/d", 0755), "setup: mkdir sym/d");
	setup(make_file("sym/d/in", 0644, "inside"), "setup: sym/d/in");
	setup(symlink("d", "sym/tod"), "setup: symlink sym/tod");
	check(strcmp(contents("sym/tod/in"), "inside") == 0,
	      "symlink: a symlink to a directory works as a path component",
	      "contents \"%s\"", contents("sym/tod/in"));
	expect(errno_of_fd(open("sym/tof", O_RDONLY | O_NOFOLLOW)), ELOOP,
	       "open: O_NOFOLLOW on a symlink gives ELOOP");

	setup(symlink("loop2", "sym/loop1"), "setup: symlink sym/loop1");
	setup(symlink("loop1", "sym/loop2"), "setup: symlink sym/loop2");
	setup(symlink("self", "sym/self"), "setup: symlink sym/self");
	expect(errno_of_fd(open("sym/loop1", O_RDONLY)), ELOOP,
	       "symlink: open of a two-link loop gives ELOOP");
	expect(errno_of_fd(open("sym/self", O_RDONLY)), ELOOP,
	       "symlink: open of a self-referencing symlink gives ELOOP");
	expect(errno_of(stat("sym/loop1", &st)), ELOOP,
	       "symlink: stat of a loop gives ELOOP");

	expect(errno_of(readlink("sym/f", buf, sizeof(buf))), EINVAL,
	       "readlink: of a regular file gives EINVAL");
	expect(errno_of(readlink("sym/missing", buf, sizeof(buf))), ENOENT,
	       "readlink: of a missing name gives ENOENT");

	setup(symlink("nowhere", "sym/dangling"),
	      "setup: symlink sym/dangling");
	expect(errno_of(stat("sym/dangling", &st)), ENOENT,
	       "symlink: stat of a dangling symlink gives ENOENT");
	expect(errno_of(lstat("sym/dangling", &st)), 0,
	       "symlink: lstat of a dangling symlink succeeds");
	expect(errno_of(symlink("x", "sym/f")), EEXIST,
	       "symlink: onto an existing file gives EEXIST");
	expect(errno_of(symlink("x", "sym/dangling")), EEXIST,
	       "symlink: onto an existing symlink gives EEXIST");
	expect(errno_of(symlink("x", "sym/nodir/l")), ENOENT,
	       "symlink: in a missing directory gives ENOENT");
	expect(errno_of(symlink("x", "sym/f/l")), ENOTDIR,
	       "symlink: under a file gives ENOTDIR");

	setup(lchown("sym/tof", U1, G1),
	      "setup: lchown: of a symlink succeeds");
	st = lstat_of("sym/tof");
	check(st.st_uid == U1 && st.st_gid == G1 &&
		  lstat_of("sym/f").st_uid == 0,
	      "lchown: changes the symlink, not its target",
	      "link owner %u:%u, target uid %u", st.st_uid, st.st_gid,
	      lstat_of("sym/f").st_uid);
}

static void test_mknod(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	char buf[8];
	int r, w, s;
	ssize_t n;

	section("node");
	setup(mkfifo("node/fifo", 0644), "setup: mkfifo: creates a FIFO");
	st = lstat_of("node/fifo");
	check(S_ISFIFO(st.st_mode) && mode_of(st) == 0644,
	      "mkfifo: the node is a FIFO with the requested mode", "mode %06o",
	      (unsigned)st.st_mode);
	setup(mknod("node/fifo2", S_IFIFO | 0600, 0),
	      "setup: mknod: S_IFIFO creates a FIFO");
	check(S_ISFIFO(lstat_of("node/fifo2").st_mode),
	      "mknod: the S_IFIFO node is a FIFO", "mode %06o",
	      (unsigned)lstat_of("node/fifo2").st_mode);

	setup(mknod("node/chr", S_IFCHR | 0600, makedev(12, 34)),
	      "setup: mknod: S_IFCHR creates a character device");
	st = lstat_of("node/chr");
	check(S_ISCHR(st.st_mode) && major(st.st_rdev) == 12 &&
		  minor(st.st_rdev) == 34,
	      "mknod: the character device keeps its st_rdev",
	      "mode %06o, rdev %u:%u", (unsigned)st.st_mode, major(st.st_rdev),
	      minor(st.st_rdev));
	setup(mknod("node/blk", S_IFBLK | 0600, makedev(7, 200)),
	      "setup: mknod: S_IFBLK creates a block device");
	st = lstat_of("node/blk");
	check(S_ISBLK(st.st_mode) && major(st.st_rdev) == 7 &&
		  minor(st.st_rdev) == 200,
	      "mknod: the block device keeps its st_rdev",
	      "mode %06o, rdev %u:%u", (unsigned)st.st_mode, major(st.st_rdev),
	      minor(st.st_rdev));
	setup(mknod("node/reg", S_IFREG | 0640, 0),
	      "setup: mknod: S_IFREG creates a regular file");
	st = lstat_of("node/reg");
	check(
	    S_ISREG(st.st_mode) && st.st_size == 0 && mode_of(st) == 0640,
	    "mknod: the S_IFREG node is an empty file with the requested mode",
	    "mode %06o, size %jd", (unsigned)st.st_mode, (intmax_t)st.st_size);
	setup(mknod("node/sock", S_IFSOCK | 0600, 0),
	      "setup: mknod: S_IFSOCK creates a socket node");
	check(S_ISSOCK(lstat_of("node/sock").st_mode),
	      "mknod: the S_IFSOCK node is a socket", "mode %06o",
	      (unsigned)lstat_of("node/sock").st_mode);
	expect(errno_of(mknod("node/fifo", S_IFIFO | 0600, 0)), EEXIST,
	       "mknod: an existing name gives EEXIST");
	expect(errno_of(mkfifo("node/reg", 0600)), EEXIST,
	       "mkfifo: an existing name gives EEXIST");
	expect(errno_of(mkfifo("node/nodir/p", 0600)), ENOENT,
	       "mkfifo: in a missing directory gives ENOENT");

	/* The data never touches the filesystem, but opening does. */
	r = open("node/fifo", O_RDONLY | O_NONBLOCK);
	w = open("node/fifo", O_WRONLY | O_NONBLOCK);
	n = w >= 0 ? write(w, "ping", 4) : -1;
	n = n == 4 ? read(r, buf, sizeof(buf)) : -1;
	check(r >= 0 && w >= 0 && n == 4 && memcmp(buf, "ping", 4) == 0,
	      "mkfifo: the FIFO carries data from writer to reader",
	      "reader fd %d, writer fd %d, read %zd", r, w, n);
	if (w >= 0)
		close(w);
	if (r >= 0)
		close(r);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "node/bound");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	setup(bind(s, (struct sockaddr *)&addr, sizeof(addr)),
	      "setup: bind: a unix socket binds to a path");
	close(s);
	check(S_ISSOCK(lstat_of("node/bound").st_mode),
	      "bind: the bound path is a socket", "mode %06o",
	      (unsigned)lstat_of("node/bound").st_mode);
}

static void test_rename(void)
{
	char buf[16];
	struct stamp before;
	struct stat st, p1, p2;
	ino_t ino;
	const char *c;
	int fd;

	section("ren");
	setup(make_file("ren/a", 0644, "A"), "setup: ren/a");
	ino = lstat_of("ren/a").st_ino;
	setup(rename("ren/a", "ren/b"), "setup: rename: a file to a new name");
	check(!exists("ren/a"), "rename: the old name is gone",
	      "ren/a still exists");
	c = contents("ren/b");
	check(lstat_of("ren/b").st_ino == ino && strcmp(c, "A") == 0,
	      "rename: the new name is the same file", "contents \"%s\"", c);

	setup(make_file("ren/c", 0644, "C"), "setup: ren/c");
	setup(make_file("ren/d", 0644, "D"), "setup: ren/d");
	ino = lstat_of("ren/c").st_ino;
	fd = open("ren/d", O_RDONLY);
	setup(rename("ren/c", "ren/d"),
	      "setup: rename: onto an existing file succeeds");
	c = contents("ren/d");
	check(!exists("ren/c") && lstat_of("ren/d").st_ino == ino &&
		  strcmp(c, "C") == 0,
	      "rename: onto an existing file replaces it", "contents \"%s\"",
	      c);
	check(fstat_of(fd).st_nlink == 0 && pread(fd, buf, 1, 0) == 1 &&
		  buf[0] == 'D',
	      "rename: a replaced file that is open lives on, unlinked",
	      "st_nlink %ju", (uintmax_t)fstat_of(fd).st_nlink);
	close(fd);

	setup(mkdir("ren/e", 0755), "setup: mkdir ren/e");
	setup(make_file("ren/e/in", 0644, "in"), "setup: ren/e/in");
	setup(mkdir("ren/f", 0755), "setup: mkdir ren/f");
	setup(rename("ren/e", "ren/f"),
	      "setup: rename: a directory onto an empty directory succeeds");
	check(!exists("ren/e") && strcmp(contents("ren/f/in"), "in") == 0,
	      "rename: the moved directory replaced the empty one",
	      "ren/f/in is not there");
	setup(mkdir("ren/g", 0755), "setup: mkdir ren/g");
	setup(mkdir("ren/g/sub", 0755), "setup: mkdir ren/g/sub");
	expect(
	    errno_of(rename("ren/g", "ren/f")), ENOTEMPTY,
	    "rename: a directory onto a non-empty directory gives ENOTEMPTY");
	expect(errno_of(rename("ren/b", "ren/f")), EISDIR,
	       "rename: a file onto a directory gives EISDIR");
	expect(errno_of(rename("ren/f", "ren/b")), ENOTDIR,
	       "rename: a directory onto a file gives ENOTDIR");
	expect(errno_of(rename("ren/g", "ren/g/sub/inner")), EINVAL,
	       "rename: a directory into its own subdirectory gives EINVAL");
	setup(rename("ren/b", "ren/b"),
	      "setup: rename: a file onto itself succeeds");
	check(strcmp(contents("ren/b"), "A") == 0,
	      "rename: a file onto itself changes nothing", "contents \"%s\"",
	      contents("ren/b"));
	setup(link("ren/b", "ren/b2"), "setup: link ren/b2");
	setup(rename("ren/b", "ren/b2"),
	      "setup: rename: between two links of one file succeeds");
	check(exists("ren/b") && lstat_of("ren/b2").st_nlink == 2,
	      "rename: between two links of one file changes nothing",
	      "ren/b %s, st_nlink %ju", exists("ren/b") ? "exists" : "is gone",
	      (uintmax_t)lstat_of("ren/b2").st_nlink);
	expect(errno_of(rename("ren/missing", "ren/x")), ENOENT,
	       "rename: a missing source gives ENOENT");
	expect(errno_of(rename("ren/b", "ren/nodir/x")), ENOENT,
	       "rename: into a missing directory gives ENOENT");

	setup(symlink("b", "ren/sl"), "setup: symlink ren/sl");
	setup(rename("ren/sl", "ren/sl2"), "setup: rename ren/sl");
	st = lstat_of("ren/sl2");
	check(S_ISLNK(st.st_mode) && S_ISREG(lstat_of("ren/b").st_mode),
	      "rename: of a symlink moves the symlink, not its target",
	      "mode %06o", (unsigned)st.st_mode);

	setup(make_file("ren/o", 0644, "one"), "setup: ren/o");
	fd = open("ren/o", O_WRONLY | O_APPEND);
	setup(rename("ren/o", "ren/o2"), "setup: rename ren/o");
	setup(write(fd, "two", 3) == 3 ? 0 : -1, "setup: write after rename");
	close(fd);
	c = contents("ren/o2");
	check(strcmp(c, "onetwo") == 0,
	      "rename: a descriptor open across a rename still writes the file",
	      "contents \"%s\"", c);

	setup(make_file("ren/n1", 0644, "1"), "setup: ren/n1");
	setup(make_file("ren/n2", 0644, "2"), "setup: ren/n2");
	expect(
	    errno_of(rename2("ren/n1", "ren/n2", RENAME_NOREPLACE)), EEXIST,
	    "renameat2: RENAME_NOREPLACE onto an existing file gives EEXIST");
	check(strcmp(contents("ren/n1"), "1") == 0 &&
		  strcmp(contents("ren/n2"), "2") == 0,
	      "renameat2: a refused RENAME_NOREPLACE changes nothing",
	      "files changed");
	setup(rename2("ren/n1", "ren/n3", RENAME_NOREPLACE),
	      "setup: renameat2: RENAME_NOREPLACE to a new name succeeds");
	check(!exists("ren/n1") && strcmp(contents("ren/n3"), "1") == 0,
	      "renameat2: RENAME_NOREPLACE moved the file", "ren/n3 is wrong");
	setup(rename2("ren/n2", "ren/n3", RENAME_EXCHANGE),
	      "setup: renameat2: RENAME_EXCHANGE of two files succeeds");
	check(strcmp(contents("ren/n2"), "1") == 0 &&
		  strcmp(contents("ren/n3"), "2") == 0,
	      "renameat2: RENAME_EXCHANGE swapped the two files",
	      "ren/n2 holds \"%s\"", contents("ren/n2"));
	expect(errno_of(rename2("ren/n2", "ren/n9", RENAME_EXCHANGE)), ENOENT,
	       "renameat2: RENAME_EXCHANGE with a missing target gives ENOENT");
	expect(errno_of(rename2("ren/n2", "ren/n3",
				RENAME_EXCHANGE | RENAME_NOREPLACE)),
	       EINVAL,
	       "renameat2: RENAME_EXCHANGE with RENAME_NOREPLACE gives EINVAL");

	/* Exchanging a directory and a file moves a link between parents. */
	setup(mkdir("ren/p1", 0755), "setup: mkdir ren/p1");
	setup(mkdir("ren/p2", 0755), "setup: mkdir ren/p2");
	setup(mkdir("ren/p1/x", 0755), "setup: mkdir ren/p1/x");
	setup(make_file("ren/p2/y", 0644, "y"), "setup: ren/p2/y");
	setup(rename2("ren/p1/x", "ren/p2/y", RENAME_EXCHANGE),
	      "setup: renameat2: RENAME_EXCHANGE of a directory and a file "
	      "succeeds");
	p1 = lstat_of("ren/p1");
	p2 = lstat_of("ren/p2");
	check(S_ISREG(lstat_of("ren/p1/x").st_mode) &&
		  S_ISDIR(lstat_of("ren/p2/y").st_mode),
	      "renameat2: RENAME_EXCHANGE swapped a directory and a file",
	      "types are wrong");
	check(p1.st_nlink == 2 && p2.st_nlink == 3,
	      "renameat2: RENAME_EXCHANGE moved a link count between parents",
	      "st_nlink %ju and %ju", (uintmax_t)p1.st_nlink,
	      (uintmax_t)p2.st_nlink);
	check(stat_of("ren/p2/y/..").st_ino == p2.st_ino,
	      "renameat2: .. of the exchanged directory is its new parent",
	      "wrong st_ino");

	setup(mkdir("ren/q1", 0755), "setup: mkdir ren/q1");
	setup(mkdir("ren/q2", 0755), "setup: mkdir ren/q2");
	setup(mkdir("ren/q1/m", 0755), "setup: mkdir ren/q1/m");
	setup(rename("ren/q1/m", "ren/q2/m"),
	      "setup: rename: a directory to another parent");
	p1 = lstat_of("ren/q1");
	p2 = lstat_of("ren/q2");
	check(p1.st_nlink == 2 && p2.st_nlink == 3,
	      "rename: a moved directory's link moves between the parents",
	      "st_nlink %ju and %ju", (uintmax_t)p1.st_nlink,
	      (uintmax_t)p2.st_nlink);
	check(stat_of("ren/q2/m/..").st_ino == p2.st_ino,
	      "rename: .. of a moved directory is its new parent",
	      "wrong st_ino");
	setup(mkdir("ren/q1/r", 0755), "setup: mkdir ren/q1/r");
	setup(mkdir("ren/q2/s", 0755), "setup: mkdir ren/q2/s");
	setup(rename("ren/q1/r", "ren/q2/s"), "setup: rename ren/q1/r");
	p1 = lstat_of("ren/q1");
	p2 = lstat_of("ren/q2");
	check(p1.st_nlink == 2 && p2.st_nlink == 4,
	      "rename: replacing a directory in another parent counts links "
	      "right",
	      "st_nlink %ju and %ju", (uintmax_t)p1.st_nlink,
	      (uintmax_t)p2.st_nlink);

	setup(make_file("ren/t", 0644, ""), "setup: ren/t");
	before = stamp("ren/t");
	setup(rename("ren/t", "ren/t2"), "setup: rename ren/t");
	check_times("ren/t2", before, false, true, "rename: the renamed file");
	setup(mkdir("ren/td", 0755), "setup: mkdir ren/td");
	before = stamp("ren/td");
	setup(rename("ren/td", "ren/td2"), "setup: rename ren/td");
	check_times("ren/td2", before, false, true,
		    "rename: the renamed directory");
}

static void test_chmod_chown(void)
{
	struct stat st;
	int fd;

	section("own");
	setup(make_file("own/f", 0644, "f"), "setup: own/f");
	setup(chmod("own/f", 0), "setup: chmod: to 0 succeeds");
	check(mode_of(lstat_of("own/f")) == 0, "chmod: sets mode 0",
	      "mode %04o", mode_of(lstat_of("own/f")));
	setup(chmod("own/f", 07777), "setup: chmod: to 07777 succeeds");
	check(mode_of(lstat_of("own/f")) == 07777,
	      "chmod: root sets setuid, setgid and sticky on a file",
	      "mode %04o", mode_of(lstat_of("own/f")));
	setup(mkdir("own/d", 0755), "setup: mkdir own/d");
	setup(chmod("own/d", 01777), "setup: chmod own/d");
	check(mode_of(lstat_of("own/d")) == 01777,
	      "chmod: sets mode 01777 on a directory", "mode %04o",
	      mode_of(lstat_of("own/d")));
	setup(chmod("own/d", 02755), "setup: chmod own/d");
	check(mode_of(lstat_of("own/d")) == 02755,
	      "chmod: sets mode 02755 on a directory", "mode %04o",
	      mode_of(lstat_of("own/d")));
	fd = open("own/f", O_RDONLY);
	setup(fchmod(fd, 0600), "setup: fchmod: succeeds");
	check(mode_of(fstat_of(fd)) == 0600, "fchmod: sets the mode",
	      "mode %04o", mode_of(fstat_of(fd)));
	setup(symlink("f", "own/l"), "setup: symlink own/l");
	setup(chmod("own/l", 0640), "setup: chmod own/l");
	check(mode_of(lstat_of("own/f")) == 0640 &&
		  mode_of(lstat_of("own/l")) == 0777,
	      "chmod: through a symlink changes the target only",
	      "target %04o, link %04o", mode_of(lstat_of("own/f")),
	      mode_of(lstat_of("own/l")));
	expect(errno_of(chmod("own/missing", 0644)), ENOENT,
	       "chmod: a missing file gives ENOENT");

	setup(chown("own/f", U1, G2),
	      "setup: chown: root gives a file to another uid and gid");
	st = lstat_of("own/f");
	check(st.st_uid == U1 && st.st_gid == G2, "chown: sets uid and gid",
	      "owner %u:%u", st.st_uid, st.st_gid);
	setup(chown("own/f", -1, -1), "setup: chown own/f -1 -1");
	st = lstat_of("own/f");
	check(st.st_uid == U1 && st.st_gid == G2,
	      "chown: -1 for both changes neither", "owner %u:%u", st.st_uid,
	      st.st_gid);
	setup(chown("own/f", U2, -1), "setup: chown own/f U2 -1");
	st = lstat_of("own/f");
	check(st.st_uid == U2 && st.st_gid == G2,
	      "chown: -1 for the gid changes only the uid", "owner %u:%u",
	      st.st_uid, st.st_gid);
	setup(chown("own/f", -1, G1), "setup: chown own/f -1 G1");
	st = lstat_of("own/f");
	check(st.st_uid == U2 && st.st_gid == G1,
	      "chown: -1 for the uid changes only the gid", "owner %u:%u",
	      st.st_uid, st.st_gid);
	setup(fchown(fd, 0, 0), "setup: fchown: succeeds");
	st = fstat_of(fd);
	check(st.st_uid == 0 && st.st_gid == 0, "fchown: sets uid and gid",
	      "owner %u:%u", st.st_uid, st.st_gid);
	close(fd);
	setup(chown("own/d", U1, G1), "setup: chown own/d");
	st = lstat_of("own/d");
	check(st.st_uid == U1 && st.st_gid == G1 && mode_of(st) == 02755,
	      "chown: of a directory keeps its set-id bits",
	      "owner %u:%u, mode %04o", st.st_uid, st.st_gid, mode_of(st));
	setup(chown("own/l", U1, G1), "setup: chown own/l");
	st = lstat_of("own/f");
	check(st.st_uid == U1 && st.st_gid == G1 &&
		  lstat_of("own/l").st_uid == 0,
	      "chown: through a symlink changes the target only",
	      "target owner %u:%u", st.st_uid, st.st_gid);

	/*
	 * Linux clears the set-id bits of a regular file on chown even when
	 * root does it; S_ISGID only where it means set-group-id (S_IXGRP).
	 */
	setup(make_owned("own/s0", 06755, 0, 0), "setup: own/s0");
	setup(chown("own/s0", U2, G2), "setup: chown own/s0");
	check(mode_of(lstat_of("own/s0")) == 0755,
	      "chown: by root clears S_ISUID and S_ISGID of a file",
	      "mode %04o", mode_of(lstat_of("own/s0")));
	setup(make_owned("own/s1", 04755, U1, 0), "setup: own/s1");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHOWN,
				   .path = "own/s1",
				   .uid = -1,
				   .gid = G1}),
	       0, "chown: an owner gives a file to its own group");
	st = lstat_of("own/s1");
	check(st.st_gid == G1 && mode_of(st) == 0755,
	      "chown: by a non-root owner clears S_ISUID", "gid %u, mode %04o",
	      st.st_gid, mode_of(st));
	setup(make_owned("own/s2", 02755, U1, 0), "setup: own/s2");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHOWN,
				   .path = "own/s2",
				   .uid = -1,
				   .gid = G1}),
	       0, "chown: an owner gives a setgid file to its own group");
	check(mode_of(lstat_of("own/s2")) == 0755,
	      "chown: by a non-root owner clears S_ISGID of a group-executable "
	      "file",
	      "mode %04o", mode_of(lstat_of("own/s2")));
	setup(make_owned("own/s3", 0755, U1, 0), "setup: own/s3");
	expect(as_user(U1, G1,
		       (struct op){
			   .kind = OP_CHMOD, .path = "own/s3", .mode = 02755}),
	       0, "chmod: an owner outside the file's group sets 02755");
	check(mode_of(lstat_of("own/s3")) == 0755,
	      "chmod: S_ISGID is dropped for an owner outside the file's group",
	      "mode %04o", mode_of(lstat_of("own/s3")));
	setup(make_owned("own/s4", 0755, U1, G1), "setup: own/s4");
	expect(as_user(U1, G1,
		       (struct op){
			   .kind = OP_CHMOD, .path = "own/s4", .mode = 06755}),
	       0, "chmod: an owner in the file's group sets 06755");
	check(mode_of(lstat_of("own/s4")) == 06755,
	      "chmod: an owner in the file's group keeps S_ISUID and S_ISGID",
	      "mode %04o", mode_of(lstat_of("own/s4")));
	setup(make_owned("own/s5", 04755, U1, G1), "setup: own/s5");
	expect(
	    as_user(U1, G1, (struct op){.kind = OP_APPEND, .path = "own/s5"}),
	    0, "write: a non-root owner appends to its setuid file");
	check(mode_of(lstat_of("own/s5")) == 0755,
	      "write: by a non-root user clears S_ISUID", "mode %04o",
	      mode_of(lstat_of("own/s5")));
	setup(make_owned("own/s6", 04755, 0, 0), "setup: own/s6");
	fd = open("own/s6", O_WRONLY | O_APPEND);
	setup(write(fd, "+", 1) == 1 ? 0 : -1, "setup: write own/s6");
	close(fd);
	check(mode_of(lstat_of("own/s6")) == 04755,
	      "write: by root keeps S_ISUID", "mode %04o",
	      mode_of(lstat_of("own/s6")));
}

static void test_utimens(void)
{
	const struct timespec set[2] = {{1000000000, 123456789},
					{1100000000, 987654321}};
	const struct timespec future[2] = {{4102444800, 1},
					   {4102444800, 999999999}};
	const struct timespec omit_m[2] = {{1200000000, 5}, {0, UTIME_OMIT}};
	const struct timespec omit_a[2] = {{0, UTIME_OMIT}, {1300000000, 7}};
	const struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	const struct timespec link_t[2] = {{1400000000, 1}, {1400000000, 2}};
	struct stat st, old;
	time_t t0, t1;
	int fd;

	section("ut");
	setup(make_file("ut/f", 0644, "f"), "setup: ut/f");
	setup(utimensat(AT_FDCWD, "ut/f", set, 0),
	      "setup: utimensat: explicit times succeed");
	st = lstat_of("ut/f");
	check(ts_cmp(st.st_atim, set[0]) == 0 &&
		  ts_cmp(st.st_mtim, set[1]) == 0,
	      "utimensat: atime and mtime are stored to the nanosecond",
	      "atime %lld.%09ld, mtime %lld.%09ld",
	      (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	setup(utimensat(AT_FDCWD, "ut/f", future, 0), "setup: utimensat 2100");
	st = lstat_of("ut/f");
	check(ts_cmp(st.st_atim, future[0]) == 0 &&
		  ts_cmp(st.st_mtim, future[1]) == 0,
	      "utimensat: times after 2038 are stored", "mtime %lld.%09ld",
	      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	setup(utimensat(AT_FDCWD, "ut/f", set, 0), "setup: utimensat");
	setup(utimensat(AT_FDCWD, "ut/f", omit_m, 0),
	      "setup: UTIME_OMIT mtime");
	st = lstat_of("ut/f");
	check(ts_cmp(st.st_atim, omit_m[0]) == 0 &&
		  ts_cmp(st.st_mtim, set[1]) == 0,
	      "utimensat: UTIME_OMIT leaves mtime alone while atime is set",
	      "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec,
	      st.st_mtim.tv_nsec);
	setup(utimensat(AT_FDCWD, "ut/f", omit_a, 0),
	      "setup: UTIME_OMIT atime");
	st = lstat_of("ut/f");
	check(ts_cmp(st.st_atim, omit_m[0]) == 0 &&
		  ts_cmp(st.st_mtim, omit_a[1]) == 0,
	      "utimensat: UTIME_OMIT leaves atime alone while mtime is set",
	      "atime %lld.%09ld", (long long)st.st_atim.tv_sec,
	      st.st_atim.tv_nsec);
	old = lstat_of("ut/f");
	tick();
	setup(utimensat(AT_FDCWD, "ut/f", set, 0), "setup: utimensat");
	check(ts_cmp(lstat_of("ut/f").st_ctim, old.st_ctim) > 0,
	      "utimensat: setting times updates ctime", "ctime unchanged");

	t0 = time(NULL);
	setup(utimensat(AT_FDCWD, "ut/f", now, 0),
	      "setup: utimensat: UTIME_NOW succeeds");
	t1 = time(NULL);
	st = lstat_of("ut/f");
	check(st.st_atim.tv_sec >= t0 - 1 && st.st_atim.tv_sec <= t1 + 1 &&
		  st.st_mtim.tv_sec >= t0 - 1 && st.st_mtim.tv_sec <= t1 + 1,
	      "utimensat: UTIME_NOW sets the current time",
	      "mtime %lld, now %lld", (long long)st.st_mtim.tv_sec,
	      (long long)t1);
	setup(utimensat(AT_FDCWD, "ut/f", set, 0), "setup: utimensat");
	t0 = time(NULL);
	setup(utimensat(AT_FDCWD, "ut/f", NULL, 0), "setup: utimensat NULL");
	t1 = time(NULL);
	st = lstat_of("ut/f");
	check(st.st_mtim.tv_sec >= t0 - 1 && st.st_mtim.tv_sec <= t1 + 1,
	      "utimensat: NULL times set the current time",
	      "mtime %lld, now %lld", (long long)st.st_mtim.tv_sec,
	      (long long)t1);

	fd = open("ut/f", O_RDONLY);
	setup(futimens(fd, set), "setup: futimens: succeeds");
	st = fstat_of(fd);
	check(ts_cmp(st.st_atim, set[0]) == 0 &&
		  ts_cmp(st.st_mtim, set[1]) == 0,
	      "futimens: stores the times", "mtime %lld.%09ld",
	      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	close(fd);

	setup(symlink("f", "ut/l"), "setup: symlink ut/l");
	setup(utimensat(AT_FDCWD, "ut/l", link_t, AT_SYMLINK_NOFOLLOW),
	      "setup: utimensat: AT_SYMLINK_NOFOLLOW on a symlink succeeds");
	check(ts_cmp(lstat_of("ut/l").st_mtim, link_t[1]) == 0 &&
		  ts_cmp(lstat_of("ut/f").st_mtim, set[1]) == 0,
	      "utimensat: AT_SYMLINK_NOFOLLOW sets the symlink's times only",
	      "link mtime %lld, target mtime %lld",
	      (long long)lstat_of("ut/l").st_mtim.tv_sec,
	      (long long)lstat_of("ut/f").st_mtim.tv_sec);
	expect(errno_of(utimensat(AT_FDCWD, "ut/missing", set, 0)), ENOENT,
	       "utimensat: a missing file gives ENOENT");
}

static void test_timestamps(void)
{
	struct stamp before, other;
	struct stat st;
	time_t t0, t1;
	char buf[4];
	int fd;

	section("ts");
	setup(mkdir("ts/d", 0755), "setup: mkdir ts/d");
	setup(mkdir("ts/e", 0755), "setup: mkdir ts/e");
	t0 = time(NULL);
	setup(make_file("ts/new", 0644, ""), "setup: ts/new");
	t1 = time(NULL);
	st = lstat_of("ts/new");
	check(st.st_atim.tv_sec >= t0 - 1 && st.st_atim.tv_sec <= t1 + 1 &&
		  st.st_mtim.tv_sec >= t0 - 1 && st.st_mtim.tv_sec <= t1 + 1 &&
		  st.st_ctim.tv_sec >= t0 - 1 && st.st_ctim.tv_sec <= t1 + 1,
	      "timestamps: a new file's atime, mtime and ctime are now",
	      "atime %lld, mtime %lld, ctime %lld, now %lld",
	      (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec,
	      (long long)st.st_ctim.tv_sec, (long long)t1);

	before = stamp("ts/d");
	setup(make_file("ts/d/f", 0644, "f"), "setup: ts/d/f");
	check_times("ts/d", before, true, true,
		    "timestamps: creat, the parent");
	before = stamp("ts/d");
	setup(mkdir("ts/d/sub", 0755), "setup: mkdir ts/d/sub");
	check_times("ts/d", before, true, true,
		    "timestamps: mkdir, the parent");
	before = stamp("ts/d");
	setup(mkfifo("ts/d/p", 0644), "setup: mkfifo ts/d/p");
	check_times("ts/d", before, true, true,
		    "timestamps: mkfifo, the parent");
	before = stamp("ts/d");
	setup(symlink("f", "ts/d/l"), "setup: symlink ts/d/l");
	check_times("ts/d", before, true, true,
		    "timestamps: symlink, the parent");
	before = stamp("ts/d");
	setup(link("ts/d/f", "ts/d/f2"), "setup: link ts/d/f2");
	check_times("ts/d", before, true, true, "timestamps: link, the parent");
	before = stamp("ts/d");
	setup(unlink("ts/d/f2"), "setup: unlink ts/d/f2");
	check_times("ts/d", before, true, true,
		    "timestamps: unlink, the parent");
	before = stamp("ts/d");
	setup(rmdir("ts/d/sub"), "setup: rmdir ts/d/sub");
	check_times("ts/d", before, true, true,
		    "timestamps: rmdir, the parent");
	before = stamp("ts/d");
	other = stamp("ts/e");
	setup(rename("ts/d/f", "ts/e/f"), "setup: rename ts/d/f");
	check_times("ts/d", before, true, true,
		    "timestamps: rename, the old parent");
	check_times("ts/e", other, true, true,
		    "timestamps: rename, the new parent");

	fd = open("ts/e/f", O_RDWR);
	before = stamp("ts/e/f");
	setup(write(fd, "more", 4) == 4 ? 0 : -1, "setup: write ts/e/f");
	check_times("ts/e/f", before, true, true, "timestamps: write");
	before = stamp("ts/e/f");
	setup(pread(fd, buf, sizeof(buf), 0), "setup: read ts/e/f");
	check_times("ts/e/f", before, false, false, "timestamps: read");
	close(fd);
	before = stamp("ts/e/f");
	setup(chmod("ts/e/f", 0600), "setup: chmod ts/e/f");
	check_times("ts/e/f", before, false, true, "timestamps: chmod");
	before = stamp("ts/e/f");
	setup(chown("ts/e/f", U1, G1), "setup: chown ts/e/f");
	check_times("ts/e/f", before, false, true, "timestamps: chown");
}

static void test_permissions(void)
{
	const struct timespec set[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat st;

	section("perm");
	setup(make_owned("perm/r600", 0600, 0, 0), "setup: perm/r600");
	setup(make_owned("perm/r644", 0644, 0, 0), "setup: perm/r644");
	setup(make_owned("perm/w666", 0666, 0, 0), "setup: perm/w666");
	setup(make_owned("perm/u1_0070", 0070, U1, G1), "setup: perm/u1_0070");
	setup(make_owned("perm/u2g1_0640", 0640, U2, G1),
	      "setup: perm/u2g1_0640");
	setup(make_owned("perm/u1_0000", 0000, U1, G1), "setup: perm/u1_0000");
	setup(mkdir_owned("perm/closed", 0700, 0, 0), "setup: perm/closed");
	setup(make_owned("perm/closed/f", 0644, 0, 0), "setup: perm/closed/f");
	setup(mkdir_owned("perm/xonly", 0711, 0, 0), "setup: perm/xonly");
	setup(make_owned("perm/xonly/f", 0644, 0, 0), "setup: perm/xonly/f");
	setup(mkdir_owned("perm/rwonly", 0756, 0, 0), "setup: perm/rwonly");
	setup(mkdir_owned("perm/wx", 0733, 0, 0), "setup: perm/wx");

	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/r600",
				   .flags = O_RDONLY}),
	       EACCES, "perm: reading another user's 0600 file gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/r644",
				   .flags = O_RDONLY}),
	       0, "perm: reading another user's 0644 file succeeds");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/r644",
				   .flags = O_WRONLY}),
	       EACCES, "perm: writing another user's 0644 file gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/w666",
				   .flags = O_RDWR}),
	       0, "perm: writing another user's 0666 file succeeds");
	expect(
	    as_user(U1, G1,
		    (struct op){.kind = OP_OPEN,
				.path = "perm/u1_0070",
				.flags = O_RDONLY}),
	    EACCES,
	    "perm: the owner bits apply to the owner even if group bits allow");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/u2g1_0640",
				   .flags = O_RDONLY}),
	       0, "perm: the group bits let a group member read");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/u2g1_0640",
				   .flags = O_WRONLY}),
	       EACCES, "perm: the group bits keep a group member from writing");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/u1_0000",
				   .flags = O_RDONLY}),
	       EACCES, "perm: the owner of a 0000 file cannot read it");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/u1_0000",
				   .flags = O_WRONLY}),
	       EACCES, "perm: the owner of a 0000 file cannot write it");
	expect(errno_of_fd(open("perm/u1_0000", O_RDWR)), 0,
	       "perm: root reads and writes a 0000 file");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_ACCESS,
				   .path = "perm/r600",
				   .flags = R_OK}),
	       EACCES, "access: R_OK on another user's 0600 file gives EACCES");

	expect(as_user(U1, G1,
		       (struct op){.kind = OP_STAT, .path = "perm/closed/f"}),
	       EACCES, "perm: stat through a directory without x gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/closed/f",
				   .flags = O_RDONLY}),
	       EACCES, "perm: open through a directory without x gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/xonly/f",
				   .flags = O_RDONLY}),
	       0, "perm: open through an x-only directory succeeds");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPENDIR, .path = "perm/xonly"}),
	       EACCES, "perm: listing an x-only directory gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/rwonly/new",
				   .flags = O_WRONLY | O_CREAT,
				   .mode = 0644}),
	       EACCES,
	       "perm: creating in a writable directory without x gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/wx/new",
				   .flags = O_WRONLY | O_CREAT,
				   .mode = 0644}),
	       0, "perm: creating in a -wx directory succeeds");

	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/new",
				   .flags = O_WRONLY | O_CREAT,
				   .mode = 0644}),
	       EACCES, "perm: creating in root's 0755 directory gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_MKDIR,
				   .path = "perm/newd",
				   .mode = 0755}),
	       EACCES, "perm: mkdir in root's 0755 directory gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_SYMLINK,
				   .path = "x",
				   .path2 = "perm/newl"}),
	       EACCES, "perm: symlink in root's 0755 directory gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_UNLINK, .path = "perm/r644"}),
	       EACCES, "perm: unlink in root's 0755 directory gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_RENAME,
				   .path = "perm/r644",
				   .path2 = "perm/moved"}),
	       EACCES, "perm: rename in root's 0755 directory gives EACCES");

	setup(mkdir_owned("perm/sticky", 01777, 0, 0), "setup: perm/sticky");
	setup(make_owned("perm/sticky/u2f", 0666, U2, G2), "setup: u2f");
	setup(make_owned("perm/sticky/u2g", 0666, U2, G2), "setup: u2g");
	setup(mkdir_owned("perm/sticky/u2d", 0777, U2, G2), "setup: u2d");
	expect(
	    as_user(U1, G1,
		    (struct op){.kind = OP_UNLINK, .path = "perm/sticky/u2f"}),
	    EPERM, "sticky: unlinking another user's file gives EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_RENAME,
				   .path = "perm/sticky/u2f",
				   .path2 = "perm/sticky/mine"}),
	       EPERM, "sticky: renaming another user's file gives EPERM");
	expect(
	    as_user(U1, G1,
		    (struct op){.kind = OP_RMDIR, .path = "perm/sticky/u2d"}),
	    EPERM, "sticky: removing another user's directory gives EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/sticky/u1f",
				   .flags = O_WRONLY | O_CREAT | O_EXCL,
				   .mode = 0644}),
	       0, "sticky: a user creates a file");
	st = lstat_of("perm/sticky/u1f");
	check(st.st_uid == U1 && st.st_gid == G1,
	      "perm: a file belongs to the uid and gid that created it",
	      "owner %u:%u", st.st_uid, st.st_gid);
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_RENAME,
				   .path = "perm/sticky/u1f",
				   .path2 = "perm/sticky/u2g"}),
	       EPERM, "sticky: replacing another user's file gives EPERM");
	expect(
	    as_user(U1, G1,
		    (struct op){.kind = OP_UNLINK, .path = "perm/sticky/u1f"}),
	    0, "sticky: a user unlinks its own file");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_MKDIR,
				   .path = "perm/sticky/u1d",
				   .mode = 0755}),
	       0, "perm: a user creates a directory");
	st = lstat_of("perm/sticky/u1d");
	check(st.st_uid == U1 && st.st_gid == G1,
	      "perm: a directory belongs to the uid and gid that created it",
	      "owner %u:%u", st.st_uid, st.st_gid);
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_SYMLINK,
				   .path = "u1d",
				   .path2 = "perm/sticky/u1l"}),
	       0, "perm: a user creates a symlink");
	st = lstat_of("perm/sticky/u1l");
	check(st.st_uid == U1 && st.st_gid == G1,
	      "perm: a symlink belongs to the uid and gid that created it",
	      "owner %u:%u", st.st_uid, st.st_gid);
	setup(mkdir_owned("perm/sticky1", 01777, U1, G1),
	      "setup: perm/sticky1");
	setup(make_owned("perm/sticky1/u2f", 0666, U2, G2),
	      "setup: sticky1/u2f");
	expect(
	    as_user(U1, G1,
		    (struct op){.kind = OP_UNLINK, .path = "perm/sticky1/u2f"}),
	    0, "sticky: the directory's owner unlinks another user's file");

	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHMOD,
				   .path = "perm/r644",
				   .mode = 0666}),
	       EPERM, "chmod: by a user who does not own the file gives EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHMOD,
				   .path = "perm/u1_0000",
				   .mode = 0600}),
	       0, "chmod: by the owner succeeds");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "perm/u1_0000",
				   .flags = O_RDONLY}),
	       0, "chmod: the owner can read once it has granted itself r");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHOWN,
				   .path = "perm/u1_0000",
				   .uid = U2,
				   .gid = -1}),
	       EPERM, "chown: a user giving its file away gives EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHOWN,
				   .path = "perm/u1_0000",
				   .uid = -1,
				   .gid = G2}),
	       EPERM, "chown: to a group the owner is not in gives EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_CHOWN,
				   .path = "perm/r644",
				   .uid = -1,
				   .gid = G1}),
	       EPERM, "chown: of another user's file gives EPERM");

	expect(as_user(U1, G1,
		       (struct op){.kind = OP_UTIMENS,
				   .path = "perm/w666",
				   .times = set}),
	       EPERM, "utimensat: explicit times by a non-owner give EPERM");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_UTIMENS,
				   .path = "perm/w666",
				   .times = NULL}),
	       0,
	       "utimensat: the current time by a non-owner with write access");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_UTIMENS,
				   .path = "perm/r644",
				   .times = NULL}),
	       EACCES,
	       "utimensat: the current time without write access gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_UTIMENS,
				   .path = "perm/u1_0000",
				   .times = set}),
	       0, "utimensat: explicit times by the owner succeed");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_TRUNCATE, .path = "perm/r644"}),
	       EACCES, "truncate: without write access gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_TRUNCATE, .path = "perm/w666"}),
	       0, "truncate: with write access succeeds");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_SETXATTR, .path = "perm/r644"}),
	       EACCES, "setxattr: without write access gives EACCES");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_SETXATTR, .path = "perm/w666"}),
	       0, "setxattr: with write access succeeds");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_GETXATTR, .path = "perm/r600"}),
	       EACCES, "getxattr: without read access gives EACCES");
}

static void test_setgid(void)
{
	struct stat st;

	section("sgid");
	setup(mkdir_owned("sgid/d", 02755, 0, G2), "setup: sgid/d");
	setup(make_file("sgid/d/f", 0644, ""), "setup: sgid/d/f");
	check(lstat_of("sgid/d/f").st_gid == G2,
	      "setgid: a file created in a setgid directory gets its group",
	      "gid %u", lstat_of("sgid/d/f").st_gid);
	setup(mkdir("sgid/d/sub", 0700), "setup: mkdir sgid/d/sub");
	st = lstat_of("sgid/d/sub");
	check(st.st_gid == G2 && mode_of(st) == 02700,
	      "setgid: a subdirectory gets the group and the setgid bit",
	      "gid %u, mode %04o", st.st_gid, mode_of(st));
	setup(make_file("sgid/d/sub/g", 0644, ""), "setup: sgid/d/sub/g");
	check(lstat_of("sgid/d/sub/g").st_gid == G2,
	      "setgid: the inherited bit works in the subdirectory too",
	      "gid %u", lstat_of("sgid/d/sub/g").st_gid);
	setup(symlink("f", "sgid/d/l"), "setup: symlink sgid/d/l");
	check(lstat_of("sgid/d/l").st_gid == G2,
	      "setgid: a symlink created in a setgid directory gets its group",
	      "gid %u", lstat_of("sgid/d/l").st_gid);
	setup(mkfifo("sgid/d/p", 0644), "setup: mkfifo sgid/d/p");
	check(lstat_of("sgid/d/p").st_gid == G2,
	      "setgid: a FIFO created in a setgid directory gets its group",
	      "gid %u", lstat_of("sgid/d/p").st_gid);
	setup(create_file("sgid/d/s", 0, 02755), "setup: create sgid/d/s");
	check(mode_of(lstat_of("sgid/d/s")) == 02755,
	      "setgid: root creating a 02755 file there keeps S_ISGID",
	      "mode %04o", mode_of(lstat_of("sgid/d/s")));

	setup(mkdir_owned("sgid/plain", 0755, 0, G2), "setup: sgid/plain");
	setup(make_file("sgid/plain/f", 0644, ""), "setup: sgid/plain/f");
	check(lstat_of("sgid/plain/f").st_gid == 0,
	      "setgid: without the bit a new file gets the creator's group",
	      "gid %u", lstat_of("sgid/plain/f").st_gid);

	setup(mkdir_owned("sgid/pub", 02777, 0, G2), "setup: sgid/pub");
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "sgid/pub/f",
				   .flags = O_WRONLY | O_CREAT,
				   .mode = 0644}),
	       0, "setgid: a non-member creates a file in a 02777 directory");
	st = lstat_of("sgid/pub/f");
	check(st.st_uid == U1 && st.st_gid == G2,
	      "setgid: a non-member's file gets the directory's group",
	      "owner %u:%u", st.st_uid, st.st_gid);
	expect(as_user(U1, G1,
		       (struct op){.kind = OP_OPEN,
				   .path = "sgid/pub/s",
				   .flags = O_WRONLY | O_CREAT,
				   .mode = 02755}),
	       0, "setgid: a non-member creates a file with mode 02755 there");
	check(mode_of(lstat_of("sgid/pub/s")) == 0755,
	      "setgid: a non-member cannot create a setgid file there",
	      "mode %04o", mode_of(lstat_of("sgid/pub/s")));
}

static bool has_name(const char *list, ssize_t size, const char *name)
{
	int seen = 0;

	for (ssize_t i = 0; i < size; i += strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			seen++;
	return seen == 1;
}

static void test_xattr(void)
{
	static const char binary[8] = {'a', 0, 'b', 1, 2, 0, (char)0xff, 0};
	char name[300], value[4096], big[4000], list[4096];
	struct stamp before;
	ssize_t n, size;
	int fd, foreign = 0;

	section("xattr");
	setup(make_file("xattr/f", 0644, ""), "setup: xattr/f");
	setup(mkdir("xattr/d", 0755), "setup: mkdir xattr/d");
	setup(setxattr("xattr/f", "user.test", "value1", 6, 0),
	      "setup: xattr: setxattr of a user.* attribute succeeds");
	n = getxattr("xattr/f", "user.test", value, sizeof(value));
	check(n == 6 && memcmp(value, "value1", 6) == 0,
	      "xattr: getxattr returns the value set", "returned %zd", n);
	setup(setxattr("xattr/f", "user.bin", binary, sizeof(binary), 0),
	      "setup: setxattr user.bin");
	n = getxattr("xattr/f", "user.bin", value, sizeof(value));
	check(n == sizeof(binary) && memcmp(value, binary, n) == 0,
	      "xattr: a binary value with NUL bytes comes back intact",
	      "returned %zd", n);
	setup(setxattr("xattr/f", "user.empty", "", 0, 0),
	      "setup: xattr: setxattr of an empty value succeeds");
	n = getxattr("xattr/f", "user.empty", value, sizeof(value));
	check(n == 0, "xattr: an empty value reads back as empty",
	      "returned %zd (%s)", n, errname(n == -1 ? errno : 0));
	fill_random((unsigned char *)big, sizeof(big));
	setup(setxattr("xattr/f", "user.big", big, sizeof(big), 0),
	      "setup: setxattr user.big");
	n = getxattr("xattr/f", "user.big", value, sizeof(value));
	check(n == sizeof(big) && memcmp(value, big, n) == 0,
	      "xattr: a 4000-byte value comes back intact", "returned %zd", n);

	expect(errno_of(setxattr("xattr/f", "user.test", "x", 1, XATTR_CREATE)),
	       EEXIST, "xattr: XATTR_CREATE on an existing name gives EEXIST");
	expect(
	    errno_of(setxattr("xattr/f", "user.none", "x", 1, XATTR_REPLACE)),
	    ENODATA, "xattr: XATTR_REPLACE on a missing name gives ENODATA");
	setup(setxattr("xattr/f", "user.test", "v2", 2, XATTR_REPLACE),
	      "setup: xattr: XATTR_REPLACE on an existing name succeeds");
	n = getxattr("xattr/f", "user.test", value, sizeof(value));
	check(n == 2 && memcmp(value, "v2", 2) == 0,
	      "xattr: XATTR_REPLACE replaced the value", "returned %zd", n);
	expect(errno_of(setxattr("xattr/f", "user.new", "n", 1, XATTR_CREATE)),
	       0, "xattr: XATTR_CREATE on a new name succeeds");
	n = getxattr("xattr/f", "user.test", NULL, 0);
	check(n == 2, "xattr: getxattr with size 0 returns the value's length",
	      "returned %zd", n);
	expect(errno_of(getxattr("xattr/f", "user.test", value, 1)), ERANGE,
	       "xattr: getxattr into a too-small buffer gives ERANGE");
	expect(errno_of(getxattr("xattr/f", "user.none", value, sizeof(value))),
	       ENODATA, "xattr: getxattr of a missing name gives ENODATA");

	size = listxattr("xattr/f", NULL, 0);
	n = listxattr("xattr/f", list, sizeof(list));
	check(size > 0 && n == size,
	      "xattr: listxattr with size 0 returns the list's length",
	      "returned %zd, then %zd", size, n);
	for (ssize_t i = 0; i < n; i += strlen(list + i) + 1)
		if (strncmp(list + i, "user.", 5) == 0 &&
		    strcmp(list + i, "user.test") != 0 &&
		    strcmp(list + i, "user.bin") != 0 &&
		    strcmp(list + i, "user.empty") != 0 &&
		    strcmp(list + i, "user.big") != 0 &&
		    strcmp(list + i, "user.new") != 0)
			foreign++;
	check(n > 0 && has_name(list, n, "user.test") &&
		  has_name(list, n, "user.bin") &&
		  has_name(list, n, "user.empty") &&
		  has_name(list, n, "user.big") &&
		  has_name(list, n, "user.new") && foreign == 0,
	      "xattr: listxattr names every attribute once and nothing else",
	      "%zd bytes, %d unexpected names", n, foreign);
	expect(errno_of(listxattr("xattr/f", list, 1)), ERANGE,
	       "xattr: listxattr into a too-small buffer gives ERANGE");
	setup(removexattr("xattr/f", "user.new"),
	      "setup: xattr: removexattr succeeds");
	expect(errno_of(getxattr("xattr/f", "user.new", value, sizeof(value))),
	       ENODATA, "xattr: getxattr after removexattr gives ENODATA");
	n = listxattr("xattr/f", list, sizeof(list));
	check(n > 0 && !has_name(list, n, "user.new") &&
		  has_name(list, n, "user.test"),
	      "xattr: listxattr no longer names a removed attribute",
	      "returned %zd", n);
	expect(errno_of(removexattr("xattr/f", "user.new")), ENODATA,
	       "xattr: removexattr of a missing name gives ENODATA");

	setup(setxattr("xattr/d", "user.dir", "dv", 2, 0),
	      "setup: setxattr xattr/d");
	n = getxattr("xattr/d", "user.dir", value, sizeof(value));
	check(n == 2 && memcmp(value, "dv", 2) == 0,
	      "xattr: attributes work on directories", "returned %zd", n);

	fd = open("xattr/f", O_RDONLY);
	setup(fsetxattr(fd, "user.fd", "fv", 2, 0),
	      "setup: xattr: fsetxattr succeeds");
	n = fgetxattr(fd, "user.fd", value, sizeof(value));
	check(n == 2 && memcmp(value, "fv", 2) == 0,
	      "xattr: fgetxattr returns the value", "returned %zd", n);
	n = flistxattr(fd, list, sizeof(list));
	check(n > 0 && has_name(list, n, "user.fd"),
	      "xattr: flistxattr names the attribute", "returned %zd", n);
	expect(errno_of(fremovexattr(fd, "user.fd")), 0,
	       "xattr: fremovexattr succeeds");
	close(fd);

	setup(link("xattr/f", "xattr/f2"), "setup: link xattr/f2");
	n = getxattr("xattr/f2", "user.test", value, sizeof(value));
	check(n == 2 && memcmp(value, "v2", 2) == 0,
	      "xattr: attributes show through a hard link", "returned %zd", n);
	setup(rename("xattr/f2", "xattr/f3"), "setup: rename xattr/f2");
	n = getxattr("xattr/f3", "user.test", value, sizeof(value));
	check(n == 2 && memcmp(value, "v2", 2) == 0,
	      "xattr: attributes survive a rename", "returned %zd", n);

	snprintf(name, sizeof(name), "user.%0250d", 1);
	expect(errno_of(setxattr("xattr/f", name, "x", 1, 0)), 0,
	       "xattr: a 255-byte name succeeds");
	snprintf(name, sizeof(name), "user.%0251d", 1);
	setup(symlink("f", "xattr/l"), "setup: symlink xattr/l");
	expect(errno_of(lsetxattr("xattr/l", "user.x", "x", 1, 0)), EPERM,
	       "xattr: user.* on a symlink gives EPERM");
	setup(mkfifo("xattr/p", 0644), "setup: mkfifo xattr/p");
	expect(errno_of(setxattr("xattr/missing", "user.x", "x", 1, 0)), ENOENT,
	       "xattr: setxattr on a missing file gives ENOENT");

	before = stamp("xattr/f");
	setup(setxattr("xattr/f", "user.t", "t", 1, 0),
	      "setup: setxattr user.t");
	check_times("xattr/f", before, false, true, "xattr: setxattr");
	before = stamp("xattr/f");
	setup(removexattr("xattr/f", "user.t"), "setup: removexattr user.t");
	check_times("xattr/f", before, false, true, "xattr: removexattr");
}

/* Index of a name of the form "e-NNNN<pad>", or -1. */
static int entry_index(const char *name, int count)
{
	char *end;
	long i;

	if (strncmp(name, "e-", 2) != 0)
		return -1;
	i = strtol(name + 2, &end, 10);
	if (end != name + 6 || i < 0 || i >= count)
		return -1;
	return i;
}

/* "e-NNNN" followed by pad filler bytes, to vary the names' lengths. */
static void entry_name(char *buf, size_t size, int i, int pad)
{
	int at = snprintf(buf, size, "e-%04d", i);

	if (at + pad >= (int)size)
		pad = size - at - 1;
	memset(buf + at, 'p', pad);
	buf[at + pad] = '\0';
}

/*
 * Lists dir and checks that it holds "." and ".." once each and exactly
 * the entries whose present[] is set, each once.
 */
static void check_listing(const char *dir, int count, const bool *present,
			  const char *what)
{
	int *seen = calloc(count, sizeof(int));
	int dots = 0, dotdots = 0, foreign = 0, missing = 0, twice = 0, i;
	struct dirent *e;
	int read_errno;
	DIR *d;

	d = opendir(dir);
	if (!d || !seen) {
		check(false, what, "opendir: %s", errname(errno));
		free(seen);
		return;
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0)
			dots++;
		else if (strcmp(e->d_name, "..") == 0)
			dotdots++;
		else if ((i = entry_index(e->d_name, count)) >= 0)
			seen[i]++;
		else
			foreign++;
	}
	read_errno = errno;
	closedir(d);
	for (i = 0; i < count; i++) {
		if (seen[i] > 1)
			twice++;
		if (present[i] && seen[i] == 0)
			missing++;
		if (!present[i] && seen[i] > 0)
			foreign++;
	}
	check(read_errno == 0 && dots == 1 && dotdots == 1 && missing == 0 &&
		  twice == 0 && foreign == 0,
	      what,
	      "readdir %s; \".\" %d times, \"..\" %d times; %d missing, "
	      "%d repeated, %d unexpected",
	      errname(read_errno), dots, dotdots, missing, twice, foreign);
	free(seen);
}

static int compare_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

static void test_readdir(void)
{
	enum { COUNT = 1000, DELETE_COUNT = 2000 };
	static bool present[DELETE_COUNT];
	static ino_t inos[COUNT];
	char path[400], name[300];
	int wrong_type = 0, dup = 0, n_ino = 0, i;
	unsigned char want;
	struct dirent *e;
	struct stat st;
	DIR *d;

	section("rd");
	setup(mkdir("rd/empty", 0755), "setup: mkdir rd/empty");
	memset(present, 0, sizeof(present));
	check_listing("rd/empty", COUNT, present,
		      "readdir: an empty directory lists only . and ..");

	setup(mkdir("rd/big", 0755), "setup: mkdir rd/big");
	for (i = 0; i < COUNT; i++) {
		entry_name(name, sizeof(name), i, 0);
		snprintf(path, sizeof(path), "rd/big/%s", name);
		if (i % 10 == 0)
			setup(mkdir(path, 0755), "setup: mkdir an entry");
		else if (i % 10 == 1)
			setup(symlink("target", path),
			      "setup: symlink an entry");
		else
			setup(make_file(path, 0644, ""),
			      "setup: create an entry");
		present[i] = true;
	}
	check_listing(
	    "rd/big", COUNT, present,
	    "readdir: 1000 entries are each listed once, with . and ..");

	d = opendir("rd/big");
	while (d && (e = readdir(d))) {
		i = entry_index(e->d_name, COUNT);
		if (i < 0)
			continue;
		want = i % 10 == 0 ? DT_DIR : i % 10 == 1 ? DT_LNK : DT_REG;
		if (e->d_type != DT_UNKNOWN && e->d_type != want)
			wrong_type++;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    n_ino < COUNT)
			inos[n_ino++] = st.st_ino;
	}
	if (d)
		closedir(d);
	check(wrong_type == 0, "readdir: d_type matches each entry's type",
	      "%d entries have the wrong d_type", wrong_type);
	qsort(inos, n_ino, sizeof(inos[0]), compare_ino);
	for (i = 1; i < n_ino; i++)
		if (inos[i] == inos[i - 1])
			dup++;
	check(n_ino == COUNT && dup == 0,
	      "readdir: 1000 different files have 1000 different st_ino",
	      "%d stat, %d duplicate inode numbers", n_ino, dup);

	for (i = 1; i < COUNT; i += 2) {
		entry_name(name, sizeof(name), i, 0);
		snprintf(path, sizeof(path), "rd/big/%s", name);
		setup(unlink(path), "setup: unlink an entry");
		present[i] = false;
	}
	check_listing(
	    "rd/big", COUNT, present,
	    "readdir: after removing half, exactly the rest are listed");
	for (i = 1; i < 200; i += 2) {
		entry_name(name, sizeof(name), i, 0);
		snprintf(path, sizeof(path), "rd/big/%s", name);
		setup(make_file(path, 0644, ""), "setup: re-create an entry");
		present[i] = true;
	}
	check_listing("rd/big", COUNT, present,
		      "readdir: new entries appear in the listing");

	/*
	 * Removing each entry as it is returned must not make the directory
	 * skip or repeat the others; rm -r depends on it.  Long names make the
	 * listing take many getdents calls.
	 */
	setup(mkdir("rd/del", 0755), "setup: mkdir rd/del");
	for (i = 0; i < DELETE_COUNT; i++) {
		entry_name(name, sizeof(name), i, 120);
		snprintf(path, sizeof(path), "rd/del/%s", name);
		setup(make_file(path, 0644, ""), "setup: create an entry");
		present[i] = true;
	}
	{
		int *seen = calloc(DELETE_COUNT, sizeof(int));
		int missing = 0, twice = 0, failed = 0;

		d = opendir("rd/del");
		while (d && seen && (e = readdir(d))) {
			i = entry_index(e->d_name, DELETE_COUNT);
			if (i < 0)
				continue;
			seen[i]++;
			if (unlinkat(dirfd(d), e->d_name, 0) == -1)
				failed++;
		}
		if (d)
			closedir(d);
		for (i = 0; seen && i < DELETE_COUNT; i++) {
			if (seen[i] == 0)
				missing++;
			if (seen[i] > 1)
				twice++;
		}
		check(seen && missing == 0 && twice == 0 && failed == 0,
		      "readdir: removing entries while listing skips none of "
		      "the rest",
		      "%d never listed, %d listed twice, %d unlinks failed",
		      missing, twice, failed);
		free(seen);
	}
	expect(errno_of(rmdir("rd/del")), 0,
	       "readdir: the directory is empty after that");

	entry_name(name, sizeof(name), 7, 249);
	snprintf(path, sizeof(path), "rd/empty/%s", name);
	setup(make_file(path, 0644, ""), "setup: a 255-byte name");
	d = opendir("rd/empty");
	i = 0;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, name) == 0)
			i++;
	if (d)
		closedir(d);
	check(strlen(name) == 255 && i == 1,
	      "readdir: a 255-byte name is listed intact", "found %d times", i);
	d = opendir(path);
	expect(d ? 0 : errno, ENOTDIR,
	       "readdir: opendir of a file gives ENOTDIR");
	if (d)
		closedir(d);
}

static void test_statfs(void)
{
	unsigned char *data;
	struct statvfs sv, fsv, after;
	unsigned long long before_free, after_free;
	int fd;

	section("statfs");
	setup(statvfs(".", &sv), "setup: statvfs: succeeds");
	check(sv.f_bsize > 0 && sv.f_frsize > 0, "statvfs: f_bsize is positive",
	      "f_bsize %lu, f_frsize %lu", sv.f_bsize, sv.f_frsize);
	check(sv.f_namemax >= 255, "statvfs: f_namemax is at least 255",
	      "f_namemax %lu", sv.f_namemax);
	check(sv.f_blocks > 0 && sv.f_bfree <= sv.f_blocks &&
		  sv.f_bavail <= sv.f_bfree,
	      "statvfs: 0 < f_blocks, f_bavail <= f_bfree <= f_blocks",
	      "f_blocks %llu, f_bfree %llu, f_bavail %llu",
	      (unsigned long long)sv.f_blocks, (unsigned long long)sv.f_bfree,
	      (unsigned long long)sv.f_bavail);
	check(sv.f_ffree <= sv.f_files, "statvfs: f_ffree <= f_files",
	      "f_files %llu, f_ffree %llu", (unsigned long long)sv.f_files,
	      (unsigned long long)sv.f_ffree);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	setup(fstatvfs(fd, &fsv), "setup: fstatvfs: succeeds");
	check(fsv.f_blocks == sv.f_blocks && fsv.f_bsize == sv.f_bsize,
	      "fstatvfs: agrees with statvfs", "f_blocks %llu",
	      (unsigned long long)fsv.f_blocks);
	close(fd);
	check(lstat_of(".").st_blksize > 0, "stat: st_blksize is positive",
	      "st_blksize %ld", (long)lstat_of(".").st_blksize);

	data = xmalloc(4 * MiB);
	memset(data, 0x5a, 4 * MiB);
	setup(statvfs(".", &sv), "setup: statvfs");
	fd = open("statfs/fill", O_WRONLY | O_CREAT | O_EXCL, 0644);
	setup(write_full(fd, data, 4 * MiB) ? fsync(fd) : -1,
	      "setup: write statfs/fill");
	close(fd);
	free(data);
	setup(statvfs(".", &after), "setup: statvfs");
	before_free = (unsigned long long)sv.f_bfree * sv.f_frsize;
	after_free = (unsigned long long)after.f_bfree * after.f_frsize;
	check(after_free + 2 * MiB <= before_free,
	      "statvfs: writing 4 MiB lowers the free space",
	      "free bytes went from %llu to %llu", before_free, after_free);
}

static void test_sync(void)
{
	unsigned char buf[4096];
	ssize_t r;
	int fd, dfd, rfd;

	section("sync");
	fd = open("sync/f", O_RDWR | O_CREAT | O_EXCL, 0644);
	setup(write(fd, "abc", 3) == 3 ? 0 : -1, "setup: write sync/f");
	expect(errno_of(fsync(fd)), 0, "fsync: on a file succeeds");
	expect(errno_of(fdatasync(fd)), 0, "fdatasync: on a file succeeds");
	rfd = open("sync/f", O_RDONLY);
	expect(errno_of(fsync(rfd)), 0,
	       "fsync: on a read-only descriptor succeeds");
	close(rfd);
	dfd = open("sync", O_RDONLY | O_DIRECTORY);
	expect(errno_of(fsync(dfd)), 0, "fsync: on a directory succeeds");
	close(dfd);
	expect(posix_fallocate(fd, 0, MiB), 0,
	       "posix_fallocate: reserving 1 MiB succeeds");
	r = pread(fd, buf, sizeof(buf), 0);
	check(fstat_of(fd).st_size == MiB && r == sizeof(buf) &&
		  memcmp(buf, "abc", 3) == 0 && all_zero(buf + 3, r - 3),
	      "posix_fallocate: extends the file with zeros, keeping the data",
	      "size %jd", (intmax_t)fstat_of(fd).st_size);
	close(fd);
}

static void test_names(void)
{
	char ok[300], bad[300];
	struct stat st;

	section("names");
	setup(make_file("names/f", 0644, ""), "setup: names/f");
	setup(make_file("names/g", 0644, ""), "setup: names/g");
	long_name(bad, sizeof(bad), "names", 'z', 256);

	long_name(ok, sizeof(ok), "names", 'a', 255);
	expect(errno_of_fd(open(ok, O_WRONLY | O_CREAT | O_EXCL, 0644)), 0,
	       "names: creat with a 255-byte name succeeds");
	expect(errno_of_fd(open(bad, O_WRONLY | O_CREAT, 0644)), ENAMETOOLONG,
	       "names: creat with a 256-byte name gives ENAMETOOLONG");
	long_name(ok, sizeof(ok), "names", 'b', 255);
	expect(errno_of(mkdir(ok, 0755)), 0,
	       "names: mkdir with a 255-byte name succeeds");
	expect(errno_of(mkdir(bad, 0755)), ENAMETOOLONG,
	       "names: mkdir with a 256-byte name gives ENAMETOOLONG");
	long_name(ok, sizeof(ok), "names", 'c', 255);
	expect(errno_of(symlink("f", ok)), 0,
	       "names: symlink with a 255-byte name succeeds");
	expect(errno_of(symlink("f", bad)), ENAMETOOLONG,
	       "names: symlink with a 256-byte name gives ENAMETOOLONG");
	long_name(ok, sizeof(ok), "names", 'd', 255);
	expect(errno_of(link("names/f", ok)), 0,
	       "names: link with a 255-byte name succeeds");
	expect(errno_of(link("names/f", bad)), ENAMETOOLONG,
	       "names: link with a 256-byte name gives ENAMETOOLONG");
	long_name(ok, sizeof(ok), "names", 'e', 255);
	expect(errno_of(rename("names/g", ok)), 0,
	       "names: rename to a 255-byte name succeeds");
	expect(errno_of(rename("names/f", bad)), ENAMETOOLONG,
	       "names: rename to a 256-byte name gives ENAMETOOLONG");
	expect(errno_of(rename(bad, "names/h")), ENAMETOOLONG,
	       "names: rename from a 256-byte name gives ENAMETOOLONG");
	expect(errno_of(mknod(bad, S_IFIFO | 0644, 0)), ENAMETOOLONG,
	       "names: mknod with a 256-byte name gives ENAMETOOLONG");
	expect(errno_of(lstat(bad, &st)), ENAMETOOLONG,
	       "names: lstat of a 256-byte name gives ENAMETOOLONG");
	expect(errno_of(unlink(bad)), ENAMETOOLONG,
	       "names: unlink of a 256-byte name gives ENAMETOOLONG");
}

/* ---- driver ---- */

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) == -1)
		diag("cleanup: remove %s: %s", path, errname(errno));
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: fsconform [-v] DIR\n");
}

int main(int argc, char **argv)
{
	char run[64];
	int opt, base;

	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt != 'v') {
			usage();
			return 2;
		}
		verbose = true;
	}
	if (optind != argc - 1) {
		usage();
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "fsconform: must run as root\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	base = open(argv[optind], O_RDONLY | O_DIRECTORY);
	snprintf(run, sizeof(run), "fsconform.%ld", (long)getpid());
	if (base == -1 || fchdir(base) == -1 || mkdir(run, 0755) == -1 ||
	    chmod(run, 0755) == -1 || chdir(run) == -1) {
		fprintf(stderr, "fsconform: cannot set up %s/%s: %s\n",
			argv[optind], run, strerror(errno));
		return 2;
	}
	if (verbose)
		diag("working in %s/%s", argv[optind], run);

	/* Relative paths from here on: children need no search access above. */
	test_open();
	test_data();
	test_truncate();
	test_mkdir_rmdir();
	test_unlink();
	test_link();
	test_symlink();
	test_mknod();
	test_rename();
	test_chmod_chown();
	test_utimens();
	test_timestamps();
	test_permissions();
	test_setgid();
	test_xattr();
	test_readdir();
	test_statfs();
	test_sync();
	test_names();

	if (fchdir(base) == -1) {
		fprintf(stderr, "fsconform: cannot return to %s: %s\n",
			argv[optind], strerror(errno));
		return 2;
	}
	nftw(run, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	check(!exists(run), "cleanup: the run directory is removed",
	      "%s/%s is still there", argv[optind], run);
	close(base);

	printf("1..%d\n", n_run);
	printf("%d passed, %d failed\n", n_run - n_failed, n_failed);
	return n_failed ? 1 : 0;
}
