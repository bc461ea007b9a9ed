/* The host id file <root>/id, in mackerel-agent's format: the bare id, no
 * newline; trailing CR/LF trimmed on read; empty means absent. */
#ifndef SABA_IDFILE_H
#define SABA_IDFILE_H

#include <stddef.h>
#include <stdint.h>

/* A Mackerel host id: letters, digits, _ and -, as the API makes them; the
 * same rule for the id file and for ids in API answers, since each becomes
 * a path of later requests. */
#define SABA_HOST_ID_MAX 128
int saba_host_id_valid(const char *id);

/* 0 and *id (malloc'd) when present; 1 when absent or empty; -1 on a read
 * error or an id that is not one (message in err). */
int saba_idfile_read(const char *root, char **id, char *err, size_t errlen);
/* The root directory before the agent relies on it: made (mkdir -p) when
 * create is set, then checked like the config (trust.c): only root or the
 * agent may write it or a directory above it.  0; 1 when it does not exist
 * (create 0); with why in err, -1 when it cannot be made (a disk error: a
 * later start may succeed), -2 when it is refused (the setup must change). */
int saba_root_prepare(const char *root, int create, char *err, size_t errlen);

/* Atomic: temp file in root, fsync, rename, fsync the directory.  The old
 * file stays intact on any failure.  0 or -1 (message in err). */
int saba_idfile_write(const char *root, const char *id, char *err, size_t errlen);
/* Any other file of the agent's state, written the same way into dir
 * (created when missing). */
int saba_state_write(const char *dir, const char *name, const char *data, char *err, size_t errlen);
/* 0 (removed or already absent) or -1 (message in err). */
int saba_idfile_remove(const char *root, char *err, size_t errlen);
/* Removes the temp files of writes a kill interrupted. */
void saba_idfile_clean_temps(const char *root);

/* A registration in flight, <root>/id.pending: written before each POST
 * that creates the host, and removed once the id file holds the id.  It
 * says where that POST carried the random token, so a host created by a
 * POST whose answer was lost (kill -9, timeout, reset) is found again
 * instead of created twice. */
enum saba_pending_via {
	SABA_VIA_META = 0,	    /* meta.saba-registration; found by name (older records) */
	SABA_VIA_CUSTOM_IDENTIFIER, /* customIdentifier ci: found by it */
	SABA_VIA_NONE,		    /* nowhere: nothing to look for */
};

struct saba_pending {
	char token[33];	  /* 32 hex digits */
	char *name;	  /* the host name the POST used */
	int64_t since_ms; /* wall clock of the latest POST with this token */
	int via;	  /* enum saba_pending_via */
	char *ci;	  /* the POST's customIdentifier (SABA_VIA_CUSTOM_IDENTIFIER) */
};

/* Like saba_idfile_read: 0 (p filled), 1 absent, -1 (message in err). */
int saba_pending_read(const char *root, struct saba_pending *p, char *err, size_t errlen);
/* A fresh token (p->name NULL); 0 or -1 (message in err). */
int saba_pending_new(struct saba_pending *p, char *err, size_t errlen);
/* Before each POST: name and now into p, then p (with its via and ci)
 * written atomically; 0 or -1 (message in err). */
int saba_pending_save(const char *root, struct saba_pending *p, const char *name, char *err,
		      size_t errlen);
int saba_pending_remove(const char *root, char *err, size_t errlen);
void saba_pending_clear(struct saba_pending *p);

#endif
