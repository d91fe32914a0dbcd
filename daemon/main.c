/* fusehostd: command line and modes.
 *
 *   fusehostd [-c FILE]                 serve every configured mount
 *   fusehostd -t [-c FILE]              check the configuration and exit
 *   fusehostd [-c FILE] --run CMD       mount, run CMD, unmount, exit with its status
 *   fusehostd --plugin-info NAME        describe a plugin
 *   fusehostd --dump-config [-c FILE]   print the effective configuration
 *
 * It never daemonizes: systemd or the shell decides where it runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "crash.h"
#include "daemon.h"
#include "instance_check.h"
#include "log.h"
#include "mount.h"
#include "mount_child.h"
#include "mountpoint.h"
#include "plugin.h"
#include "sandbox.h"

#ifndef FUSEHOST_VERSION
#define FUSEHOST_VERSION "0.0"
#endif
#ifndef FUSEHOST_CONFIG_PATH
#define FUSEHOST_CONFIG_PATH "/etc/fusehost.conf"
#endif
#ifndef FUSEHOST_PLUGIN_DIR
#define FUSEHOST_PLUGIN_DIR "/usr/local/lib/fusehost/plugins"
#endif

enum mode { MODE_SERVE, MODE_TEST, MODE_PLUGIN_INFO, MODE_DUMP_CONFIG };

struct arguments {
	enum mode mode;
	const char *config_path;
	const char *run_command;
	char *plugin_name; /* --plugin-info: a name, or an absolute path */
	char *plugin_dir; /* overrides [daemon] plugin-dir when set; absolute */
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: fusehostd [OPTION]...\n"
		"Serve the FUSE filesystems configured in FILE, each from a "
		"plugin.\n"
		"\n"
		"  -c, --config=FILE       configuration file (default %s);\n"
		"                          *.conf files in its .d directory "
		"are read too\n"
		"  -t, --test              check the configuration, the "
		"plugins and their\n"
		"                          options, mount nothing; exit 0 if "
		"valid, else 1\n"
		"      --run=COMMAND       mount everything, run COMMAND with "
		"/bin/sh,\n"
		"                          unmount, and exit with its status\n"
		"      --plugin-info=NAME  describe plugin NAME (a name or a "
		"path to a .so)\n"
		"      --dump-config       print the effective configuration "
		"with defaults\n"
		"      --plugin-dir=DIR    load plugins from DIR instead of "
		"[daemon] plugin-dir\n"
		"                          (default %s)\n"
		"  -h, --help              show this help and exit\n"
		"  -V, --version           show the version and exit\n"
		"\n"
		"Without -t, --plugin-info or --dump-config, fusehostd stays "
		"in the foreground\n"
		"and serves until SIGTERM or SIGINT, then unmounts everything "
		"and exits 0.\n"
		"Logs go to the journal when started by systemd, to stderr "
		"otherwise\n"
		"([daemon] log-target).  See fusehostd(8) and "
		"fusehost.conf(5).\n",
		FUSEHOST_CONFIG_PATH, FUSEHOST_PLUGIN_DIR);
}

