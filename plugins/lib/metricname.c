/* Metric names; see metricname.h. */
#include <string.h>

#include <saba/plugin.h>

#include "metricname.h"

static int saba_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int saba_metric_name(char *buf, size_t len, const char *prefix, const char *raw, const char *suffix)
{
	size_t n = strlen(prefix), r = strlen(raw);

	if (n + r + strlen(suffix) + 1 > len)
		return SABA_INVALID;
	memcpy(buf, prefix, n);
	for (size_t i = 0; i < r; i++)
		buf[n + i] = saba_name_char(raw[i]) ? raw[i] : '_';
	strcpy(buf + n + r, suffix);
	return SABA_OK;
}
