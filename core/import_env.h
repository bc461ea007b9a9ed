/* mackerel-agent's service settings: the environment file its packaged
 * systemd unit and init script read (ROOT, OTHER_OPTS, AUTO_RETIREMENT,
 * ...), and the flags OTHER_OPTS passes to the agent. */
#ifndef SABA_IMPORT_ENV_H
#define SABA_IMPORT_ENV_H

#include "import_map.h"

/* The files the packages install (deb, then rpm). */
#define SABA_IMP_ENV_DEB "/etc/default/mackerel-agent"
#define SABA_IMP_ENV_RPM "/etc/sysconfig/mackerel-agent"

/* Read one environment file into m->svc (the TOML file conf is the one
 * being imported, for -conf in OTHER_OPTS).  A missing file is skipped
 * unless required.  0, or -1 after printing why it cannot be read. */
int saba_imp_env_read(struct saba_imp *m, const char *path, int required, const char *conf);

#endif
