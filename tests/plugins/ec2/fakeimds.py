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
for GETs, or for the token PUT with path "api/token" (which "*" leaves
alone): the modes of tests/integration/fakecloud.py, on which this fake is
built (status, hang, reset, delay; `count`).
"""

import json
import os
import random
import string
import sys
import time

# the shared fake cloud server, in tests/integration
_TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_INTEGRATION = os.path.join(_TESTS, "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

from fakecloud import Answer, FakeCloud  # noqa: E402

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

TEXT = {"Content-Type": "text/plain"}


class FakeImds(FakeCloud):
    """The fake: one endpoint, "imds".  Every public method is thread-safe.
    Requests are recorded with path (and route) the item's path below
    /latest/, e.g. "meta-data/instance-id"; outcome one of token_ok,
    token_bad_ttl, token_forwarded, no_token, bad_token, expired, item,
    absent, method, fault."""

    WILDCARD_EXEMPT = ("api/token",)

    def __init__(self, items=None, max_token_life=None, port=0):
        """items: replaces DEFAULT_ITEMS when given.  max_token_life:
        seconds after which a token expires whatever TTL was asked."""
        super().__init__(("imds",), {"imds": port})
        self._items = dict(DEFAULT_ITEMS if items is None else items)
        self._tokens = {}           # token -> expiry (time.monotonic())
        self.max_token_life = max_token_life

    @property
    def url(self):
        return FakeCloud.url(self, "imds")

    # ------------------------------------------------------------ items
    def set_item(self, path, value):
        """value: str (200), (status, body), or None (absent: 404)."""
        with self.lock:
            if value is None:
                self._items.pop(path, None)
            else:
                self._items[path] = value

    def set_role(self, role, creds):
        """An instance role: the listing and the credentials document (a
        dict, sent as JSON)."""
        self.set_item("meta-data/iam/security-credentials/", role)
        self.set_item("meta-data/iam/security-credentials/" + role, json.dumps(creds))

    def revoke_tokens(self):
        with self.lock:
            self._tokens.clear()

    # ------------------------------------------------------------ faults, records
    def set_fault(self, path, mode, **kw):
        """Replace the fault of path ("*" = every GET) with one fault."""
        return super().set_fault("imds", path, mode, **kw)

    def requests(self, path=None, method=None):
        return [r for r in super().requests("imds", method=method)
                if path is None or r.path == path]

    # ------------------------------------------------------------ logic
    def _issue(self, ttl):
        token = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(56))
        life = ttl if self.max_token_life is None else min(ttl, self.max_token_life)
        with self.lock:
            self._tokens[token] = time.monotonic() + life
        return token

    def _check_token(self, token):
        """None when valid, else the outcome name."""
        if not token:
            return "no_token"
        with self.lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return "bad_token"
        if time.monotonic() >= expiry:
            return "expired"
        return None

    def _item(self, path):
        with self.lock:
            v = self._items.get(path)
        if v is None:
            return 404, "Not Found"
        if isinstance(v, tuple):
            return v
        return 200, v

    def name(self, endpoint, req):
        if req.path.startswith("/latest/"):     # else no route: 404
            req.path = req.route = req.path[len("/latest/"):]

    def route(self, endpoint, req):
        if req.path == "api/token" and req.method == "PUT":
            if req.header("X-Forwarded-For") is not None:
                return Answer(403, "Forbidden", TEXT, "token_forwarded")
            ttl = req.header("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
                return Answer(400, "Bad Request", TEXT, "token_bad_ttl")
            fault = self.fault(req)
            if fault is not None:
                return fault
            return Answer(200, self._issue(int(ttl)),
                          dict(TEXT, **{"X-aws-ec2-metadata-token-ttl-seconds": ttl}),
                          "token_ok")
        latest = req.route is not None
        if req.method not in ("GET", "HEAD") or not latest:
            return Answer(405 if latest else 404, "Method Not Allowed", TEXT, "method")
        bad = self._check_token(req.header("X-aws-ec2-metadata-token"))
        if bad is not None:
            return Answer(401, "Unauthorized", TEXT, bad)
        fault = self.fault(req)
        if fault is not None:
            return fault
        status, body = self._item(req.path)
        return Answer(status, body, TEXT, "item" if status == 200 else "absent")


if __name__ == "__main__":
    # Manual use: python3 fakeimds.py [PORT] -> serves until Ctrl-C.
    srv = FakeImds(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print("fake IMDS on %s" % srv.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
