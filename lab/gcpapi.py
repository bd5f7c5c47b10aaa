"""A local stand-in for the Google Cloud REST APIs failover calls: the ``gcp`` control plane's
three, and Cloud DNS v1 for the ``clouddns`` DNS provider.

One ``ThreadingHTTPServer`` on ``127.0.0.1`` answers, with Google's JSON shapes:

- ``GET /v3/projects/{project}`` (Cloud Resource Manager v3): ``{"name", "projectId",
  "state"}``;
- ``GET /v1/projects/{project}/billingInfo`` (Cloud Billing v1): ``billingEnabled`` left
  out when false, as proto3 JSON does;
- ``GET /compute/v1/projects/{project}/zones/{zone}/instances`` (Compute v1): ``items``
  paged with ``nextPageToken``;
- Cloud DNS v1 under ``/dns/v1/projects/{project}/managedZones/{zone}``: ``GET`` the zone
  (``nameServers``), ``GET .../rrsets`` (``name``/``type`` filters, ``maxResults``,
  ``pageToken``/``nextPageToken``), ``POST .../changes`` and ``GET .../changes/{id}``.

Cloud DNS's documented write semantics are followed: a change's ``deletions`` must match
the record sets exactly (name, type, TTL, every rrdata; order of rrdatas aside) or the
change fails with 412 ``conditionNotMet`` and nothing is applied; an addition whose name
and type exist after the deletions fails with 409 ``alreadyExists``; otherwise the whole
change applies at once. A new change reads ``pending`` and turns ``done`` after
``pending_polls`` GETs of it (an assumption: Google documents the two states, not how
long ``pending`` lasts). Errors use the older ``errors[].reason`` envelope Cloud DNS v1
answers with; 429 ``rateLimitExceeded`` is what :meth:`FakeGcp.rate_limit` injects.

A request without ``Authorization: Bearer <token>`` gets Google's 401 (the older
``errors[].reason = "authError"`` shape on Compute and Cloud DNS, the bare one elsewhere);
an unknown project gets 403 ``PERMISSION_DENIED``, as Google answers when a project
does not exist or is not ours. :meth:`FakeGcp.fail` makes chosen APIs answer
with an error (status, ``ErrorInfo`` reason or legacy reason) and
:meth:`FakeGcp.hang` makes them never answer.

    with FakeGcp(token="ya29.x") as gcp:
        gcp.project_state = "DELETE_REQUESTED"
        ... GcpControl(resource_manager_url=gcp.url, billing_url=gcp.url, compute_url=gcp.url)

The Cloud DNS routes check every request and every success against Google's discovery
document for ``dns`` v1 (:mod:`lab.apischema`, docs/vendor-schemas.md), unless
``check_schema=False``: a request it does not describe is answered 400 with a message that
starts ``schema violation:``, a success it does not allow is replaced by a 500 saying the
same, and both are recorded in :attr:`FakeGcp.violations` (and ``violations_file``, as JSON
lines; ``GET /__violations`` returns them). The Resource Manager, Billing and Compute routes
are not checked: failover's ``gcp`` control plane reads three fields of them, and no
trimmed description of those APIs is kept here.

``python -m lab.gcpapi --port P --token-file F --dns-zone NAME --dns-name example.test.``
runs it as a lab server (the zone starts empty; the lab fills it through the API; violations
go to ``gcpapi.violations.jsonl`` in its folder).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lab import httpbase
from lab.apischema import validate
from lab.clouddns import ManagedZone

APIS = ("project", "billing", "compute", "dns")
_DNS = r"^/dns/v1/projects/(?P<project>[^/]+)/managedZones/(?P<mzone>[^/]+)"
_ROUTES = (
    ("dns", re.compile(_DNS + r"(?P<rest>/rrsets|/changes|/changes/(?P<change>[^/]+))?$")),
    ("project", re.compile(r"^/v3/projects/(?P<project>[^/]+)$")),
    ("billing", re.compile(r"^/v1/projects/(?P<project>[^/]+)/billingInfo$")),
    ("compute", re.compile(
        r"^/compute/v1/projects/(?P<project>[^/]+)/zones/(?P<zone>[^/]+)/instances$")),
)
_UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.")
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def google_error(code: int, message: str, reason: str | None = None, *,
                 legacy: bool = False, service: str = "compute.googleapis.com") -> dict[str, Any]:
    """Google's error body; ``reason`` as a google.rpc.ErrorInfo, or ``errors[]`` if legacy."""
    error: dict[str, Any] = {"code": code, "message": message,
                             "status": _STATUS_NAMES.get(code, "UNKNOWN")}
    if reason and legacy:
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    elif reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                             "reason": reason, "domain": "googleapis.com",
                             "metadata": {"service": service}}]
    return {"error": error}


