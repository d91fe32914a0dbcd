/* Fuzz target: control-socket request parsing.  The input is
 * "METHOD URL\nBODY". */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	char *newline = strchr(text, '\n');
	const char *body = "";
	char *space;
	struct control_request request;
	const char *message;

	if (newline) {
		*newline = '\0';
		body = newline + 1;
	}
	space = strchr(text, ' ');
	if (space) {
		*space = '\0';
		if (control_request_parse(text, space + 1, body, &request,
					  &message) == 0) {
			control_request_changes_state(&request);
			control_request_clear(&request);
		}
	}
	g_free(text);
	return 0;
}
