/* Test plugin: built for an ABI major this host does not know. */
#include <errno.h>

#include <fusehost/plugin.h>

static int broken_getattr(const char *path, struct stat *st,
			  struct fuse_file_info *fi)
{
	(void)path;
	(void)st;
	(void)fi;
	return -ENOSYS;
}

static const struct fuse_operations broken_operations = {
	.getattr = broken_getattr,
};

static struct fusehost_plugin broken_plugin = {
	.name = "broken_abi",
	.operations = &broken_operations,
};

__attribute__((visibility("default"))) struct fusehost_plugin *
fusehost_plugin_register(void);
struct fusehost_plugin *fusehost_plugin_register(void)
{
	broken_plugin.abi_major = FUSEHOST_ABI_MAJOR + 1;
	broken_plugin.struct_size = sizeof(broken_plugin);
	broken_plugin.operations_size = sizeof(struct fuse_operations);
	return &broken_plugin;
}
