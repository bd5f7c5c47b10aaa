"""A leading watcher's cycle fits inside its lease (issue 19): a DNS provider that drops
our packets is cut short at what is left of the lease, not waited on for its own
timeout; and a leader whose fence retry finds a higher epoch (its own move's, or a
person's under the lock) is not wedged as if a newer leader held it."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from failover.config import parse_config
from failover.coord.base import WriteLease
from failover.dns.base import RecordKey
from failover.engine.reading import read_all, within
from failover.errors import FenceLost, ProviderUnreachable
from failover.records import RRKey, RRSet
from failover.watch import Reconciler
from tests.unit.memprovider import MemProvider

CONFIG = parse_config("""\
service: s
zone: example.test.
records: [{name: www}]
vendors: {aws: {}, metal: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
dns:
  r53: {vendor: aws, kind: rfc2136, server: 127.0.0.1, timeout: 30s}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1, timeout: 30s}
""")


class Blackhole(MemProvider):
    """Drops our packets: a read that never answers (until the test ends)."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__("r53", "aws", "example.test.")
        self.gate = gate

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        self.gate.wait(60)
        return {}


def test_a_read_is_cut_short_at_the_lease_not_the_providers_timeout() -> None:
    gate = threading.Event()
    providers = {"r53": Blackhole(gate), "bind": MemProvider("bind", "metal", "example.test.")}
    try:
        started = time.monotonic()
        reads = read_all(CONFIG, providers.__getitem__, [("www.example.test.", "A")],
                         lambda *_: None, until=started + 0.5)
        took = time.monotonic() - started
    finally:
        gate.set()
    assert took < 5, took                       # not the provider's 30 s
    assert reads["bind"] == ({}, None)
    assert reads["r53"][0] is None
    assert "what is left of this node's lease" in str(reads["r53"][1])


def test_within_reports_what_is_still_running_at_the_deadline() -> None:
    gate = threading.Event()
    try:
        done = within(["fast", "hung"], lambda n: n if n == "fast" else gate.wait(60),
                      time.monotonic() + 0.3)
    finally:
        gate.set()
    assert done["fast"] == "fast"
    assert isinstance(done["hung"], ProviderUnreachable)


def test_a_higher_fence_from_a_move_under_the_lock_does_not_wedge_the_leader() -> None:
    # Its first advance failed at one provider; its own move then wrote a higher epoch
    # there; the retry finds it: fenced, not "a newer leader".
    calls: list[int] = []

    def advance(lease: WriteLease) -> dict[str, Any]:
        calls.append(lease.epoch)
        return {"bind": FenceLost("bind", "fenced by a newer leader (epoch 1307 > our 1296)",
                                  held=1307, ours=1296)}

    engine = SimpleNamespace(advance_fences=advance, journal=SimpleNamespace(
        count_events=lambda kind: 0), config=CONFIG)
    r = Reconciler(engine, auto_move=True)  # type: ignore[arg-type]
    said = r._fence(WriteLease(1296, time.monotonic() + 5))
    assert "at every provider" in said and "bind already held a higher one" in said
    assert r.fenced == 1296
    assert r._fence(WriteLease(1296, time.monotonic() + 5)) == "" and calls == [1296]
