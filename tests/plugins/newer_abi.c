/* Test plugin: built against a later ABI 1.x header, whose descriptor and
 * operations table have grown by a field this host does not know.
 *   NEWER_ABI_FIELD      sets the new descriptor field;
 *   NEWER_ABI_OPERATION  sets the new operation;
 *   neither              leaves both zero, as a plugin using nothing new. */
#include <errno.h>
#include <stdint.h>

#include <fusehost/plugin.h>

static int newer_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	(void)path;
	(void)st;
	(void)fi;
	return -ENOSYS;
}

static int newer_operation(void)
{
	return 0;
}

/* What the later headers would declare. */
static struct {
	struct fuse_operations known;
	int (*later_operation)(void);
} newer_operations = {
	.known = { .getattr = newer_getattr },
#ifdef NEWER_ABI_OPERATION
	.later_operation = newer_operation,
#endif
};

static struct {
	struct fusehost_plugin known;
	uint64_t later_field;
} newer_plugin = {
	.known = { .operations = &newer_operations.known },
#ifdef NEWER_ABI_FIELD
	.later_field = 1,
#endif
};

__attribute__((visibility("default"))) struct fusehost_plugin *
fusehost_plugin_register(void);
struct fusehost_plugin *fusehost_plugin_register(void)
{
	(void)newer_operation;
	newer_plugin.known.name = "newer_abi";
	newer_plugin.known.abi_major = FUSEHOST_ABI_MAJOR;
	newer_plugin.known.abi_minor = FUSEHOST_ABI_MINOR + 1;
	newer_plugin.known.struct_size = sizeof(newer_plugin);
	newer_plugin.known.operations_size = sizeof(newer_operations);
	return &newer_plugin.known;
}
