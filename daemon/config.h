/* The configuration: /etc/fusehost.conf plus its drop-in directory.
 *
 * Loading checks everything that can be checked from the text alone (syntax,
 * groups, names, host keys and their types, mountpoint paths) and collects
 * one message per problem, each naming the file, the group and the key.
 * What needs the plugin (its option keys) is checked by
 * config_check_plugin_options() once the plugin is loaded. */
#ifndef FUSEHOST_CONFIG_H
#define FUSEHOST_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct fusehost_option;

#define CONFIG_DEFAULT_THREADS 10
#define CONFIG_MAX_THREADS 1024
/* Each libfuse session takes a pthread key and a process has 1024
 * (PTHREAD_KEYS_MAX): stay well below. */
#define CONFIG_MAX_MOUNTS 512

struct plugin_setting {
	char *key;
	char *value;
};

#define CONFIG_DEFAULT_RESTART_SEC 1
/* Backoff between restarts never grows past this. */
#define CONFIG_MAX_RESTART_SEC 60

enum restart_policy {
	/* Restart a mount that was lost (unmounted from outside, aborted)
	 * or whose restart failed. */
	RESTART_ON_FAILURE,
	/* That, and keep retrying a mount that failed to start at all. */
	RESTART_ALWAYS,
	RESTART_NO,
};

const char *restart_policy_name(enum restart_policy policy);

enum isolation {
	/* The mount's loop and plugin run in a thread of fusehostd. */
	ISOLATION_THREAD,
	/* They run in a child process without privileges, which fusehostd
	 * supervises: a crash ends only that mount. */
	ISOLATION_PROCESS,
};

const char *isolation_name(enum isolation isolation);

struct mount_config {
	char *name;
	char *file;       /* the file whose [mount NAME] group defines it */
	char *plugin;     /* bare name or absolute path, as written */
	char *mountpoint; /* absolute, without trailing or doubled slashes */
	char *options;    /* FUSE mount options as written; "" when none */
	unsigned threads;
	bool required;
	int log_level;      /* enum log_level, or -1: the daemon's */
	int64_t slow_op_ms; /* -1: the daemon's */
	bool trace;         /* log every operation */
	bool metrics;       /* false: bypass the observation layer */
	enum restart_policy restart;
	int64_t restart_sec; /* first delay; doubles per failure, capped */
	enum isolation isolation;
	char *user;  /* isolation = process: run as this user; NULL: root */
	char *group; /* and group; NULL: the user's primary group */
	GPtrArray *plugin_settings; /* struct plugin_setting *, file order */
};

#define CONFIG_DEFAULT_METRICS_LISTEN "127.0.0.1:9464"
#define CONFIG_DEFAULT_SLOW_OP_MS 1000
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/fusehost/control.sock"
#define CONFIG_DEFAULT_STOP_TIMEOUT_SEC 5

struct daemon_config {
	char *plugin_dir;
	/* fusehostd --plugin-dir, which wins over the file's plugin-dir,
	 * also on reload; NULL if not given. */
	char *plugin_dir_override;
	enum log_level log_level;
	enum log_target log_target;
	char *metrics_listen; /* "" disables */
	int64_t slow_op_ms;
	char *control_socket; /* "" disables */
	char *control_group;  /* "": only root may change state */
	/* Load plugins and configuration files whoever can write them. */
	bool insecure_plugins;
	/* How long a mount may take to stop before its connection is
	 * aborted. */
	int64_t stop_timeout_sec;
};

struct config {
	char *path;
	char *dropin_dir;
	struct daemon_config daemon;
	GPtrArray *mounts; /* struct mount_config *, in order of appearance */
	/* A file others could change: nothing it names may be loaded. */
	bool untrusted;
	/* The error of the first file that could not be read or parsed, or
	 * NULL.  Its settings are missing and defaults stand in for them,
	 * so that a default control-socket here may not be the daemon's. */
	char *unread;
};

/* Read `path` and every *.conf in its drop-in directory.  Problems are
 * appended to `errors` (char *, g_free); the config is returned even when
 * there were some, so that all of them can be reported at once, but it must
 * not be used to mount anything then.  Returns NULL only when `path` itself
 * cannot be read. */
struct config *config_load(const char *path, const char *default_plugin_dir,
			   GPtrArray *errors);
void config_free(struct config *config);

/* Load plugins from `dir`, whatever the files say (--plugin-dir). */
void config_override_plugin_dir(struct config *config, const char *dir);

/* A configuration given as text rather than read from files (no drop-ins,
 * no ownership checks): how fusehostd hands a mount's settings to the
 * child process that serves it.  `name` stands for the file in messages. */
struct config *config_load_text(const char *text, const char *name,
				GPtrArray *errors);

/* Whether `key` in a [mount NAME] group belongs to fusehostd rather than
 * to the plugin. */
bool config_is_mount_host_key(const char *key);

/* GKeyFile takes comments only on lines of their own: "x = 1 # note" makes
 * the value "1 # note".  For a message that refuses a value: a hint that
 * says so when the value looks like that, else "". */
const char *config_comment_hint(const char *value);

/* The slow-operation threshold that applies to a mount, in ms. */
int64_t mount_config_slow_op_ms(const struct config *config,
				const struct mount_config *mount);

/* /etc/fusehost.conf -> /etc/fusehost.d */
char *config_dropin_dir(const char *path);

/* Check the mount's plugin settings against the options its plugin
 * declares: unknown keys (with the nearest valid key suggested) and missing
 * required ones.  `declared` ends with an entry whose name is NULL, or is
 * NULL for a plugin without options. */
void config_check_plugin_options(const struct mount_config *mount,
				 const struct fusehost_option *declared,
				 GPtrArray *errors);

/* The same for a mount whose plugin could not be loaded: only the plugin
 * settings that look like a misspelt host key ("mountpiont"), since any
 * other may be an option of the plugin. */
void config_check_settings_unloaded_plugin(const struct mount_config *mount,
					   GPtrArray *errors);

/* Whether two configs describe the same mount, so that going from one to
 * the other needs no remount: settings that apply live (log level,
 * slow-op threshold, trace, required, restart policy) may differ. */
bool mount_config_same_mount(const struct mount_config *a,
			     const struct mount_config *b);

/* A mount's config that lives on its own, and its release. */
struct mount_config *mount_config_copy(const struct mount_config *mount);
void mount_config_free(struct mount_config *mount);

/* The value a plugin option has on this mount, or NULL when unset. */
const char *mount_config_setting(const struct mount_config *mount,
				 const char *key);

/* The FUSE mount options of a mount with the defaults added: fsname is
 * fusehost:NAME and subtype the plugin's name unless the options set them. */
char *mount_config_fuse_options(const struct mount_config *mount);

/* Whether the mount's options name one fusehostd refuses (modules=,
 * max_read=); the config checks say why. */
bool mount_config_options_refused(const struct mount_config *mount);

/* Whether the mount's options list the bare flag `flag` ("rw"). */
bool mount_config_has_flag(const struct mount_config *mount, const char *flag);

/* The effective config in key-file syntax, defaults filled in.  `declared`
 * holds, per mount (same index), the options its plugin declares, or NULL
 * when the plugin could not be loaded. */
char *config_format(const struct config *config,
		    const struct fusehost_option *const *declared);

#endif
