/* The running daemon: loads every mount's plugin, starts the mounts, waits
 * for signals (or for the --run command) in a GLib main loop, and stops
 * everything in order. */
#ifndef FUSEHOST_DAEMON_H
#define FUSEHOST_DAEMON_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct plugin;
struct mount_config;

/* Block the signals the main loop handles, before any thread exists, so
 * every thread inherits the mask; install the wake signal's no-op handler;
 * ignore SIGPIPE. */
void signals_setup(void);

/* Load the mount's plugin and check the mount's plugin options against it.
 * On failure logs every problem (naming the file, the group and the key)
 * and returns NULL; `cause`, if not NULL, then gets the first. */
struct plugin *daemon_load_plugin(const struct config *config,
				  const struct mount_config *mount,
				  char **cause);

/* Whether the plugin opens an instance with the mount's configuration,
 * asked in a child process (see instance_check.h).  A refusal is logged,
 * naming the file, the mount and the plugin's reason, and gives false
 * (and the same text in `cause`, if not NULL); no answer by `deadline_ms`
 * (monotonic) is logged as a warning and gives true. */
bool daemon_check_instance(const struct mount_config *mount,
			   const struct plugin *plugin, int64_t deadline_ms,
			   char **cause);

/* Serve until SIGTERM or SIGINT, or until `run_command` (may be NULL)
 * exits.  Takes the config over (a reload replaces it).  Returns the
 * process exit status. */
int daemon_run(struct config *config, const char *run_command);

#endif
