/* Pure decisions of the azure plugin; see classify.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <saba/plugin.h>

#include "classify.h"
#include "lib/cloud_text.h"

int saba_azure_vmid_ok(const char *vm_id)
{
	static const int dash[] = {8, 13, 18, 23};
	size_t d = 0;

	if (vm_id == NULL || strlen(vm_id) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (vm_id[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)vm_id[i])) {
			return 0;
		}
	}
	return 1;
}

int saba_azure_custom_identifier(const char *vm_id, char *buf, size_t len)
{
	int w;

	if (!saba_azure_vmid_ok(vm_id))
		return -1;
	w = snprintf(buf, len, "%s%s", vm_id, SABA_AZURE_CI_SUFFIX);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

int saba_azure_resource_id_ok(const char *id)
{
	/* ARM names: letters, digits and -_.() ; no "..", no empty segment */
	return saba_cloud_token_ok(id, 399,
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				   "-_.()/") &&
	       strncasecmp(id, "/subscriptions/", 15) == 0 && strstr(id, "..") == NULL &&
	       strstr(id, "//") == NULL && id[strlen(id) - 1] != '/';
}

int saba_azure_name_ok(const char *name)
{
	/* ARM VM names: letters, digits, "-" and "."; a scale set's instance
	 * adds "_<n>".  Anything else is not a name IMDS gives, and it would go
	 * into the log and a retire reason as it is. */
	return saba_cloud_token_ok(name, 79,
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				   "-_.");
}

const char *saba_azure_arm_endpoint(const char *environment)
{
	static const struct {
		const char *env, *url;
	} clouds[] = {
		{"AzureUSGovernmentCloud", "https://management.usgovcloudapi.net"},
		{"AzureChinaCloud", "https://management.chinacloudapi.cn"},
		{"AzureGermanCloud", "https://management.microsoftazure.de"},
	};

	for (size_t i = 0; environment != NULL && i < sizeof(clouds) / sizeof(clouds[0]); i++)
		if (strcasecmp(environment, clouds[i].env) == 0)
			return clouds[i].url;
	return "https://management.azure.com";
}

void saba_azure_token_resource(const char *arm_endpoint, const char *environment, char *buf,
			       size_t len)
{
	static const char *const known[] = {"AzurePublicCloud", "AzureUSGovernmentCloud",
					    "AzureChinaCloud", "AzureGermanCloud"};
	const char *url = saba_azure_arm_endpoint(environment);

	for (size_t i = 0; arm_endpoint != NULL && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(arm_endpoint, saba_azure_arm_endpoint(known[i])) == 0)
			url = arm_endpoint;
	snprintf(buf, len, "%s/", url);
}

