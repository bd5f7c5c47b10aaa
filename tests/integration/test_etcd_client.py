"""The v3 JSON gateway client against real etcd: endpoint failover, leases, auth."""

from __future__ import annotations

import subprocess
import time

import pytest

from failover.coord.etcdclient import (
    Compare,
    EtcdAuthError,
    EtcdClient,
    EtcdRequestTooLarge,
    EtcdUnavailable,
    Op,
)
from lab import etcd as lab_etcd

pytestmark = pytest.mark.integration


def test_skips_dead_members_and_leases_expire(etcd_cluster: lab_etcd.Cluster) -> None:
    etcd_cluster.kill("aws")
    client = EtcdClient(["http://127.0.0.1:9", *etcd_cluster.endpoints], timeout=5)
    lease = client.grant(2)
    ok, _ = client.txn([Compare.create_revision("/k", 0)], [Op.put("/k", "v", lease)])
    assert ok and client.get("/k") is not None
    ok, _ = client.txn([Compare.create_revision("/k", 0)], [Op.put("/k", "w", lease)])
    assert not ok, "create-if-absent must fail on an existing key"
    deadline = time.monotonic() + 15
    while client.get("/k") is not None:          # not kept alive: gone after its ttl
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert client.keepalive(lease) == 0


def test_a_request_above_etcds_limit_says_so(etcd_cluster: lab_etcd.Cluster) -> None:
    client = EtcdClient(etcd_cluster.endpoints, timeout=5)
    with pytest.raises(EtcdRequestTooLarge, match="too large"):
        client.put("/big", "x" * 2_000_000)


def test_no_quorum_is_one_line(etcd_cluster: lab_etcd.Cluster) -> None:
    etcd_cluster.kill("aws")
    etcd_cluster.kill("gcp")
    client = EtcdClient(etcd_cluster.endpoints, timeout=1)
    with pytest.raises(EtcdUnavailable, match=r"no quorum.*--break-glass") as info:
        client.get("/k")
    assert "\n" not in str(info.value)


def test_user_and_password(etcd_cluster: lab_etcd.Cluster) -> None:
    endpoints = ",".join(etcd_cluster.endpoints)

    def ctl(*args: str) -> None:
        subprocess.run(["etcdctl", "--endpoints", endpoints, *args], check=True,
                       capture_output=True, timeout=30, env={"ETCDCTL_API": "3"})

    ctl("user", "add", "root", "--new-user-password", "s3cret-root")
    ctl("user", "grant-role", "root", "root")
    ctl("auth", "enable")
    good = EtcdClient(etcd_cluster.endpoints, timeout=5, username="root", password="s3cret-root")
    good.put("/a", "1")
    assert good.get("/a") is not None
    bad = EtcdClient(etcd_cluster.endpoints, timeout=5, username="root", password="wrong")
    with pytest.raises(EtcdAuthError) as info:
        bad.get("/a")
    assert "wrong" not in str(info.value) and "s3cret" not in str(info.value)
    anonymous = EtcdClient(etcd_cluster.endpoints, timeout=2)
    with pytest.raises(EtcdAuthError, match=r"cluster\.username"):
        anonymous.get("/a")


def test_watch_streams_changes_from_a_revision_and_ends_by_its_time_limit(
        etcd_cluster: lab_etcd.Cluster) -> None:
    client = EtcdClient(["http://127.0.0.1:9", *etcd_cluster.endpoints], timeout=5)
    first = client.put("/w", "1")
    client.put("/w", "2")
    client.delete("/w")
    client.put("/other", "x")
    seen = []
    for event in client.watch("/w", start_revision=first, seconds=2):
        seen.append((event.type, event.key))
        if len(seen) == 3:
            break
    assert seen == [("PUT", "/w"), ("PUT", "/w"), ("DELETE", "/w")]
    deletes = [e.type for e in client.watch("/w", start_revision=first, seconds=1,
                                             deletes_only=True)]
    assert deletes == ["DELETE"]                  # and it ended by itself: nothing came after


def test_watch_with_every_member_down_says_so(etcd_cluster: lab_etcd.Cluster) -> None:
    client = EtcdClient(etcd_cluster.endpoints, timeout=2)
    for name in ("aws", "gcp", "metal"):
        etcd_cluster.kill(name)
    with pytest.raises(EtcdUnavailable, match="did not open a watch"):
        list(client.watch("/w", start_revision=1, seconds=2))
