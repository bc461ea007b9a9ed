"""The base of the cloud plugins' integration tests (test_ec2.py,
test_sweep.py, test_gce.py, test_azure.py): the real agent with one cloud
plugin (and optionally the trigger test plugin) against the fake Mackerel
API and the cloud's fakes, all on 127.0.0.1.

    class Ec2Case(CloudCase):
        PLUGIN = "ec2"
        ENV_PREFIXES = ("AWS_",)
        def cloud_settings(self, **kw): ...   # the plugin instance's settings

    class GceCase(FrameCase):               # a cloud on plugins/lib/cloud_frame.c
        PLUGIN, PLATFORM, FAKE = "gce", "gce", FakeGce
        ...                                 # its endpoints and sweep scopes

Python 3 standard library only.
"""

import os
import re
import time

from harness import AgentTestCase, scaled


class CloudCase(AgentTestCase):
    PLUGIN = None           # module name of the cloud plugin
    ENV_PREFIXES = ()       # the cloud's environment variables, dropped for the agent

    def cloud_settings(self, **kw):
        raise NotImplementedError

    def agent_env(self):
        """The agent's environment: none of the cloud's variables."""
        return {k: None for k in os.environ if k.startswith(self.ENV_PREFIXES)}

    def start_cloud_agent(self, settings=None, trigger=None, args=("run",), **cfg):
        """Start `run` with loadavg, the cloud plugin (cloud_settings
        updated with settings) and, when given, the trigger test plugin
        (its settings)."""
        names = ["loadavg", self.PLUGIN] + (["trigger"] if trigger is not None else [])
        self.plugin_dir(*names)
        plugins = {"loadavg": {}, self.PLUGIN: self.cloud_settings(**(settings or {}))}
        if trigger is not None:
            t = {"module": "trigger"}
            t.update(trigger)
            plugins["trig"] = t
        self.write_config(plugins=plugins, **cfg)
        return self.start_agent(list(args), env=self.agent_env())

    def spec_of(self, route="update_host"):
        reqs = self.api.requests(route=route)
        self.assertTrue(reqs, "no %s request: %r" % (route, self.api.requests()))
        return reqs[-1].body

    def fresh_host(self):
        """Forget the last scenario's requests and id file (for subTests)."""
        self.api.reset_records()
        if os.path.exists(self.id_path):
            os.unlink(self.id_path)

    def bad_settings(self, cases, good):
        """configtest refuses each (settings, key) of cases naming
        FILE:LINE and key, and accepts good."""
        self.plugin_dir(self.PLUGIN)
        for settings, key in cases:
            with self.subTest(settings=settings):
                s = {"module": self.PLUGIN}
                s.update(settings)
                self.write_config(plugins={self.PLUGIN: s})
                p = self.run_agent(["configtest"], env=self.agent_env())
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stdout + p.stderr, r"saba-agent\.conf:\d+:.*%s" % key)
        self.write_config(plugins={self.PLUGIN: good})
        p = self.run_agent(["configtest"], env=self.agent_env())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    # ------------------------------------------------------------ asserts
    def assertRetiredOnce(self, host_id, agent):
        retires = self.api.requests(route="retire_host")
        self.assertEqual(len(retires), 1, "%r\n%s" % (self.api.requests(),
                                                      agent.stderr()[-3000:]))
        self.assertEqual(retires[0].path, "/api/v0/hosts/%s/retire" % host_id)
        self.assertTrue(self.api.host(host_id)["isRetired"])
        # the id file goes once the agent has the API's answer
        self.api.wait_for(lambda: self.read_id() is None, scaled(5))
        self.assertIsNone(self.read_id(), "id file kept after retirement")

    def assertNotRetired(self, host_id, agent):
        self.assertEqual(self.api.requests(route="retire_host"), [], agent.stderr()[-3000:])
        self.assertEqual(self.read_id(), host_id)
        self.assertFalse(self.api.host(host_id)["isRetired"])

    def wait_retired(self, host_id, agent, settle=2):
        """Wait for the retire call, give the poller time to (wrongly)
        call again, and assert one call."""
        self.api.wait_for(lambda: self.api.requests(route="retire_host"), scaled(10))
        time.sleep(settle)
        self.assertRetiredOnce(host_id, agent)

    # ------------------------------------------------------------ a stop
    def poweroff(self, kind="poweroff", settings=None, bound=12, wait_check=True):
        """Run the agent with the trigger test plugin classifying the stop
        as kind, wait until it runs (and, with wait_check, until its
        start-up customIdentifier check), stop it.  Returns (agent, host)."""
        a = self.start_cloud_agent(settings=dict({"poll_interval": 0}, **(settings or {})),
                                   trigger={"kind": kind, "retire_on": [kind],
                                            "confirm": "none"})
        host_id = self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        if wait_check:
            self.assertTrue(a.wait_for_stderr(r"customIdentifier check", scaled(10)),
                            a.stderr()[-2000:])
        self.stop_agent(a, bound=bound, expect_rc=None)
        return a, host_id

    # ------------------------------------------------------------ the sweeper
    def sweeps(self, agent):
        return re.findall(r"sweep: \d+ hosts listed.*", agent.stderr())

    def wait_sweeps(self, agent, n, timeout=20):
        """Wait until agent logged n sweeps; returns their lines."""
        deadline = time.monotonic() + scaled(timeout)
        while len(self.sweeps(agent)) < n and time.monotonic() < deadline and agent.alive():
            time.sleep(0.1)
        lines = self.sweeps(agent)
        self.assertGreaterEqual(len(lines), n, "fewer than %d sweeps; stderr:\n%s" % (
            n, agent.stderr()[-3000:]))
        return lines

    def retired_ids(self):
        return sorted(h for h, _ in self.api.retired())

    def start_sweeper(self, root=None, **settings):
        """An agent that only sweeps: its own config and root."""
        self.plugin_dir(self.PLUGIN)
        cfg = os.path.join(self.tmp, "sweeper%d.conf" % len(self.agents))
        extra = {"plugins": {self.PLUGIN: self.sweep_settings(**settings)}}
        if root is not None:
            os.makedirs(root, exist_ok=True)
            extra["root"] = root
        self.write_config(path=cfg, **extra)
        return self.start_agent(["-c", cfg, "run"], config=False, env=self.agent_env())

    def sweep_settings(self, **kw):
        raise NotImplementedError


