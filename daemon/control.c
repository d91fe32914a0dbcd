/* The control socket; see control.h.
 *
 * libmicrohttpd serves each connection from a thread of its own.  Reading
 * state takes the supervisor's lock; changing it is handed to the main
 * thread (where the supervisor lives) as an idle source of the default
 * main context, and the request waits for the answer while other
 * connections are served.  control_stop() first runs what is still
 * queued, answering "fusehostd is stopping", and lets the answers out,
 * since the server it then stops shuts every connection down and joins
 * its thread. */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <microhttpd.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control_request.h"
#include "log.h"
#include "metrics.h"
#include "mount.h"
#include "mountinfo.h"
#include "stats.h"
#include "supervisor.h"

#ifndef FUSEHOST_VERSION
#define FUSEHOST_VERSION "0.0"
#endif

#define MAX_BODY 4096
/* Threads, one per connection: plenty for administrators and their
 * scripts, and a bound on what a client that opens connections and
 * leaves them idle can make the daemon keep. */
#define MAX_CONNECTIONS 16
/* How long control_stop() lets answers go out to clients that do not
 * read them. */
#define ANSWER_WAIT_SEC 2

struct control {
	struct MHD_Daemon *http;
	char *path;
	gid_t group; /* (gid_t)-1: none */
	struct supervisor *supervisor;
	control_reload_function reload;
	void *reload_data;
	int64_t started; /* g_get_monotonic_time() */
	pthread_mutex_t calls_lock;
	unsigned calls_queued; /* handed to the main thread, not yet run */
	bool stopping;         /* set by control_stop(): no more calls */
	unsigned answering;    /* requests read in full, not yet answered */
	pthread_cond_t answered; /* signalled as answering drops */
};

/* A state change handed to the main thread. */
struct call {
	struct control *control;
	const struct control_request *request;
	int result;
	char *message;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool finished;
};

struct request {
	GString *body;
	bool answering; /* counted in control->answering */
};

static const char *message_for(int result);

static int perform(struct control *control,
		   const struct control_request *request, char **message)
{
	struct supervisor *supervisor = control->supervisor;
	int result;

	switch (request->action) {
	case CONTROL_MOUNT:
		result = supervisor_mount(supervisor, request->name);
		break;
	case CONTROL_UNMOUNT:
		result = supervisor_unmount(supervisor, request->name);
		break;
	case CONTROL_REMOUNT:
		result = supervisor_remount(supervisor, request->name);
		break;
	case CONTROL_TRACE:
		result = supervisor_set_trace(supervisor, request->name,
					      request->enabled);
		break;
	case CONTROL_RELOAD:
		result = control->reload(control->reload_data, message);
		break;
	default:
		result = -EINVAL;
		break;
	}
	/* A start that failed: the line the log has, rather than a bare
	 * errno ("No such file or directory") or "see the log". */
	if ((request->action == CONTROL_MOUNT ||
	     request->action == CONTROL_REMOUNT) &&
	    (result == -ENOEXEC || (result < 0 && !message_for(result))))
		*message = supervisor_start_cause(supervisor, request->name);
	return result;
}

static gboolean run_call(gpointer data)
{
	struct call *call = data;
	struct control *control = call->control;
	bool stopping;

	pthread_mutex_lock(&control->calls_lock);
	stopping = control->stopping;
	pthread_mutex_unlock(&control->calls_lock);
	call->result = stopping ? -ESHUTDOWN
				: perform(control, call->request,
					  &call->message);

	pthread_mutex_lock(&control->calls_lock);
	control->calls_queued--;
	pthread_mutex_unlock(&control->calls_lock);
	/* The call lives on the requesting thread's stack: last touch. */
	pthread_mutex_lock(&call->lock);
	call->finished = true;
	pthread_cond_signal(&call->done);
	pthread_mutex_unlock(&call->lock);
	return G_SOURCE_REMOVE;
}

