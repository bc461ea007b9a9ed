/*
 * The azure plugin's pure decisions (plugins/azure/classify.c) over tables:
 * only ARM's provisioningState Deleting for this very VM, a Terminate
 * event naming it, or a Preempt event naming a Spot VM whose eviction
 * policy is Delete, retires; a stop, a deallocation, a Reboot, Redeploy or
 * Freeze, an event for other VMs, an error or a malformed answer never does.
 */
#include <jansson.h>

#include <saba/plugin.h>

#include "azure/classify.h"
#include "unit.h"

/* a literal and its length */
#define S(text) text, strlen(text)

#define VMID "02aab8a4-74ef-476e-8182-f6d2ba4166a6"
#define RID                                                                                        \
	"/subscriptions/8d10da13-8125-4ba9-a717-bf7490507b3d/resourceGroups/rg/providers/"         \
	"Microsoft.Compute/virtualMachines/vm-1"

static void test_ids(void)
{
	char ci[96];

	CU_ASSERT(saba_azure_vmid_ok(VMID));
	CU_ASSERT(saba_azure_vmid_ok("02AAB8A4-74EF-476E-8182-F6D2BA4166A6"));
	CU_ASSERT(!saba_azure_vmid_ok("02aab8a4-74ef-476e-8182-f6d2ba4166a"));
	CU_ASSERT(!saba_azure_vmid_ok("02aab8a4-74ef-476e-8182-f6d2ba4166a6\n"));
	CU_ASSERT(!saba_azure_vmid_ok("02aab8a4x74ef-476e-8182-f6d2ba4166a6"));
	CU_ASSERT(!saba_azure_vmid_ok("g2aab8a4-74ef-476e-8182-f6d2ba4166a6"));
	CU_ASSERT(!saba_azure_vmid_ok(""));
	CU_ASSERT(!saba_azure_vmid_ok(NULL));
	CU_ASSERT_EQUAL(saba_azure_custom_identifier(VMID, ci, sizeof(ci)), 0);
	CU_ASSERT_STRING_EQUAL(ci, VMID ".virtual_machine.azure.microsoft.com");
	CU_ASSERT_EQUAL(saba_azure_custom_identifier("x", ci, sizeof(ci)), -1);
	CU_ASSERT_EQUAL(saba_azure_custom_identifier(VMID, ci, 40), -1);
}

