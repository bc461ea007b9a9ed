/*
 * cpu: CPU time shares from the first line of <procfs>/stat, with the names,
 * formula and scale of mackerel-agent's Linux cpu generator:
 *
 *   cpu.{user,nice,system,idle}.percentage, and iowait, irq, softirq, steal
 *   and guest when the kernel has the column (5th to 9th).
 *   value = Δfield × ncpu × 100 / ΔTotal, so the scale is 0..100×ncpu;
 *   Total = sum of the fields − guest − guest_nice (user and nice already
 *   contain them); user is reported as user − guest; ncpu = number of cpuN
 *   lines.  guest_nice is not reported, as upstream.
 *
 * A delta plugin: the first collect() only keeps the sample.  A counter that
 * went back (CPU hot-unplug, a buggy iowait) counts as 0 for that field; a
 * total that did not advance skips the round.
 *
 * host_spec() contributes "meta.cpu": one map per logical CPU from
 * <procfs>/cpuinfo with upstream's keys, values verbatim as strings.
 *
 * Settings: saba_cpu_settings below (`saba-agent plugins cpu` lists them
 * with their defaults).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/jsontext.h"
#include "lib/procfs.h"
#include "lib/textfile.h"

/* user nice system idle iowait irq softirq steal guest guest_nice */
#define SABA_CPU_NFIELDS 10
#define SABA_CPU_GUEST	 8
#define SABA_CPU_GNICE	 9

struct saba_cpu_stat {
	uint64_t f[SABA_CPU_NFIELDS];
	int nfields; /* columns the kernel printed, at most SABA_CPU_NFIELDS */
	int ncpu;
};

struct saba_cpu {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *stat_path;	   /* <procfs>/stat */
	char *cpuinfo_path;	   /* <procfs>/cpuinfo */
	struct saba_textfile stat; /* stat_path, kept open */
	struct saba_cpu_stat prev;
	int have_prev;
};

static const struct saba_setting saba_cpu_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = NULL},
};

/* metric of field i; user, nice, system and idle are always there */
static const char *const saba_cpu_names[SABA_CPU_NFIELDS - 1] = {
	"cpu.user.percentage",	  "cpu.nice.percentage",   "cpu.system.percentage",
	"cpu.idle.percentage",	  "cpu.iowait.percentage", "cpu.irq.percentage",
	"cpu.softirq.percentage", "cpu.steal.percentage",  "cpu.guest.percentage",
};

/* Parse a whole /proc/stat: the aggregate line and the number of cpuN. */
static int saba_cpu_parse(struct saba_cpu *cpu, char *text, struct saba_cpu_stat *st)
{
	char *cursor = text, *line, *fields[SABA_CPU_NFIELDS + 1];
	int n;

	memset(st, 0, sizeof(*st));
	line = saba_next_line(&cursor);
	if (line == NULL || strncmp(line, "cpu ", 4) != 0)
		goto malformed;
	n = saba_split_fields(line, fields, SABA_CPU_NFIELDS + 1) - 1;
	/* a future kernel's 11th column is not something we can place */
	if (n > SABA_CPU_NFIELDS)
		n = SABA_CPU_NFIELDS;
	if (n < 4)
		goto malformed;
	for (int i = 0; i < n; i++) {
		if (saba_parse_u64(fields[i + 1], &st->f[i]) != SABA_OK)
			goto malformed;
	}
	st->nfields = n;
	while ((line = saba_next_line(&cursor)) != NULL) {
		if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9')
			st->ncpu++;
	}
	if (st->ncpu == 0) {
		cpu->host->log(cpu->ctx, SABA_LOG_ERR, "%s: malformed, no cpuN line",
			       cpu->stat_path);
		return SABA_ERROR;
	}
	return SABA_OK;
malformed:
	cpu->host->log(cpu->ctx, SABA_LOG_ERR,
		       "%s: malformed, the first line must be \"cpu\" and at least four counters",
		       cpu->stat_path);
	return SABA_ERROR;
}

/* Total as upstream counts it: guest time is already in user/nice. */
static uint64_t saba_cpu_total(const struct saba_cpu_stat *st)
{
	uint64_t t = 0;

	for (int i = 0; i < st->nfields; i++)
		t += st->f[i];
	return t - st->f[SABA_CPU_GUEST] - st->f[SABA_CPU_GNICE];
}

