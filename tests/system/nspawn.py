"""Shared parts of the system tests (test_systemd.py, test_sysv.py): a
debootstrapped Debian rootfs cached per package list, booted with
systemd-nspawn -b, entered with nsenter, the build installed into a scratch
copy with `make install DESTDIR=`, and a fake Mackerel API on the host's
127.0.0.1 (nspawn shares the host's network).

Each test calls main() with its package list and scenarios; main() skips
(77) without root, the tools, a mirror or SABA_TOP_BUILDDIR, and with
SABA_SKIP_SYSTEM_TESTS=1.  Nothing but 127.0.0.1 and the mirror apt already
uses is contacted.  SABA_KEEP_TMP keeps the scratch rootfs.
"""

import fcntl
import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("SABA_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
from fakeapi import FakeMackerel  # noqa: E402

SUITE = "bookworm"
CACHE = "/var/cache/saba-agent-test"
API_KEY = "system-test-key-Vq8"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("debootstrap", "systemd-nspawn", "nsenter", "chroot")

T0 = time.monotonic()
failures = []


def log(msg):
    print("%7.1fs %s" % (time.monotonic() - T0, msg), flush=True)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(77)


def check(cond, what):
    """Record one assertion; the test goes on so one run shows every failure."""
    log(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


# --------------------------------------------------------------- the rootfs
def debian_mirror(suite=SUITE):
    """The first URI of a `deb` source for suite in apt's own sources."""
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                return words[1]
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        try:
            text = open(path).read()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            for line in stanza.splitlines():
                m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
                if m:
                    fields[m.group(1).lower()] = m.group(2).split()
            if ("deb" in fields.get("types", []) and suite in fields.get("suites", [])
                    and fields.get("uris")):
                return fields["uris"][0]
    return None


def cached_rootfs(mirror, include, done_file, suite=SUITE):
    """The debootstrapped rootfs, built once per include list.  done_file
    (relative to the rootfs) exists only in a finished one."""
    key = hashlib.sha256(("%s\nminbase\n%s\n" % (suite, include)).encode()).hexdigest()[:16]
    root = os.path.join(CACHE, "rootfs-" + key)
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not build it twice
        if os.path.isfile(os.path.join(root, done_file)):
            return root
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        log("debootstrap %s from %s into %s (once; about 35 s)" % (suite, mirror, root))
        p = subprocess.run(["debootstrap", "--variant=minbase", "--include=" + include,
                            suite, tmp, mirror], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
        if p.returncode != 0:
            print(p.stdout.decode(errors="replace")[-3000:])
            shutil.rmtree(tmp, ignore_errors=True)
            raise SystemExit("debootstrap failed (exit %d)" % p.returncode)
        os.rename(tmp, root)
    return root


# ----------------------------------------------------------- the container
class Container:
    """One boot of a rootfs; init is the container's PID 1 command name."""

    init = "systemd"

    def __init__(self, root, logpath):
        self.root = root
        self.logpath = logpath
        self.proc = None
        self.leader = None

    def boot(self):
        self.log = open(self.logpath, "ab")
        # --keep-unit --register=no: no host system bus is needed.
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "--register=no", "--keep-unit", "-b",
             "--console=pipe"], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while self.leader is None and time.monotonic() < deadline:
            # The leader is nspawn's child once it has become init:
            # before that its namespaces are still being set up.
            try:
                kids = open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)).read()
                for kid in kids.split():
                    if open("/proc/%s/comm" % kid).read().strip() == self.init:
                        self.leader = int(kid)
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.leader is None:
            raise SystemExit("the container did not start; see %s" % self.logpath)

    def run(self, *cmd, timeout=30, check=False, env=None):
        """A command inside, with a clean environment (plus env, a dict),
        through nsenter."""
        extra = ["%s=%s" % kv for kv in sorted((env or {}).items())]
        r = subprocess.run(["nsenter", "--target", str(self.leader), "--mount", "--uts",
                            "--ipc", "--pid", "--root", "--wd", "env", "-i", "PATH=" + PATH,
                            "TERM=dumb", "HOME=/root", "LANG=C.UTF-8"] + extra + list(cmd),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        if check and r.returncode != 0:
            raise SystemExit("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
        return r

    def wait_exit(self, timeout):
        """nspawn's exit status, or None when it is still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """Ends the container at once.  SIGKILL to nspawn alone would leave
        the container's init (and the agent in it) running, reparented to
        the host's PID 1: kill the init, which ends its whole PID namespace,
        and only then nspawn if it still lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.leader is not None:
            try:
                os.kill(self.leader, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- the test
class Harness:
    """A scratch copy of the cached rootfs with the build installed, and
    the fake API it talks to.  Subclasses add the init system's parts."""

    def __init__(self, rootfs, work):
        self.work = work
        self.root = os.path.join(work, "root")
        self.ct = None
        self.api = FakeMackerel(api_key=API_KEY).start()
        log("fake API on %s" % self.api.url)
        log("copying the cached rootfs")
        subprocess.run(["cp", "-a", rootfs, self.root], check=True)
        self.make_install()
        self.install()

    def make_install(self):
        self.builddir = os.environ["SABA_TOP_BUILDDIR"]
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
        make = (os.environ.get("SABA_MAKE") or "make").split()
        with open(os.path.join(self.work, "install.log"), "wb") as out:
            subprocess.run(make + ["-C", self.builddir, "install", "DESTDIR=" + self.root],
                           env=env, stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=300)

    def install(self):
        """The init system's part of the installation."""

    def host_path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def read_conf(self):
        """plugin_dir and root of the installed example config."""
        conf = open(self.host_path(self.conf)).read()
        self.plugin_dir = re.search(r'^plugin_dir = "([^"]*)";', conf, re.M).group(1)
        # The installed root (e.g. /usr/local/var/lib/saba-agent), kept.
        self.state_dir = re.search(r'^root = "([^"]*)";', conf, re.M).group(1)

    def write_conf(self, triggers, retire_timeout=10, shutdown_timeout=3, http_timeout=5,
                   conf=None, root=None, interval=60):
        """The agent's config (conf, default the installed one, with root,
        default the installed state directory): the fake API, the metrics,
        the triggers (a libconfig text of plugin instances)."""
        with open(self.host_path(conf or self.conf), "w") as f:
            f.write('apikey = "%s";\napibase = "%s";\nroot = "%s";\n'
                    'plugin_dir = "%s";\ninterval = %d;\nretire = { timeout = %d; };\n'
                    'http = { timeout = %d; };\nshutdown = { timeout = %d; };\n'
                    'plugins = { loadavg = {}; memory = {}; %s };\n'
                    % (API_KEY, self.api.url, root or self.state_dir, self.plugin_dir, interval,
                       retire_timeout, http_timeout, shutdown_timeout, triggers))

    def id_file(self):
        try:
            return open(os.path.join(self.host_path(self.state_dir), "id")).read()
        except OSError:
            return None

    def retires(self):
        return self.api.requests(route="retire_host")

    def close(self):
        if self.ct is not None:
            self.ct.kill()
        self.api.stop()


def check_environment(tools=TOOLS):
    """Skip (77) unless this can run; make's SIGTERM must still stop the
    container and clean up (finally:)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    if os.environ.get("SABA_SKIP_SYSTEM_TESTS") == "1":
        skip("SABA_SKIP_SYSTEM_TESTS=1 (the system tests run once per CI, in make check)")
    if os.geteuid() != 0:
        skip("needs root (debootstrap, systemd-nspawn)")
    for tool in tools:
        if shutil.which(tool) is None:
            skip("%s not found (the README's quick-start command 1 installs it)" % tool)
    if not os.environ.get("SABA_TOP_BUILDDIR"):
        skip("SABA_TOP_BUILDDIR is not set (run through make check)")


def finish():
    """Exit 1 listing the failed checks, if any."""
    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)
    log("all checks passed")


def main(name, include, done_file, make_test, tools=TOOLS):
    """Skip or run make_test(rootfs, work).scenarios() in a scratch dir."""
    check_environment(tools)
    mirror = debian_mirror()
    if mirror is None:
        skip("no `deb ... %s` source in /etc/apt: no mirror to debootstrap from" % SUITE)
    rootfs = cached_rootfs(mirror, include, done_file)
    work = tempfile.mkdtemp(prefix="saba-%s-test." % name, dir="/var/tmp")
    t = None
    try:
        t = make_test(rootfs, work)
        t.scenarios()
    finally:
        if t is not None:
            t.close()
        if failures or os.environ.get("SABA_KEEP_TMP"):
            log("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    finish()
