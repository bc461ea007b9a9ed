/* EC2 identity from DMI and IMDS; see identity.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify.h"
#include "identity.h"

/* The items of meta.cloud.metadata, in mackerel-agent's order. */
static const char *const saba_ec2_meta_keys[] = {
	"instance-id",	   "instance-type",   "placement/availability-zone",
	"security-groups", "ami-id",	      "hostname",
	"local-hostname",  "public-hostname", "local-ipv4",
	"public-ipv4",	   "reservation-id",
};

/* The first line of a small file, or -errno. */
static int saba_ec2_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL)
		rc = -EIO;
	else
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(f);
	return rc;
}

/* The vendor strings anyone may read (the uuid needs root): Nitro says
 * "Amazon EC2", Xen HVM instances carry "amazon" in their BIOS version. */
static int saba_ec2_dmi_vendor(const char *sysfs, char *evidence, size_t len, int *readable)
{
	static const char *const files[] = {"sys_vendor", "bios_vendor", "bios_version"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], value[128];

		snprintf(path, sizeof(path), "%s/devices/virtual/dmi/id/%s", sysfs, files[i]);
		if (saba_ec2_read_line(path, value, sizeof(value)) != 0)
			continue;
		*readable = 1;
		if (strcmp(value, "Amazon EC2") == 0 ||
		    (strcmp(files[i], "bios_version") == 0 && strstr(value, "amazon") != NULL)) {
			snprintf(evidence, len, "%s is \"%s\"", path, value);
			return 1;
		}
	}
	return 0;
}

int saba_ec2_dmi_check(const char *sysfs, char *evidence, size_t len)
{
	static const char *const files[] = {"hypervisor/uuid",
					    "devices/virtual/dmi/id/product_uuid"};
	int readable = 0, uuid_readable;

	snprintf(evidence, len, "no DMI uuid readable under %s", sysfs);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], uuid[128];

		snprintf(path, sizeof(path), "%s/%s", sysfs, files[i]);
		if (saba_ec2_read_line(path, uuid, sizeof(uuid)) != 0)
			continue;
		readable = 1;
		if (saba_ec2_uuid_is_ec2(uuid)) {
			snprintf(evidence, len, "%s is an EC2 uuid", path);
			return SABA_EC2_DMI_YES;
		}
		snprintf(evidence, len, "%s is not an EC2 uuid", path);
	}
	uuid_readable = readable;
	if (saba_ec2_dmi_vendor(sysfs, evidence, len, &readable))
		return SABA_EC2_DMI_YES;
	if (readable && !uuid_readable)
		snprintf(evidence, len, "the DMI vendor under %s is not EC2's", sysfs);
	return readable ? SABA_EC2_DMI_NO : SABA_EC2_DMI_UNKNOWN;
}

int saba_ec2_imds_partition(struct saba_imds *m, char *err, size_t len)
{
	char *body = NULL;
	long status = saba_imds_get(m, "meta-data/services/partition", &body, err, len);
	int rc;

	if (status < 0)
		return -1;
	rc = status == 200 && strncmp(body, "aws", 3) == 0;
	if (!rc && status == 200)
		snprintf(err, len, "IMDS meta-data/services/partition is not an AWS partition");
	free(body);
	return rc;
}

/* The region from the instance identity document (IMDS before 2020-08). */
static char *saba_ec2_document_region(struct saba_imds *m)
{
	char *body = NULL, err[160], *region = NULL;
	json_t *doc = NULL;
	const char *r;

	if (saba_imds_get(m, "dynamic/instance-identity/document", &body, err, sizeof(err)) != 200)
		goto out;
	doc = json_loads(body, 0, NULL);
	r = json_string_value(json_object_get(doc, "region"));
	if (saba_ec2_valid_region(r))
		region = strdup(r);
out:
	json_decref(doc);
	free(body);
	return region;
}

int saba_ec2_imds_identity(struct saba_imds *m, char **instance_id, char **region, char *err,
			   size_t len)
{
	char *id = NULL, *reg = NULL, ci[128];
	long status;

	*instance_id = NULL;
	*region = NULL;
	status = saba_imds_get(m, "meta-data/instance-id", &id, err, len);
	if (status != 200)
		return -1;
	id[strcspn(id, "\r\n")] = '\0';
	if (saba_ec2_custom_identifier(id, ci, sizeof(ci)) != 0) {
		snprintf(err, len, "IMDS meta-data/instance-id is not an instance id");
		free(id);
		return -1;
	}
	status = saba_imds_get(m, "meta-data/placement/region", &reg, err, len);
	if (status == 200 && saba_ec2_valid_region(reg)) {
		*region = reg;
	} else {
		free(reg);
		*region = saba_ec2_document_region(m);
	}
	*instance_id = id;
	return 0;
}

char *saba_ec2_cloud_meta(struct saba_imds *m, char *err, size_t len)
{
	json_t *cloud = json_object(), *meta = json_object();
	char *text = NULL;

	json_object_set_new(cloud, "provider", json_string("ec2"));
	json_object_set(cloud, "metadata", meta);
	for (size_t i = 0; i < sizeof(saba_ec2_meta_keys) / sizeof(saba_ec2_meta_keys[0]); i++) {
		char path[128], *body = NULL;
		json_t *value;
		long status;

		snprintf(path, sizeof(path), "meta-data/%s", saba_ec2_meta_keys[i]);
		status = saba_imds_get(m, path, &body, err, len);
		if (status < 0)
			goto out; /* as upstream: no cloud object at all */
		/* Kept as IMDS sends it (security-groups is one per line). */
		value = status == 200 ? json_stringn(body, strlen(body)) : NULL;
		json_object_set_new(meta, saba_ec2_meta_keys[i],
				    value != NULL ? value : json_string(""));
		free(body);
	}
	text = json_dumps(cloud, JSON_COMPACT);
out:
	json_decref(meta);
	json_decref(cloud);
	return text;
}
