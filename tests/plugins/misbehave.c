/* Test plugin: breaks the rules on purpose, one file per way.
 *
 *   /positive   getattr returns 5 (only 0 or -errno is allowed)
 *   /toomuch    read returns more bytes than asked for
 *   /badlink    readlink returns -99999 (not an errno)
 *   /restartsys readlink returns -512 (ERESTARTSYS, kernel-internal: the
 *               kernel refuses such a reply and the caller would wait)
 *   /errno41    readlink returns -41, an errno glibc has no name for
 *   /errno200   readlink returns -200, past every errno
 *   /sleep      read sleeps for the `sleep-ms` option first, then
 *               returns "slept\n"
 *   /hang       read never returns
 *   /fine       a well-behaved file, "fine\n"
 *   /unfilled   getattr returns 0 without filling in the struct stat
 *   /segv       read dereferences NULL
 *   /abort      read calls abort()
 *   /leak       read allocates 1 MiB, touches it and never frees it
 *   /forbidden  read calls mount(2) and returns "mount: RESULT\n"
 *   /whoami     read returns the process's uid, gid, capabilities,
 *               no_new_privs and seccomp lines from /proc/self/status
 *   /lognull    getattr logs "logged without a mount" through
 *               fusehost_log(NULL, ...), then says ENOENT
 *   /logdebug   getattr logs "debug from the plugin" at debug level
 *               through fusehost_log() with its mount, then says ENOENT
 *   /logodd     getattr logs "below error" at level -1 and "past debug"
 *               at level 7 (syslog's LOG_DEBUG), then says ENOENT
 *   /baddefault getattr reads the option `bad-default`, whose declared
 *               default is no number, as a number, then says ENOENT
 *
 * With the `open-sleep-file` option, opening the filesystem (mounting it)
 * takes `sleep-ms` while that file exists; with `close-sleep-file`,
 * closing it (after unmounting) does.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <fusehost/plugin.h>

struct misbehave {
	struct fusehost_mount *mount;
	long sleep_ms;
	char *close_sleep_file;
};

/* Signals (the daemon's wake-ups) do not cut it short. */
static void nap_ms(long ms)
{
	struct timespec left = { .tv_sec = ms / 1000,
				 .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static int misbehave_open_instance(struct fusehost_mount *mount,
				   void **instance)
{
	struct misbehave *state = calloc(1, sizeof(*state));
	const char *open_sleep_file;
	int64_t sleep_ms;

	if (!state)
		return -ENOMEM;
	if (fusehost_option_int(mount, "sleep-ms", &sleep_ms) < 0) {
		free(state);
		return -EINVAL;
	}
	state->mount = mount;
	state->sleep_ms = (long)sleep_ms;
	open_sleep_file = fusehost_option_string(mount, "open-sleep-file");
	if (*open_sleep_file && access(open_sleep_file, F_OK) == 0)
		nap_ms(state->sleep_ms);
	state->close_sleep_file =
		strdup(fusehost_option_string(mount, "close-sleep-file"));
	if (!state->close_sleep_file) {
		free(state);
		return -ENOMEM;
	}
	*instance = state;
	return 0;
}

static void misbehave_close_instance(void *instance)
{
	struct misbehave *state = instance;

	if (*state->close_sleep_file &&
	    access(state->close_sleep_file, F_OK) == 0)
		nap_ms(state->sleep_ms);
	free(state->close_sleep_file);
	free(state);
}

static int misbehave_getattr(const char *path, struct stat *st,
			     struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/positive") == 0)
		return 5;
	if (strcmp(path, "/badlink") == 0 ||
	    strcmp(path, "/restartsys") == 0 ||
	    strcmp(path, "/errno41") == 0 || strcmp(path, "/errno200") == 0) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		return 0;
	}
	if (strcmp(path, "/unfilled") == 0)
		return 0;
	if (strcmp(path, "/lognull") == 0) {
		fusehost_log(NULL, FUSEHOST_LOG_WARNING,
			     "logged without a mount");
		return -ENOENT;
	}
	if (strcmp(path, "/logdebug") == 0) {
		struct misbehave *state = fuse_get_context()->private_data;

		fusehost_log(state->mount, FUSEHOST_LOG_DEBUG,
			     "debug from the plugin");
		return -ENOENT;
	}
	if (strcmp(path, "/logodd") == 0) {
		struct misbehave *state = fuse_get_context()->private_data;

		fusehost_log(state->mount, (enum fusehost_log_level)-1,
			     "below error");
		fusehost_log(state->mount, (enum fusehost_log_level)7,
			     "past debug");
		return -ENOENT;
	}
	if (strcmp(path, "/baddefault") == 0) {
		struct misbehave *state = fuse_get_context()->private_data;
		int64_t number;

		fusehost_option_int(state->mount, "bad-default", &number);
		return -ENOENT;
	}
	if (strcmp(path, "/toomuch") == 0 || strcmp(path, "/sleep") == 0 ||
	    strcmp(path, "/hang") == 0 || strcmp(path, "/fine") == 0 ||
	    strcmp(path, "/segv") == 0 || strcmp(path, "/abort") == 0 ||
	    strcmp(path, "/leak") == 0 || strcmp(path, "/forbidden") == 0 ||
	    strcmp(path, "/whoami") == 0) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = 4096;
		return 0;
	}
	return -ENOENT;
}

static int misbehave_readlink(const char *path, char *buffer, size_t size)
{
	(void)buffer;
	(void)size;
	if (strcmp(path, "/restartsys") == 0)
		return -512;
	if (strcmp(path, "/errno41") == 0)
		return -41;
	if (strcmp(path, "/errno200") == 0)
		return -200;
	return -99999;
}

