/* Pure decisions of the ec2 plugin; see classify.h. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <saba/plugin.h>

#include "classify.h"

/* An IMDS answer that is not 200, for the evidence line. */
static int saba_ec2_no_answer(const char *item, long status, char *evidence, size_t len)
{
	if (status < 0)
		snprintf(evidence, len, "%s: no answer from IMDS", item);
	else if (status == 404)
		snprintf(evidence, len, "%s: absent (404)", item);
	else
		snprintf(evidence, len, "%s: HTTP %ld", item, status);
	return SABA_EC2_KEEP;
}

/* A short, printable copy of untrusted text for a log line. */
static void saba_ec2_printable(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s != NULL && *s != '\0' && i + 1 < len && i < 64; s++)
		out[i++] = isprint((unsigned char)*s) ? *s : '?';
	out[i] = '\0';
}

int saba_ec2_spot_action(long status, const char *body, char *evidence, size_t len)
{
	static const char item[] = "spot/instance-action";
	json_t *doc = NULL;
	const char *action, *when;
	char shown[80], shown_when[80];
	int verdict = SABA_EC2_KEEP;

	if (status != 200 || body == NULL)
		return saba_ec2_no_answer(item, status, evidence, len);
	doc = json_loads(body, 0, NULL);
	action = json_string_value(json_object_get(doc, "action"));
	when = json_string_value(json_object_get(doc, "time"));
	if (action == NULL) {
		saba_ec2_printable(body, shown, sizeof(shown));
		snprintf(evidence, len, "%s: not an instance-action document: \"%s\"", item, shown);
		goto out;
	}
	saba_ec2_printable(action, shown, sizeof(shown));
	if (strcmp(action, "terminate") == 0) {
		saba_ec2_printable(when != NULL ? when : "(no time given)", shown_when,
				   sizeof(shown_when));
		snprintf(evidence, len, "%s: action terminate at %s", item, shown_when);
		verdict = SABA_EC2_TERMINATING;
	} else {
		snprintf(evidence, len, "%s: action %s, not a termination", item, shown);
	}
out:
	json_decref(doc);
	return verdict;
}

int saba_ec2_lifecycle_state(long status, const char *body, char *evidence, size_t len)
{
	static const char item[] = "autoscaling/target-lifecycle-state";
	char shown[80];
	size_t n;

	if (status != 200 || body == NULL)
		return saba_ec2_no_answer(item, status, evidence, len);
	/* IMDS answers the bare word; tolerate a trailing newline only. */
	n = strlen(body);
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
		n--;
	saba_ec2_printable(body, shown, sizeof(shown));
	if (n == strlen("Terminated") && strncmp(body, "Terminated", n) == 0) {
		snprintf(evidence, len, "%s: Terminated", item);
		return SABA_EC2_TERMINATING;
	}
	snprintf(evidence, len, "%s: %s, not a termination", item, shown);
	return SABA_EC2_KEEP;
}

int saba_ec2_kind_needs_state(int kind)
{
	return kind == SABA_STOP_POWEROFF || kind == SABA_STOP_HALT || kind == SABA_STOP_SHUTDOWN;
}

const char *saba_ec2_state_name(int code)
{
	switch (code) {
	case 0:
		return "pending";
	case 16:
		return "running";
	case 32:
		return "shutting-down";
	case 48:
		return "terminated";
	case 64:
		return "stopping";
	case 80:
		return "stopped";
	default:
		return "unknown";
	}
}

int saba_ec2_state_gone(const char *name, int code)
{
	return (code == 32 || code == 48) && name != NULL &&
	       strcmp(name, saba_ec2_state_name(code)) == 0;
}

int saba_ec2_confirm_state(const char *instance_id, const char *region, int found, const char *name,
			   int code, char *evidence, size_t len)
{
	char shown[80];

	if (!found) {
		snprintf(evidence, len,
			 "DescribeInstances: %s absent from the answer in %s (wrong region or "
			 "account, or not visible yet): not evidence of termination",
			 instance_id, region);
		return SABA_CONFIRM_NO;
	}
	saba_ec2_printable(name != NULL ? name : "(none)", shown, sizeof(shown));
	if (saba_ec2_state_gone(name, code)) {
		snprintf(evidence, len, "DescribeInstances: %s in %s is %s (%d)", instance_id,
			 region, shown, code);
		return SABA_CONFIRM_YES;
	}
	snprintf(evidence, len, "DescribeInstances: %s in %s is %s (%d), not being terminated",
		 instance_id, region, shown, code);
	return SABA_CONFIRM_NO;
}

static int saba_ec2_prefix(const char *s)
{
	return strncmp(s, "ec2", 3) == 0 || strncmp(s, "EC2", 3) == 0;
}

int saba_ec2_uuid_is_ec2(const char *uuid)
{
	uint32_t le = 0;
	char first[9], swapped[9];
	size_t n;

	if (uuid == NULL)
		return 0;
	if (saba_ec2_prefix(uuid))
		return 1;
	/* The first field (time_low) as a little-endian uint32: byte-swap
	 * its eight hex digits. */
	n = strcspn(uuid, "-");
	if (n != 8)
		return 0;
	memcpy(first, uuid, 8);
	first[8] = '\0';
	for (int i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)first[i]))
			return 0;
	for (int i = 3; i >= 0; i--) {
		unsigned byte;

		if (sscanf(first + 2 * i, "%2x", &byte) != 1)
			return 0;
		le = le << 8 | byte;
	}
	snprintf(swapped, sizeof(swapped), "%08x", (unsigned)le);
	return saba_ec2_prefix(swapped);
}

int saba_ec2_custom_identifier(const char *instance_id, char *buf, size_t len)
{
	size_t n;
	int w;

	if (instance_id == NULL || strncmp(instance_id, "i-", 2) != 0)
		return -1;
	n = strlen(instance_id + 2);
	if (n < 1 || n > 32 || strspn(instance_id + 2, "0123456789abcdef") != n)
		return -1;
	w = snprintf(buf, len, "%s%s", instance_id, SABA_EC2_CI_SUFFIX);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

int saba_ec2_valid_region(const char *region)
{
	size_t n;

	if (region == NULL)
		return 0;
	n = strlen(region);
	if (n < 4 || n > 32 || !islower((unsigned char)region[0]) ||
	    !isdigit((unsigned char)region[n - 1]) ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    strstr(region, "--") != NULL || strchr(region, '-') == NULL)
		return 0;
	return 1;
}
