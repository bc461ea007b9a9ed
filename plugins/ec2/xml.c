#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

/* A page of an answer to 200 filter values holds at most 200 instances;
 * anything far beyond is not an EC2 answer. */
#define SABA_XML_MAX_ITEMS 10000
#define SABA_XML_MAX_DEPTH 64
#define SABA_XML_TOKEN_MAX 8192
#define SABA_XML_CODE_MAX  128
#define SABA_XML_MSG_MAX   512
#define SABA_XML_NUM_MAX   16

/* The element names that matter; everything else is SABA_X_OTHER. */
enum saba_xml_name {
	SABA_X_OTHER = 0,
	SABA_X_DESCRIBE,
	SABA_X_RESPONSE,
	SABA_X_RESERVATION_SET,
	SABA_X_ITEM,
	SABA_X_INSTANCES_SET,
	SABA_X_INSTANCE_ID,
	SABA_X_INSTANCE_STATE,
	SABA_X_CODE,
	SABA_X_NAME,
	SABA_X_NEXT_TOKEN,
	SABA_X_ERRORS,
	SABA_X_ERROR,
	SABA_X_ERROR_CODE,
	SABA_X_MESSAGE,
};

static const char *const saba_xml_names[] = {
	[SABA_X_DESCRIBE] = "DescribeInstancesResponse",
	[SABA_X_RESPONSE] = "Response",
	[SABA_X_RESERVATION_SET] = "reservationSet",
	[SABA_X_ITEM] = "item",
	[SABA_X_INSTANCES_SET] = "instancesSet",
	[SABA_X_INSTANCE_ID] = "instanceId",
	[SABA_X_INSTANCE_STATE] = "instanceState",
	[SABA_X_CODE] = "code",
	[SABA_X_NAME] = "name",
	[SABA_X_NEXT_TOKEN] = "nextToken",
	[SABA_X_ERRORS] = "Errors",
	[SABA_X_ERROR] = "Error",
	[SABA_X_ERROR_CODE] = "Code",
	[SABA_X_MESSAGE] = "Message",
};

/* What the text of the current element goes into. */
enum saba_xml_field {
	SABA_F_NONE = 0,
	SABA_F_ID,
	SABA_F_STATE_CODE,
	SABA_F_STATE_NAME,
	SABA_F_NEXT_TOKEN,
	SABA_F_ERROR_CODE,
	SABA_F_ERROR_MESSAGE,
};

struct saba_ec2_xml {
	XML_Parser parser;
	int kind;
	unsigned char stack[SABA_XML_MAX_DEPTH]; /* enum saba_xml_name per level */
	int depth;
	int in_item;	    /* inside an instance item */
	int have_code;	    /* of the current item */
	int in_first_error; /* inside the first Errors/Error */
	int errors_seen;
	int field;
	char text[SABA_XML_TOKEN_MAX + 1];
	size_t text_len;
	size_t text_cap; /* the field's limit; longer is an error unless truncating */
	int truncate;	 /* messages may be cut, values may not */
	struct saba_ec2_instance cur;
	struct saba_ec2_instance *items;
	size_t count, alloc;
	char *next_token;
	char error_code[SABA_XML_CODE_MAX + 1];
	char error_message[SABA_XML_MSG_MAX + 1];
	char problem[256];
	int failed;
};

/* Namespace processing gives "uri\x01local"; only the local name counts. */
static const char *saba_xml_local(const char *qname)
{
	const char *sep = strrchr(qname, '\x01');

	return sep != NULL ? sep + 1 : qname;
}

static enum saba_xml_name saba_xml_lookup(const char *qname)
{
	const char *local = saba_xml_local(qname);

	for (size_t i = 1; i < sizeof(saba_xml_names) / sizeof(saba_xml_names[0]); i++) {
		if (strcmp(local, saba_xml_names[i]) == 0)
			return (enum saba_xml_name)i;
	}
	return SABA_X_OTHER;
}

