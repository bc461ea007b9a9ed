"""A fake Azure for the azure plugin's tests: the Instance Metadata Service
(IMDS) and Azure Resource Manager (ARM), each on its own 127.0.0.1 port,
sharing one subscription's virtual machines.  Python 3 standard library
only (tests/integration/fakecloud.py).

    az = FakeAzure().start()        # az.url("imds"), az.url("arm")
    az.add_event("Terminate")       # a scheduled event naming this VM
    az.set_state(VM_ID, "Deleting") # ARM: provisioningState
    az.stop()

IMDS keeps the real one's rules: every request needs the header
"Metadata: true" and none may carry X-Forwarded-For (400, "Bad request.
Required metadata header not specified"); api-version is required and must
be one IMDS knows (400 with the newest versions); a query parameter given
twice is refused (400).  It answers instance/compute (JSON), its leaves
with format=text, scheduledevents (GET, and POST {"StartRequests": [...]}
to approve events, recorded in self.approved), and managed identity tokens
(identity/oauth2/token; 400 "Identity not found" without an identity).

ARM needs "Authorization: Bearer <a token IMDS issued for
https://management.azure.com/, not expired>" (401 otherwise), an
api-version (400 MissingApiVersionParameter), and the RBAC action each call
needs in self.actions (403 AuthorizationFailed):
    GET <vm resource id>                           virtualMachines/read
    GET /subscriptions/S/providers/Microsoft.Compute/virtualMachines
                                                   virtualMachines/read
Lists page by self.page_size with nextLink.
"""

import json
import os
import random
import re
import string
import sys
import time
import urllib.parse
import uuid

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

from fakecloud import Answer, FakeCloud  # noqa: E402

__all__ = ["FakeAzure", "VM_ID", "VM_NAME", "SUBSCRIPTION", "RESOURCE_ID", "CI"]

VM_ID = "02aab8a4-74ef-476e-8182-f6d2ba4166a6"
VM_NAME = "saba-vm-1"
SUBSCRIPTION = "8d10da13-8125-4ba9-a717-bf7490507b3d"
GROUP = "saba-test-rg"
RESOURCE_ID = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/"
               "virtualMachines/%s" % (SUBSCRIPTION, GROUP, VM_NAME))
CI = VM_ID + ".virtual_machine.azure.microsoft.com"
ARM_RESOURCE = "https://management.azure.com/"
READ = "Microsoft.Compute/virtualMachines/read"

IMDS_VERSIONS = ("2017-04-02", "2017-08-01", "2018-02-01", "2020-07-01", "2020-12-01",
                 "2021-02-01", "2025-04-07")
COMPUTE_TEXT = {"location": "westeurope", "offer": "0001-com-ubuntu-server-jammy",
                "osType": "Linux", "publisher": "Canonical", "sku": "22_04-lts-gen2",
                "vmId": VM_ID, "vmSize": "Standard_B2s", "name": VM_NAME,
                "resourceGroupName": GROUP, "subscriptionId": SUBSCRIPTION,
                "resourceId": RESOURCE_ID, "azEnvironment": "AzurePublicCloud",
                "evictionPolicy": "", "priority": "Regular", "vmScaleSetName": ""}
NETWORK_TEXT = {"privateIpAddress": "10.0.0.4", "publicIpAddress": "20.61.1.2"}


