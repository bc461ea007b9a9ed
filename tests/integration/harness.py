"""Helpers for the saba-agent integration tests (Python 3 standard library only).

Environment (set by `make check`, see tests/local.mk):
    SABA_AGENT            path of the built saba-agent binary (unset: skip, exit 77)
    SABA_PLUGIN_DIR       directory of the built plugins (*.so)
    SABA_TEST_PLUGIN_DIR  directory of the test plugins (good.so, hang.so, trigger.so, ...)
    SABA_SRCDIR           top source directory
    SABA_TEST_WRAPPER     optional command prefix (e.g. valgrind ...), split and
                          prepended to every agent command
    SABA_TEST_TIME_SCALE  optional factor for every timing bound (default 1, or
                          5 when a wrapper is set)
    SABA_KEEP_TMP         keep each test's temporary directory when set

Nothing here contacts anything but 127.0.0.1.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from fakeapi import FakeMackerel  # noqa: E402

AGENT = os.environ.get("SABA_AGENT", "")
PLUGIN_DIR = os.environ.get("SABA_PLUGIN_DIR", "")
TEST_PLUGIN_DIR = os.environ.get("SABA_TEST_PLUGIN_DIR", "")
SRCDIR = os.environ.get("SABA_SRCDIR", os.path.dirname(os.path.dirname(HERE)))
WRAPPER = shlex.split(os.environ.get("SABA_TEST_WRAPPER", "") or "")
TIME_SCALE = float(os.environ.get("SABA_TEST_TIME_SCALE") or (5 if WRAPPER else 1))

API_KEY = "itest-key-Zq7rW3xPp9"   # distinctive, so a leak into logs is easy to spot

EXIT_SKIP = 77


def scaled(seconds):
    """A timing bound, stretched when the agent runs under a wrapper."""
    return seconds * TIME_SCALE


def skip_unless_agent():
    """Exit 77 (automake SKIP) when there is no agent binary to test."""
    if not AGENT:
        print("SKIP: SABA_AGENT is not set", file=sys.stderr)
        sys.exit(EXIT_SKIP)
    if not os.access(AGENT, os.X_OK):
        print("SKIP: SABA_AGENT=%s is not executable" % AGENT, file=sys.stderr)
        sys.exit(EXIT_SKIP)


class _TimedResult(unittest.TextTestResult):
    """Verbose results with each test's duration."""

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def _took(self):
        if self.showAll:
            self.stream.write("[%.1fs] " % (time.monotonic() - self._t0))

    def addSuccess(self, test):
        self._took()
        super().addSuccess(test)

    def addFailure(self, test, err):
        self._took()
        super().addFailure(test, err)

    def addError(self, test, err):
        self._took()
        super().addError(test, err)


def main():
    """Run the calling module's tests verbosely; exit 0, 1 or 77."""
    skip_unless_agent()
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_TimedResult)
    prog = unittest.main(module="__main__", testRunner=runner, exit=False,
                         argv=[sys.argv[0]] + sys.argv[1:])
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun and len(result.skipped) == result.testsRun:
        sys.exit(EXIT_SKIP)
    sys.exit(0)


def test_plugin(name):
    """Path of a test plugin .so; skips the test when it was not built."""
    path = os.path.join(TEST_PLUGIN_DIR, name + ".so") if TEST_PLUGIN_DIR else ""
    if not path or not os.path.isfile(path):
        raise unittest.SkipTest("test plugin %s.so not built (SABA_TEST_PLUGIN_DIR=%r)"
                                % (name, TEST_PLUGIN_DIR))
    return path


def real_plugin(name):
    """Path of a built plugin .so; skips the test when it was not built."""
    path = os.path.join(PLUGIN_DIR, name + ".so") if PLUGIN_DIR else ""
    if not path or not os.path.isfile(path):
        raise unittest.SkipTest("plugin %s.so not built (SABA_PLUGIN_DIR=%r)"
                                % (name, PLUGIN_DIR))
    return path


def free_port():
    """A loopback TCP port with nothing listening on it (for "API down")."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_cert(directory, cn="127.0.0.1"):
    """A self-signed certificate for 127.0.0.1: returns (certfile, keyfile).
    Skips the test when the openssl command is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise unittest.SkipTest("openssl command not found")
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    p = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise unittest.SkipTest("openssl req failed: %s" % p.stderr.decode()[-300:])
    return cert, key


