/* Metric names from device and interface names, as mackerel-agent
 * writes them. */
#ifndef SABA_METRICNAME_H
#define SABA_METRICNAME_H

#include <stddef.h>

/* "<prefix><raw with [^A-Za-z0-9_-] as _><suffix>" into buf, the way
 * mackerel-agent sanitises device and interface names.  SABA_OK, or
 * SABA_INVALID when it does not fit. */
int saba_metric_name(char *buf, size_t len, const char *prefix, const char *raw,
		     const char *suffix);

#endif
