"""Transactions retried after an unknown outcome recognise their own effect (issue 19,
defects 2 and 3), against a real three-member etcd.

A fault proxy in front of the first member forwards a transaction, lets etcd commit it,
and drops the answer; the client then sends the same transaction to the next member,
where it meets its own earlier effect.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from failover.coord.etcdclient import EtcdClient, Op
from failover.errors import EtcdUnavailable
from lab import etcd as lab_etcd
from lab.httpfault import FaultProxy
from tests.integration.etcdworld import coordinator

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"
STEP = {"provider": "bind", "vendor": "metal", "before": "[]", "desired": "[]",
        "changes": "[]", "state": "planned", "tolerated": False, "error": None}


def test_a_lock_whose_answer_was_lost_is_taken_not_orphaned(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    direct = EtcdClient(etcd_cluster.endpoints, timeout=5)
    with FaultProxy(etcd_cluster.endpoints[0]) as proxy:
        coord = coordinator(tmp_path, [proxy.url, *etcd_cluster.endpoints[1:]])
        try:
            coord.session.ensure()
            proxy.lose_next_answers(1)
            with coord.lock("failover move --to g"):
                assert proxy.lost == ["/v3/kv/txn"], "the lock's answer was not lost"
                lock = direct.get(PREFIX + "lock")
                assert lock is not None
                # Ours, with its create revision: fenced writes hold.
                coord.shared.fenced([])
            assert direct.get(PREFIX + "lock") is None, "the lock outlived its holder"
            with coord.lock("failover resume"):   # and it can be taken again at once
                pass
        finally:
            coord.close()


def test_a_move_numbered_twice_when_its_answer_was_lost_is_one_move(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    direct = EtcdClient(etcd_cluster.endpoints, timeout=5)
    with FaultProxy(etcd_cluster.endpoints[0]) as proxy:
        coord = coordinator(tmp_path, [proxy.url, *etcd_cluster.endpoints[1:]])
        try:
            with coord.lock("failover move --to g"):
                proxy.lose_next_answers(1)
                number = coord.store.begin_move(kind="move", at=time.time(), reason="test",
                                                args={}, checksum="c1", steps=[STEP])
                assert proxy.lost == ["/v3/kv/txn"]
                coord.store.step_state(number, "bind", "applied", at=time.time())
                coord.store.move_state(number, "done", at=time.time(), summary="ok")
            seq = direct.get(PREFIX + "seq")
            assert seq is not None and int(seq.value) == number == 1
            moves = coord.store.moves()
            assert [(m.id, m.state) for m in moves] == [(1, "done")]
            # Another node's reading: nothing left half done to adopt.
            other = coordinator(tmp_path, etcd_cluster.endpoints, "w-gcp", "gcp")
            try:
                assert [m.state for m in other.store.moves()] == ["done"]
            finally:
                other.close()
        finally:
            coord.close()



def test_an_answer_lost_after_sending_is_an_unknown_outcome_not_a_refusal(
        etcd_cluster: lab_etcd.Cluster) -> None:
    direct = EtcdClient(etcd_cluster.endpoints, timeout=5)
    with FaultProxy(etcd_cluster.endpoints[0]) as proxy:
        lonely = EtcdClient([proxy.url], timeout=2)
        proxy.lose_next_answers(1)
        with pytest.raises(EtcdUnavailable, match="may have applied it") as info:
            lonely.txn([], [Op.put("/applied", "yes")])
        assert "\n" not in str(info.value)
        assert direct.get("/applied") is not None     # it was: the outcome was unknown
    refused = EtcdClient(["http://127.0.0.1:9"], timeout=1)   # nothing listens: not sent
    with pytest.raises(EtcdUnavailable) as info:
        refused.txn([], [Op.put("/never", "x")])
    assert "may have applied" not in str(info.value)
