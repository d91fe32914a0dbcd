/* Integration tests of the memfs plugin through the real daemon: data
 * integrity with several MiB of random data, sparse files, separate state
 * of two mounts, the size limit, parallel writers, modes kept by cp -a
 * without ACL support, and the POSIX conformance suite (tests/conformance) run inside a mount, after checking
 * on tmpfs that the suite itself expects what Linux does. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define MEMFS_OPTIONS "default_permissions,allow_other"

static const char *const nothing_expected[] = { NULL };

/* Serve memfs mounts named in `names` (NULL-terminated) at DIR/NAME, each
 * with `extra` keys; returns the first mountpoint. */
static char *serve_memfs(struct fixture *fixture, const char *const *names,
			 const char *extra)
{
	GString *config = g_string_new("");
	char *first = NULL;

	for (const char *const *name = names; *name; name++) {
		char *mountpoint = test_subdir(fixture->dir, *name);

		g_string_append_printf(config,
				       "[mount %s]\nplugin = memfs\n"
				       "mountpoint = %s\noptions = "
				       MEMFS_OPTIONS "\n%s",
				       *name, mountpoint, extra ? extra : "");
		if (!first)
			first = g_strdup(mountpoint);
		g_free(mountpoint);
	}
	test_write_file(fixture->config, config->str);
	g_string_free(config, TRUE);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	for (const char *const *name = names; *name; name++) {
		char *mountpoint = test_path(fixture->dir, *name);

		if (!wait_for_fuse_mount(mountpoint, START_TIMEOUT_MS)) {
			char *log = fusehostd_log(fixture->daemon);

			print_error("daemon log:\n%s", log);
			fail_msg("%s was not mounted", mountpoint);
		}
		g_free(mountpoint);
	}
	return first;
}

static void stop(struct fixture *fixture)
{
	assert_int_equal(fusehostd_stop(fixture->daemon, SIGTERM,
					STOP_TIMEOUT_MS),
			 0);
	fusehostd_assert_log_clean(fixture->daemon, nothing_expected);
}

static void fill_random(GRand *random, unsigned char *data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		data[i] = (unsigned char)g_rand_int_range(random, 0, 256);
}

/* The whole file, compared with `expected`. */
static void assert_file_is(const char *path, const unsigned char *expected,
			   size_t length)
{
	gchar *contents;
	gsize actual;

	assert_true(g_file_get_contents(path, &contents, &actual, NULL));
	assert_int_equal(actual, length);
	if (memcmp(contents, expected, length) != 0) {
		size_t at = 0;

		while (contents[at] == (char)expected[at])
			at++;
		fail_msg("%s differs from what was written at byte %zu", path,
			 at);
	}
	g_free(contents);
}

/* 8 MiB written in uneven chunks, then 500 overwrites at random offsets
 * through a second descriptor: every byte reads back as the model says. */
static void test_random_data_survives(void **state)
{
	const char *const names[] = { "data", NULL };
	const size_t length = 8 << 20;
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, NULL);
	char *path = test_path(mountpoint, "random.bin");
	unsigned char *model = g_malloc(length);
	GRand *random = g_rand_new_with_seed(20261124);
	size_t written = 0;
	int fd;

	fill_random(random, model, length);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	while (written < length) {
		size_t chunk = (size_t)g_rand_int_range(random, 1, 300000);

		if (chunk > length - written)
			chunk = length - written;
		assert_int_equal(write(fd, model + written, chunk), chunk);
		written += chunk;
	}
	assert_int_equal(close(fd), 0);
	assert_file_is(path, model, length);

	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (int i = 0; i < 500; i++) {
		size_t chunk = (size_t)g_rand_int_range(random, 1, 20000);
		size_t offset = (size_t)g_rand_int_range(
			random, 0, (gint32)(length - chunk));
		unsigned char patch[20000];

		fill_random(random, patch, chunk);
		assert_int_equal(pwrite(fd, patch, chunk, (off_t)offset),
				 chunk);
		memcpy(model + offset, patch, chunk);
	}
	assert_int_equal(close(fd), 0);
	assert_file_is(path, model, length);

	stop(fixture);
	g_rand_free(random);
	g_free(model);
	g_free(path);
	g_free(mountpoint);
}