class FrameCase(CloudCase):
    """A cloud plugin built on the cloud frame (gce, azure): the fake
    Mackerel API and the cloud's fake (FAKE, a fakecloud.FakeCloud with a
    metadata and an API endpoint) as self.fake, and the frame's settings."""

    FAKE = None             # the fake's class
    PLATFORM = None         # cloud_platform's value
    MD_ENDPOINT = None      # the fake's endpoints: the metadata service,
    API_ENDPOINT = None     # the cloud's API
    SCOPES_KEY = None       # the sweeper's setting ("sweep_projects")
    SCOPES = ()             # what it sweeps in the tests, ours first

    def setUp(self):
        super().setUp()
        self.start_api(retired_404=True)
        self.fake = self.FAKE().start()
        self.addCleanup(self.fake.stop)

    def cloud_settings(self, **kw):
        s = {"cloud_platform": self.PLATFORM,
             "metadata_endpoint": self.fake.url(self.MD_ENDPOINT),
             "api_endpoint": self.fake.url(self.API_ENDPOINT), "metadata_timeout": 1,
             "api_timeout": 2, "poll_interval": 1}
        s.update(kw)
        return s

    def sweep_settings(self, **kw):
        s = self.cloud_settings(cloud_platform="none", sweep=True, sweep_interval=1,
                                absent_grace=3600)
        s[self.SCOPES_KEY] = list(self.SCOPES)
        s.update(kw)
        return s

    def api_requests(self):
        return self.fake.requests(self.API_ENDPOINT)

    def hang_api(self):
        self.fake.set_fault(self.API_ENDPOINT, "*", "hang")

    def release_api(self):
        self.fake.release_hangs()

    def remove(self, instance):
        self.fake.remove(instance)


