/* Integration tests of the passthrough plugin through the real daemon,
 * mirroring a tmpfs: the POSIX conformance suite, data that matches the
 * backing files byte for byte, files created by an unprivileged caller
 * belonging to that caller, a root inside one of the daemon's own
 * mounts refused while the other mounts serve, the daemon's mounts
 * inside the root (the mirror's own too) never entered, inode numbers
 * that stay apart across the filesystems below the root, files removed
 * while open known by their hidden names in their own directories only
 * and let go of at their last close, a file swapped for a FIFO behind the
 * kernel's back, files left open and lock waits when the mount is
 * remounted, lock waits not taken for slow operations, and a mirror
 * refused where openat2() fails. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

struct mirror {
	char *backing; /* a tmpfs */
	char *mountpoint;
};

/* The mirror's configuration, with `options` (lines) added. */
static void mirror_configure(struct fixture *fixture,
			     const struct mirror *mirror, const char *options)
{
	char *text = g_strdup_printf(
	    "[mount mirror]\nplugin = passthrough\n"
	    "mountpoint = %s\n"
	    "options = default_permissions,allow_other\n"
	    "root = %s\n%s",
	    mirror->mountpoint, mirror->backing, options ? options : "");

	test_write_file(fixture->config, text);
	g_free(text);
}

static void mirror_setup(struct fixture *fixture, struct mirror *mirror,
			 const char *options)
{
	mirror->backing = test_subdir(fixture->dir, "backing");
	mirror->mountpoint = test_subdir(fixture->dir, "mirror");
	assert_int_equal(mount("tmpfs", mirror->backing, "tmpfs", 0,
			       "size=512M"),
			 0);
	mirror_configure(fixture, mirror, options);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(mirror->mountpoint, START_TIMEOUT_MS));
}

static void mirror_teardown(struct fixture *fixture, struct mirror *mirror)
{
	/* What the tests that remount the mirror make it warn. */
	static const char *const expected[] = {
		"configuration changed: remounting", NULL
	};

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	umount(mirror->backing);
	g_free(mirror->mountpoint);
	g_free(mirror->backing);
}

/* With cache = none every request reaches the backing tmpfs, and the suite
 * passes as it does on tmpfs itself. */
static void test_conformance_suite(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *output = test_path(fixture->dir, "conformance.log");
	int status;

	mirror_setup(fixture, &mirror, "cache = none\n");
	status = test_shell("%s %s > %s 2>&1", test_fsconform_path(),
			    mirror.mountpoint, output);
	if (status != 0)
		assert_int_equal(test_shell("grep -v '^ok ' %s >&2", output),
				 0);
	assert_int_equal(status, 0);
	mirror_teardown(fixture, &mirror);
	g_free(output);
}

/* What is written through the mount is in the backing file, and what is
 * written to the backing file reads back through the mount. */
static void test_data_matches_backing_files(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;

	mirror_setup(fixture, &mirror, NULL);
	assert_int_equal(test_shell("head -c 9000000 /dev/urandom > %s/a && "
				    "cmp %s/a %s/a && "
				    "head -c 123457 /dev/urandom > %s/b && "
				    "cmp %s/b %s/b && cp %s/a %s/c && "
				    "cmp %s/a %s/c",
				    mirror.mountpoint, mirror.mountpoint,
				    mirror.backing, mirror.backing,
				    mirror.backing, mirror.mountpoint,
				    mirror.mountpoint, mirror.mountpoint,
				    mirror.backing, mirror.backing),
			 0);
	mirror_teardown(fixture, &mirror);
}

/* As root with allow_other, what a caller creates belongs to the caller. */
static void test_created_files_belong_to_caller(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *file, *dir;
	struct stat st;

	mirror_setup(fixture, &mirror, NULL);
	assert_int_equal(chmod(mirror.backing, 01777), 0);
	assert_int_equal(
		test_shell("setpriv --reuid=65534 --regid=65534 --clear-groups "
			   "sh -c 'echo mine > %s/nobody && mkdir %s/nodir'",
			   mirror.mountpoint, mirror.mountpoint),
		0);
	file = test_path(mirror.backing, "nobody");
	dir = test_path(mirror.backing, "nodir");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	mirror_teardown(fixture, &mirror);
	g_free(dir);
	g_free(file);
}

