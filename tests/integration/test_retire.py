#!/usr/bin/env python3
"""The retire routine: `saba-agent retire`, its deadline and error handling,
and retirement requested by a shutdown trigger plugin on SIGTERM."""

import os
import subprocess
import time

import harness
from harness import API_KEY, AgentTestCase, free_port, scaled


class RetireCommand(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.host_id = self.api.add_host(name=os.uname().nodename)
        self.write_id(self.host_id)

    def retire(self, *extra, timeout=30, **kw):
        return self.run_agent(["retire"] + list(extra), timeout=timeout, **kw)

    def test_retire_force(self):
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        reqs = self.api.requests()
        retires = self.api.requests(route="retire_host")
        self.assertEqual(len(retires), 1, reqs)
        r = retires[0]
        self.assertEqual(r.path, "/api/v0/hosts/%s/retire" % self.host_id)
        self.assertEqual(r.body, {}, r.raw_body)
        self.assertEqual(r.header("X-Api-Key"), API_KEY)
        self.assertRegex(r.header("Content-Type", ""), r"^application/json")
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(self.api.requests(route="tsdb"), [])
        self.assertTrue(self.api.host(self.host_id)["isRetired"])
        self.assertIsNone(self.read_id(), "id file not removed")
        self.assertIn(self.host_id, p.stderr, "the retirement is not logged with the host id")
        self.assertKeyNotLeaked(p.stdout + p.stderr)
        # a second call: not registered any more
        p2 = self.retire("--force")
        self.assertEqual(p2.returncode, 1, p2.stderr)
        self.assertRegex(p2.stderr, r"(?i)not registered")
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)

    def test_root_option_overrides_config(self):
        other = os.path.join(self.tmp, "elsewhere")
        os.mkdir(other)
        self.write_config(root=other)
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, "config root has no id file:\n" + p.stderr)
        self.assertEqual(self.api.requests(), [])
        p = self.run_agent(["--root", self.root, "retire", "--force"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertIsNone(self.read_id())

    def test_without_force_refuses_when_not_a_tty(self):
        self.write_config()
        p = self.retire(stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.api.requests(), [])
        self.assertEqual(self.read_id(), self.host_id)
        p = self.retire(input=b"y\n")        # a pipe is not a TTY either
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.api.requests(), [])
        self.assertEqual(self.read_id(), self.host_id)

    def test_not_registered(self):
        os.unlink(self.id_path)
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"(?i)not registered")
        self.assertEqual(self.api.requests(), [])

    def test_empty_id_file_is_not_registered(self):
        self.write_id("")
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"(?i)not registered")
        self.assertEqual(self.api.requests(), [])

    def test_404_means_already_gone(self):
        self.write_id("hGONEALREADY")
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertIsNone(self.read_id())

    def test_client_error_fails_without_retry(self):
        self.api.set_fault("retire_host", "status", status=403,
                           body={"error": {"message": "Permission denied for this key"}})
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1, "a 403 was retried")
        self.assertEqual(self.read_id(), self.host_id)
        self.assertRegex(p.stderr, r"(403|Permission denied for this key)")
        self.assertLess(p.elapsed, scaled(4))

    def test_bad_request_fails(self):
        self.api.set_fault("retire_host", "status", status=400)
        self.write_config()
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertEqual(self.read_id(), self.host_id)

    def test_server_errors_are_retried(self):
        self.api.set_fault("retire_host", "status", status=503, count=2)
        self.write_config(retire={"timeout": 10})
        p = self.retire("--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.api.requests(route="retire_host")), 3)
        self.assertIsNone(self.read_id())
        self.assertTrue(self.api.host(self.host_id)["isRetired"])

    def test_deadline_against_an_api_that_never_answers(self):
        self.api.set_fault("retire_host", "hang")
        self.write_config(retire={"timeout": 3}, http={"timeout": 10})
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLessEqual(p.elapsed, 3 + scaled(1.5), "retire.timeout not honoured")
        self.assertGreaterEqual(p.elapsed, 2.5, "gave up long before retire.timeout")
        self.assertEqual(self.read_id(), self.host_id)
        self.assertGreaterEqual(len(self.api.requests(route="retire_host")), 1)

    def test_deadline_with_persistent_server_errors(self):
        self.api.set_fault("retire_host", "status", status=500)
        self.write_config(retire={"timeout": 3})
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLessEqual(p.elapsed, 3 + scaled(1.5))
        self.assertGreaterEqual(len(self.api.requests(route="retire_host")), 2,
                                "5xx not retried inside the budget")
        self.assertEqual(self.read_id(), self.host_id)

    def test_retry_after_beyond_the_deadline(self):
        # a Retry-After longer than the budget must not stretch the deadline
        self.api.set_fault("retire_host", "status", status=429, retry_after=30)
        self.write_config(retire={"timeout": 3})
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLessEqual(p.elapsed, 3 + scaled(1.5))
        self.assertEqual(self.read_id(), self.host_id)

    def test_unreachable_api(self):
        self.write_config(apibase="http://127.0.0.1:%d" % free_port(), retire={"timeout": 3})
        p = self.retire("--force")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLessEqual(p.elapsed, 3 + scaled(1.5))
        self.assertEqual(self.read_id(), self.host_id)


class RetireByTrigger(AgentTestCase):
    """SIGTERM to `run` with the trigger test plugin."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg", "trigger")

    def run_and_stop(self, triggers, args=("run",), bound=None, expect_rc=0, **cfg):
        plugins = {"loadavg": {}}
        for name, settings in triggers.items():
            s = {"module": "trigger"}
            s.update(settings)
            plugins[name] = s
        self.write_config(plugins=plugins,
                          host_status={"on_start": "working", "on_stop": "poweroff"}, **cfg)
        a = self.start_agent(list(args))
        if "--dry-run" in args:
            self.api.wait_for(lambda: "/api/v0/tsdb" in a.stdout() or not a.alive(),
                              scaled(10))
            self.assertIn("/api/v0/tsdb", a.stdout(), a.stderr()[-2000:])
        else:
            self.wait_registered(a)
            self.wait_points("loadavg1", agent=a)
        self.stop_agent(a, bound=bound or 5, expect_rc=expect_rc)
        return a

    def assertRetiredOnce(self, host_id, a):
        retires = self.api.requests(route="retire_host")
        self.assertEqual(len(retires), 1, self.api.requests())
        self.assertEqual(retires[0].path, "/api/v0/hosts/%s/retire" % host_id)
        self.assertEqual(retires[0].body, {})
        self.assertIsNone(self.read_id(), "id file kept after retirement")
        self.assertTrue(self.api.host(host_id)["isRetired"])
        # no data for a retired host after the retire call
        t_ret = retires[0].time
        late = [r for r in self.api.requests(route="tsdb") if r.time > t_ret]
        self.assertEqual(late, [], "tsdb posts after retirement")

    def assertNotRetired(self, host_id):
        self.assertEqual(self.api.requests(route="retire_host"), [])
        self.assertEqual(self.read_id(), host_id)
        self.assertFalse(self.api.host(host_id)["isRetired"])

    def test_poweroff_retires_once(self):
        a = self.run_and_stop({"trig": {"kind": "poweroff", "retire_on": ["poweroff"],
                                        "confirm": "yes"}})
        host_id = self.api.hosts()[0]["id"]
        self.assertRetiredOnce(host_id, a)
        self.assertIn(host_id, a.stderr())
        self.assertIn("trig", a.stderr(), "retire log line does not name the instance")

    def _start_poweroff_agent(self):
        self.write_config(plugins={"loadavg": {}, "trig": {
            "module": "trigger", "kind": "poweroff", "retire_on": ["poweroff"],
            "confirm": "yes"}}, http={"timeout": 10})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        return a

    def test_no_post_starts_while_the_retire_is_out(self):
        """A post retried while the retire request is still out waits for
        it, and the retire then drops it: nothing lands after the retire."""
        a = self._start_poweroff_agent()
        self.api.set_fault("retire_host", "delay", delay=2.0)
        refused = self.api.set_fault("tsdb", "status", status=503, retry_after=1, count=1)
        self.assertTrue(self.api.wait_for(lambda: refused.hits == 1, scaled(10)))
        # the poster retries 1 s from now, while the retire is held 2 s
        self.stop_agent(a, bound=8)
        host_id = self.api.hosts()[0]["id"]
        self.assertRetiredOnce(host_id, a)

    def test_a_hung_post_does_not_hold_up_the_retire(self):
        """The retire abandons a post in flight rather than wait for it."""
        a = self._start_poweroff_agent()
        hung = self.api.set_fault("tsdb", "hang")
        self.assertTrue(self.api.wait_for(lambda: hung.hits >= 1, scaled(10)))
        self.stop_agent(a, bound=5)
        self.api.release_hangs()
        host_id = self.api.hosts()[0]["id"]
        self.assertRetiredOnce(host_id, a)

    def test_halt_retires(self):
        a = self.run_and_stop({"trig": {"kind": "halt", "retire_on": ["halt", "poweroff"],
                                        "confirm": "yes"}})
        self.assertRetiredOnce(self.api.hosts()[0]["id"], a)

    def test_restart_does_not_retire(self):
        self.run_and_stop({"trig": {"kind": "restart", "retire_on": ["poweroff"],
                                    "confirm": "yes"}})
        host_id = self.api.hosts()[0]["id"]
        self.assertNotRetired(host_id)
        self.assertEqual(self.api.statuses(host_id)[-1][1], "poweroff")

    def test_reboot_does_not_retire(self):
        self.run_and_stop({"trig": {"kind": "reboot", "retire_on": ["poweroff"],
                                    "confirm": "yes"}})
        self.assertNotRetired(self.api.hosts()[0]["id"])

    def test_restart_never_retires_even_if_listed(self):
        # SABA_STOP_RESTART: "the agent's own service restarts: never retires"
        self.run_and_stop({"trig": {"kind": "restart", "retire_on": ["restart"],
                                    "confirm": "yes"}})
        self.assertNotRetired(self.api.hosts()[0]["id"])

    def test_cloud_confirmation_no_refuses_poweroff(self):
        a = self.run_and_stop({"trig": {"kind": "poweroff", "retire_on": ["poweroff"],
                                        "confirm": "no"}})
        self.assertNotRetired(self.api.hosts()[0]["id"])

    def test_two_triggers_retire_once(self):
        a = self.run_and_stop({
            "t1": {"kind": "poweroff", "retire_on": ["poweroff"], "confirm": "yes"},
            "t2": {"kind": "poweroff", "retire_on": ["poweroff"], "confirm": "yes"}})
        self.assertRetiredOnce(self.api.hosts()[0]["id"], a)

    def test_dry_run_retires_nothing(self):
        a = self.run_and_stop({"trig": {"kind": "poweroff", "retire_on": ["poweroff"],
                                        "confirm": "yes"}}, args=("run", "--dry-run"))
        self.assertEqual(self.api.requests(), [])
        self.assertIsNone(self.read_id())
        self.assertRegex(a.stderr(), r"(?i)dry.run.{0,80}retire|retire.{0,80}dry.run")

    def test_retires_even_while_metric_posting_hangs(self):
        self.write_config(plugins={"loadavg": {},
                                   "trig": {"module": "trigger", "kind": "poweroff",
                                            "retire_on": ["poweroff"], "confirm": "yes"}},
                          host_status={"on_start": "working", "on_stop": "poweroff"},
                          http={"timeout": 30})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.api.set_fault("tsdb", "hang")
        time.sleep(2)
        self.stop_agent(a, bound=8)
        self.assertEqual(len(self.api.requests(route="retire_host")), 1, a.stderr())
        self.assertIsNone(self.read_id())

    def test_failed_retire_keeps_id_and_exits(self):
        self.api.set_fault("retire_host", "hang")
        self.run_and_stop({"trig": {"kind": "poweroff", "retire_on": ["poweroff"],
                                    "confirm": "yes"}},
                          retire={"timeout": 2}, bound=2 + 5, expect_rc=None)
        host_id = self.api.hosts()[0]["id"]
        self.assertEqual(self.read_id(), host_id)
        self.assertGreaterEqual(len(self.api.requests(route="retire_host")), 1)


if __name__ == "__main__":
    harness.main()
