#!/usr/bin/env python3
"""Every request body the agent sends is one the Mackerel API documents:
the real binary runs against the fake API in strict mode (apischema.py: the
field names and types of the API docs and of the official Go client,
unknown fields refused, answered 400) with plugins that make it send every
kind of request (host POST and PUT, tsdb, graph-defs, check reports, host
metadata, host status, retire), and not one request departs from the schema.  The schema
itself is checked first, so a rule that lets everything through fails."""

import json
import os
import unittest

import harness
from apischema import check_request
from harness import SRCDIR, AgentTestCase, scaled

COMMANDS = os.path.join(SRCDIR, "tests", "data", "commands")
HOST = "/api/v0/hosts/h1234567890"


def check(method, path, body):
    raw = json.dumps(body).encode()
    return check_request(method, path, body, raw)


def host_param(**kw):
    body = {"name": "web-01", "displayName": "Web 01", "customIdentifier": "i-1.ec2",
            "meta": {"agent-name": "saba-agent/1.0", "agent-version": "1.0",
                     "kernel": {"name": "Linux", "release": "6.1"},
                     "memory": {"total": "1024kB"},
                     "cpu": [{"model_name": "x", "mhz": "2000"}],
                     "filesystem": {"/dev/sda1": {"kb_size": 1}},
                     "block_device": {"sda": {"size": "100"}},
                     "cloud": {"provider": "ec2", "metadata": {"instance-id": "i-1"}}},
            "interfaces": [{"name": "eth0", "macAddress": "02:00:00:00:00:01",
                            "ipv4Addresses": ["192.0.2.1"], "ipv6Addresses": []}],
            "roleFullnames": ["My-Service:app"],
            "checks": [{"name": "load_check", "memo": "load"}]}
    body.update(kw)
    return body


class Schema(unittest.TestCase):
    """The schema accepts what the API documents and refuses the rest."""

    def test_documented_bodies_pass(self):
        ok = [
            ("POST", "/api/v0/hosts", host_param()),
            ("PUT", HOST, host_param(customIdentifier="")),
            ("PUT", HOST, host_param(customIdentifier=None, interfaces=None, checks=None)),
            ("POST", HOST + "/status", {"status": "maintenance"}),
            ("POST", HOST + "/retire", {}),
            ("POST", HOST + "/retire", None),
            ("POST", "/api/v0/tsdb", [{"hostId": "h1", "name": "custom.a-b_c.d", "time": 1,
                                       "value": 0.5}]),
            ("POST", "/api/v0/graph-defs/create", [
                {"name": "custom.cpu.foo", "displayName": "CPU", "unit": "percentage",
                 "metrics": [{"name": "custom.cpu.foo.user", "displayName": "user",
                              "isStacked": True}]},
                {"name": "custom.disk.#", "unit": "bytes/sec",
                 "metrics": [{"name": "custom.disk.#.read", "isStacked": False}]},
                {"name": "custom.bare", "unit": "float", "metrics": None}]),
            ("POST", "/api/v0/monitoring/checks/report", {"reports": [
                {"source": {"type": "host", "hostId": "h1"}, "name": "c", "status": "OK",
                 "message": "fine", "occurredAt": 1, "notificationInterval": 10,
                 "maxCheckAttempts": 3}]}),
            ("PUT", HOST + "/metadata/my-app_1", {"any": ["json", 1, None]}),
            ("PUT", HOST + "/metadata/env", "a string is JSON too"),
        ]
        for method, path, body in ok:
            with self.subTest(method=method, path=path):
                self.assertEqual(check(method, path, body), [])
        self.assertEqual(check_request("GET", "/api/v0/hosts", None, b""), [])

    def test_undocumented_bodies_fail(self):
        meta_extra = host_param()
        meta_extra["meta"]["saba-registration"] = "0" * 32
        iface_extra = host_param(interfaces=[{"name": "eth0", "ipv6Address": "::1"}])
        report = {"source": {"type": "host", "hostId": "h1"}, "name": "c", "status": "OK",
                  "message": "m", "occurredAt": 1}
        bad = [
            ("POST", "/api/v0/hosts", meta_extra,
             "body.meta: unknown field 'saba-registration'"),
            ("PUT", HOST, host_param(size="standard"), "body: unknown field 'size'"),
            ("POST", "/api/v0/hosts", iface_extra,
             "body.interfaces[0]: unknown field 'ipv6Address'"),
            ("POST", "/api/v0/hosts", {"meta": {}}, "body: required field 'name' missing"),
            ("POST", "/api/v0/hosts", host_param(roleFullnames=["no-colon"]),
             "body.roleFullnames[0]: 'no-colon' does not match"),
            ("POST", "/api/v0/hosts", host_param(meta={"memory": {"total": 1}}),
             "body.meta.memory.total: string expected, got 1"),
            ("POST", HOST + "/status", {"status": "retired"},
             "body.status: one of standby/working/maintenance/poweroff expected"),
            ("POST", HOST + "/retire", {"force": True}, "body: unknown field 'force'"),
            ("POST", "/api/v0/tsdb", [{"hostId": "h", "name": "a", "time": 1.5, "value": 1}],
             "body[0].time: integer expected, got 1.5"),
            ("POST", "/api/v0/tsdb", [{"hostId": "h", "name": "a b", "time": 1, "value": 1}],
             "body[0].name: 'a b' does not match"),
            ("POST", "/api/v0/graph-defs/create",
             [{"name": "custom.x", "label": "X", "metrics": []}],
             "body[0]: unknown field 'label'"),
            ("POST", "/api/v0/graph-defs/create", [{"name": "x.y", "metrics": []}],
             "body[0].name: 'x.y' does not match"),
            ("POST", "/api/v0/graph-defs/create",
             [{"name": "custom.x", "metrics": [{"name": "custom.y.z", "isStacked": False}]}],
             "body[0].metrics[0].name: 'custom.y.z' is not 'custom.x' plus one part"),
            ("POST", "/api/v0/monitoring/checks/report",
             {"reports": [dict(report, _ci="ci-x")]}, "body.reports[0]: unknown field '_ci'"),
            ("POST", "/api/v0/monitoring/checks/report",
             {"reports": [dict(report, message="x" * 1025)]},
             "body.reports[0].message: longer than 1024 characters"),
            ("POST", "/api/v0/monitoring/checks/report", {"reports": [report] * 101},
             "body.reports: at most 100 elements"),
            ("PUT", HOST + "/metadata/mackerel-x", {}, "not an endpoint of the API"),
            ("PUT", HOST + "/metadata/a", "x" * (100 * 1024), "over 100KB"),
            ("DELETE", HOST, None, "not an endpoint of the API"),
        ]
        for method, path, body, want in bad:
            with self.subTest(method=method, path=path, want=want):
                errors = check(method, path, body)
                self.assertEqual(len(errors), 1, errors)
                self.assertIn(want, errors[0])
        self.assertIn("a body where none is documented",
                      check_request("GET", HOST, None, b"{}")[0])