/* libfuse hides a file removed while open under a .fuse_hidden name; a
 * caller's own rename to such a name (rsync copying the leftovers of
 * another FUSE filesystem) stays a rename, and the file stays in the
 * backing directory.  A file removed while open reads on, and is gone
 * from the backing directory at once. */
static void test_hidden_names(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;

	mirror_setup(fixture, &mirror, NULL);
	assert_int_equal(
		test_shell("cd %s && echo kept > a && "
			   "python3 -c 'import os; os.rename(\"a\", "
			   "\".fuse_hidden0000000a00000001\")' && "
			   "test \"$(cat %s/.fuse_hidden0000000a00000001)\" = "
			   "kept",
			   mirror.mountpoint, mirror.backing),
		0);
	assert_int_equal(
		test_shell("cd %s && echo open > b && exec 3< b && rm b && "
			   "test -z \"$(ls -A %s | grep -v fuse_hidden0000000a)\" "
			   "&& test \"$(cat <&3)\" = open",
			   mirror.mountpoint, mirror.backing),
		0);
	mirror_teardown(fixture, &mirror);
}

/* The name libfuse hid the removed file `path` under: in the same
 * directory, ".fuse_hidden", its node number and how many it hid before
 * (none yet: this mount is fresh).  g_free it. */
static char *hidden_name_of(const char *path)
{
	char *dir = g_path_get_dirname(path);
	char *found = NULL;
	struct stat st;

	for (unsigned node = 1; node < 1000 && !found; node++) {
		char *name = g_strdup_printf("%s/.fuse_hidden%08x%08x", dir,
					     node, 1u);

		if (stat(name, &st) == 0)
			found = g_path_get_basename(name);
		g_free(name);
	}
	g_free(dir);
	assert_non_null(found);
	return found;
}

/* A file removed while open is known by its hidden name in its own
 * directory only.  Asked for in another directory, one the caller may
 * enter, the name is unknown: through it, a user could read a file of a
 * directory closed to them, and remove its hidden name, leaving its
 * holder with fchmod() and the like failing.  The name moves with its
 * directory. */
