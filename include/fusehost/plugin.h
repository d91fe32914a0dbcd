/* fusehost plugin ABI: the one header a filesystem plugin includes.
 *
 * A plugin is a shared object that fusehostd loads with dlopen().  It
 * exports exactly one symbol, made by FUSEHOST_REGISTER_PLUGIN(), which hands
 * the host a descriptor: who the plugin is, which options it takes, how to
 * make and free one instance per mount, and the filesystem operations as
 * libfuse's own high-level `struct fuse_operations`.
 *
 * Minimal plugin (build: cc -shared -fPIC $(pkg-config --cflags fusehost)
 * myfs.c -o myfs.so):
 *
 *     #include <fusehost/plugin.h>
 *
 *     static int myfs_getattr(const char *path, struct stat *st,
 *                             struct fuse_file_info *fi) { ... }
 *
 *     static const struct fuse_operations myfs_operations = {
 *         .getattr = myfs_getattr,
 *     };
 *
 *     static struct fusehost_plugin myfs_plugin = {
 *         .name = "myfs",
 *         .version = "1.0",
 *         .description = "An example filesystem",
 *         .thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
 *         .operations = &myfs_operations,
 *     };
 *     FUSEHOST_REGISTER_PLUGIN(myfs_plugin)
 *
 * Instances.  For every mount the host calls .open(mount, &instance); the
 * value stored in `instance` is what fuse_get_context()->private_data returns
 * inside every operation of that mount, and what .close() receives when the
 * mount goes away.  The same plugin mounted twice has two instances.  A
 * plugin's own fuse_operations.init may return a replacement private_data
 * exactly as libfuse defines; .close() still receives what .open() gave.
 * .open() is also how the host learns whether the values of the options
 * are good: `fusehostd -t`, and a reload before it remounts a serving
 * mount with new options, call .open() and then .close() (in a child
 * process) without mounting anything, while the mount's current instance
 * may still be open.  So .open() checks every option and fails with
 * fusehost_set_error() on a bad one, does nothing that a .close() right
 * after does not undo, and takes nothing exclusively: what only one
 * instance may hold (a lock on a backing file, a port) is taken in
 * fuse_operations.init, which runs only once the mount is made.
 * A mount that serves sees .open(), init, its operations, destroy (given
 * what init returned) and .close(), in that order; an instance that is
 * never mounted (the checks above, a mount that cannot be made) sees
 * .open() and .close() alone; a mount that starts again (restarted,
 * remounted by a reload) gets a new instance each time.  .open() and
 * .close() answer no request: what fuse_get_context() returns there is
 * no context of theirs (it may be NULL, or not a context at all), so
 * they use the handle and the instance they are given.  The check's
 * child process is a fork() of fusehostd made while other mounts serve,
 * so a lock that operations in other threads held at that moment stays
 * held in it for good: .open() does not wait for locks that operations
 * take (the check would give up after a few seconds).
 *
 * Errors.  Operations return 0 (or a byte count where libfuse says so) or a
 * negative errno, as libfuse defines.  A slot left NULL behaves as libfuse
 * defines for a NULL slot.  getattr is required.  A plugin that leaves NULL
 * every slot that changes something (write, write_buf, create, mknod,
 * mkdir, unlink, rmdir, symlink, rename, link, chmod, chown, truncate,
 * utimens, setxattr, removexattr, fallocate, copy_file_range, and ioctl,
 * which may change anything) is mounted read-only, whatever the mount's
 * options say: the kernel answers each change with EROFS.
 *
 * Compatibility.  Fields of struct fusehost_plugin are only ever appended.
 * The host copies min(its size, the plugin's size) into a zeroed struct, so a
 * plugin built against an older header loads in a newer host.  A plugin
 * built against a newer header loads in an older host as long as it leaves
 * zero every field that host does not know, and every operation past the
 * end of that host's libfuse operations table; one that sets any is
 * refused, since it would run without what it asked for.  A plugin whose
 * ABI major differs from the host's is refused.
 */
#ifndef FUSEHOST_PLUGIN_H
#define FUSEHOST_PLUGIN_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314
#endif

#include <fuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The major changes only when old plugins can no longer work; the minor
 * grows when fields are appended. */
#define FUSEHOST_ABI_MAJOR 1
#define FUSEHOST_ABI_MINOR 0

/* The one symbol a plugin exports. */
#define FUSEHOST_PLUGIN_SYMBOL "fusehost_plugin_register"

/* May the host call the plugin's operations from several threads at once? */
enum fusehost_thread_model {
	/* One operation at a time across every mount of this plugin (the
	 * default, and always safe), open, close, init and destroy
	 * included.  An operation that waits for another one (a lock
	 * request that waits for an unlock) waits for good. */
	FUSEHOST_THREAD_MODEL_SERIALIZE = 0,
	/* Operations run in parallel from the mount's worker threads. */
	FUSEHOST_THREAD_MODEL_PARALLEL = 1,
};

/* One plugin option, as it appears as a key in a [mount NAME] group.  A
 * plugin that breaks these rules (a name with other characters, a
 * required option with a default) is refused when it is loaded. */
