#!/usr/bin/env python3
"""The gce plugin in the real agent, against the fake metadata server and
Compute Engine API (tests/plugins/gce/fakegce.py) and the fake Mackerel API,
all on 127.0.0.1:

- identity: customIdentifier and meta.cloud as mackerel-agent sends them,
  adoption of an existing host, detection (DMI, the metadata server's
  Metadata-Flavor), the metadata header on every request;
- preemption: retires exactly once only when the instance's termination
  action is DELETE; a preemption that stops, a maintenance event, an API
  that fails never retire;
- confirmation of an OS poweroff: a delete operation in progress retires
  once; a stop, a suspension, a running instance and every API error
  (no token, no permission, 5xx, a hang) never do;
- the fleet sweeper's matrix.
"""

import os
import sys

import harness
from cloudcase import FrameCase, PoweroffTests, SweeperTests
from harness import free_port, scaled

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "plugins", "gce"))

from fakegce import CI, INSTANCE_ID, NAME, PROJECT, ZONE, FakeGce  # noqa: E402

META = {"hostname": "%s.%s.c.%s.internal" % (NAME, ZONE, PROJECT),
        "instance-id": INSTANCE_ID, "instance-type": "e2-medium", "zone": ZONE,
        "projectId": PROJECT}


class GceCase(FrameCase):
    PLUGIN = PLATFORM = "gce"
    ENV_PREFIXES = ("GCE_", "GOOGLE_")
    FAKE = FakeGce
    MD_ENDPOINT, API_ENDPOINT = "metadata", "compute"
    SCOPES_KEY, SCOPES = "sweep_projects", (PROJECT, "other-project")

    def setUp(self):
        super().setUp()
        self.gce = self.fake

    def assertMetadataRulesKept(self):
        c = self.gce.counts("metadata")
        self.assertEqual(c.get("no_header", 0), 0, self.gce.requests("metadata"))
        self.assertEqual(c.get("forwarded", 0), 0)
        c = self.gce.counts("compute")
        self.assertEqual(c.get("no_token", 0), 0, self.gce.requests("compute"))


