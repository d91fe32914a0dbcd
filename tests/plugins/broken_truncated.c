/* Test plugin: claims a descriptor too small to hold the ABI 1.0 fields. */
#include <fusehost/plugin.h>

static struct fusehost_plugin truncated_plugin = {
	.name = "broken_truncated",
};

__attribute__((visibility("default"))) struct fusehost_plugin *
fusehost_plugin_register(void);
struct fusehost_plugin *fusehost_plugin_register(void)
{
	truncated_plugin.abi_major = FUSEHOST_ABI_MAJOR;
	truncated_plugin.struct_size = 16;
	return &truncated_plugin;
}
