/* Reads one DescribeInstances answer with expat as it streams in: the
 * instances (instanceId, instanceState/code & 0xFF, instanceState/name) found
 * at DescribeInstancesResponse/reservationSet/item/instancesSet/item, the
 * nextToken, or the first Errors/Error (Code, Message) of an error answer.
 * Elements are matched by local name and position, in any order; everything
 * else is skipped.  A DTD, a missing or unexpected root, an instance without
 * id or state code, and oversized values are errors. */
#ifndef SABA_EC2_XML_H
#define SABA_EC2_XML_H

#include <stddef.h>

#define SABA_EC2_ID_MAX	   32 /* instance ids are "i-" and 8 or 17 hex digits */
#define SABA_EC2_STATE_MAX 24 /* "shutting-down" */

enum saba_ec2_xml_kind {
	SABA_EC2_XML_NONE = 0, /* no root element (yet) */
	SABA_EC2_XML_DESCRIBE, /* <DescribeInstancesResponse> */
	SABA_EC2_XML_ERROR,    /* <Response><Errors>... */
};

struct saba_ec2_instance {
	char id[SABA_EC2_ID_MAX];
	char state[SABA_EC2_STATE_MAX]; /* "" when the answer had no name */
	int code;			/* instanceState/code & 0xFF */
};

struct saba_ec2_xml;

struct saba_ec2_xml *saba_ec2_xml_new(void);
void saba_ec2_xml_free(struct saba_ec2_xml *x);

/* Feed the next piece of the answer; final = 1 with the last one (len may be
 * 0).  Returns 0, or -1 once the answer is unusable (see problem()). */
int saba_ec2_xml_feed(struct saba_ec2_xml *x, const char *data, size_t len, int final);

/* After the final feed: */
int saba_ec2_xml_kind(const struct saba_ec2_xml *x);
const char *saba_ec2_xml_problem(const struct saba_ec2_xml *x); /* NULL when readable */
size_t saba_ec2_xml_count(const struct saba_ec2_xml *x);
const struct saba_ec2_instance *saba_ec2_xml_instance(const struct saba_ec2_xml *x, size_t i);
const char *saba_ec2_xml_next_token(const struct saba_ec2_xml *x);    /* NULL: last page */
const char *saba_ec2_xml_error_code(const struct saba_ec2_xml *x);    /* NULL: none */
const char *saba_ec2_xml_error_message(const struct saba_ec2_xml *x); /* "" when none */

#endif