static void run_in_main_thread(struct call *call)
{
	struct control *control = call->control;

	pthread_mutex_lock(&control->calls_lock);
	if (control->stopping) {
		pthread_mutex_unlock(&control->calls_lock);
		call->result = -ESHUTDOWN;
		return;
	}
	control->calls_queued++;
	pthread_mutex_init(&call->lock, NULL);
	pthread_cond_init(&call->done, NULL);
	g_idle_add(run_call, call);
	pthread_mutex_unlock(&control->calls_lock);
	pthread_mutex_lock(&call->lock);
	while (!call->finished)
		pthread_cond_wait(&call->done, &call->lock);
	pthread_mutex_unlock(&call->lock);
	pthread_cond_destroy(&call->done);
	pthread_mutex_destroy(&call->lock);
}

static enum MHD_Result reply_text(struct MHD_Connection *connection,
				  unsigned status, const char *type,
				  char *text)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(
		strlen(text), text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result result;

	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result reply_json(struct MHD_Connection *connection,
				  unsigned status, JsonBuilder *builder)
{
	JsonNode *root = json_builder_get_root(builder);
	char *text = json_to_string(root, TRUE);
	char *line = g_strconcat(text, "\n", NULL);

	json_node_unref(root);
	g_object_unref(builder);
	g_free(text);
	return reply_text(connection, status, "application/json", line);
}

static enum MHD_Result reply_error(struct MHD_Connection *connection,
				   unsigned status, const char *message)
{
	JsonBuilder *builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	json_builder_add_string_value(builder, message);
	json_builder_end_object(builder);
	return reply_json(connection, status, builder);
}

static const char *state_name(struct mount *mount, GPtrArray *table)
{
	switch (mount_get_state(mount)) {
	case MOUNT_STARTING:
		return "starting";
	case MOUNT_SERVING:
		/* What the kernel says wins over what the mount believes,
		 * when the kernel's table could be read at all. */
		return !table || mount_still_mounted_in(mount, table)
			       ? "serving"
			       : "gone";
	case MOUNT_STOPPED:
		return mount->wanted ? "down" : "unmounted";
	case MOUNT_FAILED:
	default:
		return mount->wanted ? "failed" : "unmounted";
	}
}

/* How the mount is served, and by which process when not by fusehostd. */
static void add_isolation(JsonBuilder *builder, struct mount *mount)
{
	pid_t child;

	json_builder_set_member_name(builder, "isolation");
	json_builder_add_string_value(builder,
				      isolation_name(mount->config->isolation));
	pthread_mutex_lock(&mount->lock);
	child = mount->child;
	pthread_mutex_unlock(&mount->lock);
	if (child > 0) {
		json_builder_set_member_name(builder, "pid");
		json_builder_add_int_value(builder, child);
	}
}

static void add_mount(JsonBuilder *builder, struct mount *mount,
		      GPtrArray *table, bool with_counts)
{
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, mount->config->name);
	json_builder_set_member_name(builder, "state");
	json_builder_add_string_value(builder, state_name(mount, table));
	json_builder_set_member_name(builder, "plugin");
	json_builder_add_string_value(builder, mount_plugin_name(mount));
	json_builder_set_member_name(builder, "mountpoint");
	json_builder_add_string_value(builder, mount->config->mountpoint);
	if (with_counts) {
		uint64_t operations = 0, errors = 0;

		if (mount->plugin && mount_is_observed(mount)) {
			struct stats_snapshot *snapshot =
				g_new(struct stats_snapshot, 1);

			stats_snapshot(&mount->layer.stats, snapshot);
			for (unsigned op = 0; op < OP_COUNT; op++) {
				operations += snapshot->ops[op].count;
				for (unsigned e = 1; e < STATS_ERRNO_SLOTS; e++)
					errors += snapshot->ops[op].errors[e];
			}
			g_free(snapshot);
		}
		json_builder_set_member_name(builder, "operations");
		json_builder_add_int_value(builder, (gint64)operations);
		json_builder_set_member_name(builder, "errors");
		json_builder_add_int_value(builder, (gint64)errors);
		json_builder_set_member_name(builder, "restarts");
		json_builder_add_int_value(
			builder, __atomic_load_n(&mount->restarts,
						 __ATOMIC_RELAXED));
		json_builder_set_member_name(builder, "trace");
		json_builder_add_boolean_value(builder,
					       mount_get_trace(mount));
		add_isolation(builder, mount);
	}
	json_builder_end_object(builder);
}

