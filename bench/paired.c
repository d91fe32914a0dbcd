/* paired: the throughput ratio of two mounts from many short batches taken
 * back to back, so that both see the same machine.  A long run per mount
 * lets a shared machine's load drift between them; here each round times
 * one batch of stat calls on A and one on B (in alternating order), and
 * the ratio is taken within the round.
 *
 * Usage: paired DIR_A DIR_B [ROUNDS [BATCH]]
 * Creates 100 files in each directory, stats them round-robin (every stat
 * reaches the filesystem when its attribute and entry timeouts are 0),
 * removes them, and prints: ROUNDS MEDIAN Q1 Q3 (ratios A/B of stats per
 * second), one line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILES 100

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int make_files(int dir, int create)
{
	char name[32];

	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "paired-%d", i);
		if (create) {
			int fd = openat(dir, name, O_CREAT | O_WRONLY | O_CLOEXEC,
					0644);

			if (fd < 0)
				return -1;
			close(fd);
		} else {
			unlinkat(dir, name, 0);
		}
	}
	return 0;
}

/* Seconds for `batch` stats of the files in `dir`. */
static double time_batch(int dir, int batch)
{
	char name[32];
	struct stat status;
	double start = now_seconds();

	for (int i = 0; i < batch; i++) {
		snprintf(name, sizeof(name), "paired-%d", i % FILES);
		if (fstatat(dir, name, &status, 0) != 0) {
			perror("paired: stat");
			exit(1);
		}
	}
	return now_seconds() - start;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int rounds = argc > 3 ? atoi(argv[3]) : 200;
	int batch = argc > 4 ? atoi(argv[4]) : 2000;
	int dirs[2];
	double *ratios;

	if (argc < 3 || rounds < 1 || batch < 1) {
		fprintf(stderr, "usage: paired DIR_A DIR_B [ROUNDS [BATCH]]\n");
		return 2;
	}
	for (int d = 0; d < 2; d++) {
		dirs[d] = open(argv[1 + d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirs[d] < 0 || make_files(dirs[d], 1) < 0) {
			perror(argv[1 + d]);
			return 1;
		}
	}
	ratios = calloc((size_t)rounds, sizeof(*ratios));
	if (!ratios)
		return 1;
	for (int r = 0; r < rounds; r++) {
		double seconds[2];
		int first = r % 2;

		seconds[first] = time_batch(dirs[first], batch);
		seconds[!first] = time_batch(dirs[!first], batch);
		/* Stats per second of A over those of B. */
		ratios[r] = seconds[1] / seconds[0];
	}
	qsort(ratios, (size_t)rounds, sizeof(*ratios), compare_doubles);
	printf("%d %.3f %.3f %.3f\n", rounds, ratios[rounds / 2],
	       ratios[rounds / 4], ratios[(3 * rounds) / 4]);
	for (int d = 0; d < 2; d++) {
		make_files(dirs[d], 0);
		close(dirs[d]);
	}
	free(ratios);
	return 0;
}
