/* What a control-socket request asks for, parsed from its method, URL and
 * body with no side effects (so that it can be fuzzed on its own).  The
 * API is described in control.h. */
#ifndef FUSEHOST_CONTROL_REQUEST_H
#define FUSEHOST_CONTROL_REQUEST_H

#include <stdbool.h>

enum control_action {
	CONTROL_STATUS,
	CONTROL_LIST,
	CONTROL_METRICS,
	CONTROL_MOUNT,
	CONTROL_UNMOUNT,
	CONTROL_REMOUNT,
	CONTROL_TRACE,
	CONTROL_RELOAD,
};

struct control_request {
	enum control_action action;
	char *name;   /* the mount, for the per-mount actions */
	bool enabled; /* for CONTROL_TRACE */
};

/* Returns 0 and fills `request` (release with control_request_clear), or
 * an HTTP status (400, 404, 405) and sets *message to a static string. */
unsigned control_request_parse(const char *method, const char *url,
			       const char *body,
			       struct control_request *request,
			       const char **message);
void control_request_clear(struct control_request *request);

/* Whether the action changes state (and so needs the caller's rights). */
bool control_request_changes_state(const struct control_request *request);

#endif
