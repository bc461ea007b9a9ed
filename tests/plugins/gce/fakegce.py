"""A fake Google Compute Engine for the gce plugin's tests: the metadata
server and the Compute Engine API v1, each on its own 127.0.0.1 port,
sharing one project's instances and operations.  Python 3 standard library
only (tests/integration/fakecloud.py).

    gce = FakeGce().start()        # gce.url("metadata"), gce.url("compute")
    gce.delete(INSTANCE_ID)        # a delete in progress: STOPPING + operation
    gce.stop_vm(INSTANCE_ID)       # a stop: STOPPING, then TERMINATED
    gce.stop()

The metadata server keeps the real one's rules: every request needs
Metadata-Flavor: Google (403 without it, as the real server answers), a
request with X-Forwarded-For is refused (403), every answer carries
Metadata-Flavor: Google.  GET /computeMetadata/v1/?recursive=true answers
the tree as JSON (the instance id as a JSON number: INSTANCE_ID is beyond
2^63); instance/service-accounts/default/token issues access tokens.

The Compute Engine API needs "Authorization: Bearer <a token the metadata
server issued, not expired>" (401 UNAUTHENTICATED otherwise) and the
permission each method needs in self.permissions (403 PERMISSION_DENIED):
    GET projects/P/zones/Z/instances/NAME      compute.instances.get
    GET projects/P/zones/Z/operations?filter=  compute.zoneOperations.list
    GET projects/P/aggregated/instances        compute.instances.list
Lists page by self.page_size with nextPageToken; the operation filter
understands (field = "v") / (field != "v") joined by AND over
operationType, status and targetId, and refuses anything else (400).
"""

import json
import os
import random
import re
import string
import sys
import time

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

from fakecloud import Answer, FakeCloud  # noqa: E402

__all__ = ["FakeGce", "INSTANCE_ID", "PROJECT", "ZONE", "NAME", "CI"]

INSTANCE_ID = "12345678901234567890"
PROJECT = "saba-test-project"
NUMERIC_PROJECT = 846152073918
ZONE = "us-central1-a"
NAME = "saba-vm-1"
HOSTNAME = "%s.%s.c.%s.internal" % (NAME, ZONE, PROJECT)
MACHINE_TYPE = "e2-medium"
CI = INSTANCE_ID + ".gce.cloud.google.com"

FORBIDDEN = ("<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
             "  <title>Error 403 (Forbidden)!!1</title>\n"
             "  <p><b>403.</b> <ins>That's an error.</ins>\n"
             "  <p>Your client does not have permission to get URL <code>%s</code> from this "
             "server. Missing Metadata-Flavor:Google header. <ins>That's all we know.</ins>\n")


def _gerror(code, status, message):
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global",
                                  "reason": status.lower()}]}}


