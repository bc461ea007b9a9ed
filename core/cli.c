#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "util.h"

void saba_cli_usage(FILE *f, const char *config)
{
	fprintf(f,
		"Usage: saba-agent [OPTIONS] [COMMAND]\n"
		"\n"
		"Commands:\n"
		"  run           run in the foreground until SIGTERM/SIGINT (default)\n"
		"  once          collect one round and print host spec and metrics as JSON\n"
		"  retire        retire this host from Mackerel (asks unless --force)\n"
		"  configtest    validate the configuration and every enabled plugin\n"
		"  has-apikey    exit 0 when an API key is set, 1 (saying so) when none is\n"
		"  plugins [NAME...]\n"
		"                list the plugins in the plugin directory; with names\n"
		"                (or -v: all), each in full with its settings\n"
		"  version       print versions of the agent and its libraries\n"
#ifdef SABA_HAVE_TOML
		"  import [FILE] print a mackerel-agent config (default\n"
		"                /etc/mackerel-agent/mackerel-agent.conf) as a saba-agent one\n"
#endif
		"  init          -apikey=KEY: put the API key into the config\n"
		"  supervise     mackerel-agent's name for run\n"
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
		"      --force           retire: do not ask; import: replace the -o file\n"
		"      --service         run: as a service hosted by a plugin (windows_scm)\n"
		"      --log-file FILE   append log lines to FILE instead of stderr\n"
		"  -v, --verbose         log debug messages\n"
		"  -q, --quiet           log errors only\n"
		"  -h, --help            show this help\n"
		"      --version         same as the version command\n"
		"  import: -o, --output FILE (written atomically, mode 0600), --env-file FILE,\n"
		"      --no-env-file, --init systemd|sysv|windows\n"
		"  mackerel-agent's: -conf FILE, -apibase URL, -apikey KEY, -pidfile FILE,\n"
		"      -role SERVICE:ROLE[,...], -diagnostic, -verbose, -force (one or two\n"
		"      dashes, \"=VALUE\" or a separate argument)\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error\n"
		"(with mackerel-agent's options or commands, as mackerel-agent: 1 for any\n"
		"failure, 2 for a usage error).\n"
		"SABA_AGENT_APIKEY in the environment overrides apikey.\n",
		config);
}

enum {
	OPT_ROOT = 256,
	OPT_PLUGIN_DIR,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_VERSION,
	OPT_SERVICE,
	OPT_LOG_FILE,
	OPT_CONF,
	OPT_APIBASE,
	OPT_APIKEY,
	OPT_PIDFILE,
	OPT_ROLE,
	OPT_DIAGNOSTIC,
	OPT_INTERNAL,
	OPT_ENV_FILE,
	OPT_NO_ENV_FILE,
	OPT_INIT,
};

static const struct option saba_cli_longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"root", required_argument, NULL, OPT_ROOT},
	{"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"force", optional_argument, NULL, OPT_FORCE},
	{"verbose", optional_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"service", no_argument, NULL, OPT_SERVICE},
	{"log-file", required_argument, NULL, OPT_LOG_FILE},
	{"output", required_argument, NULL, 'o'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"no-env-file", no_argument, NULL, OPT_NO_ENV_FILE},
	{"init", required_argument, NULL, OPT_INIT},
	/* mackerel-agent's (main.go resolveConfig, do_init.go) */
	{"conf", required_argument, NULL, OPT_CONF},
	{"apibase", required_argument, NULL, OPT_APIBASE},
	{"apikey", required_argument, NULL, OPT_APIKEY},
	{"pidfile", required_argument, NULL, OPT_PIDFILE},
	{"role", required_argument, NULL, OPT_ROLE},
	{"diagnostic", optional_argument, NULL, OPT_DIAGNOSTIC},
	{"child", optional_argument, NULL, OPT_INTERNAL},
	{"private-autoshutdown", optional_argument, NULL, OPT_INTERNAL},
	{NULL, 0, NULL, 0},
};

