"""A local stand-in for the Cloudflare v4 API calls the ``cloudflare`` DNS provider makes.

One ``ThreadingHTTPServer`` on 127.0.0.1 answers under ``/client/v4``:

- ``GET /zones/{zone_id}``: the zone, with ``name_servers``;
- ``GET /zones/{zone_id}/dns_records`` with ``name``, ``type``, ``page``, ``per_page``;
- ``POST /zones/{zone_id}/dns_records``, ``PATCH`` and ``DELETE .../dns_records/{id}``
  (one record; tests use them as the "someone else" who changes the zone);
- ``POST /zones/{zone_id}/dns_records/batch`` with ``deletes``, ``patches``, ``puts`` and
  ``posts``.

From Cloudflare's published API reference (developers.cloudflare.com/api): the envelope
``{success, errors: [{code, message}], messages, result, result_info}``; pagination with
``page``/``per_page`` (default 100) and ``result_info {page, per_page, count, total_count,
total_pages}``; record names without the trailing dot; ``ttl: 1`` meaning automatic; the
batch runs in one database transaction in the order deletes, patches, puts, posts, and
its result lists the records of each part; at most 200 records per batch on the Free
plan (``batch_limit``); rate limiting answers 429 with ``Retry-After`` in seconds.

Assumptions (not in the reference, taken from answers users report): a bad token is 403
with error code 10000 "Authentication error"; 429's body carries code 971; a missing
record id is 404 code 81044 "Record does not exist."; an identical record is 400 code
81058; a batch over the limit is 400 code 81000 (the code is invented); a failed batch
answers with the failing operation's error and changes nothing.

Every request and answer is checked against Cloudflare's published description of the
operations (:mod:`lab.apischema`, docs/vendor-schemas.md), unless ``check_schema=False``: a
request it does not describe is answered 400 with error code 1000 and a message that starts
``schema violation:``, an answer it does not allow is replaced by a 500 saying the same, and
both are recorded in :attr:`FakeCloudflare.violations` (and in ``violations_file`` as JSON
lines). ``GET /__violations`` returns what was recorded, for a stand-in run as a process.

``python -m lab.cfapi --port P --token-file F --zone-id ID --zone-name example.test.``
runs it as a lab server (violations go to ``cfapi.violations.jsonl`` in its folder).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lab import httpbase
from lab.apischema import validate

SCHEMA_CODE = 1000  # the error code of a request the schema refuses (the document's lowest)
_ZONE = re.compile(r"^/client/v4/zones/(?P<zone>[0-9a-f]{1,32})"
                   r"(?P<rest>/dns_records(?:/(?P<id>batch|[0-9a-f]{1,32}))?)?$")


def _now() -> str:
    """A timestamp as Cloudflare writes them (RFC 3339, microseconds, UTC)."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


class CfError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def envelope(result: Any = None, errors: list[dict[str, Any]] | None = None,
             result_info: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"success": not errors, "errors": errors or [], "messages": [],
                           "result": result}
    if result_info is not None:
        out["result_info"] = result_info
    return out