static enum MHD_Result reply_mounts(struct control *control,
				    struct MHD_Connection *connection,
				    bool status)
{
	JsonBuilder *builder = json_builder_new();
	GPtrArray *table = mountinfo_read();
	GPtrArray *mounts;

	json_builder_begin_object(builder);
	if (status) {
		json_builder_set_member_name(builder, "version");
		json_builder_add_string_value(builder, FUSEHOST_VERSION);
		json_builder_set_member_name(builder, "uptime_seconds");
		json_builder_add_int_value(builder,
					   (g_get_monotonic_time() -
					    control->started) /
						   G_USEC_PER_SEC);
	}
	json_builder_set_member_name(builder, "mounts");
	json_builder_begin_array(builder);
	mounts = supervisor_lock(control->supervisor);
	for (guint i = 0; i < mounts->len; i++)
		add_mount(builder, mounts->pdata[i], table, status);
	supervisor_unlock(control->supervisor);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	if (table)
		g_ptr_array_unref(table);
	return reply_json(connection, MHD_HTTP_OK, builder);
}

/* Root, or a member of control-group: the peer's group or one of its
 * supplementary groups as the kernel saw them at connect (SO_PEERGROUPS),
 * which is what the process really has, whatever /etc/group says. */
static bool may_change_state(struct control *control,
			     struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		connection, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred peer;
	socklen_t length = sizeof(peer);
	gid_t groups[256];

	if (!info || getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED,
				&peer, &length) < 0)
		return false;
	if (peer.uid == 0)
		return true;
	if (control->group == (gid_t)-1)
		return false;
	if (peer.gid == control->group)
		return true;
	length = sizeof(groups);
	if (getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		       &length) < 0)
		return false;
	for (size_t i = 0; i < length / sizeof(gid_t); i++) {
		if (groups[i] == control->group)
			return true;
	}
	return false;
}