static void test_hidden_name_only_in_its_directory(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *private, *public, *secret, *name, *moved;
	int fd;

	mirror_setup(fixture, &mirror, "cache = none\n");
	private = test_subdir(mirror.mountpoint, "private");
	public = test_subdir(mirror.mountpoint, "public");
	assert_int_equal(chmod(private, 0700), 0);
	assert_int_equal(chmod(public, 0777), 0);
	secret = test_path(private, "secret");
	test_write_file(secret, "secret\n");
	fd = open(secret, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(unlink(secret), 0);
	name = hidden_name_of(secret);

	assert_int_not_equal(
		test_shell("setpriv --reuid=65534 --regid=65534 --clear-groups "
			   "cat %s/%s 2>/dev/null | grep -q secret",
			   public, name),
		0);
	test_shell("setpriv --reuid=65534 --regid=65534 --clear-groups "
		   "rm -f %s/%s 2>/dev/null",
		   public, name);
	assert_int_equal(fchmod(fd, 0600), 0);
	moved = test_path(mirror.mountpoint, "moved");
	assert_int_equal(rename(private, moved), 0);
	assert_int_equal(fchmod(fd, 0640), 0);
	close(fd);
	mirror_teardown(fixture, &mirror);
	g_free(moved);
	g_free(name);
	g_free(secret);
	g_free(public);
	g_free(private);
}

/* How many of the daemon's descriptors refer to the inode `st` is of,
 * once the releases the kernel sends after close() have been served, or
 * after five seconds. */
static unsigned daemon_descriptors_of(const struct fixture *fixture,
				      const struct stat *st)
{
	char *fds = g_strdup_printf("/proc/%d/fd", (int)fixture->daemon->pid);
	unsigned count = 0;

	for (int i = 0; i < 50; i++) {
		GDir *dir = g_dir_open(fds, 0, NULL);
		const char *name;
		struct stat fd_st;

		assert_non_null(dir);
		count = 0;
		while ((name = g_dir_read_name(dir))) {
			char *link = g_build_filename(fds, name, NULL);

			if (stat(link, &fd_st) == 0 &&
			    fd_st.st_dev == st->st_dev &&
			    fd_st.st_ino == st->st_ino)
				count++;
			g_free(link);
		}
		g_dir_close(dir);
		if (count == 0)
			break;
		usleep(100 * 1000);
	}
	g_free(fds);
	return count;
}

/* A file open twice and removed keeps its hidden name until its last
 * close, as a file on a local filesystem keeps working through each of
 * its descriptors; then the daemon lets go of it, even when the directory
 * it was in is gone, so that its space is freed. */
static void test_hidden_file_lives_until_last_close(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *file, *dir, *inner, *backing_file, *backing_inner;
	struct stat st, inner_st;
	int first, second;

	mirror_setup(fixture, &mirror, "cache = none\n");
	file = test_path(mirror.mountpoint, "twice");
	backing_file = test_path(mirror.backing, "twice");
	test_write_file(file, "twice\n");
	assert_int_equal(stat(backing_file, &st), 0);
	first = open(file, O_RDONLY);
	assert_true(first >= 0);
	second = open(file, O_RDWR);
	assert_true(second >= 0);
	assert_int_equal(unlink(file), 0);
	close(first);
	assert_int_equal(fchmod(second, 0600), 0);
	assert_int_equal(futimens(second, NULL), 0);
	assert_int_equal(fchown(second, 65534, 65534), 0);
	close(second);
	assert_int_equal(daemon_descriptors_of(fixture, &st), 0);

	dir = test_subdir(mirror.mountpoint, "dir");
	inner = test_path(dir, "file");
	backing_inner = g_strdup_printf("%s/dir/file", mirror.backing);
	test_write_file(inner, "inner\n");
	assert_int_equal(stat(backing_inner, &inner_st), 0);
	first = open(inner, O_RDONLY);
	assert_true(first >= 0);
	assert_int_equal(unlink(inner), 0);
	assert_int_equal(rmdir(dir), 0);
	close(first);
	assert_int_equal(daemon_descriptors_of(fixture, &inner_st), 0);
	mirror_teardown(fixture, &mirror);
	g_free(backing_inner);
	g_free(inner);
	g_free(dir);
	g_free(backing_file);
	g_free(file);
}

/* From here on openat2() fails with ENOSYS, in this process and what it
 * runs, as before Linux 5.6 or under a container's system call filter. */
static int refuse_openat2(void)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!filter)
		return -ENOMEM;
	rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2),
			      0);
	if (rc == 0)
		rc = seccomp_load(filter);
	seccomp_release(filter);
	return rc;
}

/* The exit status of `fusehostd -t` on the fixture's configuration, with
 * what it printed in *output (g_free it); see refuse_openat2() for
 * `without_openat2`. */
