/* fusehostctl: ask a running fusehostd over its control socket.
 *
 * The daemon speaks HTTP/1.1 with JSON bodies on a unix socket (see
 * daemon/control.h); libcurl carries the requests and json-glib reads the
 * answers.  Exit status: 0 done; 1 the daemon could not do it; 2 usage,
 * or a config that cannot be read; 3 the daemon cannot be reached;
 * 4 permission denied; 5 no such mount. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#ifndef FUSEHOST_CONFIG_PATH
#define FUSEHOST_CONFIG_PATH "/etc/fusehost.conf"
#endif
#ifndef FUSEHOST_VERSION
#define FUSEHOST_VERSION "0.0"
#endif

enum exit_status {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_FORBIDDEN = 4,
	EXIT_NO_MOUNT = 5,
};

struct response {
	long status;
	GString *body;
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: fusehostctl [OPTION]... COMMAND [ARGUMENT]...\n"
		"Ask a running fusehostd.\n"
		"\n"
		"Commands:\n"
		"  status              the daemon and every mount: state, "
		"plugin, mountpoint,\n"
		"                      operations, errors, restarts\n"
		"  list                the mounts and their states\n"
		"  mount NAME          bring a mount up\n"
		"  unmount NAME        take a mount down; it stays down until "
		"mounted again\n"
		"  remount NAME        take a mount down and up again\n"
		"  reload              re-read the configuration and apply it "
		"by difference\n"
		"  trace NAME on|off   log every operation of a mount, or "
		"stop\n"
		"  metrics             the Prometheus metrics text\n"
		"\n"
		"Options:\n"
		"  -s, --socket=PATH   the daemon's control socket\n"
		"  -c, --config=FILE   use the control-socket of this "
		"configuration\n"
		"                      (default %s)\n"
		"      --json          print the daemon's JSON answer (errors "
		"too)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Exit status: 0 done, 1 the daemon could not do it, 2 usage "
		"error or a\n"
		"configuration that cannot be read, 3 daemon not reachable, "
		"4 permission\n"
		"denied, 5 no such mount.\n",
		FUSEHOST_CONFIG_PATH);
}

static size_t collect(char *data, size_t size, size_t count, void *user)
{
	g_string_append_len(user, data, (gssize)(size * count));
	return size * count;
}

/* curl says only that it could not connect; the socket file says why,
 * when it is missing or may not be opened. */
static void report_unreachable(const char *socket_path, CURLcode code)
{
	if (access(socket_path, W_OK) == 0) {
		fprintf(stderr,
			"fusehostctl: cannot reach fusehostd at %s: %s (is it "
			"running?)\n",
			socket_path, curl_easy_strerror(code));
	} else if (errno == ENOENT) {
		fprintf(stderr,
			"fusehostctl: cannot reach fusehostd: no socket at %s "
			"(is it running, with this control-socket?)\n",
			socket_path);
	} else if (errno == EACCES) {
		fprintf(stderr,
			"fusehostctl: cannot reach fusehostd at %s: permission "
			"denied (only root and members of control-group may "
			"use it)\n",
			socket_path);
	} else {
		fprintf(stderr, "fusehostctl: cannot reach fusehostd at %s: "
				"%s\n",
			socket_path, strerror(errno));
	}
}

/* One request; returns 0, or EXIT_UNREACHABLE after saying why. */
static int request(const char *socket_path, const char *method,
		   const char *path, const char *body,
		   struct response *response)
{
	CURL *curl = curl_easy_init();
	char *url = g_strconcat("http://fusehostd", path, NULL);
	struct curl_slist *headers = NULL;
	CURLcode code;

