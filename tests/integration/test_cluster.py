"""Clustered watchers against a real etcd cluster (three members) and a real BIND.

Each test names the promise of issue 9 it proves. Never skipped: a missing etcd or
named fails the fixture.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from failover.config import load_config
from failover.engine import Engine
from failover.errors import LockHeld
from failover.watch import Reconciler, watch
from tests.integration.clusterworld import World

pytestmark = pytest.mark.integration


def engine(path: Path) -> Engine:
    return Engine(load_config(path))


def test_lone_cut_off_watcher_never_moves(world: World) -> None:
    """Its own network is cut: it sees every hosting down, is not a quorum, moves nothing."""
    e = engine(world.config("w-metal", "metal", cut_off=True))
    try:
        r = Reconciler(e, auto_move=True)
        for _ in range(4):
            result = r.cycle()
            assert result.action != "moved", result.sentence
        assert "w-metal saw a DOWN, g DOWN" in result.sentence
        assert "not counted, they see nothing up: w-metal" in result.sentence
        assert result.action in ("none", "keep")
    finally:
        e.close()
    assert world.served() == ["127.0.0.11"]


def test_quorum_lost_is_fail_static_and_break_glass_reaches_shared_history(
        world: World) -> None:
    e = engine(world.config("w-gcp", "gcp"))
    laptop = world.config("laptop", "metal", auto=False)
    try:
        r = Reconciler(e, auto_move=True)
        assert r.cycle().action == "none"
        world.etcd.kill("aws")
        world.etcd.kill("gcp")                  # 1 of 3 members: no quorum
        world.a.close()                         # and a move is needed
        for _ in range(3):
            result = r.cycle()
            assert result.action == "fail-static", result.sentence
            assert result.exit_code == 2
            assert "fail-static, no automatic move" in result.sentence
        assert world.served() == ["127.0.0.11"]
    finally:
        e.close()
    refused = world.cli(laptop, "move", "--to", "g", "--yes")
    assert refused.returncode == 2 and "etcd did not answer" in refused.stderr
    assert "Traceback" not in refused.stderr
    glass = world.cli(laptop, "move", "--to", "g", "--yes", "--break-glass")
    assert glass.returncode == 0, glass.stdout + glass.stderr
    assert "BREAK GLASS" in glass.stderr
    assert world.served() == ["127.0.0.12"]
    world.etcd.restart("aws")
    world.etcd.restart("gcp")
    history = world.cli(laptop, "history", "--format", "json")
    assert history.returncode == 0, history.stderr
    moves = json.loads(history.stdout)
    assert [m["state"] for m in moves] == ["done"]
    assert "BREAK GLASS" in moves[0]["summary"]
    # Another node sees it too, and the pin it set.
    other = world.cli(world.config("w-aws", "aws"), "history", "--format", "json")
    assert json.loads(other.stdout)[0]["id"] == moves[0]["id"]
    status = world.cli(laptop, "status", "--format", "json")
    assert json.loads(status.stdout)["pin"]["reason"] == f"break-glass move {moves[0]['id']}"


def test_laptop_sees_a_watchers_move_and_rolls_it_back(world: World) -> None:
    e = engine(world.config("w-gcp", "gcp"))
    laptop = world.config("laptop", "metal", auto=False)
    try:
        r = Reconciler(e, auto_move=True)
        r.cycle()
        world.a.close()
        results = [r.cycle() for _ in range(3)]
        assert "moved" in [x.action for x in results], [x.sentence for x in results]
    finally:
        e.close()
    assert world.served() == ["127.0.0.12"]
    status = json.loads(world.cli(laptop, "status", "--format", "json").stdout)
    assert status["last_move"]["state"] == "done"
    moved_id = status["last_move"]["id"]
    history = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    assert history[0]["id"] == moved_id and history[0]["reason"]
    assert history[0]["node"] == "w-gcp"
    one = json.loads(world.cli(laptop, "history", str(moved_id), "--format", "json").stdout)
    assert one["steps"][0]["before"], "the watcher's before-image is shared"
    world.a.reopen()
    back = world.cli(laptop, "rollback", "--yes", "--force")
    assert back.returncode == 0, back.stdout + back.stderr
    assert world.served() == ["127.0.0.11"]
    history = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    assert history[0]["kind"] == "rollback" and history[0]["rollback_of"] == moved_id


def test_manual_move_is_not_undone_by_a_watcher_until_resume(world: World) -> None:
    laptop = world.config("laptop", "metal", auto=False)
    e = engine(world.config("w-gcp", "gcp"))
    try:
        r = Reconciler(e, auto_move=True)
        assert r.cycle().action == "none"
        moved = world.cli(laptop, "move", "--to", "g", "--yes")
        assert moved.returncode == 0, moved.stdout + moved.stderr
        assert world.served() == ["127.0.0.12"]
        for _ in range(3):
            result = r.cycle()
            assert result.action == "pinned", result.sentence
            assert "pinned by laptop" in result.sentence
        assert world.served() == ["127.0.0.12"]
        # The watcher's loop runs meanwhile: its lease, and so its view, lives only as
        # long as its loop renews it (a watcher that stops cycling loses both in ttl).
        stop = threading.Event()
        loop = threading.Thread(target=watch, args=(r,), daemon=True,
                                kwargs={"interval": 0.5, "stop": stop})
        loop.start()
        try:
            check = json.loads(world.cli(laptop, "check", "--format", "json").stdout)
            prom = world.cli(laptop, "check", "--format", "prometheus").stdout
        finally:
            stop.set()
            loop.join(30)
        kinds = {(f["kind"], f["name"]): f for f in check["findings"]}
        assert ("pin", "laptop") in kinds
        # Each vantage point's view beside the cluster's verdict.
        assert kinds[("vantage", "w-gcp/a")]["status"] == "UP"
        assert kinds[("cluster", "a")]["status"] == "UP"
        assert 'failover_vantage_hosting_up{service="s",node="w-gcp",hosting="a"' in prom
        assert 'failover_cluster_hosting_up{service="s",hosting="a"' in prom
        paused = world.cli(laptop, "resume")
        assert paused.returncode == 0, paused.stderr
        assert r.cycle().action == "moved"
        assert world.served() == ["127.0.0.11"]
    finally:
        e.close()


def test_second_mover_is_told_who_holds_the_cluster_lock(world: World) -> None:
    one, two = engine(world.config("n1", "aws")), engine(world.config("n2", "gcp"))
    try:
        with one.lock("failover move --off aws"), pytest.raises(
                LockHeld, match=r"held by n1 \(pid \d+, host .*, since .*, "
                                r"failover move --off aws\)"), two.lock():
            pass
        with two.lock():
            pass
    finally:
        one.close()
        two.close()


def test_two_movers_with_different_journals_never_both_write(world: World) -> None:
    """10 trials, real processes, one clustered config copied with two journal files."""
    from tests.integration.clusterworld import env
    from tests.unit.test_coord_local import MOVER, run_movers

    script = world.root / "mover.py"
    script.write_text(MOVER)
    base = world.config("laptop", "metal", auto=False).read_text()
    configs = []
    for i in (1, 2):
        path = world.root / f"copy{i}.yaml"
        path.write_text(base.replace("laptop/journal.sqlite", f"copy{i}/journal.sqlite"))
        configs.append(path)
    run_movers(script, configs, world.root / "log", env())


DIES_MID_MOVE = """
import os, sys
from failover.config import load_config
from failover.engine import Engine

