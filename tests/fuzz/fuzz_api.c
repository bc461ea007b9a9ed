/*
 * fuzz_api: Mackerel API answers through the agent's real handling of
 * them: http_curl.c's header and body callbacks (Retry-After, the body cap),
 * api.c's classification and error messages, and the calls that read
 * answers: registration (register.c: GET /hosts/<id>, the customIdentifier
 * lookup, POST /hosts, then the id file), the customIdentifier map
 * (hostmap.c), the status and spec updates.
 *
 * Only libcurl's transfer is replaced: saba_http_do() below serves the
 * input's answers in order to http_curl.c's own header and body callbacks,
 * as libcurl would call them.  The rest of http.c and http_curl.c is
 * compiled in as it is (their saba_http_do and transport entry under other
 * names).  Retries do not sleep: the runtime is already stopping, so each
 * call is tried once.
 *
 * Input: a first line naming the scenario (stored, ci, new, hostmap,
 * status, call; else chosen by its first byte), then the answers, each
 * separated by "%%": "HTTP/1.1 200 OK", header lines, an empty line, the
 * body.  When the answers run out, a request fails as unreachable.
 */
#define saba_http_do saba_http_do_transport
#include "core/http.c"
#undef saba_http_do
#define saba_http_transport_entry saba_http_transport_entry_curl
const struct saba_http_transport *saba_http_transport_entry(void);
#include "core/http_curl.c"
#undef saba_http_transport_entry

#include <errno.h>
#include <unistd.h>

#include "api.h"
#include "conf.h"
#include "fuzz.h"
#include "hostmap.h"
#include "idfile.h"
#include "register.h"
#include "runtime.h"

#define FUZZ_ANSWERS 12
#define FUZZ_STORED  "2eQGEaLxibb"

static struct fuzz_part fuzz_answers[FUZZ_ANSWERS];
static size_t fuzz_nanswers, fuzz_next;

int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r);

/* One header line (with its line end) to http_curl.c, as libcurl passes it. */
static void fuzz_header(struct saba_curl_call *call, const char *line, size_t len)
{
	char *copy = fuzz_str(&(struct fuzz_part){line, len});

	if (saba_curl_on_header(copy, 1, len, call) != len)
		fuzz_fail("the header callback refused a header");
	free(copy);
}

