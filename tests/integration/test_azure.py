#!/usr/bin/env python3
"""The azure plugin in the real agent, against the fake IMDS and Azure
Resource Manager (tests/plugins/azure/fakeazure.py) and the fake Mackerel
API, all on 127.0.0.1:

- identity: customIdentifier and meta.cloud as mackerel-agent sends them,
  adoption of an existing host, detection (DMI, IMDS), the Metadata header
  on every IMDS request;
- Scheduled Events: Terminate, and Preempt with evictionPolicy Delete,
  naming this VM retire exactly once and are approved afterwards; Reboot,
  Redeploy, Freeze, a Preempt that deallocates, events for other VMs never;
- confirmation of an OS poweroff: provisioningState Deleting retires once;
  a stop, a deallocation and every error (no identity, no permission, 5xx,
  a hang) never do;
- the fleet sweeper's matrix.
"""

import os
import sys

import harness
from cloudcase import FrameCase, PoweroffTests, SweeperTests
from harness import free_port, scaled

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "plugins", "azure"))

from fakeazure import (CI, NETWORK_TEXT, READ, SUBSCRIPTION, VM_ID,  # noqa: E402
                       COMPUTE_TEXT, FakeAzure)

META = {"location": COMPUTE_TEXT["location"], "imageReferenceOffer": COMPUTE_TEXT["offer"],
        "osSystemType": COMPUTE_TEXT["osType"],
        "imageReferencePublisher": COMPUTE_TEXT["publisher"],
        "imageReferenceSku": COMPUTE_TEXT["sku"], "vmID": VM_ID,
        "virtualMachineSizeType": COMPUTE_TEXT["vmSize"],
        "privateIpAddress": NETWORK_TEXT["privateIpAddress"],
        "publicIpAddress": NETWORK_TEXT["publicIpAddress"]}
OTHER_SUB = "11111111-2222-3333-4444-555555555555"


class AzureCase(FrameCase):
    PLUGIN, PLATFORM = "azure", "azurevm"
    ENV_PREFIXES = ("AZURE_", "MSI_", "IDENTITY_")
    FAKE = FakeAzure
    MD_ENDPOINT, API_ENDPOINT = "imds", "arm"
    SCOPES_KEY, SCOPES = "sweep_subscriptions", (SUBSCRIPTION, OTHER_SUB)

    def setUp(self):
        super().setUp()
        self.az = self.fake

    def assertImdsRulesKept(self):
        c = self.az.counts("imds")
        for bad in ("no_header", "forwarded", "duplicate", "bad_version", "no_format"):
            self.assertEqual(c.get(bad, 0), 0, (bad, self.az.requests("imds")))
        self.assertEqual(self.az.counts("arm").get("no_token", 0), 0)


