/*
 * cmdconf: a command for the exec and check plugins, prepared once from an
 * instance's settings in create(): the argv (a string runs through
 * /bin/sh -c, on Windows cmd.exe /U /S /C; a list is executed directly),
 * extra environment, the user to run as and the timeout.  command.h runs
 * it.
 */
#ifndef SABA_PLUGIN_CMDCONF_H
#define SABA_PLUGIN_CMDCONF_H

#include <stddef.h>
#include <sys/types.h>

#include <saba/plugin.h>

#define SABA_CMD_DEFAULT_TIMEOUT 30 /* seconds, as mackerel-agent */
#define SABA_CMD_MAX_TIMEOUT	 3600

#ifdef _WIN32
#define SABA_CMD_SHELL_HELP "a string runs through cmd.exe /U /S /C; a list is executed directly"
#define SABA_CMD_USER_HELP  "ignored on Windows, as by mackerel-agent (a warning)"
#define SABA_CMD_SHELL_REFUSED                                                                     \
	"a line break inside the command would end it there for cmd.exe: use one line"
#else
#define SABA_CMD_SHELL_HELP    "a string runs through /bin/sh -c; a list is executed directly"
#define SABA_CMD_USER_HELP     "run as this user (the agent must run as root)"
#define SABA_CMD_SHELL_REFUSED "/bin/sh cannot run it"
#endif

#define SABA_CMD_STR(x)	 #x
#define SABA_CMD_XSTR(x) SABA_CMD_STR(x)

/* The settings the command plugins declare.  timeout has no declared
 * default: the plugin applies 30 itself, so that it can tell a timeout that
 * was written from none (timeout_seconds, mackerel-agent's name, excludes
 * it). */
#define SABA_CMD_SETTINGS                                                                          \
	{.name = "command",                                                                        \
	 .type = SABA_CFG_STRING_OR_LIST,                                                          \
	 .flags = SABA_SETTING_REQUIRED,                                                           \
	 .description = SABA_CMD_SHELL_HELP},                                                      \
		{.name = "env",                                                                    \
		 .type = SABA_CFG_GROUP,                                                           \
		 .description = "extra environment { NAME = \"value\"; }"},                        \
		{.name = "user", .type = SABA_CFG_STRING, .description = SABA_CMD_USER_HELP},      \
		{.name = "timeout",                                                                \
		 .type = SABA_CFG_INT,                                                             \
		 .min = 1,                                                                         \
		 .max = SABA_CMD_MAX_TIMEOUT,                                                      \
		 .flags = SABA_SETTING_SECONDS,                                                    \
		 .description = "seconds before the command is killed (absent: 30)"},              \
	{                                                                                          \
		.name = "timeout_seconds", .type = SABA_CFG_INT, .min = 1,                         \
		.max = SABA_CMD_MAX_TIMEOUT, .flags = SABA_SETTING_SECONDS,                        \
		.description = "timeout under mackerel-agent's name"                               \
	}

/* The account a command runs as (command.c; never on Windows). */
struct saba_cmd_user;

/* A prepared command. */
struct saba_cmd {
	char **argv; /* NULL-terminated; a string: the shell's (POSIX) or the
		      * line alone (Windows, with shell set) */
	size_t argc;
	int shell;     /* a string for the shell */
	char *display; /* what the operator wrote, for log messages */
	char **env;    /* "NAME=value", NULL-terminated, from the config */
	size_t nenv;
	int timeout_ms;
	struct saba_cmd_user *user; /* set by saba_cmd_set_user(): switch users */
};

/* Read the settings command, env, user and timeout (or timeout_seconds) of
 * the instance into
 * cmd (zeroed first).  Problems go through config_error; returns SABA_OK,
 * SABA_INVALID or SABA_ERROR.  Free with saba_cmd_free() either way. */
int saba_cmd_from_config(const struct saba_host *host, saba_ctx *ctx, struct saba_cmd *cmd);

/* The same keys inside the SABA_CFG_TABLE setting table (a check's
 * action = { command; env; user; timeout_seconds; }); unknown keys there
 * are the caller's to refuse. */
int saba_cmd_from_table(const struct saba_host *host, saba_ctx *ctx, const char *table,
			struct saba_cmd *cmd);

/* Add the group setting key { NAME = "value"; } to cmd's environment. */
int saba_cmd_read_env(const struct saba_host *host, saba_ctx *ctx, const char *key,
		      struct saba_cmd *cmd);

/* The pieces, for commands described otherwise.  Each returns SABA_OK, or
 * SABA_INVALID with a message in err; saba_cmd_set_shell() SABA_INVALID for
 * a line the shell cannot take (on Windows, one with a line break inside),
 * and saba_cmd_set_user() SABA_NOTFOUND when the setting is ignored
 * (Windows), err saying so. */
int saba_cmd_set_shell(struct saba_cmd *cmd, const char *line);
int saba_cmd_set_argv(struct saba_cmd *cmd, const char *const *argv, size_t argc);
int saba_cmd_add_env(struct saba_cmd *cmd, const char *name, const char *value, char *err,
		     size_t errlen);
int saba_cmd_set_user(struct saba_cmd *cmd, const char *user, char *err, size_t errlen);
void saba_cmd_free(struct saba_cmd *cmd);

#endif /* SABA_PLUGIN_CMDCONF_H */
