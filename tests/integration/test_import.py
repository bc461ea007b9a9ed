#!/usr/bin/env python3
"""`saba-agent import`: mackerel-agent's own configs (its sample config and the
configs of its config/config_test.go, in tests/data/import/upstream/) and this
project's fixture of every setting (tests/data/import/every-key/) become
saba-agent configs that `configtest` accepts; what cannot be carried over is
listed with FILE:LINE and exit 1; broken input is a FILE:LINE error and exit
2, never a crash; `run` and `configtest` given a TOML file say how to import
it; and a host mackerel-agent registered (its id file, or an EC2 instance's
customIdentifier) is taken over with no second registration."""

import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import unittest

import harness
from harness import AgentTestCase, scaled

DATA = os.path.join(harness.SRCDIR, "tests", "data", "import")
UPSTREAM = os.path.join(DATA, "upstream")
BUILTINS = ("loadavg", "memory", "cpu", "disk", "interface", "filesystem")

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "plugins", "ec2"))


def unwrapped(text):
    """The config with each run of comment lines joined into one, so comments
    wrapped at another place (longer paths) still compare equal."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^( *)# ?(.*)$", line)
        if m and out and re.match(r"^%s# " % m.group(1), out[-1]):
            out[-1] += " " + m.group(2)
        else:
            out.append(line)
    return "\n".join(out)


def version():
    with open(os.path.join(harness.SRCDIR, "configure.ac")) as f:
        return re.search(r"AC_INIT\(\[saba-agent\], \[([^]]+)\]", f.read()).group(1)


class ImportCase(AgentTestCase):

    def setUp(self):
        super().setUp()
        p = self.run_agent(["import", "--help"], config=False)
        if "import [FILE]" not in p.stdout:
            self.skipTest("this saba-agent was built without toml++ (no import)")

    def import_(self, *args, env=None):
        """Run `saba-agent import ARGS --no-env-file` unless an env file is given."""
        args = list(args)
        if not any(a.startswith("--env-file") for a in args):
            args.append("--no-env-file")
        p = self.run_agent(["import"] + args, config=False, env=env)
        self.assertNoCrash(p.returncode, p.stderr)
        return p

    def copy_template(self, src, dst_dir, name=None):
        """Copy src into dst_dir with @DIR@ replaced by dst_dir; the copy's path."""
        os.makedirs(dst_dir, exist_ok=True)
        with open(src) as f:
            text = f.read().replace("@DIR@", dst_dir)
        dst = os.path.join(dst_dir, name or os.path.basename(src).replace(".in", ""))
        with open(dst, "w") as f:
            f.write(text)
        return dst

    @staticmethod
    def modules_of(conf_text):
        """The plugin modules an imported config needs: each instance's
        module, or its name."""
        mods, name = set(), None
        for line in conf_text.split("\n"):
            m = re.match(r"^  ([A-Za-z][-A-Za-z0-9_]*) = \{(\};)?$", line)
            if m:
                if name is not None:
                    mods.add(name)
                name = m.group(1)
                if m.group(2):
                    mods.add(name)
                    name = None
                continue
            m = re.match(r'^    module = "([^"]+)";$', line)
            if m and name is not None:
                mods.add(m.group(1))
                name = None
            elif line.startswith("    ") and name is not None and "module" not in line:
                mods.add(name)
                name = None
        if name is not None:
            mods.add(name)
        return mods

    def configtest(self, conf_path, users=()):
        """configtest the imported config with the built plugins, as on a
        machine that has the config's users (a private /etc/passwd in a
        mount namespace).  Skips what this build or machine cannot show."""
        with open(conf_path) as f:
            text = f.read()
        missing = [m for m in sorted(self.modules_of(text))
                   if not os.path.isfile(os.path.join(harness.PLUGIN_DIR, m + ".so"))]
        if missing:
            self.skipTest("plugins %s are not built here" % ", ".join(missing))
        argv = harness.WRAPPER + [harness.AGENT, "-c", conf_path, "--plugin-dir",
                                  harness.PLUGIN_DIR, "configtest"]
        absent = [u for u in users if not self.user_exists(u)]
        if absent:
            if os.geteuid() != 0 or shutil.which("unshare") is None:
                self.skipTest("users %s do not exist and only root can pretend they do"
                              % ", ".join(absent))
            passwd = os.path.join(self.tmp, "passwd")
            with open("/etc/passwd") as f, open(passwd, "w") as out:
                out.write(f.read())
                for i, u in enumerate(absent):
                    out.write("%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n"
                              % (u, 61000 + i, 61000 + i))
            argv = ["unshare", "--mount", "sh", "-c",
                    'mount --bind "$0" /etc/passwd && exec "$@"', passwd] + argv
        p = subprocess.run(argv, env=self.env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=scaled(60))
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertNoCrash(p.returncode, err)
        self.assertEqual(p.returncode, 0, "configtest refused %s:\n%s\n%s" % (conf_path, err,
                                                                              text))
        self.assertIn("OK: %s" % conf_path, out)

    @staticmethod
    def user_exists(name):
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


