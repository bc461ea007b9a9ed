/* The host spec: the body of POST /api/v0/hosts and PUT /api/v0/hosts/<id>,
 * with mackerel-agent's exact keys.  The core fills name, displayName,
 * roleFullnames, checks, meta.agent-*, meta.kernel and interfaces; plugins
 * add the rest (meta.memory, meta.cpu, customIdentifier, meta.cloud...). */
#ifndef SABA_SPEC_H
#define SABA_SPEC_H

#include <jansson.h>

#include "conf.h"
#include "instance.h"

/* A new spec object.  set may be NULL (no plugin contributions). */
json_t *saba_spec_build(const struct saba_conf *conf, struct saba_instances *set);

/* The interfaces array (loopback-only and address-less ones skipped). */
json_t *saba_spec_interfaces(void);
/* meta.kernel from uname(2) and os-release (Windows: the registry's
 * CurrentVersion key; the path is not used). */
json_t *saba_spec_kernel(const char *os_release_path);
/* The host name ("localhost" when unknown), NUL-terminated in buf. */
void saba_spec_hostname(char *buf, size_t len);

#endif
