#!/usr/bin/env python3
"""The ec2 plugin in the real agent, against a fake IMDS (tests/plugins/ec2/fakeimds.py),
the fake EC2 Query API (tests/plugins/ec2/fakeec2.js, every signature checked with
aws4) and the fake Mackerel API, all on 127.0.0.1:

- identity: customIdentifier and meta.cloud as mackerel-agent sends them, and
  adoption of an existing host by customIdentifier;
- termination signals from IMDS: which ones retire (exactly once) and which
  never do;
- confirmation of an OS poweroff by DescribeInstances: only shutting-down and
  terminated retire; stopping, stopped, running, absent and every error do not;
- the IMDSv2 token rules, from both sides (the fake's and the client's).
"""

import json
import os
import shutil
import sys
import time
import unittest
import urllib.error
import urllib.request

import harness
from cloudcase import CloudCase
from harness import free_port, scaled

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "plugins", "ec2"))

from fakeimds import DEFAULT_ITEMS, INSTANCE_ID, REGION, FakeImds  # noqa: E402

CI = INSTANCE_ID + ".ec2.amazonaws.com"
META_KEYS = ("instance-id", "instance-type", "placement/availability-zone", "security-groups",
             "ami-id", "hostname", "local-hostname", "public-hostname", "local-ipv4",
             "public-ipv4", "reservation-id")
AKID, SECRET = "AKIDSABAEC2TEST", "saba-ec2-test-secret-key-not-real"
SPOT_TERMINATE = '{"action": "terminate", "time": "2030-01-01T00:00:00Z"}'
EC2_UUID = "ec2e1916-9099-7caf-fd21-012345abcdef\n"


class Ec2Case(CloudCase):
    """A fake IMDS and fake API per test; the fake EC2 on demand."""

    PLUGIN = "ec2"
    ENV_PREFIXES = ("AWS_",)

    def setUp(self):
        super().setUp()
        self.start_api()
        self.imds = FakeImds().start()
        self.addCleanup(self.imds.stop)
        self.ec2 = None

    def start_ec2(self):
        """The fake EC2 (skips the test without node)."""
        from fakeec2 import FakeEC2
        self.ec2 = FakeEC2(self.tmp).start()
        self.addCleanup(self.ec2.stop)
        self.ec2.credentials(AKID, SECRET)
        return self.ec2

    def agent_env(self):
        e = super().agent_env()
        e.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET})
        return e

    def cloud_settings(self, **kw):
        s = {"cloud_platform": "ec2", "imds_endpoint": self.imds.url, "imds_timeout": 1,
             "poll_interval": 1}
        if self.ec2 is not None:
            s["ec2_endpoint"] = self.ec2.url
            s["ec2_timeout"] = 2
        s.update(kw)
        return s

    def wait_polls(self, n, path="meta-data/spot/instance-action", agent=None):
        """Wait until the poller has read path n more times (answered)."""
        base = len([r for r in self.imds.requests(path=path) if r.status is not None])
        ok = self.imds.wait_for(
            lambda: len([r for r in self.imds.requests(path=path)
                         if r.status is not None]) >= base + n, scaled(n * 2 + 5))
        self.assertTrue(ok, "the poller did not read %s %d times; stderr:\n%s" % (
            path, n, agent.stderr()[-3000:] if agent else ""))

    def assertTokenRulesKept(self):
        """Every GET carried a token and every token PUT asked a valid TTL
        without X-Forwarded-For."""
        c = self.imds.counts()
        self.assertEqual(c.get("no_token", 0), 0, self.imds.requests())
        self.assertEqual(c.get("token_bad_ttl", 0), 0)
        self.assertEqual(c.get("token_forwarded", 0), 0)
        self.assertEqual(c.get("method", 0), 0)
        for r in self.imds.requests(path="api/token"):
            self.assertEqual(r.method, "PUT")
            self.assertEqual(r.header("X-aws-ec2-metadata-token-ttl-seconds"), "21600")
            self.assertIsNone(r.header("X-Forwarded-For"))


