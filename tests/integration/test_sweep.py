#!/usr/bin/env python3
"""The fleet sweeper in the real agent: an `ec2` instance with
cloud_platform = "none", sweep = true and two regions, against the fake
Mackerel API (tests/integration/fakeapi.py) and the fake EC2
(tests/plugins/ec2/fakeec2.js, every signature checked with aws4), both on 127.0.0.1:

- terminated and shutting-down instances retire their hosts exactly once;
  running, stopped, absent-within-grace and never-listed ones never do;
- an instance that disappears retires its host after absent_grace;
- a region with errors retires nothing until it answers again;
- wrong credentials (signatures the fake rejects) retire nothing;
- two sweepers at once retire each host exactly once;
- the agent stops promptly while a DescribeInstances hangs.

Skips (77) without node; fails when aws4 cannot be fetched.
"""

import os
import sys
import time

import harness
from cloudcase import CloudCase
from harness import scaled

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "plugins", "ec2"))

from fakeec2 import FakeEC2  # noqa: E402

AKID, SECRET = "AKIDSWEEPTEST000", "sweep-test/secret+key-not-real"
A, B = "eu-west-1", "us-east-1"


def iid(n):
    return "i-%017x" % n


class SweepCase(CloudCase):
    PLUGIN = "ec2"
    ENV_PREFIXES = ("AWS_",)
    secret = SECRET         # what the sweeper's environment says

    def setUp(self):
        super().setUp()
        self.start_api(retired_404=True)
        self.ec2 = FakeEC2(self.tmp).start()
        self.addCleanup(self.ec2.stop)
        self.ec2.credentials(AKID, SECRET)
        self.plugin_dir("ec2")

    def seed(self, hosts):
        """hosts: {name: (region or None, state or None)}; a host per name with
        customIdentifier <instance>.ec2.amazonaws.com, and the instance in
        the fake EC2 when region is given.  Returns {name: host id}."""
        ids = {}
        per_region = {}
        for n, (name, (region, state)) in enumerate(sorted(hosts.items())):
            instance = iid(0xa000 + n)
            ids[name] = self.api.add_host(name=name,
                                          custom_identifier=instance + ".ec2.amazonaws.com")
            self.instance_of = getattr(self, "instance_of", {})
            self.instance_of[name] = instance
            if region is not None:
                per_region.setdefault(region, {})[instance] = state
        for region, instances in per_region.items():
            self.ec2.instances(region, instances)
        return ids

    def sweep_settings(self, **kw):
        s = {"cloud_platform": "none", "sweep": True, "sweep_regions": [A, B],
             "sweep_interval": 1, "absent_grace": 3600, "ec2_endpoint": self.ec2.url,
             "ec2_timeout": 2}
        s.update(kw)
        return s

    def agent_env(self):
        e = super().agent_env()
        e.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": self.secret})
        return e

    def start_sweeper(self, root=None, secret=SECRET, **kw):
        self.secret = secret
        return super().start_sweeper(root=root, **kw)


