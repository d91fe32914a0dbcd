/* hello: the smallest useful fusehost plugin.
 *
 * A read-only filesystem with two files:
 *   /hello   the text of the `greeting` option
 *   /whoami  the uid, gid and pid of the process reading it, taken from
 *            fuse_get_context(): every caller sees itself.
 * Read it as the example of how a plugin is put together. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusehost/plugin.h>

struct hello {
	char *greeting; /* the option's text plus a newline */
	size_t greeting_length;
};

static struct hello *hello_instance(void)
{
	return fuse_get_context()->private_data;
}

static int hello_open_instance(struct fusehost_mount *mount, void **instance)
{
	const char *greeting = fusehost_option_string(mount, "greeting");
	struct hello *hello = calloc(1, sizeof(*hello));

	if (!hello)
		return -ENOMEM;
	hello->greeting_length = strlen(greeting) + 1;
	hello->greeting = malloc(hello->greeting_length + 1);
	if (!hello->greeting) {
		free(hello);
		return -ENOMEM;
	}
	snprintf(hello->greeting, hello->greeting_length + 1, "%s\n", greeting);
	*instance = hello;
	return 0;
}

static void hello_close_instance(void *instance)
{
	struct hello *hello = instance;

	free(hello->greeting);
	free(hello);
}

static void *hello_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* Files never change behind the kernel's back except whoami, which is
	 * opened with direct_io. */
	cfg->kernel_cache = 1;
	return fuse_get_context()->private_data;
}

static int hello_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (strcmp(path, "/hello") == 0) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)hello_instance()->greeting_length;
	} else if (strcmp(path, "/whoami") == 0) {
		/* Its size depends on who asks; direct_io reads past 0. */
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int hello_readdir(const char *path, void *buffer,
			 fuse_fill_dir_t filler, off_t offset,
			 struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)offset;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/") != 0)
		return -ENOTDIR;
	filler(buffer, ".", NULL, 0, 0);
	filler(buffer, "..", NULL, 0, 0);
	filler(buffer, "hello", NULL, 0, 0);
	filler(buffer, "whoami", NULL, 0, 0);
	return 0;
}

static int hello_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/hello") != 0 && strcmp(path, "/whoami") != 0)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (strcmp(path, "/whoami") == 0)
		fi->direct_io = 1;
	return 0;
}

static int copy_out(const char *text, size_t length, char *buffer,
		    size_t size, off_t offset)
{
	if ((size_t)offset >= length)
		return 0;
	if (size > length - (size_t)offset)
		size = length - (size_t)offset;
	memcpy(buffer, text + offset, size);
	return (int)size;
}

static int hello_read(const char *path, char *buffer, size_t size,
		      off_t offset, struct fuse_file_info *fi)
{
	const struct fuse_context *caller = fuse_get_context();
	char whoami[128];
	int length;

	(void)fi;
	if (strcmp(path, "/hello") == 0)
		return copy_out(hello_instance()->greeting,
				hello_instance()->greeting_length, buffer, size,
				offset);
	length = snprintf(whoami, sizeof(whoami), "uid=%u gid=%u pid=%d\n",
			  (unsigned)caller->uid, (unsigned)caller->gid,
			  (int)caller->pid);
	return copy_out(whoami, (size_t)length, buffer, size, offset);
}

static const struct fuse_operations hello_operations = {
	.init = hello_init,
	.getattr = hello_getattr,
	.readdir = hello_readdir,
	.open = hello_open,
	.read = hello_read,
};

static const struct fusehost_option hello_options[] = {
	{ .name = "greeting",
	  .help = "the text of /hello",
	  .default_value = "Hello, world!" },
	{ 0 },
};

static struct fusehost_plugin hello_plugin = {
	.name = "hello",
	.version = "1.0",
	.description = "read-only files: a greeting, and who is asking",
	.thread_model = FUSEHOST_THREAD_MODEL_PARALLEL,
	.options = hello_options,
	.open = hello_open_instance,
	.close = hello_close_instance,
	.operations = &hello_operations,
};

FUSEHOST_REGISTER_PLUGIN(hello_plugin)