# ---------------------------------------------------------------- identity
class Identity(Ec2Case):

    def test_custom_identifier_and_cloud_meta(self):
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        for route in ("create_host", "update_host"):
            spec = self.spec_of(route)
            self.assertEqual(spec.get("customIdentifier"), CI, route)
            cloud = spec["meta"].get("cloud")
            self.assertEqual(cloud["provider"], "ec2")
            self.assertEqual(sorted(cloud["metadata"]), sorted(META_KEYS))
            for k in META_KEYS:
                self.assertEqual(cloud["metadata"][k], DEFAULT_ITEMS["meta-data/" + k], k)
        self.assertTokenRulesKept()
        self.assertEqual(self.imds.counts().get("token_ok"), 1, "the token was not reused")
        self.stop_agent(a)

    def test_non_200_items_are_empty_strings(self):
        self.imds.set_item("meta-data/public-ipv4", None)              # 404
        self.imds.set_item("meta-data/public-hostname", (500, "oops"))
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        spec = self.spec_of()
        self.assertEqual(spec["customIdentifier"], CI)
        md = spec["meta"]["cloud"]["metadata"]
        self.assertEqual(md["public-ipv4"], "")
        self.assertEqual(md["public-hostname"], "")
        self.assertEqual(md["local-ipv4"], DEFAULT_ITEMS["meta-data/local-ipv4"])
        self.stop_agent(a)

    def test_network_error_drops_the_cloud_object(self):
        self.imds.set_fault("meta-data/reservation-id", "reset")
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        self.wait_registered(a)
        spec = self.spec_of("create_host")
        self.assertEqual(spec.get("customIdentifier"), CI)
        self.assertNotIn("cloud", spec["meta"])
        self.assertRegex(a.stderr(), r"(?i)no meta\.cloud")
        self.stop_agent(a)

    def test_adopts_the_host_with_its_custom_identifier(self):
        existing = self.api.add_host(name="created-by-aws-integration", custom_identifier=CI)
        self.api.add_host(name="someone-else", custom_identifier="i-0fff.ec2.amazonaws.com")
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        host_id = self.wait_registered(a)
        self.assertEqual(host_id, existing)
        self.assertEqual(self.api.requests(route="create_host"), [], "a new host was created")
        finds = self.api.requests(route="find_hosts")
        self.assertTrue(finds)
        self.assertEqual(finds[0].query.get("customIdentifier"), [CI])
        self.assertRegex(a.stderr(), r"adopted host %s" % existing)
        self.stop_agent(a)

    def test_platform_none_asks_imds_nothing(self):
        a = self.start_cloud_agent(settings={"cloud_platform": "none"})
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        spec = self.spec_of("create_host")
        self.assertNoCloudIdentifier(spec)
        self.assertNotIn("cloud", spec["meta"])
        self.assertEqual(self.imds.requests(), [])
        self.stop_agent(a)

    def sysfs(self, name, hypervisor=None, product=None):
        root = os.path.join(self.tmp, name)
        for rel, content in (("hypervisor/uuid", hypervisor),
                             ("devices/virtual/dmi/id/product_uuid", product)):
            if content is not None:
                path = os.path.join(root, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(content)
        os.makedirs(root, exist_ok=True)
        return root

    def test_auto_with_an_ec2_uuid_asks_imds(self):
        a = self.start_cloud_agent(settings={"cloud_platform": "auto", "poll_interval": 0,
                                             "sysfs": self.sysfs("s", product=EC2_UUID)})
        self.wait_registered(a)
        self.assertEqual(self.spec_of("create_host").get("customIdentifier"), CI)
        self.stop_agent(a)

    def test_auto_with_another_uuid_asks_imds_nothing(self):
        other = "4C4C4544-0042-5A10-8057-B2C04F4E4E32\n"
        a = self.start_cloud_agent(settings={"cloud_platform": "auto",
                                             "sysfs": self.sysfs("s", product=other)})
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertEqual(self.imds.requests(), [])
        # Written in the config: it stays, whatever DMI says.
        self.assertIn("ec2.so", open("/proc/%d/maps" % a.pid).read())
        self.stop_agent(a)
        self.assertNotRegex(a.stderr(), r"not on this cloud")

    def test_implicit_auto_off_ec2_leaves_with_its_libraries(self):
        """The instance cloud_platform "auto" adds (no ec2 in the config,
        ec2.so installed) leaves at start when DMI says this is not EC2,
        and ec2.so (with libcurl and libexpat) is not kept mapped."""
        dmi = ""
        for f in ("/sys/hypervisor/uuid", "/sys/class/dmi/id/product_uuid",
                  "/sys/class/dmi/id/sys_vendor"):
            try:
                dmi += open(f).read().lower()
            except OSError:
                pass
        if dmi.startswith("ec2") or "amazon" in dmi or "\nec2" in dmi:
            self.skipTest("this machine's DMI says EC2")
        self.plugin_dir("loadavg", "ec2")
        self.write_config(plugins={"loadavg": {}})
        # make check exports SABA_NO_DLCLOSE empty (the loader then keeps
        # modules, as the sanitizer passes want with it set): not here.
        keep = bool(os.environ.get("SABA_NO_DLCLOSE"))
        env = self.agent_env()
        if not keep:
            env["SABA_NO_DLCLOSE"] = None
        a = self.start_agent(["run"], env=env)
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        maps = open("/proc/%d/maps" % a.pid).read()
        self.stop_agent(a)
        self.assertRegex(a.stderr(), r'plugin ec2: not on this cloud; cloud_platform "auto" '
                                     r'goes on without it')
        self.assertRegex(a.stderr(), r"ec2: not EC2: ")
        if not keep:  # the sanitizer passes keep modules mapped
            self.assertNotIn("/ec2.so", maps)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertEqual(self.imds.requests(), [])

    def test_auto_without_readable_uuid_asks_the_partition(self):
        a = self.start_cloud_agent(settings={"cloud_platform": "auto", "poll_interval": 0,
                                             "sysfs": self.sysfs("empty")})
        self.wait_registered(a)
        self.assertEqual(self.spec_of("create_host").get("customIdentifier"), CI)
        self.assertTrue(self.imds.requests(path="meta-data/services/partition"))
        self.stop_agent(a)

    def test_auto_without_uuid_and_another_partition_is_not_ec2(self):
        self.imds.set_item("meta-data/services/partition", "openstack")
        a = self.start_cloud_agent(settings={"cloud_platform": "auto", "poll_interval": 0,
                                             "sysfs": self.sysfs("empty")})
        self.wait_registered(a)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertEqual(self.imds.requests(path="meta-data/instance-id"), [])
        self.stop_agent(a)

    def test_imds_down_registers_without_identity(self):
        a = self.start_cloud_agent(settings={"imds_endpoint": "http://127.0.0.1:%d" % free_port(),
                                             "poll_interval": 0})
        self.wait_registered(a, timeout=20)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertRegex(a.stderr(), r"(?i)no EC2 identity")
        self.stop_agent(a)

    def test_bad_settings_are_config_errors(self):
        self.plugin_dir("ec2")
        bad = [({"cloud_platform": "gce"}, "cloud_platform"),
               ({"poll_interval": -1}, "poll_interval"),
               ({"imds_timeout": 0}, "imds_timeout"),
               ({"sweep_interval": 0}, "sweep_interval"),
               ({"absent_grace": -5}, "absent_grace"),
               ({"imds_endpoint": "169.254.169.254"}, "imds_endpoint"),
               ({"ec2_endpoint": "ftp://x"}, "ec2_endpoint"),
               ({"sweep_regions": ["us-east-1", "Tokyo"]}, "sweep_regions"),
               ({"sweep": True, "cloud_platform": "none"}, "sweep_regions"),
               ({"confirm": "yes"}, "confirm"),
               ({"no_such_key": 1}, "no_such_key")]
        for settings, key in bad:
            with self.subTest(settings=settings):
                s = {"module": "ec2"}
                s.update(settings)
                self.write_config(plugins={"ec2": s})
                p = self.run_agent(["configtest"])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stdout + p.stderr, r"saba-agent\.conf:\d+:.*%s" % key)
        self.write_config(plugins={"ec2": {"sweep": True, "cloud_platform": "none",
                                           "sweep_regions": ["us-east-1", "us-gov-west-1"],
                                           "sweep_interval": 1, "absent_grace": 0}})
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.imds.requests(), [], "configtest must not ask IMDS")


