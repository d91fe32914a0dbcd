/* Loading and checking /etc/fusehost.conf and its drop-ins; see config.h.
 *
 * GKeyFile does the parsing.  It forgives things an administrator would
 * rather hear about (a group written twice in one file is silently merged,
 * a key written twice in a group silently takes its last value), so the
 * raw text of each file is also scanned for group headers, and the keys of
 * each group are checked for repeats. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include <fusehost/plugin.h>

#include "options.h"
#include "trust.h"

#define MOUNT_GROUP_PREFIX "mount "
/* FUSE mount options fusehostd refuses; see the checks of `options`. */
#define MODULES_OPTION "modules="
#define MAX_READ_OPTION "max_read="

static const char *const daemon_keys[] = {
	"plugin-dir",	 "log-level",	  "log-target", "metrics-listen",
	"slow-op-ms",	 "control-socket", "control-group",
	"insecure-plugins", "stop-timeout-sec", NULL
};
static const char *const mount_host_keys[] = {
	"plugin", "mountpoint", "options", "threads", "required",
	"log-level", "slow-op-ms", "trace", "metrics", "restart",
	"restart-sec", "isolation", "user", "group", NULL
};

static const char *const restart_policy_names[] = {
	[RESTART_ON_FAILURE] = "on-failure",
	[RESTART_ALWAYS] = "always",
	[RESTART_NO] = "no",
};

const char *restart_policy_name(enum restart_policy policy)
{
	return restart_policy_names[policy];
}

const char *isolation_name(enum isolation isolation)
{
	return isolation == ISOLATION_PROCESS ? "process" : "thread";
}

/* A user or group as /etc/passwd spells them, or a number; whether it
 * exists is up to the machine at mount time. */
static bool is_valid_account_name(const char *text)
{
	if (!*text || strlen(text) > 32 || *text == '-')
		return false;
	for (const char *c = text; *c; c++) {
		if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
			return false;
	}
	return true;
}

static void add_error(GPtrArray *errors, const char *format, ...)
	G_GNUC_PRINTF(2, 3);

static void add_error(GPtrArray *errors, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	g_ptr_array_add(errors, g_strdup_vprintf(format, args));
	va_end(args);
}

static void plugin_setting_free(gpointer data)
{
	struct plugin_setting *setting = data;

	g_free(setting->key);
	g_free(setting->value);
	g_free(setting);
}

void mount_config_free(struct mount_config *mount)
{
	if (!mount)
		return;
	g_free(mount->name);
	g_free(mount->file);
	g_free(mount->plugin);
	g_free(mount->mountpoint);
	g_free(mount->options);
	g_free(mount->user);
	g_free(mount->group);
	g_ptr_array_unref(mount->plugin_settings);
	g_free(mount);
}

void config_free(struct config *config)
{
	if (!config)
		return;
	g_free(config->path);
	g_free(config->dropin_dir);
	g_free(config->daemon.plugin_dir);
	g_free(config->daemon.plugin_dir_override);
	g_free(config->daemon.metrics_listen);
	g_free(config->daemon.control_socket);
	g_free(config->daemon.control_group);
	g_ptr_array_unref(config->mounts);
	g_free(config->unread);
	g_free(config);
}

void config_override_plugin_dir(struct config *config, const char *dir)
{
	g_free(config->daemon.plugin_dir);
	config->daemon.plugin_dir = g_strdup(dir);
	g_free(config->daemon.plugin_dir_override);
	config->daemon.plugin_dir_override = g_strdup(dir);
}

static bool settings_equal(const struct mount_config *a,
			   const struct mount_config *b)
{
	if (a->plugin_settings->len != b->plugin_settings->len)
		return false;
	for (guint i = 0; i < a->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			a->plugin_settings->pdata[i];
		const char *other = mount_config_setting(b, setting->key);

		if (!other || strcmp(other, setting->value) != 0)
			return false;
	}
	return true;
}

bool mount_config_same_mount(const struct mount_config *a,
			     const struct mount_config *b)
{
	return g_strcmp0(a->name, b->name) == 0 &&
	       g_strcmp0(a->plugin, b->plugin) == 0 &&
	       g_strcmp0(a->mountpoint, b->mountpoint) == 0 &&
	       g_strcmp0(a->options, b->options) == 0 &&
	       a->threads == b->threads && a->metrics == b->metrics &&
	       a->isolation == b->isolation &&
	       g_strcmp0(a->user, b->user) == 0 &&
	       g_strcmp0(a->group, b->group) == 0 && settings_equal(a, b);
}

struct mount_config *mount_config_copy(const struct mount_config *mount)
{
	struct mount_config *copy = g_new0(struct mount_config, 1);

	*copy = *mount;
	copy->name = g_strdup(mount->name);
	copy->file = g_strdup(mount->file);
	copy->plugin = g_strdup(mount->plugin);
	copy->mountpoint = g_strdup(mount->mountpoint);
	copy->options = g_strdup(mount->options);
	copy->user = g_strdup(mount->user);
	copy->group = g_strdup(mount->group);
	copy->plugin_settings =
		g_ptr_array_new_with_free_func(plugin_setting_free);
	for (guint i = 0; i < mount->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			mount->plugin_settings->pdata[i];
		struct plugin_setting *setting_copy =
			g_new0(struct plugin_setting, 1);

		setting_copy->key = g_strdup(setting->key);
		setting_copy->value = g_strdup(setting->value);
		g_ptr_array_add(copy->plugin_settings, setting_copy);
	}
	return copy;
}

