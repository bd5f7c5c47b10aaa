"""Shared move records never reach etcd's size limit (issue 19, defect 4), against a real
three-member etcd with its default limits (1.5 MiB a request, gRPC's 2 MiB a message).

A move whose before-images alone would pass the limit is written in pieces and read
back whole; a verification too large to share never aborts a move (DNS may be written);
a too-large answer is never taken for lost quorum; a new leader is never stopped by a
broken record; a record written whole by an older release still reads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failover.coord import etcdstore
from failover.coord.etcdclient import EtcdClient
from failover.errors import EtcdRequestTooLarge
from lab import etcd as lab_etcd
from tests.hypo import cases
from tests.integration.etcdworld import TIMING, coordinator

pytestmark = pytest.mark.integration

PREFIX = "/failover/example.test./"
# Megabytes through raft on a loaded two-core machine: more time than a cycle's reads.
SLOW = {"ttl": "20s", "loop_wait": "2s", "retry_timeout": "6s"}


def big_image(n: int) -> list[dict[str, object]]:
    return [{"name": f"host{i:06d}.example.test.", "type": "A", "ttl": 60,
             "values": [f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"]}
            for i in range(n)]


def test_a_move_bigger_than_one_request_is_shared_and_read_back(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    before = big_image(30_000)
    assert len(json.dumps(before)) > 2 * 1024 * 1024   # one record would be refused
    steps = [{"provider": p, "vendor": v, "before": json.dumps(before),
              "desired": json.dumps(before[:10]), "changes": "[]", "state": "planned",
              "tolerated": False, "error": None} for p, v in (("bind", "metal"),
                                                              ("bind2", "gcp"))]
    coord = coordinator(tmp_path, etcd_cluster.endpoints, timing=SLOW)
    try:
        with coord.lock("failover move --to g"):
            store = coord.store
            number = store.begin_move(kind="move", at=time.time(), reason="big", args={},
                                      checksum="c", steps=steps)
            for p in ("bind", "bind2"):
                store.step_state(number, p, "writing", at=time.time())
                store.step_state(number, p, "applied", at=time.time())
                store.record_verification(number, p, "ns1", True, 0.1, "answers", time.time())
            store.move_state(number, "done", at=time.time(), summary="moved")
        other = coordinator(tmp_path, etcd_cluster.endpoints, "w-gcp", "gcp", SLOW)
        try:
            read = other.store
            assert [(m.id, m.state) for m in read.moves()] == [(number, "done")]
            got = read.steps(number)
            assert [s.provider for s in got] == ["bind", "bind2"]
            assert all(s.state == "applied" and s.before == before for s in got)
            assert [v["provider"] for v in read.verifications(number)] == ["bind", "bind2"]
        finally:
            other.close()
    finally:
        coord.close()


def test_a_verification_too_large_to_share_does_not_abort_the_move(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    step = {"provider": "bind", "vendor": "metal", "before": "[]", "desired": "[]",
            "changes": "[]", "state": "planned", "tolerated": False, "error": None}
    coord = coordinator(tmp_path, etcd_cluster.endpoints)
    try:
        with coord.lock("failover move --to g"):
            store = coord.store
            number = store.begin_move(kind="move", at=time.time(), reason="r", args={},
                                      checksum="c", steps=[step])
            store.step_state(number, "bind", "applied", at=time.time())
            store.record_verification(number, "bind", "ns1", True, 0.1, "x" * 2_000_000,
                                      time.time())      # DNS is written: this must not raise
            store.move_state(number, "done", at=time.time(), summary="moved")
        assert [m.state for m in store.moves()] == ["done"]
        local = coord.journal.moves()[0]
        assert len(coord.journal.verifications(local.id)) == 1   # the journal has it
        said = [e["sentence"] for e in coord.journal.events(10, "shared")]
        assert any("not shared" in s and "bind" in s for s in said), said
    finally:
        coord.close()


def test_every_too_large_answer_says_too_large_not_no_quorum(
        etcd_cluster: lab_etcd.Cluster) -> None:
    client = EtcdClient(etcd_cluster.endpoints, timeout=5)
    for size in (1_700_000, 3_000_000):   # etcd's own limit; gRPC's, answered with 429
        with pytest.raises(EtcdRequestTooLarge, match="too large") as info:
            client.put("/big", "x" * size)
        assert "quorum" not in str(info.value) and "\n" not in str(info.value)


def test_a_new_leader_skips_a_broken_record_and_adopts_the_rest(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    direct = EtcdClient(etcd_cluster.endpoints, timeout=5)
    old = {"id": 1, "kind": "move", "started": 1.0, "finished": None, "state": "applying",
           "reason": "r", "args": {}, "checksum": "c", "pid": 1, "host": "h", "node": "gone",
           "vendor": "aws", "rollback_of": None, "summary": None,
           "steps": [{"provider": "bind", "vendor": "metal", "before": [], "desired": [],
                      "changes": [], "state": "writing", "error": None, "started": 1.0,
                      "applied": None}],
           "verifications": [{"provider": "bind", "authority": "ns1", "ok": False,
                              "seconds": 1.0, "detail": "d", "at": 2.0}]}
    direct.put(PREFIX + "moves/00000001", json.dumps(old))    # written whole, by an older release
    direct.put(PREFIX + "moves/00000002", "{not json")
    direct.put(PREFIX + "moves/00000003", json.dumps({"id": 3, "state": "applying"}))
    direct.put(PREFIX + "seq", "3")
    coord = coordinator(tmp_path, etcd_cluster.endpoints, "w-gcp", "gcp")
    try:
        assert coord.campaign() == "w-gcp"
        for _ in range(2):   # every cycle, not only the first
            found = coord.adopt_unfinished(time.time())
        assert [m.id for m in coord.store.moves()] == [1]
        rec = json.loads(direct.get(PREFIX + "moves/00000001").value)  # type: ignore[union-attr]
        assert rec["state"] == "interrupted" and "left half done by gone" in rec["summary"]
        assert found == []    # adopted once, on the first cycle
        steps = coord.store.steps(1)
        assert [(s.provider, s.state) for s in steps] == [("bind", "writing")]
        assert [v["authority"] for v in coord.store.verifications(1)] == ["ns1"]
        said = " ".join(e["sentence"] for e in coord.journal.events(10, "shared"))
        assert "moves/00000002 skipped" in said and "moves/00000003 skipped" in said
    finally:
        coord.close()


@settings(cases(30), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(images=st.lists(st.tuples(st.text(max_size=60), st.text(max_size=60)), min_size=1,
                       max_size=3),
       chunk=st.integers(min_value=1, max_value=16))
def test_every_image_reads_back_exactly_as_written_however_it_is_cut(
        tmp_path_factory: pytest.TempPathFactory, etcd_cluster: lab_etcd.Cluster,
        monkeypatch: pytest.MonkeyPatch, images: list[tuple[str, str]], chunk: int) -> None:
    """Whatever the size and characters of a step's images, and wherever the chunks cut
    them (a small chunk here, so every image is cut, mid-character too), the shared
    history gives back what the journal was given."""
    monkeypatch.setattr(etcdstore, "_CHUNK", chunk)
    steps = [{"provider": f"p{i}", "vendor": "metal", "before": json.dumps([before]),
              "desired": json.dumps([desired]), "changes": "[]", "state": "planned",
              "tolerated": False, "error": None} for i, (before, desired) in enumerate(images)]
    coord = coordinator(tmp_path_factory.mktemp("node"), etcd_cluster.endpoints,
                        timing=SLOW)
    try:
        with coord.lock("failover move"):
            number = coord.store.begin_move(kind="move", at=time.time(), reason="r",
                                            args={}, checksum="c", steps=steps)
        got = coord.store.steps(number)
        assert [(s.before, s.desired) for s in got] == [([b], [d]) for b, d in images]
    finally:
        coord.close()


def test_history_keep_prunes_a_move_with_all_its_parts(
        tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> None:
    step = {"provider": "bind", "vendor": "metal", "before": "[1]", "desired": "[2]",
            "changes": "[]", "state": "planned", "tolerated": False, "error": None}
    coord = coordinator(tmp_path, etcd_cluster.endpoints,
                        timing={**TIMING, "history_keep": 2})
    try:
        for n in range(3):
            with coord.lock("failover move --to g"):
                number = coord.store.begin_move(kind="move", at=float(n), reason=f"m{n}",
                                                args={}, checksum="c", steps=[step])
                coord.store.record_verification(number, "bind", "ns1", True, 0.1, "ok",
                                                 float(n))
        assert [m.id for m in coord.store.moves()] == [3, 2]
        assert [s.before for s in coord.store.steps(2)] == [[1]]
        client = EtcdClient(etcd_cluster.endpoints, timeout=5)
        left = {kv.key.split("/")[4] for kv in client.get_prefix(PREFIX + "moveparts/")}
        assert left == {"00000002", "00000003"}
    finally:
        coord.close()
