"""DNS record sets as the engine sees them, and the changes between them.

A managed record is a (name, type) pair; at a DNS provider it is held by one
or more RRsets (more than one only for weighted sets, told apart by a set
identifier). Names are absolute, lower-case, with the trailing dot; values
are normalised and sorted, so that two RRsets compare equal exactly when a
resolver would see the same answer.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RecordType = Literal["A", "AAAA", "CNAME"]
ChangeAction = Literal["create", "update", "delete"]


def absolute_name(name: str, zone: str) -> str:
    """``www`` in ``example.org.`` -> ``www.example.org.``; ``@`` is the apex."""
    zone = zone.lower().rstrip(".") + "."
    name = name.strip().lower()
    if name in ("@", "", zone):
        return zone
    if name.endswith("."):
        return name
    return f"{name}.{zone}"


def relative_name(name: str, zone: str) -> str:
    """The inverse of :func:`absolute_name`: the apex is ``@``."""
    zone = zone.lower().rstrip(".") + "."
    name = name.lower()
    if name == zone:
        return "@"
    if name.endswith("." + zone):
        return name[: -len(zone) - 1]
    return name


def normalize_value(rtype: str, value: str) -> str:
    """One canonical spelling per value, so that comparisons are exact."""
    value = value.strip()
    if rtype in ("A", "AAAA"):
        return str(ipaddress.ip_address(value))
    if rtype == "CNAME":
        return value.lower().rstrip(".") + "."
    if rtype == "TXT" and not value.startswith('"'):
        # As DNS servers and Route 53 spell it: one quoted string.
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


@functools.total_ordering
@dataclass(frozen=True)
class RRKey:
    """Which RRset: the name, the type and, for weighted sets, the set identifier."""

    name: str
    rtype: str
    set_id: str | None = None

    def _order(self) -> tuple[str, str, bool, str]:
        # A plain RRset sorts before the weighted sets of its name: a provider moving
        # between the two holds both kinds at once (dataclass order compared None < str).
        return (self.name, self.rtype, self.set_id is not None, self.set_id or "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RRKey):
            return NotImplemented
        return self._order() < other._order()

    def __str__(self) -> str:
        base = f"{self.name} {self.rtype}"
        return f"{base} [{self.set_id}]" if self.set_id else base


@dataclass(frozen=True)
class RRSet:
    """One RRset at one DNS provider."""

    name: str
    rtype: str
    ttl: int
    values: tuple[str, ...]
    set_id: str | None = None
    weight: int | None = None

    @staticmethod
    def of(name: str, rtype: str, ttl: int, values: Any, set_id: str | None = None,
           weight: int | None = None) -> RRSet:
        """Build an RRset with normalised, sorted, de-duplicated values."""
        norm = tuple(sorted({normalize_value(rtype, str(v)) for v in values}))
        return RRSet(name.lower(), rtype.upper(), int(ttl), norm, set_id, weight)

    @property
    def key(self) -> RRKey:
        return RRKey(self.name, self.rtype, self.set_id)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.rtype, "ttl": self.ttl,
                                "values": list(self.values)}
        if self.set_id is not None:
            data["set_id"] = self.set_id
        if self.weight is not None:
            data["weight"] = self.weight
        return data

    def json_text(self) -> str:
        """:meth:`to_json` as compact JSON text; the dict is freed at once."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    @staticmethod
    def from_json(data: dict[str, Any]) -> RRSet:
        return RRSet.of(data["name"], data["type"], data["ttl"], data["values"],
                        data.get("set_id"), data.get("weight"))


@dataclass(frozen=True)
class Change:
    """One RRset change at one DNS provider: the state it expects and the state it makes."""

    action: ChangeAction
    before: RRSet | None
    after: RRSet | None

    @property
    def key(self) -> RRKey:
        rr = self.after or self.before
        assert rr is not None
        return rr.key

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action,
                "before": self.before.to_json() if self.before else None,
                "after": self.after.to_json() if self.after else None}

    def json_text(self) -> str:
        """:meth:`to_json` as compact JSON text; the dicts are freed at once."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    @staticmethod
    def from_json(data: dict[str, Any]) -> Change:
        return Change(data["action"],
                      RRSet.from_json(data["before"]) if data.get("before") else None,
                      RRSet.from_json(data["after"]) if data.get("after") else None)


def json_array(items: Iterable[RRSet | Change]) -> str:
    """A JSON array of RRsets or changes, built one item at a time.

    What ``json.dumps([x.to_json() for x in items])`` reads back as, without holding
    every item's dict at once: a 10,000-record move's before-image costs its text,
    not tens of thousands of dicts (issue 13).
    """
    return "[" + ",".join(item.json_text() for item in items) + "]"


def rrsets_json(rrsets: Mapping[RRKey, RRSet]) -> str:
    """``rrsets`` as a JSON array in key order: a before-image or desired state."""
    return json_array(rrsets[k] for k in sorted(rrsets))


def by_record(rrsets: dict[RRKey, RRSet]) -> dict[tuple[str, str], dict[RRKey, RRSet]]:
    """Group RRsets by managed record (name, type): weighted sets share a record."""
    out: dict[tuple[str, str], dict[RRKey, RRSet]] = {}
    for key, rr in rrsets.items():
        out.setdefault((key.name, key.rtype), {})[key] = rr
    return out


def diff(current: dict[RRKey, RRSet], desired: dict[RRKey, RRSet]) -> list[Change]:
    """The changes that turn ``current`` into ``desired``, in a stable order."""
    changes: list[Change] = []
    for key in sorted(set(current) | set(desired)):
        before, after = current.get(key), desired.get(key)
        if before == after:
            continue
        if before is None:
            changes.append(Change("create", None, after))
        elif after is None:
            changes.append(Change("delete", before, None))
        else:
            changes.append(Change("update", before, after))
    return changes


@dataclass
class Snapshot:
    """What one DNS provider answers for the managed records at one moment."""

    provider: str
    rrsets: dict[RRKey, RRSet] = field(default_factory=dict)

    def to_json(self) -> list[dict[str, Any]]:
        return [self.rrsets[k].to_json() for k in sorted(self.rrsets)]

    @staticmethod
    def from_json(provider: str, data: list[dict[str, Any]]) -> Snapshot:
        rrsets = {rr.key: rr for rr in (RRSet.from_json(d) for d in data)}
        return Snapshot(provider, rrsets)