/* A write far past the end leaves a hole that reads as zeros and grows
 * the file; truncate shrinks and grows it again. */
static void test_sparse_files_and_truncate(void **state)
{
	const char *const names[] = { "sparse", NULL };
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, NULL);
	char *path = test_path(mountpoint, "holes");
	unsigned char buffer[4096];
	struct stat st;
	int fd;

	fd = open(path, O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "end", 3, 32 << 20), 3);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, (32 << 20) + 3);
	/* Far less is allocated than the size says. */
	assert_true(st.st_blocks * 512 < (1 << 20));
	assert_int_equal(pread(fd, buffer, sizeof(buffer), 16 << 20),
			 sizeof(buffer));
	for (size_t i = 0; i < sizeof(buffer); i++)
		assert_int_equal(buffer[i], 0);
	assert_int_equal(ftruncate(fd, 10), 0);
	assert_int_equal(ftruncate(fd, 5000), 0);
	assert_int_equal(pread(fd, buffer, sizeof(buffer), 0), sizeof(buffer));
	for (size_t i = 0; i < sizeof(buffer); i++)
		assert_int_equal(buffer[i], 0);
	assert_int_equal(close(fd), 0);
	stop(fixture);
	g_free(path);
	g_free(mountpoint);
}

/* Two mounts of the same plugin are two independent filesystems. */
static void test_two_mounts_have_separate_state(void **state)
{
	struct fixture *fixture = *state;
	char *one = test_subdir(fixture->dir, "one");
	char *two = test_subdir(fixture->dir, "two");
	char *config = g_strdup_printf(
		"[mount one]\nplugin = memfs\nmountpoint = %s\n"
		"options = " MEMFS_OPTIONS "\nsize = 16M\n"
		"[mount two]\nplugin = memfs\nmountpoint = %s\n"
		"options = " MEMFS_OPTIONS "\nsize = 32M\n",
		one, two);
	char *in_one = test_path(one, "only-here");
	char *in_two = test_path(two, "only-here");
	struct statvfs fs_one, fs_two;
	struct stat st;

	test_write_file(fixture->config, config);
	fixture->daemon = fusehostd_start(fixture->config, NULL);
	assert_true(wait_for_fuse_mount(one, START_TIMEOUT_MS));
	assert_true(wait_for_fuse_mount(two, START_TIMEOUT_MS));
	test_write_file(in_one, "one");
	assert_int_equal(stat(in_two, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(statvfs(one, &fs_one), 0);
	assert_int_equal(statvfs(two, &fs_two), 0);
	assert_int_equal((uint64_t)fs_one.f_blocks * fs_one.f_frsize, 16 << 20);
	assert_int_equal((uint64_t)fs_two.f_blocks * fs_two.f_frsize, 32 << 20);
	stop(fixture);
	g_free(in_two);
	g_free(in_one);
	g_free(config);
	g_free(two);
	g_free(one);
}

/* Writing past `size` fails with ENOSPC and leaves the mount usable; a
 * full filesystem still takes an xattr value that replaces one as big. */
static void test_size_limit_gives_enospc(void **state)
{
	const char *const names[] = { "small", NULL };
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, "size = 1M\n");
	char *path = test_path(mountpoint, "big");
	char *after = test_path(mountpoint, "after");
	char block[65536];
	ssize_t result = 0;
	int fd;

	memset(block, 'z', sizeof(block));
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fsetxattr(fd, "user.note", block, 1000, 0), 0);
	for (int i = 0; i < 32 && result >= 0; i++)
		result = write(fd, block, sizeof(block));
	assert_int_equal(result, -1);
	assert_int_equal(errno, ENOSPC);
	/* Fill the last bytes (data takes whole pages, xattrs do not). */
	for (size_t size = 32768, n = 0; size > 0; size /= 2) {
		char name[32];

		do
			snprintf(name, sizeof(name), "user.fill%zu", n++);
		while (fsetxattr(fd, name, block, size, 0) == 0);
		assert_int_equal(errno, ENOSPC);
	}
	memset(block, 'y', 1000);
	assert_int_equal(fsetxattr(fd, "user.note", block, 1000,
				   XATTR_REPLACE),
			 0);
	assert_int_equal(fsetxattr(fd, "user.note", block, 1100, 0), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
	assert_int_equal(unlink(path), 0);
	test_write_file(after, "room again");
	stop(fixture);
	g_free(after);
	g_free(path);
	g_free(mountpoint);
}

/* Four processes write and verify their own files at the same time. */
static void test_parallel_writers(void **state)
{
	const char *const names[] = { "parallel", NULL };
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, NULL);
	pid_t writers[4];

	for (int w = 0; w < 4; w++) {
		writers[w] = fork();
		if (writers[w] == 0) {
			GRand *random = g_rand_new_with_seed((guint32)w);
			size_t length = 2 << 20;
			unsigned char *data = g_malloc(length);
			char *path = g_strdup_printf("%s/writer-%d", mountpoint,
						     w);
			gchar *back;
			gsize back_length;

			fill_random(random, data, length);
			for (int round = 0; round < 3; round++) {
				if (!g_file_set_contents(path, (char *)data,
							 (gssize)length, NULL) ||
				    !g_file_get_contents(path, &back,
							 &back_length, NULL) ||
				    back_length != length ||
				    memcmp(back, data, length) != 0)
					_exit(1);
				g_free(back);
			}
			_exit(0);
		}
	}
	for (int w = 0; w < 4; w++) {
		int status;

		assert_int_equal(waitpid(writers[w], &status, 0), writers[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	stop(fixture);
	g_free(mountpoint);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Whether listxattr on `path` names `name`. */
static bool xattr_listed(const char *path, const char *name)
{
	char names[4096];
	ssize_t length = llistxattr(path, names, sizeof(names));

	assert_true(length >= 0);
	for (ssize_t at = 0; at < length; at += strlen(names + at) + 1) {
		if (strcmp(names + at, name) == 0)
			return true;
	}
	return false;
}

/* A valid access ACL in the kernel's xattr format (version 2, then tag,
 * permissions and id per entry): the owner, one more user and a mask
 * that grants that user rw-. */
struct acl_xattr_entry {
	uint16_t tag;
	uint16_t permissions;
	uint32_t id;
};

static const struct {
	uint32_t version;
	struct acl_xattr_entry entries[5];
} extra_user_acl = {
	.version = 2,
	.entries = {
		{ .tag = 0x01, .permissions = 6, .id = UINT32_MAX }, /* owner */
		{ .tag = 0x02, .permissions = 6, .id = 65534 },      /* user */
		{ .tag = 0x04, .permissions = 4, .id = UINT32_MAX }, /* group */
		{ .tag = 0x10, .permissions = 6, .id = UINT32_MAX }, /* mask */
		{ .tag = 0x20, .permissions = 4, .id = UINT32_MAX }, /* other */
	},
};

/* cp -a creates a file 0600 (a directory 0700) and then sets the source's
 * mode as system.posix_acl_access; memfs has no ACLs, so it refuses that
 * with EOPNOTSUPP like any filesystem without them, and cp falls back to
 * chmod.  Had memfs kept the ACL as a plain xattr, the copies would stay
 * 0600 and 0700 with a `+` in ls, and lock other users out. */
static void test_cp_a_keeps_modes_without_acls(void **state)
{
	const char *const names[] = { "acl", NULL };
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, NULL);
	char *source = test_subdir(fixture->dir, "source");
	char *file = test_path(source, "s.txt");
	char *tool = test_path(source, "tool.sh");
	char *copy = test_path(mountpoint, "s1.txt");
	char *tree = test_path(mountpoint, "tree");
	char *tree_file = test_path(tree, "s.txt");
	char *tree_tool = test_path(tree, "tool.sh");

	test_write_file(file, "data");
	test_write_file(tool, "#!/bin/sh");
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(chmod(tool, 0755), 0);
	assert_int_equal(chmod(source, 0755), 0);

	assert_int_equal(test_shell("cp -a '%s' '%s'", file, copy), 0);
	assert_int_equal(mode_of(copy), 0644);
	assert_int_equal(test_shell("cp -a '%s' '%s'", source, tree), 0);
	assert_int_equal(mode_of(tree), 0755);
	assert_int_equal(mode_of(tree_file), 0644);
	assert_int_equal(mode_of(tree_tool), 0755);

	/* Nothing of an ACL was kept, and none can be set or read. */
	for (const char *const *path = (const char *const[]){ copy, tree,
							      NULL };
	     *path; path++) {
		assert_false(xattr_listed(*path, "system.posix_acl_access"));
		assert_int_equal(lgetxattr(*path, "system.posix_acl_access",
					   NULL, 0),
				 -1);
		assert_int_equal(errno, ENODATA);
		assert_int_equal(lsetxattr(*path, "system.posix_acl_access",
					   &extra_user_acl,
					   sizeof(extra_user_acl), 0),
				 -1);
		assert_int_equal(errno, EOPNOTSUPP);
		assert_int_equal(lremovexattr(*path,
					      "system.posix_acl_access"),
				 -1);
		assert_int_equal(errno, ENODATA);
	}
	assert_int_equal(lsetxattr(tree, "system.posix_acl_default",
				   &extra_user_acl, sizeof(extra_user_acl), 0),
			 -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_false(xattr_listed(tree, "system.posix_acl_default"));
	assert_int_equal(mode_of(copy), 0644);
	assert_int_equal(mode_of(tree), 0755);

	stop(fixture);
	g_free(tree_tool);
	g_free(tree_file);
	g_free(tree);
	g_free(copy);
	g_free(tool);
	g_free(file);
	g_free(source);
	g_free(mountpoint);
}

static int run_conformance(const char *dir)
{
	char *output = g_strdup_printf("%s.conformance.log", dir);
	int status = test_shell("%s %s > %s 2>&1", test_fsconform_path(), dir,
				output);
	char *text = test_read_file(output);

	/* The failing checks only: cmocka truncates long messages. */
	if (status != 0 && text) {
		char **lines = g_strsplit(text, "\n", -1);

		for (char **line = lines; *line; line++) {
			if (!g_str_has_prefix(*line, "ok "))
				print_error("%s\n", *line);
		}
		g_strfreev(lines);
	}
	unlink(output);
	g_free(text);
	g_free(output);
	return status;
}

/* The suite's expectations are Linux's: tmpfs passes all of it. */
static void test_conformance_suite_on_tmpfs(void **state)
{
	struct fixture *fixture = *state;
	char *tmpfs = test_subdir(fixture->dir, "tmpfs");

	assert_int_equal(mount("tmpfs", tmpfs, "tmpfs", 0, "size=512M"), 0);
	assert_int_equal(run_conformance(tmpfs), 0);
	assert_int_equal(umount(tmpfs), 0);
	g_free(tmpfs);
}

/* And so does memfs, as root, inside a mount served by fusehostd. */
static void test_conformance_suite_on_memfs(void **state)
{
	const char *const names[] = { "posix", NULL };
	struct fixture *fixture = *state;
	char *mountpoint = serve_memfs(fixture, names, "size = 512M\n");

	assert_int_equal(run_conformance(mountpoint), 0);
	stop(fixture);
	g_free(mountpoint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_data_survives,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sparse_files_and_truncate,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_two_mounts_have_separate_state, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_size_limit_gives_enospc,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_parallel_writers, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_cp_a_keeps_modes_without_acls, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_conformance_suite_on_tmpfs,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_conformance_suite_on_memfs,
						fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests_name("memfs", tests, NULL, NULL);
}
