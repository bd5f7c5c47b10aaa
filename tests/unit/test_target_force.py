"""One safety rule for 'move --to' and 'rollback' (issue 20): serving a DOWN or TERMINATED
hosting is refused without --force, by the plan both apply."""

from __future__ import annotations

import dataclasses

import pytest

from failover.errors import EXIT_REFUSED, UnsafePlanError
from failover.health import DOWN
from tests.unit.test_move import UPS, setup

__all__ = ["setup"]


def test_move_to_a_down_hosting_is_refused_until_forced(setup) -> None:
    engine, _mems = setup
    verdicts = {**UPS, "g": dataclasses.replace(UPS["g"], verdict=DOWN, reason="refused")}
    plan = engine.plan(to="g", verdicts=verdicts)
    assert plan.refusals and "--to g would serve g, but g is DOWN" in plan.refusals[0]
    with pytest.raises(UnsafePlanError) as refused:
        engine.check_safety(plan, force=False)
    assert refused.value.exit_code == EXIT_REFUSED
    engine.check_safety(plan, force=True)     # --force applies it
    assert not engine.plan(to="g", verdicts=UPS).refusals
