/* The functions fusehostd exports to its plugins (see the public header):
 * option lookup with typed parsing, logging and reporting open() errors. */
#include "plugin_api.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "options.h"
#include "plugin.h"

const char *fusehost_mount_name(const struct fusehost_mount *mount)
{
	return mount->config->name;
}

const char *fusehost_option_string(const struct fusehost_mount *mount,
				   const char *name)
{
	const char *value = mount_config_setting(mount->config, name);

	if (value)
		return value;
	for (const struct fusehost_option *option =
		     mount->plugin->descriptor.options;
	     option && option->name; option++) {
		if (strcmp(option->name, name) == 0)
			return option->default_value;
	}
	return NULL;
}

static void log_bad_value(const struct fusehost_mount *mount,
			  const char *name, const char *value,
			  const char *expected)
{
	log_error(mount->config->name, "%s: [mount %s] %s: '%s' is not %s",
		  mount->config->file, mount->config->name, name, value,
		  expected);
}

int fusehost_option_bool(const struct fusehost_mount *mount, const char *name,
			 bool *value)
{
	const char *text = fusehost_option_string(mount, name);

	if (!text)
		return -ENOENT;
	if (parse_bool(text, value) < 0) {
		log_bad_value(mount, name, text, "a boolean (true or false)");
		return -EINVAL;
	}
	return 0;
}

int fusehost_option_int(const struct fusehost_mount *mount, const char *name,
			int64_t *value)
{
	const char *text = fusehost_option_string(mount, name);

	if (!text)
		return -ENOENT;
	if (parse_int64(text, value) < 0) {
		log_bad_value(mount, name, text, "a whole number");
		return -EINVAL;
	}
	return 0;
}

int fusehost_option_size(const struct fusehost_mount *mount, const char *name,
			 uint64_t *value)
{
	const char *text = fusehost_option_string(mount, name);

	if (!text)
		return -ENOENT;
	if (parse_size(text, value) < 0) {
		log_bad_value(mount, name, text,
			      "a size in bytes (such as 4096, 64M or 1G)");
		return -EINVAL;
	}
	return 0;
}

void fusehost_log(const struct fusehost_mount *mount,
		  enum fusehost_log_level level, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	if (mount)
		log_recordv((enum log_level)level,
			    &(struct log_fields){
				.mount = mount->config->name,
				.plugin = mount->plugin->descriptor.name,
				.duration_usec = -1,
				.mount_level = mount->config->log_level },
			    mount->plugin->path, 0, "fusehost_log", format,
			    args);
	else /* from code that serves no mount in particular */
		log_recordv((enum log_level)level,
			    &(struct log_fields){ .duration_usec = -1,
						  .mount_level = -1 },
			    "plugin", 0, "fusehost_log", format, args);
	va_end(args);
}

void fusehost_set_error(struct fusehost_mount *mount, const char *format, ...)
{
	va_list args;

	if (!mount)
		return;
	va_start(args, format);
	g_free(mount->open_error);
	mount->open_error = g_strdup_vprintf(format, args);
	va_end(args);
}
