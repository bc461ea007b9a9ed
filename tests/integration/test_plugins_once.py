#!/usr/bin/env python3
"""`saba-agent once` with the cpu, disk, interface, filesystem (and memory)
plugins against the real /proc: names present, and values that match what
this test computes itself from /proc and statvfs at the same moment."""

import json
import os
import re
import time
import unittest

import harness
from harness import AgentTestCase

PLUGINS = ("cpu", "disk", "interface", "filesystem", "memory")


def sanitise(name):
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def net_dev():
    """{sanitised name: (rx, tx)} as the plugin picks interfaces."""
    out = {}
    with open("/proc/net/dev") as f:
        for line in f:
            if ":" not in line:
                continue
            name, rest = line.split(":", 1)
            name = name.strip()
            cols = rest.split()
            if len(cols) < 16 or name == "lo" or name.startswith("veth"):
                continue
            out[sanitise(name)] = (int(cols[0]), int(cols[8]))
    return out


def diskstats():
    """{sanitised name: (reads, writes)} as the plugin picks devices."""
    out = {}
    with open("/proc/diskstats") as f:
        for line in f:
            cols = line.split()
            if len(cols) < 14 or cols[2].startswith("dm-"):
                continue
            if all(int(c) == 0 for c in cols[3:14]):
                continue
            out[sanitise(cols[2])] = (int(cols[3]), int(cols[7]))
    return out


def ncpu():
    with open("/proc/stat") as f:
        return sum(1 for line in f if re.match(r"cpu\d", line))


def root_device():
    """The /dev/ source mounted (last) on "/", or None (e.g. overlay)."""
    dev = None
    with open("/proc/self/mounts") as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 3 and cols[1] == "/":
                dev = cols[0] if cols[0].startswith("/dev/") else None
    return dev


class PluginsOnce(AgentTestCase):

    def once(self):
        self.plugin_dir(*PLUGINS)
        self.write_config(apikey=None, plugins={p: {} for p in PLUGINS})
        before = (time.monotonic(), net_dev(), diskstats())
        p = self.run_agent(["once"], timeout=30)
        after = (time.monotonic(), net_dev(), diskstats())
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        values = {}
        for m in doc["metrics"]:
            self.assertNotIn(m["name"], values, "metric emitted twice: %s" % m["name"])
            values[m["name"]] = m["value"]
        return doc, values, before, after

    def test_values(self):
        doc, values, before, after = self.once()

        # memory.total: exactly MemTotal kB as bytes
        self.assertEqual(values["memory.total"], harness.meminfo()["MemTotal"] * 1024)

        # cpu: every share there, and all but guest add up to ~100 × ncpu
        for f in ("user", "nice", "system", "idle"):
            self.assertIn("cpu.%s.percentage" % f, values)
        shares = {k: v for k, v in values.items() if k.startswith("cpu.")}
        self.assertTrue(all(v >= 0 for v in shares.values()), shares)
        total = sum(v for k, v in shares.items() if k != "cpu.guest.percentage")
        self.assertAlmostEqual(total, 100.0 * ncpu(), delta=0.5 * ncpu(), msg=shares)

        # filesystem: the root's size as df's Used + Available, within 1%
        dev = root_device()
        if dev is not None:
            st = os.statvfs("/")
            size = ((st.f_blocks - st.f_bfree) + st.f_bavail) * st.f_frsize
            name = "filesystem.%s.size" % sanitise(dev[len("/dev/"):])
            self.assertIn(name, values)
            self.assertAlmostEqual(values[name], size, delta=0.01 * size)
            used = values[name.replace(".size", ".used")]
            self.assertTrue(0 <= used <= values[name])
            self.assertEqual(doc["host"]["meta"]["filesystem"][dev]["mount"], "/")

        # interface and disk: every device there, and no rate above what
        # the counters moved during the whole run (the plugin's window is
        # about a second inside it)
        window = after[0] - before[0]
        self.assertGreater(window, 0.9)
        for kind, metric, b, a in (("interface", ("rxBytes", "txBytes"), before[1], after[1]),
                                   ("disk", ("reads", "writes"), before[2], after[2])):
            for name in set(b) & set(a):
                for i, m in enumerate(metric):
                    key = "%s.%s.%s.delta" % (kind, name, m)
                    if a[name][i] < b[name][i]:
                        continue   # reset during the run: may be left out
                    self.assertIn(key, values)
                    self.assertGreaterEqual(values[key], 0)
                    self.assertLessEqual(values[key], (a[name][i] - b[name][i]) / 0.9 + 1e-9,
                                         key)

        # the host spec parts
        meta = doc["host"]["meta"]
        self.assertEqual(len(meta["cpu"]), ncpu() or len(meta["cpu"]))
        if os.path.isdir("/sys/block"):
            self.assertEqual(sorted(meta["block_device"]),
                             sorted(d for d in os.listdir("/sys/block") if not d.startswith(".")))


if __name__ == "__main__":
    harness.main()