# ------------------------------------------------- identity without an ec2 instance
class DefaultIdentity(Ec2Case):
    """A config that names no cloud plugin still carries EC2's identity, as
    mackerel-agent's cloud_platform = "auto" does: the core adds an
    identity-only ec2 instance when ec2.so is installed."""

    def start_default(self, sysfs=None, **cfg):
        """run with loadavg only configured and ec2.so installed; with sysfs,
        the agent sees that directory as /sys (a private mount namespace:
        root only)."""
        self.plugin_dir("loadavg", "ec2")
        self.write_config(plugins={"loadavg": {}}, **cfg)
        env = self.agent_env()
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.imds.url
        if sysfs is None:
            return self.start_agent(["run"], env=env)
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("a private /sys needs root and unshare")
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /sys && exec "$@"', sysfs] + \
            self.agent_argv(["run"])
        a = harness.Agent(argv, self.env(env), self.tmp,
                          os.path.join(self.tmp, "agent.stdout"),
                          os.path.join(self.tmp, "agent.stderr"))
        self.agents.append(a)
        return a

    def dmi(self, name, **files):
        root = os.path.join(self.tmp, name)
        d = os.path.join(root, "devices", "virtual", "dmi", "id")
        os.makedirs(d)
        for k, v in files.items():
            with open(os.path.join(d, k), "w") as f:
                f.write(v + "\n")
        return root

    def test_cloud_platform_ec2_adopts_without_an_ec2_instance(self):
        existing = self.api.add_host(name="created-by-mackerel-agent", custom_identifier=CI)
        a = self.start_default(cloud_platform="ec2")
        self.assertEqual(self.wait_registered(a), existing)
        self.assertEqual(self.api.requests(route="create_host"), [], "a new host was created")
        spec = self.spec_of("update_host")
        self.assertEqual(spec.get("customIdentifier"), CI)
        self.assertEqual(spec["meta"]["cloud"]["provider"], "ec2")
        # identity only: no termination poller
        time.sleep(scaled(1.5))
        self.assertEqual(self.imds.requests(path="meta-data/spot/instance-action"), [])
        self.stop_agent(a)

    def test_auto_with_amazon_dmi_vendor_adopts(self):
        existing = self.api.add_host(name="created-by-aws-integration", custom_identifier=CI)
        a = self.start_default(sysfs=self.dmi("nitro", sys_vendor="Amazon EC2",
                                              bios_vendor="Amazon EC2"))
        self.assertEqual(self.wait_registered(a), existing, a.stderr()[-2000:])
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.stop_agent(a)

    def test_auto_off_ec2_asks_imds_nothing(self):
        for name, files in (("qemu", {"sys_vendor": "QEMU", "bios_vendor": "SeaBIOS"}),
                            ("nodmi", {})):
            with self.subTest(name):
                self.api.reset_records()
                before = len(self.imds.requests())
                a = self.start_default(sysfs=self.dmi(name, **files))
                self.wait_registered(a)
                self.wait_points("loadavg1", agent=a)
                self.assertNoCloudIdentifier(self.spec_of("create_host"))
                self.assertEqual(len(self.imds.requests()), before, "off EC2 IMDS was asked")
                self.stop_agent(a)
                os.unlink(os.path.join(self.root, "id"))

    def test_cloud_platform_none_loads_no_cloud_plugin(self):
        a = self.start_default(cloud_platform="none")
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        self.assertEqual(self.imds.requests(), [])
        self.assertNotIn("ec2", a.stderr())
        self.stop_agent(a)

    def test_a_configured_ec2_instance_replaces_the_default(self):
        self.plugin_dir("loadavg", "ec2")
        self.write_config(plugins={"loadavg": {}, "aws": {"module": "ec2",
                                                          "cloud_platform": "none"}})
        p = self.run_agent(["plugins"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"(?m)^ec2\s+\S+\s+\S+\s+aws\s")
        self.write_config(plugins={"loadavg": {}})
        p = self.run_agent(["plugins"])
        self.assertRegex(p.stdout, r"(?m)^ec2\s+\S+\s+\S+\s+ec2\s")

    def test_auto_goes_on_without_an_ec2_that_cannot_load(self):
        """ec2.so installed without a library it needs (libexpat): "auto"
        runs without it, as off a cloud; "ec2", which the operator asked
        for, is a config error naming the plugin."""
        d = self.plugin_dir("loadavg")
        with open(os.path.join(d, "ec2.so"), "w") as f:
            f.write("not a shared object\n")
        self.write_config(plugins={"loadavg": {}})
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"plugin ec2: .*cannot load plugin.*goes on without it")
        self.write_config(plugins={"loadavg": {}}, cloud_platform="ec2")
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"saba-agent\.conf:\d+: plugin ec2: .*cannot load plugin")

    def test_bad_cloud_platform_is_a_config_error(self):
        self.plugin_dir("loadavg", "ec2")
        for value, want in (("gce", r"needs the gce plugin"), ("aws", r"must be \"auto\""),
                            (3, r"must be a string")):
            with self.subTest(value=value):
                self.write_config(plugins={"loadavg": {}}, cloud_platform=value)
                p = self.run_agent(["configtest"])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, r"saba-agent\.conf:\d+: .*" + want)


