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

#include <stdint.h>

struct mount_config;
struct plugin;

enum instance_check {
	INSTANCE_ACCEPTED,
	INSTANCE_REFUSED,  /* *reason says why, in the plugin's words */
	INSTANCE_UNCHECKED /* no answer (*reason says why): not a refusal */
};

/* Ample for an open() that reads its options; a plugin that takes longer
 * (one that connects somewhere, say) is not waited for, nor refused.  One
 * deadline covers all the checks of a reload, which runs in the main
 * loop. */
#define INSTANCE_CHECK_TIMEOUT_MS 5000

/* Open and close an instance of `plugin` for `config` in a child process,
 * waiting until `deadline_ms` (monotonic) at most.  Sets *reason (g_free)
 * unless accepted. */
enum instance_check instance_check(const struct mount_config *config,
				   const struct plugin *plugin,
				   int64_t deadline_ms, char **reason);

#endif
