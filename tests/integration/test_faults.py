#!/usr/bin/env python3
"""Fault injection: the real binary against an API that is down
longer than the queue, slow, or answering garbage on the posting path; a
full or read-only disk under the id file; kill -9 during registration; a
plugin that crashes inside collect().

Faults already covered elsewhere (not repeated here): registration against
garbage / truncated / short / HTML / reset / hung / 503 answers and an
unreachable API (test_errors.py); tsdb outages by 503 with backoff, resets,
429 with Retry-After and hangs, all with every point delivered, and 4xx
drops (test_metrics.py)."""

import errno
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import unittest

import harness
from harness import WRAPPER, AgentTestCase, gaps, scaled, tsdb_series
import test_metrics

# A plugin crash kills the agent by its signal: no core files in the tree.
resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def point_keys(req):
    """{(name, time)} of a recorded tsdb request."""
    return {(p["name"], p["time"]) for p in req.body or [] if isinstance(p, dict)}


class PostingFaults(AgentTestCase):
    """The tsdb path against answers that are late, broken or refusals with
    Retry-After: bounded retries and every point delivered afterwards."""

    outage = test_metrics.Outages.outage   # fault for a while, then every point arrives

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")

    def faulted(self):
        return [r for r in self.api.requests(route="tsdb") if r.fault]

    def assertBoundedRetries(self, seconds):
        # the first retry comes after ~1 s and the delay only grows
        n = len(self.faulted())
        self.assertGreaterEqual(n, 1)
        self.assertLessEqual(n, seconds + 1, "%d posts in a %d s fault: %r" % (
            n, seconds, self.faulted()))

    def broken_answer(self, mode):
        f, t_fault, t_clear, a = self.outage(mode, seconds=3)
        self.assertBoundedRetries(3)
        self.assertNoCrash(a.returncode, a.stderr())
        # the fake drops what it answered badly: all of it came again
        self.assertTrue(set().union(*map(point_keys, self.faulted()))
                        <= {(p["name"], p["time"]) for p in self.api.points()})

    def test_truncated_json(self):
        self.broken_answer("truncated")

    def test_garbage_body(self):
        self.broken_answer("garbage")

    def test_html_error_page(self):
        self.broken_answer("html")

    def test_short_body(self):
        self.broken_answer("short")

    def test_answer_after_http_timeout(self):
        # http.timeout is 2 s: the API takes 3 s, so the agent gives up on
        # each request (the fake still stores it, late) and must send again
        f, t_fault, t_clear, a = self.outage("delay", seconds=4, delay=3)
        self.assertBoundedRetries(4)
        late = self.faulted()
        self.assertTrue(late)
        retried = [r for r in self.api.requests(route="tsdb") if not r.fault]
        for r in late:
            again = [x for x in retried if x.time > r.time and point_keys(r) <= point_keys(x)]
            self.assertTrue(again, "points of a timed-out post were never sent again: %r"
                            % sorted(point_keys(r)))
        self.assertRegex(a.stderr(), r"(?i)(timed? ?out|timeout)")

    def test_500_with_retry_after(self):
        f, t_fault, t_clear, a = self.outage("status", seconds=5, status=500, retry_after=2)
        failed = [r.time for r in self.faulted()]
        deltas = [round(b - a, 2) for a, b in zip(failed, failed[1:])]
        self.assertGreaterEqual(len(failed), 2, "no retry in a 5 s fault")
        # Retry-After: 2, not the 1 s first backoff step
        self.assertGreaterEqual(min(deltas), 1.8, deltas)
        self.assertLessEqual(len(failed), 4, deltas)


