"""With etcd out of reach, 'status --format json' shows the pin as last known, with its
age, not null (issue 19 defect 8, issue 20): this node keeps the last pin it read from
etcd in its own journal."""

from __future__ import annotations

import json

import pytest

from tests.integration.clusterworld import World

pytestmark = pytest.mark.integration


def test_status_shows_the_last_known_pin_while_etcd_is_out_of_reach(world: World) -> None:
    laptop = world.config("laptop", "metal", auto=False)
    moved = world.cli(laptop, "move", "--to", "g", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    seen = json.loads(world.cli(laptop, "status", "--format", "json").stdout)["pin"]
    assert seen["kind"] == "move" and seen["until"] and "last_known" not in seen
    for name in list(world.etcd.members):
        world.etcd.kill(name)
    status = world.cli(laptop, "status", "--format", "json")
    assert "cannot be reached" in status.stderr, status.stderr
    pin = json.loads(status.stdout)["pin"]
    assert pin is not None, status.stdout
    assert pin["reason"] == seen["reason"] and pin["until"] == seen["until"]
    assert pin["last_known"] > 0 and pin["age"] >= 0
    table = world.cli(laptop, "status")
    assert "last known: etcd cannot be asked" in table.stdout, table.stdout
