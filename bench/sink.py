#!/usr/bin/env python3
"""A loopback HTTP sink for the bench/ scripts: answers every request the
way the Mackerel API answers success, and discards the data.

    sink.py [LOG]

Prints its port on the first line of stdout.  With LOG, appends one line
per request: "<epoch ms at arrival> <method> <path> <values posted>".
SIGUSR1 turns it into a black hole: from then on requests are read but
never answered (the connection stays open), like an API that stopped
responding."""
import http.server
import json
import signal
import sys
import threading
import time

LOG = open(sys.argv[1], "a", buffering=1) if len(sys.argv) > 1 else None
LOG_LOCK = threading.Lock()
BLACKHOLE = threading.Event()


def values(body):
    """How many values a posted body carries: Mackerel tsdb points, or the
    values of collectd's JSON."""
    try:
        doc = json.loads(body)
    except ValueError:
        return 0
    if not isinstance(doc, list):
        return 0
    return sum(len(x["values"]) if isinstance(x, dict) and isinstance(x.get("values"), list)
               else 1 for x in doc)


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm
    # the body waits for the client's delayed ACK (40 ms on Linux), which
    # no real API server makes a client pay.
    disable_nagle_algorithm = True

    def _answer(self):
        t = time.time() * 1000
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if LOG is not None:
            with LOG_LOCK:
                LOG.write("%d %s %s %d\n" % (t, self.command, self.path, values(body)))
        if BLACKHOLE.is_set():
            while True:
                time.sleep(3600)
        body = b'{"id":"benchhost","success":true}'
        if self.command == "GET":
            body = b'{"host":{"id":"benchhost","status":"working"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


signal.signal(signal.SIGUSR1, lambda *a: BLACKHOLE.set())
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