/* user without guest; a kernel that reports more guest than user gets 0 */
static uint64_t saba_cpu_field(const struct saba_cpu_stat *st, int i)
{
	if (i == 0)
		return st->f[0] >= st->f[SABA_CPU_GUEST] ? st->f[0] - st->f[SABA_CPU_GUEST] : 0;
	return st->f[i];
}

static void saba_cpu_emit(struct saba_cpu *cpu, const struct saba_cpu_stat *prev,
			  const struct saba_cpu_stat *cur)
{
	uint64_t tp = saba_cpu_total(prev), tc = saba_cpu_total(cur);
	int n = cur->nfields < prev->nfields ? cur->nfields : prev->nfields;
	double total;

	/* nothing elapsed (or a reset): no honest share to report */
	if (tc <= tp) {
		cpu->host->log(cpu->ctx, SABA_LOG_DEBUG, "%s: total did not advance; skipped",
			       cpu->stat_path);
		return;
	}
	total = (double)(tc - tp);
	if (n > SABA_CPU_NFIELDS - 1)
		n = SABA_CPU_NFIELDS - 1; /* guest_nice is not reported */
	for (int i = 0; i < n; i++) {
		uint64_t a = saba_cpu_field(prev, i), b = saba_cpu_field(cur, i);
		/* reset-safe: a counter that went back counts as 0 */
		uint64_t d = b >= a ? b - a : 0;

		cpu->host->emit(cpu->ctx, saba_cpu_names[i],
				(double)d * (double)cur->ncpu * 100.0 / total);
	}
}

static int saba_cpu_collect(void *instance)
{
	struct saba_cpu *cpu = instance;
	struct saba_cpu_stat cur;
	char *text;
	size_t len;
	int err, rc;

	err = saba_textfile_reread(&cpu->stat, cpu->stat_path, &text, &len);
	if (err != 0) {
		cpu->host->log(cpu->ctx, SABA_LOG_ERR, "cannot read %s: %s", cpu->stat_path,
			       strerror(err));
		return SABA_ERROR;
	}
	rc = saba_cpu_parse(cpu, text, &cur);
	if (rc != SABA_OK)
		return rc;
	if (cpu->have_prev)
		saba_cpu_emit(cpu, &cpu->prev, &cur);
	cpu->prev = cur;
	cpu->have_prev = 1;
	return SABA_OK;
}

/* ------------------------------------------------------------------ */
/* meta.cpu                                                             */

/* cpuinfo key -> meta.cpu key (upstream spec/linux/cpu.go) */
static const struct {
	const char *cpuinfo;
	const char *key;
} saba_cpu_spec_keys[] = {
	{"vendor_id", "vendor_id"},   {"model", "model"},
	{"stepping", "stepping"},     {"physical id", "physical_id"},
	{"core id", "core_id"},	      {"model name", "model_name"},
	{"cache size", "cache_size"}, {"cpu family", "family"},
	{"cpu cores", "cores"},	      {"cpu MHz", "mhz"},
};
#define SABA_CPU_NSPEC (sizeof(saba_cpu_spec_keys) / sizeof(saba_cpu_spec_keys[0]))

/* One logical CPU: values point into the file buffer; a repeated key keeps
 * the last value, as upstream's map does, without a duplicate JSON key. */
struct saba_cpu_info {
	const char *v[SABA_CPU_NSPEC];
	const char *model_name; /* from "Processor"/"system type" (ARM, MIPS) */
};

static void saba_cpu_info_json(struct saba_json *j, const struct saba_cpu_info *ci)
{
	int first = 1;

	saba_json_raw(j, "{");
	for (size_t k = 0; k < SABA_CPU_NSPEC; k++) {
		const char *v = ci->v[k];

		/* old ARM kernels name the model once, before the CPUs */
		if (v == NULL && strcmp(saba_cpu_spec_keys[k].key, "model_name") == 0)
			v = ci->model_name;
		if (v == NULL)
			continue;
		saba_json_key(j, saba_cpu_spec_keys[k].key, first);
		saba_json_str(j, v);
		first = 0;
	}
	saba_json_raw(j, "}");
}

