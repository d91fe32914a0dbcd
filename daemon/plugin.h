/* Loading plugin shared objects and checking their descriptors.
 *
 * Every way a plugin file can be wrong gets its own one-line message that
 * names the file and the cause; the caller adds the mount's name. */
#ifndef FUSEHOST_PLUGIN_LOADER_H
#define FUSEHOST_PLUGIN_LOADER_H

#include <pthread.h>
#include <stdbool.h>

#include <fusehost/plugin.h>

struct plugin {
	char *path;
	void *handle;
	/* Host copies, zeroed and then filled with what the plugin has, so
	 * fields a plugin built against an older header lacks read as 0. */
	struct fusehost_plugin descriptor;
	struct fuse_operations operations;
	/* For FUSEHOST_THREAD_MODEL_SERIALIZE: one lock shared by every mount
	 * of the same file; NULL for parallel plugins. */
	pthread_mutex_t *serialize_lock;
};

/* The file a config's `plugin =` value names: NAME -> DIR/NAME.so, an
 * absolute path as it is.  NULL (with *error set) for anything else. */
char *plugin_resolve_path(const char *spec, const char *plugin_dir,
			  char **error);

/* Load and check a plugin.  With `check_trust`, a file that someone other
 * than root could change is refused (see trust.h).  On failure returns
 * NULL and sets *error. */
struct plugin *plugin_load(const char *spec, const char *plugin_dir,
			   bool check_trust, char **error);

/* dlclose; call only after every mount using it is destroyed. */
void plugin_unload(struct plugin *plugin);

/* Whether the plugin fills none of the operations that change a
 * filesystem (write, create, mkdir, chmod, setxattr, ...).  Such a plugin
 * is mounted read-only, so that the kernel answers EROFS ("Read-only file
 * system") rather than libfuse ENOSYS ("Function not implemented"). */
bool plugin_is_read_only(const struct plugin *plugin);

/* What fusehostd --plugin-info prints. */
char *plugin_describe(const struct plugin *plugin);

#endif
