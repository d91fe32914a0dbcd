/* Last words on a fatal signal.  With isolation = thread a plugin that
 * crashes takes fusehostd down (see README); this says which mount and
 * which operation did it, on stderr, which systemd puts in the journal,
 * and then lets the signal do what it would have done (the previous
 * handler, or a core dump). */
#ifndef FUSEHOST_CRASH_H
#define FUSEHOST_CRASH_H

/* Install the handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT.
 * Call once, early. */
void crash_report_install(void);

/* Put back what crash_report_install() found, in a process that is not
 * fusehostd's to speak for (a child running plugin code). */
void crash_report_uninstall(void);

#endif
