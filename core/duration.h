/* mackerel-agent's durations (config/duration.go): a whole number of
 * minutes, written as an integer or as a Go duration string ("90m",
 * "1h30m"), never negative, at most 2^31-1 minutes. */
#ifndef SABA_DURATION_H
#define SABA_DURATION_H

#include <stddef.h>

/* Parse text as mackerel-agent does.  0 and *minutes, or -1 with the
 * reason in err. */
int saba_duration_minutes(const char *text, long long *minutes, char *err, size_t errlen);

#endif
