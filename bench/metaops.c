/* metaops: metadata throughput of a directory, in operations per second.
 *
 *   metaops DIR [FILES [READDIR_PASSES]]
 *
 * In DIR (which must be empty) it creates FILES small files (open with
 * O_CREAT|O_EXCL, write 100 bytes, close), stats each, opens, reads and
 * closes each, lists the directory READDIR_PASSES times (default 1:
 * opendir, readdir to the end, closedir), and unlinks each.  It prints one
 * line per phase, "PHASE OPS_PER_SECOND" (for readdir, entries listed per
 * second), and leaves DIR empty. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "metaops: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void file_path(char *buffer, size_t size, const char *dir, long i)
{
	snprintf(buffer, size, "%s/f%07ld", dir, i);
}

static void phase_create(const char *dir, long files)
{
	static const char data[100];
	char path[4096];

	for (long i = 0; i < files; i++) {
		int fd;

		file_path(path, sizeof(path), dir, i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) ||
		    close(fd) < 0)
			die("create", path);
	}
}

static void phase_stat(const char *dir, long files)
{
	char path[4096];
	struct stat st;

	for (long i = 0; i < files; i++) {
		file_path(path, sizeof(path), dir, i);
		if (stat(path, &st) < 0)
			die("stat", path);
	}
}

static void phase_read(const char *dir, long files)
{
	char path[4096];
	char buffer[4096];

	for (long i = 0; i < files; i++) {
		int fd;

		file_path(path, sizeof(path), dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, buffer, sizeof(buffer)) < 0 ||
		    close(fd) < 0)
			die("read", path);
	}
}

static long readdir_passes = 1;

static void phase_readdir(const char *dir, long files)
{
	for (long pass = 0; pass < readdir_passes; pass++) {
		DIR *handle = opendir(dir);
		long seen = 0;

		if (!handle)
			die("opendir", dir);
		while (readdir(handle))
			seen++;
		closedir(handle);
		if (seen != files + 2) {
			fprintf(stderr,
				"metaops: readdir %s: %ld entries, not %ld\n",
				dir, seen, files + 2);
			exit(1);
		}
	}
}

static void phase_unlink(const char *dir, long files)
{
	char path[4096];

	for (long i = 0; i < files; i++) {
		file_path(path, sizeof(path), dir, i);
		if (unlink(path) < 0)
			die("unlink", path);
	}
}

int main(int argc, char **argv)
{
	/* readdir counts entries listed per second. */
	static const struct {
		const char *name;
		void (*run)(const char *dir, long files);
	} phases[] = {
		{ "create", phase_create },
		{ "stat", phase_stat },
		{ "open-read-close", phase_read },
		{ "readdir", phase_readdir },
		{ "unlink", phase_unlink },
	};
	long files = argc > 2 ? atol(argv[2]) : 10000;

	readdir_passes = argc > 3 ? atol(argv[3]) : 1;
	if (argc < 2 || argc > 4 || files <= 0 || readdir_passes <= 0) {
		fprintf(stderr, "usage: metaops DIR [FILES [READDIR_PASSES]]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		double start = now_seconds();
		double seconds;

		phases[i].run(argv[1], files);
		seconds = now_seconds() - start;
		printf("%s %.0f\n", phases[i].name,
		       (double)files *
			       (phases[i].run == phase_readdir ? readdir_passes
							       : 1) /
			       seconds);
	}
	return 0;
}
