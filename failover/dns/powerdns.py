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
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.rest import RestApi, api_authorities, json_of, load_api_secret
from failover.dns.retry import Backoff
from failover.errors import ProviderConflict, ProviderError
from failover.records import Change, RRKey, RRSet

# Up to this many records, read each with a filtered GET; above, read the zone once.
FEW_KEYS = 5


class PowerDns(Provider):
    """A zone on a PowerDNS Authoritative server, written with PATCH through its API."""

    kind = "powerdns"
    supports_weights = False

    def __init__(self, name: str, settings: PowerDnsProvider, config: Config, *,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        super().__init__(name, settings.vendor, config.zone)
        self.settings = settings
        self.secret = load_api_secret(name, config, env=settings.api_key_env,
                                      file=settings.api_key_file, what="PowerDNS API key")
        self.api = RestApi(name, "PowerDNS", settings.url,
                           {"X-API-Key": self.secret.value, "Accept": "application/json"},
                           self.secret, settings.timeout, describe=_describe_error,
                           clock=clock, rng=rng, backoff=backoff)
        self.path = (f"/api/v1/servers/{quote(settings.server_id, safe='')}/zones/"
                     f"{quote(self.zone, safe='')}")
        self.patches_sent = 0  # PATCH requests in the last apply

    def __repr__(self) -> str:
        return f"PowerDns({self.name!r}, {self.settings.url}, {self.secret!r})"

    # -- reading -------------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        wanted = {(n.lower(), t.upper()) for n, t in keys}
        if not wanted:
            return {}
        if len(wanted) <= FEW_KEYS:
            found: list[dict[str, Any]] = []
            for n, t in sorted(wanted):
                found += self._get({"rrset_name": n, "rrset_type": t})
        else:
            found = self._get({})
        out: dict[RRKey, RRSet] = {}
        for raw in found:
            rr = _rrset_of(raw)
            if rr is not None and (rr.name, rr.rtype) in wanted:
                out[rr.key] = rr
        return out

    def _get(self, params: dict[str, str]) -> list[dict[str, Any]]:
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

    def apply(self, changes: Sequence[Change]) -> None:
        self.patches_sent = 0
        if not changes:
            return
        for c in changes:
            if c.key.set_id is not None:
                raise ProviderError(self.name, f"{c.key}: weighted record sets are not "
                                               f"supported by PowerDNS; use one RRset per name")
        size = self.settings.max_rrsets
        batches = [list(changes[i:i + size]) for i in range(0, len(changes), size)]
        for done, batch in enumerate(batches):
            self._check_unchanged(batch, done, len(batches))
            body = {"rrsets": [_patch_entry(c) for c in batch]}
            try:
                resp = self.api.call("PATCH zone", "PATCH", self.path, json=body)
            except ProviderError as exc:
                raise _partial(exc, done, len(batches)) from None
            if resp.status_code not in (200, 204):
                raise _partial(self.api.fail("PATCH zone", resp), done, len(batches))
            self.patches_sent += 1

    def _check_unchanged(self, batch: Sequence[Change], done: int, total: int) -> None:
        """The precondition PowerDNS lacks: every before-image still holds, read just now."""
        held = self.read(sorted({(c.key.name, c.key.rtype) for c in batch}))
        stale = [_stale(c, held.get(c.key)) for c in batch if held.get(c.key) != c.before]
        if stale:
            more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
            raise _partial(ProviderConflict(self.name, "the server's records changed since "
                                                       "the plan: " + "; ".join(stale[:5])
                                            + more + " (this batch was not sent)"),
                           done, total)

    # -- verifying -----------------------------------------------------------------

    def authorities(self) -> list[Authority]:
        return api_authorities(self, self.settings.verify_servers, self.settings.timeout)

    def close(self) -> None:
        self.api.close()



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


def _stale(change: Change, held: RRSet | None) -> str:
    planned = ",".join(change.before.values) if change.before else "nothing"
    has = ",".join(held.values) if held else "nothing"
    if held and change.before and held.values == change.before.values:
        planned, has = f"TTL {change.before.ttl}", f"TTL {held.ttl}"
    return f"{change.key} (plan expected {planned}, PowerDNS has {has})"


def _partial(exc: ProviderError, done: int, total: int) -> ProviderError:
    if not done:
        return exc
    return type(exc)(exc.provider, f"{exc.detail} ({done} of {total} PATCHes were applied "
                                   f"before this one)")


def _describe_error(resp: Any) -> str:
    """PowerDNS's error body: ``{"error": "..."}``, or plain text (401 says Unauthorized)."""
    try:
        data = resp.json()
    except ValueError:
        return str(resp.text).strip()[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return ""
