"""Split brain: freeze the leading watcher longer than ttl while a move is needed, then wake it.

Per trial, with two watcher processes on a real three-member etcd and two real BIND servers:
hosting ``a`` goes down, the leader is frozen (SIGSTOP) at a random moment of the next
2.5 s (before it notices, while it plans, or half way through its move), stays frozen for
ttl + 1.5 s, and is woken (SIGCONT). Then:

- no two nodes record a move for this decision (at most one finished failover move, by
  one node, in the shared history);
- each of the two DNS providers (two BIND servers) serves the answers of exactly one plan
  (only g's address, never a mix, never the other plan's);
- every move either watcher journaled locally is in the shared history.

``make test`` runs FAILOVER_SPLIT_TRIALS (default 3); the issue asks for 100:
``FAILOVER_SPLIT_TRIALS=100 pytest tests/integration/test_split_brain.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from failover.coord.etcdclient import EtcdClient
from tests.integration.clusterworld import World, wait

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("FAILOVER_SPLIT_TRIALS", "3"))
PREFIX = "/failover/example.test./"
TTL = 3.0


def shared_moves(etcd: EtcdClient) -> list[dict[str, Any]]:
    return [kv.json() for kv in etcd.get_prefix(PREFIX + "moves/")]


def local_moves(journal: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT id, state, args FROM moves").fetchall()
    finally:
        db.close()
    return [{"id": r[0], "state": r[1], "args": json.loads(r[2])} for r in rows]


@pytest.mark.timeout(120 + 30 * TRIALS)     # about 10 s a trial on an idle machine
def test_frozen_leader_never_makes_two_moves_of_one_decision(world: World) -> None:
    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    nodes = {"w-aws": "aws", "w-gcp": "gcp"}
    # Two configured vantage points; the config lets one of them be a quorum, so the
    # survivor of a freeze moves (the default majority would need both).
    world.watchers, world.quorum = list(nodes), 0.5
    procs = {n: world.watcher(world.config(n, v), world.root / f"{n}.log")
             for n, v in nodes.items()}
    rng = random.Random(9)
    outcomes = []
    for trial in range(TRIALS):
        wait("the healthy state", lambda: world.served() == ["127.0.0.11"]
             and etcd.get(PREFIX + "lock") is None and etcd.get(PREFIX + "leader") is not None
             and len(etcd.get_prefix(PREFIX + "views/")) == 2)
        before = {m["id"] for m in shared_moves(etcd)}
        leader = etcd.get(PREFIX + "leader")
        assert leader is not None
        node = leader.json()["node"]
        pid = procs[node].pid
        world.a.close()
        time.sleep(rng.uniform(0.0, 2.5))
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(TTL + 1.5)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait("the move to g", lambda: world.served() == ["127.0.0.12"])
        time.sleep(1.5)      # the woken node finishes whatever it was doing
        wait("the lock to be free", lambda: etcd.get(PREFIX + "lock") is None)
        new = [m for m in shared_moves(etcd) if m["id"] not in before]
        finished = [m for m in new if m["kind"] == "move" and m["state"] != "interrupted"
                    and m["state"] != "failed"]
        assert len(finished) <= 1, f"trial {trial}: two moves for one decision: {new}"
        assert len({m["node"] for m in finished}) <= 1
        each = world.served_each()
        assert all(a == ["127.0.0.12"] for a in each.values()), \
            f"trial {trial}: answers from two plans: {each}"
        shared_ids = {m["id"] for m in shared_moves(etcd)}
        for n in nodes:
            for m in local_moves(world.root / n / "journal.sqlite"):
                assert m["args"].get("shared_id") in shared_ids, \
                    f"trial {trial}: {n}'s move {m} is not in the shared history"
        outcomes.append((node, [(m["node"], m["state"]) for m in new]))
        world.a.reopen()
        wait("the failback to a", lambda: world.served() == ["127.0.0.11"])
    for p in procs.values():
        assert p.poll() is None, "a watcher died"
    print(f"{TRIALS} trials: " + "; ".join(f"{leader} frozen -> {moves}"
                                           for leader, moves in outcomes))