# rc of each upstream config and what stderr names (FILE:LINE: ...)
UPSTREAM_RESULTS = {
    "mackerel-agent.sample.conf": (0, None),
    "wix-mackerel-agent.sample.conf": (0, None),
    "wix-mackerel-agent-kcps.sample.conf": (0, None),
    "sample-config.toml": (0, None),
    "sample-config-with-host-status.toml": (0, None),
    "sample-config-with-too-large-check-memo.toml": (0, None),
    "sample-config-with-cloud-platform-empty.toml": (0, None),
    "sample-config-with-cloud-platform-auto.toml": (0, None),
    "sample-config-with-cloud-platform-none.toml": (0, None),
    "sample-config-with-cloud-platform-ec2.toml": (0, None),
    "sample-config-with-cloud-platform-gce.toml": (0, None),
    "sample-config-with-cloud-platform-azurevm.toml": (0, None),
    "sample-config-with-mount-point.toml": (0, None),
    "sample-config-with-silent.toml": (0, None),
    "sample-config-with-command-args.toml": (0, None),
    "sample-config-with-env.toml": (0, None),
    # configs mackerel-agent itself refuses
    "sample-config-with-invalid-toml.toml": (2, r":5: Error while parsing table header"),
    "sample-config-with-invalid-metrics-command.toml": (1, r":6: `command = 100`: not carried "
                                                           r"over: .*not an integer"),
    "sample-config-with-invalid-check-command.toml": (1, r":5: `\[plugin.checks.dice\]`: not "
                                                         r"carried over: .*no command"),
    "sample-config-with-invalid-metadata-command.toml": (1, r":6: .*not carried over: "
                                                            r".*command.*not an integer"),
    "sample-config-with-invalid-cloud-platform.toml": (1, r":4: .*\"unknown\""),
    # an RE2 syntax error is left to the agent's regex check
    "sample-config-with-invalid-ignore-regexp.toml": (0, None),
    # every key mackerel-agent's validator reports, each reported here
    "validate-config.toml": (1, r":5: `podfile = .*\n(.*\n)*.*:13: `use_mntpoint = true`: not "
                                r"carried over(.*\n)*.*:15: `\[plugin.foo.bar\]`: not carried "
                                r"over: .*unknown kind"),
}

UPSTREAM_USERS = ("mysql", "xyz", "doctor", "zzz", "test user")