class Decisions(SweepCase):

    def test_states_and_absence(self):
        ids = self.seed({
            "term": (A, "terminated"), "shut": (B, "shutting-down"), "run": (A, "running"),
            "stopped": (B, "stopped"), "stopping": (A, "stopping"), "pending": (B, "pending"),
            "never": (None, None),
        })
        self.api.add_host(name="plain")                       # no customIdentifier
        self.api.add_host(name="gce", custom_identifier="123.gce.cloud.google.com")
        a = self.start_sweeper()
        self.wait_sweeps(a, 3)
        self.assertEqual(self.retired_ids(), sorted([ids["term"], ids["shut"]]))
        counts = self.api.retire_counts()
        self.assertEqual(counts[ids["term"]], (1, 1))
        self.assertEqual(counts[ids["shut"]], (1, 1))
        # the evidence is logged with the retirement
        err = a.stderr()
        self.assertRegex(err, r"retir\w+ host %s .*%s.*terminated" % (
            ids["term"], self.instance_of["term"]))
        self.assertRegex(err, r"%s.*%s.*shutting-down" % (ids["shut"], B))
        # the sweep is listed with every status but retired
        lists = [r for r in self.api.requests(route="find_hosts")]
        self.assertTrue(lists)
        self.assertEqual(sorted(lists[0].query["status"]),
                         ["maintenance", "poweroff", "standby", "working"])
        # a running instance disappears: within absent_grace, kept
        self.ec2.remove(A, [self.instance_of["run"]])
        n = len(self.sweeps(a))
        lines = self.wait_sweeps(a, n + 3)
        self.assertRegex(lines[-1], r"[1-9]\d* absent within grace")
        self.assertRegex(lines[-1], r"1 never listed by EC2")
        self.assertEqual(self.retired_ids(), sorted([ids["term"], ids["shut"]]))
        self.assertNotIn("AuthFailure", a.stderr())
        self.stop_agent(a)
        self.assertKeyNotLeaked(a.stderr())
        self.assertNotIn(SECRET, a.stderr() + a.stdout())

    def test_absent_past_grace(self):
        ids = self.seed({"gone": (A, "running"), "stays": (B, "stopped")})
        a = self.start_sweeper(absent_grace=2)
        self.wait_sweeps(a, 1)
        self.ec2.remove(A, [self.instance_of["gone"]])
        t0 = time.monotonic()
        ok = self.api.wait_for(lambda: self.api.retired(), scaled(15))
        self.assertTrue(ok, a.stderr()[-3000:])
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)   # not before absent_grace
        self.assertEqual(self.retired_ids(), [ids["gone"]])
        self.assertRegex(a.stderr(), r"%s absent from EC2 DescribeInstances in %s" % (
            self.instance_of["gone"], A))
        self.stop_agent(a)

    def test_region_errors_retire_nothing_there(self):
        ids = self.seed({"termA": (A, "terminated"), "termB": (B, "terminated")})
        # (throttling is retried until the deadline: its sweeps are slow)
        for code, sweeps in (("UnauthorizedOperation", 2), ("RequestLimitExceeded", 1)):
            with self.subTest(code=code):
                self.ec2.faults(B, [{"error": code}])
                a = self.start_sweeper()
                self.wait_sweeps(a, sweeps, timeout=30)
                self.assertNotIn(ids["termB"], self.retired_ids())
                self.assertRegex(a.stderr(), r"region %s: DescribeInstances failed: %s" % (
                    B, code))
                self.assertRegex(self.sweeps(a)[-1], r"regions 1/2 answered")
                self.stop_agent(a)
        self.assertEqual(self.retired_ids(), [ids["termA"]])
        # the region answers again: its host goes, once
        self.ec2.faults(B, [])
        a = self.start_sweeper()
        ok = self.api.wait_for(lambda: ids["termB"] in self.retired_ids(), scaled(10))
        self.assertTrue(ok, a.stderr()[-3000:])
        self.assertEqual(self.api.retire_counts()[ids["termB"]], (1, 1))
        self.stop_agent(a)

    def test_bad_signature_retires_nothing(self):
        self.seed({"term": (A, "terminated")})
        a = self.start_sweeper(secret="not-the-secret")
        self.wait_sweeps(a, 2)
        self.assertEqual(self.api.retired(), [])
        self.assertRegex(a.stderr(), r"AuthFailure")
        self.assertGreaterEqual(self.ec2.stats()["total"]["authFailures"], 2)
        self.assertNotIn("not-the-secret", a.stderr())
        self.stop_agent(a)

    def test_stops_promptly_while_ec2_hangs(self):
        self.seed({"term": (A, "terminated")})
        self.ec2.faults("*", [{"error": "hang"}])
        a = self.start_sweeper(ec2_timeout=60)
        ok = self.api.wait_for(lambda: self.ec2.stats()["total"]["faults"] >= 1, scaled(10))
        self.assertTrue(ok, a.stderr()[-3000:])
        self.stop_agent(a, bound=5)
        self.assertEqual(self.api.retired(), [])


class TwoSweepers(SweepCase):

    def test_each_host_retired_once(self):
        hosts = {}
        for n in range(40):
            hosts["h%02d" % n] = ((A, B)[n % 2], "terminated" if n % 3 == 0 else "running")
        ids = self.seed(hosts)
        dead = sorted(ids[k] for k, (_, st) in hosts.items() if st == "terminated")
        # Slow retirements: both sweepers list the hosts before either is done,
        # so both retire the same hosts at the same time.
        self.api.set_fault("retire_host", "delay", delay=0.2)
        a1 = self.start_sweeper(root=os.path.join(self.tmp, "root1"))
        a2 = self.start_sweeper(root=os.path.join(self.tmp, "root2"))
        ok = self.api.wait_for(lambda: len(self.api.retired()) >= len(dead), scaled(15))
        self.assertTrue(ok, "%r\n%s\n%s" % (self.api.retired(), a1.stderr()[-2000:],
                                            a2.stderr()[-2000:]))
        self.wait_sweeps(a1, 3)
        self.wait_sweeps(a2, 3)
        self.assertEqual(self.retired_ids(), dead)
        counts = self.api.retire_counts()
        for h in dead:
            n, accepted = counts[h]
            self.assertEqual(accepted, 1, h)
            self.assertLessEqual(n, 2, h)       # at most one request per sweeper
        self.assertTrue(any(counts[h][0] == 2 for h in dead),
                        "the sweepers never raced: %r" % counts)
        for a in (a1, a2):
            self.assertNotRegex(a.stderr(), r"failed [1-9]")
            self.stop_agent(a)


if __name__ == "__main__":
    harness.main()
