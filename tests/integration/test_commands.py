#!/usr/bin/env python3
"""The exec and check plugins in the real agent against the fake API:
custom.* points and graph definitions of a mackerel-agent metric plugin,
values for another host by customIdentifier, and check reports of real
Nagios plugins (Debian's monitoring-plugins-basic) whose status matches the
plugin's own exit code, with the checks listed in the host spec."""

import os
import subprocess
import time
import unittest

import harness
from harness import SRCDIR, AgentTestCase, scaled

COMMANDS = os.path.join(SRCDIR, "tests", "data", "commands")
NAGIOS = "/usr/lib/nagios/plugins"
STATUSES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def fixture(name):
    return os.path.join(COMMANDS, name)


def own_status(argv):
    """Run a check plugin ourselves: (status name, stdout)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=30)
    return STATUSES.get(p.returncode, "UNKNOWN"), p.stdout.decode("utf-8", "replace")


def processes_running(needle):
    """Pids of live (not zombie) processes whose command line has needle."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state not in ("Z", "X"):
            pids.append(int(pid))
    return pids


class Exec(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("exec")

    def test_values_and_graph_defs(self):
        t0 = int(time.time())
        self.write_config(plugins={
            "dice": {"module": "exec", "command": ["sh", fixture("meta.sh")]},
            "bad": {"module": "exec", "command": fixture("bad.sh"), "timeout": 5},
        })
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        d6 = self.wait_points("custom.dice.d6", 2, agent=a)
        d20 = self.wait_points("custom.dice.d20", 1, agent=a)
        self.wait_points("custom.ok.seven", 1, agent=a)
        defs = self.api.wait_for(self.api.graph_defs, scaled(10))
        self.stop_agent(a)
        self.assertEqual({p["value"] for p in d6}, {4.0})
        self.assertEqual({p["value"] for p in d20}, {17.0})
        for p in d6 + d20:
            self.assertEqual(p["hostId"], host_id)
            self.assertGreaterEqual(p["time"], t0 - 1)
        # converted exactly as upstream's makeGraphDefsParam
        self.assertEqual(defs, [
            {"name": "custom.dice", "displayName": "My Dice", "unit": "integer",
             "metrics": [
                 {"name": "custom.dice.d6", "displayName": "Die (d6)", "isStacked": True},
                 {"name": "custom.dice.d20", "displayName": "Die (d20)",
                  "isStacked": False}]},
            {"name": "custom.bare", "unit": "float", "metrics": None},
        ])
        # posted once per agent start
        self.assertEqual(len(self.api.requests(route="graph_defs")), 1)
        # bad lines: skipped with one warning per run naming the line
        names = {p["name"] for p in self.api.points()}
        self.assertIn("custom.ok.one", names)
        self.assertNotIn("custom.only.two", names)
        self.assertNotIn("custom.bad.value", names)
        self.assertRegex(a.stderr(), r"exec/bad: line 2: expected \"name value epoch\"")

    def test_custom_identifier(self):
        other = self.api.add_host(name="db-1", custom_identifier="db-1.example")
        self.write_config(plugins={
            "remote": {"module": "exec", "command": fixture("fail.sh"),
                       "custom_identifier": "db-1.example"},
        })
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        pts = self.wait_points("custom.fail.value", 2, agent=a)
        self.stop_agent(a)
        self.assertNotEqual(other, host_id)
        self.assertEqual({p["hostId"] for p in pts}, {other})
        self.assertEqual({p["value"] for p in pts}, {9.0})

    def test_hung_plugin_does_not_block_others(self):
        self.write_config(plugins={
            "hang": {"module": "exec", "command": fixture("hang_noterm.sh"), "timeout": 2},
            "fine": {"module": "exec", "command": fixture("fail.sh")},
        })
        a = self.start_agent(["run"])
        self.wait_registered(a)
        pts = self.wait_points("custom.fail.value", 3, agent=a)
        # one point per tick: the hung plugin held nobody up
        self.assertEqual(len({p["time"] for p in pts}), len(pts))
        self.assertIsNotNone(a.wait_for_stderr(r"exec/hang: .*timed out", scaled(10)))
        # stop is prompt even with the hung command running, and clean: the
        # plugin's stop() ends that collect and the instance is destroyed
        # (no leak for LeakSanitizer or valgrind to report)
        self.stop_agent(a, bound=5)
        self.assertEqual(processes_running(fixture("hang_noterm.sh")), [],
                         "the hung command outlived the agent")


class Checks(AgentTestCase):

    # instance name -> argv of a monitoring-plugins-basic plugin: an OK, a
    # WARNING, a CRITICAL and an UNKNOWN (usage error) far from any edge
    PLUGINS = {
        "load_ok": ["check_load", "-w", "1000,1000,1000", "-c", "2000,2000,2000"],
        "load_usage": ["check_load"],
        "disk_ok": ["check_disk", "-w", "1%", "-c", "1%", "-p", "/"],
        "disk_critical": ["check_disk", "-w", "99%", "-c", "99%", "-p", "/"],
        "procs_ok": ["check_procs", "-w", "1:1000000", "-c", "1:2000000"],
        "procs_warning": ["check_procs", "-w", ":0"],
    }

    def setUp(self):
        super().setUp()
        missing = [n for n in ("check_load", "check_disk", "check_procs")
                   if not os.access(os.path.join(NAGIOS, n), os.X_OK)]
        if missing:
            raise unittest.SkipTest(
                "%s not found in %s: apt-get install monitoring-plugins-basic"
                % (", ".join(missing), NAGIOS))
        self.start_api()
        self.plugin_dir("check")

    def argv(self, name):
        cmd = self.PLUGINS[name]
        return [os.path.join(NAGIOS, cmd[0])] + cmd[1:]

    def test_monitoring_plugins(self):
        plugins = {n: {"module": "check", "command": self.argv(n)} for n in self.PLUGINS}
        plugins["disk_ok"]["memo"] = "root filesystem"
        plugins["remote"] = {"module": "check", "command": self.argv("load_ok"),
                             "custom_identifier": "db-1.example"}
        other = self.api.add_host(name="db-1", custom_identifier="db-1.example")
        before = {n: own_status(self.argv(n)) for n in self.PLUGINS}
        self.write_config(plugins=plugins)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        ok = self.api.wait_for(lambda: len({r["name"] for r in self.api.check_reports()})
                               >= len(plugins), scaled(20))
        self.assertTrue(ok, "reports: %r\nstderr:\n%s" % (self.api.check_reports(),
                                                         a.stderr()[-3000:]))
        after = {n: own_status(self.argv(n)) for n in self.PLUGINS}
        self.stop_agent(a)
        for name in self.PLUGINS:
            reps = self.api.check_reports(name)
            self.assertEqual(len(reps), 1, reps)    # check_interval is a minute
            rep = reps[0]
            # the plugin's own verdict (taken before and after, far from edges)
            self.assertEqual(before[name][0], after[name][0], name)
            self.assertEqual(rep["status"], before[name][0], "%s: %r" % (name, rep))
            self.assertEqual(rep["source"], {"type": "host", "hostId": host_id})
            self.assertIsInstance(rep["occurredAt"], int)
            self.assertNotIn("notificationInterval", rep)
            self.assertNotIn("maxCheckAttempts", rep)
            if name != "load_usage":
                # "LOAD OK", "DISK CRITICAL", ...: as the plugin says it
                self.assertEqual(rep["message"].split()[:2], before[name][1].split()[:2])
        self.assertEqual({r["status"] for r in self.api.check_reports()} - {"OK"},
                         {"WARNING", "CRITICAL", "UNKNOWN"})
        remote = self.api.check_reports("remote")
        self.assertEqual([r["source"]["hostId"] for r in remote], [other])
        # the spec lists this host's checks (not the remote one), memo when set
        spec = self.api.requests(route="update_host")[-1].body
        self.assertEqual(sorted(spec["checks"], key=lambda c: c["name"]), sorted(
            [{"name": n, "memo": "root filesystem"} if n == "disk_ok" else {"name": n}
             for n in self.PLUGINS], key=lambda c: c["name"]))

    def test_settings_in_reports(self):
        self.write_config(plugins={
            "crit": {"module": "check", "command": fixture("check_status.sh"),
                     "env": {"CHECK_EXIT": "2", "CHECK_MESSAGE": "it broke"},
                     "notification_interval": 5, "max_check_attempts": 3},
        })
        a = self.start_agent(["run"])
        self.wait_registered(a)
        reps = self.api.wait_for(lambda: self.api.check_reports("crit"), scaled(15))
        self.stop_agent(a)
        self.assertTrue(reps, a.stderr()[-3000:])
        self.assertEqual(reps[0]["status"], "CRITICAL")
        self.assertEqual(reps[0]["message"], "it broke")
        self.assertEqual(reps[0]["notificationInterval"], 10)   # the API's minimum
        self.assertEqual(reps[0]["maxCheckAttempts"], 3)

    def test_environment_as_mackerel_agent(self):
        """PATH with the system directories first and `mkr plugin install`'s
        last, the C locale and MACKEREL_PLUGIN_WORKDIR, for checks and their
        actions alike; the plugin's own env still wins."""
        show = ('echo "PATH=$PATH LANG=$LANG LC_ALL=$LC_ALL '
                'WORKDIR=$MACKEREL_PLUGIN_WORKDIR"')
        self.write_config(plugins={
            "env_default": {"module": "check", "command": show},
            "env_own": {"module": "check", "command": show,
                        "env": {"LANG": "ja_JP.UTF-8", "MACKEREL_PLUGIN_WORKDIR": "/srv/w"}},
        })
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "de_DE.UTF-8",
               "MACKEREL_PLUGIN_WORKDIR": None}
        a = self.start_agent(["run"], env=env)
        self.wait_registered(a)
        ok = self.api.wait_for(lambda: self.api.check_reports("env_default")
                               and self.api.check_reports("env_own"), scaled(15))
        self.stop_agent(a)
        self.assertTrue(ok, a.stderr()[-3000:])
        self.assertEqual(
            self.api.check_reports("env_default")[0]["message"],
            "PATH=/sbin:/usr/sbin:/bin:/usr/bin:/usr/local/bin:/usr/bin:/bin:"
            "/opt/mackerel-agent/plugins/bin LANG=C LC_ALL=C WORKDIR=/var/tmp/saba-agent\n")
        self.assertRegex(self.api.check_reports("env_own")[0]["message"],
                         r" LANG=ja_JP\.UTF-8 LC_ALL=C WORKDIR=/srv/w\n$")


if __name__ == "__main__":
    harness.main()
