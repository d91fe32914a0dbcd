/* Per-mount operation statistics, kept per thread so that recording one
 * operation takes no lock, no shared atomic and no allocation.
 *
 * Each libfuse worker thread gets a block of counters for its mount the
 * first time it serves a request (the only time this path allocates or
 * locks).  Only that thread writes its block; readers (a scrape of the
 * metrics) sum all blocks with relaxed loads, so a total may miss an
 * operation that is being recorded at that instant, never more.
 *
 * A mount with isolation = process serves from a child process: its
 * threads claim blocks from an array in memory shared with fusehostd,
 * which sums them the same way. */
#ifndef FUSEHOST_STATS_H
#define FUSEHOST_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* One per fuse_operations slot that a request can reach (init and destroy
 * are the layer's own). */
enum op {
	OP_GETATTR, OP_READLINK, OP_MKNOD, OP_MKDIR, OP_UNLINK, OP_RMDIR,
	OP_SYMLINK, OP_RENAME, OP_LINK, OP_CHMOD, OP_CHOWN, OP_TRUNCATE,
	OP_OPEN, OP_READ, OP_WRITE, OP_STATFS, OP_FLUSH, OP_RELEASE, OP_FSYNC,
	OP_SETXATTR, OP_GETXATTR, OP_LISTXATTR, OP_REMOVEXATTR, OP_OPENDIR,
	OP_READDIR, OP_RELEASEDIR, OP_FSYNCDIR, OP_ACCESS, OP_CREATE, OP_LOCK,
	OP_UTIMENS, OP_BMAP, OP_IOCTL, OP_POLL, OP_WRITE_BUF, OP_READ_BUF,
	OP_FLOCK, OP_FALLOCATE, OP_COPY_FILE_RANGE, OP_LSEEK,
	OP_COUNT
};

/* The fuse_operations slot name of an operation: "getattr", "read_buf". */
const char *op_name(enum op op);

/* For a fatal signal's handler (async-signal-safe): the mount and the
 * operation this thread is running in the observation layer.  False if
 * it runs none (or not observed). */
bool stats_thread_running(const char **mount_name, enum op *op);

/* Latency buckets, log-linear on nanoseconds: bucket 0 holds durations
 * under 2^10 ns (1.024 us); then four linear steps per power of two
 * (upper bounds 2^e * 1.25, 1.5, 1.75, 2), so a duration is never more than
 * 25 % below its bucket's bound; the last finite bound is 2^37 ns (137 s),
 * and one more bucket holds everything longer. */
#define STATS_FIRST_EXPONENT 10
#define STATS_LAST_EXPONENT 36
#define STATS_STEPS_PER_OCTAVE 4
#define STATS_BUCKETS                                                          \
	(1 + (STATS_LAST_EXPONENT - STATS_FIRST_EXPONENT + 1) *                \
		     STATS_STEPS_PER_OCTAVE +                                  \
	 1)

/* errno values 1..133 have their own slot; anything else lands in the
 * last one. */
#define STATS_ERRNO_SLOTS 135

/* What a thread records per operation on every call, packed so that the
 * operations a mount uses touch few pages. */
struct op_timing {
	uint64_t count;
	uint64_t duration_ns;
	uint64_t buckets[STATS_BUCKETS];
};

/* The same summed over threads, with the errors, for readers. */
struct op_counters {
	uint64_t count;
	uint64_t duration_ns;
	uint64_t buckets[STATS_BUCKETS];
	uint64_t errors[STATS_ERRNO_SLOTS];
	uint64_t violations;
};

struct thread_stats {
	/* Start of the operation this thread is running; 0 when idle. */
	uint64_t running_since_ns;
	uint64_t running_op; /* enum op, valid while running_since_ns */
	/* Nonzero while the running operation is a lock request waiting for
	 * another holder: its age says nothing about the plugin, so it is
	 * left out of the oldest running operation. */
	uint64_t running_waits;
	uint64_t read_bytes;
	uint64_t written_bytes;
	struct op_timing ops[OP_COUNT];
	/* Apart, since most operations never fail: their pages stay
	 * untouched. */
	uint64_t errors[OP_COUNT][STATS_ERRNO_SLOTS];
	/* Results the plugin had no right to return (the caller got EIO
	 * instead, which errors[] counts too). */
	uint64_t violations[OP_COUNT];
	struct thread_stats *next; /* blocks of this process only */
	uint32_t claimed;          /* shared blocks: a thread has it */
};

struct mount_stats {
	const char *mount_name; /* threads registering are named after it */
	pthread_mutex_t register_lock;
	struct thread_stats *threads; /* published with release ordering */
	/* Blocks shared with another process, or NULL. */
	struct thread_stats *shared;
	unsigned shared_count;
};

/* A sum over all threads, made when someone asks. */
struct stats_snapshot {
	uint64_t read_bytes;
	uint64_t written_bytes;
	unsigned in_flight;
	uint64_t oldest_running_since_ns; /* 0: nothing running */
	struct op_counters ops[OP_COUNT];
};

void mount_stats_init(struct mount_stats *stats, const char *mount_name);
void mount_stats_destroy(struct mount_stats *stats);

/* Count this mount in `count` blocks at `blocks` (zeroed memory shared
 * with the process that serves it, which calls this too), on top of any
 * blocks of its own.  The caller owns the memory. */
void mount_stats_share(struct mount_stats *stats, struct thread_stats *blocks,
		       unsigned count);

/* After the process that served from the shared blocks has ended (maybe
 * in the middle of operations): free every block for the next one and
 * clear what it left running.  Counts are kept. */
void mount_stats_release_shared(struct mount_stats *stats);

/* The calling thread's block for this mount, registering it on first use
 * (which also names the thread after the mount in libfuse's log messages).
 * NULL only if memory for a new block cannot be had. */
struct thread_stats *thread_stats_get(struct mount_stats *stats);

uint64_t stats_now_ns(void);

/* The bucket a duration falls in, and the upper bound of a bucket in
 * nanoseconds (UINT64_MAX for the last one). */
unsigned stats_bucket(uint64_t duration_ns);
uint64_t stats_bucket_bound_ns(unsigned bucket);

/* Record a finished operation; `error` is a positive errno or 0. */
void stats_record(struct thread_stats *thread, enum op op, int error,
		  uint64_t duration_ns);

/* Count a result the plugin had no right to return. */
void stats_record_violation(struct thread_stats *thread, enum op op);

/* Relaxed single-writer updates: plain loads and stores, no bus lock. */
static inline void stats_add(uint64_t *counter, uint64_t amount)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) +
					  amount,
			 __ATOMIC_RELAXED);
}

static inline void stats_set(uint64_t *value, uint64_t to)
{
	__atomic_store_n(value, to, __ATOMIC_RELAXED);
}

/* The oldest operation running on the mount: returns its start (0 when
 * nothing runs) and sets *op.  Cheap: reads two fields per thread. */
uint64_t stats_oldest_running(struct mount_stats *stats, enum op *op);

/* Sum every thread's block.  `snapshot` is overwritten. */
void stats_snapshot(struct mount_stats *stats, struct stats_snapshot *snapshot);

#endif
