#!/usr/bin/env python3
"""The Debian packages (debian/) under a real systemd and a real sysvinit.

Builds the packages twice with `dpkg-buildpackage -us -uc -b` from copies
of the distributed tree (`make distdir`): once as it is, once with
configure.ac's AC_INIT version bumped, the package version's only source.
Checks both versions and lintian (no error, no warning), then installs the
packages with `apt-get install ./saba-agent_*.deb` into fresh Debian 12
rootfs booted with systemd-nspawn, against a fake Mackerel API on the
host's 127.0.0.1.  The triggers retire on "stop" too, so only the removal
marker keeps a package removal from retiring.

    systemd  fresh install without an API key -> not started, explained,
             not failed; key set + start -> registers; upgrade -> same
             host, no retire, the new version runs (User-Agent); remove
             -> no retire, id kept; reinstall -> same host; poweroff ->
             exactly one retire; next boot registers again, purge -> says
             it removes the state directory, no retire
    sysvinit config and an existing id file in place, install -> the
             agent adopts that host; upgrade -> same host, no retire, new
             version; remove -> no retire, id kept; reinstall -> same
             host; telinit 0 -> exactly one retire

The rootfs are test_systemd.py's and test_sysv.py's cached ones with the
agent's libraries purged: apt must resolve them again from the rootfs's own
lists, and finds their .debs in its archive cache (debootstrap left them
there), so a run contacts nothing but 127.0.0.1 (Recommends are left out;
a dependency added later is fetched from the mirror debootstrap used).
Needs root, debootstrap, systemd-nspawn, nsenter, dpkg-buildpackage,
debhelper and lintian, and the package's build dependencies; skips (77)
without them or with SABA_SKIP_SYSTEM_TESTS=1.  SABA_KEEP_TMP keeps the
scratch directory (builds, rootfs, logs).
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nspawn  # noqa: E402
import test_systemd  # noqa: E402
import test_sysv  # noqa: E402
from nspawn import check, log, skip  # noqa: E402
from fakeapi import FakeMackerel  # noqa: E402

# The agent's libraries the cached rootfs have installed; purged, so the
# install must bring them back.
PURGED = ["libcurl3-gnutls", "libjansson4", "libconfig9"]
TOOLS = nspawn.TOOLS + ("dpkg-buildpackage", "dpkg-checkbuilddeps", "dh", "lintian",
                        "journalctl")

UNIT = "saba-agent.service"
CONF = "/etc/saba-agent/saba-agent.conf"
STATE = "/var/lib/saba-agent"
MARKER = "/run/saba-agent.removing"
LOGFILE = "/var/log/saba-agent.log"
DECLINED = "declined: the package manager is removing saba-agent"
BUMP = "+pkgtest"


# ------------------------------------------------------------- the builds
def clean_env():
    """Our environment without the outer make's (its jobserver is not ours)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def configure_version(text):
    m = re.search(r"^AC_INIT\(\[saba-agent\],\s*\[([^]]+)\]", text, re.M)
    if m is None:
        raise SystemExit("configure.ac: no AC_INIT([saba-agent], [VERSION], ...)")
    return m.group(1)


