"""A stale leader can never write DNS (issue 19, defects 1 and 9), against a real
three-member etcd and two real BIND servers.

The sequence of defect 1, made deterministic: leader w-aws plans a move to ``g`` and
passes ``guard()``; then it stops (here: held at a gate right after the guard, which is
where a freeze or a slow provider leaves it) for longer than its lease. Hosting ``a``
comes back; w-gcp leads, sees nothing to do, and sets the DNS fence to its epoch; the
operator runs ``failover pause``. Then w-aws goes on and writes. The two nodes' plans
differ (w-aws: ``g``; the cluster: ``a``), so a stale write would be visible.

The write must fail at the server: both BIND servers keep serving ``a`` and hold the
new leader's fence. Mutation check: make ``EtcdCoordinator.guard`` return no token (or
drop the fence prerequisite in ``failover.dns.rfc2136``) and this test fails.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from failover.config import load_config
from failover.coord.base import WriteLease
from failover.dns.fence import fence_name, parse_fence
from failover.engine import Engine
from failover.watch import CycleResult, Reconciler
from lab import bind as lab_bind
from tests.integration.clusterworld import World, wait

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"


def engine(path: Path) -> Engine:
    return Engine(load_config(path))


def fences(world: World) -> dict[str, int | None]:
    name = fence_name("example.test.")
    return {n: parse_fence(lab_bind.answers("127.0.0.1", port, name, "TXT"))
            for n, port in (("bind", world.bind_port), ("bind2", world.bind2_port))}


@pytest.mark.parametrize("stop", ["frozen", "suspended"])
def test_a_stale_leader_write_fails_after_a_new_leader_and_a_pin(
        world: World, stop: str) -> None:
    """``frozen``: the process stopped, its clock ran on: its own deadline stops it.
    ``suspended``: its monotonic clock stopped too (a suspended VM), so it believes its
    lease still holds: only the fence held at the DNS servers stops it."""
    from failover.coord.etcdclient import EtcdClient

    world.watchers, world.quorum = ["w-aws", "w-gcp"], 0.5
    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    stale = engine(world.config("w-aws", "aws"))
    fresh = engine(world.config("w-gcp", "gcp"))
    laptop = world.config("laptop", "metal", auto=False)
    gate, at_gate = threading.Event(), threading.Event()
    real_guard = stale.coord.guard

    def held_guard() -> Any:
        lease = real_guard()
        at_gate.set()
        start = time.monotonic()
        assert gate.wait(60), "never released"
        if stop == "suspended" and lease is not None:   # the pause is not on its clock
            lease = WriteLease(lease.epoch, lease.deadline + time.monotonic() - start)
        return lease

    stale.coord.guard = held_guard      # type: ignore[method-assign]
    outcome: list[CycleResult | BaseException] = []
    try:
        r_stale = Reconciler(stale, auto_move=True)
        assert r_stale.cycle().action == "none"       # w-aws leads (first to campaign)
        assert etcd.get(PREFIX + "leader").json()["node"] == "w-aws"   # type: ignore[union-attr]
        world.a.close()                               # a is down: w-aws plans a move to g

        def run() -> None:   # cycles (fall: 2) until one plans, passes guard and writes
            try:
                while True:
                    result = r_stale.cycle()
                    if at_gate.is_set():
                        outcome.append(result)
                        return
            except BaseException as exc:
                outcome.append(exc)

        mover = threading.Thread(target=run, daemon=True)
        mover.start()
        assert at_gate.wait(30), "w-aws never reached its write"
        # w-aws is stopped after its guard; its lease runs out (its loop renews it, and
        # its loop is stuck here). a comes back; w-gcp leads and sees nothing to do.
        world.a.reopen()
        r_fresh = Reconciler(fresh, auto_move=True)

        def fresh_leads() -> bool:
            result = r_fresh.cycle()
            return "this node leads" in result.sentence
        wait("w-gcp to lead", fresh_leads, timeout=30)
        wait("w-gcp to fence DNS", lambda: "set the DNS fence" in r_fresh.cycle().sentence
             or r_fresh.fenced is not None, timeout=30)
        epoch = r_fresh.fenced
        assert epoch is not None
        assert fences(world) == {"bind": epoch, "bind2": epoch}
        paused = world.cli(laptop, "pause")
        assert paused.returncode == 0, paused.stdout + paused.stderr
        assert world.served() == ["127.0.0.11"]
        gate.set()                                    # w-aws goes on, and writes
        mover.join(60)
        assert not mover.is_alive()
    finally:
        gate.set()
        stale.close()
        fresh.close()
    # Nothing of the stale plan landed: both servers serve a, and hold the new fence.
    assert world.served_each() == {"bind": ["127.0.0.11"], "bind2": ["127.0.0.11"]}
    assert all(f is not None and f >= epoch for f in fences(world).values())
    result = outcome[0]
    text = result.sentence if isinstance(result, CycleResult) else str(result)
    assert "moved to g" not in text or "not written: bind, bind2" in text, text
    resumed = world.cli(laptop, "resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
