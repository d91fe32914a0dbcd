/* The functions fusehostd exports to its plugins (see the public header):
 * option lookup with typed parsing, logging and reporting open() errors. */
#include "plugin_api.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "config.h"
#include "layer.h"
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
			  const char *bad_value)
{
	log_error(mount->config->name, "%s: [mount %s] %s", mount->config->file,
		  mount->config->name, bad_value);
}

/* In .open(), the plugin refuses the value as well, in words of its own
 * that cannot name it ("option size: not a size in bytes"): say it once,
 * as the reason .open() fails.  Elsewhere nothing else will say it. */
static void report_bad_value(const struct fusehost_mount *mount,
			     const char *name, const char *value,
			     const char *expected)
{
	/* The readers take a const handle, as the ABI has it; the handle
	 * is the host's own. */
	struct fusehost_mount *host_mount = (struct fusehost_mount *)mount;
	/* Else an administrator looks for the value in the config in vain. */
	const char *origin = mount_config_setting(mount->config, name)
				     ? config_comment_hint(value)
				     : " (the plugin's own default)";
	char *bad_value = g_strdup_printf("%s: '%s' is not %s%s", name, value,
					  expected, origin);

	if (!mount->opening) {
		log_bad_value(mount, bad_value);
		g_free(bad_value);
	} else if (mount->bad_value) {
		g_free(bad_value);
	} else {
		host_mount->bad_value = bad_value;
	}
}

int fusehost_option_bool(const struct fusehost_mount *mount, const char *name,
			 bool *value)
{
	const char *text = fusehost_option_string(mount, name);

	if (!text)
		return -ENOENT;
	if (parse_bool(text, value) < 0) {
		report_bad_value(mount, name, text,
				 "a boolean (" BOOLEAN_VALUES ")");
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
		report_bad_value(mount, name, text, "a whole number");
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
		report_bad_value(mount, name, text,
				 "a size in bytes (such as 4096, 64M or 1G)");
		return -EINVAL;
	}
	return 0;
}

int plugin_api_open(struct fusehost_mount *mount, void **instance)
{
	int (*open)(struct fusehost_mount *, void **) =
		mount->plugin->descriptor.open;
	int result;

	if (!open)
		return 0;
	/* A reason left from an earlier open is not this one's. */
	g_clear_pointer(&mount->open_error, g_free);
	mount->opening = true;
	result = open(mount, instance);
	mount->opening = false;
	if (mount->bad_value && result < 0) {
		g_free(mount->open_error);
		mount->open_error =
			g_strdup_printf("option %s", mount->bad_value);
	} else if (mount->bad_value) {
		log_bad_value(mount, mount->bad_value);
	}
	g_clear_pointer(&mount->bad_value, g_free);
	return result;
}

/* What the layer's own records about the mount go by, so that a plugin's
 * messages follow the same log-level. */
static int mount_log_level(const struct fusehost_mount *mount)
{
	if (mount->layer)
		return __atomic_load_n(&mount->layer->settings->log_level,
				       __ATOMIC_RELAXED);
	return __atomic_load_n(&mount->config->log_level, __ATOMIC_RELAXED);
}

/* A level outside the enum (a syslog LOG_* passed by mistake, say) counts
 * as the nearest one: the log indexes tables of four by it. */
static enum log_level plugin_log_level(enum fusehost_log_level level)
{
	if ((int)level < (int)FUSEHOST_LOG_ERROR)
		return LOG_LEVEL_ERROR;
	if ((int)level > (int)FUSEHOST_LOG_DEBUG)
		return LOG_LEVEL_DEBUG;
	return (enum log_level)level;
}

void fusehost_log(const struct fusehost_mount *mount,
		  enum fusehost_log_level level, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	if (mount)
		log_recordv(plugin_log_level(level),
			    &(struct log_fields){
				.mount = mount->config->name,
				.plugin = mount->plugin->descriptor.name,
				.duration_usec = -1,
				.mount_level = mount_log_level(mount) },
			    mount->plugin->path, 0, "fusehost_log", format,
			    args);
	else /* from code that serves no mount in particular */
		log_recordv(plugin_log_level(level),
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