static int misbehave_open(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	/* Every read reaches the plugin, whatever the page cache holds. */
	fi->direct_io = 1;
	return 0;
}

static int copy_text(const char *text, char *buffer, size_t size,
		     off_t offset)
{
	size_t length = strlen(text);

	if ((size_t)offset >= length)
		return 0;
	length -= (size_t)offset;
	if (length > size)
		length = size;
	memcpy(buffer, text + offset, length);
	return (int)length;
}

/* The lines of /proc/self/status that say who this process is. */
static void describe_self(char *text, size_t size)
{
	static const char *const wanted[] = { "Uid:",	 "Gid:",    "CapInh:",
					      "CapPrm:", "CapEff:", "CapBnd:",
					      "CapAmb:", "NoNewPrivs:",
					      "Seccomp:" };
	FILE *status = fopen("/proc/self/status", "r");
	char line[256];
	size_t used = 0;

	text[0] = '\0';
	if (!status)
		return;
	while (fgets(line, sizeof(line), status)) {
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]);
		     i++) {
			if (strncmp(line, wanted[i], strlen(wanted[i])) == 0 &&
			    used + strlen(line) < size) {
				strcpy(text + used, line);
				used += strlen(line);
			}
		}
	}
	fclose(status);
}

/* NULL, but the compiler cannot know it and must really load. */
static int *volatile nowhere;
static void *volatile last_leak;

/* Reads that take the process down or misuse it. */
static int read_hostile(const char *path, char *buffer, size_t size,
			off_t offset)
{
	char text[1024];

	if (strcmp(path, "/segv") == 0)
		return *nowhere;
	if (strcmp(path, "/abort") == 0)
		abort();
	if (strcmp(path, "/leak") == 0) {
		char *lost = malloc(1 << 20);

		/* Published, so that the compiler cannot drop it unused. */
		if (lost)
			memset(lost, 1, 1 << 20);
		last_leak = lost;
		return copy_text("leaked\n", buffer, size, offset);
	}
	if (strcmp(path, "/forbidden") == 0) {
		int result = mount("none", "/mnt", "tmpfs", 0, NULL);

		snprintf(text, sizeof(text), "mount: %s\n",
			 result == 0 ? "done" : strerror(errno));
		/* Where it was allowed after all, leave the machine as it
		 * was: the test fails on "done" alone. */
		if (result == 0)
			umount2("/mnt", MNT_DETACH);
		return copy_text(text, buffer, size, offset);
	}
	describe_self(text, sizeof(text));
	return copy_text(text, buffer, size, offset);
}

static bool is_hostile(const char *path)
{
	return strcmp(path, "/segv") == 0 || strcmp(path, "/abort") == 0 ||
	       strcmp(path, "/leak") == 0 || strcmp(path, "/forbidden") == 0 ||
	       strcmp(path, "/whoami") == 0;
}

static int misbehave_read(const char *path, char *buffer, size_t size,
			  off_t offset, struct fuse_file_info *fi)
{
	struct misbehave *state = fuse_get_context()->private_data;

	(void)fi;
	if (is_hostile(path))
		return read_hostile(path, buffer, size, offset);
	if (strcmp(path, "/toomuch") == 0)
		return (int)size + 100;
	if (strcmp(path, "/hang") == 0) {
		for (;;)
			pause();
	}
	if (strcmp(path, "/sleep") == 0) {
		nap_ms(state->sleep_ms);
		return copy_text("slept\n", buffer, size, offset);
	}
	return copy_text("fine\n", buffer, size, offset);
}

static int misbehave_readdir(const char *path, void *buffer,
			     fuse_fill_dir_t filler, off_t offset,
			     struct fuse_file_info *fi,
			     enum fuse_readdir_flags flags)
{
	static const char *const names[] = {
		".",	"..",	"positive", "toomuch", "badlink",   "sleep",
		"hang", "fine", "unfilled", "segv",    "abort",	    "leak",
		"forbidden", "whoami", "restartsys", "errno41", "errno200"
	};

	(void)path;
	(void)offset;
	(void)fi;
	(void)flags;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		filler(buffer, names[i], NULL, 0, 0);
	return 0;
}

static const struct fuse_operations misbehave_operations = {
	.getattr = misbehave_getattr,
	.readlink = misbehave_readlink,
	.open = misbehave_open,
	.read = misbehave_read,
	.readdir = misbehave_readdir,
};

static const struct fusehost_option misbehave_options[] = {
	{ .name = "sleep-ms",
	  .help = "how long reading /sleep takes",
	  .default_value = "0" },
	{ .name = "open-sleep-file",
	  .help = "while this file exists, opening the filesystem takes "
		  "sleep-ms",
	  .default_value = "" },
	{ .name = "bad-default",
	  .help = "a number, read by looking up /baddefault, whose default "
		  "is none",
	  .default_value = "soon" },
	{ .name = "close-sleep-file",
	  .help = "while this file exists, closing the filesystem takes "
		  "sleep-ms",
	  .default_value = "" },
	{ 0 },
};

static struct fusehost_plugin misbehave_plugin = {
	.name = "misbehave",
	.version = "1",
	.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
	.options = misbehave_options,
	.open = misbehave_open_instance,
	.close = misbehave_close_instance,
	.operations = &misbehave_operations,
};

FUSEHOST_REGISTER_PLUGIN(misbehave_plugin)
