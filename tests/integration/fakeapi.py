"""A fake Mackerel API server for integration tests (Python 3 standard library only).

Usage inside a test process:

    api = FakeMackerel(api_key="k")       # binds 127.0.0.1 on an ephemeral port
    api.start()                           # serves from a background thread
    ... point the agent at api.url ...
    api.wait_for(lambda: api.points_named("loadavg1"), timeout=10)
    api.stop()

or as a context manager (``with FakeMackerel() as api:``).

Routes (each has a name, used to select requests and to set faults):

    create_host   POST /api/v0/hosts                 -> {"id": "h..."}
    find_hosts    GET  /api/v0/hosts?customIdentifier=..&status=..  -> {"hosts": [...]}
    get_host      GET  /api/v0/hosts/<id>            -> {"host": {...}} or 404
    update_host   PUT  /api/v0/hosts/<id>            -> {"id": id}
    host_status   POST /api/v0/hosts/<id>/status     -> {"success": true}
    retire_host   POST /api/v0/hosts/<id>/retire     -> {"success": true} or 404
                  (404 also for a retired host with retired_404=True)
    tsdb          POST /api/v0/tsdb                  -> {"success": true}
    graph_defs    POST /api/v0/graph-defs/create     -> {"success": true}
                  (recorded: ``graph_defs()``)
    check_report  POST /api/v0/monitoring/checks/report -> {"success": true}
                  (recorded: ``check_reports()``; hostId must be known)
    host_metadata PUT  /api/v0/hosts/<id>/metadata/<namespace> -> {"success": true}
                  (recorded: ``metadata()``)

Every request body is checked against the documented API (apischema.py:
field names and types of the API docs and the official client, unknown
fields refused); what departs from it is recorded (``violations()``).  With
``strict=True`` such a request is answered 400, as the real service may
answer an unknown host field or meta key.

Every request must carry ``X-Api-Key`` equal to the configured key, otherwise
403 {"error": {"message": "Authentication failed."}}.  Every request is
recorded (see ``Request``), whatever the outcome.

Faults (``set_fault``) are per route (or "*" for all), optionally limited to
a number of requests, and take precedence over authentication:

    status     answer with the given status code and a JSON error body
               (optionally a Retry-After header, e.g. 429)
    hang       accept the request and never answer until ``release_hangs()``
               or ``stop()``; then the connection is closed without an answer
    delay      sleep ``delay`` seconds, then answer normally
    garbage    200 with a body that is not JSON
    html       500 with an HTML page
    reset      close the socket without answering (RST)
    truncated  200 with a JSON document cut in the middle (consistent
               Content-Length)
    short      200 whose Content-Length promises more bytes than are sent,
               then the connection is closed
    lost       the request is carried out (a POST /api/v0/hosts creates the
               host), then the connection is closed without an answer
"""

import http.server
import json
import random
import re
import socket
import string
import struct
import threading
import time
import urllib.parse

from apischema import check_request
from fakeserver import FakeServer

__all__ = ["FakeMackerel", "Request", "Fault", "ROUTES"]

ROUTES = ("create_host", "find_hosts", "get_host", "update_host", "host_status",
          "retire_host", "tsdb", "graph_defs", "check_report", "host_metadata")

CHECK_STATUSES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")

FAULT_MODES = ("status", "hang", "delay", "garbage", "html", "reset", "truncated", "short",
               "lost")

_HOST_PATH = re.compile(r"^/api/v0/hosts/([^/]+)$")
_HOST_SUB_PATH = re.compile(r"^/api/v0/hosts/([^/]+)/(status|retire)$")
_METADATA_PATH = re.compile(r"^/api/v0/hosts/([^/]+)/metadata/([^/]+)$")

VALID_STATUSES = ("working", "standby", "maintenance", "poweroff")