class Conformance(AgentTestCase):
    """The real agent against the strict fake API, start to retirement."""

    def setUp(self):
        super().setUp()
        self.start_api(strict=True)
        self.plugin_dir("loadavg", "memory", "cpu", "disk", "filesystem", "interface",
                        "exec", "check", "metadata")

    def test_every_request_conforms(self):
        other = self.api.add_host(name="remote", custom_identifier="ci-remote")
        check_env = {"CHECK_EXIT": "2", "CHECK_MESSAGE": "it broke \u00e9 " + "x" * 2000}
        self.write_config(
            display_name="web-01", roles=["My-Service:app"],
            host_status={"on_start": "working", "on_stop": "poweroff"},
            plugins={
                "loadavg": {}, "memory": {}, "cpu": {}, "disk": {}, "filesystem": {},
                "interface": {},
                "dice": {"module": "exec", "command": ["sh", os.path.join(COMMANDS, "meta.sh")]},
                "remote_dice": {"module": "exec",
                                "command": ["sh", os.path.join(COMMANDS, "meta.sh")],
                                "custom_identifier": "ci-remote"},
                "crit": {"module": "check", "command": os.path.join(COMMANDS, "check_status.sh"),
                         "env": check_env, "notification_interval": 5,
                         "max_check_attempts": 3, "memo": "a memo"},
                "remote_check": {"module": "check",
                                 "command": os.path.join(COMMANDS, "check_status.sh"),
                                 "custom_identifier": "ci-remote"},
                "inventory": {"module": "metadata", "namespace": "my-app_1",
                              "command": "echo '{\"rack\": \"A-12\", \"n\": [1, 2.5, null]}'"},
            })
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        api = self.api
        self.wait_points("custom.dice.d6", 2, agent=a)
        self.wait_points("cpu.user.percentage", 1, agent=a)
        self.assertTrue(api.wait_for(api.graph_defs, scaled(10)), a.stderr()[-2000:])
        self.assertTrue(api.wait_for(lambda: api.check_reports("crit")
                                     and api.check_reports("remote_check"), scaled(15)),
                        a.stderr()[-2000:])
        # metadata plugins run 10 s after the start
        self.assertTrue(api.wait_for(lambda: api.requests(route="host_metadata"), scaled(20)),
                        a.stderr()[-2000:])
        self.stop_agent(a)
        p = self.run_agent(["retire", "--force"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # every kind of request was sent and accepted, none departed
        self.assertEqual(api.violations(), [])
        for route in ("create_host", "update_host", "host_status", "tsdb", "graph_defs",
                      "check_report", "host_metadata", "retire_host"):
            with self.subTest(route=route):
                answers = {r.response_status for r in api.requests(route=route)}
                self.assertEqual(answers, {200}, api.requests(route=route))
        self.assertTrue(api.host(host_id)["isRetired"])
        self.assertEqual({p["hostId"] for p in api.points_named("custom.dice.d6")},
                         {host_id, other})
        self.assertEqual(api.check_reports("remote_check")[0]["source"]["hostId"], other)
        # what the strict API let through is what the agent meant to send
        spec = api.requests(route="create_host")[0].body
        for key in ("cpu", "memory", "filesystem", "block_device", "kernel"):
            self.assertIn(key, spec["meta"])
        self.assertEqual(len(api.check_reports("crit")[0]["message"]), 1024)
        self.assertEqual(api.metadata(host_id, "my-app_1"), {"rack": "A-12", "n": [1, 2.5, None]})


if __name__ == "__main__":
    harness.main()
