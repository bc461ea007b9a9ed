#!/usr/bin/env python3
"""The agent against a misbehaving API: bad API key, garbage / HTML /
truncated answers, resets, hangs, an unreachable API; plus the secrecy of
the API key in logs."""

import os
import time

import harness
from harness import API_KEY, AgentTestCase, free_port, scaled

WRONG_KEY = "wrong-SECRET-key-4f9a1c77"


class BadKey(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg")

    def test_bad_api_key_fails_fast_without_leaking_it(self):
        self.write_config(apikey=WRONG_KEY, plugins={"loadavg": {}})
        p = self.run_agent(["-v", "run"], timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(p.elapsed, scaled(10), "a 403 must not be retried for long")
        self.assertRegex(p.stderr, r"(Authentication failed|403)")
        self.assertNotIn(WRONG_KEY, p.stderr + p.stdout)
        self.assertNotIn(WRONG_KEY[6:], p.stderr + p.stdout)
        self.assertIsNone(self.read_id())
        self.assertGreaterEqual(len(self.api.requests()), 1)
        self.assertEqual(self.api.requests(route="tsdb"), [])

    def test_bad_api_key_from_environment(self):
        self.write_config(apikey=API_KEY, plugins={"loadavg": {}})
        p = self.run_agent(["-v", "run"], env={"SABA_AGENT_APIKEY": WRONG_KEY}, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn(WRONG_KEY, p.stderr + p.stdout)
        self.assertEqual({r.header("X-Api-Key") for r in self.api.requests()}, {WRONG_KEY})

    def test_key_never_logged_in_verbose_run(self):
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["-v", "run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", 2, agent=a)
        self.api.set_fault("tsdb", "status", status=403, count=1)   # rotated key, once
        self.api.wait_for(lambda: self.api.requests(route="tsdb") and
                          any(r.response_status == 403 for r in self.api.requests(route="tsdb")),
                          scaled(5))
        time.sleep(1)
        self.stop_agent(a)
        self.assertTrue(a.stderr().strip(), "-v produced no log at all")
        self.assertKeyNotLeaked(a.stderr() + a.stdout())

    def test_missing_apikey_is_config_error(self):
        self.write_config(apikey=None, plugins={"loadavg": {}})
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"(?i)api ?key")
        self.assertEqual(self.api.requests(), [])

    def test_apikey_file(self):
        keyfile = os.path.join(self.tmp, "apikey")
        with open(keyfile, "w") as f:
            f.write(API_KEY + "\n")
        os.chmod(keyfile, 0o600)
        self.write_config(apikey=None, apikey_file=keyfile, plugins={"loadavg": {}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.stop_agent(a)
        self.assertEqual({r.header("X-Api-Key") for r in self.api.requests()}, {API_KEY})


class BrokenAnswers(AgentTestCase):
    """Registration against broken answers: a clear error or retries, never
    a crash, and SIGTERM always works."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg")

    def survive(self, route, mode, words, seed=False, **fault):
        if seed:
            host_id = self.api.add_host(name=os.uname().nodename)
            self.write_id(host_id)
        self.write_config(plugins={"loadavg": {}})
        f = self.api.set_fault(route, mode, **fault)
        a = self.start_agent(["run"])
        ok = self.api.wait_for(lambda: f.hits >= 1, scaled(10))
        self.assertTrue(ok, "the agent never reached %s\n%s" % (route, a.stderr()))
        rc = a.wait(4)
        if rc is None:                      # still retrying: SIGTERM must work
            rc, took = self.stop_agent(a, bound=5, expect_rc=None)
            self.assertIn(rc, (0, 1), a.stderr())
        else:
            self.assertEqual(rc, 1, a.stderr())
        err = a.stderr()
        self.assertNoCrash(rc, err)
        self.assertRegex(err, words)
        if not seed:
            self.assertIsNone(self.read_id(), "an id was saved from a broken answer")
        self.assertEqual(self.api.requests(route="tsdb"), [])
        self.assertKeyNotLeaked(err)
        return a, rc

    def test_garbage_json_on_registration(self):
        self.survive("create_host", "garbage", r"(?i)(json|pars|invalid|unexpected)")

    def test_truncated_json_on_registration(self):
        self.survive("create_host", "truncated", r"(?i)(json|pars|invalid|unexpected|truncat)")

    def test_short_body_on_registration(self):
        self.survive("create_host", "short", r"(?i)(transfer|closed|partial|short|receiv|error)")

    def test_html_500_on_registration(self):
        self.survive("create_host", "html", r"500")

    def test_reset_on_registration(self):
        self.survive("create_host", "reset", r"(?i)(reset|recv|receiv|empty|connection|network)")

    def test_garbage_json_on_host_lookup(self):
        self.survive("get_host", "garbage", r"(?i)(json|pars|invalid|unexpected)", seed=True)

    def test_answer_without_id(self):
        self.survive("create_host", "status", r"(?i)(id|invalid|unexpected)", status=200,
                     body={"success": True})

    def test_registration_recovers_after_server_errors(self):
        self.write_config(plugins={"loadavg": {}})
        self.api.set_fault("create_host", "status", status=503, count=2)
        a = self.start_agent(["run"])
        host_id = self.api.wait_for(lambda: self.read_id(), scaled(20))
        if host_id is None and not a.alive():
            # giving up on 5xx is allowed, but only with a clear message
            self.assertEqual(a.returncode, 1)
            self.assertRegex(a.stderr(), r"503")
            return
        self.assertTrue(host_id, a.stderr())
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="create_host")), 3)
        self.assertEqual(len(self.api.hosts()), 1)


class HungOrAbsentApi(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.plugin_dir("loadavg")

    def test_sigterm_while_registration_hangs(self):
        self.start_api()
        self.api.set_fault("create_host", "hang")
        self.write_config(plugins={"loadavg": {}}, http={"timeout": 30})
        a = self.start_agent(["run"])
        self.assertTrue(self.api.wait_requests(1, route="create_host", timeout=scaled(10)))
        time.sleep(0.5)
        rc, took = self.stop_agent(a, bound=5, expect_rc=None)
        self.assertNoCrash(rc, a.stderr())
        self.assertIn(rc, (0, 1))
        self.assertIsNone(self.read_id())

    def test_http_timeout_on_registration(self):
        self.start_api()
        self.api.set_fault("create_host", "hang", count=1)
        self.write_config(plugins={"loadavg": {}}, http={"timeout": 1})
        a = self.start_agent(["run"])
        # the first attempt times out after ~1 s; then retried (or a clear exit 1)
        ok = self.api.wait_for(lambda: self.read_id() or not a.alive(), scaled(15))
        self.assertTrue(ok, "still stuck on a hung request long after http.timeout\n"
                        + a.stderr())
        if a.alive():
            self.wait_points("loadavg1", agent=a)
            self.stop_agent(a)
        else:
            self.assertEqual(a.wait(1), 1)
            self.assertRegex(a.stderr(), r"(?i)(time|out)")

    def test_unreachable_api_at_start(self):
        self.write_config(plugins={"loadavg": {}})          # apibase: a closed port
        a = self.start_agent(["run"])
        rc = a.wait(scaled(3))
        if rc is None:
            rc, took = self.stop_agent(a, bound=5, expect_rc=None)
            self.assertIn(rc, (0, 1))
        else:
            self.assertEqual(rc, 1)
        self.assertNoCrash(rc, a.stderr())
        self.assertRegex(a.stderr(), r"(?i)(connect|refused|unreachable|network)")
        self.assertIsNone(self.read_id())

    def test_garbage_on_tsdb_keeps_running(self):
        self.start_api()
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.api.set_fault("tsdb", "garbage")
        self.assertTrue(self.api.wait_for(
            lambda: len([r for r in self.api.requests(route="tsdb") if r.fault]) >= 2,
            scaled(10)))
        self.assertTrue(a.alive())
        self.api.clear_faults()
        rc, took = self.stop_agent(a)
        self.assertNoCrash(rc, a.stderr())


class Transport(AgentTestCase):
    """Proxy (config and environment) and TLS verification."""

    def setUp(self):
        super().setUp()
        self.plugin_dir("loadavg")

    def via_proxy(self, how):
        # The fake API doubles as the proxy: a proxied request carries the
        # absolute URL of the apibase, here an unreachable port on 127.0.0.2.
        self.start_api()
        target = "http://127.0.0.2:%d" % free_port()
        env = {"NO_PROXY": None, "no_proxy": None}
        http = {"timeout": 2}
        if how == "config":
            http["proxy"] = self.api.url
        else:
            env["http_proxy"] = self.api.url
        self.write_config(apibase=target, http=http, plugins={"loadavg": {}})
        a = self.start_agent(["run"], env=env)
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)
        for r in self.api.requests():
            self.assertTrue(r.target.startswith(target + "/api/v0/"), r.target)

    def test_proxy_from_config(self):
        self.via_proxy("config")

    def test_proxy_from_environment(self):
        self.via_proxy("env")

    def test_tls_certificate_is_verified(self):
        cert, key = harness.make_cert(self.tmp)
        self.start_api(tls=(cert, key))
        self.write_config(plugins={"loadavg": {}})
        a = self.start_agent(["run"])
        rc = a.wait(scaled(3))
        if rc is None:
            rc, took = self.stop_agent(a, bound=5, expect_rc=None)
        self.assertNoCrash(rc, a.stderr())
        self.assertEqual(self.api.requests(), [], "talked HTTP over an unverified TLS link")
        self.assertIsNone(self.read_id())
        self.assertRegex(a.stderr(), r"(?i)(certificate|ssl|tls)")

    def test_tls_with_ca_file(self):
        cert, key = harness.make_cert(self.tmp)
        self.start_api(tls=(cert, key))
        self.write_config(plugins={"loadavg": {}}, http={"timeout": 2, "ca_file": cert})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)


if __name__ == "__main__":
    harness.main()
