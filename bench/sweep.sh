#!/bin/sh
# The fleet sweeper at scale: the real agent with an ec2 instance
# (cloud_platform = "none", sweep = true) against the fake Mackerel API and
# the fake EC2 (tests/plugins/ec2/fakeec2.js, signatures checked with aws4) on
# 127.0.0.1, with N hosts (default 10000) whose instances are all known to
# EC2.  Prints, per sweep, its wall time (the agent's own log line), the
# requests it made to EC2 and to the API, and what it retired; then the
# agent's peak RSS with and without the sweeper.
#
#   bench/sweep.sh [N] [SWEEPS]      (defaults 10000 and 3)
#
# Run from a built tree (make first).  Needs node; fetches aws4 once (see
# tests/plugins/ec2/aws4.py).  Nothing leaves the machine but that fetch.
set -eu

n=${1:-10000}
sweeps=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
agent=${SABA_AGENT:-$top/core/saba-agent}
plugins=${SABA_PLUGIN_DIR:-$top/plugins/.libs}
[ -x "$agent" ] || { echo "build first: $agent not found" >&2; exit 1; }
[ -f "$plugins/ec2.so" ] || { echo "build first: $plugins/ec2.so not found" >&2; exit 1; }

exec python3 - "$top" "$agent" "$plugins" "$n" "$sweeps" <<'EOF'
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

top, agent, plugins, n, sweeps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
    int(sys.argv[5])
sys.path[:0] = [os.path.join(top, "tests", "integration"),
                os.path.join(top, "tests", "plugins", "ec2")]
from fakeapi import FakeMackerel  # noqa: E402
from fakeec2 import FakeEC2  # noqa: E402
from harness import cfg_text  # noqa: E402

AKID, SECRET = "AKIDBENCHSWEEP00", "bench/secret+not-real"
KEY = "bench-api-key"
LINE = re.compile(r"sweep: (\d+) hosts listed.*regions (\d+)/(\d+) answered, (\d+) requests;.*"
                  r"retired (\d+), failed (\d+); (\d+) ms")


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def run(work, regions, dead_every, sweep):
    """One agent: returns ([(ms, ec2 requests, api requests, retired)], peak RSS kB)."""
    work = tempfile.mkdtemp(dir=work)
    api = FakeMackerel(api_key=KEY).start()
    ec2 = FakeEC2(work).start()
    try:
        ec2.credentials(AKID, SECRET)
        specs, per_region = [], {r: {} for r in regions}
        for i in range(n):
            inst = "i-%017x" % (0x100000 + i)
            specs.append({"name": "bench-%05d" % i,
                          "custom_identifier": inst + ".ec2.amazonaws.com"})
            state = "terminated" if dead_every and i % dead_every == 0 else "running"
            per_region[regions[i % len(regions)]][inst] = state
        api.add_hosts(specs)
        for r, inst in per_region.items():
            ec2.instances(r, inst)
        root = os.path.join(work, "root")
        os.makedirs(root, exist_ok=True)
        conf = os.path.join(work, "saba.conf")
        ec2conf = {"cloud_platform": "none", "sweep": sweep, "sweep_regions": regions,
                   "sweep_interval": 1, "ec2_endpoint": ec2.url, "ec2_timeout": 10}
        with open(conf, "w") as f:
            f.write(cfg_text({"apikey": KEY, "apibase": api.url, "root": root,
                              "plugin_dir": plugins, "interval": 60,
                              "plugins": {"ec2": ec2conf}}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")
               and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        env.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET,
                    "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
        err_path = os.path.join(work, "agent.stderr")
        with open(err_path, "wb") as err:
            p = subprocess.Popen([agent, "-c", conf, "run"], stdout=subprocess.DEVNULL,
                                 stderr=err, env=env)
        rows, seen, api_before, ec2_before = [], 0, 0, 0
        deadline = time.monotonic() + (30 + 30 * sweeps if sweep else 5)
        while time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
            if not sweep:
                continue
            with open(err_path, errors="replace") as f:
                lines = [LINE.search(x) for x in f]
            lines = [m for m in lines if m]
            while seen < len(lines) and len(rows) < sweeps:
                m = lines[seen]
                seen += 1
                counts = api.route_counts()
                api_now = counts.get("find_hosts", 0) + counts.get("retire_host", 0)
                rows.append((int(m.group(7)), int(m.group(4)), api_now - api_before,
                             int(m.group(5))))
                api_before = api_now
            if len(rows) >= sweeps:
                break
        peak = vm(p.pid, "VmHWM") if p.poll() is None else 0
        p.terminate()
        p.wait(30)
        if sweep and len(rows) < sweeps:
            sys.exit("the agent swept %d times only; its log: %s" % (len(rows), err_path))
        return rows, peak
    finally:
        ec2.stop()
        api.stop()


work = tempfile.mkdtemp(prefix="saba-bench-sweep-")
try:
    print("%d hosts, all with an EC2 customIdentifier; sweep_interval 1 s" % n)
    print("%-40s %5s %9s %8s %8s %8s" % ("scenario", "sweep", "wall ms", "EC2 req",
                                         "API req", "retired"))
    scenarios = (("1 region, all running", ["eu-west-1"], 0),
                 ("2 regions, 1% terminated", ["eu-west-1", "us-east-1"], 100))
    peaks = []
    for name, regions, dead in scenarios:
        rows, peak = run(work, regions, dead, True)
        peaks.append((name, peak))
        for i, (ms, req, apireq, retired) in enumerate(rows):
            print("%-40s %5d %9d %8d %8d %8d" % (name if i == 0 else "", i + 1, ms, req,
                                                 apireq, retired))
    _, base = run(work, ["eu-west-1"], 0, False)
    print()
    print("agent peak RSS (VmHWM): without the sweeper %d kB" % base)
    for name, peak in peaks:
        print("  with the sweeper, %-26s %d kB (+%d kB)" % (name + ":", peak, peak - base))
finally:
    shutil.rmtree(work, ignore_errors=True)
EOF