static int parse_arguments(int argc, char **argv, struct arguments *arguments)
{
	enum { OPT_RUN = 256, OPT_PLUGIN_INFO, OPT_DUMP_CONFIG, OPT_PLUGIN_DIR };
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "plugin-info", required_argument, NULL, OPT_PLUGIN_INFO },
		{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
		{ "plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	arguments->config_path = FUSEHOST_CONFIG_PATH;
	while ((option = getopt_long(argc, argv, "c:thV", long_options,
				     NULL)) != -1) {
		switch (option) {
		case 'c':
			arguments->config_path = optarg;
			break;
		case 't':
			arguments->mode = MODE_TEST;
			break;
		case OPT_RUN:
			arguments->run_command = optarg;
			break;
		case OPT_PLUGIN_INFO:
			arguments->mode = MODE_PLUGIN_INFO;
			/* A path, as a shell completes one, may be relative:
			 * made absolute as a config's plugin path must be. */
			g_free(arguments->plugin_name);
			arguments->plugin_name =
			    strchr(optarg, '/')
				? g_canonicalize_filename(optarg, NULL)
				: g_strdup(optarg);
			break;
		case OPT_DUMP_CONFIG:
			arguments->mode = MODE_DUMP_CONFIG;
			break;
		case OPT_PLUGIN_DIR:
			/* Absolute, as [daemon] plugin-dir must be: a mount's
			 * own process is given the plugin's path, and a path
			 * relative to where fusehostd started means nothing
			 * there. */
			g_free(arguments->plugin_dir);
			arguments->plugin_dir =
			    g_canonicalize_filename(optarg, NULL);
			break;
		case 'h':
			print_usage(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("fusehostd %s (plugin ABI %d.%d, libfuse %d.%d)\n",
			       FUSEHOST_VERSION, FUSEHOST_ABI_MAJOR,
			       FUSEHOST_ABI_MINOR, FUSE_MAJOR_VERSION,
			       FUSE_MINOR_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fprintf(stderr, "Try 'fusehostd --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"fusehostd: unexpected argument '%s'\n"
			"Try 'fusehostd --help'.\n",
			argv[optind]);
		return -EINVAL;
	}
	if (arguments->run_command && arguments->mode != MODE_SERVE) {
		fprintf(stderr, "fusehostd: --run cannot be combined with -t, "
				"--plugin-info or --dump-config\n");
		return -EINVAL;
	}
	return 0;
}

/* Load the configuration and report its problems.  NULL if it is unusable. */
static struct config *load_config(const struct arguments *arguments)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct config *config;

	config = config_load(arguments->config_path, FUSEHOST_PLUGIN_DIR,
			     errors);
	log_errors(errors);
	if (errors->len > 0)
		g_clear_pointer(&config, config_free);
	g_ptr_array_unref(errors);
	if (config && arguments->plugin_dir)
		config_override_plugin_dir(config, arguments->plugin_dir);
	return config;
}

/* The user and group an isolated mount runs as must exist. */
static unsigned test_identity(const struct mount_config *mount)
{
	struct sandbox_identity identity;
	char *error = NULL;

	if (mount->isolation != ISOLATION_PROCESS ||
	    sandbox_resolve(mount->user, mount->group, &identity, &error) == 0)
		return 0;
	/* The message names the user or group at fault. */
	log_error(NULL, "%s: [mount %s]: %s", mount->file, mount->name, error);
	g_free(error);
	return 1;
}

/* -t: every check of the mounts short of mounting.  Returns the number of
 * problems. */
static unsigned test_mounts(const struct config *config)
{
	unsigned problems = 0;

	for (guint i = 0; i < config->mounts->len; i++) {
		const struct mount_config *mount = config->mounts->pdata[i];
		struct plugin *plugin;
		char *mountpoint_problem;

		/* Reported already, by config_load(). */
		if (!mount->plugin)
			continue;
		plugin = daemon_load_plugin(config, mount, NULL);
		mountpoint_problem = mount->mountpoint
					     ? mountpoint_check(mount->mountpoint)
					     : NULL;

		if (plugin && mount_rw_does_not_apply(mount, plugin))
			log_warning(NULL,
				    "%s: [mount %s] options: rw does not apply: "
				    "plugin %s changes nothing, so the mount is "
				    "read-only",
				    mount->file, mount->name,
				    plugin->descriptor.name);
		if (!plugin)
			problems++;
		else if (!daemon_check_instance(
			     mount, plugin,
			     g_get_monotonic_time() / 1000 +
				 INSTANCE_CHECK_TIMEOUT_MS,
			     NULL))
			problems++;
		plugin_unload(plugin);
		if (mountpoint_problem) {
			log_error(NULL, "%s: [mount %s] mountpoint: %s",
				  mount->file, mount->name, mountpoint_problem);
			g_free(mountpoint_problem);
			problems++;
		}
		/* An option refused by the config checks has been said, with
		 * why; libfuse would add its own failure to load a module. */
		if (!mount_config_options_refused(mount) &&
		    mount_check_fuse_options(mount) < 0) {
			log_error(NULL, "%s: [mount %s] options: libfuse does not "
					"accept '%s'",
				  mount->file, mount->name, mount->options);
			problems++;
		}
		problems += test_identity(mount);
	}
	return problems;
}

/* The group control-group names must exist, or the control socket is
 * not served. */
static unsigned test_control_group(const struct config *config)
{
	const char *group = config->daemon.control_group;

	if (!*group || !*config->daemon.control_socket || getgrnam(group))
		return 0;
	log_error(NULL, "%s: [daemon] control-group: no such group '%s'",
		  config->path, group);
	return 1;
}

static int run_test(const struct arguments *arguments)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct config *config;
	unsigned problems;

	/* Every problem at once: the mounts are checked even when the files
	 * have problems of their own (load_config() would give up). */
	config = config_load(arguments->config_path, FUSEHOST_PLUGIN_DIR,
			     errors);
	log_errors(errors);
	problems = errors->len;
	g_ptr_array_unref(errors);
	if (!config)
		return EXIT_FAILURE;
	if (arguments->plugin_dir)
		config_override_plugin_dir(config, arguments->plugin_dir);
	/* Not a plugin is loaded on the word of a file others could
	 * change, not even to check it. */
	if (!config->untrusted)
		problems += test_mounts(config);
	problems += test_control_group(config);
	if (problems == 0)
		printf("%s: configuration is valid (%u mount%s)\n",
		       config->path, config->mounts->len,
		       config->mounts->len == 1 ? "" : "s");
	config_free(config);
	return problems == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int run_plugin_info(const struct arguments *arguments)
{
	const char *plugin_dir = arguments->plugin_dir;
	struct config *config = NULL;
	struct plugin *plugin;
	char *error = NULL;
	char *description;

	/* The config only matters for its plugin-dir, and only if it exists. */
	if (!plugin_dir && g_file_test(arguments->config_path,
				       G_FILE_TEST_EXISTS)) {
		config = load_config(arguments);
		if (!config)
			return EXIT_FAILURE;
		plugin_dir = config->daemon.plugin_dir;
	}
	plugin = plugin_load(arguments->plugin_name,
			     plugin_dir ? plugin_dir : FUSEHOST_PLUGIN_DIR,
			     true, &error);
	config_free(config);
	if (!plugin) {
		log_error(NULL, "%s", error);
		g_free(error);
		return EXIT_FAILURE;
	}
	description = plugin_describe(plugin);
	fputs(description, stdout);
	g_free(description);
	plugin_unload(plugin);
	return EXIT_SUCCESS;
}

static int run_dump_config(const struct arguments *arguments)
{
	struct config *config = load_config(arguments);
	const struct fusehost_option **declared;
	struct plugin **plugins;
	char *text;
	bool ok = true;

	if (!config)
		return EXIT_FAILURE;
	declared = g_new0(const struct fusehost_option *, config->mounts->len);
	plugins = g_new0(struct plugin *, config->mounts->len);
	for (guint i = 0; i < config->mounts->len; i++) {
		plugins[i] = daemon_load_plugin(config,
						config->mounts->pdata[i], NULL);
		if (plugins[i])
			declared[i] = plugins[i]->descriptor.options;
		else
			ok = false;
	}
	if (ok) {
		text = config_format(config, declared);
		fputs(text, stdout);
		g_free(text);
	}
	for (guint i = 0; i < config->mounts->len; i++)
		plugin_unload(plugins[i]);
	g_free(plugins);
	g_free(declared);
	config_free(config);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Every file open through a passthrough mount, and every lock and
 * directory handle, holds a descriptor of the daemon's: the soft limit
 * of 1024 would fail them all with EMFILE long before the machine minds.
 * Nothing here uses select(), so the hard limit is safe (and what systemd
 * advises).  Isolated mounts' processes inherit it. */
static void raise_open_file_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
	    limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
			log_warning(NULL, "cannot raise the open file limit: %s",
				    strerror(errno));
	}
}

static int run_serve(const struct arguments *arguments)
{
	struct config *config = load_config(arguments);
	int status;

	if (!config)
		return EXIT_FAILURE;
	raise_open_file_limit();
	/* daemon_run takes the config over. */
	status = daemon_run(config, arguments->run_command);
	return status;
}

int main(int argc, char **argv)
{
	struct arguments arguments = { 0 };
	int status;

	/* Not for people: how fusehostd starts a mount's own process. */
	if (argc == 4 && strcmp(argv[1], "--mount-child") == 0)
		mount_child_main(argv[2], argv[3]);
	if (parse_arguments(argc, argv, &arguments) < 0) {
		g_free(arguments.plugin_name);
		g_free(arguments.plugin_dir);
		return 2;
	}

	/* Before any thread exists, so that every thread inherits the mask. */
	signals_setup();
	crash_report_install();
	log_capture_libfuse();

	switch (arguments.mode) {
	case MODE_TEST:
		status = run_test(&arguments);
		break;
	case MODE_PLUGIN_INFO:
		status = run_plugin_info(&arguments);
		break;
	case MODE_DUMP_CONFIG:
		status = run_dump_config(&arguments);
		break;
	case MODE_SERVE:
	default:
		status = run_serve(&arguments);
		break;
	}
	g_free(arguments.plugin_name);
	g_free(arguments.plugin_dir);
	return status;
}
