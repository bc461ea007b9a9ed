/* mackerel-agent's durations (config/duration.go): a whole number of
 * minutes, written as an integer or as a Go duration string ("90m",
 * "1h30m"), never negative, at most 2^31-1 minutes; and the same rules for
 * a whole number of seconds ("30", "30s", "2m"). */
#ifndef SABA_DURATION_H
#define SABA_DURATION_H

#include <stddef.h>

/* Parse text as mackerel-agent does.  0 and *minutes, or -1 with the
 * reason in err. */
int saba_duration_minutes(const char *text, long long *minutes, char *err, size_t errlen);
/* The same in seconds: an integer is seconds, a duration a multiple of 1s. */
int saba_duration_seconds(const char *text, long long *seconds, char *err, size_t errlen);

#endif
