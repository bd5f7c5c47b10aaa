"""Verification by zone transfer (issue 13) against the lab's real BIND and Knot.

A move of many records verifies each authority with one signed zone transfer per
poll instead of a query per record. Where the server will not transfer the zone
to the key (the lab's Knot secondary has no transfer ACL and answers BADKEY), it
is asked per record instead. Either way a server that does not serve the plan yet
is polled until it does, and one that never does is reported with what it serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from failover.clock import FakeClock, SystemClock
from failover.config import Rfc2136Provider, load_config
from failover.dns.query import AXFR_ABOVE, DnsAuthority
from failover.dns.rfc2136 import Rfc2136
from failover.move import verify_one
from failover.records import Change, RRKey, RRSet

pytestmark = pytest.mark.integration

ZONE = "example.test."
OLD, NEW = "10.3.0.1", "10.3.0.2"
N = AXFR_ABOVE + 50   # enough records that a read is a transfer


def provider(lab: dict[str, Any]) -> Rfc2136:
    config = load_config(Path(lab["dir"]) / "failover.yaml")
    settings = config.dns["bind"]
    assert isinstance(settings, Rfc2136Provider)
    knot = f"{lab['knot']['host']}:{lab['knot']['port']}"
    return Rfc2136("bind", settings.model_copy(update={"verify_servers": [knot]}), config)


def rrsets(value: str) -> list[RRSet]:
    return [RRSet.of(f"t{i}.{ZONE}", "A", 60, [value]) for i in range(N)]


def created(lab: dict[str, Any]) -> tuple[Rfc2136, list[RRSet]]:
    """The provider, with N records at OLD written to BIND."""
    p = provider(lab)
    old = rrsets(OLD)
    p.apply([Change("create", None, rr) for rr in old])
    return p, old


def keys_of(sets: list[RRSet]) -> list[tuple[str, str]]:
    return [(rr.name, rr.rtype) for rr in sets]


class WritingClock(FakeClock):
    """A fake clock that writes ``changes`` to the server on its ``at``-th sleep: a
    server that catches up with the plan only after being polled a few times."""

    def __init__(self, p: Rfc2136, changes: list[Change], at: int) -> None:
        super().__init__()
        self.p, self.changes, self.at, self.sleeps = p, changes, at, 0

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.sleeps += 1
        if self.sleeps == self.at:
            self.p.apply(self.changes)


def test_primary_is_verified_by_one_transfer_and_knot_per_record(
        lab: dict[str, Any]) -> None:
    p, old = created(lab)
    primary, knot = p.authorities()
    assert isinstance(primary, DnsAuthority) and isinstance(knot, DnsAuthority)
    keys = [*keys_of(old), (f"absent.{ZONE}", "A")]
    want = {rr.key: rr for rr in old}
    assert primary.read(keys) == want
    assert primary.last_read == "transfer"
    # Knot answers BADKEY to a transfer its ACL does not allow: per record, same answer
    # once it has the zone from BIND (NOTIFY, then its own transfer).
    v = verify_one("bind", knot, keys, want, SystemClock(), since=0.0, timeout=60,
                   interval=0.2)
    assert knot.last_read == "queries"
    assert v.ok, v.detail
    # Refused once, asked per record from then on: no transfer attempt per poll.
    assert knot.read(keys[:N]) == want
    assert knot.last_read == "queries"
    # The same answers as a query per record from the primary.
    assert primary.read_queries(keys) == want


def test_a_server_behind_the_plan_is_polled_until_it_serves_it(lab: dict[str, Any]) -> None:
    p, old = created(lab)
    new = rrsets(NEW)
    desired = {rr.key: rr for rr in new}
    primary = p.authorities()[0]
    clock = WritingClock(p, [Change("update", o, n) for o, n in zip(old, new, strict=True)],
                         at=3)
    v = verify_one("bind", primary, keys_of(new), desired, clock, since=0.0, timeout=30,
                   interval=0.5)
    assert v.ok, v.detail
    assert primary.last_read == "transfer"
    # Not converged before the write that came on the third sleep: 1.5 s of fake time.
    assert clock.sleeps == 3
    assert v.seconds == pytest.approx(1.5)


def test_a_server_that_never_serves_the_plan_is_reported_with_what_it_serves(
        lab: dict[str, Any]) -> None:
    p, old = created(lab)
    new = rrsets(NEW)
    desired = {rr.key: rr for rr in new}
    # One record of the plan is served; the rest stay behind.
    p.apply([Change("update", old[0], new[0])])
    primary = p.authorities()[0]
    v = verify_one("bind", primary, keys_of(new), desired, FakeClock(), since=0.0,
                   timeout=2, interval=0.5)
    assert not v.ok
    assert primary.last_read == "transfer"
    assert v.detail.startswith("still not serving the new answers after 2s")
    assert f"t1.{ZONE} A serves {OLD}, want {NEW}" in v.detail
    assert f"t0.{ZONE}" not in v.detail
    # A record the plan creates that the server does not have is named too.
    extra = RRSet.of(f"nothere.{ZONE}", "A", 60, [NEW])
    v = verify_one("bind", primary, [*keys_of(new), (extra.name, "A")],
                   {**{rr.key: rr for rr in old}, extra.key: extra}, FakeClock(), since=0.0,
                   timeout=0, interval=0.5)
    assert not v.ok
    assert f"nothere.{ZONE} A missing, want {NEW}" in v.detail
    assert RRKey(extra.name, "A") not in primary.read([*keys_of(new), (extra.name, "A")])
