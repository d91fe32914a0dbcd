/* One log for the daemon, libfuse's messages and plugins.
 *
 * A record has a level, a message and optional structured fields (mount,
 * plugin, operation, path, errno, duration).  It goes either to stderr as
 * one line, "LEVEL: MOUNT: message", or to journald as a native record with
 * the fields FUSEHOST_MOUNT, FUSEHOST_PLUGIN, FUSEHOST_OP, FUSEHOST_PATH,
 * ERRNO and FUSEHOST_DURATION_USEC, so that `journalctl FUSEHOST_MOUNT=x`
 * works. */
#ifndef FUSEHOST_LOG_H
#define FUSEHOST_LOG_H

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Same values as enum fusehost_log_level in the public header. */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

enum log_target {
	LOG_TARGET_AUTO,    /* journal when stderr is journald's stream */
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
};

/* What a record is about; any field may be left NULL / 0. */
struct log_fields {
	const char *mount;
	const char *plugin;
	const char *op;
	const char *path;
	int error;             /* positive errno */
	int64_t duration_usec; /* < 0: none */
	/* The mount's own log-level, or -1 to use the daemon's. */
	int mount_level;
	/* Emit whatever the level (trace records). */
	bool always;
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);
/* Whether a record of `level` about a mount with `mount_level` (-1: none
 * of its own) would be emitted. */
bool log_enabled_for(enum log_level level, int mount_level);

/* Decide where records go; call before any thread starts logging.  The
 * journal needs journald's socket to be there: LOG_TARGET_JOURNAL without
 * it warns once and logs to stderr, LOG_TARGET_AUTO uses stderr. */
void log_set_target(enum log_target target);
bool log_to_journal(void);

int log_level_parse(const char *text, enum log_level *level);
const char *log_level_name(enum log_level level);
int log_target_parse(const char *text, enum log_target *target);
const char *log_target_name(enum log_target target);

void log_record(enum log_level level, const struct log_fields *fields,
		const char *file, int line, const char *function,
		const char *format, ...) __attribute__((format(printf, 6, 7)));
void log_recordv(enum log_level level, const struct log_fields *fields,
		 const char *file, int line, const char *function,
		 const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));

/* Log each of `messages` (char *, as collected by the config checks) as
 * an error about the daemon. */
void log_errors(const GPtrArray *messages);

/* Name the mount this thread works for, so that libfuse's own messages
 * (which carry no context) can be attributed.  NULL clears it. */
void log_set_thread_mount(const char *mount);

/* This thread serves requests through the observation layer, which logs
 * a plugin's out-of-range results itself, once per mount and operation:
 * libfuse's own line about the same result, once per call, is dropped. */
void log_set_thread_observed(void);

/* From now on, keep the last error this thread logs in `buffer` ("" until
 * one is), so that whoever asked the thread to do something can repeat why
 * it failed (the answer to a reload, say) rather than an errno that says
 * less.  NULL stops it.  Only threads that ask pay for it: a buffer of
 * thread-local storage would take room in every thread, libfuse's
 * workers of every mount included. */
void log_keep_thread_last_error(char *buffer, size_t size);

/* Route libfuse's process-wide log function into this log. */
void log_capture_libfuse(void);

/* A message about a mount with a log level of its own (-1: the
 * daemon's), which decides whether it is written. */
#define log_message_at(level, mount_name, mount_log_level, ...)                \
	log_record(level, &(struct log_fields){ .mount = (mount_name),         \
						.duration_usec = -1,           \
						.mount_level = (mount_log_level) }, \
		   __FILE__, __LINE__, __func__, __VA_ARGS__)

/* The common case: a message about the daemon (mount NULL) or a mount. */
#define log_message(level, mount_name, ...)                                   \
	log_message_at(level, mount_name, -1, __VA_ARGS__)
#define log_error(mount_name, ...)                                             \
	log_message(LOG_LEVEL_ERROR, mount_name, __VA_ARGS__)
#define log_warning(mount_name, ...)                                           \
	log_message(LOG_LEVEL_WARNING, mount_name, __VA_ARGS__)
#define log_info(mount_name, ...)                                              \
	log_message(LOG_LEVEL_INFO, mount_name, __VA_ARGS__)
#define log_debug(mount_name, ...)                                             \
	log_message(LOG_LEVEL_DEBUG, mount_name, __VA_ARGS__)

#endif
