/* Cloud identity by default, as mackerel-agent's cloud_platform = "auto":
 * when the config names no cloud plugin, the core adds an instance of each
 * cloud identity plugin installed (ec2, gce, azure), set to identity only
 * (no termination poller, no retire confirmation, and no metadata-service
 * request unless DMI says this machine is on that cloud).  The top-level
 * cloud_platform setting picks one cloud, or "none". */
#ifndef SABA_CLOUD_H
#define SABA_CLOUD_H

#include <libconfig.h>

struct saba_conf;

/* Add the default cloud instances to c (its plugin_dir final); setting is
 * the top-level cloud_platform (NULL when absent).  Returns the number of
 * problems printed (FILE:LINE). */
int saba_cloud_defaults(struct saba_conf *c, config_setting_t *setting);

#endif
