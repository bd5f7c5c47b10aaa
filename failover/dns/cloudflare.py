"""Cloudflare DNS, through the v4 API on the standard library's HTTP client.

Why not the official ``cloudflare`` SDK: importing it costs 250-300 ms and ~400
modules on every move that builds this provider, it would add a dependency for
three endpoints, and its own retry loop sleeps on the wall clock. Nor httpx: its
import pulls its command-line tool in (about 400 ms here; see failover.dns.http).
:class:`~failover.dns.rest.RestApi` gives the same bounded, jittered backoff
(with an injected clock) as the other HTTP providers.

Cloudflare stores records, not RRsets: an RRset of two addresses is two records,
each with an id. Reads list ``dns_records`` (``name`` and ``type`` per managed
record when few are asked for, the whole zone otherwise), page by page
(``page``/``per_page``, ``result_info.total_pages``), and group them by name
and type.

Writes are ``POST /zones/{zone_id}/dns_records/batch``: Cloudflare runs one batch
in one database transaction, deletes then patches then puts then posts.
An update patches existing records in place (keeping their id, ``proxied`` flag,
comment and tags), deletes the ones no longer wanted, posts the new ones; a
record that failover creates is proxied only if the RRset's other records are
(or the ``proxied`` setting says so). Records failover does not manage are never
in a batch. Each managed record's operations share one batch; batches stay within
``batch_limit`` operations (200 on the Free plan, 3,500 on paid plans).

Precondition: Cloudflare's batch takes none, but it names records by id: the
planned records are read again (with their ids) immediately before each batch
and compared with the plan's before-images, and a record deleted or changed by
someone else between that read and the batch makes its patch or delete fail,
which fails the whole batch. A record *added* by someone else in that window
(one API round trip) is not seen.

A fenced write (:mod:`failover.dns.fence`) reads the fence record with the
before-images, just before EACH batch: a newer epoch (or, after the first batch,
anything but ours) refuses it with FenceLost; otherwise the batch also patches the
fence record, by id, to the writer's epoch (or posts it). A newer leader that patches
the fence within that round trip is not seen: the lease's deadline bounds when a
batch may start (docs/fencing.md).

The API token comes from ``token_env`` or ``token_file``; a refused token names
where it came from, never the token. Cloudflare has no DNS server to ask that is
ours alone, so a move verifies by reading back through the API.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from failover.clock import Clock
from failover.config import CloudflareProvider, Config
from failover.dns.base import RecordKey
from failover.dns.conflict import first_few, held_instead, partial
from failover.dns.fence import (
    Fence,
    check_deadline,
    fence_change,
    fence_name,
    moved,
    refuse_newer,
)
from failover.dns.rest import json_of, load_api_secret
from failover.dns.restprovider import Entry, RestProvider, wanted_keys
from failover.dns.retry import Backoff
from failover.errors import ProviderConflict, ProviderError
from failover.records import Change, RRKey, RRSet, absolute_name
from failover.untrusted import clean

PER_PAGE = 100          # Cloudflare's default page size, accepted on every plan
AUTOMATIC_TTL = 1       # Cloudflare's "automatic" TTL (proxied records always have it)
# Error codes that mean "the record is not as the batch expected" (record gone).
CONFLICT_CODES = frozenset({81044, 81058})


class Cloudflare(RestProvider[CloudflareProvider]):
    """A Cloudflare zone, written with one transactional batch per batch of changes."""

    kind = "cloudflare"
    label = "Cloudflare"
    supports_weights = False
    fence_check = "re-read"

    def __init__(self, name: str, settings: CloudflareProvider, config: Config, *,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        secret = load_api_secret(name, config, env=settings.token_env,
                                 file=settings.token_file, what="Cloudflare API token")
        super().__init__(name, settings, config, secret,
                         {"Authorization": f"Bearer {secret.value}"},
                         describe=_describe_error, clock=clock, rng=rng, backoff=backoff)
        self.path = f"/zones/{quote(settings.zone_id, safe='')}"
        # A proxied record's TTL is Cloudflare's own; it reads as the planned TTL so
        # that failover does not try to change what it cannot.
        self.planned_ttl: dict[tuple[str, str], int] = {
            (absolute_name(r.name, config.zone), str(r.type)): config.record_ttl(r)
                            for r in config.records}
        self.batches_sent = 0

    def __repr__(self) -> str:
        return f"Cloudflare({self.name!r}, zone {self.settings.zone_id}, {self.secret!r})"

    # -- reading -------------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        return {k: rr for k, (rr, _) in self.read_records(keys).items()}

    def read_records(self, keys: Sequence[RecordKey]
                     ) -> dict[RRKey, tuple[RRSet, list[dict[str, Any]]]]:
        """The RRsets for ``keys``, each with Cloudflare's records (ids included)."""
        wanted = wanted_keys(keys)
        if not wanted:
            return {}
        raws = self.entries(wanted)
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for raw in raws:
            key = (str(raw.get("name", "")).lower().rstrip(".") + ".", str(raw.get("type", "")))
            if key in wanted:
                grouped.setdefault(key, []).append(raw)
        out: dict[RRKey, tuple[RRSet, list[dict[str, Any]]]] = {}
        for (n, t), records in grouped.items():
            ttl = int(records[0].get("ttl", AUTOMATIC_TTL))
            if any(r.get("proxied") for r in records) or ttl == AUTOMATIC_TTL:
                ttl = self.planned_ttl.get((n, t), ttl)
            try:
                rr = RRSet.of(n, t, ttl, [r.get("content") for r in records])
            except ValueError:
                continue
            out[rr.key] = (rr, records)
        return out

    def record_query(self, name: str, rtype: str) -> dict[str, str]:
        return {"name": name.rstrip("."), "type": rtype}

    def list_entries(self, params: dict[str, str]) -> list[Entry]:
        """Every page of ``dns_records`` (``page``, ``result_info.total_pages``)."""
        out: list[Entry] = []
        page = 1
        while True:
            resp = self.api.call("list dns_records", "GET", f"{self.path}/dns_records",
                                 params={**params, "page": str(page),
                                         "per_page": str(PER_PAGE)})
            data = self._ok("list dns_records", resp)
            out += [r for r in data.get("result") or [] if isinstance(r, dict)]
            info = data.get("result_info") or {}
            if page >= int(info.get("total_pages") or 1):
                return out
            page += 1

    def _ok(self, what: str, resp: Any) -> dict[str, Any]:
        if resp.status_code == 404 and _codes(resp) & {1001, 7003}:
            raise ProviderError(self.name, f"zone {self.settings.zone_id} not found "
                                           f"({_describe_error(resp)}); check zone_id")
        data = json_of(self.name, what, resp)
        if resp.status_code != 200 or not isinstance(data, dict) or not data.get("success"):
            raise self.api.fail(what, resp)
        return data

    def name_servers(self) -> list[str]:
        """The zone's Cloudflare name servers."""
        data = self._ok("get zone", self.api.call("get zone", "GET", self.path))
        result = data.get("result") or {}
        return [str(n).lower().rstrip(".") + "." for n in result.get("name_servers") or []]

    # -- writing -------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.batches_sent = 0
        if not changes and fence is None:
            return
        self.refuse_weighted(changes, "written to Cloudflare; use one RRset per name")
        batches = self._batches(changes) or [[]]
        for done, batch in enumerate(batches):
            try:
                check_deadline(self.name, fence, done, len(batches), "batch")
                self._apply_batch(batch, fence, done == 0)
            except ProviderError as exc:
                raise partial(exc, done, len(batches), "batches") from None
            self.batches_sent += 1

    def _batches(self, changes: Sequence[Change]) -> list[list[Change]]:
        """Groups of changes whose operations fit ``batch_limit`` (an RRset's values count
        once each, an upper bound on the operations its change needs)."""
        limit = self.settings.batch_limit
        out: list[list[Change]] = []
        batch: list[Change] = []
        used = 0
        for c in changes:
            cost = max(len(c.before.values) if c.before else 0,
                       len(c.after.values) if c.after else 0)
            if cost > limit:
                raise ProviderError(self.name, f"the change to {c.key} needs {cost} record "
                                               f"operations, more than batch_limit ({limit})")
            if batch and used + cost > limit:
                out.append(batch)
                batch, used = [], 0
            batch.append(c)
            used += cost
        if batch:
            out.append(batch)
        return out

    def _apply_batch(self, batch: Sequence[Change], fence: Fence | None, first: bool) -> None:
        keys = {(c.key.name, c.key.rtype) for c in batch}
        fence_key = RRKey(fence_name(self.zone), "TXT")
        if fence is not None:
            keys.add((fence_key.name, "TXT"))
        held = self.read_records(sorted(keys))
        fence_records = held.pop(fence_key, None)
        if fence is not None:
            found = fence_records[0] if fence_records else None
            ours = fence.rrset(self.zone)
            if first:
                refuse_newer(self.name, found, fence)
            elif found != ours:
                raise moved(self.name, ours, found, fence)
        stale = []
        for c in batch:
            now = held.get(c.key)
            if (now[0] if now else None) != c.before:
                stale.append(held_instead(c, now[0] if now else None, self.label))
        if stale:
            raise ProviderConflict(self.name, "the zone's records changed since the plan: "
                                              + first_few(stale) + " (this batch was not sent)")
        body: dict[str, list[dict[str, Any]]] = {"deletes": [], "patches": [], "posts": []}
        if fence is not None:
            _fence_operations(fence_change(self.zone, fence_records[0] if fence_records
                                           else None, fence),
                              fence_records[1] if fence_records else [], body)
        for c in batch:
            now = held.get(c.key)
            self._operations(c, now[1] if now else [], body)
        # The deadline again, now that the re-read is done: the window left to a newer
        # leader is this request's own round trip.
        resp = self.api.call("dns_records/batch", "POST", f"{self.path}/dns_records/batch",
                             json={k: v for k, v in body.items() if v}, fence=fence)
        if resp.status_code in (400, 404) and _codes(resp) & CONFLICT_CODES:
            raise ProviderConflict(self.name, f"Cloudflare refused the batch "
                                              f"({_describe_error(resp)}): a record changed "
                                              f"since it was read; nothing in this batch was "
                                              f"applied")
        self._ok("dns_records/batch", resp)

    def _operations(self, change: Change, records: list[dict[str, Any]],
                    body: dict[str, list[dict[str, Any]]]) -> None:
        """The deletes, patches and posts that turn ``records`` into ``change.after``."""
        after = change.after
        if after is None:
            body["deletes"] += [{"id": r["id"]} for r in records]
            return
        wanted = list(after.values)
        keep = [r for r in records if _value(change.key.rtype, r) in wanted]
        gone = [r for r in records if r not in keep]
        new = [v for v in wanted if v not in {_value(change.key.rtype, r) for r in keep}]
        for r in keep:
            if not r.get("proxied") and int(r.get("ttl", 0)) != after.ttl:
                body["patches"].append({"id": r["id"], "ttl": after.ttl})
        for r, value in zip(gone, new, strict=False):
            patch: dict[str, Any] = {"id": r["id"], "content": value}
            if not r.get("proxied"):
                patch["ttl"] = after.ttl
            body["patches"].append(patch)
        body["deletes"] += [{"id": r["id"]} for r in gone[len(new):]]
        proxied = any(r.get("proxied") for r in records) if records else self.settings.proxied
        for value in new[len(gone):]:
            body["posts"].append({"name": after.name.rstrip("."), "type": after.rtype,
                                  "content": value, "proxied": proxied,
                                  "ttl": AUTOMATIC_TTL if proxied else after.ttl})


