/* The azure plugin and Azure Resource Manager: the VM itself, and (for
 * the sweeper) a subscription's VMs, with the token of the VM's managed
 * identity from IMDS.  Needs Microsoft.Compute/virtualMachines/read on the
 * VM (.../virtualMachineScaleSets/virtualMachines/read for a scale set's
 * VM), and on every swept subscription; see azure.h. */
#define _GNU_SOURCE /* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "azure.h"
#include "lib/clock.h"
#include "lib/cloud_text.h"

#define SABA_AZURE_MAX_PAGES 1000 /* per list: a nextLink loop ends */

int saba_azure_arm_ready(struct saba_azure *a, const char *environment)
{
	char resource[128], url[512], *esc;

	if (a->arm != NULL)
		return 0;
	a->arm = strdup(a->c.api_endpoint != NULL ? a->c.api_endpoint
						  : saba_azure_arm_endpoint(environment));
	if (a->arm == NULL)
		return -1;
	saba_azure_token_resource(a->arm, environment, resource, sizeof(resource));
	if ((esc = curl_easy_escape(NULL, resource, 0)) == NULL)
		return -1;
	snprintf(url, sizeof(url),
		 "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s",
		 a->c.md_endpoint, esc);
	curl_free(esc);
	a->token = saba_cloud_token_new(url, "Metadata: true", a->c.md_timeout_ms, &a->c.aborted);
	return a->token != NULL ? 0 : -1;
}

/* GET url (under the ARM endpoint) with the token; err as the log says it. */
static long saba_azure_arm_get(struct saba_azure *a, const char *url, int64_t deadline_ms,
			       struct saba_cloud_response *rs, char *err, size_t err_len)
{
	static const char *const headers[] = {"Accept: application/json", NULL};
	struct saba_cloud_request rq = {
		.url = url,
		.headers = headers,
		.timeout_ms = a->c.api_timeout_ms,
		.max_body = 16 * 1024 * 1024,
		.abort = &a->c.aborted,
		.error_key = "code",
	};
	struct saba_cloud_token *token;
	long status;

	pthread_mutex_lock(&a->c.lock);
	token = a->token;
	pthread_mutex_unlock(&a->c.lock);
	status = saba_cloud_api(token, &rq, deadline_ms, rs, &a->requests, err, err_len);
	return status;
}

int saba_azure_get_vm(struct saba_azure *a, const struct saba_azure_self *self, int64_t deadline_ms,
		      struct saba_azure_vm *vm, char *err, size_t err_len)
{
	struct saba_cloud_response rs;
	char url[1024], why[256] = "";
	int rc = -1;

	pthread_mutex_lock(&a->c.lock);
	snprintf(url, sizeof(url),
		 "%s%s?api-version=" SABA_AZURE_ARM_VERSION "&$expand=instanceView", a->arm,
		 self->resource_id);
	pthread_mutex_unlock(&a->c.lock);
	if (saba_azure_arm_get(a, url, deadline_ms, &rs, why, sizeof(why)) != 200)
		snprintf(err, err_len, "ARM GET %s: %s", self->resource_id, why);
	else
		rc = saba_azure_parse_vm(rs.body.data, rs.body.len, vm, err, err_len);
	free(rs.body.data);
	return rc;
}

int saba_azure_list_vms(struct saba_azure *a, const char *subscription, saba_azure_vm_fn fn,
			void *arg, char *err, size_t err_len)
{
	char *url = NULL, *next = NULL, why[256] = "", arm[256];
	size_t arm_len;
	int rc = -1;

	pthread_mutex_lock(&a->c.lock);
	if (saba_azure_arm_ready(a, NULL) == 0)
		snprintf(arm, sizeof(arm), "%s", a->arm);
	else
		arm[0] = '\0';
	pthread_mutex_unlock(&a->c.lock);
	if (arm[0] == '\0') {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	arm_len = strlen(arm);
	if (asprintf(&url,
		     "%s/subscriptions/%s/providers/Microsoft.Compute/"
		     "virtualMachines?api-version=" SABA_AZURE_ARM_VERSION,
		     arm, subscription) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (int page = 0;; page++) {
		struct saba_cloud_response rs;
		int64_t deadline = saba_clock_ms() + 2 * a->c.api_timeout_ms + 1000;

		if (page == SABA_AZURE_MAX_PAGES) {
			snprintf(err, err_len, "ARM: more than %d pages", SABA_AZURE_MAX_PAGES);
			break;
		}
		if (saba_azure_arm_get(a, url, deadline, &rs, why, sizeof(why)) != 200) {
			snprintf(err, err_len, "ARM list of %s: %s", subscription, why);
			free(rs.body.data);
			break;
		}
		rc = saba_azure_parse_vm_list(rs.body.data, rs.body.len, fn, arg, &next, err,
					      err_len);
		free(rs.body.data);
		if (rc != 0 || next == NULL)
			break;
		rc = -1;
		/* the token goes only where the first request went */
		if (strncmp(next, arm, arm_len) != 0 || next[arm_len] != '/' ||
		    strcmp(next, url) == 0) {
			snprintf(err, err_len, "ARM: a nextLink away from %s, or the same twice",
				 arm);
			break;
		}
		free(url);
		url = next;
		next = NULL;
	}
	free(next);
	free(url);
	return rc;
}