# ---------------------------------------------------------------- IMDS signals
class TerminationSignals(Ec2Case):

    def run_signal(self, item, value, polls=3):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.wait_polls(1, agent=a)
        self.imds.set_item(item, value)
        self.wait_polls(polls, path=item, agent=a)
        return a, host_id

    def test_spot_terminate_retires_once(self):
        a, host_id = self.run_signal("meta-data/spot/instance-action", SPOT_TERMINATE, polls=1)
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(10))
        time.sleep(2)       # the poller keeps running: still one call
        self.assertRetiredOnce(host_id, a)
        # checked that the host is this instance's before retiring
        gets = [r for r in self.api.requests(route="get_host")
                if r.time <= self.api.requests(route="retire_host")[0].time]
        self.assertTrue(gets, "no customIdentifier check before the retire call")
        self.assertRegex(a.stderr(), r"spot/instance-action: action terminate")
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertTokenRulesKept()

    def test_asg_terminated_retires_once(self):
        a, host_id = self.run_signal("meta-data/autoscaling/target-lifecycle-state",
                                     "Terminated", polls=1)
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(10))
        time.sleep(2)
        self.assertRetiredOnce(host_id, a)
        self.assertRegex(a.stderr(), r"target-lifecycle-state: Terminated")
        self.stop_agent(a)

    def test_signals_that_never_retire(self):
        cases = [("meta-data/spot/instance-action",
                  '{"action": "stop", "time": "2030-01-01T00:00:00Z"}'),
                 ("meta-data/spot/instance-action",
                  '{"action": "hibernate", "time": "2030-01-01T00:00:00Z"}'),
                 ("meta-data/spot/instance-action", "terminate"),
                 ("meta-data/autoscaling/target-lifecycle-state", "Warmed:Terminated"),
                 ("meta-data/autoscaling/target-lifecycle-state", "Warmed:Stopped"),
                 ("meta-data/autoscaling/target-lifecycle-state", "Standby"),
                 ("meta-data/events/maintenance/scheduled",
                  '[{"Code": "instance-retirement", "State": "active"}]'),
                 ("meta-data/events/maintenance/scheduled",
                  '[{"Code": "instance-stop", "State": "active"}]'),
                 ("meta-data/spot/instance-action", (401, "Unauthorized")),
                 ("meta-data/spot/instance-action", (403, "Forbidden")),
                 ("meta-data/spot/instance-action", (500, SPOT_TERMINATE)),
                 ("meta-data/autoscaling/target-lifecycle-state", (503, "Terminated"))]
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        # one at a time, a few polls each, on one agent
        for item, value in cases:
            with self.subTest(item=item, value=value):
                for other in ("meta-data/spot/instance-action",
                              "meta-data/autoscaling/target-lifecycle-state",
                              "meta-data/events/maintenance/scheduled"):
                    self.imds.set_item(other, None)
                self.imds.set_item(item, value)
                self.wait_polls(2, agent=a)
                self.assertNotRetired(host_id, a)
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)

    def test_imds_hangs_and_resets_never_retire(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        for mode in ("hang", "reset"):
            self.imds.set_fault("meta-data/spot/instance-action", mode)
            self.imds.set_fault("meta-data/autoscaling/target-lifecycle-state", mode)
            n = len(self.imds.requests(path="meta-data/spot/instance-action"))
            self.imds.wait_for(lambda: len(self.imds.requests(
                path="meta-data/spot/instance-action")) >= n + 2, scaled(10))
            self.imds.release_hangs()
        self.assertNotRetired(host_id, a)
        # the poller's IMDS requests are bounded: the stop is prompt
        self.imds.set_fault("meta-data/spot/instance-action", "hang")
        self.stop_agent(a, bound=5)
        self.assertNotRetired(host_id, a)

    def test_host_of_another_instance_is_not_retired(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        # someone re-pointed the Mackerel host at another instance
        self.api.add_host(host_id=host_id, name="x",
                          custom_identifier="i-0fffffffffffffff0.ec2.amazonaws.com")
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        self.wait_polls(3, agent=a)
        self.assertEqual(self.api.requests(route="retire_host"), [])
        self.assertRegex(a.stderr(), r"not retiring: host %s has customIdentifier "
                                     r"i-0fffffffffffffff0" % host_id)
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="retire_host"), [])

    def test_api_error_on_the_host_check_does_not_retire(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.api.set_fault("get_host", "status", status=500)
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        self.wait_polls(3, agent=a)
        self.assertEqual(self.api.requests(route="retire_host"), [])
        # and when the API is back, the still-present notice retires
        self.api.clear_faults("get_host")
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(10))
        self.assertRetiredOnce(host_id, a)
        self.stop_agent(a)

    def test_no_poller_with_poll_interval_0(self):
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        a = self.start_cloud_agent(settings={"poll_interval": 0})
        host_id = self.wait_registered(a)
        self.wait_points("loadavg1", n=2, agent=a)
        self.assertEqual(self.imds.requests(path="meta-data/spot/instance-action"), [])
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)


