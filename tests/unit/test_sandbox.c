/* Unit tests for the plugin process sandbox: a forked child enters it and
 * reports over a socket what it can and cannot do, while the test, as the
 * daemon would, receives and answers the calls the sandbox refuses.
 *
 * Needs root, like `make check`: only root can give privileges up. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

/* Only so that a broken sandbox fails the test instead of hanging it. */
#define HANG_GUARD_MS 30000

struct fixture {
	pid_t child;
	int socket;	/* the test's end; the child has the other */
	int notify_fd;
};

static int fixture_setup(void **state)
{
	struct fixture *fixture = g_new0(struct fixture, 1);

	fixture->child = -1;
	fixture->socket = -1;
	fixture->notify_fd = -1;
	*state = fixture;
	return 0;
}

/* A failed assertion leaves the child waiting: end it. */
static int fixture_teardown(void **state)
{
	struct fixture *fixture = *state;

	if (fixture->child > 0) {
		kill(fixture->child, SIGKILL);
		waitpid(fixture->child, NULL, 0);
	}
	if (fixture->socket >= 0)
		close(fixture->socket);
	if (fixture->notify_fd >= 0)
		close(fixture->notify_fd);
	g_free(fixture);
	return 0;
}

/* --- the child's side: everything it does is reported as one message */

static void send_fd(int sock, int fd, const char *text)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	struct msghdr message = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);

	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &fd, sizeof(int));
	if (sendmsg(sock, &message, 0) < 0)
		_exit(2);
}

static void __attribute__((format(printf, 2, 3)))
report(int sock, const char *format, ...)
{
	va_list args;
	char *text;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	if (send(sock, text, strlen(text), 0) < 0)
		_exit(2);
	g_free(text);
}

/* The lines of /proc/self/status the sandbox decides, as they are. */
static void report_status(int sock)
{
	static const char *const fields[] = {
		"CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
		"CapAmb:", "NoNewPrivs:", "Seccomp:",
	};
	char *status = NULL;
	char **lines;

	g_file_get_contents("/proc/self/status", &status, NULL, NULL);
	lines = g_strsplit(status ? status : "", "\n", -1);
	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *found = "missing";

		for (char **line = lines; *line; line++)
			if (g_str_has_prefix(*line, fields[i]))
				found = *line;
		report(sock, "%s", found);
	}
	g_strfreev(lines);
	g_free(status);
}

static void report_ids(int sock)
{
	report(sock, "uid %u euid %u gid %u egid %u groups %d",
	       (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(),
	       (unsigned)getegid(), getgroups(0, NULL));
}

/* Write, read back and map a file: what a filesystem server does. */
static const char *file_io(void)
{
	char path[] = "/tmp/fusehost-sandbox-XXXXXX";
	char buffer[6] = {0};
	const char *failed = NULL;
	char *map;
	int fd;

	fd = mkstemp(path);
	if (fd < 0)
		return "mkstemp";
	unlink(path);
	if (write(fd, "hello", 5) != 5)
		failed = "write";
	else if (pread(fd, buffer, 5, 0) != 5 || strcmp(buffer, "hello"))
		failed = "pread";
	map = mmap(NULL, 5, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		failed = failed ? failed : "mmap";
	else if (memcmp(map, "hello", 5) != 0 || munmap(map, 5) < 0)
		failed = failed ? failed : "mapped contents";
	close(fd);
	return failed;
}

static const char *anonymous_mmap(void)
{
	size_t size = 1 << 20;
	char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (memory == MAP_FAILED)
		return "mmap";
	memset(memory, 'x', size);
	return munmap(memory, size) < 0 ? "munmap" : NULL;
}

/* A plain fork must still work: only namespace flags are refused. */
static const char *plain_fork(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return "fork";
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7)
		return "waitpid";
	return NULL;
}

enum refused_call { CALL_MOUNT, CALL_UNSHARE, CALL_CLONE_NEWNS };

struct call {
	int sock;
	enum refused_call which;
};

/* Runs in a thread of its own: refused calls come from any thread, and
 * creating one is itself something the sandbox must allow. */
static void *make_refused_call(void *data)
{
	const struct call *call = data;
	const char *name = "";
	long rc = 0;

	/* Before the call: the test checks that this thread is the one
	 * the refusal names, while the call waits for its answer. */
	report(call->sock, "tid %d", gettid());
	errno = 0;
	switch (call->which) {
	case CALL_MOUNT:
		name = "mount";
		rc = mount("none", "/tmp", "tmpfs", 0, NULL);
		break;
	case CALL_UNSHARE:
		name = "unshare";
		rc = unshare(CLONE_NEWUSER);
		break;
	case CALL_CLONE_NEWNS:
		name = "clone";
		rc = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL,
			     NULL, NULL);
		if (rc == 0)
			_exit(0);
		if (rc > 0)
			waitpid(rc, NULL, 0);
		break;
	}
	report(call->sock, "%s %ld %s", name, rc,
	       rc < 0 ? strerrorname_np(errno) : "succeeded");
	return NULL;
}