class FakeGce(FakeCloud):

    def __init__(self):
        super().__init__(("metadata", "compute"))
        self.items = {
            "instance/id": INSTANCE_ID,
            "instance/name": NAME,
            "instance/hostname": HOSTNAME,
            "instance/zone": "projects/%d/zones/%s" % (NUMERIC_PROJECT, ZONE),
            "instance/machine-type": "projects/%d/machineTypes/%s" % (NUMERIC_PROJECT,
                                                                       MACHINE_TYPE),
            "instance/preempted": "FALSE",
            "instance/maintenance-event": "NONE",
            "project/project-id": PROJECT,
            "project/numeric-project-id": str(NUMERIC_PROJECT),
        }
        self.recursive = None           # a text to answer instead of the tree
        self.flavor = True              # False: answers without Metadata-Flavor
        self.service_account = True     # False: the token endpoint says 404
        self.token_life = 3600
        self.tokens = {}                # token -> expiry (monotonic)
        self.permissions = {"compute.instances.get", "compute.zoneOperations.list",
                            "compute.instances.list"}
        self.page_size = 500
        self.unreachable = set()        # zones the aggregated list cannot reach
        self.instances = {}             # id -> dict
        self.operations = []            # dicts
        self.add_instance(INSTANCE_ID, NAME)

    # ------------------------------------------------------------ state
    def add_instance(self, iid, name, zone=ZONE, project=PROJECT, status="RUNNING",
                     termination=None):
        with self.lock:
            self.instances[iid] = {"id": iid, "name": name, "zone": zone, "project": project,
                                   "status": status, "termination": termination}

    def set_status(self, iid, status):
        with self.lock:
            self.instances[iid]["status"] = status

    def remove(self, iid):
        with self.lock:
            self.instances.pop(iid, None)

    def _operation(self, iid, op_type, status):
        inst = self.instances[iid]
        op = {"kind": "compute#operation", "id": str(random.getrandbits(63)),
              "name": "operation-%d-%s" % (int(time.time() * 1000), op_type),
              "zone": "https://www.googleapis.com/compute/v1/projects/%s/zones/%s"
                      % (inst["project"], inst["zone"]),
              "operationType": op_type,
              "targetLink": "https://www.googleapis.com/compute/v1/projects/%s/zones/%s/"
                            "instances/%s" % (inst["project"], inst["zone"], inst["name"]),
              "targetId": iid, "status": status, "progress": 0,
              "project": inst["project"], "zone_name": inst["zone"]}
        self.operations.append(op)
        return op

    def delete(self, iid, status="RUNNING"):
        """A delete in progress: the instance STOPPING, a delete operation."""
        with self.lock:
            self.instances[iid]["status"] = "STOPPING"
            self._operation(iid, "delete", status)

    def finish_delete(self, iid):
        with self.lock:
            for op in self.operations:
                if op["targetId"] == iid and op["operationType"] == "delete":
                    op["status"] = "DONE"
            self.instances.pop(iid, None)

    def stop_vm(self, iid, status="STOPPING", op_type="stop"):
        """A stop (or suspend) in progress, or done (status TERMINATED)."""
        with self.lock:
            self.instances[iid]["status"] = status
            self._operation(iid, op_type, "RUNNING" if status.endswith("ING") else "DONE")

    def preempt(self, termination):
        """The metadata server says preempted; the instance's termination
        action is termination ("STOP", "DELETE" or None)."""
        with self.lock:
            self.items["instance/preempted"] = "TRUE"
            self.instances[INSTANCE_ID]["termination"] = termination
            self.instances[INSTANCE_ID]["status"] = "STOPPING"

    def revoke_tokens(self):
        with self.lock:
            self.tokens.clear()

    # ------------------------------------------------------------ routing
    def route(self, endpoint, req):
        if endpoint == "metadata":
            return self._metadata(req)
        return self._compute(req)

    def _metadata(self, req):
        flavor = {"Server": "Metadata Server for VM"}
        if self.flavor:
            flavor["Metadata-Flavor"] = "Google"
        prefix = "/computeMetadata/v1"
        path = req.path[len(prefix):].lstrip("/") if req.path.startswith(prefix) else None
        req.route = "token" if path == "instance/service-accounts/default/token" else \
            "recursive" if path == "" and req.arg("recursive") == "true" else path
        if req.header("Metadata-Flavor") != "Google":
            return Answer(403, FORBIDDEN % req.path, dict(flavor, **{
                "Content-Type": "text/html; charset=UTF-8"}), "no_header")
        if req.header("X-Forwarded-For") is not None:
            return Answer(403, FORBIDDEN % req.path, flavor, "forwarded")
        if req.method != "GET" or path is None:
            return Answer(405 if path is not None else 404, "", flavor, "method")
        f = self.fault(req)
        if f is not None:
            return f
        with self.lock:
            if req.route == "token":
                if not self.service_account:
                    return Answer(404, "Not Found\n", flavor, "no_account")
                token = "ya29.c." + "".join(random.choice(string.ascii_letters + string.digits)
                                            for _ in range(60))
                self.tokens[token] = time.monotonic() + self.token_life
                return self.json_answer(200, {"access_token": token,
                                              "expires_in": self.token_life,
                                              "token_type": "Bearer"}, "token", flavor)
            if req.route == "recursive":
                if self.recursive is not None:
                    return Answer(200, self.recursive, dict(flavor, **{
                        "Content-Type": "application/json"}), "recursive")
                return Answer(200, self._tree(), dict(flavor, **{
                    "Content-Type": "application/json"}), "recursive")
            if path in self.items:
                return Answer(200, self.items[path], flavor, "item")
        return Answer(404, "Not Found\n", flavor, "absent")

    def _tree(self):
        """The recursive answer, the id a JSON number as the real one."""
        it = self.items
        inst = self.instances.get(INSTANCE_ID, {})
        tree = {
            "instance": {
                "attributes": {}, "hostname": it["instance/hostname"],
                "id": int(it["instance/id"]), "machineType": it["instance/machine-type"],
                "maintenanceEvent": it["instance/maintenance-event"],
                "name": it["instance/name"], "preempted": it["instance/preempted"],
                "scheduling": {"automaticRestart": "TRUE", "onHostMaintenance": "MIGRATE",
                               "preemptible": "FALSE"},
                "serviceAccounts": {"default": {"email": "vm@%s.iam.gserviceaccount.com"
                                                % PROJECT,
                                                "scopes": ["https://www.googleapis.com/auth/"
                                                           "compute.readonly"]}},
                "zone": it["instance/zone"], "tags": [], "status": inst.get("status")},
            "project": {"attributes": {"ssh-keys": "user:ssh-ed25519 AAAA user"},
                        "numericProjectId": NUMERIC_PROJECT,
                        "projectId": it["project/project-id"]}}
        return json.dumps(tree)

    # ------------------------------------------------------------ compute
    def _compute(self, req):
        m = re.fullmatch(r"/compute/v1/projects/([^/]+)/(?:zones/([^/]+)/(instances|operations)"
                         r"(?:/([^/]+))?|aggregated/(instances))", req.path)
        kind = None
        if m and m.group(3) == "instances" and m.group(4):
            kind = "get_instance"
        elif m and m.group(3) == "operations" and not m.group(4):
            kind = "list_operations"
        elif m and m.group(5):
            kind = "aggregated_instances"
        req.route = kind
        auth = req.header("Authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or time.monotonic() >= expiry:
            return self.json_answer(401, _gerror(
                401, "UNAUTHENTICATED", "Request is missing required authentication "
                "credential. Expected OAuth 2 access token, login cookie or other valid "
                "authentication credential."),
                "no_token" if token is None else "bad_token",
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        if kind is None or req.method != "GET":
            return self.json_answer(404, _gerror(404, "NOT_FOUND", "Not Found"), "unknown")
        f = self.fault(req)
        if f is not None:
            return f
        project, zone = m.group(1), m.group(2)
        need = {"get_instance": "compute.instances.get",
                "list_operations": "compute.zoneOperations.list",
                "aggregated_instances": "compute.instances.list"}[kind]
        if need not in self.permissions:
            return self.json_answer(403, _gerror(
                403, "PERMISSION_DENIED", "Required '%s' permission for 'projects/%s'"
                % (need, project)), "denied")
        with self.lock:
            if kind == "get_instance":
                return self._get(project, zone, m.group(4))
            if kind == "list_operations":
                return self._operations(req, project, zone)
            return self._aggregated(req, project)

    def _instance_doc(self, inst):
        doc = {"kind": "compute#instance", "id": inst["id"], "name": inst["name"],
               "zone": "https://www.googleapis.com/compute/v1/projects/%s/zones/%s"
                       % (inst["project"], inst["zone"]),
               "machineType": "zones/%s/machineTypes/%s" % (inst["zone"], MACHINE_TYPE),
               "status": inst["status"],
               "scheduling": {"onHostMaintenance": "MIGRATE", "automaticRestart": True,
                              "preemptible": False, "provisioningModel": "STANDARD"}}
        if inst["termination"] is not None:
            doc["scheduling"].update({"provisioningModel": "SPOT", "preemptible": True,
                                      "onHostMaintenance": "TERMINATE",
                                      "automaticRestart": False,
                                      "instanceTerminationAction": inst["termination"]})
        return doc

    def _get(self, project, zone, name):
        for inst in self.instances.values():
            if (inst["project"], inst["zone"], inst["name"]) == (project, zone, name):
                return self.json_answer(200, self._instance_doc(inst), "instance")
        return self.json_answer(404, _gerror(
            404, "NOT_FOUND", "The resource 'projects/%s/zones/%s/instances/%s' was not found"
            % (project, zone, name)), "not_found")

    def _page(self, req, items):
        """items[start:start+page_size] and the next token, or an Answer."""
        token = req.arg("pageToken")
        start = 0
        if token is not None:
            if not re.fullmatch(r"p(\d+)", token):
                return None, None, self.json_answer(400, _gerror(
                    400, "INVALID_ARGUMENT", "Invalid value for field 'pageToken'"), "bad_page")
            start = int(token[1:])
        size = int(req.arg("maxResults", self.page_size))
        size = min(size, self.page_size)
        end = start + size
        return items[start:end], ("p%d" % end if end < len(items) else None), None

    def _operations(self, req, project, zone):
        try:
            keep = _parse_filter(req.arg("filter", ""))
        except ValueError as e:
            return self.json_answer(400, _gerror(400, "INVALID_ARGUMENT",
                                                 "Invalid value for field 'filter': %s" % e),
                                    "bad_filter")
        ops = [op for op in self.operations
               if op["project"] == project and op["zone_name"] == zone and keep(op)]
        page, nxt, err = self._page(req, ops)
        if err is not None:
            return err
        doc = {"kind": "compute#operationList", "id": "projects/%s/zones/%s/operations"
               % (project, zone),
               "items": [{k: v for k, v in op.items() if k not in ("project", "zone_name")}
                         for op in page]}
        if nxt:
            doc["nextPageToken"] = nxt
        return self.json_answer(200, doc, "operations")

    def _aggregated(self, req, project):
        insts = sorted((i for i in self.instances.values() if i["project"] == project),
                       key=lambda i: (i["zone"], i["id"]))
        page, nxt, err = self._page(req, insts)
        if err is not None:
            return err
        items = {}
        for inst in page:
            items.setdefault("zones/" + inst["zone"], {"instances": []})["instances"].append(
                self._instance_doc(inst))
        items.setdefault("zones/europe-west1-b", {"warning": {
            "code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope "
            "'zones/europe-west1-b' on this page."}})
        for z in self.unreachable:
            items["zones/" + z] = {"warning": {"code": "UNREACHABLE", "message":
                                               "zones/%s is unreachable" % z}}
        doc = {"kind": "compute#instanceAggregatedList", "items": items}
        if nxt:
            doc["nextPageToken"] = nxt
        return self.json_answer(200, doc, "instances")


def _parse_filter(text):
    """The filter of zoneOperations.list as a predicate; ValueError for
    anything but (field = "v") / (field != "v") joined by AND."""
    clauses = [c.strip() for c in re.split(r"\s+AND\s+", text.strip())] if text.strip() else []
    preds = []
    for c in clauses:
        m = re.fullmatch(r'\(?\s*(operationType|status|targetId)\s*(=|!=)\s*'
                         r'(?:"([^"]*)"|(\d+))\s*\)?', c)
        if not m:
            raise ValueError("cannot parse %r" % c)
        field, op, value = m.group(1), m.group(2), m.group(3) if m.group(3) is not None \
            else m.group(4)
        preds.append((field, op, value))

    def keep(o):
        return all((str(o.get(f)) == v) == (op == "=") for f, op, v in preds)
    return keep


if __name__ == "__main__":
    g = FakeGce().start()
    print("metadata %s, compute %s" % (g.url("metadata"), g.url("compute")), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        g.stop()
