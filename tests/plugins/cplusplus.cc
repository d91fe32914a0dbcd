// Test plugin written in C++: the descriptor's symbol must keep C linkage
// for the host to find it.  An empty, read-only root directory.
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <fusehost/plugin.h>

static int cplusplus_getattr(const char *path, struct stat *st,
			     struct fuse_file_info *)
{
	if (std::strcmp(path, "/") != 0)
		return -ENOENT;
	std::memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	return 0;
}

static struct fuse_operations cplusplus_operations()
{
	struct fuse_operations operations = {};

	operations.getattr = cplusplus_getattr;
	return operations;
}

static const struct fuse_operations operations = cplusplus_operations();

static struct fusehost_plugin cplusplus_descriptor()
{
	struct fusehost_plugin plugin = {};

	plugin.name = "cplusplus";
	plugin.version = "1";
	plugin.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL;
	plugin.operations = &operations;
	return plugin;
}

static struct fusehost_plugin cplusplus_plugin = cplusplus_descriptor();

FUSEHOST_REGISTER_PLUGIN(cplusplus_plugin)
