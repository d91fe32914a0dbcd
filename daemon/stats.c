/* Per-thread operation statistics; see stats.h. */
#define _GNU_SOURCE
#include "stats.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "log.h"

static const char *const op_names[OP_COUNT] = {
	[OP_GETATTR] = "getattr",
	[OP_READLINK] = "readlink",
	[OP_MKNOD] = "mknod",
	[OP_MKDIR] = "mkdir",
	[OP_UNLINK] = "unlink",
	[OP_RMDIR] = "rmdir",
	[OP_SYMLINK] = "symlink",
	[OP_RENAME] = "rename",
	[OP_LINK] = "link",
	[OP_CHMOD] = "chmod",
	[OP_CHOWN] = "chown",
	[OP_TRUNCATE] = "truncate",
	[OP_OPEN] = "open",
	[OP_READ] = "read",
	[OP_WRITE] = "write",
	[OP_STATFS] = "statfs",
	[OP_FLUSH] = "flush",
	[OP_RELEASE] = "release",
	[OP_FSYNC] = "fsync",
	[OP_SETXATTR] = "setxattr",
	[OP_GETXATTR] = "getxattr",
	[OP_LISTXATTR] = "listxattr",
	[OP_REMOVEXATTR] = "removexattr",
	[OP_OPENDIR] = "opendir",
	[OP_READDIR] = "readdir",
	[OP_RELEASEDIR] = "releasedir",
	[OP_FSYNCDIR] = "fsyncdir",
	[OP_ACCESS] = "access",
	[OP_CREATE] = "create",
	[OP_LOCK] = "lock",
	[OP_UTIMENS] = "utimens",
	[OP_BMAP] = "bmap",
	[OP_IOCTL] = "ioctl",
	[OP_POLL] = "poll",
	[OP_WRITE_BUF] = "write_buf",
	[OP_READ_BUF] = "read_buf",
	[OP_FLOCK] = "flock",
	[OP_FALLOCATE] = "fallocate",
	[OP_COPY_FILE_RANGE] = "copy_file_range",
	[OP_LSEEK] = "lseek",
};

/* The thread's block and the mount it belongs to.  A libfuse worker serves
 * one mount all its life; the owner check keeps any other thread honest. */
static _Thread_local struct thread_stats *own_block;
static _Thread_local const struct mount_stats *own_block_mount;

const char *op_name(enum op op)
{
	return (unsigned)op < OP_COUNT ? op_names[op] : "unknown";
}

void mount_stats_init(struct mount_stats *stats, const char *mount_name)
{
	stats->mount_name = mount_name;
	pthread_mutex_init(&stats->register_lock, NULL);
	stats->threads = NULL;
}

void mount_stats_destroy(struct mount_stats *stats)
{
	struct thread_stats *thread = stats->threads;

	while (thread) {
		struct thread_stats *next = thread->next;

		munmap(thread, sizeof(*thread));
		thread = next;
	}
	stats->threads = NULL;
	pthread_mutex_destroy(&stats->register_lock);
}

void mount_stats_share(struct mount_stats *stats, struct thread_stats *blocks,
		       unsigned count)
{
	stats->shared = blocks;
	stats->shared_count = count;
}

void mount_stats_release_shared(struct mount_stats *stats)
{
	for (unsigned i = 0; i < stats->shared_count; i++) {
		__atomic_store_n(&stats->shared[i].running_since_ns, 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&stats->shared[i].running_waits, 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&stats->shared[i].claimed, 0,
				 __ATOMIC_RELEASE);
	}
}

/* A shared block no other thread has; counts left by an earlier thread or
 * process stay in it, which keeps the sums right. */
