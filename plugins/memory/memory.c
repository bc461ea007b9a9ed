/*
 * memory: memory and swap usage from <procfs>/meminfo, in bytes, with the
 * names and formulas of mackerel-agent's Linux memory generator:
 *
 *   memory.total, memory.used, memory.swap_total, memory.swap_cached,
 *   memory.swap_free, and memory.mem_available when the kernel has
 *   MemAvailable (3.14+), else memory.buffers, memory.cached, memory.free.
 *   used = total - available, or total - free - buffers - cached.
 *
 * host_spec() contributes "meta.memory": the raw meminfo lines upstream
 * reports, as {"total": "3916792kB", ...}.
 *
 * Settings: saba_memory_settings below (`saba-agent plugins memory` lists them
 * with their defaults).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/procfs.h"
#include "lib/textfile.h"

/* meta.memory is at most 28 short pairs; this leaves ample room */
#define SABA_MEMORY_SPEC_MAX 4096

struct saba_memory {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *path;		   /* <procfs>/meminfo */
	struct saba_textfile file; /* path, kept open for collect() */
};

static const struct saba_setting saba_memory_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = NULL},
};

/* The meminfo fields the metrics need. */
enum saba_memory_field {
	SABA_MEM_TOTAL,
	SABA_MEM_FREE,
	SABA_MEM_AVAILABLE,
	SABA_MEM_BUFFERS,
	SABA_MEM_CACHED,
	SABA_MEM_SWAP_CACHED,
	SABA_MEM_SWAP_TOTAL,
	SABA_MEM_SWAP_FREE,
	SABA_MEM_NFIELDS,
};

/* clang-format off */
static const char *const saba_memory_fields[SABA_MEM_NFIELDS] = {
	[SABA_MEM_TOTAL] = "MemTotal",
	[SABA_MEM_FREE] = "MemFree",
	[SABA_MEM_AVAILABLE] = "MemAvailable",
	[SABA_MEM_BUFFERS] = "Buffers",
	[SABA_MEM_CACHED] = "Cached",
	[SABA_MEM_SWAP_CACHED] = "SwapCached",
	[SABA_MEM_SWAP_TOTAL] = "SwapTotal",
	[SABA_MEM_SWAP_FREE] = "SwapFree",
};
/* clang-format on */

/* meminfo name -> meta.memory key (upstream spec/linux/memory.go). */
static const struct {
	const char *meminfo;
	const char *key;
} saba_memory_spec_keys[] = {
	{"MemTotal", "total"},
	{"MemFree", "free"},
	{"Buffers", "buffers"},
	{"Cached", "cached"},
	{"Active", "active"},
	{"Inactive", "inactive"},
	{"HighTotal", "high_total"},
	{"HighFree", "high_free"},
	{"LowTotal", "low_total"},
	{"LowFree", "low_free"},
	{"Dirty", "dirty"},
	{"Writeback", "writeback"},
	{"AnonPages", "anon_pages"},
	{"Mapped", "mapped"},
	{"Slab", "slab"},
	{"SReclaimable", "slab_reclaimable"},
	{"SUnreclaim", "slab_unreclaim"},
	{"PageTables", "page_tables"},
	{"NFS_Unstable", "nfs_unstable"},
	{"Bounce", "bounce"},
	{"CommitLimit", "commit_limit"},
	{"Committed_AS", "committed_as"},
	{"VmallocTotal", "vmalloc_total"},
	{"VmallocUsed", "vmalloc_used"},
	{"VmallocChunk", "vmalloc_chunk"},
	{"SwapCached", "swap_cached"},
	{"SwapTotal", "swap_total"},
	{"SwapFree", "swap_free"},
};

#define SABA_MEMORY_NSPEC (sizeof(saba_memory_spec_keys) / sizeof(saba_memory_spec_keys[0]))

/* One parsed line, "Name:   1234 kB": pointers into the line buffer. */
struct saba_memory_line {
	const char *name;
	int field;	    /* enum saba_memory_field, or -1 */
	const char *number; /* digits only */
	const char *unit;   /* "kB", or "" (HugePages_Total) */
	unsigned long long value;
};

/* Values of one read of meminfo for the metrics. */
struct saba_memory_values {
	unsigned long long kb[SABA_MEM_NFIELDS];
	unsigned seen; /* bit per enum saba_memory_field */
};

/* Accumulates the meta.memory JSON text. */
struct saba_memory_spec {
	char json[SABA_MEMORY_SPEC_MAX];
	size_t len;
	uint32_t seen; /* bit per saba_memory_spec_keys entry */
	int overflow;
};

/* Called per line by saba_memory_scan(); non-OK stops the scan. */
typedef int (*saba_memory_line_fn)(struct saba_memory *mem, const struct saba_memory_line *l,
				   void *arg);

