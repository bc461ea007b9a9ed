#!/usr/bin/env python3
"""The cross-built agent as a Windows service under Wine, against the fake
Mackerel API on 127.0.0.1 (Wine's Windows programs reach the host's
loopback).

The agent is cross-built with --enable-test-controls (win/cross-build.sh
into $SABA_WIN_BUILDDIR, default <builddir>/win-build), so user control
200 takes the PRESHUTDOWN path: Wine never sends SHUTDOWN or PRESHUTDOWN,
and Windows refuses to let a program send them.  A private WINEPREFIX, a
keeper process kept alive all along (Wine tears services down when the
last user process exits), and per scenario a fresh API and root:

    install      `saba-agent service install`: the registry entry is an
                 auto-start own-process service after RPCSS and Tcpip with
                 the config path in its command line; it starts, registers
                 and posts; `service uninstall` stops it -> no retire
    stop         sc create, sc start -> registration, memory/cpu/filesystem
                 metrics; sc stop -> STOPPED, no retire (with
                 require_event_1074 off, the config most ready to retire)
    commands     exec.dll with a .bat (a string: cmd /U /S /C) and an .exe
                 (a list: its arguments quoted for CommandLineToArgvW, env
                 from the config) posts custom.* values and graph
                 definitions; check.dll's exit codes 0/1/2/3/7 reach
                 checks/report as OK/WARNING/CRITICAL/UNKNOWN/UNKNOWN; a
                 command that never ends (and its child) is ended within
                 timeout + 1 s; sc stop during such a run -> STOPPED, exit 0,
                 nothing of it left running
    once         `saba-agent once` with interface.dll, disk.dll and
                 processor_queue_length.dll: every value numeric, the deltas
                 from the second round
    control      control 200 (PRESHUTDOWN path) -> exactly one retire, for
                 the registered host; the id file is gone
    no event     control 200 with require_event_1074 on: Wine has no event
                 1074 -> no retire
    ec2 identity ec2.dll against the fake IMDS (tests/plugins/ec2/fakeimds.py) with
                 cloud_platform "auto" (no DMI uuid: IMDS decides): the host
                 AWS integration created is adopted by customIdentifier and
                 gets meta.cloud; the poller polls about once a second;
                 sc stop -> no retire
    ec2 confirm  ec2.dll with retire.confirm = "always", the fake EC2
                 (tests/plugins/ec2/fakeec2.js, SigV4 checked, IMDS role credentials):
                 control 200 -> exactly one retire for shutting-down and
                 terminated; none for stopping, stopped or an EC2 that does
                 not answer, and the service stops cleanly
    kill         the whole prefix killed without a control -> no retire

Skips (77) without mingw-w64, Wine, cmake or dpkg-source, outside a git
checkout (unless SABA_WIN_BUILDDIR is given), or with SABA_SKIP_WINE_TESTS=1;
the ec2 confirmation scenarios skip without Node.js (the fake EC2).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "plugins", "ec2"))
import harness  # noqa: E402
from harness import cfg_text  # noqa: E402
from fakeapi import FakeMackerel  # noqa: E402
from fakeimds import DEFAULT_ITEMS, INSTANCE_ID, REGION, FakeImds  # noqa: E402

SRCDIR = harness.SRCDIR
HOST = "x86_64-w64-mingw32"
SERVICE = "sabatest"
TEST_CONTROL = 200
WIN_DIR = "C:\\saba"
BUILD_TIMEOUT = 1800
CI = INSTANCE_ID + ".ec2.amazonaws.com"
# IMDS role credentials: a service does not get the test's environment.
ROLE = "saba-wine-test"
AKID, SECRET, TOKEN = "ASIASABAWINETEST", "saba-wine-test-secret-not-real", "saba-wine-token"

W = {}  # the module's Wine environment, set up once

# A metric plugin as a batch file (its echo goes through cmd /U: UTF-16).
METRIC_BAT = """@echo off
if "%MACKEREL_AGENT_PLUGIN_META%"=="1" (
  echo # mackerel-agent-plugin
  echo {"graphs": {"wine.bat": {"label": "Wine bat", "unit": "integer", "metrics": [{"name": "value", "label": "Value"}]}}}
  exit /b 0
)
echo wine.bat.value 42 0
echo wine.bat.env %SABA_TEST_NUM% 0
"""
# The arguments cmdhelper.c's metric mode expects, as the config gives them.
HELPER_ARGS = ["a b", "q\"uote", "back\\slash\\", "", "tab\there", "x\\\\\"y", "caf\u00e9"]
# A check's exit code -> the status reported.
CHECKS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN", 7: "UNKNOWN"}
HANG_TIMEOUT = 2


def log(msg):
    sys.stderr.write("windows: %s\n" % msg)
    sys.stderr.flush()


def missing_tools():
    need = [HOST + "-gcc", "wine", "cmake", "dpkg-source", "git"]
    miss = [t for t in need if shutil.which(t) is None]
    if shutil.which("wineserver") is None and not os.path.exists("/usr/lib/wine/wineserver"):
        miss.append("wineserver")
    return miss


def wineserver():
    return shutil.which("wineserver") or "/usr/lib/wine/wineserver"


def wine(args, timeout=60, check=False):
    """Run a Wine command in the test prefix; returns CompletedProcess."""
    p = subprocess.run(["wine"] + args, env=W["env"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True,
                       errors="replace")
    if check and p.returncode != 0:
        raise AssertionError("wine %s: rc %d\n%s%s" % (" ".join(args), p.returncode,
                                                       p.stdout, p.stderr))
    return p


def host_path(win_path):
    """The Linux path of a C:\\ path in the prefix."""
    assert win_path[:3].upper() == "C:\\"
    return os.path.join(W["prefix"], "drive_c", *win_path[3:].split("\\"))


def service_status(name=SERVICE):
    """{"STATE": "RUNNING", "CHECKPOINT": 0, "WAIT_HINT": 0,
    "WIN32_EXIT_CODE": 0}, or None when the service is unknown."""
    p = wine(["sc", "query", name])
    st = {}
    for line in p.stdout.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.split()
        if not sep or not value:
            continue
        if key == "STATE":
            st[key] = value[-1]
        elif key in ("CHECKPOINT", "WAIT_HINT"):
            st[key] = int(value[0], 16)
        elif key == "WIN32_EXIT_CODE":
            st[key] = int(value[0])
    return st if "STATE" in st else None


def service_state(name=SERVICE):
    """RUNNING, STOPPED, ... or None when the service is unknown."""
    st = service_status(name)
    return st["STATE"] if st else None


def wait_state(want, name=SERVICE, timeout=30):
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = service_state(name)
        if state == want:
            return state
        time.sleep(0.3)
    return state


def start_service(name=SERVICE):
    """sc start, retried: the first start in a fresh prefix may fail."""
    for _ in range(5):
        wine(["sc", "start", name])
        if wait_state("RUNNING", name, timeout=10) == "RUNNING":
            return
        time.sleep(1)
    raise AssertionError("service %s did not reach RUNNING" % name)


def remove_service(name=SERVICE):
    """Stopped first: a running service marked for deletion keeps its name,
    and the next scenario's sc create would fail."""
    if service_state(name) not in (None, "STOPPED"):
        wine(["sc", "stop", name])
        wait_state("STOPPED", name)
    wine(["sc", "delete", name])


