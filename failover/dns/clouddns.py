"""Google Cloud DNS, through its REST API (v1).

Reads list the managed zone's record sets: ``rrsets?name=&type=`` per managed
record when few are asked for, the whole zone page by page (``pageToken``)
otherwise.

Writes are ``changes.create``: one change per batch, with the plan's
before-images as exact ``deletions`` and its new sets as ``additions``. Cloud
DNS applies a change atomically and only if every deletion matches the zone
exactly (412 ``conditionNotMet`` otherwise; 409 ``alreadyExists`` for an
addition that is there), so the deletions are the precondition: a record
changed since the plan refuses the whole batch, and nothing in it is applied.
Batches hold at most ``max_rrsets`` additions and as many deletions (the
project's quota, 1,000 each by default). Each change is polled until ``done``.
429 and 5xx answers are retried with backoff.

A fenced write (:mod:`failover.dns.fence`) puts in EVERY change a deletion of the
fence TXT exactly as it is (none when absent: then its addition is refused with 409
if one appeared) and an addition with the writer's epoch, so Cloud DNS refuses a
stale leader's change whole. A refused change whose fence moved is FenceLost.

The OAuth2 access token comes from ``token_env`` or ``token_file``, as for the
``gcp`` control plane, and is never shown; a refused token names where it came
from. Verification asks ``verify_servers`` over DNS, or reads back through the
API when none is given.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from failover.clock import Clock
from failover.config import CloudDnsProvider, Config
from failover.dns.base import RecordKey
from failover.dns.conflict import first_few, partial
from failover.dns.fence import Fence, check_deadline, fence_change, moved, refuse_newer
from failover.dns.rest import json_of, load_api_secret
from failover.dns.restprovider import Entry, RestProvider, rrsets_of, wanted_keys
from failover.dns.retry import Backoff
from failover.errors import FenceLost, ProviderConflict, ProviderError
from failover.records import Change, RRKey, RRSet
from failover.untrusted import clean

PAGE_SIZE = 1000   # maxResults when listing the whole zone


class CloudDns(RestProvider[CloudDnsProvider]):
    """A Cloud DNS managed zone, written with one atomic change per batch."""

    kind = "clouddns"
    label = "Cloud DNS"
    supports_weights = False
    fence_check = "atomic"

    def __init__(self, name: str, settings: CloudDnsProvider, config: Config, *,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        secret = load_api_secret(name, config, env=settings.token_env,
                                 file=settings.token_file, what="GCP access token")
        super().__init__(name, settings, config, secret,
                         {"Authorization": f"Bearer {secret.value}"},
                         describe=_describe_error, clock=clock, rng=rng, backoff=backoff)
        self.path = (f"/dns/v1/projects/{quote(settings.project, safe='')}/managedZones/"
                     f"{quote(settings.managed_zone, safe='')}")
        self.changes_sent = 0  # changes.create calls in the last apply

    def __repr__(self) -> str:
        return f"CloudDns({self.name!r}, {self.settings.managed_zone}, {self.secret!r})"

    # -- reading -------------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        wanted = wanted_keys(keys)
        return rrsets_of(self.entries(wanted), wanted, _rrset_of)

    def record_query(self, name: str, rtype: str) -> dict[str, str]:
        return {"name": name, "type": rtype}

    def zone_query(self) -> dict[str, str]:
        return {"maxResults": str(PAGE_SIZE)}

    def list_entries(self, params: dict[str, str]) -> list[Entry]:
        """Every page of ``rrsets.list`` (``pageToken``)."""
        out: list[Entry] = []
        seen: set[str] = set()
        while True:
            resp = self.api.call("rrsets.list", "GET", f"{self.path}/rrsets", params=params)
            if resp.status_code == 404:
                raise ProviderError(self.name, f"managed zone {self.settings.managed_zone} not "
                                               f"found in project {self.settings.project} "
                                               f"({_describe_error(resp)}); check "
                                               f"managed_zone and project")
            if resp.status_code != 200:
                raise self.api.fail("rrsets.list", resp)
            data = json_of(self.name, "rrsets.list", resp)
            out += [r for r in data.get("rrsets") or [] if isinstance(r, dict)]
            token = str(data.get("nextPageToken") or "")
            if not token:
                return out
            if token in seen:
                raise ProviderError(self.name, f"rrsets.list repeated page token {token!r}")
            seen.add(token)
            params = {**params, "pageToken": token}

    def name_servers(self) -> list[str]:
        """The managed zone's name servers (managedZones.get ``nameServers``)."""
        resp = self.api.call("managedZones.get", "GET", self.path)
        if resp.status_code != 200:
            raise self.api.fail("managedZones.get", resp)
        data = json_of(self.name, "managedZones.get", resp)
        return [str(n).lower().rstrip(".") + "." for n in data.get("nameServers") or []]

    # -- writing -------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.changes_sent = 0
        if not changes and fence is None:
            return
        self.refuse_weighted(changes, "written to Cloud DNS; use one RRset per name")
        held = None
        if fence is not None:
            held = self.held_fence()
            refuse_newer(self.name, held, fence)
        self.write(changes, fence, held)

    def write(self, changes: Sequence[Change], fence: Fence | None,
              held: RRSet | None) -> None:
        """Send ``changes`` in changes.create calls, each (with ``fence``) on condition that
        the fence is ``held`` (the first; None: absent) or our epoch (the next): Cloud DNS
        decides."""
        self.changes_sent = 0
        limit = self.settings.max_rrsets - (1 if fence else 0)
        batches = _batches(changes, limit) or ([[]] if fence else [])
        for done, batch in enumerate(batches):
            check_deadline(self.name, fence, done, len(batches), "change")
            expected = held if done == 0 or fence is None else fence.rrset(self.zone)
            sent = list(batch)
            if fence is not None:
                sent.insert(0, fence_change(self.zone, expected, fence))
            body = {"kind": "dns#change",
                    "deletions": [_rrset_dict(c.before) for c in sent if c.before],
                    "additions": [_rrset_dict(c.after) for c in sent if c.after]}
            try:
                resp = self.api.call("changes.create", "POST", f"{self.path}/changes", json=body,
                                     fence=fence)
                if resp.status_code in (409, 412) and fence is not None:
                    self._check_fence(fence, expected, resp.status_code)
                if resp.status_code in (409, 412):
                    raise ProviderConflict(self.name, f"Cloud DNS refused the change "
                                                      f"({resp.status_code} "
                                                      f"{_reason(resp)}), so the records "
                                                      f"changed since the plan: "
                                                      f"{self._culprits(batch)}; nothing in "
                                                      f"this change was applied")
                if resp.status_code != 200:
                    raise self.api.fail("changes.create", resp)
                change = json_of(self.name, "changes.create", resp)
                self.changes_sent += 1
                self._wait_done(str(change.get("id", "")), str(change.get("status", "")))
            except ProviderError as exc:
                raise partial(exc, done, len(batches), "changes") from None

    def _wait_done(self, change_id: str, status: str) -> None:
        deadline = self.api.clock.monotonic() + self.settings.change_timeout
        attempt = 0
        while status != "done":
            if self.api.clock.monotonic() >= deadline:
                raise ProviderError(self.name, f"change {change_id} is still {status} after "
                                               f"{self.settings.change_timeout:g}s; Cloud DNS "
                                               f"accepted it and should apply it later")
            self.api.clock.sleep(self.api.backoff.delay(attempt, self.api.rng))
            attempt += 1
            resp = self.api.call("changes.get", "GET",
                                 f"{self.path}/changes/{quote(change_id, safe='')}")
            if resp.status_code != 200:
                raise self.api.fail("changes.get", resp)
            status = str(json_of(self.name, "changes.get", resp).get("status", ""))

    def _check_fence(self, fence: Fence, expected: RRSet | None, status: int) -> None:
        """After a refused change: FenceLost if the fence no longer is ``expected``."""
        try:
            now = self.held_fence()
        except ProviderError:
            return  # cannot tell: the refusal is reported as it is
        if now != expected:
            lost = moved(self.name, expected, now, fence)
            raise FenceLost(self.name, f"{lost.detail} (Cloud DNS refused the change whole, "
                                       f"{status})", held=lost.held, ours=lost.ours)

    def _culprits(self, batch: Sequence[Change]) -> str:
        """The records in ``batch`` whose before-image no longer holds, read again now."""
        try:
            now = self.read(sorted({(c.key.name, c.key.rtype) for c in batch}))
        except ProviderError:
            return ", ".join(str(c.key) for c in batch[:5])
        stale = []
        for c in batch:
            held = now.get(c.key)
            if held != c.before:
                planned = ",".join(c.before.values) if c.before else "nothing"
                has = ",".join(held.values) if held else "nothing"
                stale.append(f"{c.key} (plan expected {planned}, Cloud DNS has {has})")
        if not stale:
            return "one of " + ", ".join(str(c.key) for c in batch[:5])
        return first_few(stale)

    # -- verifying -----------------------------------------------------------------

    def verify_servers(self) -> Sequence[str]:
        return self.settings.verify_servers


