#!/usr/bin/env python3
"""The systemd trigger under a real systemd: a Debian 12 rootfs booted with
systemd-nspawn, the agent installed into it with `make install DESTDIR=`,
pointed at a fake Mackerel API on the host's 127.0.0.1 (nspawn shares the
host's network).  Each scenario asserts the exact retire calls the API got.

    boot 1  Type=notify start, systemd-analyze verify, restart -> none,
            stop -> none, a non-root agent asks over the system bus,
            reboot -> none (nspawn exits 133)
    boot 2  poweroff -> exactly one, for our host id; the id file is gone
    boot 3  retire_on = ["stop"] + stop -> one, with a slow API and
            TimeoutStopSec=3: EXTEND_TIMEOUT_USEC keeps the stop alive
    boot 4  API hanging during poweroff -> no retire, the stop still ends
            on its own well within TimeoutStopSec

Needs root, debootstrap, systemd-nspawn and nsenter; skips (77) without
them or with SABA_SKIP_SYSTEM_TESTS=1.  The rootfs is debootstrapped once
from the mirror apt already uses and cached under /var/cache/saba-agent-test/.
Nothing but 127.0.0.1 and that mirror is contacted.

Environment (tests/system.mk): SABA_TOP_BUILDDIR, SABA_MAKE, SABA_SRCDIR;
SABA_KEEP_TMP keeps the scratch rootfs.
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
# What the installed agent needs at run time; a new library dependency goes
# here (the cache key changes with it).
INCLUDE = "systemd,systemd-sysv,dbus,procps,libcurl4,libjansson4,libconfig9,libsystemd0"
CACHE = "/var/cache/saba-agent-test"
API_KEY = "system-test-key-Vq8"
UNIT = "saba-agent.service"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
def debian_mirror():
    """The first URI of a `deb` source for SUITE in apt's own sources."""
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
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
            if ("deb" in fields.get("types", []) and SUITE in fields.get("suites", [])
                    and fields.get("uris")):
                return fields["uris"][0]
    return None


