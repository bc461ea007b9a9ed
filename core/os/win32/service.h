/* Windows: `saba-agent service install|uninstall` registers this
 * executable as the auto-start service "saba-agent" (own process,
 * LocalSystem, after RPCSS and Tcpip), started as
 *   "<exe>" run --service -c "<config>" --log-file "<log>"
 * The windows_scm plugin is what runs under it. */
#ifndef SABA_SERVICE_WIN_H
#define SABA_SERVICE_WIN_H

#include "commands.h"

#define SABA_SERVICE_NAME L"saba-agent"

/* action: "install" or "uninstall"; log_file: --log-file or NULL (then
 * saba-agent.log beside the executable).  Returns the exit status. */
int saba_cmd_service(const struct saba_options *o, const char *action, const char *log_file);

#endif
