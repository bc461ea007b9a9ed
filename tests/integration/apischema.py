"""The request bodies the Mackerel API documents, field by field, for the
conformance checks of the fake API's strict mode (Python 3 standard library
only).

Written down from two sources, and only what both name:

- the API documentation, mackerelio/documents at commit
  f9b8b1ce3f9051ca98c87b43dc73f8336e114496: content/api-docs/entry/hosts.md
  (register, update, status, retire, list), host-metrics.md (tsdb,
  graph-defs/create), check-monitoring.md (monitoring/checks/report),
  metadata.md (hosts/<id>/metadata/<namespace>);
- the official Go client's request types, mackerelio/mackerel-client-go at
  commit 09b29eb24b97dda4f4f212212f823e17a1022b01: hosts.go
  (CreateHostParam = UpdateHostParam, HostMeta, Interface, CheckConfig,
  Cloud), metrics.go (HostMetricValue), graph_defs.go (GraphDefsParam,
  GraphDefsMetric), checks.go (CheckReports, CheckReport, checkSourceHost),
  host_metadata.go (HostMetaData: any JSON).

Where they differ the narrower one is written down: the docs' interface key
`ipv6Address` is not in the client's Interface, so it is refused.  A field
the client sends as JSON null (a nil slice or pointer without omitempty)
may be null.  Unknown fields are refused everywhere, as decoding with the
client's types and DisallowUnknownFields would.

    errors = check_request("POST", "/api/v0/hosts", body)   # [] when it conforms
"""

import json
import re

__all__ = ["check_request", "ENDPOINTS"]


class _Type:
    def check(self, v, where, errors):
        raise NotImplementedError


class _Scalar(_Type):
    def __init__(self, name, test):
        self.name = name
        self.test = test

    def check(self, v, where, errors):
        if not self.test(v):
            errors.append("%s: %s expected, got %s" % (where, self.name, _show(v)))


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


