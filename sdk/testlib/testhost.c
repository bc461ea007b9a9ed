/*
 * libsaba-plugin-test: the fake host's life, its settings and the record
 * helpers the other parts share (see testhost.h, <saba/plugin-test.h>).
 */
#define _GNU_SOURCE /* vasprintf */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "testhost.h"

#include "api.h"
#include "hostfns.h"

void *saba_th_xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "saba-plugin-test: out of memory\n");
		abort();
	}
	return p;
}

char *saba_th_xstrdup(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(saba_th_xrealloc(NULL, n), s, n);
}

char *saba_th_vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "saba-plugin-test: out of memory\n");
		abort();
	}
	return s;
}

struct saba_test_host *saba_th_of(saba_ctx *ctx)
{
	return (struct saba_test_host *)(void *)ctx;
}

struct saba_th_event *saba_th_record(struct saba_test_host *th, int type, int num, const char *key,
				     char *text)
{
	/* syslog numbering */
	static const char *const levels[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
	};
	struct saba_th_event *e;

	SABA_TH_GROW(th->events);
	e = &th->events.v[th->events.n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->num = num;
	e->key = saba_th_xstrdup(key);
	e->text = text;
	if (type == SABA_TH_LOG && th->echo)
		fprintf(stderr, "[saba-plugin-test %s] %s: %s\n", th->instance_name,
			num >= 0 && num < 8 ? levels[num] : "?", text);
	return e;
}

void saba_th_logf(struct saba_test_host *th, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	saba_th_record(th, SABA_TH_LOG, level, NULL, saba_th_vformat(fmt, ap));
	va_end(ap);
}

void saba_th_cfgerr(struct saba_test_host *th, const char *key, char *text)
{
	/* the agent logs it too */
	saba_th_logf(th, SABA_LOG_ERR, "config: %s%s%s", key ? key : "", key ? ": " : "", text);
	saba_th_record(th, SABA_TH_CFGERR, 0, key, text);
}

int saba_th_misuse(struct saba_test_host *th, const char *what, const char *arg)
{
	th->nmisuse++;
	saba_th_logf(th, SABA_LOG_ERR, "host API misuse: %s \"%s\"", what, arg ? arg : "(null)");
	return SABA_INVALID;
}

void saba_th_record_retire(struct saba_test_host *th, const char *host_id,
			   const struct saba_retire_request *req, int result)
{
	const char *reason = req->reason ? req->reason : "";
	struct saba_th_event *e;

	saba_th_logf(th, SABA_LOG_NOTICE, "retire%s%s requested: kind=%d reason=%s: result %d",
		     host_id ? " of host " : "", host_id ? host_id : "", req->kind, reason, result);
	e = saba_th_record(th, host_id ? SABA_TH_RETIRE_HOST : SABA_TH_RETIRE, req->kind, host_id,
			   saba_th_xstrdup(reason));
	e->num2 = result;
}

struct saba_th_event *saba_th_nth(struct saba_test_host *th, int type, size_t n)
{
	for (size_t i = 0; i < th->events.n; i++) {
		if (th->events.v[i].type == type && n-- == 0)
			return &th->events.v[i];
	}
	return NULL;
}

size_t saba_th_count(struct saba_test_host *th, int type)
{
	size_t n = 0;

	while (saba_th_nth(th, type, n) != NULL)
		n++;
	return n;
}

/* Parse text into cfg; 0, or -1 after printing the error. */
static int saba_th_parse(config_t *cfg, const char *text)
{
	config_init(cfg);
	if (text == NULL || config_read_string(cfg, text) == CONFIG_TRUE)
		return 0;
	fprintf(stderr, "saba-plugin-test: config line %d: %s\n", config_error_line(cfg),
		config_error_text(cfg));
	config_destroy(cfg);
	return -1;
}

struct saba_test_host *saba_test_host_new(const char *config)
{
	struct saba_test_host *th = saba_th_xrealloc(NULL, sizeof(*th));

	memset(th, 0, sizeof(*th));
	if (saba_th_parse(&th->cfg, config) != 0) {
		free(th);
		return NULL;
	}
	saba_th_fill_table(&th->host, SABA_PLUGIN_ABI_MINOR);
	th->instance_name = saba_th_xstrdup("test");
	th->echo = 1;
	th->retire_result = SABA_RETIRE_DONE;
	th->retire_host_result = SABA_RETIRE_DONE;
	pthread_mutex_init(&th->lock, NULL);
	return th;
}

int saba_test_set_config(struct saba_test_host *th, const char *config)
{
	config_t cfg;

	if (saba_th_parse(&cfg, config) != 0)
		return -1;
	pthread_mutex_lock(&th->lock);
	config_destroy(&th->cfg);
	th->cfg = cfg;
	pthread_mutex_unlock(&th->lock);
	return 0;
}

static void saba_th_clear_values(struct saba_test_host *th)
{
	for (size_t i = 0; i < th->values.n; i++) {
		free(th->values.v[i].name);
		free(th->values.v[i].ci);
	}
	th->values.n = 0;
}

/* Forget the previous collect's values (for saba_test_collect()). */
void saba_th_new_round(struct saba_test_host *th)
{
	pthread_mutex_lock(&th->lock);
	saba_th_clear_values(th);
	pthread_mutex_unlock(&th->lock);
}

void saba_test_clear(struct saba_test_host *th)
{
	pthread_mutex_lock(&th->lock);
	saba_th_clear_values(th);
	for (size_t i = 0; i < th->events.n; i++) {
		free(th->events.v[i].key);
		free(th->events.v[i].text);
		free(th->events.v[i].extra);
	}
	th->events.n = 0;
	for (size_t i = 0; i < th->checks.n; i++) {
		free((char *)th->checks.v[i].name);
		free((char *)th->checks.v[i].message);
		free((char *)th->checks.v[i].custom_identifier);
	}
	th->checks.n = 0;
	th->ndropped = th->nmisuse = 0;
	th->retire_state = SABA_TH_RETIRE_OPEN;
	pthread_mutex_unlock(&th->lock);
}

void saba_test_host_free(struct saba_test_host *th)
{
	if (th == NULL)
		return;
	saba_test_clear(th);
	saba_th_answers_free(th);
	free(th->values.v);
	free(th->events.v);
	free(th->checks.v);
	free(th->host_id);
	free(th->instance_name);
	if (th->have_settings)
		saba_settings_free(&th->settings);
	config_destroy(&th->cfg);
	pthread_mutex_destroy(&th->lock);
	free(th);
}

const struct saba_host *saba_test_host_table(struct saba_test_host *th)
{
	return &th->host;
}

saba_ctx *saba_test_ctx(struct saba_test_host *th)
{
	return (saba_ctx *)(void *)th;
}

/* Replace a string setting under the lock. */
static void saba_th_set_string(struct saba_test_host *th, char **field, const char *value)
{
	char *copy = saba_th_xstrdup(value);

	pthread_mutex_lock(&th->lock);
	free(*field);
	*field = copy;
	pthread_mutex_unlock(&th->lock);
}

/* Set an int setting under the lock. */
static void saba_th_set_int(struct saba_test_host *th, int *field, int value)
{
	pthread_mutex_lock(&th->lock);
	*field = value;
	pthread_mutex_unlock(&th->lock);
}

void saba_test_set_host_id(struct saba_test_host *th, const char *host_id)
{
	saba_th_set_string(th, &th->host_id, host_id);
}

void saba_test_set_instance_name(struct saba_test_host *th, const char *name)
{
	saba_th_set_string(th, &th->instance_name, name ? name : "test");
}

void saba_test_set_dry_run(struct saba_test_host *th, int dry_run)
{
	saba_th_set_int(th, &th->dry_run, dry_run != 0);
}

void saba_test_set_shutdown_budget(struct saba_test_host *th, int seconds)
{
	saba_th_set_int(th, &th->shutdown_budget, seconds);
}

void saba_test_set_echo(struct saba_test_host *th, int echo)
{
	saba_th_set_int(th, &th->echo, echo != 0);
}

void saba_test_set_retire_result(struct saba_test_host *th, int result)
{
	saba_th_set_int(th, &th->retire_result, result);
}

void saba_test_set_retire_host_result(struct saba_test_host *th, int result)
{
	saba_th_set_int(th, &th->retire_host_result, result);
}

int saba_test_set_abi_minor(struct saba_test_host *th, int minor)
{
	if (minor < 0 || minor > SABA_PLUGIN_ABI_MINOR)
		return -1;
	saba_th_fill_table(&th->host, minor);
	return 0;
}