def _batches(changes: Sequence[Change], limit: int) -> list[list[Change]]:
    """Groups whose deletions and additions each stay within ``limit`` record sets."""
    out: list[list[Change]] = []
    batch: list[Change] = []
    adds = dels = 0
    for c in changes:
        a, d = int(c.after is not None), int(c.before is not None)
        if batch and (adds + a > limit or dels + d > limit):
            out.append(batch)
            batch, adds, dels = [], 0, 0
        batch.append(c)
        adds, dels = adds + a, dels + d
    if batch:
        out.append(batch)
    return out


def _rrset_dict(rr: RRSet) -> dict[str, Any]:
    return {"kind": "dns#resourceRecordSet", "name": rr.name, "type": rr.rtype, "ttl": rr.ttl,
            "rrdatas": list(rr.values)}


def _rrset_of(raw: dict[str, Any]) -> RRSet | None:
    try:
        return RRSet.of(str(raw["name"]), str(raw["type"]), int(raw.get("ttl", 0)),
                        list(raw.get("rrdatas") or []))
    except (KeyError, ValueError, TypeError):
        return None  # a type whose values our model does not parse: not a managed record


def _reason(resp: Any) -> str:
    try:
        errors = resp.json()["error"].get("errors") or [{}]
        return clean(errors[0].get("reason", ""), 80)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return ""


def _describe_error(resp: Any) -> str:
    """Google's error envelope: ``{"error": {"code", "message", "errors": [...]}}``, as one
    inert line (the vendor's words)."""
    try:
        error = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        return clean(resp.text, 200)
    message = clean(error.get("message", "") if isinstance(error, dict) else error)
    reason = _reason(resp)
    return f"{reason}: {message}" if reason and message else message or reason
