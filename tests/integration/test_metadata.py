#!/usr/bin/env python3
"""The metadata plugin (mackerel-agent's metadata plugins) in the real agent
against the fake API: a command's JSON reaches
PUT /api/v0/hosts/<id>/metadata/<namespace> once, 10 s after the start; a
restart with the same JSON sends nothing (what was sent is kept under the
root); changed JSON is sent again.  Output that is not JSON and a non-zero
exit send nothing and say why; a 5xx is retried, a 4xx forgotten so the
next run sends again; bad namespaces are config errors."""

import json
import os

import harness
from harness import AgentTestCase, scaled

FIRST_RUN = 10      # seconds after the start, as mackerel-agent


class Metadata(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("metadata")
        self.json_file = os.path.join(self.tmp, "inventory.json")

    def write_json(self, value):
        with open(self.json_file, "w") as f:
            json.dump(value, f)

    def config(self, **extra):
        plugins = {"inventory": {"module": "metadata", "command": ["cat", self.json_file]}}
        plugins.update(extra)
        self.write_config(plugins=plugins)

    def puts(self, ns="inventory"):
        return [r for r in self.api.requests(route="host_metadata")
                if r.path.endswith("/metadata/" + ns)]

    def run_until(self, predicate, what, timeout=FIRST_RUN + 8):
        """Start the agent (verbose), wait for predicate() (or the timeout),
        stop it."""
        a = self.start_agent(["-v", "run"])
        host_id = self.wait_registered(a)
        got = self.api.wait_for(predicate, scaled(timeout))
        self.stop_agent(a)
        return host_id, got, a

    def test_sent_once_then_only_when_changed(self):
        self.write_json({"rack": "A-12", "owner": ["team-a"]})
        self.config()
        host_id, got, a = self.run_until(lambda: self.puts(), "the first PUT")
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual(len(self.puts()), 1)
        self.assertEqual(self.api.metadata(host_id, "inventory"),
                         {"rack": "A-12", "owner": ["team-a"]})
        self.assertEqual(self.api.violations(), [])
        self.assertTrue(os.path.isfile(os.path.join(self.root, "metadata", "inventory")))

        # a restart: the same JSON (keys in another order) is not sent again
        self.write_json({"owner": ["team-a"], "rack": "A-12"})
        a = None
        _, got, a = self.run_until(
            lambda: "metadata inventory unchanged" in self.agents[-1].stderr(), "the check")
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual(len(self.puts()), 1, "unchanged metadata was sent again")

        # changed: sent again
        self.write_json({"rack": "B-3", "owner": ["team-a"]})
        _, got, a = self.run_until(lambda: len(self.puts()) == 2, "the second PUT")
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual(self.api.metadata(host_id, "inventory")["rack"], "B-3")

    def test_not_json_or_failing_sends_nothing(self):
        self.write_json("fine")     # a JSON string is metadata too
        self.config(notjson={"module": "metadata", "command": "echo 'rack = A-12'"},
                    failing={"module": "metadata",
                             "command": "echo '{\"rack\": \"A\"}'; exit 3"},
                    slow={"module": "metadata", "command": "sleep 30", "timeout": 1})
        host_id, got, a = self.run_until(
            lambda: self.puts() and "metadata/slow" in self.agents[-1].stderr(),
            "the good one's PUT and the slow one's timeout", timeout=FIRST_RUN + 10)
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual(self.api.metadata(host_id, "inventory"), "fine")
        err = a.stderr()
        for ns in ("notjson", "failing", "slow"):
            self.assertEqual(self.puts(ns), [], ns)
        self.assertRegex(err, r"metadata/notjson: .*the output is not JSON \(line 1, "
                              r"column \d+: .*\); no metadata sent")
        self.assertRegex(err, r"metadata/failing: .*exit status 3; no metadata sent")
        self.assertRegex(err, r"metadata/slow: .*timed out.*; no metadata sent")

    def test_5xx_is_retried_4xx_forgotten(self):
        self.write_json({"v": 1})
        self.config()
        self.api.set_fault("host_metadata", "status", status=503, count=1)
        host_id, got, a = self.run_until(lambda: self.api.metadata(self.read_id(), "inventory"),
                                         "the retried PUT", timeout=FIRST_RUN + 12)
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual([r.response_status for r in self.puts()], [503, 200])
        self.assertRegex(a.stderr(), r"cannot put metadata inventory: .*503.*will retry")

        # refused: not remembered, so the next run sends it again
        self.write_json({"v": 2})
        self.api.set_fault("host_metadata", "status", status=400, count=1)
        _, got, a = self.run_until(lambda: len(self.puts()) == 3, "the refused PUT")
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertRegex(a.stderr(), r"the API refused metadata inventory: .*400")
        self.assertEqual(self.api.metadata(host_id, "inventory"), {"v": 1})
        _, got, a = self.run_until(lambda: len(self.puts()) == 4, "the PUT after a refusal")
        self.assertTrue(got, a.stderr()[-3000:])
        self.assertEqual(self.api.metadata(host_id, "inventory"), {"v": 2})

    def test_dry_run_prints_and_keeps_nothing(self):
        self.write_json([1, 2, 3])
        self.config()
        a = self.start_agent(["run", "--dry-run"])
        got = self.api.wait_for(lambda: "/metadata/inventory" in a.stdout(),
                                scaled(FIRST_RUN + 8))
        self.stop_agent(a)
        self.assertTrue(got, a.stderr()[-3000:])
        lines = [json.loads(line) for line in a.stdout().splitlines()
                 if "/metadata/" in line]
        self.assertEqual(lines[0]["method"], "PUT")
        self.assertEqual(lines[0]["body"], [1, 2, 3])
        self.assertEqual(self.api.requests(), [])
        self.assertFalse(os.path.exists(os.path.join(self.root, "metadata")))

    def test_namespaces(self):
        bad = [({"namespace": "mackerel-os"}, "namespace"),
               ({"namespace": "has.dot"}, "namespace"),
               ({"namespace": ""}, "namespace"),
               ({"execution_interval": -1}, "execution_interval"),
               ({"command": []}, "command")]
        for settings, key in bad:
            with self.subTest(settings=settings):
                s = {"module": "metadata", "command": "true"}
                s.update(settings)
                self.write_config(plugins={"md": s})
                p = self.run_agent(["configtest"])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, r"saba-agent\.conf:\d+: .*%s" % key)
        # an instance name libconfig takes but the API does not: say so
        self.write_config(plugins={"mackerel_x": {"module": "metadata", "command": "true"}})
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"saba-agent\.conf:\d+: .*set namespace")
        self.write_config(plugins={"md": {"module": "metadata", "command": "true",
                                          "namespace": "inventory-v2_x",
                                          "execution_interval": 60}})
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    harness.main()