class Builds:
    """Both versions' packages: {version: {package: path}}."""

    def __init__(self, work):
        self.work = work
        self.debs = {}
        self.lintian_proc = None
        builddir = os.environ["SABA_TOP_BUILDDIR"]
        make = (os.environ.get("SABA_MAKE") or "make").split()
        src = os.path.join(work, "dist")
        log("make distdir (the tree the packages are built from)")
        with open(os.path.join(work, "distdir.log"), "wb") as out:
            subprocess.run(make + ["-C", builddir, "distdir", "distdir=" + src,
                                   "top_distdir=" + src], env=clean_env(), stdout=out,
                           stderr=subprocess.STDOUT, check=True, timeout=300)
        r = subprocess.run(["dpkg-checkbuilddeps"], cwd=src, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        if r.returncode != 0:
            skip("the package's build dependencies: %s" % r.stdout.strip())
        ac = os.path.join(src, "configure.ac")
        self.v1 = configure_version(open(ac).read())
        self.v2 = self.v1 + BUMP
        trees = {}
        for version in (self.v1, self.v2):
            tree = os.path.join(work, "build-" + version, "saba-agent")
            shutil.copytree(src, tree, symlinks=True)
            trees[version] = tree
        text = open(os.path.join(trees[self.v2], "configure.ac")).read()
        bumped = re.sub(r"^(AC_INIT\(\[saba-agent\],\s*\[)[^]]+\]",
                        lambda m: m.group(1) + self.v2 + "]", text, count=1, flags=re.M)
        open(os.path.join(trees[self.v2], "configure.ac"), "w").write(bumped)
        self.build(trees)

    def build(self, trees):
        """Both at once: their single-threaded parts (autoreconf, configure,
        debhelper) overlap."""
        env = clean_env()
        env["DEB_BUILD_OPTIONS"] = "nocheck noautodbgsym parallel=%d" % (os.cpu_count() or 2)
        log("dpkg-buildpackage -us -uc -b: %s and %s, side by side" % (self.v1, self.v2))
        t0 = time.monotonic()
        procs = {}
        for version, tree in trees.items():
            out = open(os.path.join(os.path.dirname(tree), "build.log"), "wb")
            procs[version] = (subprocess.Popen(["dpkg-buildpackage", "-us", "-uc", "-b"],
                                               cwd=tree, env=env, stdout=out,
                                               stderr=subprocess.STDOUT), out)
        for version, (p, out) in procs.items():
            rc = p.wait(timeout=1800)
            out.close()
            if rc != 0:
                print(open(out.name, errors="replace").read()[-4000:])
                raise SystemExit("dpkg-buildpackage of %s failed (exit %d); see %s"
                                 % (version, rc, out.name))
        log("built both in %.0f s" % (time.monotonic() - t0))
        for version, tree in trees.items():
            found = {}
            for deb in glob.glob(os.path.join(os.path.dirname(tree), "*.deb")):
                fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version"],
                                        stdout=subprocess.PIPE, universal_newlines=True,
                                        check=True).stdout
                f = dict(line.split(": ", 1) for line in fields.splitlines())
                check(f["Version"] == version, "%s: version %s (AC_INIT: %s)" % (
                    os.path.basename(deb), f["Version"], version))
                found[f["Package"]] = deb
            check(sorted(found) == ["libsaba-plugin-dev", "libsaba-plugin-test0",
                                    "saba-agent"],
                  "%s: the three packages: %s" % (version, sorted(found)))
            self.debs[version] = found

    def lintian(self):
        """Started now, read by lintian_result(): it runs beside the
        containers."""
        debs = sorted(self.debs[self.v1].values())
        self.lintian_out = open(os.path.join(self.work, "lintian.log"), "w+")
        self.lintian_proc = subprocess.Popen(["lintian", "--info"] + debs,
                                             stdout=self.lintian_out, stderr=subprocess.STDOUT)

    def lintian_result(self):
        rc = self.lintian_proc.wait(timeout=600)
        self.lintian_out.seek(0)
        lines = self.lintian_out.read().splitlines()
        tags = [line for line in lines if re.match(r"^[EW]: ", line)]
        check(rc == 0 and not tags, "lintian on %s: no error or warning (exit %d)%s" % (
            ", ".join(sorted(self.debs[self.v1])), rc,
            "".join("\n    " + t for t in tags)))
        infos = [line for line in lines if line.startswith("I: ")]
        if infos:
            log("lintian info tags:%s" % "".join("\n    " + t for t in infos))

    def close(self):
        if self.lintian_proc is not None and self.lintian_proc.poll() is None:
            self.lintian_proc.kill()
            self.lintian_proc.wait()


# --------------------------------------------------------- the containers
class Container(nspawn.Container):
    def __init__(self, root, logpath, init):
        super().__init__(root, logpath)
        self.init = init


