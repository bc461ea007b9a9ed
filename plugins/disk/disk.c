/*
 * disk: completed reads and writes per second of each block device from
 * <procfs>/diskstats (columns 4 and 8), with mackerel-agent's names and
 * rules:
 *
 *   disk.<dev>.reads.delta, disk.<dev>.writes.delta
 *   <dev> is the kernel's name with [^A-Za-z0-9_-] replaced by "_"
 *   ("cciss/c0d0" -> cciss_c0d0).  dm-* devices and devices whose eleven
 *   classic counters are all zero are skipped, and so is every device
 *   whose sanitised name matches the `ignore` regex.  With use_mountpoint
 *   (mackerel-agent's [filesystems] use_mountpoint) a device that df would
 *   list as mounted (see lib/mounts.h) is named by its sanitised mount
 *   point instead ("/" -> "_", "/var/log" -> "_var_log"); `ignore` still
 *   matches the device name.
 *
 * A delta plugin: each collect() keeps its sample in the instance and
 * reports the change since the previous one divided by the real time
 * between the two reads (CLOCK_MONOTONIC), so the first collect() reports
 * nothing.  A counter that went back (device replaced, 32-bit wrap) skips
 * that device for one round.  Unlike upstream, which stops at the first
 * line with fewer than 14 columns, such a line (2.6 kernels print short
 * partition lines) is skipped alone.
 *
 * host_spec() contributes "meta.block_device" from <sysfs>/block as upstream:
 * per device, size and removable, and device/{model,rev,state,timeout,
 * vendor} when present, as trimmed strings.
 *
 * Settings: saba_disk_settings below (`saba-agent plugins disk` lists them
 * with their defaults).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/jsontext.h"
#include "lib/metricname.h"
#include "lib/mounts.h"
#include "lib/pattern.h"
#include "lib/procfs.h"
#include "lib/samples.h"
#include "lib/textfile.h"

/* major minor name + the 11 counters every kernel since 2.6 prints */
#define SABA_DISK_MINCOLS  14
#define SABA_DISK_NAME_MAX 256

struct saba_disk {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *path;   /* <procfs>/diskstats */
	char *sysfs;  /* root of sysfs */
	char *mounts; /* <procfs>/self/mounts, with use_mountpoint */
	struct saba_regex *ignore;
	int use_mountpoint;
	struct saba_textfile stats, mtab; /* path and mounts, kept open */
	struct saba_mounts table;	  /* during a collect() with use_mountpoint */
	struct saba_samples prev, cur;
	int have_prev;
};

static const char *const saba_disk_suffix[2] = {".reads.delta", ".writes.delta"};

static const struct saba_setting saba_disk_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = "sysfs",
	 .type = SABA_CFG_STRING,
	 .def = "\"/sys\"",
	 .flags = SABA_SETTING_NONEMPTY,
	 .description = "root of sysfs, for meta.block_device"},
	{.name = "ignore",
	 .type = SABA_CFG_STRING,
	 .description = "leave out devices whose sanitised name matches (regex)"},
	{.name = "use_mountpoint",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "name a mounted device by its mount point instead"},
	{.name = NULL},
};

/* Where df says the kernel's device dev ("sda1") is mounted, or NULL. */
static const char *saba_disk_mountpoint(const struct saba_disk *disk, const char *dev)
{
	for (size_t i = 0; i < disk->table.n; i++) {
		const struct saba_mount *m = &disk->table.v[i];

		if (m->keep && strcmp(m->dev + 5, dev) == 0)
			return m->dir;
	}
	return NULL;
}