class CfZone:
    """One zone's records, by id."""

    def __init__(self, zone_id: str, name: str, name_servers: list[str]) -> None:
        self.id = zone_id
        self.name = name.lower().rstrip(".")
        self.name_servers = name_servers
        self.records: dict[str, dict[str, Any]] = {}
        self.created_on = _now()

    def describe(self) -> dict[str, Any]:
        """The zone as ``GET /zones/{zone_id}`` answers it (the document's required fields)."""
        return {"id": self.id, "name": self.name, "status": "active", "paused": False,
                "type": "full", "development_mode": 0,
                "name_servers": list(self.name_servers), "original_name_servers": None,
                "original_registrar": None, "original_dnshost": None,
                "owner": {"type": "user", "id": "0" * 32, "name": "lab"},
                "account": {"id": "0" * 32, "name": "lab"}, "meta": {"step": 2},
                "created_on": self.created_on, "modified_on": self.created_on,
                "activated_on": self.created_on}

    def add(self, records: dict[str, dict[str, Any]], data: Any) -> dict[str, Any]:
        rec = self._valid(data, None)
        if any(r["name"] == rec["name"] and r["type"] == rec["type"]
               and r["content"] == rec["content"] for r in records.values()):
            raise CfError(400, 81058, "An identical record already exists.")
        rec["id"] = secrets.token_hex(16)
        records[rec["id"]] = rec
        return dict(rec)

    def edit(self, records: dict[str, dict[str, Any]], data: Any, whole: bool) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise CfError(400, 9000, "Invalid request: an id is required")
        old = records.get(data["id"])
        if old is None:
            raise CfError(404, 81044, "Record does not exist.")
        merged = {k: v for k, v in data.items() if k != "id"}
        if not whole:
            merged = {**{k: old[k] for k in ("name", "type", "content", "ttl", "proxied",
                                             "comment") if k in old}, **merged}
        rec = self._valid(merged, old["id"], created=old["created_on"])
        records[old["id"]] = rec
        return dict(rec)

    def _valid(self, data: Any, rid: str | None, created: str | None = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise CfError(400, 9000, "Invalid request body")
        name, rtype, content = data.get("name"), data.get("type"), data.get("content")
        ttl, proxied = data.get("ttl", 1), data.get("proxied", False)
        if not isinstance(name, str) or not isinstance(rtype, str) or not isinstance(content,
                                                                                    str):
            raise CfError(400, 9005, "name, type and content are required")
        name = name.lower().rstrip(".")
        if name != self.name and not name.endswith("." + self.name):
            raise CfError(400, 9007, f"{name} is not in the zone {self.name}")
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not (ttl == 1 or
                                                                       60 <= ttl <= 86400):
            raise CfError(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, "
                                     "or 1 for Automatic.")
        if not isinstance(proxied, bool):
            raise CfError(400, 9003, "Invalid 'proxied' value, must be a boolean")
        if rtype in ("A", "AAAA"):
            try:
                ip = ipaddress.ip_address(content)
            except ValueError:
                raise CfError(400, 9005, "Content for A record must be a valid IPv4 "
                                         "address.") from None
            if (rtype == "A") != (ip.version == 4):
                raise CfError(400, 9005, f"Content for {rtype} record is invalid.")
        now = _now()
        rec: dict[str, Any] = {
            "id": rid, "name": name, "type": rtype, "content": content,
            "proxiable": rtype in ("A", "AAAA", "CNAME"), "proxied": proxied,
            "ttl": 1 if proxied else ttl, "tags": [], "settings": {}, "meta": {},
            "created_on": created or now, "modified_on": now}
        if data.get("comment") is not None:  # a string in the schema: left out, not null
            rec["comment"] = data["comment"]
        return rec


class FakeCloudflare(httpbase.InThread):
    """The stand-in server; zones by id. Set attributes to change what it answers."""

    def __init__(self, token: str, zones: list[CfZone], *, port: int = 0,
                 batch_limit: int = 200, check_schema: bool = True,
                 violations_file: str | Path | None = None) -> None:
        self.token = token
        self.schema = validate.cloudflare() if check_schema else None
        self.violations = validate.Violations("cloudflare", violations_file)
        self.zones = {z.id: z for z in zones}
        self.batch_limit = batch_limit
        self.rate_limited = 0          # answer this many more requests 429
        self.retry_after = "0"
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        super().__init__(self._handler(), port)

    @property
    def url(self) -> str:
        return f"{super().url}/client/v4"

    def rate_limit(self, count: int, retry_after: str = "0") -> None:
        with self.lock:
            self.rate_limited += count
            self.retry_after = retry_after

    def respond(self, method: str, path: str, query: dict[str, list[str]],
                authorization: str | None, raw: bytes
                ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """:meth:`answer`, with the request and the answer checked against the schema."""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = validate.not_json()
        operation = None
        if self.schema is not None:
            verdict = self.schema.check_request(method, path, query, body, has_body=bool(raw))
            self.violations.record(verdict)
            if verdict.violations:
                return 400, envelope(errors=[{"code": SCHEMA_CODE, "message": "schema violation: "
                                              + "; ".join(verdict.violations)}]), {}
            operation = verdict.operation
        status, data, headers = self.answer(method, path, query, authorization,
                                            None if body is validate.not_json() else body)
        if self.schema is not None and operation is not None:
            verdict = self.schema.check_answer(operation, status, data)
            self.violations.record(verdict)
            if verdict.violations:
                return 500, envelope(errors=[{"code": SCHEMA_CODE, "message": "schema violation: "
                                              + "; ".join(verdict.violations)}]), {}
        return status, data, headers

    def answer(self, method: str, path: str, query: dict[str, list[str]],
               authorization: str | None, body: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.requests.append((method, path))
            if authorization != f"Bearer {self.token}":
                return 403, envelope(errors=[{"code": 10000,
                                              "message": "Authentication error"}]), {}
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return 429, envelope(errors=[{
                    "code": 971, "message": "Please wait and consider throttling your request "
                                            "speed"}]), {"Retry-After": self.retry_after}
            match = _ZONE.match(path)
            if match is None:
                return 404, envelope(errors=[{"code": 7003, "message": "Could not route to "
                                              f"{path}, perhaps your object identifier is "
                                              "invalid?"}]), {}
            zone = self.zones.get(match["zone"])
            if zone is None:
                return 404, envelope(errors=[{"code": 1001, "message": "Invalid zone "
                                                                       "identifier"}]), {}
            try:
                status, result, info = self._route(zone, method, match, query, body)
            except CfError as exc:
                return exc.status, envelope(errors=[{"code": exc.code,
                                                     "message": exc.message}]), {}
            return status, envelope(result, result_info=info), {}

    def _route(self, zone: CfZone, method: str, match: re.Match[str],
               query: dict[str, list[str]], body: Any
               ) -> tuple[int, Any, dict[str, Any] | None]:
        rest, rid = match["rest"], match["id"]
        if not rest and method == "GET":
            return 200, zone.describe(), None
        if rest and not rid and method == "GET":
            return self._list(zone, query)
        if rest and not rid and method == "POST":
            return 200, zone.add(zone.records, body), None
        if rid == "batch" and method == "POST":
            return 200, self._batch(zone, body), None
        if rid and rid != "batch" and method in ("PATCH", "PUT"):
            return 200, zone.edit(zone.records, {**(body or {}), "id": rid},
                                  whole=method == "PUT"), None
        if rid and rid != "batch" and method == "DELETE":
            if zone.records.pop(rid, None) is None:
                raise CfError(404, 81044, "Record does not exist.")
            return 200, {"id": rid}, None
        raise CfError(405, 10405, f"Method {method} not allowed here")

    @staticmethod
    def _list(zone: CfZone, query: dict[str, list[str]]
              ) -> tuple[int, Any, dict[str, Any] | None]:
        name = (query.get("name") or [""])[0].lower().rstrip(".")
        rtype = (query.get("type") or [""])[0].upper()
        try:
            page = int((query.get("page") or ["1"])[0])
            per_page = int((query.get("per_page") or ["100"])[0])
        except ValueError:
            raise CfError(400, 9000, "page and per_page must be numbers") from None
        if page < 1 or not 5 <= per_page <= 5000:
            raise CfError(400, 9000, "per_page must be between 5 and 5000")
        rows = sorted((r for r in zone.records.values()
                       if (not name or r["name"] == name) and (not rtype or r["type"] == rtype)),
                      key=lambda r: (r["name"], r["type"], r["content"]))
        chunk = rows[(page - 1) * per_page: page * per_page]
        total_pages = max(1, -(-len(rows) // per_page))
        return 200, [dict(r) for r in chunk], {"page": page, "per_page": per_page,
                                               "count": len(chunk), "total_count": len(rows),
                                               "total_pages": total_pages}

    def _batch(self, zone: CfZone, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise CfError(400, 9000, "Invalid request body")
        parts = {k: body.get(k) or [] for k in ("deletes", "patches", "puts", "posts")}
        if not all(isinstance(v, list) for v in parts.values()):
            raise CfError(400, 9000, "deletes, patches, puts and posts must be lists")
        count = sum(len(v) for v in parts.values())
        if count > self.batch_limit:
            raise CfError(400, 81000, f"Batch of {count} records exceeds the limit of "
                                      f"{self.batch_limit} for this zone's plan")
        records = {k: dict(v) for k, v in zone.records.items()}  # the transaction
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in parts}
        for item in parts["deletes"]:
            rid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(rid, str) or rid not in records:
                raise CfError(404, 81044, "Record does not exist.")
            out["deletes"].append(records.pop(rid))
        for item in parts["patches"]:
            out["patches"].append(zone.edit(records, item, whole=False))
        for item in parts["puts"]:
            out["puts"].append(zone.edit(records, item, whole=True))
        for item in parts["posts"]:
            out["posts"].append(zone.add(records, item))
        zone.records = records  # committed only when every operation succeeded
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(httpbase.Handler):
            def _any(self) -> None:
                parts = urlsplit(self.path)
                raw = self.read_body()
                if raw is None:
                    return
                status: int
                data: dict[str, Any]
                headers: dict[str, str]
                if parts.path == "/__violations" and self.command == "GET":
                    status, data, headers = 200, dict(fake.violations.snapshot()), {}
                else:
                    status, data, headers = fake.respond(
                        self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                        self.headers.get("Authorization"), raw)
                self.reply_json(status, data, headers)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        return Handler


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in as a lab server until SIGTERM."""
    p = argparse.ArgumentParser(prog="python -m lab.cfapi")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--zone-id", required=True)
    p.add_argument("--zone-name", required=True)
    p.add_argument("--name-server", action="append", default=[])
    p.add_argument("--batch-limit", type=int, default=200)
    p.add_argument("--violations-file", default="cfapi.violations.jsonl",
                   help="where schema violations are written (JSON lines), in the lab's folder")
    args = p.parse_args(argv)
    with open(args.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    fake = FakeCloudflare(token, [CfZone(args.zone_id, args.zone_name, args.name_server)],
                          port=args.port, batch_limit=args.batch_limit,
                          violations_file=args.violations_file)
    return fake.serve_until_terminated()


if __name__ == "__main__":
    sys.exit(main())