# ---------------------------------------------------------------- identity
class Identity(AzureCase):

    def test_custom_identifier_and_cloud_meta(self):
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        for route in ("create_host", "update_host"):
            spec = self.spec_of(route)
            self.assertEqual(spec.get("customIdentifier"), CI, route)
            self.assertEqual(spec["meta"].get("cloud"), {"provider": "AzureVM",
                                                         "metadata": META})
        self.assertImdsRulesKept()
        self.stop_agent(a)

    def test_missing_items_are_left_out(self):
        del self.az.network["publicIpAddress"]
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        md = self.spec_of("create_host")["meta"]["cloud"]["metadata"]
        self.assertNotIn("publicIpAddress", md)
        self.assertEqual(md["privateIpAddress"], NETWORK_TEXT["privateIpAddress"])
        self.stop_agent(a)

    def test_adopts_the_host_with_its_custom_identifier(self):
        existing = self.api.add_host(name="created-before", custom_identifier=CI)
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.assertEqual(self.wait_registered(a), existing)
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.stop_agent(a)

    def test_imds_down_registers_without_identity(self):
        a = self.start_cloud_agent(settings={
            "metadata_endpoint": "http://127.0.0.1:%d" % free_port(), "poll_interval": 0})
        self.wait_registered(a, timeout=20)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertRegex(a.stderr(), r"no Azure identity")
        self.stop_agent(a)

    def sysfs(self, **files):
        d = os.path.join(self.tmp, "sys", "devices/virtual/dmi/id")
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text + "\n")
        return os.path.join(self.tmp, "sys")

    def test_auto_detection(self):
        asset = {"chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77"}
        hyperv = {"sys_vendor": "Microsoft Corporation"}
        cases = [(asset, None, True),
                 ({"sys_vendor": "Amazon EC2"}, None, False),
                 (hyperv, None, True),     # IMDS decides: it answers vmId
                 (hyperv, 404, False)]     # IMDS decides: not an Azure IMDS
        for files, vm_id_status, azure in cases:
            with self.subTest(files=files, vm_id_status=vm_id_status):
                self.fresh_host()
                n = len(self.az.requests())
                if vm_id_status is not None:
                    self.az.set_fault("imds", "text", "status", status=vm_id_status,
                                      body="Not Found")
                a = self.start_cloud_agent(settings={"cloud_platform": "auto",
                                                     "poll_interval": 0,
                                                     "sysfs": self.sysfs(**files)})
                self.wait_registered(a)
                spec = self.spec_of("update_host")
                if azure:
                    self.assertEqual(spec.get("customIdentifier"), CI)
                else:
                    self.assertNoCloudIdentifier(spec)
                if files.get("sys_vendor") == "Amazon EC2":
                    self.assertEqual(len(self.az.requests()), n, "DMI said no: no IMDS")
                self.stop_agent(a)
                self.az.clear_faults()

    def test_bad_settings_are_config_errors(self):
        self.bad_settings(
            [({"cloud_platform": "gce"}, "cloud_platform"),
             ({"cloud_platform": "azure"}, "cloud_platform"),
             ({"poll_interval": 3601}, "poll_interval"),
             ({"metadata_endpoint": "169.254.169.254"}, "metadata_endpoint"),
             ({"api_endpoint": "management.azure.com"}, "api_endpoint"),
             ({"sweep_subscriptions": ["not-a-subscription"]}, "sweep_subscriptions"),
             ({"sweep": True, "cloud_platform": "none"}, "sweep_subscriptions"),
             ({"acknowledge": 1}, "acknowledge"),
             ({"no_such_key": 1}, "no_such_key")],
            {"sweep": True, "cloud_platform": "none", "sweep_subscriptions": [SUBSCRIPTION],
             "acknowledge": False})
        self.assertEqual(self.az.requests(), [], "configtest must not ask anything")


