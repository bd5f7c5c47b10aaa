"""The lab's etcd cluster: it starts healthy, keeps quorum through one lost member, loses it
with two, and every verb (kill, stop/cont, restart, down) does what it says to the process."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lab import etcd
from lab.procs import LabError, alive

pytestmark = pytest.mark.integration


def _client(member: etcd.Member):  # type: ignore[no-untyped-def]
    import etcd3gw

    return etcd3gw.client(host=member.host, port=member.client_port, timeout=10)


def _put(member: etcd.Member, key: str, value: str) -> None:
    """Put, retried while the cluster elects a new leader (etcd answers 503 meanwhile)."""
    import etcd3gw.exceptions

    for _ in range(60):
        try:
            _client(member).put(key, value)
            return
        except etcd3gw.exceptions.Etcd3Exception:
            time.sleep(0.5)
    _client(member).put(key, value)


def test_cluster_starts_healthy_and_serves_one_keyspace(etcd_cluster: etcd.Cluster) -> None:
    assert list(etcd_cluster.members) == ["aws", "gcp", "metal"]
    assert len(set(etcd_cluster.endpoints)) == 3
    assert all(m.healthy() for m in etcd_cluster.members.values())
    _put(etcd_cluster.members["aws"], "/lab/k", "v1")
    assert _client(etcd_cluster.members["metal"]).get("/lab/k") == [b"v1"]


def test_one_member_lost_keeps_quorum_two_lose_it(etcd_cluster: etcd.Cluster) -> None:
    gcp, metal = etcd_cluster.members["gcp"], etcd_cluster.members["metal"]
    etcd_cluster.kill("aws")
    assert not etcd_cluster.members["aws"].alive()
    assert etcd_cluster.members["aws"].pid is None
    _put(gcp, "/lab/k", "after-kill")  # two of three still decide

    pid = metal.pid
    etcd_cluster.stop("metal")
    assert alive(pid) and not metal.healthy(timeout=0.5)  # frozen: running, answers nothing
    assert not gcp.healthy(timeout=3)  # one of three: no quorum

    etcd_cluster.cont("metal")
    etcd_cluster.restart("aws")
    assert all(m.becomes_healthy(within=60) for m in etcd_cluster.members.values())
    assert _client(etcd_cluster.members["aws"]).get("/lab/k") == [b"after-kill"]


def test_down_stops_frozen_members_too(tmp_path: Path) -> None:
    cluster = etcd.start_cluster(tmp_path, ["a", "b", "c"])
    pids = [m.pid for m in cluster.members.values()]
    cluster.stop("a")
    cluster.down()
    cluster.down()  # twice is fine
    assert not any(alive(pid) for pid in pids)


def test_the_record_survives_lab_json(etcd_cluster: etcd.Cluster) -> None:
    again = etcd.Cluster.from_dict(json.loads(json.dumps(etcd_cluster.to_dict())))
    assert again.endpoints == etcd_cluster.endpoints
    again.kill("gcp")  # a second process acts on the cluster the first one started
    assert not etcd_cluster.members["gcp"].alive()


def test_bad_use_is_one_clear_line(etcd_cluster: etcd.Cluster, tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no etcd member 'nope'; the members are: aws, gcp"):
        etcd_cluster.stop("nope")
    with pytest.raises(LabError, match="distinct names"):
        etcd.start_cluster(tmp_path, ["a", "a"])
    etcd_cluster.kill("aws")
    with pytest.raises(LabError, match="etcd member 'aws' is not running"):
        etcd_cluster.stop("aws")
