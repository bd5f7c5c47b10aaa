"""After a move in the clustered lab, every authority serves ``_failover-fence.<zone>``
TXT with the current epoch (issue 19, "done when"): BIND, Knot (BIND's secondary, by
zone transfer), Route 53 (moto) and PowerDNS, with five watchers on a real five-member
etcd. The epoch is at least the leader key's create revision (the leader fenced first,
then its move wrote with its lock's revision)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.config import load_config
from failover.coord.etcdclient import EtcdClient
from failover.dns.fence import fence_name, parse_fence
from failover.engine import Engine
from failover.records import RRKey
from lab import core, vendors
from tests.integration.clusterworld import wait

pytestmark = [pytest.mark.integration, pytest.mark.own_lab]


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        core.up(root)
        data = vendors.start(root)
    except core.LabError as exc:
        core.down(root)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        core.down(root)


def fences(engine: Engine) -> dict[str, int | None]:
    """Each authority's fence epoch, as each answers it (name server or API)."""
    name = fence_name(engine.config.zone)
    out: dict[str, int | None] = {}
    for provider in engine.config.dns:
        for authority in engine.provider(provider).authorities():
            held = authority.read([(name, "TXT")]).get(RRKey(name, "TXT"))
            out[f"{provider}/{authority.label}"] = parse_fence(held.values) if held else None
    return out


@pytest.mark.timeout(300)
def test_every_authority_serves_the_current_fence_after_a_move(
        watched: dict[str, Any]) -> None:
    root = watched["dir"]
    engine = Engine(load_config(core.config_path(root)))
    etcd = EtcdClient(watched["cluster"]["etcd"]["endpoints"], timeout=5)
    prefix = f"/failover/{engine.config.zone}/"
    try:
        wait("a leader", lambda: etcd.get(prefix + "leader") is not None, timeout=60)
        served = core.bind_answers(watched, "www")
        core.kill(root, "aws")                      # the served hosting's origin only
        wait("the move off aws", lambda: core.bind_answers(watched, "www") != served
             and core.route53_answers(watched, "www") != served, timeout=120)
        leader = etcd.get(prefix + "leader")
        assert leader is not None
        epochs = {}

        def fenced_everywhere() -> bool:
            epochs.update(fences(engine))
            values = set(epochs.values())
            return len(values) == 1 and None not in values
        wait("every authority to serve one fence", fenced_everywhere, timeout=60)
        epoch = next(iter(epochs.values()))
        assert epoch is not None and epoch >= leader.create_revision, (epochs, leader)
        assert len(epochs) >= 4, epochs     # BIND, Knot, Route 53, PowerDNS at least
    finally:
        engine.close()
