"""A local stand-in for the three Google Cloud REST APIs the ``gcp`` control plane reads.

One ``ThreadingHTTPServer`` on ``127.0.0.1:0`` answers, with Google's JSON shapes:

- ``GET /v3/projects/{project}`` (Cloud Resource Manager v3): ``{"name", "projectId",
  "state"}``;
- ``GET /v1/projects/{project}/billingInfo`` (Cloud Billing v1): ``billingEnabled`` left
  out when false, as proto3 JSON does;
- ``GET /compute/v1/projects/{project}/zones/{zone}/instances`` (Compute v1): ``items``
  paged with ``nextPageToken``.

A request without ``Authorization: Bearer <token>`` gets Google's 401 (the older
``errors[].reason = "authError"`` shape on Compute, the bare one elsewhere); an
unknown project gets 403 ``PERMISSION_DENIED``, as Google answers when a project
does not exist or is not ours. :meth:`FakeGcp.fail` makes chosen APIs answer
with an error (status, ``ErrorInfo`` reason or legacy reason) and
:meth:`FakeGcp.hang` makes them never answer.

    with FakeGcp(token="ya29.x") as gcp:
        gcp.project_state = "DELETE_REQUESTED"
        ... GcpControl(resource_manager_url=gcp.url, billing_url=gcp.url, compute_url=gcp.url)
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

APIS = ("project", "billing", "compute")
_ROUTES = (
    ("project", re.compile(r"^/v3/projects/(?P<project>[^/]+)$")),
    ("billing", re.compile(r"^/v1/projects/(?P<project>[^/]+)/billingInfo$")),
    ("compute", re.compile(
        r"^/compute/v1/projects/(?P<project>[^/]+)/zones/(?P<zone>[^/]+)/instances$")),
)
_UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.")
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                 503: "UNAVAILABLE"}


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


class FakeGcp:
    """The stand-in server; set its attributes to change what it answers."""

    def __init__(self, token: str = "ya29.fake-access-token", project: str = "social-prod",
                 zone: str = "europe-west1-b") -> None:
        self.token = token
        self.project = project
        self.zone = zone
        self.project_state = "ACTIVE"
        self.billing_enabled = True
        self.instances: dict[str, str] = {}       # name -> status (RUNNING, TERMINATED, ...)
        self.page_size = 500
        self.requests: list[str] = []             # paths asked, in order
        self.faults: dict[str, _Fault] = {}
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, status: int, reason: str | None = None, message: str = "refused",
             *, apis: tuple[str, ...] = APIS, legacy: bool = False) -> None:
        """Answer the named APIs with Google's error ``status`` (and ``reason``)."""
        body = google_error(status, message, reason, legacy=legacy)
        for api in apis:
            self.faults[api] = _Fault(status, body)

    def hang(self, *, apis: tuple[str, ...] = APIS) -> None:
        """Never answer the named APIs (until the server stops)."""
        for api in apis:
            self.faults[api] = _Fault(None, None)

    def __enter__(self) -> FakeGcp:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, query: dict[str, list[str]],
                authorization: str | None) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body) for a GET; None to hang."""
        route = next(((api, m) for api, pattern in _ROUTES if (m := pattern.match(path))), None)
        if route is None:
            return 404, google_error(404, f"The requested URL {path} was not found.")
        api, match = route
        if authorization != f"Bearer {self.token}":
            legacy = api == "compute"
            return 401, google_error(401, _UNAUTHENTICATED,
                                     "authError" if legacy else None, legacy=legacy)
        fault = self.faults.get(api)
        if fault is not None:
            return None if fault.status is None else (fault.status, fault.body or {})
        project = match["project"]
        if project != self.project:
            return 403, google_error(403, "The caller does not have permission")
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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                fake.requests.append(parts.path)
                answer = fake._answer(parts.path, parse_qs(parts.query),
                                      self.headers.get("Authorization"))
                if answer is None:
                    fake._stop.wait(60)
                    return
                status, body = answer
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
