"""Python side of the fake EC2 (tests/plugins/ec2/fakeec2.js): start it, script it.

    from fakeec2 import FakeEC2            # sys.path: tests/plugins/ec2
    ec2 = FakeEC2(workdir).start()         # unittest.SkipTest without node
    ec2.credentials("AKIDEXAMPLE", "secret")
    ec2.instances("us-east-1", {"i-0123456789abcdef0": "terminated"})
    ec2.faults("us-east-1", [{"error": "RequestLimitExceeded", "count": 2}])
    ... point the agent at ec2.url (ec2_endpoint) ...
    ec2.stats()["regions"]["us-east-1"]["requests"]
    ec2.stop()

Node.js is needed (Debian package nodejs); without it start() raises
unittest.SkipTest.  aws4 comes from tests/plugins/ec2/aws4.py, whose failure to fetch
it is an error (RuntimeError), not a skip.  Listens on 127.0.0.1 only.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import aws4  # noqa: E402

SCRIPT = os.path.join(HERE, "fakeec2.js")


def node_binary():
    """The node executable, or None."""
    return shutil.which("node") or shutil.which("nodejs")


class FakeEC2:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.port = None
        self._log = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=15):
        node = node_binary()
        if node is None:
            raise unittest.SkipTest("node not found (Debian package nodejs): the fake EC2 "
                                    "runs on Node.js")
        try:
            module_dir = aws4.ensure()
        except aws4.FetchError as e:
            raise RuntimeError("the fake EC2 needs the npm package aws4 to verify "
                               "signatures: %s" % e) from e
        port_file = os.path.join(self.workdir, "fakeec2.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self._log = open(os.path.join(self.workdir, "fakeec2.log"), "wb")
        self.proc = subprocess.Popen([node, SCRIPT, "--aws4", module_dir, "--port-file",
                                      port_file], stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake EC2 did not start; its log:\n" + self.log())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        try:
            with open(os.path.join(self.workdir, "fakeec2.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # ------------------------------------------------------------ control
    def _call(self, method, path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=30) as r:
            return json.loads(r.read().decode())

    def reset(self):
        return self._call("POST", "/_fake/reset", {})

    def credentials(self, access_key_id, secret_access_key, session_token=None):
        d = {"accessKeyId": access_key_id, "secretAccessKey": secret_access_key}
        if session_token is not None:
            d["sessionToken"] = session_token
        return self._call("POST", "/_fake/credentials", d)

    def instances(self, region, instances, replace=False):
        """instances: {id: state name, or {"state": name, "code": n}}."""
        return self._call("POST", "/_fake/instances",
                          {"region": region, "instances": instances, "replace": replace})

    def remove(self, region, ids):
        return self._call("POST", "/_fake/remove", {"region": region, "ids": list(ids)})

    def faults(self, region, faults):
        """Replace the fault queue of region ("*": every region)."""
        return self._call("POST", "/_fake/faults", {"region": region, "faults": faults})

    def config(self, **kw):
        """pageSize=, shuffle=, clockSkewS=."""
        return self._call("POST", "/_fake/config", kw)

    def release(self):
        return self._call("POST", "/_fake/release", {})

    def stats(self):
        return self._call("GET", "/_fake/stats")

    def reset_stats(self):
        return self._call("POST", "/_fake/stats/reset", {})

    def region_stats(self, region):
        return self.stats()["regions"].get(region, {"requests": 0, "ok": 0, "errors": 0,
                                                    "authFailures": 0})
