/* twin: a fusehost plugin run as an ordinary libfuse program, with no host
 * and no observation layer: the yardstick for what fusehostd itself costs.
 *
 *   twin PLUGIN.so MOUNTPOINT [KEY=VALUE...] [-- FUSE_ARGUMENTS...]
 *
 * It dlopen()s the plugin, takes the plugin options from KEY=VALUE (the
 * plugin's declared defaults fill in the rest), calls the descriptor's
 * open() to make the instance and hands that instance to fuse_main() as
 * private_data, with the plugin's own fuse_operations.  fuse_main() runs
 * with "-f" (foreground) and in its default multithreaded mode
 * (fuse_loop_mt, at most 10 worker threads, as fusehostd's `threads`
 * default), so that it matches what fusehostd does for one mount.  The
 * FUSE arguments after "--" are passed on (e.g. -o default_permissions);
 * unless they name one, the mount gets fsname=fusehost:NAME and
 * subtype=PLUGIN like a fusehostd mount, where NAME is the `name` key
 * (default "twin").
 *
 * The host API (fusehost_option_*, fusehost_log, fusehost_set_error,
 * fusehost_mount_name) is implemented here in a few lines and exported to
 * the plugin (link with -Wl,--export-dynamic-symbol='fusehost_*').
 * SIGTERM or SIGINT unmounts and exits, as fuse_main() does. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fusehost/plugin.h>

#define TWIN_MAX_SETTINGS 64

struct fusehost_mount {
	const char *name;
	const struct fusehost_plugin *plugin;
	const char *keys[TWIN_MAX_SETTINGS];
	const char *values[TWIN_MAX_SETTINGS];
	size_t count;
	char *error;
};

const char *fusehost_mount_name(const struct fusehost_mount *mount)
{
	return mount->name;
}

const char *fusehost_option_string(const struct fusehost_mount *mount,
				   const char *name)
{
	for (size_t i = 0; i < mount->count; i++)
		if (strcmp(mount->keys[i], name) == 0)
			return mount->values[i];
	for (const struct fusehost_option *option = mount->plugin->options;
	     option && option->name; option++)
		if (strcmp(option->name, name) == 0)
			return option->default_value;
	return NULL;
}

static void bad_value(const struct fusehost_mount *mount, const char *name,
		      const char *value, const char *expected)
{
	fprintf(stderr, "twin: %s: option %s: '%s' is not %s\n", mount->name,
		name, value, expected);
}

int fusehost_option_bool(const struct fusehost_mount *mount, const char *name,
			 bool *value)
{
	static const char *const truths[] = { "true", "yes", "on", "1" };
	static const char *const falsehoods[] = { "false", "no", "off", "0" };
	const char *text = fusehost_option_string(mount, name);

	if (!text)
		return -ENOENT;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, falsehoods[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	bad_value(mount, name, text, "a boolean");
	return -EINVAL;
}

int fusehost_option_int(const struct fusehost_mount *mount, const char *name,
			int64_t *value)
{
	const char *text = fusehost_option_string(mount, name);
	char *end;
	long long parsed;

	if (!text)
		return -ENOENT;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (!*text || isspace((unsigned char)*text) || errno || *end) {
		bad_value(mount, name, text, "a whole number");
		return -EINVAL;
	}
	*value = parsed;
	return 0;
}

int fusehost_option_size(const struct fusehost_mount *mount, const char *name,
			 uint64_t *value)
{
	const char *text = fusehost_option_string(mount, name);
	const char *units = "KMGTP", *unit;
	unsigned long long number;
	unsigned shift = 0;
	char *end;

	if (!text)
		return -ENOENT;
	errno = 0;
	number = isdigit((unsigned char)*text) ? strtoull(text, &end, 10) : 0;
	if (!isdigit((unsigned char)*text) || errno)
		goto bad;
	if (*end) {
		unit = strchr(units, toupper((unsigned char)*end));
		if (!unit)
			goto bad;
		end++;
		if (*end && strcasecmp(end, "iB") != 0 &&
		    strcasecmp(end, "B") != 0)
			goto bad;
		shift = 10 * (unsigned)(unit - units + 1);
		if (number > (UINT64_MAX >> shift))
			goto bad;
	}
	*value = (uint64_t)number << shift;
	return 0;
bad:
	bad_value(mount, name, text, "a size in bytes");
	return -EINVAL;
}

void fusehost_log(const struct fusehost_mount *mount,
		  enum fusehost_log_level level, const char *format, ...)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	va_list args;

	if (level > FUSEHOST_LOG_WARNING)
		return;
	fprintf(stderr, "%s: %s: ", names[level], mount->name);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
}

void fusehost_set_error(struct fusehost_mount *mount, const char *format, ...)
{
	va_list args;

	free(mount->error);
	mount->error = NULL;
	va_start(args, format);
	if (vasprintf(&mount->error, format, args) < 0)
		mount->error = NULL;
	va_end(args);
}

/* libfuse 3.14's fuse_main() hands fuse_loop_mt its default idle-thread
 * limit (unlimited) through a setter that complains about that very value;
 * the limit stays the default, as in fusehostd, so the complaint is noise. */
static void twin_fuse_log(enum fuse_log_level level, const char *format,
			  va_list args)
{
	(void)level;
	if (strstr(format, "Ignoring invalid max threads value"))
		return;
	vfprintf(stderr, format, args);
}

