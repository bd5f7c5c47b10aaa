"""A drill in a clustered config rolls back by the shared history's move id (issue 19,
defect 8), against real etcd (three members) and real BIND.

The shared history numbers moves across the cluster, this node's journal its own: here
the shared sequence is ahead, so the two ids differ, as they do on any node but the first.
"""

from __future__ import annotations

import json

import pytest

from failover.config import load_config
from failover.coord.etcdclient import EtcdClient
from failover.drill import Drill, SimulatedInjector
from failover.engine import Engine
from tests.integration.clusterworld import World

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"


def test_a_clustered_drill_rolls_back_its_own_move_by_the_shared_id(world: World) -> None:
    EtcdClient(world.etcd.endpoints, timeout=5).put(PREFIX + "seq", "5")   # moves 1-5 before
    laptop = world.config("laptop", "metal", auto=False)
    engine = Engine(load_config(laptop))
    try:
        report = Drill(engine, "aws", SimulatedInjector(), apply=True).run()
    finally:
        engine.close()
    assert report.errors == [] and report.outcome == "passed", (report.errors, report.outcome)
    assert report.move is not None and report.move.move_id == 6
    assert report.rollback is not None and report.rollback.state == "done"
    assert world.served() == ["127.0.0.11"]         # the drill's move undone at both
    history = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    assert [(m["id"], m["kind"], m["state"]) for m in history] == [
        (7, "rollback", "done"), (6, "move", "done")]
