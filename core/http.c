#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef SABA_LAZY_HTTP
#include <dlfcn.h>
#endif

#include "http.h"
#include "http_transport.h"
#include "log.h"
#include "util.h"

struct saba_http {
	void *conn; /* the transport's; NULL under --dry-run */
	struct saba_http_config cfg;
	char *origin; /* scheme://host[:port] */
	int (*should_abort)(void *arg);
	void *abort_arg;
};

/* Dry-run lines from several threads must not interleave. */
static pthread_mutex_t saba_dry_run_lock = PTHREAD_MUTEX_INITIALIZER;

/* The transport (libcurl and the TLS library under it) is loaded and
 * initialised on first real use: once, configtest and --dry-run never pay
 * for it. */
static pthread_once_t saba_transport_once = PTHREAD_ONCE_INIT;
static const struct saba_http_transport *saba_transport;
static int saba_transport_ready;
static char saba_transport_error[1024];

#ifdef SABA_LAZY_HTTP
#define SABA_HTTP_MODULE "saba-http-curl.so"

/* The same rules as for plugins: a regular file nobody else may have
 * written. */
static int saba_transport_file_ok(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, len, "%s", strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return 0;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "group- or world-writable");
		return 0;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, len, "owned by uid %u, not root or this user", (unsigned)st.st_uid);
		return 0;
	}
	return 1;
}

static const struct saba_http_transport *saba_transport_try(const char *path, char *why, size_t len)
{
	const struct saba_http_transport *(*entry)(void);
	const struct saba_http_transport *t;
	void *handle;

	if (!saba_transport_file_ok(path, why, len))
		return NULL;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		snprintf(why, len, "%s", dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(handle, "saba_http_transport_entry");
	t = entry != NULL ? entry() : NULL;
	if (t == NULL || t->version != SABA_HTTP_TRANSPORT_VERSION || t->struct_size < sizeof(*t) ||
	    t->build == NULL || strcmp(t->build, PACKAGE_VERSION) != 0) {
		snprintf(why, len, "not the transport of saba-agent %s (module of %s)",
			 PACKAGE_VERSION, t != NULL && t->build != NULL ? t->build : "?");
		dlclose(handle);
		return NULL;
	}
	return t; /* never unloaded */
}

/* pkglibdir relative to bindir ("../lib/saba-agent"), so an installed tree
 * that was moved (or staged with DESTDIR) still finds its own module. */
static void saba_transport_relative(char *out, size_t len)
{
	const char *bin = SABA_BINDIR, *lib = SABA_PKGLIBDIR;
	size_t common = 0, i, n = 0;

	/* The longest common prefix that ends at a directory boundary. */
	for (i = 0; bin[i] != '\0' && bin[i] == lib[i]; i++)
		if (bin[i] == '/')
			common = i;
	if (bin[i] == '\0' && (lib[i] == '/' || lib[i] == '\0'))
		common = i;
	/* One "../" per component of bindir below it. */
	for (const char *p = bin + common; *p != '\0' && n + 4 < len; p++) {
		if (*p == '/' && p[1] != '\0') {
			memcpy(out + n, "../", 3);
			n += 3;
		}
	}
	snprintf(out + n, len - n, "%s", lib + common + (lib[common] == '/'));
}

/* SABA_HTTP_MODULE from the environment, else the build tree beside the
 * binary (a build tree always uses its own module), else the installed one
 * (relative to the binary first, then by its configured path). */
static void saba_transport_find(void)
{
	char exe[4096], build_mod[4200], rel[1024], rel_mod[5300], why[512];
	const char *candidates[4];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int nc = 0;
	size_t used = 0;

	if (getenv("SABA_HTTP_MODULE") != NULL && *getenv("SABA_HTTP_MODULE") != '\0')
		candidates[nc++] = getenv("SABA_HTTP_MODULE");
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(build_mod, sizeof(build_mod), "%s/.libs/" SABA_HTTP_MODULE, exe);
			if (access(build_mod, F_OK) == 0)
				candidates[nc++] = build_mod;
			saba_transport_relative(rel, sizeof(rel));
			snprintf(rel_mod, sizeof(rel_mod), "%s/%s/" SABA_HTTP_MODULE, exe, rel);
			if (access(rel_mod, F_OK) == 0)
				candidates[nc++] = rel_mod;
		}
	}
	candidates[nc++] = SABA_PKGLIBDIR "/" SABA_HTTP_MODULE;
	for (int i = 0; i < nc; i++) {
		saba_transport = saba_transport_try(candidates[i], why, sizeof(why));
		if (saba_transport != NULL)
			return;
		used += (size_t)snprintf(saba_transport_error + used,
					 used < sizeof(saba_transport_error)
						 ? sizeof(saba_transport_error) - used
						 : 0,
					 "%s%s: %s", i > 0 ? "; " : "", candidates[i], why);
		if (used >= sizeof(saba_transport_error))
			used = sizeof(saba_transport_error) - 1;
	}
}
#else
static void saba_transport_find(void)
{
	saba_transport = saba_http_transport_entry();
}
#endif