# ---------------------------------------------------------------- identity
class Identity(GceCase):

    def test_custom_identifier_and_cloud_meta(self):
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        for route in ("create_host", "update_host"):
            spec = self.spec_of(route)
            self.assertEqual(spec.get("customIdentifier"), CI, route)
            self.assertEqual(spec["meta"].get("cloud"), {"provider": "gce", "metadata": META})
        self.assertMetadataRulesKept()
        self.stop_agent(a)

    def test_adopts_the_host_with_its_custom_identifier(self):
        existing = self.api.add_host(name="created-before", custom_identifier=CI)
        self.api.add_host(name="someone-else", custom_identifier="7.gce.cloud.google.com")
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.assertEqual(self.wait_registered(a), existing)
        self.assertEqual(self.api.requests(route="create_host"), [], "a new host was created")
        self.assertEqual(self.api.requests(route="find_hosts")[0].query.get("customIdentifier"),
                         [CI])
        self.stop_agent(a)

    def test_unusable_tree_sends_no_cloud_meta(self):
        self.gce.recursive = '{"instance": {"hostname": 5}}'
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        spec = self.spec_of("create_host")
        self.assertEqual(spec.get("customIdentifier"), CI)
        self.assertNotIn("cloud", spec["meta"])
        self.stop_agent(a)

    def test_metadata_server_down_registers_without_identity(self):
        a = self.start_cloud_agent(settings={
            "metadata_endpoint": "http://127.0.0.1:%d" % free_port(), "poll_interval": 0})
        self.wait_registered(a, timeout=20)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertRegex(a.stderr(), r"no GCE identity")
        self.stop_agent(a)

    def test_platform_none_asks_nothing(self):
        a = self.start_cloud_agent(settings={"cloud_platform": "none"})
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertEqual(self.gce.requests(), [])
        self.stop_agent(a)

    def sysfs(self, **files):
        root = os.path.join(self.tmp, "sys")
        d = os.path.join(root, "devices/virtual/dmi/id")
        os.makedirs(d, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text + "\n")
        return root

    def test_auto_detection(self):
        cases = [({"product_name": "Google Compute Engine"}, True),
                 ({"bios_vendor": "Google"}, True),
                 ({"product_name": "HVM domU", "sys_vendor": "Xen"}, False),
                 ({}, True)]         # nothing readable: the metadata server decides
        for files, gce in cases:
            with self.subTest(files=files):
                self.fresh_host()
                n = len(self.gce.requests())
                a = self.start_cloud_agent(settings={"cloud_platform": "auto",
                                                     "poll_interval": 0,
                                                     "sysfs": self.sysfs(**files)})
                self.wait_registered(a)
                spec = self.spec_of("update_host")
                if gce:
                    self.assertEqual(spec.get("customIdentifier"), CI)
                else:
                    self.assertNoCloudIdentifier(spec)
                if not gce:
                    self.assertEqual(len(self.gce.requests()), n, "DMI said no: no requests")
                self.stop_agent(a)
                for f in os.listdir(os.path.join(self.tmp, "sys/devices/virtual/dmi/id")):
                    os.unlink(os.path.join(self.tmp, "sys/devices/virtual/dmi/id", f))

    def test_an_answer_without_metadata_flavor_is_not_gce(self):
        self.gce.flavor = False
        a = self.start_cloud_agent(settings={"cloud_platform": "auto", "poll_interval": 0,
                                             "sysfs": os.path.join(self.tmp, "nosys")})
        self.wait_registered(a)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertRegex(a.stderr(), r"without Metadata-Flavor: Google")
        self.stop_agent(a)

    def test_bad_settings_are_config_errors(self):
        self.bad_settings(
            [({"cloud_platform": "ec2"}, "cloud_platform"),
             ({"cloud_platform": "azurevm"}, "cloud_platform"),
             ({"poll_interval": -1}, "poll_interval"),
             ({"metadata_timeout": 0}, "metadata_timeout"),
             ({"api_timeout": 301}, "api_timeout"),
             ({"sweep_interval": 0}, "sweep_interval"),
             ({"absent_grace": -5}, "absent_grace"),
             ({"metadata_endpoint": "metadata.google.internal"}, "metadata_endpoint"),
             ({"api_endpoint": "ftp://x"}, "api_endpoint"),
             ({"sweep_projects": ["my-project", "Bad/Project"]}, "sweep_projects"),
             ({"sweep": True, "cloud_platform": "none"}, "sweep_projects"),
             ({"confirm": "yes"}, "confirm"),
             ({"no_such_key": 1}, "no_such_key")],
            {"sweep": True, "cloud_platform": "none", "sweep_projects": ["p-1", "example.com:p"],
             "sweep_interval": 1, "absent_grace": 0})
        self.assertEqual(self.gce.requests(), [], "configtest must not ask anything")


# ---------------------------------------------------------------- preemption
class Preemption(GceCase):

    def wait_polls(self, n, agent):
        base = len(self.gce.answered("metadata", "instance/preempted"))
        ok = self.gce.wait_for(lambda: len(self.gce.answered(
            "metadata", "instance/preempted")) >= base + n, scaled(n * 2 + 5))
        self.assertTrue(ok, "no preemption polls; stderr:\n" + agent.stderr()[-3000:])

    def test_preempted_and_deleted_retires_once(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.wait_polls(1, a)
        self.gce.preempt("DELETE")
        self.wait_retired(host_id, a)
        self.assertRegex(a.stderr(), r"instance/preempted: TRUE.*termination action DELETE")
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertMetadataRulesKept()

    def test_signals_that_never_retire(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        for termination in ("STOP", None):
            with self.subTest(termination=termination):
                self.gce.preempt(termination)
                self.wait_polls(2, a)
                self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"it is not deleted")
        self.gce.items["instance/preempted"] = "FALSE"
        self.gce.items["instance/maintenance-event"] = "TERMINATE_ON_HOST_MAINTENANCE"
        self.wait_polls(2, a)
        self.assertRegex(a.stderr(), r"TERMINATE_ON_HOST_MAINTENANCE \(host maintenance: .*"
                                     r"never retires\)")
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)

    def test_preempted_but_the_api_cannot_tell_never_retires(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.gce.set_fault("compute", "get_instance", "status", status=503, body={})
        self.gce.preempt("DELETE")
        self.wait_polls(3, a)
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"cannot tell whether it is deleted")
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)

    def test_host_of_another_instance_is_not_retired(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.api.add_host(host_id=host_id, name="x", custom_identifier="7.gce.cloud.google.com")
        self.gce.preempt("DELETE")
        self.wait_polls(3, a)
        self.assertRegex(a.stderr(), r"not retiring: host %s has customIdentifier 7\." % host_id)
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="retire_host"), [])


