"""Cloud DNS v1's managed zone as the lab's stand-in keeps it: record sets, changes, and the
documented rules of ``changes.create`` (served over HTTP by :mod:`lab.gcpapi`).

From Google's reference (cloud.google.com/dns/docs/reference/rest/v1/changes):
a Change's ``deletions`` "must match existing data exactly"; a change is applied
atomically; ``status`` is ``pending`` or ``done``. A failed deletion is 412
``conditionNotMet`` and an addition that exists is 409 ``alreadyExists`` (what
the API answers, as seen by gcloud and Terraform users); both apply nothing.
``rrsets.list`` filters by ``name`` (and ``type`` with it) and pages with
``maxResults``/``pageToken``. Assumptions, not documented: how many GETs a change
stays ``pending`` (``pending_polls``), and the exact wording of error messages.
"""

from __future__ import annotations

import threading
import time
from typing import Any

Key = tuple[str, str]  # (name, type)


def _error(code: int, reason: str, message: str) -> dict[str, Any]:
    """Cloud DNS v1's error envelope (the older one with ``errors[]``)."""
    return {"error": {"code": code, "message": message,
                      "errors": [{"domain": "global", "reason": reason, "message": message}]}}


class ManagedZone:
    """One managed zone: record sets by (name, type), and the changes made to it."""

    def __init__(self, name: str, dns_name: str, name_servers: list[str]) -> None:
        self.name = name
        self.dns_name = dns_name.lower().rstrip(".") + "."
        self.name_servers = name_servers
        self.rrsets: dict[Key, dict[str, Any]] = {}
        self.changes: list[dict[str, Any]] = []
        self.polls: dict[str, int] = {}
        self.pending_polls = 1
        self.page_cap = 1000  # a page holds at most this many, whatever maxResults asks
        self.lock = threading.Lock()

    def describe(self, project: str) -> dict[str, Any]:
        return {"kind": "dns#managedZone", "name": self.name, "dnsName": self.dns_name,
                "id": "4242", "nameServers": list(self.name_servers), "visibility": "public",
                "description": f"lab stand-in for {project}"}

    def list(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        name = (query.get("name") or [""])[0].lower()
        rtype = (query.get("type") or [""])[0].upper()
        if rtype and not name:
            return 400, _error(400, "invalid", "type may only be given with name")
        try:
            size = int((query.get("maxResults") or ["100"])[0])
            start = int((query.get("pageToken") or ["0"])[0] or 0)
        except ValueError:
            return 400, _error(400, "invalid", "Invalid value for maxResults or pageToken")
        with self.lock:
            rows = [self.rrsets[k] for k in sorted(self.rrsets)
                    if (not name or k[0] == name) and (not rtype or k[1] == rtype)]
        page = rows[start:start + max(1, min(size, self.page_cap))]
        out: dict[str, Any] = {"kind": "dns#resourceRecordSetsListResponse",
                               "rrsets": [dict(r) for r in page]}
        if start + len(page) < len(rows):
            out["nextPageToken"] = str(start + len(page))
        return 200, out

    def create_change(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, _error(400, "required", "The 'entity.change' parameter is required "
                                                "but was missing.")
        additions = body.get("additions") or []
        deletions = body.get("deletions") or []
        if not additions and not deletions:
            return 400, _error(400, "required", "The 'entity.change' parameter is required "
                                                "but was missing.")
        parsed: dict[str, list[dict[str, Any]]] = {"additions": [], "deletions": []}
        for field, items in (("additions", additions), ("deletions", deletions)):
            for i, item in enumerate(items):
                rr = _rrset(item)
                if rr is None:
                    return 400, _error(400, "invalid", f"Invalid value for 'entity.change."
                                                       f"{field}[{i}]'")
                if not (rr["name"] == self.dns_name or rr["name"].endswith("." + self.dns_name)):
                    return 400, _error(400, "invalid", f"The resource 'entity.change.{field}"
                                                       f"[{i}]' named '{rr['name']}' is not in "
                                                       f"the zone {self.dns_name}")
                parsed[field].append(rr)
        with self.lock:
            after = dict(self.rrsets)
            for i, rr in enumerate(parsed["deletions"]):
                key = (rr["name"], rr["type"])
                held = after.get(key)
                if held is None or not _same(held, rr):
                    return 412, _error(412, "conditionNotMet",
                                       f"Precondition not met for 'entity.change.deletions[{i}]'")
                del after[key]
            for i, rr in enumerate(parsed["additions"]):
                key = (rr["name"], rr["type"])
                if key in after:
                    return 409, _error(409, "alreadyExists",
                                       f"The resource 'entity.change.additions[{i}]' named "
                                       f"'{rr['name']} ({rr['type']})' already exists")
                after[key] = rr
            self.rrsets = after
            change_id = str(len(self.changes) + 1)
            change: dict[str, Any] = {"kind": "dns#change", "id": change_id,
                      "status": "pending" if self.pending_polls else "done",
                      "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                      "additions": parsed["additions"], "deletions": parsed["deletions"],
                      "isServing": True}
            self.changes.append(change)
            self.polls[change_id] = 0
            return 200, dict(change)

    def get_change(self, change_id: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            found = next((c for c in self.changes if c["id"] == change_id), None)
            if found is None:
                return 404, _error(404, "notFound", f"The 'parameters.changeId' resource named "
                                                    f"'{change_id}' does not exist.")
            self.polls[change_id] += 1
            if self.polls[change_id] >= self.pending_polls:
                found["status"] = "done"
            return 200, dict(found)


def _rrset(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    name, rtype, ttl, rrdatas = (item.get("name"), item.get("type"), item.get("ttl"),
                                 item.get("rrdatas"))
    if not isinstance(name, str) or not name.endswith(".") or not isinstance(rtype, str):
        return None
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0:
        return None
    if not isinstance(rrdatas, list) or not rrdatas or not all(isinstance(r, str)
                                                                for r in rrdatas):
        return None
    return {"kind": "dns#resourceRecordSet", "name": name.lower(), "type": rtype.upper(),
            "ttl": ttl, "rrdatas": list(rrdatas)}


def _same(held: dict[str, Any], rr: dict[str, Any]) -> bool:
    return bool(held["ttl"] == rr["ttl"]
                and sorted(held["rrdatas"]) == sorted(rr["rrdatas"]))
