/* Pure decisions of the ec2 plugin (no I/O), unit-tested over tables: what
 * an IMDS answer, a DescribeInstances state or a Mackerel host says about
 * retiring this host, each with a line of evidence for the log.  Only
 * positive evidence of termination says yes; anything else, malformed or
 * unexpected included, says no. */
#ifndef SABA_EC2_CLASSIFY_H
#define SABA_EC2_CLASSIFY_H

#include <stddef.h>

#define SABA_EC2_CI_SUFFIX ".ec2.amazonaws.com"

/* What one IMDS item says about this instance. */
enum saba_ec2_verdict {
	SABA_EC2_KEEP = 0,	  /* no termination signal (or could not tell) */
	SABA_EC2_TERMINATING = 1, /* the instance is being terminated */
};

/* spot/instance-action: status is the IMDS answer's HTTP status (-1: none),
 * body its text (may be NULL).  Only {"action": "terminate"} terminates;
 * stop and hibernate keep the host. */
int saba_ec2_spot_action(long status, const char *body, char *evidence, size_t len);

/* autoscaling/target-lifecycle-state: only "Terminated" terminates (not
 * "Warmed:Terminated", which returns the instance to a warm pool). */
int saba_ec2_lifecycle_state(long status, const char *body, char *evidence, size_t len);

/* Stop kinds whose retirement the instance state must confirm (the OS
 * powering off: an EC2 stop looks the same from inside). */
int saba_ec2_kind_needs_state(int kind);

/* The name EC2 gives the instance state code (already & 0xFF): "pending",
 * "running", "shutting-down", "terminated", "stopping", "stopped"; else
 * "unknown". */
const char *saba_ec2_state_name(int code);

/* Is an instance with this DescribeInstances state gone for good?  Only
 * shutting-down (32) and terminated (48), and only when name and code
 * agree: a state whose name says otherwise is doubt, and doubt keeps the
 * host.  Both the own-host confirmation and the fleet sweeper ask this. */
int saba_ec2_state_gone(const char *name, int code);

/* One DescribeInstances answer for this instance: found is 0 when the
 * instance was absent from a successful answer; code is already & 0xFF.
 * Returns SABA_CONFIRM_YES only when saba_ec2_state_gone(); SABA_CONFIRM_NO
 * otherwise. */
int saba_ec2_confirm_state(const char *instance_id, const char *region, int found, const char *name,
			   int code, char *evidence, size_t len);

/* Does a DMI product or hypervisor uuid look like EC2's (prefix ec2/EC2,
 * also with the first field read little-endian, as on some Nitro types)? */
int saba_ec2_uuid_is_ec2(const char *uuid);

/* The customIdentifier of an instance: "<instance-id>.ec2.amazonaws.com"
 * into buf.  Returns 0, or -1 when the id is not an instance id
 * ("i-" and lowercase hex) or buf is too small. */
int saba_ec2_custom_identifier(const char *instance_id, char *buf, size_t len);

/* Region names as AWS writes them ("us-east-1", "us-gov-west-1"). */
int saba_ec2_valid_region(const char *region);

#endif