bool config_is_mount_host_key(const char *key)
{
	for (const char *const *host_key = mount_host_keys; *host_key;
	     host_key++) {
		if (strcmp(*host_key, key) == 0)
			return true;
	}
	return false;
}

int64_t mount_config_slow_op_ms(const struct config *config,
				const struct mount_config *mount)
{
	return mount->slow_op_ms >= 0 ? mount->slow_op_ms
				      : config->daemon.slow_op_ms;
}

char *config_dropin_dir(const char *path)
{
	if (g_str_has_suffix(path, ".conf"))
		return g_strdup_printf("%.*s.d", (int)(strlen(path) - 5), path);
	return g_strdup_printf("%s.d", path);
}

/* Levenshtein distance, for "did you mean" suggestions. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t length_b = strlen(b);
	size_t *row = g_new(size_t, length_b + 1);
	size_t result;

	for (size_t j = 0; j <= length_b; j++)
		row[j] = j;
	for (size_t i = 1; a[i - 1]; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= length_b; j++) {
			size_t above = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = MIN(row[j] + 1, row[j - 1] + 1);

			row[j] = MIN(best, diagonal + cost);
			diagonal = above;
		}
	}
	result = row[length_b];
	g_free(row);
	return result;
}

/* The candidate closest to `key`, if close enough to be a likely typo. */
static const char *nearest_key(const char *key, const char *const *lists[],
			       size_t n_lists)
{
	const char *best = NULL;
	size_t best_distance = (size_t)-1;

	for (size_t l = 0; l < n_lists; l++) {
		for (const char *const *candidate = lists[l];
		     candidate && *candidate; candidate++) {
			size_t distance = edit_distance(key, *candidate);

			if (distance < best_distance) {
				best_distance = distance;
				best = *candidate;
			}
		}
	}
	if (best && best_distance <= MAX(2, strlen(key) / 3))
		return best;
	return NULL;
}

/* Whether `key` is one of [daemon]'s and no mount's (control-group,
 * stop-timeout-sec, ...): in a mount group it was meant for [daemon]. */
static bool daemon_only_key(const char *key)
{
	return g_strv_contains(daemon_keys, key) &&
	       !g_strv_contains(mount_host_keys, key);
}

static void add_unknown_key_error(GPtrArray *errors, const char *file,
				  const char *group, const char *key,
				  const char *suggestion)
{
	if (suggestion)
		add_error(errors,
			  "%s: [%s] %s: unknown key (did you mean '%s'?)",
			  file, group, key, suggestion);
	else
		add_error(errors, "%s: [%s] %s: unknown key", file, group, key);
}

/* Without the plugin's options a plugin setting cannot be called unknown:
 * it may be one of them.  One a typo away from a host key most likely is
 * that key misspelt, which leaves the host key unset: say so, in words
 * that stay true if it is the plugin's after all.  `plugin_state` says
 * why the plugin's options are not known. */
static void check_settings_without_plugin(const struct mount_config *mount,
					  const char *group,
					  const char *plugin_state,
					  GPtrArray *errors)
{
	const char *const *lists[] = { mount_host_keys };

	for (guint i = 0; i < mount->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			mount->plugin_settings->pdata[i];
		const char *suggestion = nearest_key(setting->key, lists, 1);

		if (daemon_only_key(setting->key))
			add_error(errors,
				  "%s: [%s] %s: a key of [daemon], not of a "
				  "mount (unless it is an option of the "
				  "plugin, which %s)",
				  mount->file, group, setting->key,
				  plugin_state);
		else if (suggestion)
			add_error(errors,
				  "%s: [%s] %s: unknown key, or an option of "
				  "the plugin, which %s (did you mean '%s'?)",
				  mount->file, group, setting->key,
				  plugin_state, suggestion);
	}
}

/* GKeyFile takes comments only on lines of their own: "x = 1 # note" makes
 * the value "1 # note".  Say so, since the resulting error is puzzling. */
static const char *comment_hint(const char *value)
{
	const char *hash = strchr(value, '#');

	if (hash && hash > value && g_ascii_isspace(hash[-1]))
		return " (comments must be on a line of their own)";
	return "";
}

/* The same, for the values of plugin options that the plugin API's typed
 * readers refuse. */
const char *config_comment_hint(const char *value)
{
	return comment_hint(value);
}

/* A key's value as written.  GKeyFile drops the spaces after "=", but
 * keeps those at the end of the line, which nobody sees: "root = /srv "
 * would name a directory ending in a space.  Escapes such as \s are not
 * interpreted, so that a backslash in a value is just a backslash. */
static char *read_value(GKeyFile *keyfile, const char *group, const char *key)
{
	char *value = g_key_file_get_value(keyfile, group, key, NULL);

	return value ? g_strchomp(value) : NULL;
}

/* Find group headers that appear more than once in one file, and say so
 * once for each such group.  Returns the set of those groups. */
static GHashTable *check_duplicate_groups(const char *file, const char *text,
					  GPtrArray *errors)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	GHashTable *repeated = g_hash_table_new_full(g_str_hash, g_str_equal,
						     g_free, NULL);
	char **lines = g_strsplit(text, "\n", -1);

	for (char **line = lines; *line; line++) {
		char *stripped = g_strstrip(*line);
		size_t length = strlen(stripped);
		char *group;

		if (length < 2 || stripped[0] != '[' ||
		    stripped[length - 1] != ']')
			continue;
		group = g_strndup(stripped + 1, length - 2);
		if (!g_hash_table_contains(seen, group)) {
			g_hash_table_add(seen, group);
			continue;
		}
		if (!g_hash_table_contains(repeated, group))
			add_error(errors,
				  "%s: [%s]: group appears more than once in "
				  "this file",
				  file, group);
		g_hash_table_add(repeated, group);
	}
	g_strfreev(lines);
	g_hash_table_unref(seen);
	return repeated;
}

