/* Fuzz target: the config loader and validator.  The input is one config
 * file; it is loaded, its mounts checked against a plugin's declared
 * options, and the effective config formatted. */
#define _GNU_SOURCE
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fusehost/plugin.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct fusehost_option declared[] = {
	{ .name = "size", .default_value = "64M" },
	{ .name = "root", .required = true },
	{ 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	int fd = memfd_create("fuzz.conf", 0);
	char path[64];
	struct config *config;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config = config_load(path, "/plugins", errors);
	/* The daemon uses a config only when it loaded without errors. */
	if (config && errors->len == 0) {
		const struct fusehost_option **per_mount =
			g_new0(const struct fusehost_option *,
			       config->mounts->len + 1);
		char *text;

		for (guint i = 0; i < config->mounts->len; i++) {
			struct mount_config *copy =
				mount_config_copy(config->mounts->pdata[i]);
			char *options = mount_config_fuse_options(copy);

			config_check_plugin_options(copy, declared, errors);
			mount_config_same_mount(copy,
						config->mounts->pdata[i]);
			per_mount[i] = declared;
			g_free(options);
			mount_config_free(copy);
		}
		text = config_format(config, per_mount);
		g_free(text);
		g_free(per_mount);
	}
	config_free(config);
out:
	if (fd >= 0)
		close(fd);
	g_ptr_array_unref(errors);
	return 0;
}