static unsigned status_for(int result)
{
	switch (result) {
	case 0:
		return MHD_HTTP_OK;
	case -ESRCH:
		return MHD_HTTP_NOT_FOUND;
	case -EALREADY:
		return MHD_HTTP_CONFLICT;
	case -EINVAL:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case -ESHUTDOWN:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	case -EINPROGRESS:
		return MHD_HTTP_ACCEPTED;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

static const char *message_for(int result)
{
	switch (result) {
	case -ESRCH:
		return "no such mount";
	case -EALREADY:
		return "already in that state";
	case -ENOEXEC:
		return "its plugin could not be loaded (see the log)";
	case -EIO:
		return "its plugin is stuck in an operation: the mount was "
		       "detached and abandoned (see the log)";
	case -EBUSY:
		return "its plugin is stuck in an operation; restart fusehostd "
		       "to bring it back";
	case -ESHUTDOWN:
		return "fusehostd is stopping";
	case -EINPROGRESS:
		return "still starting (its plugin is slow to open); the "
		       "request takes effect once it has started, as "
		       "fusehostctl status shows";
	default:
		return NULL;
	}
}

/* The message about one mount (named before it), in the words of what
 * was asked where the generic one would leave it unclear. */
static const char *message_for_mount(enum control_action action, int result,
				     const char *message)
{
	if (result == -ESRCH)
		return "no such mount";
	if (result == -EALREADY && action == CONTROL_MOUNT)
		return "already serving";
	if (result == -EALREADY && action == CONTROL_UNMOUNT)
		return "not serving: already unmounted";
	return message ? message : strerror(-result);
}

/* A state change, run in the main thread; replies. */
static enum MHD_Result change_state(struct control *control,
				   struct MHD_Connection *connection,
				   struct control_request *request)
{
	struct call call = { .control = control,
			     .request = request };
	enum MHD_Result result;
	JsonBuilder *builder;

	if (!may_change_state(control, connection))
		return reply_error(connection, MHD_HTTP_FORBIDDEN,
				   "permission denied: only root or members "
				   "of control-group may change state");
	run_in_main_thread(&call);
	if (call.result < 0) {
		const char *message = call.message ? call.message
						   : message_for(call.result);
		char *text = request->name
				     ? g_strdup_printf("%s: %s", request->name,
						       message_for_mount(
							   request->action,
							   call.result,
							   message))
				     : g_strdup(message ? message
							: strerror(-call.result));

		result = reply_error(connection, status_for(call.result),
				     text);
		g_free(text);
	} else {
		builder = json_builder_new();
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "result");
		json_builder_add_string_value(builder, "ok");
		json_builder_end_object(builder);
		result = reply_json(connection, MHD_HTTP_OK, builder);
	}
	g_free(call.message);
	return result;
}

static enum MHD_Result reply_metrics(struct control *control,
				     struct MHD_Connection *connection)
{
	char *text = metrics_render(supervisor_lock(control->supervisor));

	supervisor_unlock(control->supervisor);
	return reply_text(connection, MHD_HTTP_OK,
			  "text/plain; version=0.0.4; charset=utf-8", text);
}

static enum MHD_Result serve(struct control *control,
			     struct MHD_Connection *connection,
			     const char *url, const char *method,
			     const char *body)
{
	struct control_request request;
	const char *message;
	unsigned status;
	enum MHD_Result result;

	log_debug(NULL, "control request: %s %s", method, url);
	status = control_request_parse(method, url, body, &request, &message);
	if (status != 0)
		return reply_error(connection, status, message);
	switch (request.action) {
	case CONTROL_STATUS:
		result = reply_mounts(control, connection, true);
		break;
	case CONTROL_LIST:
		result = reply_mounts(control, connection, false);
		break;
	case CONTROL_METRICS:
		result = reply_metrics(control, connection);
		break;
	default:
		result = change_state(control, connection, &request);
		break;
	}
	control_request_clear(&request);
	return result;
}

static enum MHD_Result handle_request(void *data,
				      struct MHD_Connection *connection,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **state)
{
	struct control *control = data;
	struct request *request = *state;
	(void)version;
	if (!request) {
		/* First call: headers only. */
		request = g_new0(struct request, 1);
		request->body = g_string_new("");
		*state = request;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (request->body->len + *upload_data_size <= MAX_BODY)
			g_string_append_len(request->body, upload_data,
					    (gssize)*upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!request->answering) {
		request->answering = true;
		pthread_mutex_lock(&control->calls_lock);
		control->answering++;
		pthread_mutex_unlock(&control->calls_lock);
	}
	return serve(control, connection, url, method, request->body->str);
}

static void request_completed(void *data, struct MHD_Connection *connection,
			      void **state,
			      enum MHD_RequestTerminationCode code)
{
	struct control *control = data;
	struct request *request = *state;

	(void)connection;
	(void)code;
	if (!request)
		return;
	if (request->answering) {
		pthread_mutex_lock(&control->calls_lock);
		control->answering--;
		pthread_cond_broadcast(&control->answered);
		pthread_mutex_unlock(&control->calls_lock);
	}
	g_string_free(request->body, TRUE);
	g_free(request);
	*state = NULL;
}

bool control_socket_answers(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int probe;
	int connected;

	if (strlen(path) >= sizeof(address.sun_path) ||
	    access(path, F_OK) < 0)
		return false;
	g_strlcpy(address.sun_path, path, sizeof(address.sun_path));
	/* Non-blocking: a listener with a full backlog answers EAGAIN at
	 * once rather than holding the probe. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return false;
	connected = connect(probe, (struct sockaddr *)&address,
			    sizeof(address));
	if (connected < 0 && errno == EAGAIN)
		connected = 0;
	close(probe);
	return connected == 0;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "a file of unknown type";
	}
}

/* A socket left by a daemon that died is removed; one that answers
 * belongs to a running daemon and is left alone.  Anything else there is
 * someone's file, a typo in control-socket away from being deleted: it
 * stays, and *occupant says what it is. */
static int claim_socket_path(const char *path, const char **occupant)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		*occupant = file_kind(st.st_mode);
		return -EEXIST;
	}
	if (control_socket_answers(path))
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

/* With control-group, root:GROUP 0710: members can reach the socket, and
 * nobody else can even see it. */
static int own_directory(const char *dir, gid_t group)
{
	if (group != (gid_t)-1 &&
	    (chown(dir, 0, group) < 0 || chmod(dir, 0710) < 0))
		return -errno;
	return 0;
}

/* mkdir -p for the socket's directory; every directory made here is the
 * daemon's own.  *made: whether `dir` itself was. */
static int make_directory(const char *dir, gid_t group, bool *made)
{
	*made = false;
	if (mkdir(dir, 0700) < 0) {
		char *parent;
		bool parent_made;
		int result;

		if (errno == EEXIST)
			return 0;
		if (errno != ENOENT)
			return -errno;
		parent = g_path_get_dirname(dir);
		result = make_directory(parent, group, &parent_made);
		g_free(parent);
		if (result < 0)
			return result;
		if (mkdir(dir, 0700) < 0)
			return -errno;
	}
	*made = true;
	return own_directory(dir, group);
}

/* The directory systemd makes for the service (RuntimeDirectory=, named
 * in $RUNTIME_DIRECTORY) is there before the daemon starts, yet it is the
 * daemon's as much as one it made itself. */
static bool is_runtime_directory(const char *dir)
{
	const char *list = getenv("RUNTIME_DIRECTORY");
	char **dirs;
	bool found = false;

	if (!list)
		return false;
	dirs = g_strsplit(list, ":", -1);
	for (char **entry = dirs; *entry && !found; entry++)
		found = strcmp(*entry, dir) == 0;
	g_strfreev(dirs);
	return found;
}

/* A directory that was there already belongs to someone else (/run, a
 * shared /tmp/x): its owner and mode are not the daemon's to change, so
 * they stay, and a warning says when they defeat the socket's own. */
static void check_directory(const char *dir, gid_t group,
			    const char *group_name)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (group != (gid_t)-1 && !(st.st_mode & S_IXOTH) &&
	    !(st.st_gid == group && (st.st_mode & S_IXGRP))) {
		struct group *entry = getgrgid(st.st_gid);

		log_warning(NULL, "members of control-group %s cannot reach "
				  "the control socket: its directory %s was "
				  "there already and is left as it is, mode "
				  "%04o, group %s (fix: chgrp %s %s && chmod "
				  "g+x %s)",
			    group_name, dir, st.st_mode & 07777,
			    entry ? entry->gr_name : "(unknown)", group_name,
			    dir, dir);
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		log_warning(NULL, "anyone can replace the control socket: its "
				  "directory %s is writable by others and not "
				  "sticky (mode %04o); fix: chmod o-w %s",
			    dir, st.st_mode & 07777, dir);
}

/* The listening socket, or -1 with errno (and, for EEXIST, *occupant:
 * what is at `path` instead of a socket). */
static int listen_on(const char *path, gid_t group, const char *group_name,
		     const char **occupant)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	char *dir = g_path_get_dirname(path);
	bool made;
	int fd = -1;
	int result;

	if (strlen(path) >= sizeof(address.sun_path)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	result = make_directory(dir, group, &made);
	if (result == 0 && !made) {
		if (is_runtime_directory(dir))
			result = own_directory(dir, group);
		else
			check_directory(dir, group, group_name);
	}
	if (result < 0) {
		errno = -result;
		goto out;
	}
	result = claim_socket_path(path, occupant);
	if (result < 0) {
		errno = -result;
		goto out;
	}
	g_strlcpy(address.sun_path, path, sizeof(address.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    chmod(path, group == (gid_t)-1 ? 0600 : 0660) < 0 ||
	    (group != (gid_t)-1 && chown(path, 0, group) < 0) ||
	    listen(fd, 16) < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		fd = -1;
		errno = saved;
	}
out:
	g_free(dir);
	return fd;
}

struct control *control_start(const char *path, const char *group,
			      struct supervisor *supervisor,
			      control_reload_function reload, void *data)
{
	struct control *control = g_new0(struct control, 1);
	const char *occupant = NULL;
	pthread_condattr_t attributes;
	int fd;

	control->group = (gid_t)-1;
	if (*group) {
		struct group *entry = getgrnam(group);

		if (!entry) {
			log_error(NULL, "[daemon] control-group: no such group "
					"'%s'; the control socket is not "
					"served",
				  group);
			g_free(control);
			return NULL;
		}
		control->group = entry->gr_gid;
	}
	fd = listen_on(path, control->group, group, &occupant);
	if (fd < 0) {
		if (occupant)
			log_error(NULL, "cannot listen on control socket %s: "
					"%s is there, not a socket, and is "
					"left alone (remove it, or set "
					"control-socket to another path)",
				  path, occupant);
		else
			log_error(NULL, "cannot listen on control socket %s: "
					"%s",
				  path,
				  errno == EADDRINUSE
					  ? "another fusehostd is using it"
					  : strerror(errno));
		g_free(control);
		return NULL;
	}
	control->path = g_strdup(path);
	control->supervisor = supervisor;
	control->reload = reload;
	control->reload_data = data;
	control->started = g_get_monotonic_time();
	pthread_mutex_init(&control->calls_lock, NULL);
	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&control->answered, &attributes);
	pthread_condattr_destroy(&attributes);
	/* A thread per connection: a state change waits for the main
	 * thread, seconds when a plugin is slow to stop, and status must
	 * not wait behind it.  MHD_USE_AUTO then polls with poll(), not
	 * select(), which cannot take the descriptors past 1024 that the
	 * daemon's raised open file limit allows. */
	control->http = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION,
		0, NULL, NULL, handle_request, control,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		request_completed, control, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)MAX_CONNECTIONS, MHD_OPTION_END);
	if (!control->http) {
		log_error(NULL, "cannot serve control socket %s", path);
		close(fd);
		unlink(path);
		pthread_cond_destroy(&control->answered);
		pthread_mutex_destroy(&control->calls_lock);
		g_free(control->path);
		g_free(control);
		return NULL;
	}
	log_info(NULL, "control socket at %s", path);
	return control;
}

