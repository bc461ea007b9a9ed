#!/usr/bin/env python3
"""mackerel-agent's command line, as provisioning scripts use it: Go-style
single-dash long flags (-conf FILE, -conf=FILE, -role a:b,c:d, -apibase,
-apikey, -root, -pidfile, -verbose, -diagnostic), `retire -force`,
`init -apikey=KEY -conf FILE` and `supervise`, with mackerel-agent's exit
codes (1 for any failure of a command, 2 for a usage error).  saba-agent's own
options keep working, with its own exit codes."""

import json
import os
import re
import signal
import stat
import time

import harness
from harness import API_KEY, AgentTestCase, scaled


class Flags(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.plugin_dir("loadavg")
        self.write_config(plugins={"loadavg": {}}, roles=["Conf:role"])

    def once_roles(self, *args):
        p = self.run_agent(list(args) + ["once"], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["host"]["roleFullnames"], p

    def test_conf_and_role_forms(self):
        for args in (["-conf", self.config_path], ["-conf=" + self.config_path],
                     ["--conf", self.config_path], ["-c", self.config_path],
                     ["--config=" + self.config_path]):
            with self.subTest(args=args):
                roles, _ = self.once_roles(*args)
                self.assertEqual(roles, ["Conf:role"])
        roles, p = self.once_roles("-conf", self.config_path, "-role", "a:b,c:d",
                                   "-role=e:f", "--role", "_bad:x,g: h")
        self.assertEqual(roles, ["a:b", "c:d", "e:f", "g: h"])
        self.assertIn("Bad format for role fullname (expecting <service>:<role>. ", p.stderr)
        self.assertIn("'_bad:x'", p.stderr)

    def test_configtest_with_roles_as_upstream(self):
        p = self.run_agent(["-conf", self.config_path, "-role", "a:b,c:d", "configtest"],
                           config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OK: %s" % self.config_path, p.stdout)
        p = self.run_agent(["configtest", "-conf", self.config_path, "-role", "a:b,c:d"],
                           config=False)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_exit_codes(self):
        broken = self.write_config_text("interval = 0;\n", os.path.join(self.tmp, "b.conf"))
        # mackerel-agent's syntax: 1 for a command's failure
        p = self.run_agent(["-conf", broken, "configtest"], config=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:1:" % broken, p.stderr)
        p = self.run_agent(["configtest", "-conf=" + os.path.join(self.tmp, "none")],
                           config=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        # saba-agent's own: 2 for a configuration error
        p = self.run_agent(["-c", broken, "configtest"], config=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        # usage errors: 2 either way
        for args in (["-nosuch", "configtest"], ["-conf"], ["frobnicate", "-verbose"],
                     ["-verbose=maybe", "configtest"]):
            with self.subTest(args=args):
                p = self.run_agent(args, config=False)
                self.assertEqual(p.returncode, 2, p.stderr)
        p = self.run_agent(["retire", "-help"], config=False)
        self.assertEqual(p.returncode, 2)                     # as printRetireUsage
        p = self.run_agent(["retire", "--help"], config=False)
        self.assertEqual(p.returncode, 0)
        p = self.run_agent(["configtest", "-h"], config=False)
        self.assertEqual(p.returncode, 0)
        self.assertIn("-conf FILE", p.stdout)

    def test_apibase_apikey_root_pidfile_verbose(self):
        api = self.start_api()
        root = os.path.join(self.tmp, "other-root")
        pidfile = os.path.join(self.tmp, "run", "agent.pid")
        self.write_config(apikey="wrong-key", apibase="http://127.0.0.1:1",
                          plugins={"loadavg": {}})
        a = self.start_agent(["-conf", self.config_path, "-apibase", api.url,
                              "-apikey=" + api.api_key, "-root", root, "-pidfile", pidfile,
                              "-verbose", "run"], config=False)
        self.id_path = os.path.join(root, "id")
        self.wait_registered(a)
        with open(pidfile) as f:
            self.assertEqual(f.read(), str(a.proc.pid))      # no newline, as upstream
        self.assertRegex(a.stderr(), r"(?i)debug")
        self.stop_agent(a)
        self.assertFalse(os.path.exists(pidfile))
        self.assertKeyNotLeaked(a.stderr(), api.api_key)

    def test_pidfile_of_a_running_agent(self):
        api = self.start_api()
        pidfile = os.path.join(self.tmp, "agent.pid")
        self.write_config(plugins={"loadavg": {}}, pidfile=pidfile)
        a = self.start_agent(["run"])
        self.wait_registered(a)
        if harness.WRAPPER:
            # under valgrind, /proc/PID/cmdline names valgrind, and the
            # agent's own (which valgrind answers) names saba-agent
            self.stop_agent(a)
            self.skipTest("a wrapped agent's process looks like the wrapper's")
        p = self.run_agent(["-root", os.path.join(self.tmp, "r2"), "run"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("pidfile %s names process %d, another saba-agent" % (pidfile,
                                                                         a.proc.pid), p.stderr)
        self.stop_agent(a)
        # a stale one (a process that is not saba-agent) is replaced
        with open(pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
        a = self.start_agent(["run"])
        self.api.wait_for(lambda: open(pidfile).read() == str(a.proc.pid), scaled(10))
        self.assertRegex(a.stderr(), r"names process %d, which is not a saba-agent"
                         % os.getpid())
        self.stop_agent(a)
        self.assertEqual(api.requests(route="create_host")[0:1] != [], True)

    def test_supervise_is_run(self):
        self.start_api()
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["supervise", "-conf", self.config_path], config=False)
        self.wait_registered(a)
        self.assertIn("supervise is run in saba-agent", a.stderr())
        self.stop_agent(a)

    def test_diagnostic_flag_adds_the_plugin(self):
        self.plugin_dir("loadavg", "diagnostic")
        self.write_config(plugins={"loadavg": {}})
        p = self.run_agent(["-diagnostic", "once"])
        self.assertEqual(p.returncode, 0, p.stderr)
        values = {m["name"]: m["value"] for m in json.loads(p.stdout)["metrics"]}
        # malloc's statistics are 0 under ASan and valgrind, which replace it
        for name in ("alloc", "heapAlloc", "heapSys"):
            self.assertGreaterEqual(values["custom.agent.memory." + name], 0)
        self.assertGreater(values["custom.agent.memory.sys"], 1024 * 1024)
        self.assertGreaterEqual(values["custom.agent.runtime.goroutine_num"], 1)
        self.assertLessEqual(values["custom.agent.memory.alloc"],
                             values["custom.agent.memory.heapSys"])
        # posted with mackerel-agent's graph definitions
        api = self.start_api()
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["-diagnostic", "run"])
        self.wait_points("custom.agent.runtime.goroutine_num", agent=a)
        api.wait_for(lambda: api.graph_defs(), scaled(10))
        defs = {g["name"]: g for g in api.graph_defs()}
        self.assertEqual(defs["custom.agent.memory"]["unit"], "bytes")
        self.assertEqual([m["name"] for m in defs["custom.agent.runtime"]["metrics"]],
                         ["custom.agent.runtime.goroutine_num"])
        self.stop_agent(a)


class Retire(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.write_config()

    def test_retire_force(self):
        host_id = self.api.add_host(name="to-retire")
        self.write_id(host_id)
        p = self.run_agent(["retire", "-force", "-conf", self.config_path], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(self.api.host(host_id)["isRetired"])
        self.assertIsNone(self.read_id())

    def test_retire_force_not_registered(self):
        p = self.run_agent(["retire", "-force=true", "-conf", self.config_path], config=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not registered", p.stderr)
        self.assertEqual(self.api.requests(route="retire_host"), [])

    def test_retire_without_force_and_no_terminal(self):
        host_id = self.api.add_host(name="kept")
        self.write_id(host_id)
        p = self.run_agent(["retire", "-force=false", "-conf", self.config_path], config=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertFalse(self.api.host(host_id)["isRetired"])

    def test_retire_api_refuses(self):
        host_id = self.api.add_host(name="x")
        self.write_id(host_id)
        self.api.set_fault("retire_host", "status", status=403)
        p = self.run_agent(["retire", "-force", "-conf", self.config_path], config=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.read_id(), host_id)


class Init(AgentTestCase):

    def init(self, *args):
        return self.run_agent(["init"] + list(args), config=False)

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def test_creates_a_private_config(self):
        conf = os.path.join(self.tmp, "etc", "saba-agent", "saba-agent.conf")
        p = self.init("-apikey=K123", "-conf", conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.mode(conf), 0o600)
        with open(conf) as f:
            text = f.read()
        self.assertIn('apikey = "K123";', text)
        for m in ("loadavg", "memory", "cpu", "disk", "interface", "filesystem"):
            self.assertIn("  %s = {};" % m, text)
        p = self.run_agent(["--plugin-dir", harness.PLUGIN_DIR, "configtest"], config=conf)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_key_already_set_is_kept(self):
        conf = self.write_config_text('apikey = "old";\ninterval = 60;\n')
        p = self.init("-apikey", "new", "-conf=" + conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('apikey already set in "%s". Skip initializing' % conf, p.stderr)
        with open(conf) as f:
            self.assertEqual(f.read(), 'apikey = "old";\ninterval = 60;\n')

    def test_prepends_to_a_config_without_a_key(self):
        conf = self.write_config_text("# my settings\ninterval = 30;\n")
        os.chmod(conf, 0o644)
        p = self.init("-apikey=K", "-apibase=https://api.example.com", "-conf", conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(conf) as f:
            self.assertEqual(f.read(), 'apikey = "K";\napibase = "https://api.example.com";\n'
                                       '# my settings\ninterval = 30;\n')
        self.assertEqual(self.mode(conf), 0o600)

    def test_mackerel_agent_config(self):
        # mackerel-agent's own sample config: all comments, so both
        # languages read the line init adds
        sample = os.path.join(harness.SRCDIR, "tests", "data", "import", "upstream",
                              "mackerel-agent.sample.conf")
        conf = os.path.join(self.tmp, "mackerel-agent.conf")
        with open(sample) as f, open(conf, "w") as out:
            out.write(f.read())
        p = self.init("-apikey=KEY1", "-conf", conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(conf) as f, open(sample) as orig:
            self.assertEqual(f.read(), 'apikey = "KEY1"\n' + orig.read())
        # a TOML file libconfig cannot read: the key goes in as TOML
        toml = self.write_config_text('[host_status]\non_start = "working"\n',
                                      os.path.join(self.tmp, "mk2.conf"))
        p = self.init("-apikey=KEY2", "-conf", toml)
        if "import" not in self.run_agent(["--help"], config=False).stdout:
            self.assertEqual(p.returncode, 1)
            return
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("is a mackerel-agent config; `saba-agent import %s` converts it" % toml,
                      p.stderr)
        with open(toml) as f:
            self.assertEqual(f.read(), 'apikey = "KEY2"\n[host_status]\non_start = "working"\n')
        p = self.init("-apikey=KEY3", "-conf", toml)
        self.assertEqual(p.returncode, 0)
        self.assertIn("apikey already set", p.stderr)

    def test_errors(self):
        p = self.init("-conf", os.path.join(self.tmp, "x.conf"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("-apikey option is required", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.conf")))
        bad = self.write_config_text("this is = = not a config\n")
        p = self.init("-apikey=K", "-conf", bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:1:" % bad, p.stderr)
        empty = self.write_config_text('apikey = "";\n', os.path.join(self.tmp, "e.conf"))
        p = self.init("-apikey=K", "-conf", empty)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:1: apikey is set but empty" % empty, p.stderr)
        p = self.init("-apikey=K", "-role", "a:b")
        self.assertEqual(p.returncode, 2)                # not an init flag


if __name__ == "__main__":
    harness.main()