class PackageTest:
    """One init system: a scratch copy of its cached rootfs, the built
    packages in /root/debs, and a fake API."""

    name = None
    init = None
    trigger = None  # the plugin instance text, with retire_on

    def __init__(self, rootfs, work, builds):
        self.work = os.path.join(work, self.name)
        os.makedirs(self.work)
        self.root = os.path.join(self.work, "root")
        self.builds = builds
        self.ct = None
        self.api = FakeMackerel(api_key=nspawn.API_KEY).start()
        log("%s: fake API on %s; copying the cached rootfs" % (self.name, self.api.url))
        subprocess.run(["cp", "-a", rootfs, self.root], check=True)
        subprocess.run(["chroot", self.root, "dpkg", "--purge"] + PURGED, check=True,
                       stdout=subprocess.DEVNULL, env={"PATH": nspawn.PATH})
        os.makedirs(self.host_path("/root/debs"))
        self.deb = {}
        for version, debs in builds.debs.items():
            deb = debs["saba-agent"]
            shutil.copy(deb, self.host_path("/root/debs"))
            self.deb[version] = "/root/debs/" + os.path.basename(deb)
        # The packaged config's plugin_dir (a multiarch path).
        conf = subprocess.run("dpkg-deb --fsys-tarfile '%s' | tar -xO .%s" % (
            builds.debs[builds.v1]["saba-agent"], CONF), shell=True, stdout=subprocess.PIPE,
            universal_newlines=True, check=True).stdout
        self.plugin_dir = re.search(r'^plugin_dir = "([^"]*)";', conf, re.M).group(1)

    def host_path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def conf_text(self):
        return ('apikey = "%s";\napibase = "%s";\nroot = "%s";\nplugin_dir = "%s";\n'
                'interval = 60;\nretire = { timeout = 10; };\nhttp = { timeout = 5; };\n'
                'shutdown = { timeout = 3; };\nplugins = { loadavg = {}; memory = {}; %s };\n'
                % (nspawn.API_KEY, self.api.url, STATE, self.plugin_dir, self.trigger))

    def write_conf(self):
        os.makedirs(os.path.dirname(self.host_path(CONF)), exist_ok=True)
        with open(self.host_path(CONF), "w") as f:
            f.write(self.conf_text())

    def id_file(self):
        try:
            return open(self.host_path(STATE + "/id")).read()
        except OSError:
            return None

    def retires(self):
        return self.api.requests(route="retire_host")

    def creates(self):
        return self.api.requests(route="create_host")

    def apt(self, *args, timeout=300):
        r = self.ct.run("apt-get", "-y", "-q", "--no-install-recommends",
                        "-o", "Dpkg::Options::=--force-confold",
                        "-o", "Dpkg::Options::=--force-confdef", *args,
                        env={"DEBIAN_FRONTEND": "noninteractive"}, timeout=timeout)
        with open(os.path.join(self.work, "apt.log"), "a") as f:
            f.write("$ apt-get %s\n%s%s\n" % (" ".join(args), r.stdout, r.stderr))
        return r

    def install_first(self, deb):
        """apt-get install of the first version; checks that apt brought the
        purged libraries back."""
        r = self.apt("install", deb)
        new = re.search(r"^The following NEW packages will be installed:\n((?:  .*\n)+)",
                        r.stdout, re.M)
        new = new.group(1).split() if new else []
        check(r.returncode == 0 and self.installed_version() == "install ok installed "
              + self.builds.v1 and all(p in new for p in PURGED),
              "%s: apt-get install %s: exit %d, apt added %s%s" % (
                  self.name, deb, r.returncode, " ".join(new),
                  "" if r.returncode == 0 else "\n" + r.stderr))
        return r

    def installed_version(self):
        r = self.ct.run("dpkg-query", "-W", "-f", "${Status} ${Version}", "saba-agent")
        return r.stdout.strip()

    def agent_pids(self):
        return self.ct.run("pgrep", "-x", "saba-agent").stdout.split()

    def wait_version(self, version, since, timeout=20):
        """A request from the agent of that version (its User-Agent), made
        after request number `since`."""
        ua = "saba-agent/" + version
        return self.api.wait_for(lambda: any(
            r.header("user-agent") == ua for r in self.api.requests()[since:]), timeout)

    def close(self):
        if self.ct is not None:
            self.ct.kill()
        if self.api is not None:
            self.api.stop()
            self.api = None

    # the steps both init systems share (agent_log() and running() are
    # theirs)
    def stops(self):
        """How each stop of the agent so far was classified, in order."""
        return re.findall(r"stop classified as (\w+) \(", self.agent_log())

    def upgrade(self, host):
        v1, v2 = self.builds.v1, self.builds.v2
        since, creates = len(self.api.requests()), len(self.creates())
        stops = len(self.stops())
        r = self.apt("install", self.deb[v2])
        check(r.returncode == 0 and self.installed_version() == "install ok installed " + v2,
              "%s: upgrade %s -> %s: apt exit %d, %s" % (self.name, v1, v2, r.returncode,
                                                      self.installed_version()))
        check(self.wait_version(v2, since),
              "%s: upgrade: the agent now running is %s (User-Agent)" % (self.name, v2))
        check(self.running(), "%s: upgrade: the agent runs" % self.name)
        check(self.stops()[stops:] == ["restart"],
              "%s: upgrade: the old agent stopped once, classified as restart: %s"
              % (self.name, self.stops()[stops:]))
        check(self.id_file() == host and len(self.creates()) == creates,
              "%s: upgrade: the same host %s, no new registration" % (self.name, host))
        check(len(self.retires()) == 0, "%s: upgrade: no retire call" % self.name)

    def remove(self, host):
        stops, declined = len(self.stops()), self.agent_log().count(DECLINED)
        r = self.apt("remove", "saba-agent")
        check(r.returncode == 0 and self.installed_version().startswith(
            "deinstall ok config-files"), "%s: apt-get remove: exit %d, %s" % (
                self.name, r.returncode, self.installed_version()))
        check(self.agent_pids() == [], "%s: remove: the agent is stopped" % self.name)
        check(self.stops()[stops:] == ["stop"]
              and self.agent_log().count(DECLINED) == declined + 1,
              "%s: remove: one stop, classified as stop (in retire_on), declined for the "
              "removal marker: %s" % (self.name, self.stops()[stops:]))
        check(len(self.retires()) == 0, "%s: remove: no retire call" % self.name)
        check(self.id_file() == host, "%s: remove: the id file stays (%s)" % (self.name, host))
        check(self.ct.run("test", "-e", MARKER).returncode == 1,
              "%s: remove: the marker is gone afterwards" % self.name)

    def reinstall(self, host):
        v2 = self.builds.v2
        since, creates = len(self.api.requests()), len(self.creates())
        r = self.apt("install", self.deb[v2])
        check(r.returncode == 0 and self.installed_version() == "install ok installed " + v2,
              "%s: reinstall %s: apt exit %d" % (self.name, v2, r.returncode))
        again = self.api.wait_for(lambda: any(
            q.route == "get_host" and q.host_id == host for q in self.api.requests()[since:]),
            20)
        check(again and self.running() and self.id_file() == host
              and len(self.creates()) == creates,
              "%s: reinstall: the agent starts as the same host %s" % (self.name, host))
        check(len(self.retires()) == 0, "%s: reinstall: no retire call" % self.name)