static void saba_transport_load(void)
{
	saba_transport_find();
	if (saba_transport == NULL)
		return;
	if (saba_transport->global_init() != 0) {
		snprintf(saba_transport_error, sizeof(saba_transport_error),
			 "libcurl's global initialisation failed");
		saba_transport = NULL;
		return;
	}
	saba_transport_ready = 1;
}

static const struct saba_http_transport *saba_transport_get(void)
{
	pthread_once(&saba_transport_once, saba_transport_load);
	return saba_transport;
}

void saba_http_global_cleanup(void)
{
	if (saba_transport_ready)
		saba_transport->global_cleanup();
}

static char *saba_origin(const char *apibase)
{
	const char *p = strstr(apibase, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;
	size_t n = slash != NULL ? (size_t)(slash - apibase) : strlen(apibase);
	char *o = saba_calloc(1, n + 1);

	memcpy(o, apibase, n);
	return o;
}

struct saba_http *saba_http_new(const struct saba_http_config *cfg)
{
	struct saba_http *h = saba_calloc(1, sizeof(*h));
	const struct saba_http_transport *t;

	h->cfg = *cfg;
	/* Copies: the config it came from may be replaced by a reload. */
	h->cfg.apibase = NULL;
	h->cfg.apikey = NULL;
	h->cfg.proxy = cfg->proxy != NULL ? saba_strdup(cfg->proxy) : NULL;
	h->cfg.ca_file = cfg->ca_file != NULL ? saba_strdup(cfg->ca_file) : NULL;
	h->origin = saba_origin(cfg->apibase != NULL ? cfg->apibase : "");
	if (cfg->dry_run)
		return h;
	t = saba_transport_get();
	if (t == NULL) {
		saba_err("cannot load the HTTP transport: %s", saba_transport_error);
		goto fail;
	}
	h->conn = t->conn_new(cfg->apikey);
	if (h->conn == NULL) {
		saba_err("cannot initialise libcurl");
		goto fail;
	}
	return h;
fail:
	saba_http_free(h);
	return NULL;
}

void saba_http_free(struct saba_http *h)
{
	if (h == NULL)
		return;
	if (h->conn != NULL)
		saba_transport->conn_free(h->conn);
	free((char *)h->cfg.proxy);
	free((char *)h->cfg.ca_file);
	free(h->origin);
	free(h);
}

void saba_http_result_clear(struct saba_http_result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

void saba_http_set_abort(struct saba_http *h, int (*should_abort)(void *arg), void *arg)
{
	h->should_abort = should_abort;
	h->abort_arg = arg;
}

static void saba_print_dry_run(const char *method, const char *path, const char *body)
{
	json_t *line = json_object();
	json_t *b = body != NULL ? json_loads(body, JSON_DECODE_ANY, NULL) : json_null();
	char *text;

	json_object_set_new(line, "method", json_string(method));
	json_object_set_new(line, "path", json_string(path));
	json_object_set_new(line, "body", b != NULL ? b : json_null());
	text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(15));
	pthread_mutex_lock(&saba_dry_run_lock);
	printf("%s\n", text);
	fflush(stdout);
	pthread_mutex_unlock(&saba_dry_run_lock);
	free(text);
	json_decref(line);
}

int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r)
{
	return saba_http_do_stream(h, method, path, body, deadline_ms, NULL, NULL, r);
}

int saba_http_do_stream(struct saba_http *h, const char *method, const char *path, const char *body,
			int64_t deadline_ms, int (*sink)(void *arg, const char *data, size_t len),
			void *sink_arg, struct saba_http_result *r)
{
	struct saba_http_request req = {
		.method = method,
		.body = body,
		.timeout_ms = h->cfg.timeout_ms,
		.ca_file = h->cfg.ca_file,
		.proxy = h->cfg.proxy,
		.should_abort = h->should_abort,
		.abort_arg = h->abort_arg,
		.sink = sink,
		.sink_arg = sink_arg,
		/* Go's client (mackerel-agent's) never replays a POST; of the
		 * agent's, a repeated registration does harm: a second host. */
		.fresh_connection =
			strcmp(method, "POST") == 0 && strcmp(path, "/api/v0/hosts") == 0,
	};
	char *url;
	int ret;

	saba_http_result_clear(r);
	if (h->cfg.dry_run) {
		saba_print_dry_run(method, path, body);
		r->dry_run = 1;
		r->status = 200;
		return 0;
	}
	if (deadline_ms > 0) {
		int64_t left = deadline_ms - saba_now_ms();

		if (left < req.timeout_ms)
			req.timeout_ms = (long)left;
		if (req.timeout_ms <= 0) {
			snprintf(r->error, sizeof(r->error), "deadline passed before the request");
			return -1;
		}
	}
	url = saba_asprintf("%s%s", h->origin, path);
	req.url = url;
	ret = saba_transport->perform(h->conn, &req, r);
	if (ret == 0)
		saba_debug("%s %s -> %ld", method, path, r->status);
	free(url);
	return ret;
}

const char *saba_http_version(void)
{
	const struct saba_http_transport *t = saba_transport_get();

	return t != NULL ? t->curl_version() : "unavailable (the HTTP transport did not load)";
}
