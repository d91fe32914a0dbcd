/* The plugin loader; see plugin.h.
 *
 * dlopen() returns the same handle for a file loaded twice, so every mount
 * of one file shares one library; a small registry keyed by that handle
 * holds the lock that serializes plugins which are not thread-safe, and
 * what the file was when it was loaded. */
#define _GNU_SOURCE
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "options.h"
#include "trust.h"

/* The smallest descriptor ABI 1.0 defines: up to the operations pointer. */
#define DESCRIPTOR_MIN_SIZE                                                    \
	(offsetof(struct fusehost_plugin, operations) +                        \
	 sizeof(((struct fusehost_plugin *)0)->operations))
#define OPERATIONS_MIN_SIZE                                                    \
	(offsetof(struct fuse_operations, getattr) +                           \
	 sizeof(((struct fuse_operations *)0)->getattr))

typedef struct fusehost_plugin *(*register_function)(void);

struct library {
	void *handle;
	unsigned users;
	pthread_mutex_t serialize_lock;
	struct stat loaded; /* the file when it was first loaded */
};

static pthread_mutex_t libraries_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *libraries;

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* `file`: the plugin file as it is now.  A file replaced since the
 * library was loaded is not loaded again (dlopen() goes by the path), so
 * say which code runs. */
static struct library *library_acquire(void *handle, const char *path,
					const struct stat *file)
{
	struct library *library = NULL;

	pthread_mutex_lock(&libraries_lock);
	if (!libraries)
		libraries = g_ptr_array_new();
	for (guint i = 0; i < libraries->len && !library; i++) {
		struct library *candidate = libraries->pdata[i];

		if (candidate->handle == handle)
			library = candidate;
	}
	if (!library) {
		library = g_new0(struct library, 1);
		library->handle = handle;
		library->loaded = *file;
		pthread_mutex_init(&library->serialize_lock, NULL);
		g_ptr_array_add(libraries, library);
	} else if (!same_file(&library->loaded, file)) {
		log_warning(NULL, "plugin file %s has changed since it was "
				  "loaded: its mounts run the code loaded "
				  "first until none of them is left (restart "
				  "fusehostd to load the new file)",
			    path);
	}
	library->users++;
	pthread_mutex_unlock(&libraries_lock);
	return library;
}

static void library_release(void *handle)
{
	pthread_mutex_lock(&libraries_lock);
	for (guint i = 0; libraries && i < libraries->len; i++) {
		struct library *library = libraries->pdata[i];

		if (library->handle != handle)
			continue;
		if (--library->users == 0) {
			pthread_mutex_destroy(&library->serialize_lock);
			g_ptr_array_remove_index_fast(libraries, i);
			g_free(library);
		}
		break;
	}
	if (libraries && libraries->len == 0)
		g_clear_pointer(&libraries, g_ptr_array_unref);
	pthread_mutex_unlock(&libraries_lock);
}

char *plugin_resolve_path(const char *spec, const char *plugin_dir,
			  char **error)
{
	if (g_path_is_absolute(spec))
		return g_strdup(spec);
	if (!is_valid_name(spec)) {
		*error = g_strdup_printf(
			"invalid plugin name '%s': use a name ([A-Za-z0-9._-]+) "
			"or an absolute path to a .so file",
			spec);
		return NULL;
	}
	return g_strdup_printf("%s/%s.so", plugin_dir, spec);
}

/* As the header promises: what a config key looks like. */
static bool is_valid_option_name(const char *name)
{
	if (!*name)
		return false;
	for (const char *c = name; *c; c++)
		if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-')
			return false;
	return true;
}

static char *check_options(const struct fusehost_option *options)
{
	for (const struct fusehost_option *option = options;
	     option && option->name; option++) {
		if (!is_valid_option_name(option->name))
			return g_strdup_printf("declares an invalid option "
					       "name '%s' (option names are "
					       "[a-z0-9-]+)",
					       option->name);
		/* One of the two would be ignored without a word. */
		if (option->required && option->default_value)
			return g_strdup_printf("declares option '%s' both "
					       "required and with a default",
					       option->name);
		if (config_is_mount_host_key(option->name))
			return g_strdup_printf("declares option '%s', which is "
					       "a key of fusehostd itself",
					       option->name);
		for (const struct fusehost_option *earlier = options;
		     earlier != option; earlier++) {
			if (strcmp(earlier->name, option->name) == 0)
				return g_strdup_printf(
					"declares option '%s' twice",
					option->name);
		}
	}
	return NULL;
}

