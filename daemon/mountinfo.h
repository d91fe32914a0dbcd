/* Reading /proc/self/mountinfo: what the kernel says is mounted where.
 *
 * The daemon asks the mount table rather than stat()ing its mountpoints,
 * because touching a mountpoint it serves from its own threads can hang the
 * process for good. */
#ifndef FUSEHOST_MOUNTINFO_H
#define FUSEHOST_MOUNTINFO_H

#include <glib.h>
#include <stdbool.h>

struct mountinfo_entry {
	int mount_id;
	unsigned major;
	unsigned minor; /* for FUSE: the /sys/fs/fuse/connections/ number */
	char *mountpoint;
	char *fstype;
	char *source;
};

/* All entries in mount order, or NULL (errno set) if the table cannot be
 * read.  Free with g_ptr_array_unref. */
GPtrArray *mountinfo_read(void);

/* Parse one line; NULL if it is malformed. */
struct mountinfo_entry *mountinfo_parse_line(const char *line);
void mountinfo_entry_free(struct mountinfo_entry *entry);

/* The topmost entry mounted at `path` (mounts stack), or NULL. */
const struct mountinfo_entry *mountinfo_find_top(GPtrArray *entries,
						 const char *path);

/* The entry with this mount id, or NULL once it is gone. */
const struct mountinfo_entry *mountinfo_find_id(GPtrArray *entries,
						int mount_id);

bool mountinfo_is_fuse(const struct mountinfo_entry *entry);

#endif