/* One line into cur: SABA_OK also for a line that is skipped by rule. */
static int saba_disk_line(struct saba_disk *disk, char *line, unsigned lineno)
{
	char *col[SABA_DISK_MINCOLS], name[SABA_DISK_NAME_MAX];
	uint64_t v[SABA_DISK_MINCOLS - 3];
	int n = saba_split_fields(line, col, SABA_DISK_MINCOLS), nonzero = 0;
	const char *label;

	if (n == 0)
		return SABA_OK;
	if (n < SABA_DISK_MINCOLS) {
		disk->host->log(disk->ctx, SABA_LOG_DEBUG, "%s:%u: %d columns; skipped", disk->path,
				lineno, n);
		return SABA_OK;
	}
	/* device-mapper volumes count the I/O of their disks a second time */
	if (strncmp(col[2], "dm-", 3) == 0)
		return SABA_OK;
	for (int i = 0; i < SABA_DISK_MINCOLS - 3; i++) {
		if (saba_parse_u64(col[3 + i], &v[i]) != SABA_OK) {
			disk->host->log(disk->ctx, SABA_LOG_WARNING,
					"%s:%u: malformed counter \"%.32s\"; line skipped",
					disk->path, lineno, col[3 + i]);
			return SABA_OK;
		}
		nonzero |= v[i] != 0;
	}
	if (!nonzero)
		return SABA_OK;
	if (saba_metric_name(name, sizeof(name), "", col[2], "") != SABA_OK)
		return SABA_OK;
	if (saba_regex_match(disk->ignore, name))
		return SABA_OK;
	label = saba_disk_mountpoint(disk, col[2]);
	if (label != NULL && saba_metric_name(name, sizeof(name), "", label, "") != SABA_OK)
		return SABA_OK;
	/* reads completed: column 4, writes completed: column 8 */
	return saba_samples_add(&disk->cur, name, v[0], v[4]);
}

static int saba_disk_collect(void *instance)
{
	struct saba_disk *disk = instance;
	struct saba_samples tmp;
	char *text, *cursor, *line;
	unsigned lineno = 0;
	size_t len;
	int err, rc = SABA_OK;

	err = saba_textfile_reread(&disk->stats, disk->path, &text, &len);
	if (err != 0) {
		disk->host->log(disk->ctx, SABA_LOG_ERR, "cannot read %s: %s", disk->path,
				strerror(err));
		return SABA_ERROR;
	}
	/* unreadable: device names this round, as upstream (the scan logs) */
	if (disk->use_mountpoint && saba_mounts_scan(disk->host, disk->ctx, &disk->mtab,
						     disk->mounts, &disk->table) != SABA_OK)
		saba_mounts_free(&disk->table);
	disk->cur.at = saba_clock_seconds();
	saba_samples_clear(&disk->cur);
	cursor = text;
	while (rc == SABA_OK && (line = saba_next_line(&cursor)) != NULL)
		rc = saba_disk_line(disk, line, ++lineno);
	if (rc != SABA_OK) {
		disk->host->log(disk->ctx, SABA_LOG_ERR, "out of memory");
		/* a partial sample would read as devices that vanished */
		saba_samples_clear(&disk->cur);
		disk->have_prev = 0;
		goto out;
	}
	if (disk->have_prev)
		saba_samples_emit(disk->host, disk->ctx, &disk->prev, &disk->cur, "disk.",
				  saba_disk_suffix, 1);
	/* this sample becomes the previous one; reuse the old arrays */
	tmp = disk->prev;
	disk->prev = disk->cur;
	disk->cur = tmp;
	disk->have_prev = 1;
out:
	saba_mounts_free(&disk->table);
	return rc;
}

/* ------------------------------------------------------------------ */
/* meta.block_device                                                    */

static int saba_disk_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "key": "<trimmed content of dir/file>" when the file is there. */
static void saba_disk_attr(struct saba_json *j, const char *dir, const char *file, const char *key,
			   int *first)
{
	char *path = saba_join(dir, file), *text = NULL, *s;
	size_t len;

	if (path == NULL) {
		j->failed = 1;
		return;
	}
	if (saba_textfile_read(path, &text, &len) == 0) {
		s = text;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
				   text[len - 1] == '\n' || text[len - 1] == '\r'))
			text[--len] = '\0';
		saba_json_key(j, key, *first);
		saba_json_str(j, s);
		*first = 0;
	}
	free(text);
	free(path);
}