/* Whether the `size` bytes at `start` past `known` are all zero: what a
 * plugin built against later headers sets in fields appended since, the
 * way the kernel takes a struct larger than it knows (openat2, clone3). */
static bool zero_beyond(const void *start, size_t known, size_t size)
{
	const unsigned char *bytes = start;

	for (size_t i = known; i < size; i++)
		if (bytes[i])
			return false;
	return true;
}

/* A later header's additions are ignored only when the plugin leaves them
 * zero: one it sets, this host would not honour, and the plugin would run
 * without what it asked for. */
static char *check_later_additions(const struct fusehost_plugin *theirs)
{
	if (!zero_beyond(theirs, sizeof(struct fusehost_plugin),
			 theirs->struct_size))
		return g_strdup_printf(
		    "is built for plugin ABI %u.%u and sets descriptor fields "
		    "this fusehostd (ABI %d.%d) does not know; it needs a "
		    "later fusehostd",
		    theirs->abi_major, theirs->abi_minor, FUSEHOST_ABI_MAJOR,
		    FUSEHOST_ABI_MINOR);
	if (!zero_beyond(theirs->operations, sizeof(struct fuse_operations),
			 theirs->operations_size))
		return g_strdup_printf(
		    "sets operations past the %zu bytes of libfuse %s's "
		    "table (its table has %u), which this fusehostd cannot "
		    "call; it needs a fusehostd built with a later libfuse",
		    sizeof(struct fuse_operations), fuse_pkgversion(),
		    theirs->operations_size);
	return NULL;
}

/* Copy the plugin's descriptor into the host's and check it. */
static char *adopt_descriptor(struct plugin *plugin,
			      const struct fusehost_plugin *theirs)
{
	char *problem;

	if (theirs->abi_major != FUSEHOST_ABI_MAJOR)
		return g_strdup_printf("is built for plugin ABI %u.%u; this "
				       "fusehostd supports ABI %d.x",
				       theirs->abi_major, theirs->abi_minor,
				       FUSEHOST_ABI_MAJOR);
	if (theirs->struct_size < DESCRIPTOR_MIN_SIZE)
		return g_strdup_printf("has a %u-byte descriptor, smaller than "
				       "the %zu bytes of ABI %d.0",
				       theirs->struct_size, DESCRIPTOR_MIN_SIZE,
				       FUSEHOST_ABI_MAJOR);
	memcpy(&plugin->descriptor, theirs,
	       MIN(theirs->struct_size, sizeof(plugin->descriptor)));

	if (!plugin->descriptor.name || !is_valid_name(plugin->descriptor.name))
		return g_strdup("has no valid name in its descriptor");
	if (plugin->descriptor.thread_model != FUSEHOST_THREAD_MODEL_SERIALIZE &&
	    plugin->descriptor.thread_model != FUSEHOST_THREAD_MODEL_PARALLEL)
		return g_strdup_printf("declares unknown thread model %d",
				       (int)plugin->descriptor.thread_model);
	if (!plugin->descriptor.operations)
		return g_strdup("has no operations table");
	if (theirs->operations_size < OPERATIONS_MIN_SIZE)
		return g_strdup_printf("has a %u-byte operations table, too "
				       "small to hold getattr",
				       theirs->operations_size);
	problem = check_later_additions(theirs);
	if (problem)
		return problem;
	memcpy(&plugin->operations, plugin->descriptor.operations,
	       MIN(theirs->operations_size, sizeof(plugin->operations)));
	/* Point at the host copy from now on. */
	plugin->descriptor.operations = &plugin->operations;
	if (!plugin->operations.getattr)
		return g_strdup("has no getattr operation, which is required");
	problem = check_options(plugin->descriptor.options);
	return problem;
}

