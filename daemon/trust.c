/* Ownership and permission checks of files run as root; see trust.h. */
#define _GNU_SOURCE
#include "trust.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *check_one(const char *path, const char *what,
		       const char *origin)
{
	struct stat st;
	bool sticky_dir;

	if (stat(path, &st) < 0)
		return g_strdup_printf("cannot check %s%s%s: %s", path,
				       origin ? " above " : "",
				       origin ? origin : "", strerror(errno));
	if (st.st_uid != 0)
		return g_strdup_printf(
			"%s %s%s%s%s is owned by uid %u, not root; fix: chown "
			"root %s",
			what, path, origin ? " (above " : "",
			origin ? origin : "", origin ? ")" : "",
			(unsigned)st.st_uid, path);
	sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir)
		return g_strdup_printf(
			"%s %s%s%s%s is writable by %s (mode %04o); fix: chmod "
			"go-w %s",
			what, path, origin ? " (above " : "",
			origin ? origin : "", origin ? ")" : "",
			(st.st_mode & S_IWOTH) ? "others" : "its group",
			st.st_mode & 07777, path);
	return NULL;
}

char *trust_check(const char *path)
{
	char resolved[PATH_MAX];
	char *problem;
	char *dir;

	if (geteuid() != 0)
		return NULL;
	/* Check what will really be opened, not a symlink to it. */
	if (!realpath(path, resolved))
		return g_strdup_printf("cannot check %s: %s", path,
				       strerror(errno));
	problem = check_one(resolved, "file", NULL);
	dir = g_path_get_dirname(resolved);
	while (!problem) {
		char *parent;

		problem = check_one(dir, "directory", resolved);
		if (strcmp(dir, "/") == 0)
			break;
		parent = g_path_get_dirname(dir);
		g_free(dir);
		dir = parent;
	}
	g_free(dir);
	if (problem && strcmp(resolved, path) != 0) {
		char *with_origin = g_strdup_printf("%s (%s resolves to %s)",
						    problem, path, resolved);

		g_free(problem);
		problem = with_origin;
	}
	return problem;
}