class QueueBound(AgentTestCase):
    """The API down longer than the queue holds (queue.max_age = 60 at a
    1 s interval: 61 batches)."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")

    def test_outage_longer_than_the_queue(self):
        # 503 with Retry-After: 1 (a balancer in front of a dead API), so
        # the agent retries every second instead of backing off to a
        # minute, and the recovery is seen at once
        self.write_config(plugins={"t": {"module": "good"}}, queue={"max_age": 60})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.api.set_fault("tsdb", "status", status=503, retry_after=1)
        t_fault = time.time()
        drops = r"(?i)queue full.*dropped (?:the oldest )?(?:batch of |\d+ batches, )?(\d+)"
        m = self.api.wait_for(lambda: len(re.findall(drops, a.stderr())) >= 4 or not a.alive(),
                              scaled(61 + 30))
        self.assertTrue(a.alive(), a.stderr()[-2000:])
        self.assertTrue(m, "nothing dropped %.0f s into the outage\n%s"
                        % (time.time() - t_fault, a.stderr()[-2000:]))
        self.api.clear_faults()
        t_clear = time.time()

        def caught_up():
            times = tsdb_series(self.api.points(), "test.good")
            return times and times[-1] >= int(t_clear) + 1
        self.assertTrue(self.api.wait_for(caught_up, scaled(15)), a.stderr()[-2000:])
        time.sleep(1)
        rc, took = self.stop_agent(a)
        times = tsdb_series(self.api.points(), "test.good")
        missing = gaps(times)
        self.assertTrue(missing, "an outage longer than the queue lost nothing?")
        # oldest first: one run of missing ticks, from the start of the
        # outage; everything after it was kept and delivered
        self.assertEqual(missing, list(range(missing[0], missing[-1] + 1)), missing)
        before = [t for t in times if t < missing[0]]
        self.assertLessEqual(before[-1], int(t_fault) + 1, "dropped ticks are not the oldest")
        kept = [t for t in times if missing[-1] < t <= int(t_clear)]
        self.assertGreaterEqual(len(kept), 60, "fewer ticks kept than the queue holds")
        # counted and logged: the logged counts add up to the loss (one
        # point a tick: the good plugin's NaN is dropped at emit)
        logged = sum(int(n) for n in re.findall(drops, a.stderr()))
        self.assertEqual(logged, len(missing), a.stderr()[-3000:])
        self.assertNoCrash(rc, a.stderr())


@unittest.skipIf(os.geteuid() != 0, "needs root to mount a tmpfs and a read-only bind mount")
class IdFileOnBadDisk(AgentTestCase):
    """The id file cannot be written: a clear error naming the path, and
    the old (blank) id file untouched."""

    OLD = "\n"  # a blank id file: registration is due, and it must survive

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg")

    def mount(self, *args):
        p = subprocess.run(["mount"] + list(args), stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 0:
            self.skipTest("cannot mount (%s)" % p.stderr.decode().strip())
        if "remount" not in args[-2]:
            self.addCleanup(subprocess.run, ["umount", args[-1]], timeout=30)

    def read_only(self, path):
        self.mount("--bind", path, path)
        self.mount("-o", "remount,bind,ro", path)

    def run_failing(self, words):
        self.write_config(plugins={"loadavg": {}})
        p = self.run_agent(["run"], timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNoCrash(p.returncode, p.stderr)
        self.assertIn(self.root, p.stderr, "the error does not name the path")
        self.assertRegex(p.stderr, words)
        self.assertEqual(self.read_id(), self.OLD, "the old id file was changed")
        self.assertEqual([f for f in os.listdir(self.root) if f.startswith(".id.")], [],
                         "a temp file was left behind")
        self.assertEqual(self.api.requests(route="tsdb"), [])
        self.assertFalse(os.path.exists(os.path.join(self.root, "id.pending")))
        return p

    def test_disk_full(self):
        self.mount("-t", "tmpfs", "-o", "size=8k,mode=0755", "tmpfs", self.root)
        self.write_id(self.OLD)
        fd = os.open(os.path.join(self.root, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"x" * 512) > 0:
                pass
        except OSError as e:
            self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)
        self.run_failing(r"No space left on device")
        # id.pending could not be written: no host is created whose id
        # could not be kept
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertEqual(self.api.hosts(), [])

    def test_read_only_root(self):
        self.write_id(self.OLD)
        self.read_only(self.root)
        self.run_failing(r"Read-only file system")

    def test_root_missing_under_a_read_only_mount(self):
        # The error carries the errno of the first mkdir that failed
        # ("Read-only file system"), not the ENOENT that follows from it.
        missing = os.path.join(self.tmp, "var", "lib", "saba-agent")
        self.write_config(root=missing, plugins={"loadavg": {}})
        self.read_only(self.tmp)
        p = self.run_agent(["run"], timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNoCrash(p.returncode, p.stderr)
        self.assertIn(missing, p.stderr, "the error does not name the path")
        self.assertRegex(p.stderr, r"Read-only file system")
        self.assertFalse(os.path.exists(missing))



class Machine:
    """One simulated machine: its own root (id file) and config; the hosts
    the API created while its agent ran."""

    def __init__(self, test, n, ci):
        self.root = os.path.join(test.tmp, "m%d" % n)
        self.id_path = os.path.join(self.root, "id")
        self.ci = "ci-kill-%d" % n if ci else None
        self.hosts = set()
        good = {"module": "good"}
        if self.ci:
            good["custom_identifier"] = self.ci
        # http.timeout 1 s: a registration whose POST may have created a
        # host waits 3 s for it to show up (core/register.c)
        self.config = test.write_config(os.path.join(test.tmp, "m%d.conf" % n),
                                        root=self.root, plugins={"t": good},
                                        http={"timeout": 1})

    def read_id(self):
        try:
            with open(self.id_path) as f:
                return f.read()
        except FileNotFoundError:
            return None


class KillDuringRegistration(AgentTestCase):
    """kill -9 at random points of registration and of the id-file write.
    After every kill the id file is absent or the id of a live host the API
    knows, and a machine never gets a second host: a restarted agent adopts
    the host by customIdentifier."""

    ITERATIONS = 100

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")
        self.machines = 0

    def machine(self, ci=True):
        self.machines += 1
        return Machine(self, self.machines, ci)

    def host_ids(self):
        return {h["id"] for h in self.api.hosts()}

    def settle(self, m, before):
        """After an agent of m ended: attribute new hosts, check the
        invariants; returns the id (None when absent)."""
        m.hosts |= self.host_ids() - before
        content = m.read_id()
        self.assertNotEqual(content, "", "an empty id file was left")
        if content is not None:
            host = self.api.host(content)
            self.assertIsNotNone(host, "id file holds %r, unknown to the API" % content)
            self.assertFalse(host["isRetired"])
            self.assertIn(content, m.hosts, "id file holds another machine's host")
        self.assertLessEqual(len(m.hosts), 1, "two hosts for one machine: %r" % m.hosts)
        return content

    def finish(self, m):
        """A last, undisturbed start registers (or adopts) exactly one host."""
        before = self.host_ids()
        puts = len(self.api.requests(route="update_host"))
        a = self.start_agent(["run"], config=m.config)
        ok = self.api.wait_for(lambda: len(self.api.requests(route="update_host")) > puts
                               or not a.alive(), scaled(10))
        self.assertTrue(ok and a.alive(), a.stderr()[-2000:])
        self.stop_agent(a)
        self.assertIsNotNone(self.settle(m, before))
        self.assertEqual(len(m.hosts), 1)
        # no temp file of an interrupted write, no registration in flight
        # (the lock file stays: one agent per root)
        self.assertEqual([f for f in os.listdir(m.root) if f not in ("id", "saba-agent.lock")],
                         [])

    def registration_time(self):
        """Seconds from exec to the id file, for a fresh machine."""
        m = self.machine()
        t0 = time.monotonic()
        a = self.start_agent(["run"], config=m.config)
        self.assertTrue(self.api.wait_for(lambda: m.read_id(), scaled(10), interval=0.002),
                        a.stderr())
        took = time.monotonic() - t0
        a.kill()
        return took

    def answers(self, routes=("create_host", "find_hosts")):
        """Registration answers so far: the POST and the customIdentifier
        lookup."""
        return len([r for r in self.api.requests()
                    if r.route in routes and r.response_status])

    def test_random_kill9(self):
        self.random_kill9(ci=True)

    def test_random_kill9_without_custom_identifier(self):
        # only the registration token (id.pending) ties a host to the machine
        self.random_kill9(ci=False)

    def random_kill9(self, ci):
        seed = int(os.environ.get("SABA_TEST_SEED") or time.time_ns() % 1000000)
        rng = random.Random(seed)
        t_reg = self.registration_time()
        phases = {"before any request": 0, "host asked for, no id file": 0,
                  "id file written": 0}
        m = self.machine(ci)
        for i in range(self.ITERATIONS):
            before = self.host_ids()
            # every other time the POST's answer alone: after a lookup the
            # POST still has a connection of its own to open
            routes = ("create_host", "find_hosts") if i % 6 == 0 else ("create_host",)
            answered = self.answers(routes)
            seen = len(self.api.requests())
            a = self.start_agent(["run"], config=m.config)
            if i % 3 == 0:
                # just after the API answered the POST or the lookup: the
                # window between the host existing and its id being on disk
                self.api.wait_for(lambda: self.answers(routes) > answered or not a.alive(),
                                  scaled(5), interval=0.001)
                time.sleep(rng.uniform(0, 0.005))
            else:
                # anywhere from exec to a little past the id file, or early
                # (start-up, config, plugins, the first request)
                time.sleep(rng.uniform(0, (1.3 if i % 3 == 1 else 0.5) * t_reg))
            a.kill()
            self.assertEqual(a.returncode, -signal.SIGKILL, "agent ended before the kill:\n"
                             + a.stderr()[-2000:])
            time.sleep(0.02)     # what was on the wire reaches the fake
            if self.settle(m, before) is not None:
                phases["id file written"] += 1
                m = self.machine(ci)
            elif len(self.api.requests()) > seen:
                phases["host asked for, no id file"] += 1
            else:
                phases["before any request"] += 1
        self.finish(m)
        sys.stderr.write("(seed %d, registration %.0f ms, kills: %r) "
                         % (seed, t_reg * 1000, phases))
        # the kills landed in every phase, the dangerous one included
        for phase, n in phases.items():
            self.assertGreater(n, 0, "no kill landed %s: %r" % (phase, phases))

    # Kills at exact system calls, with strace's fault injection.  Before
    # the POST the agent writes <root>/id.pending (its registration token):
    # fchmod #1, fsync #1, rename #1, fsync #2.  After the answer, the id
    # file: after mkstemp (fchmod #2), before the data is synced (fsync #3),
    # before the rename (rename #2), between the rename and the directory
    # sync (fsync #4).
    PENDING_STEPS = (("fchmod", 1), ("fsync", 1), ("rename", 1), ("fsync", 2))
    STEPS = (("fchmod", 2), ("fsync", 3), ("rename", 2), ("fsync", 4))

    def kill_at(self, m, syscall, nth, hosts=1):
        strace = shutil.which("strace")
        if strace is None:
            self.skipTest("strace not installed")
        if WRAPPER:
            self.skipTest("not under %s" % WRAPPER[0])
        names = "rename,renameat,renameat2" if syscall == "rename" else syscall
        before = self.host_ids()
        cmd = [strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + names,
               "-e", "inject=%s:signal=KILL:when=%d" % (names, nth), harness.AGENT,
               "-c", m.config, "run"]
        p = subprocess.run(cmd, env=self.env(), cwd=self.tmp, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=scaled(20))
        err = p.stderr.decode("utf-8", "replace")
        self.assertIn(p.returncode, (-signal.SIGKILL, 128 + signal.SIGKILL),
                      "not killed at %s #%d:\n%s" % (syscall, nth, err[-2000:]))
        self.settle(m, before)
        self.assertEqual(len(m.hosts), hosts, "killed at %s #%d: hosts %r" % (
            syscall, nth, m.hosts))
        return m.read_id()

    def test_kill9_at_each_step_of_the_id_write(self):
        for syscall, nth in self.STEPS:
            with self.subTest(syscall=syscall, nth=nth):
                m = self.machine()
                content = self.kill_at(m, syscall, nth)
                if (syscall, nth) == ("fsync", 4):
                    self.assertIsNotNone(content, "the rename was done: the id is there")
                else:
                    self.assertIsNone(content)
                self.finish(m)

    def test_kill9_at_each_step_of_the_pending_write(self):
        # killed before the POST: nothing was created, the next start
        # registers exactly one host
        for syscall, nth in self.PENDING_STEPS:
            with self.subTest(syscall=syscall, nth=nth):
                m = self.machine(ci=False)
                self.assertIsNone(self.kill_at(m, syscall, nth, hosts=0))
                self.finish(m)

    def test_kill9_after_post_without_custom_identifier(self):
        # Nothing but the token in id.pending ties the host the POST
        # created to this machine: the next start finds it by name and
        # token instead of creating a second one.
        for syscall, nth in self.STEPS[:3]:
            with self.subTest(syscall=syscall, nth=nth):
                m = self.machine(ci=False)
                self.assertIsNone(self.kill_at(m, syscall, nth))
                self.assertTrue(os.path.exists(m.id_path + ".pending"))
                self.finish(m)

class RegistrationWindows(AgentTestCase):
    """Answers that leave the host created but the agent unaware of it."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")

    def test_429_retry_after_on_registration(self):
        self.write_config(plugins={"t": {"module": "good"}})
        self.api.set_fault("create_host", "status", status=429, retry_after=2, count=2)
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a, timeout=15)
        self.stop_agent(a)
        posts = [r.time for r in self.api.requests(route="create_host")]
        self.assertEqual(len(posts), 3)
        self.assertGreaterEqual(min(b - a for a, b in zip(posts, posts[1:])), 1.8, posts)
        self.assertEqual([h["id"] for h in self.api.hosts()], [host_id])

    def test_registration_answer_after_http_timeout(self):
        # The API creates the host but answers after http.timeout: the
        # agent looks the host up by its token instead of POSTing again.
        self.write_config(plugins={"t": {"module": "good"}}, http={"timeout": 1})
        self.api.set_fault("create_host", "delay", delay=2, count=1)
        a = self.start_agent(["run"])
        self.wait_registered(a, timeout=15)
        self.stop_agent(a)
        # the late answer's host is created when the delay ends
        self.api.wait_for(lambda: all(r.response_status for r in
                                      self.api.requests(route="create_host")), scaled(5))
        self.assertEqual(len(self.api.hosts()), 1, [h["id"] for h in self.api.hosts()])

    def test_lost_registration_answer(self):
        # The POST creates the host and the connection drops before the
        # answer (also with the lookups failing for a while): the agent
        # finds the host by its token, never POSTs again; the token in the
        # customIdentifier (the default) or in meta, where the API keeps it.
        for token, lookups_fail in (("custom_identifier", 0), ("custom_identifier", 3),
                                    ("meta", 0), ("meta", 3)):
            with self.subTest(token=token, lookups_fail=lookups_fail):
                self.api.reset_records()
                root = os.path.join(self.tmp, "lost-%s-%d" % (token, lookups_fail))
                conf = self.write_config(os.path.join(self.tmp, "lost.conf"), root=root,
                                         plugins={"t": {"module": "good"}},
                                         http={"timeout": 1},
                                         registration={"token": token})
                before = {h["id"] for h in self.api.hosts()}
                self.api.set_fault("create_host", "lost", count=1)
                if lookups_fail:
                    self.api.set_fault("find_hosts", "status", status=503, count=lookups_fail)
                a = self.start_agent(["run"], config=conf)
                ok = self.api.wait_for(lambda: os.path.exists(os.path.join(root, "id"))
                                       or not a.alive(), scaled(20))
                self.assertTrue(ok and a.alive(), a.stderr()[-2000:])
                self.stop_agent(a)
                new = {h["id"] for h in self.api.hosts()} - before
                self.assertEqual(len(new), 1, new)
                with open(os.path.join(root, "id")) as f:
                    self.assertEqual(f.read(), new.pop())
                self.assertEqual(len(self.api.requests(route="create_host")), 1)
                self.assertFalse(os.path.exists(os.path.join(root, "id.pending")))
                self.assertIn("whose answer never arrived", a.stderr())
                key = "customIdentifier" if token == "custom_identifier" else "name"
                self.assertIn(key, self.api.requests(route="find_hosts")[-1].query)

    def test_broken_pending_record(self):
        # id.pending that saba-agent did not write: a clear error naming the
        # file, and no host created on a guess.
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "id.pending"), "w") as f:
            f.write("{not json")
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.assertTrue(self.api.wait_for(lambda: not a.alive(), scaled(10)))
        self.assertNotEqual(a.returncode, 0)
        self.assertIn(os.path.join(self.root, "id.pending"), a.stderr())
        self.assertEqual(self.api.requests(route="create_host"), [])

    def test_failed_lookup_by_custom_identifier(self):
        # A lookup by customIdentifier that fails is retried like the
        # registration itself, and never answered by creating a host.
        mine = self.api.add_host(name=os.uname().nodename, custom_identifier="ci-lookup")
        self.write_config(plugins={"t": {"module": "good", "custom_identifier": "ci-lookup"}})
        self.api.set_fault("find_hosts", "status", status=503, count=3)
        a = self.start_agent(["run"])
        ok = self.api.wait_for(lambda: self.read_id() or not a.alive(), scaled(20))
        self.assertTrue(ok, a.stderr()[-2000:])
        a.kill()
        self.assertEqual(self.api.requests(route="create_host"), [])
        self.assertIn(self.read_id(), (None, mine))


