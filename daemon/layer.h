/* The observation layer between libfuse and a plugin.
 *
 * libfuse calls the layer's operations; each one calls the plugin's through
 * libfuse's stacking API (fuse_fs_*), which sets
 * fuse_get_context()->private_data to the plugin's instance on the way.
 * Around the call it reads the clock twice and updates the calling
 * thread's counters (count, errors by errno, latency histogram, bytes,
 * what is running since when); it turns results a plugin may not return
 * into EIO; it logs slow operations, and every operation when the mount is
 * traced.
 *
 * A slot the plugin leaves NULL stays NULL here too: libfuse negotiates
 * kernel capabilities (splice, locks) from which slots are set. */
#ifndef FUSEHOST_LAYER_H
#define FUSEHOST_LAYER_H

#include <pthread.h>
#include <stdbool.h>

#include <fusehost/plugin.h>

#include "stats.h"

/* What an administrator may change while the mount serves; read with
 * relaxed loads.  With isolation = process it lives in memory shared with
 * the child that serves the mount. */
struct layer_settings {
	int log_level; /* the mount's own, or -1 */
	bool trace;
	uint64_t slow_op_ns; /* 0: never */
};

struct layer {
	const struct fuse_operations *plugin_operations;
	void *instance;                  /* what the plugin's open() made */
	pthread_mutex_t *serialize_lock; /* NULL: plugin is thread-safe */
	const char *mount_name;
	const char *plugin_name;
	struct layer_settings *settings; /* &own_settings unless shared */
	struct layer_settings own_settings;
	/* Created when libfuse initializes the mount, freed (with the
	 * plugin's own destroy) when libfuse tears it down; NULL before and
	 * after, including for a mount that never got INIT. */
	struct fuse_fs *plugin_fs;

	struct mount_stats stats;

	/* A plugin's bad result is logged once per operation. */
	bool misbehaviour_logged[OP_COUNT];
};

void layer_init_state(struct layer *layer);
void layer_destroy_state(struct layer *layer);

void layer_set_log_level(struct layer *layer, int log_level);
void layer_set_trace(struct layer *layer, bool trace);
bool layer_get_trace(const struct layer *layer);
void layer_set_slow_op_ms(struct layer *layer, int64_t slow_op_ms);

/* Whether the plugin's operations have the slot an operation calls. */
bool layer_plugin_implements(const struct fuse_operations *operations,
			     enum op op);

/* Fill `operations` with the layer's slots for the plugin's non-NULL ones.
 * The struct fuse is then made with a struct layer as its user data. */
void layer_build_operations(const struct fuse_operations *plugin_operations,
			    struct fuse_operations *operations);

#endif
