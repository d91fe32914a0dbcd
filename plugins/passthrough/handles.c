/* The descriptors a mirror holds open; see handles.h. */
#include "handles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char passthrough_handles_file;

void passthrough_handles_init(struct passthrough_handles *handles)
{
	pthread_mutex_init(&handles->lock, NULL);
	handles->holders = NULL;
	handles->size = 0;
}

/* Room for descriptor `fd`; the caller holds the lock. */
static int grow_locked(struct passthrough_handles *handles, int fd)
{
	size_t size = handles->size ? handles->size : 64;
	void **holders;

	while (size <= (size_t)fd)
		size *= 2;
	holders = realloc(handles->holders, size * sizeof(*holders));
	if (!holders)
		return -ENOMEM;
	memset(holders + handles->size, 0,
	       (size - handles->size) * sizeof(*holders));
	handles->holders = holders;
	handles->size = size;
	return 0;
}

int passthrough_handles_add(struct passthrough_handles *handles, int fd,
			    void *holder)
{
	int err = 0;

	pthread_mutex_lock(&handles->lock);
	if ((size_t)fd >= handles->size)
		err = grow_locked(handles, fd);
	if (!err)
		handles->holders[fd] = holder;
	pthread_mutex_unlock(&handles->lock);
	return err;
}

void passthrough_handles_remove(struct passthrough_handles *handles, int fd)
{
	pthread_mutex_lock(&handles->lock);
	if ((size_t)fd < handles->size)
		handles->holders[fd] = NULL;
	pthread_mutex_unlock(&handles->lock);
}

void passthrough_handles_close_all(struct passthrough_handles *handles,
				   void (*close_holder)(void *holder))
{
	for (size_t fd = 0; fd < handles->size; fd++) {
		void *holder = handles->holders[fd];

		if (holder == &passthrough_handles_file)
			close((int)fd);
		else if (holder)
			close_holder(holder);
	}
	free(handles->holders);
	handles->holders = NULL;
	handles->size = 0;
	pthread_mutex_destroy(&handles->lock);
}