class PluginCrash(AgentTestCase):
    """Policy: a plugin that crashes takes the agent down (the service
    manager restarts it); the last line says which plugin, instance and
    hook, and the agent dies by the plugin's signal."""

    def setUp(self):
        super().setUp()
        if WRAPPER:
            self.skipTest("%s reports the deliberate fault itself" % WRAPPER[0])
        self.start_api()
        self.plugin_dir("good", "crash")

    def crash(self, how, sig):
        self.write_config(plugins={"t": {"module": "good"},
                                   "boom": {"module": "crash", "crash_on": 2, "signal": how}})
        # Under ASan/UBSan the sanitizer's own fatal-signal handlers would
        # report the fault and exit 1: leave the signals to the agent.
        asan = os.environ.get("ASAN_OPTIONS", "")
        asan = (asan + ":" if asan else "") + ("handle_segv=0:handle_sigbus=0:"
                                               "handle_sigfpe=0:handle_sigill=0:handle_abort=0")
        a = self.start_agent(["run"], env={"ASAN_OPTIONS": asan})
        self.wait_registered(a)
        rc = a.wait(scaled(10))
        self.assertIsNotNone(rc, "the agent outlived its crashed plugin\n" + a.stderr())
        self.assertIn("boom: collect 2: crashing now", a.stderr(), "crashed elsewhere?")
        self.assertEqual(rc, -sig, "not ended by %s\n%s" % (sig.name, a.stderr()[-2000:]))
        lines = a.stderr().rstrip("\n").split("\n")
        self.assertEqual(lines[-1], "saba-agent: fatal: signal %d (%s) in plugin crash/boom "
                         "during collect(); exiting" % (sig.value, sig.name),
                         a.stderr()[-2000:])

    def test_sigsegv_in_collect(self):
        self.crash("segv", signal.SIGSEGV)

    def test_other_fatal_signals_in_collect(self):
        for how, sig in (("bus", signal.SIGBUS), ("fpe", signal.SIGFPE),
                         ("ill", signal.SIGILL), ("abrt", signal.SIGABRT)):
            with self.subTest(signal=sig.name):
                self.api.reset_records()
                self.crash(how, sig)


if __name__ == "__main__":
    harness.main()