static struct thread_stats *claim_shared_block(struct mount_stats *stats)
{
	for (unsigned i = 0; i < stats->shared_count; i++) {
		uint32_t unclaimed = 0;

		if (__atomic_compare_exchange_n(&stats->shared[i].claimed,
						&unclaimed, 1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return &stats->shared[i];
	}
	return NULL;
}

static void own(struct mount_stats *stats, struct thread_stats *block)
{
	own_block = block;
	own_block_mount = stats;
	log_set_thread_mount(stats->mount_name);
	log_set_thread_observed();
}

/* Blocks are mmap()ed: the kernel backs only the pages a thread touches,
 * so counters of operations a mount never sees cost no memory. */
static struct thread_stats *register_thread(struct mount_stats *stats)
{
	struct thread_stats *block;

	if (stats->shared) {
		/* There is one block per worker thread the mount may have
		 * and some to spare; a thread beyond that goes uncounted
		 * rather than counted where fusehostd cannot see it. */
		block = claim_shared_block(stats);
		if (block)
			own(stats, block);
		return block;
	}
	block = mmap(NULL, sizeof(*block), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (block == MAP_FAILED)
		return NULL;
	pthread_mutex_lock(&stats->register_lock);
	block->next = stats->threads;
	__atomic_store_n(&stats->threads, block, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&stats->register_lock);
	own(stats, block);
	return block;
}

bool stats_thread_running(const char **mount_name, enum op *op)
{
	const struct thread_stats *block = own_block;

	if (!block || !own_block_mount || !block->running_since_ns)
		return false;
	*mount_name = own_block_mount->mount_name;
	*op = (enum op)block->running_op;
	return true;
}

struct thread_stats *thread_stats_get(struct mount_stats *stats)
{
	if (__builtin_expect(own_block_mount == stats, 1))
		return own_block;
	return register_thread(stats);
}

uint64_t stats_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

unsigned stats_bucket(uint64_t duration_ns)
{
	unsigned exponent;
	unsigned step;

	if (duration_ns < (1u << STATS_FIRST_EXPONENT))
		return 0;
	exponent = 63 - (unsigned)__builtin_clzll(duration_ns);
	if (exponent > STATS_LAST_EXPONENT)
		return STATS_BUCKETS - 1;
	/* The two bits below the leading one pick the quarter-octave. */
	step = (unsigned)(duration_ns >> (exponent - 2)) & 3;
	return 1 + (exponent - STATS_FIRST_EXPONENT) * STATS_STEPS_PER_OCTAVE +
	       step;
}

uint64_t stats_bucket_bound_ns(unsigned bucket)
{
	unsigned exponent;
	unsigned step;

	if (bucket == 0)
		return 1u << STATS_FIRST_EXPONENT;
	if (bucket >= STATS_BUCKETS - 1)
		return UINT64_MAX;
	exponent = STATS_FIRST_EXPONENT + (bucket - 1) / STATS_STEPS_PER_OCTAVE;
	step = (bucket - 1) % STATS_STEPS_PER_OCTAVE;
	return ((uint64_t)1 << exponent) / 4 * (5 + step);
}

void stats_record(struct thread_stats *thread, enum op op, int error,
		  uint64_t duration_ns)
{
	struct op_timing *timing = &thread->ops[op];

	stats_add(&timing->count, 1);
	stats_add(&timing->duration_ns, duration_ns);
	stats_add(&timing->buckets[stats_bucket(duration_ns)], 1);
	if (error > 0)
		stats_add(&thread->errors[op][error < STATS_ERRNO_SLOTS - 1
						      ? error
						      : STATS_ERRNO_SLOTS - 1],
			  1);
}

void stats_record_violation(struct thread_stats *thread, enum op op)
{
	stats_add(&thread->violations[op], 1);
}

static uint64_t load(const uint64_t *value)
{
	return __atomic_load_n(value, __ATOMIC_RELAXED);
}

static void add_counters(struct op_counters *sum,
			 const struct op_timing *timing, const uint64_t *errors)
{
	sum->count += load(&timing->count);
	sum->duration_ns += load(&timing->duration_ns);
	for (unsigned i = 0; i < STATS_BUCKETS; i++)
		sum->buckets[i] += load(&timing->buckets[i]);
	for (unsigned i = 0; i < STATS_ERRNO_SLOTS; i++)
		sum->errors[i] += load(&errors[i]);
}

/* The block after `block` (NULL: the first), own blocks then shared
 * ones; NULL after the last. */
static struct thread_stats *next_block(struct mount_stats *stats,
				       struct thread_stats *block)
{
	if (!block)
		block = __atomic_load_n(&stats->threads, __ATOMIC_ACQUIRE);
	else if (block < stats->shared ||
		 block >= stats->shared + stats->shared_count)
		block = block->next;
	else
		return block + 1 < stats->shared + stats->shared_count
			       ? block + 1
			       : NULL;
	if (!block && stats->shared_count)
		block = stats->shared;
	return block;
}

/* When the thread's running operation started, 0 if it runs none or only
 * waits for a lock.  The waiting mark is read first: the layer clears it
 * (with release ordering) only after clearing the start. */
static uint64_t running_since(const struct thread_stats *thread)
{
	if (__atomic_load_n(&thread->running_waits, __ATOMIC_ACQUIRE))
		return 0;
	return load(&thread->running_since_ns);
}

uint64_t stats_oldest_running(struct mount_stats *stats, enum op *op)
{
	uint64_t oldest = 0;

	for (struct thread_stats *thread = next_block(stats, NULL); thread;
	     thread = next_block(stats, thread)) {
		uint64_t since = running_since(thread);

		if (since && (!oldest || since < oldest)) {
			oldest = since;
			*op = (enum op)load(&thread->running_op);
		}
	}
	return oldest;
}

void stats_snapshot(struct mount_stats *stats, struct stats_snapshot *snapshot)
{
	memset(snapshot, 0, sizeof(*snapshot));
	for (struct thread_stats *thread = next_block(stats, NULL); thread;
	     thread = next_block(stats, thread)) {
		uint64_t since = running_since(thread);

		snapshot->read_bytes += load(&thread->read_bytes);
		snapshot->written_bytes += load(&thread->written_bytes);
		if (load(&thread->running_since_ns))
			snapshot->in_flight++;
		if (since && (!snapshot->oldest_running_since_ns ||
			      since < snapshot->oldest_running_since_ns))
			snapshot->oldest_running_since_ns = since;
		for (unsigned op = 0; op < OP_COUNT; op++) {
			add_counters(&snapshot->ops[op], &thread->ops[op],
				     thread->errors[op]);
			snapshot->ops[op].violations +=
				load(&thread->violations[op]);
		}
	}
}