	response->body = g_string_new("");
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	/* A mount name of ".." stays one: not a step up the path. */
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, response->body);
	if (strcmp(method, "POST") == 0) {
		headers = curl_slist_append(headers,
					    "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
	}
	code = curl_easy_perform(curl);
	if (code == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE,
				  &response->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	g_free(url);
	if (code != CURLE_OK) {
		report_unreachable(socket_path, code);
		return EXIT_UNREACHABLE;
	}
	return 0;
}

static JsonNode *parse(const char *text)
{
	JsonParser *parser = json_parser_new();
	JsonNode *root = NULL;

	if (json_parser_load_from_data(parser, text, -1, NULL))
		root = json_node_copy(json_parser_get_root(parser));
	g_object_unref(parser);
	return root;
}

/* An error answer: say what the daemon said, map the status to ours. */
static int report_failure(const struct response *response)
{
	JsonNode *root = parse(response->body->str);
	const char *message = NULL;

	if (root && JSON_NODE_HOLDS_OBJECT(root))
		message = json_object_get_string_member_with_default(
			json_node_get_object(root), "error", NULL);
	fprintf(stderr, "fusehostctl: %s\n",
		message ? message : response->body->str);
	if (root)
		json_node_unref(root);
	switch (response->status) {
	case 403:
		return EXIT_FORBIDDEN;
	case 404:
		return EXIT_NO_MOUNT;
	default:
		return EXIT_REFUSED;
	}
}

static const char *string_member(JsonObject *object, const char *name)
{
	return json_object_get_string_member_with_default(object, name, "");
}

static void print_mounts(JsonObject *root, bool details)
{
	JsonArray *mounts = json_object_get_array_member(root, "mounts");
	guint count = mounts ? json_array_get_length(mounts) : 0;

	if (details) {
		gint64 uptime = json_object_get_int_member_with_default(
			root, "uptime_seconds", 0);

		printf("fusehostd %s, up %" G_GINT64_FORMAT "s, %u mount%s\n\n",
		       string_member(root, "version"), uptime, count,
		       count == 1 ? "" : "s");
		printf("%-16s %-10s %-12s %-28s %10s %8s %8s\n", "MOUNT",
		       "STATE", "PLUGIN", "MOUNTPOINT", "OPERATIONS", "ERRORS",
		       "RESTARTS");
	} else {
		printf("%-16s %-10s %-12s %s\n", "MOUNT", "STATE", "PLUGIN",
		       "MOUNTPOINT");
	}
	for (guint i = 0; i < count; i++) {
		JsonObject *mount = json_array_get_object_element(mounts, i);

		if (details)
			printf("%-16s %-10s %-12s %-28s %10" G_GINT64_FORMAT
			       " %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT
			       "\n",
			       string_member(mount, "name"),
			       string_member(mount, "state"),
			       string_member(mount, "plugin"),
			       string_member(mount, "mountpoint"),
			       json_object_get_int_member_with_default(
				       mount, "operations", 0),
			       json_object_get_int_member_with_default(
				       mount, "errors", 0),
			       json_object_get_int_member_with_default(
				       mount, "restarts", 0));
		else
			printf("%-16s %-10s %-12s %s\n",
			       string_member(mount, "name"),
			       string_member(mount, "state"),
			       string_member(mount, "plugin"),
			       string_member(mount, "mountpoint"));
	}
}

/* The socket: --socket, else the control-socket of -c CONFIG (default
 * config if it exists), else the built-in default.  A config that cannot
 * be read or parsed gives none: the default in its place may be another
 * daemon's socket, and a reload of that file would be refused anyway. */
static char *find_socket(const char *socket_path, const char *config_path)
{
	GPtrArray *errors;
	struct config *config;
	char *found;

	if (socket_path)
		return g_strdup(socket_path);
	if (!config_path) {
		if (!g_file_test(FUSEHOST_CONFIG_PATH, G_FILE_TEST_EXISTS))
			return g_strdup(CONFIG_DEFAULT_CONTROL_SOCKET);
		config_path = FUSEHOST_CONFIG_PATH;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	config = config_load(config_path, "", errors);
	if (!config || config->unread) {
		fprintf(stderr,
			"fusehostctl: %s; so the control socket is unknown "
			"(give it with -s)\n",
			config ? config->unread : (char *)errors->pdata[0]);
		config_free(config);
		g_ptr_array_unref(errors);
		return NULL;
	}
	if (!*config->daemon.control_socket) {
		fprintf(stderr, "fusehostctl: the configuration disables the "
				"control socket (control-socket is empty)\n");
		config_free(config);
		g_ptr_array_unref(errors);
		return NULL;
	}
	found = g_strdup(config->daemon.control_socket);
	config_free(config);
	g_ptr_array_unref(errors);
	return found;
}

struct command {
	const char *name;
	int arguments; /* after the command */
	const char *method;
	const char *path; /* %s: the mount name */
	bool prints_mounts;
};

static const struct command commands[] = {
	{ "status", 0, "GET", "/v1/status", true },
	{ "list", 0, "GET", "/v1/mounts", true },
	{ "mount", 1, "POST", "/v1/mounts/%s/mount", false },
	{ "unmount", 1, "POST", "/v1/mounts/%s/unmount", false },
	{ "remount", 1, "POST", "/v1/mounts/%s/remount", false },
	{ "reload", 0, "POST", "/v1/reload", false },
	{ "trace", 2, "POST", "/v1/mounts/%s/trace", false },
	{ "metrics", 0, "GET", "/metrics", false },
};

static int run(const struct command *command, char **arguments,
	       const char *socket_path, bool json)
{
	struct response response = { 0 };
	/* The name as written, escaped: "h/../h" or "%68" must not reach
	 * the daemon as the name of mount h, nor "a b" fail as a URL. */
	char *name = command->arguments
			     ? curl_easy_escape(NULL, arguments[0], 0)
			     : NULL;
	char *path = g_strdup_printf(command->path, name ? name : "");
	const char *body = NULL;
	JsonNode *root;
	int status;

	if (strcmp(command->name, "trace") == 0) {
		if (strcmp(arguments[1], "on") == 0)
			body = "{\"enabled\": true}";
		else if (strcmp(arguments[1], "off") == 0)
			body = "{\"enabled\": false}";
		else {
			fprintf(stderr, "fusehostctl: trace takes on or off, "
					"not '%s'\n",
				arguments[1]);
			curl_free(name);
			g_free(path);
			return EXIT_USAGE;
		}
	}
	status = request(socket_path, command->method, path, body, &response);
	curl_free(name);
	g_free(path);
	if (status == 0 && response.status != 200) {
		/* The daemon's own answer, {"error": ...}, for scripts. */
		if (json)
			fputs(response.body->str, stdout);
		status = report_failure(&response);
	}
	else if (status == 0 && (json || strcmp(command->name, "metrics") == 0))
		fputs(response.body->str, stdout);
	else if (status == 0 && command->prints_mounts) {
		root = parse(response.body->str);
		if (root && JSON_NODE_HOLDS_OBJECT(root))
			print_mounts(json_node_get_object(root),
				     strcmp(command->name, "status") == 0);
		if (root)
			json_node_unref(root);
	}
	g_string_free(response.body, TRUE);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_option = NULL, *config_path = NULL;
	bool json = false;
	char *socket_path;
	int option;
	int status;

	while ((option = getopt_long(argc, argv, "s:c:hV", options, NULL)) !=
	       -1) {
		switch (option) {
		case 's':
			socket_option = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_DONE;
		case 'V':
			printf("fusehostctl %s\n", FUSEHOST_VERSION);
			return EXIT_DONE;
		default:
			fprintf(stderr, "Try 'fusehostctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (argc - optind - 1 != commands[i].arguments) {
			fprintf(stderr,
				"fusehostctl: %s takes %d argument%s; see "
				"'fusehostctl --help'\n",
				commands[i].name, commands[i].arguments,
				commands[i].arguments == 1 ? "" : "s");
			return EXIT_USAGE;
		}
		socket_path = find_socket(socket_option, config_path);
		if (!socket_path)
			return EXIT_USAGE;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		status = run(&commands[i], argv + optind + 1, socket_path,
			     json);
		curl_global_cleanup();
		g_free(socket_path);
		return status;
	}
	fprintf(stderr, "fusehostctl: unknown command '%s'; see 'fusehostctl "
			"--help'\n",
		argv[optind]);
	return EXIT_USAGE;
}
