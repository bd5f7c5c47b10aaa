"""A follower's watch comes back when the member serving it dies or etcd compacts past
its revision (issue 19, defect 7), against a real three-member etcd: the follower still
wakes when the leader goes, instead of sleeping out its interval."""

from __future__ import annotations

import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from failover.coord.etcdclient import EtcdClient
from lab import etcd as lab_etcd
from tests.integration.clusterworld import wait
from tests.integration.etcdworld import coordinator

pytestmark = pytest.mark.integration


def watchers(endpoint: str) -> int:
    """How many watches this member serves now (its own metrics)."""
    with urllib.request.urlopen(f"{endpoint}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found = re.search(r"^etcd_debugging_mvcc_watcher_total (\d+)", text, re.M)
    return int(found.group(1)) if found else 0


def test_a_follower_whose_watch_member_dies_still_wakes_when_the_leader_goes(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    aws, gcp, metal = (etcd_cluster.member(n).endpoint for n in ("aws", "gcp", "metal"))
    leader = coordinator(tmp_path, [aws, gcp], "w-aws", "aws")
    # The follower asks metal first, so its watch is served there.
    follower = coordinator(tmp_path, [metal, gcp, aws], "w-gcp", "gcp")
    try:
        assert leader.campaign() == "w-aws"
        assert follower.campaign() == "w-aws"
        stop = threading.Event()
        # An hour: only the leader's going can end this wait within the test.
        pause = threading.Thread(target=follower.wait, args=(stop, 3600), daemon=True)
        pause.start()
        wait("the follower's watch at metal", lambda: watchers(metal) > 0, 30)
        etcd_cluster.kill("metal")
        leader.close()                    # its lease, and the leader key, go
        pause.join(60)
        assert not pause.is_alive(), "the follower slept on after its watch's member died"
        assert follower.campaign() == "w-gcp"
    finally:
        stop.set()
        leader.close()
        follower.close()


def test_a_follower_whose_watch_revision_was_compacted_still_wakes_when_the_leader_goes(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    leader = coordinator(tmp_path, etcd_cluster.endpoints, "w-aws", "aws")
    follower = coordinator(tmp_path, etcd_cluster.endpoints, "w-gcp", "gcp")
    stop = threading.Event()
    try:
        assert leader.campaign() == "w-aws"
        assert follower.campaign() == "w-aws"
        # Other writes go on, and etcd compacts past the revision the follower read.
        client = EtcdClient(etcd_cluster.endpoints, timeout=5)
        for i in range(5):
            last = client.put(f"/other/{i}", "x")
        client.call("kv/compaction", {"revision": str(last), "physical": True})
        pause = threading.Thread(target=follower.wait, args=(stop, 3600), daemon=True)
        pause.start()
        time.sleep(0.5)   # etcd has cancelled the first stream by now; the wait goes on
        assert pause.is_alive(), "the follower stopped waiting while the leader lived"
        leader.close()
        pause.join(60)
        assert not pause.is_alive(), "the follower slept on after its watch was compacted"
    finally:
        stop.set()
        leader.close()
        follower.close()
