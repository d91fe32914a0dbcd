/* Telling systemd (sd_notify) what the daemon is doing: ready, reloading,
 * stopping, still alive (watchdog), and a one-line status.  Without
 * NOTIFY_SOCKET every call does nothing. */
#ifndef FUSEHOST_NOTIFY_H
#define FUSEHOST_NOTIFY_H

#include <stdint.h>

void notify_ready(const char *status);
void notify_status(const char *status);
void notify_reloading(void);
void notify_stopping(const char *status);
/* Ask for `usec` more before systemd's stop timeout fires. */
void notify_extend_timeout(uint64_t usec);
/* How often to ping the watchdog (half of WATCHDOG_USEC), 0 if disabled. */
uint64_t notify_watchdog_interval_usec(void);
void notify_watchdog(void);
/* Ping the watchdog if half its interval has passed since the last ping;
 * for the main thread while it waits for something bounded. */
void notify_watchdog_if_due(void);

#endif
