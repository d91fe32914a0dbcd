/* Parsing control-socket requests; see control_request.h. */
#include "control_request.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "options.h"

#define HTTP_BAD_REQUEST 400
#define HTTP_NOT_FOUND 404
#define HTTP_METHOD_NOT_ALLOWED 405

static const struct {
	const char *name;
	enum control_action action;
} mount_actions[] = {
	{ "mount", CONTROL_MOUNT },
	{ "unmount", CONTROL_UNMOUNT },
	{ "remount", CONTROL_REMOUNT },
	{ "trace", CONTROL_TRACE },
};

/* {"enabled": true} or {"enabled": false}, nothing else. */
static bool parse_enabled(const char *body, bool *enabled)
{
	JsonParser *parser = json_parser_new();
	bool ok = false;

	if (json_parser_load_from_data(parser, body, -1, NULL)) {
		JsonNode *root = json_parser_get_root(parser);

		if (root && JSON_NODE_HOLDS_OBJECT(root)) {
			JsonNode *member = json_object_get_member(
				json_node_get_object(root), "enabled");

			if (member && JSON_NODE_HOLDS_VALUE(member) &&
			    json_node_get_value_type(member) ==
				    G_TYPE_BOOLEAN) {
				*enabled = json_node_get_boolean(member);
				ok = true;
			}
		}
	}
	g_object_unref(parser);
	return ok;
}

static unsigned parse_get(const char *url, struct control_request *request)
{
	if (strcmp(url, "/v1/status") == 0)
		request->action = CONTROL_STATUS;
	else if (strcmp(url, "/v1/mounts") == 0)
		request->action = CONTROL_LIST;
	else if (strcmp(url, "/metrics") == 0)
		request->action = CONTROL_METRICS;
	else
		return HTTP_NOT_FOUND;
	return 0;
}

/* /v1/mounts/NAME/ACTION, an action that exists and a NAME (slashes and
 * all, as decoded from the URL) that no mount can have. */
static bool names_no_mount(const char *url)
{
	static const char prefix[] = "/v1/mounts/";
	const char *action = strrchr(url, '/');
	bool known = false;

	if (strncmp(url, prefix, strlen(prefix)) != 0 ||
	    action < url + strlen(prefix))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(mount_actions); i++)
		known |= strcmp(action + 1, mount_actions[i].name) == 0;
	return known;
}

static unsigned parse_post(const char *url, const char *body,
			   struct control_request *request,
			   const char **message)
{
	char **parts;
	unsigned status = HTTP_NOT_FOUND;

	if (strcmp(url, "/v1/reload") == 0) {
		request->action = CONTROL_RELOAD;
		return 0;
	}
	/* "", "v1", "mounts", NAME, ACTION */
	parts = g_strsplit(url, "/", -1);
	if (g_strv_length(parts) == 5 && strcmp(parts[0], "") == 0 &&
	    strcmp(parts[1], "v1") == 0 && strcmp(parts[2], "mounts") == 0 &&
	    is_valid_name(parts[3])) {
		for (size_t i = 0; i < G_N_ELEMENTS(mount_actions); i++) {
			if (strcmp(parts[4], mount_actions[i].name) == 0) {
				request->action = mount_actions[i].action;
				request->name = g_strdup(parts[3]);
				status = 0;
			}
		}
	}
	g_strfreev(parts);
	if (status != 0 && names_no_mount(url))
		*message = "no such mount";
	if (status == 0 && request->action == CONTROL_TRACE &&
	    !parse_enabled(body, &request->enabled)) {
		*message = "body must be {\"enabled\": true} or "
			   "{\"enabled\": false}";
		control_request_clear(request);
		return HTTP_BAD_REQUEST;
	}
	return status;
}

unsigned control_request_parse(const char *method, const char *url,
			       const char *body,
			       struct control_request *request,
			       const char **message)
{
	unsigned status;

	memset(request, 0, sizeof(*request));
	*message = "no such request";
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		status = parse_get(url, request);
	else if (strcmp(method, "POST") == 0)
		status = parse_post(url, body, request, message);
	else {
		*message = "use GET or POST";
		return HTTP_METHOD_NOT_ALLOWED;
	}
	return status;
}

void control_request_clear(struct control_request *request)
{
	g_free(request->name);
	request->name = NULL;
}

bool control_request_changes_state(const struct control_request *request)
{
	return request->action != CONTROL_STATUS &&
	       request->action != CONTROL_LIST &&
	       request->action != CONTROL_METRICS;
}