# ---------------------------------------------------------------- libconfig
class Raw:
    """A value written verbatim into the config (for broken configs)."""

    def __init__(self, text):
        self.text = text


class Group(dict):
    """Explicit libconfig group; plain dicts are groups too."""


def _cfg_string(s):
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def cfg_value(v, indent=""):
    """Render a Python value in libconfig syntax."""
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        return r if any(c in r for c in ".eE") else r + ".0"
    if isinstance(v, str):
        return _cfg_string(v)
    if isinstance(v, list):        # array: [ a, b ] (scalars of one type)
        return "[ " + ", ".join(cfg_value(x, indent) for x in v) + " ]"
    if isinstance(v, tuple):       # list: ( a, b ) (anything)
        return "( " + ", ".join(cfg_value(x, indent) for x in v) + " )"
    if isinstance(v, dict):
        if not v:
            return "{}"
        inner = indent + "  "
        lines = ["{"]
        for k, x in v.items():
            lines.append("%s%s = %s;" % (inner, k, cfg_value(x, inner)))
        lines.append(indent + "}")
        return "\n".join(lines)
    raise TypeError("cannot render %r in libconfig syntax" % (v,))


def cfg_text(settings):
    """Render an ordered mapping of top-level settings (None values are left out)."""
    lines = ["# written by tests/integration/harness.py"]
    for k, v in settings.items():
        if v is None:
            continue
        lines.append("%s = %s;" % (k, cfg_value(v)))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- processes
class Agent:
    """A running saba-agent (``run`` usually) with stdout/stderr in files."""

    def __init__(self, argv, env, cwd, out_path, err_path, stdin=subprocess.DEVNULL):
        self.argv = argv
        self.out_path = out_path
        self.err_path = err_path
        self._out = open(out_path, "wb")
        self._err = open(err_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin,
                                     stdout=self._out, stderr=self._err)
        self.pid = self.proc.pid
        self.ended = None

    @property
    def returncode(self):
        return self.proc.returncode

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """Wait for the exit; returns the exit code or None on timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.ended is None:
            self.ended = time.monotonic()
        self._close_files()
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send sig and wait; returns (exit code or None, seconds it took)."""
        t0 = time.monotonic()
        self.send_signal(sig)
        rc = self.wait(timeout)
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._close_files()

    def _close_files(self):
        for f in (self._out, self._err):
            try:
                f.close()
            except OSError:
                pass

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout_json_lines(self):
        """Parse every complete stdout line as JSON (raises on a bad line)."""
        text = self.stdout()
        lines = text.split("\n")
        if not text.endswith("\n"):
            lines = lines[:-1]      # the last line may still be being written
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for_stderr(self, pattern, timeout=10.0, flags=0):
        """Wait until stderr matches the regex; returns the match or None."""
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.stderr())
            if m or time.monotonic() >= deadline:
                return m
            if not self.alive():
                return rx.search(self.stderr())
            time.sleep(0.05)


