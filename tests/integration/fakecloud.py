"""The base of the fake cloud services (tests/plugins/gce/fakegce.py,
tests/plugins/azure/fakeazure.py, tests/plugins/ec2/fakeimds.py): one or
more HTTP endpoints on 127.0.0.1
(a metadata service, a cloud API) sharing state, request records and
scripted faults.  Python 3 standard library only.

    class FakeThing(FakeCloud):
        def __init__(self):
            super().__init__(("metadata", "api"))
        def route(self, endpoint, req):
            ...                     # -> Answer(status, body, headers, outcome)

    thing = FakeThing().start()     # thing.url("metadata"), thing.url("api")
    thing.set_fault("api", "get_instance", "status", status=500, count=2)
    thing.requests(endpoint="api", route="get_instance"), thing.counts("api")
    thing.stop()

A subclass names each request's route in route() (req.route = "...") before
it asks for a fault (self.fault(req)), so faults apply per route after the
service's own header checks, as they would in front of the real handler; or
in name(), before the request is recorded, when it filters records by route.

Faults (set_fault(endpoint, route or "*", mode, ...)):
    status  answer with that status (and body, a str or a dict sent as JSON)
    hang    never answer until stop() / release_hangs(); then close
    reset   close the connection without an answer
    delay   sleep `delay` seconds, then answer normally
`count` limits a fault to that many requests.
"""

import http.server
import json
import socket
import struct
import threading
import time
import urllib.parse

from fakeserver import FakeServer

__all__ = ["Answer", "FakeCloud", "Request"]

FAULT_MODES = ("status", "hang", "reset", "delay")


class Answer:
    """What route() answers: body is str, bytes or a JSON-able value."""

    def __init__(self, status, body="", headers=None, outcome=None):
        self.status, self.body = status, body
        self.headers = dict(headers or {})
        self.outcome = outcome or ("ok" if status == 200 else str(status))


