/*
 * cmdconf: prepare a struct saba_cmd from an instance's settings (see
 * cmdconf.h); command.h runs it.  The system's shell and accounts are
 * command.c's or command_win32.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdconf.h"
#include "command_os.h"

static char *saba_cmd_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	return p != NULL ? memcpy(p, s, n) : NULL;
}

static char *saba_cmd_join(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p = malloc(la + lb + lc + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	memcpy(p + la + lb, c, lc + 1);
	return p;
}

static void saba_cmd_free_argv(struct saba_cmd *cmd)
{
	for (size_t i = 0; cmd->argv != NULL && cmd->argv[i] != NULL; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->display);
	cmd->argv = NULL;
	cmd->display = NULL;
	cmd->argc = 0;
}

int saba_cmd_set_argv(struct saba_cmd *cmd, const char *const *argv, size_t argc)
{
	size_t len = 1;

	saba_cmd_free_argv(cmd);
	if (argc == 0)
		return SABA_INVALID;
	cmd->argv = calloc(argc + 1, sizeof(*cmd->argv));
	if (cmd->argv == NULL)
		return SABA_ERROR;
	cmd->argc = argc;
	cmd->shell = 0;
	for (size_t i = 0; i < argc; i++) {
		cmd->argv[i] = saba_cmd_strdup(argv[i]);
		if (cmd->argv[i] == NULL)
			return SABA_ERROR;
		len += strlen(argv[i]) + 1;
	}
	cmd->display = malloc(len);
	if (cmd->display == NULL)
		return SABA_ERROR;
	cmd->display[0] = '\0';
	for (size_t i = 0; i < argc; i++) {
		if (i > 0)
			strcat(cmd->display, " ");
		strcat(cmd->display, argv[i]);
	}
	return SABA_OK;
}

int saba_cmd_set_shell(struct saba_cmd *cmd, const char *line)
{
	int rc = saba_cmd_os_shell(cmd, line);

	/* log lines show what the operator wrote */
	if (rc == SABA_OK) {
		cmd->shell = 1;
		free(cmd->display);
		cmd->display = saba_cmd_strdup(line);
		rc = cmd->display != NULL ? SABA_OK : SABA_ERROR;
	}
	return rc;
}

int saba_cmd_add_env(struct saba_cmd *cmd, const char *name, const char *value, char *err,
		     size_t errlen)
{
	char **env;
	char *kv;

	/* as mackerel-agent: names are trimmed, empty ones skipped, '=' refused */
	while (*name == ' ')
		name++;
	if (*name == '\0')
		return SABA_OK;
	if (strchr(name, '=') != NULL) {
		snprintf(err, errlen, "environment variable name \"%s\" contains '='", name);
		return SABA_INVALID;
	}
	kv = saba_cmd_join(name, "=", value);
	env = realloc(cmd->env, (cmd->nenv + 2) * sizeof(*env));
	if (kv == NULL || env == NULL) {
		free(kv);
		if (env != NULL)
			cmd->env = env;
		snprintf(err, errlen, "out of memory");
		return SABA_ERROR;
	}
	/* trailing blanks of the name go too */
	for (char *e = strchr(kv, '='); e > kv && e[-1] == ' '; e--)
		memmove(e - 1, e, strlen(e) + 1);
	env[cmd->nenv++] = kv;
	env[cmd->nenv] = NULL;
	cmd->env = env;
	return SABA_OK;
}

void saba_cmd_free(struct saba_cmd *cmd)
{
	saba_cmd_free_argv(cmd);
	for (size_t i = 0; i < cmd->nenv; i++)
		free(cmd->env[i]);
	free(cmd->env);
	saba_cmd_os_free(cmd);
	memset(cmd, 0, sizeof(*cmd));
}

/* The key name in table (NULL: the instance's own level): "action.user". */
static const char *saba_cmd_key(char *buf, size_t len, const char *table, const char *name)
{
	if (table == NULL)
		return name;
	snprintf(buf, len, "%s.%s", table, name);
	return buf;
}

/* command: a string or a list of strings.  The agent hands a lone string
 * out as a one-element list whose element carries the key's own name, a
 * list element has none: that tells the two apart. */
static int saba_cmd_read_command(const struct saba_host *host, saba_ctx *ctx, const char *key,
				 struct saba_cmd *cmd)
{
	int n = host->config_count(ctx, key), rc;
	const char **argv;
	char err[256];
	const char *name = NULL, *value = NULL;

