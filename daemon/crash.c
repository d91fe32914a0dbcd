/* Last words on a fatal signal (see crash.h).  Everything here runs in a
 * signal handler: write(2) and string copies only, no stdio, no malloc,
 * no locks. */
#define _GNU_SOURCE
#include "crash.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				     SIGABRT };
/* What was there before, to hand the signal on to (the default action,
 * or a sanitizer's handler). */
#define FATAL_SIGNALS (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction previous[FATAL_SIGNALS];

static size_t append(char *line, size_t length, size_t size,
		     const char *text)
{
	while (*text && length + 1 < size)
		line[length++] = *text++;
	line[length] = '\0';
	return length;
}

static const char *signal_name(int signal_number)
{
	switch (signal_number) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	default:
		return "SIGABRT";
	}
}

static void on_fatal_signal(int signal_number, siginfo_t *info,
			    void *context)
{
	char line[512];
	size_t length = 0;
	const char *mount;
	enum op op;

	(void)context;
	/* First, so that a fault in here goes straight to what was there
	 * before (the signal is blocked meanwhile: the kernel then kills). */
	for (size_t i = 0; i < FATAL_SIGNALS; i++) {
		if (fatal_signals[i] == signal_number)
			sigaction(signal_number, &previous[i], NULL);
	}
	length = append(line, length, sizeof(line), "fatal: fusehostd got ");
	length = append(line, length, sizeof(line),
			signal_name(signal_number));
	/* A fault, or abort() in this process, is the running thread's; a
	 * signal sent from outside (kill, a watchdog) says nothing about the
	 * thread it happened to land on. */
	if ((info->si_code > 0 || info->si_pid == getpid()) &&
	    stats_thread_running(&mount, &op)) {
		length = append(line, length, sizeof(line), " in mount ");
		length = append(line, length, sizeof(line), mount);
		length = append(line, length, sizeof(line),
				", in its plugin's ");
		length = append(line, length, sizeof(line), op_name(op));
		length = append(line, length, sizeof(line),
				"; isolation = process would have kept it "
				"to that mount");
	}
	length = append(line, length, sizeof(line), "\n");
	if (write(STDERR_FILENO, line, length) < 0) {
		/* Nothing else can be done from here. */
	}
	/* Hand the signal on to what was there before: a fault recurs when
	 * the handler returns; a signal that was sent (abort(), kill) is sent
	 * again. */
	if (info->si_code <= 0)
		raise(signal_number);
}

void crash_report_install(void)
{
	struct sigaction action = { .sa_sigaction = on_fatal_signal };

	sigemptyset(&action.sa_mask);
	action.sa_flags = SA_SIGINFO;
	for (size_t i = 0; i < FATAL_SIGNALS; i++)
		sigaction(fatal_signals[i], &action, &previous[i]);
}

void crash_report_uninstall(void)
{
	for (size_t i = 0; i < FATAL_SIGNALS; i++)
		sigaction(fatal_signals[i], &previous[i], NULL);
}
