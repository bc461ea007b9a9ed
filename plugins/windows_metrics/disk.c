/*
 * disk (Windows): completed reads and writes per second of each fixed
 * drive, with mackerel-agent's names on Windows (its LogicalDisk counters
 * are per drive letter):
 *
 *   disk.<letter>.reads.delta, disk.<letter>.writes.delta   ("disk.C.reads.delta")
 *
 * The counts are the volume's IOCTL_DISK_PERFORMANCE ReadCount and
 * WriteCount (the counters Windows' LogicalDisk performance object is made
 * of), for every drive GetDriveType calls DRIVE_FIXED.  `ignore` is
 * matched against "C:", the name upstream matches.  `use_mountpoint` is
 * accepted as on Linux (one config, or `import`'s, serves both), and
 * changes nothing: a drive's letter is its mount point.
 *
 * A delta plugin: each collect() keeps its sample and reports the change
 * since the previous one divided by the time between the two reads, so
 * the first collect() reports nothing.  A counter that went back (32-bit
 * wrap, volume remounted) skips that drive for one round.  A drive that
 * does not answer the IOCTL (Wine implements none of the disk counters)
 * is reported once, then only at debug level.
 *
 * Settings: saba_wdisk_settings below (`saba-agent plugins disk` lists
 * them).
 */
#include <windows.h>
#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/pattern.h"
#include "lib/samples.h"

struct saba_wdisk {
	const struct saba_host *host;
	saba_ctx *ctx;
	struct saba_regex *ignore;
	struct saba_samples prev, cur;
	int have_prev;
	DWORD warned; /* drives whose failure was reported, one bit a letter */
};

static const char *const saba_wdisk_suffix[2] = {".reads.delta", ".writes.delta"};

static const struct saba_setting saba_wdisk_settings[] = {
	{.name = "ignore",
	 .type = SABA_CFG_STRING,
	 .description = "leave out drives whose name (\"C:\") matches (regex)"},
	{.name = "use_mountpoint",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "as on Linux; a drive is named by its letter, its mount point, either way"},
	{.name = NULL},
};

/* The volume's counts; 0 or the Win32 error. */
static DWORD saba_wdisk_read(char letter, DISK_PERFORMANCE *perf)
{
	wchar_t dev[] = {L'\\', L'\\', L'.', L'\\', (wchar_t)letter, L':', L'\0'};
	HANDLE h;
	DWORD got = 0, err = 0;

	/* no access rights needed for the counters, nor a reason to ask */
	h = CreateFileW(dev, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	if (!DeviceIoControl(h, IOCTL_DISK_PERFORMANCE, NULL, 0, perf, sizeof(*perf), &got, NULL))
		err = GetLastError();
	CloseHandle(h);
	return err;
}

static int saba_wdisk_collect(void *instance)
{
	struct saba_wdisk *d = instance;
	DWORD drives = GetLogicalDrives();
	struct saba_samples tmp;
	int rc = SABA_OK;

	d->cur.at = saba_clock_seconds();
	saba_samples_clear(&d->cur);
	for (int i = 0; i < 26 && rc == SABA_OK; i++) {
		wchar_t root[] = {(wchar_t)(L'A' + i), L':', L'\\', L'\0'};
		char letter = (char)('A' + i), name[3] = {letter, ':', '\0'},
		     id[2] = {letter, '\0'};
		DISK_PERFORMANCE perf;
		DWORD err;

		if (!(drives & (1u << i)) || GetDriveTypeW(root) != DRIVE_FIXED ||
		    saba_regex_match(d->ignore, name))
			continue;
		err = saba_wdisk_read(letter, &perf);
		if (err != 0) {
			char msg[160];

			if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
						   FORMAT_MESSAGE_IGNORE_INSERTS,
					   NULL, err, 0, msg, sizeof(msg), NULL) == 0)
				snprintf(msg, sizeof(msg), "error %lu", (unsigned long)err);
			msg[strcspn(msg, "\r\n")] = '\0';
			/* once loudly: it will not change by itself */
			d->host->log(d->ctx,
				     d->warned & (1u << i) ? SABA_LOG_DEBUG : SABA_LOG_WARNING,
				     "%s IOCTL_DISK_PERFORMANCE failed: %s (error %lu): no disk.%s "
				     "values",
				     name, msg, (unsigned long)err, id);
			d->warned |= 1u << i;
			continue;
		}
		rc = saba_samples_add(&d->cur, id, perf.ReadCount, perf.WriteCount);
	}
	if (rc != SABA_OK) {
		d->host->log(d->ctx, SABA_LOG_ERR, "out of memory");
		saba_samples_clear(&d->cur);
		d->have_prev = 0;
		return rc;
	}
	if (d->have_prev)
		saba_samples_emit(d->host, d->ctx, &d->prev, &d->cur, "disk.", saba_wdisk_suffix,
				  1);
	tmp = d->prev;
	d->prev = d->cur;
	d->cur = tmp;
	d->have_prev = 1;
	return SABA_OK;
}

static void saba_wdisk_destroy(void *instance)
{
	struct saba_wdisk *d = instance;

	if (d == NULL)
		return;
	saba_samples_free(&d->prev);
	saba_samples_free(&d->cur);
	saba_regex_free(d->ignore);
	free(d);
}

static int saba_wdisk_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_wdisk *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	d->host = host;
	d->ctx = ctx;
	rc = saba_regex_setting(host, ctx, "ignore", &d->ignore);
	if (rc != SABA_OK) {
		saba_wdisk_destroy(d);
		return rc;
	}
	*instance = d;
	return SABA_OK;
}

static const struct saba_plugin saba_wdisk_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "disk",
	.version = "1.0",
	.description = "reads and writes per fixed drive (Windows, IOCTL_DISK_PERFORMANCE)",
	.flags = SABA_PLUGIN_DELTA,
	.settings = saba_wdisk_settings,
	.create = saba_wdisk_create,
	.destroy = saba_wdisk_destroy,
	.collect = saba_wdisk_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_wdisk_plugin;
}
