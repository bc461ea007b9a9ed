/* Who this machine is on EC2: the DMI uuid hint, the IMDS answers that
 * confirm it, the instance id and region, and the meta.cloud object exactly
 * as mackerel-agent builds it.  Blocking I/O bounded by the IMDS client's
 * timeout; no state of its own. */
#ifndef SABA_EC2_IDENTITY_H
#define SABA_EC2_IDENTITY_H

#include <stddef.h>

#include "imds.h"

/* What the DMI uuid files say. */
enum saba_ec2_dmi {
	SABA_EC2_DMI_NO = 0,	  /* readable, and not EC2's */
	SABA_EC2_DMI_YES = 1,	  /* an EC2 uuid */
	SABA_EC2_DMI_UNKNOWN = 2, /* neither file readable (not root, no DMI) */
};

/* <sysfs>/hypervisor/uuid, <sysfs>/devices/virtual/dmi/id/product_uuid,
 * then the vendor files there anyone may read (sys_vendor, bios_vendor,
 * bios_version).  evidence says what was read. */
int saba_ec2_dmi_check(const char *sysfs, char *evidence, size_t len);

/* IMDS meta-data/services/partition: 1 when it starts with "aws", 0 when
 * IMDS answered anything else, -1 when nothing answered (err says why). */
int saba_ec2_imds_partition(struct saba_imds *m, char *err, size_t len);

/* The instance id (required) and region (placement/region, else the
 * instance identity document; *region stays NULL when neither answers).
 * Returns 0 with *instance_id set (malloc'd), or -1 (err says why). */
int saba_ec2_imds_identity(struct saba_imds *m, char **instance_id, char **region, char *err,
			   size_t len);

/* {"provider": "ec2", "metadata": {...}} as JSON text (malloc'd): the
 * eleven items mackerel-agent reads, "" for an item IMDS answers other
 * than 200; NULL when a request got no answer at all (err says why). */
char *saba_ec2_cloud_meta(struct saba_imds *m, char *err, size_t len);

#endif