/* The keys of `group`, each once, in file order.  GKeyFile lists a key
 * written twice as often as it is written, and its lookups give the last
 * value: a repeat is an error, since the earlier line, which the reader
 * sees first, would be ignored.  A group written twice has said so
 * already, and its keys repeat because it does. */
static char **group_keys(GKeyFile *keyfile, const char *file,
			 const char *group, bool group_repeated,
			 GPtrArray *errors)
{
	char **keys = g_key_file_get_keys(keyfile, group, NULL, NULL);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *reported = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *unique = g_ptr_array_new();

	for (char **key = keys; key && *key; key++) {
		if (!g_hash_table_contains(seen, *key)) {
			g_hash_table_add(seen, *key);
			g_ptr_array_add(unique, g_strdup(*key));
		} else if (!group_repeated &&
			   !g_hash_table_contains(reported, *key)) {
			g_hash_table_add(reported, *key);
			add_error(errors,
				  "%s: [%s] %s: key appears more than once in "
				  "this group",
				  file, group, *key);
		}
	}
	g_ptr_array_add(unique, NULL);
	g_hash_table_unref(reported);
	g_hash_table_unref(seen);
	g_strfreev(keys);
	return (char **)g_ptr_array_free(unique, FALSE);
}

static char *normalize_mountpoint(const char *path)
{
	GString *normal = g_string_new("");
	char **parts = g_strsplit(path, "/", -1);

	for (char **part = parts; *part; part++) {
		if (**part == '\0')
			continue;
		if (strcmp(*part, ".") == 0 || strcmp(*part, "..") == 0) {
			g_string_free(normal, TRUE);
			g_strfreev(parts);
			return NULL;
		}
		g_string_append_c(normal, '/');
		g_string_append(normal, *part);
	}
	g_strfreev(parts);
	return g_string_free(normal, FALSE);
}

static void parse_slow_op_ms(const char *value, int64_t *slow_op_ms,
			     const char *file, const char *group,
			     GPtrArray *errors)
{
	int64_t parsed;

	if (parse_int64(value, &parsed) < 0 || parsed < 0)
		add_error(errors,
			  "%s: [%s] slow-op-ms: '%s' is not a whole number of "
			  "milliseconds (0 or more)%s",
			  file, group, value, comment_hint(value));
	else
		*slow_op_ms = parsed;
}

static void parse_bool_key(const char *value, bool *result, const char *file,
			   const char *group, const char *key,
			   GPtrArray *errors)
{
	if (parse_bool(value, result) < 0)
		add_error(errors,
			  "%s: [%s] %s: '%s' is not a boolean (" BOOLEAN_VALUES
			  ")%s",
			  file, group, key, value, comment_hint(value));
}

/* The error just added says a file could not be read: remember the
 * first such, since defaults now stand in for what the file sets. */
static void note_unread(struct config *config, GPtrArray *errors)
{
	if (!config->unread)
		config->unread = g_strdup(errors->pdata[errors->len - 1]);
}

static void load_daemon_group(struct config *config, GKeyFile *keyfile,
			      const char *file, bool repeated,
			      GPtrArray *errors)
{
	char **keys = group_keys(keyfile, file, "daemon", repeated, errors);
	const char *const *lists[] = { daemon_keys };

	for (char **key = keys; key && *key; key++) {
		char *value = read_value(keyfile, "daemon", *key);

		if (strcmp(*key, "plugin-dir") == 0) {
			if (!g_path_is_absolute(value))
				add_error(errors,
					  "%s: [daemon] plugin-dir: '%s' is not "
					  "an absolute path%s",
					  file, value, comment_hint(value));
			g_free(config->daemon.plugin_dir);
			config->daemon.plugin_dir = g_strdup(value);
		} else if (strcmp(*key, "log-level") == 0) {
			if (log_level_parse(value, &config->daemon.log_level) < 0)
				add_error(errors,
					  "%s: [daemon] log-level: '%s' is not "
					  "one of error, warning, info, debug%s",
					  file, value, comment_hint(value));
		} else if (strcmp(*key, "log-target") == 0) {
			if (log_target_parse(value,
					     &config->daemon.log_target) < 0)
				add_error(errors,
					  "%s: [daemon] log-target: '%s' is not "
					  "one of auto, stderr, journal%s",
					  file, value, comment_hint(value));
		} else if (strcmp(*key, "metrics-listen") == 0) {
			char *host, *port;

			g_free(config->daemon.metrics_listen);
			config->daemon.metrics_listen = g_strstrip(g_strdup(value));
			if (*config->daemon.metrics_listen &&
			    parse_host_port(config->daemon.metrics_listen,
					    &host, &port) < 0)
				add_error(errors,
					  "%s: [daemon] metrics-listen: '%s' is "
					  "not HOST:PORT (empty disables "
					  "metrics)%s",
					  file, value, comment_hint(value));
			else if (*config->daemon.metrics_listen) {
				g_free(host);
				g_free(port);
			}
		} else if (strcmp(*key, "control-socket") == 0) {
			g_free(config->daemon.control_socket);
			config->daemon.control_socket = g_strdup(value);
			if (*value && !g_path_is_absolute(value))
				add_error(errors,
					  "%s: [daemon] control-socket: '%s' is "
					  "not an absolute path (empty disables "
					  "the control socket)%s",
					  file, value, comment_hint(value));
			/* Else the daemon would start without its socket. */
			else if (strlen(value) >=
				 sizeof(((struct sockaddr_un *)0)->sun_path))
				add_error(errors,
					  "%s: [daemon] control-socket: '%s' is "
					  "longer than a unix socket's path may "
					  "be (%zu bytes at most)",
					  file, value,
					  sizeof(((struct sockaddr_un *)0)
							 ->sun_path) -
						  1);
		} else if (strcmp(*key, "stop-timeout-sec") == 0) {
			int64_t seconds;

			if (parse_int64(value, &seconds) < 0 || seconds < 1 ||
			    seconds > 3600)
				add_error(errors,
					  "%s: [daemon] stop-timeout-sec: '%s' "
					  "is not a whole number of seconds "
					  "from 1 to 3600%s",
					  file, value, comment_hint(value));
			else
				config->daemon.stop_timeout_sec = seconds;
		} else if (strcmp(*key, "insecure-plugins") == 0) {
			parse_bool_key(value, &config->daemon.insecure_plugins,
				       file, "daemon", *key, errors);
		} else if (strcmp(*key, "control-group") == 0) {
			g_free(config->daemon.control_group);
			config->daemon.control_group = g_strdup(value);
		} else if (strcmp(*key, "slow-op-ms") == 0) {
			parse_slow_op_ms(value, &config->daemon.slow_op_ms,
					 file, "daemon", errors);
		} else {
			add_unknown_key_error(errors, file, "daemon", *key,
					      nearest_key(*key, lists, 1));
		}
		g_free(value);
	}
	g_strfreev(keys);
}

