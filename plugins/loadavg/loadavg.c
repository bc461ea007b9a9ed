/*
 * loadavg: the 1, 5 and 15 minute load averages from <procfs>/loadavg,
 * emitted as loadavg1, loadavg5 and loadavg15 (mackerel-agent names).
 *
 * Settings: saba_loadavg_settings below (`saba-agent plugins loadavg` lists them
 * with their defaults).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/procfs.h"
#include "lib/textfile.h"

struct saba_loadavg {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *path;		   /* <procfs>/loadavg */
	struct saba_textfile file; /* path, kept open */
};

static const struct saba_setting saba_loadavg_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = NULL},
};

/*
 * Parse one unsigned decimal ("0.06", "12", "3.50") and advance *sp.  Hand
 * rolled rather than strtod() so a locale with a decimal comma, set by the
 * agent or another plugin, cannot change the result.  Digits are gathered
 * into an integer mantissa and divided once by a power of ten: both are exact
 * for the short numbers the kernel prints, so the result is the correctly
 * rounded double, the same as strtod() in the C locale.
 */
static int saba_loadavg_number(const char **sp, double *out)
{
	const char *s = *sp;
	unsigned long long mant = 0;
	int digits = 0, frac = 0;
	double div = 1;

	while (*s >= '0' && *s <= '9') {
		mant = mant * 10 + (unsigned long long)(*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			mant = mant * 10 + (unsigned long long)(*s++ - '0');
			digits++;
			frac++;
		}
	}
	/* 15 digits keep the mantissa exact in a double */
	if (digits == 0 || digits > 15)
		return SABA_ERROR;
	/* the number must end at a field boundary */
	if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\0')
		return SABA_ERROR;
	while (frac-- > 0)
		div *= 10; /* exact up to 1e22 */
	*out = (double)mant / div;
	*sp = s;
	return SABA_OK;
}

/*
 * Parse "0.06 0.08 0.03 1/82 2864".  Only the three averages are required:
 * the running/total and last-pid fields are ignored, so lxcfs-style files
 * that leave them out still work.
 */
static int saba_loadavg_parse(const char *line, double avg[3])
{
	const char *s = line;

	for (int i = 0; i < 3; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (saba_loadavg_number(&s, &avg[i]) != SABA_OK)
			return SABA_ERROR;
	}
	return SABA_OK;
}

static int saba_loadavg_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_loadavg *la;
	char *path = NULL;
	int rc = saba_procfs_path(host, ctx, "loadavg", &path);

	if (rc != SABA_OK)
		return rc;
	la = calloc(1, sizeof(*la));
	if (la == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		free(path);
		return SABA_ERROR;
	}
	la->host = host;
	la->ctx = ctx;
	la->path = path;
	la->file = (struct saba_textfile)SABA_TEXTFILE_INIT;
	*instance = la;
	return SABA_OK;
}

static void saba_loadavg_destroy(void *instance)
{
	struct saba_loadavg *la = instance;

	if (la == NULL)
		return;
	saba_textfile_close(&la->file);
	free(la->path);
	free(la);
}

static int saba_loadavg_collect(void *instance)
{
	struct saba_loadavg *la = instance;
	char *line;
	double avg[3];
	size_t len;
	int err;

	err = saba_textfile_reread(&la->file, la->path, &line, &len);
	if (err != 0) {
		la->host->log(la->ctx, SABA_LOG_ERR, "cannot read %s: %s", la->path, strerror(err));
		return SABA_ERROR;
	}
	line[strcspn(line, "\n")] = '\0';
	if (len == 0) {
		la->host->log(la->ctx, SABA_LOG_ERR, "%s: empty file", la->path);
		return SABA_ERROR;
	}
	if (saba_loadavg_parse(line, avg) != SABA_OK) {
		la->host->log(la->ctx, SABA_LOG_ERR,
			      "%s: malformed, expected three load averages, got \"%.64s\"",
			      la->path, line);
		return SABA_ERROR;
	}
	la->host->emit(la->ctx, "loadavg1", avg[0]);
	la->host->emit(la->ctx, "loadavg5", avg[1]);
	la->host->emit(la->ctx, "loadavg15", avg[2]);
	return SABA_OK;
}

static const struct saba_plugin saba_loadavg_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "loadavg",
	.version = "0.1.0",
	.description = "load averages loadavg1/5/15 from /proc/loadavg",
	.settings = saba_loadavg_settings,
	.create = saba_loadavg_create,
	.destroy = saba_loadavg_destroy,
	.collect = saba_loadavg_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_loadavg_plugin;
}
