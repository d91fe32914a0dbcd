/* The control socket: HTTP/1.1 with JSON bodies on a unix socket, so that
 * fusehostctl and `curl --unix-socket` can ask for status and change
 * state.  Anyone who can open the socket may read; only root, or members
 * of control-group, may change state (decided by the peer's SO_PEERCRED).
 *
 *   GET  /v1/status                      daemon and every mount
 *   GET  /v1/mounts                      the mounts only
 *   POST /v1/mounts/NAME/mount           bring a mount up
 *   POST /v1/mounts/NAME/unmount         take it down (it stays down)
 *   POST /v1/mounts/NAME/remount         down and up again
 *   POST /v1/mounts/NAME/trace           body {"enabled": true|false}
 *   POST /v1/reload                      re-read the configuration
 *   GET  /metrics                        the Prometheus text
 */
#ifndef FUSEHOST_CONTROL_H
#define FUSEHOST_CONTROL_H

#include <stdbool.h>

struct supervisor;
struct control;

/* What the daemon does for POST /v1/reload: 0, or a negative errno with
 * *message (g_free) saying why. */
typedef int (*control_reload_function)(void *data, char **message);

/* Whether a daemon answers on the socket at `path`: another fusehostd
 * serves this configuration. */
bool control_socket_answers(const char *path);

/* Listen on `path` (its directory is created 0700 if missing, 0710 for
 * `group` when one is named; one that exists already is left alone; the
 * socket is 0600, or 0660 for `group`).  NULL, after logging why, on
 * failure. */
struct control *control_start(const char *path, const char *group,
			      struct supervisor *supervisor,
			      control_reload_function reload, void *data);
void control_stop(struct control *control);

#endif