def cached_rootfs(mirror):
    """The debootstrapped rootfs, built once per include list."""
    key = hashlib.sha256(("%s\nminbase\n%s\n" % (SUITE, INCLUDE)).encode()).hexdigest()[:16]
    root = os.path.join(CACHE, "rootfs-" + key)
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not build it twice
        if os.path.isfile(os.path.join(root, "usr/lib/systemd/systemd")):
            return root
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        log("debootstrap %s from %s into %s (once; about 35 s)" % (SUITE, mirror, root))
        p = subprocess.run(["debootstrap", "--variant=minbase", "--include=" + INCLUDE,
                            SUITE, tmp, mirror], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
        if p.returncode != 0:
            print(p.stdout.decode(errors="replace")[-3000:])
            shutil.rmtree(tmp, ignore_errors=True)
            raise SystemExit("debootstrap failed (exit %d)" % p.returncode)
        os.rename(tmp, root)
    return root


# ----------------------------------------------------------- the container
class Container:
    def __init__(self, root, logpath):
        self.root = root
        self.logpath = logpath
        self.proc = None
        self.leader = None

    def boot(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "--register=no", "--keep-unit", "-b",
             "--console=pipe"], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while self.leader is None and time.monotonic() < deadline:
            # The leader is nspawn's child once it has become systemd:
            # before that its namespaces are still being set up.
            try:
                kids = open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)).read()
                for kid in kids.split():
                    if open("/proc/%s/comm" % kid).read().strip() == "systemd":
                        self.leader = int(kid)
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.leader is None:
            raise SystemExit("the container did not start; see %s" % self.logpath)
        r = self.run("systemctl", "is-system-running", "--wait", timeout=60)
        log("booted (system %s)" % r.stdout.strip())

    def run(self, *cmd, timeout=30, check=False):
        """A command inside, with a clean environment, through nsenter."""
        r = subprocess.run(["nsenter", "--target", str(self.leader), "--mount", "--uts",
                            "--ipc", "--pid", "--root", "--wd", "env", "-i", "PATH=" + PATH,
                            "TERM=dumb", "HOME=/root", "LANG=C.UTF-8"] + list(cmd),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        if check and r.returncode != 0:
            raise SystemExit("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
        return r

    def prop(self, name):
        return self.run("systemctl", "show", "-P", name, UNIT).stdout.strip()

    def wait_exit(self, timeout):
        """nspawn's exit status, or None when it is still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- the test
class SystemTest:
    def __init__(self, rootfs, work):
        self.work = work
        self.root = os.path.join(work, "root")
        self.api = FakeMackerel(api_key=API_KEY).start()
        log("fake API on %s" % self.api.url)
        log("copying the cached rootfs")
        subprocess.run(["cp", "-a", rootfs, self.root], check=True)
        self.install()

    def install(self):
        builddir = os.environ["SABA_TOP_BUILDDIR"]
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
        make = (os.environ.get("SABA_MAKE") or "make").split()
        with open(os.path.join(self.work, "install.log"), "wb") as out:
            subprocess.run(make + ["-C", builddir, "install", "DESTDIR=" + self.root], env=env,
                           stdout=out, stderr=subprocess.STDOUT, check=True, timeout=300)
        # The unit where configure put it; else (no unit dir) by hand.
        unit = None
        for d in ("etc", "usr/local/lib", "usr/lib", "lib"):
            path = os.path.join(self.root, d, "systemd/system", UNIT)
            if os.path.isfile(path):
                unit = path
                break
        if unit is None:
            unit = os.path.join(self.root, "etc/systemd/system", UNIT)
            shutil.copy(os.path.join(builddir, "etc", UNIT), unit)
        self.unit_path = "/" + os.path.relpath(unit, self.root)
        text = open(unit).read()
        m = re.search(r"^ExecStart=(\S+) -c (\S+) run$", text, re.M)
        self.agent, self.conf = m.group(1), m.group(2)
        self.stop_timeout = int(re.search(r"^TimeoutStopSec=(\d+)", text, re.M).group(1))
        conf = open(self.host_path(self.conf)).read()
        self.plugin_dir = re.search(r'^plugin_dir = "([^"]*)";', conf, re.M).group(1)
        # The installed root (e.g. /usr/local/var/lib/saba-agent), kept: the
        # unit's hardening must leave it writable.
        self.state_dir = re.search(r'^root = "([^"]*)";', conf, re.M).group(1)
        log("installed %s (config %s, plugins %s, unit %s)" % (
            self.agent, self.conf, self.plugin_dir, self.unit_path))
        subprocess.run(["chroot", self.root, "systemctl", "enable", "--quiet", UNIT],
                       check=True)
        os.makedirs(os.path.join(self.root, "var/log/journal"), exist_ok=True)

    def host_path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def configure(self, retire_on=None, retire_timeout=10, shutdown_timeout=3, http_timeout=5,
                  stop_timeout=None):
        systemd = "{ retire_on = [ %s ]; }" % ", ".join('"%s"' % k for k in retire_on) \
            if retire_on is not None else "{}"
        with open(self.host_path(self.conf), "w") as f:
            f.write('apikey = "%s";\napibase = "%s";\nroot = "%s";\n'
                    'plugin_dir = "%s";\ninterval = 60;\nretire = { timeout = %d; };\n'
                    'http = { timeout = %d; };\nshutdown = { timeout = %d; };\n'
                    'plugins = { loadavg = {}; memory = {}; systemd = %s; };\n'
                    % (API_KEY, self.api.url, self.state_dir, self.plugin_dir, retire_timeout,
                       http_timeout, shutdown_timeout, systemd))
        dropin = self.host_path("/etc/systemd/system/%s.d" % UNIT)
        shutil.rmtree(dropin, ignore_errors=True)
        if stop_timeout is not None:
            os.makedirs(dropin)
            with open(os.path.join(dropin, "test.conf"), "w") as f:
                f.write("[Service]\nTimeoutStopSec=%d\n" % stop_timeout)
        # One journal per boot, read from the files after the container is gone.
        for d in glob.glob(self.host_path("/var/log/journal/*")):
            shutil.rmtree(d, ignore_errors=True)

    def id_file(self):
        try:
            return open(os.path.join(self.host_path(self.state_dir), "id")).read()
        except OSError:
            return None

    def journal(self):
        r = subprocess.run(["journalctl", "-D", self.host_path("/var/log/journal"), "-u", UNIT,
                            "-o", "cat", "--no-pager"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        return r.stdout

    def retires(self):
        return self.api.requests(route="retire_host")

    def boot(self, name):
        self.ct = Container(self.root, os.path.join(self.work, "nspawn.log"))
        log("== boot %s" % name)
        self.ct.boot()
        active = self.api.wait_for(lambda: self.ct.prop("ActiveState") == "active", 20)
        check(active, "%s: Type=notify unit is active (READY=1 arrived)" % name)
        host = self.api.wait_for(self.id_file, 10)
        check(host and self.api.host(host) is not None, "%s: registered as %s" % (name, host))
        return host

    def wait_inactive(self, timeout=30):
        return self.api.wait_for(lambda: self.ct.prop("ActiveState") in ("inactive", "failed"),
                                 timeout)

    def shut(self, verb, timeout):
        t0 = time.monotonic()
        self.ct.run("systemctl", verb, timeout=10)
        rc = self.ct.wait_exit(timeout)
        took = time.monotonic() - t0
        if rc is None:
            self.ct.kill()
        return rc, took

    # ------------------------------------------------------------ scenarios
    def boot1(self):
        self.configure()
        host = self.boot("1")
        r = self.ct.run("systemd-analyze", "verify", self.unit_path)
        check(r.returncode == 0 and r.stderr.strip() == "",
              "systemd-analyze verify %s: exit %d %s" % (self.unit_path, r.returncode,
                                                          r.stderr.strip()))
        check(self.ct.prop("Type") == "notify", "the unit is Type=notify")

        pid = self.ct.prop("MainPID")
        self.ct.run("systemctl", "restart", UNIT, check=True)
        check(self.ct.prop("ActiveState") == "active" and self.ct.prop("MainPID") != pid,
              "restart: a new agent is active")
        jr = self.ct.run("journalctl", "-u", UNIT, "-o", "cat").stdout
        check("stop classified as restart (jobs: saba-agent.service/restart" in jr,
              "restart: classified as restart")
        check(len(self.retires()) == 0, "restart: no retire call")

        self.ct.run("systemctl", "stop", UNIT, check=True)
        jr = self.ct.run("journalctl", "-u", UNIT, "-o", "cat").stdout
        check("stop classified as stop (jobs: saba-agent.service/stop" in jr,
              "stop: classified as stop")
        check("not retiring: stop is not in retire_on" in jr, "stop: not in retire_on")
        check(len(self.retires()) == 0, "stop: no retire call")
        check(self.id_file() == host, "stop: the id file stays")

        # Not root: no private socket, so the plugin must ask over the bus.
        # A dry-run agent killed by hand: nothing queued, state running.
        r = self.ct.run("sh", "-c", "mkdir -p /tmp/nr && chown nobody /tmp/nr && "
                        "setpriv --reuid=nobody --regid=nogroup --clear-groups %s -c %s "
                        "--root /tmp/nr run --dry-run >/dev/null 2>/tmp/nr/err & "
                        "sleep 1; kill -TERM $!; wait $!; cat /tmp/nr/err"
                        % (self.agent, self.conf))
        check("stop classified as unknown (no jobs queued; SystemState=running)" in r.stdout
              and "not retiring: unknown stops never retire" in r.stdout,
              "non-root agent asked systemd over the system bus: %s" % (
                  r.stdout.strip().splitlines()[-3:],))

        self.ct.run("systemctl", "start", UNIT, check=True)
        rc, took = self.shut("reboot", 60)
        check(rc == 133, "reboot: nspawn exits 133 (got %s after %.1f s)" % (rc, took))
        jr = self.journal()
        check("stop classified as reboot (jobs:" in jr, "reboot: classified as reboot")
        check(len(self.retires()) == 0, "reboot: no retire call")
        check(self.id_file() == host, "reboot: the id file stays")

    def boot2(self):
        self.configure()
        host = self.boot("2")
        rc, took = self.shut("poweroff", 60)
        check(rc == 0, "poweroff: nspawn exits 0 (got %s after %.1f s)" % (rc, took))
        calls = self.retires()
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "poweroff: exactly one retire, for %s: %s" % (host, calls))
        check(self.id_file() is None, "poweroff: the id file is gone")
        jr = self.journal()
        check(re.search(r"retired host %s \(requested by systemd: poweroff: jobs: .*"
                        r"poweroff.target/start.*SystemState=stopping\)" % host, jr) is not None,
              "poweroff: the audit line carries the evidence")

    def boot3(self):
        # A retire answered after 5 s, a stop timeout of 3 s: only the
        # agent's EXTEND_TIMEOUT_USEC lets it finish.
        self.configure(retire_on=["stop"], retire_timeout=10, http_timeout=8, stop_timeout=3)
        self.api.reset_records()
        host = self.boot("3")
        self.api.set_fault("retire_host", "delay", delay=5)
        t0 = time.monotonic()
        self.ct.run("systemctl", "stop", UNIT, timeout=40)
        took = time.monotonic() - t0
        calls = self.retires()
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "retire_on=[\"stop\"] + stop: exactly one retire, for %s: %s" % (host, calls))
        check(self.id_file() is None, "stop: the id file is gone")
        check(took > 4.5 and self.ct.prop("Result") == "success",
              "stop took %.1f s > TimeoutStopSec=3 and ended with Result=%s "
              "(EXTEND_TIMEOUT_USEC honoured)" % (took, self.ct.prop("Result")))
        self.api.clear_faults()
        rc, took = self.shut("poweroff", 60)
        check(rc == 0 and len(self.retires()) == 1, "poweroff of a stopped agent: nothing more")

    def boot4(self):
        self.configure(retire_timeout=5, shutdown_timeout=2, http_timeout=3)
        self.api.reset_records()
        host = self.boot("4")
        self.api.set_fault("*", "hang")
        rc, took = self.shut("poweroff", self.stop_timeout + 30)
        self.api.release_hangs()
        check(rc == 0 and took < self.stop_timeout,
              "API hanging: poweroff done in %.1f s (< TimeoutStopSec=%d s), exit %s"
              % (took, self.stop_timeout, rc))
        calls = self.retires()
        check(len(calls) >= 1 and all(c.host_id == host and c.response_status is None
                                      for c in calls),
              "API hanging: retire attempted for %s, never answered (%d calls)"
              % (host, len(calls)))
        check(self.id_file() == host, "API hanging: the id file stays (retire failed)")
        jr = self.journal()
        check("retiring host %s failed" % host in jr, "API hanging: the failure is logged")
        check("Killing" not in jr and "timed out" not in jr,
              "API hanging: the agent was not killed by systemd")

    def close(self):
        if getattr(self, "ct", None) is not None:
            self.ct.kill()
        self.api.stop()


def main():
    if os.environ.get("SABA_SKIP_SYSTEM_TESTS") == "1":
        skip("SABA_SKIP_SYSTEM_TESTS=1 (the system tests run once per CI, in make check)")
    if os.geteuid() != 0:
        skip("needs root (debootstrap, systemd-nspawn)")
    for tool in ("debootstrap", "systemd-nspawn", "nsenter", "journalctl", "chroot"):
        if shutil.which(tool) is None:
            skip("%s not found (apt-get install debootstrap systemd-container)" % tool)
    if not os.environ.get("SABA_TOP_BUILDDIR"):
        skip("SABA_TOP_BUILDDIR is not set (run through make check)")
    mirror = debian_mirror()
    if mirror is None:
        skip("no `deb ... %s` source in /etc/apt: no mirror to debootstrap from" % SUITE)
    rootfs = cached_rootfs(mirror)
    work = tempfile.mkdtemp(prefix="saba-systemd-test.", dir="/var/tmp")
    t = None
    try:
        t = SystemTest(rootfs, work)
        for scenario in (t.boot1, t.boot2, t.boot3, t.boot4):
            scenario()
    finally:
        if t is not None:
            t.close()
        if failures or os.environ.get("SABA_KEEP_TMP"):
            log("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)
    log("all checks passed")


if __name__ == "__main__":
    T0 = time.monotonic()
    # make's SIGTERM must still stop the container and clean up (finally:).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    main()
