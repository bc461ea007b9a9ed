#!/usr/bin/env python3
"""Where a registration carries its token (registration.token), and what
the agent does when the API keeps, drops or refuses it: against the strict
fake API (400 to any field or meta key the API does not document) a fresh
agent registers exactly one host, posts metrics, and a restart keeps it."""

import json
import os
import re

import harness
from harness import AgentTestCase, scaled

TOKEN_CI = re.compile(r"^saba-registration-[0-9a-f]{32}$")
REFUSED_LINE = r"with the registration token in (meta|customIdentifier); registering without it"


class Registration(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.plugin_dir("loadavg", "good")

    def config(self, token=None, ci=None, **kw):
        plugins = {"loadavg": {}}
        if ci is not None:
            plugins["t"] = {"module": "good", "custom_identifier": ci}
        kw.setdefault("http", {"timeout": 1})
        return self.write_config(plugins=plugins,
                                 registration={"token": token} if token else None, **kw)

    def register_and_restart(self, refused=0):
        """Register, post metrics, stop; start again: the same host.
        refused: how many requests the strict API may refuse.  Returns
        (host id, the first run's stderr)."""
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        pts = self.wait_points("loadavg1", agent=a)
        self.assertEqual(pts[0]["hostId"], host_id)
        self.stop_agent(a)
        posts = len(self.api.requests(route="create_host"))
        b = self.start_agent(["run"])
        n = len(self.api.points_named("loadavg1"))
        pts = self.wait_points("loadavg1", n + 1, agent=b)
        self.stop_agent(b)
        self.assertEqual(self.read_id(), host_id)
        self.assertEqual({p["hostId"] for p in pts}, {host_id})
        self.assertEqual(len(self.api.requests(route="create_host")), posts,
                         "the restart registered again")
        self.assertEqual([h["id"] for h in self.api.hosts()], [host_id])
        self.assertEqual(len(self.api.violations()), refused, self.api.violations())
        return host_id, a.stderr()

    def test_strict_api_each_token_setting(self):
        """Every setting registers exactly one host against an API that
        refuses what it does not document; only meta needs the retry."""
        for token in ("custom_identifier", "meta", "none"):
            with self.subTest(token=token):
                self.start_api(strict=True)
                for f in os.listdir(self.root):
                    os.unlink(os.path.join(self.root, f))
                self.config(token)
                host_id, err = self.register_and_restart(refused=token == "meta")
                posts = self.api.requests(route="create_host")
                refused = [r for r in posts if r.response_status == 400]
                if token == "meta":
                    # refused once, then at once without it; one line says so
                    self.assertEqual(len(posts), 2, posts)
                    self.assertRegex(self.api.violations()[0],
                                     r"body\.meta: unknown field 'saba-registration'")
                    self.assertIn("saba-registration", posts[0].body["meta"])
                    self.assertNotIn("saba-registration", posts[1].body["meta"])
                    self.assertLess(posts[1].time - posts[0].time, 1.0)
                    self.assertEqual(len(re.findall(REFUSED_LINE, err)), 1, err)
                else:
                    self.assertEqual((len(posts), refused), (1, []))
                    self.assertNotRegex(err, REFUSED_LINE)
                ci = posts[0].body.get("customIdentifier")
                if token == "custom_identifier":
                    self.assertRegex(ci, TOKEN_CI)
                    # the first spec PUT clears it ("" sets null)
                    put = self.api.requests(route="update_host")[0]
                    self.assertEqual(put.body.get("customIdentifier"), "")
                    self.assertEqual(len([r for r in self.api.requests(route="update_host")
                                          if "customIdentifier" in r.body]), 1)
                else:
                    self.assertIsNone(ci)
                self.assertIsNone(self.api.host(host_id)["customIdentifier"])
                self.assertNotIn("saba-registration", self.api.host(host_id)["meta"])
                self.assertFalse(os.path.exists(self.id_path + ".pending"))
                self.api.stop()

    def test_refused_token_is_remembered(self):
        """A 400 to the POST with the token: the same POST without it at
        once, and no later POST of the process carries it again."""
        self.start_api()
        self.config()
        self.api.add_fault("create_host", "status", status=400, count=1)
        self.api.add_fault("create_host", "status", status=503, count=1)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a, timeout=20)
        self.stop_agent(a)
        posts = self.api.requests(route="create_host")
        self.assertEqual([r.response_status for r in posts], [400, 503, 200])
        self.assertRegex(posts[0].body["customIdentifier"], TOKEN_CI)
        for r in posts[1:]:
            self.assertNotIn("customIdentifier", r.body)
            self.assertNotIn("saba-registration", r.body["meta"])
        self.assertEqual(len(re.findall(REFUSED_LINE, a.stderr())), 1, a.stderr())
        self.assertRegex(a.stderr(), r"HTTP 400")
        # no token on the host: nothing to clear
        self.assertNotIn("customIdentifier", self.api.requests(route="update_host")[0].body)
        self.assertEqual([h["id"] for h in self.api.hosts()], [host_id])

    def test_refusal_without_token_is_an_error(self):
        # the same 400 to the POST without the token: the API refuses the
        # host itself, a fatal error; never a third try
        self.start_api()
        self.config()
        self.api.set_fault("create_host", "status", status=400)
        p = self.run_agent(["run"], timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot register this host", p.stderr)
        self.assertEqual(len(self.api.requests(route="create_host")), 2)
        self.assertEqual(self.read_id(), None)

    def test_cloud_identifier_wins(self):
        # whatever registration.token says, a plugin's customIdentifier is
        # the key: no token anywhere, the lookup after a lost answer goes by it
        ci = "i-0123.ec2.amazonaws.com"
        for token in ("custom_identifier", "meta", "none"):
            with self.subTest(token=token):
                self.start_api(strict=True)
                for f in os.listdir(self.root):
                    os.unlink(os.path.join(self.root, f))
                self.config(token, ci=ci)
                self.api.set_fault("create_host", "lost", count=1)
                a = self.start_agent(["run"])
                host_id = self.wait_registered(a, timeout=20)
                self.stop_agent(a)
                posts = self.api.requests(route="create_host")
                self.assertEqual(len(posts), 1)
                self.assertEqual(posts[0].body["customIdentifier"], ci)
                self.assertNotIn("saba-registration", posts[0].body["meta"])
                finds = self.api.requests(route="find_hosts")
                self.assertEqual({f.query["customIdentifier"][0] for f in finds}, {ci})
                self.assertIn("whose answer never arrived", a.stderr())
                self.assertEqual(self.api.host(host_id)["customIdentifier"], ci)
                for put in self.api.requests(route="update_host"):
                    self.assertEqual(put.body["customIdentifier"], ci)
                self.assertEqual(self.api.violations(), [])
                self.api.stop()

    def test_lost_answer_strict_api(self):
        # the documented customIdentifier finds the host whose answer was
        # lost, on an API that refuses undocumented fields
        self.start_api(strict=True)
        self.config()
        self.api.set_fault("create_host", "lost", count=1)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a, timeout=20)
        self.stop_agent(a)
        self.assertEqual(len(self.api.requests(route="create_host")), 1)
        self.assertIn("whose answer never arrived", a.stderr())
        find = self.api.requests(route="find_hosts")[0]
        self.assertRegex(find.query["customIdentifier"][0], TOKEN_CI)
        self.assertEqual([h["id"] for h in self.api.hosts()], [host_id])
        self.assertIsNone(self.api.host(host_id)["customIdentifier"])
        self.assertEqual(self.api.violations(), [])

    def test_leftover_token_is_cleared_at_start(self):
        # killed between the id file and the first spec PUT: the host still
        # carries the token; it is this machine's, and the PUT clears it
        self.start_api(strict=True)
        host_id = self.api.add_host(name=os.uname().nodename,
                                    custom_identifier="saba-registration-" + "ab" * 16)
        self.write_id(host_id)
        self.config()
        a = self.start_agent(["run"])
        self.wait_points("loadavg1", agent=a)
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="create_host"), [])
        puts = self.api.requests(route="update_host")
        self.assertEqual(puts[0].body.get("customIdentifier"), "")
        self.assertIsNone(self.api.host(host_id)["customIdentifier"])
        self.assertRegex(a.stderr(), r"still carries its registration token")

    def test_pending_record_of_an_older_agent(self):
        # id.pending without "via" was written by a saba-agent that sent
        # the token in meta: the host it may have created is looked up by
        # name and that token, whatever registration.token says now
        self.start_api()
        token = "0123456789abcdef" * 2
        mine = self.api.add_host(name=os.uname().nodename,
                                 meta={"saba-registration": token})
        self.api.add_host(name=os.uname().nodename, meta={"saba-registration": "f" * 32})
        with open(self.id_path + ".pending", "w") as f:
            json.dump({"token": token, "name": os.uname().nodename, "since": 1}, f)
        self.config()
        a = self.start_agent(["run"])
        self.assertEqual(self.wait_registered(a), mine)
        self.stop_agent(a)
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(self.api.requests(route="find_hosts")[0].query["name"],
                         [os.uname().nodename])

    def test_bad_token_setting(self):
        self.start_api()
        path = self.config("machine-id")
        p = self.run_agent(["configtest"], timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, r"%s:\d+: registration\.token must be "
                                   r"\"custom_identifier\", \"meta\" or \"none\""
                         % re.escape(path))


if __name__ == "__main__":
    harness.main()
