/* Test plugin: a descriptor whose options break the rules; built twice.
 * With BROKEN_OPTION_NAME an option is named "Bad_Name" (names are
 * [a-z0-9-]+); otherwise an option is both required and has a default. */
#include <errno.h>
#include <string.h>

#include <fusehost/plugin.h>

static int broken_options_getattr(const char *path, struct stat *st,
				  struct fuse_file_info *fi)
{
	(void)fi;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	return 0;
}

static const struct fuse_operations broken_options_operations = {
	.getattr = broken_options_getattr,
};

static const struct fusehost_option broken_options_options[] = {
#ifdef BROKEN_OPTION_NAME
	{ .name = "Bad_Name", .help = "not a key" },
#else
	{ .name = "store", .help = "which one wins?", .required = true,
	  .default_value = "here" },
#endif
	{ 0 },
};

static struct fusehost_plugin broken_options_plugin = {
	.name = "broken_options",
	.version = "1",
	.options = broken_options_options,
	.operations = &broken_options_operations,
};

FUSEHOST_REGISTER_PLUGIN(broken_options_plugin)