STR = _Scalar("string", lambda v: isinstance(v, str))
INT = _Scalar("integer", _is_int)     # Go int64: 1.0 does not decode
UINT = _Scalar("non-negative integer", lambda v: _is_int(v) and v >= 0)
NUM = _Scalar("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOL = _Scalar("boolean", lambda v: isinstance(v, bool))


class _Any(_Type):
    def check(self, v, where, errors):
        pass


ANY = _Any()


class Nullable(_Type):
    def __init__(self, t):
        self.t = t

    def check(self, v, where, errors):
        if v is not None:
            self.t.check(v, where, errors)


class Arr(_Type):
    def __init__(self, t, max_len=None):
        self.t = t
        self.max_len = max_len

    def check(self, v, where, errors):
        if not isinstance(v, list):
            errors.append("%s: array expected, got %s" % (where, _show(v)))
            return
        if self.max_len is not None and len(v) > self.max_len:
            errors.append("%s: at most %d elements, got %d" % (where, self.max_len, len(v)))
        for i, x in enumerate(v):
            self.t.check(x, "%s[%d]" % (where, i), errors)


class Map(_Type):
    """An object with free keys (Go map[string]T)."""

    def __init__(self, t):
        self.t = t

    def check(self, v, where, errors):
        if not isinstance(v, dict):
            errors.append("%s: object expected, got %s" % (where, _show(v)))
            return
        for k, x in v.items():
            self.t.check(x, "%s.%s" % (where, k), errors)


class Obj(_Type):
    """An object with known keys only (a Go struct)."""

    def __init__(self, fields, required=(), extra=None):
        self.fields = fields
        self.required = set(required)
        self.extra = extra      # f(value, where, errors): rules across fields

    def check(self, v, where, errors):
        if not isinstance(v, dict):
            errors.append("%s: object expected, got %s" % (where, _show(v)))
            return
        for k in sorted(set(v) - set(self.fields)):
            errors.append("%s: unknown field %r" % (where, k))
        for k in sorted(self.required - set(v)):
            errors.append("%s: required field %r missing" % (where, k))
        for k, t in self.fields.items():
            if k in v:
                t.check(v[k], "%s.%s" % (where, k), errors)
        if self.extra is not None and not errors:
            self.extra(v, where, errors)


class Enum(_Type):
    def __init__(self, *values):
        self.values = values

    def check(self, v, where, errors):
        if v not in self.values:
            errors.append("%s: one of %s expected, got %s" % (where, "/".join(self.values),
                                                             _show(v)))


class Pattern(_Type):
    """A string matching a regex the docs give, at most max_len characters."""

    def __init__(self, regex, max_len=None):
        self.rx = re.compile(regex)
        self.max_len = max_len

    def check(self, v, where, errors):
        if not isinstance(v, str):
            errors.append("%s: string expected, got %s" % (where, _show(v)))
        elif not self.rx.fullmatch(v):
            errors.append("%s: %r does not match %s" % (where, v, self.rx.pattern))
        elif self.max_len is not None and len(v) > self.max_len:
            errors.append("%s: longer than %d characters" % (where, self.max_len))


def _show(v):
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- hosts.md
# HostMeta: every key omitempty; the docs' table of meta keys.
HOST_META = Obj({
    "agent-revision": STR,
    "agent-version": STR,
    "agent-name": STR,
    "block_device": Map(Map(ANY)),          # BlockDevice map[string]map[string]any
    "cpu": Arr(Map(ANY)),                   # CPU []map[string]any
    "filesystem": Map(ANY),                 # FileSystem map[string]any
    "kernel": Map(STR),                     # Kernel map[string]string
    "memory": Map(STR),                     # Memory map[string]string
    "cloud": Nullable(Obj({"provider": STR, "metadata": ANY})),   # *Cloud
})

INTERFACE = Obj({
    "name": STR,
    "ipAddress": STR,
    "ipv4Addresses": Nullable(Arr(STR)),
    "ipv6Addresses": Nullable(Arr(STR)),
    "macAddress": STR,
})

# "Usable characters include /^[A-Za-z0-9][A-Za-z0-9_-]+$/" for both parts.
_ROLE_PART = r"[A-Za-z0-9][A-Za-z0-9_-]+"

# CreateHostParam; UpdateHostParam is the same type.  meta, interfaces,
# roleFullnames and checks have no omitempty: the client always sends them.
HOST_PARAM = Obj({
    "name": STR,
    "displayName": STR,
    "memo": STR,
    "meta": HOST_META,
    "interfaces": Nullable(Arr(INTERFACE)),
    "roleFullnames": Nullable(Arr(Pattern(_ROLE_PART + ":" + _ROLE_PART))),
    "checks": Nullable(Arr(Obj({"name": Pattern(r"[a-zA-Z0-9_-]+"), "memo": STR},
                               required=("name",)))),
    # null or "" on PUT sets it to null (hosts.md, note *1)
    "customIdentifier": Nullable(STR),
}, required=("name", "meta"))

HOST_STATUS = Obj({"status": Enum("standby", "working", "maintenance", "poweroff")},
                  required=("status",))

# "This will POST empty JSON": {}; the client's RetireHost sends null.
RETIRE = Nullable(Obj({}))

# ---------------------------------------------------------- host-metrics.md
METRIC_VALUE = Obj({
    "hostId": STR,
    "name": Pattern(r"[a-zA-Z0-9._-]+"),
    "time": INT,
    "value": NUM,
}, required=("hostId", "name", "time", "value"))


def _metrics_under_graph(g, where, errors):
    """A metric's name is the graph's name, a dot and one more part."""
    for i, m in enumerate(g.get("metrics") or []):
        rest = m["name"][len(g["name"]) + 1:]
        if (not m["name"].startswith(g["name"] + ".")
                or not re.fullmatch(r"[-a-zA-Z0-9_*#]+", rest)):
            errors.append("%s.metrics[%d].name: %r is not %r plus one part"
                          % (where, i, m["name"], g["name"]))


GRAPH_DEF = Obj({
    "name": Pattern(r"custom\.[-a-zA-Z0-9_.*#]+"),
    "displayName": STR,
    "unit": Enum("float", "integer", "percentage", "seconds", "milliseconds", "bytes",
                 "bytes/sec", "bits/sec", "iops"),
    # GraphDefsParam.Metrics has no omitempty: null for a graph without any
    "metrics": Nullable(Arr(Obj({"name": STR, "displayName": STR, "isStacked": BOOL},
                                required=("name", "isStacked")))),
}, required=("name", "metrics"), extra=_metrics_under_graph)

# ------------------------------------------------------ check-monitoring.md
CHECK_REPORTS = Obj({"reports": Arr(Obj({
    "source": Obj({"type": Enum("host"), "hostId": STR}, required=("type", "hostId")),
    "name": STR,
    "status": Enum("OK", "WARNING", "CRITICAL", "UNKNOWN"),
    "message": Pattern(r"(?s).*", max_len=1024),
    "occurredAt": INT,
    "notificationInterval": UINT,
    "maxCheckAttempts": UINT,
}, required=("source", "name", "status", "message", "occurredAt")), max_len=100)},
    required=("reports",))

# -------------------------------------------------------------- metadata.md
METADATA_MAX_BYTES = 100 * 1024    # "the size of the data is limited to 100KB"

_ID = r"[^/?#]+"

# (method, path regex, body type; None: no body)
ENDPOINTS = (
    ("POST", r"/api/v0/hosts", HOST_PARAM),
    ("GET", r"/api/v0/hosts", None),
    ("GET", r"/api/v0/hosts/%s" % _ID, None),
    ("PUT", r"/api/v0/hosts/%s" % _ID, HOST_PARAM),
    ("POST", r"/api/v0/hosts/%s/status" % _ID, HOST_STATUS),
    ("POST", r"/api/v0/hosts/%s/retire" % _ID, RETIRE),
    # [-a-zA-Z0-9_]+; "a namespace that begins with mackerel will be used by
    # the Mackerel system"
    ("PUT", r"/api/v0/hosts/%s/metadata/(?!mackerel)[-a-zA-Z0-9_]+" % _ID, ANY),
    ("POST", r"/api/v0/tsdb", Arr(METRIC_VALUE)),
    ("POST", r"/api/v0/graph-defs/create", Arr(GRAPH_DEF)),
    ("POST", r"/api/v0/monitoring/checks/report", CHECK_REPORTS),
)


def check_request(method, path, body, raw=b"", json_error=None):
    """The ways a request departs from the documented API: [] when it
    conforms.  path is without the query string; body the parsed JSON."""
    for m, rx, t in ENDPOINTS:
        if m != method or not re.fullmatch(rx, path):
            continue
        if t is None:
            return ["%s %s: a body where none is documented" % (method, path)] if raw else []
        if json_error is not None or not raw:
            return ["%s %s: the body is not JSON (%s)" % (method, path,
                                                         json_error or "empty")]
        if "/metadata/" in path and len(raw) > METADATA_MAX_BYTES:
            return ["%s %s: %d bytes, over 100KB" % (method, path, len(raw))]
        errors = []
        t.check(body, "body", errors)
        return ["%s %s: %s" % (method, path, e) for e in errors]
    return ["%s %s: not an endpoint of the API" % (method, path)]
