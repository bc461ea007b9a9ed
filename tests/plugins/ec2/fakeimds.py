"""A fake EC2 instance metadata service (IMDSv2 only) for integration tests.
Python 3 standard library only; listens on 127.0.0.1 only.

    imds = FakeImds().start()          # an ephemeral port; imds.url
    imds.set_item("meta-data/spot/instance-action",
                  '{"action": "terminate", "time": "2030-01-01T00:00:00Z"}')
    ... point the agent at imds.url (imds_endpoint or
        AWS_EC2_METADATA_SERVICE_ENDPOINT) ...
    imds.counts()["token_ok"], imds.requests(path="meta-data/instance-id")
    imds.stop()

Token rules, as IMDS documents them:
    PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds: 1..21600
        -> 200, the token (valid for the TTL, or max_token_life if shorter);
        a missing, non-numeric or out-of-range TTL -> 400;
        with X-Forwarded-For -> 403 (IMDS refuses proxied token requests).
    GET/HEAD /latest/<item> without a token, with an unknown or an expired
        token -> 401.  An item that is not set -> 404.
    PUT anywhere else, or any other method -> 405.
    revoke_tokens() invalidates every token issued so far (as a restart of
    the metadata service would).

Items are paths below /latest/ ("meta-data/instance-id"); set_item() sets
a body (200), or (status, body) for another answer, or None to remove it.
DEFAULT_ITEMS describe one running on-demand instance.

Faults (set_fault(path or "*", mode, ...)), checked after the token rules
for GETs, or for the token PUT with path "api/token":
    status  answer with that status (and body)
    hang    never answer until stop() / release_hangs(); then close
    reset   close the connection without an answer
    delay   sleep `delay` seconds, then answer normally
`count` limits a fault to that many requests.
"""

import http.server
import os
import random
import socket
import string
import struct
import sys
import threading
import time
import urllib.parse

# the shared server start/stop, beside fakeapi in tests/integration
_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

from fakeserver import FakeServer  # noqa: E402

__all__ = ["FakeImds", "DEFAULT_ITEMS", "INSTANCE_ID", "REGION"]

INSTANCE_ID = "i-0123456789abcdef0"
REGION = "us-east-1"
MAX_TTL = 21600

DEFAULT_ITEMS = {
    "meta-data/instance-id": INSTANCE_ID,
    "meta-data/instance-type": "t3.micro",
    "meta-data/placement/availability-zone": REGION + "a",
    "meta-data/placement/region": REGION,
    "meta-data/security-groups": "default\nweb",
    "meta-data/ami-id": "ami-0abcdef1234567890",
    "meta-data/hostname": "ip-10-0-0-12.ec2.internal",
    "meta-data/local-hostname": "ip-10-0-0-12.ec2.internal",
    "meta-data/public-hostname": "ec2-203-0-113-12.compute-1.amazonaws.com",
    "meta-data/local-ipv4": "10.0.0.12",
    "meta-data/public-ipv4": "203.0.113.12",
    "meta-data/reservation-id": "r-0123456789abcdef0",
    "meta-data/services/partition": "aws",
    "meta-data/services/domain": "amazonaws.com",
    "dynamic/instance-identity/document":
        '{"instanceId": "%s", "region": "%s", "availabilityZone": "%sa"}'
        % (INSTANCE_ID, REGION, REGION),
}

FAULT_MODES = ("status", "hang", "reset", "delay")


class _Fault:
    def __init__(self, mode, status=None, body="", count=None, delay=0.0):
        if mode not in FAULT_MODES:
            raise ValueError("unknown fault mode %r" % (mode,))
        if mode == "status" and status is None:
            raise ValueError("fault mode 'status' needs a status code")
        self.mode, self.status, self.body = mode, status, body
        self.count, self.delay, self.hits = count, delay, 0


class Request:
    __slots__ = ("method", "path", "headers", "time", "status", "outcome")

    def __init__(self, method, path, headers, when):
        self.method = method
        self.path = path            # below /latest/, e.g. "meta-data/instance-id"
        self.headers = headers      # lower-case name -> value
        self.time = when
        self.status = None          # the status answered (None: no answer)
        self.outcome = None         # "token", "no_token", "bad_token", "expired", "item", ...

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "<%s /latest/%s -> %s %s>" % (self.method, self.path, self.status, self.outcome)


