/* The process that serves one mount with isolation = process; see
 * mount_process.h. */
#ifndef FUSEHOST_MOUNT_CHILD_H
#define FUSEHOST_MOUNT_CHILD_H

/* `fusehostd --mount-child NAME FILE`, FILE being the configuration
 * file that defines the mount; never returns. */
int mount_child_main(const char *name, const char *file)
	__attribute__((noreturn));

#endif
