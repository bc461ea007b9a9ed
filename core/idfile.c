#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "idfile.h"
#include "log.h"
#include "trust.h"
#include "util.h"

#ifdef _WIN32
#include <windows.h>

#include <ntsecapi.h> /* RtlGenRandom, in advapi32 */
#else
#include <sys/random.h>
#endif

int saba_host_id_valid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return n > 0 && n <= SABA_HOST_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int saba_idfile_read(const char *root, char **id, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id", root);
	char *s = saba_read_file(path, 1024, NULL);
	int rc;

	*id = NULL;
	if (s == NULL) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			snprintf(err, errlen, "cannot read %s: %s", path,
				 saba_file_strerror(errno));
		goto out;
	}
	/* Like mackerel-agent: only trailing CR/LF are trimmed. */
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'); n--)
		s[n - 1] = '\0';
	if (*s == '\0') {
		free(s);
		rc = 1;
		goto out;
	}
	/* It becomes a path of every request: "h#x" would retire
	 * /api/v0/hosts/h, "h?x=" would poison every post. */
	if (!saba_host_id_valid(s)) {
		snprintf(err, errlen,
			 "%s holds \"%.64s\", which is not a Mackerel host id (letters, digits, _ "
			 "and - only); fix or remove it",
			 path, s);
		free(s);
		rc = -1;
		goto out;
	}
	*id = s;
	rc = 0;
out:
	free(path);
	return rc;
}

/* Atomic: a temp file beside <root>/name, fsync, rename, fsync the
 * directory; the old file stays intact on any failure.  The temp file is
 * ".id.XXXXXX" for both files (saba_idfile_clean_temps). */
static int saba_write_atomic(const char *root, const char *name, const char *data, char *err,
			     size_t errlen)
{
	char *path = saba_asprintf("%s/%s", root, name);
	int rc = -1;

	if (saba_mkdirs(root) != 0)
		snprintf(err, errlen, "cannot create %s: %s", root, strerror(errno));
	else
		rc = saba_atomic_write(path, "id", data, strlen(data), 0644, 1, err, errlen);
	free(path);
	return rc;
}

int saba_root_prepare(const char *root, int create, char *err, size_t errlen)
{
	struct stat st;
	char why[1024];

	if (create && saba_mkdirs(root) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", root, strerror(errno));
		return -1;
	}
	if (stat(root, &st) != 0 && errno == ENOENT)
		return 1;
	if (saba_trust_path(root, SABA_TRUST_DIR, why, sizeof(why)) != 0) {
		snprintf(err, errlen,
			 "refusing root %s: %s (whoever can write it can plant the host id, or "
			 "a FIFO as one)",
			 root, why);
		return -2;
	}
	return 0;
}

int saba_state_write(const char *dir, const char *name, const char *data, char *err, size_t errlen)
{
	return saba_write_atomic(dir, name, data, err, errlen);
}

int saba_idfile_write(const char *root, const char *id, char *err, size_t errlen)
{
	return saba_write_atomic(root, "id", id, err, errlen);
}

static int saba_remove(const char *root, const char *name, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/%s", root, name);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

int saba_idfile_remove(const char *root, char *err, size_t errlen)
{
	return saba_remove(root, "id", err, errlen);
}

/* nbytes from the system's CSPRNG, as 2 * nbytes hex digits. */
static int saba_random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];

	if (nbytes > sizeof(b))
		return -1;
#ifdef _WIN32
	if (!RtlGenRandom(b, (ULONG)nbytes))
		return -1;
