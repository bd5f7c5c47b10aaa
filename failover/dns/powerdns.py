"""PowerDNS Authoritative, through its HTTP API.

Reads ask ``GET /api/v1/servers/{server}/zones/{zone}``: filtered to one name and
type (``rrset_name``/``rrset_type``) per managed record when few are asked for,
the whole zone in one call otherwise.

Writes are ``PATCH`` of the zone with ``changetype: REPLACE`` (the new RRset) or
``DELETE``: one PATCH is one transaction on the server, all or nothing. Plans
larger than ``max_rrsets`` RRsets are split into several PATCHes, each atomic.

The PATCH has no precondition of its own (PowerDNS 4.x takes no If-Match or
prerequisite), so the records are read again immediately before each PATCH and
compared with the plan's before-images; anything changed refuses the apply and
is named. The window in which a concurrent writer could still slip in is the
time between that read and the PATCH: one API round trip, milliseconds on a
LAN. This is weaker than RFC 2136 prerequisites or Route 53's exact DELETE, and
the README says so.

A fenced write (:mod:`failover.dns.fence`) reads the fence in the same request as
the before-images, just before EACH PATCH: a newer epoch (or, after the first PATCH,
anything but ours) refuses it with FenceLost; otherwise the PATCH also replaces the
fence with the writer's epoch. A newer leader that writes within that round trip is
not seen: the lease's deadline bounds when a PATCH may start (docs/fencing.md).

Verification asks the server over DNS (``verify_servers``), or reads back
through the API when none is given. The API key comes from an environment
variable or a file and is never shown; a refused key names where it came from.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from failover.clock import Clock
from failover.config import Config, PowerDnsProvider
from failover.dns.base import RecordKey
from failover.dns.conflict import first_few, held_instead, partial
from failover.dns.fence import Fence, check_deadline, fence_name, moved, refuse_newer
from failover.dns.rest import json_of, load_api_secret
from failover.dns.restprovider import Entry, RestProvider, rrsets_of, wanted_keys
from failover.dns.retry import Backoff
from failover.errors import ProviderConflict, ProviderError
from failover.records import Change, RRKey, RRSet


class PowerDns(RestProvider[PowerDnsProvider]):
    """A zone on a PowerDNS Authoritative server, written with PATCH through its API."""

    kind = "powerdns"
    label = "PowerDNS"
    supports_weights = False
    fence_check = "re-read"

    def __init__(self, name: str, settings: PowerDnsProvider, config: Config, *,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        secret = load_api_secret(name, config, env=settings.api_key_env,
                                 file=settings.api_key_file, what="PowerDNS API key")
        super().__init__(name, settings, config, secret, {"X-API-Key": secret.value},
                         describe=_describe_error, clock=clock, rng=rng, backoff=backoff)
        self.path = (f"/api/v1/servers/{quote(settings.server_id, safe='')}/zones/"
                     f"{quote(self.zone, safe='')}")
        self.patches_sent = 0  # PATCH requests in the last apply

    def __repr__(self) -> str:
        return f"PowerDns({self.name!r}, {self.settings.url}, {self.secret!r})"

    # -- reading -------------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        wanted = wanted_keys(keys)
        return rrsets_of(self.entries(wanted), wanted, _rrset_of)

    def record_query(self, name: str, rtype: str) -> dict[str, str]:
        return {"rrset_name": name, "rrset_type": rtype}

    def list_entries(self, params: dict[str, str]) -> list[Entry]:
        resp = self.api.call("GET zone", "GET", self.path, params=params)
        if resp.status_code in (404, 422):
            raise ProviderError(self.name, f"zone {self.zone} not found on server "
                                           f"'{self.settings.server_id}' at {self.settings.url} "
                                           f"({_describe_error(resp)}); check url and "
                                           f"server_id, or the zone was deleted")
        if resp.status_code != 200:
            raise self.api.fail("GET zone", resp)
        data = json_of(self.name, "GET zone", resp)
        rrsets = data.get("rrsets") if isinstance(data, dict) else None
        if not isinstance(rrsets, list):
            raise ProviderError(self.name, "GET zone: the answer has no rrsets list")
        return [r for r in rrsets if isinstance(r, dict)]

    # -- writing -------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.patches_sent = 0
        if not changes and fence is None:
            return
        self.refuse_weighted(changes, "supported by PowerDNS; use one RRset per name")
        size = max(1, self.settings.max_rrsets - (1 if fence else 0))
        batches = [list(changes[i:i + size]) for i in range(0, len(changes), size)]
        if not batches:
            batches = [[]]
        for done, batch in enumerate(batches):
            check_deadline(self.name, fence, done, len(batches), "PATCH")
            self._check_unchanged(batch, done, len(batches), fence)
            body = {"rrsets": [_patch_entry(c) for c in batch]}
            if fence is not None:
                ours = fence.rrset(self.zone)
                body["rrsets"].insert(0, {"name": ours.name, "type": "TXT", "ttl": ours.ttl,
                                          "changetype": "REPLACE",
                                          "records": [{"content": ours.values[0],
                                                       "disabled": False}]})
            try:
                # The deadline again, now that the re-read is done: the window left to
                # a newer leader is this request's own round trip.
                resp = self.api.call("PATCH zone", "PATCH", self.path, json=body, fence=fence)
            except ProviderError as exc:
                raise partial(exc, done, len(batches), "PATCHes") from None
            if resp.status_code not in (200, 204):
                raise partial(self.api.fail("PATCH zone", resp), done, len(batches), "PATCHes")
            self.patches_sent += 1

    def _check_unchanged(self, batch: Sequence[Change], done: int, total: int,
                         fence: Fence | None) -> None:
        """The precondition PowerDNS lacks: every before-image still holds, and the fence
        holds no newer epoch (after our first PATCH: ours), read just now."""
        keys = {(c.key.name, c.key.rtype) for c in batch}
        fence_key = RRKey(fence_name(self.zone), "TXT")
        if fence is not None:
            keys.add((fence_key.name, "TXT"))
        held = self.read(sorted(keys))
        if fence is not None:
            now = held.pop(fence_key, None)
            ours = fence.rrset(self.zone)
            if done == 0:
                refuse_newer(self.name, now, fence)
            elif now != ours:
                raise partial(moved(self.name, ours, now, fence), done, total, "PATCHes")
        stale = [held_instead(c, held.get(c.key), self.label) for c in batch
                 if held.get(c.key) != c.before]
        if stale:
            raise partial(ProviderConflict(self.name, "the server's records changed since "
                                                      "the plan: " + first_few(stale)
                                           + " (this batch was not sent)"),
                          done, total, "PATCHes")

    # -- verifying -----------------------------------------------------------------

    def verify_servers(self) -> Sequence[str]:
        return self.settings.verify_servers


def _patch_entry(change: Change) -> dict[str, Any]:
    key = change.key
    if change.after is None:
        return {"name": key.name, "type": key.rtype, "changetype": "DELETE"}
    return {"name": key.name, "type": key.rtype, "ttl": change.after.ttl,
            "changetype": "REPLACE",
            "records": [{"content": v, "disabled": False} for v in change.after.values]}


def _rrset_of(raw: dict[str, Any]) -> RRSet | None:
    """A PowerDNS rrset -> RRSet (its enabled records); None when all are disabled."""
    records = [r.get("content") for r in raw.get("records") or []
               if isinstance(r, dict) and not r.get("disabled")]
    if not records or "name" not in raw or "type" not in raw:
        return None
    try:
        return RRSet.of(str(raw["name"]), str(raw["type"]), int(raw.get("ttl", 0)), records)
    except ValueError:
        return None  # a value our model does not parse belongs to a type we do not manage


def _describe_error(resp: Any) -> str:
    """PowerDNS's error body: ``{"error": "..."}``, or plain text (401 says Unauthorized)."""
    try:
        data = resp.json()
    except ValueError:
        return str(resp.text).strip()[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return ""