static int saba_memory_is_alnum(char c)
{
	/* ASCII only: isalnum() would follow the process locale */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Split "Name:   1234 kB\n" in place.  Returns SABA_OK, or SABA_NOTFOUND
 * for a line that is not of that shape (the caller decides whether that
 * matters: unknown lines are skipped, a bad known line is an error).
 */
static int saba_memory_split(char *line, struct saba_memory_line *l)
{
	char *colon, *s, *end;

	line[strcspn(line, "\n")] = '\0';
	colon = strchr(line, ':');
	if (colon == NULL || colon == line)
		return SABA_NOTFOUND;
	*colon = '\0';
	l->name = line;

	s = colon + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	l->number = s;
	while (*s >= '0' && *s <= '9')
		s++;
	if (s == l->number)
		return SABA_NOTFOUND;
	end = s;
	while (*s == ' ' || *s == '\t')
		s++;
	/* "1234kB" has no blank to cut at; the kernel never prints it */
	if (s == end && *s != '\0')
		return SABA_NOTFOUND;
	*end = '\0';
	l->unit = s;
	while (saba_memory_is_alnum(*s))
		s++;
	/* trailing blanks are fine, anything else is not */
	while (*s == ' ' || *s == '\t')
		*s++ = '\0';
	if (*s != '\0')
		return SABA_NOTFOUND;

	errno = 0;
	l->value = strtoull(l->number, NULL, 10);
	if (errno == ERANGE)
		return SABA_NOTFOUND;
	return SABA_OK;
}

/* Index of the metric field a line of len bytes names, or -1. */
static int saba_memory_field(const char *name, size_t len)
{
	for (int i = 0; i < SABA_MEM_NFIELDS; i++) {
		if (strncmp(name, saba_memory_fields[i], len) == 0 &&
		    saba_memory_fields[i][len] == '\0')
			return i;
	}
	return -1;
}

/*
 * Read the whole file, calling fn for every well-formed line.  A line that
 * names one of the metric fields but is not "Name: <digits> kB" makes the
 * file malformed, for the metrics and the spec alike: better no values than
 * wrong ones.
 */
static int saba_memory_scan(struct saba_memory *mem, struct saba_textfile *file,
			    saba_memory_line_fn fn, void *arg)
{
	char *text, *cursor, *line;
	size_t len;
	int rc = SABA_OK, err;
	unsigned lineno = 0;

	err = saba_textfile_reread(file, mem->path, &text, &len);
	if (err != 0) {
		mem->host->log(mem->ctx, SABA_LOG_ERR, "cannot read %s: %s", mem->path,
			       strerror(err));
		return SABA_ERROR;
	}
	cursor = text;
	while ((line = saba_next_line(&cursor)) != NULL) {
		struct saba_memory_line l;
		int ok;

		lineno++;
		l.field = saba_memory_field(line, strcspn(line, ":\n"));
		ok = saba_memory_split(line, &l) == SABA_OK;
		if (l.field >= 0) {
			/* the field's own name: split() may have cut the line */
			const char *name = saba_memory_fields[l.field];

			/* kB * 1024 must not wrap; it stays exact as a double
			 * far beyond any real machine */
			if (!ok || strcmp(l.unit, "kB") != 0 || l.value > UINT64_MAX / 1024) {
				mem->host->log(
					mem->ctx, SABA_LOG_ERR,
					"%s:%u: malformed %s line, expected \"%s: <number> kB\"",
					mem->path, lineno, name, name);
				rc = SABA_ERROR;
				goto out;
			}
		} else if (!ok) {
			/* unknown and odd: a future kernel's business */
			continue;
		}
		rc = fn(mem, &l, arg);
		if (rc != SABA_OK)
			goto out;
	}
out:
	return rc;
}

static int saba_memory_values_line(struct saba_memory *mem, const struct saba_memory_line *l,
				   void *arg)
{
	struct saba_memory_values *v = arg;

	/* scan() checked the line of every field */
	if (l->field >= 0) {
		v->kb[l->field] = l->value;
		v->seen |= 1u << l->field;
	}
	return SABA_OK;
}

static int saba_memory_spec_line(struct saba_memory *mem, const struct saba_memory_line *l,
				 void *arg)
{
	struct saba_memory_spec *spec = arg;
	size_t room;
	int n;

	for (size_t i = 0; i < SABA_MEMORY_NSPEC; i++) {
		if (strcmp(l->name, saba_memory_spec_keys[i].meminfo) != 0)
			continue;
		/* a repeated line would make a duplicate JSON key */
		if (spec->seen & (UINT32_C(1) << i))
			break;
		spec->seen |= UINT32_C(1) << i;
		/* number and unit were checked by split() to be ASCII digits
		 * and letters: nothing needs escaping */
		room = sizeof(spec->json) - spec->len;
		n = snprintf(spec->json + spec->len, room, "%s\"%s\":\"%s%s\"",
			     spec->len > 1 ? "," : "", saba_memory_spec_keys[i].key, l->number,
			     l->unit);
		if (n < 0 || (size_t)n >= room) {
			spec->overflow = 1;
			return SABA_ERROR;
		}
		spec->len += (size_t)n;
		break;
	}
	return SABA_OK;
}

static int saba_memory_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_memory *mem;
	char *path = NULL;
	int rc = saba_procfs_path(host, ctx, "meminfo", &path);

	if (rc != SABA_OK)
		return rc;
	mem = calloc(1, sizeof(*mem));
	if (mem == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		free(path);
		return SABA_ERROR;
	}
	mem->host = host;
	mem->ctx = ctx;
	mem->path = path;
	mem->file = (struct saba_textfile)SABA_TEXTFILE_INIT;
	*instance = mem;
	return SABA_OK;
}