static int fusehostd_check(const struct fixture *fixture, bool without_openat2,
			   char **output)
{
	char *log = test_path(fixture->dir, "check.log");
	const char *const argv[] = { test_fusehostd_path(), "-t", "-c",
				     fixture->config, "--plugin-dir",
				     test_plugin_dir(), NULL };
	int log_fd, status;
	pid_t pid;

	log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(log_fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (without_openat2 && refuse_openat2())
			_exit(126);
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(log_fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	*output = test_read_file(log);
	assert_non_null(*output);
	g_free(log);
	return WEXITSTATUS(status);
}

/* Without openat2() only the last component of a path can be kept from
 * following a symlink, and one planted in a directory of the backing tree
 * would lead out of the root: the mount is refused, saying why. */
static void test_refused_without_openat2(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *output;

	mirror.backing = test_subdir(fixture->dir, "backing");
	mirror.mountpoint = test_subdir(fixture->dir, "mirror");
	mirror_configure(fixture, &mirror, NULL);
	assert_int_equal(fusehostd_check(fixture, false, &output), 0);
	g_free(output);
	assert_int_equal(fusehostd_check(fixture, true, &output), 1);
	if (!strstr(output, "mirror") ||
	    !strstr(output, "passthrough needs openat2"))
		fail_msg("fusehostd -t said: %s", output);
	g_free(output);
	g_free(mirror.mountpoint);
	g_free(mirror.backing);
}

/* Served by a process without capabilities (isolation = process), files
 * are not given to their callers (it cannot), and they still get the
 * mode asked for, with no warning; the start says what the mirror can
 * reach. */
static void test_isolated_creates_with_the_mode_asked(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *file;
	struct stat st;

	mirror_setup(fixture, &mirror, "isolation = process\n");
	assert_int_equal(chmod(mirror.backing, 01777), 0);
	assert_int_equal(
		test_shell("setpriv --reuid=65534 --regid=65534 --clear-groups "
			   "sh -c 'umask 022 && echo x > %s/made'",
			   mirror.mountpoint),
		0);
	file = test_path(mirror.backing, "made");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	fusehostd_assert_logged(fixture->daemon,
				"info: mirror: serving as uid 0 without "
				"privileges: callers reach only what uid 0 "
				"may by the files' modes");
	mirror_teardown(fixture, &mirror);
	g_free(file);
}

/* Blocking lock requests wait without taking every thread of the mount:
 * with the lock held, twelve more flock(1)s (the mount has ten threads)
 * leave the mount answering; four wait and get the lock once it is let
 * go, the others are refused with EDEADLK at once. */
static void test_blocked_locks_leave_threads(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *results = test_subdir(fixture->dir, "results");

	mirror_setup(fixture, &mirror, NULL);
	assert_int_equal(
		test_shell(
			"cd %s && touch f && "
			"python3 -c 'import fcntl, time; h = open(\"f\"); "
			"fcntl.flock(h, fcntl.LOCK_EX); open(\"%s/held\", \"w\"); "
			"time.sleep(60)' & "
			"holder=$! && "
			"for t in $(seq 100); do "
			"  [ -e %s/held ] && break; sleep 0.1; "
			"done; "
			"for i in $(seq 12); do "
			"  (flock %s/f true 2>/dev/null; echo $? > %s/w$i) & "
			"done; "
			"for t in $(seq 100); do "
			"  [ $(ls %s | wc -l) -ge 8 ] && break; sleep 0.1; "
			"done; "
			"timeout 10 ls %s > /dev/null || exit 10; "
			"[ $(cat %s/w* | grep -vc '^0$') = 8 ] || exit 11; "
			"kill $holder; wait; "
			"[ $(cat %s/w* | grep -c '^0$') = 4 ] || exit 12",
			mirror.mountpoint, fixture->dir, fixture->dir,
			mirror.mountpoint, results, results, mirror.mountpoint,
			results, results),
		0);
	mirror_teardown(fixture, &mirror);
	g_free(results);
}

/* Change the mirror's options and wait for the reload that remounts it. */
static void mirror_remount(struct fixture *fixture, const struct mirror *mirror,
			   const char *options, unsigned reload)
{
	mirror_configure(fixture, mirror, options);
	kill(fixture->daemon->pid, SIGHUP);
	assert_true(fusehostd_wait_for_log_count(fixture->daemon,
						 "configuration reloaded",
						 reload, START_TIMEOUT_MS));
	assert_true(is_fuse_mounted(mirror->mountpoint));
}

/* How many of the daemon's descriptors are open on `path`. */
static unsigned daemon_descriptors_on(const struct fixture *fixture,
				      const char *path)
{
	char *fds = g_strdup_printf("/proc/%d/fd", (int)fixture->daemon->pid);
	GDir *dir = g_dir_open(fds, 0, NULL);
	const char *name;
	unsigned count = 0;

	assert_non_null(dir);
	while ((name = g_dir_read_name(dir))) {
		char *link = g_build_filename(fds, name, NULL);
		char *target = g_file_read_link(link, NULL);

		if (target && strcmp(target, path) == 0)
			count++;
		g_free(target);
		g_free(link);
	}
	g_dir_close(dir);
	g_free(fds);
	return count;
}

/* A mount that goes away with files open in it gets no release for them
 * (the kernel has cut the connection): the mirror closes them itself, and
 * a flock() lock taken through one is free again. */
static void test_remount_closes_open_files(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *file, *backing_file;
	int fd, dir_fd, backing_fd;

	mirror_setup(fixture, &mirror, "cache = auto\n");
	file = test_path(mirror.mountpoint, "locked");
	backing_file = test_path(mirror.backing, "locked");
	fd = open(file, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	/* libfuse itself loses the handle it keeps for a directory open when
	 * the connection goes (120 bytes), which LeakSanitizer would report
	 * against the daemon. */
	dir_fd = test_sanitized()
		     ? -1
		     : open(mirror.mountpoint, O_RDONLY | O_DIRECTORY);
	assert_true(dir_fd >= 0 || test_sanitized());
	assert_int_equal(daemon_descriptors_on(fixture, backing_file), 1);
	assert_int_equal(daemon_descriptors_on(fixture, mirror.backing),
			 dir_fd >= 0 ? 2 : 1);

	mirror_remount(fixture, &mirror, "cache = none\n", 1);
	assert_int_equal(daemon_descriptors_on(fixture, backing_file), 0);
	/* The root's own descriptor, of the new mount. */
	assert_int_equal(daemon_descriptors_on(fixture, mirror.backing), 1);
	backing_fd = open(backing_file, O_RDWR);
	assert_true(backing_fd >= 0);
	assert_int_equal(flock(backing_fd, LOCK_EX | LOCK_NB), 0);
	close(backing_fd);
	/* On the old connection: nothing reaches the daemon. */
	close(fd);
	if (dir_fd >= 0)
		close(dir_fd);
	mirror_teardown(fixture, &mirror);
	g_free(backing_file);
	g_free(file);
}

/* The backing file "locked" held with flock() from outside the mount,
 * and a process waiting for it through the mount. */
struct lock_wait {
	int holder_fd;
	pid_t waiter;
};

/* Start a lock wait and return once the waiter's request is with the
 * daemon.  The waiter exits 0 if it got the lock, 1 on EIO. */
static void lock_wait_start(const struct mirror *mirror,
			    struct lock_wait *wait)
{
	char *file = test_path(mirror->mountpoint, "locked");
	char *backing_file = test_path(mirror->backing, "locked");
	bool waiting = false;
	char *wchan;
	int opened[2];
	char byte;

	wait->holder_fd = open(backing_file, O_RDWR | O_CREAT, 0644);
	assert_true(wait->holder_fd >= 0);
	assert_int_equal(flock(wait->holder_fd, LOCK_EX), 0);
	assert_int_equal(pipe(opened), 0);
	wait->waiter = fork();
	assert_true(wait->waiter >= 0);
	if (wait->waiter == 0) {
		int fd;

		/* Its copy would keep the holder's lock. */
		close(wait->holder_fd);
		fd = open(file, O_RDWR);
		if (fd < 0)
			_exit(2);
		/* From here on, a request it waits for is the flock. */
		if (write(opened[1], "o", 1) != 1)
			_exit(2);
		_exit(flock(fd, LOCK_EX) == 0 ? 0 : errno == EIO ? 1 : 3);
	}
	close(opened[1]);
	assert_int_equal(read(opened[0], &byte, 1), 1);
	close(opened[0]);
	wchan = g_strdup_printf("/proc/%d/wchan", (int)wait->waiter);
	for (int i = 0; i < 100 && !waiting; i++) {
		char *text = test_read_file(wchan);

		waiting = text && strstr(text, "request_wait_answer");
		g_free(text);
		if (!waiting)
			usleep(100 * 1000);
	}
	assert_true(waiting);
	g_free(wchan);
	g_free(backing_file);
	g_free(file);
}

/* The waiter's exit status, once it has ended; the holder lets go. */
static int lock_wait_finish(struct lock_wait *wait)
{
	int status;

	close(wait->holder_fd);
	assert_int_equal(waitpid(wait->waiter, &status, 0), wait->waiter);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A process waiting through the mount for a lock held elsewhere does not
 * hold the mount's stop up: the wait ends with EIO and the mount is
 * remounted, not given up as stuck. */
static void test_stop_ends_lock_waits(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	struct lock_wait wait;
	char *log;

	mirror_setup(fixture, &mirror, "cache = auto\n");
	lock_wait_start(&mirror, &wait);
	/* With the holder still holding. */
	mirror_remount(fixture, &mirror, "cache = none\n", 1);
	assert_int_equal(lock_wait_finish(&wait), 1);
	log = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(log, "stuck"), 0);
	g_free(log);
	mirror_teardown(fixture, &mirror);
}

/* A lock request waiting for another holder is no slow or stuck
 * operation: it is not logged as one however long the holder keeps the
 * lock, and it gets the lock once the holder lets go. */
static void test_lock_waits_are_not_slow(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	struct lock_wait wait;
	char *log;

	mirror_setup(fixture, &mirror, "slow-op-ms = 100\n");
	lock_wait_start(&mirror, &wait);
	/* Past slow-op-ms many times over, and past a check for stuck
	 * operations (every second). */
	usleep(2500 * 1000);
	assert_int_equal(lock_wait_finish(&wait), 0);
	/* Other operations may pass 100 ms on a loaded machine. */
	log = fusehostd_log(fixture->daemon);
	assert_int_equal(test_count(log, "slow operation: flock"), 0);
	assert_int_equal(test_count(log, "operation flock has been running"),
			 0);
	g_free(log);
	mirror_teardown(fixture, &mirror);
}

/* A root inside one of this daemon's own mounts would deadlock: it is
 * refused with a message that says so, and the other mounts serve. */
static void test_root_inside_own_mount_refused(void **state)
{
	struct fixture *fixture = *state;
	char *hello = test_subdir(fixture->dir, "hello");
	char *mirror = test_subdir(fixture->dir, "mirror");
	char *first = g_strdup_printf("[mount hello]\nplugin = hello\n"
				      "mountpoint = %s\n",
				      hello);
	char *second = g_strdup_printf("%s[mount mirror]\nplugin = "
				       "passthrough\nmountpoint = %s\n"
				       "root = %s\n",
				       first, mirror, hello);
	const char *const expected[] = { "a mount served by fusehostd",
					 "mount skipped", NULL };
	char *path = test_path(hello, "hello");
	char *text;

	/* A reload, so that hello surely serves when mirror starts. */
	test_write_file(fixture->config, first);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(hello, START_TIMEOUT_MS));
	test_write_file(fixture->config, second);
	kill(fixture->daemon->pid, SIGHUP);
	assert_true(fusehostd_wait_for_log(fixture->daemon,
					   "a mount served by fusehostd",
					   START_TIMEOUT_MS));
	assert_false(is_fuse_mounted(mirror));
	text = test_read_file(path);
	assert_string_equal(text, "Hello, world!\n");
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, expected);
	g_free(text);
	g_free(path);
	g_free(second);
	g_free(first);
	g_free(mirror);
	g_free(hello);
}

/* Mounts of the daemon inside the root, the mirror's own mountpoint among
 * them, are listed but not entered: looking into one fails with EXDEV at
 * once.  Entering its own mount, the mirror showed itself at every depth,
 * and a path as deep as the mount has threads hung the mount for good. */
static void test_served_mounts_inside_root_fenced(void **state)
{
	struct fixture *fixture = *state;
	char *backing = test_subdir(fixture->dir, "backing");
	char *mirror, *memfs, *first, *second, *file, *deep;
	struct stat st;

	assert_int_equal(mount("tmpfs", backing, "tmpfs", 0, "size=16M"), 0);
	mirror = test_subdir(backing, "view");
	memfs = test_subdir(backing, "mem");
	file = test_path(backing, "file");
	test_write_file(file, "hi\n");
	first = g_strdup_printf("[mount mem]\nplugin = memfs\n"
				"mountpoint = %s\n",
				memfs);
	second = g_strdup_printf("%s[mount mirror]\nplugin = passthrough\n"
				 "mountpoint = %s\nroot = %s\nthreads = 2\n"
				 "options = default_permissions\n",
				 first, mirror, backing);
	/* A reload, so that mem surely serves when the mirror starts. */
	test_write_file(fixture->config, first);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(memfs, START_TIMEOUT_MS));
	test_write_file(fixture->config, second);
	kill(fixture->daemon->pid, SIGHUP);
	assert_true(wait_for_fuse_mount(mirror, START_TIMEOUT_MS));

	assert_int_equal(test_shell("[ \"$(ls %s | tr '\\n' ' ')\" = "
				    "'file mem view ' ] && "
				    "[ \"$(cat %s/file)\" = hi ]",
				    mirror, mirror),
			 0);
	for (const char *const *name = (const char *const[]){ "view", "mem",
							      NULL };
	     *name; name++) {
		char *inside = g_strdup_printf("%s/%s", mirror, *name);

		errno = 0;
		assert_int_equal(stat(inside, &st), -1);
		assert_int_equal(errno, EXDEV);
		g_free(inside);
	}
	/* Deeper than the mount has threads. */
	deep = g_strdup_printf("%s/view/view/view/view/view/file", mirror);
	errno = 0;
	assert_int_equal(stat(deep, &st), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(test_shell("timeout 60 find %s > /dev/null 2>&1; "
				    "[ $? -ne 124 ]",
				    mirror),
			 0);
	assert_int_equal(stat(file, &st), 0);

	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_logged(fixture->daemon, "is inside root");
	fusehostd_assert_log_clean(fixture->daemon, NULL);
	umount(backing);
	g_free(deep);
	g_free(second);
	g_free(first);
	g_free(file);
	g_free(memfs);
	g_free(mirror);
	g_free(backing);
}

/* A filesystem mounted below the root has inode numbers of its own, and
 * its root directory the number of the root's (1 on tmpfs): they differ
 * in the mirror, so that find and du see no directory loop, and numbers
 * from the root's filesystem are kept as they are. */
static void test_other_filesystems_get_their_own_numbers(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;
	char *nested, *native, *mirrored;
	struct stat top, below, file, native_file;

	mirror_setup(fixture, &mirror, NULL);
	nested = test_subdir(mirror.backing, "nested");
	assert_int_equal(mount("tmpfs", nested, "tmpfs", 0, "size=1M"), 0);
	native = test_path(mirror.backing, "file");
	test_write_file(native, "top\n");
	g_free(test_subdir(nested, "dir"));
	mirrored = test_path(mirror.mountpoint, "file");

	assert_int_equal(stat(mirror.mountpoint, &top), 0);
	assert_int_equal(stat(nested, &below), 0);
	assert_int_equal(below.st_ino, top.st_ino); /* both 1, natively */
	g_free(nested);
	nested = test_path(mirror.mountpoint, "nested");
	assert_int_equal(stat(nested, &below), 0);
	assert_int_not_equal(below.st_ino, top.st_ino);
	assert_int_equal(stat(native, &native_file), 0);
	assert_int_equal(stat(mirrored, &file), 0);
	assert_int_equal(file.st_ino, native_file.st_ino);
	assert_int_equal(test_shell("[ \"$(find %s 2>&1 | wc -l)\" = 4 ] && "
				    "du %s > /dev/null",
				    mirror.mountpoint, mirror.mountpoint),
			 0);

	g_free(nested);
	nested = test_path(mirror.backing, "nested");
	/* The kernel releases what find and du opened a moment after they
	 * have ended: until the daemon has closed it, the mount is busy. */
	for (int i = 0; i < 500 && umount(nested) != 0; i++) {
		assert_int_equal(errno, EBUSY);
		usleep(10 * 1000);
	}
	assert_int_not_equal(test_shell("mountpoint -q %s", nested), 0);
	mirror_teardown(fixture, &mirror);
	g_free(mirrored);
	g_free(native);
	g_free(nested);
}

/* A file swapped for a FIFO behind the kernel's back (which still has it
 * cached as a file) opens as the FIFO it now is: the open of a FIFO waits
 * for a peer, and waiting inside the mount took one of its threads for
 * good; now only the caller waits, as it would on the FIFO itself. */
static void test_file_swapped_for_fifo(void **state)
{
	struct fixture *fixture = *state;
	struct mirror mirror;

	mirror_setup(fixture, &mirror, "timeout = 600\n");
	assert_int_equal(
		test_shell("cd %s && echo file > f && stat f > /dev/null && "
			   "rm %s/f && mkfifo %s/f && "
			   "python3 -c 'import os, stat; "
			   "fd = os.open(\"f\", os.O_RDONLY | os.O_NONBLOCK); "
			   "assert stat.S_ISFIFO(os.fstat(fd).st_mode)' && "
			   "{ timeout 1 sh -c 'echo > f'; [ $? = 124 ]; } && "
			   "{ cat f > %s/got & } && echo through > f && wait && "
			   "[ \"$(cat %s/got)\" = through ] && "
			   "timeout 10 ls > /dev/null",
			   mirror.mountpoint, mirror.backing, mirror.backing,
			   fixture->dir, fixture->dir),
		0);
	mirror_teardown(fixture, &mirror);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conformance_suite,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_isolated_creates_with_the_mode_asked, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_remount_closes_open_files,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_lock_waits,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lock_waits_are_not_slow,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_blocked_locks_leave_threads,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hidden_names, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_hidden_name_only_in_its_directory, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_hidden_file_lives_until_last_close, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_data_matches_backing_files,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_created_files_belong_to_caller, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_root_inside_own_mount_refused, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_served_mounts_inside_root_fenced, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_other_filesystems_get_their_own_numbers,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_file_swapped_for_fifo,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refused_without_openat2,
						fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests_name("passthrough", tests, NULL, NULL);
}
