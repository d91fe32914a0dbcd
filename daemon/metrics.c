/* Prometheus metrics; see metrics.h.  The names are a stable interface:
 * dashboards and alerts depend on them. */
#define _GNU_SOURCE
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "layer.h"
#include "mount.h"
#include "plugin.h"
#include "stats.h"

#ifndef FUSEHOST_VERSION
#define FUSEHOST_VERSION "0.0"
#endif

static void describe(GString *out, const char *name, const char *type,
		     const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			       name, type);
}

/* Mount and plugin names are [A-Za-z0-9._-]+, but the plugin may be an
 * unloadable path from the config: escape as the format requires. */
static void append_label_value(GString *out, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			g_string_append_c(out, '\\');
		if (*value == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *value);
	}
}

static void append_labels(GString *out, struct mount *mount)
{
	g_string_append(out, "mount=\"");
	append_label_value(out, mount->config->name);
	g_string_append(out, "\",plugin=\"");
	append_label_value(out, mount_plugin_name(mount));
	g_string_append_c(out, '"');
}

static void append_seconds(GString *out, uint64_t ns)
{
	g_string_append_printf(out, "%.9g", (double)ns / 1e9);
}

struct rendered_mount {
	struct mount *mount;
	struct stats_snapshot *snapshot; /* NULL: not observed */
};

static void render_operations(GString *out, struct rendered_mount *mounts,
			      guint count)
{
	describe(out, "fusehost_operations_total", "counter",
		 "FUSE operations completed, by operation.");
	for (guint i = 0; i < count; i++) {
		if (!mounts[i].snapshot)
			continue;
		for (unsigned op = 0; op < OP_COUNT; op++) {
			if (!layer_plugin_implements(
				&mounts[i].mount->plugin->operations, op))
				continue;
			g_string_append(out, "fusehost_operations_total{");
			append_labels(out, mounts[i].mount);
			g_string_append_printf(
			    out, ",op=\"%s\"} %" PRIu64 "\n", op_name(op),
			    mounts[i].snapshot->ops[op].count);
		}
	}
}

/* The errno's name; its number for the few values below the last slot
 * that glibc has no name for (41 and 58 are unused), so that no two
 * series share a label; "other" for the last slot, which counts every
 * errno past it. */
static const char *errno_label(unsigned slot, char number[16])
{
	const char *name;

	if (slot == STATS_ERRNO_SLOTS - 1)
		return "other";
	name = strerrorname_np((int)slot);
	if (name)
		return name;
	snprintf(number, 16, "%u", slot);
	return number;
}

static void render_errors(GString *out, struct rendered_mount *mounts,
			  guint count)
{
	describe(out, "fusehost_operation_errors_total", "counter",
		 "FUSE operations that failed, by operation and errno.");
	for (guint i = 0; i < count; i++) {
		if (!mounts[i].snapshot)
			continue;
		for (unsigned op = 0; op < OP_COUNT; op++) {
			const struct op_counters *counters =
			    &mounts[i].snapshot->ops[op];

			for (unsigned slot = 1; slot < STATS_ERRNO_SLOTS;
			     slot++) {
				char number[16];

				if (!counters->errors[slot])
					continue;
				g_string_append(
				    out, "fusehost_operation_errors_total{");
				append_labels(out, mounts[i].mount);
				g_string_append_printf(
				    out,
				    ",op=\"%s\",errno=\"%s\"} %" PRIu64 "\n",
				    op_name(op), errno_label(slot, number),
				    counters->errors[slot]);
			}
		}
	}
}

static void render_violations(GString *out, struct rendered_mount *mounts,
			      guint count)
{
	describe(out, "fusehost_plugin_violations_total", "counter",
		 "Results a plugin had no right to return (the caller got "
		 "EIO), by operation.");
	for (guint i = 0; i < count; i++) {
		if (!mounts[i].snapshot)
			continue;
		for (unsigned op = 0; op < OP_COUNT; op++) {
			uint64_t violations =
			    mounts[i].snapshot->ops[op].violations;

			if (!violations)
				continue;
			g_string_append(out,
					"fusehost_plugin_violations_total{");
			append_labels(out, mounts[i].mount);
			g_string_append_printf(out, ",op=\"%s\"} %" PRIu64 "\n",
					       op_name(op), violations);
		}
	}
}

static void render_histogram(GString *out, struct mount *mount, enum op op,
			     const struct op_counters *counters)
{
	uint64_t cumulative = 0;

	for (unsigned bucket = 0; bucket < STATS_BUCKETS; bucket++) {
		uint64_t bound = stats_bucket_bound_ns(bucket);

		cumulative += counters->buckets[bucket];
		g_string_append(out,
				"fusehost_operation_duration_seconds_bucket{");
		append_labels(out, mount);
		g_string_append_printf(out, ",op=\"%s\",le=\"", op_name(op));
		if (bound == UINT64_MAX)
			g_string_append(out, "+Inf");
		else
			append_seconds(out, bound);
		g_string_append_printf(out, "\"} %" PRIu64 "\n", cumulative);
	}
	g_string_append(out, "fusehost_operation_duration_seconds_sum{");
	append_labels(out, mount);
	g_string_append_printf(out, ",op=\"%s\"} ", op_name(op));
	append_seconds(out, counters->duration_ns);
	g_string_append(out, "\nfusehost_operation_duration_seconds_count{");
	append_labels(out, mount);
	g_string_append_printf(out, ",op=\"%s\"} %" PRIu64 "\n", op_name(op),
			       cumulative);
}