static void saba_disk_device(struct saba_json *j, const char *block, const char *name)
{
	static const char *const own[] = {"size", "removable"};
	static const char *const dev[] = {"model", "rev", "state", "timeout", "vendor"};
	char *dir = saba_join(block, name), *devdir = NULL;
	int first = 1;

	if (dir == NULL) {
		j->failed = 1;
		return;
	}
	saba_json_str(j, name);
	saba_json_raw(j, ":{");
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		saba_disk_attr(j, dir, own[i], own[i], &first);
	devdir = saba_join(dir, "device");
	if (devdir == NULL) {
		j->failed = 1;
	} else {
		for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
			saba_disk_attr(j, devdir, dev[i], dev[i], &first);
	}
	saba_json_raw(j, "}");
	free(devdir);
	free(dir);
}

static int saba_disk_host_spec(void *instance)
{
	struct saba_disk *disk = instance;
	struct saba_json j = {0};
	struct dirent *de;
	char *block = saba_join(disk->sysfs, "block"), **names = NULL, **nn;
	size_t n = 0, cap = 0;
	int rc = SABA_ERROR;
	DIR *d = NULL;

	if (block == NULL)
		goto oom;
	d = opendir(block);
	if (d == NULL) {
		int err = errno;

		/* no /sys/block (some PaaS): upstream leaves the key out */
		disk->host->log(disk->ctx, err == ENOENT ? SABA_LOG_DEBUG : SABA_LOG_ERR,
				"cannot open %s: %s", block, strerror(err));
		rc = err == ENOENT ? SABA_OK : SABA_ERROR;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				goto oom;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n++] == NULL)
			goto oom;
	}
	/* readdir order is arbitrary; keep the spec stable between updates */
	qsort(names, n, sizeof(*names), saba_disk_cmp);
	saba_json_raw(&j, "{");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			saba_json_raw(&j, ",");
		saba_disk_device(&j, block, names[i]);
	}
	saba_json_raw(&j, "}");
	if (j.failed)
		goto oom;
	rc = disk->host->spec_set(disk->ctx, "meta.block_device", j.buf);
	goto out;
oom:
	disk->host->log(disk->ctx, SABA_LOG_ERR, "out of memory");
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(block);
	saba_json_free(&j);
	return rc;
}

/* ------------------------------------------------------------------ */

static void saba_disk_destroy(void *instance)
{
	struct saba_disk *disk = instance;

	if (disk == NULL)
		return;
	saba_samples_free(&disk->prev);
	saba_samples_free(&disk->cur);
	saba_regex_free(disk->ignore);
	saba_textfile_close(&disk->stats);
	saba_textfile_close(&disk->mtab);
	free(disk->sysfs);
	free(disk->mounts);
	free(disk->path);
	free(disk);
}

static int saba_disk_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_disk *disk = calloc(1, sizeof(*disk));
	int rc;

	if (disk == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	disk->host = host;
	disk->ctx = ctx;
	disk->stats = disk->mtab = (struct saba_textfile)SABA_TEXTFILE_INIT;
	rc = saba_procfs_path(host, ctx, "diskstats", &disk->path);
	if (rc == SABA_OK)
		rc = saba_dir_setting(host, ctx, "sysfs", &disk->sysfs);
	if (rc == SABA_OK)
		rc = saba_regex_setting(host, ctx, "ignore", &disk->ignore);
	if (rc == SABA_OK)
		rc = host->config_bool(ctx, "use_mountpoint", &disk->use_mountpoint);
	if (rc == SABA_OK && disk->use_mountpoint)
		rc = saba_procfs_path(host, ctx, "self/mounts", &disk->mounts);
	if (rc != SABA_OK) {
		saba_disk_destroy(disk);
		return rc;
	}
	*instance = disk;
	return SABA_OK;
}

static const struct saba_plugin saba_disk_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "disk",
	.version = "0.1.0",
	.description = "disk reads and writes per second from /proc/diskstats, and "
		       "meta.block_device",
	.flags = SABA_PLUGIN_DELTA,
	.settings = saba_disk_settings,
	.create = saba_disk_create,
	.destroy = saba_disk_destroy,
	.collect = saba_disk_collect,
	.host_spec = saba_disk_host_spec,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_disk_plugin;
}
