/* Test plugin: measures how many of its operations run at once.
 *
 * Reading /probe takes a few milliseconds and counts the reads in progress
 * across every mount of this plugin; /max reports the highest count seen.
 * The thread model is a property of the plugin file, so the tests build
 * this source twice: as concurrency_serial.so and, with
 * CONCURRENCY_PARALLEL defined, as concurrency_parallel.so. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <fusehost/plugin.h>

static atomic_int in_flight;
static atomic_int most_in_flight;

static int concurrency_getattr(const char *path, struct stat *st,
			       struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/probe") == 0 || strcmp(path, "/max") == 0) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		return 0;
	}
	return -ENOENT;
}

static int concurrency_open(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	fi->direct_io = 1;
	return 0;
}

static void note_in_flight(int now)
{
	int seen = atomic_load(&most_in_flight);

	while (now > seen &&
	       !atomic_compare_exchange_weak(&most_in_flight, &seen, now))
		;
}

static int concurrency_read(const char *path, char *buffer, size_t size,
			    off_t offset, struct fuse_file_info *fi)
{
	struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };
	char text[32];
	int length;

	(void)fi;
	if (offset > 0)
		return 0;
	if (strcmp(path, "/probe") == 0) {
		note_in_flight(atomic_fetch_add(&in_flight, 1) + 1);
		nanosleep(&pause, NULL);
		atomic_fetch_sub(&in_flight, 1);
		return 0;
	}
	length = snprintf(text, sizeof(text), "%d\n",
			  atomic_load(&most_in_flight));
	if ((size_t)length > size)
		length = (int)size;
	memcpy(buffer, text, (size_t)length);
	return length;
}

static const struct fuse_operations concurrency_operations = {
	.getattr = concurrency_getattr,
	.open = concurrency_open,
	.read = concurrency_read,
};

static struct fusehost_plugin concurrency_plugin = {
	.name = "concurrency",
#ifdef CONCURRENCY_PARALLEL
	.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
#else
	.thread_model = FUSEHOST_THREAD_MODEL_SERIALIZE,
#endif
	.operations = &concurrency_operations,
};

FUSEHOST_REGISTER_PLUGIN(concurrency_plugin)
