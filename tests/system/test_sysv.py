#!/usr/bin/env python3
"""The sysv trigger and the init script under a real sysvinit: a Debian 12
minbase rootfs with sysvinit-core booted with systemd-nspawn -b, the agent
installed into it with `make install DESTDIR=` and etc/init.d/saba-agent
enabled with update-rc.d, pointed at a fake Mackerel API on the host's
127.0.0.1.  Each scenario asserts the exact retire calls the API got.

    boot 1  S script starts the agent, status, reload (SIGHUP, same pid),
            service restart -> none (restart marker), service stop ->
            none, telinit 1 -> none (single-user; init falls back to 2),
            telinit 6 -> none (nspawn exits 133)
    boot 2  telinit 0 -> exactly one, for our host id; the id file is gone
    boot 3  retire_on = ["stop"] + service stop -> one, with a slow API:
            the stop waits for the retire; then telinit 0 -> nothing more

Needs root, debootstrap, systemd-nspawn and nsenter; skips (77) without
them or with SABA_SKIP_SYSTEM_TESTS=1.  Shares the rootfs cache, the
container and the install with test_systemd.py (nspawn.py).
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nspawn  # noqa: E402
from nspawn import check, log  # noqa: E402

# What the installed agent needs at run time under sysvinit (libsystemd0
# comes with apt, for the systemd plugin that is installed but not loaded;
# libexpat1 for the ec2 plugin, which test_package.py's install needs).
INCLUDE = "sysvinit-core,initscripts,sysv-rc,procps,libcurl3-gnutls,libjansson4,libconfig9,libexpat1"
SCRIPT = "/etc/init.d/saba-agent"
DEFAULTS = "/etc/default/saba-agent"
LOGFILE = "/var/log/saba-agent.log"
MARKER = "/run/saba-agent.restart"


class Container(nspawn.Container):
    init = "init"


class SysvTest(nspawn.Harness):
    def install(self):
        # No console gettys in a container (test-environments.md 1).
        inittab = self.host_path("/etc/inittab")
        text = re.sub(r"^([1-6]:[0-9]+:respawn:/sbin/getty)", r"#\1", open(inittab).read(),
                      flags=re.M)
        open(inittab, "w").write(text)
        # The script where configure put it (--with-sysvinit and
        # --sysconfdir=/etc); else by hand, from the build.
        for path, built in ((SCRIPT, "etc/init.d/saba-agent"),
                            (DEFAULTS, "etc/default/saba-agent")):
            if not os.path.isfile(self.host_path(path)):
                shutil.copy(os.path.join(self.builddir, built), self.host_path(path))
        os.chmod(self.host_path(SCRIPT), 0o755)
        text = open(self.host_path(SCRIPT)).read()
        self.agent = re.search(r'^DAEMON="([^"]*)"', text, re.M).group(1)
        self.conf = re.search(r'^CONFIG="([^"]*)"', text, re.M).group(1)
        self.read_conf()
        log("installed %s (config %s, plugins %s, script %s)" % (
            self.agent, self.conf, self.plugin_dir, SCRIPT))
        subprocess.run(["chroot", self.root, "update-rc.d", "saba-agent", "defaults"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        links = {lvl: [os.path.basename(p) for p in os.listdir(self.host_path("/etc/rc%s.d" % lvl))
                       if p.endswith("saba-agent")] for lvl in "0123456"}
        check(all(links[lvl] and links[lvl][0].startswith("S") for lvl in "2345")
              and all(links[lvl] and links[lvl][0].startswith("K") for lvl in "016"),
              "update-rc.d: S links in 2-5, K links in 0, 1, 6: %s" % links)

    def configure(self, retire_on=None, retire_timeout=10):
        sysv = "{ retire_on = [ %s ]; }" % ", ".join('"%s"' % k for k in retire_on) \
            if retire_on is not None else "{}"
        self.write_conf("sysv = %s;" % sysv, retire_timeout=retire_timeout, http_timeout=8)
        open(self.host_path(LOGFILE), "w").close()

    def agent_log(self):
        try:
            return open(self.host_path(LOGFILE)).read()
        except OSError:
            return ""

    def service(self, verb, timeout=30):
        return self.ct.run("service", "saba-agent", verb, timeout=timeout)

    def pid(self):
        return self.ct.run("cat", "/run/saba-agent.pid").stdout.strip()

    def running(self):
        return self.service("status").returncode == 0

    def spec_puts(self):
        return len(self.api.requests(route="update_host"))

    def wait_started(self, puts, timeout=20):
        """An agent that got as far as its spec PUT (a stop before that
        ends the start, without shutdown triggers).  start-stop-daemon
        returns before the exec, so status may still say no for a moment."""
        return self.api.wait_for(lambda: self.spec_puts() > puts and self.running(), timeout)

    def boot(self, name):
        self.ct = Container(self.root, os.path.join(self.work, "nspawn.log"))
        log("== boot %s" % name)
        puts = self.spec_puts()
        self.ct.boot()
        up = self.wait_started(puts)
        check(up, "%s: the rc2.d S script started the agent" % name)
        host = self.id_file()
        check(host and self.api.host(host) is not None, "%s: registered as %s" % (name, host))
        return host

    def telinit(self, level, timeout=60):
        t0 = time.monotonic()
        self.ct.run("telinit", level, timeout=10)
        rc = self.ct.wait_exit(timeout)
        took = time.monotonic() - t0
        if rc is None:
            self.ct.kill()
        return rc, took

    # ------------------------------------------------------------ scenarios
    def boot1(self):
        self.configure()
        host = self.boot("1")
        r = self.service("status")
        check(r.returncode == 0 and "is running" in r.stdout, "status: running, exit 0")

        pid = self.pid()
        r = self.service("reload")
        check(r.returncode == 0 and self.api.wait_for(
            lambda: "SIGHUP: reloading" in self.agent_log(), 5) and self.pid() == pid,
              "reload: SIGHUP to the same agent (pid %s)" % pid)

        puts = self.spec_puts()
        r = self.service("restart")
        check(r.returncode == 0 and self.wait_started(puts) and self.pid() not in ("", pid),
              "restart: a new agent runs (pid %s -> %s)" % (pid, self.pid()))
        lg = self.agent_log()
        check("stop classified as restart (utmp /var/run/utmp: runlevel 2 (previous" in lg
              and "restart marker present)" in lg, "restart: classified as restart")
        check(self.ct.run("test", "-e", MARKER).returncode == 1,
              "restart: the marker is gone afterwards")
        check(len(self.retires()) == 0, "restart: no retire call")

        r = self.service("stop")
        check(r.returncode == 0 and self.service("status").returncode == 3,
              "stop: exit 0, then status 3 (not running)")
        lg = self.agent_log()
        check(re.search(r"stop classified as stop \(utmp /var/run/utmp: runlevel 2 "
                        r"\(previous [NS]\) since [0-9T:-]+Z\)", lg) is not None,
              "stop: classified as stop")
        check("not retiring: stop is not in retire_on" in lg, "stop: not in retire_on")
        check(len(self.retires()) == 0, "stop: no retire call")
        check(self.id_file() == host, "stop: the id file stays")
        check(self.service("stop").returncode == 0, "stop when stopped: exit 0 (LSB)")

        # Single-user: the K scripts run at level 1; with no console
        # sulogin exits and init goes back to 2, starting us again.
        puts = self.spec_puts()
        r = self.service("start")
        check(r.returncode == 0 and self.wait_started(puts), "start: running again")
        puts = self.spec_puts()
        self.ct.run("telinit", "1", timeout=10)
        single = self.api.wait_for(lambda: "stop classified as single" in self.agent_log(), 15)
        back = single and self.wait_started(puts)
        lg = self.agent_log()
        check("stop classified as single (utmp /var/run/utmp: runlevel 1 (previous 2)" in lg
              and "not retiring: single stops never retire" in lg,
              "telinit 1: classified as single, not retiring")
        check(back, "telinit 1: init went back to 2 and started the agent again")
        check(len(self.retires()) == 0, "telinit 1: no retire call")

        rc, took = self.telinit("6")
        check(rc == 133, "telinit 6: nspawn exits 133 (got %s after %.1f s)" % (rc, took))
        lg = self.agent_log()
        check("stop classified as reboot (utmp /var/run/utmp: runlevel 6 (previous 2)" in lg
              and "not retiring: reboot is not in retire_on" in lg,
              "telinit 6: classified as reboot")
        check(len(self.retires()) == 0, "telinit 6: no retire call")
        check(self.id_file() == host, "telinit 6: the id file stays")

    def boot2(self):
        self.configure()
        host = self.boot("2")
        rc, took = self.telinit("0")
        check(rc == 0, "telinit 0: nspawn exits 0 (got %s after %.1f s)" % (rc, took))
        calls = self.retires()
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "telinit 0: exactly one retire, for %s: %s" % (host, calls))
        check(self.id_file() is None, "telinit 0: the id file is gone")
        check(re.search(r"retired host %s \(requested by sysv: halt: utmp /var/run/utmp: "
                        r"runlevel 0 \(previous 2\)" % host, self.agent_log()) is not None,
              "telinit 0: the audit line carries the evidence")

    def boot3(self):
        self.configure(retire_on=["stop"])
        self.api.reset_records()
        host = self.boot("3")
        # A retire answered after 3 s: the stop must wait for it.
        self.api.set_fault("retire_host", "delay", delay=3)
        t0 = time.monotonic()
        r = self.service("stop", timeout=60)
        took = time.monotonic() - t0
        calls = self.retires()
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "retire_on=[\"stop\"] + service stop: exactly one retire, for %s: %s"
              % (host, calls))
        check(self.id_file() is None, "stop: the id file is gone")
        check(r.returncode == 0 and took > 2.5 and self.service("status").returncode == 3,
              "stop waited %.1f s for the retire and the agent is gone (exit %d)"
              % (took, r.returncode))
        self.api.clear_faults()
        rc, took = self.telinit("0")
        check(rc == 0 and len(self.retires()) == 1, "telinit 0 of a stopped agent: nothing more")

    def scenarios(self):
        for scenario in (self.boot1, self.boot2, self.boot3):
            scenario()


if __name__ == "__main__":
    nspawn.main("sysv", INCLUDE, "etc/inittab", SysvTest)