class FakeAzure(FakeCloud):

    def __init__(self):
        super().__init__(("imds", "arm"))
        self.compute = dict(COMPUTE_TEXT)
        self.network = dict(NETWORK_TEXT)
        self.identity = True            # False: "Identity not found"
        self.token_life = 3600
        self.tokens = {}                # token -> (resource, expiry)
        self.actions = {READ}
        self.page_size = 100
        self.incarnation = 1
        self.events = []                # event dicts as IMDS lists them
        self.approved = []              # EventIds approved by POST
        self.vms = {}                   # vmId -> dict
        self.add_vm(VM_ID, VM_NAME)

    # ------------------------------------------------------------ state
    def add_vm(self, vm_id, name, subscription=SUBSCRIPTION, state="Succeeded",
               power="running"):
        rid = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/" \
              "virtualMachines/%s" % (subscription, GROUP, name)
        with self.lock:
            self.vms[vm_id] = {"vmId": vm_id, "name": name, "id": rid,
                               "subscription": subscription, "state": state, "power": power}

    def set_state(self, vm_id, state, power=None):
        """provisioningState (Succeeded, Updating, Deleting, ...) and the
        power state (running, stopping, stopped, deallocating,
        deallocated)."""
        with self.lock:
            self.vms[vm_id]["state"] = state
            if power is not None:
                self.vms[vm_id]["power"] = power

    def remove(self, vm_id):
        with self.lock:
            self.vms.pop(vm_id, None)

    def add_event(self, event_type, resources=(VM_NAME,), status="Scheduled"):
        ev = {"EventId": str(uuid.uuid4()).upper(), "EventStatus": status,
              "EventType": event_type, "ResourceType": "VirtualMachine",
              "Resources": list(resources),
              "NotBefore": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                         time.gmtime(time.time() + 600)),
              "Description": "Virtual machine is going to be %s." % event_type.lower(),
              "EventSource": "Platform", "DurationInSeconds": -1}
        with self.lock:
            self.events.append(ev)
            self.incarnation += 1
        return ev["EventId"]

    def clear_events(self):
        with self.lock:
            self.events = []
            self.incarnation += 1

    def revoke_tokens(self):
        with self.lock:
            self.tokens.clear()

    # ------------------------------------------------------------ routing
    def route(self, endpoint, req):
        if endpoint == "imds":
            return self._imds(req)
        return self._arm(req)

    def _imds_error(self, req, text, outcome):
        return self.json_answer(400, {"error": text}, outcome)

    def _imds(self, req):
        path = req.path[len("/metadata/"):] if req.path.startswith("/metadata/") else None
        req.route = ("token" if path == "identity/oauth2/token" else
                     "events" if path == "scheduledevents" else
                     "compute" if path == "instance/compute" else
                     "text" if path and path.startswith("instance/") else path)
        if req.header("Metadata") != "true":
            return self._imds_error(req, "Bad request. Required metadata header not "
                                         "specified", "no_header")
        if req.header("X-Forwarded-For") is not None:
            return self._imds_error(req, "Bad request. Forwarded requests are not allowed",
                                    "forwarded")
        raw = [k for k in req.query if k != "__raw__"]
        if any(len(req.query[k]) > 1 for k in raw):
            return self._imds_error(req, "Bad request. Duplicate query parameters",
                                    "duplicate")
        version = req.arg("api-version")
        if version not in IMDS_VERSIONS:
            return self.json_answer(400, {
                "error": "Bad request. api-version is invalid or was not specified in the "
                         "request. For more information refer to aka.ms/azureimds",
                "newest-versions": list(IMDS_VERSIONS[::-1][:3])}, "bad_version")
        f = self.fault(req)
        if f is not None:
            return f
        with self.lock:
            if req.route == "token":
                return self._token(req)
            if req.route == "events":
                return self._events(req)
            if req.method != "GET":
                return Answer(405, "", outcome="method")
            if req.route == "compute" and req.arg("format", "json") == "json":
                return self.json_answer(200, self.compute, "compute")
            return self._leaf(req, path)

    def _leaf(self, req, path):
        m = re.fullmatch(r"instance/compute/(\w+)|instance/network/interface/0/ipv4/"
                         r"ipAddress/0/(\w+)", path)
        if not m:
            return Answer(404, "Not Found", outcome="absent")
        if req.arg("format") != "text":
            return self._imds_error(req, "Bad request. The format parameter is required for "
                                         "a leaf node", "no_format")
        table, key = (self.compute, m.group(1)) if m.group(1) else (self.network, m.group(2))
        if key not in table:
            return Answer(404, "Not Found", outcome="absent")
        return Answer(200, table[key], outcome="item")

    def _token(self, req):
        resource = req.arg("resource")
        if req.method != "GET" or not resource:
            return self.json_answer(400, {"error": "invalid_request",
                                          "error_description": "Required query variable "
                                          "'resource' is missing"}, "no_resource")
        if not self.identity:
            return self.json_answer(400, {"error": "invalid_request",
                                          "error_description": "Identity not found"},
                                    "no_identity")
        token = "eyJ0eXAiOiJKV1Qi." + "".join(
            random.choice(string.ascii_letters + string.digits) for _ in range(80))
        now = int(time.time())
        self.tokens[token] = (resource, time.monotonic() + self.token_life)
        return self.json_answer(200, {
            "access_token": token, "refresh_token": "", "expires_in": str(self.token_life),
            "expires_on": str(now + self.token_life), "not_before": str(now),
            "resource": resource, "token_type": "Bearer"}, "token")

    def _events(self, req):
        if req.method == "GET":
            return self.json_answer(200, {"DocumentIncarnation": self.incarnation,
                                          "Events": self.events}, "events")
        if req.method != "POST":
            return Answer(405, "", outcome="method")
        try:
            starts = req.json()["StartRequests"]
            ids = [s["EventId"] for s in starts]
        except (ValueError, KeyError, TypeError):
            return self._imds_error(req, "Bad request. Malformed body", "bad_ack")
        known = {e["EventId"] for e in self.events}
        if not ids or any(i not in known for i in ids):
            return self._imds_error(req, "Bad request. Unknown EventId", "bad_ack")
        self.approved.extend(ids)
        return Answer(200, "", outcome="ack")

    # ------------------------------------------------------------ ARM
    def _arm_error(self, status, code, message, outcome, headers=None):
        return self.json_answer(status, {"error": {"code": code, "message": message}}, outcome,
                                headers)

    def _arm(self, req):
        vm = re.fullmatch(r"(?i)/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/"
                          r"Microsoft\.Compute/virtualMachines/([^/]+)", req.path)
        lst = re.fullmatch(r"(?i)/subscriptions/([^/]+)/providers/Microsoft\.Compute/"
                           r"virtualMachines", req.path)
        req.route = "get_vm" if vm else "list_vms" if lst else None
        auth = req.header("Authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with self.lock:
            entry = self.tokens.get(token)
        if token is None:
            return self._arm_error(401, "AuthenticationFailed", "Authentication failed. The "
                                   "'Authorization' header is missing.", "no_token",
                                   {"WWW-Authenticate": 'Bearer authorization_uri="https://'
                                    'login.microsoftonline.com/common", error="invalid_token"'})
        if entry is None or entry[1] <= time.monotonic() or entry[0] != ARM_RESOURCE:
            return self._arm_error(401, "InvalidAuthenticationToken", "The access token is "
                                   "invalid.", "bad_token")
        if req.arg("api-version") is None:
            return self._arm_error(400, "MissingApiVersionParameter", "The api-version query "
                                   "parameter (?api-version=) is required for all requests.",
                                   "no_version")
        if req.route is None or req.method != "GET":
            return self._arm_error(404, "InvalidResourceType", "The resource type could not "
                                   "be found.", "unknown")
        f = self.fault(req)
        if f is not None:
            return f
        sub = (vm or lst).group(1)
        if READ not in self.actions:
            return self._arm_error(403, "AuthorizationFailed", "The client 'vm-identity' with "
                                   "object id '%s' does not have authorization to perform "
                                   "action '%s' over scope '/subscriptions/%s' or the scope "
                                   "is invalid." % (VM_ID, READ, sub), "denied")
        with self.lock:
            if vm:
                for v in self.vms.values():
                    if v["id"].lower() == req.path.lower():
                        return self.json_answer(200, self._vm_doc(v, req.arg("$expand")),
                                                "vm")
                return self._arm_error(404, "ResourceNotFound", "The Resource '%s' under "
                                       "resource group '%s' was not found." % (
                                           vm.group(3), vm.group(2)), "not_found")
            return self._list(req, sub)

    def _vm_doc(self, v, expand):
        props = {"vmId": v["vmId"], "provisioningState": v["state"],
                 "hardwareProfile": {"vmSize": "Standard_B2s"}}
        if expand == "instanceView":
            props["instanceView"] = {"statuses": [
                {"code": "ProvisioningState/%s" % v["state"].lower(), "level": "Info"},
                {"code": "PowerState/%s" % v["power"], "level": "Info"}]}
        return {"name": v["name"], "id": v["id"], "type": "Microsoft.Compute/virtualMachines",
                "location": "westeurope", "properties": props}

    def _list(self, req, sub):
        vms = sorted((v for v in self.vms.values() if v["subscription"] == sub),
                     key=lambda v: v["vmId"])
        skip = req.arg("$skiptoken")
        start = int(skip) if skip and skip.isdigit() else 0
        page = vms[start:start + self.page_size]
        doc = {"value": [self._vm_doc(v, None) for v in page]}
        if start + self.page_size < len(vms):
            q = {"api-version": req.arg("api-version"), "$skiptoken": str(start + self.page_size)}
            doc["nextLink"] = "%s%s?%s" % (self.url("arm"), req.path, urllib.parse.urlencode(q))
        return self.json_answer(200, doc, "list")


if __name__ == "__main__":
    az = FakeAzure().start()
    print("imds %s, arm %s" % (az.url("imds"), az.url("arm")), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        az.stop()
