/* Parsers for the value types of config keys and plugin options.
 *
 * Each returns 0 on success or -EINVAL (also for overflow), leaving the
 * output untouched on failure.  They never log: callers know which file,
 * mount and key the text came from and say so. */
#ifndef FUSEHOST_OPTIONS_H
#define FUSEHOST_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int parse_bool(const char *text, bool *value);
/* What parse_bool() takes, for messages about a value it refused. */
#define BOOLEAN_VALUES "true, false, yes, no, on, off, 1 or 0"

/* A decimal integer, optionally signed. */
int parse_int64(const char *text, int64_t *value);

/* A byte count: a decimal number with an optional binary suffix K, M, G,
 * T, P (case-insensitive, "KiB" and "KB" accepted too): "4096", "64M". */
int parse_size(const char *text, uint64_t *value);

/* Names of mounts and plugins: [A-Za-z0-9._-]+, at most 64 characters, and
 * not "." or "..". */
bool is_valid_name(const char *text);

/* Split "HOST:PORT" or "[V6HOST]:PORT" (port 1 to 65535) into newly
 * allocated strings (g_free). */
int parse_host_port(const char *text, char **host, char **port);

#endif
