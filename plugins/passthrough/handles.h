/* The descriptors a mirror holds for open files and directories, so that
 * the ones the kernel never released can be closed when the mount goes.
 *
 * A mount that goes away while files are open in it (a remount, a heal
 * after an outside unmount, a stop) gets no release for them: the kernel
 * has cut the connection.  Their descriptors would stay open in fusehostd
 * for good, and with them every flock() lock taken through them. */
#ifndef PASSTHROUGH_HANDLES_H
#define PASSTHROUGH_HANDLES_H

#include <pthread.h>
#include <stddef.h>

struct passthrough_handles {
	pthread_mutex_t lock;
	void **holders; /* by descriptor: what holds it open, or NULL */
	size_t size;
};

/* What passthrough_handles_add() records for a plain file descriptor. */
extern char passthrough_handles_file;

void passthrough_handles_init(struct passthrough_handles *handles);

/* Record that `holder` holds `fd` open (&passthrough_handles_file for a
 * bare descriptor).  0, or -ENOMEM: then the caller must not hand the
 * descriptor out. */
int passthrough_handles_add(struct passthrough_handles *handles, int fd,
			    void *holder);

/* Forget `fd`; call it before the descriptor is closed, so that its number
 * cannot be given to another open in between. */
void passthrough_handles_remove(struct passthrough_handles *handles, int fd);

/* Close whatever is still recorded (bare descriptors with close(), others
 * with `close_holder`) and free the record.  Only when nothing else uses
 * the handles any more: the mount has stopped. */
void passthrough_handles_close_all(struct passthrough_handles *handles,
				   void (*close_holder)(void *holder));

#endif
