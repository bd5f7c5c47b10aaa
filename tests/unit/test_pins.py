"""The operator's pin never strands users (issue 20): a move's pin expires, a pin whose
served hosting is DOWN yields (or, strict, holds loudly: CRITICAL), and every cycle
sentence says until when it holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.config import parse_config
from failover.coord.base import PIN_MOVE, PIN_PAUSE, Holder, Pin
from failover.engine import Engine
from failover.errors import EXIT_CRITICAL, EXIT_WARNING
from failover.records import RRSet
from failover.watch import Reconciler
from tests.hypo import cases
from tests.unit.memprovider import MemProvider
from tests.unit.test_watch import Listener, served

A, G = ("127.0.0.21",), ("127.0.0.22",)


class World:
    def __init__(self, tmp_path: Path, pins: str = "", serving: str = "127.0.0.22") -> None:
        self.a = Listener("127.0.0.21")
        self.g = Listener("127.0.0.22", self.a.port)
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
checks: [{{kind: tcp, port: {self.a.port}, timeout: 500ms}}]
fall: 1
rise: 1
policy: {{auto_move: true}}
verify: {{timeout: 1s, interval: 50ms}}
journal: {tmp_path}/j.sqlite
{pins}
"""
        self.config = parse_config(text, str(tmp_path / "failover.yaml"))
        # The operator moved to g (as 'move --off aws' does): g is served, a is healthy.
        start = RRSet.of("www.example.test.", "A", 60, [serving])
        self.mems = {n: MemProvider(n, self.config.dns[n].vendor, self.config.zone,
                                    {start.key: start}) for n in self.config.dns}
        self.engine = Engine(self.config, provider_factory=lambda n, _c: self.mems[n])
        self.rec = Reconciler(self.engine)

    def pin(self, *, kind: str = PIN_MOVE, until: float | None = None) -> Pin:
        pin = Pin(Holder.me("laptop", "failover move --off aws"), "move 1", 1, kind=kind,
                  until=until)
        self.engine.coord.set_pin(pin)
        return pin

    def close(self) -> None:
        self.engine.close()
        self.a.close()
        self.g.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, "pins: {strict: true}")
    yield w
    w.close()


def test_a_pin_on_a_healthy_target_holds_and_says_until_when(world: World) -> None:
    world.pin(until=time.time() + 1800)
    result = world.rec.cycle()
    assert result.action == "pinned" and result.exit_code == EXIT_WARNING, result.sentence
    assert "until 20" in result.sentence and " UTC (in 29 min" in result.sentence
    assert "or 'failover resume'" in result.sentence
    assert served(world.mems) == {G}


def test_a_pin_whose_target_went_down_yields_by_default(world: World) -> None:
    world.pin(until=time.time() + 1800)
    world.g.close()   # the pinned target dies; a is healthy
    result = world.rec.cycle()
    assert result.action == "moved", result.sentence
    assert "the operator's pin yielded: it served g DOWN (move 1)" in result.sentence
    assert served(world.mems) == {A}
    assert world.engine.coord.pin() is None           # cleared once users left g
    move = world.engine.store.moves(limit=1)[0]       # the history says why
    assert "pin yielded" in move.reason
    events = world.engine.journal.events(kind="pin")
    assert events and "pin cleared" in events[0]["sentence"]


def test_a_strict_pin_whose_target_went_down_is_critical_every_cycle(strict: World) -> None:
    strict.pin(kind=PIN_PAUSE)
    strict.g.close()
    for _ in range(2):
        result = strict.rec.cycle()
        assert result.action == "stranded" and result.exit_code == EXIT_CRITICAL, \
            result.sentence
        assert "users are stranded" in result.sentence and "failover resume" in result.sentence
    assert served(strict.mems) == {G}                 # the pin held
    assert strict.engine.coord.pin() is not None


def test_an_expired_pin_is_cleared_by_the_next_cycle_and_recorded(world: World) -> None:
    world.pin(until=time.time() - 5)
    result = world.rec.cycle()
    assert "the operator's pin expired" in result.sentence and "cleared" in result.sentence
    assert result.action == "moved"                  # automatic failover works again
    assert served(world.mems) == {A}
    assert world.engine.coord.pin() is None
    assert any(e["kind"] == "pin" and "expired" in e["sentence"]
               for e in world.engine.journal.events())


def test_a_pause_pin_without_for_never_expires() -> None:
    pin = Pin(Holder.me("n", "failover pause"), "paused", kind=PIN_PAUSE)
    assert not pin.expired(time.time() + 10 * 365 * 86400)
    assert pin.expiry().startswith("until 'failover resume'")


@given(kind=st.sampled_from([PIN_MOVE, PIN_PAUSE]),
       until=st.one_of(st.none(), st.floats(-1e6, 1e6)),
       cached=st.one_of(st.none(), st.floats(0, 1e9)),
       reason=st.text(max_size=40))
@cases(200)
def test_a_pin_survives_json_and_always_says_how_it_ends(kind: str, until: float | None,
                                                          cached: float | None,
                                                          reason: str) -> None:
    now = 1.8e9
    pin = Pin(Holder("n", 1, "h", now, "failover pause"), reason, None, kind,
              None if until is None else now + until)
    back = Pin.from_json(pin.to_json())
    assert back.same(pin) and back.kind == kind
    said = pin.sentence(now)
    # Every sentence says how the pin ends: by resume, at a time (UTC), or that it expired.
    assert "'failover resume'" in said or "expired at" in said
    if pin.until is not None:
        assert " UTC" in said
        assert pin.expired(now) == (now >= pin.until)


@given(target_down=st.booleans(), strict_pin=st.booleans(), expired=st.booleans())
@cases(40)
def test_a_pin_never_leaves_users_on_a_dead_target_silently(
        tmp_path_factory: pytest.TempPathFactory, target_down: bool, strict_pin: bool,
        expired: bool) -> None:
    """Whatever the pin: a cycle that leaves users on a DOWN target is CRITICAL."""
    w = World(tmp_path_factory.mktemp("w"), "pins: {strict: true}" if strict_pin else "")
    try:
        w.pin(until=time.time() + (-5 if expired else 1800))
        if target_down:
            w.g.close()
        result = w.rec.cycle()
        still_on_g = served(w.mems) == {G}
        if target_down and still_on_g:
            assert result.exit_code == EXIT_CRITICAL, result.sentence
        if target_down and not strict_pin:
            assert not still_on_g, result.sentence
        if not expired and not target_down:
            assert result.action == "pinned" and still_on_g
    finally:
        w.close()


@given(value=st.one_of(st.sampled_from(["5x", "0s", "nan", "1e999h", "400d", "\x1b[31m",
                                        "", "2 h", "\u202e1h"]), st.text(max_size=12)))
@cases(100)
def test_pause_for_a_bad_duration_is_one_usage_line(value: str) -> None:
    """The real entry point, in process: exit 64, one line naming --for, nothing raw."""
    import contextlib
    import io
    import sys

    from cli.app import main
    from failover.config import parse_duration

    try:
        parse_duration(value, most=366 * 86400)
        return                                   # a valid duration: not this test's case
    except ValueError:
        pass
    if value.startswith("-") or "\x00" in value:
        return                                   # read as an option / not passable in argv
    err = io.StringIO()
    argv = sys.argv
    sys.argv = ["failover", "pause", "--for", value]
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    assert done.value.code == 64, err.getvalue()
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "--for" in lines[0], err.getvalue()
    assert not any(c in err.getvalue() for c in "\x1b\u202e\x9b"), err.getvalue()
