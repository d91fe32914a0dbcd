/* The daemon's log; see log.h.
 *
 * Records are formatted into memory of their own and written with one
 * write(2) (stderr) or one sd_journal_sendv() (journald), so records from
 * concurrent threads never interleave.  They are formatted on the heap, not
 * on the stack: every thread logs at some point, and the stack pages a
 * record would touch stay resident in that thread for good (with hundreds
 * of mount threads, that is megabytes).  No FUSE request logs unless a
 * level or trace asks for it.
 *
 * The journal is chosen only if journald's socket is there when the target
 * is set: without it libsystemd drops records and reports success. */
#define _GNU_SOURCE
#include "log.h"

#define FUSE_USE_VERSION 314
#include <fuse_log.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* Where journald takes native records, and where sd_journal_sendv() sends
 * them. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static atomic_int current_level = LOG_LEVEL_INFO;
static bool use_journal;
static _Thread_local const char *thread_mount;
static _Thread_local bool thread_observed;
/* See log_keep_thread_last_error(). */
static _Thread_local char *thread_last_error;
static _Thread_local size_t thread_last_error_size;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const char *const target_names[] = {
	[LOG_TARGET_AUTO] = "auto",
	[LOG_TARGET_STDERR] = "stderr",
	[LOG_TARGET_JOURNAL] = "journal",
};

static const int syslog_priorities[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
	return atomic_load_explicit(&current_level, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
	return (int)level <=
	       atomic_load_explicit(&current_level, memory_order_relaxed);
}

bool log_enabled_for(enum log_level level, int mount_level)
{
	if (mount_level >= 0)
		return (int)level <= mount_level;
	return log_enabled(level);
}

static int parse_name(const char *text, const char *const *names,
		      size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(text, names[i]) == 0)
			return (int)i;
	}
	return -EINVAL;
}

