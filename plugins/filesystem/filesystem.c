/*
 * filesystem: size and usage in bytes of local /dev/ device filesystems, from
 * <procfs>/self/mounts and statvfs(3) (no df subprocess), with
 * mackerel-agent's names and rules:
 *
 *   filesystem.<dev>.size, filesystem.<dev>.used
 *   <dev> is the source without "/dev/", [^A-Za-z0-9_-] replaced by "_"
 *   ("/dev/mapper/vg-root" -> mapper_vg-root), or with use_mountpoint the
 *   sanitised mount point ("/" -> "_", "/var/log" -> "_var_log").
 *   used = (f_blocks - f_bfree) * f_frsize, size = used + f_bavail * f_frsize
 *   (what df's Used + Available give: root's reserve is not counted).
 *   Skipped: /dev/mapper/docker-*, /dev/dm-* under devicemapper/mnt (Docker's
 *   devicemapper layers), zero-size filesystems, and sources matching the
 *   `ignore` regex (matched on the raw source, "/dev/sda1").
 *   A device mounted several times (bind mounts) is reported once, at its
 *   shortest mount point, as df does.
 *
 * host_spec() contributes "meta.filesystem" as upstream's df -Pkl rows,
 * keyed by the source: kb_size, kb_used, kb_available (KiB rounded up, like
 * df), percent_used ("NN%", df's rounding up) and mount.
 *
 * Why this never hangs on a dead NFS server: statvfs() on a network
 * filesystem (or a path below one) asks the server and can block in the
 * kernel, uninterruptibly, for as long as the server is gone.  So only
 * mounts whose source is a /dev/ node are ever statvfs'd; such a mount
 * of a network or FUSE type (a FUSE daemon can hang too) is skipped, and
 * so is every mount below a network mount point (the path walk to it
 * would cross the dead mount).  A hung local disk can still block
 * statvfs(); the agent runs collect() on a thread of its own, so only
 * this instance misses rounds.
 *
 * Settings: saba_fs_settings below (`saba-agent plugins filesystem` lists them
 * with their defaults).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <saba/plugin.h>

#include "lib/jsontext.h"
#include "lib/metricname.h"
#include "lib/mounts.h"
#include "lib/pattern.h"
#include "lib/procfs.h"

#define SABA_FS_NAME_MAX 512

struct saba_fs {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *path;		   /* <procfs>/self/mounts */
	struct saba_textfile mtab; /* path, kept open for collect() */
	struct saba_regex *ignore;
	int use_mountpoint;
	/* What the table listed at its last read, in its order: statvfs'd
	 * again each round until procfs says the table changed. */
	char **dev, **dir;
	size_t nlisted;
	int listed;	       /* dev, dir are valid */
	int mtab_fd, pollable; /* saba_mounts_changed()'s memory */
};

static const struct saba_setting saba_fs_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = "ignore",
	 .type = SABA_CFG_STRING,
	 .description = "leave out sources (\"/dev/sda1\") that match (regex)"},
	{.name = "use_mountpoint",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "name metrics by mount point instead of device"},
	{.name = NULL},
};

/* f_bfree > f_blocks happens on some FUSE and network types; clamp. */
static uint64_t saba_fs_used_blocks(const struct statvfs *st)
{
	return st->f_blocks > st->f_bfree ? (uint64_t)(st->f_blocks - st->f_bfree) : 0;
}

static int saba_fs_skip_metric(const struct saba_fs *fs, const char *dev, const char *dir)
{
	/* Docker's devicemapper thin devices, as upstream */
	if (strncmp(dev, "/dev/mapper/docker-", 19) == 0)
		return 1;
	if (strncmp(dev, "/dev/dm-", 8) == 0 && strstr(dir, "devicemapper/mnt") != NULL)
		return 1;
	return saba_regex_match(fs->ignore, dev);
}

static void saba_fs_emit(struct saba_fs *fs, const char *dev, const char *dir,
			 const struct statvfs *st)
{
	const char *label = fs->use_mountpoint ? dir : dev + 5;
	double frsize = (double)st->f_frsize;
	double used = (double)saba_fs_used_blocks(st) * frsize;
	double avail = (double)st->f_bavail * frsize;
	char metric[SABA_FS_NAME_MAX + 32];

	if (saba_fs_skip_metric(fs, dev, dir))
		return;
	if (saba_metric_name(metric, sizeof(metric), "filesystem.", label, ".size") == SABA_OK)
		fs->host->emit(fs->ctx, metric, used + avail);
	if (saba_metric_name(metric, sizeof(metric), "filesystem.", label, ".used") == SABA_OK)
		fs->host->emit(fs->ctx, metric, used);
}

static void saba_fs_forget(struct saba_fs *fs)
{
	for (size_t i = 0; i < fs->nlisted; i++) {
		free(fs->dev[i]);
		free(fs->dir[i]);
	}
	free(fs->dev);
	free(fs->dir);
	fs->dev = fs->dir = NULL;
	fs->nlisted = 0;
	fs->listed = 0;
}

/* Read the table: emit what it lists, and remember that for the next
 * rounds (when the copy cannot be made, the next round reads again). */
