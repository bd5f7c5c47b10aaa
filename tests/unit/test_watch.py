"""Reconcile cycles: sentences, auto moves, failback after rise, termination stickiness, stop."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.engine import Engine
from failover.records import RRSet
from failover.watch import Reconciler, watch
from tests.unit.memprovider import MemProvider


class Listener:
    """A TCP port that accepts (UP) until closed (DOWN)."""

    def __init__(self, address: str, port: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def watch_world(tmp_path: Path):
    a = Listener("127.0.0.21")
    g = Listener("127.0.0.22", a.port)
    text = f"""
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.21]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.22]}}}}
dns:
  r53: {{vendor: aws, kind: route53, hosted_zone_id: Z1}}
  bind: {{vendor: gcp, kind: rfc2136, server: 127.0.0.1}}
checks: [{{kind: tcp, port: {a.port}, timeout: 500ms}}]
fall: 2
rise: 2
policy: {{auto_move: true}}
verify: {{timeout: 1s, interval: 50ms}}
journal: {tmp_path}/j.sqlite
"""
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    start = RRSet.of("www.example.test.", "A", 60, ["127.0.0.21"])
    mems = {n: MemProvider(n, config.dns[n].vendor, config.zone, {start.key: start})
            for n in config.dns}
    engine = Engine(config, provider_factory=lambda n, _c: mems[n])
    yield engine, mems, {"a": a, "g": g}
    engine.close()
    for listener in (a, g):
        listener.close()


def served(mems: dict[str, MemProvider]) -> set[tuple[str, ...]]:
    return {rr.values for m in mems.values() for rr in m.records.values()}


def test_outage_moves_after_fall_then_fails_back_after_rise(watch_world) -> None:
    engine, mems, hosts = watch_world
    r = Reconciler(engine)
    first = r.cycle()
    assert first.action == "none" and first.exit_code == 0
    assert "no action: every DNS provider serves a" in first.sentence
    hosts["a"].close()
    second = r.cycle()
    assert second.action == "none" and "a DEGRADED" in second.sentence   # 1/2 failures
    third = r.cycle()
    assert third.action == "moved" and "a DOWN" in third.sentence
    assert served(mems) == {("127.0.0.22",)}
    assert r.cycle().exit_code == 1                 # serving a standby: WARNING
    hosts["a"] = Listener("127.0.0.21", hosts["g"].port)
    assert r.cycle().action == "none"               # 1/2 good checks: not yet
    back = r.cycle()
    assert back.action == "moved" and served(mems) == {("127.0.0.21",)}
    sentences = [e["sentence"] for e in engine.journal.events(kind="cycle")]
    assert len(sentences) == 6 and sentences[0].startswith("cycle 6: ")
    assert Reconciler(engine).cycle().sentence.startswith("cycle 7: ")   # a later run goes on


def test_without_auto_move_it_only_says_what_it_would_do(watch_world) -> None:
    engine, mems, hosts = watch_world
    r = Reconciler(engine, auto_move=False)
    hosts["a"].close()
    r.cycle()
    result = r.cycle()
    assert result.action == "would-move" and result.exit_code == 2
    assert "policy.auto_move is off" in result.sentence
    assert served(mems) == {("127.0.0.21",)}


class Refused:
    state = "refused"
    reason = "sts:GetCallerIdentity: AccountSuspended"

    def to_json(self) -> dict:
        return {"state": self.state, "reason": self.reason}


def test_termination_is_evacuated_and_never_failed_back_without_operator(watch_world,
                                                                         monkeypatch) -> None:
    engine, mems, hosts = watch_world
    monkeypatch.setattr(engine, "control_planes",
                        lambda vendors: {"aws": Refused()} if "aws" in vendors else {})
    r = Reconciler(engine)
    warn = r.cycle()                      # serving, but the control plane refuses
    assert warn.exit_code == 1 and "termination in progress?" in warn.sentence
    hosts["a"].close()
    r.cycle()
    moved = r.cycle()
    assert "a TERMINATED" in moved.sentence and moved.action == "moved"
    assert "aws" in engine.journal.terminated_vendors()
    # The origins come back and the control plane forgives us: still no failback.
    monkeypatch.setattr(engine, "control_planes", lambda vendors: {})
    hosts["a"] = Listener("127.0.0.21", hosts["g"].port)
    for _ in range(3):
        result = r.cycle()
    assert result.action == "none" and served(mems) == {("127.0.0.22",)}
    assert "vendor aws TERMINATED" in result.sentence
    assert engine.reinstate("aws")
    assert r.cycle().action == "moved" and served(mems) == {("127.0.0.21",)}


def test_watch_stops_between_cycles(watch_world) -> None:
    engine, _mems, _hosts = watch_world
    stop = threading.Event()
    seen = []

    def on_cycle(result) -> None:
        seen.append(result.number)
        if result.number == 2:
            stop.set()

    code = watch(Reconciler(engine), interval=0.01, stop=stop, on_cycle=on_cycle)
    assert seen == [1, 2] and code == 0


def test_a_pin_on_a_target_that_dies_yields_by_default(watch_world) -> None:
    """Until a is DOWN (fall 2) the pin holds; then it yields (pins.strict is off), and
    the move says so (tests/unit/test_pins.py has the rest)."""
    from failover.coord.base import Holder, Pin

    engine, mems, hosts = watch_world
    r = Reconciler(engine)
    r.cycle()
    engine.coord.set_pin(Pin(Holder.me("laptop", "failover move --to a"), "move 1", 1))
    hosts["a"].close()
    for _ in range(4):
        result = r.cycle()
        assert "pinned by laptop" in result.sentence and "failover resume" in result.sentence
        if result.action == "moved":
            break
        assert result.action == "none", result.sentence
    assert result.action == "moved" and "the operator's pin yielded" in result.sentence
    assert served(mems) == {("127.0.0.22",)}
    assert engine.coord.pin() is None