class SystemdTest(PackageTest):
    name = "systemd"
    init = "systemd"
    trigger = 'systemd = { retire_on = [ "poweroff", "stop" ]; };'

    def prop(self, name):
        return self.ct.run("systemctl", "show", "-P", name, UNIT).stdout.strip()

    def running(self):
        return self.prop("ActiveState") == "active"

    def agent_log(self):
        return self.ct.run("journalctl", "-u", UNIT, "-o", "cat", "--no-pager").stdout

    def boot(self, name):
        self.ct = Container(self.root, os.path.join(self.work, "nspawn.log"), self.init)
        log("== %s: boot %s" % (self.name, name))
        self.ct.boot()
        # Before the manager's bus is up systemctl fails at once: ask again.
        state = self.api.wait_for(lambda: self.ct.run(
            "systemctl", "is-system-running", "--wait", timeout=60).stdout.strip(), 60)
        check(state in ("running", "degraded"), "systemd: booted (system %s)" % state)

    def shut(self, verb, timeout=60):
        self.ct.run("systemctl", verb, timeout=10)
        rc = self.ct.wait_exit(timeout)
        if rc is None:
            self.ct.kill()
        return rc

    def scenarios(self):
        v1 = self.builds.v1
        os.makedirs(self.host_path("/var/log/journal"), exist_ok=True)
        self.boot("1")

        r = self.install_first(self.deb[v1])
        check("installed but not running: it has no Mackerel API key yet" in r.stdout,
              "systemd: without an API key the install says what to do")
        check(self.ct.run("systemctl", "is-enabled", UNIT).stdout.strip() == "enabled",
              "systemd: the unit is enabled")
        time.sleep(1)
        state = (self.prop("ActiveState"), self.prop("Result"), self.prop("NRestarts"),
                 self.prop("ConditionResult"))
        check(state == ("inactive", "exec-condition", "0", "no"),
              "systemd: no key: the start was skipped, not failed, not retried "
              "(ActiveState, Result, NRestarts, ConditionResult = %s)" % (state,))
        check(self.api.requests() == [], "systemd: no key: nothing sent")
        check("no API key: set apikey or apikey_file" in self.agent_log(),
              "systemd: no key: the journal says why")
        # --man=no: minbase has no man(1) to look the unit's Documentation= up.
        r = self.ct.run("systemd-analyze", "verify", "--man=no", "/lib/systemd/system/" + UNIT)
        check(r.returncode == 0 and r.stderr.strip() == "",
              "systemd: systemd-analyze verify of the packaged unit: exit %d %s"
              % (r.returncode, r.stderr.strip()))

        self.write_conf()
        self.ct.run("systemctl", "start", UNIT, check=True)
        host = self.api.wait_for(self.id_file, 20)
        check(host and self.api.host(host) is not None and self.running(),
              "systemd: key set, started: registered as %s" % host)
        check(self.wait_version(v1, 0), "systemd: the agent running is %s" % v1)

        pid = self.prop("MainPID")
        self.upgrade(host)
        check(self.prop("MainPID") not in ("0", pid),
              "systemd: upgrade: a new agent process (pid %s -> %s)" % (pid, self.prop("MainPID")))
        check("stop classified as restart (jobs: saba-agent.service/restart" in self.agent_log(),
              "systemd: upgrade: systemd's job was a restart")

        self.remove(host)
        self.reinstall(host)

        rc = self.shut("poweroff")
        calls = [(c.host_id, c.response_status) for c in self.retires()]
        check(rc == 0 and calls == [(host, 200)],
              "systemd: poweroff: exactly one retire, for %s: %s (nspawn exit %s)"
              % (host, calls, rc))
        check(self.id_file() is None, "systemd: poweroff: the id file is gone")

        # A new boot registers a new host; purge says what it deletes.
        self.boot("2")
        host2 = self.api.wait_for(self.id_file, 20)
        check(host2 and host2 != host and self.running(),
              "systemd: boot 2: registered again as %s" % host2)
        declined = self.agent_log().count(DECLINED)
        r = self.apt("purge", "saba-agent")
        said = "saba-agent: removing %s with the id of Mackerel host %s" % (STATE, host2)
        check(r.returncode == 0 and said in r.stdout,
              "systemd: apt-get purge: exit %d, says \"%s\"" % (r.returncode, said))
        check(not os.path.exists(self.host_path(STATE))
              and not os.path.exists(self.host_path(CONF))
              and self.installed_version() == "",
              "systemd: purge: the state directory and the config are gone")
        check(self.agent_log().count(DECLINED) == declined + 1 and len(self.retires()) == 1,
              "systemd: purge: its stop was declined, %s not retired" % host2)
        rc = self.shut("poweroff")
        check(rc == 0 and len(self.retires()) == 1, "systemd: poweroff after purge: nothing")


