/*
 * fuzz_ec2_xml: DescribeInstances answers through the ec2 plugin's expat
 * reader (plugins/ec2/xml.c), read twice: in one piece, and in pieces of a size
 * the input chooses, as libcurl may hand them over.  Both readings must
 * agree, and what the reader reports must be what the sweeper and
 * confirm_retire may rely on.
 * Input: one byte (the piece size, 1..256), then the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plugins/ec2/xml.h"

static struct saba_ec2_xml *fuzz_read(const char *data, size_t len, size_t piece, int *rc)
{
	struct saba_ec2_xml *x = saba_ec2_xml_new();

	if (x == NULL)
		fuzz_fail("out of memory");
	*rc = 0;
	for (size_t off = 0; *rc == 0 && off < len; off += piece)
		*rc = saba_ec2_xml_feed(x, data + off, len - off < piece ? len - off : piece, 0);
	if (*rc == 0)
		*rc = saba_ec2_xml_feed(x, "", 0, 1); /* as plugins/ec2/aws.c ends */
	return x;
}

/* What a reader that succeeded promises. */
static void fuzz_valid(const struct saba_ec2_xml *x)
{
	int kind = saba_ec2_xml_kind(x);

	if (saba_ec2_xml_problem(x) != NULL ||
	    (kind != SABA_EC2_XML_DESCRIBE && kind != SABA_EC2_XML_ERROR))
		fuzz_fail("a readable answer of kind %d with a problem", kind);
	if (kind == SABA_EC2_XML_ERROR &&
	    (saba_ec2_xml_count(x) != 0 || saba_ec2_xml_next_token(x) != NULL))
		fuzz_fail("an error answer with instances or a nextToken");
	if (kind == SABA_EC2_XML_DESCRIBE && saba_ec2_xml_error_code(x) != NULL)
		fuzz_fail("a DescribeInstances answer with an error code");
	for (size_t i = 0; i < saba_ec2_xml_count(x); i++) {
		const struct saba_ec2_instance *in = saba_ec2_xml_instance(x, i);
		size_t n = strnlen(in->id, sizeof(in->id));

		if (n == 0 || n == sizeof(in->id) ||
		    strnlen(in->state, sizeof(in->state)) == sizeof(in->state))
			fuzz_fail("instance %zu: id or state not a string", i);
		if (strchr(" \t\r\n", in->id[0]) != NULL ||
		    strchr(" \t\r\n", in->id[n - 1]) != NULL)
			fuzz_fail("instance id \"%s\" not trimmed", in->id);
		if (in->code < 0 || in->code > 255)
			fuzz_fail("instance %s: state code %d", in->id, in->code);
	}
	if (saba_ec2_xml_instance(x, saba_ec2_xml_count(x)) != NULL)
		fuzz_fail("an instance past the count");
}

static int fuzz_same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct saba_ec2_xml *whole, *pieces;
	size_t piece;
	int rw, rp;

	if (size == 0)
		return 0;
	piece = (size_t)data[0] + 1;
	whole = fuzz_read((const char *)data + 1, size - 1, size, &rw);
	pieces = fuzz_read((const char *)data + 1, size - 1, piece, &rp);
	if ((rw == 0) != (saba_ec2_xml_problem(whole) == NULL))
		fuzz_fail("feed() returned %d, problem %s", rw, saba_ec2_xml_problem(whole));
	if (rw != rp)
		fuzz_fail("read whole: %s; in pieces of %zu: %s",
			  rw ? saba_ec2_xml_problem(whole) : "ok", piece,
			  rp ? saba_ec2_xml_problem(pieces) : "ok");
	if (rw == 0) {
		fuzz_valid(whole);
		if (saba_ec2_xml_kind(whole) != saba_ec2_xml_kind(pieces) ||
		    saba_ec2_xml_count(whole) != saba_ec2_xml_count(pieces) ||
		    !fuzz_same_str(saba_ec2_xml_next_token(whole),
				   saba_ec2_xml_next_token(pieces)) ||
		    !fuzz_same_str(saba_ec2_xml_error_code(whole),
				   saba_ec2_xml_error_code(pieces)) ||
		    !fuzz_same_str(saba_ec2_xml_error_message(whole),
				   saba_ec2_xml_error_message(pieces)))
			fuzz_fail("the answer read differently in pieces of %zu", piece);
		for (size_t i = 0; i < saba_ec2_xml_count(whole); i++)
			if (memcmp(saba_ec2_xml_instance(whole, i),
				   saba_ec2_xml_instance(pieces, i),
				   sizeof(struct saba_ec2_instance)) != 0)
				fuzz_fail("instance %zu read differently in pieces", i);
	}
	saba_ec2_xml_free(whole);
	saba_ec2_xml_free(pieces);
	return 0;
}
