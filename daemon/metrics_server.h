/* The HTTP endpoint that serves GET /metrics (libmicrohttpd, its own
 * thread).  Everything else gets 404 or 405. */
#ifndef FUSEHOST_METRICS_SERVER_H
#define FUSEHOST_METRICS_SERVER_H

#include <glib.h>

struct metrics_server;

struct supervisor;

/* Listen on `listen` ("127.0.0.1:9464", "[::1]:9464") and render the
 * supervisor's mounts on each scrape.  NULL, after logging why, on
 * failure. */
struct metrics_server *metrics_server_start(const char *listen,
					    struct supervisor *supervisor);
void metrics_server_stop(struct metrics_server *server);

#endif
