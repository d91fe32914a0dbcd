/* The host side of the plugin API: what struct fusehost_mount holds.
 *
 * The functions a plugin calls (fusehost_option_*, fusehost_log, ...) are
 * declared in the public header and exported from the fusehostd binary. */
#ifndef FUSEHOST_PLUGIN_API_H
#define FUSEHOST_PLUGIN_API_H

#include <fusehost/plugin.h>

struct mount_config;
struct plugin;

struct fusehost_mount {
	const struct mount_config *config;
	const struct plugin *plugin;
	char *open_error; /* set by fusehost_set_error(), g_free */
};

#endif
