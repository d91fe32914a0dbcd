/* Parsers for booleans, integers, sizes and names; see options.h. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

int parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = { "true", "yes", "on", "1" };
	static const char *const falsehoods[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, falsehoods[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_int64(const char *text, int64_t *value)
{
	char *end;
	long long parsed;

	/* strtoll skips leading blanks and accepts an empty string as 0. */
	if (!*text || isspace((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*value = parsed;
	return 0;
}

static int suffix_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGTP";
	const char *unit;

	if (*suffix == '\0') {
		*shift = 0;
		return 0;
	}
	unit = strchr(units, toupper((unsigned char)*suffix));
	if (!unit)
		return -EINVAL;
	suffix++;
	if (*suffix != '\0' && strcasecmp(suffix, "iB") != 0 &&
	    strcasecmp(suffix, "B") != 0)
		return -EINVAL;
	*shift = 10 * (unsigned)(unit - units + 1);
	return 0;
}

int parse_size(const char *text, uint64_t *value)
{
	char *end;
	unsigned long long number;
	unsigned shift;

	/* strtoull accepts "-1" and wraps it around: refuse signs up front. */
	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	number = strtoull(text, &end, 10);
	if (errno != 0 || end == text)
		return -EINVAL;
	if (suffix_shift(end, &shift) < 0)
		return -EINVAL;
	if (shift > 0 && number > (UINT64_MAX >> shift))
		return -EINVAL;
	*value = (uint64_t)number << shift;
	return 0;
}

bool is_valid_name(const char *text)
{
	size_t length = strlen(text);

	if (length == 0 || length > 64)
		return false;
	if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
		return false;
	for (const char *c = text; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' &&
		    *c != '-')
			return false;
	}
	return true;
}

int parse_host_port(const char *text, char **host, char **port)
{
	const char *colon;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		*host = g_strndup(text + 1, (gsize)(end - text - 1));
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || colon == text)
			return -EINVAL;
		*host = g_strndup(text, (gsize)(colon - text));
	}
	*port = g_strdup(colon + 1);
	if (!**port || strspn(*port, "0123456789") != strlen(*port) ||
	    strtol(*port, NULL, 10) < 1 || strtol(*port, NULL, 10) > 65535) {
		g_clear_pointer(host, g_free);
		g_clear_pointer(port, g_free);
		return -EINVAL;
	}
	return 0;
}
