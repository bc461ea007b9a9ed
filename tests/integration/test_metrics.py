#!/usr/bin/env python3
"""Metrics pipeline of `saba-agent run`: tsdb payloads (names, units, tick
times), outages and recovery with every point delivered, 4xx drops, NaN,
slow and failing plugins, flushing on shutdown."""

import sys
import time

import harness
from harness import AgentTestCase, gaps, scaled, tsdb_series


class Payload(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("loadavg", "memory", "good")

    def test_names_units_and_tick_times(self):
        t0 = int(time.time())
        self.write_config(plugins={"loadavg": {}, "memory": {},
                                   "t": {"module": "good", "value": 7.0}})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.wait_points("test.good", 3, agent=a)
        self.stop_agent(a)
        t1 = int(time.time()) + 1
        pts = self.api.points()
        for p in pts:
            self.assertEqual(sorted(k for k in p if not k.startswith("_")),
                             ["hostId", "name", "time", "value"], p)
            self.assertEqual(p["hostId"], host_id)
            self.assertIsInstance(p["time"], int)
            self.assertTrue(t0 - 1 <= p["time"] <= t1, "time %d outside [%d, %d]" % (
                p["time"], t0 - 1, t1))
            self.assertLessEqual(p["time"], p["_received"] + 1,
                                 "a point was stamped in the future")
        names = {p["name"] for p in pts}
        self.assertNotIn("test.nan", names)
        mi = harness.meminfo()
        expect_mem = {"memory.total", "memory.used", "memory.swap_total",
                      "memory.swap_cached", "memory.swap_free"}
        if "MemAvailable" in mi:
            expect_mem.add("memory.mem_available")
        else:
            expect_mem |= {"memory.buffers", "memory.cached", "memory.free"}
        self.assertEqual({n for n in names if n.startswith("memory.")}, expect_mem)
        self.assertEqual({n for n in names if n.startswith("loadavg")},
                         {"loadavg1", "loadavg5", "loadavg15"})
        self.assertEqual({p["value"] for p in pts if p["name"] == "test.good"}, {7.0})
        self.assertEqual(gaps(tsdb_series(pts, "test.good")), [])
        # every tick carries every name, all stamped with the same tick time
        by_time = {}
        for p in pts:
            by_time.setdefault(p["time"], set()).add(p["name"])
        for t in tsdb_series(pts, "test.good"):
            self.assertEqual(by_time[t], names, "tick %d incomplete" % t)
        # units: bytes, and used = total - MemAvailable within one tick
        vals = {(p["name"], p["time"]): p["value"] for p in pts}
        for t in tsdb_series(pts, "memory.total"):
            total = vals[("memory.total", t)]
            self.assertEqual(total, mi["MemTotal"] * 1024)
            self.assertEqual(vals[("memory.swap_total", t)], mi["SwapTotal"] * 1024)
            if "MemAvailable" in mi:
                self.assertEqual(vals[("memory.used", t)] + vals[("memory.mem_available", t)],
                                 total)
            self.assertTrue(0 < vals[("memory.used", t)] < total)
        with open("/proc/loadavg") as f:
            la1 = float(f.read().split()[0])
        for p in pts:
            if p["name"].startswith("loadavg"):
                self.assertGreaterEqual(p["value"], 0.0)
                self.assertLess(abs(p["value"] - la1), 50.0)
        # NaN is dropped with a warning
        self.assertRegex(a.stderr(), r"(?i)(nan|non-finite|not finite)")

    def test_ticks_on_multiples_of_interval(self):
        self.write_config(interval=2, plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, timeout=15, agent=a)
        self.stop_agent(a)
        times = tsdb_series(self.api.points(), "test.good")
        self.assertEqual([t % 2 for t in times], [0] * len(times), times)
        self.assertEqual(gaps(times, 2), [])

    def test_several_instances_of_one_module(self):
        self.write_config(plugins={"a": {"module": "good", "name": "test.a", "value": 1.5},
                                   "b": {"module": "good", "name": "test.b", "value": -2.0}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        pa = self.wait_points("test.a", 2, agent=a)
        pb = self.wait_points("test.b", 2, agent=a)
        self.stop_agent(a)
        self.assertEqual({p["value"] for p in pa}, {1.5})
        self.assertEqual({p["value"] for p in pb}, {-2.0})


    def test_many_instances(self):
        n = 30
        self.write_config(plugins={"i%02d" % i: {"module": "good", "name": "test.i%02d" % i,
                                                 "value": float(i)} for i in range(n)})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.i%02d" % (n - 1), 3, agent=a)
        self.stop_agent(a)
        pts = self.api.points()
        ref = tsdb_series(pts, "test.i00")
        self.assertEqual(gaps(ref), [])
        for i in range(n):
            name = "test.i%02d" % i
            self.assertEqual(tsdb_series(pts, name), ref, name)
            self.assertEqual({p["value"] for p in pts if p["name"] == name}, {float(i)})


class Outages(AgentTestCase):
    """The API goes away for a while; every point must arrive afterwards."""

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")

    def outage(self, mode, seconds=4, **fault):
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        f = self.api.set_fault("tsdb", mode, **fault)
        t_fault = time.time()
        time.sleep(seconds)
        self.api.clear_faults()
        self.api.release_hangs()
        t_clear = time.time()

        def caught_up():
            times = tsdb_series(self.api.points(), "test.good")
            return times and times[-1] >= int(t_clear) + 1 and not gaps(times)
        ok = self.api.wait_for(caught_up, scaled(20))
        times = tsdb_series(self.api.points(), "test.good")
        self.assertEqual(gaps(times), [], "points lost in the outage (%s)" % mode)
        self.assertTrue(ok, "not caught up %.0fs after the outage; last time %s, cleared at %d"
                        "\n%s" % (scaled(20), times[-1:], t_clear, a.stderr()[-2000:]))
        self.assertLessEqual(times[0], int(t_fault))
        self.assertGreater(f.hits, 0)
        self.assertTrue(a.alive())
        self.stop_agent(a)
        return f, t_fault, t_clear, a

    def test_503_outage_then_recovery_with_backoff(self):
        f, t_fault, t_clear, a = self.outage("status", seconds=3, status=503)
        failed = [r.time for r in self.api.requests(route="tsdb") if r.response_status == 503]
        self.assertGreaterEqual(len(failed), 2, "no retry during the outage")
        sys.stderr.write("(503 retry gaps: %r) " % [round(b - a, 2) for a, b in zip(failed, failed[1:])])
        deltas = [round(b - a, 2) for a, b in zip(failed, failed[1:])]
        # first retry after ~1 s, then doubling (1, 2, 4 ...): in 3 s about
        # 3 attempts, 4 with jitter
        self.assertLessEqual(len(failed), 4, "no backoff: %d posts in a 3 s outage: %r"
                             % (len(failed), deltas))
        self.assertGreaterEqual(deltas[0], 0.5, deltas)
        if len(deltas) >= 2:
            self.assertGreaterEqual(deltas[1], 1.4, "retry delay does not grow: %r" % deltas)

    def test_network_outage_then_recovery(self):
        self.outage("reset", seconds=3)

    def test_429_then_recovery(self):
        self.outage("status", seconds=2, status=429, retry_after=1)

    def test_hung_api_then_recovery(self):
        self.outage("hang", seconds=3)

    def test_client_error_drops_the_batch(self):
        self.write_config(plugins={"t": {"module": "good"}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        f = self.api.set_fault("tsdb", "status", status=400, count=1,
                               body={"error": {"message": "Invalid metric name zzz"}})
        rejected = self.api.wait_for(
            lambda: [r for r in self.api.requests(route="tsdb") if r.response_status == 400],
            scaled(5))
        self.assertEqual(len(rejected), 1)
        dropped = {(p["name"], p["time"]) for p in rejected[0].body}
        self.assertTrue(dropped)
        n = len(self.api.points_named("test.good"))
        self.wait_points("test.good", n + 3, agent=a)
        self.assertTrue(a.alive())
        self.stop_agent(a)
        delivered = {(p["name"], p["time"]) for p in self.api.points()}
        self.assertFalse(dropped & delivered, "a batch refused with 400 was posted again")
        again = [r for r in self.api.requests(route="tsdb")
                 if r.body and {(p["name"], p["time"]) for p in r.body} & dropped]
        self.assertEqual(len(again), 1, "the 400 batch was retried")
        # only the dropped points are missing
        times = tsdb_series(self.api.points(), "test.good")
        self.assertEqual(set(gaps(times)), {t for (nm, t) in dropped if nm == "test.good"})
        self.assertRegex(a.stderr(), r"(?i)(400|Invalid metric name zzz)")


class SlowAndFailingPlugins(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good", "hang")

    def test_hung_plugin_does_not_delay_others_or_shutdown(self):
        self.write_config(plugins={"h": {"module": "hang"}, "t": {"module": "good"}},
                          host_status={"on_start": "working", "on_stop": "poweroff"})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.wait_points("test.good", 4, timeout=10, agent=a)
        times = tsdb_series(self.api.points(), "test.good")
        self.assertEqual(gaps(times), [])
        self.stop_agent(a, bound=5)
        self.assertEqual(self.api.statuses(host_id)[-1][1], "poweroff")

    def test_failing_collect_does_not_affect_others(self):
        self.write_config(plugins={"a": {"module": "good", "name": "test.a"},
                                   "b": {"module": "good", "name": "test.b",
                                         "fail_collect": True}})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.a", 3, agent=a)
        self.assertEqual(self.api.points_named("test.b"), [])
        self.assertTrue(a.alive())
        self.stop_agent(a)
        self.assertEqual(gaps(tsdb_series(self.api.points(), "test.a")), [])


class Shutdown(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.start_api()
        self.plugin_dir("good")

    def test_queue_is_flushed_on_shutdown(self):
        self.write_config(plugins={"t": {"module": "good"}},
                          host_status={"on_start": "working", "on_stop": "poweroff"})
        a = self.start_agent(["run"])
        host_id = self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.api.set_fault("tsdb", "status", status=503)
        time.sleep(3.5)
        self.api.clear_faults()
        t_stop = time.time()
        self.stop_agent(a, bound=8)
        times = tsdb_series(self.api.points(), "test.good")
        self.assertEqual(gaps(times), [], "queued points not flushed at shutdown")
        self.assertGreaterEqual(times[-1], int(t_stop) - 2,
                                "points queued during the outage were not flushed")
        self.assertEqual(self.api.statuses(host_id)[-1][1], "poweroff")

    def test_shutdown_is_bounded_when_api_hangs(self):
        self.write_config(plugins={"t": {"module": "good"}}, shutdown={"timeout": 3})
        a = self.start_agent(["run"])
        self.wait_registered(a)
        self.wait_points("test.good", 2, agent=a)
        self.api.set_fault("tsdb", "hang")
        self.api.set_fault("host_status", "hang")
        time.sleep(2)
        self.stop_agent(a, bound=3 + 3)


if __name__ == "__main__":
    harness.main()
