#!/usr/bin/env python3
"""Scrape a Prometheus exporter on 127.0.0.1 the way a server would, for
the bench/ scripts.

    scrape.py URL INTERVAL LAUNCH_MS OUT

Polls URL every 10 ms until it answers, writes "<ms from LAUNCH_MS to the
first answer>" to OUT, then fetches URL once per INTERVAL seconds, on
wall-clock multiples of INTERVAL (a quarter interval past them)."""
import sys
import time
import urllib.request

url, interval, launch_ms, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if not url.startswith("http://127.0.0.1:"):
    sys.exit("scrape.py: loopback URLs only")
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch():
    with opener.open(url, timeout=10) as r:
        r.read()


while True:
    try:
        fetch()
        break
    except OSError:
        time.sleep(0.01)
with open(out, "w") as f:
    f.write("%d\n" % (time.time() * 1000 - launch_ms))
while True:
    now = time.time()
    time.sleep(interval - now % interval + interval / 4)
    fetch()