static void load_mount_key(struct mount_config *mount, const char *group,
			   const char *key, const char *value,
			   GPtrArray *errors)
{
	const char *file = mount->file;

	if (strcmp(key, "plugin") == 0) {
		mount->plugin = g_strdup(value);
		if (!g_path_is_absolute(value) && !is_valid_name(value))
			add_error(errors,
				  "%s: [%s] plugin: '%s' is neither a plugin "
				  "name ([A-Za-z0-9._-]+) nor an absolute "
				  "path%s",
				  file, group, value, comment_hint(value));
	} else if (strcmp(key, "mountpoint") == 0) {
		if (!g_path_is_absolute(value)) {
			add_error(errors,
				  "%s: [%s] mountpoint: '%s' is not an "
				  "absolute path%s",
				  file, group, value, comment_hint(value));
			return;
		}
		g_free(mount->mountpoint);
		mount->mountpoint = normalize_mountpoint(value);
		if (!mount->mountpoint)
			add_error(errors,
				  "%s: [%s] mountpoint: '%s' contains . or .. "
				  "components",
				  file, group, value);
		else if (strcmp(mount->mountpoint, "") == 0)
			add_error(errors,
				  "%s: [%s] mountpoint: cannot mount over /",
				  file, group);
	} else if (strcmp(key, "options") == 0) {
		g_free(mount->options);
		mount->options = g_strdup(value);
		if (strstr(value, MODULES_OPTION))
			add_error(errors,
				  "%s: [%s] options: modules= is not supported "
				  "(libfuse modules are process-wide and unsafe "
				  "with several mounts)",
				  file, group);
		if (strstr(value, MAX_READ_OPTION))
			add_error(errors,
				  "%s: [%s] options: max_read= is not supported "
				  "(a plugin would have to repeat it to libfuse "
				  "when the mount starts, or the mount dies)",
				  file, group);
	} else if (strcmp(key, "threads") == 0) {
		int64_t threads;

		if (parse_int64(value, &threads) < 0 || threads < 1 ||
		    threads > CONFIG_MAX_THREADS)
			add_error(errors,
				  "%s: [%s] threads: '%s' is not a whole number "
				  "from 1 to %d%s",
				  file, group, value, CONFIG_MAX_THREADS,
				  comment_hint(value));
		else
			mount->threads = (unsigned)threads;
	} else if (strcmp(key, "required") == 0) {
		parse_bool_key(value, &mount->required, file, group, key,
			       errors);
	} else if (strcmp(key, "trace") == 0) {
		parse_bool_key(value, &mount->trace, file, group, key, errors);
	} else if (strcmp(key, "metrics") == 0) {
		parse_bool_key(value, &mount->metrics, file, group, key,
			       errors);
	} else if (strcmp(key, "slow-op-ms") == 0) {
		parse_slow_op_ms(value, &mount->slow_op_ms, file, group,
				 errors);
	} else if (strcmp(key, "restart") == 0) {
		bool known = false;

		for (int p = 0; p < (int)G_N_ELEMENTS(restart_policy_names);
		     p++) {
			if (strcmp(value, restart_policy_names[p]) == 0) {
				mount->restart = (enum restart_policy)p;
				known = true;
			}
		}
		if (!known)
			add_error(errors,
				  "%s: [%s] restart: '%s' is not one of "
				  "on-failure, always, no%s",
				  file, group, value, comment_hint(value));
	} else if (strcmp(key, "restart-sec") == 0) {
		int64_t seconds;

		if (parse_int64(value, &seconds) < 0 || seconds < 0 ||
		    seconds > CONFIG_MAX_RESTART_SEC)
			add_error(errors,
				  "%s: [%s] restart-sec: '%s' is not a whole "
				  "number of seconds from 0 to %d%s",
				  file, group, value, CONFIG_MAX_RESTART_SEC,
				  comment_hint(value));
		else
			mount->restart_sec = seconds;
	} else if (strcmp(key, "isolation") == 0) {
		if (strcmp(value, "thread") == 0)
			mount->isolation = ISOLATION_THREAD;
		else if (strcmp(value, "process") == 0)
			mount->isolation = ISOLATION_PROCESS;
		else
			add_error(errors,
				  "%s: [%s] isolation: '%s' is not one of "
				  "thread, process%s",
				  file, group, value, comment_hint(value));
	} else if (strcmp(key, "user") == 0 || strcmp(key, "group") == 0) {
		char **field = key[0] == 'u' ? &mount->user : &mount->group;

		g_free(*field);
		*field = g_strdup(value);
		if (!is_valid_account_name(value))
			add_error(errors,
				  "%s: [%s] %s: '%s' is not a user or group "
				  "name or number%s",
				  file, group, key, value, comment_hint(value));
	} else if (strcmp(key, "log-level") == 0) {
		enum log_level level;

		if (log_level_parse(value, &level) < 0)
			add_error(errors,
				  "%s: [%s] log-level: '%s' is not one of "
				  "error, warning, info, debug%s",
				  file, group, value, comment_hint(value));
		else
			mount->log_level = (int)level;
	} else {
		struct plugin_setting *setting = g_new0(struct plugin_setting, 1);

		/* Checked against the plugin's declared options later. */
		setting->key = g_strdup(key);
		setting->value = g_strdup(value);
		g_ptr_array_add(mount->plugin_settings, setting);
	}
}

