/* saba-agent: command dispatch (the command line itself is cli.c). */
#include "config.h"

#ifndef _WIN32
#include <malloc.h>
#include <signal.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "commands.h"
#include "conf.h"
#include "http.h"
#ifdef SABA_HAVE_TOML
#include "import.h"
#endif
#include "init.h"
#include "log.h"
#ifdef _WIN32
#include "os/win32/service.h"
/* As upstream: the config, the id file and plugins\ live next to the
 * executable. */
#define SABA_DEFAULT_CONFIG saba_win_exe_path("saba-agent.conf")
#else
#include "signals.h"
#define SABA_DEFAULT_CONFIG SABA_CONFIG_FILE
#endif

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

static int saba_dispatch(struct saba_cli *cli)
{
	const char *cmd = cli->cmd;

	if (strcmp(cmd, "run") == 0)
		return saba_agent_run(&cli->o);
	if (strcmp(cmd, "supervise") == 0) {
		/* mackerel-agent's supervisor restarts a crashed agent and reloads
		 * on SIGHUP; the service manager and `run` do both here. */
		saba_notice("supervise is run in saba-agent: the service manager restarts it, and "
			    "SIGHUP reloads the config in place");
		return saba_agent_run(&cli->o);
	}
	if (strcmp(cmd, "once") == 0)
		return saba_cmd_once(&cli->o);
	if (strcmp(cmd, "retire") == 0)
		return saba_cmd_retire(&cli->o);
	if (strcmp(cmd, "configtest") == 0)
		return saba_cmd_configtest(&cli->o);
	if (strcmp(cmd, "has-apikey") == 0)
		return saba_cmd_has_apikey(&cli->o);
	if (strcmp(cmd, "plugins") == 0)
		return saba_cmd_plugins(&cli->o);
	if (strcmp(cmd, "version") == 0)
		return saba_cmd_version();
	if (strcmp(cmd, "init") == 0) {
		struct saba_init_options io = {
			.conf = cli->o.config,
			.apikey = cli->o.ov.apikey,
			.apibase = cli->has_apibase ? cli->o.ov.apibase : NULL,
		};

		return saba_cmd_init(&io);
	}
	if (strcmp(cmd, "import") == 0) {
#ifdef SABA_HAVE_TOML
		struct saba_import_options io = {
			.file = cli->file,
			.output = cli->output,
			.force = cli->o.force,
			.env_files = cli->env_files,
			.n_env_files = cli->n_env_files,
			.no_env_files = cli->no_env_files,
			.init = cli->init,
		};

		return saba_cmd_import(&io);
#else
		fprintf(stderr, "saba-agent: import: this saba-agent was built without toml++ "
				"(Debian: libtomlplusplus-dev)\n");
		return 2;
#endif
	}
#ifdef _WIN32
	if (strcmp(cmd, "service") == 0)
		return saba_cmd_service(&cli->o, cli->action, cli->log_file);
#else
	if (strcmp(cmd, "service") == 0) {
		fprintf(stderr,
			"saba-agent: service %s: Windows only (on Linux use the systemd unit or "
			"the init script)\n",
			cli->action != NULL ? cli->action : "");
		return 2;
	}
#endif
	fprintf(stderr, "saba-agent: unknown command \"%s\"\n\n", cmd);
	saba_cli_usage(stderr, cli->o.config);
	return -2; /* a usage error in any mode */
}

int main(int argc, char **argv)
{
	struct saba_cli cli;
	int rc;

#ifndef _WIN32
	saba_survive_sigpipe();
#endif
	rc = saba_cli_parse(argc, argv, &cli, SABA_DEFAULT_CONFIG);
	if (rc != 0)
		goto out;
	if (cli.help) {
		saba_cli_usage(stdout, cli.o.config);
		/* mackerel-agent's retire -h exits 2 (printRetireUsage) */
		rc = cli.compat && strcmp(cli.cmd, "retire") == 0 ? 2 : 0;
		goto out;
	}
	if (cli.version) {
		rc = saba_cmd_version();
		goto out;
	}
#ifndef _WIN32
	/* run: from here on one thread takes SIGTERM and the rest
	 * (signals.h); nothing may end the agent before that thread is up. */
	if (strcmp(cli.cmd, "run") == 0 || strcmp(cli.cmd, "supervise") == 0)
		saba_signals_block();
#endif
	if (saba_conf_take_env_apikey() != 0) {
		rc = 2;
		goto out;
	}
	saba_log_init(cli.level);
	if (cli.log_file != NULL && saba_log_file(cli.log_file) != 0) {
		rc = 2;
		goto out;
	}
	saba_cli_roles(&cli);
#ifndef _WIN32
	/* A few threads that allocate little: one malloc arena is plenty and
	 * saves a mostly empty arena per thread. */
	mallopt(M_ARENA_MAX, 1);
#endif
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	rc = saba_dispatch(&cli);
	if (rc == -2)
		rc = 2;
	else if (cli.compat && rc == 2)
		rc = 1; /* mackerel-agent: 1 for every failure of a command */
	saba_http_global_cleanup();
out:
	saba_cli_free(&cli);
	return rc;
}
