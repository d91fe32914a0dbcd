/* One log for the daemon, libfuse's messages and plugins.
 *
 * Every record carries a level and, when it concerns one mount, the mount's
 * name.  Records go to stderr as one line each: "LEVEL: MOUNT: message". */
#ifndef FUSEHOST_LOG_H
#define FUSEHOST_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Same values as enum fusehost_log_level in the public header. */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* Parse "error", "warning", "info" or "debug".  Returns 0 or -EINVAL. */
int log_level_parse(const char *text, enum log_level *level);
const char *log_level_name(enum log_level level);

/* mount may be NULL for records about the daemon as a whole. */
void log_message(enum log_level level, const char *mount, const char *format,
		 ...) __attribute__((format(printf, 3, 4)));
void log_messagev(enum log_level level, const char *mount, const char *format,
		  va_list args) __attribute__((format(printf, 3, 0)));

/* Name the mount this thread works for, so that libfuse's own messages
 * (which carry no context) can be attributed.  NULL clears it. */
void log_set_thread_mount(const char *mount);

/* Route libfuse's process-wide log function into this log. */
void log_capture_libfuse(void);

#define log_error(mount, ...) log_message(LOG_LEVEL_ERROR, mount, __VA_ARGS__)
#define log_warning(mount, ...) log_message(LOG_LEVEL_WARNING, mount, __VA_ARGS__)
#define log_info(mount, ...) log_message(LOG_LEVEL_INFO, mount, __VA_ARGS__)
#define log_debug(mount, ...) log_message(LOG_LEVEL_DEBUG, mount, __VA_ARGS__)

#endif
