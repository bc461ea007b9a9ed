#!/usr/bin/env python3
"""Hostile files, users, servers and operators: what the agent refuses.

The API key never reaches a command plugin and never goes out with a
control character; a stored host id that is no Mackerel id is never used;
server text never forges a log line; one agent per root; files other users
may write are refused, FIFOs never block; signals are heard while a plugin
hook hangs; a closed stderr never kills the agent."""

import os
import re
import signal
import stat
import subprocess
import threading
import time
import unittest

import harness
from harness import API_KEY, AgentTestCase, scaled


class ApiKey(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()

    def leak_config(self, **settings):
        """An exec plugin that counts SABA_AGENT_APIKEY in its environment."""
        self.plugin_dir("exec")
        return self.write_config(plugins={"leak": {"module": "exec", "command": [
            "sh", "-c", 'echo "leak.count $(env | grep -c SABA_AGENT_APIKEY) $(date +%s)"']}},
            **settings)

    def test_key_from_environment_never_reaches_commands(self):
        self.leak_config(apikey=None)
        p = self.run_agent(["once"], env={"SABA_AGENT_APIKEY": API_KEY})
        self.assertEqual(p.returncode, 0, p.stderr)
        values = {m["name"]: m["value"] for m in harness.json.loads(p.stdout)["metrics"]}
        self.assertEqual(values.get("custom.leak.count"), 0.0, p.stdout)
        a = self.start_agent(["run"], env={"SABA_AGENT_APIKEY": API_KEY})
        self.wait_registered(a)
        pts = self.wait_points("custom.leak.count", 2, agent=a)
        self.stop_agent(a)
        self.assertEqual({p["value"] for p in pts}, {0.0})
        self.assertKeyNotLeaked(a.stderr())

    def test_key_with_control_characters_is_refused(self):
        for key in ("abc\r\nX-Injected: yes", "abc\x01def"):
            path = self.write_config(apikey=key)
            p = self.run_agent(["run"])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertRegex(p.stderr, re.escape(path) + r":\d+: apikey holds a control")
            self.assertNotIn("X-Injected", p.stderr)
            p = self.run_agent(["configtest"])
            self.assertEqual(p.returncode, 2, p.stderr)
        self.write_config(apikey=None)
        p = self.run_agent(["run"], env={"SABA_AGENT_APIKEY": "abc\nX-Injected: yes"})
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("SABA_AGENT_APIKEY", p.stderr)
        self.assertEqual(self.api.requests(), [], "nothing may be sent with such a key")

    def test_key_trimmed_like_a_header(self):
        """A trailing newline (echo KEY > file, a shell's $(...)) is not
        part of the key: every request carries the key itself."""
        self.write_config(apikey=None)
        a = self.start_agent(["run"], env={"SABA_AGENT_APIKEY": API_KEY + "\n"})
        self.wait_registered(a)
        self.stop_agent(a)
        keys = {r.header("X-Api-Key") for r in self.api.requests()}
        self.assertEqual(keys, {API_KEY})

    def test_apikey_file_with_a_second_line_is_refused(self):
        key = os.path.join(self.tmp, "apikey")
        with open(key, "w") as f:
            f.write(API_KEY + "\nsecond line\n")
        os.chmod(key, 0o600)
        path = self.write_config(apikey=None, apikey_file=key)
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s:" % path, p.stderr)
        self.assertIn("more than one line", p.stderr)
        self.assertNotIn(API_KEY, p.stderr)


class HostId(AgentTestCase):
    """A stored id is checked like one from an API answer."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.api.add_host("HOSTID")
        self.write_config()

    def test_fragment_never_retires_another_path(self):
        self.write_id("HOSTID#x")
        p = self.run_agent(["retire", "--force"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not a Mackerel host id", p.stderr)
        self.assertEqual(self.api.requests(), [])
        self.assertEqual(self.read_id(), "HOSTID#x", "the file stays for the operator")
        self.assertFalse(self.api.host("HOSTID")["isRetired"])

    def test_query_never_poisons_posts(self):
        self.write_id("HOSTID?x=")
        p = self.run_agent(["run"], timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not a Mackerel host id", p.stderr)
        self.assertEqual(self.api.requests(), [])


class ServerText(AgentTestCase):

    def test_server_strings_cannot_forge_log_lines(self):
        self.start_api()
        forged = "evil\n2026-01-01T00:00:00Z notice: retired host hX (forged)\x1b[2J\xc2\x9b"
        host = self.api.add_host(custom_identifier=forged)
        self.write_id(host)
        self.write_config()
        p = self.run_agent(["run"], timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("customIdentifier", p.stderr)
        for line in p.stderr.splitlines():
            self.assertFalse(line.startswith("2026-01-01T00:00:00Z"), line)
        self.assertNotIn("\x1b", p.stderr)
        self.assertNotIn("\u009b", p.stderr)
        self.assertIn("evil\\n2026-01-01T00:00:00Z notice", p.stderr)


class OneAgentPerRoot(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.write_config()

    def test_second_agent_is_refused_and_names_the_first(self):
        first = self.start_agent(["run"])
        host = self.wait_registered(first)
        p = self.run_agent(["run"], timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("pid %d" % first.pid, p.stderr)
        self.assertIn(self.root, p.stderr)
        # what writes nothing in the root is never blocked
        self.assertEqual(self.run_agent(["configtest"]).returncode, 0)
        self.assertEqual(self.run_agent(["once"]).returncode, 0)
        dry = self.start_agent(["run", "--dry-run"])
        time.sleep(scaled(1.5))
        self.assertTrue(dry.alive(), dry.stderr())
        self.stop_agent(dry)
        # retire would leave the running agent posting for a retired host
        p = self.run_agent(["retire", "--force"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("pid %d" % first.pid, p.stderr)
        self.assertFalse(self.api.host(host)["isRetired"])
        self.assertTrue(first.alive())
        # kill -9 leaves no stale lock: the kernel dropped it
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        again = self.start_agent(["run"])
        self.assertTrue(again.wait_for_stderr("using host %s" % host, scaled(10)), again.stderr())
        self.stop_agent(again)
        self.assertEqual(len(self.api.requests(route="create_host")), 1)

    def test_simultaneous_starts_register_one_host(self):
        for i in range(5):
            root = os.path.join(self.tmp, "root%d" % i)
            os.mkdir(root, 0o755)
            path = self.write_config(os.path.join(self.tmp, "c%d.conf" % i), root=root)
            agents = [self.start_agent(["run"], config=path) for _ in range(2)]
            self.api.wait_for(lambda: os.path.exists(os.path.join(root, "id")), scaled(10))
            time.sleep(scaled(1))
            alive = [a for a in agents if a.alive()]
            self.assertEqual(len(alive), 1, [a.stderr() for a in agents])
            for a in alive:
                self.stop_agent(a)
        self.assertEqual(len(self.api.hosts()), 5)


class Permissions(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()

    def test_config_writable_by_others_is_refused(self):
        path = self.write_config()
        os.chmod(path, 0o666)
        for cmd in (["configtest"], ["run"], ["once"]):
            p = self.run_agent(cmd)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("writable by group or others", p.stderr)
        self.assertEqual(self.api.requests(), [])

    def test_apikey_file_writable_by_others_refused_readable_warned(self):
        key = os.path.join(self.tmp, "apikey")
        with open(key, "w") as f:
            f.write(API_KEY + "\n")
        self.write_config(apikey=None, apikey_file=key)
        os.chmod(key, 0o646)
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("writable by group or others", p.stderr)
        os.chmod(key, 0o644)
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("readable by group or others", p.stderr)
        os.chmod(key, 0o600)
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("readable", p.stderr)

    def test_root_writable_by_others_is_refused(self):
        self.write_config()
        os.chmod(self.root, 0o777)
        p = self.run_agent(["run"], timeout=15)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("writable by group or others", p.stderr)
        self.assertEqual(self.api.requests(), [])
        p = self.run_agent(["retire", "--force"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("writable by group or others", p.stderr)

    def test_fifo_as_id_never_blocks(self):
        self.write_config()
        os.mkfifo(self.id_path, 0o644)
        p = self.run_agent(["run"], timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not a regular file", p.stderr)
        self.assertLess(p.elapsed, scaled(5))

    def test_fifo_as_apikey_file_never_blocks_configtest(self):
        key = os.path.join(self.tmp, "apikey")
        os.mkfifo(key, 0o600)
        self.write_config(apikey=None, apikey_file=key)
        p = self.run_agent(["configtest"], timeout=10)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not a regular file", p.stderr)


class ConfigText(AgentTestCase):

    def test_empty_root_is_refused(self):
        path = self.write_config(root="")
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, re.escape(path) + r":\d+: root must name a directory")
        p = self.run_agent(["run"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertNoCrash(p.returncode, p.stderr)

    def test_integers_past_32_bits_are_refused(self):
        path = self.write_config(interval=harness.Raw("4294967357"))
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, re.escape(path) + r":\d+: 4294967357 does not fit in 32 bits")

    def test_huge_config_is_refused_before_parsing(self):
        self.write_config_text('display_name = "%s";\n' % ("x" * (8 * 1024 * 1024)))
        p = self.run_agent(["configtest"], timeout=20)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("larger than", p.stderr)
        self.assertLess(p.elapsed, scaled(5))


class SignalsAndHooks(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()

    def test_closed_stderr_never_kills_the_agent(self):
        """stderr a pipe nobody reads any more: the agent goes on, and its
        stop still posts on_stop."""
        self.write_config(host_status={"on_stop": "poweroff"})
        p = subprocess.Popen(self.agent_argv(["run"]), env=self.env(), cwd=self.tmp,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            p.stderr.close()   # every later log line meets EPIPE
            self.api.wait_for(self.read_id, scaled(10))
            host = self.read_id()
            self.assertIsNotNone(host)
            time.sleep(scaled(2))  # a few rounds of log lines
            self.assertIsNone(p.poll(), "the agent died: %s" % p.poll())
            p.send_signal(signal.SIGTERM)
            rc = p.wait(scaled(15))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(rc, 0)
        self.assertEqual([s[1] for s in self.api.statuses(host)][-1:], ["poweroff"])

    def test_sigterm_while_create_hangs(self):
        self.plugin_dir("hang")
        self.write_config(plugins={"h": {"module": "hang", "hook": "create"}})
        a = self.start_agent(["run"])
        self.assertTrue(a.wait_for_stderr("create: hanging forever", scaled(10)), a.stderr())
        self.stop_agent(a, bound=5)
        self.assertEqual(self.api.requests(route="create_host"), [])

    def test_hung_hooks_at_a_reload_stop_nothing(self):
        """create() hanging in a new config: the running one goes on
        collecting and posting meanwhile, and SIGTERM still works."""
        self.plugin_dir("hang", "good")
        path = self.write_config(plugins={"g": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 1, agent=a)
        self.write_config(path, plugins={"g": {"module": "good"},
                                         "h": {"module": "hang", "hook": "create"}})
        a.send_signal(signal.SIGHUP)
        self.assertTrue(a.wait_for_stderr("create: hanging forever", scaled(10)), a.stderr())
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 3, agent=a)
        self.stop_agent(a, bound=5)

    def test_on_stop_keeps_to_shutdown_timeout(self):
        """The flush and on_stop together within shutdown.timeout, even
        when it is below 5 s and the API does not answer."""
        # http.timeout above both: only the stop's own deadline can end the call
        self.write_config(host_status={"on_stop": "poweroff"}, shutdown={"timeout": 2},
                          http={"timeout": 30})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.api.set_fault("host_status", "hang")
        rc, took = self.stop_agent(a, bound=3.5)
        self.api.release_hangs()
        self.assertEqual(len(self.api.requests(route="host_status")), 1)

    def test_unusable_url_is_not_retried(self):
        """A URL libcurl refuses fails the same way every time: the start
        fails at once instead of after 20 attempts."""
        self.write_config(apibase="http://127.0.0.1:99999")
        p = self.run_agent(["run"], timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn("retrying", p.stderr)
        self.assertIn("check apibase", p.stderr)
        self.assertLess(p.elapsed, scaled(3))

    def test_invalid_metric_names_logged_escaped_once_a_minute(self):
        self.plugin_dir("good")
        self.write_config(plugins={"g": {"module": "good",
                                         "name": "bad\n2026-01-01T00:00:00Z forged\x1b[2J"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        time.sleep(scaled(4))   # four rounds at interval 1
        self.stop_agent(a)
        err = a.stderr()
        self.assertEqual(err.count("invalid metric name"), 1, err)
        self.assertNotIn("\x1b", err)
        for line in err.splitlines():
            self.assertFalse(line.startswith("2026-01-01T00:00:00Z"), line)

    def test_hung_stop_and_destroy_are_bounded(self):
        self.plugin_dir("hang", "good")
        for hook in ("stop", "destroy"):
            self.write_config(plugins={"h": {"module": "hang", "hook": hook},
                                       "g": {"module": "good"}})
            a = self.start_agent(["run"])
            self.assertTrue(a.wait_for_stderr("collecting every", scaled(10)), a.stderr())
            self.stop_agent(a, bound=10)
            self.assertIn("%s() did not return" % hook, a.stderr())


def running(pid):
    """pid is a process that has not ended (a zombie has)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


class CommandTree(AgentTestCase):

    def test_timeout_ends_a_daemon_that_left_the_group(self):
        """A command that starts a daemon (setsid -f: its own session, its
        parent gone, stdio on /dev/null) and hangs: the timeout ends the
        daemon too."""
        self.plugin_dir("exec")
        pidfile = os.path.join(self.tmp, "daemon.pid")
        script = os.path.join(self.tmp, "daemon.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nsetsid -f sh -c 'echo $$ > \"$0\"; exec sleep 300' \"$1\" "
                    "</dev/null >/dev/null 2>&1\nsleep 300\n")
        os.chmod(script, 0o755)
        self.write_config(plugins={"d": {"module": "exec", "command": [script, pidfile],
                                         "timeout": 1}})
        p = self.run_agent(["once"], timeout=30)
        self.assertNoCrash(p.returncode, p.stderr)
        with open(pidfile) as f:
            daemon = int(f.read())
        try:
            deadline = time.monotonic() + scaled(2)
            while running(daemon) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(running(daemon), "the daemon outlived its command's timeout")
        finally:
            if running(daemon):
                os.kill(daemon, signal.SIGKILL)
        self.assertIn("timed out", p.stderr)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Reload(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()

    def reload(self, agent, n_before):
        """SIGHUP and wait for the n-th "configuration reloaded" line."""
        agent.send_signal(signal.SIGHUP)
        ok = self.api.wait_for(
            lambda: agent.stderr().count("configuration reloaded") > n_before
            or not agent.alive(), scaled(10))
        self.assertTrue(ok and agent.alive(), agent.stderr()[-2000:])
        return n_before + 1

    def test_reloads_free_the_old_configs(self):
        """100 reloads of a ~90 KB config: main kept every old one (about
        790 KB each); now memory stays flat."""
        roles = ["Service:role-%05d" % i for i in range(5000)]
        self.write_config(roles=roles)
        # ASan keeps freed memory in quarantine (RSS would grow although
        # everything is freed): none for this agent, leaks still reported
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0"]))
        a = self.start_agent(["run"], env={"ASAN_OPTIONS": asan})
        self.wait_registered(a)
        self.assertGreater(os.path.getsize(self.config_path), 90000)
        n = 0
        for _ in range(10):
            n = self.reload(a, n)
        base = rss_kb(a.pid)
        for _ in range(90):
            n = self.reload(a, n)
        grown = rss_kb(a.pid) - base
        self.stop_agent(a)
        self.assertLess(grown, 8 * 1024, "RSS grew by %d kB over 90 reloads" % grown)

    def test_one_rule_for_every_setting(self):
        """A new apikey, interval and plugins apply at once; a new root and
        apibase wait for the next start, and the log says so."""
        self.plugin_dir("good")
        path = self.write_config(plugins={"g": {"module": "good"}})
        a = self.start_agent(["run"])
        host = self.wait_registered(a)
        self.wait_points("test.good", 1, agent=a)
        other_root = os.path.join(self.tmp, "other-root")
        os.mkdir(other_root, 0o755)
        self.write_config(path, apikey="rotated-key-Xy7", root=other_root,
                          apibase="http://127.0.0.1:9", plugins={
                              "g": {"module": "good"}, "g2": {"module": "good",
                                                             "name": "test.second"}})
        self.api.api_key = "rotated-key-Xy7"    # the old key is refused from now on
        self.reload(a, 0)
        self.wait_points("test.second", 2, agent=a)
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 2, agent=a)
        late = [r for r in self.api.requests(route="tsdb")][-2:]
        self.assertEqual({r.header("X-Api-Key") for r in late}, {"rotated-key-Xy7"})
        err = a.stderr()
        self.assertIn('root changed to "%s"; that takes effect at the next start' % other_root,
                      err)
        self.assertIn("apibase changed", err)
        self.assertKeyNotLeaked(err, "rotated-key-Xy7")
        # the running root is the one the id is in: a retire removes it there
        self.stop_agent(a)
        self.assertEqual(self.read_id(), host)
        self.assertEqual(os.listdir(other_root), [])


class QueueMemory(AgentTestCase):

    def test_queue_bounded_by_bytes(self):
        """A plugin printing 20 000 lines a round while the API is down:
        the oldest batches go once queue.max_bytes is reached, counted."""
        self.start_api()
        self.plugin_dir("exec")
        script = os.path.join(self.tmp, "many.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nt=$(date +%s)\nseq 1 20000 | sed \"s/.*/many.metric_&_name 1 $t/\"\n")
        os.chmod(script, 0o755)
        self.write_config(queue={"max_bytes": 1048576}, plugins={
            "many": {"module": "exec", "command": [script]}})
        self.api.set_fault("tsdb", "status", status=503)
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.assertTrue(a.wait_for_stderr(r"metrics queue full \(\d+ batches, \d+ of 1048576 "
                                          r"bytes\): dropped the oldest", scaled(20)),
                        a.stderr()[-2000:])
        m = re.findall(r"\((\d+) points dropped since start\)", a.stderr())
        self.assertGreater(int(m[-1]), 0)
        self.stop_agent(a, bound=20)


if __name__ == "__main__":
    harness.main()