class AgentTestCase(unittest.TestCase):
    """Base class: a temp dir per test, a fake API on demand, agent runners.

    self.tmp     the test's temp dir
    self.root    <tmp>/root (the agent's root; holds the id file)
    self.id_path <root>/id
    self.api     the FakeMackerel after start_api()
    """

    maxDiff = None

    def setUp(self):
        if not AGENT:
            raise unittest.SkipTest("SABA_AGENT is not set")
        self.tmp = tempfile.mkdtemp(prefix="saba-it-")
        os.chmod(self.tmp, 0o755)
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root, 0o755)
        self.id_path = os.path.join(self.root, "id")
        self.api = None
        self.agents = []
        self._plugin_dir = None
        self.config_path = os.path.join(self.tmp, "saba-agent.conf")
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for a in self.agents:
            a.kill()
        if self.api is not None:
            self.api.stop()
        ok = not self._failed_so_far()
        if not ok:
            for a in self.agents:
                sys.stderr.write("---- agent %s stderr (%s) ----\n%s\n" % (
                    " ".join(a.argv[-3:]), a.err_path, a.stderr()[-4000:]))
        if os.environ.get("SABA_KEEP_TMP") or not ok:
            sys.stderr.write("\n(kept %s)\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _failed_so_far(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        errs = getattr(outcome, "errors", None)
        if errs is not None:  # Python <= 3.10 collects them here
            return any(exc is not None for _, exc in errs)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        return any(t is self for t, _ in list(result.failures) + list(result.errors))

    # ------------------------------------------------------------ fake API
    def start_api(self, api_key=API_KEY, **kw):
        self.api = FakeMackerel(api_key=api_key, **kw).start()
        return self.api

    # ------------------------------------------------------------ plugins
    def plugin_dir(self, *names):
        """Make <tmp>/plugins holding copies (mode 0644) of the named plugins:
        built ones (loadavg, memory, ...) or test ones (good, hang, trigger,
        ...).  Returns the directory.  Skips the test if one is missing."""
        d = os.path.join(self.tmp, "plugins")
        os.makedirs(d, 0o755, exist_ok=True)
        for name in names:
            src = None
            for base in (PLUGIN_DIR, TEST_PLUGIN_DIR):
                if base and os.path.isfile(os.path.join(base, name + ".so")):
                    src = os.path.join(base, name + ".so")
                    break
            if src is None:
                raise unittest.SkipTest("plugin %s.so not built" % name)
            dst = os.path.join(d, name + ".so")
            # A new file renamed into place, never a copy over the old one:
            # truncating a .so a running agent has mapped makes the kernel
            # drop even its private, relocated pages, and the agent then
            # crashes on its next dlopen.
            tmp = os.path.join(d, ".%s.so.new" % name)
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dst)
        self._plugin_dir = d
        return d

    # ------------------------------------------------------------ config
    def default_settings(self):
        s = {}
        if self.api is not None:
            s["apikey"] = self.api.api_key
            s["apibase"] = self.api.url
        else:   # no fake API: a loopback port nobody listens on
            s["apikey"] = API_KEY
            s["apibase"] = "http://127.0.0.1:%d" % free_port()
        s["root"] = self.root
        if self._plugin_dir:
            s["plugin_dir"] = self._plugin_dir
        s["interval"] = 1
        s["http"] = {"timeout": 2}
        s["retire"] = {"timeout": 5}
        return s

    def write_config(self, path=None, **settings):
        """Write a libconfig file from the defaults updated with settings (a
        None value removes a default).  Returns the path."""
        s = self.default_settings()
        s.update(settings)
        return self.write_config_text(cfg_text(s), path)

    def write_config_text(self, text, path=None):
        path = path or self.config_path
        with open(path, "w") as f:
            f.write(text)
        return path

    # ------------------------------------------------------------ id file
    def write_id(self, host_id):
        with open(self.id_path, "w") as f:
            f.write(host_id)

    def read_id(self):
        """The id file's exact content, or None when absent."""
        try:
            with open(self.id_path, "rb") as f:
                return f.read().decode()
        except FileNotFoundError:
            return None

    # ------------------------------------------------------------ running
    def env(self, extra=None, drop_apikey_env=True):
        e = dict(os.environ)
        if drop_apikey_env:
            e.pop("SABA_AGENT_APIKEY", None)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                  "all_proxy", "JOURNAL_STREAM"):
            e.pop(k, None)
        e["NO_PROXY"] = e["no_proxy"] = "127.0.0.1,localhost"
        e.setdefault("LC_ALL", "C")
        if extra:
            for k, v in extra.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
        return e

    def agent_argv(self, args, config=True):
        argv = list(WRAPPER) + [AGENT]
        if config is True:
            argv += ["-c", self.config_path]
        elif config:
            argv += ["-c", config]
        return argv + list(args)

    def run_agent(self, args, timeout=30, config=True, env=None, input=None,
                  stdin=subprocess.DEVNULL):
        """Run the agent to completion; returns CompletedProcess (text) with
        an extra attribute ``elapsed`` (seconds).  A timeout fails the test."""
        argv = self.agent_argv(args, config)
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, env=self.env(env), cwd=self.tmp,
                               input=input, stdin=None if input is not None else stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=scaled(timeout))
        except subprocess.TimeoutExpired as e:
            self.fail("agent %r did not exit within %ss; stderr:\n%s" % (
                args, scaled(timeout), (e.stderr or b"").decode("utf-8", "replace")[-3000:]))
        p.elapsed = time.monotonic() - t0
        p.stdout = p.stdout.decode("utf-8", "replace")
        p.stderr = p.stderr.decode("utf-8", "replace")
        return p

    def start_agent(self, args=("run",), config=True, env=None, stdin=subprocess.DEVNULL):
        """Start the agent in the background; returns an Agent."""
        n = len(self.agents)
        a = Agent(self.agent_argv(args, config), self.env(env), self.tmp,
                  os.path.join(self.tmp, "agent%d.stdout" % n),
                  os.path.join(self.tmp, "agent%d.stderr" % n), stdin=stdin)
        self.agents.append(a)
        return a

    def wait_registered(self, agent, timeout=10):
        """Wait for the id file and the on_start status (or at least the
        spec PUT); returns the host id."""
        ok = self.api.wait_for(
            lambda: (self.read_id() and self.api.requests(route="update_host"))
            or not agent.alive(), scaled(timeout))
        ok = ok and self.read_id() and self.api.requests(route="update_host")
        if not ok:
            self.fail("agent did not register within %ss (alive=%s); requests: %r\n"
                      "stderr:\n%s" % (scaled(timeout), agent.alive(), self.api.requests(),
                                       agent.stderr()[-3000:]))
        return self.read_id()

    def wait_points(self, name, n=1, timeout=10, agent=None):
        """Wait for n delivered points named ``name``; returns them."""
        def enough():
            return (len(self.api.points_named(name)) >= n) and self.api.points_named(name)
        self.api.wait_for(lambda: enough() or (agent is not None and not agent.alive()),
                          scaled(timeout))
        pts = enough()
        if not pts:
            self.fail("fewer than %d %r points within %ss (agent %s); got %r; requests: %r%s"
                      % (n, name, scaled(timeout),
                         "exited %s" % agent.returncode if agent and not agent.alive()
                         else "running", self.api.points_named(name),
                self.api.requests()[-10:],
                ("\nstderr:\n" + agent.stderr()[-3000:]) if agent else ""))
        return pts

    def stop_agent(self, agent, sig=signal.SIGTERM, bound=5, expect_rc=0):
        """Signal the agent and assert it exits within bound seconds with
        expect_rc (None = any).  Returns (rc, seconds)."""
        rc, took = agent.stop(sig, timeout=scaled(bound) + 5)
        self.assertIsNotNone(rc, "agent did not exit within %ss of %s; stderr:\n%s" % (
            scaled(bound) + 5, signal.Signals(sig).name, agent.stderr()[-3000:]))
        self.assertLessEqual(took, scaled(bound), "agent took %.1fs to exit after %s" % (
            took, signal.Signals(sig).name))
        if expect_rc is not None:
            self.assertEqual(rc, expect_rc, "exit code after %s; stderr:\n%s" % (
                signal.Signals(sig).name, agent.stderr()[-3000:]))
        return rc, took

    # ------------------------------------------------------------ asserts
    def assertNoCrash(self, rc, stderr=""):
        """The agent exited by itself (no signal death, no sanitizer or
        valgrind error exit)."""
        self.assertIsNotNone(rc)
        self.assertGreaterEqual(rc, 0, "agent died of signal %d\n%s" % (-rc if rc else 0,
                                                                      stderr[-3000:]))
        self.assertNotIn(rc, (99, 134, 139), "agent crashed or valgrind/sanitizer "
                                             "reported errors (rc %d)\n%s" % (rc, stderr[-3000:]))
        self.assertNotRegex(stderr, r"(AddressSanitizer|UndefinedBehaviorSanitizer|"
                                    r"runtime error:|LeakSanitizer)")

    def assertNoCloudIdentifier(self, spec):
        """A host spec without a plugin's customIdentifier: none, or the
        registration token standing in for one ("" in the PUT that clears
        it; core/register.c)."""
        ci = spec.get("customIdentifier")
        if ci is not None:
            self.assertRegex(ci, r"^(saba-registration-[0-9a-f]{32})?$")

    def assertKeyNotLeaked(self, text, key=API_KEY):
        self.assertNotIn(key, text, "the API key appears in the agent's output")


def tsdb_series(points, name):
    """Sorted distinct times of the points named ``name``."""
    return sorted({p["time"] for p in points if p.get("name") == name})


def gaps(times, step=1):
    """Missing times between the first and last of a sorted list."""
    if not times:
        return []
    have = set(times)
    return [t for t in range(times[0], times[-1] + 1, step) if t not in have]


def meminfo():
    """/proc/meminfo as {key: kB}."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, _, rest = line.partition(":")
            parts = rest.split()
            if parts:
                out[k.strip()] = int(parts[0])
    return out