int saba_azure_parse_compute(const char *body, size_t len, struct saba_azure_self *self, char *err,
			     size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	int rc = -1;

	memset(self, 0, sizeof(*self));
	if (!json_is_object(doc) ||
	    saba_cloud_json_copy(doc, "vmId", self->vm_id, sizeof(self->vm_id)) != 0 ||
	    saba_cloud_json_copy(doc, "name", self->name, sizeof(self->name)) != 0 ||
	    saba_cloud_json_copy(doc, "resourceId", self->resource_id, sizeof(self->resource_id)) !=
		    0 ||
	    saba_cloud_json_copy(doc, "subscriptionId", self->subscription,
				 sizeof(self->subscription)) != 0 ||
	    saba_cloud_json_copy(doc, "evictionPolicy", self->eviction, sizeof(self->eviction)) !=
		    0 ||
	    saba_cloud_json_copy(doc, "azEnvironment", self->environment,
				 sizeof(self->environment)) != 0) {
		snprintf(err, err_len, "IMDS compute: the answer is not a compute document");
		goto out;
	}
	if (!saba_azure_vmid_ok(self->vm_id) || !saba_azure_name_ok(self->name) ||
	    !saba_azure_resource_id_ok(self->resource_id)) {
		snprintf(err, err_len, "IMDS compute: no usable vmId, name or resourceId");
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* Does the Resources array name vm_name (ARM names ignore case)? */
static int saba_azure_names(json_t *resources, const char *vm_name)
{
	size_t i;
	json_t *r;

	json_array_foreach(resources, i, r)
	{
		const char *s = json_string_value(r);

		if (s != NULL && vm_name != NULL && *vm_name != '\0' && strcasecmp(s, vm_name) == 0)
			return 1;
	}
	return 0;
}

/* Classify one event into ev; -1 when it is malformed. */
static int saba_azure_event(json_t *e, const char *vm_name, const char *eviction,
			    struct saba_azure_event *ev)
{
	json_t *res = json_object_get(e, "Resources");
	char shown[80], status[32];

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(e) || saba_cloud_json_copy(e, "EventId", ev->id, sizeof(ev->id)) != 0 ||
	    ev->id[0] == '\0' ||
	    !saba_cloud_token_ok(
		    ev->id, sizeof(ev->id) - 1,
		    "ABCDEFabcdef0123456789-{}ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") ||
	    saba_cloud_json_copy(e, "EventType", ev->type, sizeof(ev->type)) != 0 ||
	    saba_cloud_json_copy(e, "EventStatus", ev->status, sizeof(ev->status)) != 0 ||
	    saba_cloud_json_copy(e, "NotBefore", ev->not_before, sizeof(ev->not_before)) != 0 ||
	    !json_is_array(res))
		return -1;
	ev->applies = saba_azure_names(res, vm_name);
	saba_cloud_printable(ev->status, status, sizeof(status));
	saba_cloud_printable(ev->type, shown, sizeof(shown));
	if (!ev->applies) {
		snprintf(ev->evidence, sizeof(ev->evidence),
			 "scheduled event %.40s (%s) is for other VMs", ev->id, shown);
	} else if (strcmp(ev->type, "Terminate") == 0) {
		ev->retire = 1;
		snprintf(ev->evidence, sizeof(ev->evidence),
			 "scheduled event %.40s: Terminate (%s) for this VM: it is scheduled to be "
			 "deleted",
			 ev->id, status);
	} else if (strcmp(ev->type, "Preempt") == 0 &&
		   strcmp(eviction != NULL ? eviction : "", "Delete") == 0) {
		ev->retire = 1;
		snprintf(ev->evidence, sizeof(ev->evidence),
			 "scheduled event %.40s: Preempt (%s) of this Spot VM, whose "
			 "evictionPolicy is "
			 "Delete",
			 ev->id, status);
	} else if (strcmp(ev->type, "Preempt") == 0) {
		saba_cloud_printable(eviction != NULL && *eviction ? eviction : "(none)", shown,
				     sizeof(shown));
		snprintf(ev->evidence, sizeof(ev->evidence),
			 "scheduled event %.40s: Preempt of this VM with evictionPolicy %.20s: "
			 "evicted, "
			 "not deleted",
			 ev->id, shown);
	} else {
		snprintf(ev->evidence, sizeof(ev->evidence),
			 "scheduled event %.40s: %s of this VM, not a deletion", ev->id, shown);
	}
	return 0;
}

int saba_azure_parse_events(const char *body, size_t len, const char *vm_name, const char *eviction,
			    long long *incarnation, saba_azure_event_fn fn, void *arg, char *err,
			    size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL, *events, *e;
	struct saba_azure_event *evs = NULL;
	size_t i, n = 0;
	int rc = -1;

	events = json_object_get(doc, "Events");
	if (!json_is_object(doc) || !json_is_integer(json_object_get(doc, "DocumentIncarnation")) ||
	    !json_is_array(events)) {
		snprintf(err, err_len, "Scheduled Events: the answer is not an events document");
		goto out;
	}
	*incarnation = json_integer_value(json_object_get(doc, "DocumentIncarnation"));
	/* All or nothing: every event is read before any is reported. */
	evs = calloc(json_array_size(events) + 1, sizeof(*evs));
	if (evs == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	json_array_foreach(events, i, e)
	{
		if (saba_azure_event(e, vm_name, eviction, &evs[n++]) != 0) {
			snprintf(err, err_len, "Scheduled Events: event %zu is malformed", i);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (fn != NULL && fn(arg, &evs[i]) != 0) {
			snprintf(err, err_len, "stopped by the caller");
			goto out;
		}
	}
	rc = 0;
out:
	free(evs);
	json_decref(doc);
	return rc;
}

char *saba_azure_ack_body(const char *const *ids, size_t n)
{
	json_t *list = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s}", "EventId", ids[i]));
	doc = json_pack("{s:o}", "StartRequests", list);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

int saba_azure_parse_vm(const char *body, size_t len, struct saba_azure_vm *vm, char *err,
			size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *props = json_object_get(doc, "properties"), *st, *s;
	size_t i;
	int rc = -1;

	memset(vm, 0, sizeof(*vm));
	st = json_object_get(json_object_get(props, "instanceView"), "statuses");
	if (!json_is_object(props) ||
	    saba_cloud_json_copy(props, "vmId", vm->vm_id, sizeof(vm->vm_id)) != 0 ||
	    saba_cloud_json_copy(props, "provisioningState", vm->provisioning,
				 sizeof(vm->provisioning)) != 0 ||
	    vm->provisioning[0] == '\0' || (st != NULL && !json_is_array(st))) {
		snprintf(err, err_len, "ARM: the answer is not a virtual machine");
		goto out;
	}
	json_array_foreach(st, i, s)
	{
		const char *code = saba_cloud_json_str(s, "code");

		if (code != NULL && strncmp(code, "PowerState/", 11) == 0)
			saba_cloud_printable(code, vm->power, sizeof(vm->power));
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int saba_azure_parse_vm_list(const char *body, size_t len, saba_azure_vm_fn fn, void *arg,
			     char **next, char *err, size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL, *value, *vm;
	json_t *link;
	size_t i;
	int rc = -1;

	*next = NULL;
	value = json_object_get(doc, "value");
	link = json_object_get(doc, "nextLink");
	if (!json_is_object(doc) || !json_is_array(value) ||
	    (link != NULL && !json_is_null(link) && !json_is_string(link))) {
		snprintf(err, err_len, "ARM: the answer is not a list of virtual machines");
		goto out;
	}
	if (json_is_string(link) && *json_string_value(link) != '\0' &&
	    (*next = strdup(json_string_value(link))) == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	json_array_foreach(value, i, vm)
	{
		json_t *props = json_object_get(vm, "properties");
		const char *id = saba_cloud_json_str(props, "vmId");
		const char *state = saba_cloud_json_str(props, "provisioningState");
		char lower[40];

		if (!saba_azure_vmid_ok(id) || state == NULL)
			continue;
		for (size_t k = 0; k < 37; k++)
			lower[k] = (char)tolower((unsigned char)id[k]);
		fn(arg, lower, state);
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int saba_azure_decide(const struct saba_azure_self *self, const struct saba_azure_seen *seen,
		      char *evidence, size_t len)
{
	const struct saba_azure_vm *vm = &seen->vm;
	char prov[40], power[48], other[48];

	if (seen->events_retire) {
		snprintf(evidence, len, "%s", seen->event);
		return SABA_CONFIRM_YES;
	}
	if (!seen->vm_ok) {
		snprintf(evidence, len, "ARM: cannot tell whether VM %s is being deleted: %s",
			 self->vm_id, seen->why[0] ? seen->why : "no answer");
		return SABA_CONFIRM_NO;
	}
	saba_cloud_printable(vm->provisioning, prov, sizeof(prov));
	saba_cloud_printable(vm->power[0] ? vm->power : "PowerState unknown", power, sizeof(power));
	if (strcasecmp(vm->vm_id, self->vm_id) != 0) {
		saba_cloud_printable(vm->vm_id[0] ? vm->vm_id : "(none)", other, sizeof(other));
		snprintf(evidence, len, "ARM: %s is another VM (vmId %s, not %s)",
			 self->resource_id, other, self->vm_id);
		return SABA_CONFIRM_NO;
	}
	if (strcasecmp(vm->provisioning, "Deleting") == 0) {
		snprintf(evidence, len, "ARM: VM %s (%s) is Deleting (%s)", self->vm_id, self->name,
			 power);
		return SABA_CONFIRM_YES;
	}
	snprintf(evidence, len, "ARM: VM %s (%s) is %s, %s: not being deleted", self->vm_id,
		 self->name, prov, power);
	return SABA_CONFIRM_NO;
}