static struct mount_config *find_mount(const struct config *config,
				       const char *name)
{
	for (guint i = 0; i < config->mounts->len; i++) {
		struct mount_config *mount = config->mounts->pdata[i];

		if (strcmp(mount->name, name) == 0)
			return mount;
	}
	return NULL;
}

static void load_mount_group(struct config *config, GKeyFile *keyfile,
			     const char *file, const char *group, bool repeated,
			     GPtrArray *errors)
{
	const char *name = group + strlen(MOUNT_GROUP_PREFIX);
	struct mount_config *existing = find_mount(config, name);
	struct mount_config *mount;
	char **keys;

	if (!is_valid_name(name)) {
		add_error(errors,
			  "%s: [%s]: invalid mount name '%s' (use "
			  "[A-Za-z0-9._-]+, at most 64 characters, not . "
			  "or ..)",
			  file, group, name);
		return;
	}
	if (existing) {
		add_error(errors, "%s: [%s]: mount already defined in %s", file,
			  group, existing->file);
		return;
	}

	mount = g_new0(struct mount_config, 1);
	mount->name = g_strdup(name);
	mount->file = g_strdup(file);
	mount->options = g_strdup("");
	mount->threads = CONFIG_DEFAULT_THREADS;
	mount->log_level = -1;
	mount->slow_op_ms = -1;
	mount->metrics = true;
	mount->restart = RESTART_ON_FAILURE;
	mount->restart_sec = CONFIG_DEFAULT_RESTART_SEC;
	mount->plugin_settings = g_ptr_array_new_with_free_func(
		plugin_setting_free);
	g_ptr_array_add(config->mounts, mount);

	keys = group_keys(keyfile, file, group, repeated, errors);
	for (char **key = keys; *key; key++) {
		char *value = read_value(keyfile, group, *key);

		load_mount_key(mount, group, *key, value, errors);
		g_free(value);
	}
	g_strfreev(keys);

	if (!mount->plugin) {
		check_settings_without_plugin(mount, group,
					      "this mount does not name",
					      errors);
		add_error(errors, "%s: [%s]: missing required key 'plugin'",
			  file, group);
	}
	if ((mount->user || mount->group) &&
	    mount->isolation != ISOLATION_PROCESS)
		add_error(errors,
			  "%s: [%s] %s: applies only with isolation = process "
			  "(a thread of fusehostd runs as root)",
			  file, group, mount->user ? "user" : "group");
	if (!mount->mountpoint && !g_key_file_has_key(keyfile, group,
						      "mountpoint", NULL))
		add_error(errors, "%s: [%s]: missing required key 'mountpoint'",
			  file, group);
}

/* A group that is neither [daemon] nor [mount NAME], with the one it
 * likely means when it is a typo away: [deamon], [mout scratch]. */
static void add_unknown_group_error(GPtrArray *errors, const char *file,
				    const char *group)
{
	static const char *const daemon_group[] = { "daemon", NULL };
	static const char *const mount_word[] = { "mount", NULL };
	const char *const *daemon_lists[] = { daemon_group };
	const char *const *mount_lists[] = { mount_word };
	const char *space = strchr(group, ' ');
	char *word = space ? g_strndup(group, (gsize)(space - group)) : NULL;

	if (nearest_key(group, daemon_lists, 1))
		add_error(errors,
			  "%s: [%s]: unknown group (did you mean [daemon]?)",
			  file, group);
	else if (word && nearest_key(word, mount_lists, 1))
		add_error(errors,
			  "%s: [%s]: unknown group (did you mean [mount%s]?)",
			  file, group, space);
	else
		add_error(errors,
			  "%s: [%s]: unknown group (groups are [daemon] and "
			  "[mount NAME])",
			  file, group);
	g_free(word);
}

static bool parses(const char *text, gsize length)
{
	GKeyFile *keyfile = g_key_file_new();
	bool parsed = g_key_file_load_from_data(keyfile, text, length,
						 G_KEY_FILE_NONE, NULL);

	g_key_file_free(keyfile);
	return parsed;
}