class Request:
    """One recorded HTTP request."""

    __slots__ = ("method", "path", "query", "headers", "raw_body", "body", "json_error",
                 "time", "route", "response_status", "fault", "host_id", "target",
                 "violations")

    def __init__(self, method, path, query, headers, raw_body, when):
        self.method = method
        self.path = path                # without the query string
        self.query = query              # dict name -> [values]
        self.headers = headers          # dict lower-case name -> value
        self.raw_body = raw_body        # bytes
        self.body = None                # parsed JSON, or None
        self.json_error = None          # str when the body was not valid JSON
        self.time = when                # time.time() at arrival
        self.route = None               # route name, or None when unknown
        self.response_status = None     # int, or None when no answer was sent
        self.fault = None               # fault mode applied, or None
        self.host_id = None             # <id> from the path, when any
        self.target = None              # the raw request target (absolute via a proxy)
        self.violations = []            # how the request departs from apischema

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__ if k != "raw_body"}

    def __repr__(self):
        q = ("?" + urllib.parse.urlencode(self.query, doseq=True)) if self.query else ""
        extra = " fault=%s" % self.fault if self.fault else ""
        return "<%s %s%s -> %s%s>" % (self.method, self.path, q, self.response_status, extra)


class Fault:
    """A fault applied to matching requests."""

    def __init__(self, mode, status=None, retry_after=None, count=None, delay=0.0,
                 body=None, method=None):
        if mode not in FAULT_MODES:
            raise ValueError("unknown fault mode %r" % (mode,))
        if mode == "status" and status is None:
            raise ValueError("fault mode 'status' needs a status code")
        self.mode = mode
        self.status = status
        self.retry_after = retry_after
        self.count = count      # remaining number of requests, None = unlimited
        self.delay = delay
        self.body = body        # override the response body (bytes/str/JSON-able)
        self.method = method    # only requests with this method, None = any
        self.hits = 0

    def __repr__(self):
        return "<Fault %s status=%s count=%s hits=%d>" % (self.mode, self.status,
                                                          self.count, self.hits)


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def _new_host_id():
    return "h" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(10))