class Request:
    __slots__ = ("endpoint", "method", "path", "query", "headers", "body", "time", "route",
                 "status", "outcome")

    def __init__(self, endpoint, method, path, query, headers, body, when):
        self.endpoint = endpoint
        self.method = method
        self.path = path                # decoded path, no query
        self.query = query              # name -> [values] (duplicates kept)
        self.headers = headers          # lower-case name -> value
        self.body = body                # bytes
        self.time = when
        self.route = None               # set by the fake's route()
        self.status = None              # answered status (None: no answer)
        self.outcome = None             # "ok", "no_header", "bad_token", ...

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def arg(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def json(self):
        return json.loads(self.body.decode() or "null")

    def __repr__(self):
        return "<%s %s %s %s -> %s %s>" % (self.endpoint, self.method, self.path, self.route,
                                          self.status, self.outcome)


class _Fault:
    def __init__(self, mode, status=None, body="", count=None, delay=0.0):
        if mode not in FAULT_MODES:
            raise ValueError("unknown fault mode %r" % (mode,))
        if mode == "status" and status is None:
            raise ValueError("fault mode 'status' needs a status code")
        self.mode, self.status, self.body = mode, status, body
        self.count, self.delay, self.hits = count, delay, 0


class _Endpoint(FakeServer):
    def __init__(self, cloud, name, port):
        handler = type("Handler", (_Handler,), {"cloud": cloud, "endpoint": name})
        self._serve(handler, "127.0.0.1", port, "fake-" + name)
        self.port = self._server.server_address[1]


class FakeCloud:
    """Endpoints sharing one lock; every public method is thread-safe."""

    # routes a "*" fault leaves alone
    WILDCARD_EXEMPT = ()

    def __init__(self, endpoints, ports=None):
        """ports: endpoint -> port (default: an ephemeral one each)."""
        self.lock = threading.Condition()
        self._requests = []
        self._faults = {}
        self._release = threading.Event()
        self._endpoints = {name: _Endpoint(self, name, (ports or {}).get(name, 0))
                           for name in endpoints}

    def url(self, endpoint):
        return "http://127.0.0.1:%d" % self._endpoints[endpoint].port

    def start(self):
        for e in self._endpoints.values():
            e.start()
        return self

    def stop(self):
        self._release.set()
        for e in self._endpoints.values():
            e.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ faults
    def set_fault(self, endpoint, route, mode, **kw):
        """Replace the fault of (endpoint, route); route "*": every route."""
        f = _Fault(mode, **kw)
        with self.lock:
            self._faults[(endpoint, route)] = f
        return f

    def clear_faults(self):
        with self.lock:
            self._faults.clear()

    def release_hangs(self):
        with self.lock:
            old, self._release = self._release, threading.Event()
        old.set()

    def _take_fault(self, req):
        with self.lock:
            for key in ((req.endpoint, req.route), (req.endpoint, "*")):
                f = self._faults.get(key)
                if f is None or (f.count is not None and f.count <= 0):
                    continue
                if key[1] == "*" and req.route in self.WILDCARD_EXEMPT:
                    continue
                if f.count is not None:
                    f.count -= 1
                f.hits += 1
                return f, self._release
        return None, None

    # ------------------------------------------------------------ records
    def requests(self, endpoint=None, route=None, method=None):
        with self.lock:
            out = list(self._requests)
        return [r for r in out if (endpoint is None or r.endpoint == endpoint)
                and (route is None or r.route == route)
                and (method is None or r.method == method)]

    def answered(self, endpoint=None, route=None):
        return [r for r in self.requests(endpoint, route) if r.status is not None]

    def counts(self, endpoint=None):
        """Requests by outcome, plus "total"."""
        out = {"total": 0}
        for r in self.requests(endpoint):
            out["total"] += 1
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v or time.monotonic() >= deadline:
                return v
            with self.lock:
                self.lock.wait(0.05)

    def _record(self, req):
        with self.lock:
            self._requests.append(req)
            self.lock.notify_all()

    def _notify(self):
        with self.lock:
            self.lock.notify_all()

    # ------------------------------------------------------------ subclass
    def name(self, endpoint, req):
        """Name req.route (or adjust req) before it is recorded; optional."""

    def route(self, endpoint, req):
        """Name req.route, check the service's rules, ask self.fault(req)
        where the real handler would start, and answer (an Answer)."""
        raise NotImplementedError

    def fault(self, req):
        """The fault for req.route, or None.  route() returns what this
        returns when it is not None: the handler applies the fault."""
        f, release = self._take_fault(req)
        if f is None:
            return None
        if f.mode == "delay":
            time.sleep(f.delay)
            return None
        return f, release

    @staticmethod
    def json_answer(status, doc, outcome=None, headers=None):
        h = {"Content-Type": "application/json; charset=utf-8"}
        h.update(headers or {})
        return Answer(status, doc, h, outcome)


class _Handler(http.server.BaseHTTPRequestHandler):
    cloud = None
    endpoint = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def _handle(self):
        cloud = self.cloud
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(self.endpoint, self.command, urllib.parse.unquote(split.path),
                      urllib.parse.parse_qs(split.query, keep_blank_values=True),
                      {k.lower(): v for k, v in self.headers.items()}, body, time.time())
        req.query["__raw__"] = [split.query]
        cloud.name(self.endpoint, req)
        cloud._record(req)
        a = cloud.route(self.endpoint, req)
        if isinstance(a, tuple):            # (fault, release) from self.fault()
            return self._apply(req, *a)
        self._send(req, a)

    def _apply(self, req, f, release):
        req.outcome = "fault"
        if f.mode == "status":
            body = f.body
            h = {"Content-Type": "application/json"} if not isinstance(body, str) else {}
            return self._send(req, Answer(f.status, body, h, "fault"))
        if f.mode == "hang":
            release.wait()
        self._drop()
        self.cloud._notify()

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, req, a):
        body = a.body
        if isinstance(body, str):
            payload = body.encode()
        elif isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body).encode()
        req.status, req.outcome = a.status, a.outcome
        self.cloud._notify()
        try:
            self.send_response(a.status)
            headers = {"Content-Type": "text/plain; charset=utf-8"}
            headers.update(a.headers)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
