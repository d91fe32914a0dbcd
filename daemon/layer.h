/* The layer between libfuse and a plugin.
 *
 * libfuse calls the layer's operations; each one calls the plugin's through
 * libfuse's stacking API (fuse_fs_*), which sets
 * fuse_get_context()->private_data to the plugin's instance on the way.  A
 * slot the plugin leaves NULL stays NULL here too: libfuse negotiates kernel
 * capabilities (splice, locks) from which slots are set. */
#ifndef FUSEHOST_LAYER_H
#define FUSEHOST_LAYER_H

#include <pthread.h>

#include <fusehost/plugin.h>

struct layer {
	const struct fuse_operations *plugin_operations;
	void *instance;                  /* what the plugin's open() made */
	pthread_mutex_t *serialize_lock; /* NULL: plugin is thread-safe */
	const char *mount_name;
	/* Created when libfuse initializes the mount, freed (with the
	 * plugin's own destroy) when libfuse tears it down; NULL before and
	 * after, including for a mount that never got INIT. */
	struct fuse_fs *plugin_fs;
};

/* Fill `operations` with the layer's slots for the plugin's non-NULL ones.
 * The struct fuse is then made with a struct layer as its user data. */
void layer_build_operations(const struct fuse_operations *plugin_operations,
			    struct fuse_operations *operations);

#endif