class PoweroffTests:
    """The poweroff tests every cloud passes, mixed into a FrameCase that
    has the hook make_deleting(): the cloud's API says this machine is
    being deleted."""

    def test_reboot_never_asks_the_api(self):
        self.make_deleting()
        a, host_id = self.poweroff(kind="reboot")
        self.assertNotRetired(host_id, a)
        self.assertEqual(self.api_requests(), [])


class SweeperTests:
    """The sweeper tests every cloud passes, mixed into a FrameCase that
    has the hooks: seed({name: "live", "stopped", "dead" or None}) ->
    {name: (host id, instance id)}; error_cases() -> [(what, a function
    that makes every scope fail)], clear_errors(); API_WORDS, SCOPE (the
    first swept scope) and SCOPE_WORD as the log says them.  The fake
    answers in pages of page_size."""

    API_WORDS = None
    SCOPE = None
    SCOPE_WORD = None

    def assertSweeperRetires(self, host_ids):
        """A fresh sweeper retires host_ids, and only them."""
        a = self.start_sweeper()
        self.assertTrue(self.api.wait_for(lambda: self.api.retired(), scaled(10)))
        self.assertEqual(self.retired_ids(), sorted(host_ids))
        self.stop_agent(a)

    def test_errors_retire_nothing(self):
        h = self.seed({"deleting": "dead", "gone": "live"})
        for what, fault in self.error_cases():
            with self.subTest(what=what):
                fault()
                a = self.start_sweeper(absent_grace=0, api_timeout=1)
                try:
                    lines = self.wait_sweeps(a, 1)
                    self.assertRegex(lines[-1], r"%ss 0/2 answered.* 2 unknown" % (
                        self.SCOPE_WORD))
                    self.assertEqual(self.api.retired(), [])
                    self.stop_agent(a)
                finally:
                    self.clear_errors()
        self.assertSweeperRetires([h["deleting"][0]])

    def test_paged_answers(self):
        self.fake.page_size = 2
        h = self.seed({"h%d" % i: "dead" if i in (1, 5) else "live" for i in range(7)})
        a = self.start_sweeper()
        self.wait_sweeps(a, 2)
        self.assertEqual(self.retired_ids(), sorted([h["h1"][0], h["h5"][0]]))
        self.stop_agent(a)

    def test_absent_past_grace(self):
        h = self.seed({"gone": "live", "stays": "stopped"})
        a = self.start_sweeper(absent_grace=2)
        self.wait_sweeps(a, 1)
        self.remove(h["gone"][1])
        t0 = time.monotonic()
        self.assertTrue(self.api.wait_for(lambda: self.api.retired(), scaled(15)),
                        a.stderr()[-3000:])
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)   # not before absent_grace
        self.assertEqual(self.retired_ids(), [h["gone"][0]])
        self.assertRegex(a.stderr(), r"%s absent from %s in %s" % (h["gone"][1],
                                                                  self.API_WORDS, self.SCOPE))
        self.stop_agent(a)

    def test_two_sweepers_retire_each_host_once(self):
        h = self.seed({"h%02d" % i: "dead" if i % 3 == 0 else "live" for i in range(12)})
        dead = sorted(h[n][0] for n in h if int(n[1:]) % 3 == 0)
        # slow retirements: both sweepers retire the same hosts at once
        self.api.set_fault("retire_host", "delay", delay=0.2)
        a1 = self.start_sweeper(root=os.path.join(self.tmp, "root1"))
        a2 = self.start_sweeper(root=os.path.join(self.tmp, "root2"))
        self.assertTrue(self.api.wait_for(lambda: len(self.api.retired()) >= len(dead),
                                          scaled(15)))
        self.wait_sweeps(a1, 2)
        self.wait_sweeps(a2, 2)
        self.assertEqual(self.retired_ids(), dead)
        for host in dead:
            self.assertEqual(self.api.retire_counts()[host][1], 1, host)
        for a in (a1, a2):
            self.stop_agent(a)

    def test_stops_promptly_while_the_api_hangs(self):
        self.seed({"x": "live"})
        self.hang_api()
        a = self.start_sweeper(api_timeout=60)
        self.assertTrue(self.api.wait_for(self.api_requests, scaled(10)))
        self.stop_agent(a, bound=5)
        self.assertEqual(self.api.retired(), [])
        self.release_api()
