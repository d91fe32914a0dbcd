/* Prometheus text rendering of every mount's statistics.
 *
 * Rendering happens only when someone scrapes: it sums the per-thread
 * blocks of each mount (see stats.h) and writes the text format, version
 * 0.0.4. */
#ifndef FUSEHOST_METRICS_H
#define FUSEHOST_METRICS_H

#include <glib.h>

/* `mounts` holds struct mount *.  Returns the text; g_free it. */
char *metrics_render(GPtrArray *mounts);

#endif
