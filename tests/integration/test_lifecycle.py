#!/usr/bin/env python3
"""Host lifecycle of `saba-agent run`: registration, id file, adoption by
customIdentifier, spec update, host status, signals and config reload."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import API_KEY, AgentTestCase, scaled


class Registration(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg", "memory", "good")

    def config(self, **kw):
        kw.setdefault("plugins", {"loadavg": {}, "memory": {}})
        kw.setdefault("host_status", {"on_start": "working", "on_stop": "poweroff"})
        return self.write_config(**kw)

    def test_registers_new_host(self):
        self.config(display_name="web-01", roles=["svc:app"])
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        api = self.api
        # the id file holds the bare id the API issued, no newline
        created = api.requests(route="create_host")
        self.assertEqual(len(created), 1, api.requests())
        issued = [h["id"] for h in api.hosts()]
        self.assertEqual(issued, [host_id])
        self.assertRegex(host_id, r"^h[A-Za-z0-9]{10}$")
        st = os.stat(self.id_path)
        self.assertFalse(st.st_mode & 0o022, "id file is group/world writable")
        # no lookup by customIdentifier without one
        self.assertEqual(api.requests(route="find_hosts"), [])
        spec = created[0].body
        self.assertIsInstance(spec, dict, created[0].json_error)
        self.assertEqual(spec["name"], os.uname().nodename)
        self.assertEqual(spec["displayName"], "web-01")
        self.assertEqual(spec["roleFullnames"], ["svc:app"])
        # no plugin's customIdentifier: the registration token stands in
        # until the first spec PUT clears it (tests/integration/test_registration.py)
        self.assertRegex(spec["customIdentifier"], r"^saba-registration-[0-9a-f]{32}$")
        self.assertIn("checks", spec)
        self.assertEqual(spec["checks"], [])
        meta = spec["meta"]
        self.assertTrue(meta["agent-name"].startswith("saba-agent/"), meta)
        self.assertRegex(meta["agent-version"], r"^\d+\.\d+")
        for k in ("name", "release", "version", "machine", "os"):
            self.assertIn(k, meta["kernel"])
        self.assertEqual(meta["kernel"]["release"], os.uname().release)
        self.assertEqual(meta["memory"]["total"], "%dkB" % harness.meminfo()["MemTotal"])
        ifaces = spec.get("interfaces") or []
        for i in ifaces:
            self.assertIn("name", i)
            self.assertNotEqual(i["name"], "lo", "loopback-only interface listed")
            if "macAddress" in i:
                self.assertRegex(i["macAddress"], r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
        # headers
        for r in api.requests():
            self.assertEqual(r.header("X-Api-Key"), API_KEY)
            self.assertRegex(r.header("User-Agent", ""), r"^saba-agent/\d")
            if r.method in ("POST", "PUT"):
                self.assertRegex(r.header("Content-Type", ""), r"^application/json")
        # spec PUT and on_start status, in that order after the POST
        puts = api.wait_requests(1, route="update_host")
        self.assertEqual(puts[0].path, "/api/v0/hosts/%s" % host_id)
        self.assertEqual(puts[0].body["name"], spec["name"])
        self.assertEqual(puts[0].body["displayName"], "web-01")
        self.assertEqual(puts[0].body["customIdentifier"], "")
        self.assertIsNone(api.host(host_id)["customIdentifier"])
        ok = api.wait_for(lambda: api.statuses(host_id), scaled(5))
        self.assertTrue(ok, "no on_start status posted")
        self.assertEqual(api.statuses(host_id)[0][1], "working")
        self.assertEqual(api.host(host_id)["status"], "working")
        order = [r.route for r in api.requests()]
        self.assertLess(order.index("create_host"), order.index("update_host"))
        # metrics flow with the new id
        pts = self.wait_points("loadavg1", agent=a)
        self.assertEqual(pts[0]["hostId"], host_id)
        # graceful stop: exit 0 and on_stop
        n_before = len(api.statuses(host_id))
        self.stop_agent(a)
        after = api.statuses(host_id)[n_before:]
        self.assertEqual([s[1] for s in after], ["poweroff"])
        self.assertEqual(self.read_id(), host_id)
        self.assertEqual(len(api.requests(route="create_host")), 1)
        self.assertEqual(a.stdout(), "", "logs go to stderr; run prints nothing")
        # the id file was written atomically: no temp file left behind
        # (the lock file stays: removing it would race the next agent)
        self.assertEqual(sorted(os.listdir(self.root)), ["id", "saba-agent.lock"])
        ua = api.requests()[0].header("User-Agent")
        self.assertIn(meta["agent-version"], ua)

    def test_default_command_is_run(self):
        self.config()
        a = self.start_agent([])
        host_id = self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)
        self.assertEqual(self.read_id(), host_id)

    def test_existing_id_is_reused(self):
        host_id = self.api.add_host(name=os.uname().nodename, status="standby")
        self.write_id(host_id + "\n")        # trailing newline is trimmed
        self.config()
        a = self.start_agent(["run"])
        ok = self.api.wait_for(lambda: self.api.requests(route="update_host"), scaled(10))
        self.assertTrue(ok, a.stderr())
        reqs = self.api.requests()
        self.assertEqual(reqs[0].route, "get_host", reqs)
        self.assertEqual(reqs[0].path, "/api/v0/hosts/%s" % host_id)
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(self.api.requests(route="update_host")[0].host_id, host_id)
        pts = self.wait_points("loadavg1", agent=a)
        self.assertEqual({p["hostId"] for p in pts}, {host_id})
        self.assertTrue(self.api.wait_for(lambda: self.api.statuses(host_id), scaled(5)))
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(len(self.api.hosts()), 1)
        self.assertIn(self.read_id(), (host_id, host_id + "\n"))

    def test_id_with_crlf_is_trimmed(self):
        host_id = self.api.add_host(name=os.uname().nodename)
        self.write_id(host_id + "\r\n")
        self.config()
        a = self.start_agent(["run"])
        pts = self.wait_points("loadavg1", agent=a)
        self.assertEqual(pts[0]["hostId"], host_id)
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(self.api.requests(route="get_host")[0].host_id, host_id)
        self.stop_agent(a)

    def test_empty_id_file_means_unregistered(self):
        self.write_id("")
        self.config()
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertEqual(len(self.api.requests(route="create_host")), 1)
        self.assertEqual(self.api.requests(path="/api/v0/hosts/"), [])
        self.assertEqual(self.api.requests()[0].route, "create_host")
        self.stop_agent(a)

    def test_blank_id_file_means_unregistered(self):
        self.write_id("\r\n")
        self.config()
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertEqual(self.read_id(), host_id)
        self.assertEqual(self.api.requests()[0].route, "create_host")
        self.stop_agent(a)

    def test_missing_root_is_created(self):
        root = os.path.join(self.tmp, "var", "lib", "saba-agent")
        self.id_path = os.path.join(root, "id")
        self.config(root=root)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertTrue(os.path.isdir(root))
        self.stop_agent(a)
        self.assertEqual(self.read_id(), host_id)

    def test_root_option_overrides_config(self):
        elsewhere = os.path.join(self.tmp, "elsewhere")
        self.config(root=elsewhere)
        a = self.start_agent(["--root", self.root, "run"])
        host_id = self.wait_registered(a)
        self.stop_agent(a)
        self.assertEqual(self.read_id(), host_id)
        self.assertFalse(os.path.exists(os.path.join(elsewhere, "id")))

    def test_unknown_id_is_fatal(self):
        self.write_id("hDOESNOTEXI")
        self.config()
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(p.elapsed, scaled(10))
        self.assertIn("hDOESNOTEXI", p.stderr)
        self.assertIn(self.id_path, p.stderr, "the message should say which id file to delete")
        self.assertEqual(self.api.requests(route="create_host"), [],
                         "re-registered silently")
        self.assertEqual(self.api.requests(route="tsdb"), [])
        self.assertEqual(self.api.requests(route="update_host"), [])
        self.assertEqual(self.read_id(), "hDOESNOTEXI")

    def test_retired_id_is_fatal(self):
        host_id = self.api.add_host(name=os.uname().nodename, retired=True)
        self.write_id(host_id)
        self.config()
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(p.elapsed, scaled(10))
        self.assertRegex(p.stderr, r"(?i)retired")
        self.assertIn(host_id, p.stderr)
        for route in ("create_host", "update_host", "host_status", "tsdb"):
            self.assertEqual(self.api.requests(route=route), [], route)
        self.assertEqual(self.read_id(), host_id)


class CustomIdentifier(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg", "good")

    def config(self, ci):
        return self.write_config(plugins={"loadavg": {},
                                          "t": {"module": "good", "custom_identifier": ci}},
                                 host_status={"on_start": "working", "on_stop": "poweroff"})

    def test_adopts_host_by_custom_identifier(self):
        other = self.api.add_host(name="other", custom_identifier="ci-other")
        mine = self.api.add_host(name="cloud-created", custom_identifier="ci-adopt-1",
                                 status="poweroff")
        self.config("ci-adopt-1")
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertEqual(host_id, mine)
        self.assertNotEqual(host_id, other)
        self.assertEqual(self.api.requests(route="create_host"), [], "adopted host was re-created")
        finds = self.api.requests(route="find_hosts")
        self.assertGreaterEqual(len(finds), 1)
        q = finds[0].query
        self.assertEqual(q.get("customIdentifier"), ["ci-adopt-1"])
        # all four live statuses are searched, so a powered-off host is found
        self.assertTrue({"working", "standby", "maintenance", "poweroff"} <= set(q.get("status", [])),
                        q)
        put = self.api.requests(route="update_host")[0]
        self.assertEqual(put.host_id, mine)
        self.assertEqual(put.body.get("customIdentifier"), "ci-adopt-1")
        pts = self.wait_points("test.good", agent=a)
        self.assertEqual(pts[0]["hostId"], mine)
        self.stop_agent(a)
        self.assertEqual(self.read_id(), mine)

    def test_registers_when_no_host_has_the_identifier(self):
        self.api.add_host(name="other", custom_identifier="ci-other")
        self.config("ci-new-2")
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        created = self.api.requests(route="create_host")
        self.assertEqual(len(created), 1)
        self.assertEqual(created[0].body.get("customIdentifier"), "ci-new-2")
        self.assertLess(self.api.requests().index(self.api.requests(route="find_hosts")[0]),
                        self.api.requests().index(created[0]))
        self.assertEqual(self.api.host(host_id)["customIdentifier"], "ci-new-2")
        self.stop_agent(a)

    def test_custom_identifier_is_url_escaped(self):
        ci = "i-0ab c&status=x/y+z=1.ec2"
        mine = self.api.add_host(name="cloud", custom_identifier=ci)
        self.config(ci)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertEqual(self.api.requests(route="find_hosts")[0].query["customIdentifier"], [ci])
        self.assertEqual(host_id, mine)
        self.stop_agent(a)

    def test_retired_host_with_identifier_is_not_adopted(self):
        old = self.api.add_host(name="old", custom_identifier="ci-3", retired=True)
        self.config("ci-3")
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertNotEqual(host_id, old)
        self.assertEqual(len(self.api.requests(route="create_host")), 1)
        self.stop_agent(a)


    def test_stored_host_with_other_identifier_is_fatal(self):
        # a copied id file / cloned image: the stored host is another machine
        other = self.api.add_host(name="other-vm", custom_identifier="ci-someone-else")
        self.write_id(other)
        self.config("ci-mine-4")
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("ci-someone-else", p.stderr)
        for route in ("create_host", "update_host", "host_status", "tsdb"):
            self.assertEqual(self.api.requests(route=route), [], route)
        self.assertEqual(self.read_id(), other)


class Signals(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg", "good")

    def test_sigint_stops_and_posts_custom_on_stop(self):
        self.write_config(plugins={"loadavg": {}},
                          host_status={"on_start": "standby", "on_stop": "maintenance"})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.assertTrue(self.api.wait_for(lambda: self.api.statuses(host_id), scaled(5)))
        self.assertEqual(self.api.statuses(host_id)[0][1], "standby")
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a, signal.SIGINT)
        self.assertEqual(self.api.statuses(host_id)[-1][1], "maintenance")
        self.assertEqual(len(self.api.statuses(host_id)), 2)

    def test_failing_on_stop_status_still_exits_0(self):
        self.write_config(plugins={"loadavg": {}},
                          host_status={"on_start": "working", "on_stop": "poweroff"})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.api.set_fault("host_status", "status", status=500)
        self.stop_agent(a, bound=5)
        self.assertRegex(a.stderr(), r"500")

    def test_apikey_from_environment_overrides_config(self):
        self.write_config(apikey="wrong-key-from-config", plugins={"loadavg": {}})
        a = self.start_agent(["run"], env={"SABA_AGENT_APIKEY": API_KEY})
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)
        keys = {r.header("X-Api-Key") for r in self.api.requests()}
        self.assertEqual(keys, {API_KEY})
        self.assertNotIn("wrong-key-from-config", a.stderr())

    def test_sighup_reloads_config(self):
        self.write_config(plugins={"t": {"module": "good", "value": 7.0}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", agent=a)
        self.write_config(plugins={"t": {"module": "good", "value": 8.0},
                                   "u": {"module": "good", "name": "test.added", "value": 1.0}})
        a.send_signal(signal.SIGHUP)
        ok = self.api.wait_for(
            lambda: [p for p in self.api.points_named("test.good") if p["value"] == 8.0],
            scaled(10))
        self.assertTrue(ok, "new value never posted after SIGHUP\n" + a.stderr()[-2000:])
        self.wait_points("test.added", agent=a)
        self.assertTrue(a.alive())
        self.assertEqual(len(self.api.requests(route="create_host")), 1)
        self.stop_agent(a)

    def test_plugin_copied_again_while_loaded(self):
        """plugin_dir() run again while an agent has the plugins loaded (a
        second agent of the same test): the next dlopen, here a reload
        adding a module, still finds every loaded object intact."""
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", agent=a)
        self.plugin_dir("good")
        self.write_config(plugins={"t": {"module": "good"}, "l": {"module": "loadavg"}})
        a.send_signal(signal.SIGHUP)
        self.wait_points("loadavg1", agent=a)
        self.assertTrue(a.alive(), a.stderr()[-2000:])
        self.stop_agent(a)

    def test_sighup_changes_interval(self):
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.write_config(interval=2, plugins={"t": {"module": "good", "value": 2.0}})
        a.send_signal(signal.SIGHUP)
        ok = self.api.wait_for(
            lambda: len([p for p in self.api.points_named("test.good") if p["value"] == 2.0])
            >= 3, scaled(12))
        self.stop_agent(a)
        self.assertTrue(ok, a.stderr())
        late = sorted({p["time"] for p in self.api.points_named("test.good")
                       if p["value"] == 2.0})
        self.assertEqual([t % 2 for t in late], [0] * len(late), late)
        self.assertEqual(harness.gaps(late, 2), [], late)

    def test_sighup_with_broken_config_keeps_old_one(self):
        path = self.write_config(plugins={"t": {"module": "good", "value": 7.0}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", agent=a)
        with open(path, "a") as f:
            f.write("this is = not ; valid {\n")
        a.send_signal(signal.SIGHUP)
        m = a.wait_for_stderr(r"%s:\d+" % path, timeout=scaled(5))
        self.assertTrue(m, "no error naming the config file after a bad reload:\n" + a.stderr())
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 2, agent=a)
        self.assertTrue(a.alive())
        self.assertEqual({p["value"] for p in self.api.points_named("test.good")}, {7.0})
        self.stop_agent(a)

    def test_sighup_dropping_a_hung_instance(self):
        self.plugin_dir("good", "hang")
        path = self.write_config(plugins={"h": {"module": "hang"}, "t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.write_config(plugins={"t": {"module": "good", "value": 5.0}})
        a.send_signal(signal.SIGHUP)
        ok = self.api.wait_for(
            lambda: [p for p in self.api.points_named("test.good") if p["value"] == 5.0],
            scaled(10))
        self.assertTrue(ok, "reload stuck behind a hung instance\n" + a.stderr()[-2000:])
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 2, agent=a)
        self.stop_agent(a, bound=5)
        times = harness.tsdb_series(self.api.points(), "test.good")
        self.assertEqual(harness.gaps(times), [], "ticks lost around the reload")

    def _threads(self, agent):
        return len(os.listdir("/proc/%d/task" % agent.pid))

    def _threads_at_rest(self, agent, samples=20):
        """The median thread count over two seconds: collection and posting
        take a few milliseconds of each second."""
        counts = []
        for _ in range(samples):
            counts.append(self._threads(agent))
            time.sleep(0.1)
        return sorted(counts)[len(counts) // 2], counts

    PROC_PLUGINS = ["loadavg", "memory", "cpu", "disk", "interface", "filesystem"]

    def test_two_threads_at_rest(self):
        """With the six /proc plugins and posting on, the agent rests with
        two threads: main (signals) and the loop."""
        self.plugin_dir(*self.PROC_PLUGINS)
        self.write_config(plugins={p: {} for p in self.PROC_PLUGINS})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", 3, agent=a)
        rest, counts = self._threads_at_rest(a)
        self.stop_agent(a)
        self.assertLessEqual(rest, 2, "threads at rest: %s" % counts)
        times = harness.tsdb_series(self.api.points(), "memory.used")
        self.assertGreaterEqual(len(times), 3)
        self.assertEqual(harness.gaps(times), [], "ticks lost")

    def test_a_hung_plugin_costs_one_thread_and_no_tick(self):
        """A hung plugin adds the one thread stuck in it; the /proc plugins
        still report every tick and the stop keeps its bound."""
        self.plugin_dir("hang", *self.PROC_PLUGINS)
        plugins = {p: {} for p in self.PROC_PLUGINS}
        plugins["h"] = {"module": "hang"}
        self.write_config(plugins=plugins)
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("memory.used", 4, agent=a)
        self.assertTrue(a.wait_for_stderr(r"hang/h: still collecting", scaled(5)))
        rest, counts = self._threads_at_rest(a)
        self.stop_agent(a, bound=5)
        self.assertLessEqual(rest, 3, "threads at rest with one hung plugin: %s" % counts)
        for name in ("memory.used", "loadavg1"):
            times = harness.tsdb_series(self.api.points(), name)
            self.assertEqual(harness.gaps(times), [], "%s lost ticks behind the hung one" % name)

    def test_collect_pool_is_bounded(self):
        """Thirty instances share a bounded pool of collect workers, and
        every one of them still reports every tick."""
        self.plugin_dir("good")
        plugins = {"g%02d" % i: {"module": "good", "value": float(i)} for i in range(30)}
        self.write_config(plugins=plugins)
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 30 * 3, agent=a)
        rest, counts = self._threads_at_rest(a)
        self.stop_agent(a)
        # Quick rounds run on the loop thread: mostly main and the loop
        # alone.  A machine that stalls a round 250 ms gets a new loop
        # thread or a runner for a while, never past the cap (64) plus the
        # agent's own few.
        self.assertLessEqual(rest, 4, "thirty quick instances: %s threads" % counts)
        self.assertLessEqual(max(counts), 64 + 6, "collect pool not bounded: %s" % counts)
        by_value = {}
        for p in self.api.points_named("test.good"):
            by_value.setdefault(p["value"], []).append(p["time"])
        self.assertEqual(sorted(by_value), [float(i) for i in range(30)])
        for v, times in by_value.items():
            self.assertEqual(harness.gaps(sorted(set(times))), [], "instance %s lost ticks" % v)

    def test_hung_instances_beyond_the_pool_do_not_starve_others(self):
        """More hung plugins than the pool's base size: each costs one
        worker, and the healthy instance still collects every tick."""
        self.plugin_dir("good", "hang")
        plugins = {"h%02d" % i: {"module": "hang"} for i in range(12)}
        plugins["t"] = {"module": "good"}
        self.write_config(plugins=plugins)
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 4, agent=a)
        threads = self._threads(a)
        self.assertTrue(a.wait_for_stderr(r"hang/h\d+: still collecting", scaled(5)))
        self.stop_agent(a, bound=5)
        times = harness.tsdb_series(self.api.points(), "test.good")
        # A round still running at the next tick misses that one.  Where the
        # agent is slowed (the sanitizer passes, whose bounds are scaled),
        # the twelve runners started at once can keep the healthy one's
        # first round past a tick: one such miss is allowed there; the
        # unscaled run (quick start 2) allows none.
        lost = harness.gaps(times)
        self.assertLessEqual(len(lost), 0 if harness.TIME_SCALE == 1 else 1,
                             "the healthy instance lost ticks: %s" % lost)
        self.assertGreaterEqual(threads, 12 + 1)
        self.assertLessEqual(threads, 12 + 8 + 6)

    def test_no_thread_is_started_per_tick(self):
        """The loop thread collects the quick /proc plugins and posts
        itself: over three ticks not one thread (or process) is started."""
        if os.environ.get("SABA_TEST_WRAPPER"):
            self.skipTest("a wrapper (valgrind) slows rounds past the takeover budget")
        if shutil.which("strace") is None:
            self.fail("strace not found (apt-get install strace)")
        self.plugin_dir(*self.PROC_PLUGINS)
        self.write_config(plugins={p: {} for p in self.PROC_PLUGINS})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("memory.used", 2, agent=a)
        out = os.path.join(tempfile.mkdtemp(dir=self.tmp), "strace")
        # -f with -p attaches every thread of the agent.
        subprocess.run(["timeout", "-s", "INT", str(scaled(3.5)), "strace", "-f", "-qq", "-o",
                        out, "-e", "trace=clone,clone3,fork,vfork,pread64,sendto,write",
                        "-p", str(a.pid)], check=False)
        posted = len(self.api.points_named("memory.used"))
        self.stop_agent(a)
        calls = open(out).read().splitlines()
        names = [c.split("(")[0].split()[-1] for c in calls if "(" in c]
        self.assertGreaterEqual(names.count("pread64"), 6 * 3,
                                "strace saw fewer than three rounds: %s" % names[:40])
        self.assertEqual([c for c in calls if c.split("(")[0].split()[-1]
                          in ("clone", "clone3", "fork", "vfork")], [],
                         "threads started while collecting and posting")
        self.assertGreaterEqual(posted, 4)

    def test_a_slow_post_delays_no_round(self):
        """A post that takes three seconds at a one-second interval: the
        loop goes on on a new thread, and every tick is collected and
        posted in the end."""
        self.plugin_dir("good")
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        slow = self.api.set_fault("tsdb", "delay", delay=3.0, count=1)
        self.assertTrue(self.api.wait_for(lambda: slow.hits >= 1, scaled(5)))
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 5, timeout=15, agent=a)
        self.stop_agent(a)
        self.assertTrue(a.wait_for_stderr(r"a new loop thread goes on", 1),
                        "the loop was not taken over")
        times = harness.tsdb_series(self.api.points(), "test.good")
        self.assertEqual(harness.gaps(times), [], "ticks lost behind the slow post")

    def test_repeated_sighup_loses_no_tick(self):
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        for _ in range(3):
            a.send_signal(signal.SIGHUP)
            time.sleep(0.2)
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 3, agent=a)
        self.stop_agent(a)
        times = harness.tsdb_series(self.api.points(), "test.good")
        self.assertEqual(harness.gaps(times), [], "ticks lost around the reloads")
        self.assertEqual(len(self.api.requests(route="create_host")), 1)

    def test_sigterm_during_registration(self):
        self.write_config(plugins={"loadavg": {}})
        self.api.set_fault("create_host", "delay", delay=1.0)
        a = self.start_agent(["run"])
        self.assertTrue(self.api.wait_requests(1, route="create_host", timeout=scaled(10)))
        rc, took = self.stop_agent(a, bound=5, expect_rc=None)
        self.assertIn(rc, (0, 1))
        self.assertNoCrash(rc, a.stderr())

    def test_second_signal_exits_at_once(self):
        self.write_config(plugins={"loadavg": {}}, http={"timeout": 30},
                          shutdown={"timeout": 30})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.api.set_fault("tsdb", "hang")
        self.api.set_fault("host_status", "hang")
        time.sleep(2.5)          # some batches queue up behind the hung post
        a.send_signal(signal.SIGTERM)
        # the agent ignores a repeat within 1 s of the first (a doubled
        # delivery); a deliberate second signal comes later
        time.sleep(scaled(1.5))
        if not a.alive():
            self.skipTest("the first SIGTERM already ended the agent (rc %s): nothing "
                          "to test" % a.returncode)
        rc, took = a.stop(signal.SIGTERM, timeout=scaled(3) + 5)
        self.assertIsNotNone(rc, "still running after the second SIGTERM")
        self.assertLessEqual(took, scaled(3))
        self.assertNoCrash(rc, a.stderr())


if __name__ == "__main__":
    harness.main()