class FakeImds(FakeServer):
    """The fake.  Every public method is thread-safe."""

    def __init__(self, items=None, max_token_life=None, port=0):
        """items: replaces DEFAULT_ITEMS when given.  max_token_life:
        seconds after which a token expires whatever TTL was asked."""
        self._lock = threading.Condition()
        self._items = dict(DEFAULT_ITEMS if items is None else items)
        self._tokens = {}           # token -> expiry (time.monotonic())
        self._requests = []
        self._faults = {}
        self.max_token_life = max_token_life
        handler = type("Handler", (_Handler,), {"imds": self})
        self._serve(handler, "127.0.0.1", port, "fakeimds")
        self.port = self._server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    # ------------------------------------------------------------ items
    def set_item(self, path, value):
        """value: str (200), (status, body), or None (absent: 404)."""
        with self._lock:
            if value is None:
                self._items.pop(path, None)
            else:
                self._items[path] = value

    def set_role(self, role, creds):
        """An instance role: the listing and the credentials document (a
        dict, sent as JSON)."""
        import json
        self.set_item("meta-data/iam/security-credentials/", role)
        self.set_item("meta-data/iam/security-credentials/" + role, json.dumps(creds))

    def revoke_tokens(self):
        with self._lock:
            self._tokens.clear()

    # ------------------------------------------------------------ faults
    def set_fault(self, path, mode, **kw):
        """Replace the faults of path ("*" = every GET) with one fault."""
        f = _Fault(mode, **kw)
        with self._lock:
            self._faults[path] = f
        return f

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def release_hangs(self):
        with self._lock:
            old, self._release = self._release, threading.Event()
        old.set()

    def _take_fault(self, path):
        with self._lock:
            for key in (path, "*"):
                f = self._faults.get(key)
                if f is None or (key == "*" and path == "api/token"):
                    continue
                if f.count is not None:
                    if f.count <= 0:
                        continue
                    f.count -= 1
                f.hits += 1
                return f, self._release
        return None, None

    # ------------------------------------------------------------ records
    def requests(self, path=None, method=None):
        with self._lock:
            out = list(self._requests)
        return [r for r in out if (path is None or r.path == path)
                and (method is None or r.method == method)]

    def counts(self):
        """Request counters by outcome: token_ok, token_bad_ttl,
        token_forwarded, no_token, bad_token, expired, item, absent,
        method, fault, plus total."""
        out = {"total": 0}
        for r in self.requests():
            out["total"] += 1
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v or time.monotonic() >= deadline:
                return v
            with self._lock:
                self._lock.wait(0.05)

    # ------------------------------------------------------------ logic
    def _record(self, req):
        with self._lock:
            self._requests.append(req)
            self._lock.notify_all()

    def _answered(self):
        with self._lock:
            self._lock.notify_all()

    def _issue(self, ttl):
        token = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(56))
        life = ttl if self.max_token_life is None else min(ttl, self.max_token_life)
        with self._lock:
            self._tokens[token] = time.monotonic() + life
        return token

    def _check_token(self, token):
        """None when valid, else the outcome name."""
        if not token:
            return "no_token"
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return "bad_token"
        if time.monotonic() >= expiry:
            return "expired"
        return None

    def _item(self, path):
        with self._lock:
            v = self._items.get(path)
        if v is None:
            return 404, "Not Found"
        if isinstance(v, tuple):
            return v
        return 200, v


class _Handler(http.server.BaseHTTPRequestHandler):
    imds = None
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _handle(self):
        imds = self.imds
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = split.path[len("/latest/"):] if split.path.startswith("/latest/") else None
        req = Request(self.command, path if path is not None else split.path,
                      {k.lower(): v for k, v in self.headers.items()}, time.time())
        imds._record(req)   # in arrival order; status and outcome follow
        self._dispatch(imds, req, path)

    def _dispatch(self, imds, req, path):
        if path == "api/token" and self.command == "PUT":
            if req.header("X-Forwarded-For") is not None:
                return self._send(req, 403, "Forbidden", "token_forwarded")
            ttl = req.header("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
                return self._send(req, 400, "Bad Request", "token_bad_ttl")
            if self._fault(imds, req, "api/token"):
                return
            token = imds._issue(int(ttl))
            return self._send(req, 200, token, "token_ok",
                              {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        if self.command not in ("GET", "HEAD") or path is None:
            return self._send(req, 405 if path is not None else 404, "Method Not Allowed",
                              "method")
        bad = imds._check_token(req.header("X-aws-ec2-metadata-token"))
        if bad is not None:
            return self._send(req, 401, "Unauthorized", bad)
        if self._fault(imds, req, path):
            return
        status, body = imds._item(path)
        self._send(req, status, body, "item" if status == 200 else "absent")

    def _fault(self, imds, req, path):
        """Apply a fault; True when it answered (or dropped) the request."""
        f, release = imds._take_fault(path)
        if f is None:
            return False
        if f.mode == "delay":
            time.sleep(f.delay)
            return False
        req.outcome = "fault"
        if f.mode == "status":
            self._send(req, f.status, f.body, "fault")
        elif f.mode == "hang":
            release.wait()
            self._drop()
        else:
            self._drop()
        return True

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, req, status, body, outcome, extra=None):
        payload = body.encode() if isinstance(body, str) else body
        req.status, req.outcome = status, outcome
        self.imds._answered()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


if __name__ == "__main__":
    # Manual use: python3 fakeimds.py [PORT] -> serves until Ctrl-C.
    import sys
    srv = FakeImds(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print("fake IMDS on %s" % srv.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
