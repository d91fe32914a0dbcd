/* The /metrics HTTP endpoint; see metrics_server.h. */
#define _GNU_SOURCE
#include "metrics_server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "options.h"
#include "supervisor.h"
#include "metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *http;
	struct supervisor *supervisor;
};

static enum MHD_Result reply(struct MHD_Connection *connection, unsigned status,
			     char *body, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(strlen(body), body, mode);
	enum MHD_Result result;

	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE
						      : "text/plain");
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

static char *render(struct metrics_server *server)
{
	char *text = metrics_render(supervisor_lock(server->supervisor));

	supervisor_unlock(server->supervisor);
	return text;
}

static enum MHD_Result
handle_request(void *data, struct MHD_Connection *connection, const char *url,
	       const char *method, const char *version, const char *upload_data,
	       size_t *upload_data_size, void **state)
{
	struct metrics_server *server = data;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)state;
	if (strcmp(url, "/metrics") != 0)
		return reply(connection, MHD_HTTP_NOT_FOUND,
			     "Not found: try /metrics\n",
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "Only GET\n", MHD_RESPMEM_PERSISTENT);
	return reply(connection, MHD_HTTP_OK, render(server),
		     MHD_RESPMEM_MUST_FREE);
}

struct metrics_server *metrics_server_start(const char *listen,
					    struct supervisor *supervisor)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
	struct metrics_server *server;
	struct addrinfo *address = NULL;
	char *host = NULL, *port = NULL;
	int error;

	if (parse_host_port(listen, &host, &port) < 0) {
		log_error(NULL, "metrics-listen '%s' is not HOST:PORT", listen);
		return NULL;
	}
	error = getaddrinfo(host, port, &hints, &address);
	g_free(host);
	g_free(port);
	if (error != 0) {
		log_error(NULL, "metrics-listen %s: %s", listen,
			  gai_strerror(error));
		return NULL;
	}

	server = g_new0(struct metrics_server, 1);
	server->supervisor = supervisor;
	/* epoll or poll, not select(), which cannot take the descriptors
	 * past 1024 that the daemon's raised open file limit allows. */
	errno = 0;
	server->http = MHD_start_daemon(
	    MHD_USE_AUTO_INTERNAL_THREAD |
		(address->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handle_request, server, MHD_OPTION_SOCK_ADDR,
	    address->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	/* libmicrohttpd leaves the errno of the bind() or listen() that
	 * failed: an address not of this machine is no port in use. */
	error = errno;
	freeaddrinfo(address);
	if (!server->http) {
		log_error(NULL,
			  "cannot serve metrics on %s: %s; mounts are served "
			  "without it",
			  listen,
			  error ? g_strerror(error)
				: "libmicrohttpd could not start");
		g_free(server);
		return NULL;
	}
	log_info(NULL, "serving metrics at http://%s/metrics", listen);
	return server;
}

void metrics_server_stop(struct metrics_server *server)
{
	if (!server)
		return;
	MHD_stop_daemon(server->http);
	g_free(server);
}