class UpstreamConfigs(ImportCase):

    def test_every_upstream_config_gives_its_exit_status(self):
        names = sorted(n for n in os.listdir(UPSTREAM)
                       if os.path.isfile(os.path.join(UPSTREAM, n)))
        self.assertEqual(sorted(UPSTREAM_RESULTS), names)
        for name, (rc, pattern) in sorted(UPSTREAM_RESULTS.items()):
            with self.subTest(name=name):
                p = self.import_(os.path.join(UPSTREAM, name))
                self.assertEqual(p.returncode, rc, p.stderr)
                if rc == 0:
                    self.assertEqual(p.stderr, "")
                if pattern:
                    self.assertRegex(p.stderr, re.escape(name) + pattern)
                if rc < 2:
                    self.assertTrue(p.stdout.startswith("# saba-agent configuration imported"))
                else:
                    self.assertEqual(p.stdout, "")

    def test_configtest_accepts_every_result(self):
        for name, (rc, _) in sorted(UPSTREAM_RESULTS.items()):
            if rc == 2 or "invalid-ignore-regexp" in name:
                continue
            with self.subTest(name=name):
                out = os.path.join(self.tmp, name + ".saba.conf")
                p = self.import_(os.path.join(UPSTREAM, name), "-o", out)
                self.assertEqual(p.returncode, rc, p.stderr)
                self.configtest(out, users=UPSTREAM_USERS)

    def test_use_mountpoint_names_filesystems_and_disks(self):
        p = self.import_(os.path.join(UPSTREAM, "sample-config-with-mount-point.toml"))
        self.assertEqual(p.returncode, 0, p.stderr)
        for module in ("disk", "filesystem"):
            self.assertIn("\n  %s = {\n    use_mountpoint = true;\n  };" % module, p.stdout)

    def test_cloud_platform_is_the_top_level_setting(self):
        for name in ("empty", "auto", "none", "ec2", "gce", "azurevm"):
            with self.subTest(name=name):
                p = self.import_(os.path.join(UPSTREAM, "sample-config-with-cloud-platform-%s"
                                                        ".toml" % name))
                self.assertEqual(p.returncode, 0, p.stderr)
                value = "auto" if name == "empty" else name
                self.assertIn('\ncloud_platform = "%s";\n' % value, p.stdout)
                self.assertEqual(len(re.findall(r"(?m)^ *cloud_platform = ", p.stdout)), 1)
                # the core adds the identity plugin; none is configured
                self.assertNotRegex(p.stdout, r"\n  (ec2|gce|azure) = ")

    def test_cloud_plugin_in_full_for_the_trigger(self):
        env = self.write("mackerel-agent.default", "AUTO_RETIREMENT=1\n")
        for name, inst in (("empty", "ec2 = {};"), ("auto", "ec2 = {};"), ("none", None),
                           ("ec2", 'ec2 = {\n    cloud_platform = "ec2";\n  };'),
                           ("gce", 'gce = {\n    cloud_platform = "gce";\n  };'),
                           ("azurevm", 'azure = {\n    cloud_platform = "azurevm";\n  };')):
            with self.subTest(name=name):
                p = self.import_(os.path.join(UPSTREAM, "sample-config-with-cloud-platform-%s"
                                                        ".toml" % name),
                                 "--env-file", env, "--init", "systemd")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("\n  systemd = {};\n", p.stdout)
                if inst is None:
                    self.assertNotRegex(p.stdout, r"\n  (ec2|gce|azure) = ")
                else:
                    self.assertIn("\n  %s\n" % inst, p.stdout)

    def test_sample_config_maps_every_setting(self):
        p = self.import_(os.path.join(UPSTREAM, "sample-config.toml"))
        self.assertEqual(p.returncode, 0, p.stderr)
        expected = os.path.join(DATA, "sample-config.expected")
        with open(expected) as f:
            want = f.read().replace("@UPSTREAM@", UPSTREAM).replace("@VERSION@", version())
        self.assertEqual(unwrapped(p.stdout), unwrapped(want))

    def test_include_as_upstream(self):
        d = os.path.join(self.tmp, "inc")
        os.makedirs(d)
        shutil.copy(os.path.join(UPSTREAM, "include", "sub1.conf"), d)
        main = self.copy_template(os.path.join(UPSTREAM, "include", "main.toml.in"), d)
        p = self.import_(main)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn('apikey = "abcde";', out)
        self.assertIn('pidfile = "/path/to/pidfile";', out)
        self.assertIn('root = "/var/lib/mackerel-agent";', out)
        self.assertIn('roles = [ "Service:role" ];', out)       # replaced by the include
        self.assertNotIn("log_level", out)
        self.assertRegex(out, r'foo1 = \{\n    module = "exec";\n    command = "foo1";')
        self.assertRegex(out, r'foo2 = \{\n    module = "exec";\n    command = "foo2";')
        self.assertRegex(out, r'bar = \{\n    module = "exec";\n    command = "bar";')
        self.assertNotIn("this will be overwritten", out)
        self.assertIn(os.path.join(d, "sub1.conf"), out)          # named in the header

    def test_include_overwrites_scalars(self):
        d = os.path.join(self.tmp, "inc2")
        os.makedirs(d)
        shutil.copy(os.path.join(UPSTREAM, "include-overwritten", "sub2.conf"), d)
        main = self.copy_template(os.path.join(UPSTREAM, "include-overwritten", "main.toml.in"),
                                  d)
        p = self.import_(main)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('apikey = "new-api-key";', p.stdout)
        self.assertIn('pidfile = "/path/to/pidfile2";', p.stdout)
        self.assertIn('root = "/tmp";', p.stdout)
        self.assertIn('log_level = "debug";', p.stdout)