/* Trim blanks at both ends, in place. */
static char *saba_cpu_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int saba_cpu_host_spec(void *instance)
{
	struct saba_cpu *cpu = instance;
	struct saba_json j = {0};
	struct saba_cpu_info ci;
	const char *model_name = NULL;
	char *text = NULL, *cursor, *line;
	size_t len, ncpu = 0;
	int err, rc = SABA_ERROR, open = 0;

	err = saba_textfile_read(cpu->cpuinfo_path, &text, &len);
	if (err != 0) {
		cpu->host->log(cpu->ctx, SABA_LOG_ERR, "cannot read %s: %s", cpu->cpuinfo_path,
			       strerror(err));
		return SABA_ERROR;
	}
	memset(&ci, 0, sizeof(ci));
	saba_json_raw(&j, "[");
	cursor = text;
	while ((line = saba_next_line(&cursor)) != NULL) {
		char *colon = strchr(line, ':'), *key, *val;

		if (colon == NULL)
			continue;
		*colon = '\0';
		key = saba_cpu_trim(line);
		val = saba_cpu_trim(colon + 1);
		if (strcmp(key, "processor") == 0) {
			/* a new logical CPU: flush the previous one */
			if (open) {
				saba_cpu_info_json(&j, &ci);
				saba_json_raw(&j, ",");
			}
			memset(&ci, 0, sizeof(ci));
			ci.model_name = model_name;
			open = 1;
			ncpu++;
		} else if (strcmp(key, "Processor") == 0 || strcmp(key, "system type") == 0) {
			model_name = val;
		} else if (open) {
			for (size_t k = 0; k < SABA_CPU_NSPEC; k++) {
				if (strcmp(key, saba_cpu_spec_keys[k].cpuinfo) == 0)
					ci.v[k] = val;
			}
		}
	}
	if (open) {
		saba_cpu_info_json(&j, &ci);
	} else if (model_name != NULL) {
		/* uniprocessor kernels without "processor" lines */
		memset(&ci, 0, sizeof(ci));
		ci.model_name = model_name;
		saba_cpu_info_json(&j, &ci);
		ncpu++;
	}
	saba_json_raw(&j, "]");
	if (ncpu == 0) {
		cpu->host->log(cpu->ctx, SABA_LOG_ERR, "%s: no processor found", cpu->cpuinfo_path);
		goto out;
	}
	if (j.failed) {
		cpu->host->log(cpu->ctx, SABA_LOG_ERR, "out of memory");
		goto out;
	}
	rc = cpu->host->spec_set(cpu->ctx, "meta.cpu", j.buf);
out:
	saba_json_free(&j);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */

static void saba_cpu_destroy(void *instance)
{
	struct saba_cpu *cpu = instance;

	if (cpu == NULL)
		return;
	saba_textfile_close(&cpu->stat);
	free(cpu->stat_path);
	free(cpu->cpuinfo_path);
	free(cpu);
}

static int saba_cpu_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_cpu *cpu = calloc(1, sizeof(*cpu));
	int rc;

	if (cpu == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	cpu->host = host;
	cpu->ctx = ctx;
	cpu->stat = (struct saba_textfile)SABA_TEXTFILE_INIT;
	rc = saba_procfs_path(host, ctx, "stat", &cpu->stat_path);
	if (rc == SABA_OK)
		rc = saba_procfs_path(host, ctx, "cpuinfo", &cpu->cpuinfo_path);
	if (rc != SABA_OK) {
		saba_cpu_destroy(cpu);
		return rc;
	}
	*instance = cpu;
	return SABA_OK;
}

static const struct saba_plugin saba_cpu_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "cpu",
	.version = "0.1.0",
	.description = "CPU time shares cpu.*.percentage from /proc/stat, and meta.cpu",
	.flags = SABA_PLUGIN_DELTA,
	.settings = saba_cpu_settings,
	.create = saba_cpu_create,
	.destroy = saba_cpu_destroy,
	.collect = saba_cpu_collect,
	.host_spec = saba_cpu_host_spec,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_cpu_plugin;
}