# ---------------------------------------------------------------- Scheduled Events
class ScheduledEvents(AzureCase):

    def wait_polls(self, n, agent):
        base = len(self.az.answered("imds", "events"))
        ok = self.az.wait_for(lambda: len(self.az.answered("imds", "events")) >= base + n,
                              scaled(n * 2 + 5))
        self.assertTrue(ok, "no Scheduled Events polls; stderr:\n" + agent.stderr()[-3000:])

    def test_terminate_retires_once_then_approves(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.wait_polls(1, a)
        eid = self.az.add_event("Terminate")
        self.wait_retired(host_id, a)
        # approved, and only after the retire call
        self.assertTrue(self.az.wait_for(lambda: self.az.approved, scaled(5)))
        self.assertEqual(self.az.approved, [eid])
        ack = self.az.requests("imds", "events", method="POST")[0]
        self.assertLess(self.api.requests(route="retire_host")[0].time, ack.time)
        self.assertEqual(ack.header("Content-Type"), "application/json")
        self.assertRegex(a.stderr(), r"Terminate \(Scheduled\) for this VM")
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertImdsRulesKept()

    def test_preempt_of_a_spot_vm_deleted_on_eviction_retires(self):
        self.az.compute.update({"priority": "Spot", "evictionPolicy": "Delete"})
        a = self.start_cloud_agent(settings={"acknowledge": False})
        host_id = self.wait_registered(a)
        self.az.add_event("Preempt")
        self.wait_retired(host_id, a)
        self.stop_agent(a)
        self.assertEqual(self.az.approved, [], "acknowledge = false approves nothing")

    def test_events_that_never_retire(self):
        self.az.compute.update({"priority": "Spot", "evictionPolicy": "Deallocate"})
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        for kind, resources in (("Reboot", ["saba-vm-1"]), ("Redeploy", ["saba-vm-1"]),
                                ("Freeze", ["saba-vm-1"]), ("Preempt", ["saba-vm-1"]),
                                ("Terminate", ["another-vm"]), ("Terminate", [])):
            with self.subTest(kind=kind, resources=resources):
                self.az.clear_events()
                self.az.add_event(kind, resources=resources)
                self.wait_polls(2, a)
                self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"evictionPolicy Deallocate: evicted, not deleted")
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)
        self.assertEqual(self.az.approved, [])

    def test_imds_errors_never_retire(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.az.add_event("Terminate")
        for mode, kw in (("status", {"status": 500, "body": "x"}), ("reset", {}),
                         ("status", {"status": 200, "body": "{\"Events\": 5}"})):
            with self.subTest(mode=mode, kw=kw):
                self.az.set_fault("imds", "events", mode, **kw)
                n = len(self.az.requests("imds", "events"))
                self.assertTrue(self.az.wait_for(lambda: len(self.az.requests(
                    "imds", "events")) >= n + 2, scaled(10)))
                self.assertNotRetired(host_id, a)
        self.az.clear_faults()
        self.az.set_fault("imds", "events", "hang")
        self.stop_agent(a, bound=5)
        self.assertNotRetired(host_id, a)
        self.az.release_hangs()

    def test_host_of_another_vm_is_not_retired(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.api.add_host(host_id=host_id, name="x",
                          custom_identifier="00000000-0000-0000-0000-000000000000"
                                            ".virtual_machine.azure.microsoft.com")
        self.az.add_event("Terminate")
        self.wait_polls(3, a)
        self.assertRegex(a.stderr(), r"not retiring: host %s has customIdentifier 0000" %
                         host_id)
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="retire_host"), [])
        self.assertEqual(self.az.approved, [])


# ---------------------------------------------------------------- confirmation
class PoweroffConfirmation(AzureCase, PoweroffTests):

    def make_deleting(self):
        self.az.set_state(VM_ID, "Deleting")

    def test_deleting_retires_once(self):
        self.az.set_state(VM_ID, "Deleting", "stopping")
        a, host_id = self.poweroff()
        self.assertRetiredOnce(host_id, a)
        self.assertRegex(a.stderr(), r"confirm yes: ARM: VM %s \(saba-vm-1\) is Deleting" %
                         VM_ID)
        self.assertImdsRulesKept()

    def test_stops_and_deallocations_never_retire(self):
        for state, power in (("Succeeded", "stopping"), ("Succeeded", "stopped"),
                             ("Succeeded", "deallocating"), ("Updating", "deallocated"),
                             ("Succeeded", "running"), ("Failed", "running")):
            with self.subTest(state=state, power=power):
                self.fresh_host()
                self.az.set_state(VM_ID, state, power)
                a, host_id = self.poweroff()
                self.assertNotRetired(host_id, a)
                self.assertRegex(a.stderr(), r"is %s, PowerState/%s: not being deleted" % (
                    state, power))

    def test_errors_never_retire(self):
        self.az.set_state(VM_ID, "Deleting", "stopping")
        cases = [("no identity", lambda: setattr(self.az, "identity", False),
                  r"Identity not found"),
                 ("no permission", lambda: self.az.actions.discard(READ),
                  r"AuthorizationFailed"),
                 ("5xx", lambda: self.az.set_fault("arm", "get_vm", "status", status=503,
                                                   body={}), r"HTTP 503"),
                 ("gone", lambda: self.az.remove(VM_ID), r"ResourceNotFound"),
                 ("hang", lambda: self.az.set_fault("arm", "*", "hang"), r"cannot tell")]
        for what, fault, why in cases:
            with self.subTest(what=what):
                self.fresh_host()
                fault()
                try:
                    a, host_id = self.poweroff()
                    self.assertNotRetired(host_id, a)
                    self.assertRegex(a.stderr(), r"confirm no: .*" + why)
                finally:
                    self.az.identity = True
                    self.az.actions.add(READ)
                    self.az.clear_faults()
                    self.az.release_hangs()
                    if VM_ID not in self.az.vms:
                        self.az.add_vm(VM_ID, "saba-vm-1", state="Deleting",
                                       power="stopping")

    def test_a_terminate_event_confirms(self):
        self.az.add_event("Terminate", status="Started")
        a, host_id = self.poweroff()
        self.assertRetiredOnce(host_id, a)
        self.assertRegex(a.stderr(), r"confirm yes: scheduled event")