# ---------------------------------------------------------------- confirmation
class PoweroffConfirmation(GceCase, PoweroffTests):

    def make_deleting(self):
        self.gce.delete(INSTANCE_ID)

    def test_a_delete_in_progress_retires_once(self):
        self.gce.delete(INSTANCE_ID)
        a, host_id = self.poweroff()
        self.assertRetiredOnce(host_id, a)
        self.assertRegex(a.stderr(), r"confirm yes: Compute Engine: delete operation "
                                     r"operation-\d+-delete of instance %s" % INSTANCE_ID)
        self.assertMetadataRulesKept()

    def test_halt_while_deleted_retires(self):
        self.gce.delete(INSTANCE_ID, status="PENDING")
        a, host_id = self.poweroff(kind="halt")
        self.assertRetiredOnce(host_id, a)

    def test_stops_and_suspensions_never_retire(self):
        cases = [("STOPPING", "stop"), ("TERMINATED", "stop"), ("SUSPENDING", "suspend"),
                 ("SUSPENDED", "suspend"), ("RUNNING", None)]
        for status, op in cases:
            with self.subTest(status=status):
                self.fresh_host()
                if op is not None:
                    self.gce.stop_vm(INSTANCE_ID, status=status, op_type=op)
                else:
                    self.gce.set_status(INSTANCE_ID, status)
                a, host_id = self.poweroff()
                self.assertNotRetired(host_id, a)
                self.assertRegex(a.stderr(), r"it is %s, not being deleted" % status)

    def test_a_finished_delete_of_another_instance_never_retires(self):
        self.gce.add_instance("77", "other-vm")
        self.gce.delete("77")
        a, host_id = self.poweroff()
        self.assertNotRetired(host_id, a)

    def test_api_errors_never_retire(self):
        cases = [("list_operations", "status", {"status": 500, "body": {}}),
                 ("list_operations", "status", {"status": 429, "body": {}}),
                 ("list_operations", "status", {"status": 200, "body": "{not json"}),
                 ("list_operations", "reset", {})]
        self.gce.delete(INSTANCE_ID)
        for route, mode, kw in cases:
            with self.subTest(route=route, mode=mode, kw=kw):
                self.fresh_host()
                self.gce.clear_faults()
                self.gce.set_fault("compute", route, mode, **kw)
                a, host_id = self.poweroff()
                self.assertNotRetired(host_id, a)
                self.assertRegex(a.stderr(), r"confirm no: Compute Engine: cannot tell")

    def test_without_permission_or_token_never_retires(self):
        self.gce.delete(INSTANCE_ID)
        self.gce.permissions.discard("compute.zoneOperations.list")
        a, host_id = self.poweroff()
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"PERMISSION_DENIED")
        self.fresh_host()
        self.gce.permissions.add("compute.zoneOperations.list")
        self.gce.service_account = False
        a, host_id = self.poweroff()
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"no token from the metadata service: HTTP 404")

    def test_an_api_that_hangs_never_retires_within_the_budget(self):
        self.gce.delete(INSTANCE_ID)
        self.gce.set_fault("compute", "*", "hang")
        a, host_id = self.poweroff(bound=12)
        self.assertNotRetired(host_id, a)
        self.gce.release_hangs()

    def test_a_revoked_token_is_replaced(self):
        # a preemption that only stops: the poller asks the API, with a token
        self.gce.preempt("STOP")
        a = self.start_cloud_agent(trigger={"kind": "poweroff", "retire_on": ["poweroff"],
                                            "confirm": "none"})
        host_id = self.wait_registered(a)
        self.assertTrue(self.gce.wait_for(lambda: self.gce.answered("compute"), scaled(10)))
        self.gce.revoke_tokens()
        self.gce.delete(INSTANCE_ID)
        self.stop_agent(a, bound=12, expect_rc=None)
        self.assertRetiredOnce(host_id, a)
        self.assertGreaterEqual(self.gce.counts("compute").get("bad_token", 0), 1)
        self.assertGreaterEqual(self.gce.counts("metadata").get("token", 0), 2)

    def test_confirm_false_leaves_the_decision_to_the_core(self):
        self.gce.stop_vm(INSTANCE_ID)
        a, host_id = self.poweroff(settings={"confirm": False}, wait_check=False)
        self.assertRetiredOnce(host_id, a)
        self.assertEqual(self.gce.requests("compute"), [])