struct plugin *plugin_load(const char *spec, const char *plugin_dir,
			   bool check_trust, char **error)
{
	struct plugin *plugin;
	register_function registration;
	struct fusehost_plugin *theirs;
	struct library *library;
	struct stat file;
	char *path;
	char *problem;

	path = plugin_resolve_path(spec, plugin_dir, error);
	if (!path)
		return NULL;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		*error = g_strdup_printf("plugin file %s does not exist", path);
		g_free(path);
		return NULL;
	}

	if (check_trust) {
		char *problem = trust_check(path);

		if (problem) {
			*error = g_strdup_printf(
				"refusing plugin %s, which others could "
				"change: %s (or set [daemon] insecure-plugins "
				"= true)",
				path, problem);
			g_free(problem);
			g_free(path);
			return NULL;
		}
	}

	if (stat(path, &file) != 0) {
		*error = g_strdup_printf("cannot read plugin file %s: %s", path,
					 strerror(errno));
		g_free(path);
		return NULL;
	}
	plugin = g_new0(struct plugin, 1);
	plugin->path = path;
	plugin->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!plugin->handle) {
		*error = g_strdup_printf("cannot load plugin %s: %s", path,
					 dlerror());
		goto fail;
	}
	*(void **)&registration = dlsym(plugin->handle, FUSEHOST_PLUGIN_SYMBOL);
	if (!registration) {
		*error = g_strdup_printf("%s is not a fusehost plugin: it does "
					 "not export %s()",
					 path, FUSEHOST_PLUGIN_SYMBOL);
		goto fail;
	}
	theirs = registration();
	if (!theirs) {
		*error = g_strdup_printf("plugin %s: %s() returned NULL", path,
					 FUSEHOST_PLUGIN_SYMBOL);
		goto fail;
	}
	problem = adopt_descriptor(plugin, theirs);
	if (problem) {
		*error = g_strdup_printf("plugin %s %s", path, problem);
		g_free(problem);
		goto fail;
	}
	library = library_acquire(plugin->handle, path, &file);
	if (plugin->descriptor.thread_model == FUSEHOST_THREAD_MODEL_SERIALIZE)
		plugin->serialize_lock = &library->serialize_lock;
	return plugin;

fail:
	if (plugin->handle)
		dlclose(plugin->handle);
	g_free(plugin->path);
	g_free(plugin);
	return NULL;
}

void plugin_unload(struct plugin *plugin)
{
	if (!plugin)
		return;
	library_release(plugin->handle);
	dlclose(plugin->handle);
	g_free(plugin->path);
	g_free(plugin);
}

bool plugin_is_read_only(const struct plugin *plugin)
{
	const struct fuse_operations *ops = &plugin->operations;

	return !ops->mknod && !ops->mkdir && !ops->unlink && !ops->rmdir &&
	       !ops->symlink && !ops->rename && !ops->link && !ops->chmod &&
	       !ops->chown && !ops->truncate && !ops->write &&
	       !ops->write_buf && !ops->create && !ops->utimens &&
	       !ops->setxattr && !ops->removexattr && !ops->fallocate &&
	       !ops->copy_file_range && !ops->ioctl;
}

static const char *thread_model_name(enum fusehost_thread_model model)
{
	return model == FUSEHOST_THREAD_MODEL_PARALLEL
		       ? "parallel (operations run concurrently)"
		       : "serialize (one operation at a time)";
}

char *plugin_describe(const struct plugin *plugin)
{
	const struct fusehost_plugin *d = &plugin->descriptor;
	GString *out = g_string_new("");

	g_string_append_printf(out, "name:         %s\n", d->name);
	g_string_append_printf(out, "version:      %s\n",
			       d->version ? d->version : "(none)");
	g_string_append_printf(out, "description:  %s\n",
			       d->description ? d->description : "(none)");
	g_string_append_printf(out, "file:         %s\n", plugin->path);
	g_string_append_printf(out, "ABI:          %u.%u\n", d->abi_major,
			       d->abi_minor);
	g_string_append_printf(out, "thread model: %s\n",
			       thread_model_name(d->thread_model));
	g_string_append(out, "options:\n");
	if (!d->options || !d->options->name)
		g_string_append(out, "  (none)\n");
	for (const struct fusehost_option *option = d->options;
	     option && option->name; option++) {
		g_string_append_printf(out, "  %s\n", option->name);
		g_string_append_printf(out, "      %s\n",
				       option->help ? option->help : "");
		if (option->required)
			g_string_append(out, "      required\n");
		else if (option->default_value)
			g_string_append_printf(out, "      default: %s\n",
					       option->default_value);
		else
			g_string_append(out, "      default: none\n");
	}
	return g_string_free(out, FALSE);
}
