"""The engine's side of Ctrl-C (issue 20): ``cancel`` starts no more writes and verifies
what was written; ``abandon`` leaves a hung write behind as outcome unknown, journaled,
without waiting for it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from failover.dns.base import Change
from failover.dns.fence import Fence
from failover.move import LEFT_BEHIND, NOT_STARTED
from tests.unit.memprovider import MemProvider
from tests.unit.test_move import UPS, setup

__all__ = ["setup"]


class Hung(MemProvider):
    """A provider whose write hangs until released (a server that took the request and
    has not answered)."""

    def __init__(self, base: MemProvider) -> None:
        super().__init__(base.name, base.vendor, base.zone, base.records)
        self.started = threading.Event()
        self.release = threading.Event()

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.started.set()
        self.release.wait(30)
        super().apply(changes, fence)


def test_cancel_before_the_writes_writes_nothing_and_says_why(setup, tmp_path: Path) -> None:
    engine, mems = setup
    plan = engine.plan(off=["aws"], verdicts=UPS)
    cancel = threading.Event()
    cancel.set()
    result = engine.move(plan, reason="r", args={"off": ["aws"]}, cancel=cancel,
                         abandon=threading.Event())
    assert result.interrupted and result.state == "failed"
    assert all(s.error == NOT_STARTED for s in result.steps)
    assert all(not m.applied for m in mems.values())
    journaled = {s.provider: s.state for s in engine.journal.steps(result.move_id)}
    assert journaled == {"r53": "failed", "bind": "failed"}
    assert "interrupted (Ctrl-C)" in (engine.journal.move(result.move_id).summary or "")


def test_abandon_leaves_a_hung_write_behind_and_journals_it(setup) -> None:
    engine, mems = setup
    hung = Hung(mems["r53"])
    engine._providers = {}            # the factory's cache, if any
    mems["r53"] = hung
    plan = engine.plan(off=["aws"], verdicts=UPS)
    cancel, abandon = threading.Event(), threading.Event()
    done: list[Any] = []

    def move() -> None:
        done.append(engine.move(plan, reason="r", args={"off": ["aws"]}, cancel=cancel,
                                abandon=abandon))

    mover = threading.Thread(target=move)
    mover.start()
    assert hung.started.wait(10)
    cancel.set()
    abandon.set()
    mover.join(10)
    try:
        assert not mover.is_alive(), "abandon must not wait for the hung write"
        result = done[0]
        steps = {s.provider: s for s in result.steps}
        assert steps["r53"].state == "unknown" and steps["r53"].error == LEFT_BEHIND
        assert steps["bind"].state == "applied"
        journaled = {s.provider: s.state
                     for s in engine.journal.steps(result.move_id)}
        assert journaled["r53"] == "unknown" and journaled["bind"] == "applied"
    finally:
        hung.release.set()
