/* The host side of the plugin API: what struct fusehost_mount holds.
 *
 * The functions a plugin calls (fusehost_option_*, fusehost_log, ...) are
 * declared in the public header and exported from the fusehostd binary. */
#ifndef FUSEHOST_PLUGIN_API_H
#define FUSEHOST_PLUGIN_API_H

#include <stdbool.h>

#include <fusehost/plugin.h>

struct layer;
struct mount_config;
struct plugin;

struct fusehost_mount {
	const struct mount_config *config;
	const struct plugin *plugin;
	/* The layer of the mount being served, whose settings hold the
	 * mount's log level as it is now (a reload changes it, and with
	 * isolation = process only the shared settings are told); NULL when
	 * no mount is served (an instance check), where the config's
	 * level stands. */
	const struct layer *layer;
	char *open_error; /* why .open() failed, or NULL; g_free */
	bool opening; /* .open() is running */
	/* The first value a typed reader could not parse while .open() ran
	 * ("size: '12Q' is not ..."), kept rather than logged: it is the
	 * reason .open() fails, to be said once.  g_free. */
	char *bad_value;
};

/* Call the plugin's .open() for this mount, or return 0 if it has none.
 * When it fails, mount->open_error says why if anyone said: the first
 * bad value a typed reader met, else what fusehost_set_error() was
 * given.  A bad value that .open() went on without is logged. */
int plugin_api_open(struct fusehost_mount *mount, void **instance);

#endif
