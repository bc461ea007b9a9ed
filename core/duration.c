#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

#define SABA_NS_PER_SECOND 1000000000ULL
#define SABA_NS_PER_MINUTE (60ULL * SABA_NS_PER_SECOND)
#define SABA_INT32_MAX	   2147483647LL

/* strconv.ParseInt(s, 10, 32): an optional sign and decimal digits only. */
static int saba_parse_int32(const char *s, long long *out, int *range)
{
	const char *p = s + (*s == '+' || *s == '-');
	long long v = 0;

	*range = 0;
	if (*p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v <= SABA_INT32_MAX + 1)
			v = v * 10 + (*p - '0');
	}
	if (*s == '-')
		v = -v;
	if (v > SABA_INT32_MAX || v < -SABA_INT32_MAX - 1) {
		*range = 1;
		return -1;
	}
	*out = v;
	return 0;
}

/* Nanoseconds per unit of time.ParseDuration, or 0. */
static uint64_t saba_unit(const char *u, size_t n)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{"ns", 1ULL},
		{"us", 1000ULL},
		{"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
		{"\xce\xbcs", 1000ULL}, /* U+03BC Greek mu */
		{"ms", 1000000ULL},
		{"s", 1000000000ULL},
		{"m", 60ULL * 1000000000ULL},
		{"h", 3600ULL * 1000000000ULL},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].ns;
	return 0;
}

/* time.ParseDuration, to nanoseconds (as Go: at most 2^63-1). */
static int saba_go_duration(const char *s, int64_t *out)
{
	const char *p = s;
	uint64_t d = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		uint64_t v = 0, f = 0, scale = 1, unit;
		int pre = 0, post = 0;
		const char *u;

		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, pre = 1) {
			if (v > (UINT64_C(1) << 63) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > (UINT64_C(1) << 63))
				return -1;
		}
		if (*p == '.') {
			int overflow = 0;

			for (p++; *p >= '0' && *p <= '9'; p++, post = 1) {
				if (overflow)
					continue;
				if (f > (UINT64_C(1) << 63) / 10) {
					overflow = 1; /* drop the digits Go would drop */
					continue;
				}
				f = f * 10 + (uint64_t)(*p - '0');
				scale *= 10;
				if (f > (UINT64_C(1) << 63)) /* unreachable: Go's bound */
					return -1;
			}
		}
		if (!pre && !post)
			return -1;
		for (u = p; *p != '\0' && *p != '.' && !(*p >= '0' && *p <= '9'); p++)
			;
		if (p == u || (unit = saba_unit(u, (size_t)(p - u))) == 0)
			return -1;
		if (v > (UINT64_C(1) << 63) / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / (double)scale));
			if (v > (UINT64_C(1) << 63))
				return -1;
		}
		d += v;
		if (d > (UINT64_C(1) << 63))
			return -1;
	}
	if (neg) {
		*out = -(int64_t)(d - 1) - 1;
		return 0;
	}
	if (d > (UINT64_C(1) << 63) - 1)
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* text as a whole number of units of ns nanoseconds ("1m", "1s"); every
 * refusal ends with what is accepted. */
static int saba_duration_in(const char *text, uint64_t unit_ns, const char *unit, const char *what,
			    const char *example, long long *out, char *err, size_t errlen)
{
	char why[96];
	long long i;
	int64_t ns;
	int range;

	if (saba_parse_int32(text, &i, &range) == 0) {
		if (i >= 0) {
			*out = i;
			return 0;
		}
		snprintf(why, sizeof(why), "duration out of range: %lld", i);
	} else if (saba_go_duration(text, &ns) != 0) {
		snprintf(why, sizeof(why),
			 range ? "\"%.40s\" is out of range"
			       : "\"%.40s\" is neither an integer nor a duration",
			 text);
	} else if (ns < 0 || (uint64_t)ns / unit_ns > (uint64_t)SABA_INT32_MAX) {
		snprintf(why, sizeof(why), "duration out of range: %.40s", text);
	} else if ((uint64_t)ns % unit_ns != 0) {
		snprintf(why, sizeof(why), "duration not multiple of %s: %.40s", unit, text);
	} else {
		*out = (long long)((uint64_t)ns / unit_ns);
		return 0;
	}
	snprintf(err, errlen,
		 "%s (allowed: an integer of %s or a duration of whole %s such as \"%s\", "
		 "0 to %lld)",
		 why, what, what, example, SABA_INT32_MAX);
	return -1;
}

int saba_duration_minutes(const char *text, long long *minutes, char *err, size_t errlen)
{
	return saba_duration_in(text, SABA_NS_PER_MINUTE, "1m", "minutes", "1h30m", minutes, err,
				errlen);
}

int saba_duration_seconds(const char *text, long long *seconds, char *err, size_t errlen)
{
	return saba_duration_in(text, SABA_NS_PER_SECOND, "1s", "seconds", "1m30s", seconds, err,
				errlen);
}
