/* layer_cost: what the observation layer adds to one operation, measured
 * without the kernel.
 *
 * A trivial plugin (getattr and read that return at once) is called in a
 * loop two ways: directly through libfuse's stacking API (fuse_fs_getattr,
 * fuse_fs_read), and through the layer's wrappers, exactly as libfuse calls
 * them for a mounted filesystem.  The difference is the layer's cost.
 *
 * libfuse gives a thread a request context only while it serves a mount, so
 * the loops run inside the init callback of a small filesystem that this
 * program mounts on a temporary directory.
 *
 *   layer_cost [ITERATIONS [ROUNDS]]   ns per operation, medians of ROUNDS
 *   layer_cost --once ITERATIONS       one round of each loop, for
 *                                      valgrind --tool=callgrind (the loops
 *                                      are the functions loop_direct_* and
 *                                      loop_layer_*)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "layer.h"

static long iterations = 10 * 1000 * 1000;
static int rounds = 7;
static bool once;

static struct layer layer;
static struct fuse_operations layer_operations;
static struct fuse_fs *direct_fs;
static int instance_value;

static int null_getattr(const char *path, struct stat *st,
			struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	/* The least a getattr must do: say what the file is. */
	st->st_mode = S_IFDIR | 0755;
	return 0;
}

static int null_read(const char *path, char *buffer, size_t size,
		     off_t offset, struct fuse_file_info *fi)
{
	(void)path;
	(void)buffer;
	(void)offset;
	(void)fi;
	return (int)size;
}

static const struct fuse_operations null_operations = {
	.getattr = null_getattr,
	.read = null_read,
};

/* libfuse's stacking calls overwrite private_data with the plugin's
 * instance; both loops put back what their first call expects, so they do
 * the same bookkeeping and differ only by the layer. */
__attribute__((noinline)) static void loop_direct_getattr(long n)
{
	struct fuse_context *context = fuse_get_context();
	struct stat st;

	for (long i = 0; i < n; i++) {
		context->private_data = &instance_value;
		fuse_fs_getattr(direct_fs, "/", &st, NULL);
	}
}

__attribute__((noinline)) static void loop_layer_getattr(long n)
{
	struct fuse_context *context = fuse_get_context();
	struct stat st;

	for (long i = 0; i < n; i++) {
		context->private_data = &layer;
		layer_operations.getattr("/", &st, NULL);
	}
}

__attribute__((noinline)) static void loop_direct_read(long n)
{
	struct fuse_context *context = fuse_get_context();
	char buffer[4096];

	for (long i = 0; i < n; i++) {
		context->private_data = &instance_value;
		fuse_fs_read(direct_fs, "/f", buffer, sizeof(buffer), 0, NULL);
	}
}

__attribute__((noinline)) static void loop_layer_read(long n)
{
	struct fuse_context *context = fuse_get_context();
	char buffer[4096];

	for (long i = 0; i < n; i++) {
		context->private_data = &layer;
		layer_operations.read("/f", buffer, sizeof(buffer), 0, NULL);
	}
}

static double ns_per_op(void (*loop)(long))
{
	uint64_t start = stats_now_ns();

	loop(iterations);
	return (double)(stats_now_ns() - start) / (double)iterations;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct pair {
	const char *name;
	void (*direct)(long);
	void (*layered)(long);
};

/* Alternate the two loops, round after round, and report medians. */
static void measure(const struct pair *pair)
{
	double *direct = g_new(double, rounds);
	double *layered = g_new(double, rounds);
	double *difference = g_new(double, rounds);

	for (int round = 0; round < rounds; round++) {
		if (round % 2 == 0) {
			direct[round] = ns_per_op(pair->direct);
			layered[round] = ns_per_op(pair->layered);
		} else {
			layered[round] = ns_per_op(pair->layered);
			direct[round] = ns_per_op(pair->direct);
		}
		difference[round] = layered[round] - direct[round];
	}
	qsort(direct, (size_t)rounds, sizeof(double), compare_doubles);
	qsort(layered, (size_t)rounds, sizeof(double), compare_doubles);
	qsort(difference, (size_t)rounds, sizeof(double), compare_doubles);
	printf("%-8s direct %6.1f ns/op  layered %6.1f ns/op  layer cost "
	       "%5.1f ns/op (min %.1f, max %.1f)\n",
	       pair->name, direct[rounds / 2], layered[rounds / 2],
	       difference[rounds / 2], difference[0], difference[rounds - 1]);
	g_free(direct);
	g_free(layered);
	g_free(difference);
}

static void *bench_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	static const struct pair pairs[] = {
		{ "getattr", loop_direct_getattr, loop_layer_getattr },
		{ "read", loop_direct_read, loop_layer_read },
	};
	struct fuse_context *context = fuse_get_context();
	void *own = context->private_data;

	(void)conn;
	(void)cfg;
	direct_fs = fuse_fs_new(&null_operations, sizeof(null_operations),
				&instance_value);
	layer.mount_name = "bench";
	layer.plugin_name = "null";
	layer.plugin_operations = &null_operations;
	layer.instance = &instance_value;
	layer_init_state(&layer);
	layer.plugin_fs = direct_fs;
	layer_build_operations(&null_operations, &layer_operations);

	if (once) {
		loop_direct_getattr(iterations);
		loop_layer_getattr(iterations);
		loop_direct_read(iterations);
		loop_layer_read(iterations);
	} else {
		for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++)
			measure(&pairs[i]);
	}
	fflush(stdout);
	layer_destroy_state(&layer);
	context->private_data = own;
	fuse_exit(context->fuse);
	return own;
}

static int bench_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	return strcmp(path, "/") == 0 ? 0 : -ENOENT;
}

static const struct fuse_operations bench_operations = {
	.init = bench_init,
	.getattr = bench_getattr,
};

int main(int argc, char **argv)
{
	char *argv_fuse[] = { argv[0], NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv_fuse);
	char *dir = g_dir_make_tmp("layer-cost-XXXXXX", NULL);
	struct fuse *fuse;
	int argi = 1;

	if (argc > 1 && strcmp(argv[1], "--once") == 0) {
		once = true;
		argi++;
	}
	if (argc > argi)
		iterations = atol(argv[argi]);
	if (argc > argi + 1)
		rounds = atoi(argv[argi + 1]);

	fuse = fuse_new(&args, &bench_operations, sizeof(bench_operations),
			NULL);
	if (!fuse || fuse_mount(fuse, dir) != 0) {
		fprintf(stderr, "layer_cost: cannot mount on %s\n", dir);
		return 1;
	}
	/* Returns once bench_init has run and asked the loop to exit. */
	fuse_loop(fuse);
	fuse_unmount(fuse);
	fuse_destroy(fuse);
	rmdir(dir);
	g_free(dir);
	return 0;
}