	/* (a top-level command the agent requires; one in a table it cannot) */
	if (n == SABA_NOTFOUND || n == 0) {
		host->config_error(ctx, key, "a command is required");
		return SABA_INVALID;
	}
	if (n < 0)
		return SABA_INVALID;
	if (host->config_element(ctx, key, 0, &name, &value) != SABA_OK)
		return SABA_INVALID;
	if (name != NULL && n == 1) {
		if (*value == '\0') {
			host->config_error(ctx, key, "must not be empty");
			return SABA_INVALID;
		}
		rc = saba_cmd_set_shell(cmd, value);
		if (rc == SABA_INVALID)
			host->config_error(ctx, key, "%s", SABA_CMD_SHELL_REFUSED);
		return rc;
	}
	argv = calloc((size_t)n, sizeof(*argv));
	if (argv == NULL)
		return SABA_ERROR;
	rc = SABA_OK;
	for (int i = 0; i < n && rc == SABA_OK; i++)
		if (host->config_element(ctx, key, i, NULL, &argv[i]) != SABA_OK)
			rc = SABA_INVALID;
	if (rc == SABA_OK && *argv[0] == '\0') {
		host->config_error(ctx, key, "the program name must not be empty");
		rc = SABA_INVALID;
	}
	if (rc == SABA_OK)
		rc = saba_cmd_set_argv(cmd, argv, (size_t)n);
	if (rc == SABA_OK && saba_cmd_os_check(cmd, err, sizeof(err)) != SABA_OK) {
		host->config_error(ctx, key, "%s", err);
		rc = SABA_INVALID;
	}
	free(argv);
	return rc;
}

int saba_cmd_read_env(const struct saba_host *host, saba_ctx *ctx, const char *key,
		      struct saba_cmd *cmd)
{
	int n = host->config_count(ctx, key), rc = SABA_OK;
	char err[256];

	if (n == SABA_NOTFOUND)
		return SABA_OK;
	if (n < 0)
		return SABA_INVALID;
	for (int i = 0; i < n && rc == SABA_OK; i++) {
		const char *name = NULL, *value = NULL;

		if (host->config_element(ctx, key, i, &name, &value) != SABA_OK)
			return SABA_INVALID;
		if (name == NULL) {
			host->config_error(ctx, key, "must be a group { NAME = \"value\"; }");
			return SABA_INVALID;
		}
		rc = saba_cmd_add_env(cmd, name, value, err, sizeof(err));
		if (rc != SABA_OK)
			host->config_error(ctx, key, "%s", err);
	}
	return rc;
}

/* timeout_seconds (mackerel-agent's name) or timeout, not both. */
static int saba_cmd_read_timeout(const struct saba_host *host, saba_ctx *ctx, const char *table,
				 struct saba_cmd *cmd)
{
	char kbuf[128], obuf[128];
	const char *key = saba_cmd_key(kbuf, sizeof(kbuf), table, "timeout_seconds");
	const char *other = saba_cmd_key(obuf, sizeof(obuf), table, "timeout");
	long long timeout = SABA_CMD_DEFAULT_TIMEOUT, unused;
	int rc = host->config_int(ctx, key, &timeout);

	if (rc == SABA_NOTFOUND) {
		key = other;
		rc = host->config_int(ctx, key, &timeout);
	} else if (host->config_int(ctx, other, &unused) != SABA_NOTFOUND) {
		host->config_error(ctx, key, "set timeout or timeout_seconds, not both");
		return SABA_INVALID;
	}
	if (rc == SABA_OK && (timeout < 1 || timeout > SABA_CMD_MAX_TIMEOUT)) {
		host->config_error(ctx, key, "must be 1..%d seconds", SABA_CMD_MAX_TIMEOUT);
		return SABA_INVALID;
	}
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	cmd->timeout_ms = (int)timeout * 1000;
	return SABA_OK;
}

int saba_cmd_from_table(const struct saba_host *host, saba_ctx *ctx, const char *table,
			struct saba_cmd *cmd)
{
	const char *user = NULL, *key;
	char kbuf[128], err[256];
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	rc = saba_cmd_read_command(host, ctx, saba_cmd_key(kbuf, sizeof(kbuf), table, "command"),
				   cmd);
	if (rc == SABA_OK)
		rc = saba_cmd_read_env(host, ctx, saba_cmd_key(kbuf, sizeof(kbuf), table, "env"),
				       cmd);
	if (rc != SABA_OK)
		return rc;
	key = saba_cmd_key(kbuf, sizeof(kbuf), table, "user");
	rc = host->config_string(ctx, key, &user);
	if (rc == SABA_OK && *user != '\0') {
		rc = saba_cmd_set_user(cmd, user, err, sizeof(err));
		if (rc == SABA_NOTFOUND) {
			host->log(ctx, SABA_LOG_WARNING, "%s", err);
		} else if (rc != SABA_OK) {
			host->config_error(ctx, key, "%s", err);
			return rc;
		}
	} else if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		return rc;
	}
	return saba_cmd_read_timeout(host, ctx, table, cmd);
}

int saba_cmd_from_config(const struct saba_host *host, saba_ctx *ctx, struct saba_cmd *cmd)
{
	return saba_cmd_from_table(host, ctx, NULL, cmd);
}
