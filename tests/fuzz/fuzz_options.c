/* Fuzz target: the value parsers (sizes, booleans, integers, names,
 * HOST:PORT) and the mount-table line parser. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	uint64_t bytes;
	int64_t number;
	bool flag;
	char *host, *port;
	struct mountinfo_entry *entry;

	parse_size(text, &bytes);
	parse_int64(text, &number);
	parse_bool(text, &flag);
	is_valid_name(text);
	if (parse_host_port(text, &host, &port) == 0) {
		g_free(host);
		g_free(port);
	}
	entry = mountinfo_parse_line(text);
	mountinfo_entry_free(entry);
	g_free(text);
	return 0;
}
