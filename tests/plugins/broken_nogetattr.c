/* Test plugin: a descriptor whose operations lack the required getattr. */
#include <fusehost/plugin.h>

static const struct fuse_operations nogetattr_operations = { 0 };

static struct fusehost_plugin nogetattr_plugin = {
	.name = "broken_nogetattr",
	.operations = &nogetattr_operations,
};

FUSEHOST_REGISTER_PLUGIN(nogetattr_plugin)