int log_level_parse(const char *text, enum log_level *level)
{
	int found = parse_name(text, level_names,
			       sizeof(level_names) / sizeof(level_names[0]));

	if (found < 0)
		return found;
	*level = (enum log_level)found;
	return 0;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

int log_target_parse(const char *text, enum log_target *target)
{
	int found = parse_name(text, target_names,
			       sizeof(target_names) / sizeof(target_names[0]));

	if (found < 0)
		return found;
	*target = (enum log_target)found;
	return 0;
}

const char *log_target_name(enum log_target target)
{
	if ((unsigned)target >= sizeof(target_names) / sizeof(target_names[0]))
		return "unknown";
	return target_names[target];
}

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected
 * to stderr; if stderr is still that stream, the journal is listening. */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long device, inode;
	struct stat st;

	if (!stream || sscanf(stream, "%llu:%llu", &device, &inode) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == device &&
	       (unsigned long long)st.st_ino == inode;
}

/* NULL if journald's socket is there, else why not.  sd_journal_sendv()
 * returns 0 when the socket is missing ("fail silently if the journal is
 * not available"), so a record it loses cannot be noticed and sent to
 * stderr instead; the socket is looked at once, here, rather than for
 * every record. */
static const char *journal_socket_missing(void)
{
	struct stat st;

	if (stat(JOURNAL_SOCKET, &st) < 0)
		return g_strerror(errno);
	if (!S_ISSOCK(st.st_mode))
		return "not a socket";
	return NULL;
}

void log_set_target(enum log_target target)
{
	const char *missing;

	use_journal = false;
	if (target == LOG_TARGET_STDERR ||
	    (target == LOG_TARGET_AUTO && !stderr_is_journal()))
		return;
	missing = journal_socket_missing();
	if (!missing) {
		use_journal = true;
		return;
	}
	/* With auto, stderr is the journal's stream: the records still
	 * reach the journal, only without their fields. */
	if (target == LOG_TARGET_JOURNAL)
		log_warning(NULL,
			    "log-target = journal: no journald socket at "
			    "%s (%s): logging to stderr instead",
			    JOURNAL_SOCKET, missing);
}

bool log_to_journal(void)
{
	return use_journal;
}

void log_errors(const GPtrArray *messages)
{
	for (guint i = 0; i < messages->len; i++)
		log_error(NULL, "%s", (const char *)messages->pdata[i]);
}

void log_set_thread_mount(const char *mount)
{
	thread_mount = mount;
}

void log_set_thread_observed(void)
{
	thread_observed = true;
}

void log_keep_thread_last_error(char *buffer, size_t size)
{
	thread_last_error = buffer;
	thread_last_error_size = buffer ? size : 0;
	if (buffer && size)
		buffer[0] = '\0';
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

/* One record, one line: a newline inside a message (a file name in a
 * trace, a plugin's own text) would start what reads as a record of its
 * own, with whatever level and mount the text cares to give.  Control
 * characters are written as C escapes instead; NULL if there are none. */
static char *escape_controls(const char *message)
{
	size_t extra = 0;
	char *escaped;
	char *out;

	for (const char *c = message; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			extra += 3; /* at most "\\xNN" for one byte */
	if (extra == 0)
		return NULL;
	escaped = malloc(strlen(message) + extra + 1);
	if (!escaped)
		return NULL;
	out = escaped;
	for (const char *c = message; *c; c++) {
		unsigned char byte = (unsigned char)*c;

		if (byte == '\n')
			out += sprintf(out, "\\n");
		else if (byte == '\r')
			out += sprintf(out, "\\r");
		else if ((byte < 0x20 && byte != '\t') || byte == 0x7f)
			out += sprintf(out, "\\x%02x", byte);
		else
			*out++ = (char)byte;
	}
	*out = '\0';
	return escaped;
}

static void emit_stderr(enum log_level level, const struct log_fields *fields,
			const char *message)
{
	char *escaped = escape_controls(message);
	char *line;
	int n;

	if (escaped)
		message = escaped;

	if (fields->mount)
		n = asprintf(&line, "%s: %s: %s\n", log_level_name(level),
			     fields->mount, message);
	else
		n = asprintf(&line, "%s: %s\n", log_level_name(level),
			     message);
	free(escaped);
	if (n < 0)
		return;
	write_fully(STDERR_FILENO, line, (size_t)n);
	free(line);
}

struct journal_record {
	struct iovec fields[12];
	int count;
};

/* One "NAME=value" field.  Out of memory, the record goes without it. */
static void add_field(struct journal_record *record, const char *name,
		      const char *value)
{
	char *field;
	int n = asprintf(&field, "%s=%s", name, value);

	if (n < 0)
		return;
	record->fields[record->count].iov_base = field;
	record->fields[record->count].iov_len = (size_t)n;
	record->count++;
}

static void add_number_field(struct journal_record *record, const char *name,
			     long long value)
{
	char number[24];

	snprintf(number, sizeof(number), "%lld", value);
	add_field(record, name, number);
}

static void emit_journal(enum log_level level, const struct log_fields *fields,
			 const char *file, int line, const char *function,
			 const char *message)
{
	struct journal_record record = { .count = 0 };
	char *named = NULL;
	int sent;

	add_number_field(&record, "PRIORITY", syslog_priorities[level]);
	/* MESSAGE is all that journalctl and systemctl status show: it names
	 * the mount as the line on stderr does ("mount skipped" alone says
	 * not which). */
	if (fields->mount && asprintf(&named, "%s: %s", fields->mount,
				      message) < 0)
		named = NULL;
	add_field(&record, "MESSAGE", named ? named : message);
	free(named);
	add_field(&record, "CODE_FILE", file);
	add_number_field(&record, "CODE_LINE", line);
	add_field(&record, "CODE_FUNC", function);
	if (fields->mount)
		add_field(&record, "FUSEHOST_MOUNT", fields->mount);
	if (fields->plugin)
		add_field(&record, "FUSEHOST_PLUGIN", fields->plugin);
	if (fields->op)
		add_field(&record, "FUSEHOST_OP", fields->op);
	if (fields->path)
		add_field(&record, "FUSEHOST_PATH", fields->path);
	if (fields->error > 0)
		add_number_field(&record, "ERRNO", fields->error);
	if (fields->duration_usec >= 0)
		add_number_field(&record, "FUSEHOST_DURATION_USEC",
				 fields->duration_usec);
	sent = sd_journal_sendv(record.fields, record.count);
	for (int i = 0; i < record.count; i++)
		free(record.fields[i].iov_base);
	/* If the journal is gone, the record still goes somewhere. */
	if (sent < 0)
		emit_stderr(level, fields, message);
}

void log_recordv(enum log_level level, const struct log_fields *fields,
		 const char *file, int line, const char *function,
		 const char *format, va_list args)
{
	char *message;
	size_t length;

	if (!fields->always && !log_enabled_for(level, fields->mount_level))
		return;

	if (vasprintf(&message, format, args) < 0)
		return; /* out of memory: nothing to say it with */
	/* Messages (libfuse's in particular) may end in a newline already. */
	length = strlen(message);
	while (length > 0 && message[length - 1] == '\n')
		message[--length] = '\0';
	if (level == LOG_LEVEL_ERROR && thread_last_error)
		snprintf(thread_last_error, thread_last_error_size, "%s",
			 message);

	if (use_journal)
		emit_journal(level, fields, file, line, function, message);
	else
		emit_stderr(level, fields, message);
	free(message);
}

void log_record(enum log_level level, const struct log_fields *fields,
		const char *file, int line, const char *function,
		const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_recordv(level, fields, file, line, function, format, args);
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

/* libfuse's own word on a plugin that returned more bytes than asked
 * for, once per call: where the layer runs, it has said so already, once
 * per mount and operation, naming the plugin and the path. */
static bool is_repeat_of_layer(const char *line)
{
	return thread_observed &&
	       (strcmp(line, "fuse: read too many bytes\n") == 0 ||
		strcmp(line, "fuse: wrote too many bytes\n") == 0);
}

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
	if (!is_repeat_of_layer(libfuse_line))
		log_message(level_from_libfuse(level), thread_mount, "%s",
			    libfuse_line);
	libfuse_line_length = 0;
}

void log_capture_libfuse(void)
{
	fuse_set_log_func(libfuse_log_handler);
}
