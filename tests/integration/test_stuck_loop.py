"""A stuck loop loses the lead (issue 19, defect 5), against a real three-member etcd.

The leader's lease is renewed by its own loop, not by a free-running thread (Patroni's
``update_lock`` from the HA loop). Here the leading watcher's cycle hangs in a DNS read
(a hung provider): its lease is no longer renewed, so after ``ttl`` the other watcher
leads, while the stuck process still lives. Mutation check: renew a watcher's lease from
a thread again (enter ``Session.kept_alive`` in ``EtcdCoordinator.renew``) and this test
fails: the stuck leader keeps the leader key for as long as it lives.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from failover.config import load_config
from failover.engine import Engine
from failover.watch import Reconciler
from tests.integration.clusterworld import World, wait

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"
TTL = 3.0   # clusterworld's lease


def engine(path: Path) -> Engine:
    return Engine(load_config(path))


def test_a_leader_whose_loop_hangs_loses_the_lead_within_ttl(world: World) -> None:
    from failover.coord.etcdclient import EtcdClient

    world.watchers, world.quorum = ["w-aws", "w-gcp"], 0.5
    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    stuck = engine(world.config("w-aws", "aws"))
    other = engine(world.config("w-gcp", "gcp"))
    gate, hung = threading.Event(), threading.Event()
    real_read = stuck.read_all

    def hanging_read(*args: Any, **kwargs: Any) -> Any:
        hung.set()
        gate.wait(60)      # a provider that never answers (until the test lets it)
        return real_read(*args, **kwargs)

    loop: threading.Thread | None = None
    try:
        r_stuck, r_other = Reconciler(stuck, auto_move=True), Reconciler(other, auto_move=True)
        assert "this node leads" in r_stuck.cycle().sentence
        assert "w-aws leads" in r_other.cycle().sentence
        stuck.read_all = hanging_read          # type: ignore[method-assign]
        loop = threading.Thread(target=r_stuck.cycle, daemon=True)
        loop.start()
        assert hung.wait(30), "the leader's cycle never reached its DNS read"
        hung_at = time.monotonic()

        def other_leads() -> bool:
            return "this node leads" in r_other.cycle().sentence
        wait("w-gcp to lead while w-aws's loop hangs", other_leads, timeout=TTL * 4)
        took = time.monotonic() - hung_at
        assert loop.is_alive(), "the stuck loop was supposed to still hang"
        leader = etcd.get(PREFIX + "leader")
        assert leader is not None and leader.json()["node"] == "w-gcp"
        assert took < TTL * 3, f"took the lead {took:.1f} s after the loop hung"
    finally:
        gate.set()
        if loop is not None:
            loop.join(60)       # its cycle ends before its engine (and journal) closes
        stuck.close()
        other.close()