class SysvTest(PackageTest):
    name = "sysv"
    init = "init"
    trigger = 'sysv = { retire_on = [ "halt", "stop" ]; };'

    def agent_log(self):
        try:
            return open(self.host_path(LOGFILE)).read()
        except OSError:
            return ""

    def running(self):
        return self.ct.run("service", "saba-agent", "status").returncode == 0

    def boot(self):
        inittab = self.host_path("/etc/inittab")
        text = re.sub(r"^([1-6]:[0-9]+:respawn:/sbin/getty)", r"#\1", open(inittab).read(),
                      flags=re.M)
        open(inittab, "w").write(text)
        self.ct = Container(self.root, os.path.join(self.work, "nspawn.log"), self.init)
        log("== sysv: boot")
        self.ct.boot()
        # Booted: runlevel 2 reached and its rc script done.
        booted = self.api.wait_for(lambda: self.ct.run("runlevel").stdout.strip().endswith(" 2")
                                   and self.ct.run("pgrep", "-x", "rc").returncode == 1, 30)
        check(booted, "sysv: booted to runlevel 2")

    def scenarios(self):
        v1 = self.builds.v1
        # An existing install: its config (with the key) and its host id.
        host = self.api.add_host(name="existing-host")
        self.write_conf()
        os.makedirs(self.host_path(STATE))
        with open(self.host_path(STATE + "/id"), "w") as f:
            f.write(host)
        self.boot()

        self.install_first(self.deb[v1])
        check(self.wait_version(v1, 0) and self.running(),
              "sysv: the init script started %s" % v1)
        adopted = self.api.wait_for(lambda: any(
            q.route == "get_host" and q.host_id == host for q in self.api.requests()), 10)
        check(adopted and self.creates() == [] and self.id_file() == host,
              "sysv: the existing id file is kept: the agent carries on as %s" % host)
        check(open(self.host_path(CONF)).read() == self.conf_text(),
              "sysv: the operator's config is kept (--force-confold)")

        pid = self.ct.run("cat", "/run/saba-agent.pid").stdout.strip()
        self.upgrade(host)
        check(self.ct.run("cat", "/run/saba-agent.pid").stdout.strip() not in ("", pid),
              "sysv: upgrade: a new agent process")
        check(re.search(r"stop classified as restart \(.*restart marker present\)",
                        self.agent_log()) is not None,
              "sysv: upgrade: the init script's restart (its marker)")

        self.remove(host)
        self.reinstall(host)

        self.ct.run("telinit", "0", timeout=10)
        rc = self.ct.wait_exit(60)
        if rc is None:
            self.ct.kill()
        calls = [(c.host_id, c.response_status) for c in self.retires()]
        check(rc == 0 and calls == [(host, 200)],
              "sysv: telinit 0: exactly one retire, for %s: %s (nspawn exit %s)"
              % (host, calls, rc))


def main():
    nspawn.check_environment(TOOLS)
    mirror = nspawn.debian_mirror()
    if mirror is None:
        skip("no `deb ... %s` source in /etc/apt: no mirror to debootstrap from" % nspawn.SUITE)
    work = tempfile.mkdtemp(prefix="saba-package-test.", dir="/var/tmp")
    tests = []
    builds = None
    try:
        builds = Builds(work)
        builds.lintian()
        for cls, include, done in (
                (SystemdTest, test_systemd.INCLUDE, "usr/lib/systemd/systemd"),
                (SysvTest, test_sysv.INCLUDE, "etc/inittab")):
            rootfs = nspawn.cached_rootfs(mirror, include, done)
            t = cls(rootfs, work, builds)
            tests.append(t)
            t.scenarios()
            t.close()
        builds.lintian_result()
    finally:
        for t in tests:
            t.close()
        if builds is not None:
            builds.close()
        if nspawn.failures or os.environ.get("SABA_KEEP_TMP"):
            log("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    nspawn.finish()


if __name__ == "__main__":
    main()
