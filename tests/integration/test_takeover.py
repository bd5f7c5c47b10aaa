"""Leader takeover against a real etcd (three members): a follower wakes when the leader
key goes, instead of sleeping out its interval, and the new leader says whom it took over
from. Never asserts seconds (``python -m bench.takeover`` measures them)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from failover.config import load_config
from failover.coord.etcdclient import EtcdClient
from failover.engine import Engine
from failover.journal import Journal
from tests.integration.clusterworld import World, cycles, wait

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"


def waiting(coord: object, stop: threading.Event, seconds: float) -> threading.Thread:
    thread = threading.Thread(target=coord.wait, args=(stop, seconds),  # type: ignore[attr-defined]
                              daemon=True)
    thread.start()
    return thread


def test_a_follower_wakes_when_the_leader_key_goes(world: World) -> None:
    world.watchers, world.quorum = ["w-aws", "w-gcp"], 0.5
    leader = Engine(load_config(world.config("w-aws", "aws")))
    follower = Engine(load_config(world.config("w-gcp", "gcp")))
    try:
        assert leader.coord.campaign() == "w-aws"       # type: ignore[attr-defined]
        assert follower.coord.campaign() == "w-aws"     # type: ignore[attr-defined]
        stop = threading.Event()
        # An hour's interval: only the leader's going can end this wait within the test.
        pause = waiting(follower.coord, stop, 3600)
        time.sleep(0.5)
        assert pause.is_alive(), "the follower stopped waiting while the leader lived"
        leader.close()                                   # its lease, and the leader key, go
        pause.join(60)
        assert not pause.is_alive(), "the follower slept on after the leader key went"
        assert follower.coord.campaign() == "w-gcp"     # type: ignore[attr-defined]
        assert follower.coord.took_over_from == "w-aws"  # type: ignore[attr-defined]
        # A leader's own wait is the plain one, and a stop still ends it at once.
        pause = waiting(follower.coord, stop, 3600)
        stop.set()
        pause.join(60)
        assert not pause.is_alive()
    finally:
        leader.close()
        follower.close()


def test_sigkilled_leader_is_taken_over_and_the_takeover_is_recorded(world: World) -> None:
    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    nodes = {"w-aws": "aws", "w-gcp": "gcp"}
    world.watchers, world.quorum = list(nodes), 0.5
    logs = {n: world.root / f"{n}.log" for n in nodes}
    procs = {n: world.watcher(world.config(n, v), logs[n]) for n, v in nodes.items()}
    wait("a leader and both views", lambda: etcd.get(PREFIX + "leader") is not None
         and len(etcd.get_prefix(PREFIX + "views/")) == 2)
    kv = etcd.get(PREFIX + "leader")
    assert kv is not None
    dead = kv.json()["node"]
    (heir,) = set(nodes) - {dead}
    os.kill(procs[dead].pid, signal.SIGKILL)
    procs[dead].wait()
    wait(f"{heir} to lead", lambda: (etcd.get(PREFIX + "leader") or kv).json()["node"] == heir)
    wait(f"{heir}'s first cycle as leader",
         lambda: any("this node leads" in c["sentence"] for c in cycles(logs[heir])))
    first = next(c for c in cycles(logs[heir]) if "this node leads" in c["sentence"])
    assert f"this node leads (took over from {dead})" in first["sentence"], first
    assert first["action"] == "none" and first["exit_code"] == 0, first
    assert world.served() == ["127.0.0.11"]     # a takeover alone moves nothing
    assert procs[heir].poll() is None
    # The journal has it too: the cycle events of the heir's own journal.
    journal = Journal(world.root / heir / "journal.sqlite")
    try:
        assert any(f"took over from {dead}" in e["sentence"]
                   for e in journal.events(1000, "cycle"))
    finally:
        journal.close()