struct fusehost_option {
	const char *name;          /* key name: [a-z0-9-]+ */
	const char *help;          /* one line shown by fusehostd --plugin-info */
	const char *default_value; /* NULL: no default */
	bool required;             /* the mount must set it; no default */
};

/* Opaque handle of one mount, given to .open() and to the host API below.
 * Valid from .open() until .close() returns. */
struct fusehost_mount;

struct fusehost_plugin {
	/* Host-owned header, filled in by FUSEHOST_REGISTER_PLUGIN(). */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size;     /* sizeof(struct fusehost_plugin) in the plugin */
	uint32_t operations_size; /* sizeof(struct fuse_operations) in the plugin */

	/* Set by the plugin. */
	enum fusehost_thread_model thread_model;
	const char *name;        /* [A-Za-z0-9._-]+ */
	const char *version;
	const char *description; /* one line */

	/* Options the plugin accepts, ended by an entry whose name is NULL.
	 * NULL: the plugin takes no options. */
	const struct fusehost_option *options;

	/* Make the instance of one mount.  Return 0 and set *instance, or a
	 * negative errno after saying why with fusehost_set_error().  NULL:
	 * the instance is NULL. */
	int (*open)(struct fusehost_mount *mount, void **instance);

	/* Free the instance; called after the mount is gone and every
	 * operation has returned.  A mount that stops while an operation
	 * does not return, even once its FUSE connection is aborted, is
	 * given up: its instance is closed only if that operation returns
	 * later, and with isolation = process (whose process is killed)
	 * never.  Once no mount uses the plugin any more (a reload removed
	 * them) the host dlclose()s it: a thread the plugin started must
	 * have ended by the time its last instance is closed. */
	void (*close)(void *instance);

	/* The filesystem: libfuse's high-level operations. */
	const struct fuse_operations *operations;
};

/* The host looks the symbol up by its C name, which a C++ compiler would
 * otherwise mangle. */
#ifdef __cplusplus
#define FUSEHOST_C_LINKAGE extern "C"
#else
#define FUSEHOST_C_LINKAGE
#endif

/* Export the descriptor.  Use once, at file scope, with the name of a
 * non-const struct fusehost_plugin variable, and no semicolon after it
 * (it ends in a function body; -Wpedantic warns of an empty
 * declaration). */
#define FUSEHOST_REGISTER_PLUGIN(descriptor)                                  \
	FUSEHOST_C_LINKAGE __attribute__((visibility("default")))              \
	struct fusehost_plugin *fusehost_plugin_register(void);                 \
	struct fusehost_plugin *fusehost_plugin_register(void)                  \
	{                                                                      \
		(descriptor).abi_major = FUSEHOST_ABI_MAJOR;                   \
		(descriptor).abi_minor = FUSEHOST_ABI_MINOR;                   \
		(descriptor).struct_size = sizeof(struct fusehost_plugin);     \
		(descriptor).operations_size = sizeof(struct fuse_operations); \
		return &(descriptor);                                          \
	}

/* ---- Host API: functions fusehostd provides to its plugins ------------- */

/* The mount's name, from its [mount NAME] group. */
const char *fusehost_mount_name(const struct fusehost_mount *mount);

/* An option's value as written in the config, or its declared default, or
 * NULL when neither exists.  The string lives as long as the mount. */
const char *fusehost_option_string(const struct fusehost_mount *mount,
				   const char *name);

/* Typed readers.  Each returns 0 and stores the value, -ENOENT when the
 * option is unset and has no default (*value untouched), or -EINVAL when the
 * value does not parse.  The host then says so, naming the mount, the
 * option and the value: in .open(), as the reason .open() fails (in place
 * of what fusehost_set_error() said, so once), else in an error it logs. */
int fusehost_option_bool(const struct fusehost_mount *mount, const char *name,
			 bool *value);  /* true/false, yes/no, on/off, 1/0 */
int fusehost_option_int(const struct fusehost_mount *mount, const char *name,
			int64_t *value);
int fusehost_option_size(const struct fusehost_mount *mount, const char *name,
			 uint64_t *value); /* bytes: 4096, 64K, 64M, 1G, 2T */

enum fusehost_log_level {
	FUSEHOST_LOG_ERROR = 0,
	FUSEHOST_LOG_WARNING = 1,
	FUSEHOST_LOG_INFO = 2,
	FUSEHOST_LOG_DEBUG = 3,
};

/* Log through the daemon's log, prefixed with the mount's name, if the
 * mount's log-level (or else the daemon's) lets the level through; with a
 * NULL mount, for code that serves no mount in particular, without a
 * name and by the daemon's log-level.  A level below FUSEHOST_LOG_ERROR
 * counts as that, one past FUSEHOST_LOG_DEBUG as that (these are not
 * syslog's LOG_* numbers). */
void fusehost_log(const struct fusehost_mount *mount,
		  enum fusehost_log_level level, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* From .open(): say why it fails.  The host logs the reason with the
 * mount's and the plugin's name when .open() returns an error.  Only
 * .open() reads it: called from anywhere else it has no effect (and it is
 * not safe from two threads at once; .open() runs on one). */
void fusehost_set_error(struct fusehost_mount *mount, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* FUSEHOST_PLUGIN_H */