static void saba_memory_destroy(void *instance)
{
	struct saba_memory *mem = instance;

	if (mem == NULL)
		return;
	saba_textfile_close(&mem->file);
	free(mem->path);
	free(mem);
}

static void saba_memory_emit(struct saba_memory *mem, const char *name, unsigned long long kb)
{
	mem->host->emit(mem->ctx, name, (double)kb * 1024.0);
}

static int saba_memory_collect(void *instance)
{
	struct saba_memory *mem = instance;
	struct saba_memory_values v = {{0}, 0};
	unsigned long long used, unavailable;

	if (saba_memory_scan(mem, &mem->file, saba_memory_values_line, &v) != SABA_OK)
		return SABA_ERROR;
	if (!(v.seen & (1u << SABA_MEM_TOTAL))) {
		mem->host->log(mem->ctx, SABA_LOG_ERR, "%s: malformed, no MemTotal line",
			       mem->path);
		return SABA_ERROR;
	}
	/* like upstream, other absent fields count as 0 */
	if (v.seen & (1u << SABA_MEM_AVAILABLE))
		unavailable = v.kb[SABA_MEM_AVAILABLE];
	else
		unavailable = v.kb[SABA_MEM_FREE] + v.kb[SABA_MEM_BUFFERS] + v.kb[SABA_MEM_CACHED];
	/* containers and odd kernels can report more free than total; upstream
	 * would wrap to ~2^64 here, 0 is the honest answer */
	used = unavailable < v.kb[SABA_MEM_TOTAL] ? v.kb[SABA_MEM_TOTAL] - unavailable : 0;

	saba_memory_emit(mem, "memory.total", v.kb[SABA_MEM_TOTAL]);
	saba_memory_emit(mem, "memory.used", used);
	saba_memory_emit(mem, "memory.swap_total", v.kb[SABA_MEM_SWAP_TOTAL]);
	saba_memory_emit(mem, "memory.swap_cached", v.kb[SABA_MEM_SWAP_CACHED]);
	saba_memory_emit(mem, "memory.swap_free", v.kb[SABA_MEM_SWAP_FREE]);
	if (v.seen & (1u << SABA_MEM_AVAILABLE)) {
		saba_memory_emit(mem, "memory.mem_available", v.kb[SABA_MEM_AVAILABLE]);
	} else {
		saba_memory_emit(mem, "memory.buffers", v.kb[SABA_MEM_BUFFERS]);
		saba_memory_emit(mem, "memory.cached", v.kb[SABA_MEM_CACHED]);
		saba_memory_emit(mem, "memory.free", v.kb[SABA_MEM_FREE]);
	}
	return SABA_OK;
}

static int saba_memory_host_spec(void *instance)
{
	struct saba_memory *mem = instance;
	struct saba_memory_spec *spec;
	/* a file of its own: it may run while collect() reads */
	struct saba_textfile file = SABA_TEXTFILE_INIT;
	int rc;

	/* 4 KiB is too much for the stack of a worker thread to take lightly */
	spec = malloc(sizeof(*spec));
	if (spec == NULL) {
		mem->host->log(mem->ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	spec->json[0] = '{';
	spec->json[1] = '\0';
	spec->len = 1;
	spec->seen = 0;
	spec->overflow = 0;

	rc = saba_memory_scan(mem, &file, saba_memory_spec_line, spec);
	if (rc != SABA_OK) {
		if (spec->overflow)
			mem->host->log(mem->ctx, SABA_LOG_ERR, "%s: meta.memory too long",
				       mem->path);
		goto out;
	}
	/* same rule as collect(): a file without MemTotal is not meminfo
	 * (entry 0 of saba_memory_spec_keys) */
	if (!(spec->seen & UINT32_C(1))) {
		mem->host->log(mem->ctx, SABA_LOG_ERR, "%s: malformed, no MemTotal line",
			       mem->path);
		rc = SABA_ERROR;
		goto out;
	}
	if (spec->len + 2 > sizeof(spec->json)) {
		mem->host->log(mem->ctx, SABA_LOG_ERR, "%s: meta.memory too long", mem->path);
		rc = SABA_ERROR;
		goto out;
	}
	spec->json[spec->len++] = '}';
	spec->json[spec->len] = '\0';
	rc = mem->host->spec_set(mem->ctx, "meta.memory", spec->json);
out:
	saba_textfile_close(&file);
	free(spec);
	return rc;
}

static const struct saba_plugin saba_memory_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "memory",
	.version = "0.1.0",
	.description = "memory and swap usage in bytes from /proc/meminfo, and meta.memory",
	.settings = saba_memory_settings,
	.create = saba_memory_create,
	.destroy = saba_memory_destroy,
	.collect = saba_memory_collect,
	.host_spec = saba_memory_host_spec,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_memory_plugin;
}