static void saba_xml_fail(struct saba_ec2_xml *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void saba_xml_fail(struct saba_ec2_xml *x, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	va_start(ap, fmt);
	vsnprintf(x->problem, sizeof(x->problem), fmt, ap);
	va_end(ap);
	XML_StopParser(x->parser, XML_FALSE);
}

/* Copy src into dst[cap], cut to fit (callers checked lengths already). */
static void saba_xml_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Is the element at level d named n? */
static int saba_xml_at(const struct saba_ec2_xml *x, int d, enum saba_xml_name n)
{
	return d >= 0 && d < x->depth && x->stack[d] == n;
}

static void saba_xml_capture(struct saba_ec2_xml *x, int field, size_t cap, int truncate)
{
	x->field = field;
	x->text_len = 0;
	x->text_cap = cap;
	x->truncate = truncate;
}

/* Decide, from the element's name and position, whether its text matters.
 * Called with the element already pushed (it is at level depth - 1). */
static void saba_xml_classify(struct saba_ec2_xml *x, enum saba_xml_name n)
{
	int d = x->depth - 1;

	if (x->kind == SABA_EC2_XML_DESCRIBE) {
		/* root/reservationSet/item/instancesSet/item */
		if (d == 4 && n == SABA_X_ITEM && saba_xml_at(x, 3, SABA_X_INSTANCES_SET) &&
		    saba_xml_at(x, 2, SABA_X_ITEM) && saba_xml_at(x, 1, SABA_X_RESERVATION_SET)) {
			x->in_item = 1;
			x->have_code = 0;
			memset(&x->cur, 0, sizeof(x->cur));
		} else if (x->in_item && d == 5 && n == SABA_X_INSTANCE_ID) {
			if (x->cur.id[0] != '\0')
				saba_xml_fail(x, "an instance has two instanceId elements");
			saba_xml_capture(x, SABA_F_ID, SABA_EC2_ID_MAX - 1, 0);
		} else if (x->in_item && d == 6 && saba_xml_at(x, 5, SABA_X_INSTANCE_STATE)) {
			if (n == SABA_X_CODE)
				saba_xml_capture(x, SABA_F_STATE_CODE, SABA_XML_NUM_MAX, 0);
			else if (n == SABA_X_NAME)
				saba_xml_capture(x, SABA_F_STATE_NAME, SABA_EC2_STATE_MAX - 1, 0);
		} else if (d == 1 && n == SABA_X_NEXT_TOKEN) {
			saba_xml_capture(x, SABA_F_NEXT_TOKEN, SABA_XML_TOKEN_MAX, 0);
		}
	} else if (x->kind == SABA_EC2_XML_ERROR) {
		/* Response/Errors/Error/{Code,Message}: the first error only */
		if (d == 2 && n == SABA_X_ERROR && saba_xml_at(x, 1, SABA_X_ERRORS)) {
			x->in_first_error = x->errors_seen++ == 0;
		} else if (d == 3 && x->in_first_error) {
			if (n == SABA_X_ERROR_CODE)
				saba_xml_capture(x, SABA_F_ERROR_CODE, SABA_XML_CODE_MAX, 0);
			else if (n == SABA_X_MESSAGE)
				saba_xml_capture(x, SABA_F_ERROR_MESSAGE, SABA_XML_MSG_MAX, 1);
		}
	}
}

static void XMLCALL saba_xml_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct saba_ec2_xml *x = data;
	enum saba_xml_name n = saba_xml_lookup(name);

	(void)attrs;
	if (x->failed)
		return;
	if (x->field != SABA_F_NONE) {
		saba_xml_fail(x, "unexpected element inside a value");
		return;
	}
	if (x->depth == 0) {
		if (n == SABA_X_DESCRIBE)
			x->kind = SABA_EC2_XML_DESCRIBE;
		else if (n == SABA_X_RESPONSE)
			x->kind = SABA_EC2_XML_ERROR;
		else {
			saba_xml_fail(x, "unexpected root element <%.100s>", saba_xml_local(name));
			return;
		}
	}
	if (x->depth >= SABA_XML_MAX_DEPTH) {
		saba_xml_fail(x, "elements nested too deeply");
		return;
	}
	x->stack[x->depth++] = (unsigned char)n;
	saba_xml_classify(x, n);
}

static void XMLCALL saba_xml_text(void *data, const XML_Char *s, int len)
{
	struct saba_ec2_xml *x = data;
	size_t n = len > 0 ? (size_t)len : 0;

	if (x->failed || x->field == SABA_F_NONE)
		return;
	if (x->text_len + n > x->text_cap) {
		if (!x->truncate) {
			saba_xml_fail(x, "a value is longer than expected");
			return;
		}
		n = x->text_cap - x->text_len;
	}
	memcpy(x->text + x->text_len, s, n);
	x->text_len += n;
}

/* The captured text without surrounding white space. */
static const char *saba_xml_trimmed(struct saba_ec2_xml *x)
{
	char *s = x->text;
	size_t n = x->text_len;

	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	return s;
}

static void saba_xml_store(struct saba_ec2_xml *x)
{
	const char *t = saba_xml_trimmed(x);
	char *end;
	long v;

	switch (x->field) {
	case SABA_F_ID:
		if (*t == '\0')
			saba_xml_fail(x, "an empty instanceId");
		saba_xml_copy(x->cur.id, sizeof(x->cur.id), t);
		break;
	case SABA_F_STATE_CODE:
		v = strtol(t, &end, 10);
		if (*t == '\0' || *end != '\0' || v < 0 || v > 65535) {
			saba_xml_fail(x, "instanceState/code \"%.20s\" is not a state code", t);
			break;
		}
		x->cur.code = (int)(v & 0xFF);
		x->have_code = 1;
		break;
	case SABA_F_STATE_NAME:
		saba_xml_copy(x->cur.state, sizeof(x->cur.state), t);
		break;
	case SABA_F_NEXT_TOKEN:
		free(x->next_token);
		x->next_token = NULL;
		/* A lost token would read as "last page": fail instead. */
		if (*t != '\0' && (x->next_token = strdup(t)) == NULL)
			saba_xml_fail(x, "out of memory");
		break;
	case SABA_F_ERROR_CODE:
		saba_xml_copy(x->error_code, sizeof(x->error_code), t);
		break;
	case SABA_F_ERROR_MESSAGE:
		saba_xml_copy(x->error_message, sizeof(x->error_message), t);
		break;
	default:
		break;
	}
	x->field = SABA_F_NONE;
}

