/* Whether a file may be trusted to run as root: a plugin loaded into a
 * daemon that runs as root, or the configuration that names plugins.
 *
 * As sudo does for its plugins, a file is trusted when it and every
 * directory above it are owned by root and cannot be written by group or
 * others; a sticky directory (such as /tmp) may be writable by all, since
 * nobody can replace a file of root's in it. */
#ifndef FUSEHOST_TRUST_H
#define FUSEHOST_TRUST_H

/* NULL when `path` is trusted (or the process is not root: it can only
 * load what its own user could write anyway); otherwise one line naming
 * the file or directory at fault and the fix (g_free it). */
char *trust_check(const char *path);

#endif