/* Go's strconv.ParseBool, for -flag=value; no value means true. */
static int saba_cli_bool(const char *name, const char *value, int *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	*out = 1;
	if (value == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(value, t[i]) == 0)
			return 0;
		if (strcmp(value, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	fprintf(stderr, "saba-agent: invalid boolean value \"%s\" for -%s\n", value, name);
	return -1;
}

/* A single-dash long option (-conf, -role=...) is mackerel-agent's syntax. */
static int saba_cli_go_style(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n;

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0')
			continue;
		n = strcspn(a + 1, "=");
		for (const struct option *o = saba_cli_longopts; o->name != NULL; o++)
			if (strlen(o->name) == n && strncmp(o->name, a + 1, n) == 0)
				return 1;
	}
	return 0;
}

static void saba_cli_add_roles(struct saba_cli *cli, const char *value)
{
	const char *p = value;

	/* strings.Split(value, ","), as mackerel-agent */
	for (;;) {
		const char *c = strchr(p, ',');

		cli->roles = saba_realloc(cli->roles, (size_t)(cli->nroles + 1) * sizeof(char *));
		cli->roles[cli->nroles++] =
			c != NULL ? saba_asprintf("%.*s", (int)(c - p), p) : saba_strdup(p);
		if (c == NULL)
			break;
		p = c + 1;
	}
}

/* An option given to a command it does not apply to is a usage error. */
static int saba_cli_applies(const struct saba_cli *cli)
{
	const char *cmd = cli->cmd, *bad = NULL;
	int run = strcmp(cmd, "run") == 0 || strcmp(cmd, "supervise") == 0;
	int import = strcmp(cmd, "import") == 0;

	if (cli->o.dry_run && !run && strcmp(cmd, "retire") != 0)
		bad = "--dry-run";
	else if (cli->o.force && strcmp(cmd, "retire") != 0 && !import)
		bad = "--force";
	else if (cli->o.service && !run)
		bad = "--service";
	else if (!import && (cli->output != NULL || cli->env_files != NULL || cli->no_env_files ||
			     cli->init != NULL))
		bad = "-o, --env-file, --no-env-file and --init";
	else if (import && (cli->o.ov.apikey != NULL || cli->has_apibase || cli->nroles > 0))
		bad = "-apikey, -apibase and -role";
	else if (strcmp(cmd, "init") == 0 &&
		 (cli->nroles > 0 || cli->o.ov.root != NULL || cli->o.ov.pidfile != NULL ||
		  cli->o.ov.diagnostic || cli->o.ov.plugin_dir != NULL))
		bad = "only -conf, -apikey and -apibase"; /* do_init.go's flags */
	if (bad == NULL)
		return 1;
	fprintf(stderr, "saba-agent: %s does not apply to \"%s\"\n", bad, cmd);
	return 0;
}

int saba_cli_parse(int argc, char **argv, struct saba_cli *cli, const char *default_config)
{
	int c, b;

	memset(cli, 0, sizeof(*cli));
	cli->cmd = "run";
	cli->o.config = default_config;
	cli->level = SABA_LOG_INFO;
	cli->compat = saba_cli_go_style(argc, argv);
	/* getopt_long_only: -conf is the long option "conf", -c still the
	 * short one, and options may follow the command as they do for
	 * mackerel-agent ("retire -force"). */
	while ((c = getopt_long_only(argc, argv, "c:vqho:", saba_cli_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONF:
			cli->compat = 1;
			/* fall through */
		case 'c':
			cli->o.config = optarg;
			break;
		case OPT_ROOT:
			cli->o.ov.root = optarg;
			break;
		case OPT_PLUGIN_DIR:
			cli->o.ov.plugin_dir = optarg;
			break;
		case OPT_DRY_RUN:
			cli->o.dry_run = 1;
			break;
		case OPT_FORCE:
			if (saba_cli_bool("force", optarg, &b) != 0)
				return 2;
			cli->o.force = b;
			break;
		case OPT_SERVICE:
			cli->o.service = 1;
			break;
		case OPT_LOG_FILE:
			cli->log_file = optarg;
			break;
		case 'v':
			if (saba_cli_bool("verbose", optarg, &b) != 0)
				return 2;
			cli->level = b ? SABA_LOG_DEBUG : SABA_LOG_INFO;
			cli->o.ov.log_level = b ? SABA_LOG_DEBUG : 0;
			break;
		case 'q':
			cli->level = SABA_LOG_ERR;
			cli->o.ov.log_level = SABA_LOG_ERR;
			break;
		case 'h':
			cli->help = 1;
			break;
		case OPT_VERSION:
			cli->version = 1;
			break;
		case 'o':
			cli->output = optarg;
			break;
		case OPT_ENV_FILE:
			cli->env_files = saba_realloc(cli->env_files,
						      (cli->n_env_files + 1) * sizeof(char *));
			cli->env_files[cli->n_env_files++] = optarg;
			break;
		case OPT_NO_ENV_FILE:
			cli->no_env_files = 1;
			break;
		case OPT_INIT:
			if (strcmp(optarg, "systemd") != 0 && strcmp(optarg, "sysv") != 0 &&
			    strcmp(optarg, "windows") != 0) {
				fprintf(stderr,
					"saba-agent: --init must be systemd, sysv or windows\n");
				return 2;
			}
			cli->init = optarg;
			break;
		case OPT_APIBASE:
			cli->compat = 1;
			cli->has_apibase = 1;
			cli->o.ov.apibase = optarg;
			break;
		case OPT_APIKEY:
			cli->compat = 1;
			cli->o.ov.apikey = optarg;
			break;
		case OPT_PIDFILE:
			cli->compat = 1;
			cli->o.ov.pidfile = optarg;
			break;
		case OPT_ROLE:
			cli->compat = 1;
			saba_cli_add_roles(cli, optarg);
			break;
		case OPT_DIAGNOSTIC:
			cli->compat = 1;
			if (saba_cli_bool("diagnostic", optarg, &b) != 0)
				return 2;
			cli->o.ov.diagnostic = b;
			break;
		case OPT_INTERNAL: /* -child, -private-autoshutdown: supervise's own */
			cli->compat = 1;
			break;
		default:
			saba_cli_usage(stderr, cli->o.config);
			return 2;
		}
	}
	if (optind < argc)
		cli->cmd = argv[optind++];
	if ((strcmp(cli->cmd, "service") == 0 || strcmp(cli->cmd, "import") == 0) && optind < argc)
		*(strcmp(cli->cmd, "service") == 0 ? &cli->action : &cli->file) = argv[optind++];
	if (strcmp(cli->cmd, "plugins") == 0) {
		cli->o.names = argv + optind;
		cli->o.nnames = argc - optind;
		optind = argc;
	}
	cli->o.verbose = cli->level == SABA_LOG_DEBUG;
	if (optind < argc) {
		fprintf(stderr, "saba-agent: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (strcmp(cli->cmd, "init") == 0 || strcmp(cli->cmd, "supervise") == 0)
		cli->compat = 1;
	if (cli->help || cli->version)
		return 0;
	return saba_cli_applies(cli) ? 0 : 2;
}

void saba_cli_roles(struct saba_cli *cli)
{
	const char **ok;
	int n = 0;

	if (cli->nroles == 0)
		return;
	ok = saba_calloc((size_t)cli->nroles, sizeof(*ok));
	for (int i = 0; i < cli->nroles; i++) {
		if (saba_conf_role_valid(cli->roles[i]))
			ok[n++] = cli->roles[i];
		else
			saba_err(
				"Bad format for role fullname (expecting <service>:<role>. "
				"Alphabet, numbers, hyphens and underscores are acceptable, but "
				"the first character must not be a hyphen or an underscore.): '%s'",
				cli->roles[i]);
	}
	cli->o.ov.roles = ok;
	cli->o.ov.nroles = n;
	cli->o.ov.roles_set = 1;
}

void saba_cli_free(struct saba_cli *cli)
{
	for (int i = 0; i < cli->nroles; i++)
		free(cli->roles[i]);
	free(cli->roles);
	free((void *)cli->o.ov.roles);
	free(cli->env_files);
}
