/* sd_notify messages; see notify.h. */
#define _GNU_SOURCE
#include "notify.h"

#include <inttypes.h>
#include <stdbool.h>
#include <systemd/sd-daemon.h>
#include <time.h>

/* CLOCK_MONOTONIC of the last ping, in microseconds; main thread only. */
static uint64_t last_watchdog_usec;

static uint64_t now_usec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

void notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void notify_reloading(void)
{
	struct timespec now;

	/* systemd matches the reload to this timestamp (Type=notify-reload
	 * requires it; plain notify accepts it). */
	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		   (uint64_t)now.tv_sec * 1000000u +
			   (uint64_t)now.tv_nsec / 1000u);
}

void notify_stopping(const char *status)
{
	sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}

void notify_extend_timeout(uint64_t usec)
{
	sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
}

uint64_t notify_watchdog_interval_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2;
}

void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
	last_watchdog_usec = now_usec();
}

void notify_watchdog_if_due(void)
{
	uint64_t interval = notify_watchdog_interval_usec();

	if (interval && now_usec() - last_watchdog_usec >= interval)
		notify_watchdog();
}