int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r)
{
	const struct saba_http_request req = {.method = method, .url = path, .body = body};
	struct saba_curl_call call = {.req = &req, .r = r};
	const struct fuzz_part *a;
	const char *s, *end, *nl;
	char line[64];
	size_t half;
	int status;

	saba_http_result_clear(r);
	if (fuzz_next >= fuzz_nanswers) {
		snprintf(r->error, sizeof(r->error), "Could not connect to server");
		return -1;
	}
	a = &fuzz_answers[fuzz_next++];
	s = a->data;
	end = s + a->len;
	/* the status line, as libcurl would accept it */
	nl = memchr(s, '\n', a->len);
	if (nl != NULL)
		snprintf(line, sizeof(line), "%.*s", (int)(nl - s < 63 ? nl - s : 63), s);
	if (nl == NULL || sscanf(line, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100) {
		snprintf(r->error, sizeof(r->error), "Weird server reply");
		return -1;
	}
	fuzz_header(&call, s, (size_t)(nl + 1 - s));
	for (s = nl + 1; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end - 1;
		fuzz_header(&call, s, (size_t)(nl + 1 - s));
		if (*s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n'))
			break; /* the empty line ends the headers */
	}
	s = nl + 1 < end ? nl + 1 : end;
	/* the body in two pieces: the callback appends */
	half = (size_t)(end - s) / 2;
	if (saba_curl_on_body((char *)s, 1, half, &call) != half ||
	    saba_curl_on_body((char *)s + half, 1, (size_t)(end - s) - half, &call) !=
		    (size_t)(end - s) - half) {
		snprintf(r->error, sizeof(r->error), "Failed writing received data");
		return -1;
	}
	r->status = status;
	return 0;
}

/* What every answer must come to, whatever it says. */
static void fuzz_result(const struct saba_api_result *r)
{
	long s = r->http_status;
	int ok = 1;

	switch (r->status) {
	case SABA_API_OK:
		ok = s >= 200 && s < 300 && r->json != NULL;
		break;
	case SABA_API_NOT_FOUND:
		ok = s == 404;
		break;
	case SABA_API_REFUSED:
		ok = s >= 400 && s < 500 && s != 404 && s != 429;
		break;
	case SABA_API_RETRY:
		ok = !(s >= 400 && s < 500 && s != 429) && r->json == NULL;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		fuzz_fail("HTTP %ld classified as %d", s, r->status);
	if (r->retry_after < -1 || r->retry_after > SABA_HTTP_MAX_RETRY_AFTER)
		fuzz_fail("Retry-After %ld taken", r->retry_after);
	/* the message goes into one log line */
	for (const char *m = r->message; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			fuzz_fail("control character 0x%02x in the message \"%s\"", *m, r->message);
}

/* saba_register() and the id file it leaves. */
static void fuzz_register(struct saba_runtime *rt, struct saba_http *h, int stored, const char *ci)
{
	const char *root = rt->conf->root;
	json_t *spec = json_pack("{s:s}", "name", "fuzz-host");
	char err[512], *id = NULL;
	int rc, how;

	if (ci != NULL)
		json_object_set_new(spec, "customIdentifier", json_string(ci));
	if (saba_idfile_remove(root, err, sizeof(err)) != 0 ||
	    (stored && saba_idfile_write(root, FUZZ_STORED, err, sizeof(err)) != 0))
		fuzz_fail("id file: %s", err);
	rc = saba_register(rt, h, spec);
	how = saba_idfile_read(root, &id, err, sizeof(err));
	/* a host in use is the one in the id file; a stored id is never
	 * replaced or lost; a failed registration leaves no id behind */
	if (rc == 0 && (how != 0 || rt->host_id == NULL || strcmp(id, rt->host_id) != 0))
		fuzz_fail("registered as %s, id file %s", rt->host_id ? rt->host_id : "(none)",
			  how == 0 ? id : "absent");
	if (stored && (how != 0 || strcmp(id, FUZZ_STORED) != 0))
		fuzz_fail("the stored id became %s", how == 0 ? id : "absent");
	if (!stored && rc != 0 && how != 1)
		fuzz_fail("a failed registration left the id %s", id);
	free(id);
	json_decref(spec);
}

static void fuzz_hostmap(struct saba_http *h)
{
	struct saba_hostmap *m = saba_hostmap_new(0);
	const char *id = saba_hostmap_resolve(m, h, "i-0123456789abcdef0", 0);
	size_t asked = fuzz_next;
	const char *again = saba_hostmap_resolve(m, h, "i-0123456789abcdef0", 0);

	/* an answer is remembered: no second request, the same id */
	if (id != NULL && (fuzz_next != asked || again == NULL || strcmp(id, again) != 0))
		fuzz_fail("the customIdentifier map forgot its answer");
	saba_hostmap_resolve(m, h, "host \"two\"/?&", 0);
	saba_hostmap_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"stored", "ci", "new", "hostmap", "status", "call"};
	const struct saba_http_config hc = {.apibase = "https://api.example", .timeout_ms = 1000};
	struct fuzz_part part[FUZZ_ANSWERS + 1];
	struct saba_conf conf;
	struct saba_runtime rt;
	struct saba_http h;
	size_t n, scenario;

	saba_log_init(SABA_LOG_DEBUG);
	n = fuzz_split(data, size, part, FUZZ_ANSWERS + 1);
	for (scenario = 0; scenario < 6; scenario++)
		if (part[0].len == strlen(names[scenario]) + 1 &&
		    memcmp(part[0].data, names[scenario], part[0].len - 1) == 0)
			break;
	if (scenario == 6)
		scenario = part[0].len > 0 ? (unsigned char)part[0].data[0] % 6 : 0;
	fuzz_nanswers = n - 1;
	fuzz_next = 0;
	memcpy(fuzz_answers, part + 1, fuzz_nanswers * sizeof(part[0]));

	memset(&h, 0, sizeof(h));
	h.cfg = hc;
	memset(&conf, 0, sizeof(conf));
	conf.root = (char *)fuzz_dir();
	conf.refs = 1; /* the stack owns it */
	memset(&rt, 0, sizeof(rt));
	saba_runtime_init(&rt);
	rt.conf = &conf;
	rt.stop_requested = 1; /* no retry waits */
	switch (scenario) {
	case 0:
	case 1:
	case 2:
		fuzz_register(&rt, &h, scenario == 0, scenario != 2 ? "i-0123456789abcdef0" : NULL);
		break;
	case 3:
		fuzz_hostmap(&h);
		break;
	case 4: {
		json_t *spec = json_pack("{s:s}", "name", "fuzz-host");

		saba_runtime_set_host_id(&rt, FUZZ_STORED);
		saba_register_status(&rt, &h, "working", 3, 0);
		saba_register_update_spec(&rt, &h, spec);
		json_decref(spec);
		break;
	}
	default:
		while (fuzz_next < fuzz_nanswers) {
			struct saba_api_result r = {.retry_after = -1};

			saba_api_call(&h, "GET", "/api/v0/hosts", NULL, 0, &r);
			fuzz_result(&r);
			saba_api_result_clear(&r);
		}
	}
	saba_runtime_destroy(&rt);
	return 0;
}
