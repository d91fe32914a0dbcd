/* Whether a mount's plugin accepts its configuration, asked before
 * anything depends on the answer: by fusehostd -t, and by a reload before
 * it takes a serving mount down to remount it with new plugin options.
 *
 * The host checks option names; only the plugin can tell whether a value
 * is good ("size = 64Q", a root that does not exist), and it tells by
 * opening an instance.  So one is opened and closed again, in a child
 * process: a plugin that crashes or hangs in open() takes nothing down
 * there, and nothing it opens stays behind. */
#ifndef FUSEHOST_INSTANCE_CHECK_H
#define FUSEHOST_INSTANCE_CHECK_H

struct mount_config;
struct plugin;

enum instance_check {
	INSTANCE_ACCEPTED,
	INSTANCE_REFUSED,  /* *reason says why, in the plugin's words */
	INSTANCE_UNCHECKED /* no answer (*reason says why): not a refusal */
};

/* Open and close an instance of `plugin` for `config` in a child process,
 * waiting at most a few seconds.  Sets *reason (g_free) unless accepted. */
enum instance_check instance_check(const struct mount_config *config,
				   const struct plugin *plugin, char **reason);

#endif
