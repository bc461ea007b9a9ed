/*
 * command_shared: what the command runner does the same way on every
 * system (see command.h): the cancel object's bookkeeping, how a run's end
 * reads in the log, and stderr lines to the log.  Starting, watching and
 * ending the process is the system's part: command.c (POSIX: vfork/exec,
 * process groups, signals) or command_win32.c (CreateProcess, job
 * objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "command.h"
#include "command_os.h"

#define SABA_CMD_LOG_LINES  10	  /* stderr lines per window */
#define SABA_CMD_LOG_WINDOW 60000 /* ms */
#define SABA_CMD_LOG_WIDTH  512	  /* characters of one stderr line */

const char *saba_cmd_default_workdir(void)
{
	const char *env = getenv(SABA_CMD_WORKDIR_VAR);

	return env != NULL && *env != '\0' ? env : SABA_CMD_WORKDIR;
}

/* ------------------------------------------------------------------ */
/* output                                                               */

void saba_cmd_buf_add(struct saba_cmd_buf *b, const char *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->truncated = 1;
		n = b->cap - b->len;
	}
	if (n == 0)
		return;
	if (b->len + n + 1 > b->size) {
		size_t size = b->size ? b->size : 4096;
		char *p;

		while (size < b->len + n + 1)
			size *= 2;
		p = realloc(b->buf, size);
		if (p == NULL) {
			b->truncated = 1;
			return;
		}
		b->buf = p;
		b->size = size;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
}

/* ------------------------------------------------------------------ */
/* cancel                                                               */

int saba_cmd_cancel_init(struct saba_cmd_cancel *c)
{
	memset(c, 0, sizeof(*c));
	if (saba_cmd_os_cancel_init(c) != SABA_OK)
		return SABA_ERROR;
	pthread_mutex_init(&c->lock, NULL);
	saba_clock_cond_init(&c->idle);
	return SABA_OK;
}

void saba_cmd_cancel_destroy(struct saba_cmd_cancel *c)
{
	saba_cmd_os_cancel_destroy(c);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->idle);
}

void saba_cmd_cancel(struct saba_cmd_cancel *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->cancelled) {
		c->cancelled = 1;
		saba_cmd_os_interrupt(c);
	}
	pthread_mutex_unlock(&c->lock);
}

int saba_cmd_cancel_wait(struct saba_cmd_cancel *c, int timeout_ms)
{
	int64_t deadline = saba_clock_ms() + timeout_ms;
	int idle;

	pthread_mutex_lock(&c->lock);
	while (c->busy && saba_clock_ms() < deadline) {
		struct timespec ts;

		saba_clock_cond_deadline(deadline - saba_clock_ms(), &ts);
		pthread_cond_timedwait(&c->idle, &c->lock, &ts);
	}
	idle = !c->busy;
	pthread_mutex_unlock(&c->lock);
	return idle;
}

void saba_cmd_cancel_reset(struct saba_cmd_cancel *c)
{
	pthread_mutex_lock(&c->lock);
	c->cancelled = 0;
	saba_cmd_os_rearm(c);
	pthread_mutex_unlock(&c->lock);
}

int saba_cmd_cancelled(struct saba_cmd_cancel *c)
{
	int v;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	v = c->cancelled;
	pthread_mutex_unlock(&c->lock);
	return v;
}

int saba_cmd_track(struct saba_cmd_cancel *c, int busy)
{
	int cancelled;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	c->busy = busy;
	cancelled = c->cancelled;
	if (!busy)
		pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
	return cancelled;
}

/* ------------------------------------------------------------------ */
/* results                                                              */

void saba_cmd_finish(const struct saba_cmd *cmd, struct saba_cmd_result *res)
{
	if (!res->started || res->error[0] != '\0')
		return;
	if (res->cancelled)
		snprintf(res->error, sizeof(res->error), "interrupted: the agent is stopping");
	else if (res->timed_out)
		snprintf(res->error, sizeof(res->error), "command timed out after %d s",
			 cmd->timeout_ms / 1000);
}

void saba_cmd_result_free(struct saba_cmd_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

/* ------------------------------------------------------------------ */
/* stderr to the log                                                    */

static int saba_cmd_may_log(struct saba_cmd_ratelimit *rl, const struct saba_host *host,
			    saba_ctx *ctx, int level)
{
	int64_t now = saba_clock_ms();

	if (rl->window_start == 0 || now - rl->window_start >= SABA_CMD_LOG_WINDOW) {
		if (rl->suppressed > 0)
			host->log(ctx, level, "stderr: %lu more lines were not logged",
				  rl->suppressed);
		rl->window_start = now;
		rl->lines = 0;
		rl->suppressed = 0;
	}
	if (rl->lines >= SABA_CMD_LOG_LINES) {
		rl->suppressed++;
		return 0;
	}
	rl->lines++;
	return 1;
}

/* Bytes of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t saba_cmd_utf8(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Copy n bytes of s to line, control characters and invalid UTF-8 as
 * '?': the log is text. */
static void saba_cmd_printable(char *line, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const unsigned char *c = (const unsigned char *)s + i;
		size_t len = saba_cmd_utf8(c, n - i);

		if (len == 0 || (len == 1 && ((*c < 0x20 && *c != '\t') || *c == 0x7f))) {
			line[i++] = '?';
			continue;
		}
		memcpy(line + i, c, len);
		i += len;
	}
	line[n] = '\0';
}

void saba_cmd_log_stderr(const struct saba_host *host, saba_ctx *ctx, int level,
			 struct saba_cmd_ratelimit *rl, const struct saba_cmd_result *res)
{
	const char *s = res->err, *end = res->err + res->err_len;

	while (s != NULL && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s), shown = len, n;
		char line[SABA_CMD_LOG_WIDTH + 1];

		/* a Windows line ends in CR LF */
		if (shown > 0 && s[shown - 1] == '\r')
			shown--;
		n = shown < SABA_CMD_LOG_WIDTH ? shown : SABA_CMD_LOG_WIDTH;
		saba_cmd_printable(line, s, n);
		if (n > 0 && saba_cmd_may_log(rl, host, ctx, level))
			host->log(ctx, level, "stderr: %s%s", line, shown > n ? " [...]" : "");
		s += len + 1;
	}
	if (res->err_truncated && saba_cmd_may_log(rl, host, ctx, level))
		host->log(ctx, level, "stderr: more output was discarded");
}