static void call_in_thread(int sock, enum refused_call which)
{
	struct call call = {.sock = sock, .which = which};
	pthread_t thread;
	int rc;

	rc = pthread_create(&thread, NULL, make_refused_call, &call);
	if (rc != 0) {
		report(sock, "pthread_create: %s", strerrorname_np(rc));
		return;
	}
	pthread_join(thread, NULL);
}

static void wait_for_go(int sock)
{
	char go[8] = {0};

	if (recv(sock, go, sizeof(go) - 1, 0) <= 0 || strcmp(go, "go"))
		_exit(3);
}

/* The child's whole life.  It always leaves with _exit(), so that no
 * exit handler runs in a sandbox: under AddressSanitizer, exit() runs
 * LeakSanitizer, which stops the process with ptrace.  The sandbox passes
 * that ptrace to the test for an answer while the test waits for the
 * child to exit, and both would wait for ever. */
static void __attribute__((noreturn))
sandboxed_child(int sock, const char *user, bool as_root)
{
	struct sandbox_identity identity;
	char *error = NULL;
	const char *failed;
	int notify_fd;
	long rc;

	if (sandbox_resolve(user, NULL, &identity, &error) < 0 ||
	    sandbox_enter(&identity, &notify_fd, &error) < 0) {
		report(sock, "error: %s", error);
		_exit(1);
	}
	send_fd(sock, notify_fd, "notify fd");
	/* With a copy open here, a refused call would wait for an answer
	 * even after the test had gone. */
	close(notify_fd);

	report_ids(sock);
	report_status(sock);
	failed = file_io();
	report(sock, "file I/O %s", failed ? failed : "ok");
	failed = anonymous_mmap();
	report(sock, "anonymous mmap %s", failed ? failed : "ok");
	failed = plain_fork();
	report(sock, "fork %s", failed ? failed : "ok");
	/* Refused with ENOSYS, so that glibc falls back to clone(). */
	rc = syscall(SYS_clone3, NULL, 0);
	report(sock, "clone3 %ld %s", rc, strerrorname_np(errno));

	wait_for_go(sock);
	call_in_thread(sock, CALL_MOUNT);
	if (as_root) {
		call_in_thread(sock, CALL_UNSHARE);
		call_in_thread(sock, CALL_CLONE_NEWNS);
	}
	report(sock, "done");
	_exit(0);
}

/* --- the test's side */

static void wait_readable(int fd)
{
	struct pollfd ready = {.fd = fd, .events = POLLIN};

	assert_int_equal(poll(&ready, 1, HANG_GUARD_MS), 1);
}

/* The child's next message (and the fd it carries, if any). */
static char *receive(int sock, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	char text[512];
	struct iovec iov = {.iov_base = text, .iov_len = sizeof(text) - 1};
	struct msghdr message = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *header;
	ssize_t size;

	wait_readable(sock);
	size = recvmsg(sock, &message, MSG_CMSG_CLOEXEC);
	assert_true(size > 0);
	text[size] = '\0';
	header = CMSG_FIRSTHDR(&message);
	if (fd && header && header->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(header), sizeof(int));
	return g_strdup(text);
}

static void expect(int sock, const char *expected)
{
	char *text = receive(sock, NULL);

	assert_string_equal(text, expected);
	g_free(text);
}

/* The child's thread announces itself and makes a call the sandbox
 * refuses; it must reach the test as `name` from that thread, and fail
 * in the child with EPERM. */
