/* The sysv trigger's decision, as pure functions over what utmp said, plus
 * a small utmp reader, so both are unit-tested without a running init
 * (linked into the plugin and the test). */
#ifndef SABA_SYSV_CLASSIFY_H
#define SABA_SYSV_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

/* The newest RUN_LVL record of a utmp file. */
struct saba_sysv_record {
	int runlevel; /* the level init switched to: '0'..'6', 'S', ... */
	int previous; /* the level before it ('N' or 0: none) */
	int64_t time; /* when, epoch seconds */
};

/* Results of saba_sysv_read_utmp(). */
enum {
	SABA_SYSV_FOUND = 1,	   /* *rec holds the newest RUN_LVL record */
	SABA_SYSV_NONE = 0,	   /* a valid file without a RUN_LVL record */
	SABA_SYSV_UNREADABLE = -1, /* missing, unreadable or not a utmp file */
};

/*
 * Read path as an array of struct utmpx and return the newest RUN_LVL
 * record (the latest time; on a tie, the later one in the file).  A size
 * that is not a whole number of records is UNREADABLE: a torn or foreign
 * file is no evidence.  err (when not NULL) gets the reason for NONE and
 * UNREADABLE.
 */
int saba_sysv_read_utmp(const char *path, struct saba_sysv_record *rec, char *err, size_t errlen);

/*
 * Is the init script's restart marker at path there and fresh (modified
 * at most max_age seconds before now, and not in the future)?  1 or 0.
 */
int saba_sysv_marker_fresh(const char *path, int64_t now, int64_t max_age);

/*
 * Classify a stop of the agent (enum saba_stop_kind).  rec is NULL when
 * utmp had no usable record.  since: when the agent started (epoch s; 0:
 * do not check).  restart_marked: the init script's restart branch is
 * stopping us.  Fails safe: anything not clearly one case is UNKNOWN.
 *   - restart_marked                                   -> RESTART
 *   - no record                                        -> UNKNOWN
 *   - runlevel '0'                                     -> HALT
 *   - runlevel '6'                                     -> REBOOT
 *   - runlevel '1', 'S' or 's'                         -> SINGLE
 *     (these three only when the record is not older than since: a level
 *      change from before the agent started cannot be why it stops)
 *   - runlevel '2'..'5' (service stop, kill by hand)   -> STOP
 *   - anything else                                    -> UNKNOWN
 */
int saba_sysv_classify(const struct saba_sysv_record *rec, int64_t since, int restart_marked);

/*
 * The evidence behind a classification, for logs and the retire reason:
 * "utmp /var/run/utmp: runlevel 0 (previous 2) since 2024-05-01T10:00:00Z".
 * rec NULL: why (err).  Always NUL-terminates buf (when len > 0); returns buf.
 */
char *saba_sysv_evidence(const char *path, const struct saba_sysv_record *rec, const char *err,
			 int restart_marked, char *buf, size_t len);

#endif
