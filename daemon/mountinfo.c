/* Parsing /proc/self/mountinfo; see mountinfo.h and proc(5) for the format:
 *   ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
 * Paths escape space, tab, newline and backslash as \ooo octal. */
#include "mountinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *unescape(const char *text)
{
	char *out = g_malloc(strlen(text) + 1);
	char *o = out;

	while (*text) {
		if (text[0] == '\\' && text[1] >= '0' && text[1] <= '3' &&
		    text[2] >= '0' && text[2] <= '7' && text[3] >= '0' &&
		    text[3] <= '7') {
			*o++ = (char)((text[1] - '0') * 64 + (text[2] - '0') * 8 +
				      (text[3] - '0'));
			text += 4;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

void mountinfo_entry_free(struct mountinfo_entry *entry)
{
	if (!entry)
		return;
	g_free(entry->mountpoint);
	g_free(entry->fstype);
	g_free(entry->source);
	g_free(entry);
}

struct mountinfo_entry *mountinfo_parse_line(const char *line)
{
	char **fields = g_strsplit(line, " ", -1);
	struct mountinfo_entry *entry = NULL;
	guint count = g_strv_length(fields);
	guint separator = 6;

	/* Optional fields run until a lone "-". */
	while (separator < count && strcmp(fields[separator], "-") != 0)
		separator++;
	if (count < 6 || separator + 2 >= count)
		goto out;

	entry = g_new0(struct mountinfo_entry, 1);
	if (sscanf(fields[2], "%u:%u", &entry->major, &entry->minor) != 2) {
		g_clear_pointer(&entry, g_free);
		goto out;
	}
	entry->mount_id = atoi(fields[0]);
	entry->mountpoint = unescape(fields[4]);
	entry->fstype = unescape(fields[separator + 1]);
	entry->source = unescape(fields[separator + 2]);
out:
	g_strfreev(fields);
	return entry;
}

GPtrArray *mountinfo_read(void)
{
	GPtrArray *entries;
	char *text = NULL;
	char **lines;

	/* g_file_get_contents reads /proc files correctly (no st_size). */
	if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL)) {
		errno = EIO;
		return NULL;
	}
	entries = g_ptr_array_new_with_free_func(
		(GDestroyNotify)mountinfo_entry_free);
	lines = g_strsplit(text, "\n", -1);
	for (char **line = lines; *line; line++) {
		struct mountinfo_entry *entry;

		if (**line == '\0')
			continue;
		entry = mountinfo_parse_line(*line);
		if (entry)
			g_ptr_array_add(entries, entry);
	}
	g_strfreev(lines);
	g_free(text);
	return entries;
}

const struct mountinfo_entry *mountinfo_find_top(GPtrArray *entries,
						 const char *path)
{
	for (guint i = entries->len; i > 0; i--) {
		const struct mountinfo_entry *entry = entries->pdata[i - 1];

		if (strcmp(entry->mountpoint, path) == 0)
			return entry;
	}
	return NULL;
}

const struct mountinfo_entry *mountinfo_find_id(GPtrArray *entries,
						int mount_id)
{
	for (guint i = 0; i < entries->len; i++) {
		const struct mountinfo_entry *entry = entries->pdata[i];

		if (entry->mount_id == mount_id)
			return entry;
	}
	return NULL;
}

bool mountinfo_is_fuse(const struct mountinfo_entry *entry)
{
	return strcmp(entry->fstype, "fuse") == 0 ||
	       strcmp(entry->fstype, "fuseblk") == 0 ||
	       g_str_has_prefix(entry->fstype, "fuse.") ||
	       g_str_has_prefix(entry->fstype, "fuseblk.");
}