/* The line of `text` that GKeyFile refuses, counted from 1, or 0 if it
 * cannot be told.  GKeyFile's message quotes the line rather than number
 * it, and is translated; but GKeyFile reads line by line and stops at the
 * first line it cannot take, so that line ends the shortest run of whole
 * lines from the top that fails to parse.  It is found by bisection, and
 * given only when the lines before it do parse. */
static unsigned syntax_error_line(const char *text, gsize length)
{
	GArray *ends = g_array_new(FALSE, FALSE, sizeof(gsize));
	unsigned low = 1, high, line = 0;

	for (gsize i = 0; i < length; i++) {
		if (text[i] == '\n' || i == length - 1) {
			gsize end = i + 1;

			g_array_append_val(ends, end);
		}
	}
	high = ends->len;
	/* The first line count whose prefix fails, if failing is monotonic,
	 * as it is for a reader that goes line by line. */
	while (low < high) {
		unsigned middle = low + (high - low) / 2;

		if (parses(text, g_array_index(ends, gsize, middle - 1)))
			low = middle + 1;
		else
			high = middle;
	}
	if (low <= ends->len &&
	    !parses(text, g_array_index(ends, gsize, low - 1)) &&
	    (low == 1 || parses(text, g_array_index(ends, gsize, low - 2))))
		line = low;
	g_array_unref(ends);
	return line;
}

static void load_text(struct config *config, const char *file,
		      const char *text, gsize length, GPtrArray *errors)
{
	GKeyFile *keyfile = g_key_file_new();
	GError *error = NULL;
	GHashTable *repeated;
	char **groups;

	if (!g_key_file_load_from_data(keyfile, text, length, G_KEY_FILE_NONE,
				       &error)) {
		unsigned line = syntax_error_line(text, length);

		if (line > 0)
			add_error(errors, "%s: syntax error on line %u: %s",
				  file, line, error->message);
		else
			add_error(errors, "%s: syntax error: %s", file,
				  error->message);
		note_unread(config, errors);
		g_error_free(error);
		g_key_file_free(keyfile);
		return;
	}
	repeated = check_duplicate_groups(file, text, errors);

	groups = g_key_file_get_groups(keyfile, NULL);
	for (char **group = groups; *group; group++) {
		bool group_repeated = g_hash_table_contains(repeated, *group);

		if (strcmp(*group, "daemon") == 0)
			load_daemon_group(config, keyfile, file, group_repeated,
					  errors);
		else if (g_str_has_prefix(*group, MOUNT_GROUP_PREFIX))
			load_mount_group(config, keyfile, file, *group,
					 group_repeated, errors);
		else
			add_unknown_group_error(errors, file, *group);
	}
	g_strfreev(groups);
	g_hash_table_unref(repeated);
	g_key_file_free(keyfile);
}

static void load_file(struct config *config, const char *file,
		      GPtrArray *errors)
{
	GError *error = NULL;
	char *text = NULL;
	gsize length;

	if (!g_file_get_contents(file, &text, &length, &error)) {
		add_error(errors, "%s: cannot read: %s", file, error->message);
		note_unread(config, errors);
		g_error_free(error);
		return;
	}
	load_text(config, file, text, length, errors);
	g_free(text);
}

static void check_trust(struct config *config, const char *file,
			GPtrArray *errors)
{
	char *problem = trust_check(file);

	if (problem) {
		add_error(errors,
			  "%s: refusing a configuration that others could "
			  "change: %s",
			  file, problem);
		config->untrusted = true;
	}
	g_free(problem);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The drop-in files, in lexical order; a missing directory is no error. */
static GPtrArray *list_dropins(const char *dir, GPtrArray *errors)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	GDir *handle = g_dir_open(dir, 0, &error);
	const char *entry;

	if (!handle) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			add_error(errors, "%s: cannot read drop-in directory: %s",
				  dir, error->message);
		g_error_free(error);
		return files;
	}
	while ((entry = g_dir_read_name(handle))) {
		if (g_str_has_suffix(entry, ".conf") && entry[0] != '.')
			g_ptr_array_add(files, g_build_filename(dir, entry,
								NULL));
	}
	g_dir_close(handle);
	g_ptr_array_sort(files, compare_strings);
	return files;
}

static bool is_nested(const char *outer, const char *inner)
{
	size_t length = strlen(outer);

	return strncmp(outer, inner, length) == 0 && inner[length] == '/';
}

static void check_mountpoints(const struct config *config, GPtrArray *errors)
{
	for (guint i = 0; i < config->mounts->len; i++) {
		const struct mount_config *a = config->mounts->pdata[i];

		if (!a->mountpoint)
			continue;
		for (guint j = 0; j < config->mounts->len; j++) {
			const struct mount_config *b = config->mounts->pdata[j];

			if (i == j || !b->mountpoint)
				continue;
			if (j > i && strcmp(a->mountpoint, b->mountpoint) == 0)
				add_error(errors,
					  "%s: [mount %s] mountpoint: %s is "
					  "also the mountpoint of [mount %s] "
					  "in %s",
					  b->file, b->name, b->mountpoint,
					  a->name, a->file);
			else if (is_nested(a->mountpoint, b->mountpoint))
				add_error(errors,
					  "%s: [mount %s] mountpoint: %s is "
					  "inside %s, the mountpoint of [mount "
					  "%s] in %s",
					  b->file, b->name, b->mountpoint,
					  a->mountpoint, a->name, a->file);
		}
	}
}