static void expect_refusal(struct fixture *fixture, const char *name)
{
	struct sandbox_refusal refusal = {0};
	char *text = receive(fixture->socket, NULL);
	char *task;
	int tid = -1;

	assert_int_equal(sscanf(text, "tid %d", &tid), 1);
	g_free(text);
	/* The thread cannot end while its call waits for the answer. */
	task = g_strdup_printf("/proc/%d/task/%d", fixture->child, tid);
	assert_int_equal(access(task, F_OK), 0);
	g_free(task);

	wait_readable(fixture->notify_fd);
	assert_int_equal(sandbox_refuse_next(fixture->notify_fd, &refusal), 0);
	assert_string_equal(refusal.syscall, name);
	assert_int_equal(refusal.pid, tid);

	text = receive(fixture->socket, NULL);
	assert_true(g_str_has_prefix(text, name));
	assert_string_equal(text + strlen(name), " -1 EPERM");
	g_free(text);
}

static void start_child(struct fixture *fixture, const char *user,
			bool as_root)
{
	int sockets[2];
	char *text;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
				    0, sockets),
			 0);
	fixture->child = fork();
	assert_true(fixture->child >= 0);
	if (fixture->child == 0) {
		close(sockets[0]);
		sandboxed_child(sockets[1], user, as_root);
	}
	close(sockets[1]);
	fixture->socket = sockets[0];
	text = receive(fixture->socket, &fixture->notify_fd);
	assert_string_equal(text, "notify fd");
	g_free(text);
	assert_true(fixture->notify_fd >= 0);
}

static void expect_powerless(int sock)
{
	expect(sock, "CapInh:\t0000000000000000");
	expect(sock, "CapPrm:\t0000000000000000");
	expect(sock, "CapEff:\t0000000000000000");
	expect(sock, "CapBnd:\t0000000000000000");
	expect(sock, "CapAmb:\t0000000000000000");
	expect(sock, "NoNewPrivs:\t1");
	expect(sock, "Seccomp:\t2");
	expect(sock, "file I/O ok");
	expect(sock, "anonymous mmap ok");
	expect(sock, "fork ok");
	expect(sock, "clone3 -1 ENOSYS");
}

/* Nothing waits to be refused yet: the call returns at once. */
static void expect_nothing_waiting(struct fixture *fixture)
{
	struct sandbox_refusal refusal;

	assert_int_equal(sandbox_refuse_next(fixture->notify_fd, &refusal),
			 -EAGAIN);
	assert_int_equal(send(fixture->socket, "go", 2, 0), 2);
}

static void expect_clean_exit(struct fixture *fixture)
{
	struct sandbox_refusal refusal;
	int status;

	expect(fixture->socket, "done");
	assert_int_equal(waitpid(fixture->child, &status, 0), fixture->child);
	fixture->child = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* With the child gone, its fd says so rather than blocking. */
	assert_int_equal(sandbox_refuse_next(fixture->notify_fd, &refusal),
			 -ESRCH);
}

static void test_as_nobody(void **state)
{
	struct fixture *fixture = *state;
	struct passwd *nobody = getpwnam("nobody");
	char *ids;

	if (!nobody || geteuid() != 0)
		skip();
	ids = g_strdup_printf("uid %u euid %u gid %u egid %u groups 0",
			      (unsigned)nobody->pw_uid,
			      (unsigned)nobody->pw_uid,
			      (unsigned)nobody->pw_gid,
			      (unsigned)nobody->pw_gid);
	start_child(fixture, "nobody", false);
	expect(fixture->socket, ids);
	g_free(ids);
	expect_powerless(fixture->socket);
	expect_nothing_waiting(fixture);
	expect_refusal(fixture, "mount");
	expect_clean_exit(fixture);
}

/* Root with no capabilities: what makes it harmless is the empty sets,
 * not the uid, so every refusal must hold here too. */
static void test_as_root(void **state)
{
	struct fixture *fixture = *state;

	if (geteuid() != 0)
		skip();
	start_child(fixture, NULL, true);
	expect(fixture->socket, "uid 0 euid 0 gid 0 egid 0 groups 0");
	expect_powerless(fixture->socket);
	expect_nothing_waiting(fixture);
	expect_refusal(fixture, "mount");
	expect_refusal(fixture, "unshare");
	expect_refusal(fixture, "clone");
	expect_clean_exit(fixture);
}

static void *block_on_pipe(void *data)
{
	char byte;

	(void)!read(*(int *)data, &byte, 1);
	return NULL;
}