static void render_durations(GString *out, struct rendered_mount *mounts,
			     guint count)
{
	describe(out, "fusehost_operation_duration_seconds", "histogram",
		 "Time FUSE operations took in the plugin, by operation "
		 "(operations that ran at least once).");
	for (guint i = 0; i < count; i++) {
		if (!mounts[i].snapshot)
			continue;
		for (unsigned op = 0; op < OP_COUNT; op++) {
			if (mounts[i].snapshot->ops[op].count)
				render_histogram(out, mounts[i].mount, op,
						 &mounts[i].snapshot->ops[op]);
		}
	}
}

static void render_per_mount_value(GString *out, struct rendered_mount *mounts,
				   guint count, const char *name,
				   const char *type, const char *help,
				   uint64_t (*value)(struct rendered_mount *,
						     uint64_t now_ns))
{
	uint64_t now_ns = stats_now_ns();

	describe(out, name, type, help);
	for (guint i = 0; i < count; i++) {
		if (!mounts[i].snapshot)
			continue;
		g_string_append_printf(out, "%s{", name);
		append_labels(out, mounts[i].mount);
		g_string_append_printf(out, "} %" PRIu64 "\n",
				       value(&mounts[i], now_ns));
	}
}

static uint64_t read_bytes(struct rendered_mount *mount, uint64_t now_ns)
{
	(void)now_ns;
	return mount->snapshot->read_bytes;
}

static uint64_t written_bytes(struct rendered_mount *mount, uint64_t now_ns)
{
	(void)now_ns;
	return mount->snapshot->written_bytes;
}

static uint64_t in_flight(struct rendered_mount *mount, uint64_t now_ns)
{
	(void)now_ns;
	return mount->snapshot->in_flight;
}

static void render_oldest_age(GString *out, struct rendered_mount *mounts,
			      guint count)
{
	uint64_t now_ns = stats_now_ns();

	describe(out, "fusehost_oldest_operation_age_seconds", "gauge",
		 "How long the oldest operation still running has been "
		 "running, lock requests waiting for another holder left "
		 "out (0 when none is).");
	for (guint i = 0; i < count; i++) {
		uint64_t since;

		if (!mounts[i].snapshot)
			continue;
		since = mounts[i].snapshot->oldest_running_since_ns;
		g_string_append(out, "fusehost_oldest_operation_age_seconds{");
		append_labels(out, mounts[i].mount);
		g_string_append(out, "} ");
		append_seconds(out,
			       since && since < now_ns ? now_ns - since : 0);
		g_string_append_c(out, '\n');
	}
}

static void render_mount_up(GString *out, struct rendered_mount *mounts,
			    guint count)
{
	describe(out, "fusehost_mount_up", "gauge",
		 "1 while the mount is serving, 0 when it is not.");
	for (guint i = 0; i < count; i++) {
		g_string_append(out, "fusehost_mount_up{");
		append_labels(out, mounts[i].mount);
		g_string_append_printf(out, "} %d\n",
				       mount_get_state(mounts[i].mount) ==
					   MOUNT_SERVING);
	}
}

static void render_restarts(GString *out, struct rendered_mount *mounts,
			    guint count)
{
	describe(out, "fusehost_mount_restarts_total", "counter",
		 "Times fusehostd started the mount again after it was lost "
		 "or failed.");
	for (guint i = 0; i < count; i++) {
		g_string_append(out, "fusehost_mount_restarts_total{");
		append_labels(out, mounts[i].mount);
		g_string_append_printf(out, "} %u\n",
				       __atomic_load_n(&mounts[i].mount->restarts,
						       __ATOMIC_RELAXED));
	}
}

char *metrics_render(GPtrArray *mounts)
{
	struct rendered_mount *rendered =
	    g_new0(struct rendered_mount, mounts->len);
	GString *out = g_string_sized_new(64 * 1024);

	for (guint i = 0; i < mounts->len; i++) {
		struct mount *mount = mounts->pdata[i];

		rendered[i].mount = mount;
		if (mount->plugin && mount_is_observed(mount)) {
			rendered[i].snapshot = g_new(struct stats_snapshot, 1);
			stats_snapshot(&mount->layer.stats,
				       rendered[i].snapshot);
		}
	}

	describe(out, "fusehost_build_info", "gauge",
		 "Always 1; the labels say which fusehostd this is.");
	g_string_append(out, "fusehost_build_info{version=\"" FUSEHOST_VERSION
			     "\"} 1\n");
	render_mount_up(out, rendered, mounts->len);
	render_restarts(out, rendered, mounts->len);
	render_operations(out, rendered, mounts->len);
	render_errors(out, rendered, mounts->len);
	render_violations(out, rendered, mounts->len);
	render_durations(out, rendered, mounts->len);
	render_per_mount_value(
	    out, rendered, mounts->len, "fusehost_read_bytes_total", "counter",
	    "Bytes plugins returned to read requests (for an answer by "
	    "file descriptor, the bytes asked for).",
	    read_bytes);
	render_per_mount_value(out, rendered, mounts->len,
			       "fusehost_written_bytes_total", "counter",
			       "Bytes plugins accepted from write requests.",
			       written_bytes);
	render_per_mount_value(
	    out, rendered, mounts->len, "fusehost_operations_in_flight",
	    "gauge", "Operations running in the plugin now.", in_flight);
	render_oldest_age(out, rendered, mounts->len);

	for (guint i = 0; i < mounts->len; i++)
		g_free(rendered[i].snapshot);
	g_free(rendered);
	return g_string_free(out, FALSE);
}