class EveryKey(ImportCase):
    """tests/data/import/every-key: every setting of mackerel-agent's config,
    an include and the packages' environment file."""

    def import_every_key(self, *extra):
        d = os.path.join(self.tmp, "mk")
        src = os.path.join(DATA, "every-key")
        os.makedirs(os.path.join(d, "conf.d"))
        shutil.copy(os.path.join(src, "conf.d", "10-more.conf"), os.path.join(d, "conf.d"))
        conf = self.copy_template(os.path.join(src, "mackerel-agent.conf.in"), d)
        env = os.path.join(src, "mackerel-agent.env")
        return d, conf, self.import_(conf, "--env-file", env, "--init", "systemd", *extra)

    def test_every_key_maps(self):
        d, conf, p = self.import_every_key()
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(DATA, "every-key", "expected.conf")) as f:
            want = f.read().replace("@DIR@", d).replace("@DATA@", DATA).replace(
                "@VERSION@", version())
        self.assertEqual(unwrapped(p.stdout), unwrapped(want))

    def test_configtest_accepts_it(self):
        d, conf, _ = self.import_every_key("-o", os.path.join(self.tmp, "every.conf"))
        self.configtest(os.path.join(self.tmp, "every.conf"))


class Output(ImportCase):

    def setUp(self):
        super().setUp()
        self.src = self.write("mk.toml", 'apikey = "secret-key"\n')
        self.out = os.path.join(self.tmp, "etc", "saba-agent.conf")
        os.makedirs(os.path.dirname(self.out))

    def test_output_file_is_private_and_complete(self):
        p = self.import_(self.src, "-o", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        st = os.stat(self.out)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(self.out) as f:
            self.assertIn('apikey = "secret-key";', f.read())
        self.assertEqual(p.stdout, "")
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.out))), ["saba-agent.conf"])

    def test_existing_file_is_kept_without_force(self):
        with open(self.out, "w") as f:
            f.write("keep me\n")
        p = self.import_(self.src, "-o", self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("%s exists; --force replaces it" % self.out, p.stderr)
        with open(self.out) as f:
            self.assertEqual(f.read(), "keep me\n")
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.out))), ["saba-agent.conf"])

    def test_force_replaces(self):
        with open(self.out, "w") as f:
            f.write("old\n")
        p = self.import_(self.src, "-o", self.out, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            self.assertIn("secret-key", f.read())

    def test_unwritable_place(self):
        p = self.import_(self.src, "-o", os.path.join(self.tmp, "no", "such", "dir", "x.conf"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot create a file", p.stderr)

    def test_default_file(self):
        p = self.run_agent(["import", "--no-env-file"], config=False)
        if os.path.exists("/etc/mackerel-agent/mackerel-agent.conf"):
            self.skipTest("this machine has a mackerel-agent config")
        self.assertEqual(p.returncode, 2)
        self.assertIn("/etc/mackerel-agent/mackerel-agent.conf: cannot read", p.stderr)


class BadInput(ImportCase):

    def assertFileLine(self, p, path, line, rc):
        self.assertEqual(p.returncode, rc, p.stderr)
        self.assertRegex(p.stderr, r"(?m)^%s:%d: " % (re.escape(path), line))

    def test_syntax_error(self):
        src = self.write("bad.toml", 'apikey = "k"\n\n[plugin.metrics.x\ncommand = "y"\n')
        p = self.import_(src)
        self.assertFileLine(p, src, 3, 2)
        self.assertEqual(p.stdout, "")

    def test_unknown_kind(self):
        src = self.write("kind.toml", 'apikey = "k"\n[plugin.foo.x]\ncommand = "y"\n')
        p = self.import_(src)
        self.assertEqual(p.returncode, 1)
        self.assertIn('%s:2: `[plugin.foo.x]`: not carried over: [plugin.foo]: unknown kind'
                      % src, p.stderr)
        self.assertIn("# NOT CARRIED OVER (%s:2)" % src, p.stdout)

    def test_command_of_the_wrong_type(self):
        for value, line in (("42", 3), ("{ a = 1 }", 3), ("[]", 3), ("true", 3)):
            with self.subTest(value=value):
                src = self.write("cmd.toml",
                                 'apikey = "k"\n[plugin.checks.c]\ncommand = %s\n' % value)
                p = self.import_(src)
                self.assertFileLine(p, src, line, 1)
                self.assertIn("command", p.stderr)
                self.assertNotIn("c = {", p.stdout)

    def test_ten_megabytes(self):
        lines, n, size = ['apikey = "k"'], 0, 0
        while size < 10 * 1024 * 1024:
            lines.append('[plugin.metrics.p%d]\ncommand = "echo %d padding padding"\n' % (n, n))
            size += len(lines[-1]) + 1
            n += 1
        src = self.write("big.toml", "\n".join(lines))
        p = self.import_(src)
        self.assertEqual(p.returncode, 2, p.stderr[-500:])
        self.assertRegex(p.stderr, r"^%s:\d+: more than 20000 values" % re.escape(src))
        bad = self.write("bigbad.toml", "\n".join(lines[:-1]) + "\n[plugin.metrics.z\n")
        p = self.import_(bad)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"^%s:%d: " % (re.escape(bad),
                                                   "\n".join(lines[:-1]).count("\n") + 2))

    def test_key_of_many_parts(self):
        src = self.write("deep.toml", "a" + ".a" * 100000 + " = 1\n")
        p = self.import_(src)
        self.assertFileLine(p, src, 1, 2)

    def test_nesting(self):
        src = self.write("nest.toml", "\n\na = " + "[" * 5000 + "]" * 5000 + "\n")
        p = self.import_(src)
        self.assertFileLine(p, src, 3, 2)

    def test_not_utf8(self):
        src = os.path.join(self.tmp, "latin1.toml")
        with open(src, "wb") as f:
            f.write(b'apikey = "k"\ndisplay_name = "caf\xe9"\n')
        p = self.import_(src)
        self.assertFileLine(p, src, 2, 2)

    def test_nul_in_a_string(self):
        src = self.write("nul.toml", 'apikey = "k"\ndisplay_name = "a\\u0000b"\n')
        p = self.import_(src)
        self.assertFileLine(p, src, 2, 1)
        self.assertIn("NUL", p.stderr)

    def test_unreadable(self):
        p = self.import_(os.path.join(self.tmp, "missing.toml"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.toml: cannot read", p.stderr)
        p = self.import_(self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a regular file", p.stderr)

    def test_include_with_a_syntax_error(self):
        d = os.path.join(self.tmp, "conf.d")
        os.makedirs(d)
        with open(os.path.join(d, "a.conf"), "w") as f:
            f.write('roles = ["a:b"]\n[broken\n')
        src = self.write("main.toml", 'apikey = "k"\ninclude = "%s/*.conf"\n' % d)
        p = self.import_(src)
        self.assertFileLine(p, os.path.join(d, "a.conf"), 2, 2)

    def test_wrong_types_are_listed(self):
        src = self.write("types.toml", "\n".join([
            'apikey = 1',
            'verbose = "yes"',
            'roles = "a:b"',
            '[host_status]',
            'on_start = "busy"',
            '[plugin.checks.c]',
            'command = "x"',
            'max_check_attempts = 99999999999',
            'check_interval = "1.5m"',
            'env = { "A=B" = "1" }',
            '[plugin.metrics.m]',
            'command = "x"',
            'timeout_seconds = -1',
            'custom_identifier = ""',
            'nosuch = 1',
        ]) + "\n")
        p = self.import_(src)
        self.assertEqual(p.returncode, 1, p.stderr)
        for line in (1, 2, 3, 5, 8, 9, 10, 13, 14, 15):
            self.assertRegex(p.stderr, r"(?m)^%s:%d: .*not carried over" % (re.escape(src),
                                                                            line))
        self.assertRegex(p.stderr, r"(?m)^saba-agent: import: 10 settings could not be carried")


class Checks(ImportCase):

    def test_action_and_max_check_attempts_as_the_check_plugin_takes_them(self):
        src = self.write("chk.toml", "\n".join([
            'apikey = "k"',
            '[plugin.checks.dice]',
            'command = ["sh", "-c", "exit 0"]',
            'max_check_attempts = 3',
            'action = { command = ["printf", "<%s>", "it\'s", "$HOME", " a b "], '
            'user = "root", env = { B = "2" }, timeout_seconds = 10 }',
            '[plugin.checks.zero]',
            'command = "true"',
            'max_check_attempts = 0',
            'action = { command = "echo hi" }',
            '[plugin.checks.many]',
            'command = "true"',
            'max_check_attempts = 11',
        ]) + "\n")
        out = os.path.join(self.tmp, "chk.conf")
        p = self.import_(src, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            text = f.read()
        # as written: the check plugin clamps to the API's 1..10 itself
        for n in (3, 0, 11):
            self.assertIn('max_check_attempts = %d;' % n, text)
        # the action is the check plugin's table, its words a list as written
        self.assertIn('    action = {\n      command = [ "printf", "<%s>", "it\'s", "$HOME", '
                      '" a b " ];\n      user = "root";\n      env = {\n        B = "2";\n'
                      '      };\n      timeout_seconds = 10;\n    };', text)
        self.assertIn('    action = {\n      command = "echo hi";\n    };', text)
        self.assertNotIn("action_env", text)
        self.configtest(out)


class Names(ImportCase):

    def test_metric_check_and_metadata_of_one_name_are_all_kept(self):
        src = self.write("same.toml", "\n".join([
            '[plugin.metrics.app]', 'command = "m"',
            '[plugin.checks.app]', 'command = "c"',
            '[plugin.metadata.app]', 'command = "d"',
            '[plugin.checks.cpu]', 'command = "c2"',
        ]) + "\n")
        p = self.import_(src)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        # a check's name is its monitor in Mackerel: kept; the others move
        self.assertRegex(out, r'\n  app = \{\n    module = "check";\n    command = "c";')
        self.assertRegex(out, r'\n  cpu = \{\n    module = "check";\n    command = "c2";')
        self.assertRegex(out, r'\n  cpu-2 = \{\n    module = "cpu";\n  \};')
        self.assertRegex(out, r'\n  app-metrics = \{\n    module = "exec";\n    command = "m";')
        self.assertRegex(out, r'\n  app-metadata = \{\n    module = "metadata";\n'
                              r'    namespace = "app";\n    command = "d";')

    def test_a_check_name_libconfig_cannot_hold(self):
        src = self.write("n.toml", '[plugin.checks.2fa]\ncommand = "c"\n'
                                   '[plugin.metrics."my metric"]\ncommand = "m"\n')
        p = self.import_(src)
        self.assertEqual(p.returncode, 1)
        self.assertIn('%s:1: `[plugin.checks.2fa]`: not carried over: [plugin.checks.2fa]: '
                      'the check is named "plugin-2fa"' % src, p.stderr)
        self.assertIn("plugin-2fa = {", p.stdout)
        self.assertIn("my_metric = {", p.stdout)   # only a label: no report


class ServiceEnvironment(ImportCase):

    def setUp(self):
        super().setUp()
        self.src = self.write("mk.toml", 'apikey = "k"\n')

    def env_file(self, text):
        return self.write("mackerel-agent.default", text)

    def test_auto_retirement_on_systemd(self):
        e = self.env_file("AUTO_RETIREMENT=1\n")
        p = self.import_(self.src, "--env-file", e, "--init", "systemd")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = unwrapped(p.stdout)
        self.assertRegex(out, r"# AUTO_RETIREMENT=1 in %s: mackerel-agent retired this "
                              r"host whenever its service stopped" % re.escape(e))
        self.assertIn("a restart never retires", out)
        self.assertIn("\n  systemd = {};\n", p.stdout)

    def test_auto_retirement_on_sysv_and_windows(self):
        e = self.env_file("AUTO_RETIREMENT=yes\n")
        p = self.import_(self.src, "--env-file", e, "--init", "sysv")
        self.assertIn("\n  sysv = {};\n", p.stdout)
        e = self.env_file("MACKEREL_AUTO_RETIREMENT=1\n")
        p = self.import_(self.src, "--env-file", e, "--init", "windows")
        self.assertIn('\n  windows_scm = {\n    retire_on = [ "shutdown" ];\n  };', p.stdout)

    def test_auto_retirement_off(self):
        for value in ("0", "", '""'):
            with self.subTest(value=value):
                e = self.env_file("# AUTO_RETIREMENT=1\nAUTO_RETIREMENT=%s\n" % value)
                p = self.import_(self.src, "--env-file", e, "--init", "systemd")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn("systemd = ", p.stdout)

    def test_packaged_default_file_is_all_comments(self):
        e = self.env_file("# OTHER_OPTS=-v\n# AUTO_RETIREMENT=1\n")
        p = self.import_(self.src, "--env-file", e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("log_level", p.stdout)

    def test_other_opts(self):
        e = self.env_file('OTHER_OPTS="-verbose=true --role a:b,c:d -root=%s/r -apibase '
                          'http://127.0.0.1:9"\n' % self.tmp)
        p = self.import_(self.src, "--env-file", e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('log_level = "debug";', p.stdout)
        self.assertIn('roles = [ "a:b", "c:d" ];', p.stdout)
        self.assertIn('root = "%s/r";' % self.tmp, p.stdout)
        self.assertIn('apibase = "http://127.0.0.1:9";', p.stdout)

    def test_other_opts_naming_another_config(self):
        e = self.env_file("OTHER_OPTS=-conf /etc/other.conf -nosuchflag\n")
        p = self.import_(self.src, "--env-file", e)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:1: `OTHER_OPTS=-conf /etc/other.conf -nosuchflag`: not carried over: "
                      "OTHER_OPTS: the service ran mackerel-agent with -conf /etc/other.conf"
                      % e, p.stderr)
        self.assertIn("-nosuchflag is not a mackerel-agent flag", p.stderr)

    def test_root_with_the_id_file_wins(self):
        svc, conf = os.path.join(self.tmp, "svc"), os.path.join(self.tmp, "conf")
        os.makedirs(svc)
        os.makedirs(conf)
        src = self.write("r.toml", 'root = "%s"\n' % conf)
        e = self.env_file("ROOT=%s\n" % svc)
        p = self.import_(src, "--env-file", e)
        self.assertIn('root = "%s";' % svc, p.stdout)     # the service's --root
        with open(os.path.join(conf, "id"), "w") as f:
            f.write("4xyz")
        p = self.import_(src, "--env-file", e)
        self.assertIn('root = "%s";' % conf, p.stdout)    # where the id is
        self.assertIn("the host id file mackerel-agent used is there", unwrapped(p.stdout))

    def test_variables_reach_plugins(self):
        e = self.env_file("export MYSQL_PWD='p w'\nHTTPS_PROXY=http://proxy:8080\n"
                          "MACKEREL_PLUGIN_WORKDIR=/var/tmp/mk\nnot a line\n")
        src = self.write("p.toml", '[plugin.metrics.m]\ncommand = "m"\n'
                                   'env = { MYSQL_PWD = "own" }\n')
        p = self.import_(src, "--env-file", e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('MYSQL_PWD = "own";', p.stdout)          # the plugin's own wins
        self.assertIn('HTTPS_PROXY = "http://proxy:8080";', p.stdout)
        self.assertIn('workdir = "/var/tmp/mk";', p.stdout)
        self.assertIn('proxy = "http://proxy:8080";', p.stdout)
        self.assertIn("%s:4: not a NAME=value line; ignored" % e, unwrapped(p.stdout))

    def test_missing_env_file_given(self):
        p = self.import_(self.src, "--env-file", os.path.join(self.tmp, "nope"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("nope: cannot read", p.stderr)


class GivenToTheAgent(ImportCase):
    """run and configtest given mackerel-agent's TOML: one line that says so."""

    def test_toml_files(self):
        sample = os.path.join(UPSTREAM, "mackerel-agent.sample.conf")
        for path in (sample, os.path.join(UPSTREAM, "sample-config.toml"),
                     self.write("key-only.toml", 'apikey = "k"\nroot = "/var/lib/x"\n')):
            for cmd in ("configtest", "run", "once"):
                with self.subTest(path=path, cmd=cmd):
                    p = self.run_agent([cmd], config=path)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
                    self.assertIn("%s: this is a mackerel-agent config (TOML); convert it with "
                                  "`saba-agent import %s -o " % (path, path), p.stderr)
        p = self.run_agent(["-conf", sample, "configtest"], config=False)
        self.assertEqual(p.returncode, 1, p.stderr)    # mackerel-agent's command line

    def test_libconfig_without_semicolons_still_works(self):
        path = self.write("s.conf", 'apikey = "k"\nplugins = ( )\n')
        p = self.run_agent(["configtest"], config=path)
        self.assertIn("plugins", p.stderr)              # a libconfig error, not the hint
        self.assertNotIn("mackerel-agent", p.stderr)


class Takeover(ImportCase):
    """A host mackerel-agent registered stays the host: after import, the id
    file in mackerel-agent's root is used, and without one the EC2
    instance's customIdentifier finds the host.  No POST /api/v0/hosts."""

    def setUp(self):
        super().setUp()
        from fakeimds import INSTANCE_ID, FakeImds
        self.ci = INSTANCE_ID + ".ec2.amazonaws.com"
        self.start_api()
        self.imds = FakeImds().start()
        self.addCleanup(self.imds.stop)
        self.mkroot = os.path.join(self.tmp, "var-lib-mackerel-agent")
        os.makedirs(self.mkroot)
        self.plugin_dir(*(BUILTINS + ("ec2",)))

    def imported_agent(self):
        src = self.write("mackerel-agent.conf", "\n".join([
            'apikey = "%s"' % self.api.api_key,
            'apibase = "%s"' % self.api.url,
            'root = "%s"' % self.mkroot,
            'cloud_platform = "ec2"',
            '[host_status]', 'on_start = "working"',
        ]) + "\n")
        out = os.path.join(self.tmp, "saba-agent.conf")
        p = self.import_(src, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "a") as f:
            f.write("interval = 1;\n")     # not a minute: the test's time
        env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.imds.url}
        return self.start_agent(["--plugin-dir", self._plugin_dir, "run"], config=out, env=env)

    def assertTakenOver(self, host_id, agent):
        self.id_path = os.path.join(self.mkroot, "id")
        self.assertEqual(self.wait_registered(agent), host_id)
        self.wait_points("loadavg1", agent=agent, timeout=30)
        self.assertEqual(self.api.requests(route="create_host"), [], "a second host")
        self.assertEqual({p["hostId"] for p in self.api.points()}, {host_id})
        self.assertEqual(self.read_id(), host_id)
        self.stop_agent(agent)
        self.assertEqual(len(self.api.hosts()), 2)

    def test_id_file_in_mackerel_agents_root(self):
        host_id = self.api.add_host(name="registered-by-mackerel-agent",
                                    custom_identifier=self.ci)
        self.api.add_host(name="another", custom_identifier="i-0ffff.ec2.amazonaws.com")
        with open(os.path.join(self.mkroot, "id"), "w") as f:
            f.write(host_id)
        a = self.imported_agent()
        self.assertTakenOver(host_id, a)
        self.assertTrue(self.api.requests(path="/api/v0/hosts/%s" % host_id, method="GET"))

    def test_custom_identifier_of_the_ec2_instance(self):
        host_id = self.api.add_host(name="registered-by-mackerel-agent",
                                    custom_identifier=self.ci)
        self.api.add_host(name="another", custom_identifier="i-0ffff.ec2.amazonaws.com")
        a = self.imported_agent()
        self.assertTakenOver(host_id, a)
        finds = self.api.requests(route="find_hosts")
        self.assertEqual(finds[0].query.get("customIdentifier"), [self.ci])


if __name__ == "__main__":
    harness.main()