# ---------------------------------------------------------------- IMDSv2 tokens
class TokenRules(Ec2Case):

    def test_expired_tokens_are_renewed(self):
        self.imds.stop()
        self.imds = FakeImds(max_token_life=1).start()
        self.addCleanup(self.imds.stop)
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.imds.wait_for(lambda: self.imds.counts().get("expired", 0) >= 2 and
                           self.imds.counts().get("token_ok", 0) >= 3, scaled(10))
        c = self.imds.counts()
        self.assertGreaterEqual(c.get("expired", 0), 2, self.imds.requests()[-20:])
        self.assertGreaterEqual(c.get("token_ok", 0), 3)
        # every 401 for an expired token was followed by a new token, and
        # the signal still arrives
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(10))
        self.assertRetiredOnce(host_id, a)
        self.stop_agent(a)
        # one thread asks IMDS here: what follows a 401 is a new token
        # (unless the 401 was the last request, cut short by the stop)
        reqs = self.imds.requests()
        for i, r in enumerate(reqs[:-1]):
            if r.outcome == "expired":
                self.assertEqual(reqs[i + 1].path, "api/token", reqs[i:i + 3])
        self.assertTokenRulesKept()

    def test_revoked_tokens_are_replaced(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.wait_polls(1, agent=a)
        before = self.imds.counts().get("token_ok", 0)
        self.imds.revoke_tokens()
        self.wait_polls(2, agent=a)
        c = self.imds.counts()
        self.assertGreaterEqual(c.get("bad_token", 0), 1)
        self.assertEqual(c.get("token_ok", 0), before + 1, "more than one new token")
        self.assertTokenRulesKept()
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)

    def test_persistent_401_never_retires(self):
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a)
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        self.imds.set_fault("meta-data/spot/instance-action", "status", status=401,
                            body="Unauthorized")
        self.imds.set_fault("meta-data/autoscaling/target-lifecycle-state", "status",
                            status=401, body="Unauthorized")
        self.wait_polls(3, agent=a)
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)
        # a 401 is answered with one new token, not a storm
        polls = len(self.imds.requests(path="meta-data/spot/instance-action"))
        tokens = len(self.imds.requests(path="api/token"))
        self.assertLessEqual(tokens, polls * 2 + 2)

    def test_imds_refusing_tokens_gives_no_identity(self):
        self.imds.set_fault("api/token", "status", status=403, body="Forbidden")
        self.imds.set_item("meta-data/spot/instance-action", SPOT_TERMINATE)
        a = self.start_cloud_agent()
        host_id = self.wait_registered(a, timeout=20)
        self.assertNoCloudIdentifier(self.spec_of("create_host"))
        time.sleep(2)
        self.stop_agent(a)
        self.assertNotRetired(host_id, a)
        # never fell back to token-less requests
        self.assertEqual(self.imds.counts().get("no_token", 0), 0)