@dataclass
class _Fault:
    status: int | None           # None: never answer
    body: dict[str, Any] | None


class FakeGcp(httpbase.InThread):
    """The stand-in server; set its attributes to change what it answers."""

    def __init__(self, token: str = "ya29.fake-access-token", project: str = "social-prod",
                 zone: str = "europe-west1-b", *, port: int = 0,
                 dns_zones: dict[str, ManagedZone] | None = None, check_schema: bool = True,
                 violations_file: str | Path | None = None) -> None:
        self.token = token
        self.schema = validate.clouddns() if check_schema else None
        self.violations = validate.Violations("clouddns", violations_file)
        self.project = project
        self.zone = zone
        self.project_state = "ACTIVE"
        self.billing_enabled = True
        self.instances: dict[str, str] = {}       # name -> status (RUNNING, TERMINATED, ...)
        self.page_size = 500
        self.requests: list[str] = []             # paths asked, in order
        self.faults: dict[str, _Fault] = {}
        self.dns_zones: dict[str, ManagedZone] = dict(dns_zones or {})
        self.rate_limited = 0                     # answer this many more requests 429
        self._lock = threading.Lock()
        super().__init__(self._handler(), port)

    def fail(self, status: int, reason: str | None = None, message: str = "refused",
             *, apis: tuple[str, ...] = APIS, legacy: bool = False) -> None:
        """Answer the named APIs with Google's error ``status`` (and ``reason``)."""
        body = google_error(status, message, reason, legacy=legacy)
        for api in apis:
            self.faults[api] = _Fault(status, body)

    def rate_limit(self, count: int) -> None:
        """Answer the next ``count`` requests 429 ``rateLimitExceeded``, then serve again."""
        with self._lock:
            self.rate_limited += count

    def hang(self, *, apis: tuple[str, ...] = APIS) -> None:
        """Never answer the named APIs (until the server stops)."""
        for api in apis:
            self.faults[api] = _Fault(None, None)

    def respond(self, method: str, path: str, query: dict[str, list[str]],
                authorization: str | None, raw: bytes) -> tuple[int, dict[str, Any]] | None:
        """:meth:`_answer`, with Cloud DNS requests and successes checked against the schema."""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = validate.not_json()
        operation = None
        if self.schema is not None and path.startswith("/dns/"):
            verdict = self.schema.check_request(method, path, query, body, has_body=bool(raw))
            self.violations.record(verdict)
            if verdict.violations:
                return 400, google_error(400, "schema violation: " + "; ".join(
                    verdict.violations), "invalid", legacy=True)
            operation = verdict.operation
        answer = self._answer(method, path, query, authorization,
                              None if body is validate.not_json() else body)
        if answer is not None and self.schema is not None and operation is not None:
            verdict = self.schema.check_answer(operation, answer[0], answer[1])
            self.violations.record(verdict)
            if verdict.violations:
                return 500, google_error(500, "schema violation: " + "; ".join(
                    verdict.violations), "internalError", legacy=True)
        return answer

    def _answer(self, method: str, path: str, query: dict[str, list[str]],
                authorization: str | None, body: Any = None
                ) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body) for a request; None to hang."""
        route = next(((api, m) for api, pattern in _ROUTES if (m := pattern.match(path))), None)
        if route is None:
            return 404, google_error(404, f"The requested URL {path} was not found.")
        api, match = route
        if authorization != f"Bearer {self.token}":
            legacy = api in ("compute", "dns")
            return 401, google_error(401, _UNAUTHENTICATED,
                                     "authError" if legacy else None, legacy=legacy)
        with self._lock:
            limited = self.rate_limited > 0
            self.rate_limited -= 1 if limited else 0
        if limited:
            return 429, google_error(429, "Rate Limit Exceeded", "rateLimitExceeded",
                                     legacy=True)
        fault = self.faults.get(api)
        if fault is not None:
            return None if fault.status is None else (fault.status, fault.body or {})
        project = match["project"]
        if project != self.project:
            return 403, google_error(403, "The caller does not have permission")
        if api == "dns":
            return self._dns(method, project, match, query, body)
        if method != "GET":
            return 405, google_error(400, f"{method} is not allowed on {path}")
        if api == "project":
            return 200, {"name": "projects/123456789012", "projectId": project,
                         "state": self.project_state, "displayName": project}
        if api == "billing":
            info: dict[str, Any] = {"name": f"projects/{project}/billingInfo",
                                    "projectId": project}
            if self.billing_enabled:
                info.update(billingAccountName="billingAccounts/0X0X0X-0X0X0X-0X0X0X",
                            billingEnabled=True)
            return 200, info
        if match["zone"] != self.zone:
            return 400, google_error(400, f"Invalid value for field 'zone': '{match['zone']}'")
        names = sorted(self.instances)
        start = int(query.get("pageToken", ["0"])[0] or 0)
        page = names[start:start + self.page_size]
        listing: dict[str, Any] = {
            "kind": "compute#instanceList",
            "id": f"projects/{project}/zones/{self.zone}/instances",
            "items": [{"kind": "compute#instance", "name": n, "status": self.instances[n],
                       "zone": f"projects/{project}/zones/{self.zone}"} for n in page]}
        if start + self.page_size < len(names):
            listing["nextPageToken"] = str(start + self.page_size)
        return 200, listing

    def _dns(self, method: str, project: str, match: re.Match[str],
             query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, Any]]:
        zone = self.dns_zones.get(match["mzone"])
        if zone is None:
            return 404, google_error(404, f"The 'parameters.managedZone' resource named "
                                          f"'{match['mzone']}' does not exist.", "notFound",
                                     legacy=True)
        rest, change = match["rest"], match["change"]
        if method == "GET" and not rest:
            return 200, zone.describe(project)
        if method == "GET" and rest == "/rrsets":
            return zone.list(query)
        if method == "POST" and rest == "/changes":
            return zone.create_change(body)
        if method == "GET" and change:
            return zone.get_change(change)
        return 405, google_error(405, f"{method} is not allowed here", "methodNotAllowed",
                                 legacy=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(httpbase.Handler):
            def do_POST(self) -> None:
                self.do_GET()

            # Methods the stand-in never serves still reach respond(), so that a client
            # sending one to Cloud DNS is recorded as a violation, not just refused.
            do_PATCH = do_PUT = do_DELETE = do_POST

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                raw = self.read_body()
                if raw is None:
                    return
                answer: tuple[int, dict[str, Any]] | None
                if parts.path == "/__violations" and self.command == "GET":
                    answer = 200, fake.violations.snapshot()
                else:
                    fake.requests.append(parts.path)
                    answer = fake.respond(self.command, parts.path,
                                          parse_qs(parts.query, keep_blank_values=True),
                                          self.headers.get("Authorization"), raw)
                if answer is None:
                    fake.stopped.wait(60)
                    return
                status, body = answer
                self.reply_json(status, body, content_type="application/json; charset=UTF-8")

        return Handler


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in as a lab server until SIGTERM."""
    p = argparse.ArgumentParser(prog="python -m lab.gcpapi")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--project", default="lab-project")
    p.add_argument("--dns-zone", required=True, help="the managed zone's name")
    p.add_argument("--dns-name", required=True, help="its DNS name, e.g. example.test.")
    p.add_argument("--name-server", action="append", default=[])
    p.add_argument("--violations-file", default="gcpapi.violations.jsonl",
                   help="where schema violations are written (JSON lines), in the lab's folder")
    args = p.parse_args(argv)
    with open(args.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    zone = ManagedZone(args.dns_zone, args.dns_name, args.name_server)
    fake = FakeGcp(token=token, project=args.project, port=args.port,
                   dns_zones={args.dns_zone: zone}, violations_file=args.violations_file)
    return fake.serve_until_terminated()


if __name__ == "__main__":
    sys.exit(main())
