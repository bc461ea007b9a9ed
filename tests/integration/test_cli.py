#!/usr/bin/env python3
"""Command-line contract: --help/--version, version, configtest, has-apikey, plugins,
once and run --dry-run.  None of these may contact the API (except that the
fake API is listening to catch any request)."""

import json
import os
import re
import time

import harness
from harness import API_KEY, AgentTestCase, scaled


def lineno(text, needle):
    """1-based number of the first line of text containing needle."""
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError("%r not in config text" % needle)


class HelpAndVersion(AgentTestCase):

    def test_help_lists_commands_and_options(self):
        p = self.run_agent(["--help"], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout + p.stderr
        for word in ("run", "once", "retire", "configtest", "has-apikey", "plugins", "version",
                     "--config", "--root", "--plugin-dir", "--verbose", "--quiet",
                     "--dry-run", "--force"):
            self.assertIn(word, out)

    def test_short_help(self):
        p = self.run_agent(["-h"], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("configtest", p.stdout + p.stderr)

    def test_version_option(self):
        p = self.run_agent(["--version"], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\d+\.\d+")

    def test_version_command_names_libraries(self):
        p = self.run_agent(["version"], config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"saba-agent\S*\s+v?\d+\.\d+")
        for lib in ("libcurl", "jansson", "libconfig"):
            self.assertRegex(p.stdout, r"(?i)%s\D{0,20}\d+\.\d+" % lib)

    def test_unknown_command_is_usage_error(self):
        p = self.run_agent(["frobnicate"], config=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("frobnicate", p.stderr)

    def test_unknown_option_is_usage_error(self):
        p = self.run_agent(["--no-such-option", "version"], config=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertTrue(p.stderr.strip())

    def test_missing_config_file_is_config_error(self):
        missing = os.path.join(self.tmp, "does-not-exist.conf")
        p = self.run_agent(["-c", missing, "configtest"], config=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(missing, p.stderr)


class HasApikey(AgentTestCase):
    """has-apikey: the unit's ExecCondition= and the init script's start
    ask it, so only "surely no key" may answer 1."""

    def setUp(self):
        super().setUp()
        self.api = self.start_api()

    def tearDown(self):
        self.assertEqual(self.api.requests(), [])

    def has_apikey(self, env=None, **settings):
        self.write_config(**settings)
        return self.run_agent(["has-apikey"], env=env)

    def test_key_in_config(self):
        p = self.has_apikey()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")

    def test_key_in_apikey_file(self):
        path = os.path.join(self.tmp, "apikey")
        with open(path, "w") as f:
            f.write(API_KEY + "\n")
        p = self.has_apikey(apikey=None, apikey_file=path)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_key_in_environment(self):
        p = self.has_apikey(apikey=None, env={"SABA_AGENT_APIKEY": API_KEY})
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_no_key_says_so(self):
        p = self.has_apikey(apikey=None)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s: no API key" % self.config_path, p.stderr)
        self.assertIn("SABA_AGENT_APIKEY", p.stderr)

    def test_empty_key_is_no_key(self):
        p = self.has_apikey(apikey="", env={"SABA_AGENT_APIKEY": ""})
        self.assertEqual(p.returncode, 1, p.stderr)

    def test_broken_config_lets_the_start_fail(self):
        # A start must report the problem, not be skipped as "no key".
        self.write_config_text('interval = 1;\nfrobnicate = true;\n')
        p = self.run_agent(["has-apikey"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("frobnicate", p.stderr)
        p = self.run_agent(["run"])
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_unreadable_apikey_file_lets_the_start_fail(self):
        p = self.has_apikey(apikey=None, apikey_file=os.path.join(self.tmp, "nope"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nope", p.stderr)


class ConfigTest(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.api = self.start_api()

    def tearDown(self):
        # configtest never talks to the API
        self.assertEqual(self.api.requests(), [])

    def configtest(self, text=None, **settings):
        if text is not None:
            path = self.write_config_text(text)
        else:
            path = self.write_config(**settings)
        return path, self.run_agent(["configtest"])

    def assertProblem(self, p, path, line, *words):
        self.assertEqual(p.returncode, 2, "stdout:%s\nstderr:%s" % (p.stdout, p.stderr))
        rx = r"%s:%s:" % (re.escape(path), line if line is not None else r"\d+")
        self.assertRegex(p.stderr, rx)
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertNotIn("OK:", p.stdout)

    def base_text(self):
        return ('apikey = "%s";\napibase = "%s";\nroot = "%s";\nplugin_dir = "%s";\n'
                % (API_KEY, self.api.url, self.root, self.plugin_dir("loadavg", "memory",
                                                                     "good")))

    def test_ok(self):
        self.plugin_dir("loadavg", "memory", "good")
        path, p = self.configtest(display_name="web-01", roles=["svc:app"],
                                  host_status={"on_start": "working", "on_stop": "poweroff"},
                                  queue={"max_age": 21600},
                                  plugins={"loadavg": {}, "memory": {},
                                           "t": {"module": "good", "value": 7.0}})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OK: %s" % path, p.stdout)

    def test_syntax_error(self):
        text = self.base_text() + "interval = 1;\ndisplay_name = \"x\"\nroles = [ \"a:b\" ;\n"
        path, p = self.configtest(text)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"%s:(%d|%d):" % (re.escape(path),
                                                     lineno(text, "display_name"),
                                                     lineno(text, "roles")))

    def test_unknown_top_level_key(self):
        text = self.base_text() + "interval = 1;\nfrobnicate = true;\nplugins = { loadavg = {}; };\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "frobnicate"), "frobnicate")

    def test_every_problem_is_reported(self):
        text = (self.base_text() + "bogus_one = 1;\ninterval = 1;\nbogus_two = 2;\n"
                "plugins = { loadavg = {}; };\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "bogus_one"), "bogus_one")
        self.assertProblem(p, path, lineno(text, "bogus_two"), "bogus_two")

    def test_unknown_plugin_key(self):
        text = (self.base_text() + "interval = 1;\nplugins = {\n  loadavg = {};\n"
                "  t = { module = \"good\"; value = 1.0; no_such_key = 3; };\n};\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "no_such_key"), "no_such_key")

    def test_bad_regex_names_line_and_offset(self):
        """A pattern PCRE2 refuses: FILE:LINE of the setting and the offset;
        RE2 syntax (\\d, (?i)) is accepted."""
        self.plugin_dir("disk", "interface")
        text = ('apikey = "%s";\napibase = "%s";\nroot = "%s";\nplugin_dir = "%s";\n'
                'plugins = {\n  disk = { ignore = "(?i)^LOOP\\\\d+$"; };\n'
                '  interface = {\n    ignore = "^(docker|br-";\n  };\n};\n'
                % (API_KEY, self.api.url, self.root, self._plugin_dir))
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "br-"), "ignore", "at offset 12")
        self.assertEqual(len(re.findall(r"%s:\d+:" % re.escape(path), p.stderr)), 1, p.stderr)

    def test_unknown_key_of_builtin_plugin(self):
        text = self.base_text() + "interval = 1;\nplugins = {\n  loadavg = { nonsense = true; };\n};\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "nonsense"), "nonsense")

    def test_setting_out_of_range_is_one_line(self):
        # the plugin's declared settings: one FILE:LINE line naming the
        # key, the value and what is allowed, before the plugin runs
        self.plugin_dir("loadavg", "memory", "good", "ec2", "check")
        text = (self.base_text() + "interval = 1;\nplugins = {\n"
                "  ec2 = { imds_timeout = 0; cloud_platform = \"gce\"; };\n"
                "  c = { module = \"check\"; command = \"true\"; timeout_seconds = 0; };\n"
                "  loadavg = { procfs = \"\"; };\n};\n")
        path, p = self.configtest(text)
        for key, msg in (("imds_timeout", "imds_timeout = 0 is out of range (allowed: 1 to 60)"),
                         ("cloud_platform", 'cloud_platform = "gce" is not allowed (allowed: '
                                            '"auto", "ec2", "none")'),
                         ("timeout_seconds",
                          "timeout_seconds = 0 is out of range (allowed: 1 to 3600)"),
                         ("procfs", 'procfs = "" is not allowed (must not be empty)')):
            lines = [l for l in p.stderr.splitlines() if key in l]
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("%s:%d:" % (path, lineno(text, key)), lines[0])
            self.assertIn(msg, lines[0])
        self.assertProblem(p, path, lineno(text, "imds_timeout"))

    def test_durations_as_mackerel_agent_writes_them(self):
        # "1h30m" is 90 minutes; a duration that is not whole minutes is a
        # FILE:LINE error naming the value
        self.plugin_dir("loadavg", "memory", "check", "metadata")
        good = (self.base_text() + "interval = 1;\nplugins = {\n"
                "  c = { module = \"check\"; command = \"true\"; check_interval = \"5m\";\n"
                "        notification_interval = \"1h30m\"; timeout = \"1m30s\"; };\n"
                "  m = { module = \"metadata\"; command = \"true\";\n"
                "        execution_interval = \"1h\"; };\n};\n")
        path, p = self.configtest(good)
        self.assertEqual(p.returncode, 0, p.stderr)
        bad = good.replace('"1h30m"', '"90s"')
        path, p = self.configtest(bad)
        self.assertProblem(p, path, lineno(bad, "90s"),
                           'notification_interval = "90s": duration not multiple of 1m: 90s '
                           '(allowed: an integer of minutes or a duration of whole minutes '
                           'such as "1h30m", 0 to 2147483647)')

    def test_required_setting(self):
        self.plugin_dir("loadavg", "memory", "good", "exec")
        text = (self.base_text() + "interval = 1;\nplugins = {\n"
                "  e = { module = \"exec\"; timeout = 5; };\n};\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "module = \"exec\""), '"command" must be set')

    def test_missing_apikey_file(self):
        text = (self.base_text() + "interval = 1;\napikey_file = \"%s/nope\";\n"
                "plugins = { loadavg = {}; };\n" % self.tmp)
        text = text.replace('apikey = "%s";\n' % API_KEY, "")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "apikey_file"), "nope")

    def test_plugin_entry_not_a_group(self):
        text = self.base_text() + "interval = 1;\nplugins = {\n  loadavg = 1;\n};\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "loadavg = 1"), "loadavg")

    def test_interval_zero(self):
        text = self.base_text() + "interval = 0;\nplugins = { loadavg = {}; };\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "interval"), "interval")

    def test_interval_too_large(self):
        text = self.base_text() + "interval = 3601;\nplugins = { loadavg = {}; };\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "interval"), "interval")

    def test_interval_wrong_type(self):
        text = self.base_text() + "interval = \"60\";\nplugins = { loadavg = {}; };\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "interval"), "interval")

    def test_bad_host_status(self):
        text = (self.base_text() + "interval = 1;\nhost_status = {\n  on_start = \"dancing\";\n};\n"
                "plugins = { loadavg = {}; };\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "dancing"), "on_start")

    def test_missing_module(self):
        text = (self.base_text() + "interval = 1;\nplugins = {\n  loadavg = {};\n"
                "  mine = { module = \"nosuchmod\"; };\n};\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "nosuchmod"), "nosuchmod")

    def test_missing_module_named_by_key(self):
        text = self.base_text() + "interval = 1;\nplugins = {\n  nosuchplugin = {};\n};\n"
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "nosuchplugin"), "nosuchplugin")

    def test_plugin_value_of_wrong_type(self):
        text = (self.base_text() + "interval = 1;\nplugins = {\n"
                "  t = { module = \"good\"; value = \"seven\"; };\n};\n")
        path, p = self.configtest(text)
        self.assertProblem(p, path, lineno(text, "seven"))

    def _broken_plugin(self, module, *words):
        d = self.plugin_dir("loadavg", module)
        text = ('apikey = "%s";\napibase = "%s";\nroot = "%s";\nplugin_dir = "%s";\n'
                'interval = 1;\nplugins = {\n  loadavg = {};\n  broken = { module = "%s"; };\n};\n'
                % (API_KEY, self.api.url, self.root, d, module))
        path, p = self.configtest(text)
        self.assertEqual(p.returncode, 2, "stdout:%s\nstderr:%s" % (p.stdout, p.stderr))
        self.assertNotIn("OK:", p.stdout)
        for w in words:
            self.assertRegex(p.stderr, w)
        return p

    def test_plugin_with_wrong_abi_major(self):
        p = self._broken_plugin("bad_major", r"bad_major", r"(?i)(abi|major)")
        # both numbers are named: ours (1) and the plugin's
        self.assertRegex(p.stderr, r"\b1\b")
        self.assertRegex(p.stderr, r"\b(?!1\b)\d+\b")

    def test_plugin_without_entry_symbol(self):
        self._broken_plugin("no_entry", r"no_entry", r"(?i)(saba_plugin_entry|entry)")

    def test_plugin_with_short_descriptor_is_accepted(self):
        # an older, shorter descriptor (minor 0 layout) is valid: missing
        # members are "not implemented"
        d = self.plugin_dir("loadavg", "short_struct")
        path, p = self.configtest(plugins={"loadavg": {}, "s": {"module": "short_struct"}})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OK: %s" % path, p.stdout)

    def test_plugin_whose_create_fails(self):
        # named by instance, with the config file and the instance's line
        p = self._broken_plugin("create_fails", r"broken")
        self.assertRegex(p.stderr, r"%s:8:" % re.escape(self.config_path))

    def test_group_writable_plugin_refused(self):
        d = self.plugin_dir("loadavg")
        os.chmod(os.path.join(d, "loadavg.so"), 0o664)
        path, p = self.configtest(plugins={"loadavg": {}})
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(os.path.join(d, "loadavg.so"), p.stderr)
        self.assertRegex(p.stderr, r"(?i)writ")

    def test_symlinked_plugin_refused(self):
        d = self.plugin_dir("loadavg")
        real = os.path.join(self.tmp, "real-loadavg.so")
        os.rename(os.path.join(d, "loadavg.so"), real)
        os.symlink(real, os.path.join(d, "loadavg.so"))
        path, p = self.configtest(plugins={"loadavg": {}})
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(os.path.join(d, "loadavg.so"), p.stderr)

    def test_plugin_dir_option_overrides_config(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        d = self.plugin_dir("loadavg")
        path = self.write_config(plugin_dir=empty, plugins={"loadavg": {}})
        p = self.run_agent(["configtest"])
        self.assertEqual(p.returncode, 2, "a missing loadavg.so must fail configtest")
        p = self.run_agent(["--plugin-dir", d, "configtest"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OK: %s" % path, p.stdout)


class PluginsCommand(AgentTestCase):

    def test_lists_plugins_with_capabilities_and_state(self):
        api = self.start_api()
        d = self.plugin_dir("loadavg", "memory", "good", "trigger")
        self.write_config(plugins={"loadavg": {}, "t": {"module": "good"}})
        p = self.run_agent(["plugins"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        lines = {}
        for name in ("loadavg", "memory", "good", "trigger"):
            self.assertIn(os.path.join(d, name + ".so"), out)
            ls = [l for l in out.split("\n") if re.search(r"\b%s\b" % name, l)]
            self.assertTrue(ls, "%s not listed:\n%s" % (name, out))
            lines[name] = ls
        # the ABI the plugins were built with: the header's major.minor
        with open(os.path.join(harness.SRCDIR, "include", "saba", "plugin.h")) as f:
            hdr = f.read()
        abi = "%s.%s" % (re.search(r"ABI_MAJOR (\d+)", hdr).group(1),
                         re.search(r"ABI_MINOR (\d+)", hdr).group(1))
        self.assertRegex(out, r"\b%s\b" % re.escape(abi), "ABI version not shown")
        # enabled (loadavg, good) and disabled (memory, trigger) must be told apart
        blob = {n: " ".join(ls) for n, ls in lines.items()}

        def state(n):
            return re.sub(r"\S*%s\S*" % n, "", blob[n])
        self.assertNotEqual(state("loadavg"), state("memory"), out)
        self.assertEqual(api.requests(), [])


    def test_plugin_in_full_with_its_settings(self):
        self.start_api()
        self.plugin_dir("ec2", "good")
        self.write_config(plugins={})
        p = self.run_agent(["plugins", "ec2", "good"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertRegex(out, r"(?m)^ec2 \S+ \(plugin ABI \d+\.\d+\): ")
        # each setting: what it allows and its default, then its description
        self.assertRegex(out, r"(?m)^  imds_timeout +an integer, 1 to 60; default 2$")
        self.assertRegex(out, r"(?m)^ +seconds per IMDS request$")
        self.assertRegex(out, r'(?m)^  cloud_platform +a string, one of "auto", "ec2", "none"; '
                              r'default "auto"$')
        self.assertRegex(out, r"(?m)^  sweep +true or false; default false$")
        # a plugin with config_keys only (ABI before 1.3): types, no defaults
        self.assertRegex(out, r"(?m)^good ")
        p = self.run_agent(["plugins", "nosuch"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuch", p.stderr)

    def test_lists_unusable_plugins_with_the_reason(self):
        self.start_api()
        d = self.plugin_dir("loadavg", "bad_major", "no_entry")
        self.write_config(plugins={"loadavg": {}})
        p = self.run_agent(["plugins"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout + p.stderr
        bad = [l for l in out.split("\n") if "bad_major" in l]
        self.assertTrue(bad, out)
        self.assertRegex(" ".join(bad), r"\b2\b.*\b1\b|\b1\b.*\b2\b")
        noent = [l for l in out.split("\n") if "no_entry" in l]
        self.assertTrue(noent, out)
        self.assertRegex(" ".join(noent), r"(?i)entry")


class Logging(AgentTestCase):

    def run_briefly(self, *opts, env=None):
        self.plugin_dir("good")
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(list(opts) + ["run"], env=env)
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.stop_agent(a)
        return a.stderr()

    def test_quiet_logs_errors_only(self):
        self.start_api()
        err = self.run_briefly("-q")
        # registration notices and the per-tick NaN warnings are not errors
        self.assertEqual(err.strip(), "")

    def test_verbose_logs_more_than_default(self):
        self.start_api()
        default = self.run_briefly()
        self.assertTrue(default.strip())
        os.unlink(self.id_path)             # the same path again: a new host
        verbose = self.run_briefly("-v")
        self.assertGreater(len(verbose.splitlines()), len(default.splitlines()))
        self.assertKeyNotLeaked(verbose)

    def test_journal_stream_gives_priority_prefixes(self):
        self.start_api()
        err = self.run_briefly(env={"JOURNAL_STREAM": "8:12345"})
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertTrue(lines)
        for l in lines:
            self.assertRegex(l, r"^<[0-7]>")
            self.assertNotRegex(l, r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")

    def test_default_log_lines_have_timestamps(self):
        self.start_api()
        err = self.run_briefly()
        for l in [l for l in err.splitlines() if l.strip()]:
            self.assertRegex(l, r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")


class RunWithBadConfig(AgentTestCase):

    def test_run_with_unknown_key_exits_2_without_network(self):
        self.start_api()
        self.plugin_dir("loadavg")
        text = ('apikey = "%s";\napibase = "%s";\nroot = "%s";\nplugin_dir = "%s";\n'
                'interval = 1;\nbogus = 1;\nplugins = { loadavg = {}; };\n'
                % (API_KEY, self.api.url, self.root, self._plugin_dir))
        path = self.write_config_text(text)
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"%s:6:" % re.escape(path))
        self.assertEqual(self.api.requests(), [])
        self.assertIsNone(self.read_id())

    def test_once_with_broken_plugin_exits_2(self):
        self.plugin_dir("loadavg", "create_fails")
        self.write_config(plugins={"loadavg": {}, "x": {"module": "create_fails"}})
        p = self.run_agent(["once"], timeout=20)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"%s:\d+:" % re.escape(self.config_path))


class Once(AgentTestCase):

    def once(self, **settings):
        self.api = self.start_api()
        self.plugin_dir("loadavg", "memory", "good")
        settings.setdefault("plugins", {"loadavg": {}, "memory": {},
                                        "t": {"module": "good", "value": 7.0}})
        self.write_config(apikey=None, **settings)
        p = self.run_agent(["once"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.api.requests(), [], "once must not use the network")
        try:
            doc = json.loads(p.stdout)
        except ValueError as e:
            self.fail("once did not print one JSON document: %s\n%s" % (e, p.stdout[:2000]))
        self.assertIsNone(self.read_id(), "once must not write the id file")
        return doc, p

    def test_once_prints_host_and_metrics(self):
        t0 = time.time()
        doc, p = self.once()
        self.assertEqual(sorted(doc), ["host", "metrics"])
        host = doc["host"]
        self.assertEqual(host["name"], os.uname().nodename)
        meta = host["meta"]
        self.assertTrue(meta["agent-name"].startswith("saba-agent/"), meta["agent-name"])
        self.assertRegex(meta["agent-version"], r"^\d+\.\d+")
        self.assertEqual(meta["kernel"]["name"], os.uname().sysname)
        self.assertEqual(meta["kernel"]["release"], os.uname().release)
        self.assertEqual(meta["kernel"]["machine"], os.uname().machine)
        self.assertRegex(meta["memory"]["total"], r"^\d+kB$")
        self.assertEqual(meta["memory"]["total"], "%dkB" % harness.meminfo()["MemTotal"])
        self.assertIsInstance(host["roleFullnames"], list)
        self.assertIn("interfaces", host)
        self.assertNotIn("customIdentifier", host)
        self.assertNotIn("displayName", host)
        metrics = doc["metrics"]
        names = {m["name"] for m in metrics}
        for n in ("loadavg1", "loadavg5", "loadavg15", "memory.total", "memory.used",
                  "memory.swap_total", "memory.swap_free", "test.good"):
            self.assertIn(n, names)
        self.assertNotIn("test.nan", names)
        for m in metrics:
            self.assertEqual(sorted(m), ["name", "time", "value"])
            self.assertIsInstance(m["time"], int)
            self.assertIsInstance(m["value"], (int, float))
            self.assertLessEqual(abs(m["time"] - t0), scaled(30))
        good = [m for m in metrics if m["name"] == "test.good"]
        self.assertEqual(len(good), 1)
        self.assertEqual(good[0]["value"], 7.0)
        mem = {m["name"]: m["value"] for m in metrics if m["name"].startswith("memory.")}
        self.assertEqual(mem["memory.total"], harness.meminfo()["MemTotal"] * 1024)

    def test_once_host_spec_settings(self):
        doc, p = self.once(display_name='web "01" \u00e9\\', roles=["svc:app", "svc:db"],
                           plugins={"loadavg": {},
                                    "t": {"module": "good", "custom_identifier": "ci-once-1"}})
        host = doc["host"]
        self.assertEqual(host["displayName"], 'web "01" \u00e9\\')
        self.assertEqual(host["roleFullnames"], ["svc:app", "svc:db"])
        self.assertEqual(host["customIdentifier"], "ci-once-1")
        self.assertIn("test.good", {m["name"] for m in doc["metrics"]})

    def test_once_host_is_the_registration_body(self):
        doc, p = self.once(display_name="web-01", roles=["svc:app"])
        # now register for real with the same config (apikey back in)
        self.write_config(display_name="web-01", roles=["svc:app"],
                          plugins={"loadavg": {}, "memory": {},
                                   "t": {"module": "good", "value": 7.0}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.stop_agent(a)
        body = self.api.requests(route="create_host")[0].body
        host = doc["host"]
        # the POST adds only the registration token, as its customIdentifier
        # (core/register.c)
        token = body.pop("customIdentifier", None)
        self.assertRegex(token or "", r"^saba-registration-[0-9a-f]{32}$")
        self.assertEqual(sorted(host), sorted(body))
        self.assertEqual(sorted(host["meta"]), sorted(body["meta"]))
        for k in ("name", "displayName", "roleFullnames", "interfaces", "checks"):
            self.assertEqual(host.get(k), body.get(k), k)
        self.assertEqual(host["meta"]["kernel"], body["meta"]["kernel"])
        self.assertEqual(sorted(host["meta"]["memory"]), sorted(body["meta"]["memory"]))

    def test_once_interfaces_match_the_system(self):
        import shutil
        import subprocess
        ip = shutil.which("ip")
        if ip is None:
            self.skipTest("no ip command")
        try:
            links = json.loads(subprocess.run([ip, "-j", "addr"], capture_output=True,
                                              timeout=10).stdout)
        except ValueError:
            self.skipTest("ip -j not supported")
        doc, p = self.once()
        got = {i["name"]: i for i in doc["host"]["interfaces"] or []}
        want = {}
        for l in links:
            v4 = [a["local"] for a in l.get("addr_info", []) if a.get("family") == "inet"
                  and not a["local"].startswith("127.")]
            v6 = [a["local"] for a in l.get("addr_info", []) if a.get("family") == "inet6"
                  and a["local"] != "::1"]
            if v4 or v6:
                want[l["ifname"]] = (l.get("address"), sorted(v4), sorted(v6))
        self.assertEqual(sorted(got), sorted(want))
        for name, (mac, v4, v6) in want.items():
            self.assertEqual(sorted(got[name].get("ipv4Addresses", [])), v4, name)
            self.assertEqual(sorted(got[name].get("ipv6Addresses", [])), v6, name)
            if mac and mac != "00:00:00:00:00:00":
                self.assertEqual(got[name].get("macAddress"), mac.lower(), name)

    def test_once_with_short_descriptor_plugin(self):
        self.plugin_dir("short_struct")
        doc, p = self.once(plugins={"s": {"module": "short_struct"}})
        vals = [m["value"] for m in doc["metrics"] if m["name"] == "test.short"]
        self.assertEqual(vals, [1.0])

    def test_once_ignores_apikey_env_absence_and_dead_api(self):
        self.plugin_dir("loadavg")
        self.write_config(apikey=None, plugins={"loadavg": {}})   # apibase: closed port
        p = self.run_agent(["once"], timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        json.loads(p.stdout)


class DryRun(AgentTestCase):

    def test_dry_run_prints_requests_and_sends_nothing(self):
        api = self.start_api()
        self.plugin_dir("loadavg", "memory", "good")
        self.write_config(apikey=None, plugins={"loadavg": {}, "memory": {},
                                                "t": {"module": "good"}})
        a = self.start_agent(["run", "--dry-run"])

        def tsdb_lines():
            try:
                return [l for l in a.stdout_json_lines() if l.get("path") == "/api/v0/tsdb"]
            except ValueError:
                return None
        ok = api.wait_for(lambda: (tsdb_lines() and len(tsdb_lines()) >= 2) or not a.alive(),
                          scaled(10))
        ok = tsdb_lines() and len(tsdb_lines()) >= 2
        self.assertTrue(ok, "no tsdb lines on stdout:\n%s\nstderr:\n%s" % (a.stdout()[:2000],
                                                                         a.stderr()[-2000:]))
        self.stop_agent(a)
        lines = a.stdout_json_lines()
        for l in lines:
            self.assertIn(l.get("method"), ("GET", "POST", "PUT"), l)
            self.assertTrue(l.get("path", "").startswith("/api/v0/"), l)
            self.assertIn("body", l)
        paths = [(l["method"], l["path"]) for l in lines]
        self.assertIn(("POST", "/api/v0/hosts"), paths)
        tsdb = [l for l in lines if l["path"] == "/api/v0/tsdb"]
        self.assertEqual(tsdb[0]["method"], "POST")
        names = {pt["name"] for l in tsdb for pt in l["body"]}
        for n in ("loadavg1", "loadavg5", "loadavg15", "memory.total", "test.good"):
            self.assertIn(n, names)
        self.assertNotIn("test.nan", names)
        for l in tsdb:
            for pt in l["body"]:
                self.assertTrue({"hostId", "name", "time", "value"} <= set(pt), pt)
        self.assertEqual(api.requests(), [], "--dry-run sent requests")
        self.assertIsNone(self.read_id(), "--dry-run wrote the id file")
        self.assertKeyNotLeaked(a.stdout() + a.stderr())

    def test_dry_run_with_existing_id_keeps_it(self):
        api = self.start_api()
        self.plugin_dir("loadavg")
        self.write_id("hDRYRUN0001")
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["run", "--dry-run"])
        api.wait_for(lambda: "/api/v0/tsdb" in a.stdout() or not a.alive(), scaled(10))
        self.assertIn("/api/v0/tsdb", a.stdout(), a.stderr()[-2000:])
        self.stop_agent(a)
        self.assertEqual(api.requests(), [])
        self.assertEqual(self.read_id(), "hDRYRUN0001")
        self.assertKeyNotLeaked(a.stdout() + a.stderr())


if __name__ == "__main__":
    harness.main()