class FakeImdsRules(unittest.TestCase):
    """The fake keeps IMDS's token rules (so the tests above mean something)."""

    def setUp(self):
        self.imds = FakeImds(max_token_life=1).start()
        self.addCleanup(self.imds.stop)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, headers=None):
        req = urllib.request.Request(self.imds.url + "/latest/" + path, method=method,
                                     headers=headers or {}, data=b"" if method == "PUT" else None)
        try:
            with self.opener.open(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def token(self, ttl="21600", **headers):
        h = {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
        h.update(headers)
        return self.call("PUT", "api/token", h)

    def test_ttl_bounds(self):
        for ttl in ("0", "21601", "-1", "abc", ""):
            self.assertEqual(self.token(ttl)[0], 400, ttl)
        self.assertEqual(self.call("PUT", "api/token")[0], 400)
        for ttl in ("1", "21600"):
            status, token = self.token(ttl)
            self.assertEqual(status, 200)
            self.assertTrue(token)

    def test_get_needs_a_valid_token(self):
        self.assertEqual(self.call("GET", "meta-data/instance-id")[0], 401)
        self.assertEqual(self.call("GET", "meta-data/instance-id",
                                   {"X-aws-ec2-metadata-token": "forged"})[0], 401)
        _, token = self.token()
        h = {"X-aws-ec2-metadata-token": token}
        self.assertEqual(self.call("GET", "meta-data/instance-id", h), (200, INSTANCE_ID))
        self.assertEqual(self.call("GET", "meta-data/no-such-item", h)[0], 404)
        time.sleep(1.2)     # max_token_life
        self.assertEqual(self.call("GET", "meta-data/instance-id", h)[0], 401)
        self.assertEqual(self.imds.counts().get("expired"), 1)

    def test_put_only_for_the_token(self):
        self.assertEqual(self.token(**{"X-Forwarded-For": "10.0.0.1"})[0], 403)
        _, token = self.token()
        self.assertEqual(self.call("PUT", "meta-data/instance-id",
                                   {"X-aws-ec2-metadata-token": token})[0], 405)
        self.assertEqual(self.call("POST", "api/token")[0], 405)


# ---------------------------------------------------------------- confirmation
class PoweroffConfirmation(Ec2Case):
    """SIGTERM with the trigger test plugin classifying the stop as a
    poweroff: the retire routine asks the ec2 plugin, which asks EC2."""

    def setUp(self):
        super().setUp()
        self.start_ec2()

    def poweroff(self, state=None, faults=None, ec2=None, **kw):
        """CloudCase.poweroff() with EC2 answering state (or faults)."""
        if state is not None:
            self.ec2.instances(REGION, {INSTANCE_ID: state})
        if faults is not None:
            self.ec2.faults(REGION, faults)
        return super().poweroff(settings=ec2, **kw)

    def ec2_requests(self):
        return self.ec2.region_stats(REGION)["requests"]

    def test_shutting_down_retires_once(self):
        a, host_id = self.poweroff("shutting-down")
        self.assertRetiredOnce(host_id, a)
        self.assertRegex(a.stderr(), r"shutting-down \(32\)")
        self.assertEqual(self.ec2.region_stats(REGION)["authFailures"], 0)

    def test_terminated_retires_once(self):
        a, host_id = self.poweroff("terminated")
        self.assertRetiredOnce(host_id, a)

    def test_halt_with_shutting_down_retires(self):
        a, host_id = self.poweroff("shutting-down", kind="halt")
        self.assertRetiredOnce(host_id, a)

    def test_states_that_never_retire(self):
        for state in ("stopping", "stopped", "running", "pending"):
            with self.subTest(state=state):
                self.api.reset_records()
                os.path.exists(self.id_path) and os.unlink(self.id_path)
                a, host_id = self.poweroff(state)
                self.assertNotRetired(host_id, a)
                self.assertGreaterEqual(self.ec2_requests(), 1)
                self.assertRegex(a.stderr(), r"%s \(\d+\), not being terminated" % state)

    def test_absent_instance_never_retires(self):
        self.ec2.remove(REGION, [INSTANCE_ID])
        a, host_id = self.poweroff()
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"absent")

    def test_ec2_errors_never_retire(self):
        cases = [[{"error": "AuthFailure"}], [{"error": "UnauthorizedOperation"}],
                 [{"error": "RequestLimitExceeded"}], [{"error": "InternalError"}],
                 [{"error": "Unavailable"}], [{"error": "garbage"}], [{"error": "truncated"}]]
        for faults in cases:
            with self.subTest(faults=faults):
                self.api.reset_records()
                os.path.exists(self.id_path) and os.unlink(self.id_path)
                a, host_id = self.poweroff("shutting-down", faults=faults)
                self.assertNotRetired(host_id, a)
                self.assertRegex(a.stderr(), r"DescribeInstances %s in %s failed"
                                 % (INSTANCE_ID, REGION))

    def test_ec2_timeout_never_retires_within_the_budget(self):
        a, host_id = self.poweroff("shutting-down", faults=[{"error": "hang"}], bound=12)
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"DescribeInstances .* failed")
        self.ec2.release()

    def test_throttling_then_success_retires(self):
        a, host_id = self.poweroff("shutting-down",
                                   faults=[{"error": "RequestLimitExceeded", "count": 2}])
        self.assertRetiredOnce(host_id, a)
        self.assertGreaterEqual(self.ec2_requests(), 3)

    def test_reboot_never_asks_ec2(self):
        a, host_id = self.poweroff("shutting-down", kind="reboot")
        self.assertNotRetired(host_id, a)
        self.assertEqual(self.ec2_requests(), 0)

    def test_host_without_our_custom_identifier_is_not_retired(self):
        # a host registered before without customIdentifier, whose spec
        # update (which would set it) fails: it is not known to be ours
        host_id = self.api.add_host(name=os.uname().nodename)
        self.write_id(host_id)
        self.api.set_fault("update_host", "status", status=500)
        a, _ = self.poweroff("shutting-down")
        self.assertNotRetired(host_id, a)
        self.assertRegex(a.stderr(), r"customIdentifier check: host %s has customIdentifier "
                                     r"\(none\), not %s" % (host_id, CI))

    def test_confirm_false_leaves_the_decision_to_the_core(self):
        a, host_id = self.poweroff("stopping", ec2={"confirm": False}, wait_check=False)
        # no cloud plugin has an opinion: retire.confirm = "auto" trusts the OS
        self.assertRetiredOnce(host_id, a)
        self.assertEqual(self.ec2_requests(), 0)

    def test_platform_none_is_not_applicable(self):
        a, host_id = self.poweroff("stopping", ec2={"cloud_platform": "none"},
                                   wait_check=False)
        self.assertRetiredOnce(host_id, a)
        self.assertEqual(self.ec2_requests(), 0)
        self.assertEqual(self.imds.requests(), [])


# ---------------------------------------------------------------- sweeper glue
class SweeperGlue(Ec2Case):
    """sweep = true on an EC2 instance: the sweeper's region defaults to the
    instance's own (from IMDS).  The sweeper itself: test_sweep.py."""

    def test_sweeps_the_own_region_by_default(self):
        self.start_ec2()
        gone = "i-0aaaaaaaaaaaaaaa0"
        other = self.api.add_host(name="gone", custom_identifier=gone + ".ec2.amazonaws.com")
        self.ec2.instances(REGION, {INSTANCE_ID: "running", gone: "terminated"})
        a = self.start_cloud_agent(settings={"sweep": True, "sweep_interval": 1})
        host_id = self.wait_registered(a)
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(15))
        retires = self.api.requests(route="retire_host")
        self.assertEqual([r.path for r in retires], ["/api/v0/hosts/%s/retire" % other],
                         a.stderr()[-3000:])
        stats = self.ec2.stats()["regions"]
        self.assertEqual(sorted(stats), [REGION], stats)
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertFalse(self.api.host(host_id)["isRetired"])
        self.assertEqual(self.read_id(), host_id)


if __name__ == "__main__":
    harness.main()
