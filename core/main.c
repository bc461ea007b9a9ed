/* saba-agent: command line parsing and dispatch. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#ifndef _WIN32
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "commands.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#ifdef _WIN32
#include "os/win32/service.h"
/* As upstream: the config, the id file and plugins\ live next to the
 * executable. */
#define SABA_DEFAULT_CONFIG saba_win_exe_path("saba-agent.conf")
#else
#define SABA_DEFAULT_CONFIG SABA_CONFIG_FILE
#endif

static void saba_usage(FILE *f, const char *config)
{
	fprintf(f,
		"Usage: saba-agent [OPTIONS] [COMMAND]\n"
		"\n"
		"Commands:\n"
		"  run           run in the foreground until SIGTERM/SIGINT (default)\n"
		"  once          collect one round and print host spec and metrics as JSON\n"
		"  retire        retire this host from Mackerel (asks unless --force)\n"
		"  configtest    validate the configuration and every enabled plugin\n"
		"  plugins       list the plugins in the plugin directory\n"
		"  version       print versions of the agent and its libraries\n"
#ifdef _WIN32
		"  service install|uninstall\n"
		"                register the Windows service (auto start) with this\n"
		"                executable and config, or remove it\n"
#endif
		"\n"
		"Options:\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"      --root DIR        directory of the host id file (overrides root)\n"
		"      --plugin-dir DIR  plugin directory (overrides plugin_dir)\n"
		"      --dry-run         run/retire: send nothing, print each API request\n"
		"      --force           retire: do not ask\n"
		"      --service         run: as a service hosted by a plugin (windows_scm)\n"
		"      --log-file FILE   append log lines to FILE instead of stderr\n"
		"  -v, --verbose         log debug messages\n"
		"  -q, --quiet           log errors only\n"
		"  -h, --help            show this help\n"
		"      --version         same as the version command\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
		"SABA_AGENT_APIKEY in the environment overrides apikey.\n",
		config);
}

#ifndef _WIN32
static void saba_on_sigpipe(int sig)
{
	(void)sig;
}

/* A write to a closed pipe (stderr gone, a log reader that quit) fails
 * with EPIPE instead of ending the agent silently.  A handler, not
 * SIG_IGN: the commands the agent runs get the default back at exec. */
static void saba_survive_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = saba_on_sigpipe;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}
#endif

enum {
	OPT_ROOT = 256,
	OPT_PLUGIN_DIR,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_VERSION,
	OPT_SERVICE,
	OPT_LOG_FILE
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"root", required_argument, NULL, OPT_ROOT},
		{"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"force", no_argument, NULL, OPT_FORCE},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"service", no_argument, NULL, OPT_SERVICE},
		{"log-file", required_argument, NULL, OPT_LOG_FILE},
		{NULL, 0, NULL, 0},
	};
	struct saba_options o = {.config = SABA_DEFAULT_CONFIG};
	const char *cmd = "run", *action = NULL, *log_file = NULL;
	int c, level = SABA_LOG_INFO, rc;

#ifndef _WIN32
	saba_survive_sigpipe();
#endif
	while ((c = getopt_long(argc, argv, "c:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case OPT_ROOT:
			o.root = optarg;
			break;
		case OPT_PLUGIN_DIR:
			o.plugin_dir = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = 1;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		case OPT_SERVICE:
			o.service = 1;
			break;
		case OPT_LOG_FILE:
			log_file = optarg;
			break;
		case 'v':
			level = SABA_LOG_DEBUG;
			break;
		case 'q':
			level = SABA_LOG_ERR;
			break;
		case 'h':
			saba_usage(stdout, o.config);
			return 0;
		case OPT_VERSION:
			return saba_cmd_version();
		default:
			saba_usage(stderr, o.config);
			return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "service") == 0 && optind < argc)
		action = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "saba-agent: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((o.dry_run && strcmp(cmd, "run") != 0 && strcmp(cmd, "retire") != 0) ||
	    (o.force && strcmp(cmd, "retire") != 0) || (o.service && strcmp(cmd, "run") != 0)) {
		fprintf(stderr, "saba-agent: %s does not apply to \"%s\"\n",
			o.dry_run ? "--dry-run"
			: o.force ? "--force"
				  : "--service",
			cmd);
		return 2;
	}
#ifndef _WIN32
	/* run: from here on its signal thread takes SIGTERM and the rest
	 * (agent.c); nothing may end the agent before that thread is up. */
	if (strcmp(cmd, "run") == 0)
		saba_agent_block_signals();
#endif
	if (saba_conf_take_env_apikey() != 0)
		return 2;
	saba_log_init(level);
	if (log_file != NULL && saba_log_file(log_file) != 0)
		return 2;
#ifndef _WIN32
	/* A few threads that allocate little: one malloc arena is plenty and
	 * saves a mostly empty arena per thread. */
	mallopt(M_ARENA_MAX, 1);
#endif
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (strcmp(cmd, "run") == 0)
		rc = saba_agent_run(&o);
	else if (strcmp(cmd, "once") == 0)
		rc = saba_cmd_once(&o);
	else if (strcmp(cmd, "retire") == 0)
		rc = saba_cmd_retire(&o);
	else if (strcmp(cmd, "configtest") == 0)
		rc = saba_cmd_configtest(&o);
	else if (strcmp(cmd, "plugins") == 0)
		rc = saba_cmd_plugins(&o);
	else if (strcmp(cmd, "version") == 0)
		rc = saba_cmd_version();
#ifdef _WIN32
	else if (strcmp(cmd, "service") == 0)
		rc = saba_cmd_service(&o, action, log_file);
#else
	else if (strcmp(cmd, "service") == 0) {
		fprintf(stderr,
			"saba-agent: service %s: Windows only (on Linux use the systemd unit or "
			"the init script)\n",
			action != NULL ? action : "");
		rc = 2;
	}
#endif
	else {
		fprintf(stderr, "saba-agent: unknown command \"%s\"\n\n", cmd);
		saba_usage(stderr, o.config);
		rc = 2;
	}
	saba_http_global_cleanup();
	return rc;
}