static struct config *config_new(const char *path,
				 const char *default_plugin_dir)
{
	struct config *config = g_new0(struct config, 1);

	config->path = g_strdup(path);
	config->dropin_dir = config_dropin_dir(path);
	config->daemon.plugin_dir = g_strdup(default_plugin_dir);
	config->daemon.log_level = LOG_LEVEL_INFO;
	config->daemon.log_target = LOG_TARGET_AUTO;
	config->daemon.metrics_listen = g_strdup(CONFIG_DEFAULT_METRICS_LISTEN);
	config->daemon.slow_op_ms = CONFIG_DEFAULT_SLOW_OP_MS;
	config->daemon.control_socket = g_strdup(CONFIG_DEFAULT_CONTROL_SOCKET);
	config->daemon.control_group = g_strdup("");
	config->daemon.stop_timeout_sec = CONFIG_DEFAULT_STOP_TIMEOUT_SEC;
	config->mounts = g_ptr_array_new_with_free_func(
		(GDestroyNotify)mount_config_free);
	return config;
}

struct config *config_load_text(const char *text, const char *name,
				GPtrArray *errors)
{
	struct config *config = config_new(name, "");

	load_text(config, name, text, strlen(text), errors);
	return config;
}

struct config *config_load(const char *path, const char *default_plugin_dir,
			   GPtrArray *errors)
{
	struct config *config;
	GPtrArray *dropins;
	guint known_errors;

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		add_error(errors, "%s: %s", path,
			  g_file_test(path, G_FILE_TEST_EXISTS)
				  ? "not a regular file"
				  : "no such file");
		return NULL;
	}

	config = config_new(path, default_plugin_dir);
	load_file(config, path, errors);
	known_errors = errors->len;
	dropins = list_dropins(config->dropin_dir, errors);
	if (errors->len > known_errors)
		note_unread(config, errors);
	for (guint i = 0; i < dropins->len; i++)
		load_file(config, dropins->pdata[i], errors);
	/* The config names code to run as root: whoever can write it can
	 * run code as root.  Checked after reading, since insecure-plugins
	 * (in the files themselves) turns it off. */
	if (!config->daemon.insecure_plugins) {
		check_trust(config, path, errors);
		for (guint i = 0; i < dropins->len; i++)
			check_trust(config, dropins->pdata[i], errors);
	}
	g_ptr_array_unref(dropins);

	check_mountpoints(config, errors);
	if (config->mounts->len > CONFIG_MAX_MOUNTS)
		add_error(errors, "%s: %u mounts configured; at most %d are "
			  "supported in one process",
			  path, config->mounts->len, CONFIG_MAX_MOUNTS);
	return config;
}

const char *mount_config_setting(const struct mount_config *mount,
				 const char *key)
{
	for (guint i = 0; i < mount->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			mount->plugin_settings->pdata[i];

		if (strcmp(setting->key, key) == 0)
			return setting->value;
	}
	return NULL;
}

/* Whether the comma-separated `options` hold `name`: as "name=VALUE"
 * when `with_value`, else as the bare flag "name". */
static bool options_have(const char *options, const char *name,
			 bool with_value)
{
	char **items = g_strsplit(options, ",", -1);
	size_t length = strlen(name);
	bool found = false;

	for (char **item = items; *item && !found; item++) {
		char *stripped = g_strstrip(*item);

		found = strncmp(stripped, name, length) == 0 &&
			stripped[length] == (with_value ? '=' : '\0');
	}
	g_strfreev(items);
	return found;
}

bool mount_config_options_refused(const struct mount_config *mount)
{
	return mount->options && (strstr(mount->options, MODULES_OPTION) ||
				  strstr(mount->options, MAX_READ_OPTION));
}

bool mount_config_has_flag(const struct mount_config *mount, const char *flag)
{
	return options_have(mount->options, flag, false);
}

/* The subtype shown in mount tables: the plugin's file name without .so. */
static char *plugin_subtype(const char *plugin)
{
	char *base = g_path_get_basename(plugin);

	if (g_str_has_suffix(base, ".so"))
		base[strlen(base) - 3] = '\0';
	return base;
}

char *mount_config_fuse_options(const struct mount_config *mount)
{
	GString *options = g_string_new("");
	char **items = g_strsplit(mount->options, ",", -1);

	if (!options_have(mount->options, "fsname", true))
		g_string_append_printf(options, "fsname=fusehost:%s,",
				       mount->name);
	if (!options_have(mount->options, "subtype", true)) {
		char *subtype = plugin_subtype(mount->plugin);

		g_string_append_printf(options, "subtype=%s,", subtype);
		g_free(subtype);
	}
	/* "a, b" is how people write lists; libfuse wants "a,b". */
	for (char **item = items; *item; item++) {
		char *stripped = g_strstrip(*item);

		if (*stripped)
			g_string_append_printf(options, "%s,", stripped);
	}
	g_strfreev(items);
	g_string_truncate(options, options->len - 1);
	return g_string_free(options, FALSE);
}

static const struct fusehost_option *
find_declared(const struct fusehost_option *declared, const char *key)
{
	for (; declared && declared->name; declared++) {
		if (strcmp(declared->name, key) == 0)
			return declared;
	}
	return NULL;
}