# ---------------------------------------------------------------- the sweeper
class Sweeper(GceCase, SweeperTests):
    API_WORDS = "Compute Engine"
    SCOPE = PROJECT
    SCOPE_WORD = "project"
    STATUS = {"live": "RUNNING", "stopped": "TERMINATED", "dead": "RUNNING"}

    def seed(self, states):
        """states: {name: a status, "live", "stopped", "dead" (being
        deleted) or None (no instance)}; a host per name whose instance is
        in PROJECT.  Returns {name: (host id, instance id)}."""
        out = {}
        for n, (name, status) in enumerate(sorted(states.items())):
            iid = str(9000000000000000000 + n)
            out[name] = (self.api.add_host(name=name,
                                           custom_identifier=iid + ".gce.cloud.google.com"), iid)
            if status is not None:
                self.gce.add_instance(iid, "vm-%d" % n, zone="europe-west1-b" if n % 2 else ZONE,
                                      status=self.STATUS.get(status, status))
            if status == "dead":
                self.gce.delete(iid)
        return out

    def error_cases(self):
        return [("unreachable zone", lambda: self.gce.unreachable.add("asia-east1-a")),
                ("no permission", lambda: self.gce.permissions.discard(
                    "compute.instances.list")),
                ("5xx", lambda: self.gce.set_fault("compute", "aggregated_instances",
                                                   "status", status=500, body={}))]

    def clear_errors(self):
        self.gce.unreachable.clear()
        self.gce.permissions.add("compute.instances.list")
        self.gce.clear_faults()

    def test_states_and_absence(self):
        h = self.seed({"run": "live", "stopped": "stopped", "suspended": "SUSPENDED",
                       "stopping": "live", "deleting": "dead", "never": None})
        self.gce.stop_vm(h["stopping"][1])
        self.api.add_host(name="plain")
        self.api.add_host(name="ec2", custom_identifier="i-0123456789abcdef0.ec2.amazonaws.com")
        self.api.add_host(name="bad", custom_identifier="0123.gce.cloud.google.com")
        a = self.start_sweeper()
        lines = self.wait_sweeps(a, 3)
        self.assertEqual(self.retired_ids(), [h["deleting"][0]])
        self.assertEqual(self.api.retire_counts()[h["deleting"][0]], (1, 1))
        self.assertRegex(lines[0], r"6 on GCE \(1 unusable ids\); projects 2/2 answered")
        # then the retired host is not listed any more
        self.assertRegex(a.stderr(), r"retir\w+ host %s .*Compute Engine in %s lists %s as "
                                     r"being deleted" % (h["deleting"][0], PROJECT,
                                                         h["deleting"][1]))
        self.assertRegex(lines[-1], r"5 on GCE \(1 unusable ids\); projects 2/2 answered")
        self.assertRegex(lines[-1], r"1 never listed by GCE")
        # a running instance disappears: within absent_grace, kept
        self.gce.remove(h["run"][1])
        n = len(self.sweeps(a))
        lines = self.wait_sweeps(a, n + 3)
        self.assertRegex(lines[-1], r"1 absent within grace")
        self.assertEqual(self.retired_ids(), [h["deleting"][0]])
        self.stop_agent(a)
        self.assertMetadataRulesKept()

    def test_own_project_by_default(self):
        h = self.seed({"deleting": "dead"})
        a = self.start_cloud_agent(settings={"sweep": True, "sweep_interval": 1})
        own = self.wait_registered(a)
        self.assertTrue(self.api.wait_for(lambda: self.api.retired(), scaled(15)),
                        a.stderr()[-3000:])
        self.assertEqual(self.retired_ids(), [h["deleting"][0]])
        self.assertRegex(self.wait_sweeps(a, 1)[-1], r"projects 1/1 answered")
        self.stop_agent(a)
        self.assertFalse(self.api.host(own)["isRetired"])


if __name__ == "__main__":
    harness.main()