/* A thread started before the sandbox would keep root's powers. */
static void test_refuses_threads(void **state)
{
	struct fixture *fixture = *state;
	int sockets[2];
	char *text;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
				    0, sockets),
			 0);
	fixture->child = fork();
	assert_true(fixture->child >= 0);
	if (fixture->child == 0) {
		char *error = NULL;
		pthread_t thread;
		int notify_fd, pipe_fds[2], rc;

		close(sockets[0]);
		if (pipe(pipe_fds) < 0 ||
		    pthread_create(&thread, NULL, block_on_pipe, &pipe_fds[0]))
			_exit(2);
		rc = sandbox_enter(NULL, &notify_fd, &error);
		report(sockets[1], "%d %s", rc, error ? error : "");
		_exit(0);
	}
	close(sockets[1]);
	fixture->socket = sockets[0];
	text = receive(fixture->socket, NULL);
	assert_string_equal(text, "-16 cannot sandbox a process with 2 "
				  "threads: a thread started before would "
				  "keep every privilege");
	g_free(text);
}

static void test_resolve(void **state)
{
	struct sandbox_identity identity;
	struct passwd *nobody = getpwnam("nobody");
	char *error = NULL;

	(void)state;
	assert_int_equal(sandbox_resolve(NULL, NULL, &identity, &error), 0);
	assert_null(error);
	assert_false(identity.set_uid);
	assert_false(identity.set_gid);

	assert_int_equal(sandbox_resolve("root", "0", &identity, &error), 0);
	assert_true(identity.set_uid && identity.set_gid);
	assert_int_equal(identity.uid, 0);
	assert_int_equal(identity.gid, 0);

	assert_int_equal(sandbox_resolve(NULL, "root", &identity, &error), 0);
	assert_false(identity.set_uid);
	assert_true(identity.set_gid);

	if (nobody) {
		/* By name or number, a user brings its primary group. */
		char *uid = g_strdup_printf("%u", (unsigned)nobody->pw_uid);

		assert_int_equal(
			sandbox_resolve(uid, NULL, &identity, &error), 0);
		assert_int_equal(identity.uid, nobody->pw_uid);
		assert_int_equal(identity.gid, nobody->pw_gid);
		g_free(uid);
	}
	/* A uid with no entry: allowed, but only with a group. */
	assert_int_equal(sandbox_resolve("4123456", "4123", &identity, &error),
			 0);
	assert_int_equal(identity.uid, 4123456);
	assert_int_equal(identity.gid, 4123);
}

static void expect_resolve_error(const char *user, const char *group,
				 int expected_rc, const char *expected)
{
	struct sandbox_identity identity;
	char *error = NULL;

	assert_int_equal(sandbox_resolve(user, group, &identity, &error),
			 expected_rc);
	assert_non_null(error);
	assert_string_equal(error, expected);
	g_free(error);
}

static void test_resolve_errors(void **state)
{
	(void)state;
	expect_resolve_error("fusehost-no-such-user", NULL, -ENOENT,
			     "unknown user 'fusehost-no-such-user'");
	expect_resolve_error("root", "fusehost-no-such-group", -ENOENT,
			     "unknown group 'fusehost-no-such-group'");
	expect_resolve_error(NULL, "fusehost-no-such-group", -ENOENT,
			     "unknown group 'fusehost-no-such-group'");
	/* (uid_t)-1 means "unchanged" to the kernel, not a user. */
	expect_resolve_error("4294967295", NULL, -ENOENT,
			     "unknown user '4294967295'");
	expect_resolve_error("-1", NULL, -ENOENT, "unknown user '-1'");
	expect_resolve_error("", NULL, -ENOENT, "unknown user ''");
	expect_resolve_error("4123456", NULL, -EINVAL,
			     "user '4123456' is not in the user database, so "
			     "it has no primary group: set a group too");
}

#ifdef __SANITIZE_THREAD__
static void *return_at_once(void *unused)
{
	return unused;
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test_setup_teardown(test_as_nobody, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_as_root, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refuses_threads,
						fixture_setup,
						fixture_teardown),
	};

#ifdef __SANITIZE_THREAD__
	/* fusehostd forks its plugin processes after it has started
	 * threads.  Only in a child of such a process can the sandbox stop
	 * the thread ThreadSanitizer adds to each child. */
	pthread_t thread;

	assert_int_equal(pthread_create(&thread, NULL, return_at_once, NULL),
			 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
#endif
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
