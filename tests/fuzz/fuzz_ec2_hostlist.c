/*
 * fuzz_ec2_hostlist: Mackerel host lists through the sweeper's streaming
 * reader (plugins/ec2/hostlist.c), in pieces of a size the input chooses, against
 * jansson reading the whole text: when the reader accepts a list, jansson
 * must read the same "hosts", element by element; when jansson reads an
 * object whose "hosts" is an array, the reader must accept it too (unless
 * a key is there twice: the reader refuses a second "hosts" on purpose).
 * Input: one byte (the piece size, 1..256), then the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "plugins/ec2/hostlist.h"

static int fuzz_collect(void *arg, json_t *host)
{
	json_array_append(arg, host);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t len = size > 0 ? size - 1 : 0, piece;
	json_t *got, *doc, *hosts, *strict;
	struct saba_hostlist *l;
	int rc = 0;

	if (size == 0)
		return 0;
	piece = (size_t)data[0] + 1;
	got = json_array();
	l = saba_hostlist_new(fuzz_collect, got);
	if (l == NULL)
		fuzz_fail("out of memory");
	for (size_t off = 0; rc == 0 && off < len; off += piece)
		rc = saba_hostlist_feed(l, text + off, len - off < piece ? len - off : piece);
	if (rc == 0)
		rc = saba_hostlist_finish(l);
	if ((rc != 0) != (saba_hostlist_error(l)[0] != '\0'))
		fuzz_fail("returned %d with the error \"%s\"", rc, saba_hostlist_error(l));

	doc = json_loadb(text, len, 0, NULL);
	hosts = json_object_get(doc, "hosts");
	if (rc == 0 && (!json_is_array(hosts) || !json_equal(hosts, got)))
		fuzz_fail("the reader accepted hosts jansson reads as %s",
			  json_is_array(hosts) ? "other elements" : "no array");
	/* the other way, for text jansson takes as it is: no NUL byte (jansson
	 * skips some) and no key twice (jansson keeps the last "hosts") */
	strict = memchr(text, '\0', len) == NULL
			 ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)
			 : NULL;
	if (rc != 0 && json_is_array(json_object_get(strict, "hosts")))
		fuzz_fail("jansson reads the list, the reader says: %s (pieces of %zu)",
			  saba_hostlist_error(l), piece);
	json_decref(strict);
	json_decref(doc);
	json_decref(got);
	saba_hostlist_free(l);
	return 0;
}