static void saba_xml_item_done(struct saba_ec2_xml *x)
{
	x->in_item = 0;
	if (x->cur.id[0] == '\0') {
		saba_xml_fail(x, "an instance without instanceId");
		return;
	}
	if (!x->have_code) {
		saba_xml_fail(x, "instance %s without instanceState/code", x->cur.id);
		return;
	}
	if (x->count == SABA_XML_MAX_ITEMS) {
		saba_xml_fail(x, "more instances in one answer than EC2 sends");
		return;
	}
	if (x->count == x->alloc) {
		size_t alloc = x->alloc != 0 ? x->alloc * 2 : 64;
		struct saba_ec2_instance *p = realloc(x->items, alloc * sizeof(*p));

		if (p == NULL) {
			saba_xml_fail(x, "out of memory");
			return;
		}
		x->items = p;
		x->alloc = alloc;
	}
	x->items[x->count++] = x->cur;
}

static void XMLCALL saba_xml_end(void *data, const XML_Char *name)
{
	struct saba_ec2_xml *x = data;

	(void)name;
	if (x->failed || x->depth == 0)
		return;
	if (x->field != SABA_F_NONE)
		saba_xml_store(x);
	x->depth--;
	if (x->in_item && x->depth == 4)
		saba_xml_item_done(x);
	else if (x->kind == SABA_EC2_XML_ERROR && x->depth == 2)
		x->in_first_error = 0;
}

/* EC2 never sends a DTD; refusing one also refuses entity tricks. */
static void XMLCALL saba_xml_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
				     const XML_Char *pubid, int has_internal_subset)
{
	struct saba_ec2_xml *x = data;

	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	saba_xml_fail(x, "a DTD (<!DOCTYPE %.60s>) is not accepted", saba_xml_local(name));
}

struct saba_ec2_xml *saba_ec2_xml_new(void)
{
	struct saba_ec2_xml *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->parser = XML_ParserCreateNS(NULL, '\x01');
	if (x->parser == NULL) {
		free(x);
		return NULL;
	}
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, saba_xml_start, saba_xml_end);
	XML_SetCharacterDataHandler(x->parser, saba_xml_text);
	XML_SetStartDoctypeDeclHandler(x->parser, saba_xml_doctype);
	return x;
}

void saba_ec2_xml_free(struct saba_ec2_xml *x)
{
	if (x == NULL)
		return;
	XML_ParserFree(x->parser);
	free(x->items);
	free(x->next_token);
	free(x);
}

int saba_ec2_xml_feed(struct saba_ec2_xml *x, const char *data, size_t len, int final)
{
	while (!x->failed && (len > 0 || final)) {
		/* XML_Parse takes an int length. */
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		int last = final && (size_t)chunk == len;

		if (XML_Parse(x->parser, data, chunk, last) == XML_STATUS_ERROR && !x->failed) {
			x->failed = 1;
			snprintf(x->problem, sizeof(x->problem), "XML error at line %lu: %s",
				 (unsigned long)XML_GetCurrentLineNumber(x->parser),
				 XML_ErrorString(XML_GetErrorCode(x->parser)));
		}
		data += chunk;
		len -= (size_t)chunk;
		if (last)
			break;
	}
	if (!x->failed && final && x->kind == SABA_EC2_XML_NONE) {
		x->failed = 1;
		snprintf(x->problem, sizeof(x->problem), "no root element");
	}
	return x->failed ? -1 : 0;
}

int saba_ec2_xml_kind(const struct saba_ec2_xml *x)
{
	return x->kind;
}

const char *saba_ec2_xml_problem(const struct saba_ec2_xml *x)
{
	return x->failed ? x->problem : NULL;
}

size_t saba_ec2_xml_count(const struct saba_ec2_xml *x)
{
	return x->count;
}

const struct saba_ec2_instance *saba_ec2_xml_instance(const struct saba_ec2_xml *x, size_t i)
{
	return i < x->count ? &x->items[i] : NULL;
}

const char *saba_ec2_xml_next_token(const struct saba_ec2_xml *x)
{
	return x->next_token;
}

const char *saba_ec2_xml_error_code(const struct saba_ec2_xml *x)
{
	return x->error_code[0] != '\0' ? x->error_code : NULL;
}

const char *saba_ec2_xml_error_message(const struct saba_ec2_xml *x)
{
	return x->error_message;
}