engine = Engine(load_config(sys.argv[1]))
with engine.lock("failover move --to g"):
    plan = engine.plan(to="g")
    engine.store.begin_move(kind="move", at=0.0, reason="to g", args={}, checksum=plan.checksum,
                            steps=[{"provider": "bind", "vendor": "metal", "before": [],
                                    "desired": [], "changes": [], "state": "planned"}])
    os._exit(9)     # dies half way: its lease still holds the lock until ttl
"""


def test_next_leader_finds_a_move_its_mover_left_half_done(world: World) -> None:
    import subprocess
    import sys
    import time

    from tests.integration.clusterworld import env

    script = world.root / "dies.py"
    script.write_text(DIES_MID_MOVE)
    laptop = world.config("laptop", "metal", auto=False)
    died = subprocess.run([sys.executable, str(script), str(laptop)], env=env(),
                          capture_output=True, text=True, timeout=60)
    assert died.returncode == 9, died.stderr
    e = engine(world.config("w-gcp", "gcp"))
    try:
        r = Reconciler(e, auto_move=True)
        sentences = []
        for _ in range(6):          # its lease, and so its lock, outlives it by up to ttl
            sentences.append(r.cycle().sentence)
            time.sleep(1)
        found = [s for s in sentences if "left half done" in s]
        assert len(found) == 1, sentences    # reported once, never forgotten, never repeated
    finally:
        e.close()
    history = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    assert history[0]["state"] == "interrupted"
    assert "left half done by laptop" in history[0]["summary"]


def test_status_and_history_with_etcd_down_read_this_nodes_journal_and_say_so(
        world: World) -> None:
    laptop = world.config("laptop", "metal", auto=False)
    moved = world.cli(laptop, "move", "--to", "g", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    shared = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    for member in ("aws", "gcp", "metal"):
        world.etcd.kill(member)                 # the whole cluster is gone
    line = "the cluster cannot be reached"
    journal = str(world.root / "laptop" / "journal.sqlite")
    status = world.cli(laptop, "status", "--format", "json")
    assert status.returncode == 1, status.stdout + status.stderr     # degraded, not failed
    assert line in status.stderr and "this node's own journal" in status.stderr
    assert len(status.stderr.strip().splitlines()) == 1, status.stderr
    report = json.loads(status.stdout)
    assert report["journal"] == journal and line in report["degraded"]
    assert report["last_move"]["state"] == "done"
    assert report["last_move"]["summary"] == shared[0]["summary"]
    table = world.cli(laptop, "history")
    assert table.returncode == 1 and line in table.stderr, table.stdout + table.stderr
    assert "Traceback" not in table.stderr
    assert "done" in table.stdout
    local = json.loads(world.cli(laptop, "history", "--format", "json").stdout)
    assert [(m["kind"], m["state"], m["checksum"]) for m in local] == \
        [(m["kind"], m["state"], m["checksum"]) for m in shared]
    one = world.cli(laptop, "history", str(local[0]["id"]))
    assert one.returncode == 1 and line in one.stderr, one.stdout + one.stderr
    assert "move" in one.stdout and "done" in one.stdout
    # A node that never moved has an empty journal, and says where it looked.
    other = world.cli(world.config("w-aws", "aws"), "history")
    assert other.returncode == 1 and line in other.stderr
    assert "No moves in" in other.stdout and "w-aws" in other.stdout


def test_a_stale_resume_or_reinstate_is_refused_and_a_live_one_works(world: World) -> None:
    """resume and reinstate write shared state: fenced on the cluster lock, as moves are."""
    from failover.coord.base import Holder, LockLost, Pin
    from failover.coord.etcdclient import EtcdClient

    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    terminated = "/failover/example.test./terminated/aws"
    stale, other = engine(world.config("n1", "aws")), engine(world.config("n2", "gcp"))
    try:
        with other.lock("failover pause"):
            other.coord.set_pin(Pin(Holder.me("n2", "failover pause"), "paused"))
        etcd.put(terminated, json.dumps({"since": 1.0, "reason": "suspended", "by": "n2"}))
        with stale.lock("failover resume"):
            lease = stale.coord.session.lease       # type: ignore[attr-defined]
            etcd.revoke(lease)          # its lease ends, as in a freeze longer than ttl
            with other.lock("failover move --to g"):   # and another node takes the lock
                with pytest.raises(LockLost, match=r"^failover resume refused: this process "
                                                   "lost the cluster lock"):
                    stale.coord.clear_pin()
                with pytest.raises(LockLost, match=r"^failover reinstate aws refused"):
                    stale.coord.reinstate("aws")
        assert other.coord.pin() is not None
        assert "aws" in other.coord.terminated_vendors()
    finally:
        stale.close()
        other.close()
    laptop = world.config("laptop", "metal", auto=False)
    back = world.cli(laptop, "reinstate", "aws")
    assert back.returncode == 0 and "aws: reinstated" in back.stdout, back.stdout + back.stderr
    assert etcd.get(terminated) is None
    resumed = world.cli(laptop, "resume")
    assert resumed.returncode == 0 and "was pinned by n2" in resumed.stdout, resumed.stdout
    assert etcd.get("/failover/example.test./pin") is None


def test_reinstate_while_a_move_holds_the_lock_names_the_holder(world: World) -> None:
    mover = engine(world.config("n1", "aws"))
    laptop = world.config("laptop", "metal", auto=False)
    try:
        with mover.lock("failover move --to g"):
            busy = world.cli(laptop, "reinstate", "aws")
    finally:
        mover.close()
    assert busy.returncode != 0 and "Traceback" not in busy.stderr
    assert "held by n1" in busy.stderr and "failover move --to g" in busy.stderr, busy.stderr


def test_etcd_keeps_the_last_history_keep_moves_and_each_journal_keeps_its_own(
        world: World) -> None:
    from failover.coord.etcdclient import EtcdClient

    path = world.config("laptop", "metal", auto=False)
    text = path.read_text()
    assert '"retry_timeout": "1s"' in text
    path.write_text(text.replace('"retry_timeout": "1s"', '"retry_timeout": "1s", '
                                 '"history_keep": 2'))
    e = engine(path)
    try:
        for n in range(3):
            with e.lock("failover move --to g"):
                e.store.begin_move(kind="move", at=float(n), reason=f"move {n + 1}", args={},
                                   checksum=f"c{n}", steps=[])
        shared = [m.id for m in e.store.moves(limit=10)]
        local = [m.reason for m in e.journal.moves(limit=10)]
    finally:
        e.close()
    assert shared == [3, 2]
    assert local == ["move 3", "move 2", "move 1"]
    etcd = EtcdClient(world.etcd.endpoints, timeout=5)
    keys = [kv.key.rsplit("/", 1)[1] for kv in etcd.get_prefix("/failover/example.test./moves/")]
    assert keys == ["00000002", "00000003"]
    history = json.loads(world.cli(path, "history", "--format", "json").stdout)
    assert [m["id"] for m in history] == [3, 2]
