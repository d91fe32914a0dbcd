/* Test plugin: open() always fails and says why; has a required option.
 * With `store = positive` it breaks the rules instead: it returns 5, which
 * is neither success nor an errno, and leaves no instance. */
#include <errno.h>
#include <string.h>

#include <fusehost/plugin.h>

static int failopen_getattr(const char *path, struct stat *st,
			    struct fuse_file_info *fi)
{
	(void)path;
	(void)st;
	(void)fi;
	return -ENOENT;
}

static int failopen_open(struct fusehost_mount *mount, void **instance)
{
	(void)instance;
	if (strcmp(fusehost_option_string(mount, "store"), "positive") == 0)
		return 5;
	fusehost_set_error(mount, "backing store '%s' is unreachable",
			   fusehost_option_string(mount, "store"));
	return -EHOSTUNREACH;
}

static const struct fuse_operations failopen_operations = {
	.getattr = failopen_getattr,
};

static const struct fusehost_option failopen_options[] = {
	{ .name = "store", .help = "where the data lives", .required = true },
	{ 0 },
};

static struct fusehost_plugin failopen_plugin = {
	.name = "failopen",
	.version = "1",
	.options = failopen_options,
	.open = failopen_open,
	.operations = &failopen_operations,
};

FUSEHOST_REGISTER_PLUGIN(failopen_plugin)
