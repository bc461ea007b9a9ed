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
    boot 5  retire_on = ["stop"]: systemctl isolate rescue.target,
            emergency.target and a target without the agent stop it like
            `systemctl stop` does -> unknown, none; back to default.target
            each time

Needs root, debootstrap, systemd-nspawn and nsenter; skips (77) without
them or with SABA_SKIP_SYSTEM_TESTS=1.  The rootfs is debootstrapped once
from the mirror apt already uses and cached under /var/cache/saba-agent-test/.
Nothing but 127.0.0.1 and that mirror is contacted.

The rootfs cache, the container and the install are shared with
test_sysv.py (nspawn.py).  Environment (tests/local.mk): SABA_TOP_BUILDDIR,
SABA_MAKE, SABA_SRCDIR; SABA_KEEP_TMP keeps the scratch rootfs;
SABA_SYSTEM_SCENARIOS=boot5,boot1 runs only those boots.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nspawn  # noqa: E402
from nspawn import check, log  # noqa: E402

# What the installed agent needs at run time; a new library dependency goes
# here (the cache key changes with it).
INCLUDE = "systemd,systemd-sysv,dbus,procps,libcurl4,libjansson4,libconfig9,libsystemd0"
UNIT = "saba-agent.service"


# ----------------------------------------------------------- the container
class Container(nspawn.Container):
    init = "systemd"

    def boot(self):
        super().boot()
        r = self.run("systemctl", "is-system-running", "--wait", timeout=60)
        log("booted (system %s)" % r.stdout.strip())

    def prop(self, name):
        return self.run("systemctl", "show", "-P", name, UNIT).stdout.strip()


# ---------------------------------------------------------------- the test
class SystemTest(nspawn.Harness):
    def install(self):
        builddir = self.builddir
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
        # The installed root is kept: the unit's hardening must leave it
        # writable.
        self.read_conf()
        log("installed %s (config %s, plugins %s, unit %s)" % (
            self.agent, self.conf, self.plugin_dir, self.unit_path))
        subprocess.run(["chroot", self.root, "systemctl", "enable", "--quiet", UNIT],
                       check=True)
        os.makedirs(os.path.join(self.root, "var/log/journal"), exist_ok=True)

    def configure(self, retire_on=None, retire_timeout=10, shutdown_timeout=3, http_timeout=5,
                  stop_timeout=None):
        systemd = "{ retire_on = [ %s ]; }" % ", ".join('"%s"' % k for k in retire_on) \
            if retire_on is not None else "{}"
        self.write_conf("systemd = %s;" % systemd, retire_timeout=retire_timeout,
                        shutdown_timeout=shutdown_timeout, http_timeout=http_timeout)
        dropin = self.host_path("/etc/systemd/system/%s.d" % UNIT)
        shutil.rmtree(dropin, ignore_errors=True)
        if stop_timeout is not None:
            os.makedirs(dropin)
            with open(os.path.join(dropin, "test.conf"), "w") as f:
                f.write("[Service]\nTimeoutStopSec=%d\n" % stop_timeout)
        # One journal per boot, read from the files after the container is gone.
        for d in glob.glob(self.host_path("/var/log/journal/*")):
            shutil.rmtree(d, ignore_errors=True)

    def journal(self):
        r = subprocess.run(["journalctl", "-D", self.host_path("/var/log/journal"), "-u", UNIT,
                            "-o", "cat", "--no-pager"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        return r.stdout

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
        check("stop classified as unknown (no jobs queued; SystemState=running; "
                        "default.target=active)" in r.stdout
              and "not retiring: unknown stops never retire" in r.stdout,
              "non-root agent asked systemd over the system bus: %s" % (
                  r.stdout.strip().splitlines()[-3:],))

        def running():
            return self.ct.run("journalctl", "-u", UNIT, "-o", "cat").stdout.count(
                "collecting every")
        before = running()
        self.ct.run("systemctl", "start", UNIT, check=True)
        # A stop before start-up finished asks no trigger (the host is not
        # confirmed yet): wait until the agent runs.
        check(self.api.wait_for(lambda: running() > before, 10),
              "the agent runs again before the reboot")
        rc, took = self.shut("reboot", 60)
        check(rc == 133, "reboot: nspawn exits 133 (got %s after %.1f s)" % (rc, took))
        jr = self.journal()
        check("stop classified as reboot (jobs:" in jr, "reboot: classified as reboot%s" % (
            "" if "stop classified as reboot (jobs:" in jr else "\n" + jr[-3000:]))
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
                        r"poweroff.target/start.*SystemState=stopping; default.target=\w+\)" % host, jr) is not None,
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
        ok = [(c.host_id, c.response_status) for c in calls] == [(host, 200)]
        check(ok, "retire_on=[\"stop\"] + stop: exactly one retire, for %s: %s%s" % (
            host, calls, "" if ok else "\n" + self.ct.run(
                "journalctl", "-o", "short-monotonic", "--no-pager").stdout[-6000:]))
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
        self.api.clear_faults()
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

    def boot5(self):
        # An isolate stops the agent as `systemctl stop` does, but the
        # machine stays: even with retire_on = ["stop"] it never retires.
        self.configure(retire_on=["stop"])
        with open(self.host_path("/etc/systemd/system/saba-test-isolate.target"), "w") as f:
            f.write("[Unit]\nDescription=isolate target without the agent\n"
                    "Requires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n")
        self.api.clear_faults()
        self.api.reset_records()
        host = self.boot("5")

        def classified():
            return re.findall(r"stop classified as .*", self.ct.run(
                "journalctl", "-u", UNIT, "-o", "cat").stdout)
        for target in ("rescue.target", "emergency.target", "saba-test-isolate.target"):
            before = len(classified())
            self.ct.run("systemctl", "--no-block", "isolate", target, timeout=30)
            got = self.api.wait_for(lambda: len(classified()) > before and
                                    self.ct.prop("ActiveState") in ("inactive", "failed"), 30)
            lines = classified()[before:]
            state = self.ct.run("systemctl", "is-system-running").stdout.strip()
            check(got and len(lines) == 1 and lines[0].startswith("stop classified as unknown"),
                  "isolate %s (system %s): classified as unknown: %s" % (target, state, lines))
            check(len(self.retires()) == 0, "isolate %s: no retire call" % target)
            check(self.id_file() == host, "isolate %s: the id file stays" % target)
            self.ct.run("systemctl", "--no-block", "isolate", "default.target", timeout=30)
            check(self.api.wait_for(lambda: self.ct.prop("ActiveState") == "active", 30),
                  "isolate default.target after %s: the agent runs again" % target)
        # The same boot still retires on a plain stop.
        self.ct.run("systemctl", "stop", UNIT, timeout=40)
        calls = self.retires()
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "retire_on=[\"stop\"] + stop after the isolates: one retire: %s" % calls)
        rc, took = self.shut("poweroff", 60)
        check(rc == 0, "poweroff: nspawn exits 0 (got %s after %.1f s)" % (rc, took))

    def scenarios(self):
        only = os.environ.get("SABA_SYSTEM_SCENARIOS")
        for scenario in (self.boot1, self.boot2, self.boot3, self.boot4, self.boot5):
            if only and scenario.__name__ not in only.split(","):
                continue
            scenario()


if __name__ == "__main__":
    nspawn.main("systemd", INCLUDE, "usr/lib/systemd/systemd", SystemTest,
                tools=nspawn.TOOLS + ("journalctl",))