static int usage(void)
{
	fprintf(stderr, "usage: twin PLUGIN.so MOUNTPOINT [KEY=VALUE...] "
			"[-- FUSE_ARGUMENTS...]\n");
	return 2;
}

static bool has_fuse_option(int argc, char **argv, const char *name)
{
	size_t length = strlen(name);

	for (int i = 0; i < argc; i++)
		for (const char *o = strstr(argv[i], name); o;
		     o = strstr(o + 1, name))
			if ((o == argv[i] || o[-1] == ',') &&
			    (o[length] == '=' || o[length] == ',' ||
			     !o[length]))
				return true;
	return false;
}

int main(int argc, char **argv)
{
	struct fusehost_plugin *(*reg)(void);
	struct fusehost_mount mount = { .name = "twin" };
	struct fusehost_plugin *plugin;
	char *fuse_argv[64];
	int fuse_argc = 0, first_fuse = argc, result;
	char *fsname = NULL, *subtype = NULL;
	struct fusehost_plugin descriptor;
	void *handle, *instance = NULL;

	if (argc < 3)
		return usage();
	for (int i = 3; i < argc; i++) {
		char *equals = strchr(argv[i], '=');

		if (strcmp(argv[i], "--") == 0) {
			first_fuse = i + 1;
			break;
		}
		if (!equals || mount.count == TWIN_MAX_SETTINGS)
			return usage();
		*equals = '\0';
		if (strcmp(argv[i], "name") == 0) {
			mount.name = equals + 1;
			continue;
		}
		mount.keys[mount.count] = argv[i];
		mount.values[mount.count++] = equals + 1;
	}
	if (argc - first_fuse > 54)
		return usage();

	handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "twin: %s\n", dlerror());
		return 1;
	}
	reg = (struct fusehost_plugin * (*)(void))
		dlsym(handle, FUSEHOST_PLUGIN_SYMBOL);
	if (!reg) {
		fprintf(stderr, "twin: %s: not a fusehost plugin\n", argv[1]);
		return 1;
	}
	plugin = reg();
	if (plugin->abi_major != FUSEHOST_ABI_MAJOR) {
		fprintf(stderr, "twin: %s: plugin ABI %u.%u, not %d.x\n",
			argv[1], plugin->abi_major, plugin->abi_minor,
			FUSEHOST_ABI_MAJOR);
		return 1;
	}
	/* As the host does: fields are only appended, so an older plugin's
	 * shorter descriptor is read into a zeroed one of today's size. */
	memset(&descriptor, 0, sizeof(descriptor));
	memcpy(&descriptor, plugin,
	       plugin->struct_size < sizeof(descriptor) ? plugin->struct_size
							: sizeof(descriptor));
	plugin = &descriptor;
	if (!plugin->operations || !plugin->name) {
		fprintf(stderr, "twin: %s: descriptor without operations or "
				"name\n",
			argv[1]);
		return 1;
	}
	mount.plugin = plugin;
	for (size_t i = 0; i < mount.count; i++) {
		const struct fusehost_option *o = plugin->options;

		while (o && o->name && strcmp(o->name, mount.keys[i]) != 0)
			o++;
		if (!o || !o->name) {
			fprintf(stderr, "twin: %s has no option %s\n",
				plugin->name, mount.keys[i]);
			return 2;
		}
	}
	for (const struct fusehost_option *o = plugin->options; o && o->name;
	     o++)
		if (o->required && !fusehost_option_string(&mount, o->name)) {
			fprintf(stderr, "twin: option %s is required\n",
				o->name);
			return 2;
		}

	if (plugin->open) {
		result = plugin->open(&mount, &instance);
		if (result < 0) {
			fprintf(stderr, "twin: %s failed to open: %s\n",
				plugin->name,
				mount.error ? mount.error : strerror(-result));
			return 1;
		}
	}

	fuse_argv[fuse_argc++] = "twin";
	fuse_argv[fuse_argc++] = argv[2];
	fuse_argv[fuse_argc++] = "-f";
	if (plugin->thread_model != FUSEHOST_THREAD_MODEL_PARALLEL) {
		/* fusehostd serializes such a plugin; so does -s. */
		fuse_argv[fuse_argc++] = "-s";
	}
	/* The mount's identity, as fusehostd gives it (unless told). */
	if (!has_fuse_option(argc - first_fuse, argv + first_fuse, "fsname")) {
		if (asprintf(&fsname, "fsname=fusehost:%s", mount.name) < 0)
			return 1;
		fuse_argv[fuse_argc++] = "-o";
		fuse_argv[fuse_argc++] = fsname;
	}
	if (!has_fuse_option(argc - first_fuse, argv + first_fuse, "subtype")) {
		if (asprintf(&subtype, "subtype=%s", descriptor.name) < 0)
			return 1;
		fuse_argv[fuse_argc++] = "-o";
		fuse_argv[fuse_argc++] = subtype;
	}
	for (int i = first_fuse; i < argc; i++)
		fuse_argv[fuse_argc++] = argv[i];
	fuse_argv[fuse_argc] = NULL;

	fuse_set_log_func(twin_fuse_log);
	result = fuse_main_real(fuse_argc, fuse_argv, plugin->operations,
				plugin->operations_size, instance);
	if (plugin->close)
		plugin->close(instance);
	free(fsname);
	free(subtype);
	free(mount.error);
	return result;
}