#else
	for (size_t got = 0; got < nbytes;) {
		ssize_t n = getrandom(b + got, nbytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
#endif
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static const char *const saba_via_names[] = {"meta", "customIdentifier", "none", NULL};

/* The via of a record; records without one are older saba-agent's, whose
 * token was in meta.  -1 when unknown. */
static int saba_pending_via(json_t *j)
{
	json_t *via = json_object_get(j, "via");

	if (via == NULL)
		return SABA_VIA_META;
	for (int i = 0; json_is_string(via) && saba_via_names[i] != NULL; i++)
		if (strcmp(json_string_value(via), saba_via_names[i]) == 0)
			return i;
	return -1;
}

int saba_pending_read(const char *root, struct saba_pending *p, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id.pending", root);
	char *s = saba_read_file(path, 4096, NULL);
	json_t *j = NULL;
	json_error_t jerr;
	const char *token, *name, *ci;
	int rc = -1, via;

	memset(p, 0, sizeof(*p));
	if (s == NULL) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			snprintf(err, errlen, "cannot read %s: %s", path,
				 saba_file_strerror(errno));
		goto out;
	}
	j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
	token = json_string_value(json_object_get(j, "token"));
	name = json_string_value(json_object_get(j, "name"));
	ci = json_string_value(json_object_get(j, "customIdentifier"));
	via = saba_pending_via(j);
	if (token == NULL || name == NULL || *name == '\0' || strlen(token) != 32 ||
	    strspn(token, "0123456789abcdef") != 32 ||
	    !json_is_integer(json_object_get(j, "since")) || via < 0 ||
	    (via == SABA_VIA_CUSTOM_IDENTIFIER && (ci == NULL || *ci == '\0'))) {
		snprintf(err, errlen,
			 "%s is not a registration record of saba-agent (%s); the run that wrote "
			 "it may have created a host for this machine. Look for that host on "
			 "Mackerel before removing the file.",
			 path,
			 j == NULL ? jerr.text
				   : "token, name, since, via or customIdentifier wrong");
		goto out;
	}
	memcpy(p->token, token, sizeof(p->token));
	p->name = saba_strdup(name);
	p->via = via;
	p->ci = via == SABA_VIA_CUSTOM_IDENTIFIER ? saba_strdup(ci) : NULL;
	p->since_ms = json_integer_value(json_object_get(j, "since"));
	rc = 0;
out:
	json_decref(j);
	free(s);
	free(path);
	return rc;
}

int saba_pending_new(struct saba_pending *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (saba_random_hex(p->token, 16) != 0) {
		snprintf(err, errlen, "no random bytes for the registration token: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int saba_pending_save(const char *root, struct saba_pending *p, const char *name, char *err,
		      size_t errlen)
{
	json_t *j;
	char *data = NULL;
	int rc = -1;

	if (p->name == NULL || strcmp(p->name, name) != 0) {
		free(p->name);
		p->name = saba_strdup(name);
	}
	p->since_ms = saba_wall_ms();
	j = json_pack("{s:s,s:s,s:I,s:s}", "token", p->token, "name", name, "since",
		      (json_int_t)p->since_ms, "via", saba_via_names[p->via]);
	if (j != NULL && p->via == SABA_VIA_CUSTOM_IDENTIFIER)
		json_object_set_new(j, "customIdentifier", json_string(p->ci));
	data = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	if (data == NULL) {
		snprintf(err, errlen, "cannot encode the registration record");
		goto out;
	}
	rc = saba_write_atomic(root, "id.pending", data, err, errlen);
out:
	free(data);
	json_decref(j);
	return rc;
}

int saba_pending_remove(const char *root, char *err, size_t errlen)
{
	return saba_remove(root, "id.pending", err, errlen);
}

void saba_pending_clear(struct saba_pending *p)
{
	free(p->name);
	free(p->ci);
	memset(p, 0, sizeof(*p));
}

void saba_idfile_clean_temps(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;

		/* only the mkstemp names: ".id." and six characters */
		if (strncmp(e->d_name, ".id.", 4) != 0 || strlen(e->d_name) != 10)
			continue;
		path = saba_asprintf("%s/%s", root, e->d_name);
		if (unlink(path) == 0)
			saba_info("removed %s, left by a run that was killed while writing the id",
				  path);
		free(path);
	}
	closedir(d);
}
