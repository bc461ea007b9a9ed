#!/usr/bin/env python3
"""The systemd trigger under a real systemd: a Debian 12 rootfs booted with
systemd-nspawn, the agent installed into it with `make install DESTDIR=`,
pointed at a fake Mackerel API on the host's 127.0.0.1 (nspawn shares the
host's network).  Each scenario asserts the exact retire calls the API got.

    boot 1  Type=notify start, systemd-analyze verify, restart -> none,
            stop -> none, a non-root agent asks over the system bus,
            reboot -> none (nspawn exits 133)
    boot 2  poweroff -> exactly one, for our host id; the id file is gone.
            Beside it two more agents, one with the gce plugin, one with
            azure (units saba-agent-gce/-azure.service, the fake clouds on
            the host's 127.0.0.1): the gce instance being deleted -> one
            retire, confirmed by gce; the azure VM deallocating -> none
    boot 3  retire_on = ["stop"]: systemctl isolate rescue.target,
            emergency.target and a target without the agent stop it like
            `systemctl stop` does -> unknown, none (back to default.target
            each time); then stop -> one, with a slow API and
            TimeoutStopSec=3: EXTEND_TIMEOUT_USEC keeps the stop alive;
            then a poweroff with the gce instance stopping -> none and the
            azure VM Deleting -> one retire, confirmed by azure
    boot 4  API hanging during poweroff -> no retire, the stop still ends
            on its own well within TimeoutStopSec
    boot 5  command plugins under the shipped unit as under mackerel-agent's:
            a check found by bare name in /opt/mackerel-agent/plugins/bin,
            sudo and check_icmp (file capabilities) run as `user = nobody`,
            state in MACKEREL_PLUGIN_WORKDIR (/var/tmp/saba-agent) kept
            across a restart; then the opt-in hardening drop-in: state kept
            in its workdir, sudo and check_icmp refused as it documents

Needs root, debootstrap, systemd-nspawn and nsenter; skips (77) without
them or with SABA_SKIP_SYSTEM_TESTS=1.  The rootfs is debootstrapped once
from the mirror apt already uses and cached under /var/cache/saba-agent-test/.
Nothing but 127.0.0.1 and that mirror is contacted.

The rootfs cache, the container and the install are shared with
test_sysv.py (nspawn.py).  Environment (tests/local.mk): SABA_TOP_BUILDDIR,
SABA_MAKE, SABA_SRCDIR; SABA_KEEP_TMP keeps the scratch rootfs;
SABA_SYSTEM_SCENARIOS=boot3,boot1 runs only those boots.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
for cloud in ("gce", "azure"):
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "plugins", cloud))
import nspawn  # noqa: E402
from fakeazure import VM_ID, FakeAzure  # noqa: E402
from fakegce import INSTANCE_ID, FakeGce  # noqa: E402
from nspawn import check, log  # noqa: E402

# What the installed agent needs at run time; a new library dependency goes
# here (the cache key changes with it).
INCLUDE = ("systemd,systemd-sysv,dbus,procps,libcurl3-gnutls,libjansson4,libconfig9,libsystemd0,"
           "libpcre2-8-0,sudo,monitoring-plugins-basic,libcap2-bin")
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
                  stop_timeout=None, plugins="", interval=60):
        systemd = "{ retire_on = [ %s ]; }" % ", ".join('"%s"' % k for k in retire_on) \
            if retire_on is not None else "{}"
        self.write_conf("systemd = %s; %s" % (systemd, plugins), retire_timeout=retire_timeout,
                        shutdown_timeout=shutdown_timeout, http_timeout=http_timeout,
                        interval=interval)
        dropin = self.host_path("/etc/systemd/system/%s.d" % UNIT)
        shutil.rmtree(dropin, ignore_errors=True)
        if stop_timeout is not None:
            os.makedirs(dropin)
            with open(os.path.join(dropin, "test.conf"), "w") as f:
                f.write("[Service]\nTimeoutStopSec=%d\n" % stop_timeout)
        # One journal per boot, read from the files after the container is gone.
        for d in glob.glob(self.host_path("/var/log/journal/*")):
            shutil.rmtree(d, ignore_errors=True)

    def journal(self, unit=UNIT):
        r = subprocess.run(["journalctl", "-D", self.host_path("/var/log/journal"), "-u", unit,
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
        # --man=no: Documentation= names man pages, and minbase has no man.
        r = self.ct.run("systemd-analyze", "verify", "--man=no", self.unit_path)
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
        self.gce.delete(INSTANCE_ID)
        self.az.set_state(VM_ID, "Succeeded", "deallocating")
        clouds = self.start_clouds("2")
        rc, took = self.shut("poweroff", 60)
        check(rc == 0, "poweroff: nspawn exits 0 (got %s after %.1f s)" % (rc, took))
        calls = [c for c in self.retires() if c.host_id not in clouds.values()]
        check([(c.host_id, c.response_status) for c in calls] == [(host, 200)],
              "poweroff: exactly one retire, for %s: %s" % (host, calls))
        self.check_clouds("2", clouds, "gce")
        check(self.id_file() is None, "poweroff: the id file is gone")
        jr = self.journal()
        check(re.search(r"retired host %s \(requested by systemd: poweroff: jobs: .*"
                        r"poweroff.target/start.*SystemState=stopping; default.target=\w+\)" % host, jr) is not None,
              "poweroff: the audit line carries the evidence")

    def boot3(self):
        # A retire answered after 5 s, a stop timeout of 3 s: only the
        # agent's EXTEND_TIMEOUT_USEC lets it finish.
        self.configure(retire_on=["stop"], retire_timeout=10, http_timeout=8, stop_timeout=3)
        with open(self.host_path("/etc/systemd/system/saba-test-isolate.target"), "w") as f:
            f.write("[Unit]\nDescription=isolate target without the agent\n"
                    "Requires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n")
        self.api.reset_records()
        host = self.boot("3")
        self.isolates(host)
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
        self.gce.finish_delete(INSTANCE_ID)
        self.gce.add_instance(INSTANCE_ID, "saba-vm-1")
        self.gce.stop_vm(INSTANCE_ID)
        self.az.set_state(VM_ID, "Deleting", "stopping")
        clouds = self.start_clouds("3")
        rc, took = self.shut("poweroff", 60)
        check(rc == 0 and [c.host_id for c in self.retires()
                           if c.host_id not in clouds.values()] == [host],
              "poweroff of a stopped agent: nothing more")
        self.check_clouds("3", clouds, "azure")

    def isolates(self, host):
        """An isolate stops the agent as `systemctl stop` does, but the
        machine stays: even with retire_on = ["stop"] it never retires."""
        def journal():
            return self.ct.run("journalctl", "-u", UNIT, "-o", "cat").stdout

        for target in ("rescue.target", "emergency.target", "saba-test-isolate.target"):
            before = len(re.findall(r"stop classified as .*", journal()))
            self.ct.run("systemctl", "--no-block", "isolate", target, timeout=30)
            got = self.api.wait_for(
                lambda: len(re.findall(r"stop classified as .*", journal())) > before and
                self.ct.prop("ActiveState") in ("inactive", "failed"), 30)
            lines = re.findall(r"stop classified as .*", journal())[before:]
            state = self.ct.run("systemctl", "is-system-running").stdout.strip()
            check(got and len(lines) == 1 and lines[0].startswith("stop classified as unknown"),
                  "isolate %s (system %s): classified as unknown: %s" % (target, state, lines))
            check(len(self.retires()) == 0, "isolate %s: no retire call" % target)
            check(self.id_file() == host, "isolate %s: the id file stays" % target)
            running = journal().count("collecting every")
            self.ct.run("systemctl", "--no-block", "isolate", "default.target", timeout=30)
            # A stop before start-up finished asks no trigger: wait until it runs.
            check(self.api.wait_for(lambda: self.ct.prop("ActiveState") == "active" and
                                    journal().count("collecting every") > running, 30),
                  "isolate default.target after %s: the agent runs again" % target)
            # The isolate's other jobs may still be queued once the agent
            # runs, and a stop beside queued jobs is rightly "unknown" (never
            # retired): the next step starts from an idle job queue.
            check(self.api.wait_for(lambda: self.ct.run(
                "systemctl", "list-jobs", "--no-legend").stdout.strip() == "", 30),
                  "isolate default.target after %s: systemd's job queue is empty" % target)

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

    def install_plugins(self):
        """Check plugins as mackerel-agent users have them: one installed
        the way `mkr plugin install` does, one calling sudo, check_icmp,
        and one keeping state in MACKEREL_PLUGIN_WORKDIR."""
        files = {
            "/opt/mackerel-agent/plugins/bin/check-saba-env":
                'echo "PATH=$PATH LANG=$LANG LC_ALL=$LC_ALL WORKDIR=$MACKEREL_PLUGIN_WORKDIR"\n',
            "/usr/local/lib/saba-test/sudo.sh":
                'out=$(sudo -n /usr/bin/id -u 2>/dev/null) && [ "$out" = 0 ] && '
                '{ echo "sudo: uid $out"; exit 0; }\n'
                'echo "sudo failed: $(sudo -n /usr/bin/id -u 2>&1)"; exit 2\n',
            "/usr/local/lib/saba-test/state.sh":
                'f="$MACKEREL_PLUGIN_WORKDIR/saba-test-runs"\n'
                'n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 ))\n'
                'echo "$n" > "$f" && echo "runs=$n"\n',
        }
        for path, body in files.items():
            host = self.host_path(path)
            os.makedirs(os.path.dirname(host), exist_ok=True)
            with open(host, "w") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(host, 0o755)
        sudoers = self.host_path("/etc/sudoers.d/saba-test")
        with open(sudoers, "w") as f:
            f.write("nobody ALL=(root) NOPASSWD: /usr/bin/id\n")
        os.chmod(sudoers, 0o440)
        icmp = "/usr/lib/nagios/plugins/check_icmp"
        caps = subprocess.run(["chroot", self.root, "getcap", icmp], stdout=subprocess.PIPE,
                              universal_newlines=True).stdout
        if "cap_net_raw" not in caps:
            # The package's postinst sets it when setcap was there first.
            log("%s had no capability (%r): setcap as the package would" % (icmp, caps))
            subprocess.run(["chroot", self.root, "setcap", "cap_net_raw+ep", icmp], check=True)
        return ('bare = { module = "check"; command = "check-saba-env"; }; '
                'sudo_check = { module = "check"; user = "nobody"; '
                'command = "/usr/local/lib/saba-test/sudo.sh"; }; '
                'icmp = { module = "check"; user = "nobody"; '
                'command = "%s -H 127.0.0.1 -n 1 -t 5"; }; '
                'state = { module = "check"; command = "/usr/local/lib/saba-test/state.sh"; };'
                % icmp)

    def report_after(self, name, since, timeout=60):
        """The first report of check name after the first `since` ones."""
        def newer():
            got = self.api.check_reports(name)
            return got[since] if len(got) > since else None
        return self.api.wait_for(newer, timeout)

    def boot5(self):
        plugins = self.install_plugins()
        self.configure(plugins=plugins, interval=5)
        self.api.clear_faults()
        self.api.reset_records()
        self.boot("5")
        check(self.ct.prop("NoNewPrivileges") == "no" and self.ct.prop("PrivateTmp") == "no"
              and self.ct.prop("RestrictAddressFamilies") in ("", "~"),
              "the shipped unit leaves plugins unsandboxed (NoNewPrivileges=%s PrivateTmp=%s "
              "RestrictAddressFamilies=%r)" % (self.ct.prop("NoNewPrivileges"),
                                               self.ct.prop("PrivateTmp"),
                                               self.ct.prop("RestrictAddressFamilies")))
        bare = self.report_after("bare", 0)
        msg = bare["message"] if bare else ""
        check(bare is not None and bare["status"] == "OK"
              and re.search(r"^PATH=/sbin:/usr/sbin:/bin:/usr/bin:.*:/opt/mackerel-agent/"
                            r"plugins/bin LANG=C LC_ALL=C WORKDIR=/var/tmp/saba-agent$",
                            msg) is not None,
              "a check by bare name from /opt/mackerel-agent/plugins/bin runs, with "
              "upstream's environment: %s" % (bare,))
        sudo = self.report_after("sudo_check", 0)
        check(sudo is not None and sudo["status"] == "OK" and sudo["message"] == "sudo: uid 0\n",
              "a check run as nobody gets root through sudo: %s" % (sudo,))
        icmp = self.report_after("icmp", 0)
        check(icmp is not None and icmp["status"] == "OK"
              and icmp["message"].startswith("OK - 127.0.0.1"),
              "check_icmp as nobody (file capability cap_net_raw) pings: %s" % (icmp,))
        first = self.report_after("state", 0)
        runs = int(re.match(r"runs=(\d+)", first["message"]).group(1)) if first else 0
        seen = len(self.api.check_reports("state"))
        self.ct.run("systemctl", "restart", UNIT, check=True)
        again = self.report_after("state", seen)
        saved = open(self.host_path("/var/tmp/saba-agent/saba-test-runs")).read().strip() \
            if os.path.exists(self.host_path("/var/tmp/saba-agent/saba-test-runs")) else None
        check(runs >= 1 and again is not None and again["message"] == "runs=%d\n" % (runs + 1)
              and saved is not None and int(saved) >= runs + 1,
              "state in /var/tmp/saba-agent survives a restart: runs=%d, then %s; "
              "/var/tmp/saba-agent/saba-test-runs holds %s" % (runs, again, saved))

        # The opt-in drop-in: what it promises to keep and to take away.
        dropin = self.host_path("/etc/systemd/system/%s.d/hardening.conf" % UNIT)
        os.makedirs(os.path.dirname(dropin), exist_ok=True)
        shutil.copy(os.path.join(self.builddir, "etc", "saba-agent-hardening.conf"), dropin)
        r = self.ct.run("systemd-analyze", "verify", "--man=no", self.unit_path)
        check(r.returncode == 0 and r.stderr.strip() == "",
              "systemd-analyze verify with the hardening drop-in: exit %d %s"
              % (r.returncode, r.stderr.strip()))
        # Counted once the unhardened agent is gone: it still sends its
        # last reports while it stops.
        self.ct.run("systemctl", "stop", UNIT, check=True)
        counts = {n: len(self.api.check_reports(n)) for n in ("sudo_check", "icmp", "state")}
        runs = int(saved or 0)
        self.ct.run("systemctl", "daemon-reload", check=True)
        self.ct.run("systemctl", "start", UNIT, check=True)
        check(self.ct.prop("NoNewPrivileges") == "yes" and self.ct.prop("PrivateTmp") == "yes",
              "the drop-in applies")
        state = self.report_after("state", counts["state"])
        seen = len(self.api.check_reports("state"))
        self.ct.run("systemctl", "restart", UNIT, check=True)
        again = self.report_after("state", seen)
        check(state is not None and state["message"] == "runs=1\n" and again is not None
              and again["message"] == "runs=2\n",
              "hardened: the workdir moves to the state directory and keeps its state "
              "across a restart: %s, then %s" % (state, again))
        sudo = self.report_after("sudo_check", counts["sudo_check"])
        check(sudo is not None and sudo["status"] == "CRITICAL"
              and "no new privileges" in sudo["message"],
              "hardened: sudo is refused, as the drop-in says: %s" % (sudo,))
        icmp = self.report_after("icmp", counts["icmp"])
        check(icmp is not None and icmp["status"] != "OK",
              "hardened: check_icmp as nobody loses its capability, as the drop-in says: %s"
              % (icmp,))

    # ------------------------------------------------------------ the clouds
    def cloud_units(self):
        """saba-agent-gce.service and saba-agent-azure.service: the
        installed unit with a config of their own (the cloud plugin, the
        systemd trigger watching that unit) and a state directory of their
        own under the installed one; installed, not enabled."""
        text = open(self.host_path(self.unit_path)).read()
        confs = {"gce": 'cloud_platform = "gce"; metadata_endpoint = "%s"; '
                        'api_endpoint = "%s";' % (self.gce.url("metadata"),
                                                  self.gce.url("compute")),
                 "azure": 'cloud_platform = "azurevm"; metadata_endpoint = "%s"; '
                          'api_endpoint = "%s";' % (self.az.url("imds"), self.az.url("arm"))}
        for plugin, settings in confs.items():
            unit = "saba-agent-%s.service" % plugin
            conf = os.path.join(os.path.dirname(self.conf), "%s.conf" % plugin)
            with open(self.host_path("/etc/systemd/system/" + unit), "w") as f:
                f.write(text.replace(" -c %s run" % self.conf, " -c %s run" % conf))
            self.write_conf('systemd = { unit = "%s"; }; %s = { %s poll_interval = 0; '
                            'metadata_timeout = 2; api_timeout = 3; };'
                            % (unit, plugin, settings), conf=conf, root=self.cloud_root(plugin))

    def cloud_root(self, plugin):
        return os.path.join(self.state_dir, plugin)

    def cloud_id(self, plugin):
        try:
            return open(self.host_path(os.path.join(self.cloud_root(plugin), "id"))).read()
        except OSError:
            return None

    def start_clouds(self, name):
        """Both cloud agents, fresh (no id file), running; their host ids."""
        hosts = {}
        for plugin in ("gce", "azure"):
            shutil.rmtree(self.host_path(self.cloud_root(plugin)), ignore_errors=True)
            os.makedirs(self.host_path(self.cloud_root(plugin)))
        self.ct.run("systemctl", "start", "saba-agent-gce.service", "saba-agent-azure.service",
                    check=True, timeout=30)
        for plugin in ("gce", "azure"):
            unit = "saba-agent-%s.service" % plugin
            host = self.api.wait_for(lambda: self.cloud_id(plugin), 10)
            check(host and self.api.host(host) is not None, "%s: the %s agent registered as %s"
                  % (name, plugin, host))
            # a stop before start-up finished asks no trigger: wait until it runs
            check(self.api.wait_for(lambda: "collecting every" in self.ct.run(
                "journalctl", "-u", unit, "-o", "cat").stdout, 20),
                "%s: the %s agent runs" % (name, plugin))
            hosts[plugin] = host
        return hosts

    def check_clouds(self, name, hosts, going):
        """After the poweroff: the going cloud's host retired (once, with
        the plugin's confirmation in the log), the other's not."""
        for plugin, host in hosts.items():
            calls = [(c.host_id, c.response_status) for c in self.retires()
                     if c.host_id == host]
            jr = self.journal("saba-agent-%s.service" % plugin)
            if plugin == going:
                check(calls == [(host, 200)], "%s: %s: exactly one retire, for %s: %s" % (
                    name, plugin, host, calls))
                check(self.cloud_id(plugin) is None, "%s: %s: the id file is gone"
                      % (name, plugin))
                check("confirmed by %s" % plugin in jr, "%s: confirmed by %s%s" % (
                    name, plugin, "" if "confirmed by" in jr else "\n" + jr[-3000:]))
            else:
                check(calls == [], "%s: %s: no retire call: %s" % (name, plugin, calls))
                check(self.cloud_id(plugin) == host, "%s: %s: the id file stays"
                      % (name, plugin))
                check("%s does not confirm" % plugin in jr, "%s: %s does not confirm%s" % (
                    name, plugin, "" if "does not confirm" in jr else "\n" + jr[-3000:]))
        check(self.gce.counts("metadata").get("no_header", 0) == 0 and
              self.az.counts("imds").get("no_header", 0) == 0,
              "every metadata request carried the metadata header")

    def scenarios(self):
        self.gce, self.az = FakeGce().start(), FakeAzure().start()
        try:
            self.cloud_units()
            only = os.environ.get("SABA_SYSTEM_SCENARIOS")
            for scenario in (self.boot1, self.boot2, self.boot3, self.boot4, self.boot5):
                if not only or scenario.__name__ in only.split(","):
                    scenario()
        finally:
            self.gce.stop()
            self.az.stop()


if __name__ == "__main__":
    nspawn.main("systemd", INCLUDE, "usr/lib/systemd/systemd", SystemTest,
                tools=nspawn.TOOLS + ("journalctl",))