def build():
    bdir = os.environ.get("SABA_WIN_BUILDDIR") or os.path.join(
        os.environ.get("SABA_TOP_BUILDDIR") or SRCDIR, "win-build")
    log("cross-building in %s (win/cross-build.sh; the libraries are cached)" % bdir)
    t0 = time.monotonic()
    p = subprocess.run(["sh", os.path.join(SRCDIR, "win", "cross-build.sh"), bdir,
                        "--enable-test-controls"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT)
    if p.returncode != 0:
        raise AssertionError("cross-build failed:\n" + p.stdout[-6000:])
    log("cross-build took %.0f s" % (time.monotonic() - t0))
    with open(os.path.join(bdir, "config.h")) as f:
        if "#define SABA_TEST_CONTROLS 1" not in f.read():
            raise AssertionError("%s was not configured with --enable-test-controls" % bdir)
    return bdir


def skip_reason():
    if os.environ.get("SABA_SKIP_WINE_TESTS") == "1":
        return "SABA_SKIP_WINE_TESTS=1"
    miss = missing_tools()
    if miss:
        return ("missing %s (apt-get install gcc-mingw-w64-x86-64 wine wine64 cmake "
                "dpkg-dev git)" % ", ".join(miss))
    if not os.environ.get("SABA_WIN_BUILDDIR") and not os.path.exists(
            os.path.join(SRCDIR, ".git")):
        return ("not a git checkout (a dist tree): win/cross-build.sh needs one, or "
                "SABA_WIN_BUILDDIR naming a cross build")
    return None


def setUpModule():
    why = skip_reason()
    if why:
        raise unittest.SkipTest(why)
    bdir = build()
    W["tmp"] = tempfile.mkdtemp(prefix="saba-wine-")
    W["prefix"] = os.path.join(W["tmp"], "prefix")
    env = dict(os.environ)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "SABA_AGENT_APIKEY", "http_proxy", "https_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    for k in [k for k in env if k.startswith("AWS_")]:
        env.pop(k)
    env.update(WINEPREFIX=W["prefix"], WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
               WINEARCH="win64", no_proxy="*")
    W["env"] = env
    t0 = time.monotonic()
    p = subprocess.run(["wineboot", "-i"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("wineboot -i failed:\n" + p.stdout[-3000:])
    log("prefix ready in %.1f s" % (time.monotonic() - t0))
    inst = host_path(WIN_DIR)
    os.makedirs(os.path.join(inst, "plugins"))
    shutil.copy(os.path.join(bdir, "core", "saba-agent.exe"), inst)
    for dll in ("plugins/.libs/windows_scm.dll", "plugins/.libs/ec2.dll",
                "plugins/.libs/exec.dll", "plugins/.libs/check.dll",
                "plugins/win/.libs/memory.dll", "plugins/win/.libs/cpu.dll",
                "plugins/win/.libs/filesystem.dll", "plugins/win/.libs/interface.dll",
                "plugins/win/.libs/disk.dll",
                "plugins/win/.libs/processor_queue_length.dll"):
        shutil.copy(os.path.join(bdir, dll), os.path.join(inst, "plugins"))
    for helper, libs in (("keeper", []), ("control", []), ("cmdhelper", ["-lshell32"])):
        subprocess.run([HOST + "-gcc", "-O2", "-Wall", "-static", "-o",
                        os.path.join(inst, helper + ".exe"),
                        os.path.join(HERE, helper + ".c")] + libs, check=True, timeout=120)
    with open(os.path.join(inst, "metric.bat"), "w", newline="\r\n") as f:
        f.write(METRIC_BAT)
    W["keeper"] = subprocess.Popen(["wine", WIN_DIR + "\\keeper.exe", "3600"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)


def tearDownModule():
    if "env" not in W:
        return
    subprocess.run([wineserver(), "-k"], env=W["env"], timeout=60)
    subprocess.run([wineserver(), "-w"], env=W["env"], timeout=60)
    if W.get("keeper") is not None:
        W["keeper"].kill()
        W["keeper"].wait()
    if os.environ.get("SABA_KEEP_TMP"):
        log("kept %s" % W["tmp"])
    else:
        shutil.rmtree(W["tmp"], ignore_errors=True)


class WineService(unittest.TestCase):
    """One scenario: a fresh API, root and config; the agent's log kept."""

    def setUp(self):
        self.scenario(self.id().rsplit(".", 1)[-1])

    def scenario(self, name):
        """A fresh API, root, config and log named name."""
        self.api = FakeMackerel(api_key=harness.API_KEY).start()
        self.addCleanup(self.api.stop)
        self.name = name
        self.root = WIN_DIR + "\\" + self.name
        self.config = WIN_DIR + "\\" + self.name + ".conf"
        self.log_file = WIN_DIR + "\\" + self.name + ".log"
        os.makedirs(host_path(self.root))
        self.addCleanup(self.dump_log, self.log_file)

    def dump_log(self, log_file):
        if self._outcome is not None and getattr(self._outcome, "success", True):
            return
        try:
            with open(host_path(log_file), errors="replace") as f:
                sys.stderr.write("---- %s ----\n%s\n" % (log_file, f.read()[-6000:]))
        except OSError:
            pass

    def write_config(self, require_event=False, ec2=None, extra=None, retire_timeout=10,
                     http_timeout=None):
        """ec2: the ec2 plugin's settings; with them, retire.confirm =
        "always" (only its word retires on a shutdown).  extra: more
        plugin instances.  http_timeout: each request's bound (absent: the
        agent's default)."""
        plugins = {
            "memory": {},
            "cpu": {},
            "filesystem": {},
            "windows_scm": {"retire_on": ["shutdown"],
                            "require_event_1074": require_event,
                            "preshutdown_timeout": 60},
        }
        plugins.update(extra or {})
        retire = {"timeout": retire_timeout}
        if ec2 is not None:
            plugins["ec2"] = ec2
            retire["confirm"] = "always"
        cfg = {
            "apikey": harness.API_KEY,
            "apibase": self.api.url,
            "root": self.root,
            "plugin_dir": WIN_DIR + "\\plugins",
            "interval": 1,
            "retire": retire,
            "shutdown": {"timeout": 5},
            "plugins": plugins,
        }
        if http_timeout is not None:
            cfg["http"] = {"timeout": http_timeout}
        text = cfg_text(cfg)
        with open(host_path(self.config), "w") as f:
            f.write(text)

    def agent_log(self):
        try:
            with open(host_path(self.log_file), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def create_service(self):
        cmd = "%s\\saba-agent.exe run --service -c %s --log-file %s" % (
            WIN_DIR, self.config, self.log_file)
        wine(["sc", "create", SERVICE, "binPath=", cmd, "start=", "demand"], check=True)
        self.addCleanup(remove_service)

    def wait_working(self, adopt=False):
        """Registered (adopt: found an existing host, no create), and the
        three metric plugins' values arrived."""
        id_path = os.path.join(host_path(self.root), "id")
        if adopt:
            self.assertTrue(self.api.wait_for(lambda: os.path.exists(id_path), timeout=30),
                            "no host id:\n" + self.agent_log())
        else:
            hosts = self.api.wait_requests(1, timeout=30, route="create_host")
            self.assertEqual(len(hosts), 1, "no registration:\n" + self.agent_log())
        for name in ("memory.total", "cpu.user.percentage", "filesystem.C.size"):
            pts = self.api.wait_for(lambda n=name: self.api.points_named(n), timeout=30)
            self.assertTrue(pts, "no %s posted:\n%s" % (name, self.agent_log()))
        with open(id_path) as f:
            return f.read().strip()

    def assert_no_retire(self, settle=2):
        time.sleep(settle)
        self.assertEqual(self.api.retired(), [])
        self.assertEqual(self.api.requests(route="retire_host"), [])

    # ------------------------------------------------------------ ec2
    def start_imds(self):
        """The fake IMDS: one instance in REGION with an instance role."""
        imds = FakeImds().start()
        self.addCleanup(imds.stop)
        imds.set_role(ROLE, {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": AKID,
                             "SecretAccessKey": SECRET, "Token": TOKEN,
                             "Expiration": "2099-01-01T00:00:00Z"})
        return imds

    def start_fake_ec2(self):
        """The fake EC2 (unittest.SkipTest without node)."""
        from fakeec2 import FakeEC2
        workdir = tempfile.mkdtemp(prefix="fakeec2-", dir=W["tmp"])
        ec2 = FakeEC2(workdir).start()
        self.addCleanup(ec2.stop)
        ec2.credentials(AKID, SECRET, TOKEN)
        return ec2

    def ec2_settings(self, imds, ec2_url, poll_interval=0, platform="ec2"):
        return {"cloud_platform": platform, "imds_endpoint": imds.url, "imds_timeout": 1,
                "ec2_endpoint": ec2_url, "ec2_timeout": 2, "poll_interval": poll_interval}

    def wait_log(self, pattern, timeout=30):
        ok = self.api.wait_for(lambda: re.search(pattern, self.agent_log()), timeout=timeout)
        self.assertTrue(ok, "no %r in the log:\n%s" % (pattern, self.agent_log()[-4000:]))

    def ec2_preshutdown(self, imds, ec2_url):
        """Start the service with ec2 confirming, wait for its start-up
        check of the host, send the PRESHUTDOWN control; returns the host id
        once the service has stopped."""
        self.write_config(ec2=self.ec2_settings(imds, ec2_url))
        self.create_service()
        start_service()
        host_id = self.wait_working()
        self.wait_log(r"customIdentifier check: ")
        p = wine([WIN_DIR + "\\control.exe", SERVICE, str(TEST_CONTROL)])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(wait_state("STOPPED"), "STOPPED", self.agent_log())
        self.assertEqual(service_status()["WIN32_EXIT_CODE"], 0, self.agent_log())
        remove_service()
        time.sleep(1)
        return host_id

    def assert_ec2_asked(self, ec2, imds):
        """DescribeInstances was signed with the instance role's credentials."""
        self.assertGreaterEqual(ec2.region_stats(REGION)["requests"], 1, self.agent_log())
        self.assertEqual(ec2.region_stats(REGION)["authFailures"], 0)
        self.assertTrue(imds.requests(path="meta-data/iam/security-credentials/" + ROLE))

    # ------------------------------------------------------------ commands
    def command_plugins(self, hang_dir):
        helper = WIN_DIR + "\\cmdhelper.exe"
        plugins = {
            "wine_bat": {"module": "exec", "command": WIN_DIR + "\\metric.bat",
                         "env": {"SABA_TEST_NUM": "7"}},
            "wine_exe": {"module": "exec", "command": [helper, "metric"] + HELPER_ARGS,
                         "env": {"SABA_TEST_ENV": "from config"}},
            "hang": {"module": "exec", "command": [helper, "hang", hang_dir],
                     "timeout": HANG_TIMEOUT},
        }
        for code in CHECKS:
            plugins["check_%d" % code] = {"module": "check",
                                          "command": [helper, "check", str(code)]}
        return plugins

    def hang_runs(self, hang_dir):
        """{run dir: {"start": ms, "parent": ms, "child": ms}} of the
        never-ending command's runs (a beat not yet written is absent)."""
        runs = {}
        top = host_path(hang_dir)
        for d in sorted(os.listdir(top)) if os.path.isdir(top) else []:
            times = {}
            for k in ("start", "parent", "child"):
                try:
                    with open(os.path.join(top, d, k + ".txt")) as f:
                        times[k] = int(f.read().strip())
                except (OSError, ValueError):
                    pass
            runs[d] = times
        return runs

    def finished_hang_runs(self, hang_dir):
        """hang_runs() but the newest run, which may still be going."""
        runs = sorted(self.hang_runs(hang_dir).items(), key=lambda r: r[1].get("start", 0))
        return dict(runs[:-1])

    def assert_hang_ended(self, hang_dir, runs, min_children=2):
        """Each run's parent and child stopped beating within timeout + 1 s
        of its start, and stay stopped; at least min_children runs had a
        beating child.  (The parent beats only once its child is created:
        on a loaded machine a child can be ended before its first beat,
        and then must never beat.)"""
        time.sleep(1.5)
        later = self.hang_runs(hang_dir)
        for d, t in runs.items():
            for k in ("parent", "child"):
                if k in t:
                    self.assertLessEqual(t[k] - t["start"], (HANG_TIMEOUT + 1) * 1000,
                                         "%s of %s lived on: %r\n%s"
                                         % (k, d, t, self.agent_log()))
                self.assertEqual(later[d].get(k), t.get(k), "%s of %s still runs" % (k, d))
        self.assertGreaterEqual(sum("child" in t for t in runs.values()), min_children,
                                "runs with a beating child: %r" % runs)

    def test_2b_commands(self):
        hang_dir = self.root + "\\hang"
        os.makedirs(host_path(hang_dir))
        self.write_config(extra=self.command_plugins(hang_dir))
        self.create_service()
        start_service()
        self.wait_working()
        want = {"custom.wine.bat.value": 42, "custom.wine.bat.env": 7,
                "custom.wine.exe.argv_ok": 1, "custom.wine.exe.env_ok": 1}
        for name, value in want.items():
            pts = self.api.wait_for(lambda n=name: self.api.points_named(n), timeout=30)
            self.assertTrue(pts, "no %s posted:\n%s" % (name, self.agent_log()))
            self.assertEqual(pts[-1]["value"], value, name)
        self.assertTrue(self.api.wait_for(
            lambda: {"custom.wine.bat", "custom.wine.exe"} <= {
                g["name"] for g in self.api.graph_defs()}, timeout=30),
            "graph definitions: %r" % self.api.graph_defs())
        defs = {g["name"]: g for g in self.api.graph_defs()}
        self.assertEqual(defs["custom.wine.bat"]["unit"], "integer")
        self.assertEqual([m["name"] for m in defs["custom.wine.exe"]["metrics"]],
                         ["custom.wine.exe.argv_ok", "custom.wine.exe.env_ok"])

        def statuses():
            got = {}
            for r in self.api.check_reports():
                got[r["name"]] = r["status"]
            return got
        want_checks = {"check_%d" % c: st for c, st in CHECKS.items()}
        self.assertTrue(self.api.wait_for(lambda: statuses() == want_checks, timeout=30),
                        "check reports: %r\n%s" % (statuses(), self.agent_log()))
        for r in self.api.check_reports():
            self.assertIn("cmdhelper check", r["message"])
            self.assertEqual(r["source"]["type"], "host")

        # The never-ending command: two whole runs, children and all,
        # ended in time.
        self.assertTrue(self.api.wait_for(
            lambda: sum("child" in t for t in self.finished_hang_runs(hang_dir).values()) >= 2,
            timeout=(HANG_TIMEOUT + 2) * 6),
            "the hang command did not run again:\n" + self.agent_log())
        self.assert_hang_ended(hang_dir, self.finished_hang_runs(hang_dir))
        self.assertRegex(self.agent_log(), r"timed out after %d s" % HANG_TIMEOUT)

        # sc stop during a run: the service stops cleanly, nothing left.
        seen = set(self.hang_runs(hang_dir))
        self.assertTrue(self.api.wait_for(
            lambda: any("child" in t for d, t in self.hang_runs(hang_dir).items()
                        if d not in seen), timeout=(HANG_TIMEOUT + 2) * 2),
            "no new run of the hang command:\n" + self.agent_log())
        t0 = time.monotonic()
        wine(["sc", "stop", SERVICE])
        self.assertEqual(wait_state("STOPPED"), "STOPPED", self.agent_log())
        self.assertLess(time.monotonic() - t0, 15)
        self.assertEqual(service_status()["WIN32_EXIT_CODE"], 0, self.agent_log())
        self.assert_hang_ended(hang_dir, self.hang_runs(hang_dir))
        self.assert_no_retire(settle=0)

    def test_2c_once_metrics(self):
        """interface, disk and processor_queue_length in `once`: the values
        present and numeric, the deltas from its second round.  Wine 8
        implements neither IOCTL_DISK_PERFORMANCE nor PDH's Processor
        Queue Length: where a source does not answer, the plugin must say
        so (and then post nothing rather than a made-up value).
        use_mountpoint, a Linux setting of disk and filesystem, is taken
        and names drives by their letter all the same."""
        text = cfg_text({
            "apikey": harness.API_KEY,
            "root": self.root,
            "plugin_dir": WIN_DIR + "\\plugins",
            "plugins": {"interface": {}, "disk": {"use_mountpoint": True},
                        "processor_queue_length": {},
                        "filesystem": {"use_mountpoint": True}},
        })
        with open(host_path(self.config), "w") as f:
            f.write(text)
        p = wine([WIN_DIR + "\\saba-agent.exe", "once", "-c", self.config], timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        values = {m["name"]: m["value"] for m in json.loads(p.stdout)["metrics"]}
        checks = (
            (r"filesystem\.C\.size$", None),
            (r"interface\.[A-Za-z0-9_-]+\.rxBytes\.delta$", None),
            (r"interface\.[A-Za-z0-9_-]+\.txBytes\.delta$", None),
            (r"disk\.[A-Z]\.reads\.delta$", r"IOCTL_DISK_PERFORMANCE failed: .*no disk\.C values"),
            (r"disk\.[A-Z]\.writes\.delta$", r"IOCTL_DISK_PERFORMANCE failed: .*no disk\.C values"),
            (r"processor_queue_length$",
             r"PDH has no counter \\System\\Processor Queue Length .*no processor_queue_length"),
        )
        for pattern, unsupported in checks:
            names = [n for n in values if re.match(pattern, n)]
            for n in names:
                self.assertIsInstance(values[n], (int, float), n)
                self.assertGreaterEqual(values[n], 0, n)
            if not names:
                self.assertIsNotNone(unsupported, "no %s in %r\n%s" % (pattern, values,
                                                                       p.stderr[-3000:]))
                self.assertRegex(p.stderr, unsupported)
                log("%s: not offered here (%s)" % (pattern, unsupported))

    # ------------------------------------------------------------ scenarios
    def test_1_install_uninstall(self):
        self.write_config()
        exe = WIN_DIR + "\\saba-agent.exe"
        p = wine([exe, "service", "install", "-c", self.config, "--log-file", self.log_file],
                 check=True)
        self.assertIn("installed service saba-agent", p.stdout)
        p = wine(["reg", "query", "HKLM\\System\\CurrentControlSet\\Services\\saba-agent"],
                 check=True)
        reg = p.stdout
        self.assertRegex(reg, r"Start\s+REG_DWORD\s+0x2\b")         # auto start
        self.assertRegex(reg, r"Type\s+REG_DWORD\s+0x10\b")         # own process
        self.assertRegex(reg, r"DependOnService\s+REG_MULTI_SZ\s+RPCSS\\0Tcpip")
        self.assertIn("run --service -c \"C:\\saba\\%s.conf\"" % self.name, reg)
        start_service("saba-agent")
        host_id = self.wait_working()
        self.assertTrue(host_id.startswith("h"))
        p = wine([exe, "service", "uninstall"], check=True)
        self.assertIn("removed service saba-agent", p.stdout)
        self.assertIsNone(service_state("saba-agent"))
        self.assert_no_retire()
        self.assertIn("never retires", self.agent_log())

    def test_2_stop_never_retires(self):
        self.write_config(require_event=False)
        self.create_service()
        start_service()
        host_id = self.wait_working()
        self.assertEqual(len(self.api.requests(route="create_host")), 1)
        wine(["sc", "stop", SERVICE])
        self.assertEqual(wait_state("STOPPED"), "STOPPED")
        self.assert_no_retire()
        log_text = self.agent_log()
        self.assertIn("service control received (stop)", log_text)
        self.assertIn("a service stop (administrator, sc stop, installer) never retires",
                      log_text)
        self.assertTrue(os.path.exists(os.path.join(host_path(self.root), "id")))
        host = self.api.host(host_id)
        self.assertFalse(host["isRetired"])
        self.assertEqual(host["meta"]["kernel"]["name"], "Microsoft Windows")

    def test_3_test_control_retires_once(self):
        # A slow retire: the stop stays pending long enough for `sc query`
        # (seconds apiece on a loaded machine) to see it several times.
        t0 = time.monotonic()
        service_status()
        delay = min(40.0, max(4.0, 6 * (time.monotonic() - t0)))
        # The retire request is slow, not lost: it must outlast the delay
        # (on a loaded machine the delay reaches the default 10 s).
        self.write_config(require_event=False, retire_timeout=int(delay) + 10,
                          http_timeout=int(delay) + 5)
        self.create_service()
        start_service()
        host_id = self.wait_working()
        self.api.set_fault("retire_host", "delay", delay=delay)
        t0 = time.monotonic()
        p = wine([WIN_DIR + "\\control.exe", SERVICE, str(TEST_CONTROL)])
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The handler hands the work over: the control returns at once.
        self.assertLess(took, 3.0)
        # A second one while stopping must change nothing.
        wine([WIN_DIR + "\\control.exe", SERVICE, str(TEST_CONTROL)])
        pending = []
        deadline = time.monotonic() + delay + 30
        while time.monotonic() < deadline:
            st = service_status()
            if st is None or st["STATE"] == "STOPPED":
                break
            if st["STATE"] == "STOP_PENDING":
                pending.append((st["CHECKPOINT"], st["WAIT_HINT"]))
            time.sleep(0.2)
        self.assertEqual(wait_state("STOPPED"), "STOPPED", self.agent_log())
        # SERVICE_STOP_PENDING with rising checkpoints and a wait hint.
        checkpoints = [c for c, _ in pending]
        self.assertGreaterEqual(len(set(checkpoints)), 3, pending)
        self.assertEqual(checkpoints, sorted(checkpoints))
        self.assertTrue(all(h > 0 for _, h in pending), pending)
        time.sleep(1)
        retired = self.api.retired()
        self.assertEqual([h for h, _ in retired], [host_id], self.agent_log())
        self.assertTrue(self.api.host(host_id)["isRetired"])
        self.assertEqual(len(self.api.requests(route="retire_host")), 1)
        self.assertFalse(os.path.exists(os.path.join(host_path(self.root), "id")))
        self.assertIn("service control received (shutdown)", self.agent_log())

    def test_4_shutdown_without_event_1074(self):
        self.write_config(require_event=True)
        self.create_service()
        start_service()
        self.wait_working()
        p = wine([WIN_DIR + "\\control.exe", SERVICE, str(TEST_CONTROL)])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(wait_state("STOPPED"), "STOPPED", self.agent_log())
        self.assert_no_retire()
        self.assertIn("no event 1074 could be read", self.agent_log())
        self.assertTrue(os.path.exists(os.path.join(host_path(self.root), "id")))

    def test_5_ec2_identity_and_adoption(self):
        imds = self.start_imds()
        existing = self.api.add_host(name="created-by-aws-integration", custom_identifier=CI)
        self.api.add_host(name="someone-else", custom_identifier="i-0fff.ec2.amazonaws.com")
        # EC2 is not needed here: its endpoint is a closed port.  "auto":
        # no DMI uuid on Windows, so IMDS's partition decides.
        self.write_config(ec2=self.ec2_settings(
            imds, "http://127.0.0.1:%d" % harness.free_port(), poll_interval=1,
            platform="auto"))
        self.create_service()
        start_service()
        t0 = time.monotonic()
        host_id = self.wait_working(adopt=True)
        self.assertEqual(host_id, existing)
        self.assertEqual(self.api.requests(route="create_host"), [], "a new host was created")
        finds = self.api.requests(route="find_hosts")
        self.assertTrue(finds)
        self.assertEqual(finds[0].query.get("customIdentifier"), [CI])
        self.wait_log(r"adopted host %s" % existing)
        self.assertIn("ec2: this machine is an EC2 instance", self.agent_log())
        self.assertTrue(imds.requests(path="meta-data/services/partition"))
        self.wait_log(r"customIdentifier check: ")
        updates = self.api.wait_requests(1, timeout=30, route="update_host")
        self.assertTrue(updates, self.agent_log())
        spec = updates[-1].body
        self.assertEqual(spec.get("customIdentifier"), CI)
        self.assertEqual(spec["meta"]["cloud"]["provider"], "ec2")
        self.assertEqual(spec["meta"]["cloud"]["metadata"]["instance-id"], INSTANCE_ID)
        self.assertEqual(spec["meta"]["cloud"]["metadata"]["local-ipv4"],
                         DEFAULT_ITEMS["meta-data/local-ipv4"])
        self.assertEqual(spec["meta"]["kernel"]["name"], "Microsoft Windows")
        # The poller waits on a monotonic-clock condition variable: about
        # one poll a second under winpthreads too, never a busy loop.
        time.sleep(4)
        polls = len(imds.requests(path="meta-data/spot/instance-action"))
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(polls, 2, self.agent_log())
        self.assertLessEqual(polls, elapsed * 2 + 3, self.agent_log())
        self.assertEqual(imds.counts().get("no_token", 0), 0)
        wine(["sc", "stop", SERVICE])
        self.assertEqual(wait_state("STOPPED"), "STOPPED")
        self.assert_no_retire()
        self.assertFalse(self.api.host(existing)["isRetired"])

    def test_6_ec2_terminating_retires_once(self):
        imds = self.start_imds()
        ec2 = self.start_fake_ec2()
        for state in ("shutting-down", "terminated"):
            with self.subTest(state=state):
                self.scenario("%s_%s" % (self._testMethodName, state.replace("-", "_")))
                ec2.reset()
                ec2.credentials(AKID, SECRET, TOKEN)
                ec2.instances(REGION, {INSTANCE_ID: state})
                host_id = self.ec2_preshutdown(imds, ec2.url)
                self.assertEqual([h for h, _ in self.api.retired()], [host_id],
                                 self.agent_log())
                self.assertEqual(len(self.api.requests(route="retire_host")), 1)
                self.assertTrue(self.api.host(host_id)["isRetired"])
                self.assertFalse(os.path.exists(os.path.join(host_path(self.root), "id")))
                self.assertRegex(self.agent_log(), r"confirmed by ec2: .*%s" % state)
                self.assert_ec2_asked(ec2, imds)

    def test_7_ec2_stopping_never_retires(self):
        imds = self.start_imds()
        ec2 = self.start_fake_ec2()
        for state in ("stopping", "stopped"):
            with self.subTest(state=state):
                self.scenario("%s_%s" % (self._testMethodName, state))
                ec2.reset()
                ec2.credentials(AKID, SECRET, TOKEN)
                ec2.instances(REGION, {INSTANCE_ID: state})
                host_id = self.ec2_preshutdown(imds, ec2.url)
                self.assert_no_retire()
                self.assertFalse(self.api.host(host_id)["isRetired"])
                self.assertTrue(os.path.exists(os.path.join(host_path(self.root), "id")))
                self.assertRegex(self.agent_log(),
                                 r"declined: ec2 does not confirm: .*%s \(\d+\), not being "
                                 r"terminated" % state)
                self.assert_ec2_asked(ec2, imds)

    def test_8_ec2_unreachable_never_retires(self):
        imds = self.start_imds()
        t0 = time.monotonic()
        host_id = self.ec2_preshutdown(imds, "http://127.0.0.1:%d" % harness.free_port())
        self.assertLess(time.monotonic() - t0, 90)
        self.assert_no_retire()
        self.assertFalse(self.api.host(host_id)["isRetired"])
        self.assertTrue(os.path.exists(os.path.join(host_path(self.root), "id")))
        self.assertRegex(self.agent_log(), r"declined: ec2 does not confirm: .*DescribeInstances")

    def test_9_killed_without_control(self):
        self.write_config(require_event=False)
        self.create_service()
        start_service()
        self.wait_working()
        posts = len(self.api.requests(route="tsdb"))
        subprocess.run(["wine", "wineboot", "--end-session", "--kill", "--force",
                        "--shutdown"], env=W["env"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        subprocess.run([wineserver(), "-k"], env=W["env"], timeout=60)
        subprocess.run([wineserver(), "-w"], env=W["env"], timeout=60)
        self.assertGreater(posts, 0)
        self.assert_no_retire(settle=3)
        self.assertNotIn("retiring host", self.agent_log())
        self.assertTrue(os.path.exists(os.path.join(host_path(self.root), "id")))


if __name__ == "__main__":
    if skip_reason():
        print("SKIP: " + skip_reason(), file=sys.stderr)
        sys.exit(harness.EXIT_SKIP)
    harness.main()
