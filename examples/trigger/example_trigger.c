/*
 * example_trigger: a small saba-agent shutdown trigger, to copy from.
 *
 * When the agent stops, the trigger decides why, from a one-word file that
 * whoever destroys the machine writes first (an autoscaling lifecycle hook,
 * a decommissioning script):
 *
 *   echo terminate > /run/saba-example/stop && systemctl stop saba-agent
 *
 * and asks the agent's retire routine to retire the host only when the word
 * says the machine is gone for good.  Anything else, and every kind of
 * doubt (no file, an unreadable one, a file older than this instance, an
 * unknown word), classifies the stop as UNKNOWN, which never retires: a
 * host wrongly left registered costs a manual retire, a host wrongly
 * retired loses its history.
 *
 *   plugins = {
 *     example_trigger = { file = "/run/saba-example/stop"; };
 *   };
 *
 * Its settings, each optional, are the table example_trigger_settings
 * below; `saba-agent plugins example_trigger` lists them with defaults.
 * With poweroff_retires the agent still asks a cloud plugin to confirm a
 * poweroff (retire.confirm in saba-agent.conf(5)).
 *
 * Words: terminate (retires), poweroff (retires with poweroff_retires),
 * reboot, restart, stop (never retire).
 *
 * Only ABI 1.0 host functions are used; the settings table needs an agent
 * of ABI 1.3 or later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <saba/plugin.h>

struct example_trigger {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *file;
	int poweroff_retires;
	time_t created; /* a stop word older than this is stale */
};

static const struct saba_setting example_trigger_settings[] = {
	{.name = "file",
	 .type = SABA_CFG_STRING,
	 .def = "\"/run/saba-example/stop\"",
	 .description = "the file holding the stop word (on a tmpfs, so no reboot leaves one)"},
	{.name = "poweroff_retires",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "retire on \"poweroff\" too"},
	{.name = NULL},
};

static const struct {
	const char *word;
	int kind; /* enum saba_stop_kind */
} example_trigger_words[] = {
	{"terminate", SABA_STOP_TERMINATE}, {"poweroff", SABA_STOP_POWEROFF},
	{"reboot", SABA_STOP_REBOOT},	    {"restart", SABA_STOP_RESTART},
	{"stop", SABA_STOP_STOP},
};

static int example_trigger_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct example_trigger *t;
	const char *file = NULL;

	/* An agent older than ABI 1.3 knows no settings table (nor defaults). */
	if (host->abi_minor < 3) {
		host->log(ctx, SABA_LOG_ERR, "needs an agent of plugin ABI 1.3 or later");
		return SABA_ERROR;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	t->host = host;
	t->ctx = ctx;
	t->created = time(NULL);
	/* Both have defaults: the agent supplies them when absent. */
	if (host->config_string(ctx, "file", &file) != SABA_OK ||
	    host->config_bool(ctx, "poweroff_retires", &t->poweroff_retires) != SABA_OK)
		goto fail;
	if (file[0] != '/') {
		host->config_error(ctx, "file", "must be an absolute path, not \"%s\"", file);
		goto fail;
	}
	t->file = strdup(file); /* config strings are only valid in create() */
	if (t->file == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		goto fail;
	}
	*instance = t;
	return SABA_OK;
fail:
	free(t);
	return SABA_INVALID;
}

static void example_trigger_destroy(void *instance)
{
	struct example_trigger *t = instance;

	if (t == NULL)
		return;
	free(t->file);
	free(t);
}

/*
 * Read the stop word into buf.  Every failure is logged and returns -1,
 * which the caller turns into UNKNOWN.  O_NONBLOCK and the regular-file
 * test keep a FIFO or a device put there by mistake from hanging the stop.
 */
static int example_trigger_read(struct example_trigger *t, char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd = open(t->file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		t->host->log(t->ctx, SABA_LOG_INFO, "no stop word: %s: %s", t->file,
			     strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		t->host->log(t->ctx, SABA_LOG_WARNING, "%s: not a regular file", t->file);
		goto fail;
	}
	/* Written before this instance existed: left over from an earlier
	 * stop that did not happen, not evidence about this one. */
	if (st.st_mtime < t->created) {
		t->host->log(t->ctx, SABA_LOG_WARNING, "%s: older than this agent run; ignored",
			     t->file);
		goto fail;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		t->host->log(t->ctx, SABA_LOG_WARNING, "%s: %s", t->file, strerror(errno));
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	return 0;
fail:
	close(fd);
	return -1;
}

static int example_trigger_classify(struct example_trigger *t)
{
	char word[32];

	if (example_trigger_read(t, word, sizeof(word)) != 0)
		return SABA_STOP_UNKNOWN;
	for (size_t i = 0; i < sizeof(example_trigger_words) / sizeof(example_trigger_words[0]);
	     i++)
		if (strcmp(word, example_trigger_words[i].word) == 0)
			return example_trigger_words[i].kind;
	t->host->log(t->ctx, SABA_LOG_WARNING, "%s: unknown stop word \"%.16s\"", t->file, word);
	return SABA_STOP_UNKNOWN;
}

/*
 * Called once when the agent stops, on a worker thread, bounded by
 * host->shutdown_budget() seconds (after which the agent stops without us).
 * Returns the classification, which the agent logs.
 */
static int example_trigger_shutdown(void *instance)
{
	struct example_trigger *t = instance;
	int kind = example_trigger_classify(t);
	struct saba_retire_request req;
	char reason[256];
	int rc;

	/* Our rule.  The agent enforces the hard one too (RESTART and
	 * UNKNOWN never retire) but a trigger asks only when it is sure. */
	if (kind != SABA_STOP_TERMINATE && !(kind == SABA_STOP_POWEROFF && t->poweroff_retires)) {
		t->host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: only terminate%s retires",
			     t->poweroff_retires ? " or poweroff" : "");
		return kind;
	}
	snprintf(reason, sizeof(reason), "%s says %s", t->file,
		 kind == SABA_STOP_TERMINATE ? "terminate" : "poweroff");
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = reason, /* logged and audited by the agent */
	};
	/* The retire routine decides: policy and cloud confirmation, once per
	 * process, retries within retire.timeout, and --dry-run.  Only on DONE
	 * was the host retired and its id file removed. */
	rc = t->host->retire(t->ctx, &req);
	switch (rc) {
	case SABA_RETIRE_DONE:
		t->host->log(t->ctx, SABA_LOG_NOTICE, "host retired");
		break;
	case SABA_RETIRE_DRY_RUN:
		t->host->log(t->ctx, SABA_LOG_NOTICE, "dry run: the host would be retired");
		break;
	case SABA_RETIRE_DECLINED:
		t->host->log(t->ctx, SABA_LOG_NOTICE, "the agent declined to retire");
		break;
	default:
		t->host->log(t->ctx, SABA_LOG_ERR, "retiring failed; the host stays registered");
		break;
	}
	return kind;
}

static const struct saba_plugin example_trigger_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "example_trigger",
	.version = "1.0.0",
	.description = "example: retire the host when a stop file says terminate",
	.settings = example_trigger_settings,
	.create = example_trigger_create,
	.destroy = example_trigger_destroy,
	.shutdown = example_trigger_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &example_trigger_plugin;
}