def _fence_operations(change: Change, records: list[dict[str, Any]],
                      body: dict[str, list[dict[str, Any]]]) -> None:
    """The fence's operations: its first record patched to our value (by id, so that the
    batch fails if it was deleted since it was read), the others deleted; posted if
    there was none. Never proxied: it is a TXT record."""
    assert change.after is not None
    value, ttl = change.after.values[0], change.after.ttl
    if records:
        body["patches"].append({"id": records[0]["id"], "content": value, "ttl": ttl})
        body["deletes"] += [{"id": r["id"]} for r in records[1:]]
    else:
        body["posts"].append({"name": change.after.name.rstrip("."), "type": "TXT",
                              "content": value, "proxied": False, "ttl": ttl})


def _value(rtype: str, record: dict[str, Any]) -> str:
    rr = RRSet.of("x.", rtype, 1, [record.get("content")])
    return rr.values[0]


def _codes(resp: Any) -> set[int]:
    try:
        return {int(e.get("code", 0)) for e in resp.json().get("errors") or []}
    except (ValueError, AttributeError, TypeError):
        return set()


def _describe_error(resp: Any) -> str:
    """Cloudflare's envelope: ``{"success": false, "errors": [{"code", "message"}]}``,
    as one inert line (the vendor's words)."""
    try:
        errors = resp.json().get("errors") or []
    except (ValueError, AttributeError):
        return clean(resp.text, 200)
    return clean("; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors
                           if isinstance(e, dict)))