/* Called in the main thread once its loop has returned, so nothing else
 * runs the calls still queued: run them here, or their requests (and
 * MHD_stop_daemon, which waits for them) would wait forever. */
static void finish_queued_calls(struct control *control)
{
	unsigned queued;

	pthread_mutex_lock(&control->calls_lock);
	control->stopping = true;
	queued = control->calls_queued;
	pthread_mutex_unlock(&control->calls_lock);
	while (queued > 0) {
		g_main_context_iteration(NULL, TRUE);
		pthread_mutex_lock(&control->calls_lock);
		queued = control->calls_queued;
		pthread_mutex_unlock(&control->calls_lock);
	}
}

/* MHD_stop_daemon() shuts every connection down at once, answers not yet
 * sent included: let those out first, "fusehostd is stopping" among them.
 * They are out in moments, unless a client does not read its answer;
 * that one is not waited for long. */
static void wait_for_answers(struct control *control)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ANSWER_WAIT_SEC;
	pthread_mutex_lock(&control->calls_lock);
	while (control->answering > 0 &&
	       pthread_cond_timedwait(&control->answered,
				      &control->calls_lock,
				      &deadline) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&control->calls_lock);
}

void control_stop(struct control *control)
{
	if (!control)
		return;
	finish_queued_calls(control);
	wait_for_answers(control);
	MHD_stop_daemon(control->http);
	unlink(control->path);
	pthread_cond_destroy(&control->answered);
	pthread_mutex_destroy(&control->calls_lock);
	g_free(control->path);
	g_free(control);
}