static void test_compute(void)
{
	struct saba_azure_self s;
	char err[200];
	const char *doc = "{\"vmId\": \"" VMID "\", \"name\": \"vm-1\", \"resourceId\": \"" RID
			  "\", \"subscriptionId\": \"8d10da13-8125-4ba9-a717-bf7490507b3d\", "
			  "\"evictionPolicy\": \"Delete\", \"priority\": \"Spot\", "
			  "\"azEnvironment\": \"AzurePublicCloud\", \"tags\": \"\"}";

	CU_ASSERT_EQUAL(saba_azure_parse_compute(doc, strlen(doc), &s, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(s.vm_id, VMID);
	CU_ASSERT_STRING_EQUAL(s.name, "vm-1");
	CU_ASSERT_STRING_EQUAL(s.resource_id, RID);
	CU_ASSERT_STRING_EQUAL(s.eviction, "Delete");
	CU_ASSERT_EQUAL(saba_azure_parse_compute(S("{\"vmId\": \"" VMID "\", \"name\": \"vm\"}"),
						 &s, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_azure_parse_compute(S("{\"vmId\": 5, \"name\": \"vm\", "
						   "\"resourceId\": \"" RID "\"}"),
						 &s, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_azure_parse_compute(S("[]"), &s, err, sizeof(err)), -1);
	/* the name goes into the log and a retire reason: no escape codes */
	CU_ASSERT_EQUAL(
		saba_azure_parse_compute(S("{\"vmId\": \"" VMID "\", \"name\": "
					   "\"vm\\u001b[2K-1\", \"resourceId\": \"" RID "\"}"),
					 &s, err, sizeof(err)),
		-1);
	CU_ASSERT(saba_azure_name_ok("ss_3"));
	CU_ASSERT(saba_azure_name_ok("saba-vm.1"));
	CU_ASSERT(!saba_azure_name_ok(""));
	CU_ASSERT(!saba_azure_name_ok("vm 1"));
	CU_ASSERT(saba_azure_resource_id_ok(RID));
	CU_ASSERT(saba_azure_resource_id_ok("/subscriptions/s/resourceGroups/rg(1)/providers/"
					    "Microsoft.Compute/virtualMachineScaleSets/ss/"
					    "virtualMachines/3"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/s/../../x"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/s/rg?x=1"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/s/rg#x"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/s/r g"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/s/%2e%2e"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions//x"));
	CU_ASSERT(!saba_azure_resource_id_ok("/tenants/x"));
	CU_ASSERT(!saba_azure_resource_id_ok("/subscriptions/x/"));
	CU_ASSERT_STRING_EQUAL(saba_azure_arm_endpoint("AzurePublicCloud"),
			       "https://management.azure.com");
	CU_ASSERT_STRING_EQUAL(saba_azure_arm_endpoint("AZUREUSGOVERNMENTCLOUD"),
			       "https://management.usgovcloudapi.net");
	CU_ASSERT_STRING_EQUAL(saba_azure_arm_endpoint("AzureChinaCloud"),
			       "https://management.chinacloudapi.cn");
	CU_ASSERT_STRING_EQUAL(saba_azure_arm_endpoint(""), "https://management.azure.com");
	CU_ASSERT_STRING_EQUAL(saba_azure_arm_endpoint(NULL), "https://management.azure.com");
}

struct walk {
	int n, retire;
	char evidence[8][200];
};

static int on_event(void *arg, const struct saba_azure_event *ev)
{
	struct walk *w = arg;

	if (w->n < 8)
		snprintf(w->evidence[w->n], sizeof(w->evidence[0]), "%s", ev->evidence);
	w->n++;
	w->retire += ev->retire;
	return 0;
}

/* One event of type, for resources, through the parser. */
static int one_event(const char *type, const char *resources, const char *eviction, struct walk *w)
{
	char doc[512], err[200];
	long long inc = 0;

	snprintf(doc, sizeof(doc),
		 "{\"DocumentIncarnation\": 3, \"Events\": [{\"EventId\": "
		 "\"F020BA2E-3BC0-4C40-A10B-86575A9EABD5\", \"EventStatus\": \"Scheduled\", "
		 "\"EventType\": \"%s\", \"ResourceType\": \"VirtualMachine\", \"Resources\": "
		 "%s, \"NotBefore\": \"Mon, 19 Sep 2016 18:29:47 GMT\", \"Description\": \"x\", "
		 "\"EventSource\": \"Platform\", \"DurationInSeconds\": -1}]}",
		 type, resources);
	memset(w, 0, sizeof(*w));
	return saba_azure_parse_events(doc, strlen(doc), "vm-1", eviction, &inc, on_event, w, err,
				       sizeof(err));
}

static void test_events(void)
{
	static const struct {
		const char *type, *resources, *eviction;
		int retire;
		const char *evidence;
	} cases[] = {
		{"Terminate", "[\"vm-1\"]", "", 1, "scheduled to be deleted"},
		{"Terminate", "[\"other\", \"VM-1\"]", "", 1, "Terminate"},
		{"Terminate", "[\"other\"]", "", 0, "for other VMs"},
		{"Terminate", "[]", "", 0, "for other VMs"},
		{"Preempt", "[\"vm-1\"]", "Delete", 1, "evictionPolicy is Delete"},
		{"Preempt", "[\"vm-1\"]", "Deallocate", 0, "evictionPolicy Deallocate"},
		{"Preempt", "[\"vm-1\"]", "", 0, "evictionPolicy (none)"},
		{"Preempt", "[\"vm-1\"]", "delete", 0, "not deleted"},
		{"Preempt", "[\"other\"]", "Delete", 0, "for other VMs"},
		{"Reboot", "[\"vm-1\"]", "Delete", 0, "Reboot of this VM, not a deletion"},
		{"Redeploy", "[\"vm-1\"]", "", 0, "Redeploy"},
		{"Freeze", "[\"vm-1\"]", "", 0, "Freeze"},
		{"terminate", "[\"vm-1\"]", "", 0, "not a deletion"},
		{"Terminate", "[\"vm-1 \"]", "", 0, "for other VMs"},
		{"Terminate", "[5, \"vm-1\"]", "", 1, "Terminate"},
	};
	struct walk w;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(one_event(cases[i].type, cases[i].resources, cases[i].eviction, &w),
				0);
		CU_ASSERT_EQUAL(w.n, 1);
		UNIT_CHECK_CASE(i, w.retire, cases[i].retire, w.evidence[0], cases[i].evidence);
	}
	/* malformed: nothing reported */
	CU_ASSERT_EQUAL(one_event("Terminate", "\"vm-1\"", "", &w), -1);
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(one_event("Terminate\\u0000", "[\"vm-1\"]", "", &w), -1);
	CU_ASSERT_EQUAL(w.n, 0);
}

static void test_event_documents(void)
{
	const char *two = "{\"DocumentIncarnation\": 9, \"Events\": ["
			  "{\"EventId\": \"A\", \"EventType\": \"Freeze\", \"Resources\": "
			  "[\"vm-1\"]},"
			  "{\"EventId\": \"B\", \"EventType\": \"Terminate\", \"Resources\": "
			  "[\"vm-1\"], \"EventStatus\": \"Started\"}]}";
	struct walk w = {0};
	long long inc = 0;
	char err[200];

	CU_ASSERT_EQUAL(saba_azure_parse_events(two, strlen(two), "vm-1", "", &inc, on_event, &w,
						err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(inc, 9);
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT_EQUAL(w.retire, 1);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(saba_azure_parse_events(S("{\"DocumentIncarnation\": 1, \"Events\": []}"),
						"vm-1", "", &inc, on_event, &w, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(saba_azure_parse_events(S("{\"Events\": []}"), "vm-1", "", &inc, on_event,
						&w, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_azure_parse_events(S("{\"DocumentIncarnation\": \"1\", "
						  "\"Events\": []}"),
						"vm-1", "", &inc, on_event, &w, err, sizeof(err)),
			-1);
	/* the second event is broken: the first is not reported either */
	CU_ASSERT_EQUAL(saba_azure_parse_events(S("{\"DocumentIncarnation\": 1, \"Events\": ["
						  "{\"EventId\": \"A\", \"EventType\": "
						  "\"Terminate\", \"Resources\": [\"vm-1\"]}, "
						  "{\"EventId\": 7}]}"),
						"vm-1", "", &inc, on_event, &w, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(w.n, 0);
	/* an event id that could not be sent back */
	CU_ASSERT_EQUAL(saba_azure_parse_events(S("{\"DocumentIncarnation\": 1, \"Events\": ["
						  "{\"EventId\": \"a\\\"b\", \"EventType\": "
						  "\"Terminate\", \"Resources\": [\"vm-1\"]}]}"),
						"vm-1", "", &inc, on_event, &w, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(w.n, 0);
}

static void test_ack_body(void)
{
	const char *ids[] = {"A-1", "B-2"};
	char *body = saba_azure_ack_body(ids, 2);

	CU_ASSERT_STRING_EQUAL(body,
			       "{\"StartRequests\":[{\"EventId\":\"A-1\"},{\"EventId\":\"B-2\"}]}");
	free(body);
}

static void test_vm(void)
{
	struct saba_azure_vm vm;
	char err[200];
	const char *doc = "{\"name\": \"vm-1\", \"properties\": {\"vmId\": \"" VMID
			  "\", \"provisioningState\": \"Deleting\", \"instanceView\": "
			  "{\"statuses\": [{\"code\": \"ProvisioningState/deleting\"}, "
			  "{\"code\": \"PowerState/stopping\"}]}}}";

	CU_ASSERT_EQUAL(saba_azure_parse_vm(doc, strlen(doc), &vm, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(vm.vm_id, VMID);
	CU_ASSERT_STRING_EQUAL(vm.provisioning, "Deleting");
	CU_ASSERT_STRING_EQUAL(vm.power, "PowerState/stopping");
	CU_ASSERT_EQUAL(saba_azure_parse_vm(S("{\"properties\": {\"vmId\": \"x\"}}"), &vm, err,
					    sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_azure_parse_vm(S("{\"properties\": {\"provisioningState\": 1}}"), &vm,
					    err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_azure_parse_vm(S("{\"properties\": {\"provisioningState\": \"X\", "
					      "\"instanceView\": {\"statuses\": {}}}}"),
					    &vm, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(
		saba_azure_parse_vm(S("{\"error\": {\"code\": \"X\"}}"), &vm, err, sizeof(err)),
		-1);
}

static void test_decide(void)
{
	static const struct {
		int vm_ok;
		const char *vm_id, *provisioning, *power;
		int events, want;
		const char *evidence;
	} cases[] = {
		{1, VMID, "Deleting", "PowerState/stopping", 0, SABA_CONFIRM_YES, "is Deleting"},
		{1, "02AAB8A4-74EF-476E-8182-F6D2BA4166A6", "deleting", "", 0, SABA_CONFIRM_YES,
		 "Deleting"},
		{1, "11111111-74ef-476e-8182-f6d2ba4166a6", "Deleting", "", 0, SABA_CONFIRM_NO,
		 "another VM"},
		{1, "", "Deleting", "", 0, SABA_CONFIRM_NO, "another VM"},
		{1, VMID, "Succeeded", "PowerState/deallocating", 0, SABA_CONFIRM_NO,
		 "deallocating: not being deleted"},
		{1, VMID, "Succeeded", "PowerState/stopped", 0, SABA_CONFIRM_NO, "stopped"},
		{1, VMID, "Updating", "PowerState/deallocated", 0, SABA_CONFIRM_NO, "Updating"},
		{1, VMID, "Failed", "", 0, SABA_CONFIRM_NO, "PowerState unknown"},
		{1, VMID, "Succeeded", "PowerState/running", 0, SABA_CONFIRM_NO, "running"},
		{0, VMID, "Deleting", "", 0, SABA_CONFIRM_NO, "cannot tell"},
		{0, "", "", "", 1, SABA_CONFIRM_YES, "scheduled event"},
	};
	struct saba_azure_self self;

	memset(&self, 0, sizeof(self));
	snprintf(self.vm_id, sizeof(self.vm_id), "%s", VMID);
	snprintf(self.name, sizeof(self.name), "vm-1");
	snprintf(self.resource_id, sizeof(self.resource_id), "%s", RID);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct saba_azure_seen seen;
		char ev[512] = "";
		int got;

		memset(&seen, 0, sizeof(seen));
		seen.vm_ok = cases[i].vm_ok;
		snprintf(seen.vm.vm_id, sizeof(seen.vm.vm_id), "%s", cases[i].vm_id);
		snprintf(seen.vm.provisioning, sizeof(seen.vm.provisioning), "%s",
			 cases[i].provisioning);
		snprintf(seen.vm.power, sizeof(seen.vm.power), "%s", cases[i].power);
		seen.events_retire = cases[i].events;
		snprintf(seen.event, sizeof(seen.event), "scheduled event X: Terminate");
		got = saba_azure_decide(&self, &seen, ev, sizeof(ev));
		UNIT_CHECK_CASE(i, got, cases[i].want, ev, cases[i].evidence);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_ids),	  UNIT_TEST(test_compute),
	UNIT_TEST(test_events),	  UNIT_TEST(test_event_documents),
	UNIT_TEST(test_ack_body), UNIT_TEST(test_vm),
	UNIT_TEST(test_decide),
};

int main(void)
{
	return UNIT_RUN("azure_classify", tests);
}
