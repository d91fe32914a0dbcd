/* The daemon's log: level filtering and one-line records on stderr.
 *
 * Each record is formatted into a local buffer and written with a single
 * write(2), so lines from concurrent threads never interleave. */
#define _GNU_SOURCE
#include "log.h"

#define FUSE_USE_VERSION 314
#include <fuse_log.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int current_level = LOG_LEVEL_INFO;
static _Thread_local const char *thread_mount;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, level, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
	return (int)level <=
	       atomic_load_explicit(&current_level, memory_order_relaxed);
}

int log_level_parse(const char *text, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

void log_set_thread_mount(const char *mount)
{
	thread_mount = mount;
}

static void write_fully(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);
		if (written < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		data += written;
		length -= (size_t)written;
	}
}

void log_messagev(enum log_level level, const char *mount, const char *format,
		  va_list args)
{
	char line[4096];
	size_t used;
	int n;

	if (!log_enabled(level))
		return;

	if (mount)
		n = snprintf(line, sizeof(line), "%s: %s: ",
			     log_level_name(level), mount);
	else
		n = snprintf(line, sizeof(line), "%s: ", log_level_name(level));
	used = n < 0 ? 0 : (size_t)n;

	n = vsnprintf(line + used, sizeof(line) - used, format, args);
	if (n > 0)
		used += (size_t)n;
	if (used > sizeof(line) - 2)
		used = sizeof(line) - 2;

	/* Messages (libfuse's in particular) may end in a newline already. */
	while (used > 0 && line[used - 1] == '\n')
		used--;
	line[used++] = '\n';
	write_fully(STDERR_FILENO, line, used);
}

void log_message(enum log_level level, const char *mount, const char *format,
		 ...)
{
	va_list args;

	va_start(args, format);
	log_messagev(level, mount, format, args);
	va_end(args);
}

static enum log_level level_from_libfuse(enum fuse_log_level level)
{
	if (level <= FUSE_LOG_ERR)
		return LOG_LEVEL_ERROR;
	if (level == FUSE_LOG_WARNING)
		return LOG_LEVEL_WARNING;
	if (level <= FUSE_LOG_INFO)
		return LOG_LEVEL_INFO;
	return LOG_LEVEL_DEBUG;
}

/* libfuse writes some messages in pieces ("unknown option(s): `", "-o ",
 * "x'\n"): gather the pieces of one thread until a newline ends the line. */
static _Thread_local char libfuse_line[1024];
static _Thread_local size_t libfuse_line_length;

static void libfuse_log_handler(enum fuse_log_level level, const char *format,
				va_list args)
{
	size_t room = sizeof(libfuse_line) - libfuse_line_length;
	int n = vsnprintf(libfuse_line + libfuse_line_length, room, format,
			  args);

	if (n > 0)
		libfuse_line_length += (size_t)n < room ? (size_t)n : room - 1;
	if (libfuse_line_length == 0 ||
	    (libfuse_line[libfuse_line_length - 1] != '\n' &&
	     libfuse_line_length < sizeof(libfuse_line) - 1))
		return;
	log_message(level_from_libfuse(level), thread_mount, "%s",
		    libfuse_line);
	libfuse_line_length = 0;
}

void log_capture_libfuse(void)
{
	fuse_set_log_func(libfuse_log_handler);
}