void config_check_plugin_options(const struct mount_config *mount,
				 const struct fusehost_option *declared,
				 GPtrArray *errors)
{
	GPtrArray *names = g_ptr_array_new();
	char *group = g_strdup_printf(MOUNT_GROUP_PREFIX "%s", mount->name);

	for (const struct fusehost_option *option = declared;
	     option && option->name; option++)
		g_ptr_array_add(names, (gpointer)option->name);
	g_ptr_array_add(names, NULL);

	for (guint i = 0; i < mount->plugin_settings->len; i++) {
		const struct plugin_setting *setting =
			mount->plugin_settings->pdata[i];
		const char *const *lists[] = {
			mount_host_keys, (const char *const *)names->pdata
		};

		if (!find_declared(declared, setting->key) &&
		    daemon_only_key(setting->key))
			add_error(errors,
				  "%s: [%s] %s: a key of [daemon], not of a "
				  "mount",
				  mount->file, group, setting->key);
		else if (!find_declared(declared, setting->key))
			add_unknown_key_error(errors, mount->file, group,
					      setting->key,
					      nearest_key(setting->key, lists,
							  2));
	}
	for (const struct fusehost_option *option = declared;
	     option && option->name; option++) {
		if (option->required &&
		    !mount_config_setting(mount, option->name))
			add_error(errors,
				  "%s: [%s]: missing key '%s', which plugin "
				  "%s requires",
				  mount->file, group, option->name,
				  mount->plugin);
	}
	g_free(group);
	g_ptr_array_unref(names);
}

void config_check_settings_unloaded_plugin(const struct mount_config *mount,
					   GPtrArray *errors)
{
	char *group = g_strdup_printf(MOUNT_GROUP_PREFIX "%s", mount->name);

	check_settings_without_plugin(mount, group, "could not be loaded",
				      errors);
	g_free(group);
}

char *config_format(const struct config *config,
		    const struct fusehost_option *const *declared)
{
	GString *out = g_string_new("");

	g_string_append_printf(out, "# effective configuration of %s",
			       config->path);
	g_string_append_printf(out, " and %s/*.conf\n\n", config->dropin_dir);
	g_string_append(out, "[daemon]\n");
	g_string_append_printf(out, "plugin-dir = %s\n",
			       config->daemon.plugin_dir);
	g_string_append_printf(out, "log-level = %s\n",
			       log_level_name(config->daemon.log_level));
	g_string_append_printf(out, "log-target = %s\n",
			       log_target_name(config->daemon.log_target));
	g_string_append_printf(out, "metrics-listen = %s\n",
			       config->daemon.metrics_listen);
	g_string_append_printf(out, "slow-op-ms = %" G_GINT64_FORMAT "\n",
			       config->daemon.slow_op_ms);
	g_string_append_printf(out, "control-socket = %s\n",
			       config->daemon.control_socket);
	g_string_append_printf(out, "control-group = %s\n",
			       config->daemon.control_group);
	g_string_append_printf(out, "stop-timeout-sec = %" G_GINT64_FORMAT "\n",
			       config->daemon.stop_timeout_sec);
	g_string_append_printf(out, "insecure-plugins = %s\n",
			       config->daemon.insecure_plugins ? "true"
							       : "false");

	for (guint i = 0; i < config->mounts->len; i++) {
		const struct mount_config *mount = config->mounts->pdata[i];
		char *options;

		g_string_append_printf(out, "\n# from %s\n", mount->file);
		g_string_append_printf(out, "[" MOUNT_GROUP_PREFIX "%s]\n",
				       mount->name);
		g_string_append_printf(out, "plugin = %s\n", mount->plugin);
		g_string_append_printf(out, "mountpoint = %s\n",
				       mount->mountpoint);
		options = mount_config_fuse_options(mount);
		g_string_append_printf(out, "options = %s\n", options);
		g_free(options);
		g_string_append_printf(out, "threads = %u\n", mount->threads);
		g_string_append_printf(out, "required = %s\n",
				       mount->required ? "true" : "false");
		g_string_append_printf(
			out, "log-level = %s\n",
			log_level_name(mount->log_level >= 0
					       ? (enum log_level)mount->log_level
					       : config->daemon.log_level));
		g_string_append_printf(out, "slow-op-ms = %" G_GINT64_FORMAT "\n",
				       mount_config_slow_op_ms(config, mount));
		g_string_append_printf(out, "trace = %s\n",
				       mount->trace ? "true" : "false");
		g_string_append_printf(out, "metrics = %s\n",
				       mount->metrics ? "true" : "false");
		g_string_append_printf(out, "restart = %s\n",
				       restart_policy_name(mount->restart));
		g_string_append_printf(out, "restart-sec = %" G_GINT64_FORMAT "\n",
				       mount->restart_sec);
		g_string_append_printf(out, "isolation = %s\n",
				       isolation_name(mount->isolation));
		if (mount->user)
			g_string_append_printf(out, "user = %s\n", mount->user);
		if (mount->group)
			g_string_append_printf(out, "group = %s\n",
					       mount->group);
		for (guint j = 0; j < mount->plugin_settings->len; j++) {
			const struct plugin_setting *setting =
				mount->plugin_settings->pdata[j];

			g_string_append_printf(out, "%s = %s\n", setting->key,
					       setting->value);
		}
		for (const struct fusehost_option *option = declared[i];
		     option && option->name; option++) {
			if (mount_config_setting(mount, option->name))
				continue;
			if (option->default_value)
				g_string_append_printf(out, "%s = %s\n",
						       option->name,
						       option->default_value);
			else
				g_string_append_printf(out, "# %s: no default\n",
						       option->name);
		}
	}
	return g_string_free(out, FALSE);
}
