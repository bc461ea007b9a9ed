/* The azure plugin and Azure Resource Manager: the VM itself, with the
 * token of the VM's managed identity from IMDS.  Needs
 * Microsoft.Compute/virtualMachines/read on the VM (or
 * .../virtualMachineScaleSets/virtualMachines/read for a scale set's VM);
 * see azure.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure.h"
#include "cloud_text.h"

int saba_azure_get_vm(struct saba_azure *a, const struct saba_azure_self *self, int64_t deadline_ms,
		      struct saba_azure_vm *vm, char *err, size_t err_len)
{
	static const char *const headers[] = {"Accept: application/json", NULL};
	struct saba_cloud_response rs;
	struct saba_cloud_token *token;
	char url[1024], why[256] = "", *arm;
	struct saba_cloud_request rq = {
		.url = url,
		.headers = headers,
		.timeout_ms = a->c.api_timeout_ms,
		.abort = &a->c.aborted,
	};
	long status;
	int rc = -1;

	pthread_mutex_lock(&a->c.lock);
	arm = a->arm;
	token = a->token;
	pthread_mutex_unlock(&a->c.lock);
	if (arm == NULL || token == NULL) {
		snprintf(err, err_len, "the VM's details are unknown");
		return -1;
	}
	snprintf(url, sizeof(url),
		 "%s%s?api-version=" SABA_AZURE_ARM_VERSION "&$expand=instanceView", arm,
		 self->resource_id);
	status = saba_cloud_api(token, &rq, deadline_ms, &rs, &a->requests, why, sizeof(why));
	if (status >= 0 && status != 200)
		saba_cloud_api_error(status, rs.body.data, rs.body.len, "code", why, sizeof(why));
	if (status != 200)
		snprintf(err, err_len, "ARM GET %s: %s", self->resource_id, why);
	else
		rc = saba_azure_parse_vm(rs.body.data, rs.body.len, vm, err, err_len);
	free(rs.body.data);
	return rc;
}