static int saba_fs_collect_table(struct saba_fs *fs)
{
	struct saba_mounts t;
	int rc = saba_mounts_scan(fs->host, fs->ctx, &fs->mtab, fs->path, &t);
	size_t n = 0;

	saba_fs_forget(fs);
	for (size_t i = 0; rc == SABA_OK && i < t.n; i++)
		n += t.v[i].listed != 0;
	fs->dev = calloc(n + 1, sizeof(*fs->dev));
	fs->dir = calloc(n + 1, sizeof(*fs->dir));
	fs->listed = rc == SABA_OK && fs->dev != NULL && fs->dir != NULL;
	for (size_t i = 0; rc == SABA_OK && i < t.n; i++) {
		const struct saba_mount *m = &t.v[i];

		if (m->listed && fs->listed) {
			fs->dev[fs->nlisted] = strdup(m->dev);
			fs->dir[fs->nlisted] = strdup(m->dir);
			fs->listed = fs->dev[fs->nlisted] != NULL && fs->dir[fs->nlisted] != NULL;
			fs->nlisted++;
		}
		if (m->keep)
			saba_fs_emit(fs, m->dev, m->dir, &m->st);
	}
	if (!fs->listed)
		saba_fs_forget(fs);
	saba_mounts_free(&t);
	return rc;
}

static int saba_fs_collect(void *instance)
{
	struct saba_fs *fs = instance;

	if (!fs->listed || saba_mounts_changed(&fs->mtab, &fs->mtab_fd, &fs->pollable))
		return saba_fs_collect_table(fs);
	for (size_t i = 0; i < fs->nlisted; i++) {
		struct statvfs st;

		/* gone meanwhile, or emptied: as the table read would */
		if (statvfs(fs->dir[i], &st) == 0 && st.f_blocks > 0)
			saba_fs_emit(fs, fs->dev[i], fs->dir[i], &st);
	}
	return SABA_OK;
}

/* blocks of frsize bytes in KiB, rounded up as df -k does */
static uint64_t saba_fs_kb(uint64_t blocks, uint64_t frsize)
{
	if (frsize % 1024 == 0)
		return blocks * (frsize / 1024);
	return (blocks * frsize + 1023) / 1024;
}

static void saba_fs_spec_entry(struct saba_json *j, const struct saba_mount *m)
{
	uint64_t used = saba_fs_used_blocks(&m->st), avail = m->st.f_bavail;
	uint64_t fr = m->st.f_frsize;
	char pct[32] = "-";

	/* df's Capacity: used / (used + available), rounded up */
	if (used + avail > 0 && used <= UINT64_MAX / 100)
		snprintf(pct, sizeof(pct), "%llu%%",
			 (unsigned long long)((used * 100 + used + avail - 1) / (used + avail)));
	saba_json_str(j, m->dev);
	saba_json_raw(j, ":{");
	saba_json_key(j, "kb_size", 1);
	saba_json_u64(j, saba_fs_kb(m->st.f_blocks, fr));
	saba_json_key(j, "kb_used", 0);
	saba_json_u64(j, saba_fs_kb(used, fr));
	saba_json_key(j, "kb_available", 0);
	saba_json_u64(j, saba_fs_kb(avail, fr));
	saba_json_key(j, "percent_used", 0);
	saba_json_str(j, pct);
	saba_json_key(j, "mount", 0);
	saba_json_str(j, m->dir);
	saba_json_raw(j, "}");
}

static int saba_fs_host_spec(void *instance)
{
	struct saba_fs *fs = instance;
	struct saba_json j = {0};
	/* a file of its own: it may run while collect() reads */
	struct saba_textfile mtab = SABA_TEXTFILE_INIT;
	struct saba_mounts t;
	int rc = saba_mounts_scan(fs->host, fs->ctx, &mtab, fs->path, &t), first = 1;

	if (rc != SABA_OK)
		goto out;
	saba_json_raw(&j, "{");
	for (size_t i = 0; i < t.n; i++) {
		if (!t.v[i].keep)
			continue;
		if (!first)
			saba_json_raw(&j, ",");
		saba_fs_spec_entry(&j, &t.v[i]);
		first = 0;
	}
	saba_json_raw(&j, "}");
	if (j.failed) {
		fs->host->log(fs->ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	rc = fs->host->spec_set(fs->ctx, "meta.filesystem", j.buf);
out:
	saba_json_free(&j);
	saba_mounts_free(&t);
	saba_textfile_close(&mtab);
	return rc;
}

static void saba_fs_destroy(void *instance)
{
	struct saba_fs *fs = instance;

	if (fs == NULL)
		return;
	saba_regex_free(fs->ignore);
	saba_textfile_close(&fs->mtab);
	saba_fs_forget(fs);
	free(fs->path);
	free(fs);
}

static int saba_fs_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_fs *fs = calloc(1, sizeof(*fs));
	int rc;

	if (fs == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	fs->host = host;
	fs->ctx = ctx;
	fs->mtab = (struct saba_textfile)SABA_TEXTFILE_INIT;
	fs->mtab_fd = -1;
	rc = saba_procfs_path(host, ctx, "self/mounts", &fs->path);
	if (rc == SABA_OK)
		rc = saba_regex_setting(host, ctx, "ignore", &fs->ignore);
	if (rc == SABA_OK)
		rc = host->config_bool(ctx, "use_mountpoint", &fs->use_mountpoint);
	if (rc != SABA_OK) {
		saba_fs_destroy(fs);
		return rc;
	}
	*instance = fs;
	return SABA_OK;
}

static const struct saba_plugin saba_fs_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "filesystem",
	.version = "0.1.0",
	.description = "size and usage of local /dev/ device filesystems, and meta.filesystem",
	.settings = saba_fs_settings,
	.create = saba_fs_create,
	.destroy = saba_fs_destroy,
	.collect = saba_fs_collect,
	.host_spec = saba_fs_host_spec,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_fs_plugin;
}