# ---------------------------------------------------------------- the sweeper
class Sweeper(AzureCase, SweeperTests):
    API_WORDS = "ARM virtualMachines"
    SCOPE = SUBSCRIPTION
    SCOPE_WORD = "subscription"
    STATE = {"live": "Succeeded", "stopped": "Succeeded", "dead": "Deleting"}

    def seed(self, states):
        """states: {name: a provisioningState, "live", "stopped", "dead"
        (Deleting) or None (no VM)}; a host per name whose VM is in
        SUBSCRIPTION.  Returns {name: (host id, vmId)}."""
        out = {}
        for n, (name, state) in enumerate(sorted(states.items())):
            vm_id = "%08x-0000-4000-8000-%012x" % (0xabc00000 + n, n)
            # customIdentifiers as agents sent them (upper case works too)
            ci = (vm_id.upper() if n % 2 else vm_id) + ".virtual_machine.azure.microsoft.com"
            out[name] = (self.api.add_host(name=name, custom_identifier=ci), vm_id)
            if state is not None:
                self.az.add_vm(vm_id, "vm-%d" % n, state=self.STATE.get(state, state),
                               power="deallocated" if state == "stopped" else "running")
        return out

    def error_cases(self):
        return [("no permission", lambda: self.az.actions.discard(READ)),
                ("5xx", lambda: self.az.set_fault("arm", "list_vms", "status", status=500,
                                                  body={}))]

    def clear_errors(self):
        self.az.actions.add(READ)
        self.az.clear_faults()

    def test_states_and_absence(self):
        h = self.seed({"run": "Succeeded", "updating": "Updating", "failed": "Failed",
                       "deleting": "Deleting", "never": None})
        self.api.add_host(name="gce", custom_identifier="7.gce.cloud.google.com")
        a = self.start_sweeper()
        lines = self.wait_sweeps(a, 3)
        self.assertEqual(self.retired_ids(), [h["deleting"][0]])
        self.assertRegex(a.stderr(), r"retir\w+ host %s .*ARM virtualMachines in %s lists %s "
                                     r"as Deleting" % (h["deleting"][0], SUBSCRIPTION,
                                                       h["deleting"][1]))
        self.assertRegex(lines[0], r"5 on Azure .*subscriptions 2/2 answered.* 1 Deleting")
        self.az.remove(h["run"][1])
        n = len(self.sweeps(a))
        lines = self.wait_sweeps(a, n + 3)
        self.assertRegex(lines[-1], r"1 absent within grace")
        self.assertRegex(lines[-1], r"1 never listed by Azure")
        self.assertEqual(self.retired_ids(), [h["deleting"][0]])
        self.stop_agent(a)
        self.assertImdsRulesKept()


if __name__ == "__main__":
    harness.main()
