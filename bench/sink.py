#!/usr/bin/env python3
"""A loopback HTTP sink for bench/footprint.sh: answers every request the way
the Mackerel API would answer success, and discards the data."""
import http.server
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
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


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(srv.server_address[1], flush=True)
srv.serve_forever()