class FakeMackerel(FakeServer):
    """The fake API.  All public methods are thread-safe."""

    def __init__(self, api_key="test-api-key", host="127.0.0.1", port=0, verbose=False,
                 tls=None, retired_404=False, strict=False):
        """tls: None for plain HTTP, or (certfile, keyfile) to serve HTTPS.
        retired_404: a retired host is gone, so retiring it again answers 404
        (what a second fleet sweeper racing the first sees); by default a
        retired host can be retired again (200).
        strict: a request that departs from the documented API (unknown
        field or meta key, wrong type) is answered 400."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake API only listens on loopback")
        self.api_key = api_key
        self.verbose = verbose
        self.retired_404 = retired_404
        self.strict = strict
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._hosts = {}            # id -> host dict (API shape)
        self._requests = []         # [Request]
        self._points = []           # [dict] every point of every accepted tsdb post
        self._statuses = []         # [(host_id, status, time)]
        self._retired = []          # [(host_id, time)]
        self._graph_defs = []       # [dict] every graph definition accepted
        self._check_reports = []    # [dict] every check report accepted
        self._metadata = {}         # (host id, namespace) -> JSON
        self._faults = {}           # route or "*" -> [Fault]
        handler = type("Handler", (_Handler,), {"api": self})
        self._serve(handler, host, port, "fakeapi")
        self.bind_host, self.port = self._server.server_address[:2]
        self.scheme = "http"
        if tls is not None:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            # the handshake happens in the handler thread, not in accept()
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
            self.scheme = "https"

    # ----------------------------------------------------------- lifecycle
    @property
    def url(self):
        return "%s://%s:%d" % (self.scheme, self.bind_host, self.port)

    # ------------------------------------------------------------- state
    def add_host(self, host_id=None, name="seeded-host", status="working", retired=False,
                 custom_identifier=None, **fields):
        """Pre-register a host; returns its id."""
        with self._lock:
            host_id = host_id or _new_host_id()
            host = self._make_host(host_id, {"name": name}, status=status)
            if custom_identifier:
                host["customIdentifier"] = custom_identifier
            host["isRetired"] = bool(retired)
            if retired:
                host["retiredAt"] = int(time.time())
            host.update(fields)
            self._hosts[host_id] = host
            return host_id

    def add_hosts(self, specs):
        """Pre-register many hosts at once: specs is a list of dicts of
        add_host()'s keyword arguments.  Returns their ids, in order."""
        with self._lock:
            return [self.add_host(**spec) for spec in specs]

    def route_counts(self):
        """{route name: number of requests} over every recorded request
        (None for requests no route matched)."""
        with self._lock:
            out = {}
            for r in self._requests:
                out[r.route] = out.get(r.route, 0) + 1
            return out

    def retire_counts(self):
        """{host id: (retire requests, of which accepted)}."""
        with self._lock:
            out = {}
            for r in self._requests:
                if r.route == "retire_host":
                    n, ok = out.get(r.host_id, (0, 0))
                    out[r.host_id] = (n + 1, ok)
            for host_id, _ in self._retired:
                n, ok = out.get(host_id, (0, 0))
                out[host_id] = (n, ok + 1)
            return out

    def host(self, host_id):
        with self._lock:
            h = self._hosts.get(host_id)
            return json.loads(json.dumps(h)) if h is not None else None

    def hosts(self):
        with self._lock:
            return json.loads(json.dumps(list(self._hosts.values())))

    def requests(self, route=None, method=None, path=None):
        """Recorded requests, optionally filtered by route name, method or
        path (a string compared exactly, or a compiled regex)."""
        with self._lock:
            out = list(self._requests)
        if route is not None:
            out = [r for r in out if r.route == route]
        if method is not None:
            out = [r for r in out if r.method == method]
        if path is not None:
            if hasattr(path, "search"):
                out = [r for r in out if path.search(r.path)]
            else:
                out = [r for r in out if r.path == path]
        return out

    def points(self):
        """Every point of every accepted tsdb post, in arrival order."""
        with self._lock:
            return [dict(p) for p in self._points]

    def points_named(self, name):
        return [p for p in self.points() if p.get("name") == name]

    def statuses(self, host_id=None):
        """[(host_id, status, time)] of accepted status posts."""
        with self._lock:
            return [s for s in self._statuses if host_id is None or s[0] == host_id]

    def retired(self):
        """[(host_id, time)] of accepted retire posts."""
        with self._lock:
            return list(self._retired)

    def graph_defs(self):
        """Every graph definition of every accepted graph-defs post."""
        with self._lock:
            return json.loads(json.dumps(self._graph_defs))

    def check_reports(self, name=None):
        """Every report of every accepted checks/report post, optionally
        only those of check ``name``, in arrival order."""
        with self._lock:
            out = json.loads(json.dumps(self._check_reports))
        return [r for r in out if name is None or r.get("name") == name]

    def metadata(self, host_id, namespace):
        """The host metadata last PUT under namespace, or None."""
        with self._lock:
            return json.loads(json.dumps(self._metadata.get((host_id, namespace))))

    def violations(self):
        """["<request>: <how it departs from the documented API>"] over every
        recorded request (apischema.py), in arrival order."""
        with self._lock:
            return ["%r: %s" % (r, v) for r in self._requests for v in r.violations]

    def reset_records(self):
        """Forget recorded requests, points, statuses (hosts stay)."""
        with self._lock:
            self._requests.clear()
            self._points.clear()
            self._statuses.clear()
            self._retired.clear()
            self._graph_defs.clear()
            self._check_reports.clear()

    # ------------------------------------------------------------- faults
    def set_fault(self, route, mode, **kw):
        """Replace the faults of ``route`` ("*" = every route) with one fault.
        Keyword arguments as ``Fault``.  Returns the Fault (its ``hits``
        counts the requests it affected)."""
        if route != "*" and route not in ROUTES:
            raise ValueError("unknown route %r" % (route,))
        fault = Fault(mode, **kw)
        with self._lock:
            self._faults[route] = [fault]
        return fault

    def add_fault(self, route, mode, **kw):
        """Queue one more fault on ``route``; the first one with requests
        left applies."""
        if route != "*" and route not in ROUTES:
            raise ValueError("unknown route %r" % (route,))
        fault = Fault(mode, **kw)
        with self._lock:
            self._faults.setdefault(route, []).append(fault)
        return fault

    def clear_faults(self, route=None):
        with self._lock:
            if route is None:
                self._faults.clear()
            else:
                self._faults.pop(route, None)

    def release_hangs(self):
        """Let every hung request go (their connections are closed without
        an answer).  Later "hang" faults hang again."""
        with self._lock:
            old = self._release
            self._release = threading.Event()
        old.set()

    def _take_fault(self, route, method):
        with self._lock:
            for key in (route, "*"):
                for fault in self._faults.get(key, []):
                    if fault.method is not None and fault.method != method:
                        continue
                    if fault.count is not None and fault.count <= 0:
                        continue
                    if fault.count is not None:
                        fault.count -= 1
                    fault.hits += 1
                    return fault, self._release
        return None, None

    # ------------------------------------------------------------- waiting
    def wait_for(self, predicate, timeout=10.0, interval=0.05):
        """Poll predicate() until it returns a truthy value (returned) or the
        timeout passes (the last falsy value is returned)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= deadline:
                return value
            with self._cond:
                self._cond.wait(min(interval, max(0.0, deadline - time.monotonic())))

    def wait_requests(self, n=1, timeout=10.0, **filters):
        """Wait until at least n requests match ``filters`` (as requests());
        returns the matching list (maybe shorter on timeout)."""
        return self.wait_for(lambda: len(self.requests(**filters)) >= n and
                             self.requests(**filters), timeout) or self.requests(**filters)

    # ------------------------------------------------------------- helpers
    def _make_host(self, host_id, spec, status="standby"):
        roles = {}
        for full in spec.get("roleFullnames") or []:
            if isinstance(full, str) and ":" in full:
                svc, role = full.split(":", 1)
                roles.setdefault(svc, []).append(role)
        return {
            "id": host_id,
            "name": spec.get("name", ""),
            "displayName": spec.get("displayName", ""),
            # null or "" registers or sets null (hosts.md)
            "customIdentifier": spec.get("customIdentifier") or None,
            "type": "unknown",
            "status": status,
            "memo": "",
            "isRetired": False,
            "retiredAt": None,
            "createdAt": int(time.time()),
            "roles": roles,
            "roleFullnames": list(spec.get("roleFullnames") or []),
            "meta": spec.get("meta") or {},
            "interfaces": spec.get("interfaces") or [],
        }

    def _record(self, req):
        with self._cond:
            self._requests.append(req)
            self._cond.notify_all()

    def _notify(self):
        with self._cond:
            self._cond.notify_all()

    # Route dispatch: returns (status, json_obj, extra_headers).  Called with
    # the request already authenticated and parsed.
    def _dispatch(self, req):
        with self._cond:
            try:
                return self._dispatch_locked(req)
            finally:
                self._cond.notify_all()

    def _dispatch_locked(self, req):
        r = req.route
        body = req.body
        if r == "create_host":
            if not isinstance(body, dict) or not body.get("name"):
                return 400, _err("Invalid host spec: name is required."), {}
            host_id = _new_host_id()
            while host_id in self._hosts:
                host_id = _new_host_id()
            self._hosts[host_id] = self._make_host(host_id, body)
            self._hosts[host_id]["spec"] = body
            return 200, {"id": host_id}, {}
        if r == "find_hosts":
            q = req.query
            wanted_ci = q.get("customIdentifier", [None])[0]
            wanted_status = q.get("status") or ["working", "standby"]
            wanted_name = q.get("name", [None])[0]
            hosts = []
            for h in self._hosts.values():
                if h.get("isRetired"):
                    continue
                if wanted_ci is not None and h.get("customIdentifier") != wanted_ci:
                    continue
                if wanted_name is not None and h.get("name") != wanted_name:
                    continue
                if h.get("status") not in wanted_status:
                    continue
                hosts.append(_public(h))
            return 200, {"hosts": hosts}, {}
        host = self._hosts.get(req.host_id) if req.host_id else None
        if r == "get_host":
            if host is None:
                return 404, _err("Host Not Found."), {}
            return 200, {"host": _public(host)}, {}
        if r == "update_host":
            if host is None:
                return 404, _err("Host Not Found."), {}
            if not isinstance(body, dict) or not body.get("name"):
                return 400, _err("Invalid host spec: name is required."), {}
            keep = {k: host[k] for k in ("id", "status", "isRetired", "retiredAt", "createdAt")}
            new = self._make_host(req.host_id, body)
            new.update(keep)
            if "customIdentifier" not in body:
                new["customIdentifier"] = host.get("customIdentifier")
            new["spec"] = body
            self._hosts[req.host_id] = new
            return 200, {"id": req.host_id}, {}
        if r == "host_status":
            if host is None:
                return 404, _err("Host Not Found."), {}
            status = body.get("status") if isinstance(body, dict) else None
            if status not in VALID_STATUSES:
                return 400, _err("Invalid status."), {}
            host["status"] = status
            self._statuses.append((req.host_id, status, req.time))
            return 200, {"success": True}, {}
        if r == "retire_host":
            if host is None or (self.retired_404 and host.get("isRetired")):
                return 404, _err("Host Not Found."), {}
            host["isRetired"] = True
            host["retiredAt"] = int(req.time)
            self._retired.append((req.host_id, req.time))
            return 200, {"success": True}, {}
        if r == "tsdb":
            if not isinstance(body, list):
                return 400, _err("Invalid request: an array of metric values is expected."), {}
            for p in body:
                if (not isinstance(p, dict) or not isinstance(p.get("hostId"), str)
                        or not isinstance(p.get("name"), str)
                        or not re.fullmatch(r"[a-zA-Z0-9._-]+", p.get("name", ""))
                        or not isinstance(p.get("time"), int) or isinstance(p.get("time"), bool)
                        or not isinstance(p.get("value"), (int, float))
                        or isinstance(p.get("value"), bool)):
                    return 400, _err("Invalid metric value: %s" % json.dumps(p)[:200]), {}
            for p in body:
                q = dict(p)
                q["_received"] = req.time
                self._points.append(q)
            return 200, {"success": True}, {}
        if r == "graph_defs":
            if not isinstance(body, list) or not all(
                    isinstance(g, dict) and isinstance(g.get("name"), str)
                    and g["name"].startswith("custom.") for g in body):
                return 400, _err("Invalid graph definitions."), {}
            self._graph_defs.extend(body)
            return 200, {"success": True}, {}
        if r == "check_report":
            reports = body.get("reports") if isinstance(body, dict) else None
            if not isinstance(reports, list):
                return 400, _err("Invalid request: reports are required."), {}
            for rep in reports:
                src = rep.get("source") if isinstance(rep, dict) else None
                if (not isinstance(src, dict) or src.get("type") != "host"
                        or src.get("hostId") not in self._hosts
                        or not isinstance(rep.get("name"), str) or not rep["name"]
                        or rep.get("status") not in CHECK_STATUSES
                        or not isinstance(rep.get("message"), str)
                        or not isinstance(rep.get("occurredAt"), int)):
                    return 400, _err("Invalid check report: %s" % json.dumps(rep)[:200]), {}
            for rep in reports:
                q = dict(rep)
                q["_received"] = req.time
                self._check_reports.append(q)
            return 200, {"success": True}, {}
        if r == "host_metadata":
            if host is None:
                return 404, _err("Host Not Found."), {}
            self._metadata[(req.host_id, _METADATA_PATH.match(req.path).group(2))] = body
            return 200, {"success": True}, {}
        return 404, _err("Not Found."), {}


def _err(message):
    return {"error": {"message": message}}


def _public(host):
    return {k: v for k, v in host.items() if k != "spec"}


def route_of(method, path):
    """(route name, host id) for a request, or (None, None)."""
    if path == "/api/v0/hosts":
        if method == "POST":
            return "create_host", None
        if method == "GET":
            return "find_hosts", None
    if path == "/api/v0/tsdb" and method == "POST":
        return "tsdb", None
    if path == "/api/v0/graph-defs/create" and method == "POST":
        return "graph_defs", None
    if path == "/api/v0/monitoring/checks/report" and method == "POST":
        return "check_report", None
    m = _METADATA_PATH.match(path)
    if m and method == "PUT":
        return "host_metadata", m.group(1)
    m = _HOST_SUB_PATH.match(path)
    if m and method == "POST":
        return ("host_status" if m.group(2) == "status" else "retire_host"), m.group(1)
    m = _HOST_PATH.match(path)
    if m:
        if method == "GET":
            return "get_host", m.group(1)
        if method == "PUT":
            return "update_host", m.group(1)
    return None, None


class _Handler(http.server.BaseHTTPRequestHandler):
    api = None  # set by FakeMackerel
    protocol_version = "HTTP/1.1"
    server_version = "FakeMackerel/1.0"

    def log_message(self, fmt, *args):
        if self.api.verbose:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _handle(self):
        api = self.api
        now = time.time()
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        elif length > 0:
            raw = self.rfile.read(length)
        req = Request(self.command, split.path, query, headers, raw, now)
        req.target = self.path
        if raw:
            try:
                req.body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            except (ValueError, UnicodeDecodeError) as e:
                req.json_error = str(e)
        req.route, req.host_id = route_of(self.command, split.path)
        req.violations = check_request(self.command, split.path, req.body, raw,
                                       req.json_error)
        api._record(req)

        fault, release = api._take_fault(req.route, self.command) if req.route else (None, None)
        if fault is not None:
            req.fault = fault.mode
            if self._apply_fault(req, fault, release):
                return

        if headers.get("x-api-key") != api.api_key:
            self._send_json(req, 403, _err("Authentication failed."))
            return
        if req.route is None:
            self._send_json(req, 404, _err("Not Found."))
            return
        if req.json_error is not None and self.command in ("POST", "PUT"):
            self._send_json(req, 400, _err("Invalid JSON: %s" % req.json_error))
            return
        if api.strict and req.violations:
            self._send_json(req, 400, _err("Invalid request: %s" % "; ".join(req.violations)))
            return
        status, obj, extra = api._dispatch(req)
        self._send_json(req, status, obj, extra)

    def _read_chunked(self):
        data = b""
        while True:
            line = self.rfile.readline()
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    # Returns True when the fault answered (or dropped) the request.
    def _apply_fault(self, req, fault, release):
        mode = fault.mode
        if mode == "delay":
            time.sleep(fault.delay)
            return False
        if mode == "status":
            extra = {}
            if fault.retry_after is not None:
                extra["Retry-After"] = str(fault.retry_after)
            body = fault.body if fault.body is not None else _err(
                "Fake fault: HTTP %d." % fault.status)
            self._send_json(req, fault.status, body, extra)
            return True
        if mode == "hang":
            release.wait()
            self._drop(req)
            return True
        if mode == "reset":
            self._drop(req)
            return True
        if mode == "lost":
            self.api._dispatch(req)
            self._drop(req)
            return True
        if mode == "garbage":
            self._send_raw(req, 200, b"this is {not json at all",
                           "application/json")
            return True
        if mode == "html":
            page = (b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title>"
                    b"</head><body><h1>Internal Server Error</h1><p>The server encountered "
                    b"an internal error.</p></body></html>\n")
            self._send_raw(req, 500, page, "text/html; charset=utf-8")
            return True
        if mode == "truncated":
            full = json.dumps(self._normal_body(req)).encode()
            self._send_raw(req, 200, full[: max(1, len(full) // 2)], "application/json")
            return True
        if mode == "short":
            full = json.dumps(self._normal_body(req)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(full) + 100))
            self.end_headers()
            self.wfile.write(full[: len(full) // 2])
            self.wfile.flush()
            req.response_status = 200
            self._drop(req, record=False)
            return True
        return False

    def _normal_body(self, req):
        return {"id": "hTRUNCATED0"} if req.route == "create_host" else \
            {"host": {"id": req.host_id or "x", "name": "x"}} if req.route == "get_host" else \
            {"hosts": []} if req.route == "find_hosts" else {"success": True}

    def _drop(self, req, record=True):
        """Close the connection without (further) answer, with a RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        if record:
            req.response_status = None
        self.api._notify()

    def _send_raw(self, req, status, payload, ctype, extra=None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        req.response_status = status
        self.api._notify()

    def _send_json(self, req, status, obj, extra=None):
        if isinstance(obj, bytes):
            payload = obj
        elif isinstance(obj, str):
            payload = obj.encode()
        else:
            payload = json.dumps(obj).encode()
        self._send_raw(req, status, payload, "application/json", extra)


if __name__ == "__main__":
    # Manual use: python3 fakeapi.py [APIKEY] -> serves until Ctrl-C.
    import sys
    key = sys.argv[1] if len(sys.argv) > 1 else "test-api-key"
    with FakeMackerel(api_key=key, verbose=True) as srv:
        print("fake Mackerel API on %s (key %s)" % (srv.url, key), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
